//! A small process-wide memory of what was decoded from DER (certificates, public keys,
//! names), bounded so it cannot grow without end. A verifier meets the same CA, TSA and OCSP
//! certificates in every document, and OpenSSL 3 builds a decoder for every `d2i`.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock, PoisonError};

/// Values by the DER they were decoded from; forgotten all at once when full.
pub(crate) struct ByDer<V> {
    map: OnceLock<Mutex<HashMap<Vec<u8>, V>>>,
    capacity: usize,
}

impl<V: Clone> ByDer<V> {
    pub const fn new(capacity: usize) -> ByDer<V> {
        ByDer {
            map: OnceLock::new(),
            capacity,
        }
    }

    /// The value remembered for `der`, or `decode(der)` remembered when it succeeds.
    pub fn get_or_decode<E>(
        &self,
        der: &[u8],
        decode: impl FnOnce(&[u8]) -> Result<V, E>,
    ) -> Result<V, E> {
        let map = self.map.get_or_init(Default::default);
        // Every update is a single map operation, so a poisoned lock is safe to keep using.
        if let Some(value) = map.lock().unwrap_or_else(PoisonError::into_inner).get(der) {
            return Ok(value.clone());
        }
        let value = decode(der)?;
        let mut map = map.lock().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= self.capacity {
            map.clear();
        }
        map.insert(der.to_vec(), value.clone());
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_once_and_stays_bounded() {
        static SEEN: ByDer<usize> = ByDer::new(2);
        let mut calls = 0;
        let mut decode = |der: &[u8]| -> Result<usize, ()> {
            calls += 1;
            Ok(der.len())
        };
        assert_eq!(SEEN.get_or_decode(b"ab", &mut decode), Ok(2));
        assert_eq!(SEEN.get_or_decode(b"ab", &mut decode), Ok(2));
        assert_eq!(SEEN.get_or_decode(b"abc", &mut decode), Ok(3));
        assert_eq!(SEEN.get_or_decode(b"x", |_| Err::<usize, ()>(())), Err(()));
        assert_eq!(calls, 2);
        assert!(SEEN.map.get().unwrap().lock().unwrap().len() <= 2);
    }
}
