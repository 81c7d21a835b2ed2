//! What the map screen shows: the campus overview, a floor's devices packed for drawing, device
//! details and search results.

use vigil_domain::{BuildingKind, Device, DeviceCounts, DeviceKind, DeviceStatus, Id, Label, PlanSize, Rect};

#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
pub struct Overview {
    pub sites: Vec<SiteView>,
    /// Devices of each kind in the whole database: what the status bar shows.
    pub totals: DeviceCounts,
    /// Whether this is the generated demo hospital (the login screen and the title say so).
    pub demo: bool,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
pub struct SiteView {
    pub id: Id,
    pub code: String,
    pub name: Label,
    pub plan: PlanSize,
    pub buildings: Vec<BuildingView>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
pub struct BuildingView {
    pub id: Id,
    pub code: String,
    pub name: Label,
    pub kind: BuildingKind,
    pub footprint: Rect,
    pub counts: DeviceCounts,
    pub active_alarms: u32,
    /// From the lowest basement up.
    pub floors: Vec<FloorView>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
pub struct FloorView {
    pub id: Id,
    pub building_id: Id,
    pub level: i32,
    /// `3F`, `B1`: the button text.
    pub short: String,
    pub label: Label,
    pub plan: PlanSize,
    pub counts: DeviceCounts,
    /// Devices on this floor in the alarm state; the floor button shows it.
    pub active_alarms: u32,
}

/// A floor's devices as parallel arrays: compact to send and quick to draw, 60,000 at a time.
///
/// `kinds` and `statuses` hold the small indexes of [`DeviceKind::index`] and [`DeviceStatus::index`];
/// the camera arrays hold 0 for devices that are not cameras.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, ts_rs::TS)]
pub struct FloorDevices {
    pub floor_id: Id,
    pub plan: PlanSize,
    pub ids: Vec<String>,
    pub codes: Vec<String>,
    pub kinds: Vec<u8>,
    pub statuses: Vec<u8>,
    pub xs: Vec<f32>,
    pub ys: Vec<f32>,
    pub headings: Vec<f32>,
    pub fovs: Vec<f32>,
    pub ranges: Vec<f32>,
}

impl FloorDevices {
    pub fn pack(floor_id: Id, plan: PlanSize, devices: &[Device]) -> FloorDevices {
        let mut out = FloorDevices { floor_id, plan, ..FloorDevices::default() };
        for d in devices {
            out.ids.push(d.id.to_string());
            out.codes.push(d.code.to_string());
            out.kinds.push(d.kind.index());
            out.statuses.push(d.status.index());
            out.xs.push(d.x as f32);
            out.ys.push(d.y as f32);
            let cam = d.camera.as_ref();
            out.headings.push(cam.map_or(0.0, |c| c.heading_deg as f32));
            out.fovs.push(cam.map_or(0.0, |c| c.fov_deg as f32));
            out.ranges.push(cam.map_or(0.0, |c| c.range_px as f32));
        }
        out
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// Everything the details panel shows about one device.
#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
pub struct DeviceDetail {
    pub device: Device,
    pub floor: FloorView,
    pub building_code: String,
    pub building_name: Label,
    pub site_name: Label,
}

/// One line of the search results.
#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
pub struct SearchHit {
    pub id: Id,
    pub code: String,
    pub name: Label,
    pub kind: DeviceKind,
    pub status: DeviceStatus,
    pub site_id: Id,
    pub building_id: Id,
    pub floor_id: Id,
    pub floor_short: String,
    pub x: f64,
    pub y: f64,
}

/// A device as placed by an administrator in edit mode.
#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
pub struct PlacedDevice {
    pub id: Id,
    pub x: f64,
    pub y: f64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_domain::{CameraView, Code, RowMeta};

    #[test]
    fn packing_keeps_every_device_in_order_and_zeroes_non_cameras() {
        let floor = Id::nil();
        let device = |code: &str, kind: DeviceKind, camera: Option<CameraView>| Device {
            id: Id::now_v7(),
            floor_id: floor,
            kind,
            code: Code::parse(code).expect("code"),
            name: Label::new("甲", "A"),
            x: 10.5,
            y: 20.25,
            status: DeviceStatus::Fault,
            camera,
            dc09: None,
            tag: None,
            meta: RowMeta::NEW,
        };
        let view =
            CameraView { heading_deg: 270.0, fov_deg: 80.0, range_px: 120.0, snapshot_url: None, stream_url: None };
        let devices =
            [device("A-CAM-1", DeviceKind::Camera, Some(view)), device("A-ALM-1", DeviceKind::AlarmPoint, None)];
        let packed = FloorDevices::pack(floor, PlanSize { width: 100, height: 50 }, &devices);
        assert_eq!(packed.len(), 2);
        assert_eq!(packed.codes, ["A-CAM-1", "A-ALM-1"]);
        assert_eq!(packed.kinds, [0, 1]);
        assert_eq!(packed.statuses, [2, 2]);
        assert_eq!((packed.headings[0], packed.fovs[0], packed.ranges[0]), (270.0, 80.0, 120.0));
        assert_eq!((packed.headings[1], packed.fovs[1], packed.ranges[1]), (0.0, 0.0, 0.0));
        assert_eq!((packed.xs[1], packed.ys[1]), (10.5, 20.25));
    }
}
