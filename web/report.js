// The verification report (schema kyso.verify/1, docs/verify-report.md) in words, for people:
// a summary for the file, then per signature the verdict, the signer, the signing time, the
// integrity and every later change, the PAdES level, the revocation status and the findings
// as sentences saying what to do. The wording follows `kyso verify`'s own report
// (src/verify/render/); both languages sit side by side, as there. Unknown enum values and
// finding codes (the schema may add some) are shown as they are, never dropped.

import { el, lang, when } from './app.js';

/** The text in the current language. */
const w = (vi, en) => (lang() === 'en' ? en : vi);

const INDICATION = {
  TOTAL_PASSED: ['Hợp lệ', 'Valid'],
  INDETERMINATE: ['Chưa xác định được', 'Cannot be confirmed'],
  TOTAL_FAILED: ['Không hợp lệ', 'Invalid'],
};

const SUB_INDICATION = {
  FORMAT_FAILURE: ['chữ ký không đúng định dạng (vùng được ký, dữ liệu chữ ký CMS hoặc SubFilter bị hỏng).', 'the signature is malformed (its byte range, CMS data or SubFilter).'],
  HASH_FAILURE: ['tài liệu đã bị sửa sau khi ký, hoặc bị thay đổi theo cách mà chữ ký không cho phép.', 'the document was altered after signing, or changed in a way the signature does not allow.'],
  SIG_CRYPTO_FAILURE: ['giá trị chữ ký không khớp với khoá công khai của người ký (chữ ký giả hoặc bị hỏng).', "the signature value does not match the signer's public key (forged or damaged)."],
  REVOKED: ['chứng thư số của người ký đã bị thu hồi trước thời điểm ký.', "the signer's certificate was revoked before the signing time."],
  EXPIRED: ['chứng thư số của người ký đã hết hạn vào thời điểm ký.', "the signer's certificate had expired at the signing time."],
  NOT_YET_VALID: ['chứng thư số của người ký chưa có hiệu lực vào thời điểm ký.', "the signer's certificate was not yet valid at the signing time."],
  SIG_CONSTRAINTS_FAILURE: ['thuộc tính của chữ ký bị thiếu hoặc không nhất quán, hoặc dấu thời gian không hợp lệ.', 'signed attributes are missing or inconsistent, or a timestamp does not check out.'],
  CHAIN_CONSTRAINTS_FAILURE: ['một chứng thư số trong chuỗi vi phạm ràng buộc (quyền cấp chứng thư, mục đích sử dụng khoá, độ dài chuỗi).', 'a certificate of the chain breaks a constraint (CA flag, key usage, path length).'],
  CERTIFICATE_CHAIN_GENERAL_FAILURE: ['chữ ký trên một chứng thư số trong chuỗi không hợp lệ.', 'the signature on a certificate of the chain does not verify.'],
  NO_SIGNING_CERTIFICATE_FOUND: ['tệp không chứa chứng thư số của người ký.', "the signer's certificate is not in the file."],
  NO_CERTIFICATE_CHAIN_FOUND: ['không dựng được chuỗi chứng thư số tới một chứng thư số gốc tin cậy.', 'no chain to a trusted root certificate could be built.'],
  REVOKED_NO_POE: ['chứng thư số của người ký đã bị thu hồi và không có dấu thời gian tin cậy chứng minh chữ ký được tạo trước đó.', "the signer's certificate is revoked and no trusted timestamp proves the signature came before."],
  OUT_OF_BOUNDS_NO_POE: ['chứng thư số của người ký nay đã hết hạn hoặc chưa có hiệu lực, và không có dấu thời gian tin cậy chứng minh chữ ký được tạo khi chứng thư số còn hiệu lực.', "the signer's certificate is outside its validity now, and no trusted timestamp proves the signature was made while it was valid."],
  CRYPTO_CONSTRAINTS_FAILURE_NO_POE: ['chữ ký dùng thuật toán hoặc độ dài khoá không còn đủ an toàn, và không có dấu thời gian tin cậy chứng minh chữ ký được tạo khi thuật toán đó còn được chấp nhận.', 'the signature relies on an algorithm or key size that is no longer strong enough, and no trusted timestamp proves it was made while that algorithm was still accepted.'],
  TRY_LATER: ['không kiểm tra được tình trạng thu hồi chứng thư số: tệp không chứa dữ liệu thu hồi và không kết nối được máy chủ OCSP/CRL. Hãy thử lại khi có mạng.', "the certificate's revocation status could not be checked: the file holds no revocation data and the OCSP/CRL servers could not be reached. Try again when online."],
};

const HIERARCHY = {
  public: ['công cộng (chứng thư số cấp cho cá nhân, tổ chức)', 'public (certificates for citizens and organisations)'],
  government_special_use: ['chữ ký số chuyên dùng Chính phủ', 'government special-use (chữ ký số chuyên dùng Chính phủ)'],
  unknown: ['không xác định (chuỗi chứng thư số không thuộc hệ thống đã biết)', 'unknown (the chain leads to no known hierarchy)'],
};

const IDENTITY = {
  CCCD: ['Căn cước công dân', 'Citizen ID card (CCCD)'],
  CMND: ['Chứng minh nhân dân', 'Former ID card (CMND)'],
  HC: ['Hộ chiếu', 'Passport (HC)'],
  MST: ['Mã số thuế', 'Tax code (MST)'],
  MNS: ['Mã số đơn vị quan hệ ngân sách', 'State budget unit code (MNS)'],
};

const PADES = {
  'B-B': ['chữ ký cơ bản, thời điểm ký chưa được chứng minh', 'basic signature, the signing time is not proven'],
  'B-T': ['có dấu thời gian chứng minh thời điểm ký', 'with a timestamp proving the signing time'],
  'B-LT': ['có dấu thời gian và dữ liệu kiểm tra dài hạn trong tệp', 'with a timestamp and long-term validation data in the file'],
  'B-LTA': ['có dấu thời gian lưu trữ, kiểm tra được lâu dài', 'with an archive timestamp, verifiable in the long term'],
};

const DOC_MDP = {
  no_changes: ['không cho phép thay đổi gì ngoài bổ sung dữ liệu kiểm tra dài hạn và dấu thời gian', 'allows no change beyond validation data and timestamps'],
  form_filling: ['chỉ cho phép điền biểu mẫu và ký thêm', 'allows only form filling and further signatures'],
  annotations: ['chỉ cho phép điền biểu mẫu, ký thêm và thêm chú thích', 'allows only form filling, further signatures and annotations'],
};

const LEVEL = {
  none: ['không có thay đổi', 'no change'],
  dss: ['bổ sung dữ liệu kiểm tra dài hạn, dấu thời gian hoặc thông tin mô tả', 'validation data, timestamps or metadata added'],
  form_filling: ['điền biểu mẫu hoặc thêm chữ ký', 'form filling or new signatures'],
  annotations: ['thêm hoặc sửa chú thích', 'annotations added or changed'],
  other: ['thay đổi có thể làm khác nội dung hiển thị', 'changes that may alter what the document shows'],
};
const LEVEL_ORDER = ['none', 'dss', 'form_filling', 'annotations', 'other'];

/** A value from one of the tables above, or the value itself when the schema grew. */
const pick = (table, value) => (table[value] ? w(...table[value]) : String(value));

function count(n, kind) {
  const s = n === 1 ? '' : 's';
  return kind === 'document_timestamp'
    ? w(`${n} dấu thời gian tài liệu`, `${n} document timestamp${s}`)
    : w(`${n} chữ ký`, `${n} signature${s}`);
}

function countWithVerdict(n, kind, indication) {
  const what = count(n, kind);
  const are = n === 1 ? 'is' : 'are';
  if (indication === 'TOTAL_FAILED') return w(`${what} KHÔNG hợp lệ`, `${what} ${are} INVALID`);
  return w(`${what} chưa xác định được`, `${what} cannot be confirmed`);
}

/** The one line to read if nothing else. */
function summary(report) {
  const sigs = report.signatures;
  if (sigs.length === 0) {
    return w('Tài liệu không có chữ ký số nào; không có gì để xác nhận.',
      'The document has no digital signature; there is nothing to confirm.');
  }
  const n = (kind, indication) => sigs.filter((s) => s.kind === kind
    && (indication === undefined || s.indication === indication)).length;
  const signatures = n('signature');
  const stamps = n('document_timestamp');
  let what;
  if (stamps === 0) what = count(signatures, 'signature');
  else if (signatures === 0) what = count(stamps, 'document_timestamp');
  else what = w(`${count(signatures, 'signature')} và ${count(stamps, 'document_timestamp')}`,
    `${count(signatures, 'signature')} and ${count(stamps, 'document_timestamp')}`);
  const bad = [];
  for (const indication of ['TOTAL_FAILED', 'INDETERMINATE']) {
    for (const kind of ['signature', 'document_timestamp']) {
      const k = n(kind, indication);
      if (k > 0) bad.push(countWithVerdict(k, kind, indication));
    }
  }
  let verdict;
  if (bad.length > 0) verdict = bad.join(', ');
  else if (sigs.length === 1) {
    const noun = sigs[0].kind === 'document_timestamp' ? w('dấu thời gian', 'timestamp') : w('chữ ký', 'signature');
    verdict = w(`${noun} hợp lệ`, 'it is valid');
  } else verdict = w('tất cả đều hợp lệ', 'all are valid');
  let line = w(`Tài liệu có ${what}; ${verdict}.`, `The document has ${what}; ${verdict}.`);
  if (report.unsigned_changes.some((c) => LEVEL_ORDER.indexOf(c.level) > 1)) {
    line += w(' Lưu ý: tệp có thay đổi sau chữ ký cuối cùng mà không chữ ký nào bảo đảm (xem cuối báo cáo).',
      ' Note: the file was changed after the last signature, and no signature covers that (see the end of the report).');
  }
  return line;
}

function integrity(sig) {
  if (!sig.intact) {
    return w('KHÔNG — phần tài liệu đã ký đã bị sửa, không còn khớp với chữ ký.',
      'NO — the signed part of the document was altered and no longer matches the signature.');
  }
  if (sig.coverage === 'partial') {
    return w('chưa bảo đảm — vùng được ký không trọn một phiên bản của tệp.',
      'not assured — the signed bytes are not a whole revision of the file.');
  }
  if (sig.coverage === 'entire_file') {
    return w('tài liệu không bị thay đổi kể từ khi ký.', 'the document is unchanged since this signature.');
  }
  switch (sig.modification_level) {
    case 'none':
    case 'dss':
      return w('nội dung tài liệu không bị thay đổi kể từ khi ký.', "the document's content is unchanged since this signature.");
    case 'form_filling':
    case 'annotations':
      return w('phần đã ký không bị sửa; sau khi ký có thêm chữ ký, điền biểu mẫu hoặc chú thích.',
        'the signed part is unaltered; signatures, form fields or annotations were added after it.');
    default:
      return w('KHÔNG — sau khi ký, tài liệu đã bị thay đổi theo cách có thể làm khác nội dung hiển thị (bản đã ký vẫn còn nguyên trong tệp).',
        'NO — after signing, the document was changed in ways that may alter what it shows (the signed revision is still in the file).');
  }
}

function change(c) {
  const x = c.what || {};
  let what;
  switch (x.kind) {
    case 'validation_data': what = w('thêm dữ liệu kiểm tra dài hạn (DSS)', 'long-term validation data (DSS) added'); break;
    case 'metadata': what = w('cập nhật thông tin mô tả tài liệu', 'document metadata updated'); break;
    case 'document_timestamp': what = w(`thêm dấu thời gian tài liệu (trường «${x.field}»)`, `document timestamp added (field «${x.field}»)`); break;
    case 'signature': what = w(`thêm chữ ký hoặc ô chữ ký «${x.field}»`, `signature or signature field «${x.field}» added`); break;
    case 'field_value': what = w(`giá trị trường biểu mẫu «${x.field}» bị thay đổi`, `value of the form field «${x.field}» changed`); break;
    case 'annotation': what = x.page
      ? w(`thêm hoặc sửa chú thích (${x.subtype}) trên trang ${x.page}`, `annotation (${x.subtype}) added or changed on page ${x.page}`)
      : w(`thêm hoặc sửa chú thích (${x.subtype})`, `annotation (${x.subtype}) added or changed`); break;
    case 'page_content': what = x.page
      ? w(`trang ${x.page} bị thay đổi nội dung (đối tượng ${x.object})`, `page ${x.page} content changed (object ${x.object})`)
      : w(`nội dung trang bị thay đổi (đối tượng ${x.object})`, `page content changed (object ${x.object})`); break;
    case 'object': what = w(`đối tượng ${x.object} bị thay thế hoặc xoá: ${x.detail}`, `object ${x.object} replaced or freed: ${x.detail}`); break;
    case 'restructured': what = w('tệp bị ghi lại toàn bộ, phiên bản đã ký không còn nằm trong lịch sử của tệp', 'the file was rewritten; the signed revision is no longer part of its history'); break;
    default: what = JSON.stringify(x);
  }
  return w(`${what} — lần cập nhật thứ ${c.revision}`, `${what} — update ${c.revision}`);
}

function finding(f) {
  const d = f.detail;
  switch (f.code) {
    case 'byte_range_invalid': return w(`Vùng dữ liệu được ký (/ByteRange) không hợp lệ: ${d}. Tệp có thể đã bị can thiệp hoặc do phần mềm lỗi tạo ra; hãy yêu cầu người gửi cung cấp lại bản gốc.`, `The signed byte range (/ByteRange) is invalid: ${d}. The file may have been tampered with or made by faulty software; ask the sender for the original.`);
    case 'sub_filter_unsupported': return w(`Định dạng chữ ký «${f.sub_filter}» chưa được hỗ trợ kiểm tra; hãy kiểm tra chữ ký này bằng phần mềm khác.`, `The signature format «${f.sub_filter}» is not supported; check this signature with other software.`);
    case 'cms_unreadable': return w(`Không đọc được dữ liệu chữ ký (CMS): ${d}. Chữ ký bị hỏng; hãy đề nghị người ký ký lại.`, `The signature data (CMS) cannot be read: ${d}. The signature is damaged; ask the signer to sign again.`);
    case 'digest_mismatch': return w('Nội dung tài liệu không khớp với chữ ký: tài liệu đã bị sửa sau khi ký. Không sử dụng tệp này; hãy yêu cầu bản gốc.', "The document's content does not match the signature: it was altered after signing. Do not use this file; ask for the original.");
    case 'signature_invalid': return w('Giá trị chữ ký không khớp với khoá công khai trong chứng thư số của người ký: chữ ký bị giả mạo hoặc bị hỏng. Không sử dụng tệp này.', "The signature value does not match the public key in the signer's certificate: the signature is forged or damaged. Do not use this file.");
    case 'signed_attributes': return w(`Thuộc tính được ký của chữ ký bị thiếu hoặc không nhất quán: ${d}.`, `The signature's signed attributes are missing or inconsistent: ${d}.`);
    case 'signer_certificate_missing': return w('Tệp không chứa chứng thư số của người ký nên không xác định được ai đã ký. Hãy đề nghị người ký ký lại bằng phần mềm có đính kèm chứng thư số.', "The file does not hold the signer's certificate, so who signed cannot be established. Ask the signer to sign again with software that embeds the certificate.");
    case 'chain_not_found': return w(`Không dựng được chuỗi chứng thư số từ người ký tới chứng thư số gốc: ${d}.`, `No certificate chain from the signer to a root could be built: ${d}.`);
    case 'untrusted': return w(`Chứng thư số gốc «${f.root}» không nằm trong danh sách tin cậy của máy chủ này.`, `The root certificate «${f.root}» is not among this server's trust anchors.`);
    case 'chain_problem': return w(`Chuỗi chứng thư số có lỗi: ${d}.`, `The certificate chain is faulty: ${d}.`);
    case 'certificate_expired': return w(`Chứng thư số «${f.subject}» đã hết hạn lúc ${when(f.not_after)}. Chữ ký chỉ được công nhận nếu có dấu thời gian tin cậy chứng minh đã ký trước thời điểm đó.`, `The certificate «${f.subject}» expired at ${when(f.not_after)}. The signature only counts if a trusted timestamp proves it was made before then.`);
    case 'certificate_not_yet_valid': return w(`Chứng thư số «${f.subject}» chỉ có hiệu lực từ ${when(f.not_before)}, sau thời điểm ký.`, `The certificate «${f.subject}» is only valid from ${when(f.not_before)}, after the signing time.`);
    case 'revoked': return w(`Chứng thư số «${f.subject}» đã bị thu hồi lúc ${when(f.at)}. Chữ ký tạo sau thời điểm đó không có giá trị.`, `The certificate «${f.subject}» was revoked at ${when(f.at)}. Signatures made after that have no value.`);
    case 'revocation_unknown': return w(`Không xác định được tình trạng thu hồi của chứng thư số «${f.subject}»: ${d}.`, `The revocation status of the certificate «${f.subject}» could not be established: ${d}.`);
    case 'timestamp_invalid': return w(`Dấu thời gian không hợp lệ: ${d}. Thời điểm ký chưa được chứng minh.`, `The timestamp is invalid: ${d}. The signing time is not proven.`);
    case 'timestamp_untrusted': return w(`Đơn vị cấp dấu thời gian không nằm trong danh sách tin cậy: ${d}.`, `The timestamping authority is not trusted: ${d}.`);
    case 'modified_after_signing': return w(`Sau khi ký, tài liệu có ${pick(LEVEL, f.level)}. Hãy đối chiếu với bản gốc trước khi sử dụng.`, `After signing, the document has ${pick(LEVEL, f.level)}. Compare it with the original before relying on it.`);
    case 'doc_mdp_violated': return w(`Chữ ký chứng nhận tài liệu ${pick(DOC_MDP, f.permission)}, nhưng sau khi ký tài liệu có ${pick(LEVEL, f.level)}. Không sử dụng tệp này; hãy yêu cầu bản đã chứng nhận gốc.`, `The certification signature ${pick(DOC_MDP, f.permission)}, yet after signing the document has ${pick(LEVEL, f.level)}. Do not use this file; ask for the original certified copy.`);
    case 'field_locked': return w(`Trường «${f.field}» đã bị khoá bởi chữ ký nhưng vẫn bị thay đổi sau khi ký.`, `The field «${f.field}» is locked by the signature, yet it was changed after signing.`);
    case 'weak_algorithm': return w(`Thuật toán không còn đủ an toàn (${d}); Thông tư 15/2025/TT-BKHCN yêu cầu RSA từ 2048 bit hoặc ECDSA từ 256 bit cùng SHA-2. Hãy đề nghị ký lại bằng chứng thư số và phần mềm mới.`, `The algorithm is no longer strong enough (${d}); Circular 15/2025/TT-BKHCN requires RSA of 2048 bits or more or ECDSA of 256 bits or more, with SHA-2. Ask for a new signature with current certificates and software.`);
    default: return JSON.stringify(f);
  }
}

function signingTime(sig, stamp) {
  if (sig.timestamp) {
    const ts = sig.timestamp;
    const by = ts.authority && !stamp
      ? w(`theo dấu thời gian của «${ts.authority}»`, `per the timestamp of «${ts.authority}»`)
      : w('theo dấu thời gian', 'per the timestamp');
    let quality;
    if (ts.valid && ts.trusted) quality = w('đã xác thực', 'proven');
    else if (ts.valid) quality = w('đơn vị cấp dấu thời gian không nằm trong danh sách tin cậy', 'the timestamping authority is not trusted');
    else quality = w('dấu thời gian KHÔNG hợp lệ, thời điểm chưa được chứng minh', 'the timestamp is INVALID, the time is not proven');
    return `${when(ts.time)} (${by}, ${quality})`;
  }
  if (sig.claimed_time) {
    return `${when(sig.claimed_time)} (${w('theo máy tính của người ký, chưa được xác thực', "as claimed by the signer's computer, not proven")})`;
  }
  return w('không có thông tin', 'not stated');
}

function revocation(r) {
  if (!r) return w('chưa kiểm tra', 'not checked');
  const status = {
    good: () => w('chưa bị thu hồi', 'not revoked'),
    revoked: () => (r.revoked_at ? w(`ĐÃ BỊ THU HỒI lúc ${when(r.revoked_at)}`, `REVOKED at ${when(r.revoked_at)}`) : w('ĐÃ BỊ THU HỒI', 'REVOKED')),
    unknown: () => w('không xác định được', 'unknown'),
    unchecked: () => w('chưa kiểm tra', 'not checked'),
  }[r.status];
  const text = status ? status() : r.status;
  const source = {
    dss: ['dữ liệu kiểm tra dài hạn lưu trong tệp (DSS)', 'validation data stored in the file (DSS)'],
    cms: ['dữ liệu thu hồi đi kèm chữ ký', 'revocation data inside the signature'],
    online: ['tra cứu trực tuyến OCSP/CRL khi kiểm tra', 'fetched online (OCSP/CRL) during this check'],
  }[r.source];
  return source ? w(`${text} (nguồn: ${source[0]})`, `${text} (source: ${source[1]})`) : text;
}

const verdictClass = (indication) => ({
  TOTAL_PASSED: 'pass', INDETERMINATE: 'unsure', TOTAL_FAILED: 'fail',
}[indication] || 'unsure');

/** One signature or document timestamp as a card. */
function signatureCard(sig, number, total) {
  const stamp = sig.kind === 'document_timestamp';
  const noun = stamp ? w('Dấu thời gian tài liệu', 'Document timestamp') : w('Chữ ký', 'Signature');
  const code = sig.sub_indication ? `${sig.indication} / ${sig.sub_indication}` : sig.indication;
  const facts = [];
  const fact = (label, ...value) => facts.push(el('dt', {}, label), el('dd', {}, ...value));

  if (sig.sub_indication) fact(w('Nguyên nhân', 'Why'), pick(SUB_INDICATION, sig.sub_indication));
  const signer = sig.signer;
  if (signer) {
    fact(stamp ? w('Đơn vị cấp dấu thời gian', 'Timestamping authority') : w('Người ký', 'Signer'), signer.common_name);
    if (signer.organization) fact(w('Tổ chức', 'Organisation'), signer.organization);
    for (const id of signer.identities || []) fact(pick(IDENTITY, id.kind), id.value);
    if (!stamp) fact(w('Hệ thống chứng thực', 'Certification hierarchy'), pick(HIERARCHY, signer.hierarchy));
    fact(w('Đơn vị cấp chứng thư số', 'Certificate issued by'), signer.issuer);
    fact(w('Chứng thư số', 'Certificate'), w(
      `số hiệu ${signer.serial}, hiệu lực từ ${when(signer.not_before)} đến ${when(signer.not_after)}`,
      `serial ${signer.serial}, valid from ${when(signer.not_before)} to ${when(signer.not_after)}`));
  } else {
    fact(stamp ? w('Đơn vị cấp dấu thời gian', 'Timestamping authority') : w('Người ký', 'Signer'),
      w('không xác định (tệp không chứa chứng thư số)', 'unknown (the certificate is not in the file)'));
  }
  fact(stamp ? w('Thời điểm đóng dấu', 'Stamped at') : w('Thời điểm ký', 'Signed at'), signingTime(sig, stamp));
  fact(w('Toàn vẹn', 'Integrity'), integrity(sig));
  fact(w('Tin cậy', 'Trust'), sig.trusted
    ? w('chuỗi chứng thư số dẫn tới một chứng thư số gốc tin cậy', 'the certificate chain ends in a trusted root')
    : w('chưa xác lập được chuỗi tới chứng thư số gốc tin cậy', 'no chain to a trusted root was established'));
  if (sig.changes.length > 0) {
    fact(w('Thay đổi sau khi ký', 'Changes after signing'),
      el('ul', {}, ...sig.changes.map((c) => el('li', {}, change(c)))));
  }
  if (sig.certification) fact(w('Chữ ký chứng nhận tài liệu', 'Certification signature'), pick(DOC_MDP, sig.certification));
  if (sig.pades_level) fact(w('Mức PAdES', 'PAdES level'), `${sig.pades_level} (${pick(PADES, sig.pades_level)})`);
  else if (!stamp) fact(w('Mức PAdES', 'PAdES level'), w('không đạt mức cơ bản B-B', 'does not reach the baseline B-B'));
  fact(w('Tình trạng thu hồi', 'Revocation status'), revocation(sig.revocation));
  if (sig.digest_algorithm && sig.signature_algorithm) {
    fact(w('Thuật toán', 'Algorithms'), w(`băm ${sig.digest_algorithm}, ký ${sig.signature_algorithm}`,
      `digest ${sig.digest_algorithm}, signature ${sig.signature_algorithm}`));
  }
  if (sig.reason) fact(w('Lý do ký', 'Reason'), sig.reason);
  if (sig.location) fact(w('Nơi ký', 'Location'), sig.location);
  if (sig.findings.length > 0) {
    fact(w('Cần lưu ý', 'To note'), el('ul', {}, ...sig.findings.map((f) => el('li', {}, finding(f)))));
  }
  return el('article', { class: `signature ${verdictClass(sig.indication)}`, 'data-indication': sig.indication },
    el('h3', {},
      `${noun} ${number}/${total} `,
      el('span', { class: 'muted' }, w(`(trường «${sig.field}»)`, `(field «${sig.field}»)`)), ': ',
      el('span', { class: 'verdict' }, pick(INDICATION, sig.indication)), ' ',
      el('code', {}, `[${code}]`)),
    el('dl', { class: 'facts' }, ...facts));
}

/** The whole report as elements, in the current language. */
export function renderReport(report) {
  const total = report.signatures.length;
  const parts = [
    el('p', { class: `summary ${verdictClass(report.indication)}`, id: 'summary', 'data-indication': report.indication },
      summary(report)),
    el('p', { class: 'muted file-line' }, w(
      `Tệp: ${report.size} byte, ${report.revisions} phiên bản, SHA-256 ${report.sha256}. Kiểm tra lúc ${when(report.validation_time)}.`,
      `File: ${report.size} bytes, ${report.revisions} revision${report.revisions === 1 ? '' : 's'}, SHA-256 ${report.sha256}. Checked at ${when(report.validation_time)}.`)),
    ...report.signatures.map((sig, i) => signatureCard(sig, i + 1, total)),
  ];
  if (report.unsigned_changes.length > 0) {
    parts.push(el('h3', {}, w('Thay đổi sau chữ ký cuối cùng, không chữ ký nào bảo đảm', 'Changes after the last signature, covered by no signature')),
      el('ul', {}, ...report.unsigned_changes.map((c) => el('li', {}, change(c)))));
  }
  return parts;
}
