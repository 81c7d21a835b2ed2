//! Where the demo's devices go: exact totals per campus, sampled room by room by each room's weight.

use std::collections::BTreeMap;

use rand::distributions::{Distribution, WeightedIndex};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use vigil_domain::{CameraView, Dc09Address, Device, DeviceKind, DeviceStatus, Id, Label, RowMeta};

use crate::layout::{FloorLayout, Room};
use crate::rooms::{self, RoomKind};
use crate::{code, next_id, ALARM_POINTS, CAMERAS, MOBILE_ALARM_POINTS};

/// A floor as the placement sees it: its layout and how its devices are named.
pub(crate) struct FloorPlace {
    pub floor_id: Id,
    /// e.g. `OPD-3F`, or `H02-OPD-3F` in a group.
    pub code_prefix: String,
    pub name_zh: String,
    pub name_en: String,
    pub layout: FloorLayout,
}

fn kind_labels(kind: DeviceKind) -> (&'static str, &'static str) {
    match kind {
        DeviceKind::Camera => ("摄像机", "camera"),
        DeviceKind::AlarmPoint => ("一键报警", "alarm button"),
        DeviceKind::MobileAlarmPoint => ("移动报警", "mobile alarm"),
        DeviceKind::Checkpoint => ("巡更点", "checkpoint"),
    }
}

fn weight(room: &Room, kind: DeviceKind) -> f64 {
    let k: &RoomKind = room.kind;
    let w = match kind {
        DeviceKind::Camera => k.camera,
        DeviceKind::AlarmPoint => k.alarm,
        DeviceKind::MobileAlarmPoint => k.mobile,
        DeviceKind::Checkpoint => k.checkpoint,
    };
    // Bigger rooms hold a few more devices, but a hall's weight comes mostly from what it is.
    w * (room.rect.w * room.rect.h / 40_000.0).sqrt().clamp(0.5, 3.0)
}

/// Samples `total` rooms (with repeats) across all floors, each room by its weight for `kind`.
fn sample_rooms(floors: &[FloorPlace], kind: DeviceKind, total: u32, rng: &mut ChaCha8Rng) -> Vec<(usize, usize)> {
    let slots: Vec<(usize, usize)> =
        floors.iter().enumerate().flat_map(|(f, place)| (0..place.layout.rooms.len()).map(move |r| (f, r))).collect();
    let weights: Vec<f64> = slots.iter().map(|&(f, r)| weight(&floors[f].layout.rooms[r], kind)).collect();
    let Ok(dist) = WeightedIndex::new(&weights) else {
        return Vec::new();
    };
    (0..total).map(|_| slots[dist.sample(rng)]).collect()
}

/// A point inside a room, kept off its walls.
fn point_in(room: &Room, rng: &mut ChaCha8Rng) -> (f64, f64) {
    let r = room.rect;
    let inset_x = (r.w * 0.12).min(14.0);
    let inset_y = (r.h * 0.12).min(14.0);
    (rng.gen_range(r.x + inset_x..=r.x + r.w - inset_x), rng.gen_range(r.y + inset_y..=r.y + r.h - inset_y))
}

/// Cameras hang near a wall and look into the room; in corridors they look along it.
fn camera_pose(room: &Room, rng: &mut ChaCha8Rng) -> (f64, f64, CameraView) {
    let r = room.rect;
    let dome = rng.gen_bool(0.2);
    if std::ptr::eq(room.kind, &rooms::CORRIDOR) {
        let x = rng.gen_range(r.x + 20.0..=r.x + r.w - 20.0);
        let y = r.y + r.h / 2.0;
        let heading = if rng.gen_bool(0.5) { 90.0 } else { 270.0 };
        let view = CameraView {
            heading_deg: heading,
            fov_deg: if dome { 360.0 } else { 50.0 },
            range_px: if dome { 50.0 } else { 220.0 },
            snapshot_url: None,
            stream_url: None,
        };
        return (x, y, view);
    }
    let (mut x, mut y) = point_in(room, rng);
    // Pull the camera towards the nearer long wall so it looks across the room.
    let near_top = y < r.y + r.h / 2.0;
    y = if near_top { r.y + (r.h * 0.1).min(12.0) } else { r.y + r.h - (r.h * 0.1).min(12.0) };
    x = x.clamp(r.x + 8.0, r.x + r.w - 8.0);
    let (cx, cy) = (r.x + r.w / 2.0, r.y + r.h / 2.0);
    // Heading in degrees clockwise from plan north (up, towards smaller y).
    let heading = (cx - x).atan2(y - cy).to_degrees().rem_euclid(360.0);
    let reach = (r.w.max(r.h) * 0.6).clamp(60.0, 260.0);
    let view = if dome {
        CameraView {
            heading_deg: 0.0,
            fov_deg: 360.0,
            range_px: (reach * 0.4).max(40.0),
            snapshot_url: None,
            stream_url: None,
        }
    } else {
        CameraView {
            heading_deg: heading.round(),
            fov_deg: f64::from(rng.gen_range(55..=95)),
            range_px: reach.round(),
            snapshot_url: None,
            stream_url: None,
        }
    };
    (x, y, view)
}

fn status(kind: DeviceKind, rng: &mut ChaCha8Rng) -> DeviceStatus {
    let roll: f64 = rng.gen();
    match kind {
        DeviceKind::Camera if roll < 0.015 => DeviceStatus::Offline,
        DeviceKind::Camera if roll < 0.02 => DeviceStatus::Fault,
        DeviceKind::AlarmPoint if roll < 0.004 => DeviceStatus::Fault,
        DeviceKind::MobileAlarmPoint if roll < 0.02 => DeviceStatus::Offline,
        _ => DeviceStatus::Normal,
    }
}

/// The DC-09 account of a floor's alarm panel (or a building's wireless receiver for mobile points).
fn account(scale: u32, campus: u32, panel: u32) -> String {
    if scale == 1 {
        format!("{panel:04}")
    } else {
        format!("{:02}{panel:04}", campus + 1)
    }
}

pub(crate) fn place_devices(floors: &[FloorPlace], scale: u32, campus: u32, rng: &mut ChaCha8Rng) -> Vec<Device> {
    // (floor, room) → kinds placed there, in the order sampled.
    let mut wanted: Vec<(usize, usize, DeviceKind)> = Vec::new();
    for (kind, total) in [
        (DeviceKind::Camera, CAMERAS),
        (DeviceKind::AlarmPoint, ALARM_POINTS),
        (DeviceKind::MobileAlarmPoint, MOBILE_ALARM_POINTS),
    ] {
        wanted.extend(sample_rooms(floors, kind, total, rng).into_iter().map(|(f, r)| (f, r, kind)));
    }
    // Checkpoints follow patrol practice rather than chance: every stair core, every room a patrol
    // must see (plant rooms, car parks, entrances, cashier halls), one per corridor.
    for (f, place) in floors.iter().enumerate() {
        for (r, room) in place.layout.rooms.iter().enumerate() {
            let n = if room.kind.checkpoint >= 2.0 {
                2
            } else {
                u32::from(room.kind.checkpoint >= 1.0 || std::ptr::eq(room.kind, &rooms::CORRIDOR))
            };
            wanted.extend((0..n).map(|_| (f, r, DeviceKind::Checkpoint)));
        }
    }
    // Number devices per floor and kind in room order, so codes read along the corridor.
    wanted.sort_by_key(|&(f, r, kind)| (f, kind, r));

    let mut numbers: BTreeMap<(usize, DeviceKind), u32> = BTreeMap::new();
    let mut zones: BTreeMap<usize, u32> = BTreeMap::new();
    let mut receivers: BTreeMap<String, (u32, u32)> = BTreeMap::new();
    let mut devices = Vec::with_capacity(wanted.len());
    for (f, r, kind) in wanted {
        let place = &floors[f];
        let room = &place.layout.rooms[r];
        let n = numbers.entry((f, kind)).or_insert(0);
        *n += 1;
        let (kind_zh, kind_en) = kind_labels(kind);
        let (x, y, camera) = match kind {
            DeviceKind::Camera => {
                let (x, y, view) = camera_pose(room, rng);
                (x, y, Some(view))
            }
            _ => {
                let (x, y) = point_in(room, rng);
                (x, y, None)
            }
        };
        let dc09 = match kind {
            DeviceKind::AlarmPoint => {
                let zone = zones.entry(f).or_insert(0);
                *zone += 1;
                Some(Dc09Address { account: account(scale, campus, 1001 + f as u32), zone: *zone })
            }
            DeviceKind::MobileAlarmPoint => {
                // One wireless receiver per building; its zones number the building's mobile points.
                let building = place.code_prefix.rsplit_once('-').map_or("", |(b, _)| b).to_owned();
                let next_receiver = 9001 + receivers.len() as u32;
                let (receiver, zone) = receivers.entry(building).or_insert((next_receiver, 0));
                *zone += 1;
                Some(Dc09Address { account: account(scale, campus, *receiver), zone: *zone })
            }
            _ => None,
        };
        devices.push(Device {
            id: next_id(rng),
            floor_id: place.floor_id,
            kind,
            code: code(&format!("{}-{}-{:03}", place.code_prefix, kind.code_part(), n)),
            name: Label::new(
                format!("{} {} {kind_zh} {:02}", place.name_zh, room.kind.zh, n),
                format!("{} {} {kind_en} {:02}", place.name_en, room.kind.en, n),
            ),
            x: x.round(),
            y: y.round(),
            status: status(kind, rng),
            camera,
            dc09,
            tag: (kind == DeviceKind::Checkpoint).then(|| format!("{:016X}", rng.gen::<u64>())),
            meta: RowMeta::NEW,
        });
    }
    devices
}
