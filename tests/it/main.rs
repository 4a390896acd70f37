//! Integration tests, built as one binary: the `kyso` command as a user runs it, judged where
//! possible by independent tools (openssl) rather than by kyso itself.

mod api_jobs;
mod api_sign;
mod audit;
mod certs;
mod cli;
mod csc_client;
mod csc_service;
mod digitize;
mod hsm;
mod ocr;
mod pdf_read;
mod pdf_writer;
mod serve;
mod sign;
mod signers;
mod stamp_font;
mod support;
mod trust;
mod verify;
mod verify_bombs;
mod verify_crypto;
