//! `kyso::pdf::write_pdfa` judged by independent tools: pikepdf's PDF/A validator,
//! `qpdf --check`, `pdffonts`, `pdftotext` and a `pdftoppm` rendering. Set `KYSO_PDF_OUT` to
//! a directory to keep the PDFs and renderings for a look.

use std::path::{Path, PathBuf};
use std::process::Command;

use kyso::pdf::{
    DocumentInfo, ImageData, PageImage, PageSpec, PdfAPart, PixelRect, TextLine, TextWord,
    WriteOptions, write_pdfa, write_pdfa_with,
};
use time::macros::datetime;

use crate::support::{repo_root, run, stdout};

fn info(part: PdfAPart) -> DocumentInfo {
    DocumentInfo {
        part,
        title: Some("Đơn đề nghị cấp bản sao".into()),
        dossier_code: Some("000.00.31.H29-260309-0042".into()),
        creator_tool: "kyso 0.1.0".into(),
        created: datetime!(2026-03-09 10:15:30 +07:00),
        language: "vi-VN".into(),
    }
}

fn rect(left: f64, top: f64, right: f64, bottom: f64) -> PixelRect {
    PixelRect {
        left,
        top,
        right,
        bottom,
    }
}

/// A line of words laid out left to right from `left`, 26 px per character plus gaps.
fn line(words: &[&str], left: f64, top: f64, height: f64) -> TextLine {
    let mut x = left;
    let mut placed = Vec::new();
    for w in words {
        let width = 26.0 * w.chars().count() as f64;
        placed.push(TextWord {
            text: (*w).to_owned(),
            bbox: rect(x, top, x + width, top + height),
        });
        x += width + 20.0;
    }
    TextLine {
        bbox: rect(left, top, x - 20.0, top + height),
        words: placed,
    }
}

fn vietnamese_lines() -> Vec<TextLine> {
    vec![
        line(&["ĐƠN", "ĐỀ", "NGHỊ"], 150.0, 100.0, 50.0),
        line(
            &["Họ", "và", "tên:", "Nguyễn", "Văn", "An"],
            150.0,
            200.0,
            40.0,
        ),
        line(
            &["Số:", "123/QĐ-UBND", "ngày", "09/3/2026"],
            150.0,
            280.0,
            40.0,
        ),
    ]
}

const EXPECTED_LINES: [&str; 3] = [
    "ĐƠN ĐỀ NGHỊ",
    "Họ và tên: Nguyễn Văn An",
    "Số: 123/QĐ-UBND ngày 09/3/2026",
];

/// The upright test pattern: white, with a "Γ" of thick black bars (top and left) and grey
/// blocks where the words are, 1000 × 1400 px.
const UPRIGHT: (u32, u32) = (1000, 1400);

fn upright_pattern(x: f64, y: f64) -> u8 {
    let (w, h) = (f64::from(UPRIGHT.0), f64::from(UPRIGHT.1));
    if !(0.0..w).contains(&x) || !(0.0..h).contains(&y) {
        return 255;
    }
    let top_bar = (30.0..60.0).contains(&y) && (40.0..w - 40.0).contains(&x);
    let left_bar = (40.0..70.0).contains(&x) && (30.0..h - 40.0).contains(&y);
    if top_bar || left_bar {
        return 0;
    }
    for l in vietnamese_lines() {
        for word in &l.words {
            let b = word.bbox;
            if (b.left..b.right).contains(&x) && (b.top + 8.0..b.bottom - 8.0).contains(&y) {
                return 150;
            }
        }
    }
    255
}

/// The pattern as a scanner would have stored it: turned a quarter counter-clockwise and
/// skewed clockwise by `skew` degrees, so drawing it with `quarter_turns: 1` and
/// `skew_degrees: skew` makes it upright and straight (nearest-neighbour sampling).
fn stored_pattern(skew: f64) -> (Vec<u8>, u32, u32) {
    let (ws, hs) = (UPRIGHT.1, UPRIGHT.0);
    let (c, s) = (skew.to_radians().cos(), skew.to_radians().sin());
    let mut pixels = Vec::with_capacity((ws * hs) as usize);
    for ys in 0..hs {
        for xs in 0..ws {
            let dx = f64::from(xs) + 0.5 - f64::from(ws) / 2.0;
            let dy = f64::from(ys) + 0.5 - f64::from(hs) / 2.0;
            // Clockwise quarter turn on screen (y down), then counter-clockwise by `skew`.
            let (tx, ty) = (-dy, dx);
            let (ux, uy) = (tx * c + ty * s, -tx * s + ty * c);
            pixels.push(upright_pattern(
                ux + f64::from(UPRIGHT.0) / 2.0,
                uy + f64::from(UPRIGHT.1) / 2.0,
            ));
        }
    }
    (pixels, ws, hs)
}

fn gray_page() -> PageSpec {
    let (w, h) = UPRIGHT;
    let mut pixels = Vec::with_capacity((w * h) as usize);
    for y in 0..h {
        for x in 0..w {
            pixels.push(upright_pattern(f64::from(x), f64::from(y)));
        }
    }
    PageSpec {
        image: PageImage {
            data: ImageData::Gray8(pixels),
            width_px: w,
            height_px: h,
        },
        dpi: 150.0,
        quarter_turns: 0,
        skew_degrees: 0.0,
        lines: vietnamese_lines(),
    }
}

fn turned_page(skew: f64) -> PageSpec {
    let (pixels, w, h) = stored_pattern(skew);
    PageSpec {
        image: PageImage {
            data: ImageData::Gray8(pixels),
            width_px: w,
            height_px: h,
        },
        dpi: 150.0,
        quarter_turns: 1,
        skew_degrees: skew,
        lines: vietnamese_lines(),
    }
}

fn jpeg_sample() -> Vec<u8> {
    std::fs::read(repo_root().join("samples/xac-nhan-cu-tru-300dpi.jpg")).expect("sample JPEG")
}

fn jpeg_page() -> PageSpec {
    PageSpec {
        image: PageImage {
            data: ImageData::Jpeg {
                bytes: jpeg_sample(),
                components: 3,
            },
            width_px: 2480,
            height_px: 3508,
        },
        dpi: 300.0,
        quarter_turns: 0,
        skew_degrees: 0.0,
        lines: vec![
            line(
                &["GIẤY", "XÁC", "NHẬN", "THÔNG", "TIN", "VỀ", "CƯ", "TRÚ"],
                500.0,
                900.0,
                60.0,
            ),
            line(&["TRẦN", "QUỐC", "ĐẠT"], 900.0, 1100.0, 50.0),
        ],
    }
}

/// The first page of the G4 sample, as its coded strips, and the TIFF photometric
/// interpretation. TIFF strips are coded independently, so each is a complete G4 image.
fn g4_strips() -> (Vec<Vec<u8>>, u32, u32, u32, bool) {
    use tiff::tags::Tag;
    let path = repo_root().join("samples/quyet-dinh-3-trang-300dpi-g4.tif");
    let file = std::fs::File::open(&path).expect("sample TIFF");
    let mut decoder = tiff::decoder::Decoder::new(std::io::BufReader::new(file)).expect("TIFF");
    let (width, height) = decoder.dimensions().expect("dimensions");
    assert_eq!(decoder.get_tag_u32(Tag::Compression).unwrap(), 4, "G4");
    let offsets = decoder.get_tag_u64_vec(Tag::StripOffsets).unwrap();
    let counts = decoder.get_tag_u64_vec(Tag::StripByteCounts).unwrap();
    let rows = decoder
        .get_tag_u32(Tag::RowsPerStrip)
        .unwrap_or(height)
        .min(height);
    // PhotometricInterpretation 1 (BlackIsZero): the paper is coded as "black" runs.
    let black_is_zero = decoder.get_tag_u32(Tag::PhotometricInterpretation).unwrap() == 1;
    let bytes = std::fs::read(&path).unwrap();
    let strips = offsets
        .iter()
        .zip(&counts)
        .map(|(&at, &len)| bytes[at as usize..(at + len) as usize].to_vec())
        .collect();
    (strips, width, height, rows, black_is_zero)
}

fn g4_page_spec(data: ImageData, width_px: u32, height_px: u32) -> PageSpec {
    PageSpec {
        image: PageImage {
            data,
            width_px,
            height_px,
        },
        dpi: 300.0,
        quarter_turns: 0,
        skew_degrees: 0.0,
        lines: vec![line(&["QUYẾT", "ĐỊNH"], 1000.0, 60.0, 50.0)],
    }
}

/// The first strip alone: a G4 image of `RowsPerStrip` rows.
fn g4_strip_page() -> PageSpec {
    let (strips, width, _, rows, black_is_1) = g4_strips();
    let data = ImageData::CcittG4 {
        bytes: strips[0].clone(),
        black_is_1,
    };
    g4_page_spec(data, width, rows)
}

/// The whole first page, strip by strip.
fn g4_page() -> PageSpec {
    let (strips, width, height, rows_per_strip, black_is_1) = g4_strips();
    let data = ImageData::CcittG4Strips {
        strips,
        rows_per_strip,
        black_is_1,
    };
    g4_page_spec(data, width, height)
}

struct Out {
    dir: PathBuf,
    _temp: Option<tempfile::TempDir>,
}

fn out_dir() -> Out {
    match std::env::var_os("KYSO_PDF_OUT") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            std::fs::create_dir_all(&dir).unwrap();
            Out { dir, _temp: None }
        }
        None => {
            let temp = tempfile::tempdir().unwrap();
            Out {
                dir: temp.path().to_owned(),
                _temp: Some(temp),
            }
        }
    }
}

fn write(out: &Out, name: &str, pages: &[PageSpec], info: &DocumentInfo) -> (PathBuf, Vec<u8>) {
    let bytes = write_pdfa(pages, info).expect("write_pdfa");
    let path = out.dir.join(name);
    std::fs::write(&path, &bytes).unwrap();
    (path, bytes)
}

/// pikepdf's verdict and findings, as printed by tests/py/judge_pdfa.py.
fn pikepdf_judge(path: &Path) -> serde_json::Value {
    let root = repo_root();
    let output = run(Command::new(root.join(".venv/bin/python"))
        .arg(root.join("tests/py/judge_pdfa.py"))
        .arg(path)
        .arg("2b"));
    serde_json::from_str(&stdout(&output))
        .unwrap_or_else(|e| panic!("judge output {:?}: {e}", stdout(&output)))
}

fn assert_pdfa_2b(path: &Path) {
    let report = pikepdf_judge(path);
    assert_eq!(report["verdict"], "pass", "{report:#}");
    assert_eq!(report["output_intent"], "RGB", "{report:#}");
}

fn assert_qpdf_clean(path: &Path) {
    let output = run(Command::new("qpdf").arg("--check").arg(path));
    let text = stdout(&output) + &crate::support::stderr(&output);
    assert!(output.status.success(), "{text}");
    assert!(
        text.contains("No syntax or stream encoding errors found"),
        "{text}"
    );
    assert!(!text.to_lowercase().contains("warning"), "{text}");
}

fn assert_fonts_embedded_with_unicode(path: &Path) {
    let output = run(Command::new("pdffonts").arg(path));
    let text = stdout(&output);
    assert!(output.status.success(), "{text}");
    let fonts: Vec<&str> = text.lines().skip(2).collect();
    assert!(!fonts.is_empty(), "no fonts: {text}");
    for font in fonts {
        let cols: Vec<&str> = font.split_whitespace().collect();
        // name type(2 words: CID TrueType) encoding emb sub uni object ID
        let n = cols.len();
        assert_eq!(cols[n - 5], "yes", "emb: {font}");
        assert_eq!(cols[n - 3], "yes", "uni: {font}");
        assert!(font.contains("CID TrueType"), "{font}");
        assert!(font.contains("Identity-H"), "{font}");
    }
}

fn pdftotext(path: &Path) -> String {
    let output = run(Command::new("pdftotext").arg(path).arg("-"));
    assert!(output.status.success());
    stdout(&output)
}

/// Renders page 1 at 50 dpi and returns it as grey pixels.
fn render(path: &Path) -> image::GrayImage {
    let prefix = path.with_extension("");
    let output = run(Command::new("pdftoppm")
        .args(["-r", "50", "-png", "-singlefile", "-f", "1", "-l", "1"])
        .arg(path)
        .arg(&prefix));
    assert!(
        output.status.success(),
        "{}",
        crate::support::stderr(&output)
    );
    image::open(prefix.with_extension("png"))
        .expect("rendered PNG")
        .to_luma8()
}

fn all_judges(path: &Path) {
    assert_pdfa_2b(path);
    assert_qpdf_clean(path);
    assert_fonts_embedded_with_unicode(path);
}

#[test]
fn gray_page_with_vietnamese_text_passes_every_judge() {
    let out = out_dir();
    let (path, _) = write(&out, "gray.pdf", &[gray_page()], &info(PdfAPart::A2b));
    all_judges(&path);
    let text = pdftotext(&path);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines, EXPECTED_LINES, "{text:?}");
}

#[test]
fn turned_and_skewed_scan_is_drawn_upright_and_straight() {
    let out = out_dir();
    let skew = 1.5;
    let (path, _) = write(
        &out,
        "turned.pdf",
        &[turned_page(skew)],
        &info(PdfAPart::A2b),
    );
    all_judges(&path);
    let lines: Vec<String> = pdftotext(&path)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect();
    assert_eq!(lines, EXPECTED_LINES);

    // 150 dpi → 50 dpi: the page is 1000 × 1400 px upright, so 334 × 467 rendered (pdftoppm rounds up).
    let png = render(&path);
    assert_eq!((png.width(), png.height()), (334, 467));
    // The top bar (upright rows 30..60, so rendered 10..20) must be level: its centre row is
    // the same at both ends. An uncorrected 1.5° skew would move it by ~7 px.
    let bar_centre = |x: u32| {
        let dark: Vec<u32> = (0..60)
            .filter(|&y| png.get_pixel(x, y).0[0] < 100)
            .collect();
        assert!(!dark.is_empty(), "no bar at x={x}");
        (dark[0] + dark[dark.len() - 1]) as f64 / 2.0
    };
    let (left, right) = (bar_centre(40), bar_centre(300));
    assert!((left - 15.0).abs() <= 1.5, "bar at {left} not near 15");
    assert!((left - right).abs() <= 1.0, "bar tilts: {left} vs {right}");
    // The left bar is on the left: the quarter turn went the right way.
    assert!(png.get_pixel(18, 200).0[0] < 100);
    assert!(png.get_pixel(315, 200).0[0] > 200);
}

#[test]
fn jpeg_is_placed_byte_for_byte() {
    let out = out_dir();
    let (path, bytes) = write(&out, "jpeg.pdf", &[jpeg_page()], &info(PdfAPart::A2b));
    all_judges(&path);
    let jpeg = jpeg_sample();
    assert!(
        bytes.windows(jpeg.len()).any(|w| w == jpeg.as_slice()),
        "original JPEG bytes not found in the PDF"
    );
    assert!(
        bytes.len() < jpeg.len() + 64 * 1024,
        "{} bytes",
        bytes.len()
    );
    let text = pdftotext(&path);
    assert!(
        text.contains("GIẤY XÁC NHẬN THÔNG TIN VỀ CƯ TRÚ\n"),
        "{text:?}"
    );
    assert!(text.contains("TRẦN QUỐC ĐẠT\n"), "{text:?}");
    let png = render(&path);
    assert_eq!((png.width(), png.height()), (414, 585));
}

#[test]
fn g4_strip_from_the_tiff_sample_is_placed_as_is() {
    let out = out_dir();
    let page = g4_strip_page();
    let ImageData::CcittG4 { bytes: g4, .. } = &page.image.data else {
        unreachable!()
    };
    let g4 = g4.clone();
    let (path, bytes) = write(&out, "g4-strip.pdf", &[page], &info(PdfAPart::A2b));
    all_judges(&path);
    assert!(bytes.windows(g4.len()).any(|w| w == g4.as_slice()));
    assert!(pdftotext(&path).contains("QUYẾT ĐỊNH"));
    // Paper is white: an inverted strip would render black.
    let png = render(&path);
    let light = png.pixels().filter(|p| p.0[0] > 200).count();
    assert!(
        light * 10 > png.pixels().count() * 8,
        "strip looks inverted"
    );
}

#[test]
fn multi_strip_g4_page_is_drawn_strip_by_strip_without_seams() {
    let out = out_dir();
    let page = g4_page();
    let ImageData::CcittG4Strips { strips, .. } = &page.image.data else {
        unreachable!()
    };
    let strips = strips.clone();
    let (path, bytes) = write(&out, "g4-page.pdf", &[page], &info(PdfAPart::A2b));
    all_judges(&path);
    for strip in &strips {
        assert!(bytes.windows(strip.len()).any(|w| w == strip.as_slice()));
    }
    assert!(bytes.len() < strips.iter().map(Vec::len).sum::<usize>() + 32 * 1024);
    let png = render(&path);
    assert_eq!((png.width(), png.height()), (414, 585));
    let light = png.pixels().filter(|p| p.0[0] > 200).count();
    let dark = png.pixels().filter(|p| p.0[0] < 100).count();
    assert!(light * 10 > png.pixels().count() * 8, "page looks inverted");
    assert!(dark > 500, "no text visible: {dark} dark pixels");
    // A gap or overlap between strips would show as a light or dark line across the page
    // margin; the left margin column must be uniformly white from top to bottom.
    assert!((0..png.height()).all(|y| png.get_pixel(5, y).0[0] > 200));
}

#[test]
fn multi_page_document_passes_and_is_deterministic() {
    let out = out_dir();
    let pages = [
        gray_page(),
        jpeg_page(),
        turned_page(-0.7),
        g4_strip_page(),
        g4_page(),
    ];
    let info = info(PdfAPart::A2b);
    let (path, first) = write(&out, "multi.pdf", &pages, &info);
    let second = write_pdfa(&pages, &info).unwrap();
    assert!(first == second, "two writes differ");
    all_judges(&path);
    assert_eq!(pdftotext(&path).matches('\u{c}').count(), 5);
}

#[test]
fn pdfa_2u_differs_from_2b_only_in_its_identification() {
    // pikepdf validates 1b, 2b and 3b only; a 2u file must pass as 2b except for the
    // conformance letter, and its Unicode mapping is checked by pdffonts and pdftotext.
    let out = out_dir();
    let (path, _) = write(&out, "gray-2u.pdf", &[gray_page()], &info(PdfAPart::A2u));
    let report = pikepdf_judge(&path);
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{report:#}");
    assert_eq!(findings[0]["rule"], "ISO_19005_2:6.6.4-3");
    assert!(findings[0]["message"].as_str().unwrap().contains("'U'"));
    assert_qpdf_clean(&path);
    assert_fonts_embedded_with_unicode(&path);
}

#[test]
fn kyso_schema_is_refused_by_pikepdf_only_for_its_namespaces() {
    // The extension schema is valid ISO 19005-2 §6.6.2.3, but pikepdf's allowlist knows only
    // the predefined schemas. Pin that nothing else is reported.
    let out = out_dir();
    let bytes = write_pdfa_with(
        &[gray_page()],
        &info(PdfAPart::A2b),
        WriteOptions::default().with_kyso_schema(true),
    )
    .unwrap();
    let path = out.dir.join("kyso-schema.pdf");
    std::fs::write(&path, &bytes).unwrap();
    let report = pikepdf_judge(&path);
    for finding in report["findings"].as_array().unwrap() {
        let message = finding["message"].as_str().unwrap();
        assert!(
            message.contains("pdfaExtension")
                || message.contains("pdfaSchema")
                || message.contains("pdfaProperty")
                || message.contains("kyso"),
            "unexpected finding {finding:#}"
        );
    }
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("<kyso:dossierCode>000.00.31.H29-260309-0042</kyso:dossierCode>"));
    assert!(text.contains("<kyso:pageCount>1</kyso:pageCount>"));
    assert_qpdf_clean(&path);
}

#[test]
fn impossible_inputs_are_errors_not_panics() {
    use kyso::pdf::PdfError;
    let info = info(PdfAPart::A2b);
    assert!(matches!(write_pdfa(&[], &info), Err(PdfError::NoPages)));
    let mut page = gray_page();
    page.dpi = -1.0;
    assert!(matches!(
        write_pdfa(&[page], &info),
        Err(PdfError::InvalidDpi { page: 0, .. })
    ));
    let mut page = gray_page();
    page.image.width_px = 0;
    assert!(matches!(
        write_pdfa(&[gray_page(), page], &info),
        Err(PdfError::EmptyImage { page: 1, .. })
    ));
    let mut page = gray_page();
    page.image.data = ImageData::Rgb8(vec![0; 10]);
    assert!(matches!(
        write_pdfa(&[page], &info),
        Err(PdfError::PixelBufferLength { .. })
    ));
    // Characters outside the BMP are kept, not refused.
    let mut page = gray_page();
    page.lines[0].words[0].text = "ĐƠN\u{20BB7}".into();
    assert!(write_pdfa(&[page], &info).is_ok());
}
