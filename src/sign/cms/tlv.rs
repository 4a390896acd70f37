//! Reading and rebuilding DER without re-encoding what is inside: a verifier must hash the
//! signed attributes exactly as they were received (RFC 5652 §5.4), and adding an unsigned
//! attribute must not disturb the signed bytes. Typed decoding is left to the `cms` crate.

use der::asn1::AnyRef;
use der::{Decode, Encode, Reader, SliceReader, Tag, TagNumber};

/// The elements inside a constructed value (a SEQUENCE, SET or constructed context tag).
pub(crate) fn children<'a>(value: &'a [u8]) -> der::Result<Vec<AnyRef<'a>>> {
    let mut reader = SliceReader::new(value)?;
    let mut out = Vec::new();
    while !reader.is_finished() {
        out.push(AnyRef::decode(&mut reader)?);
    }
    Ok(out)
}

/// One TLV from the front of `bytes`, which must hold nothing else.
pub(crate) fn single(bytes: &[u8]) -> der::Result<AnyRef<'_>> {
    AnyRef::from_der(bytes)
}

/// The complete encoding (tag, length, value) of an element. DER lengths are canonical, so
/// this reproduces the received bytes.
pub(crate) fn encoding(any: &AnyRef<'_>) -> der::Result<Vec<u8>> {
    any.to_der()
}

/// A new TLV with `tag` around already-encoded `content`.
pub(crate) fn wrap(tag: Tag, content: &[u8]) -> der::Result<Vec<u8>> {
    AnyRef::new(tag, content)?.to_der()
}

/// `[n]` constructed, context-specific.
pub(crate) fn context(number: u8) -> Tag {
    Tag::ContextSpecific {
        constructed: true,
        number: TagNumber::new(number),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use der::Tagged;

    #[test]
    fn walks_and_rebuilds_without_change() {
        // SEQUENCE { INTEGER 1, [0] { NULL } }
        let der = [0x30, 0x07, 0x02, 0x01, 0x01, 0xa0, 0x02, 0x05, 0x00];
        let outer = single(&der).unwrap();
        let kids = children(outer.value()).unwrap();
        assert_eq!(kids.len(), 2);
        assert_eq!(kids[1].tag(), context(0));
        let rebuilt: Vec<u8> = kids.iter().flat_map(|k| encoding(k).unwrap()).collect();
        assert_eq!(wrap(Tag::Sequence, &rebuilt).unwrap(), der);
    }

    #[test]
    fn rejects_trailing_garbage() {
        assert!(single(&[0x05, 0x00, 0x00]).is_err());
        assert!(children(&[0x02, 0x05, 0x01]).is_err());
    }
}
