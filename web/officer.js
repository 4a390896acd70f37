// The officer (cán bộ xử lý): list dossiers, open one, sign a document with the agency's
// credential, certify a result (a certification signature, DocMDP) and upload the result PDF;
// every document shows its version and what made it.

import {
  $, el, status, showError, call, tokenBox, dossierTable, documentTable, showPdf, when,
} from './app.js';

const token = tokenBox('officer', () => loadList());
let current = null;

async function loadList() {
  const box = $('dossiers');
  if (!token()) {
    status(box, 'token.needed', {}, 'warn');
    return;
  }
  try {
    const list = await call('/api/dossiers?limit=50', { token: token() });
    box.replaceChildren(dossierTable(list.dossiers, (d) => [
      el('button', { type: 'button', class: 'secondary', i18n: 'dossier.open', onclick: () => open(d.id) }),
    ]));
  } catch (error) {
    showError(box, error);
  }
}

$('refresh').addEventListener('click', () => loadList());
// The signing options are read by the buttons; Enter in one of them must not submit anything.
$('sign-options').addEventListener('submit', (event) => event.preventDefault());

async function open(id) {
  const panel = $('dossier-panel');
  try {
    const view = await call(`/api/dossiers/${encodeURIComponent(id)}`, { token: token() });
    current = view;
    panel.hidden = false;
    $('dossier-code').textContent = view.code;
    $('dossier-facts').replaceChildren(
      ...fact('dossier.applicant', `${view.applicant_name} (${view.applicant_cccd})`),
      ...fact('dossier.procedure', view.procedure_code),
      ...fact('dossier.created', `${when(view.created_at)} · ${view.created_by}`));
    $('dossier-documents').replaceChildren(documentTable(view.documents, (d) => [
      el('button', { type: 'button', class: 'secondary', i18n: 'document.preview', onclick: () => showPdf($('preview'), d.id, d.title, token()) }),
      el('button', { type: 'button', 'data-do': 'sign', i18n: 'officer.sign', onclick: (e) => act(e.target, 'sign', d) }),
      el('button', { type: 'button', 'data-do': 'certify', i18n: 'officer.certify', onclick: (e) => act(e.target, 'certify', d) }),
    ]));
    panel.scrollIntoView({ block: 'start' });
  } catch (error) {
    panel.hidden = false;
    showError($('action-status'), error);
  }
}

function fact(key, value) {
  return [el('dt', { i18n: key }), el('dd', {}, value)];
}

/** Signs or certifies `doc` with the options of the form, then shows its new version. */
async function act(button, what, doc) {
  const box = $('action-status');
  const level = $('level').value;
  const body = what === 'sign'
    ? {
      level,
      stamp: $('stamp').checked,
      ...($('reason').value.trim() ? { reason: $('reason').value.trim() } : {}),
      ...($('location').value.trim() ? { location: $('location').value.trim() } : {}),
    }
    : { level, permission: $('permission').value };
  button.disabled = true;
  status(box, what === 'sign' ? 'officer.signing' : 'officer.certifying', { title: doc.title });
  try {
    const signed = await call(`/api/documents/${encodeURIComponent(doc.id)}/${what}`, {
      method: 'POST', token: token(), json: body,
    });
    await open(current.id);
    status(box, what === 'sign' ? 'officer.signed' : 'officer.certified',
      { title: signed.title, version: signed.version }, 'ok');
  } catch (error) {
    showError(box, error);
  } finally {
    button.disabled = false;
  }
}

$('result-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const box = $('action-status');
  const button = event.submitter;
  const file = $('result-file').files[0];
  if (!current || !file) return;
  const title = $('result-title').value.trim();
  const query = title ? `?title=${encodeURIComponent(title)}` : '';
  button.disabled = true;
  status(box, 'officer.uploading', { name: file.name });
  try {
    const added = await call(`/api/dossiers/${encodeURIComponent(current.id)}/results${query}`, {
      method: 'POST', token: token(), body: file, type: 'application/pdf',
    });
    event.target.reset();
    await open(current.id);
    status(box, 'officer.uploaded', { title: added.title, pages: added.pages }, 'ok');
  } catch (error) {
    showError(box, error);
  } finally {
    button.disabled = false;
  }
});

loadList();
