//! The visible signature stamp (Circular 05/2025/TT-BNV): a form XObject with the signer, organisation and time in an embedded, subset Times-metric font.
