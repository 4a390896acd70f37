//! Remote signing for citizens (CSC API v2, SCAL2): the security pieces the server's routes
//! are built from — one-time passwords, PIN hashes, Signature Activation Data and the lockout
//! counter. Nothing here does I/O or reads the clock: callers pass `now` in. The HTTP routes,
//! the HSM-held keys, persistence of users and credentials, and the client are left to others.

pub mod lockout;
pub mod otp;
pub mod pin;
pub mod sad;
mod secret;

pub use lockout::{Lockout, LockoutError};
pub use otp::{DeliveredCode, OtpError, TotpParams, TotpSecret};
pub use pin::{PinError, PinHash};
pub use sad::{Sad, SadError, SadRequest, SadStore, SignatureAuthorization};
pub use secret::Secret;
