// The citizen (công dân): log in with the CCCD number and the remote-signing password, see
// their own dossiers, and sign a document remotely: the server starts the signing and
// sends a one-time code (or the citizen reads one from their authenticator app), then the
// signing PIN and that code complete it. The session token stays in sessionStorage.

import {
  $, el, status, showError, call, dossierTable, documentTable, showPdf, ApiError,
} from './app.js';

const TOKEN = 'kyso.token.citizen';
const CCCD = 'kyso.citizen.cccd';
let current = null;
let signing = null;

function stored(key) {
  try {
    return sessionStorage.getItem(key) || '';
  } catch {
    return '';
  }
}

function store(key, value) {
  try {
    if (value) sessionStorage.setItem(key, value);
    else sessionStorage.removeItem(key);
  } catch {
    // Without storage the session lasts as long as the page.
  }
}

function showSignedIn() {
  const signedIn = Boolean(stored(TOKEN));
  $('login-panel').hidden = signedIn;
  $('mine-panel').hidden = !signedIn;
  if (!signedIn) $('dossier-panel').hidden = true;
  $('who').textContent = stored(CCCD);
  if (signedIn) loadMine();
}

/** A 401 means the session ended: back to the login form, saying why. */
function expired(error) {
  if (error instanceof ApiError && error.status === 401 && stored(TOKEN)) {
    store(TOKEN, '');
    showSignedIn();
    status($('login-status'), 'citizen.expired', {}, 'warn');
    return true;
  }
  return false;
}

$('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const box = $('login-status');
  const button = event.submitter;
  const cccd = $('login-cccd').value.trim();
  const password = $('login-password').value;
  button.disabled = true;
  status(box, 'citizen.logging_in');
  try {
    const session = await call('/api/login', { method: 'POST', json: { cccd, password } });
    store(TOKEN, session.token);
    store(CCCD, session.cccd || cccd);
    $('login-password').value = '';
    box.replaceChildren();
    showSignedIn();
  } catch (error) {
    showError(box, error, { 401: 'error.login_failed' });
  } finally {
    $('login-password').value = '';
    button.disabled = false;
  }
});

$('logout').addEventListener('click', () => {
  store(TOKEN, '');
  store(CCCD, '');
  signing = null;
  showSignedIn();
});

async function loadMine() {
  const box = $('dossiers');
  try {
    const list = await call('/api/dossiers?limit=50', { token: stored(TOKEN) });
    box.replaceChildren(dossierTable(list.dossiers, (d) => [
      el('button', { type: 'button', class: 'secondary', i18n: 'dossier.open', onclick: () => open(d.id) }),
    ]));
  } catch (error) {
    if (!expired(error)) showError(box, error);
  }
}

async function open(id) {
  const panel = $('dossier-panel');
  const box = $('dossier-documents');
  panel.hidden = false;
  try {
    const view = await call(`/api/dossiers/${encodeURIComponent(id)}`, { token: stored(TOKEN) });
    current = view;
    $('dossier-code').textContent = view.code;
    box.replaceChildren(documentTable(view.documents, (d) => [
      el('button', { type: 'button', class: 'secondary', i18n: 'document.preview', onclick: () => showPdf($('preview'), d.id, d.title, stored(TOKEN)) }),
      el('button', { type: 'button', 'data-do': 'remote-sign', i18n: 'citizen.sign_button', onclick: (e) => start(e.target, d) }),
    ]));
  } catch (error) {
    if (!expired(error)) showError(box, error);
  }
}

/** Starts a remote signature: the server prepares the document and the OTP challenge. */
async function start(button, doc) {
  const box = $('sign-status');
  button.disabled = true;
  $('sign-panel').hidden = true;
  status(box, 'citizen.starting', { title: doc.title });
  try {
    const started = await call(`/api/documents/${encodeURIComponent(doc.id)}/remote-sign`, {
      method: 'POST', token: stored(TOKEN), json: {},
    });
    signing = { doc, session: started.session_id };
    $('sign-title').textContent = doc.title;
    const minutes = Math.max(1, Math.round((started.expires_in || 300) / 60));
    status($('sign-challenge'), started.otp === 'totp' ? 'citizen.otp_totp' : 'citizen.otp_sent',
      { minutes }, 'ok');
    $('sign-panel').hidden = false;
    box.replaceChildren();
    $('pin').focus();
  } catch (error) {
    if (!expired(error)) showError(box, error);
  } finally {
    button.disabled = false;
  }
}

$('sign-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const box = $('sign-status');
  const button = event.submitter;
  if (!signing) return;
  const pin = $('pin').value;
  const otp = $('otp').value.trim();
  button.disabled = true;
  status(box, 'citizen.completing');
  try {
    const signed = await call(`/api/documents/${encodeURIComponent(signing.doc.id)}/remote-sign/complete`, {
      method: 'POST', token: stored(TOKEN), json: { session_id: signing.session, pin, otp },
    });
    const { doc } = signing;
    signing = null;
    $('sign-panel').hidden = true;
    await open(current.id);
    box.replaceChildren(el('p', { class: 'status ok', role: 'status', id: 'signed',
      i18n: ['citizen.signed', { title: signed.title, version: signed.version }] }));
    await showPdf($('preview'), signed.id, doc.title, stored(TOKEN));
  } catch (error) {
    if (!expired(error)) showError(box, error);
  } finally {
    $('pin').value = '';
    $('otp').value = '';
    button.disabled = false;
  }
});

$('sign-cancel').addEventListener('click', () => {
  signing = null;
  $('sign-panel').hidden = true;
  $('pin').value = '';
  $('otp').value = '';
  $('sign-status').replaceChildren();
});

showSignedIn();
