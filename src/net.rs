//! Outbound HTTP (TSA, OCSP, CRL, CA certificates): the only module that opens client connections; it implements `pki::revocation::Fetcher`.
