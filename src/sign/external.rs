//! Two-step signing: `prepare` hands out the data to be signed, `complete` takes back a raw signature value or a whole CMS from a remote service.
