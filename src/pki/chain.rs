//! Building and checking certificate chains (RFC 5280 §6): issuer links, validity, key usage, basic constraints.
