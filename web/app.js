// What every kyso page shares: the language (Vietnamese first, English on request, kept in
// localStorage), texts looked up in the dictionary of i18n.js, calls to the JSON API with the
// page's bearer token (kept in sessionStorage, never in a URL), API errors shown in words,
// server-sent events read with fetch() (EventSource cannot send an Authorization header),
// and PDFs fetched with the token into blob: URLs.

import { DICT } from './i18n.js';

const LANG_KEY = 'kyso.lang';
const languageListeners = [];

/** The current language: 'vi' (default) or 'en'. */
export function lang() {
  try {
    return localStorage.getItem(LANG_KEY) === 'en' ? 'en' : 'vi';
  } catch {
    return 'vi';
  }
}

/** The text for `key` in the current language, with `{name}` replaced from `vars`. A var
 * may itself be `{ key, vars }`, translated in turn. */
export function t(key, vars = {}) {
  const entry = DICT[key];
  if (!entry) {
    console.error(`kyso: no text for "${key}"`);
    return key;
  }
  const text = entry[lang() === 'en' ? 1 : 0];
  return text.replace(/\{(\w+)\}/g, (whole, name) => {
    if (!(name in vars)) return whole;
    const value = vars[name];
    if (value !== null && typeof value === 'object' && 'key' in value) {
      return t(value.key, value.vars || {});
    }
    return String(value ?? '');
  });
}

/** Whether the dictionary has `key` (for values from the server that may be new). */
export function known(key) {
  return Object.prototype.hasOwnProperty.call(DICT, key);
}

/** Sets `element`'s text to `key` and remembers it, so a language switch re-translates it. */
export function say(element, key, vars = {}) {
  element.dataset.i18n = key;
  if (Object.keys(vars).length > 0) {
    element.dataset.i18nVars = JSON.stringify(vars);
  } else {
    delete element.dataset.i18nVars;
  }
  element.textContent = t(key, vars);
  return element;
}

/** Translates every `[data-i18n]` text and every `[data-i18n-attr]` attribute
 * ("placeholder:key;aria-label:key") under `root`. */
export function translate(root = document) {
  document.documentElement.lang = lang();
  for (const element of root.querySelectorAll('[data-i18n]')) {
    const vars = element.dataset.i18nVars ? JSON.parse(element.dataset.i18nVars) : {};
    element.textContent = t(element.dataset.i18n, vars);
  }
  for (const element of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of element.dataset.i18nAttr.split(';')) {
      const [attribute, key] = pair.split(':').map((s) => s.trim());
      if (attribute && key) element.setAttribute(attribute, t(key));
    }
  }
}

/** Calls `listener` after every language switch (for content drawn from data). */
export function onLanguage(listener) {
  languageListeners.push(listener);
}

function setLanguage(next) {
  try {
    localStorage.setItem(LANG_KEY, next);
  } catch {
    // Private modes may refuse storage; the switch still applies to this page.
  }
  translate();
  for (const listener of languageListeners) listener();
}

/** Wires the language button and translates the page. Idempotent. */
function setUpLanguage() {
  const button = document.getElementById('lang');
  if (button && !button.dataset.wired) {
    button.dataset.wired = '1';
    button.addEventListener('click', () => setLanguage(lang() === 'en' ? 'vi' : 'en'));
  }
  translate();
}

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', setUpLanguage);
} else {
  setUpLanguage();
}

// --- elements -------------------------------------------------------------------------------

/** `document.getElementById`, failing loudly when a page lacks an element its script needs. */
export function $(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`kyso: the page has no #${id}`);
  return element;
}

/** A new element: `el('td', { class: 'x' }, 'text', child)`. Text is always text, never HTML. */
export function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'i18n') {
      const [key, vars] = Array.isArray(value) ? value : [value, {}];
      say(element, key, vars);
    } else if (name.startsWith('on')) {
      element.addEventListener(name.slice(2), value);
    } else {
      element.setAttribute(name, value === true ? '' : value);
    }
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

/** Shows a status line (translated, re-translated on switch) in `element`. */
export function status(element, key, vars = {}, kind = 'info') {
  element.replaceChildren(el('p', { class: `status ${kind}`, role: 'status', i18n: [key, vars] }));
}

/** A time from the API (RFC 3339) in Vietnam time, "2026-11-22 21:14:05 (+07:00)", the same
 * in both languages so nobody has to guess the zone. */
export function when(text) {
  if (!text) return '—';
  const at = new Date(text);
  if (Number.isNaN(at.getTime())) return text;
  const local = new Date(at.getTime() + 7 * 3600 * 1000);
  const p = (n) => String(n).padStart(2, '0');
  return `${local.getUTCFullYear()}-${p(local.getUTCMonth() + 1)}-${p(local.getUTCDate())} `
    + `${p(local.getUTCHours())}:${p(local.getUTCMinutes())}:${p(local.getUTCSeconds())} (+07:00)`;
}

/** A size in bytes as "60 KB" / "1.2 MB". */
export function size(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

// --- the API --------------------------------------------------------------------------------

/** An answer other than 2xx, or no answer at all (status 0). */
export class ApiError extends Error {
  constructor(status, code, description) {
    super(`${status} ${code}: ${description}`);
    this.status = status;
    this.code = code;
    this.description = description;
  }
}

/** Calls the API and returns the Response; throws ApiError on a non-2xx answer, with the
 * server's `{error, error_description}` when it sent one. */
export async function request(path, { method = 'GET', token, json, body, type, accept, signal } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (accept) headers.Accept = accept;
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  } else if (type) {
    headers['Content-Type'] = type;
  }
  let response;
  try {
    response = await fetch(path, { method, headers, body, signal, cache: 'no-store' });
  } catch (error) {
    if (error && error.name === 'AbortError') throw error;
    throw new ApiError(0, 'network', String(error && error.message ? error.message : error));
  }
  if (!response.ok) {
    let problem = {};
    try {
      problem = await response.json();
    } catch {
      // Not JSON (a proxy's page, say): the status says enough.
    }
    throw new ApiError(
      response.status,
      typeof problem.error === 'string' ? problem.error : `http_${response.status}`,
      typeof problem.error_description === 'string' ? problem.error_description : response.statusText,
    );
  }
  return response;
}

/** `request`, answering the parsed JSON body. */
export async function call(path, options = {}) {
  const response = await request(path, options);
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

/** The words for an API error: what happened (translated), then the server's own words. */
function problemKey(error) {
  if (!(error instanceof ApiError)) return 'error.unexpected';
  if (error.status === 0) return 'error.network';
  const byCode = {
    unauthorized: 'error.unauthorized',
    forbidden: 'error.forbidden',
    not_found: 'error.not_found',
    conflict: 'error.conflict',
    not_a_pdf: 'error.not_a_pdf',
    unsupported_media_type: 'error.unsupported_media_type',
    invalid_json: 'error.invalid_request',
    invalid_request: 'error.invalid_request',
    invalid_pin_or_otp: 'error.pin_or_otp',
    credential_locked: 'error.locked',
    credential_unusable: 'error.credential_unusable',
    login_required: 'error.login_again',
    certificate_revoked: 'error.certificate_revoked',
    certificate_unusable: 'error.certificate_unusable',
    signing_refused: 'error.signing_refused',
    remote_signing_refused: 'error.signing_refused',
    signing_unavailable: 'error.signing_unavailable',
    service_unavailable: 'error.service_unavailable',
    too_large: 'error.too_large',
    too_many_files: 'error.too_many_files',
    rate_limited: 'error.rate_limited',
  };
  if (byCode[error.code]) return byCode[error.code];
  const byStatus = {
    400: 'error.invalid_request', 401: 'error.unauthorized', 403: 'error.forbidden',
    404: 'error.not_found', 405: 'error.not_found', 409: 'error.conflict',
    413: 'error.too_large', 415: 'error.unsupported_media_type', 422: 'error.unprocessable',
    429: 'error.rate_limited', 502: 'error.service_unavailable', 503: 'error.service_unavailable',
  };
  if (byStatus[error.status]) return byStatus[error.status];
  return error.status >= 500 ? 'error.server' : 'error.unexpected';
}

/** Shows `error` in `element` as an alert: a translated headline, the server's description
 * and the HTTP status and code, so a clerk can quote them to support staff. `headlines`
 * words a status differently where the page knows better (a 401 at login: wrong password). */
export function showError(element, error, headlines = {}) {
  if (!(error instanceof ApiError)) console.error(error);
  const headline = (error instanceof ApiError && headlines[error.status]) || problemKey(error);
  const detail = error instanceof ApiError
    ? `${error.description} (HTTP ${error.status || '—'}, ${error.code})`
    : String(error && error.message ? error.message : error);
  element.replaceChildren(el('div', { class: 'error', role: 'alert' },
    el('strong', { i18n: headline }),
    el('span', { class: 'detail' }, detail)));
}

/** Reads a `text/event-stream` answer with fetch (so the bearer token goes in a header) and
 * calls `onEvent(name, data)` for every event (WHATWG HTML §9.2.6: `event:` names it, `data:`
 * lines join with "\n", a blank line dispatches, `:` starts a comment). Resolves when the
 * server closes the stream. */
export async function readEvents(path, token, onEvent, signal) {
  const response = await request(path, { token, accept: 'text/event-stream', signal });
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let name = '';
  let data = [];
  const line = (text) => {
    if (text === '') {
      if (data.length > 0) onEvent(name || 'message', data.join('\n'));
      name = '';
      data = [];
      return;
    }
    if (text.startsWith(':')) return;
    const colon = text.indexOf(':');
    const field = colon < 0 ? text : text.slice(0, colon);
    let value = colon < 0 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') name = value;
    else if (field === 'data') data.push(value);
  };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    const lines = buffer.split(/\r\n|\r|\n/);
    // The last piece is unfinished; so is a lone "\r" whose "\n" may be in the next chunk.
    buffer = lines.pop();
    // A chunk ending in "\r" may have cut a "\r\n" in two: keep that line for the next one.
    if (value.endsWith('\r') && lines.length > 0) buffer = `${lines.pop()}\r`;
    for (const text of lines) line(text);
  }
  if (buffer.replace(/\r$/, '') !== '') line(buffer.replace(/\r$/, ''));
  line('');
}

/** Fetches a document's PDF with the token and answers a blob: URL for it. */
export async function pdfUrl(documentId, token) {
  const response = await request(`/api/documents/${encodeURIComponent(documentId)}/pdf`, { token });
  const blob = await response.blob();
  return URL.createObjectURL(new Blob([blob], { type: 'application/pdf' }));
}

// --- the token box --------------------------------------------------------------------------

/** Wires a page's token form (#token-form, #token, #token-status, #token-clear) to
 * sessionStorage key `kyso.token.<role>`; `onChange(token)` runs on load and on every save. */
export function tokenBox(role, onChange) {
  const key = `kyso.token.${role}`;
  const input = $('token');
  const box = $('token-status');
  const read = () => {
    try {
      return sessionStorage.getItem(key) || '';
    } catch {
      return '';
    }
  };
  const show = () => {
    if (read()) status(box, 'token.saved', {}, 'ok');
    else status(box, 'token.missing', {}, 'warn');
  };
  $('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const value = input.value.trim();
    if (!value) {
      status(box, 'token.empty', {}, 'warn');
      return;
    }
    try {
      sessionStorage.setItem(key, value);
    } catch {
      // Without storage the token lives in the page only.
    }
    input.value = '';
    show();
    onChange(value);
  });
  $('token-clear').addEventListener('click', () => {
    try {
      sessionStorage.removeItem(key);
    } catch {
      // Nothing stored.
    }
    show();
    onChange('');
  });
  show();
  return read;
}

// --- tables and the PDF preview shared by the pages -----------------------------------------

/** Dossiers as a table; `actions(dossier)` gives the buttons of each row. */
export function dossierTable(dossiers, actions) {
  if (dossiers.length === 0) return el('p', { class: 'muted', i18n: 'dossier.none' });
  return el('table', { class: 'dossiers' },
    el('thead', {}, el('tr', {},
      el('th', { scope: 'col', i18n: 'dossier.code' }),
      el('th', { scope: 'col', i18n: 'dossier.applicant' }),
      el('th', { scope: 'col', i18n: 'dossier.procedure' }),
      el('th', { scope: 'col', i18n: 'dossier.created' }),
      el('th', { scope: 'col' }, el('span', { class: 'visually-hidden', i18n: 'table.actions' })))),
    el('tbody', {}, ...dossiers.map((d) => el('tr', { 'data-dossier': d.id, 'data-code': d.code },
      el('td', {}, el('strong', {}, d.code)),
      el('td', {}, d.applicant_name, el('br'), el('span', { class: 'muted' }, d.applicant_cccd)),
      el('td', {}, d.procedure_code),
      el('td', {}, when(d.created_at)),
      el('td', {}, el('div', { class: 'buttons' }, ...actions(d)))))));
}

/** Documents as a table: title, kind, pages, version with what made it; `actions(document)`
 * gives the buttons of each row. */
export function documentTable(documents, actions) {
  if (documents.length === 0) return el('p', { class: 'muted', i18n: 'document.none' });
  return el('table', { class: 'documents' },
    el('thead', {}, el('tr', {},
      el('th', { scope: 'col', i18n: 'document.title' }),
      el('th', { scope: 'col', i18n: 'document.kind' }),
      el('th', { scope: 'col', i18n: 'document.pages' }),
      el('th', { scope: 'col', i18n: 'document.version' }),
      el('th', { scope: 'col' }, el('span', { class: 'visually-hidden', i18n: 'table.actions' })))),
    el('tbody', {}, ...documents.map((d) => el('tr', {
      'data-document': d.id, 'data-version': d.version, 'data-action': d.last_action,
    },
    el('td', {}, d.title),
    el('td', known(`kind.${d.kind}`) ? { i18n: `kind.${d.kind}` } : {}, known(`kind.${d.kind}`) ? null : d.kind),
    el('td', {}, String(d.pages)),
    el('td', {},
      el('span', { class: 'version', i18n: ['document.version_of', { version: d.version, action: actionWords(d.last_action) }] }),
      el('br'), el('span', { class: 'muted' }, `${when(d.created_at)} · ${size(d.size)}`)),
    el('td', {}, el('div', { class: 'buttons' }, ...actions(d)))))));
}

/** What made a version, in words; an action this page does not know yet, as the server
 * names it. */
function actionWords(action) {
  return known(`action.${action}`) ? { key: `action.${action}` } : action;
}

const previews = new WeakMap();

/** Fetches a document's PDF with the token and shows it in `box`: an iframe and a link to
 * open or save it. The previous blob: URL of the box is released. */
export async function showPdf(box, documentId, title, token) {
  status(box, 'document.loading');
  try {
    const url = await pdfUrl(documentId, token);
    if (previews.has(box)) URL.revokeObjectURL(previews.get(box));
    previews.set(box, url);
    const name = `${title || documentId}.pdf`;
    box.replaceChildren(
      el('p', {}, el('a', {
        href: url, download: name, class: 'pdf-link', 'data-document': documentId, i18n: ['document.download', { name }],
      })),
      el('iframe', { src: url, class: 'pdf-frame', title: `PDF — ${title || documentId}` }));
  } catch (error) {
    showError(box, error);
  }
}
