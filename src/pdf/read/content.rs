//! Content streams as operations (ISO 32000-1 §7.8.2): operands followed by an operator,
//! with inline images (§8.9.7) kept whole. What the operators draw (text state, graphics
//! state, images) is left to the callers.

use super::Result;
use super::lexer::{Lexer, Origin, Token, is_whitespace};
use super::object::{Dictionary, Object, Stream};
use super::{Location, PdfReadError};

/// One operator and its operands, e.g. `/F1 12 Tf`. An inline image is the operator `BI`
/// with one operand: a [`Stream`] holding its parameters (abbreviated keys as written) and
/// its data up to `EI`.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    pub operator: Vec<u8>,
    pub operands: Vec<Object>,
}

/// Splits decoded content into operations. Operands left without an operator at the end
/// are dropped, as §7.8.2 readers do.
pub fn operations(data: &[u8], max_depth: usize) -> Result<Vec<Operation>> {
    let mut lexer = Lexer::new(data, 0, Origin::Content, max_depth);
    let mut ops = Vec::new();
    let mut operands = Vec::new();
    loop {
        let start = lexer.pos;
        let Some(token) = lexer.token()? else {
            return Ok(ops);
        };
        match token {
            Token::Keyword(b"true" | b"false" | b"null")
            | Token::Int(_)
            | Token::Real(_)
            | Token::String(_)
            | Token::Name(_)
            | Token::ArrayOpen
            | Token::DictOpen => {
                operands.push(lexer.object_from(token, start, false, 0)?);
            }
            Token::Keyword(b"BI") => {
                let image = inline_image(&mut lexer, start)?;
                operands.clear();
                ops.push(Operation {
                    operator: b"BI".to_vec(),
                    operands: vec![Object::Stream(image)],
                });
            }
            Token::Keyword(op) => ops.push(Operation {
                operator: op.to_vec(),
                operands: std::mem::take(&mut operands),
            }),
            Token::ArrayClose | Token::DictClose => {
                return Err(PdfReadError::Syntax {
                    at: Location::InContentStream { offset: start },
                    expected: "an operand or an operator",
                });
            }
        }
    }
}

/// `BI` key-value pairs `ID` data `EI` (§8.9.7). The data ends at the first `EI` that has
/// white space on both sides.
fn inline_image(lexer: &mut Lexer<'_>, start: usize) -> Result<Stream> {
    let mut dict = Dictionary::new();
    loop {
        let at = lexer.pos;
        match lexer.token()? {
            Some(Token::Keyword(b"ID")) => break,
            Some(Token::Name(key)) => {
                let value_at = lexer.pos;
                let Some(t) = lexer.token()? else {
                    return Err(truncated(lexer.pos));
                };
                let value = lexer.object_from(t, value_at, false, 1)?;
                dict.0.push((key, value));
            }
            Some(_) => {
                return Err(PdfReadError::Syntax {
                    at: Location::InContentStream { offset: at },
                    expected: "inline image parameters, then ID",
                });
            }
            None => return Err(truncated(lexer.pos)),
        }
    }
    // One white-space character separates ID from the data.
    let data_start = (lexer.pos + 1).min(lexer.data.len());
    let data = lexer.data;
    let mut i = data_start;
    loop {
        if i + 2 > data.len() {
            return Err(truncated(start));
        }
        let before_ok = i == data_start || is_whitespace(data[i - 1]);
        let after_ok = data.get(i + 2).is_none_or(|&b| is_whitespace(b));
        if &data[i..i + 2] == b"EI" && before_ok && after_ok {
            break;
        }
        i += 1;
    }
    let end = if i > data_start && is_whitespace(data[i - 1]) {
        i - 1
    } else {
        i
    };
    lexer.pos = i + 2;
    Ok(Stream {
        dict,
        raw: std::sync::Arc::from(&data[data_start..end.max(data_start)]),
        data_offset: data_start,
        length_fallback: false,
    })
}

fn truncated(offset: usize) -> PdfReadError {
    PdfReadError::Truncated {
        at: Location::InContentStream { offset },
        inside: "an inline image",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_operands_and_inline_images() {
        let ops = operations(
            b"q 1 0 0 1 0 0 cm /Im0 Do Q BT 3 Tr [(a) -20 (b)] TJ ET BI /W 2 /H 1 /BPC 8 /CS /G ID \x00\xff EI Q",
            16,
        )
        .unwrap();
        let names: Vec<&[u8]> = ops.iter().map(|o| o.operator.as_slice()).collect();
        assert_eq!(
            names,
            [
                &b"q"[..],
                b"cm",
                b"Do",
                b"Q",
                b"BT",
                b"Tr",
                b"TJ",
                b"ET",
                b"BI",
                b"Q"
            ]
        );
        assert_eq!(ops[1].operands.len(), 6);
        let Object::Stream(image) = &ops[8].operands[0] else {
            panic!("inline image");
        };
        assert_eq!(&*image.raw, [0, 255]);
        assert_eq!(image.dict.get("W"), Some(&Object::Int(2)));
    }

    #[test]
    fn unterminated_inline_image_is_an_error() {
        assert!(operations(b"BI /W 1 ID abc", 4).is_err());
        assert!(operations(b"]", 4).is_err());
    }
}
