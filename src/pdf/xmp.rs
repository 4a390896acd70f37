//! The document's XMP metadata packet (ISO 19005-2 §6.6) and the matching Info dictionary
//! dates; attaching the packet to the catalog is left to `document.rs`.
//!
//! The packet holds the PDF/A identification (§6.6.4), Dublin Core title, format and
//! language, the XMP basic dates and creator tool, the PDF producer, and — when asked for —
//! the kyso digitization schema (dossier code, page count) declared with a PDF/A extension
//! schema (§6.6.2.3.2), since ISO 19005-2 only admits custom properties that are described
//! in the packet itself.

use time::OffsetDateTime;

use super::{DocumentInfo, PdfAPart};

/// Namespace of kyso's own XMP properties.
pub const KYSO_NS: &str = "https://kyso.vn/ns/digitize/1.0/";
/// Prefix used for [`KYSO_NS`].
pub const KYSO_PREFIX: &str = "kyso";

/// What goes into the packet besides `info`.
#[derive(Debug, Clone, Copy)]
pub struct PacketFacts<'a> {
    pub producer: &'a str,
    pub page_count: usize,
    /// Write the kyso schema and its extension schema description.
    pub kyso_schema: bool,
}

/// Escapes the XML special characters of element content and attribute values.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // XML 1.0 cannot carry most control characters at all.
            c if c.is_control() && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// The UTC offset of `t` as sign, hours and minutes, or `None` for UTC itself.
fn offset(t: OffsetDateTime) -> Option<(char, u8, u8)> {
    let (h, m, _) = t.offset().as_hms();
    let sign = if h < 0 || m < 0 { '-' } else { '+' };
    (h != 0 || m != 0).then(|| (sign, h.unsigned_abs(), m.unsigned_abs()))
}

/// An XMP date (ISO 8601 as profiled by XMP Part 1 §8.2.1.1), to the second, with offset.
pub fn xmp_date(t: OffsetDateTime) -> String {
    let time = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    match offset(t) {
        None => format!("{time}Z"),
        Some((sign, h, m)) => format!("{time}{sign}{h:02}:{m:02}"),
    }
}

/// The same instant as a PDF date string (ISO 32000-1 §7.9.4), for /CreationDate and
/// /ModDate, which must agree with the XMP dates.
pub fn pdf_date(t: OffsetDateTime) -> String {
    let time = format!(
        "D:{:04}{:02}{:02}{:02}{:02}{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    match offset(t) {
        None => format!("{time}Z"),
        Some((sign, h, m)) => format!("{time}{sign}{h:02}'{m:02}'"),
    }
}

/// Reads a PDF date string (ISO 32000-1 §7.9.4): `D:YYYY` followed by optional month, day,
/// hour, minute, second and a `Z` or `±HH'mm'` offset; missing parts take their earliest
/// value and a missing offset is UTC. `None` for anything else.
pub fn parse_pdf_date(text: &str) -> Option<OffsetDateTime> {
    let text = text.strip_prefix("D:").unwrap_or(text);
    let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
    if digits.len() < 4 || !digits.len().is_multiple_of(2) || digits.len() > 14 {
        return None;
    }
    let field = |from: usize, default: u32| -> Option<u32> {
        match digits.get(from..from + 2) {
            Some(part) => part.parse().ok(),
            None => Some(default),
        }
    };
    let year: i32 = digits[..4].parse().ok()?;
    let month = time::Month::try_from(u8::try_from(field(4, 1)?).ok()?).ok()?;
    let date =
        time::Date::from_calendar_date(year, month, u8::try_from(field(6, 1)?).ok()?).ok()?;
    let clock = time::Time::from_hms(
        u8::try_from(field(8, 0)?).ok()?,
        u8::try_from(field(10, 0)?).ok()?,
        u8::try_from(field(12, 0)?).ok()?,
    )
    .ok()?;
    let rest = &text[digits.len()..];
    let offset = match rest.chars().next() {
        None | Some('Z') => time::UtcOffset::UTC,
        Some(sign @ ('+' | '-')) => {
            let numbers: Vec<i8> = rest[1..]
                .split('\'')
                .filter(|p| !p.is_empty())
                .map(|p| p.parse().ok())
                .collect::<Option<_>>()?;
            let (hours, minutes) = (*numbers.first()?, numbers.get(1).copied().unwrap_or(0));
            let signum = if sign == '-' { -1 } else { 1 };
            time::UtcOffset::from_hms(signum * hours, signum * minutes, 0).ok()?
        }
        Some(_) => return None,
    };
    Some(time::PrimitiveDateTime::new(date, clock).assume_offset(offset))
}

/// Builds the packet, UTF-8, without the `bytes` and `encoding` header attributes that
/// ISO 19005-2 §6.6.2.1 forbids.
pub fn packet(info: &DocumentInfo, facts: PacketFacts<'_>) -> String {
    let conformance = match info.part {
        PdfAPart::A2b => "B",
        PdfAPart::A2u => "U",
    };
    let date = xmp_date(info.created);
    let mut p = String::new();
    p.push_str("<?xpacket begin=\"\u{FEFF}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n");
    p.push_str("<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n");
    p.push_str(" <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n");
    p.push_str(
        "  <rdf:Description rdf:about=\"\"\n\
         \x20   xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\"\n\
         \x20   xmlns:dc=\"http://purl.org/dc/elements/1.1/\"\n\
         \x20   xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\"\n\
         \x20   xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\">\n",
    );
    p.push_str("   <pdfaid:part>2</pdfaid:part>\n");
    p.push_str(&format!(
        "   <pdfaid:conformance>{conformance}</pdfaid:conformance>\n"
    ));
    p.push_str("   <dc:format>application/pdf</dc:format>\n");
    if let Some(title) = &info.title {
        p.push_str(&format!(
            "   <dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">{}</rdf:li></rdf:Alt></dc:title>\n",
            esc(title)
        ));
    }
    if !info.language.is_empty() {
        p.push_str(&format!(
            "   <dc:language><rdf:Bag><rdf:li>{}</rdf:li></rdf:Bag></dc:language>\n",
            esc(&info.language)
        ));
    }
    if let Some(code) = &info.dossier_code {
        // Also in a predefined property, so validators that know no extension schemas
        // still find the dossier.
        p.push_str(&format!(
            "   <dc:identifier>{}</dc:identifier>\n",
            esc(code)
        ));
    }
    p.push_str(&format!(
        "   <xmp:CreatorTool>{}</xmp:CreatorTool>\n",
        esc(&info.creator_tool)
    ));
    for property in ["CreateDate", "ModifyDate", "MetadataDate"] {
        p.push_str(&format!("   <xmp:{property}>{date}</xmp:{property}>\n"));
    }
    p.push_str(&format!(
        "   <pdf:Producer>{}</pdf:Producer>\n",
        esc(facts.producer)
    ));
    p.push_str("  </rdf:Description>\n");
    if facts.kyso_schema {
        p.push_str(&kyso_descriptions(info, facts));
    }
    p.push_str(" </rdf:RDF>\n</x:xmpmeta>\n");
    // Padding lets a later editor grow the packet in place (XMP Part 1 §7.3.2).
    for _ in 0..20 {
        p.push_str(&" ".repeat(99));
        p.push('\n');
    }
    p.push_str("<?xpacket end=\"w\"?>");
    p
}

/// The kyso properties and their PDF/A extension schema description (ISO 19005-2
/// §6.6.2.3.2: pdfaExtension:schemas, pdfaSchema:*, pdfaProperty:*).
fn kyso_descriptions(info: &DocumentInfo, facts: PacketFacts<'_>) -> String {
    let mut properties = vec![(
        "pageCount",
        "Integer",
        "Number of pages digitized into this document",
    )];
    if info.dossier_code.is_some() {
        properties.insert(
            0,
            (
                "dossierCode",
                "Text",
                "Code of the administrative dossier (ho so) the scans belong to",
            ),
        );
    }
    let mut p = String::new();
    p.push_str(
        "  <rdf:Description rdf:about=\"\"\n\
         \x20   xmlns:pdfaExtension=\"http://www.aiim.org/pdfa/ns/extension/\"\n\
         \x20   xmlns:pdfaSchema=\"http://www.aiim.org/pdfa/ns/schema#\"\n\
         \x20   xmlns:pdfaProperty=\"http://www.aiim.org/pdfa/ns/property#\">\n\
         \x20  <pdfaExtension:schemas>\n    <rdf:Bag>\n     <rdf:li rdf:parseType=\"Resource\">\n",
    );
    p.push_str("      <pdfaSchema:schema>kyso digitization</pdfaSchema:schema>\n");
    p.push_str(&format!(
        "      <pdfaSchema:namespaceURI>{KYSO_NS}</pdfaSchema:namespaceURI>\n"
    ));
    p.push_str(&format!(
        "      <pdfaSchema:prefix>{KYSO_PREFIX}</pdfaSchema:prefix>\n"
    ));
    p.push_str("      <pdfaSchema:property>\n       <rdf:Seq>\n");
    for (name, value_type, description) in &properties {
        p.push_str(&format!(
            "        <rdf:li rdf:parseType=\"Resource\">\n\
             \x20         <pdfaProperty:name>{name}</pdfaProperty:name>\n\
             \x20         <pdfaProperty:valueType>{value_type}</pdfaProperty:valueType>\n\
             \x20         <pdfaProperty:category>external</pdfaProperty:category>\n\
             \x20         <pdfaProperty:description>{description}</pdfaProperty:description>\n\
             \x20       </rdf:li>\n"
        ));
    }
    p.push_str("       </rdf:Seq>\n      </pdfaSchema:property>\n");
    p.push_str("     </rdf:li>\n    </rdf:Bag>\n   </pdfaExtension:schemas>\n");
    p.push_str("  </rdf:Description>\n");
    p.push_str(&format!(
        "  <rdf:Description rdf:about=\"\" xmlns:{KYSO_PREFIX}=\"{KYSO_NS}\">\n"
    ));
    if let Some(code) = &info.dossier_code {
        p.push_str(&format!(
            "   <{KYSO_PREFIX}:dossierCode>{}</{KYSO_PREFIX}:dossierCode>\n",
            esc(code)
        ));
    }
    p.push_str(&format!(
        "   <{KYSO_PREFIX}:pageCount>{}</{KYSO_PREFIX}:pageCount>\n",
        facts.page_count
    ));
    p.push_str("  </rdf:Description>\n");
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn pdf_dates_read_back_in_every_form_iso_32000_allows() {
        let t = datetime!(2026-11-22 21:14:05 +07:00);
        assert_eq!(parse_pdf_date(&pdf_date(t)), Some(t));
        assert_eq!(
            parse_pdf_date("D:20261122141405Z"),
            Some(datetime!(2026-11-22 14:14:05 UTC))
        );
        assert_eq!(
            parse_pdf_date("D:20261122141405-05'30"),
            Some(datetime!(2026-11-22 14:14:05 -05:30))
        );
        assert_eq!(
            parse_pdf_date("D:2026"),
            Some(datetime!(2026-01-01 0:00 UTC))
        );
        for bad in [
            "",
            "D:",
            "D:20261",
            "D:20261340000000Z",
            "D:20261122141405X",
            "yesterday",
        ] {
            assert_eq!(parse_pdf_date(bad), None, "{bad:?}");
        }
    }

    fn info() -> DocumentInfo {
        DocumentInfo {
            part: PdfAPart::A2b,
            title: Some("ĐƠN ĐỀ NGHỊ <bản sao> & chứng thực".into()),
            dossier_code: Some("000.00.31.H29-260101-0001".into()),
            creator_tool: "kyso 0.1.0".into(),
            created: datetime!(2026-01-02 03:04:05 +07:00),
            language: "vi-VN".into(),
        }
    }

    fn facts(kyso_schema: bool) -> PacketFacts<'static> {
        PacketFacts {
            producer: "kyso 0.1.0",
            page_count: 3,
            kyso_schema,
        }
    }

    #[test]
    fn dates_agree_between_xmp_and_pdf() {
        let t = datetime!(2026-01-02 03:04:05 +07:00);
        assert_eq!(xmp_date(t), "2026-01-02T03:04:05+07:00");
        assert_eq!(pdf_date(t), "D:20260102030405+07'00'");
        let utc = datetime!(2026-01-02 03:04:05 UTC);
        assert_eq!(xmp_date(utc), "2026-01-02T03:04:05Z");
        assert_eq!(pdf_date(utc), "D:20260102030405Z");
        let west = datetime!(2026-01-02 03:04:05 -03:30);
        assert_eq!(xmp_date(west), "2026-01-02T03:04:05-03:30");
    }

    #[test]
    fn packet_identifies_pdfa_and_escapes_text() {
        let p = packet(&info(), facts(false));
        assert!(p.contains("<pdfaid:part>2</pdfaid:part>"));
        assert!(p.contains("<pdfaid:conformance>B</pdfaid:conformance>"));
        assert!(p.contains("ĐƠN ĐỀ NGHỊ &lt;bản sao&gt; &amp; chứng thực"));
        assert!(p.contains("<dc:identifier>000.00.31.H29-260101-0001</dc:identifier>"));
        assert!(!p.contains("kyso:"));
        assert!(!p.contains("encoding="));
    }

    #[test]
    fn kyso_schema_is_declared_before_use() {
        let p = packet(&info(), facts(true));
        let declared = p.find("<pdfaSchema:namespaceURI>").unwrap();
        let used = p.find("<kyso:dossierCode>").unwrap();
        assert!(declared < used);
        assert!(p.contains("<kyso:pageCount>3</kyso:pageCount>"));
        assert!(p.contains("<pdfaProperty:name>dossierCode</pdfaProperty:name>"));
    }
}
