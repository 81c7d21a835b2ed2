//! The kinds of room a hospital floor has, and how much each draws cameras, alarm buttons and patrols.
//!
//! One table, so that "where are the cameras densest" is answered in one place: entrances,
//! registration and cashier halls, pharmacies, emergency, and the nurse stations of the wards.

/// A kind of room with its labels and how strongly it attracts each kind of device.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RoomKind {
    pub key: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
    /// Relative weight for cameras, fixed one-click alarm buttons, mobile alarm points and checkpoints.
    pub camera: f64,
    pub alarm: f64,
    pub mobile: f64,
    pub checkpoint: f64,
    /// Drawn a little brighter on the plan: public halls.
    pub public: bool,
}

macro_rules! room {
    ($key:ident, $zh:literal, $en:literal, cam $c:literal, alarm $a:literal, mobile $m:literal, patrol $p:literal, $public:literal) => {
        pub const $key: RoomKind = RoomKind {
            key: stringify!($key),
            zh: $zh,
            en: $en,
            camera: $c,
            alarm: $a,
            mobile: $m,
            checkpoint: $p,
            public: $public,
        };
    };
}

room!(ENTRANCE_HALL, "入口大厅", "Entrance hall", cam 7.0, alarm 1.5, mobile 0.5, patrol 3.0, true);
room!(CASHIER_HALL, "挂号收费大厅", "Registration & cashier hall", cam 7.0, alarm 5.0, mobile 0.8, patrol 1.5, true);
room!(PHARMACY, "药房", "Pharmacy", cam 6.0, alarm 3.5, mobile 0.5, patrol 1.0, true);
room!(WAITING, "候诊区", "Waiting area", cam 3.0, alarm 0.6, mobile 0.3, patrol 0.3, true);
room!(CONSULTING, "诊室", "Consulting room", cam 0.5, alarm 1.6, mobile 0.1, patrol 0.0, false);
room!(TRIAGE, "分诊台", "Triage desk", cam 4.0, alarm 3.5, mobile 1.0, patrol 0.5, true);
room!(RESUS, "抢救室", "Resuscitation room", cam 5.0, alarm 4.0, mobile 2.0, patrol 0.5, false);
room!(EMERGENCY_HALL, "急诊大厅", "Emergency hall", cam 8.0, alarm 4.0, mobile 2.0, patrol 2.0, true);
room!(OBSERVATION, "留观室", "Observation ward", cam 2.0, alarm 1.5, mobile 1.5, patrol 0.2, false);
room!(NURSE_STATION, "护士站", "Nurse station", cam 4.0, alarm 4.5, mobile 3.0, patrol 1.5, false);
room!(WARD, "病房", "Ward", cam 0.2, alarm 0.4, mobile 0.1, patrol 0.0, false);
room!(DOCTOR_OFFICE, "医生办公室", "Doctors' office", cam 0.4, alarm 0.8, mobile 0.2, patrol 0.0, false);
room!(TREATMENT, "治疗室", "Treatment room", cam 0.4, alarm 0.6, mobile 0.2, patrol 0.0, false);
room!(ADMISSIONS, "出入院处", "Admissions & discharge", cam 5.0, alarm 3.0, mobile 0.3, patrol 1.0, true);
room!(IMAGING, "影像检查室", "Imaging (CT / MRI)", cam 1.5, alarm 1.0, mobile 0.3, patrol 0.3, false);
room!(LAB, "检验科", "Laboratory", cam 1.2, alarm 0.8, mobile 0.2, patrol 0.2, false);
room!(THEATRE, "手术室", "Operating theatre", cam 1.0, alarm 0.8, mobile 0.3, patrol 0.0, false);
room!(ICU, "重症监护室", "Intensive care unit", cam 3.0, alarm 2.0, mobile 1.0, patrol 0.3, false);
room!(OFFICE, "办公室", "Office", cam 0.2, alarm 0.2, mobile 0.0, patrol 0.0, false);
room!(MEETING, "会议室", "Meeting room", cam 0.3, alarm 0.1, mobile 0.0, patrol 0.0, false);
room!(FINANCE, "财务室", "Finance office", cam 4.0, alarm 3.0, mobile 0.0, patrol 1.0, false);
room!(ARCHIVE, "病案室", "Medical records", cam 1.5, alarm 0.5, mobile 0.0, patrol 0.8, false);
room!(SERVER_ROOM, "机房", "Server room", cam 2.0, alarm 0.6, mobile 0.0, patrol 1.5, false);
room!(CONTROL_ROOM, "监控中心", "Security control room", cam 2.0, alarm 1.0, mobile 0.5, patrol 0.5, false);
room!(CANTEEN, "职工食堂", "Staff canteen", cam 2.5, alarm 0.3, mobile 0.0, patrol 0.5, true);
room!(KITCHEN, "厨房", "Kitchen", cam 1.5, alarm 0.3, mobile 0.0, patrol 0.8, false);
room!(LAUNDRY, "洗衣房", "Laundry", cam 0.6, alarm 0.1, mobile 0.0, patrol 0.3, false);
room!(STORE, "库房", "Store room", cam 0.8, alarm 0.1, mobile 0.0, patrol 0.6, false);
room!(PARKING, "地下停车场", "Underground car park", cam 6.0, alarm 0.8, mobile 0.0, patrol 2.0, true);
room!(PLANT, "配电房", "Power plant room", cam 1.0, alarm 0.2, mobile 0.0, patrol 2.0, false);
room!(PUMP, "水泵房", "Pump room", cam 0.6, alarm 0.1, mobile 0.0, patrol 1.5, false);
room!(STAIRS, "楼梯间", "Stairs", cam 0.8, alarm 0.0, mobile 0.0, patrol 1.2, false);
room!(LIFTS, "电梯厅", "Lift lobby", cam 2.0, alarm 0.2, mobile 0.0, patrol 0.5, true);
room!(CORRIDOR, "走廊", "Corridor", cam 1.6, alarm 0.1, mobile 0.0, patrol 0.4, false);
