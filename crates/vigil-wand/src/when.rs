//! Reading dates and times as wand software writes them.
//!
//! Accepted, as text: year-first dates with `-`, `/` or `.` between the parts
//! or as `2026年11月30日`, followed by a time of day `22:05`, `22:05:13` or
//! `22:05:13.250` (or `22时05分13秒`, with an optional `上午`/`下午`/`AM`/`PM`),
//! separated by spaces or `T`; compact `20261130220513`; spreadsheet serial
//! numbers (days since 1899-12-30, the time as the fraction); full-width
//! digits. A time with an explicit UTC offset (`2026-11-30T14:05:13Z`) is
//! taken as that instant. In workbooks, date cells are read as the workbook
//! stores them (1900 or 1904 epoch) and plain numbers as serials.
//!
//! Refused, with a reason: day-first or month-first dates (`30/11/2026`),
//! since a file can hold both and `05/11` cannot be told apart; a date with
//! no time of day; impossible dates; serials outside the spreadsheet range.
//!
//! Serial numbers are rounded to the nearest second: wands record whole
//! seconds, and serials written with fewer decimals would otherwise come out
//! a few milliseconds early.

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, Unit};

use crate::cell::Cell;

/// The epoch of spreadsheet serial numbers (1900 date system, past the
/// fictitious 1900-02-29 that serial 60 stands for).
const SERIAL_EPOCH: DateTime = jiff::civil::date(1899, 12, 30).at(0, 0, 0, 0);
/// Serial of 1900-03-01, the first one the epoch above reads right.
const SERIAL_MIN: f64 = 61.0;
/// One past the serial of 9999-12-31, the last date spreadsheets have.
const SERIAL_END: f64 = 2_958_466.0;
const EXAMPLE: &str = "e.g. 2026-11-30 22:05:13";

/// A point in time as a file gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Moment {
    /// Wall-clock time in the site's zone.
    Local(DateTime),
    /// An instant, written with its own UTC offset.
    Exact(Timestamp),
}

impl Moment {
    /// UTC milliseconds since the Unix epoch, placing local times in `zone`.
    ///
    /// A local time that a daylight-saving change makes ambiguous or skips is
    /// resolved the usual way (the earlier of two, the later side of a gap).
    pub(crate) fn to_millis(self, zone: &TimeZone) -> Result<i64, String> {
        let instant = match self {
            Moment::Exact(instant) => instant,
            Moment::Local(local) => zone
                .to_ambiguous_timestamp(local)
                .compatible()
                .map_err(|e| format!("{local} cannot be placed in the site's time zone: {e}"))?,
        };
        Ok(instant.as_millisecond())
    }
}

/// Reads a cell holding both a date and a time of day.
pub(crate) fn date_time(cell: &Cell) -> Result<Moment, String> {
    match cell {
        Cell::Empty => Err("empty".into()),
        Cell::Error(e) => Err(cell_error(e)),
        Cell::Number(n) => serial(*n).map(Moment::Local),
        Cell::DateTime { serial, parts } if *serial < 1.0 => {
            Err(format!("the cell holds the time of day {:02}:{:02}:{:02} but no date", parts.3, parts.4, parts.5))
        }
        Cell::DateTime { parts, .. } => date_cell(*parts).map(Moment::Local),
        Cell::Text(text) => text_date_time(text),
    }
}

/// Reads a cell holding a date (a time of day in it is ignored: the time
/// comes from its own column).
pub(crate) fn date(cell: &Cell) -> Result<Date, String> {
    match cell {
        Cell::Empty => Err("empty".into()),
        Cell::Error(e) => Err(cell_error(e)),
        Cell::Number(n) => serial(n.floor()).map(DateTime::date),
        Cell::DateTime { serial, .. } if *serial < 1.0 => Err("the cell holds a time of day, not a date".into()),
        Cell::DateTime { parts, .. } => date_cell(*parts).map(DateTime::date),
        Cell::Text(text) => text_date(text),
    }
}

/// Reads a cell holding a time of day.
pub(crate) fn time_of_day(cell: &Cell) -> Result<Time, String> {
    match cell {
        Cell::Empty => Err("empty".into()),
        Cell::Error(e) => Err(cell_error(e)),
        Cell::Number(n) | Cell::DateTime { serial: n, .. } => day_fraction(*n),
        Cell::Text(text) => text_time_of_day(text),
    }
}

fn cell_error(e: &str) -> String {
    format!("the cell holds the spreadsheet error {e}")
}

/// A serial number (days since 1899-12-30) as a local date and time.
fn serial(value: f64) -> Result<DateTime, String> {
    if !(SERIAL_MIN..SERIAL_END).contains(&value) {
        return Err(format!("{value} is outside the range of spreadsheet date serials (61 = 1900-03-01 and up)"));
    }
    let seconds = (value * 86_400.0).round() as i64;
    SERIAL_EPOCH.checked_add(SignedDuration::from_secs(seconds)).map_err(|e| format!("serial {value}: {e}"))
}

/// A fraction of a day (0 ≤ f < 1) as a time of day, to the second.
fn day_fraction(value: f64) -> Result<Time, String> {
    if !(0.0..1.0).contains(&value) {
        return Err(format!("{value} is not a time of day (a time serial is a fraction of a day, below 1)"));
    }
    let seconds = ((value * 86_400.0).round() as i64).min(86_399);
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    Time::new(h as i8, m as i8, s as i8, 0).map_err(|e| e.to_string())
}

/// A workbook date cell's parts, rounded to the second.
fn date_cell((y, mo, d, h, mi, s, ms): (u16, u8, u8, u8, u8, u8, u16)) -> Result<DateTime, String> {
    let year = i16::try_from(y).map_err(|e| e.to_string())?;
    let local = DateTime::new(year, mo as i8, d as i8, h as i8, mi as i8, s as i8, i32::from(ms) * 1_000_000)
        .map_err(|e| format!("the date cell reads as no real date: {e}"))?;
    local.round(Unit::Second).map_err(|e| e.to_string())
}

/// Morning or afternoon marker of a 12-hour time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Meridiem {
    Am,
    Pm,
}

/// Text brought to one spelling: ASCII digits and punctuation, CJK date and
/// time markers replaced by separators, a 12-hour marker taken out.
fn simplify(text: &str) -> (String, Option<Meridiem>) {
    let mut s: String = text
        .trim()
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            '：' => ':',
            '／' => '/',
            '－' => '-',
            '．' => '.',
            '\u{3000}' => ' ',
            _ => c,
        })
        .collect::<String>()
        .to_lowercase();
    let mut meridiem = None;
    for (marker, which) in [
        ("上午", Meridiem::Am),
        ("下午", Meridiem::Pm),
        ("a.m.", Meridiem::Am),
        ("p.m.", Meridiem::Pm),
        ("am", Meridiem::Am),
        ("pm", Meridiem::Pm),
    ] {
        if meridiem.is_none() && s.contains(marker) {
            s = s.replacen(marker, " ", 1);
            meridiem = Some(which);
        }
    }
    let s = s
        .chars()
        .map(|c| match c {
            '年' | '月' => '-',
            '日' | '号' | '號' | 't' | '秒' => ' ',
            '时' | '時' | '点' | '點' | '分' => ':',
            _ => c,
        })
        .collect();
    (s, meridiem)
}

/// A plain decimal number (digits, at most one point): its integer digits
/// and value.
fn plain_number(s: &str) -> Option<(usize, f64)> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || !digits(int) || !digits(frac) || (s.ends_with('.') && frac.is_empty()) {
        return None;
    }
    Some((int.len(), s.parse().ok()?))
}

/// Whether text ends in a UTC offset or `Z`, after a time.
fn has_offset(s: &str) -> bool {
    let s = s.trim();
    if s.ends_with(['z', 'Z']) {
        return true;
    }
    let tail: Vec<u8> = s.bytes().rev().take(6).collect();
    // ±hh:mm or ±hhmm at the end.
    let signed_at = |i: usize| tail.get(i).is_some_and(|b| matches!(b, b'+' | b'-'));
    (signed_at(5) && tail.get(2) == Some(&b':')) || signed_at(4)
}

fn text_date_time(text: &str) -> Result<Moment, String> {
    if has_offset(text) {
        if let Ok(instant) = text.trim().parse::<Timestamp>() {
            return Ok(Moment::Exact(instant));
        }
    }
    let (s, meridiem) = simplify(text);
    let s = s.trim();
    if let Some((int_digits, value)) = plain_number(s) {
        return match int_digits {
            14 | 12 if !s.contains('.') => compact(s).map(Moment::Local),
            8 if !s.contains('.') => Err(format!("{text:?} has a date but no time of day")),
            ..=7 => serial(value).map(Moment::Local),
            _ => Err(format!("{text:?} is not a date and time ({EXAMPLE})")),
        };
    }
    let tokens: Vec<&str> = s.split_whitespace().collect();
    match tokens.as_slice() {
        [one] if one.contains(':') => Err(format!("{text:?} has a time of day but no date")),
        [one] => {
            date_token(one, text)?;
            Err(format!("{text:?} has a date but no time of day"))
        }
        [day, time] => {
            let date = date_token(day, text)?;
            let time = time_token(time, meridiem, text)?;
            Ok(Moment::Local(date.to_datetime(time)))
        }
        _ => Err(format!("{text:?} is not a date and time ({EXAMPLE})")),
    }
}

fn text_date(text: &str) -> Result<Date, String> {
    let (s, _) = simplify(text);
    let s = s.trim();
    if let Some((int_digits, value)) = plain_number(s) {
        return match int_digits {
            8 if !s.contains('.') => compact(&format!("{s}0000")).map(|dt| dt.date()),
            ..=7 => serial(value.floor()).map(DateTime::date),
            _ => Err(format!("{text:?} is not a date (e.g. 2026-11-30)")),
        };
    }
    match s.split_whitespace().next() {
        Some(day) if !day.contains(':') => date_token(day, text),
        _ => Err(format!("{text:?} is not a date (e.g. 2026-11-30)")),
    }
}

fn text_time_of_day(text: &str) -> Result<Time, String> {
    let (s, meridiem) = simplify(text);
    let s = s.trim();
    if let Some((_, value)) = plain_number(s) {
        return day_fraction(value);
    }
    let tokens: Vec<&str> = s.split_whitespace().collect();
    match tokens.as_slice() {
        [one] if one.contains(':') => time_token(one, meridiem, text),
        [_, time] if time.contains(':') => {
            Err(format!("{text:?} holds a date as well; the time-of-day column wants e.g. 22:05:13"))
        }
        _ => Err(format!("{text:?} is not a time of day (e.g. 22:05:13)")),
    }
}

/// `yyyymmddHHMM[SS]`.
fn compact(s: &str) -> Result<DateTime, String> {
    let part = |range: std::ops::Range<usize>| s.get(range).and_then(|p| p.parse::<i16>().ok());
    let field = |range| part(range).ok_or_else(|| format!("{s:?} is not a date and time"));
    let (y, mo, d) = (field(0..4)?, field(4..6)?, field(6..8)?);
    let (h, mi) = (field(8..10)?, field(10..12)?);
    let sec = if s.len() == 14 { field(12..14)? } else { 0 };
    DateTime::new(y, mo as i8, d as i8, h as i8, mi as i8, sec as i8, 0)
        .map_err(|_| format!("no such date and time: {s:?}"))
}

/// The date part: year first, then month and day.
fn date_token(token: &str, text: &str) -> Result<Date, String> {
    let parts: Vec<&str> = token.trim_matches(['-', '/', '.']).split(['-', '/', '.']).collect();
    let numeric = |p: &&str| !p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit());
    if parts.len() != 3 || !parts.iter().all(numeric) {
        return Err(format!("{text:?} is not a date and time ({EXAMPLE})"));
    }
    if parts[0].len() != 4 {
        return Err(if parts[2].len() == 4 || parts[2].len() == 2 {
            format!(
                "{text:?} puts the day or month first, and which is which cannot be told \
                 (05/11 may be 5 November or May 11); dates must start with the year, {EXAMPLE}"
            )
        } else {
            format!("{text:?} is not a date and time ({EXAMPLE})")
        });
    }
    let number = |p: &str| p.parse::<i16>().unwrap_or(-1);
    let (y, m, d) = (number(parts[0]), number(parts[1]), number(parts[2]));
    if parts[1].len() > 2 || parts[2].len() > 2 {
        return Err(format!("{text:?} is not a date and time ({EXAMPLE})"));
    }
    Date::new(y, m as i8, d as i8).map_err(|_| format!("{text:?} is no real date"))
}

/// The time part: `H:MM`, `H:MM:SS` or `H:MM:SS.fff`, with an optional
/// 12-hour marker found elsewhere in the text.
fn time_token(token: &str, meridiem: Option<Meridiem>, text: &str) -> Result<Time, String> {
    let bad = || format!("{text:?} has no readable time of day ({EXAMPLE})");
    let parts: Vec<&str> = token.trim_matches(':').split(':').collect();
    if !(2..=3).contains(&parts.len()) {
        return Err(bad());
    }
    let small = |p: &str| -> Option<i8> {
        (!p.is_empty() && p.len() <= 2 && p.bytes().all(|b| b.is_ascii_digit())).then(|| p.parse().ok()).flatten()
    };
    let mut hour = small(parts[0]).ok_or_else(bad)?;
    let minute = small(parts[1]).ok_or_else(bad)?;
    let (second, nanos) = match parts.get(2) {
        None => (0, 0),
        Some(sec) => {
            let (whole, frac) = sec.split_once('.').unwrap_or((sec, ""));
            if frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            let nanos = format!("{frac:0<9}").parse::<i32>().map_err(|_| bad())?;
            (small(whole).ok_or_else(bad)?, nanos)
        }
    };
    match meridiem {
        Some(_) if !(1..=12).contains(&hour) => return Err(format!("{text:?} has a 12-hour time with hour {hour}")),
        Some(Meridiem::Pm) if hour < 12 => hour += 12,
        Some(Meridiem::Am) if hour == 12 => hour = 0,
        _ => {}
    }
    Time::new(hour, minute, second, nanos).map_err(|_| format!("{text:?} is no real time of day"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::{date, time};
    use proptest::prelude::*;

    fn local(text: &str) -> Result<DateTime, String> {
        match text_date_time(text)? {
            Moment::Local(dt) => Ok(dt),
            Moment::Exact(t) => Err(format!("exact {t}")),
        }
    }

    #[test]
    fn text_forms() {
        let at = date(2026, 11, 30).at(22, 5, 13, 0);
        for text in [
            "2026-11-30 22:05:13",
            "2026/11/30 22:05:13",
            "2026.11.30 22:05:13",
            "2026-11-30T22:05:13",
            "2026年11月30日 22:05:13",
            "2026年11月30日22时05分13秒",
            "２０２６-１１-３０ ２２：０５：１３",
            "2026/11/30 下午 10:05:13",
            "2026/11/30 10:05:13 PM",
            "20261130220513",
            " 2026-11-30  22:05:13 ",
        ] {
            assert_eq!(local(text), Ok(at), "{text}");
        }
        assert_eq!(local("2026/1/5 8:05"), Ok(date(2026, 1, 5).at(8, 5, 0, 0)));
        assert_eq!(local("2026-11-30 22:05:13.250"), Ok(date(2026, 11, 30).at(22, 5, 13, 250_000_000)));
        assert_eq!(local("2026/11/30 上午 12:10"), Ok(date(2026, 11, 30).at(0, 10, 0, 0)));
    }

    #[test]
    fn serial_numbers() {
        // 46356 is 2026-11-30; .92 of a day is 22:04:48.
        assert_eq!(local("46356.92"), Ok(date(2026, 11, 30).at(22, 4, 48, 0)));
        assert_eq!(local("46356"), Ok(date(2026, 11, 30).at(0, 0, 0, 0)));
        // 22:05:13 written with few decimals rounds to the second.
        assert_eq!(local("46356.9202894"), Ok(date(2026, 11, 30).at(22, 5, 13, 0)));
        assert!(local("12").is_err());
        assert_eq!(date_time(&Cell::Number(46356.5)), Ok(Moment::Local(date(2026, 11, 30).at(12, 0, 0, 0))));
    }

    #[test]
    fn explicit_offsets_are_instants() {
        let expected: Timestamp = "2026-11-30T14:05:13Z".parse().expect("a timestamp");
        assert_eq!(text_date_time("2026-11-30T22:05:13+08:00"), Ok(Moment::Exact(expected)));
        assert_eq!(text_date_time("2026-11-30T14:05:13Z"), Ok(Moment::Exact(expected)));
    }

    #[test]
    fn refusals_say_why() {
        let reason = |text| local(text).expect_err("refused");
        assert!(reason("30/11/2026 22:05").contains("day or month first"));
        assert!(reason("11/30/2026 22:05").contains("day or month first"));
        assert!(reason("2026-11-30").contains("no time of day"));
        assert!(reason("22:05:13").contains("no date"));
        assert!(reason("2026-02-30 10:00").contains("no real date"));
        assert!(reason("2026-11-30 25:00").contains("no real time"));
        assert!(reason("soon").contains("not a date"));
        assert!(reason("2026-11-30 13:00 PM").contains("12-hour"));
    }

    #[test]
    fn split_date_and_time() {
        assert_eq!(text_date("2026/11/30"), Ok(date(2026, 11, 30)));
        assert_eq!(text_date("2026年11月30日"), Ok(date(2026, 11, 30)));
        assert_eq!(text_date("2026/11/30 0:00:00"), Ok(date(2026, 11, 30)));
        assert_eq!(text_date("46356"), Ok(date(2026, 11, 30)));
        assert!(text_date("30.11.2026").is_err());
        assert_eq!(text_time_of_day("22:05"), Ok(time(22, 5, 0, 0)));
        assert_eq!(text_time_of_day("0.5"), Ok(time(12, 0, 0, 0)));
        assert_eq!(text_time_of_day("下午10:05:13"), Ok(time(22, 5, 13, 0)));
        assert!(text_time_of_day("2026-11-30 22:05").is_err());
        assert!(day_fraction(1.5).is_err());
    }

    #[test]
    fn date_cells() {
        let cell = Cell::DateTime { serial: 46356.92, parts: (2026, 11, 30, 22, 4, 47, 999) };
        assert_eq!(date_time(&cell), Ok(Moment::Local(date(2026, 11, 30).at(22, 4, 48, 0))));
        let time_only = Cell::DateTime { serial: 0.5, parts: (1899, 12, 31, 12, 0, 0, 0) };
        assert!(date_time(&time_only).is_err());
        assert_eq!(time_of_day(&time_only), Ok(time(12, 0, 0, 0)));
    }

    #[test]
    fn shanghai_is_eight_hours_ahead() {
        let zone = TimeZone::get("Asia/Shanghai").expect("bundled tzdb");
        let utc = TimeZone::UTC.to_timestamp(date(2026, 11, 30).at(14, 5, 0, 0)).expect("in range");
        let ms = Moment::Local(date(2026, 11, 30).at(22, 5, 0, 0)).to_millis(&zone);
        assert_eq!(ms, Ok(utc.as_millisecond()));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn written_forms_read_back(
            y in 1901_i16..2100, mo in 1_i8..=12, d in 1_i8..=28,
            h in 0_i8..24, mi in 0_i8..60, s in 0_i8..60,
        ) {
            let at = date(y, mo, d).at(h, mi, s, 0);
            for text in [
                format!("{y}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}"),
                format!("{y}/{mo}/{d} {h}:{mi:02}:{s:02}"),
                format!("{y}年{mo}月{d}日 {h:02}:{mi:02}:{s:02}"),
                format!("{y}{mo:02}{d:02}{h:02}{mi:02}{s:02}"),
            ] {
                prop_assert_eq!(local(&text), Ok(at));
            }
            let serial = SERIAL_EPOCH.duration_until(at).as_secs_f64() / 86_400.0;
            prop_assert_eq!(local(&format!("{serial:.8}")), Ok(at));
        }
    }
}
