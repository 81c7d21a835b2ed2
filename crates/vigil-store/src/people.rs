//! Guards who walk patrols and the accounts that log in to the console.

use std::collections::BTreeMap;

use rusqlite::{params, Connection, OptionalExtension, Transaction};
use vigil_domain::account::AccountSet;
use vigil_domain::{Id, RowMeta};

use crate::schema::Migration;
use crate::sites::{meta_of, uuid_of};
use crate::{now_ms, Result, Store};

pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 3,
        name: "guards and accounts",
        sql: r#"
CREATE TABLE guards (
    id         TEXT PRIMARY KEY,
    badge      TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    version    INTEGER NOT NULL DEFAULT 1,
    deleted    INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE accounts (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    full_name  TEXT NOT NULL,
    role       TEXT NOT NULL CHECK (role IN ('operator', 'supervisor', 'administrator')),
    pin_hash   TEXT NOT NULL,
    version    INTEGER NOT NULL DEFAULT 1,
    deleted    INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL
) STRICT;
"#,
    },
    Migration {
        version: 13,
        name: "accounts from the log",
        sql: r#"
-- Accounts an administrator set through the event log (1), or made here before (0: the demo's,
-- a first-run account); a disabled one cannot log in and keeps its name.
ALTER TABLE accounts ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN from_log INTEGER NOT NULL DEFAULT 0;
"#,
    },
];

/// An account's role: the domain's one `Role`, as the store keeps it (its name).
pub use vigil_domain::incident::Role;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guard {
    pub id: Id,
    pub badge: String,
    pub name: String,
    pub meta: RowMeta,
}

/// A console login. The PIN is kept only as a salted hash (PHC string).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: Id,
    pub name: String,
    pub full_name: String,
    pub role: Role,
    pub pin_hash: String,
    /// Disabled by an administrator: kept, but no login.
    pub disabled: bool,
    /// Set by the event log (the same at every workstation), not only made here.
    pub from_log: bool,
    pub meta: RowMeta,
}

impl Account {
    /// The account as an event would set it.
    pub fn as_set(&self) -> AccountSet {
        AccountSet {
            name: self.name.clone(),
            full_name: self.full_name.clone(),
            role: self.role,
            pin_hash: self.pin_hash.clone(),
            disabled: self.disabled,
        }
    }
}

pub fn insert_guards(tx: &Transaction<'_>, guards: &[Guard]) -> Result<()> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO guards (id, badge, name, version, deleted, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT(id) DO UPDATE SET badge = excluded.badge, name = excluded.name, version = guards.version + 1,
             deleted = excluded.deleted, updated_at = excluded.updated_at",
    )?;
    for g in guards {
        stmt.execute(params![g.id.to_string(), g.badge, g.name, g.meta.version, g.meta.deleted, now_ms()])?;
    }
    Ok(())
}

pub fn insert_account(tx: &Transaction<'_>, account: &Account) -> Result<()> {
    tx.execute(
        "INSERT INTO accounts (id, name, full_name, role, pin_hash, version, deleted, updated_at, disabled)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            account.id.to_string(),
            account.name,
            account.full_name,
            account.role.as_str(),
            account.pin_hash,
            account.meta.version,
            account.meta.deleted,
            now_ms(),
            account.disabled
        ],
    )?;
    Ok(())
}

impl Store {
    pub fn guards(&self) -> Result<Vec<Guard>> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT id, badge, name, version, deleted FROM guards WHERE deleted = 0 ORDER BY badge")?;
        let rows = stmt.query_map([], |row| {
            Ok(Guard { id: uuid_of(row, 0)?, badge: row.get(1)?, name: row.get(2)?, meta: meta_of(row, 3)? })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The account `name` logs in with (disabled ones included: the login says so).
    pub fn account(&self, name: &str) -> Result<Option<Account>> {
        let mut stmt = self.conn().prepare_cached(&format!("{ACCOUNT_SELECT} WHERE name = ?1 AND deleted = 0"))?;
        Ok(stmt.query_row([name], account_of).optional()?)
    }

    /// Every account, by name.
    pub fn accounts(&self) -> Result<Vec<Account>> {
        let mut stmt = self.conn().prepare_cached(&format!("{ACCOUNT_SELECT} WHERE deleted = 0 ORDER BY name"))?;
        let rows = stmt.query_map([], account_of)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn account_count(&self) -> Result<u32> {
        Ok(self.conn().query_row("SELECT count(*) FROM accounts WHERE deleted = 0", [], |row| row.get(0))?)
    }
}

const ACCOUNT_SELECT: &str =
    "SELECT id, name, full_name, role, pin_hash, version, deleted, disabled, from_log FROM accounts";

fn account_of(row: &rusqlite::Row<'_>) -> rusqlite::Result<Account> {
    let role: String = row.get(3)?;
    Ok(Account {
        id: uuid_of(row, 0)?,
        name: row.get(1)?,
        full_name: row.get(2)?,
        role: Role::parse(&role).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                3,
                rusqlite::types::Type::Text,
                format!("unknown role {role}").into(),
            )
        })?,
        pin_hash: row.get(4)?,
        meta: meta_of(row, 5)?,
        disabled: row.get(7)?,
        from_log: row.get(8)?,
    })
}

/// Writes `name`'s account as the log gives it: every `account_set` event for the name folded in
/// the order all workstations agree on (the server's, this workstation's pending ones on top), so
/// an edit pulled from the server lands under one made here and not yet ordered, never over it.
/// An account made here before the log (the demo's) gives its row to the log's account of the
/// same name.
pub(crate) fn refold_account(tx: &Transaction<'_>, name: &str) -> Result<()> {
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT {} FROM events e LEFT JOIN sync_positions p ON p.event_id = e.id
         WHERE e.kind = 'account_set' AND e.subject = ?1
         ORDER BY coalesce(p.server_seq, 9223372036854775807), e.seq",
        crate::events::row_columns_of("e")
    ))?;
    let rows: Vec<crate::EventRow> = stmt.query_map([name], crate::events::row_of)?.collect::<rusqlite::Result<_>>()?;
    let mut state = vigil_domain::fold::Projection::new();
    for row in &rows {
        if let Ok(event) = row.decode() {
            vigil_domain::fold::apply(&mut state, &event);
        }
    }
    match state.accounts.get(name) {
        Some(account) => put_account(tx, account),
        None => Ok(()),
    }
}

/// Writes one account from the log (creating its row, or taking over the one of its name).
pub(crate) fn put_account(tx: &Transaction<'_>, a: &AccountSet) -> Result<()> {
    let id = vigil_domain::event::derived_id("account", &a.name, 0);
    tx.prepare_cached(
        "INSERT INTO accounts (id, name, full_name, role, pin_hash, disabled, from_log, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7)
         ON CONFLICT(name) DO UPDATE SET full_name = excluded.full_name, role = excluded.role,
             pin_hash = excluded.pin_hash, disabled = excluded.disabled, from_log = 1, deleted = 0,
             version = version + 1, updated_at = excluded.updated_at
         WHERE (full_name, role, pin_hash, disabled, from_log, deleted)
             IS NOT (excluded.full_name, excluded.role, excluded.pin_hash, excluded.disabled, 1, 0)",
    )?
    .execute(params![id.to_string(), a.name, a.full_name, a.role.as_str(), a.pin_hash, a.disabled, now_ms()])?;
    Ok(())
}

/// Names every account whose row differs from what the log sets (rebuild's check).
pub(crate) fn compare_accounts(
    conn: &Connection,
    folded: &BTreeMap<String, AccountSet>,
    note: &mut impl FnMut(String),
) -> Result<()> {
    let mut stmt = conn.prepare(&format!("{ACCOUNT_SELECT} WHERE from_log = 1 AND deleted = 0"))?;
    let stored: BTreeMap<String, AccountSet> = stmt
        .query_map([], account_of)?
        .map(|a| a.map(|a| (a.name.clone(), a.as_set())))
        .collect::<rusqlite::Result<_>>()?;
    for (name, account) in folded {
        match stored.get(name) {
            Some(row) if row == account => {}
            Some(_) => note(format!("account {name} differs from the log")),
            None => note(format!("account {name} is in the log but missing from the table")),
        }
    }
    for name in stored.keys().filter(|n| !folded.contains_key(*n)) {
        note(format!("account {name} is marked as the log's but the log never set it"));
    }
    Ok(())
}

/// Rewrites every account the log sets (rebuild's repair).
pub(crate) fn repair_accounts(tx: &Transaction<'_>, folded: &BTreeMap<String, AccountSet>) -> Result<()> {
    for account in folded.values() {
        put_account(tx, account)?;
    }
    Ok(())
}
