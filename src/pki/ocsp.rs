//! RFC 6960 OCSP: requests and responses for the client, and a responder for the test PKI.
