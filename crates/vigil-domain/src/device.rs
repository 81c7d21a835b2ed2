//! Devices on a floor plan: cameras, alarm points and patrol checkpoints.

use crate::{Code, Id, Label, PlanSize, RowMeta};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum DeviceKind {
    Camera,
    /// A fixed one-click alarm button (一键报警).
    AlarmPoint,
    /// A mobile alarm point (移动报警点位): a portable button with a home position.
    MobileAlarmPoint,
    /// A patrol checkpoint (巡更点): NFC/RFID tag or QR code a guard touches.
    Checkpoint,
}

impl DeviceKind {
    pub const ALL: [DeviceKind; 4] =
        [DeviceKind::Camera, DeviceKind::AlarmPoint, DeviceKind::MobileAlarmPoint, DeviceKind::Checkpoint];

    pub fn as_str(self) -> &'static str {
        match self {
            DeviceKind::Camera => "camera",
            DeviceKind::AlarmPoint => "alarm_point",
            DeviceKind::MobileAlarmPoint => "mobile_alarm_point",
            DeviceKind::Checkpoint => "checkpoint",
        }
    }

    pub fn parse(text: &str) -> Option<DeviceKind> {
        DeviceKind::ALL.into_iter().find(|kind| kind.as_str() == text)
    }

    /// The part of a device code that says what it is: `OPD-3F-CAM-017`.
    pub fn code_part(self) -> &'static str {
        match self {
            DeviceKind::Camera => "CAM",
            DeviceKind::AlarmPoint => "ALM",
            DeviceKind::MobileAlarmPoint => "MAP",
            DeviceKind::Checkpoint => "CHK",
        }
    }

    /// A small index used where devices are packed into arrays for drawing.
    pub fn index(self) -> u8 {
        match self {
            DeviceKind::Camera => 0,
            DeviceKind::AlarmPoint => 1,
            DeviceKind::MobileAlarmPoint => 2,
            DeviceKind::Checkpoint => 3,
        }
    }
}

/// The live state a device is drawn in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum DeviceStatus {
    Normal,
    Alarm,
    Fault,
    Offline,
}

impl DeviceStatus {
    pub const ALL: [DeviceStatus; 4] =
        [DeviceStatus::Normal, DeviceStatus::Alarm, DeviceStatus::Fault, DeviceStatus::Offline];

    pub fn as_str(self) -> &'static str {
        match self {
            DeviceStatus::Normal => "normal",
            DeviceStatus::Alarm => "alarm",
            DeviceStatus::Fault => "fault",
            DeviceStatus::Offline => "offline",
        }
    }

    pub fn parse(text: &str) -> Option<DeviceStatus> {
        DeviceStatus::ALL.into_iter().find(|status| status.as_str() == text)
    }

    pub fn index(self) -> u8 {
        match self {
            DeviceStatus::Normal => 0,
            DeviceStatus::Alarm => 1,
            DeviceStatus::Fault => 2,
            DeviceStatus::Offline => 3,
        }
    }
}

/// What a camera sees: drawn as a cone on the plan once zoomed in.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct CameraView {
    /// Direction the lens points, degrees clockwise from plan north (up).
    pub heading_deg: f64,
    /// Horizontal field of view in degrees; 360 for a fisheye / dome.
    pub fov_deg: f64,
    /// How far the cone reaches, in plan pixels.
    pub range_px: f64,
    pub snapshot_url: Option<String>,
    pub stream_url: Option<String>,
}

impl CameraView {
    /// Whether the view can be drawn: a finite heading, a field of view in (0, 360], a positive range.
    pub fn is_valid(&self) -> bool {
        self.heading_deg.is_finite()
            && self.fov_deg > 0.0
            && self.fov_deg <= 360.0
            && self.range_px.is_finite()
            && self.range_px > 0.0
    }
}

/// Where a SIA DC-09 panel reports this alarm point: `#account` and the zone in its payload.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct Dc09Address {
    pub account: String,
    pub zone: u32,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct Device {
    pub id: Id,
    pub floor_id: Id,
    pub kind: DeviceKind,
    pub code: Code,
    pub name: Label,
    /// Position on the floor plan, in its pixels.
    pub x: f64,
    pub y: f64,
    pub status: DeviceStatus,
    /// Set for cameras only.
    pub camera: Option<CameraView>,
    /// Set for alarm points wired to a DC-09 panel.
    pub dc09: Option<Dc09Address>,
    /// Set for patrol checkpoints: the NFC/RFID tag or QR text a guard's handheld reads.
    pub tag: Option<String>,
    pub meta: RowMeta,
}

impl Device {
    /// A device may stand only on its floor's plan.
    pub fn fits(&self, plan: PlanSize) -> bool {
        self.x.is_finite() && self.y.is_finite() && plan.contains(self.x, self.y)
    }
}

/// How many devices of each kind a place holds; what the status bar shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct DeviceCounts {
    pub cameras: u32,
    pub alarm_points: u32,
    pub mobile_alarm_points: u32,
    pub checkpoints: u32,
}

impl DeviceCounts {
    pub fn add(&mut self, kind: DeviceKind, n: u32) {
        match kind {
            DeviceKind::Camera => self.cameras += n,
            DeviceKind::AlarmPoint => self.alarm_points += n,
            DeviceKind::MobileAlarmPoint => self.mobile_alarm_points += n,
            DeviceKind::Checkpoint => self.checkpoints += n,
        }
    }

    pub fn get(&self, kind: DeviceKind) -> u32 {
        match kind {
            DeviceKind::Camera => self.cameras,
            DeviceKind::AlarmPoint => self.alarm_points,
            DeviceKind::MobileAlarmPoint => self.mobile_alarm_points,
            DeviceKind::Checkpoint => self.checkpoints,
        }
    }

    pub fn total(&self) -> u32 {
        self.cameras + self.alarm_points + self.mobile_alarm_points + self.checkpoints
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn kinds_and_statuses_round_trip_through_their_names() {
        for kind in DeviceKind::ALL {
            assert_eq!(DeviceKind::parse(kind.as_str()), Some(kind));
        }
        for status in DeviceStatus::ALL {
            assert_eq!(DeviceStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(DeviceKind::parse("Camera"), None);
    }

    #[test]
    fn a_camera_view_needs_a_real_cone() {
        let view = |fov: f64, range: f64| CameraView {
            heading_deg: 90.0,
            fov_deg: fov,
            range_px: range,
            snapshot_url: None,
            stream_url: None,
        };
        assert!(view(60.0, 80.0).is_valid());
        assert!(view(360.0, 40.0).is_valid());
        assert!(!view(0.0, 80.0).is_valid());
        assert!(!view(361.0, 80.0).is_valid());
        assert!(!view(60.0, 0.0).is_valid());
        assert!(!view(60.0, f64::NAN).is_valid());
    }

    proptest! {
        #[test]
        fn counts_add_up_by_kind(adds in prop::collection::vec((0usize..4, 0u32..1000), 0..40)) {
            let mut counts = DeviceCounts::default();
            let mut expected = [0u32; 4];
            for (k, n) in &adds {
                counts.add(DeviceKind::ALL[*k], *n);
                expected[*k] += n;
            }
            for (k, kind) in DeviceKind::ALL.into_iter().enumerate() {
                prop_assert_eq!(counts.get(kind), expected[k]);
            }
            prop_assert_eq!(counts.total(), expected.iter().sum::<u32>());
        }
    }
}
