//! The list of migrations, gathered from the modules that own the tables, and the runner.

use rusqlite::Connection;

use crate::{alarms, audit, devices, events, incidents, patrol, people, retention, settled, sites, sync, Result};

/// Written into every Vigil database (`PRAGMA application_id`), so a file of another program is
/// never mistaken for ours. The bytes spell `VGIL`.
pub(crate) const APPLICATION_ID: i32 = 0x5647_494C;

/// One step forward of the schema: `version` is what `user_version` becomes once `sql` has run.
pub(crate) struct Migration {
    pub version: u32,
    pub name: &'static str,
    pub sql: &'static str,
}

pub(crate) fn all() -> Vec<&'static Migration> {
    let mut list: Vec<&'static Migration> = sites::MIGRATIONS
        .iter()
        .chain(devices::MIGRATIONS)
        .chain(people::MIGRATIONS)
        .chain(alarms::MIGRATIONS)
        .chain(audit::MIGRATIONS)
        .chain(incidents::MIGRATIONS)
        .chain(events::MIGRATIONS)
        .chain(patrol::MIGRATIONS)
        .chain(settled::MIGRATIONS)
        .chain(sync::MIGRATIONS)
        .chain(retention::MIGRATIONS)
        .collect();
    list.sort_by_key(|m| m.version);
    list
}

/// The schema version this build writes and the newest it can open.
pub const LATEST_VERSION: u32 = 15;

/// Runs every migration newer than the file's `user_version`, all in one transaction.
pub(crate) fn migrate(conn: &mut Connection) -> Result<u32> {
    let current: u32 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    let tx = conn.transaction()?;
    for migration in all().into_iter().filter(|m| m.version > current) {
        tx.execute_batch(migration.sql).map_err(|e| {
            crate::StoreError::Invalid(format!("migration {} ({}) failed: {e}", migration.version, migration.name))
        })?;
        tx.pragma_update(None, "user_version", migration.version)?;
    }
    tx.pragma_update(None, "application_id", APPLICATION_ID)?;
    tx.commit()?;
    Ok(LATEST_VERSION)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_one_by_one_up_to_the_latest() {
        let versions: Vec<u32> = all().iter().map(|m| m.version).collect();
        let expected: Vec<u32> = (1..=LATEST_VERSION).collect();
        assert_eq!(versions, expected);
        assert!(all().iter().all(|m| !m.name.is_empty()));
    }
}
