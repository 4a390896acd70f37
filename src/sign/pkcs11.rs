//! A signer whose key stays inside a PKCS#11 token or HSM (via `cryptoki`).
