//! Assembles a whole PDF/A-2 document from checked pages: catalog, page tree, metadata,
//! OutputIntent, Info, the shared font and each page's image and content; the serializing
//! itself is left to `object.rs`.
//!
//! Clause ledger — where each ISO 19005-2 requirement this writer meets is enforced:
//!
//! | clause | requirement | where |
//! |---|---|---|
//! | §6.1.2 | header `%PDF-1.7` and binary comment | `object::FileWriter::new` |
//! | §6.1.3 | trailer /ID, no /Encrypt | `object::FileWriter::finish` |
//! | §6.1.7 | stream keywords on their own lines, /Length exact, no LZW | `object::FileWriter::stream` |
//! | §6.2.3 | GTS_PDFA1 OutputIntent with embedded ICC profile | here, `icc` |
//! | §6.2.4.3 | device colour only with a matching OutputIntent | `image` (Gray/RGB) + sRGB intent |
//! | §6.2.8 | no /Interpolate true, no /Alternates, no /OPI | `image` |
//! | §6.2.11.4 | fonts embedded | `font::write_font` (FontFile2) |
//! | §6.2.11.5 | widths agree with the program | `font` (/DW = hmtx advance) |
//! | §6.2.11.8 | no .notdef shown | `font` (every CID → glyph 1) |
//! | §6.2.11.7.2 (2u) | Unicode for every glyph | `font` ToUnicode |
//! | §6.6.2 | uncompressed XMP on the catalog | here, `xmp` |
//! | §6.6.2.3 | custom properties described by an extension schema | `xmp` |
//! | §6.6.4 | pdfaid:part / conformance | `xmp` |

use super::font::{CidMap, write_font};
use super::image::image_bands;
use super::object::{Dict, FileWriter, Obj, ObjRef, RefAllocator, deflate};
use super::page::{Band, content_stream, geometry};
use super::text::text_layer;
use super::xmp::{PacketFacts, packet, pdf_date};
use super::{DocumentInfo, PageSpec, PdfError, WriteOptions, icc};

/// The name this writer gives itself in pdf:Producer and /Producer.
pub const PRODUCER: &str = concat!("kyso ", env!("CARGO_PKG_VERSION"));

const FONT_RESOURCE: &str = "F1";

pub fn write(
    pages: &[PageSpec],
    info: &DocumentInfo,
    options: WriteOptions,
) -> Result<Vec<u8>, PdfError> {
    if pages.is_empty() {
        return Err(PdfError::NoPages);
    }
    // Check everything before writing anything, so a bad last page costs no work.
    let geometries = pages
        .iter()
        .enumerate()
        .map(|(i, p)| geometry(i, p))
        .collect::<Result<Vec<_>, _>>()?;
    let cids = CidMap::build(
        pages
            .iter()
            .flat_map(|p| &p.lines)
            .flat_map(|l| &l.words)
            .map(|w| w.text.as_str()),
    )?;

    let mut refs = RefAllocator::default();
    let mut w = FileWriter::new();
    let catalog = refs.alloc();
    let page_tree = refs.alloc();
    let metadata = refs.alloc();
    let profile = refs.alloc();
    let doc_info = refs.alloc();
    let page_refs: Vec<ObjRef> = pages.iter().map(|_| refs.alloc()).collect();
    let has_text = pages.iter().any(|p| !p.lines.is_empty());
    let font = has_text.then(|| write_font(&mut w, &mut refs, &cids));

    let mut catalog_dict = Dict::new()
        .set("Type", Obj::name("Catalog"))
        .set("Pages", page_tree)
        .set("Metadata", metadata)
        .set(
            "OutputIntents",
            Obj::Array(vec![
                Dict::new()
                    .set("Type", Obj::name("OutputIntent"))
                    .set("S", Obj::name("GTS_PDFA1"))
                    .set(
                        "OutputConditionIdentifier",
                        Obj::text(icc::SRGB_DESCRIPTION),
                    )
                    .set("Info", Obj::text(icc::SRGB_DESCRIPTION))
                    .set("DestOutputProfile", profile)
                    .into(),
            ]),
        );
    if !info.language.is_empty() {
        catalog_dict = catalog_dict.set("Lang", Obj::text(&info.language));
    }
    w.object(catalog, &catalog_dict.into());
    w.object(
        page_tree,
        &Dict::new()
            .set("Type", Obj::name("Pages"))
            .set(
                "Kids",
                Obj::Array(page_refs.iter().map(|r| Obj::Ref(*r)).collect()),
            )
            .set("Count", pages.len() as i64)
            .into(),
    );
    // ISO 19005-2 §6.6.2.1: the metadata stream is not filtered, so any reader finds it.
    let xmp = packet(
        info,
        PacketFacts {
            producer: PRODUCER,
            page_count: pages.len(),
            kyso_schema: options.kyso_schema,
        },
    );
    w.stream(
        metadata,
        Dict::new()
            .set("Type", Obj::name("Metadata"))
            .set("Subtype", Obj::name("XML")),
        xmp.as_bytes(),
    );
    let icc_bytes = icc::srgb_profile();
    w.stream(
        profile,
        Dict::new()
            .set("N", icc::SRGB_COMPONENTS)
            .set("Filter", Obj::name("FlateDecode")),
        &deflate(&icc_bytes),
    );
    // The Info dictionary repeats what the XMP says, in the same words and instant.
    let date = pdf_date(info.created);
    let mut info_dict = Dict::new();
    if let Some(title) = &info.title {
        info_dict = info_dict.set("Title", Obj::text(title));
    }
    info_dict = info_dict
        .set("Creator", Obj::text(&info.creator_tool))
        .set("Producer", Obj::text(PRODUCER))
        .set("CreationDate", Obj::text(&date))
        .set("ModDate", Obj::text(&date));
    w.object(doc_info, &info_dict.into());

    for (i, (spec, geometry)) in pages.iter().zip(&geometries).enumerate() {
        let mut xobjects = Dict::new();
        let mut bands = Vec::new();
        for (k, band) in image_bands(i, &spec.image)?.into_iter().enumerate() {
            let image_ref = refs.alloc();
            w.stream(image_ref, band.xobject.dict, &band.xobject.data);
            let name = format!("Im{k}");
            xobjects = xobjects.set(&name, image_ref);
            bands.push(Band {
                name,
                first_row: band.first_row,
                rows: band.rows,
            });
        }
        let content_ref = refs.alloc();
        let text = match font {
            Some(_) => text_layer(&spec.lines, geometry.frame, &cids, FONT_RESOURCE),
            None => Vec::new(),
        };
        let content = content_stream(geometry, spec.image.height_px, &bands, &text);
        w.stream(
            content_ref,
            Dict::new().set("Filter", Obj::name("FlateDecode")),
            &deflate(&content),
        );
        let mut resources = Dict::new().set("XObject", xobjects);
        if let (Some(font), false) = (font, text.is_empty()) {
            resources = resources.set("Font", Dict::new().set(FONT_RESOURCE, font));
        }
        w.object(
            page_refs[i],
            &Dict::new()
                .set("Type", Obj::name("Page"))
                .set("Parent", page_tree)
                .set(
                    "MediaBox",
                    Obj::reals(&[0.0, 0.0, geometry.width_pt, geometry.height_pt]),
                )
                .set("Resources", resources)
                .set("Contents", content_ref)
                .into(),
        );
    }
    Ok(w.finish(refs.size(), catalog, Some(doc_info)))
}
