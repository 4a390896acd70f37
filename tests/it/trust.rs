//! The trust services of `kyso serve` (TSA, OCSP, CRL, CA certificates), judged by openssl.
