//! Incremental updates (ISO 32000-1 §7.5.6): new and replaced objects appended after the original bytes, with a cross-reference section of the same kind and /Prev.
