//! PAdES staging: the signature field and /Sig dictionary with a /Contents placeholder, the /ByteRange, the digest over it, and embedding the CMS.
