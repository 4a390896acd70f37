//! A bounded table of short-lived server-side sessions (a prepared two-step signature, a
//! citizen's remote-signing login, an OTP challenge), each under a random id and forgotten at
//! its expiry. Full tables drop the entry that expires first, so memory stays bounded
//! whatever clients do.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Sessions of one kind, by id.
#[derive(Debug)]
pub struct Sessions<T> {
    capacity: usize,
    entries: Mutex<HashMap<String, (Instant, T)>>,
}

impl<T: Clone> Sessions<T> {
    pub fn new(capacity: usize) -> Sessions<T> {
        Sessions {
            capacity: capacity.max(1),
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// Keeps `value` under `id` for `lifetime` from `now`.
    pub fn insert(&self, id: String, value: T, lifetime: Duration, now: Instant) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.retain(|_, (expires, _)| *expires > now);
        while entries.len() >= self.capacity {
            let Some(first) = entries
                .iter()
                .min_by_key(|(_, (expires, _))| *expires)
                .map(|(id, _)| id.clone())
            else {
                break;
            };
            entries.remove(&first);
        }
        entries.insert(id, (now + lifetime, value));
    }

    /// The value under `id` and the time it has left, unless it expired.
    pub fn get(&self, id: &str, now: Instant) -> Option<(T, Duration)> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let (expires, value) = entries.get(id)?;
        (*expires > now).then(|| (value.clone(), *expires - now))
    }

    pub fn remove(&self, id: &str) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.remove(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_a_full_table_drops_the_soonest_to_expire() {
        let sessions = Sessions::new(2);
        let start = Instant::now();
        let minute = Duration::from_secs(60);
        sessions.insert("a".into(), 1, minute, start);
        sessions.insert("b".into(), 2, 2 * minute, start);
        assert_eq!(sessions.get("a", start).map(|(v, _)| v), Some(1));
        assert_eq!(sessions.get("a", start + minute), None, "expired");
        sessions.insert("c".into(), 3, 3 * minute, start);
        assert_eq!(sessions.get("a", start), None, "dropped to make room");
        assert_eq!(sessions.get("b", start).map(|(v, _)| v), Some(2));
        sessions.remove("b");
        assert_eq!(sessions.get("b", start), None, "removed");
        let (value, left) = sessions.get("c", start + minute).unwrap();
        assert_eq!((value, left), (3, 2 * minute));
    }
}
