//! Request rate limits (governor's keyed GCRA limiters): enrollment attempts per client address,
//! and sync requests per enrolled workstation. A workstation that keeps up with its own alarms
//! never meets them — the pusher sends up to 500 events per request, and a pull waits for news —
//! so what they stop is a runaway or hostile client, not a storm of real alarms.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use axum::http::StatusCode;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use uuid::Uuid;

use crate::Failure;

/// Enrollment attempts per client address and minute (a burst of as many), unless told otherwise
/// (`vigil server --enroll-per-minute`: a site enrolling a whole room through one NAT address).
pub const ENROLL_PER_MINUTE: u32 = 10;
/// Sync requests (push, pull, heads) per workstation and second, sustained.
pub const SYNC_PER_SECOND: u32 = 50;
/// ... and in a burst.
pub const SYNC_BURST: u32 = 500;

pub(crate) struct Limits {
    enroll: DefaultKeyedRateLimiter<IpAddr>,
    sync: DefaultKeyedRateLimiter<Uuid>,
}

fn nonzero(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)
}

impl Limits {
    pub fn new(enroll_per_minute: u32) -> Limits {
        Limits {
            enroll: RateLimiter::keyed(Quota::per_minute(nonzero(enroll_per_minute))),
            sync: RateLimiter::keyed(Quota::per_second(nonzero(SYNC_PER_SECOND)).allow_burst(nonzero(SYNC_BURST))),
        }
    }

    /// One enrollment attempt from `peer`, or the refusal to answer with.
    pub fn enroll(&self, peer: IpAddr) -> Result<(), Failure> {
        self.enroll.check_key(&peer).map_err(|not| {
            limited(not.wait_time_from(DefaultClock::default().now()), "too many enrollment attempts from this address")
        })?;
        self.forget_idle();
        Ok(())
    }

    /// One sync request by `origin`, or the refusal to answer with.
    pub fn sync(&self, origin: Uuid) -> Result<(), Failure> {
        self.sync.check_key(&origin).map_err(|not| {
            limited(not.wait_time_from(DefaultClock::default().now()), "too many requests from this workstation")
        })
    }

    /// Drops the state of keys that are back at their full allowance, so addresses seen once are
    /// not kept for months.
    fn forget_idle(&self) {
        if self.enroll.len() > 1024 {
            self.enroll.retain_recent();
        }
    }
}

fn limited(wait: Duration, what: &str) -> Failure {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let mut f = Failure::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        format!("{what}: wait {seconds} s (Retry-After) and send it again"),
    );
    f.retry_after = Some(seconds.max(1));
    f
}
