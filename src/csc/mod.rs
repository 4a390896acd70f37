//! Remote signing for citizens (CSC API v1/v2, SCAL2): the security pieces — one-time
//! passwords, PIN hashes, Signature Activation Data, the lockout counter — and the service
//! built from them (login, authorize, signHash with HSM keys, enrollment). Callers pass `now`
//! in. The HTTP routes are `server::csc`'s; the client is `client`.

pub mod algo;
pub mod client;
pub mod enroll;
pub mod hsm_threads;
pub mod lockout;
pub mod otp;
pub mod pin;
pub mod placement;
pub mod sad;
mod secret;
pub mod service;

pub use lockout::{Lockout, LockoutError};
pub use otp::{DeliveredCode, OtpError, TotpParams, TotpSecret};
pub use pin::{PinError, PinHash};
pub use sad::{Sad, SadError, SadRequest, SadStore, SignatureAuthorization};
pub use secret::Secret;
