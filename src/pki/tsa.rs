//! RFC 3161 time-stamping: requests and responses for the client, and a time-stamping authority that answers them.
