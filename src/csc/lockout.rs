//! The failed-attempt counter of one credential: 5 wrong PIN or OTP attempts in a row lock it
//! until an administrator unlocks it; a success resets the count. A plain serde value: the
//! store persists it, the server audits the lock and the unlock.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Consecutive failures that lock a credential.
pub const MAX_FAILURES: u32 = 5;

/// An attempt refused because of the counter. Carries no secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LockoutError {
    #[error(
        "the credential is locked after {MAX_FAILURES} wrong attempts; ask an administrator to unlock it"
    )]
    Locked { since: OffsetDateTime },
    #[error("wrong PIN or OTP; {remaining} attempt(s) left before the credential is locked")]
    Failed { remaining: u32 },
}

/// The counter as persisted (JSON with RFC 3339 times).
///
/// Use: [`Lockout::check`] before looking at the PIN or OTP at all (a locked credential must
/// not become an oracle), then [`Lockout::record_failure`] or [`Lockout::record_success`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lockout {
    failures: u32,
    #[serde(with = "time::serde::rfc3339::option")]
    locked_at: Option<OffsetDateTime>,
}

impl Lockout {
    /// Refuses when the credential is locked.
    pub fn check(&self) -> Result<(), LockoutError> {
        match self.locked_at {
            Some(since) => Err(LockoutError::Locked { since }),
            None => Ok(()),
        }
    }

    /// Counts a wrong PIN or OTP at `now`. The error tells the user how many attempts are
    /// left, or that this one locked the credential.
    pub fn record_failure(&mut self, now: OffsetDateTime) -> LockoutError {
        if let Some(since) = self.locked_at {
            return LockoutError::Locked { since };
        }
        self.failures = self.failures.saturating_add(1);
        if self.failures >= MAX_FAILURES {
            self.locked_at = Some(now);
            LockoutError::Locked { since: now }
        } else {
            LockoutError::Failed {
                remaining: MAX_FAILURES - self.failures,
            }
        }
    }

    /// Resets the count after a PIN and OTP both passed. Refused if the credential is locked
    /// (the caller skipped [`Lockout::check`]).
    pub fn record_success(&mut self) -> Result<(), LockoutError> {
        self.check()?;
        self.failures = 0;
        Ok(())
    }

    /// The administrator's unlock: clears the lock and the count.
    pub fn unlock(&mut self) {
        *self = Lockout::default();
    }

    pub fn failures(&self) -> u32 {
        self.failures
    }

    pub fn locked_at(&self) -> Option<OffsetDateTime> {
        self.locked_at
    }

    pub fn is_locked(&self) -> bool {
        self.locked_at.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(unix: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(unix).unwrap()
    }

    #[test]
    fn fifth_consecutive_failure_locks_until_unlock() {
        let mut lockout = Lockout::default();
        for remaining in (1..MAX_FAILURES).rev() {
            lockout.check().unwrap();
            assert_eq!(
                lockout.record_failure(at(100)),
                LockoutError::Failed { remaining }
            );
        }
        assert_eq!(
            lockout.record_failure(at(200)),
            LockoutError::Locked { since: at(200) }
        );
        assert!(lockout.is_locked());
        // Locked: even the right PIN and OTP cannot reset it, and more failures change nothing.
        assert_eq!(
            lockout.check(),
            Err(LockoutError::Locked { since: at(200) })
        );
        assert!(lockout.record_success().is_err());
        assert_eq!(
            lockout.record_failure(at(300)),
            LockoutError::Locked { since: at(200) }
        );
        lockout.unlock();
        lockout.check().unwrap();
        assert_eq!(lockout.failures(), 0);
    }

    #[test]
    fn a_success_resets_the_count() {
        let mut lockout = Lockout::default();
        for _ in 0..4 {
            lockout.record_failure(at(100));
        }
        lockout.record_success().unwrap();
        assert_eq!(lockout.failures(), 0);
        for _ in 0..4 {
            lockout.record_failure(at(100));
        }
        assert!(
            !lockout.is_locked(),
            "4 + 4 failures with a success between"
        );
    }

    #[test]
    fn state_round_trips_through_json() {
        let mut lockout = Lockout::default();
        for _ in 0..MAX_FAILURES {
            lockout.record_failure(at(1_800_000_000));
        }
        let json = serde_json::to_string(&lockout).unwrap();
        assert_eq!(json, r#"{"failures":5,"locked_at":"2027-01-15T08:00:00Z"}"#);
        assert_eq!(serde_json::from_str::<Lockout>(&json).unwrap(), lockout);
        let fresh: Lockout = serde_json::from_str(r#"{"failures":0,"locked_at":null}"#).unwrap();
        assert_eq!(fresh, Lockout::default());
    }
}
