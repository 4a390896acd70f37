//! The signature stamp (`kyso::sign::appearance`) and its embedded subset font judged by
//! independent tools: `pdffonts`, `pdftotext` (text and word boxes), `qpdf --check`, and
//! pikepdf's PDF/A-2b validator on a kyso PDF/A page with the stamp laid over it. Set
//! `KYSO_PDF_OUT` to a directory to keep the PDFs for a look.

use std::path::{Path, PathBuf};
use std::process::Command;

use kyso::pdf::object::{Dict, FileWriter, Obj, PendingObject, RefAllocator, deflate, real};
use kyso::pdf::{DocumentInfo, ImageData, PageImage, PageSpec, PdfAPart, write_pdfa};
use kyso::sign::appearance::{StampText, stamp};

use crate::support::{repo_root, run, stderr, stdout};

const FONT: &str = "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf";
const A4: [f64; 4] = [0.0, 0.0, 595.276, 841.89];

fn text() -> StampText {
    StampText {
        signer: "Phạm Minh Đức".to_owned(),
        organization: Some("Ủy ban nhân dân tỉnh Hưng Yên".to_owned()),
        signed_at: "2026-11-22T14:05:09+07:00".to_owned(),
    }
}

const EXPECTED_LINES: [&str; 3] = [
    "Ký bởi: Phạm Minh Đức",
    "Cơ quan: Ủy ban nhân dân tỉnh Hưng Yên",
    "Thời gian ký: 2026-11-22T14:05:09+07:00",
];

struct Out {
    _temp: Option<tempfile::TempDir>,
    dir: PathBuf,
}

fn out_dir() -> Out {
    match std::env::var_os("KYSO_PDF_OUT") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            std::fs::create_dir_all(&dir).unwrap();
            Out { _temp: None, dir }
        }
        None => {
            let temp = tempfile::tempdir().unwrap();
            let dir = temp.path().to_owned();
            Out {
                _temp: Some(temp),
                dir,
            }
        }
    }
}

/// A one-page PDF showing the stamp as page content: `q 1 0 0 1 llx lly cm /Stamp Do Q`
/// puts the form (its /Matrix included) exactly on the appearance's /Rect.
fn stamped_page(page_box: [f64; 4], rotate: i32) -> Vec<u8> {
    let font = std::fs::read(FONT).expect("fonts-liberation2 is installed");
    let mut alloc = RefAllocator::default();
    let catalog = alloc.alloc();
    let pages = alloc.alloc();
    let page = alloc.alloc();
    let contents = alloc.alloc();
    let appearance = stamp(&text(), &font, page_box, rotate, &mut alloc).unwrap();

    let mut w = FileWriter::new();
    w.object(
        catalog,
        &Dict::new()
            .set("Type", Obj::name("Catalog"))
            .set("Pages", pages)
            .into(),
    );
    w.object(
        pages,
        &Dict::new()
            .set("Type", Obj::name("Pages"))
            .set("Kids", Obj::Array(vec![page.into()]))
            .set("Count", 1)
            .into(),
    );
    w.object(
        page,
        &Dict::new()
            .set("Type", Obj::name("Page"))
            .set("Parent", pages)
            .set("MediaBox", Obj::reals(&page_box))
            .set("Rotate", rotate)
            .set(
                "Resources",
                Dict::new().set("XObject", Dict::new().set("Stamp", appearance.normal)),
            )
            .set("Contents", contents)
            .into(),
    );
    let [llx, lly, _, _] = appearance.rect;
    let content = format!("q 1 0 0 1 {} {} cm /Stamp Do Q\n", real(llx), real(lly));
    w.stream(
        contents,
        Dict::new().set("Filter", Obj::name("FlateDecode")),
        &deflate(content.as_bytes()),
    );
    for object in &appearance.objects {
        match object {
            PendingObject::Object(id, obj) => w.object(*id, obj),
            PendingObject::Stream(id, dict, data) => w.stream(*id, dict.clone(), data),
        }
    }
    w.finish(alloc.size(), catalog, None)
}

fn save(out: &Out, name: &str, bytes: &[u8]) -> PathBuf {
    let path = out.dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn assert_qpdf_clean(path: &Path) {
    let output = run(Command::new("qpdf").arg("--check").arg(path));
    let text = stdout(&output) + &stderr(&output);
    assert!(output.status.success(), "{text}");
    assert!(
        text.contains("No syntax or stream encoding errors found"),
        "{text}"
    );
    assert!(!text.to_lowercase().contains("warning"), "{text}");
}

/// The text as pdftotext extracts it, with the page's /Rotate applied.
fn pdftotext(path: &Path) -> String {
    let output = run(Command::new("pdftotext").arg(path).arg("-"));
    assert!(output.status.success(), "{}", stderr(&output));
    stdout(&output)
}

/// Words with their boxes (xMin, yMin, xMax, yMax; y down from the top of the page as
/// shown) and the page size it reports, from `pdftotext -bbox`.
fn word_boxes(path: &Path) -> (f64, f64, Vec<(String, [f64; 4])>) {
    let output = run(Command::new("pdftotext").arg("-bbox").arg(path).arg("-"));
    assert!(output.status.success(), "{}", stderr(&output));
    let html = stdout(&output);
    let attr = |tag: &str, name: &str| -> f64 {
        let at = tag.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        tag[at..].split('"').next().unwrap().parse().unwrap()
    };
    let page = html.lines().find(|l| l.contains("<page ")).unwrap();
    let (width, height) = (attr(page, "width"), attr(page, "height"));
    let words = html
        .lines()
        .filter(|l| l.contains("<word "))
        .map(|l| {
            let text = l.split('>').nth(1).unwrap().split('<').next().unwrap();
            let b = ["xMin", "yMin", "xMax", "yMax"].map(|n| attr(l, n));
            (text.to_owned(), b)
        })
        .collect();
    (width, height, words)
}

#[test]
fn stamp_font_is_embedded_subset_with_unicode_and_extracts_as_nfc() {
    let out = out_dir();
    let path = save(&out, "stamp-a4.pdf", &stamped_page(A4, 0));
    assert_qpdf_clean(&path);

    let output = run(Command::new("pdffonts").arg(&path));
    let listing = stdout(&output);
    assert!(output.status.success(), "{listing}");
    let fonts: Vec<&str> = listing.lines().skip(2).collect();
    assert_eq!(fonts.len(), 1, "{listing}");
    let cols: Vec<&str> = fonts[0].split_whitespace().collect();
    let n = cols.len();
    // name, type "CID TrueType", encoding, emb, sub, uni, object, generation
    let (tag, name) = cols[0].split_once('+').expect("a subset tag");
    assert_eq!(name, "LiberationSerif", "{listing}");
    assert!(
        tag.len() == 6 && tag.bytes().all(|b| b.is_ascii_uppercase()),
        "{listing}"
    );
    assert!(fonts[0].contains("CID TrueType") && fonts[0].contains("Identity-H"));
    assert_eq!(
        &cols[n - 5..n - 2],
        &["yes", "yes", "yes"],
        "emb sub uni: {listing}"
    );

    let extracted = pdftotext(&path);
    let lines: Vec<&str> = extracted.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines, EXPECTED_LINES, "{extracted:?}");
    // NFC: "Đức" is U+0110 U+1EE9 U+0063, not D + combining marks.
    assert!(extracted.contains("\u{110}\u{1EE9}c"), "{extracted:?}");
    assert!(
        !extracted
            .chars()
            .any(|c| ('\u{300}'..='\u{36F}').contains(&c))
    );

    // fontTools reads the embedded program: every CID's /W width is its glyph's hmtx
    // advance (ISO 19005-2 §6.2.11.5), no CID shows .notdef, and the subset is small.
    let script = "import sys, json, zlib, pikepdf\n\
        from io import BytesIO\n\
        from fontTools.ttLib import TTFont\n\
        pdf = pikepdf.open(sys.argv[1])\n\
        t0 = pdf.pages[0].Resources.XObject.Stamp.Resources.Font.F1\n\
        cf = t0.DescendantFonts[0]\n\
        tt = TTFont(BytesIO(cf.FontDescriptor.FontFile2.read_bytes()))\n\
        m = cf.CIDToGIDMap.read_bytes()\n\
        w = cf.W\n\
        first, ws = int(w[0]), [float(x) for x in w[1]]\n\
        order = tt.getGlyphOrder()\n\
        bad = []\n\
        for i, width in enumerate(ws):\n\
        \x20   cid = first + i\n\
        \x20   gid = m[2 * cid] * 256 + m[2 * cid + 1]\n\
        \x20   adv = tt['hmtx'][order[gid]][0] * 1000 / tt['head'].unitsPerEm\n\
        \x20   if gid == 0 or abs(adv - width) > 1e-3: bad.append([cid, gid, width, adv])\n\
        print(json.dumps({'cids': len(ws), 'glyphs': tt['maxp'].numGlyphs, 'bad': bad}))\n";
    let root = repo_root();
    let output = run(Command::new(root.join(".venv/bin/python"))
        .arg("-c")
        .arg(script)
        .arg(&path));
    assert!(output.status.success(), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let distinct: std::collections::BTreeSet<char> =
        EXPECTED_LINES.iter().flat_map(|l| l.chars()).collect();
    assert_eq!(report["cids"], distinct.len(), "{report}");
    assert_eq!(report["bad"], serde_json::json!([]), "{report}");
    let glyphs = report["glyphs"].as_u64().unwrap() as usize;
    assert!(
        glyphs > distinct.len() && glyphs < distinct.len() + 20,
        "{report}"
    );

    // Top right, 1 cm (28.35 pt) from the edges.
    let (width, _, words) = word_boxes(&path);
    let (_, first) = words.iter().find(|(w, _)| w == "Ký").unwrap();
    assert!(first[1] > 28.0 && first[1] < 45.0, "{first:?}");
    let right = words.iter().map(|(_, b)| b[2]).fold(0.0, f64::max);
    assert!(right < width - 28.35 && right > width - 45.0, "{right}");
}

#[test]
fn stamp_reads_upright_at_the_shown_top_right_of_rotated_pages() {
    let out = out_dir();
    for rotate in [90, 180, 270] {
        let path = save(
            &out,
            &format!("stamp-rotate-{rotate}.pdf"),
            &stamped_page(A4, rotate),
        );
        assert_qpdf_clean(&path);
        let extracted = pdftotext(&path);
        let lines: Vec<&str> = extracted.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines, EXPECTED_LINES, "/Rotate {rotate}: {extracted:?}");

        // pdftotext gives the word boxes in the page as shown, but the unrotated size.
        let (box_width, box_height, words) = word_boxes(&path);
        assert_eq!((box_width, box_height), (A4[2], A4[3]));
        let (width, height) = if rotate == 180 {
            (A4[2], A4[3])
        } else {
            (A4[3], A4[2])
        };
        assert_eq!(words.len(), 18, "{words:?}");
        for (word, b) in &words {
            // Upright words are wider than tall and sit in the shown top-right corner.
            if word.chars().count() >= 3 {
                assert!(b[2] - b[0] > b[3] - b[1], "/Rotate {rotate}: {word} {b:?}");
            }
            assert!(
                b[0] > width / 2.0 && b[2] < width - 28.0,
                "{rotate}: {word} {b:?}"
            );
            assert!(
                b[1] > 28.0 && b[3] < 100.0,
                "/Rotate {rotate}: {word} {b:?}"
            );
            assert!(b[0] >= 0.0 && b[3] <= height);
        }
    }
}

/// A kyso PDF/A-2b page with the stamp page laid over it by pikepdf (which copies our
/// form, font and font file as they are), then judged by pikepdf's PDF/A validator.
#[test]
fn stamp_over_a_pdfa_page_stays_pdfa_2b() {
    let out = out_dir();
    let page = PageSpec {
        image: PageImage {
            data: ImageData::Gray8(vec![255; 248 * 351]),
            width_px: 248,
            height_px: 351,
        },
        dpi: 30.0,
        quarter_turns: 0,
        skew_degrees: 0.0,
        lines: Vec::new(),
    };
    let info = DocumentInfo {
        part: PdfAPart::A2b,
        title: Some("Kết quả giải quyết".into()),
        dossier_code: None,
        creator_tool: "kyso test".into(),
        created: time::macros::datetime!(2026-11-22 14:05:09 +07:00),
        language: "vi-VN".into(),
    };
    let base = save(&out, "pdfa-base.pdf", &write_pdfa(&[page], &info).unwrap());
    let overlay = save(&out, "stamp-overlay.pdf", &stamped_page(A4, 0));
    let merged = out.dir.join("pdfa-stamped.pdf");
    let root = repo_root();
    let script = "import sys, pikepdf\n\
        base = pikepdf.open(sys.argv[1])\n\
        over = pikepdf.open(sys.argv[2])\n\
        base.pages[0].add_overlay(over.pages[0])\n\
        base.save(sys.argv[3])\n";
    let output = run(Command::new(root.join(".venv/bin/python"))
        .arg("-c")
        .arg(script)
        .arg(&base)
        .arg(&overlay)
        .arg(&merged));
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(pdftotext(&merged).contains(EXPECTED_LINES[0]));

    let output = run(Command::new(root.join(".venv/bin/python"))
        .arg(root.join("tests/py/judge_pdfa.py"))
        .arg(&merged)
        .arg("2b"));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output))
        .unwrap_or_else(|e| panic!("judge output {:?}: {e}", stdout(&output)));
    assert_eq!(report["verdict"], "pass", "{report:#}");
}
