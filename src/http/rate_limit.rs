//! The rate limit of anonymous callers (the public catalogue, its feed and pages, review
//! suggestions): a token bucket per client address. Callers with a valid token are staff and
//! are not limited here.
//!
//! The address is the TCP peer's: behind a reverse proxy every client shares the proxy's, so
//! the proxy should limit per client itself (forwarded headers are not trusted, since any
//! client can write them).

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How many anonymous requests a client may make.
#[derive(Debug, Clone, Copy)]
pub struct PublicLimit {
    /// Sustained requests per minute.
    pub per_minute: u32,
    /// Requests a client may make at once before the rate applies.
    pub burst: u32,
}

impl Default for PublicLimit {
    fn default() -> Self {
        PublicLimit {
            per_minute: 60,
            burst: 20,
        }
    }
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Buckets of the clients seen lately.
pub struct RateLimiter {
    limit: PublicLimit,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

/// Above this many clients, buckets that have refilled are forgotten (a full bucket is the
/// same as none), so the map cannot grow without bound.
const PRUNE_ABOVE: usize = 10_000;

impl RateLimiter {
    pub fn new(limit: PublicLimit) -> Self {
        RateLimiter {
            limit,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request from `ip`'s bucket, or says how long to wait for the next.
    pub fn take(&self, ip: IpAddr) -> Result<(), Duration> {
        let rate = f64::from(self.limit.per_minute.max(1)) / 60.0;
        let burst = f64::from(self.limit.burst.max(1));
        let now = Instant::now();
        let Ok(mut buckets) = self.buckets.lock() else {
            return Ok(());
        };
        if buckets.len() > PRUNE_ABOVE {
            buckets.retain(|_, b| b.tokens + now.duration_since(b.at).as_secs_f64() * rate < burst);
        }
        let bucket = buckets.entry(ip).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        bucket.tokens =
            (bucket.tokens + now.duration_since(bucket.at).as_secs_f64() * rate).min(burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / rate))
        }
    }
}

/// 429 with `Retry-After` and a coded error, like every other refusal.
pub fn too_many(wait: Duration) -> Response {
    let seconds = wait.as_secs().max(1);
    let body = json!({"errors": [{
        "message": format!("too many requests without a token from this address; retry in {seconds} s"),
        "extensions": {"code": "RATE_LIMITED", "retryAfterSeconds": seconds, "retryable": true}}]});
    (
        StatusCode::TOO_MANY_REQUESTS,
        [(header::RETRY_AFTER, seconds.to_string())],
        axum::Json(body),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_allowed_then_the_rate_applies_per_client() {
        let limiter = RateLimiter::new(PublicLimit {
            per_minute: 60,
            burst: 3,
        });
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..3 {
            assert!(limiter.take(a).is_ok());
        }
        let wait = limiter.take(a).expect_err("the burst is spent");
        assert!(wait <= Duration::from_secs(1), "{wait:?}");
        assert!(limiter.take(b).is_ok(), "another client has its own bucket");
    }
}
