//! Digitize jobs inside `kyso serve`: a fixed number of workers take queued jobs from the
//! store, digitize their scans and record the document; progress goes out to listeners in
//! memory. The HTTP routes are in [`crate::server::api::jobs`]; the queue is in
//! [`crate::store::jobs`].

mod runner;

pub use runner::{JobRunner, RunnerConfig};
