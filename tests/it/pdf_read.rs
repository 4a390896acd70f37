//! `kyso::pdf::read` and `kyso::digitize::pdf_input` on files made by independent tools:
//! qpdf (QDF, object streams, encryption), img2pdf (JPEG, Flate and G4 pages) and OCRmyPDF
//! (an invisible text layer), plus the born-digital sample, which must be refused.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use kyso::digitize::pdf_input::{
    PdfInputError, ScannedImage, scanned_page, scanned_page_count, scanned_pages,
};
use kyso::pdf::read::{Document, Object, ObjectId, PdfReadError, XrefKind};

use crate::support::{repo_root, run};

fn sample(name: &str) -> PathBuf {
    repo_root().join("samples").join(name)
}

/// Runs a tool that must succeed and returns the bytes it wrote to `out`.
fn made_by(command: &mut Command, out: &Path) -> Vec<u8> {
    let output = run(command);
    assert!(
        output.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::read(out).expect("the tool wrote its output")
}

fn qpdf(dir: &Path, name: &str, args: &[&str]) -> Vec<u8> {
    let out = dir.join(name);
    made_by(
        Command::new("qpdf")
            .args(args)
            .arg(sample("ket-qua-quyet-dinh.pdf"))
            .arg(&out),
        &out,
    )
}

fn img2pdf(dir: &Path, input: &str) -> Vec<u8> {
    let out = dir.join(format!("{input}.pdf"));
    made_by(
        Command::new(repo_root().join(".venv/bin/img2pdf"))
            .arg(sample(input))
            .arg("-o")
            .arg(&out),
        &out,
    )
}

#[test]
fn reads_the_sample_as_qpdf_rewrites_it() {
    let dir = tempfile::tempdir().unwrap();
    let original = std::fs::read(sample("ket-qua-quyet-dinh.pdf")).unwrap();
    let qdf = qpdf(dir.path(), "qdf.pdf", &["--qdf"]);
    let objstm = qpdf(dir.path(), "objstm.pdf", &["--object-streams=generate"]);
    let mut boxes = Vec::new();
    for (name, bytes) in [("original", &original), ("qdf", &qdf), ("objstm", &objstm)] {
        let doc = Document::load(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(doc.revisions().len(), 1, "{name}");
        let pages = doc.pages().unwrap();
        assert_eq!(pages.len(), 2, "{name}");
        for page in &pages {
            let content = page.contents(&doc).unwrap();
            assert!(
                content.windows(2).any(|w| w == b"TJ" || w == b"Tj"),
                "{name}: page content shows text"
            );
        }
        boxes.push(pages[0].media_box);
    }
    assert!(boxes.windows(2).all(|w| w[0] == w[1]));
    let doc = Document::load(&objstm).unwrap();
    assert_eq!(doc.revisions()[0].kind, XrefKind::Stream);
    assert!(
        doc.xref()
            .values()
            .any(|e| matches!(e, kyso::pdf::read::XrefEntry::Compressed { .. })),
        "qpdf put objects in object streams"
    );
}

#[test]
fn encrypted_file_is_refused_as_password_protected() {
    let dir = tempfile::tempdir().unwrap();
    let locked = qpdf(dir.path(), "enc.pdf", &["--encrypt", "u", "o", "256", "--"]);
    assert_eq!(
        Document::load(&locked).unwrap_err(),
        PdfReadError::Encrypted
    );
    let err = scanned_pages(&locked).unwrap_err();
    assert!(matches!(err, PdfInputError::Encrypted), "{err}");
    assert!(err.to_string().contains("password-protected"));
    assert!(matches!(
        scanned_page_count(&locked),
        Err(PdfInputError::Encrypted)
    ));
}

/// An incremental update (ISO 32000-1 §7.5.6) appended by hand: a new /Info object, a
/// one-entry table and a trailer with /Prev.
#[test]
fn incremental_update_gives_two_revisions() {
    let original = std::fs::read(sample("ket-qua-quyet-dinh.pdf")).unwrap();
    let doc = Document::load(&original).unwrap();
    let trailer = doc.revisions()[0].trailer.clone();
    let size = trailer.get("Size").and_then(Object::as_int).unwrap();
    let root = trailer.get("Root").and_then(Object::as_ref).unwrap();
    let prev = doc.revisions()[0].xref_offset;
    let mut updated = original.clone();
    let at = updated.len();
    updated.extend_from_slice(format!("{size} 0 obj\n<< /Title (v2) >>\nendobj\n").as_bytes());
    let xref_at = updated.len();
    updated.extend_from_slice(
        format!(
            "xref\n{size} 1\n{at:010} 00000 n\r\ntrailer\n<< /Size {} /Root {} 0 R /Info {size} 0 R /Prev {prev} >>\nstartxref\n{xref_at}\n%%EOF\n",
            size + 1,
            root.number
        )
        .as_bytes(),
    );
    let doc = Document::load(&updated).unwrap();
    let revisions = doc.revisions();
    assert_eq!(revisions.len(), 2);
    assert_eq!(revisions[0].end, original.len());
    assert_eq!(revisions[1].end, updated.len());
    assert_eq!(revisions[1].entries.len(), 1);
    let info = doc.get(ObjectId::new(size as u32, 0)).unwrap();
    assert_eq!(
        info.as_dict().unwrap().get("Title"),
        Some(&Object::String(b"v2".to_vec()))
    );
    assert_eq!(doc.pages().unwrap().len(), 2);
    // The original revision did not have the object.
    let before = doc.xref_at(0).unwrap();
    assert!(
        doc.get_in(&before, ObjectId::new(size as u32, 0))
            .unwrap()
            .is_null()
    );
    assert!(doc.xref_at(2).is_none());
}

#[test]
fn born_digital_pdf_is_not_a_scan() {
    let bytes = std::fs::read(sample("ket-qua-quyet-dinh.pdf")).unwrap();
    assert_eq!(scanned_page_count(&bytes).unwrap(), 2);
    let err = scanned_pages(&bytes).unwrap_err();
    assert!(matches!(err, PdfInputError::HasText { page: 1 }), "{err}");
    assert_eq!(err.to_string(), "page 1 has real text; it is not a scan");
}

fn assert_300_dpi(page: &kyso::digitize::pdf_input::ScannedPage) {
    assert!((page.dpi - 300.0).abs() <= 1.0, "dpi {}", page.dpi);
    assert_eq!(page.page_rotate, 0);
}

#[test]
fn jpeg_page_passes_through_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let pdf = img2pdf(dir.path(), "xac-nhan-cu-tru-300dpi.jpg");
    let pages = scanned_pages(&pdf).unwrap();
    assert_eq!(pages.len(), 1);
    let jpeg = std::fs::read(sample("xac-nhan-cu-tru-300dpi.jpg")).unwrap();
    match &pages[0].image {
        ScannedImage::Jpeg { bytes, components } => {
            assert_eq!(*components, 3);
            assert!(*bytes == jpeg, "the JPEG bytes changed");
        }
        other => panic!("expected a JPEG, got {:?}", std::mem::discriminant(other)),
    }
    assert_eq!((pages[0].width_px, pages[0].height_px), (2480, 3508));
    assert_300_dpi(&pages[0]);
}

#[test]
fn flate_gray_page_has_the_png_pixels() {
    let dir = tempfile::tempdir().unwrap();
    let pdf = img2pdf(dir.path(), "don-de-nghi-300dpi.png");
    let pages = scanned_pages(&pdf).unwrap();
    assert_eq!(pages.len(), 1);
    let png = image::open(sample("don-de-nghi-300dpi.png"))
        .unwrap()
        .into_luma8();
    let ScannedImage::Gray8(pixels) = &pages[0].image else {
        panic!("expected 8-bit gray pixels");
    };
    assert_eq!((pages[0].width_px, pages[0].height_px), png.dimensions());
    assert!(
        *pixels == png.into_raw(),
        "the pixels differ from the PNG's"
    );
    assert_300_dpi(&pages[0]);
}

#[test]
fn g4_tiff_pages_and_reading_time() {
    let dir = tempfile::tempdir().unwrap();
    let pdf = img2pdf(dir.path(), "quyet-dinh-3-trang-300dpi-g4.tif");
    let started = Instant::now();
    let doc = Document::load(&pdf).unwrap();
    let pages = doc.pages().unwrap();
    let structure = started.elapsed();
    let scanned = scanned_pages(&pdf).unwrap();
    let total = started.elapsed();
    eprintln!(
        "3-page G4 PDF ({} bytes): document + page tree {structure:?}, scanned_pages {:?}",
        pdf.len(),
        total - structure
    );
    assert_eq!(pages.len(), 3);
    // img2pdf (through pikepdf) may linearize: first-page and main sections, one revision.
    assert_eq!(doc.revisions().len(), 1, "{:?}", doc.revisions()[0].kind);
    assert_eq!(doc.revisions()[0].end, pdf.len());
    assert_eq!(scanned_page_count(&pdf).unwrap(), 3);
    assert_eq!(scanned.len(), 3);
    assert_eq!(scanned_page(&pdf, 2).unwrap(), scanned[2]);
    assert!(matches!(
        scanned_page(&pdf, 3),
        Err(PdfInputError::NoSuchPage { page: 4, count: 3 })
    ));
    for page in &scanned {
        eprintln!(
            "  page: {}×{} px, {:.2} dpi, {}",
            page.width_px,
            page.height_px,
            page.dpi,
            match &page.image {
                ScannedImage::CcittG4 { bytes, black_is_1 } =>
                    format!("CCITT G4, {} bytes, BlackIs1 {black_is_1}", bytes.len()),
                ScannedImage::Gray8(_) => "gray pixels".into(),
                _ => "other".into(),
            }
        );
        assert_eq!((page.width_px, page.height_px), (2480, 3508));
        assert_300_dpi(page);
        assert!(
            matches!(
                page.image,
                ScannedImage::CcittG4 { .. } | ScannedImage::Gray8(_)
            ),
            "bilevel pages come back as G4 or gray"
        );
    }
    assert!(total < Duration::from_secs(2), "reading took {total:?}");
    // The G4 data is whole: a decoder reads all 3508 rows of 2480 pixels.
    if let ScannedImage::CcittG4 { bytes, .. } = &scanned[0].image {
        let mut rows = 0;
        fax::decoder::decode_g4(bytes.iter().copied(), 2480, Some(3508), |_| rows += 1)
            .expect("the G4 data decodes");
        assert_eq!(rows, 3508);
    }
}

#[test]
fn ocrmypdf_output_with_invisible_text_is_a_scan() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("scan.pdf");
    std::fs::write(&input, img2pdf(dir.path(), "xac-nhan-cu-tru-300dpi.jpg")).unwrap();
    let out = dir.path().join("ocr.pdf");
    let pdf = made_by(
        Command::new(repo_root().join(".venv/bin/ocrmypdf"))
            .env("OMP_THREAD_LIMIT", "1")
            .args(["-q", "-l", "vie", "--output-type", "pdf"])
            .arg(&input)
            .arg(&out),
        &out,
    );
    let pages = scanned_pages(&pdf).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(pages.len(), 1);
    assert_eq!((pages[0].width_px, pages[0].height_px), (2480, 3508));
    assert!(matches!(pages[0].image, ScannedImage::Jpeg { .. }));
    assert_300_dpi(&pages[0]);
}

/// A one-page US Letter PDF drawing `content`, with `/Im0` and `/Im1` as given (dictionary
/// entries and raw data) and a form `/Fm0` drawing `/Im0` over the whole page.
fn synthetic(content: &str, im0: (&str, &[u8]), im1: (&str, &[u8])) -> Vec<u8> {
    let mut file = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    let mut object = |file: &mut Vec<u8>, body: &[u8]| {
        offsets.push(file.len());
        file.extend_from_slice(format!("{} 0 obj\n", offsets.len()).as_bytes());
        file.extend_from_slice(body);
        file.extend_from_slice(b"\nendobj\n");
    };
    let stream = |dict: &str, data: &[u8]| {
        let mut s = format!("<< {dict} /Length {} >>\nstream\n", data.len()).into_bytes();
        s.extend_from_slice(data);
        s.extend_from_slice(b"\nendstream");
        s
    };
    object(&mut file, b"<< /Type /Catalog /Pages 2 0 R >>");
    object(&mut file, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
    object(
        &mut file,
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Rotate 90 /Contents 4 0 R \
          /Resources << /XObject << /Im0 5 0 R /Im1 6 0 R /Fm0 7 0 R >> >> >>",
    );
    object(&mut file, &stream("", content.as_bytes()));
    let image = "/Type /XObject /Subtype /Image";
    object(&mut file, &stream(&format!("{image} {}", im0.0), im0.1));
    object(&mut file, &stream(&format!("{image} {}", im1.0), im1.1));
    object(
        &mut file,
        &stream(
            "/Type /XObject /Subtype /Form /BBox [0 0 1 1] /Matrix [612 0 0 792 0 0] \
             /Resources << /XObject << /Im 5 0 R >> >>",
            b"/Im Do",
        ),
    );
    let xref = file.len();
    let mut table = format!("xref\n0 {}\n0000000000 65535 f\r\n", offsets.len() + 1);
    for at in &offsets {
        table.push_str(&format!("{at:010} 00000 n\r\n"));
    }
    file.extend_from_slice(table.as_bytes());
    file.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            offsets.len() + 1
        )
        .as_bytes(),
    );
    file
}

const GRAY_2X2: (&str, &[u8]) = (
    "/Width 2 /Height 2 /ColorSpace /DeviceGray /BitsPerComponent 8",
    &[0, 85, 170, 255],
);
const WHOLE_PAGE: &str = "q 612 0 0 792 0 0 cm /Im0 Do Q";

#[test]
fn what_a_scanned_page_may_and_may_not_draw() {
    // One image over the page, under an invisible (Tr 3) text layer: a scan.
    let ok = synthetic(
        &format!("{WHOLE_PAGE} BT 3 Tr /F1 12 Tf (OCR text) Tj ET"),
        GRAY_2X2,
        GRAY_2X2,
    );
    let page = &scanned_pages(&ok).unwrap()[0];
    assert_eq!(page.image, ScannedImage::Gray8(vec![0, 85, 170, 255]));
    assert_eq!(page.page_rotate, 90);
    assert!((page.dpi - 2.0 * 72.0 / 612.0 / 2.0 - 2.0 * 72.0 / 792.0 / 2.0).abs() < 1e-9);
    // The image inside a form XObject counts the same.
    assert!(scanned_pages(&synthetic("/Fm0 Do", GRAY_2X2, GRAY_2X2)).is_ok());

    let refused = |content: &str, im0: (&str, &[u8])| {
        scanned_pages(&synthetic(content, im0, GRAY_2X2)).unwrap_err()
    };
    let visible = refused(
        &format!("{WHOLE_PAGE} BT /F1 12 Tf [(Real) -250 (text)] TJ ET"),
        GRAY_2X2,
    );
    assert!(
        matches!(visible, PdfInputError::HasText { page: 1 }),
        "{visible}"
    );
    // Tr is saved and restored with the graphics state (q/Q).
    let restored = refused(&format!("{WHOLE_PAGE} q 3 Tr Q BT (x) ' ET"), GRAY_2X2);
    assert!(
        matches!(restored, PdfInputError::HasText { .. }),
        "{restored}"
    );
    let none = refused("0 0 m 612 792 l S", GRAY_2X2);
    assert!(matches!(none, PdfInputError::NoImage { page: 1 }), "{none}");
    let two = refused(
        &format!("{WHOLE_PAGE} q 10 0 0 10 0 0 cm /Im1 Do Q"),
        GRAY_2X2,
    );
    assert!(
        matches!(two, PdfInputError::SeveralImages { page: 1, count: 2 }),
        "{two}"
    );
    let small = refused("q 306 0 0 396 0 0 cm /Im0 Do Q", GRAY_2X2);
    assert!(
        matches!(
            small,
            PdfInputError::ImageDoesNotCoverPage {
                page: 1,
                percent: 25
            }
        ),
        "{small}"
    );
    for (filter, name) in [("/JBIG2Decode", "JBIG2"), ("/JPXDecode", "JPEG 2000")] {
        let dict = format!(
            "/Width 2 /Height 2 /ColorSpace /DeviceGray /BitsPerComponent 1 /Filter {filter}"
        );
        let err = refused(WHOLE_PAGE, (&dict, b"\x00"));
        assert!(
            matches!(err, PdfInputError::UnsupportedImage { page: 1, .. }),
            "{err}"
        );
        assert!(err.to_string().contains(name), "{err}");
    }
    let short = refused(
        WHOLE_PAGE,
        (
            "/Width 2 /Height 2 /ColorSpace /DeviceGray /BitsPerComponent 8",
            b"\x00",
        ),
    );
    assert!(
        matches!(short, PdfInputError::BadImage { page: 1, .. }),
        "{short}"
    );
}
