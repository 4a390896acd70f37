//! Bytes as hexadecimal text: lower case for hashes and identifiers (SHA-256 names of blobs,
//! audit entries, certificate fingerprints), upper case for PDF hex strings.

const LOWER: &[u8; 16] = b"0123456789abcdef";
const UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// `bytes` as lower-case hex, two digits a byte.
pub fn lower(bytes: &[u8]) -> String {
    with_digits(bytes, LOWER)
}

/// `bytes` as upper-case hex, two digits a byte.
pub fn upper(bytes: &[u8]) -> String {
    with_digits(bytes, UPPER)
}

fn with_digits(bytes: &[u8], digits: &[u8; 16]) -> String {
    let mut text = String::with_capacity(2 * bytes.len());
    for byte in bytes {
        text.push(char::from(digits[usize::from(byte >> 4)]));
        text.push(char::from(digits[usize::from(byte & 0x0f)]));
    }
    text
}

#[cfg(test)]
mod tests {
    #[test]
    fn two_digits_a_byte_in_either_case() {
        assert_eq!(super::lower(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        assert_eq!(super::upper(&[0x00, 0x0f, 0xa5, 0xff]), "000FA5FF");
        assert_eq!(super::lower(&[]), "");
    }
}
