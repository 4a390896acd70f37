// The one-stop counter (Bộ phận một cửa): open a dossier for a citizen, upload the scans of
// the paper dossier, watch the digitize job's progress (server-sent events), preview the
// resulting PDF and search the text of every page.

import {
  $, el, say, status, showError, call, readEvents, tokenBox, dossierTable, documentTable, showPdf,
} from './app.js';

const token = tokenBox('counter', () => loadRecent());
let current = null;

// --- dossiers ---------------------------------------------------------------------------------

async function loadRecent() {
  const box = $('recent');
  if (!token()) {
    status(box, 'token.needed', {}, 'warn');
    return;
  }
  try {
    const list = await call('/api/dossiers?limit=10', { token: token() });
    box.replaceChildren(dossierTable(list.dossiers, (d) => [
      el('button', { type: 'button', class: 'secondary', i18n: 'dossier.select', onclick: () => select(d) }),
    ]));
  } catch (error) {
    showError(box, error);
  }
}

function select(dossier) {
  current = dossier;
  $('current-dossier').removeAttribute('data-i18n');
  $('current-dossier').textContent = `${dossier.code} — ${dossier.applicant_name}`;
  loadDocuments();
}

$('create-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const box = $('create-result');
  const button = event.submitter;
  const form = new FormData(event.target);
  if (!token()) {
    status(box, 'token.needed', {}, 'warn');
    return;
  }
  button.disabled = true;
  try {
    const dossier = await call('/api/dossiers', {
      method: 'POST',
      token: token(),
      json: {
        procedure_code: form.get('procedure_code').trim(),
        applicant_name: form.get('applicant_name').trim(),
        applicant_cccd: form.get('applicant_cccd').trim(),
      },
    });
    box.replaceChildren(el('p', { class: 'status ok', role: 'status' },
      el('span', { i18n: 'counter.created' }), ' ',
      el('strong', { class: 'code', id: 'created-code' }, dossier.code)));
    event.target.reset();
    select(dossier);
    loadRecent();
  } catch (error) {
    showError(box, error);
  } finally {
    button.disabled = false;
  }
});

// --- documents and preview --------------------------------------------------------------------

async function loadDocuments() {
  const box = $('documents');
  if (!current) return;
  try {
    const view = await call(`/api/dossiers/${encodeURIComponent(current.id)}`, { token: token() });
    box.replaceChildren(documentTable(view.documents, (d) => [
      el('button', { type: 'button', class: 'secondary', i18n: 'document.preview', onclick: () => preview(d.id, d.title) }),
    ]));
  } catch (error) {
    showError(box, error);
  }
}

async function preview(documentId, title) {
  await showPdf($('preview'), documentId, title, token());
}

// --- scans and the digitize job ---------------------------------------------------------------

$('scan-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const box = $('job-status');
  const bar = $('job-progress');
  const button = event.submitter;
  if (!token()) {
    status(box, 'token.needed', {}, 'warn');
    return;
  }
  if (!current) {
    status(box, 'counter.pick_first', {}, 'warn');
    return;
  }
  const files = $('files').files;
  if (files.length === 0) {
    status(box, 'counter.no_files', {}, 'warn');
    return;
  }
  const form = new FormData();
  for (const file of files) form.append('file', file, file.name);
  const title = $('scan-title').value.trim();
  if (title) form.append('title', title);
  form.append('deskew', $('deskew').checked ? 'true' : 'false');
  button.disabled = true;
  bar.hidden = true;
  status(box, 'counter.uploading', { count: files.length });
  try {
    const job = await call(`/api/dossiers/${encodeURIComponent(current.id)}/scans`, {
      method: 'POST', token: token(), body: form,
    });
    const final = await watch(job);
    if (final.state === 'done') {
      status(box, 'job.done', { pages: final.pages_done }, 'ok');
      await loadDocuments();
      if (final.document_id) await preview(final.document_id, title);
    } else {
      box.replaceChildren(el('div', { class: 'error', role: 'alert' },
        el('strong', { i18n: 'job.failed' }),
        el('span', { class: 'detail' }, final.error || '')));
    }
  } catch (error) {
    bar.hidden = true;
    showError(box, error);
  } finally {
    button.disabled = false;
  }
});

/** Shows the job's progress from its event stream until it is done or failed; when the
 * stream ends early (a restart, a proxy), asks for the job until it is. */
async function watch(job) {
  const finished = (j) => j.state === 'done' || j.state === 'failed';
  show(job);
  let latest = job;
  try {
    await readEvents(`/api/jobs/${encodeURIComponent(job.id)}/events`, token(), (name, data) => {
      if (!['progress', 'done', 'failed'].includes(name)) return;
      latest = JSON.parse(data);
      show(latest);
    });
  } catch (error) {
    // The stream is a convenience; the job itself is in the database and can be asked for.
    if (error && error.status && error.status < 500 && error.status !== 404) throw error;
  }
  while (!finished(latest)) {
    await new Promise((resolve) => { setTimeout(resolve, 1000); });
    latest = await call(`/api/jobs/${encodeURIComponent(job.id)}`, { token: token() });
    show(latest);
  }
  return latest;
}

function show(job) {
  const bar = $('job-progress');
  const box = $('job-status');
  bar.hidden = false;
  if (job.pages_total) {
    bar.max = job.pages_total;
    bar.value = job.pages_done;
  } else {
    bar.removeAttribute('value');
  }
  if (job.state === 'done') {
    bar.max = 1;
    bar.value = 1;
  }
  const vars = { done: job.pages_done, total: job.pages_total ?? '?' };
  const key = {
    queued: 'job.queued', running: 'job.running', done: 'job.finished', failed: 'job.failed',
  }[job.state] || 'job.running';
  box.replaceChildren(el('p', { class: 'status', role: 'status', id: 'job-line', 'data-state': job.state }, say(el('span'), key, vars)));
}

// --- search ---------------------------------------------------------------------------------

$('search-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const box = $('search-results');
  const q = $('query').value.trim();
  if (!token()) {
    status(box, 'token.needed', {}, 'warn');
    return;
  }
  if (!q) return;
  try {
    const found = await call(`/api/dossiers?q=${encodeURIComponent(q)}&limit=20`, { token: token() });
    if (found.hits.length === 0) {
      status(box, 'search.none', { q });
      return;
    }
    box.replaceChildren(
      el('p', { class: 'status', role: 'status', i18n: ['search.count', { n: found.hits.length }] }),
      el('ol', { class: 'hits' }, ...found.hits.map((hit) => el('li', {},
        el('strong', {}, hit.dossier_code), ' · ',
        el('span', { i18n: ['search.page', { page: hit.page }] }), ' · ',
        el('span', { class: 'snippet' }, ...snippet(hit.snippet)), ' ',
        el('button', {
          type: 'button',
          class: 'secondary',
          i18n: 'document.preview',
          onclick: async () => {
            try {
              const view = await call(`/api/dossiers/${encodeURIComponent(hit.dossier_id)}`, { token: token() });
              select(view);
              await preview(hit.document_id, hit.dossier_code);
            } catch (error) {
              showError(box, error);
            }
          },
        })))));
  } catch (error) {
    showError(box, error);
  }
});

/** The snippet's matches are between "[" and "]": shown marked, the rest as text. */
function snippet(text) {
  const parts = [];
  for (const [i, piece] of text.split(/[[\]]/).entries()) {
    if (piece) parts.push(i % 2 === 1 ? el('mark', {}, piece) : piece);
  }
  return parts;
}

loadRecent();
