// The four pages of `kyso serve` in headless Debian Chromium (playwright-core, no downloaded
// browser): each page loads in Vietnamese, switches to English, does its main work against a
// real server, and shows the outcome. Screenshots go to target/browser-artifacts/.
//
// Run from the repository root after `cargo build`:
//   npm ci --prefix tests/browser && node --test tests/browser/
// KYSO_BIN overrides the binary, CHROMIUM the browser, KYSO_BROWSER_ARTIFACTS the folder.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const KYSO = process.env.KYSO_BIN || path.join(ROOT, 'target', 'debug', 'kyso');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = process.env.KYSO_BROWSER_ARTIFACTS || path.join(ROOT, 'target', 'browser-artifacts');
const SAMPLES = path.join(ROOT, 'samples');
const CORPUS = path.join(ROOT, 'tests', 'corpus', 'verify');
const ADMIN_TOKEN = `kyso-browser-admin-${randomBytes(12).toString('hex')}`;

const CITIZEN = {
  cccd: '001089012345',
  name: 'Nguyễn Văn An',
  email: 'an.nguyen@example.vn',
  pin: '482915',
  password: 'mat-khau-an-2026',
};
// A scan whose text the search must then find (samples/don-de-nghi-300dpi.txt).
const SCAN = path.join(SAMPLES, 'don-de-nghi-300dpi.png');
const RESULT_PDF = path.join(SAMPLES, 'ket-qua-quyet-dinh.pdf');

let tmp;
let server;
let serverLog;
let base;
let browser;
let tokens = {};
let credential;

// --- the server -------------------------------------------------------------------------------

/** A port in 20000–60999 that binds on 127.0.0.1 now (never 8080, the test PKI's own). */
async function freePort() {
  for (let i = 0; i < 200; i += 1) {
    const port = randomInt(20000, 61000);
    const ok = await new Promise((resolve) => {
      const probe = net.createServer();
      probe.once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (ok) return port;
  }
  throw new Error('no free port on 127.0.0.1');
}

function kysoEnv(extra = {}) {
  const env = { ...process.env, KYSO_LOG: 'info', ...extra };
  delete env.SOFTHSM2_CONF;
  delete env.KYSO_CSC_PASSWORD;
  if (!extra.KYSO_ADMIN_TOKEN) delete env.KYSO_ADMIN_TOKEN;
  return env;
}

function kyso(...args) {
  return execFileSync(KYSO, args, { cwd: ROOT, env: kysoEnv(), encoding: 'utf8', timeout: 120_000 });
}

async function api(method, route, { token, json, body, type } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (json !== undefined) headers['Content-Type'] = 'application/json';
  else if (type) headers['Content-Type'] = type;
  const response = await fetch(base + route, {
    method, headers, body: json !== undefined ? JSON.stringify(json) : body,
  });
  const text = await response.text();
  let parsed = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON: kept as text for the assertion message.
  }
  assert.ok(response.ok, `${method} ${route} answered ${response.status}: ${text}`);
  return parsed;
}

before(async () => {
  assert.ok(fs.existsSync(KYSO), `${KYSO} is missing: run cargo build first`);
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium`);
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  // Only this run's screenshots: a stale "-failed" one would mislead.
  for (const file of fs.readdirSync(ARTIFACTS)) {
    if (file.endsWith('.png')) fs.rmSync(path.join(ARTIFACTS, file));
  }
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kyso-browser-'));
  const data = path.join(tmp, 'data');
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;

  for (const role of ['counter', 'officer']) {
    tokens[role] = JSON.parse(kyso('token', 'add', '--data', data, '--role', role,
      '--name', `${role} (browser test)`, '--json')).token;
  }
  const pinFile = path.join(tmp, 'pin');
  const passwordFile = path.join(tmp, 'password');
  fs.writeFileSync(pinFile, CITIZEN.pin, { mode: 0o600 });
  fs.writeFileSync(passwordFile, CITIZEN.password, { mode: 0o600 });
  credential = kyso('ca', 'enroll', '--cccd', CITIZEN.cccd, '--name', CITIZEN.name,
    '--email', CITIZEN.email, '--pin-file', pinFile, '--password-file', passwordFile,
    '--data', data, '--pki', path.join(ROOT, 'certs'), '--public-url', base).trim();

  serverLog = path.join(tmp, 'serve.log');
  const log = fs.openSync(serverLog, 'w');
  server = spawn(KYSO, ['serve', '--listen', `127.0.0.1:${port}`, '--data', data,
    '--pki', path.join(ROOT, 'certs'), '--public-url', base], {
    cwd: ROOT, env: kysoEnv({ KYSO_ADMIN_TOKEN: ADMIN_TOKEN }), stdio: ['ignore', log, log],
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) break;
    } catch {
      // Not listening yet.
    }
    assert.equal(server.exitCode, null, `kyso serve exited: ${fs.readFileSync(serverLog, 'utf8')}`);
    assert.ok(Date.now() < deadline, 'kyso serve did not answer /healthz within 60 s');
    await new Promise((resolve) => { setTimeout(resolve, 100); });
  }

  browser = await chromium.launchPersistentContext(path.join(tmp, 'chromium'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 900 },
    locale: 'vi-VN',
  });
});

after(async () => {
  if (browser) await browser.close();
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await new Promise((resolve) => {
      const timer = setTimeout(() => { server.kill('SIGKILL'); resolve(); }, 20_000);
      server.once('exit', () => { clearTimeout(timer); resolve(); });
    });
  }
  if (serverLog && fs.existsSync(serverLog)) fs.copyFileSync(serverLog, path.join(ARTIFACTS, 'serve.log'));
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

// --- pages --------------------------------------------------------------------------------------

/** A fresh tab that records uncaught errors, CSP violations and other console errors (a
 * failed request logs "Failed to load resource", which a 4xx the page handles is allowed to). */
async function open(route) {
  const page = await browser.newPage();
  page.setDefaultTimeout(15_000);
  page.problems = [];
  page.on('pageerror', (error) => page.problems.push(`uncaught: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
      page.problems.push(`console: ${message.text()}`);
    }
  });
  const response = await page.goto(base + route);
  assert.equal(response.status(), 200, `${route} answered ${response.status()}`);
  assert.match(response.headers()['content-security-policy'] || '', /script-src 'self'/);
  return page;
}

async function done(page, name) {
  // Chromium's PDF viewer paints a previewed PDF a moment after the frame loads.
  if (await page.locator('iframe.pdf-frame').count() > 0) await page.waitForTimeout(2000);
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  assert.deepEqual(page.problems, [], 'the page logged errors');
  await page.close();
}

/** Runs `body(page)` on a fresh tab of `route`; on failure, keeps `<name>-failed.png`. */
async function onPage(route, name, body) {
  const page = await open(route);
  try {
    await body(page);
  } catch (error) {
    await page.screenshot({ path: path.join(ARTIFACTS, `${name}-failed.png`), fullPage: true })
      .catch(() => {});
    await page.close();
    throw error;
  }
  await done(page, name);
}

/** Waits for `selector` inside `box`, or fails with the error the page shows there instead. */
async function outcome(page, box, selector, timeout = 20_000) {
  const wanted = `${box} ${selector}`;
  const alert = `${box} [role="alert"]`;
  await page.waitForSelector(`${wanted}, ${alert}`, { timeout });
  if (await page.locator(wanted).count() === 0) {
    const shown = (await page.locator(alert).first().innerText()).replace(/\s+/g, ' ');
    assert.fail(`instead of ${selector}, ${box} shows the error: ${shown}`);
  }
  return page.locator(wanted).first();
}

/** Vietnamese first; the switch turns the page English, survives a reload, and turns back. */
async function checkLanguages(page, vi, en) {
  const h1 = page.locator('h1');
  assert.equal(await page.getAttribute('html', 'lang'), 'vi');
  assert.equal(await h1.innerText(), vi);
  await page.click('#lang');
  assert.equal(await h1.innerText(), en);
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  assert.equal(await page.locator('#lang').innerText(), 'Tiếng Việt');
  await page.reload();
  assert.equal(await h1.innerText(), en, 'the English choice is kept across a reload');
  await page.click('#lang');
  assert.equal(await h1.innerText(), vi);
  assert.equal(await page.locator('#lang').innerText(), 'English');
}

/** Clicks a download link and answers the bytes the browser saved. */
async function download(page, link) {
  const [saved] = await Promise.all([page.waitForEvent('download'), link.click()]);
  const file = await saved.path();
  assert.ok(file, `the download failed: ${await saved.failure()}`);
  return fs.readFileSync(file);
}

async function pasteToken(page, token) {
  await page.fill('#token', token);
  await page.click('#token-form button[type="submit"]');
  await page.waitForSelector('#token-status .status.ok');
}

async function newDossier(name, cccd) {
  return api('POST', '/api/dossiers', {
    token: tokens.counter,
    json: { procedure_code: '2.000488', applicant_name: name, applicant_cccd: cccd },
  });
}

async function addResult(dossierId, title) {
  return api('POST', `/api/dossiers/${dossierId}/results?title=${encodeURIComponent(title)}`, {
    token: tokens.officer, body: fs.readFileSync(RESULT_PDF), type: 'application/pdf',
  });
}

// --- home ---------------------------------------------------------------------------------------

test('home: explains kyso and links to the four pages, in Vietnamese then English', async () => {
  await onPage('/', 'home', async (page) => {
    await checkLanguages(page, 'Số hoá, ký số và kiểm tra hồ sơ thủ tục hành chính',
      'Digitize, sign and verify administrative dossiers');
    assert.match(await page.locator('.lead').innerText(), /PDF\/A có thể tìm kiếm/);
    for (const [href, text] of [['/counter', 'Bộ phận một cửa'], ['/officer', 'Cán bộ xử lý'],
      ['/citizen', 'Công dân'], ['/verify', 'Kiểm tra chữ ký']]) {
      const link = page.locator(`.cards a[href="${href}"]`);
      assert.equal(await link.innerText(), text);
      const response = await fetch(base + href);
      assert.equal(response.status, 200, `${href} is served`);
    }
    // The files come from the binary with their types, and a browser's copy is revalidated.
    for (const [file, type] of [['app.js', 'text/javascript'], ['app.css', 'text/css'], ['icon.svg', 'image/svg+xml']]) {
      const response = await fetch(`${base}/static/${file}`);
      assert.equal(response.status, 200);
      assert.ok(response.headers.get('content-type').startsWith(type), `${file}: ${response.headers.get('content-type')}`);
      assert.equal(response.headers.get('cache-control'), 'no-cache');
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
      const again = await fetch(`${base}/static/${file}`, { headers: { 'If-None-Match': response.headers.get('etag') } });
      assert.equal(again.status, 304);
    }
    assert.equal((await fetch(`${base}/static/nope.js`)).status, 404);
  });
});

// --- verify -------------------------------------------------------------------------------------

test('verify: a B-LT file reads valid in words, a flipped byte invalid, a PNG an error', async () => {
  await onPage('/verify', 'verify', async (page) => {
    await checkLanguages(page, 'Kiểm tra chữ ký số trên tệp PDF', 'Verify the signatures of a PDF');

    // A tampered file, dropped on the zone.
    const tampered = fs.readFileSync(path.join(CORPUS, 'attack-flipped-byte.pdf')).toString('base64');
    await page.evaluate((b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([bytes], 'bi-sua.pdf', { type: 'application/pdf' }));
      document.getElementById('drop').dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }, tampered);
    const failed = await outcome(page, '#report-panel', '#summary[data-indication="TOTAL_FAILED"]');
    assert.match(await failed.innerText(), /Tài liệu có 1 chữ ký; 1 chữ ký KHÔNG hợp lệ\./);
    assert.match(await page.locator('.signature').first().innerText(), /Không hợp lệ \[TOTAL_FAILED \/ HASH_FAILURE\]/);
    assert.match(await page.locator('.signature').first().innerText(), /Toàn vẹn\s+KHÔNG/);

    // Not a PDF: the API's 422 is shown in words, and the page goes on working.
    await page.setInputFiles('#file', SCAN);
    const error = await page.waitForSelector('#verify-status [role="alert"]');
    assert.match(await error.innerText(), /Tệp không phải là PDF đọc được\./);
    assert.match(await error.innerText(), /HTTP 422, not_a_pdf/);

    // A valid B-LT file, chosen with the file input.
    await page.setInputFiles('#file', path.join(CORPUS, 'kyso-b-lt.pdf'));
    const passed = await outcome(page, '#report-panel', '#summary[data-indication="TOTAL_PASSED"]');
    assert.equal(await passed.innerText(), 'Tài liệu có 1 chữ ký; chữ ký hợp lệ.');
    const card = await page.locator('.signature').first().innerText();
    assert.match(card, /Chữ ký 1\/1 \(trường «.+»\): Hợp lệ \[TOTAL_PASSED\]/);
    for (const words of ['Người ký', 'Thời điểm ký', 'đã xác thực', 'Toàn vẹn', 'Tin cậy',
      'Mức PAdES', 'B-LT', 'Tình trạng thu hồi', 'chưa bị thu hồi']) {
      assert.ok(card.includes(words), `the report says «${words}»: ${card}`);
    }
    // The raw JSON is there, folded.
    assert.equal(await page.locator('#raw').getAttribute('open'), null);
    await page.click('#raw summary');
    const raw = JSON.parse(await page.locator('#raw-json').innerText());
    assert.equal(raw.schema, 'kyso.verify/1');
    assert.equal(raw.signatures[0].indication, 'TOTAL_PASSED');
    assert.ok(card.includes(raw.signatures[0].signer.common_name), 'the signer is named');

    // The same report in English.
    await page.click('#lang');
    assert.equal(await page.locator('#summary').innerText(), 'The document has 1 signature; it is valid.');
    assert.match(await page.locator('.signature').first().innerText(), /Signature 1\/1 \(field «.+»\): Valid \[TOTAL_PASSED\]/);
    assert.match(await page.locator('.signature').first().innerText(), /Revocation status\s+not revoked/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'verify-en.png'), fullPage: true });
    await page.click('#lang');
  });
});

// --- counter ------------------------------------------------------------------------------------

let counterDossier;

test('counter: a token, a new dossier with its code, the recent list and a search', async () => {
  await onPage('/counter', 'counter', async (page) => {
    await checkLanguages(page, 'Bộ phận một cửa', 'One-stop counter');

    // A wrong token is refused in words.
    await pasteToken(page, 'not-a-real-token');
    const refused = await page.waitForSelector('#recent [role="alert"]');
    assert.match(await refused.innerText(), /Mã truy cập không hợp lệ hoặc đã hết hạn\./);

    await pasteToken(page, tokens.counter);
    await page.fill('#procedure', '2.000488');
    await page.fill('#applicant', 'Trần Thị Bích Ngọc');
    await page.fill('#cccd', '079190004321');
    await page.click('#create-form button[type="submit"]');
    const code = await outcome(page, '#create-result', '#created-code');
    const text = await code.innerText();
    assert.match(text, /^HS-\d{8}-\d{4}$/);
    assert.match(await page.locator('#create-result').innerText(), /Đã tạo hồ sơ, mã hồ sơ:/);
    const row = page.locator(`#recent tr[data-code="${text}"]`);
    await row.waitFor();
    assert.match(await row.innerText(), /Trần Thị Bích Ngọc/);
    assert.equal(await page.locator('#current-dossier').innerText(), `${text} — Trần Thị Bích Ngọc`);
    counterDossier = { id: await row.getAttribute('data-dossier'), code: text };

    // A malformed CCCD: the API's 400 is shown, nothing breaks.
    await page.fill('#procedure', '2.000488');
    await page.fill('#applicant', 'Lê Văn Tám');
    await page.fill('#cccd', '12345');
    await page.$eval('#create-form', (form) => { form.noValidate = true; });
    await page.click('#create-form button[type="submit"]');
    const invalid = await page.waitForSelector('#create-result [role="alert"]');
    assert.match(await invalid.innerText(), /Thông tin gửi lên chưa đúng\./);
    assert.match(await invalid.innerText(), /HTTP 400/);

    // A search for words no page has.
    await page.fill('#query', 'khongcotrongtrangnao');
    await page.click('#search-form button[type="submit"]');
    const none = await outcome(page, '#search-results', '.status');
    assert.equal(await none.innerText(), 'Không tìm thấy trang nào có «khongcotrongtrangnao».');
  });
});

test('counter: scans uploaded, progress streamed, the PDF previewed, its text found', async () => {
  assert.ok(counterDossier, 'the dossier of the previous test');
  await onPage('/counter', 'counter-scans', async (page) => {
    const streams = [];
    page.on('request', (request) => {
      if (/\/api\/jobs\/[^/]+\/events$/.test(request.url())) {
        streams.push(request.headers().authorization || '');
      }
    });
    await pasteToken(page, tokens.counter);
    await page.click(`#recent tr[data-code="${counterDossier.code}"] button`);
    await page.setInputFiles('#files', [SCAN]);
    await page.fill('#scan-title', 'Đơn đề nghị');
    await page.click('#scan-submit');
    await outcome(page, '#job-status', '.status.ok', 90_000);
    assert.match(await page.locator('#job-status').innerText(), /Số hoá xong: 1 trang\./);
    assert.deepEqual(streams, [`Bearer ${tokens.counter}`], 'progress came from the event stream, with the token');
    assert.equal(await page.locator('#job-progress').getAttribute('value'), '1');

    const row = page.locator('#documents tr[data-document]');
    await row.waitFor();
    assert.match(await row.innerText(), /Đơn đề nghị\s+Bản số hoá\s+1\s+bản 1 \(số hoá\)/);
    const link = await outcome(page, '#preview', 'a.pdf-link');
    assert.match(await link.getAttribute('href'), /^blob:/);
    const pdf = await download(page, link);
    assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-');
    assert.match(await page.locator('#preview iframe').getAttribute('src'), /^blob:/);

    // A phrase of the scanned page is found, with its dossier and page.
    await page.fill('#query', 'đề nghị');
    await page.click('#search-form button[type="submit"]');
    const hits = await outcome(page, '#search-results', '.hits li');
    assert.match(await hits.innerText(), new RegExp(`${counterDossier.code} · trang 1`));
    assert.ok(await page.locator('#search-results .hits mark').count() > 0, 'the match is marked');
  });
});

// --- officer ------------------------------------------------------------------------------------

let officerDossier;

test('officer: the list, a dossier opened, a result PDF uploaded', async () => {
  officerDossier = await newDossier('Phạm Minh Châu', '036095001122');
  await onPage('/officer', 'officer', async (page) => {
    await checkLanguages(page, 'Cán bộ xử lý hồ sơ', 'Dossier officer');
    await pasteToken(page, tokens.officer);
    const row = page.locator(`#dossiers tr[data-code="${officerDossier.code}"]`);
    await row.waitFor();
    assert.match(await row.innerText(), /Phạm Minh Châu/);
    await row.locator('button').click();
    await page.waitForSelector('#dossier-panel:not([hidden])');
    assert.equal(await page.locator('#dossier-code').innerText(), officerDossier.code);
    assert.match(await page.locator('#dossier-documents').innerText(), /Hồ sơ chưa có tài liệu nào\./);

    // Not a PDF first: 422 in words.
    await page.setInputFiles('#result-file', { name: 'ghi-chu.pdf', mimeType: 'application/pdf', buffer: Buffer.from('không phải PDF') });
    await page.click('#result-form button[type="submit"]');
    const refused = await page.waitForSelector('#action-status [role="alert"]');
    assert.match(await refused.innerText(), /Tệp không phải là PDF đọc được\./);

    await page.setInputFiles('#result-file', RESULT_PDF);
    await page.fill('#result-title', 'Quyết định cấp phép');
    await page.click('#result-form button[type="submit"]');
    await outcome(page, '#action-status', '.status.ok');
    assert.match(await page.locator('#action-status').innerText(), /Đã thêm «Quyết định cấp phép» \(\d+ trang\) vào hồ sơ\./);
    const doc = page.locator('#dossier-documents tr[data-document]');
    assert.equal(await doc.count(), 1);
    assert.match(await doc.innerText(), /Quyết định cấp phép\s+Kết quả\s+\d+\s+bản 1 \(tải lên\)/);
    await page.click('#lang');
    assert.match(await doc.innerText(), /Result\s+\d+\s+version 1 \(uploaded\)/);
    await page.click('#lang');
  });
});

test('officer: a document signed and a result certified, each a new version', async () => {
  assert.ok(officerDossier, 'the dossier of the previous test');
  const signMe = await addResult(officerDossier.id, 'Bản sao điện tử');
  const certifyMe = await addResult(officerDossier.id, 'Giấy phép');
  await onPage('/officer', 'officer-signed', async (page) => {
    await pasteToken(page, tokens.officer);
    await page.click(`#dossiers tr[data-code="${officerDossier.code}"] button`);
    await page.waitForSelector('#dossier-panel:not([hidden])');

    await page.selectOption('#level', 'b-t');
    await page.fill('#reason', 'Xác nhận bản sao điện tử từ bản chính');
    await page.click(`#dossier-documents tr[data-document="${signMe.id}"] button[data-do="sign"]`);
    await outcome(page, '#action-status', '.status.ok', 60_000);
    assert.match(await page.locator('#action-status').innerText(), /Đã ký số «Bản sao điện tử»: nay là phiên bản 2\./);
    const signed = page.locator(`#dossier-documents tr[data-document="${signMe.id}"]`);
    assert.equal(await signed.getAttribute('data-action'), 'sign');
    assert.match(await signed.innerText(), /bản 2 \(cán bộ ký số\)/);

    await page.selectOption('#permission', 'no-changes');
    await page.click(`#dossier-documents tr[data-document="${certifyMe.id}"] button[data-do="certify"]`);
    await outcome(page, '#action-status', '.status.ok', 60_000);
    assert.match(await page.locator('#action-status').innerText(), /Đã ký chứng nhận «Giấy phép»: nay là phiên bản 2\./);
    const certified = page.locator(`#dossier-documents tr[data-document="${certifyMe.id}"]`);
    assert.equal(await certified.getAttribute('data-action'), 'certify');

    // Certifying a signed document is refused (409), in words.
    await page.click(`#dossier-documents tr[data-document="${signMe.id}"] button[data-do="certify"]`);
    const conflict = await page.waitForSelector('#action-status [role="alert"]');
    assert.match(await conflict.innerText(), /HTTP 409/);
  });
});

// --- citizen ------------------------------------------------------------------------------------

let citizenDossier;
let citizenDocument;

test('citizen: logs in with CCCD and password and sees only their own dossiers', async () => {
  citizenDossier = await newDossier(CITIZEN.name, CITIZEN.cccd);
  citizenDocument = await addResult(citizenDossier.id, 'Tờ khai đăng ký hộ kinh doanh');
  const someoneElse = await newDossier('Đỗ Thị Lan', '001190009876');
  await onPage('/citizen', 'citizen', async (page) => {
    await checkLanguages(page, 'Cổng công dân', 'Citizen portal');

    await page.fill('#login-cccd', CITIZEN.cccd);
    await page.fill('#login-password', 'sai-mat-khau-0');
    await page.click('#login-form button[type="submit"]');
    const refused = await page.waitForSelector('#login-status [role="alert"]');
    assert.match(await refused.innerText(), /Số CCCD hoặc mật khẩu không đúng\./);
    assert.match(await refused.innerText(), /HTTP 401/);
    assert.equal(await page.inputValue('#login-password'), '', 'the password is not kept');

    await page.fill('#login-password', CITIZEN.password);
    await page.click('#login-form button[type="submit"]');
    await outcome(page, 'body', '#mine-panel:not([hidden])');
    assert.equal(await page.locator('#who').innerText(), CITIZEN.cccd);
    const mine = page.locator(`#dossiers tr[data-code="${citizenDossier.code}"]`);
    await mine.waitFor();
    assert.equal(await page.locator(`#dossiers tr[data-code="${someoneElse.code}"]`).count(), 0,
      "another citizen's dossier is not listed");
  });
});

test('citizen: signs remotely with the PIN and the OTP sent, and downloads the result', async () => {
  assert.ok(citizenDocument, 'the document of the previous test');
  await onPage('/citizen', 'citizen-signed', async (page) => {
    await page.fill('#login-cccd', CITIZEN.cccd);
    await page.fill('#login-password', CITIZEN.password);
    await page.click('#login-form button[type="submit"]');
    await outcome(page, 'body', '#mine-panel:not([hidden])');
    await page.click(`#dossiers tr[data-code="${citizenDossier.code}"] button`);
    const sign = `#dossier-documents tr[data-document="${citizenDocument.id}"] button[data-do="remote-sign"]`;
    await page.click(sign);
    await outcome(page, '#dossier-panel', '#sign-panel:not([hidden])', 30_000);
    assert.match(await page.locator('#sign-challenge').innerText(), /Mã OTP đã được gửi tới bạn/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'citizen-otp.png'), fullPage: true });

    const outbox = await fetch(`${base}/csc/admin/outbox?credential=${encodeURIComponent(credential)}`, {
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
    }).then((r) => r.json());
    const newest = outbox.messages.reduce((a, b) => (a.seq > b.seq ? a : b));
    const otp = /Mã OTP ký số của bạn: (\d+)/.exec(newest.message)[1];

    // A wrong PIN first: refused in words, and the form stays for another try.
    await page.fill('#pin', '000000');
    await page.fill('#otp', otp);
    await page.click('#sign-form button[type="submit"]');
    const wrong = await page.waitForSelector('#sign-status [role="alert"]');
    assert.match(await wrong.innerText(), /PIN[^]*\(HTTP 4\d\d, [a-z_]+\)/);
    assert.equal(await page.inputValue('#pin'), '', 'the PIN is not kept');

    // Start again for a fresh code, then the right PIN.
    await page.click(sign);
    await outcome(page, '#dossier-panel', '#sign-panel:not([hidden])', 30_000);
    const again = await fetch(`${base}/csc/admin/outbox?credential=${encodeURIComponent(credential)}`, {
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
    }).then((r) => r.json());
    const fresh = /Mã OTP ký số của bạn: (\d+)/.exec(again.messages.reduce((a, b) => (a.seq > b.seq ? a : b)).message)[1];
    await page.fill('#pin', CITIZEN.pin);
    await page.fill('#otp', fresh);
    await page.click('#sign-form button[type="submit"]');
    const signed = await outcome(page, '#sign-status', '#signed', 60_000);
    assert.match(await signed.innerText(), /Đã ký thành công «Tờ khai đăng ký hộ kinh doanh»: nay là phiên bản 2\./);
    const row = page.locator(`#dossier-documents tr[data-document="${citizenDocument.id}"]`);
    assert.equal(await row.getAttribute('data-action'), 'remote-sign');
    const link = await outcome(page, '#preview', 'a.pdf-link');
    assert.match(await link.getAttribute('href'), /^blob:/);
    assert.match(await link.getAttribute('download'), /\.pdf$/);

    // The signed copy verifies, with the citizen as signer.
    const pdf = await download(page, link);
    const report = await api('POST', '/api/verify?format=json', { body: pdf, type: 'application/pdf' });
    assert.equal(report.signatures.length, 1);
    assert.equal(report.signatures[0].signer.common_name, CITIZEN.name);
  });
});
