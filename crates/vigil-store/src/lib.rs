//! Vigil's local store: one SQLite file per workstation, opened only if it is a Vigil database
//! this build understands, migrated forward, never backward.
//!
//! Each module owns its tables: the SQL that creates them (a numbered migration) sits beside the
//! queries that read and write them. `PRAGMA user_version` records how far a file has migrated.

mod alarms;
mod audit;
mod devices;
mod error;
mod events;
mod incidents;
mod open;
mod patrol;
mod people;
mod publish;
mod rebuild;
mod retention;
mod schema;
mod settled;
mod sites;
mod sync;
mod sync_server;
mod writer;

pub use alarms::{NewSignal, StoredSignal};
pub use audit::{AuditEntry, AuditEvent, ChainReport, GENESIS};
pub use devices::{DeviceMove, FloorDeviceCount, PointRow};
pub use error::StoreError;
pub use events::{decode_body, sha256_hex, ChainWalk, EventChainReport, EventRow};
pub use incidents::{point_key, IncidentChange, IncidentFilter, StoredIncident};
pub use open::{Store, BULK_CACHE_MIB, DEFAULT_CACHE_MIB};
pub use patrol::{
    as_check_in, check_in_subject, judge_check_ins, CheckInFilter, CheckInRow, CheckInStored, CheckpointRow,
};
pub use people::{Account, Guard, Role};
pub use publish::Publication;
pub use rebuild::RebuildReport;
pub use retention::{PruneCounts, PruneItem};
pub use schema::LATEST_VERSION;
pub use settled::{Counts, SettledOutcome, SettledRound};
pub use sites::PlanImage;
pub use sync::{Head, Received, SyncEvent, SyncMarks};
pub use sync_server::{
    check_push, unreadable, ClientKind, EnrollRefusal, EnrolledWorkstation, HeldEvent, PushOutcome, TokenHolder,
    WitnessReport, WitnessedHead,
};
pub use writer::{Writer, MAX_BATCH};

/// Writes that take part in a caller's transaction (see [`Store::transaction`]).
pub mod write {
    pub use crate::alarms::{dc09_point, insert_signal, mark_link_faulted, touch_link};
    pub use crate::audit::append_audit;
    pub use crate::devices::{insert_devices, move_devices};
    pub use crate::events::{append_received_event, commit_event, resolve_incident, workstation_id, Committed};
    pub use crate::incidents::{apply_signal, load_incident};
    pub use crate::open::set_setting;
    pub use crate::patrol::record_check_ins;
    pub use crate::people::{insert_account, insert_guards};
    pub use crate::publish::publish;
    pub use crate::retention::{audit_prune, plan as prune_plan, prune, set_removals_through};
    pub use crate::settled::{put_settled, set_settled_seq, unsettle};
    pub use crate::sites::{insert_building, insert_floor, insert_site, put_plan_image, replace_floor_plan};
    pub use crate::sync::{apply_pulled, apply_received, set_cursor, set_pushed};
    pub use crate::sync_server::{
        accept_push, create_enrollment, normalize_code, redeem_enrollment, revoke_workstation,
    };
}

/// File name of the database inside a data directory.
pub const DATABASE_FILE: &str = "vigil.db";

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The writer's transaction, as jobs given to [`Writer::run`] receive it.
pub use rusqlite::Transaction;

/// Milliseconds since the Unix epoch; what `updated_at` columns hold.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
