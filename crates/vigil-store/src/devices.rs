//! Devices: cameras, alarm points and checkpoints, where they stand and what state they are in.

use rusqlite::{params, OptionalExtension, Row, Transaction};
use vigil_domain::event::{DeviceMoved, DevicesMoved, EventBody};
use vigil_domain::{CameraView, Dc09Address, Device, DeviceCounts, DeviceKind, DeviceStatus, Id, Label};

use crate::schema::Migration;
use crate::sites::{code_of, meta_of, uuid_of};
use crate::{now_ms, Result, Store, StoreError};

pub(crate) const MIGRATIONS: &[Migration] = &[Migration {
    version: 2,
    name: "devices",
    sql: r#"
CREATE TABLE devices (
    id           TEXT PRIMARY KEY,
    floor_id     TEXT NOT NULL REFERENCES floors(id),
    kind         TEXT NOT NULL CHECK (kind IN ('camera', 'alarm_point', 'mobile_alarm_point', 'checkpoint')),
    code         TEXT NOT NULL UNIQUE,
    name_zh      TEXT NOT NULL,
    name_en      TEXT NOT NULL,
    x            REAL NOT NULL,
    y            REAL NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('normal', 'alarm', 'fault', 'offline')),
    heading      REAL,
    fov          REAL,
    range_px     REAL,
    snapshot_url TEXT,
    stream_url   TEXT,
    dc09_account TEXT,
    dc09_zone    INTEGER,
    tag          TEXT UNIQUE,
    version      INTEGER NOT NULL DEFAULT 1,
    deleted      INTEGER NOT NULL DEFAULT 0,
    updated_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX devices_floor ON devices(floor_id, deleted);
CREATE INDEX devices_dc09 ON devices(dc09_account, dc09_zone) WHERE dc09_account IS NOT NULL;
"#,
}];

const DEVICE_COLUMNS: &str = "id, floor_id, kind, code, name_zh, name_en, x, y, status, heading, fov, range_px, \
     snapshot_url, stream_url, dc09_account, dc09_zone, tag, version, deleted";

fn conversion(index: usize, message: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, message.into())
}

fn device_of(row: &Row<'_>) -> rusqlite::Result<Device> {
    let kind: String = row.get(2)?;
    let status: String = row.get(8)?;
    let heading: Option<f64> = row.get(9)?;
    let camera = match heading {
        Some(heading_deg) => Some(CameraView {
            heading_deg,
            fov_deg: row.get::<_, Option<f64>>(10)?.unwrap_or(60.0),
            range_px: row.get::<_, Option<f64>>(11)?.unwrap_or(60.0),
            snapshot_url: row.get(12)?,
            stream_url: row.get(13)?,
        }),
        None => None,
    };
    let account: Option<String> = row.get(14)?;
    let zone: Option<u32> = row.get(15)?;
    Ok(Device {
        id: uuid_of(row, 0)?,
        floor_id: uuid_of(row, 1)?,
        kind: DeviceKind::parse(&kind).ok_or_else(|| conversion(2, format!("unknown device kind {kind}")))?,
        code: code_of(row, 3)?,
        name: Label::new(row.get::<_, String>(4)?, row.get::<_, String>(5)?),
        x: row.get(6)?,
        y: row.get(7)?,
        status: DeviceStatus::parse(&status).ok_or_else(|| conversion(8, format!("unknown status {status}")))?,
        camera,
        dc09: account.map(|account| Dc09Address { account, zone: zone.unwrap_or(0) }),
        tag: row.get(16)?,
        meta: meta_of(row, 17)?,
    })
}

/// Inserts many devices with one prepared statement; the caller's transaction makes them atomic.
/// A device of the same id is replaced, its status (what its incidents say) kept.
pub fn insert_devices(tx: &Transaction<'_>, devices: &[Device]) -> Result<()> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO devices (id, floor_id, kind, code, name_zh, name_en, x, y, status, heading, fov, range_px,
             snapshot_url, stream_url, dc09_account, dc09_zone, tag, version, deleted, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)
         ON CONFLICT(id) DO UPDATE SET floor_id = excluded.floor_id, kind = excluded.kind, code = excluded.code,
             name_zh = excluded.name_zh, name_en = excluded.name_en, x = excluded.x, y = excluded.y,
             heading = excluded.heading, fov = excluded.fov, range_px = excluded.range_px,
             snapshot_url = excluded.snapshot_url, stream_url = excluded.stream_url,
             dc09_account = excluded.dc09_account, dc09_zone = excluded.dc09_zone, tag = excluded.tag,
             version = devices.version + 1, deleted = excluded.deleted, updated_at = excluded.updated_at",
    )?;
    let now = now_ms();
    for d in devices {
        let cam = d.camera.as_ref();
        stmt.execute(params![
            d.id.to_string(),
            d.floor_id.to_string(),
            d.kind.as_str(),
            d.code.as_str(),
            d.name.zh,
            d.name.en,
            d.x,
            d.y,
            d.status.as_str(),
            cam.map(|c| c.heading_deg),
            cam.map(|c| c.fov_deg),
            cam.map(|c| c.range_px),
            cam.and_then(|c| c.snapshot_url.as_deref()),
            cam.and_then(|c| c.stream_url.as_deref()),
            d.dc09.as_ref().map(|a| a.account.as_str()),
            d.dc09.as_ref().map(|a| a.zone),
            d.tag,
            d.meta.version,
            d.meta.deleted,
            now,
        ])?;
    }
    Ok(())
}

/// Devices of one floor with how many there are; what a floor button shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FloorDeviceCount {
    pub floor_id: Id,
    pub counts: DeviceCounts,
}

/// A device as the read API lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PointRow {
    pub id: Id,
    pub code: String,
    pub kind: String,
    pub building: String,
    pub floor: String,
    pub dc09_account: Option<String>,
    pub dc09_zone: Option<u32>,
    pub checkpoint_tag: Option<String>,
    pub status: String,
}

/// A new position for a device on its floor's plan.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DeviceMove {
    pub id: Id,
    pub x: f64,
    pub y: f64,
}

impl Store {
    pub fn floor_devices(&self, floor_id: Id) -> Result<Vec<Device>> {
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {DEVICE_COLUMNS} FROM devices WHERE floor_id = ?1 AND deleted = 0 ORDER BY code"
        ))?;
        let rows = stmt.query_map([floor_id.to_string()], device_of)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The `limit` cameras nearest to (`x`, `y`) on a floor, nearest first; SQLite measures, so
    /// even a floor of tens of thousands of devices costs one pass and no row copies.
    pub fn nearest_cameras(&self, floor_id: Id, x: f64, y: f64, limit: u32) -> Result<Vec<Device>> {
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {DEVICE_COLUMNS} FROM devices WHERE floor_id = ?1 AND kind = 'camera' AND deleted = 0
             ORDER BY (x - ?2) * (x - ?2) + (y - ?3) * (y - ?3), code LIMIT ?4"
        ))?;
        let rows = stmt.query_map(params![floor_id.to_string(), x, y, limit], device_of)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn device(&self, id: Id) -> Result<Device> {
        let mut stmt = self
            .conn()
            .prepare_cached(&format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE id = ?1 AND deleted = 0"))?;
        stmt.query_row([id.to_string()], device_of)
            .optional()?
            .ok_or_else(|| StoreError::NotFound { what: "device", id: id.to_string() })
    }

    pub fn device_by_code(&self, code: &str) -> Result<Option<Device>> {
        let mut stmt = self
            .conn()
            .prepare_cached(&format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE code = ?1 AND deleted = 0"))?;
        Ok(stmt.query_row([code], device_of).optional()?)
    }

    /// Devices whose code or name contains `text` (case-insensitive for codes and English names),
    /// exact code matches first, then by code.
    pub fn search_devices(&self, text: &str, limit: u32) -> Result<Vec<Device>> {
        let needle = text.trim();
        if needle.is_empty() {
            return Ok(Vec::new());
        }
        let escaped = needle.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        let pattern = format!("%{escaped}%");
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {DEVICE_COLUMNS} FROM devices
             WHERE deleted = 0 AND (code LIKE ?1 ESCAPE '\\' OR name_zh LIKE ?1 ESCAPE '\\' OR name_en LIKE ?1 ESCAPE '\\')
             ORDER BY (upper(code) = upper(?2)) DESC, (upper(code) LIKE upper(?2) || '%') DESC, code
             LIMIT ?3"
        ))?;
        let rows = stmt.query_map(params![pattern, needle, limit], device_of)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// How many devices of each kind the whole database holds.
    pub fn device_counts(&self) -> Result<DeviceCounts> {
        let mut stmt =
            self.conn().prepare_cached("SELECT kind, count(*) FROM devices WHERE deleted = 0 GROUP BY kind")?;
        let mut counts = DeviceCounts::default();
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let kind: String = row.get(0)?;
            let n: u32 = row.get(1)?;
            let kind = DeviceKind::parse(&kind).ok_or_else(|| conversion(0, format!("unknown device kind {kind}")))?;
            counts.add(kind, n);
        }
        Ok(counts)
    }

    /// Device counts of every floor that has devices.
    pub fn floor_device_counts(&self) -> Result<Vec<FloorDeviceCount>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT floor_id, kind, count(*) FROM devices WHERE deleted = 0 GROUP BY floor_id, kind ORDER BY floor_id",
        )?;
        let mut out: Vec<FloorDeviceCount> = Vec::new();
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let floor_id = uuid_of(row, 0)?;
            let kind: String = row.get(1)?;
            let n: u32 = row.get(2)?;
            let kind = DeviceKind::parse(&kind).ok_or_else(|| conversion(1, format!("unknown device kind {kind}")))?;
            match out.last_mut() {
                Some(last) if last.floor_id == floor_id => last.counts.add(kind, n),
                _ => {
                    let mut counts = DeviceCounts::default();
                    counts.add(kind, n);
                    out.push(FloorDeviceCount { floor_id, counts });
                }
            }
        }
        Ok(out)
    }

    /// Every device with where it is and what it answers to, for GET /v1/points.
    pub fn point_list(&self) -> Result<Vec<PointRow>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT d.id, d.code, d.kind, b.code, f.level, d.dc09_account, d.dc09_zone, d.tag, d.status
             FROM devices d JOIN floors f ON f.id = d.floor_id JOIN buildings b ON b.id = f.building_id
             WHERE d.deleted = 0 ORDER BY d.code",
        )?;
        let rows = stmt.query_map([], |row| {
            Ok(PointRow {
                id: uuid_of(row, 0)?,
                code: row.get(1)?,
                kind: row.get(2)?,
                building: row.get(3)?,
                floor: vigil_domain::floor_label(row.get(4)?),
                dc09_account: row.get(5)?,
                dc09_zone: row.get(6)?,
                checkpoint_tag: row.get(7)?,
                status: row.get(8)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Floors with devices in the alarm state, and how many.
    pub fn floor_alarm_counts(&self) -> Result<Vec<(Id, u32)>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT floor_id, count(*) FROM devices WHERE deleted = 0 AND status = 'alarm' GROUP BY floor_id",
        )?;
        let rows = stmt.query_map([], |row| Ok((uuid_of(row, 0)?, row.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Sets a device's live status (bumping its version); returns whether it changed.
    pub fn set_device_status(&self, id: Id, status: DeviceStatus) -> Result<bool> {
        let changed = self.conn().execute(
            "UPDATE devices SET status = ?2, version = version + 1, updated_at = ?3 WHERE id = ?1 AND deleted = 0 AND status <> ?2",
            params![id.to_string(), status.as_str(), now_ms()],
        )?;
        Ok(changed > 0)
    }
}

/// Moves devices on their floors, all or none, inside the writer's transaction; each move bumps
/// the device's version. The moves are one event of the log, committed with the devices' new
/// positions and `audit`. A position outside the floor's plan, or a device that does not exist,
/// refuses the whole batch.
pub fn move_devices(tx: &Transaction<'_>, moves: &[DeviceMove], audit: &crate::AuditEvent) -> Result<usize> {
    let mut lookup = tx.prepare_cached(
        "SELECT f.plan_w, f.plan_h, d.code FROM devices d JOIN floors f ON f.id = d.floor_id
         WHERE d.id = ?1 AND d.deleted = 0",
    )?;
    for m in moves {
        let (w, h, code): (f64, f64, String) = lookup
            .query_row([m.id.to_string()], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .optional()?
            .ok_or_else(|| StoreError::NotFound { what: "device", id: m.id.to_string() })?;
        if !(m.x.is_finite() && m.y.is_finite() && (0.0..=w).contains(&m.x) && (0.0..=h).contains(&m.y)) {
            return Err(StoreError::Invalid(format!(
                "{code} cannot be placed at ({:.0}, {:.0}): its floor plan is {w:.0} × {h:.0} pixels",
                m.x, m.y
            )));
        }
    }
    let body = EventBody::DevicesMoved(DevicesMoved {
        moves: moves.iter().map(|m| DeviceMoved { device: m.id, x: m.x, y: m.y }).collect(),
    });
    let committed = crate::events::commit_event(tx, &audit.actor, &audit.subject, body, now_ms())?;
    crate::write::append_audit(tx, &audit.for_event(&committed))?;
    Ok(moves.len())
}

/// Puts a device at a position (the event log's writer: moves and plan changes).
pub(crate) fn place_device(tx: &Transaction<'_>, id: Id, x: f64, y: f64) -> Result<()> {
    tx.prepare_cached(
        "UPDATE devices SET x = ?2, y = ?3, version = version + 1, updated_at = ?4
         WHERE id = ?1 AND (x <> ?2 OR y <> ?3)",
    )?
    .execute(params![id.to_string(), x, y, now_ms()])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::write::{insert_building, insert_floor, insert_site, put_plan_image};
    use crate::PlanImage;
    use vigil_domain::{Building, BuildingKind, Code, Floor, PlanSize, Rect, RowMeta, Site};

    fn id(n: u128) -> Id {
        uuid::Builder::from_unix_timestamp_millis(
            1_700_000_000_000,
            &n.to_le_bytes()[..10].try_into().expect("10 bytes"),
        )
        .into_uuid()
    }

    fn audit() -> crate::AuditEvent {
        crate::AuditEvent {
            actor: "test".into(),
            action: "map.edit".into(),
            subject: "floor".into(),
            details: "{}".into(),
        }
    }

    fn code(text: &str) -> Code {
        Code::parse(text).expect("valid code")
    }

    fn device(n: u128, floor: Id, kind: DeviceKind, text: &str, x: f64, y: f64) -> Device {
        Device {
            id: id(n),
            floor_id: floor,
            kind,
            code: code(text),
            name: Label::new(format!("设备{n}"), format!("Device {n}")),
            x,
            y,
            status: DeviceStatus::Normal,
            camera: (kind == DeviceKind::Camera).then(|| CameraView {
                heading_deg: 45.0,
                fov_deg: 70.0,
                range_px: 90.0,
                snapshot_url: Some("http://127.0.0.1:1984/api/frame.jpeg?src=cam".into()),
                stream_url: None,
            }),
            dc09: (kind == DeviceKind::AlarmPoint).then(|| Dc09Address { account: "1234".into(), zone: 7 }),
            tag: (kind == DeviceKind::Checkpoint).then(|| format!("TAG-{n}")),
            meta: RowMeta::NEW,
        }
    }

    /// One site, one building, one 1000 × 600 floor, and the devices given.
    fn fixture(devices: &[Device]) -> (tempfile::TempDir, Store, Floor) {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = Store::open(&dir.path().join("vigil.db")).expect("open");
        let site = Site {
            id: id(1),
            code: code("HQ"),
            name: Label::new("总院", "Main campus"),
            plan: PlanSize { width: 2000, height: 1200 },
            meta: RowMeta::NEW,
        };
        let building = Building {
            id: id(2),
            site_id: site.id,
            code: code("OPD"),
            name: Label::new("门诊楼", "Outpatient"),
            kind: BuildingKind::Outpatient,
            footprint: Rect { x: 10.0, y: 10.0, w: 300.0, h: 200.0 },
            meta: RowMeta::NEW,
        };
        let floor = Floor {
            id: id(3),
            building_id: building.id,
            level: -1,
            label: Label::new("地下一层", "B1"),
            plan: PlanSize { width: 1000, height: 600 },
            meta: RowMeta::NEW,
        };
        store
            .transaction(|tx| {
                insert_site(tx, &site)?;
                insert_building(tx, &building)?;
                insert_floor(tx, &floor)?;
                put_plan_image(
                    tx,
                    floor.id,
                    &PlanImage { mime: "image/svg+xml".into(), bytes: b"<svg/>".to_vec(), size: floor.plan },
                )?;
                insert_devices(tx, devices)
            })
            .expect("fixture");
        (dir, store, floor)
    }

    #[test]
    fn devices_round_trip_with_every_optional_part() {
        let floor = id(3);
        let devices = vec![
            device(10, floor, DeviceKind::Camera, "OPD-B1-CAM-001", 100.0, 100.0),
            device(11, floor, DeviceKind::AlarmPoint, "OPD-B1-ALM-001", 200.5, 300.25),
            device(12, floor, DeviceKind::MobileAlarmPoint, "OPD-B1-MAP-001", 10.0, 20.0),
            device(13, floor, DeviceKind::Checkpoint, "OPD-B1-CHK-001", 999.0, 599.0),
        ];
        let (_dir, store, _floor) = fixture(&devices);
        let mut by_code = devices.clone();
        by_code.sort_by(|a, b| a.code.cmp(&b.code));
        assert_eq!(store.floor_devices(floor).expect("read"), by_code, "a floor's devices come ordered by code");
        assert_eq!(store.device(id(11)).expect("one"), devices[1]);
        assert_eq!(store.device_by_code("OPD-B1-CHK-001").expect("by code"), Some(devices[3].clone()));
        let counts = store.device_counts().expect("counts");
        assert_eq!((counts.cameras, counts.alarm_points, counts.mobile_alarm_points, counts.checkpoints), (1, 1, 1, 1));
        let per_floor = store.floor_device_counts().expect("per floor");
        assert_eq!(per_floor.len(), 1);
        assert_eq!(per_floor[0].counts.total(), 4);
    }

    #[test]
    fn search_finds_codes_and_names_exact_match_first() {
        let floor = id(3);
        let devices = vec![
            device(10, floor, DeviceKind::Camera, "OPD-B1-CAM-0011", 1.0, 1.0),
            device(11, floor, DeviceKind::Camera, "OPD-B1-CAM-001", 2.0, 2.0),
            device(12, floor, DeviceKind::Camera, "XOPD-B1-CAM-001", 3.0, 3.0),
        ];
        let (_dir, store, _floor) = fixture(&devices);
        let found: Vec<String> = store
            .search_devices("opd-b1-cam-001", 10)
            .expect("search")
            .into_iter()
            .map(|d| d.code.to_string())
            .collect();
        assert_eq!(found, ["OPD-B1-CAM-001", "OPD-B1-CAM-0011", "XOPD-B1-CAM-001"]);
        assert_eq!(store.search_devices("设备12", 10).expect("zh").len(), 1);
        assert!(store.search_devices("%", 10).expect("literal percent").is_empty());
        assert!(store.search_devices("  ", 10).expect("blank").is_empty());
    }

    #[test]
    fn moves_bump_versions_and_a_bad_move_changes_nothing() {
        let floor = id(3);
        let devices = vec![
            device(10, floor, DeviceKind::Camera, "OPD-B1-CAM-001", 100.0, 100.0),
            device(11, floor, DeviceKind::AlarmPoint, "OPD-B1-ALM-001", 200.0, 200.0),
        ];
        let (_dir, mut store, _floor) = fixture(&devices);
        store
            .transaction(|tx| move_devices(tx, &[DeviceMove { id: id(10), x: 500.0, y: 400.0 }], &audit()))
            .expect("move");
        let moved = store.device(id(10)).expect("read");
        assert_eq!((moved.x, moved.y, moved.meta.version), (500.0, 400.0, 2));

        let error = store
            .transaction(|tx| {
                move_devices(
                    tx,
                    &[DeviceMove { id: id(11), x: 10.0, y: 10.0 }, DeviceMove { id: id(10), x: 1001.0, y: 10.0 }],
                    &audit(),
                )
            })
            .expect_err("off the plan");
        assert!(error.to_string().contains("OPD-B1-CAM-001"), "{error}");
        assert_eq!(store.device(id(11)).expect("read").x, 200.0, "the batch is all or nothing");
        assert!(matches!(
            store.transaction(|tx| move_devices(tx, &[DeviceMove { id: id(99), x: 1.0, y: 1.0 }], &audit())),
            Err(StoreError::NotFound { .. })
        ));
    }

    #[test]
    fn a_smaller_plan_pulls_devices_onto_its_edge() {
        let floor = id(3);
        let devices = vec![device(10, floor, DeviceKind::Camera, "OPD-B1-CAM-001", 900.0, 500.0)];
        let (_dir, mut store, _floor) = fixture(&devices);
        let image =
            PlanImage { mime: "image/png".into(), bytes: vec![1, 2, 3], size: PlanSize { width: 800, height: 400 } };
        store.transaction(|tx| crate::write::replace_floor_plan(tx, floor, &image, &audit())).expect("replace");
        assert_eq!(store.floor(floor).expect("floor").plan, image.size);
        assert_eq!(store.plan_image(floor).expect("image"), Some(image));
        let d = store.device(id(10)).expect("device");
        assert_eq!((d.x, d.y), (800.0, 400.0));
    }
}
