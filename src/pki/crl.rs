//! RFC 5280 certificate revocation lists: issuing them for the test PKI and reading them.
