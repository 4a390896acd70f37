//! CMS SignedData (RFC 5652) for PAdES and timestamps: signed attributes, SignerInfo, the certificate set; the signature value itself comes from a `Signer`.
