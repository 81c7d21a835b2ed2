//! The sync protocol between a workstation and the central server (`/v1/sync/…`), and the
//! workstation's client of it.
//!
//! A workstation's event log is its outbox. It pushes its own events in its own sequence; the
//! server stores each once (by id), answers a gap with the sequence number it expects, and assigns
//! its own order. Every workstation pulls that one order from a cursor, long-polling when caught
//! up. Each push also shows the server the heads of the workstation's chains, which the server
//! keeps as their witness. Both sides fold with `vigil_domain::fold::apply`.

mod agent;
mod client;
pub mod tls;

pub use agent::{Agent, SyncState, SyncStatus, SyncView};
pub use client::{enroll, Client, ClientError, EnrollError, EnrollmentView, TokenFile, Transport, TOKEN_FILE};

use serde::{Deserialize, Serialize};
use uuid::Uuid;
use vigil_store::{EventRow, SyncEvent};

/// The protocol this build speaks. A push of a newer protocol is refused whole, never guessed at.
pub const PROTOCOL: u32 = 1;

/// The most events one push may carry; the client sends at most this many.
pub const MAX_PUSH_EVENTS: usize = 500;

/// The payload bytes one push or pull page carries at most (a first event larger than this goes
/// alone): published floors carry their plans and devices, so counting events alone would not
/// keep a body under the server's 16 MiB.
pub const MAX_PAGE_PAYLOAD_BYTES: usize = 6 * 1024 * 1024;

/// How many of `payload_sizes` (in order) one page takes: at least one, then while the sum stays
/// within [`MAX_PAGE_PAYLOAD_BYTES`].
pub fn page_length(payload_sizes: impl IntoIterator<Item = usize>) -> usize {
    let mut total = 0usize;
    let mut n = 0;
    for size in payload_sizes {
        total += size;
        if n > 0 && total > MAX_PAGE_PAYLOAD_BYTES {
            break;
        }
        n += 1;
    }
    n
}

/// The most events one pull answers with.
pub const MAX_PULL_EVENTS: u32 = 1000;

/// The longest a pull may wait for news (seconds).
pub const MAX_WAIT_SECONDS: u64 = 30;

/// One event on the wire: the event as its origin's chain holds it (its fields side by side, as
/// `vigil_store::SyncEvent` names them) and, in a pull, its place in the server's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireEvent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<i64>,
    #[serde(flatten)]
    pub event: SyncEvent,
}

impl WireEvent {
    pub fn from_row(row: &EventRow, with_seq: bool) -> Result<WireEvent, vigil_store::StoreError> {
        Ok(WireEvent { seq: with_seq.then_some(row.seq), event: SyncEvent::of_row(row)? })
    }

    /// An entry of the server's log in a pull: the event, or (`pruned`) only the chain entry of
    /// one retention removed, which keeps its origin's chain whole at the workstation.
    pub fn pulled(row: &EventRow, pruned: bool) -> Result<WireEvent, vigil_store::StoreError> {
        let mut wire = WireEvent::from_row(row, true)?;
        if pruned {
            wire.event.pruned_prev_hash = Some(row.prev_hash.clone());
        }
        Ok(wire)
    }
}

/// A chain's last entry as the workstation holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireHead {
    pub seq: i64,
    pub hash: String,
}

/// The heads of a workstation's chains, shown with every push.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Heads {
    #[serde(default)]
    pub events: Option<WireHead>,
    #[serde(default)]
    pub audit: Option<WireHead>,
}

/// `POST /v1/sync/push`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushRequest {
    pub protocol: u32,
    /// The pushing workstation: it must be the token's.
    pub origin: Uuid,
    /// The workstation's clock when it sent the push (ms since 1970): the server flags an offset.
    pub sent_at: i64,
    pub events: Vec<WireEvent>,
    #[serde(default)]
    pub heads: Heads,
}

/// An event stored but not folded by the server, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejected {
    pub id: Uuid,
    pub reason: String,
}

/// `200` to a push: everything in it is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResponse {
    pub stored: u32,
    pub duplicates: u32,
    pub rejected: Vec<Rejected>,
    /// The next of the workstation's sequence numbers the server expects.
    pub next: i64,
    pub server_time: i64,
}

/// `GET /v1/sync/pull?after=&limit=&wait=`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullResponse {
    pub events: Vec<WireEvent>,
    /// Where the next pull starts (`after`).
    pub cursor: i64,
    /// More are waiting: pull again at once.
    pub more: bool,
    pub server_time: i64,
    /// The number of the server's last removal by retention (0: none): a workstation that has
    /// applied fewer asks `GET /v1/sync/removals` for the rest.
    #[serde(default)]
    pub removed: i64,
}

/// One removal by retention on the server, numbered in the order they were made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Removal {
    pub n: i64,
    /// The event removed.
    pub id: Uuid,
    /// The incident whose history it was (which goes too); none for a replaced version.
    #[serde(default)]
    pub incident: Option<Uuid>,
}

/// `GET /v1/sync/removals?after=&limit=`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemovalsResponse {
    pub removals: Vec<Removal>,
    pub more: bool,
}

/// The most removals one answer carries.
pub const MAX_REMOVALS: u32 = 10_000;

/// `POST /v1/sync/enroll`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrollRequest {
    pub code: String,
    pub origin: Uuid,
}

/// `201` to an enrollment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollResponse {
    pub token: String,
    pub name: String,
}

/// Every refusal, as every Vigil HTTP endpoint answers it: `{"error": {"code", "message", "field"}}`,
/// and for a gap the sequence number expected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Stable, for programs: `unauthorized`, `forbidden`, `malformed`, `too_large`, `protocol`,
    /// `gap`, `diverged`, `code_unknown`, `code_expired`, `code_used`, `already_enrolled`, `storage`.
    pub code: String,
    /// For a person.
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_takes_events_up_to_its_byte_budget_and_never_none() {
        assert_eq!(page_length([10, 20, 30]), 3);
        assert_eq!(page_length([MAX_PAGE_PAYLOAD_BYTES * 2, 1]), 1, "a large first event goes alone");
        assert_eq!(page_length([MAX_PAGE_PAYLOAD_BYTES / 2, MAX_PAGE_PAYLOAD_BYTES / 2, 1]), 2);
        assert_eq!(page_length(std::iter::empty()), 0);
    }

    #[test]
    fn a_push_with_a_field_this_build_does_not_know_is_refused_not_guessed_at() {
        let text =
            r#"{"protocol":1,"origin":"00000000-0000-0000-0000-000000000000","sent_at":0,"events":[],"extra":1}"#;
        assert!(serde_json::from_str::<PushRequest>(text).is_err());
        let text = r#"{"protocol":1,"origin":"00000000-0000-0000-0000-000000000000","sent_at":0,"events":[]}"#;
        let push: PushRequest = serde_json::from_str(text).expect("a minimal push reads");
        assert_eq!(push.heads, Heads::default());
    }
}
