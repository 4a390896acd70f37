//! [`Secret`]: a PIN, OTP or SAD as it travels through kyso, kept out of logs and errors. It
//! does not zeroize memory; that is left to a later hardening pass.

use std::fmt;

/// A value the user must keep to themselves: a PIN, a one-time password or a SAD token.
///
/// Its `Debug` prints `[redacted]`; it has no `Display` and no `Serialize`, so it cannot end
/// up in a log line, an error message, a JSON body or the audit log by accident. Reading it
/// takes an explicit [`Secret::expose`]. It has no `==` either: compare secrets in constant
/// time (`openssl::memcmp::eq`), as the checks in this module do.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself, for the one place that needs it (hashing, comparing, sending).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Secret {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Secret {
        Secret(value.to_owned())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let secret = Secret::new("123456");
        assert_eq!(format!("{secret:?}"), "[redacted]");
        assert_eq!(format!("{:?}", Some(&secret)), "Some([redacted])");
        assert_eq!(format!("{secret:#?}"), "[redacted]");
        assert_eq!(secret.expose(), "123456");
    }
}
