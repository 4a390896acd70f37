// The verifier: anyone drops or chooses a PDF; it goes to POST /api/verify (no token) and the
// report comes back as JSON, shown in words per signature (report.js) with the raw JSON
// below, folded. A language switch words the same report again.

import { $, status, showError, call, onLanguage, size } from './app.js';
import { renderReport } from './report.js';

let shown = null;

async function check(file) {
  const box = $('verify-status');
  const panel = $('report-panel');
  if (!file) return;
  status(box, 'verify.checking', { name: file.name, size: size(file.size) });
  panel.hidden = true;
  shown = null;
  try {
    const report = await call('/api/verify?format=json', {
      method: 'POST', body: file, type: 'application/pdf',
    });
    shown = report;
    draw();
    status(box, 'verify.checked', { name: file.name }, 'ok');
    panel.hidden = false;
  } catch (error) {
    showError(box, error);
  }
}

function draw() {
  if (!shown) return;
  $('report').replaceChildren(...renderReport(shown));
  $('raw-json').textContent = JSON.stringify(shown, null, 2);
}

onLanguage(draw);

$('file').addEventListener('change', (event) => {
  check(event.target.files[0]);
});

const drop = $('drop');
for (const name of ['dragenter', 'dragover']) {
  drop.addEventListener(name, (event) => {
    event.preventDefault();
    drop.classList.add('over');
  });
}
for (const name of ['dragleave', 'drop']) {
  drop.addEventListener(name, () => drop.classList.remove('over'));
}
drop.addEventListener('drop', (event) => {
  event.preventDefault();
  const file = event.dataTransfer && event.dataTransfer.files[0];
  if (file) check(file);
});
// A PDF dropped outside the zone must not replace the page.
for (const name of ['dragover', 'drop']) {
  window.addEventListener(name, (event) => event.preventDefault());
}
