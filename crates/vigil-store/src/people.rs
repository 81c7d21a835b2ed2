//! Guards who walk patrols and the accounts that log in to the console.

use rusqlite::{params, OptionalExtension, Transaction};
use vigil_domain::{Id, RowMeta};

use crate::schema::Migration;
use crate::sites::{meta_of, uuid_of};
use crate::{now_ms, Result, Store};

pub(crate) const MIGRATIONS: &[Migration] = &[Migration {
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
}];

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
    pub meta: RowMeta,
}

pub fn insert_guards(tx: &Transaction<'_>, guards: &[Guard]) -> Result<()> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO guards (id, badge, name, version, deleted, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for g in guards {
        stmt.execute(params![g.id.to_string(), g.badge, g.name, g.meta.version, g.meta.deleted, now_ms()])?;
    }
    Ok(())
}

pub fn insert_account(tx: &Transaction<'_>, account: &Account) -> Result<()> {
    tx.execute(
        "INSERT INTO accounts (id, name, full_name, role, pin_hash, version, deleted, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            account.id.to_string(),
            account.name,
            account.full_name,
            account.role.as_str(),
            account.pin_hash,
            account.meta.version,
            account.meta.deleted,
            now_ms()
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

    pub fn account(&self, name: &str) -> Result<Option<Account>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT id, name, full_name, role, pin_hash, version, deleted FROM accounts WHERE name = ?1 AND deleted = 0",
        )?;
        Ok(stmt
            .query_row([name], |row| {
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
                })
            })
            .optional()?)
    }

    pub fn account_count(&self) -> Result<u32> {
        Ok(self.conn().query_row("SELECT count(*) FROM accounts WHERE deleted = 0", [], |row| row.get(0))?)
    }
}
