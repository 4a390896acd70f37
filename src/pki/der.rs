//! Minimal DER encoding for the few X.509 extension values the OpenSSL bindings offer no
//! builder for (CRL distribution points, authority information access, OCSP no-check).
//! Decoding is left to OpenSSL and, later, to the ASN.1 types of the signing code.

/// ASN.1 universal and context tags used below (ITU-T X.690 §8).
pub const SEQUENCE: u8 = 0x30;
pub const NULL: u8 = 0x05;
pub const OBJECT_IDENTIFIER: u8 = 0x06;
/// `[0]` constructed, context-specific.
pub const CONTEXT_0_CONSTRUCTED: u8 = 0xa0;
/// `GeneralName.uniformResourceIdentifier [6] IA5String`, implicitly tagged (RFC 5280 §4.2.1.6).
pub const GENERAL_NAME_URI: u8 = 0x86;

/// One TLV with a definite length (X.690 §8.1.3: short form below 128, long form above).
pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 6);
    out.push(tag);
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let first = bytes
            .iter()
            .position(|&b| b != 0)
            .unwrap_or(bytes.len() - 1);
        out.push(0x80 | (bytes.len() - first) as u8);
        out.extend_from_slice(&bytes[first..]);
    }
    out.extend_from_slice(content);
    out
}

/// A SEQUENCE of already-encoded elements.
pub fn sequence(elements: &[Vec<u8>]) -> Vec<u8> {
    tlv(SEQUENCE, &elements.concat())
}

/// The content octets of an OBJECT IDENTIFIER given as dotted decimal (X.690 §8.19).
/// Returns `None` for a malformed identifier.
pub fn oid(dotted: &str) -> Option<Vec<u8>> {
    let arcs: Vec<u64> = dotted
        .split('.')
        .map(|arc| arc.parse().ok())
        .collect::<Option<_>>()?;
    if arcs.len() < 2 || arcs[0] > 2 || (arcs[0] < 2 && arcs[1] > 39) {
        return None;
    }
    let mut content = Vec::new();
    let first = arcs[0].checked_mul(40)?.checked_add(arcs[1])?;
    for arc in std::iter::once(first).chain(arcs[2..].iter().copied()) {
        let mut groups = vec![(arc & 0x7f) as u8];
        let mut rest = arc >> 7;
        while rest > 0 {
            groups.push(0x80 | (rest & 0x7f) as u8);
            rest >>= 7;
        }
        content.extend(groups.iter().rev());
    }
    Some(tlv(OBJECT_IDENTIFIER, &content))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_lengths() {
        assert_eq!(tlv(0x04, &[1, 2]), vec![0x04, 2, 1, 2]);
        let long = tlv(0x04, &[0u8; 200]);
        assert_eq!(&long[..3], &[0x04, 0x81, 200]);
        let longer = tlv(0x04, &[0u8; 300]);
        assert_eq!(&longer[..4], &[0x04, 0x82, 0x01, 0x2c]);
    }

    #[test]
    fn oid_encoding_matches_x690_examples() {
        // id-ad-ocsp, RFC 5280 Appendix A.
        assert_eq!(
            oid("1.3.6.1.5.5.7.48.1").unwrap(),
            vec![0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01]
        );
        // A multi-byte arc: 1.2.840.113549 (rsadsi).
        assert_eq!(
            oid("1.2.840.113549").unwrap(),
            vec![0x06, 0x06, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d]
        );
        assert!(oid("3.1").is_none());
        assert!(oid("1").is_none());
        assert!(oid("1.x.3").is_none());
    }
}
