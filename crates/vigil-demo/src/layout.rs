//! The reference hospital's buildings and the room layout of each of their floors.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use vigil_domain::{BuildingKind, PlanSize, Rect};

use crate::rooms::{self, RoomKind};

/// A building of the reference hospital: what it is, how high and deep it goes, where it stands.
#[derive(Debug, Clone, Copy)]
pub struct BuildingTemplate {
    pub code: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
    pub kind: BuildingKind,
    /// Number of basement levels (B1, B2 …).
    pub basements: i32,
    /// Number of floors above ground (1F …).
    pub floors: i32,
    /// Pixel size of each floor plan.
    pub plan: PlanSize,
    /// Footprint on the campus plan.
    pub footprint: Rect,
}

/// Size of the campus overview plan.
pub const CAMPUS: PlanSize = PlanSize { width: 2400, height: 1500 };

/// The reference hospital: 7 buildings, 75 levels.
pub const BUILDINGS: [BuildingTemplate; 7] = [
    BuildingTemplate {
        code: "OPD",
        zh: "门诊楼",
        en: "Outpatient Building",
        kind: BuildingKind::Outpatient,
        basements: 2,
        floors: 6,
        plan: PlanSize { width: 2200, height: 1100 },
        footprint: Rect { x: 820.0, y: 980.0, w: 620.0, h: 300.0 },
    },
    BuildingTemplate {
        code: "EMG",
        zh: "急诊楼",
        en: "Emergency Building",
        kind: BuildingKind::Emergency,
        basements: 1,
        floors: 4,
        plan: PlanSize { width: 1800, height: 1000 },
        footprint: Rect { x: 1560.0, y: 1030.0, w: 360.0, h: 250.0 },
    },
    BuildingTemplate {
        code: "IPA",
        zh: "住院一号楼",
        en: "Inpatient Tower A",
        kind: BuildingKind::Inpatient,
        basements: 2,
        floors: 22,
        plan: PlanSize { width: 2000, height: 900 },
        footprint: Rect { x: 820.0, y: 420.0, w: 460.0, h: 220.0 },
    },
    BuildingTemplate {
        code: "IPB",
        zh: "住院二号楼",
        en: "Inpatient Tower B",
        kind: BuildingKind::Inpatient,
        basements: 1,
        floors: 18,
        plan: PlanSize { width: 2000, height: 900 },
        footprint: Rect { x: 1380.0, y: 420.0, w: 460.0, h: 220.0 },
    },
    BuildingTemplate {
        code: "MTB",
        zh: "医技楼",
        en: "Medical Technology Building",
        kind: BuildingKind::MedicalTechnology,
        basements: 1,
        floors: 8,
        plan: PlanSize { width: 2000, height: 1000 },
        footprint: Rect { x: 1000.0, y: 700.0, w: 620.0, h: 220.0 },
    },
    BuildingTemplate {
        code: "ADM",
        zh: "行政楼",
        en: "Administration Building",
        kind: BuildingKind::Administration,
        basements: 0,
        floors: 6,
        plan: PlanSize { width: 1600, height: 800 },
        footprint: Rect { x: 300.0, y: 500.0, w: 340.0, h: 200.0 },
    },
    BuildingTemplate {
        code: "LOG",
        zh: "后勤楼",
        en: "Logistics Building",
        kind: BuildingKind::Logistics,
        basements: 1,
        floors: 3,
        plan: PlanSize { width: 1600, height: 800 },
        footprint: Rect { x: 1960.0, y: 240.0, w: 300.0, h: 220.0 },
    },
];

impl BuildingTemplate {
    /// Levels from the lowest basement up: `[-2, -1, 1, 2, …]`.
    pub fn levels(&self) -> impl Iterator<Item = i32> + '_ {
        (-self.basements..=self.floors).filter(|l| *l != 0)
    }
}

/// A room drawn on a floor plan and used to place devices.
#[derive(Debug, Clone, Copy)]
pub struct Room {
    pub kind: &'static RoomKind,
    pub rect: Rect,
    /// Room number shown on the plan, e.g. 312 on 3F.
    pub number: u32,
}

#[derive(Debug, Clone)]
pub struct FloorLayout {
    pub size: PlanSize,
    pub rooms: Vec<Room>,
}

/// Rooms a floor holds, each with its relative width in the row.
fn program(template: &BuildingTemplate, level: i32, rng: &mut ChaCha8Rng) -> Vec<(&'static RoomKind, u32)> {
    use rooms::*;
    let mut list: Vec<(&'static RoomKind, u32)> = Vec::new();
    let mut add = |kind: &'static RoomKind, units: u32, count: u32| {
        for _ in 0..count {
            list.push((kind, units));
        }
    };
    let top = level == template.floors;
    match (template.kind, level) {
        (_, l) if l < 0 => {
            if template.kind == BuildingKind::Logistics {
                add(&PLANT, 4, 1);
                add(&PUMP, 3, 1);
                add(&LAUNDRY, 3, 1);
                add(&STORE, 2, 3);
            } else {
                add(&PARKING, 8, 2);
                add(&PLANT, 3, 1);
                add(&PUMP, 2, 1);
                add(&STORE, 2, rng.gen_range(1..=3));
            }
        }
        (BuildingKind::Outpatient, 1) => {
            add(&ENTRANCE_HALL, 5, 1);
            add(&CASHIER_HALL, 5, 1);
            add(&PHARMACY, 4, 1);
            add(&WAITING, 3, 1);
            add(&TRIAGE, 1, 1);
            add(&CONSULTING, 1, rng.gen_range(3..=5));
        }
        (BuildingKind::Outpatient, _) => {
            add(&WAITING, 3, 2);
            add(&TRIAGE, 1, 1);
            add(&CASHIER_HALL, 2, 1);
            add(&CONSULTING, 1, rng.gen_range(14..=18));
            add(&TREATMENT, 1, 1);
            add(&OFFICE, 1, 1);
        }
        (BuildingKind::Emergency, 1) => {
            add(&EMERGENCY_HALL, 5, 1);
            add(&TRIAGE, 2, 1);
            add(&RESUS, 3, 1);
            add(&PHARMACY, 2, 1);
            add(&CASHIER_HALL, 2, 1);
            add(&OBSERVATION, 3, 1);
            add(&CONSULTING, 1, rng.gen_range(4..=6));
        }
        (BuildingKind::Emergency, _) => {
            add(&OBSERVATION, 3, 2);
            add(&ICU, 4, 1);
            add(&NURSE_STATION, 2, 1);
            add(&DOCTOR_OFFICE, 1, 2);
            add(&TREATMENT, 1, 2);
            add(&CONSULTING, 1, 2);
        }
        (BuildingKind::Inpatient, 1) => {
            add(&ENTRANCE_HALL, 4, 1);
            add(&ADMISSIONS, 4, 1);
            add(&PHARMACY, 2, 1);
            add(&CASHIER_HALL, 3, 1);
            add(&OFFICE, 1, 3);
            add(&STORE, 1, 1);
        }
        (BuildingKind::Inpatient, _) => {
            add(&NURSE_STATION, 2, if rng.gen_bool(0.35) { 2 } else { 1 });
            add(&WARD, 1, rng.gen_range(18..=24));
            add(&DOCTOR_OFFICE, 2, 1);
            add(&TREATMENT, 1, 2);
            add(&STORE, 1, 1);
        }
        (BuildingKind::MedicalTechnology, 1) => {
            add(&ENTRANCE_HALL, 3, 1);
            add(&IMAGING, 2, 5);
            add(&WAITING, 3, 1);
            add(&CASHIER_HALL, 2, 1);
        }
        (BuildingKind::MedicalTechnology, 2) => {
            add(&LAB, 2, 6);
            add(&WAITING, 2, 1);
            add(&OFFICE, 1, 3);
        }
        (BuildingKind::MedicalTechnology, 3 | 4) => {
            add(&THEATRE, 2, 6);
            add(&ICU, 4, 1);
            add(&NURSE_STATION, 2, 1);
            add(&STORE, 1, 2);
        }
        (BuildingKind::MedicalTechnology, _) => {
            add(&LAB, 2, 4);
            add(&OFFICE, 1, 6);
            add(&MEETING, 2, 1);
        }
        (BuildingKind::Administration, 1) => {
            add(&ENTRANCE_HALL, 3, 1);
            add(&FINANCE, 3, 1);
            add(&ARCHIVE, 3, 1);
            add(&OFFICE, 1, 6);
            add(&MEETING, 2, 1);
        }
        (BuildingKind::Administration, _) => {
            add(&OFFICE, 1, rng.gen_range(9..=12));
            add(&MEETING, 2, 2);
            if level == 2 {
                add(&FINANCE, 2, 1);
            }
            if top {
                add(&SERVER_ROOM, 3, 1);
            }
        }
        (BuildingKind::Logistics, 1) => {
            add(&CONTROL_ROOM, 4, 1);
            add(&CANTEEN, 6, 1);
            add(&KITCHEN, 3, 1);
            add(&STORE, 2, 1);
        }
        (BuildingKind::Logistics, _) => {
            add(&STORE, 2, 3);
            add(&OFFICE, 1, 4);
            if top {
                add(&SERVER_ROOM, 3, 1);
            }
        }
    }
    list
}

/// Lays a floor out as two rows of rooms on either side of a corridor, with stairs at both ends and
/// a lift lobby in the middle of the upper row, as most hospital slab blocks are built.
pub fn layout_floor(template: &BuildingTemplate, level: i32, rng: &mut ChaCha8Rng) -> FloorLayout {
    let size = template.plan;
    let (w, h) = (f64::from(size.width), f64::from(size.height));
    let margin = 40.0;
    let corridor_top = (h * 0.45).round();
    let corridor_bottom = (h * 0.55).round();

    let mut rooms = program(template, level, rng);
    // Deterministic but varied order, so floors of one building do not look identical.
    for i in (1..rooms.len()).rev() {
        let j = rng.gen_range(0..=i);
        rooms.swap(i, j);
    }
    let total: u32 = rooms.iter().map(|(_, u)| u).sum();
    let mut upper: Vec<(&'static RoomKind, u32)> = Vec::new();
    let mut lower: Vec<(&'static RoomKind, u32)> = Vec::new();
    let mut upper_units = 0;
    for room in rooms {
        if upper_units * 2 < total {
            upper_units += room.1;
            upper.push(room);
        } else {
            lower.push(room);
        }
    }
    upper.insert(0, (&rooms::STAIRS, 1));
    upper.insert(upper.len() / 2 + 1, (&rooms::LIFTS, 2));
    lower.push((&rooms::STAIRS, 1));

    let mut out = Vec::new();
    let floor_base = if level > 0 { level as u32 * 100 } else { 900 + (-level) as u32 * 10 };
    let mut number = floor_base;
    for (row, top, bottom) in [(&upper, margin, corridor_top), (&lower, corridor_bottom, h - margin)] {
        let units: u32 = row.iter().map(|(_, u)| u).sum();
        let unit_w = (w - 2.0 * margin) / f64::from(units.max(1));
        let mut x = margin;
        for (kind, u) in row.iter() {
            let width = unit_w * f64::from(*u);
            number += 1;
            out.push(Room { kind, rect: Rect { x, y: top, w: width, h: bottom - top }, number });
            x += width;
        }
    }
    out.push(Room {
        kind: &rooms::CORRIDOR,
        rect: Rect { x: margin, y: corridor_top, w: w - 2.0 * margin, h: corridor_bottom - corridor_top },
        number: 0,
    });
    FloorLayout { size, rooms: out }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn the_reference_hospital_has_seventy_five_levels_and_no_floor_zero() {
        let levels: usize = BUILDINGS.iter().map(|b| b.levels().count()).sum();
        assert_eq!(levels, 75);
        assert!(BUILDINGS.iter().all(|b| b.levels().all(|l| l != 0)));
        assert_eq!(BUILDINGS[0].levels().collect::<Vec<_>>(), vec![-2, -1, 1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn rooms_tile_the_plan_without_leaving_it() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for template in &BUILDINGS {
            for level in template.levels() {
                let layout = layout_floor(template, level, &mut rng);
                assert!(layout.rooms.len() >= 5, "{} {level}", template.code);
                for room in &layout.rooms {
                    let r = room.rect;
                    assert!(r.w > 10.0 && r.h > 10.0, "{} {level} {}", template.code, room.kind.en);
                    assert!(layout.size.contains(r.x, r.y) && layout.size.contains(r.x + r.w - 0.01, r.y + r.h - 0.01));
                }
            }
        }
    }

    #[test]
    fn footprints_stay_on_the_campus_and_apart() {
        for (i, a) in BUILDINGS.iter().enumerate() {
            let f = a.footprint;
            assert!(CAMPUS.contains(f.x, f.y) && CAMPUS.contains(f.x + f.w, f.y + f.h), "{}", a.code);
            for b in &BUILDINGS[i + 1..] {
                let g = b.footprint;
                let apart = f.x + f.w <= g.x || g.x + g.w <= f.x || f.y + f.h <= g.y || g.y + g.h <= f.y;
                assert!(apart, "{} overlaps {}", a.code, b.code);
            }
        }
    }
}
