//! Signing keys: PKCS#12 files and PKCS#11 tokens (SoftHSM2), judged by openssl.
