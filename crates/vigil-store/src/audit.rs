//! The audit log: every action a person takes, appended and hash-chained, so that an edit of
//! history — even one made with the sqlite3 shell — is found by `vigil verify`.

use rusqlite::{params, OptionalExtension, Transaction};
use sha2::{Digest, Sha256};

use crate::schema::Migration;
use crate::{now_ms, Result, Store};

pub(crate) const MIGRATIONS: &[Migration] = &[Migration {
    version: 5,
    name: "hash-chained audit log",
    sql: r#"
CREATE TABLE audit_log (
    seq       INTEGER PRIMARY KEY,
    id        TEXT NOT NULL UNIQUE,
    at        INTEGER NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    subject   TEXT NOT NULL,
    details   TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
) STRICT;
-- Append-only for the program; anyone who drops these to edit history is caught by the chain.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"#,
}];

/// The hash every chain starts from.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One action to record: who did what to which thing, with details as JSON text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub details: String,
}

impl AuditEvent {
    /// This entry, naming the event it records and that event's hash: the audit chain then covers
    /// the event log too.
    pub fn for_event(&self, committed: &crate::events::Committed) -> AuditEvent {
        let mut details: serde_json::Value =
            serde_json::from_str(&self.details).unwrap_or_else(|_| serde_json::json!({ "text": self.details }));
        if !details.is_object() {
            details = serde_json::json!({ "value": details });
        }
        details["event"] = serde_json::json!(committed.event.id);
        details["event_hash"] = serde_json::json!(committed.hash);
        AuditEvent { details: details.to_string(), ..self.clone() }
    }
}

/// The SHA-256 of an entry: the previous hash and every field, in one unambiguous encoding.
fn entry_hash(prev: &str, e: &AuditEntry) -> String {
    let canonical = serde_json::json!([prev, e.seq, e.id, e.at, e.actor, e.action, e.subject, e.details]).to_string();
    Sha256::digest(canonical.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Appends `event` to the chain inside the caller's transaction (with the change it records).
pub fn append_audit(tx: &Transaction<'_>, event: &AuditEvent) -> Result<i64> {
    let last: Option<(i64, String)> = tx
        .query_row("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (seq, prev) = match last {
        Some((seq, hash)) => (seq + 1, hash),
        None => (1, GENESIS.to_owned()),
    };
    let entry = AuditEntry {
        seq,
        id: uuid::Uuid::now_v7().to_string(),
        at: now_ms(),
        actor: event.actor.clone(),
        action: event.action.clone(),
        subject: event.subject.clone(),
        details: event.details.clone(),
    };
    let hash = entry_hash(&prev, &entry);
    tx.execute(
        "INSERT INTO audit_log (seq, id, at, actor, action, subject, details, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![entry.seq, entry.id, entry.at, entry.actor, entry.action, entry.subject, entry.details, prev, hash],
    )?;
    Ok(seq)
}

/// An entry as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub id: String,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub details: String,
}

/// What `vigil verify` found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ChainReport {
    pub entries: u64,
    /// The first entry whose content or link does not match the chain, and why.
    pub first_altered: Option<(i64, String)>,
}

impl Store {
    /// Walks the chain from the start and names the first entry that was altered, removed or
    /// inserted out of order.
    pub fn verify_audit(&self) -> Result<ChainReport> {
        let mut stmt = self.conn().prepare(
            "SELECT seq, id, at, actor, action, subject, details, prev_hash, hash FROM audit_log ORDER BY seq",
        )?;
        let mut rows = stmt.query([])?;
        let mut expected_prev = GENESIS.to_owned();
        let mut expected_seq = 1;
        let mut entries = 0;
        while let Some(row) = rows.next()? {
            entries += 1;
            let entry = AuditEntry {
                seq: row.get(0)?,
                id: row.get(1)?,
                at: row.get(2)?,
                actor: row.get(3)?,
                action: row.get(4)?,
                subject: row.get(5)?,
                details: row.get(6)?,
            };
            let seq = entry.seq;
            let (prev, hash): (String, String) = (row.get(7)?, row.get(8)?);
            let problem = if seq != expected_seq {
                Some(format!("entry {expected_seq} is missing"))
            } else if prev != expected_prev {
                Some("its link to the entry before does not match".to_owned())
            } else if entry_hash(&prev, &entry) != hash {
                Some("its content does not match its hash".to_owned())
            } else {
                None
            };
            if let Some(why) = problem {
                return Ok(ChainReport { entries, first_altered: Some((seq.min(expected_seq), why)) });
            }
            expected_prev = hash;
            expected_seq += 1;
        }
        Ok(ChainReport { entries, first_altered: None })
    }

    /// The newest entries, newest first.
    pub fn audit_tail(&self, limit: u32) -> Result<Vec<AuditEntry>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT seq, id, at, actor, action, subject, details FROM audit_log ORDER BY seq DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit], |r| {
            Ok(AuditEntry {
                seq: r.get(0)?,
                id: r.get(1)?,
                at: r.get(2)?,
                actor: r.get(3)?,
                action: r.get(4)?,
                subject: r.get(5)?,
                details: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(n: u32) -> AuditEvent {
        AuditEvent {
            actor: "demo-admin".into(),
            action: "map.move_devices".into(),
            subject: format!("device-{n}"),
            details: "{}".into(),
        }
    }

    #[test]
    fn an_untouched_chain_verifies_and_any_edit_is_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("vigil.db");
        let mut store = Store::open(&path).expect("open");
        for n in 0..5 {
            store.transaction(|tx| append_audit(tx, &event(n))).expect("append");
        }
        assert_eq!(store.verify_audit().expect("verify"), ChainReport { entries: 5, first_altered: None });
        // The program cannot edit history …
        assert!(store.conn().execute("UPDATE audit_log SET actor = 'x' WHERE seq = 3", []).is_err());
        assert!(store.conn().execute("DELETE FROM audit_log WHERE seq = 3", []).is_err());
        // … and whoever removes the guard and does is caught.
        store
            .conn()
            .execute_batch("DROP TRIGGER audit_log_no_update; UPDATE audit_log SET actor = 'mallory' WHERE seq = 3;")
            .expect("tamper");
        let report = store.verify_audit().expect("verify");
        assert_eq!(report.first_altered.map(|(seq, _)| seq), Some(3));
        store.conn().execute_batch("DROP TRIGGER audit_log_no_delete; UPDATE audit_log SET actor = 'demo-admin' WHERE seq = 3; DELETE FROM audit_log WHERE seq = 2;").expect("tamper");
        let report = store.verify_audit().expect("verify");
        assert_eq!(report.first_altered, Some((2, "entry 2 is missing".into())));
    }
}
