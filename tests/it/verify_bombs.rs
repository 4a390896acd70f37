//! `kyso verify` on hostile files: decompression bombs (a Flate stream of ~2 MB that inflates
//! to 2 GiB, as a DSS /OCSPs value of a signed file and as the object stream holding the
//! catalog) and nesting 100 000 levels deep (arrays and dictionaries). Each must end with a
//! verdict (exit 1) or a one-line error (exit 2) within seconds, never a panic, a hang or
//! memory in proportion to the inflated size. Peak memory was measured by hand with
//! `/usr/bin/time -f %M` (see fuzz/README.md); here the exit code and the time are asserted.

use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use flate2::{Compress, Compression, FlushCompress};
use kyso::pdf::incremental::{IncrementalUpdate, to_dict};
use kyso::pdf::object::{Dict, Obj, PendingObject};
use kyso::pdf::read::{Document, Object, ObjectId, XrefKind};

use crate::support::{kyso, repo_root, run, stderr, stdout};

/// How long a hostile file may keep `kyso verify` busy.
const DEADLINE: Duration = Duration::from_secs(10);
/// How deep the nesting bombs go.
const LEVELS: usize = 100_000;
/// Inflated size of the decompression bombs: 2 GiB of zeros after a short prefix.
const INFLATED_MIB: usize = 2048;

/// zlib data (RFC 1950) that inflates to `prefix` followed by `INFLATED_MIB` MiB of zeros,
/// made without deflating 2 GiB: one MiB of zeros is compressed once after a 32 KiB run of
/// zeros and a sync flush, so its blocks are byte-aligned and refer back only to zeros; the
/// same bytes are then valid after any earlier copy. The Adler-32 of the whole is computed
/// from the prefix's (zeros leave `a` unchanged and add `a` to `b` per byte).
fn zlib_bomb(prefix: &[u8]) -> Vec<u8> {
    const WINDOW: usize = 32 << 10;
    const CHUNK: usize = 1 << 20;
    fn deflate(compress: &mut Compress, input: &[u8], flush: FlushCompress) -> Vec<u8> {
        let mut out = Vec::with_capacity(input.len() / 100 + 1024);
        let mut read = 0;
        loop {
            out.reserve(64 << 10);
            let before_in = compress.total_in();
            compress
                .compress_vec(&input[read..], &mut out, flush)
                .expect("deflate");
            read += (compress.total_in() - before_in) as usize;
            if read == input.len() && out.len() < out.capacity() {
                return out;
            }
        }
    }
    let mut compress = Compress::new(Compression::best(), true);
    let mut head_input = prefix.to_vec();
    head_input.resize(prefix.len() + WINDOW, 0);
    let mut data = deflate(&mut compress, &head_input, FlushCompress::Sync);
    let chunk = deflate(&mut compress, &vec![0; CHUNK], FlushCompress::Sync);
    let zeros = WINDOW + CHUNK * INFLATED_MIB;
    for _ in 0..INFLATED_MIB {
        data.extend_from_slice(&chunk);
    }
    let mut tail = deflate(&mut compress, &[], FlushCompress::Finish);
    // Replace the encoder's checksum (of what it saw) by the one of the whole.
    tail.truncate(tail.len() - 4);
    data.extend_from_slice(&tail);
    const MOD: u64 = 65521;
    let (mut a, mut b) = (1u64, 0u64);
    for &byte in prefix {
        a = (a + u64::from(byte)) % MOD;
        b = (b + a) % MOD;
    }
    b = (b + a * (zeros as u64 % MOD)) % MOD;
    data.extend_from_slice(&((b << 16 | a) as u32).to_be_bytes());
    data
}

/// The born-digital sample signed by `kyso sign` (B-B, officer key), the victim the
/// signed-file bombs are appended to.
fn signed_sample(dir: &Path) -> Vec<u8> {
    let root = repo_root();
    let password = dir.join("password.txt");
    std::fs::write(&password, "kyso-test").unwrap();
    let out = dir.join("signed.pdf");
    let output = run(kyso()
        .arg("sign")
        .arg(root.join("samples/ket-qua-quyet-dinh.pdf"))
        .arg("-o")
        .arg(&out)
        .arg("--p12")
        .arg(root.join("certs/signers/officer-pham-minh-duc.p12"))
        .arg("--password-file")
        .arg(&password)
        .arg("--ca-certs")
        .arg(root.join("certs/trust")));
    assert!(output.status.success(), "kyso sign: {}", stderr(&output));
    std::fs::read(out).unwrap()
}

/// Appends an update to `pdf` that sets catalog `key` to a new object whose body `make`
/// writes (given the update, to add more objects).
fn with_catalog_entry(
    pdf: &[u8],
    key: &str,
    make: impl FnOnce(&mut IncrementalUpdate<'_, '_>) -> Obj,
) -> Vec<u8> {
    let document = Document::load(pdf).unwrap();
    let Some(Object::Ref(root)) = document.trailer().get("Root").cloned() else {
        panic!("the signed sample's /Root is a reference");
    };
    let mut catalog = to_dict(&document.catalog().unwrap(), root).unwrap();
    let mut update = IncrementalUpdate::new(&document).unwrap();
    let value = make(&mut update);
    catalog.insert(key, value);
    update.replace(root, &Obj::Dict(catalog));
    update.finish().unwrap().bytes
}

/// Appends an update to `pdf` (whose newest cross-reference section is a table) that
/// rewrites object `id` with `body`, written as is: bodies the writer cannot express.
fn with_raw_object(pdf: &[u8], id: ObjectId, body: &[u8]) -> Vec<u8> {
    let document = Document::load(pdf).unwrap();
    let newest = document.revisions().last().unwrap();
    assert_eq!(newest.kind, XrefKind::Table, "a table section to append to");
    let size = document
        .trailer()
        .get("Size")
        .and_then(Object::as_int)
        .unwrap();
    let mut out = pdf.to_vec();
    let at = out.len();
    out.extend_from_slice(format!("{} {} obj\n", id.number, id.generation).as_bytes());
    out.extend_from_slice(body);
    out.extend_from_slice(b"\nendobj\n");
    let xref = out.len();
    out.extend_from_slice(
        format!(
            "xref\n{} 1\n{at:010} {:05} n\r\ntrailer\n<< /Size {size} /Root {} {} R /Prev {} >>\nstartxref\n{xref}\n%%EOF\n",
            id.number, id.generation, id.number, id.generation, newest.xref_offset
        )
        .as_bytes(),
    );
    out
}

/// A stream object body, written as is (the writer would recompute nothing here).
fn raw_stream(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut body = format!("<< {dict} /Length {} >>\nstream\n", data.len()).into_bytes();
    body.extend_from_slice(data);
    body.extend_from_slice(b"\nendstream");
    body
}

/// A complete file with a cross-reference stream (ISO 32000-1 §7.5.8) whose catalog, object
/// 3, sits in object stream 1; `object_stream` is that stream's encoded data.
fn file_with_object_stream(object_stream: &[u8], first: usize) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let one = out.len();
    out.extend_from_slice(b"1 0 obj\n");
    out.extend_from_slice(&raw_stream(
        &format!("/Type /ObjStm /N 1 /First {first} /Filter /FlateDecode"),
        object_stream,
    ));
    out.extend_from_slice(b"\nendobj\n");
    let two = out.len();
    let mut rows = Vec::new();
    for (kind, field2, field3) in [
        (0u8, 0u32, 65535u16),
        (1, one as u32, 0),
        (1, two as u32, 0),
        (2, 1, 0),
    ] {
        rows.push(kind);
        rows.extend_from_slice(&field2.to_be_bytes());
        rows.extend_from_slice(&field3.to_be_bytes());
    }
    out.extend_from_slice(b"2 0 obj\n");
    out.extend_from_slice(&raw_stream(
        "/Type /XRef /Size 4 /W [1 4 2] /Root 3 0 R",
        &rows,
    ));
    out.extend_from_slice(format!("\nendobj\nstartxref\n{two}\n%%EOF\n").as_bytes());
    out
}

/// A classic one-revision file: catalog 1 (with `catalog_extra`), an empty page tree 2 and
/// a trailer with `trailer_extra`.
fn small_file(catalog_extra: &[u8], trailer_extra: &[u8]) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n".to_vec();
    let one = out.len();
    out.extend_from_slice(b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R ");
    out.extend_from_slice(catalog_extra);
    out.extend_from_slice(b" >>\nendobj\n");
    let two = out.len();
    out.extend_from_slice(b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n");
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 3\n0000000000 65535 f\r\n{one:010} 00000 n\r\n{two:010} 00000 n\r\n")
            .as_bytes(),
    );
    out.extend_from_slice(b"trailer\n<< /Size 3 /Root 1 0 R ");
    out.extend_from_slice(trailer_extra);
    out.extend_from_slice(format!(" >>\nstartxref\n{xref}\n%%EOF\n").as_bytes());
    out
}

fn nested(open: &str, close: &str, levels: usize) -> Vec<u8> {
    let mut out = open.repeat(levels).into_bytes();
    out.extend_from_slice(close.repeat(levels).as_bytes());
    out
}

/// Runs `kyso verify --offline` on `bytes` and checks the contract for hostile input:
/// exit 1 (a verdict, on stdout) or 2 (one `kyso: error:` line), no panic, within the
/// deadline. Returns the output for further checks.
fn verify_hostile(dir: &Path, name: &str, bytes: &[u8]) -> Output {
    let file = dir.join(name);
    std::fs::write(&file, bytes).unwrap();
    if let Some(keep) = std::env::var_os("KYSO_KEEP_BOMBS") {
        // For measuring peak memory by hand: /usr/bin/time -f %M kyso verify FILE …
        std::fs::create_dir_all(&keep).unwrap();
        std::fs::copy(&file, Path::new(&keep).join(name)).unwrap();
    }
    let started = Instant::now();
    let output = run(kyso()
        .arg("verify")
        .arg(&file)
        .arg("--trust")
        .arg(repo_root().join("certs/trust"))
        .args(["--offline", "--lang", "en"]));
    let took = started.elapsed();
    let err = stderr(&output);
    assert!(took < DEADLINE, "{name}: kyso verify took {took:?}");
    assert!(
        !err.contains("panicked") && !err.contains("backtrace") && !err.contains("overflow"),
        "{name}: {err}"
    );
    match output.status.code() {
        Some(1) => assert!(!stdout(&output).trim().is_empty(), "{name}: no report"),
        Some(2) => {
            assert_eq!(
                err.trim_end().lines().count(),
                1,
                "{name}: not one line: {err}"
            );
            assert!(err.starts_with("kyso: error: "), "{name}: {err}");
        }
        other => panic!("{name}: exit {other:?}, stderr: {err}"),
    }
    output
}

fn described(output: &Output) -> String {
    format!("stdout:\n{}\nstderr:\n{}", stdout(output), stderr(output))
}

#[test]
fn the_bomb_really_inflates_past_a_gigabyte() {
    // Checked once against the decoder, in pieces so the test itself stays small.
    let bomb = zlib_bomb(b"prefix ");
    assert!(bomb.len() < 3 << 20, "{} bytes compressed", bomb.len());
    let mut decoder = flate2::read::ZlibDecoder::new(&bomb[..]);
    let mut buffer = vec![0; 1 << 20];
    let mut total = 0usize;
    loop {
        let n =
            std::io::Read::read(&mut decoder, &mut buffer).expect("valid zlib with its checksum");
        if n == 0 {
            break;
        }
        total += n;
    }
    assert_eq!(total, 7 + (32 << 10) + (INFLATED_MIB << 20));
    assert!(total > 1 << 30);
}

#[test]
fn dss_ocsp_value_that_inflates_to_2_gib() {
    let dir = tempfile::tempdir().unwrap();
    let signed = signed_sample(dir.path());
    let bomb = zlib_bomb(b"");
    let file = with_catalog_entry(&signed, "DSS", |update| {
        let stream = update.alloc();
        update.add_raw(stream, raw_stream("/Filter /FlateDecode", &bomb));
        Obj::Dict(Dict::new().set("OCSPs", Obj::Array(vec![Obj::Ref(stream)])))
    });
    let output = verify_hostile(dir.path(), "dss-bomb.pdf", &file);
    // The signature is still judged: the bomb is data that cannot be used, not a reason to
    // give no verdict.
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
}

#[test]
fn dss_ocsp_value_in_a_separate_indirect_dss_that_inflates_to_2_gib() {
    let dir = tempfile::tempdir().unwrap();
    let signed = signed_sample(dir.path());
    let bomb = zlib_bomb(b"0\x82");
    let file = with_catalog_entry(&signed, "DSS", |update| {
        let stream = update.alloc();
        update.add_raw(stream, raw_stream("/Filter /FlateDecode", &bomb));
        let dss = update.alloc();
        update.add(PendingObject::Object(
            dss,
            Obj::Dict(
                Dict::new()
                    .set(
                        "OCSPs",
                        Obj::Array(vec![Obj::Ref(stream), Obj::Ref(stream)]),
                    )
                    .set("CRLs", Obj::Array(vec![Obj::Ref(stream)])),
            ),
        ));
        Obj::Ref(dss)
    });
    verify_hostile(dir.path(), "dss-bomb-indirect.pdf", &file);
}

#[test]
fn object_stream_holding_the_catalog_inflates_to_2_gib() {
    let dir = tempfile::tempdir().unwrap();
    let header = b"3 0 ";
    let mut prefix = header.to_vec();
    prefix.extend_from_slice(b"<< /Type /Catalog /Pages 4 0 R /Junk <");
    let file = file_with_object_stream(&zlib_bomb(&prefix), header.len());
    let output = verify_hostile(dir.path(), "objstm-bomb.pdf", &file);
    // Today the verifier reads no catalog and answers "no digital signature" (exit 1);
    // when it refuses the file instead, the reason must be the size.
    if output.status.code() == Some(2) {
        assert!(
            stderr(&output).contains("more than"),
            "{}",
            described(&output)
        );
    }
}

#[test]
fn arrays_nested_100000_deep_in_the_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let mut extra = b"/Deep ".to_vec();
    extra.extend_from_slice(&nested("[", "]", LEVELS));
    let output = verify_hostile(dir.path(), "deep-arrays.pdf", &small_file(&extra, b""));
    if output.status.code() == Some(2) {
        assert!(
            stderr(&output).contains("nesting"),
            "{}",
            described(&output)
        );
    }
}

#[test]
fn dictionaries_nested_100000_deep_in_the_trailer() {
    let dir = tempfile::tempdir().unwrap();
    let mut extra = b"/Deep ".to_vec();
    extra.extend_from_slice(&nested("<< /A ", ">> ", LEVELS));
    let output = verify_hostile(dir.path(), "deep-dicts.pdf", &small_file(b"", &extra));
    assert_eq!(output.status.code(), Some(2), "{}", described(&output));
    assert!(stderr(&output).contains("nesting"), "{}", stderr(&output));
}

#[test]
fn signed_file_whose_newest_catalog_is_nested_100000_deep() {
    // An update after the signature replaces the catalog with one the reader must refuse.
    // The verdict may not be a pass.
    let dir = tempfile::tempdir().unwrap();
    let signed = signed_sample(dir.path());
    let document = Document::load(&signed).unwrap();
    let Some(Object::Ref(root)) = document.trailer().get("Root").cloned() else {
        panic!("the signed sample's /Root is a reference");
    };
    let mut catalog = b"<< /Type /Catalog /Deep ".to_vec();
    catalog.extend_from_slice(&nested("[", "]", LEVELS));
    catalog.extend_from_slice(b" >>");
    let file = with_raw_object(&signed, root, &catalog);
    // Exit 1 or 2, never 0. Today: exit 1, "no digital signature", because the newest
    // catalog cannot be read; the signed revision's signature goes unmentioned.
    verify_hostile(dir.path(), "deep-catalog-signed.pdf", &file);
}

#[test]
fn unclosed_nesting_100000_deep_in_a_signed_file_update() {
    // Opened and never closed, in an object only a signature's field reaches: the verifier
    // meets it while walking the fields after the signed revision.
    let dir = tempfile::tempdir().unwrap();
    let signed = signed_sample(dir.path());
    for (name, open) in [
        ("deep-open-arrays.pdf", "["),
        ("deep-open-dicts.pdf", "<< /K "),
    ] {
        let file = with_catalog_entry(&signed, "AcroForm", |update| {
            let deep = update.alloc();
            update.add_raw(deep, open.repeat(LEVELS).into_bytes());
            Obj::Dict(Dict::new().set("Fields", Obj::Array(vec![Obj::Ref(deep)])))
        });
        verify_hostile(dir.path(), name, &file);
    }
}

#[test]
fn dss_listing_one_bomb_stream_10000_times() {
    // tests/regressions/dss-one-bomb-listed-10000-times.pdf: a signed file whose DSS lists
    // one 65 KB Flate stream (65 MiB of zeros) 10 000 times as /OCSPs. Each listing was
    // inflated to the 64 MiB ceiling and refused again: minutes of work for 210 KB.
    let dir = tempfile::tempdir().unwrap();
    let file = repo_root().join("tests/regressions/dss-one-bomb-listed-10000-times.pdf");
    verify_hostile(
        dir.path(),
        "dss-one-bomb-listed-10000-times.pdf",
        &std::fs::read(file).unwrap(),
    );
}

/// Regression: `verify::changes::roles` read a referenced object again for every reference
/// (10.9 s for this 1.8 MB file on 2026-11-22); each object is now read once per role.
#[test]
fn one_stream_referenced_100000_times_after_the_signature() {
    // Not a decompression bomb: a plain 1 MiB stream that an update lists 100 000 times in
    // a catalog array. Every listing copies the stream's bytes again.
    let dir = tempfile::tempdir().unwrap();
    let signed = signed_sample(dir.path());
    let file = with_catalog_entry(&signed, "Junk", |update| {
        let stream = update.alloc();
        update.add(PendingObject::Stream(stream, Dict::new(), vec![0; 1 << 20]));
        Obj::Array(vec![Obj::Ref(stream); 100_000])
    });
    verify_hostile(dir.path(), "one-stream-referenced-100000-times.pdf", &file);
}
