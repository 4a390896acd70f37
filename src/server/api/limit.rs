//! Rate limits for the public routes (verify, login): a token bucket per client address, so
//! one client cannot starve the others. Addresses come from the connection, not from headers
//! a client could forge; behind a reverse proxy, limit there instead (`--rate-limit 0`).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::ApiError;

/// At most this many addresses are remembered; the idle ones are forgotten first.
const MAX_CLIENTS: usize = 10_000;

/// Requests per minute per client address, with bursts of up to a quarter minute's worth.
#[derive(Debug)]
pub struct RateLimit {
    per_minute: u32,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl RateLimit {
    /// `per_minute` requests per minute per address; 0 turns the limit off.
    pub fn per_minute(per_minute: u32) -> Arc<RateLimit> {
        Arc::new(RateLimit {
            per_minute,
            buckets: Mutex::new(HashMap::new()),
        })
    }

    fn burst(&self) -> f64 {
        (f64::from(self.per_minute) / 4.0).max(1.0)
    }

    /// Takes one token for `client` at `now`; `Err(seconds)` to wait when there is none.
    fn take(&self, client: IpAddr, now: Instant) -> Result<(), u64> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let rate = f64::from(self.per_minute) / 60.0;
        let burst = self.burst();
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if buckets.len() >= MAX_CLIENTS && !buckets.contains_key(&client) {
            // Full buckets belong to clients that have been idle long enough to be forgotten.
            buckets.retain(|_, b| {
                b.tokens + now.duration_since(b.updated).as_secs_f64() * rate < burst
            });
            if buckets.len() >= MAX_CLIENTS {
                return Err(1);
            }
        }
        let bucket = buckets.entry(client).or_insert(Bucket {
            tokens: burst,
            updated: now,
        });
        let elapsed = now.duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(burst);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - bucket.tokens) / rate).ceil().max(1.0) as u64)
        }
    }

    /// Takes a token for `request`'s client address now; the seconds it must wait when its
    /// bucket is empty. Requests without a peer address (in-process tests) pass.
    pub fn wait_for(&self, request: &Request) -> Option<u64> {
        let client = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0.ip())?;
        self.take(client, Instant::now()).err()
    }

    /// `Retry-After: wait` on `response`.
    pub fn retry_after(response: &mut Response, wait: u64) {
        if let Ok(value) = HeaderValue::from_str(&wait.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
    }
}

/// Middleware: 429 with Retry-After when the client's bucket is empty. Requests without a
/// peer address (in-process tests) are not limited.
pub async fn enforce(
    State(limit): State<Arc<RateLimit>>,
    request: Request,
    next: Next,
) -> Response {
    if let Some(wait) = limit.wait_for(&request) {
        let mut response = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("too many requests from this address; try again in {wait} s"),
        )
        .into_response();
        RateLimit::retry_after(&mut response, wait);
        return response;
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_burst_then_the_steady_rate_per_address() {
        let limit = RateLimit::per_minute(60);
        let start = Instant::now();
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..15 {
            limit.take(a, start).unwrap();
        }
        assert_eq!(limit.take(a, start), Err(1));
        // Another address has its own bucket.
        limit.take(b, start).unwrap();
        // One request per second comes back.
        limit.take(a, start + Duration::from_secs(1)).unwrap();
        assert!(limit.take(a, start + Duration::from_secs(1)).is_err());
        let off = RateLimit::per_minute(0);
        for _ in 0..1000 {
            off.take(a, start).unwrap();
        }
    }
}
