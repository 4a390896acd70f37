//! A signer whose key and chain come from a PKCS#12 file (RFC 7292) or PEM files.
