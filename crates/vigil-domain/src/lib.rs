//! Vigil's domain model: what a hospital campus, its floors and its devices are, as plain data.
//!
//! This crate does no I/O. Everything here is a value that the store persists, the API serves and
//! the console draws; rules that decide whether a value is valid live beside the type.

pub mod account;
pub mod clock;
mod code;
mod device;
pub mod event;
pub mod fold;
pub mod incident;
pub mod patrol;
pub mod retention;
pub mod schedule;
mod site;
pub mod sop;

pub use clock::{ClockFault, ClockWindow};
pub use code::{Code, CodeError};
pub use device::{CameraView, Dc09Address, Device, DeviceCounts, DeviceKind, DeviceStatus};
pub use site::{floor_label, Building, BuildingKind, Floor, Label, PlanSize, Rect, Site};

/// Identifier of every row Vigil keeps: UUIDv7, made where the row is created.
pub type Id = uuid::Uuid;

/// What every synchronised row carries besides its own fields.
///
/// Rows are never deleted: `deleted` is a tombstone that travels to other workstations, and
/// `version` grows by one on every change so that a later sync can tell which copy is newer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct RowMeta {
    #[ts(type = "number")]
    pub version: i64,
    pub deleted: bool,
}

impl RowMeta {
    /// The state of a row that has just been created.
    pub const NEW: RowMeta = RowMeta { version: 1, deleted: false };

    /// The meta of the same row after one more change.
    pub fn bumped(self) -> RowMeta {
        RowMeta { version: self.version + 1, deleted: self.deleted }
    }

    /// The meta of the row once it is deleted (a tombstone, still a change).
    pub fn tombstoned(self) -> RowMeta {
        RowMeta { version: self.version + 1, deleted: true }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_bumps_the_version_and_a_delete_is_a_tombstone() {
        let meta = RowMeta::NEW.bumped();
        assert_eq!(meta, RowMeta { version: 2, deleted: false });
        let gone = meta.tombstoned();
        assert_eq!(gone, RowMeta { version: 3, deleted: true });
    }
}
