//! Reference data in the log: the campus, every floor with its plan and devices, the guards and
//! the console accounts made before accounts were shared,
//! published by an administrator (`vigil publish`) as events, so that every workstation of the
//! hospital — one enrolled with an empty data directory too — holds the same map. Each event
//! replaces what it names (a floor's device not listed is removed); the last publication of a
//! floor in the log's order is the floor. Plans travel as their bytes with their SHA-256, checked
//! on arrival.

use std::collections::BTreeSet;

use base64::Engine as _;
use rusqlite::{params, Connection, Transaction};
use vigil_domain::event::{FloorPublished, GuardDef, GuardsPublished, PlanImageData, SitePublished};
use vigil_domain::fold::Published;
use vigil_domain::{PlanSize, RowMeta};

use crate::people::Guard;
use crate::sites::PlanImage;
use crate::{now_ms, sha256_hex, Result, Store, StoreError};

pub(crate) fn plan_data(image: &PlanImage) -> PlanImageData {
    PlanImageData {
        media_type: image.mime.clone(),
        sha256: sha256_hex(&image.bytes),
        width: image.size.width,
        height: image.size.height,
        base64: base64::engine::general_purpose::STANDARD.encode(&image.bytes),
    }
}

/// The image a publication carries, refused when its bytes are not the ones its hash names.
pub(crate) fn plan_image(data: &PlanImageData) -> Result<PlanImage> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&data.base64)
        .map_err(|e| StoreError::Invalid(format!("a published plan is not base64: {e}")))?;
    if sha256_hex(&bytes) != data.sha256 {
        return Err(StoreError::Invalid("a published plan's bytes do not match its SHA-256".into()));
    }
    Ok(PlanImage { mime: data.media_type.clone(), bytes, size: PlanSize { width: data.width, height: data.height } })
}

pub(crate) fn write_site(tx: &Transaction<'_>, p: &SitePublished) -> Result<()> {
    crate::sites::insert_site(tx, &p.site)?;
    if let Some(plan) = &p.plan {
        crate::sites::put_plan_image(tx, p.site.id, &plan_image(plan)?)?;
    }
    Ok(())
}

pub(crate) fn write_floor(tx: &Transaction<'_>, p: &FloorPublished) -> Result<()> {
    crate::sites::insert_building(tx, &p.building)?;
    crate::sites::insert_floor(tx, &p.floor)?;
    if let Some(plan) = &p.plan {
        crate::sites::put_plan_image(tx, p.floor.id, &plan_image(plan)?)?;
    }
    crate::devices::insert_devices(tx, &p.devices)?;
    let listed: Vec<String> = p.devices.iter().map(|d| d.id.to_string()).collect();
    // Incidents that arrived before their device did are placed on the map now (a mapped
    // incident's point is its device's id).
    let placed: Vec<String> = tx
        .prepare_cached(
            "UPDATE incidents SET device_id = point, version = version + 1, updated_at = ?2
             WHERE device_id IS NULL AND point IN (SELECT value FROM json_each(?1)) RETURNING device_id",
        )?
        .query_map(params![serde_json::Value::from(listed.clone()).to_string(), now_ms()], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    // Only those devices' map status can have changed: their incidents just reached them.
    let placed: BTreeSet<String> = placed.into_iter().collect();
    for device in &placed {
        if let Ok(id) = vigil_domain::Id::parse_str(device) {
            crate::incidents::follow_device(tx, id)?;
        }
    }
    tx.prepare_cached(
        "UPDATE devices SET deleted = 1, version = version + 1, updated_at = ?3
         WHERE floor_id = ?1 AND deleted = 0 AND id NOT IN (SELECT value FROM json_each(?2))",
    )?
    .execute(params![p.floor.id.to_string(), serde_json::Value::from(listed).to_string(), now_ms()])?;
    Ok(())
}

pub(crate) fn write_guards(tx: &Transaction<'_>, p: &GuardsPublished) -> Result<()> {
    let guards: Vec<Guard> = p
        .guards
        .iter()
        .map(|g| Guard { id: g.id, badge: g.badge.clone(), name: g.name.clone(), meta: RowMeta::NEW })
        .collect();
    crate::people::insert_guards(tx, &guards)
}

/// Names every published row that differs from the tables (rebuild's check): the floor, and each
/// device's floor, code and kind, present and not removed.
pub(crate) fn compare(conn: &Connection, published: &Published, note: &mut impl FnMut(String)) -> Result<()> {
    let mut floor = conn.prepare_cached("SELECT building_id, level FROM floors WHERE id = ?1 AND deleted = 0")?;
    let mut device = conn.prepare_cached("SELECT floor_id, code, kind FROM devices WHERE id = ?1 AND deleted = 0")?;
    for p in published.floors.values() {
        let row: Option<(String, i32)> = rusqlite::OptionalExtension::optional(
            floor.query_row([p.floor.id.to_string()], |r| Ok((r.get(0)?, r.get(1)?))),
        )?;
        if row != Some((p.floor.building_id.to_string(), p.floor.level)) {
            note(format!("floor {} differs from its publication", p.floor.id));
            continue;
        }
        for d in &p.devices {
            let row: Option<(String, String, String)> = rusqlite::OptionalExtension::optional(
                device.query_row([d.id.to_string()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))),
            )?;
            if row != Some((d.floor_id.to_string(), d.code.as_str().to_owned(), d.kind.as_str().to_owned())) {
                note(format!("device {} differs from its floor's publication", d.code.as_str()));
            }
        }
    }
    let mut guard = conn.prepare_cached("SELECT badge FROM guards WHERE id = ?1 AND deleted = 0")?;
    for g in published.guards.values() {
        let badge: Option<String> =
            rusqlite::OptionalExtension::optional(guard.query_row([g.id.to_string()], |r| r.get(0)))?;
        if badge.as_deref() != Some(g.badge.as_str()) {
            note(format!("guard {} differs from its publication", g.badge));
        }
    }
    Ok(())
}

/// Writes everything published again (rebuild's repair).
pub(crate) fn repair(tx: &Transaction<'_>, published: &Published) -> Result<()> {
    for p in published.sites.values() {
        write_site(tx, p)?;
    }
    for p in published.floors.values() {
        write_floor(tx, p)?;
    }
    if !published.guards.is_empty() {
        write_guards(tx, &GuardsPublished { guards: published.guards.values().cloned().collect() })?;
    }
    Ok(())
}

/// The reference data as this workstation holds it, as events to publish: the campus (with its
/// overview plan), one per floor, and the guards.
#[derive(Debug, Clone, PartialEq)]
pub struct Publication {
    pub sites: Vec<SitePublished>,
    pub floors: Vec<FloorPublished>,
    pub guards: GuardsPublished,
    /// Console accounts made here and never shared (the demo's, a first-run account): published
    /// as `account_set` events, so the same people log in everywhere.
    pub accounts: Vec<vigil_domain::account::AccountSet>,
}

impl Store {
    pub fn publication(&self) -> Result<Publication> {
        let sites = self
            .sites()?
            .into_iter()
            .map(|site| Ok(SitePublished { plan: self.plan_image(site.id)?.as_ref().map(plan_data), site }))
            .collect::<Result<Vec<_>>>()?;
        let buildings: std::collections::BTreeMap<_, _> = self.buildings()?.into_iter().map(|b| (b.id, b)).collect();
        let mut floors = Vec::new();
        for floor in self.floors()? {
            let Some(building) = buildings.get(&floor.building_id) else { continue };
            floors.push(FloorPublished {
                building: building.clone(),
                plan: self.plan_image(floor.id)?.as_ref().map(plan_data),
                // What incidents make of a device is their own; a publication says where it is.
                devices: self
                    .floor_devices(floor.id)?
                    .into_iter()
                    .map(|d| vigil_domain::Device { status: vigil_domain::DeviceStatus::Normal, ..d })
                    .collect(),
                floor,
            });
        }
        let guards = self.guards()?.into_iter().map(|g| GuardDef { id: g.id, badge: g.badge, name: g.name }).collect();
        let accounts = self.accounts()?.into_iter().filter(|a| !a.from_log).map(|a| a.as_set()).collect();
        Ok(Publication { sites, floors, guards: GuardsPublished { guards }, accounts })
    }
}

/// Commits the publication as events of this workstation, each folded into its rows like any
/// other (which changes nothing here but the versions); returns how many events.
pub fn publish(tx: &Transaction<'_>, actor: &str, publication: &Publication, wall: i64) -> Result<u32> {
    use vigil_domain::event::EventBody;
    let mut n = 0;
    for p in &publication.sites {
        crate::events::commit_event(
            tx,
            actor,
            &format!("site:{}", p.site.id),
            EventBody::SitePublished(p.clone()),
            wall,
        )?;
        n += 1;
    }
    for p in &publication.floors {
        crate::events::commit_event(
            tx,
            actor,
            &format!("floor:{}", p.floor.id),
            EventBody::FloorPublished(p.clone()),
            wall,
        )?;
        n += 1;
    }
    if !publication.guards.guards.is_empty() {
        crate::events::commit_event(tx, actor, "guards", EventBody::GuardsPublished(publication.guards.clone()), wall)?;
        n += 1;
    }
    for a in &publication.accounts {
        crate::events::commit_event(tx, actor, &a.name, EventBody::AccountSet(a.clone()), wall)?;
        n += 1;
    }
    Ok(n)
}
