//! `vigil rebuild`: the whole event log folded from nothing with the same function the writer
//! applies as it commits, every projection row compared with what it gives, and (without
//! `--check`) the rows that differ rewritten from the log in one transaction.

use std::collections::{BTreeMap, BTreeSet};

use rusqlite::{params, OptionalExtension, Transaction};
use vigil_domain::fold::{apply, Projection};
use vigil_domain::incident::{Incident, Shelf};
use vigil_domain::{DeviceStatus, Id};

use crate::events::{row_of, sha256_hex};
use crate::sites::uuid_of;
use crate::{now_ms, Result, Store, StoreError};

/// What a rebuild found (and, without `--check`, repaired).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct RebuildReport {
    pub events: u64,
    /// Events the fold skipped, by reason (an unknown kind or newer schema from a newer Vigil).
    pub skipped: BTreeMap<String, u64>,
    pub incidents: u64,
    /// Incidents kept from before the event log existed: left as they are.
    pub legacy_incidents: u64,
    /// Every projection row that differs from what the log folds to, named.
    pub differences: Vec<String>,
    pub repaired: bool,
}

/// The largest number of differences a report lists one by one.
const DIFFERENCES_LISTED: usize = 200;

impl Store {
    /// Folds the whole log from nothing and compares every projection row with what it gives.
    /// With `repair`, rewrites the rows that differ in one transaction. Refuses (naming the
    /// event) when the log's chain is broken: an edited event is never laundered into state.
    pub fn rebuild(&mut self, repair: bool) -> Result<RebuildReport> {
        // One pass over the whole log: a large cache for the duration, the connection's own after.
        let own = self.cache_mib()?;
        self.set_cache_mib(crate::BULK_CACHE_MIB)?;
        let outcome = self.rebuild_inner(repair);
        self.set_cache_mib(own)?;
        outcome
    }

    fn rebuild_inner(&mut self, repair: bool) -> Result<RebuildReport> {
        let chain = self.verify_events()?;
        if let Some((seq, id, why)) = chain.first_altered {
            return Err(StoreError::Invalid(format!(
                "event {seq} ({id}) was altered: {why}; the projections are not rebuilt from a broken log"
            )));
        }
        let mut report = RebuildReport::default();
        let state = self.fold_log(&mut report)?;
        report.incidents = state.incidents.len() as u64;
        let differences = self.compare(&state, &mut report)?;
        report.differences = differences;
        if repair && !report.differences.is_empty() {
            self.transaction(|tx| repair_from(tx, &state))?;
            report.repaired = true;
        }
        Ok(report)
    }

    fn fold_log(&self, report: &mut RebuildReport) -> Result<Projection> {
        let mut state = Projection::new();
        // The order every workstation agrees on: the server's for what a pull brought back, this
        // log's own for the rest (a workstation never synced, or its events still pending; the
        // server's log is its own order).
        let columns = crate::events::row_columns_of("e");
        let mut stmt = self.conn().prepare(&format!(
            "SELECT {columns} FROM events e LEFT JOIN sync_positions p ON p.event_id = e.id
             ORDER BY coalesce(p.server_seq, 9223372036854775807), e.seq"
        ))?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let row = row_of(r)?;
            report.events += 1;
            match row.decode() {
                Ok(event) => {
                    apply(&mut state, &event);
                }
                Err(skip) => {
                    eprintln!("vigil: event {} ({}) skipped by the fold: {}", row.seq, row.id, skip.reason());
                    *report.skipped.entry(skip.reason()).or_insert(0) += 1;
                }
            }
        }
        Ok(state)
    }

    fn compare(&self, state: &Projection, report: &mut RebuildReport) -> Result<Vec<String>> {
        let mut diffs = Vec::new();
        let mut note = |d: String| {
            if diffs.len() < DIFFERENCES_LISTED {
                diffs.push(d);
            }
        };
        let conn = self.conn();
        report.legacy_incidents =
            conn.query_row("SELECT count(*) FROM incidents WHERE from_log = 0 AND deleted = 0", [], |r| {
                r.get::<_, i64>(0)
            })? as u64;
        // Incidents: the body and the columns queries read.
        let mut stmt = conn.prepare(
            "SELECT id, body, state, priority, point, device_id FROM incidents WHERE from_log = 1 AND deleted = 0",
        )?;
        let mut rows = stmt.query([])?;
        let mut seen = BTreeSet::new();
        while let Some(r) = rows.next()? {
            let id: String = r.get(0)?;
            let body: String = r.get(1)?;
            let (state_col, priority, point, device): (String, u8, String, Option<String>) =
                (r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?);
            let Some(expected) = Id::parse_str(&id).ok().and_then(|i| state.incidents.get(&i)) else {
                note(format!("incident {id} is in the table but not in the log"));
                continue;
            };
            seen.insert(expected.id);
            if let Some(field) = first_difference(&body, expected) {
                note(format!("incident {id}: {field} differs from the log"));
            } else if state_col != expected.state.as_str() {
                note(format!(
                    "incident {id}: state column is {state_col:?}, the log says {:?}",
                    expected.state.as_str()
                ));
            } else if priority != expected.priority.level() {
                note(format!(
                    "incident {id}: priority column is {priority}, the log says {}",
                    expected.priority.level()
                ));
            } else if point != expected.point {
                note(format!("incident {id}: point column differs from the log"));
            } else if device
                != state
                    .incident_devices
                    .get(&expected.id)
                    .filter(|d| crate::incidents::device_known(conn, **d).unwrap_or(false))
                    .map(|d| d.to_string())
            {
                note(format!("incident {id}: device column differs from the log"));
            }
        }
        for id in state.incidents.keys().filter(|i| !seen.contains(*i)) {
            note(format!("incident {id} is in the log but missing from the table"));
        }
        // Merges: each alias leads to the same survivor in the table as in the log.
        let mut stmt = conn.prepare("SELECT alias, survivor FROM incident_aliases")?;
        let table: BTreeMap<String, String> =
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
        let follow = |mut id: String| {
            for _ in 0..32 {
                match table.get(&id) {
                    Some(next) if *next != id => id = next.clone(),
                    _ => break,
                }
            }
            id
        };
        for alias in state.aliases.keys() {
            let (stored, folded) = (follow(alias.to_string()), state.resolve(*alias).to_string());
            if stored != folded {
                note(format!("incident alias {alias}: the table leads to {stored}, the log to {folded}"));
            }
        }
        for alias in table.keys() {
            if !Id::parse_str(alias).is_ok_and(|a| state.aliases.contains_key(&a)) {
                note(format!("incident alias {alias} is in the table but not in the log"));
            }
        }
        // Shelves.
        let mut stmt =
            conn.prepare("SELECT id, point, until, by_name, reason FROM shelves WHERE from_log = 1 AND deleted = 0")?;
        let table: BTreeMap<String, Shelf> = stmt
            .query_map([], |r| {
                Ok((r.get(0)?, Shelf { point: r.get(1)?, until: r.get(2)?, by: r.get(3)?, reason: r.get(4)? }))
            })?
            .collect::<rusqlite::Result<_>>()?;
        for (id, shelf) in &state.shelves {
            match table.get(&id.to_string()) {
                Some(stored) if stored == shelf => {}
                Some(_) => note(format!("shelf {id} differs from the log")),
                None => note(format!("shelf {id} is in the log but missing from the table")),
            }
        }
        for id in table.keys() {
            if !Id::parse_str(id).is_ok_and(|i| state.shelves.contains_key(&i)) {
                note(format!("shelf {id} is in the table but not in the log"));
            }
        }
        // Device status as incidents give it (of the devices this database holds).
        let mut devices: BTreeSet<Id> = state
            .incident_devices
            .values()
            .copied()
            .filter(|d| crate::incidents::device_known(conn, *d).unwrap_or(false))
            .collect();
        // A device with an open incident from before the log shows it; the log cannot say otherwise.
        let mut legacy = conn.prepare(
            "SELECT DISTINCT device_id FROM incidents WHERE from_log = 0 AND deleted = 0 AND state <> 'closed'
             AND device_id IS NOT NULL",
        )?;
        for d in legacy.query_map([], |r| uuid_of(r, 0))? {
            devices.remove(&d?);
        }
        let mut stmt = conn.prepare_cached("SELECT status, code FROM devices WHERE id = ?1")?;
        for device in devices {
            let row: Option<(String, String)> =
                stmt.query_row([device.to_string()], |r| Ok((r.get(0)?, r.get(1)?))).optional()?;
            let expected = state.device_status(device);
            match row {
                Some((status, _)) if status == expected.as_str() => {}
                Some((status, code)) => {
                    note(format!("device {code}: status is {status:?}, its incidents say {:?}", expected.as_str()))
                }
                None => note(format!("device {device} of an incident is missing")),
            }
        }
        // Procedures, camera links, positions and plans the log set.
        for ((alarm_type, language), steps) in &state.procedures {
            let stored: Option<String> = conn
                .query_row(
                    "SELECT steps FROM sop_steps WHERE alarm_type = ?1 AND language = ?2 AND deleted = 0",
                    [alarm_type, language],
                    |r| r.get(0),
                )
                .optional()?;
            if stored.and_then(|s| serde_json::from_str::<Vec<String>>(&s).ok()).as_ref() != Some(steps) {
                note(format!("procedure {alarm_type}/{language} differs from the log"));
            }
        }
        for (point, cameras) in &state.camera_links {
            if &self.linked_cameras(*point)? != cameras {
                note(format!("camera links of {point} differ from the log"));
            }
        }
        let mut stmt = conn.prepare_cached("SELECT x, y, code FROM devices WHERE id = ?1")?;
        for (device, (x, y)) in &state.positions {
            let row: Option<(f64, f64, String)> =
                stmt.query_row([device.to_string()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).optional()?;
            match row {
                Some((sx, sy, _)) if sx == *x && sy == *y => {}
                Some((_, _, code)) => note(format!("device {code}: position differs from the log")),
                None => note(format!("device {device} moved by the log is missing")),
            }
        }
        for (floor, sha) in &state.plans {
            let bytes: Option<Vec<u8>> = conn
                .query_row(
                    "SELECT bytes FROM plan_images WHERE owner_id = ?1 AND deleted = 0",
                    [floor.to_string()],
                    |r| r.get(0),
                )
                .optional()?;
            if bytes.map(|b| sha256_hex(&b)).as_ref() != Some(sha) {
                note(format!("floor {floor}: its plan image is not the one the log names"));
            }
        }
        crate::patrol::compare(conn, &state.patrol, &mut note)?;
        crate::people::compare_accounts(conn, &state.accounts, &mut note)?;
        crate::publish::compare(conn, &state.published, &mut note)?;
        Ok(diffs)
    }
}

/// The first top-level field of a stored incident body that differs from the folded incident.
fn first_difference(body: &str, expected: &Incident) -> Option<String> {
    let Ok(stored) = serde_json::from_str::<serde_json::Value>(body) else { return Some("the body (not JSON)".into()) };
    let Ok(expected) = serde_json::to_value(expected) else { return Some("the body".into()) };
    if stored == expected {
        return None;
    }
    let (Some(s), Some(e)) = (stored.as_object(), expected.as_object()) else { return Some("the body".into()) };
    let keys: BTreeSet<&String> = s.keys().chain(e.keys()).collect();
    let field = keys.into_iter().find(|k| s.get(*k) != e.get(*k)).map(|k| format!("field {k:?}"));
    field
}

/// Rewrites every projection row from the folded state.
fn repair_from(tx: &Transaction<'_>, state: &Projection) -> Result<()> {
    crate::patrol::repair(tx, &state.patrol)?;
    crate::people::repair_accounts(tx, &state.accounts)?;
    crate::publish::repair(tx, &state.published)?;
    // Settled rounds are a cache of the evaluation: settled again when next asked.
    crate::settled::clear(tx)?;
    let now = now_ms();
    let folded: BTreeSet<String> = state.incidents.keys().map(|i| i.to_string()).collect();
    let mut stmt = tx.prepare("SELECT id FROM incidents WHERE from_log = 1 AND deleted = 0")?;
    let stored: Vec<String> = stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    for id in stored.iter().filter(|id| !folded.contains(*id)) {
        tx.execute(
            "UPDATE incidents SET deleted = 1, version = version + 1, updated_at = ?2 WHERE id = ?1",
            params![id, now],
        )?;
    }
    for (id, incident) in &state.incidents {
        crate::incidents::write_incident(tx, incident, state.incident_devices.get(id).copied())?;
        tx.execute("UPDATE incidents SET deleted = 0 WHERE id = ?1 AND deleted = 1", [id.to_string()])?;
    }
    for (alias, survivor) in &state.aliases {
        tx.execute(
            "INSERT INTO incident_aliases (alias, survivor, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT(alias) DO UPDATE SET survivor = excluded.survivor, updated_at = excluded.updated_at",
            params![alias.to_string(), state.resolve(*survivor).to_string(), now],
        )?;
    }
    tx.execute("UPDATE shelves SET deleted = 1, version = version + 1, updated_at = ?1 WHERE from_log = 1", [now])?;
    for (id, shelf) in &state.shelves {
        tx.execute(
            "INSERT INTO shelves (id, point, from_at, until, by_name, reason, updated_at, from_log)
             VALUES (?1, ?2, 0, ?3, ?4, ?5, ?6, 1)
             ON CONFLICT(id) DO UPDATE SET point = excluded.point, until = excluded.until, by_name = excluded.by_name,
                 reason = excluded.reason, deleted = 0, version = version + 1, updated_at = excluded.updated_at",
            params![id.to_string(), shelf.point, shelf.until, shelf.by, shelf.reason, now],
        )?;
    }
    let devices: BTreeSet<Id> = state.incident_devices.values().copied().collect();
    for device in devices {
        let status: DeviceStatus = state.device_status(device);
        tx.execute(
            "UPDATE devices SET status = ?2, version = version + 1, updated_at = ?3 WHERE id = ?1 AND status <> ?2",
            params![device.to_string(), status.as_str(), now],
        )?;
    }
    for ((alarm_type, language), steps) in &state.procedures {
        crate::incidents::put_sop_steps(tx, alarm_type, language, steps)?;
    }
    for (point, cameras) in &state.camera_links {
        crate::incidents::set_camera_links(tx, *point, cameras)?;
    }
    for (device, (x, y)) in &state.positions {
        crate::devices::place_device(tx, *device, *x, *y)?;
    }
    Ok(())
}
