//! Opening a database file: look at it read-only first, refuse what we must not touch, then migrate.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, ErrorCode, OpenFlags, Transaction};

use crate::schema::{self, APPLICATION_ID, LATEST_VERSION};
use crate::{Result, StoreError};

/// An open Vigil database.
///
/// Every connection runs in WAL mode with `synchronous=FULL`: a commit is on disk when it returns,
/// which is what lets the engine acknowledge an alarm to its sender only after it is stored.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

/// Page cache per connection unless set otherwise (SQLite's own default is 2 MiB).
///
/// The cache fills with every page a connection touches and only empties when the connection
/// closes, so it is what a long-running console grows by as its file grows, up to this bound. A
/// bulk job (the demo generator, a rebuild) raises it for itself.
pub const DEFAULT_CACHE_MIB: u32 = 16;

/// Prepared statements kept per connection.
const STATEMENT_CACHE: usize = 128;

/// Page cache for a one-off bulk job on its own connection.
pub const BULK_CACHE_MIB: u32 = 64;

impl Store {
    /// Opens (creating if needed) the database at `path` and migrates it to this build's schema.
    ///
    /// A file written by a newer Vigil, a damaged file and another program's database are refused
    /// before anything is written to them.
    pub fn open(path: &Path) -> Result<Store> {
        let existing = std::fs::metadata(path).map(|m| m.len() > 0).unwrap_or(false);
        if existing {
            inspect(path)?;
        }
        let mut conn = Connection::open(path).map_err(|e| classify(path, e))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let mode: String =
            conn.query_row("PRAGMA journal_mode=WAL", [], |row| row.get(0)).map_err(|e| classify(path, e))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Invalid(format!("{}: SQLite refused WAL mode ({mode})", path.display())));
        }
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.pragma_update(None, "cache_size", -i64::from(DEFAULT_CACHE_MIB) * 1024)?;
        // Folding one received event takes some twenty statements (the log, the fold's reads,
        // the projection's writes): rusqlite's default cache of 16 would prepare them anew.
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        // Plans that do not look at bound values. This SQLite is built with STAT4, under which a
        // query such as an origin's last event (`origin = ?1 ORDER BY origin_seq DESC`) is
        // prepared again at every binding — a full parse per received event — for estimates
        // from statistics Vigil never gathers.
        conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
        schema::migrate(&mut conn)?;
        Ok(Store { conn, path: path.to_owned() })
    }

    /// Copies the whole database to a new file at `out` while others keep writing (SQLite's
    /// online backup: a consistent copy of one moment). Refuses to replace an existing file.
    pub fn backup_to(&self, out: &Path) -> Result<u64> {
        if out.exists() {
            return Err(StoreError::Invalid(format!("{} exists already; choose a new file", out.display())));
        }
        let mut copy = Connection::open(out).map_err(|e| classify(out, e))?;
        {
            let backup = rusqlite::backup::Backup::new(&self.conn, &mut copy)?;
            backup.run_to_completion(1024, std::time::Duration::from_millis(5), None)?;
        }
        let events: i64 = copy.query_row("SELECT count(*) FROM events", [], |r| r.get(0))?;
        Ok(u64::try_from(events).unwrap_or(0))
    }

    /// Sets this connection's page cache to `mib` MiB (at least 1).
    pub fn set_cache_mib(&self, mib: u32) -> Result<()> {
        self.conn.pragma_update(None, "cache_size", -i64::from(mib.max(1)) * 1024)?;
        Ok(())
    }

    /// This connection's page cache, in MiB.
    pub fn cache_mib(&self) -> Result<u32> {
        let size: i64 = self.conn.query_row("PRAGMA cache_size", [], |row| row.get(0))?;
        // Negative is KiB; positive is pages.
        let kib = if size < 0 {
            -size
        } else {
            size * self.conn.query_row("PRAGMA page_size", [], |row| row.get::<_, i64>(0))? / 1024
        };
        Ok(u32::try_from(kib / 1024).unwrap_or(u32::MAX))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Runs `work` in one transaction: all of it is stored, or none.
    pub fn transaction<T>(&mut self, work: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        // IMMEDIATE takes the write lock at the start: the engine's writer and the console write the
        // same file, and a read-then-write transaction must not find its snapshot stale halfway.
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let value = work(&tx)?;
        tx.commit()?;
        Ok(value)
    }

    /// The schema version of the open file (always [`LATEST_VERSION`] once opened).
    pub fn schema_version(&self) -> Result<u32> {
        Ok(self.conn.query_row("PRAGMA user_version", [], |row| row.get(0))?)
    }

    /// A value of the small key/value table, e.g. the demo seed.
    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        use rusqlite::OptionalExtension;
        Ok(self.conn.query_row("SELECT value FROM settings WHERE key = ?1", [key], |row| row.get(0)).optional()?)
    }

    /// Sets a value of the key/value table on this connection (the demo generator, tests); the
    /// console writes through its writer with [`set_setting`].
    pub fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO settings(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [key, value],
        )?;
        Ok(())
    }
}

/// Sets a value of the key/value table inside the caller's transaction.
pub fn set_setting(tx: &rusqlite::Transaction<'_>, key: &str, value: &str) -> Result<()> {
    tx.execute(
        "INSERT INTO settings(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [key, value],
    )?;
    Ok(())
}

/// Looks at an existing file without changing it and says whether we may open it for writing.
fn inspect(path: &Path) -> Result<()> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .map_err(|e| classify(path, e))?;
    let read = |sql: &str| conn.query_row(sql, [], |row| row.get::<_, i64>(0)).map_err(|e| classify(path, e));
    let application_id = read("PRAGMA application_id")?;
    let user_version = read("PRAGMA user_version")?;
    let tables = read("SELECT count(*) FROM sqlite_master")?;

    let ours = application_id == i64::from(APPLICATION_ID);
    let empty = application_id == 0 && user_version == 0 && tables == 0;
    if !(ours || empty) {
        return Err(StoreError::NotVigil { path: path.to_owned() });
    }
    if user_version > i64::from(LATEST_VERSION) {
        return Err(StoreError::NewerSchema {
            path: path.to_owned(),
            found: u32::try_from(user_version).unwrap_or(u32::MAX),
            supported: LATEST_VERSION,
        });
    }
    let verdict: String =
        conn.query_row("PRAGMA quick_check(1)", [], |row| row.get(0)).map_err(|e| classify(path, e))?;
    if verdict != "ok" {
        return Err(StoreError::Corrupt { path: path.to_owned(), detail: verdict });
    }
    Ok(())
}

/// SQLite's "not a database" and "malformed" become a refusal that names the file.
fn classify(path: &Path, error: rusqlite::Error) -> StoreError {
    match error.sqlite_error_code() {
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => {
            StoreError::Corrupt { path: path.to_owned(), detail: error.to_string() }
        }
        _ => StoreError::Sqlite(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(path: &Path) -> Vec<u8> {
        std::fs::read(path).expect("test file is readable")
    }

    #[test]
    fn a_new_file_is_created_in_wal_mode_at_the_latest_schema() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("vigil.db");
        let store = Store::open(&path).expect("open");
        assert_eq!(store.schema_version().expect("version"), LATEST_VERSION);
        let mode: String = store.conn().query_row("PRAGMA journal_mode", [], |r| r.get(0)).expect("mode");
        assert_eq!(mode, "wal");
        let sync: i64 = store.conn().query_row("PRAGMA synchronous", [], |r| r.get(0)).expect("sync");
        assert_eq!(sync, 2, "synchronous must be FULL");
        drop(store);
        assert_eq!(Store::open(&path).expect("reopen").schema_version().expect("version"), LATEST_VERSION);
    }

    #[test]
    fn an_older_schema_is_migrated_forward() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("vigil.db");
        {
            let mut conn = Connection::open(&path).expect("open raw");
            let tx = conn.transaction().expect("tx");
            let first = schema::all()[0];
            tx.execute_batch(first.sql).expect("first migration");
            tx.pragma_update(None, "user_version", first.version).expect("version");
            tx.pragma_update(None, "application_id", APPLICATION_ID).expect("app id");
            tx.commit().expect("commit");
        }
        let store = Store::open(&path).expect("open migrates");
        assert_eq!(store.schema_version().expect("version"), LATEST_VERSION);
        let devices: i64 = store.conn().query_row("SELECT count(*) FROM devices", [], |r| r.get(0)).expect("table");
        assert_eq!(devices, 0);
    }

    #[test]
    fn a_database_from_a_newer_vigil_is_refused_and_left_untouched() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("vigil.db");
        drop(Store::open(&path).expect("create"));
        {
            let conn = Connection::open(&path).expect("raw");
            conn.pragma_update(None, "user_version", LATEST_VERSION + 1).expect("bump");
            conn.pragma_update(None, "journal_mode", "DELETE").expect("checkpoint");
        }
        let before = digest(&path);
        let error = Store::open(&path).expect_err("newer schema must be refused");
        assert!(matches!(error, StoreError::NewerSchema { found, .. } if found == LATEST_VERSION + 1), "{error}");
        assert!(error.to_string().contains("newer Vigil"), "{error}");
        assert_eq!(digest(&path), before, "the refused file must not change");
    }

    #[test]
    fn a_corrupt_file_is_refused_and_left_untouched() {
        let dir = tempfile::tempdir().expect("tempdir");
        let garbage = dir.path().join("garbage.db");
        std::fs::write(&garbage, b"this is not an SQLite file at all, just text that fills a page").expect("write");
        let error = Store::open(&garbage).expect_err("garbage must be refused");
        assert!(matches!(error, StoreError::Corrupt { .. }), "{error}");
        assert_eq!(digest(&garbage), b"this is not an SQLite file at all, just text that fills a page");

        // A real Vigil database whose pages were overwritten in the middle.
        let damaged = dir.path().join("damaged.db");
        {
            let store = Store::open(&damaged).expect("create");
            for i in 0..200 {
                store.set_setting(&format!("key-{i}"), &"x".repeat(400)).expect("fill");
            }
        }
        {
            let conn = Connection::open(&damaged).expect("raw");
            conn.pragma_update(None, "journal_mode", "DELETE").expect("checkpoint");
        }
        let mut bytes = digest(&damaged);
        assert!(bytes.len() > 16 * 4096, "the test database should span many pages");
        for b in &mut bytes[3 * 4096..12 * 4096] {
            *b = 0xA5;
        }
        std::fs::write(&damaged, &bytes).expect("damage");
        let error = Store::open(&damaged).expect_err("damaged pages must be refused");
        assert!(matches!(error, StoreError::Corrupt { .. }), "{error}");
        assert_eq!(digest(&damaged), bytes, "the refused file must not change");
    }

    #[test]
    fn another_programs_database_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("other.db");
        {
            let conn = Connection::open(&path).expect("raw");
            conn.execute_batch("CREATE TABLE songs(title TEXT); INSERT INTO songs VALUES ('x');").expect("other");
        }
        let error = Store::open(&path).expect_err("foreign database must be refused");
        assert!(matches!(error, StoreError::NotVigil { .. }), "{error}");
    }
}
