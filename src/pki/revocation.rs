//! Revocation status and the evidence for it (OCSP responses, CRLs), fetched through a `Fetcher` so the core does no I/O.
