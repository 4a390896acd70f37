//! `kyso sign` end to end.
