//! Sites, buildings, floors and the plan images drawn under them.

use rusqlite::{params, OptionalExtension, Row, Transaction};
use vigil_domain::event::{DeviceMoved, EventBody, FloorPlanReplaced};
use vigil_domain::{Building, BuildingKind, Code, Floor, Id, Label, PlanSize, Rect, RowMeta, Site};

use crate::schema::Migration;
use crate::{now_ms, Result, Store, StoreError};

pub(crate) const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    name: "sites, buildings, floors, plan images, settings",
    sql: r#"
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE sites (
    id         TEXT PRIMARY KEY,
    code       TEXT NOT NULL UNIQUE,
    name_zh    TEXT NOT NULL,
    name_en    TEXT NOT NULL,
    plan_w     INTEGER NOT NULL,
    plan_h     INTEGER NOT NULL,
    version    INTEGER NOT NULL DEFAULT 1,
    deleted    INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE buildings (
    id         TEXT PRIMARY KEY,
    site_id    TEXT NOT NULL REFERENCES sites(id),
    code       TEXT NOT NULL UNIQUE,
    name_zh    TEXT NOT NULL,
    name_en    TEXT NOT NULL,
    kind       TEXT NOT NULL,
    fp_x       REAL NOT NULL,
    fp_y       REAL NOT NULL,
    fp_w       REAL NOT NULL,
    fp_h       REAL NOT NULL,
    version    INTEGER NOT NULL DEFAULT 1,
    deleted    INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX buildings_site ON buildings(site_id);

CREATE TABLE floors (
    id          TEXT PRIMARY KEY,
    building_id TEXT NOT NULL REFERENCES buildings(id),
    level       INTEGER NOT NULL,
    label_zh    TEXT NOT NULL,
    label_en    TEXT NOT NULL,
    plan_w      INTEGER NOT NULL,
    plan_h      INTEGER NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1,
    deleted     INTEGER NOT NULL DEFAULT 0,
    updated_at  INTEGER NOT NULL,
    UNIQUE (building_id, level)
) STRICT;

-- The image under a floor (or a site's campus overview); owner_id is the floor's or site's id.
CREATE TABLE plan_images (
    owner_id   TEXT PRIMARY KEY,
    mime       TEXT NOT NULL,
    bytes      BLOB NOT NULL,
    width      INTEGER NOT NULL,
    height     INTEGER NOT NULL,
    version    INTEGER NOT NULL DEFAULT 1,
    deleted    INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL
) STRICT;
"#,
}];

/// A plan image as stored: its media type, bytes and pixel size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanImage {
    pub mime: String,
    pub bytes: Vec<u8>,
    pub size: PlanSize,
}

fn id_of(row: &Row<'_>, index: usize) -> rusqlite::Result<Id> {
    let text: String = row.get(index)?;
    Id::parse_str(&text)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, Box::new(e)))
}

pub(crate) fn code_of(row: &Row<'_>, index: usize) -> rusqlite::Result<Code> {
    let text: String = row.get(index)?;
    Code::parse(&text)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, Box::new(e)))
}

pub(crate) fn meta_of(row: &Row<'_>, index: usize) -> rusqlite::Result<RowMeta> {
    Ok(RowMeta { version: row.get(index)?, deleted: row.get(index + 1)? })
}

pub(crate) fn uuid_of(row: &Row<'_>, index: usize) -> rusqlite::Result<Id> {
    id_of(row, index)
}

fn site_of(row: &Row<'_>) -> rusqlite::Result<Site> {
    Ok(Site {
        id: id_of(row, 0)?,
        code: code_of(row, 1)?,
        name: Label::new(row.get::<_, String>(2)?, row.get::<_, String>(3)?),
        plan: PlanSize { width: row.get(4)?, height: row.get(5)? },
        meta: meta_of(row, 6)?,
    })
}

fn building_of(row: &Row<'_>) -> rusqlite::Result<Building> {
    let kind: String = row.get(5)?;
    Ok(Building {
        id: id_of(row, 0)?,
        site_id: id_of(row, 1)?,
        code: code_of(row, 2)?,
        name: Label::new(row.get::<_, String>(3)?, row.get::<_, String>(4)?),
        kind: BuildingKind::parse(&kind).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                5,
                rusqlite::types::Type::Text,
                format!("unknown building kind {kind}").into(),
            )
        })?,
        footprint: Rect { x: row.get(6)?, y: row.get(7)?, w: row.get(8)?, h: row.get(9)? },
        meta: meta_of(row, 10)?,
    })
}

fn floor_of(row: &Row<'_>) -> rusqlite::Result<Floor> {
    Ok(Floor {
        id: id_of(row, 0)?,
        building_id: id_of(row, 1)?,
        level: row.get(2)?,
        label: Label::new(row.get::<_, String>(3)?, row.get::<_, String>(4)?),
        plan: PlanSize { width: row.get(5)?, height: row.get(6)? },
        meta: meta_of(row, 7)?,
    })
}

const SITE_COLUMNS: &str = "id, code, name_zh, name_en, plan_w, plan_h, version, deleted";
const BUILDING_COLUMNS: &str = "id, site_id, code, name_zh, name_en, kind, fp_x, fp_y, fp_w, fp_h, version, deleted";
const FLOOR_COLUMNS: &str = "id, building_id, level, label_zh, label_en, plan_w, plan_h, version, deleted";

/// Writes used while building a hospital in one transaction (the demo, an import, a sync). Each
/// replaces the row of the same id (a publication received again), bumping its version.
pub fn insert_site(tx: &Transaction<'_>, site: &Site) -> Result<()> {
    tx.execute(
        "INSERT INTO sites (id, code, name_zh, name_en, plan_w, plan_h, version, deleted, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT(id) DO UPDATE SET code = excluded.code, name_zh = excluded.name_zh, name_en = excluded.name_en,
             plan_w = excluded.plan_w, plan_h = excluded.plan_h, version = sites.version + 1,
             deleted = excluded.deleted, updated_at = excluded.updated_at",
        params![
            site.id.to_string(),
            site.code.as_str(),
            site.name.zh,
            site.name.en,
            site.plan.width,
            site.plan.height,
            site.meta.version,
            site.meta.deleted,
            now_ms()
        ],
    )?;
    Ok(())
}

pub fn insert_building(tx: &Transaction<'_>, building: &Building) -> Result<()> {
    let fp = building.footprint;
    tx.execute(
        "INSERT INTO buildings (id, site_id, code, name_zh, name_en, kind, fp_x, fp_y, fp_w, fp_h, version, deleted, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
         ON CONFLICT(id) DO UPDATE SET site_id = excluded.site_id, code = excluded.code, name_zh = excluded.name_zh,
             name_en = excluded.name_en, kind = excluded.kind, fp_x = excluded.fp_x, fp_y = excluded.fp_y,
             fp_w = excluded.fp_w, fp_h = excluded.fp_h, version = buildings.version + 1,
             deleted = excluded.deleted, updated_at = excluded.updated_at",
        params![
            building.id.to_string(), building.site_id.to_string(), building.code.as_str(), building.name.zh,
            building.name.en, building.kind.as_str(), fp.x, fp.y, fp.w, fp.h, building.meta.version,
            building.meta.deleted, now_ms()
        ],
    )?;
    Ok(())
}

pub fn insert_floor(tx: &Transaction<'_>, floor: &Floor) -> Result<()> {
    tx.execute(
        "INSERT INTO floors (id, building_id, level, label_zh, label_en, plan_w, plan_h, version, deleted, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT(id) DO UPDATE SET building_id = excluded.building_id, level = excluded.level,
             label_zh = excluded.label_zh, label_en = excluded.label_en, plan_w = excluded.plan_w,
             plan_h = excluded.plan_h, version = floors.version + 1, deleted = excluded.deleted,
             updated_at = excluded.updated_at",
        params![
            floor.id.to_string(),
            floor.building_id.to_string(),
            floor.level,
            floor.label.zh,
            floor.label.en,
            floor.plan.width,
            floor.plan.height,
            floor.meta.version,
            floor.meta.deleted,
            now_ms()
        ],
    )?;
    Ok(())
}

/// Stores (or replaces, bumping its version) the plan image of a floor or site.
pub fn put_plan_image(tx: &Transaction<'_>, owner: Id, image: &PlanImage) -> Result<()> {
    tx.execute(
        "INSERT INTO plan_images (owner_id, mime, bytes, width, height, version, deleted, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 1, 0, ?6)
         ON CONFLICT(owner_id) DO UPDATE SET mime = excluded.mime, bytes = excluded.bytes, width = excluded.width,
             height = excluded.height, version = plan_images.version + 1, deleted = 0, updated_at = excluded.updated_at",
        params![owner.to_string(), image.mime, image.bytes, image.size.width, image.size.height, now_ms()],
    )?;
    Ok(())
}

impl Store {
    pub fn sites(&self) -> Result<Vec<Site>> {
        let mut stmt =
            self.conn().prepare_cached(&format!("SELECT {SITE_COLUMNS} FROM sites WHERE deleted = 0 ORDER BY code"))?;
        let rows = stmt.query_map([], site_of)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn buildings(&self) -> Result<Vec<Building>> {
        let mut stmt = self
            .conn()
            .prepare_cached(&format!("SELECT {BUILDING_COLUMNS} FROM buildings WHERE deleted = 0 ORDER BY code"))?;
        let rows = stmt.query_map([], building_of)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Every floor, ordered by building and from the lowest basement up.
    pub fn floors(&self) -> Result<Vec<Floor>> {
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {FLOOR_COLUMNS} FROM floors WHERE deleted = 0 ORDER BY building_id, level"
        ))?;
        let rows = stmt.query_map([], floor_of)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn floor(&self, id: Id) -> Result<Floor> {
        let mut stmt =
            self.conn().prepare_cached(&format!("SELECT {FLOOR_COLUMNS} FROM floors WHERE id = ?1 AND deleted = 0"))?;
        stmt.query_row([id.to_string()], floor_of)
            .optional()?
            .ok_or_else(|| StoreError::NotFound { what: "floor", id: id.to_string() })
    }

    pub fn plan_image(&self, owner: Id) -> Result<Option<PlanImage>> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT mime, bytes, width, height FROM plan_images WHERE owner_id = ?1 AND deleted = 0")?;
        Ok(stmt
            .query_row([owner.to_string()], |row| {
                Ok(PlanImage {
                    mime: row.get(0)?,
                    bytes: row.get(1)?,
                    size: PlanSize { width: row.get(2)?, height: row.get(3)? },
                })
            })
            .optional()?)
    }
}

/// Replaces a floor's plan image and records its new pixel size on the floor, inside the writer's
/// transaction: one event of the log (naming the image by its SHA-256) with `audit`.
///
/// Devices keep their positions; an administrator drags them where they belong on the new plan.
/// Devices that would fall outside a smaller plan are pulled onto its edge so none is lost.
pub fn replace_floor_plan(
    tx: &Transaction<'_>,
    floor_id: Id,
    image: &PlanImage,
    audit: &crate::AuditEvent,
) -> Result<()> {
    let exists: bool = tx.query_row(
        "SELECT EXISTS(SELECT 1 FROM floors WHERE id = ?1 AND deleted = 0)",
        [floor_id.to_string()],
        |r| r.get(0),
    )?;
    if !exists {
        return Err(StoreError::NotFound { what: "floor", id: floor_id.to_string() });
    }
    put_plan_image(tx, floor_id, image)?;
    let (w, h) = (f64::from(image.size.width), f64::from(image.size.height));
    let mut stmt = tx.prepare(
        "SELECT id, x, y FROM devices WHERE floor_id = ?1 AND deleted = 0 AND (x > ?2 OR y > ?3) ORDER BY id",
    )?;
    let moves = stmt
        .query_map(params![floor_id.to_string(), w, h], |r| {
            let (x, y): (f64, f64) = (r.get(1)?, r.get(2)?);
            Ok(DeviceMoved { device: uuid_of(r, 0)?, x: x.min(w), y: y.min(h) })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let body = EventBody::FloorPlanReplaced(FloorPlanReplaced {
        floor: floor_id,
        sha256: crate::events::sha256_hex(&image.bytes),
        media_type: image.mime.clone(),
        width: image.size.width,
        height: image.size.height,
        moves,
        image: Some(crate::publish::plan_data(image)),
    });
    let committed = crate::events::commit_event(tx, &audit.actor, &floor_id.to_string(), body, now_ms())?;
    crate::write::append_audit(tx, &audit.for_event(&committed))?;
    Ok(())
}
