//! kyso ("ký số") turns paper dossiers handed in at Vietnam's one-stop counters into trusted
//! digital documents: it digitizes scans into searchable PDF/A, signs PDFs with PAdES and
//! verifies them. This crate is the library behind the `kyso` command and service.
//!
//! - [`csc`]: the CSC API v1/v2 remote-signing service (OTP, PIN, SCAL2 SAD, lockout) and client.
//! - [`digitize`]: scans (PNG, JPEG, TIFF, scanned PDF) → upright, straight, OCRed PDF/A.
//! - [`ocr`]: the OCR engine trait and its Tesseract binding.
//! - [`pdf`]: the PDF/A writer, a strict PDF reader and incremental updates.
//! - [`pki`]: Vietnamese certificate identities, chains, OCSP, CRL, timestamps and the test PKI.
//! - [`net`]: outbound HTTP for the TSA, OCSP and CRL clients.
//! - [`sign`]: PAdES signing with PKCS#12, PKCS#11 and remote keys.
//! - [`store`]: the embedded SQLite store.
//! - [`verify`]: validation of every signature and timestamp of a PDF, with a report.
//! - [`server`]: the HTTP service (`kyso serve`).

pub mod csc;
pub mod digitize;
pub mod hex;
pub mod net;
pub mod ocr;
pub mod pdf;
pub mod pki;
pub mod server;
pub mod sign;
pub mod store;
pub mod verify;
