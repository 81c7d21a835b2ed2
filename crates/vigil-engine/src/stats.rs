//! Counters every receiver bumps, served by GET /v1/stats.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

#[derive(Default)]
pub struct Stats {
    pub frames_received: AtomicU64,
    pub frames_acknowledged: AtomicU64,
    pub signals_stored: AtomicU64,
    pub duplicates: AtomicU64,
    pub link_tests: AtomicU64,
    pub connections_open: AtomicU64,
    pub connections_refused: AtomicU64,
    pub http_events_stored: AtomicU64,
    refused: Mutex<BTreeMap<&'static str, u64>>,
}

impl Stats {
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// A frame refused, by reason (bad_crc, stale_timestamp, unknown_account …).
    pub fn refuse(&self, reason: &'static str) {
        let mut map = self.refused.lock().unwrap_or_else(|p| p.into_inner());
        *map.entry(reason).or_insert(0) += 1;
    }

    pub fn refused(&self) -> BTreeMap<&'static str, u64> {
        self.refused.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}
