//! When rounds are walked and which shift a moment belongs to, in the site's time zone.
//!
//! A schedule says "every 2 h from 22:00 to 06:00, Monday to Friday" in the site's own clock; the
//! rounds it expands to are plain UTC instants (milliseconds since the epoch), so that
//! [`crate::patrol::evaluate`] never sees a time zone or a midnight. A night that crosses midnight
//! belongs to the day it starts on: Monday's night rounds are 22:00 Monday to 04:00 Tuesday.
//!
//! Schedules change: an administrator's edit starts a new version from the moment it is saved
//! (`valid_from`) and ends the old one there, so rounds already started keep the version they
//! started under — a change mid-shift never rewrites what was expected before it.

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::Timestamp;

use crate::event::derived_id;
use crate::patrol::Round;
use crate::Id;

/// Minutes since local midnight (0..1440).
pub type Minute = u16;

const DAY_MS: i64 = 24 * 60 * 60_000;

/// Days of the week a schedule runs on, Monday first (bit 0) to Sunday (bit 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Weekdays(pub u8);

impl Weekdays {
    pub const ALL: Weekdays = Weekdays(0b111_1111);

    /// Whether the day (0 = Monday … 6 = Sunday) is one of them.
    pub fn has(self, monday_zero: i8) -> bool {
        (0..7).contains(&monday_zero) && self.0 & (1 << monday_zero) != 0
    }
}

/// One version of a route's schedule.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct Schedule {
    /// The schedule; versions of one schedule share it.
    pub id: Id,
    pub route: Id,
    /// Local time of the first round.
    pub start: Minute,
    /// Local time no round starts at or after (equal to `start`: around the clock). Earlier than
    /// `start` means the next day: 22:00 → 06:00.
    pub end: Minute,
    /// Minutes from one round's start to the next.
    pub every: Minute,
    /// Bit 0 Monday … bit 6 Sunday.
    #[ts(type = "number")]
    pub weekdays: Weekdays,
    /// This version holds for rounds starting in `[valid_from, valid_to)` (ms since the epoch).
    #[ts(type = "number")]
    pub valid_from: i64,
    #[ts(type = "number | null")]
    pub valid_to: Option<i64>,
}

/// Why a schedule cannot be saved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("a time of day is 00:00 to 23:59")]
    TimeOfDay,
    #[error("rounds are 5 minutes to 24 hours apart")]
    Interval,
    #[error("a schedule runs on at least one day of the week")]
    NoDays,
}

impl Schedule {
    pub fn validate(&self) -> Result<(), ScheduleError> {
        if self.start >= 1440 || self.end >= 1440 {
            return Err(ScheduleError::TimeOfDay);
        }
        if !(5..=1440).contains(&self.every) {
            return Err(ScheduleError::Interval);
        }
        if self.weekdays.0 & 0b111_1111 == 0 {
            return Err(ScheduleError::NoDays);
        }
        Ok(())
    }

    /// Minutes of round starts after the start of a scheduled day (may pass 1440: next day).
    fn offsets(&self) -> impl Iterator<Item = u32> + '_ {
        let span = match u32::from(self.end) {
            e if e == u32::from(self.start) => 1440,
            e if e > u32::from(self.start) => e - u32::from(self.start),
            e => e + 1440 - u32::from(self.start),
        };
        (0..)
            .map(move |k| k * u32::from(self.every.max(1)))
            .take_while(move |m| *m < span)
            .map(move |m| u32::from(self.start) + m)
    }
}

/// The id of a route's round starting at `start`: the same on every workstation and the server.
pub fn round_id(route: Id, start: i64) -> Id {
    derived_id("round", &format!("{route}:{start}"), start)
}

fn local_date(tz: &TimeZone, ms: i64) -> Date {
    let ts = Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH);
    tz.to_datetime(ts).date()
}

fn instant(tz: &TimeZone, day: Date, minute: u32) -> Option<i64> {
    let days = i64::from(minute / 1440);
    let m = minute % 1440;
    let date = day.checked_add(jiff::Span::new().days(days)).ok()?;
    let dt: DateTime = date.at((m / 60) as i8, (m % 60) as i8, 0, 0);
    tz.to_timestamp(dt).ok().map(|t| t.as_millisecond())
}

/// Every round the schedules expect to start in `[from, to)`, sorted by start then route. A round
/// two versions (or two schedules) both expect is one round.
pub fn rounds(schedules: &[Schedule], tz: &TimeZone, from: i64, to: i64) -> Vec<Round> {
    let mut out: Vec<Round> = Vec::new();
    if to <= from {
        return out;
    }
    // A day's rounds may run into the next day: start a day early.
    let first = local_date(tz, from - DAY_MS);
    let last = local_date(tz, to);
    for s in schedules {
        let lo = from.max(s.valid_from);
        let hi = s.valid_to.map_or(to, |v| v.min(to));
        if lo >= hi {
            continue;
        }
        let mut day = first.max(local_date(tz, lo - DAY_MS));
        let last = last.min(local_date(tz, hi));
        while day <= last {
            if s.weekdays.has(day.weekday().to_monday_zero_offset()) {
                for minute in s.offsets() {
                    let Some(start) = instant(tz, day, minute) else { continue };
                    if (lo..hi).contains(&start) {
                        out.push(Round { id: round_id(s.route, start), route: s.route, start });
                    }
                }
            }
            let Ok(next) = day.tomorrow() else { break };
            day = next;
        }
    }
    out.sort_by_key(|r| (r.start, r.route));
    out.dedup_by_key(|r| r.id);
    out
}

/// Day or night.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ShiftKind {
    Day,
    Night,
}

/// When the site's two shifts start, in local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct ShiftPlan {
    pub day_starts: Minute,
    pub night_starts: Minute,
}

impl Default for ShiftPlan {
    fn default() -> Self {
        ShiftPlan { day_starts: 8 * 60, night_starts: 20 * 60 }
    }
}

/// One shift: the local day it starts on and which shift, with its UTC bounds.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct Shift {
    /// `2026-11-30/night`: what sign-offs and filters name.
    pub key: String,
    /// Local date the shift starts on, `2026-11-30`.
    pub date: String,
    pub kind: ShiftKind,
    #[ts(type = "number")]
    pub start: i64,
    #[ts(type = "number")]
    pub end: i64,
}

impl ShiftPlan {
    /// The shift `at` falls in.
    pub fn shift_at(&self, tz: &TimeZone, at: i64) -> Shift {
        let day = local_date(tz, at);
        // The latest shift start at or before `at`, looking back over yesterday and today.
        let mut best: Option<Shift> = None;
        for d in [day.yesterday().unwrap_or(day), day] {
            for kind in [ShiftKind::Day, ShiftKind::Night] {
                if let Some(s) = self.shift(tz, d, kind) {
                    if s.start <= at && best.as_ref().is_none_or(|b| s.start > b.start) {
                        best = Some(s);
                    }
                }
            }
        }
        best.unwrap_or_else(|| {
            self.shift(tz, day, ShiftKind::Day).unwrap_or(Shift {
                key: String::new(),
                date: String::new(),
                kind: ShiftKind::Day,
                start: at,
                end: at,
            })
        })
    }

    /// The shift of `kind` starting on the local `date`.
    pub fn shift(&self, tz: &TimeZone, date: Date, kind: ShiftKind) -> Option<Shift> {
        let (begin, other) = match kind {
            ShiftKind::Day => (self.day_starts, self.night_starts),
            ShiftKind::Night => (self.night_starts, self.day_starts),
        };
        let start = instant(tz, date, u32::from(begin))?;
        let end_minute = if other > begin { u32::from(other) } else { u32::from(other) + 1440 };
        let end = instant(tz, date, end_minute)?;
        let name = match kind {
            ShiftKind::Day => "day",
            ShiftKind::Night => "night",
        };
        Some(Shift { key: format!("{date}/{name}"), date: date.to_string(), kind, start, end })
    }

    /// The shift a key names (`2026-11-30/night`).
    pub fn parse_key(&self, tz: &TimeZone, key: &str) -> Option<Shift> {
        let (date, kind) = key.split_once('/')?;
        let date: Date = date.parse().ok()?;
        let kind = match kind {
            "day" => ShiftKind::Day,
            "night" => ShiftKind::Night,
            _ => return None,
        };
        self.shift(tz, date, kind)
    }
}

/// Parses `HH:MM` into minutes since midnight.
pub fn parse_minute(text: &str) -> Option<Minute> {
    let (h, m) = text.trim().split_once(':')?;
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn shanghai() -> TimeZone {
        TimeZone::get("Asia/Shanghai").expect("bundled time zone")
    }

    fn at(tz: &TimeZone, y: i16, mo: i8, d: i8, h: i8, mi: i8) -> i64 {
        tz.to_timestamp(jiff::civil::date(y, mo, d).at(h, mi, 0, 0)).expect("a real time").as_millisecond()
    }

    fn night(route: Id) -> Schedule {
        Schedule {
            id: Id::from_u128(1),
            route,
            start: 22 * 60,
            end: 6 * 60,
            every: 120,
            weekdays: Weekdays::ALL,
            valid_from: 0,
            valid_to: None,
        }
    }

    fn local_hours(tz: &TimeZone, rounds: &[Round]) -> Vec<String> {
        rounds
            .iter()
            .map(|r| {
                let dt = tz.to_datetime(Timestamp::from_millisecond(r.start).expect("ms"));
                format!("{} {:02}:{:02}", dt.date(), dt.hour(), dt.minute())
            })
            .collect()
    }

    #[test]
    fn a_night_schedule_crosses_midnight_and_belongs_to_the_day_it_starts() {
        let tz = shanghai();
        let route = Id::from_u128(7);
        let from = at(&tz, 2026, 11, 30, 12, 0);
        let to = at(&tz, 2026, 12, 1, 12, 0);
        let r = rounds(&[night(route)], &tz, from, to);
        assert_eq!(
            local_hours(&tz, &r),
            ["2026-11-30 22:00", "2026-12-01 00:00", "2026-12-01 02:00", "2026-12-01 04:00"]
        );
        // 22:00 in Shanghai is 14:00 UTC.
        assert_eq!(r[0].start, Timestamp::from_second(1_796_047_200).expect("s").as_millisecond());
        assert_eq!(r[0].id, round_id(route, r[0].start));
    }

    #[test]
    fn weekdays_pick_the_night_by_the_day_it_starts() {
        let tz = shanghai();
        let mut s = night(Id::from_u128(7));
        // Mondays only; 2026-11-30 is a Monday.
        s.weekdays = Weekdays(1);
        let from = at(&tz, 2026, 11, 29, 0, 0);
        let to = at(&tz, 2026, 12, 3, 0, 0);
        let r = rounds(&[s], &tz, from, to);
        assert_eq!(r.len(), 4);
        assert_eq!(local_hours(&tz, &r)[0], "2026-11-30 22:00");
        assert_eq!(local_hours(&tz, &r)[3], "2026-12-01 04:00");
    }

    #[test]
    fn a_change_mid_shift_keeps_the_rounds_already_expected() {
        let tz = shanghai();
        let route = Id::from_u128(7);
        let change = at(&tz, 2026, 12, 1, 1, 0);
        let mut old = night(route);
        old.valid_to = Some(change);
        // From 01:00 on: every hour, 01:00 to 06:00.
        let new = Schedule { start: 60, end: 360, every: 60, valid_from: change, valid_to: None, ..night(route) };
        let r = rounds(&[old, new], &tz, at(&tz, 2026, 11, 30, 21, 0), at(&tz, 2026, 12, 1, 7, 0));
        assert_eq!(
            local_hours(&tz, &r),
            [
                "2026-11-30 22:00",
                "2026-12-01 00:00",
                "2026-12-01 01:00",
                "2026-12-01 02:00",
                "2026-12-01 03:00",
                "2026-12-01 04:00",
                "2026-12-01 05:00"
            ]
        );
    }

    #[test]
    fn around_the_clock_when_start_equals_end() {
        let tz = shanghai();
        let s = Schedule { start: 30, end: 30, every: 360, ..night(Id::from_u128(3)) };
        let r = rounds(&[s], &tz, at(&tz, 2026, 12, 1, 0, 0), at(&tz, 2026, 12, 2, 0, 0));
        assert_eq!(
            local_hours(&tz, &r),
            ["2026-12-01 00:30", "2026-12-01 06:30", "2026-12-01 12:30", "2026-12-01 18:30"]
        );
    }

    #[test]
    fn shifts_follow_the_plan_across_midnight() {
        let tz = shanghai();
        let plan = ShiftPlan::default();
        let s = plan.shift_at(&tz, at(&tz, 2026, 12, 1, 3, 0));
        assert_eq!((s.key.as_str(), s.kind), ("2026-11-30/night", ShiftKind::Night));
        assert_eq!(s.start, at(&tz, 2026, 11, 30, 20, 0));
        assert_eq!(s.end, at(&tz, 2026, 12, 1, 8, 0));
        let d = plan.shift_at(&tz, at(&tz, 2026, 12, 1, 8, 0));
        assert_eq!(d.key, "2026-12-01/day");
        assert_eq!(plan.parse_key(&tz, "2026-11-30/night"), Some(s));
        assert_eq!(plan.parse_key(&tz, "2026-11-30/evening"), None);
    }

    #[test]
    fn bad_schedules_are_named() {
        let s = night(Id::from_u128(1));
        assert_eq!(Schedule { every: 0, ..s.clone() }.validate(), Err(ScheduleError::Interval));
        assert_eq!(Schedule { start: 1440, ..s.clone() }.validate(), Err(ScheduleError::TimeOfDay));
        assert_eq!(Schedule { weekdays: Weekdays(0), ..s.clone() }.validate(), Err(ScheduleError::NoDays));
        assert_eq!(s.validate(), Ok(()));
        assert_eq!(parse_minute("22:00"), Some(1320));
        assert_eq!(parse_minute("24:00"), None);
    }

    proptest! {
        #[test]
        fn rounds_are_inside_the_range_and_spaced_by_the_interval(
            start in 0u16..1440, end in 0u16..1440, every in 5u16..600, from_h in 0i64..24 * 14,
        ) {
            let tz = shanghai();
            let s = Schedule { start, end, every, ..night(Id::from_u128(9)) };
            let from = at(&tz, 2026, 11, 1, 0, 0) + from_h * 3_600_000;
            let to = from + 3 * DAY_MS;
            let r = rounds(std::slice::from_ref(&s), &tz, from, to);
            prop_assert!(r.iter().all(|x| (from..to).contains(&x.start)));
            prop_assert!(r.windows(2).all(|w| w[0].start < w[1].start));
            // A split range gives the same rounds as the whole one.
            let mid = from + DAY_MS + 12_345;
            let mut parts = rounds(std::slice::from_ref(&s), &tz, from, mid);
            parts.extend(rounds(std::slice::from_ref(&s), &tz, mid, to));
            prop_assert_eq!(parts, r.clone());
            // Every round is at a scheduled local minute.
            for x in &r {
                let dt = tz.to_datetime(Timestamp::from_millisecond(x.start).expect("ms"));
                let minute = (i32::from(dt.hour()) * 60 + i32::from(dt.minute())) as u32;
                prop_assert!(s.offsets().any(|o| o % 1440 == minute));
            }
        }
    }
}
