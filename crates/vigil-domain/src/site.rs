//! Sites, buildings and floors: the places a control room watches.

use crate::{Code, Id, RowMeta};

/// A name in both of the console's languages.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct Label {
    pub zh: String,
    pub en: String,
}

impl Label {
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Label {
        Label { zh: zh.into(), en: en.into() }
    }
}

/// An axis-aligned rectangle in the pixel space of a plan image (origin top left).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl Rect {
    pub fn contains(&self, x: f64, y: f64) -> bool {
        x >= self.x && x <= self.x + self.w && y >= self.y && y <= self.y + self.h
    }
}

/// Pixel size of a plan image; devices are placed in this space.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct PlanSize {
    pub width: u32,
    pub height: u32,
}

impl PlanSize {
    pub fn contains(&self, x: f64, y: f64) -> bool {
        x >= 0.0 && y >= 0.0 && x <= f64::from(self.width) && y <= f64::from(self.height)
    }
}

/// A campus: one hospital. A hospital group has several.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct Site {
    pub id: Id,
    pub code: Code,
    pub name: Label,
    /// Size of the campus overview plan, in which building footprints are drawn.
    pub plan: PlanSize,
    pub meta: RowMeta,
}

/// What a building is for; it decides which rooms its floors have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum BuildingKind {
    Outpatient,
    Emergency,
    Inpatient,
    MedicalTechnology,
    Administration,
    Logistics,
}

impl BuildingKind {
    pub const ALL: [BuildingKind; 6] = [
        BuildingKind::Outpatient,
        BuildingKind::Emergency,
        BuildingKind::Inpatient,
        BuildingKind::MedicalTechnology,
        BuildingKind::Administration,
        BuildingKind::Logistics,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BuildingKind::Outpatient => "outpatient",
            BuildingKind::Emergency => "emergency",
            BuildingKind::Inpatient => "inpatient",
            BuildingKind::MedicalTechnology => "medical_technology",
            BuildingKind::Administration => "administration",
            BuildingKind::Logistics => "logistics",
        }
    }

    pub fn parse(text: &str) -> Option<BuildingKind> {
        BuildingKind::ALL.into_iter().find(|kind| kind.as_str() == text)
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct Building {
    pub id: Id,
    pub site_id: Id,
    pub code: Code,
    pub name: Label,
    pub kind: BuildingKind,
    /// Where the building stands on the campus plan.
    pub footprint: Rect,
    pub meta: RowMeta,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct Floor {
    pub id: Id,
    pub building_id: Id,
    /// 1 is the ground floor, 2 the one above; 0 does not exist; −1 is the first basement (B1).
    pub level: i32,
    pub label: Label,
    pub plan: PlanSize,
    pub meta: RowMeta,
}

/// The short floor name used on buttons and in codes: `3F`, `B2`.
///
/// Chinese hospitals number floors from 1 at ground level, with basements B1, B2 below; there is no
/// floor 0, and level 0 is shown as `GF` should an imported plan ever use it.
pub fn floor_label(level: i32) -> String {
    match level {
        0 => "GF".to_owned(),
        l if l > 0 => format!("{l}F"),
        l => format!("B{}", -l),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floors_are_named_as_signs_in_the_lift_say() {
        assert_eq!(floor_label(1), "1F");
        assert_eq!(floor_label(22), "22F");
        assert_eq!(floor_label(-1), "B1");
        assert_eq!(floor_label(-2), "B2");
        assert_eq!(floor_label(0), "GF");
    }

    #[test]
    fn building_kinds_round_trip_through_their_names() {
        for kind in BuildingKind::ALL {
            assert_eq!(BuildingKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(BuildingKind::parse("canteen"), None);
    }

    #[test]
    fn plans_and_rects_contain_their_edges() {
        let plan = PlanSize { width: 100, height: 50 };
        assert!(plan.contains(0.0, 0.0) && plan.contains(100.0, 50.0));
        assert!(!plan.contains(-0.1, 10.0) && !plan.contains(10.0, 50.1));
        let rect = Rect { x: 10.0, y: 10.0, w: 5.0, h: 5.0 };
        assert!(rect.contains(15.0, 15.0) && !rect.contains(16.0, 12.0));
    }
}
