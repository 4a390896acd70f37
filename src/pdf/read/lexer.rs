//! Tokens and objects (ISO 32000-1 §7.2, §7.3): whitespace and comments, numbers, strings
//! with their escapes, names with `#xx`, arrays, dictionaries, references, and indirect
//! objects with their streams. Which object lives where is left to `xref` and `document`.

use super::object::{Dictionary, Object, ObjectId, Stream};
use super::{Location, PdfReadError, Result};

/// Whitespace characters (ISO 32000-1 §7.2.2, Table 1).
pub(crate) fn is_whitespace(b: u8) -> bool {
    matches!(b, 0 | 9 | 10 | 12 | 13 | 32)
}

/// Delimiter characters (ISO 32000-1 §7.2.2, Table 2).
pub(crate) fn is_delimiter(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

fn is_regular(b: u8) -> bool {
    !is_whitespace(b) && !is_delimiter(b)
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// What the bytes being lexed are, so errors can say where they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    File,
    ObjectStream(u32),
    Content,
}

/// One token (ISO 32000-1 §7.2). Keywords are every other run of regular characters:
/// `true`, `obj`, `R`, content operators such as `Tj`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Token<'a> {
    Int(i64),
    Real(f64),
    String(Vec<u8>),
    Name(Vec<u8>),
    ArrayOpen,
    ArrayClose,
    DictOpen,
    DictClose,
    Keyword(&'a [u8]),
}

pub(crate) struct Lexer<'a> {
    pub data: &'a [u8],
    pub pos: usize,
    origin: Origin,
    max_depth: usize,
}

impl<'a> Lexer<'a> {
    pub fn new(data: &'a [u8], pos: usize, origin: Origin, max_depth: usize) -> Lexer<'a> {
        Lexer {
            data,
            pos: pos.min(data.len()),
            origin,
            max_depth,
        }
    }

    pub fn at(&self, pos: usize) -> Location {
        match self.origin {
            Origin::File => Location::Offset(pos),
            Origin::ObjectStream(stream) => Location::InObjectStream {
                stream,
                offset: pos,
            },
            Origin::Content => Location::InContentStream { offset: pos },
        }
    }

    fn syntax(&self, pos: usize, expected: &'static str) -> PdfReadError {
        PdfReadError::Syntax {
            at: self.at(pos),
            expected,
        }
    }

    fn truncated(&self, inside: &'static str) -> PdfReadError {
        PdfReadError::Truncated {
            at: self.at(self.pos),
            inside,
        }
    }

    /// Skips whitespace and comments (§7.2.3).
    pub fn skip_ws(&mut self) {
        while let Some(&b) = self.data.get(self.pos) {
            if is_whitespace(b) {
                self.pos += 1;
            } else if b == b'%' {
                while let Some(&c) = self.data.get(self.pos) {
                    if c == b'\r' || c == b'\n' {
                        break;
                    }
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    /// The next token, or `None` at the end of the data.
    pub fn token(&mut self) -> Result<Option<Token<'a>>> {
        self.skip_ws();
        let start = self.pos;
        let Some(&b) = self.data.get(start) else {
            return Ok(None);
        };
        let token = match b {
            b'[' => {
                self.pos += 1;
                Token::ArrayOpen
            }
            b']' => {
                self.pos += 1;
                Token::ArrayClose
            }
            b'<' if self.data.get(start + 1) == Some(&b'<') => {
                self.pos += 2;
                Token::DictOpen
            }
            b'>' if self.data.get(start + 1) == Some(&b'>') => {
                self.pos += 2;
                Token::DictClose
            }
            b'<' => Token::String(self.hex_string()?),
            b'(' => Token::String(self.literal_string()?),
            b'/' => Token::Name(self.name()),
            b'{' | b'}' => {
                // PostScript calculator braces (§7.10.5); only functions use them.
                self.pos += 1;
                Token::Keyword(&self.data[start..start + 1])
            }
            b')' | b'>' => return Err(self.syntax(start, "a token, not a closing delimiter")),
            _ => {
                while self.data.get(self.pos).is_some_and(|&c| is_regular(c)) {
                    self.pos += 1;
                }
                let word = &self.data[start..self.pos];
                number(word).unwrap_or(Token::Keyword(word))
            }
        };
        Ok(Some(token))
    }

    /// A literal string (§7.3.4.2): balanced parentheses, backslash escapes, and end-of-line
    /// markers read as a single line feed.
    fn literal_string(&mut self) -> Result<Vec<u8>> {
        self.pos += 1;
        let mut out = Vec::new();
        let mut depth = 0usize;
        loop {
            let Some(&b) = self.data.get(self.pos) else {
                return Err(self.truncated("a literal string"));
            };
            self.pos += 1;
            match b {
                b'(' => {
                    depth += 1;
                    out.push(b);
                }
                b')' if depth == 0 => return Ok(out),
                b')' => {
                    depth -= 1;
                    out.push(b);
                }
                b'\r' => {
                    if self.data.get(self.pos) == Some(&b'\n') {
                        self.pos += 1;
                    }
                    out.push(b'\n');
                }
                b'\\' => {
                    let Some(&e) = self.data.get(self.pos) else {
                        return Err(self.truncated("a literal string"));
                    };
                    self.pos += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'0'..=b'7' => {
                            let mut value = u32::from(e - b'0');
                            for _ in 0..2 {
                                match self.data.get(self.pos) {
                                    Some(&d @ b'0'..=b'7') => {
                                        value = value * 8 + u32::from(d - b'0');
                                        self.pos += 1;
                                    }
                                    _ => break,
                                }
                            }
                            // High-order overflow is ignored (§7.3.4.2).
                            out.push((value & 0xff) as u8);
                        }
                        // A backslash before an end-of-line continues the string.
                        b'\r' => {
                            if self.data.get(self.pos) == Some(&b'\n') {
                                self.pos += 1;
                            }
                        }
                        b'\n' => {}
                        // `\(`, `\)`, `\\`, and any other character stands for itself.
                        other => out.push(other),
                    }
                }
                other => out.push(other),
            }
        }
    }

    /// A hexadecimal string (§7.3.4.3): whitespace ignored, an odd last digit padded with 0.
    fn hex_string(&mut self) -> Result<Vec<u8>> {
        let start = self.pos;
        // Fast path for the common case, an unbroken run of digit pairs (a signature's
        // /Contents is tens of kilobytes of them): decode two digits at a time.
        if let Some(length) = self.data[start + 1..].iter().position(|&b| b == b'>') {
            let digits = &self.data[start + 1..start + 1 + length];
            if digits.len().is_multiple_of(2) {
                let mut out = Vec::with_capacity(digits.len() / 2);
                let all_hex = digits.chunks_exact(2).all(|pair| {
                    match (hex_value(pair[0]), hex_value(pair[1])) {
                        (Some(h), Some(l)) => {
                            out.push(h << 4 | l);
                            true
                        }
                        _ => false,
                    }
                });
                if all_hex {
                    self.pos = start + 2 + length;
                    return Ok(out);
                }
            }
        }
        self.pos += 1;
        let mut out = Vec::new();
        let mut high: Option<u8> = None;
        loop {
            let Some(&b) = self.data.get(self.pos) else {
                return Err(self.truncated("a hexadecimal string"));
            };
            self.pos += 1;
            if b == b'>' {
                if let Some(h) = high {
                    out.push(h << 4);
                }
                return Ok(out);
            }
            if is_whitespace(b) {
                continue;
            }
            let Some(v) = hex_value(b) else {
                return Err(self.syntax(start, "hexadecimal digits in a <string>"));
            };
            match high.take() {
                Some(h) => out.push(h << 4 | v),
                None => high = Some(v),
            }
        }
    }

    /// A name (§7.3.5): `#xx` decoded; a `#` not followed by two hex digits is kept, as PDF
    /// 1.1 files wrote it literally.
    fn name(&mut self) -> Vec<u8> {
        self.pos += 1;
        let mut out = Vec::new();
        while let Some(&b) = self.data.get(self.pos) {
            if !is_regular(b) {
                break;
            }
            if b == b'#' {
                let hi = self.data.get(self.pos + 1).copied().and_then(hex_value);
                let lo = self.data.get(self.pos + 2).copied().and_then(hex_value);
                if let (Some(hi), Some(lo)) = (hi, lo) {
                    out.push(hi << 4 | lo);
                    self.pos += 3;
                    continue;
                }
            }
            out.push(b);
            self.pos += 1;
        }
        out
    }

    /// The next object; `refs` allows `n g R` (never in content streams).
    pub fn object(&mut self, refs: bool) -> Result<Object> {
        let start = self.pos;
        match self.token()? {
            Some(token) => self.object_from(token, start, refs, 0),
            None => Err(self.truncated("an object")),
        }
    }

    /// Builds an object whose first token has been read.
    pub fn object_from(
        &mut self,
        token: Token<'a>,
        start: usize,
        refs: bool,
        depth: usize,
    ) -> Result<Object> {
        if depth > self.max_depth {
            return Err(PdfReadError::TooDeep {
                at: self.at(start),
                limit: self.max_depth,
            });
        }
        Ok(match token {
            Token::Int(n) => {
                if refs && let Some(id) = self.reference_after(n) {
                    return Ok(Object::Ref(id));
                }
                Object::Int(n)
            }
            Token::Real(r) => Object::Real(r),
            Token::String(s) => Object::String(s),
            Token::Name(n) => Object::Name(n),
            Token::ArrayOpen => {
                let mut items = Vec::new();
                loop {
                    let at = self.pos;
                    match self.token()? {
                        None => return Err(self.truncated("an array")),
                        Some(Token::ArrayClose) => break,
                        Some(t) => items.push(self.object_from(t, at, refs, depth + 1)?),
                    }
                }
                Object::Array(items)
            }
            Token::DictOpen => Object::Dict(self.dictionary_body(refs, depth)?),
            Token::Keyword(b"true") => Object::Bool(true),
            Token::Keyword(b"false") => Object::Bool(false),
            Token::Keyword(b"null") => Object::Null,
            Token::Keyword(_) | Token::ArrayClose | Token::DictClose => {
                return Err(self.syntax(start, "an object"));
            }
        })
    }

    fn dictionary_body(&mut self, refs: bool, depth: usize) -> Result<Dictionary> {
        let mut dict = Dictionary::new();
        loop {
            let at = self.pos;
            match self.token()? {
                None => return Err(self.truncated("a dictionary")),
                Some(Token::DictClose) => return Ok(dict),
                Some(Token::Name(key)) => {
                    let value_at = self.pos;
                    let value = match self.token()? {
                        None => return Err(self.truncated("a dictionary")),
                        Some(t) => self.object_from(t, value_at, refs, depth + 1)?,
                    };
                    dict.0.push((key, value));
                }
                Some(_) => return Err(self.syntax(at, "a name as dictionary key, or >>")),
            }
        }
    }

    /// After an integer: `g R` makes it a reference; otherwise nothing is consumed.
    fn reference_after(&mut self, number: i64) -> Option<ObjectId> {
        let save = self.pos;
        let id = (|| {
            let number = u32::try_from(number).ok()?;
            let Ok(Some(Token::Int(generation))) = self.token() else {
                return None;
            };
            let generation = u16::try_from(generation).ok()?;
            let Ok(Some(Token::Keyword(b"R"))) = self.token() else {
                return None;
            };
            Some(ObjectId::new(number, generation))
        })();
        if id.is_none() {
            self.pos = save;
        }
        id
    }

    /// Expects a keyword; returns whether it was there (consuming it only if so).
    pub fn keyword(&mut self, word: &[u8]) -> bool {
        let save = self.pos;
        if let Ok(Some(Token::Keyword(k))) = self.token()
            && k == word
        {
            return true;
        }
        self.pos = save;
        false
    }

    /// An indirect object `n g obj … endobj` starting here (§7.3.10), with its stream data if
    /// it is a stream (§7.3.8). `length` resolves an indirect /Length.
    pub fn indirect(
        &mut self,
        length: &dyn Fn(ObjectId) -> Option<i64>,
    ) -> Result<(ObjectId, Object)> {
        let start = self.pos;
        let header = |lexer: &mut Lexer<'a>| -> Option<ObjectId> {
            let Ok(Some(Token::Int(n))) = lexer.token() else {
                return None;
            };
            let Ok(Some(Token::Int(g))) = lexer.token() else {
                return None;
            };
            if !lexer.keyword(b"obj") {
                return None;
            }
            Some(ObjectId::new(
                u32::try_from(n).ok()?,
                u16::try_from(g).ok()?,
            ))
        };
        let Some(id) = header(self) else {
            return Err(self.syntax(start, "an object header `n g obj`"));
        };
        let object = self.object(true)?;
        let Object::Dict(dict) = object else {
            return Ok((id, object));
        };
        if !self.keyword(b"stream") {
            return Ok((id, Object::Dict(dict)));
        }
        // The keyword is followed by CRLF or LF (a lone CR is tolerated).
        match self.data.get(self.pos..self.pos + 2) {
            Some(b"\r\n") => self.pos += 2,
            _ if matches!(self.data.get(self.pos), Some(b'\n' | b'\r')) => self.pos += 1,
            _ => {}
        }
        let data_start = self.pos;
        let declared = match dict.get("Length") {
            Some(Object::Int(n)) => Some(*n),
            Some(Object::Ref(r)) => length(*r),
            _ => None,
        };
        let exact = declared
            .and_then(|n| usize::try_from(n).ok())
            .and_then(|n| data_start.checked_add(n))
            .filter(|&end| end <= self.data.len())
            .filter(|&end| {
                let mut after = Lexer::new(self.data, end, self.origin, self.max_depth);
                after.keyword(b"endstream")
            });
        let (end, length_fallback) = match exact {
            Some(end) => (end, false),
            None => {
                let Some(found) = find(&self.data[data_start..], b"endstream") else {
                    return Err(self.truncated("a stream (no endstream)"));
                };
                let mut end = data_start + found;
                // The EOL before `endstream` is not part of the data (§7.3.8.1).
                if end > data_start && self.data[end - 1] == b'\n' {
                    end -= 1;
                }
                if end > data_start && self.data[end - 1] == b'\r' {
                    end -= 1;
                }
                (end, true)
            }
        };
        let raw: std::sync::Arc<[u8]> = std::sync::Arc::from(&self.data[data_start..end]);
        self.pos = end;
        self.keyword(b"endstream");
        Ok((
            id,
            Object::Stream(Stream {
                dict,
                raw,
                data_offset: data_start,
                length_fallback,
            }),
        ))
    }
}

/// Classifies a run of regular characters as a number (§7.3.3), if it is one: an optional
/// sign, digits with at most one period, at least one digit. Integers too large for `i64`
/// become reals.
fn number(word: &[u8]) -> Option<Token<'static>> {
    let digits = word.strip_prefix(b"+").or_else(|| word.strip_prefix(b"-"));
    let body = digits.unwrap_or(word);
    if body.is_empty()
        || !body.iter().all(|b| b.is_ascii_digit() || *b == b'.')
        || body.iter().filter(|&&b| b == b'.').count() > 1
        || !body.iter().any(u8::is_ascii_digit)
    {
        return None;
    }
    let text = std::str::from_utf8(word).ok()?;
    if !body.contains(&b'.')
        && let Ok(i) = text.parse::<i64>()
    {
        return Some(Token::Int(i));
    }
    let text = text.strip_prefix('+').unwrap_or(text);
    let (sign, rest) = match text.strip_prefix('-') {
        Some(rest) => (-1.0, rest),
        None => (1.0, text),
    };
    // Pad "5." and ".5" into forms every float parser takes.
    let padded = if rest.ends_with('.') {
        format!("0{rest}0")
    } else {
        format!("0{rest}")
    };
    padded.parse::<f64>().ok().map(|v| Token::Real(sign * v))
}

/// The first occurrence of `needle` in `haystack`.
pub(crate) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The last occurrence of `needle` in `haystack`.
pub(crate) fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &[u8]) -> Result<Object> {
        Lexer::new(text, 0, Origin::File, 8).object(true)
    }

    #[test]
    fn numbers_strings_names() {
        assert_eq!(parse(b"+17").unwrap(), Object::Int(17));
        assert_eq!(parse(b"-.002").unwrap(), Object::Real(-0.002));
        assert_eq!(parse(b"4.").unwrap(), Object::Real(4.0));
        assert_eq!(parse(b"99999999999999999999").unwrap(), Object::Real(1e20));
        assert_eq!(
            parse(b"(a (b) \\(c\\) \\101\\0537\\\r\nd\r\ne)").unwrap(),
            Object::String(b"a (b) (c) A+7d\ne".to_vec())
        );
        assert_eq!(
            parse(b"<4E6F7 >").unwrap(),
            Object::String(b"No\x70".to_vec())
        );
        assert_eq!(parse(b"/A#20B#").unwrap(), Object::Name(b"A B#".to_vec()));
    }

    /// The fast path (an unbroken even run of digits) and the general one agree.
    #[test]
    fn hex_strings_fast_and_general() {
        let long: Vec<u8> = b"<"
            .iter()
            .chain(&[b'a'; 20_000])
            .chain(b">")
            .copied()
            .collect();
        assert_eq!(parse(&long).unwrap(), Object::String(vec![0xaa; 10_000]));
        assert_eq!(parse(b"<>").unwrap(), Object::String(Vec::new()));
        assert_eq!(parse(b"<0aFf>").unwrap(), Object::String(vec![0x0a, 0xff]));
        assert_eq!(
            parse(b"<0a F\nf>").unwrap(),
            Object::String(vec![0x0a, 0xff])
        );
        assert_eq!(parse(b"<0aF>").unwrap(), Object::String(vec![0x0a, 0xf0]));
        assert!(parse(b"<0aFg>").is_err());
        assert!(parse(b"<0aFf").is_err());
        let mut lexer = Lexer::new(b"<0aff> 12", 0, Origin::File, 8);
        assert_eq!(
            lexer.object(true).unwrap(),
            Object::String(vec![0x0a, 0xff])
        );
        assert_eq!(lexer.object(true).unwrap(), Object::Int(12));
    }

    #[test]
    fn containers_and_references() {
        let o = parse(b"<< /K [1 0 R 2 (x) /N null] /D << /T true >> >>").unwrap();
        let d = o.as_dict().unwrap();
        let k = d.get("K").unwrap().as_array().unwrap();
        assert_eq!(k[0], Object::Ref(ObjectId::new(1, 0)));
        assert_eq!(k[1], Object::Int(2));
        assert_eq!(k.len(), 5);
        assert!(d.get("D").unwrap().as_dict().unwrap().contains("T"));
    }

    #[test]
    fn errors_do_not_panic() {
        for bad in [
            &b"<< /A"[..],
            b"(unbalanced",
            b"[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]",
            b"<zz>",
            b")",
            b"<< 1 2 >>",
            b"",
            b"\\",
        ] {
            assert!(parse(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn stream_with_wrong_length_is_cut_at_endstream() {
        let file = b"7 0 obj <</Length 99>> stream\r\nabc\nendstream endobj";
        let (id, obj) = Lexer::new(file, 0, Origin::File, 8)
            .indirect(&|_| None)
            .unwrap();
        assert_eq!(id, ObjectId::new(7, 0));
        let s = obj.as_stream().unwrap();
        assert_eq!(&*s.raw, b"abc");
        assert!(s.length_fallback);
        let good = b"7 0 obj <</Length 3>> stream\nabc\nendstream endobj";
        let (_, obj) = Lexer::new(good, 0, Origin::File, 8)
            .indirect(&|_| None)
            .unwrap();
        assert!(!obj.as_stream().unwrap().length_fallback);
    }
}
