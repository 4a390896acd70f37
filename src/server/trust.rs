//! Trust services for the test PKI: POST /tsa, GET and POST /ocsp, /crl/<ca>.crl and /ca/<ca>.cer.
