//! Patrol and incident reports as CSV and PDF.
//!
//! For the "safe hospital" (平安医院) audit a shift supervisor must be able to show that every
//! patrol round was walked and every alarm answered. Vigil exports two reports for that — the
//! patrol report and the incident report — and this crate renders them:
//!
//! * **CSV** ([`LogCsv`], [`incidents_csv`]): UTF-8 with a byte-order mark so that Excel on a
//!   Chinese Windows opens it correctly, localised header row, quoting done by the `csv` crate.
//!   The patrol check-in log of a month is about two million rows, so it is written row by row
//!   and never collected.
//! * **PDF** ([`patrol_pdf`], [`incidents_pdf`]): A4 pages with a header block, page numbers,
//!   totals, compliance tables, vector bar charts, the exceptions with their explanations, the
//!   check-in log when it is small enough, and a signature line. Text is real, extractable text
//!   in an embedded, subset CJK font (see [`font_path`]).
//!
//! The caller fills the plain data models below from the store; this crate does no database
//! I/O and formats no times itself: every time arrives as the string to print, already in the
//! hospital's local time.
//!
//! Every fixed label exists in Simplified Chinese (the first language) and English; the
//! report's [`Language`] picks one.

mod blocks;
mod csv_out;
mod font;
mod incidents;
mod labels;
mod layout;
mod patrol;
mod render;

use std::path::PathBuf;

pub use csv_out::{incidents_csv, LogCsv};
pub use font::{font_choice, font_path, FontChoice, FONT_ENV};
pub use incidents::incidents_pdf;
pub use patrol::{patrol_pdf, PDF_LOG_LIMIT};

/// The language of every fixed label of a report (titles, column headers, page numbers).
///
/// Data (names, notes, the localised exception kinds) is printed as the caller gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Language {
    /// Simplified Chinese, the first language of the product.
    #[default]
    Zh,
    /// English.
    En,
}

/// What stands at the top of every report: whose, what, which period, and its sign-off state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportHeader {
    /// The hospital's name, e.g. "市第一人民医院".
    pub hospital: String,
    /// The report's title; when empty, the standard title of the report in its language is used.
    pub title: String,
    /// The period covered, e.g. "2026-11-30 夜班 20:00–08:00" or "2026-11-01 – 2026-11-30".
    pub range: String,
    /// The time zone every time in the report is given in, e.g. "Asia/Shanghai (UTC+8)".
    pub time_zone: String,
    /// The supervisor responsible for the period, when known.
    pub supervisor: Option<String>,
    /// When the supervisor signed the period off, already formatted in local time.
    pub signed_at: Option<String>,
    /// Whether the data changed after the sign-off (the report then differs from what was signed).
    pub changed_since_signoff: bool,
    /// When the report was generated, already formatted in local time.
    pub generated_at: String,
    /// Who generated the report (operator name or workstation).
    pub generated_by: String,
    /// The language of the fixed labels.
    pub language: Language,
}

/// Patrol totals over the report's period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    /// Checkpoint visits the schedule expected.
    pub expected: u64,
    /// Expected visits made inside their window.
    pub on_time: u64,
    /// Expected visits made before their window opened.
    pub early: u64,
    /// Expected visits made after their window closed.
    pub late: u64,
    /// Expected visits never made.
    pub missed: u64,
    /// Visits made out of the route's order.
    pub out_of_order: u64,
    /// Check-ins flagged as suspicious (clock skew, impossible walking speed, …).
    pub suspicious: u64,
    /// Check-ins entered by hand instead of read from a tag.
    pub manual: u64,
    /// All check-ins received, expected or not.
    pub check_ins: u64,
    /// Reads of tags that belong to no checkpoint.
    pub unknown_tags: u64,
}

impl Totals {
    /// Compliance over the period: `on_time / expected`, `None` when nothing was expected.
    pub fn compliance(&self) -> Option<f64> {
        ratio(self.on_time, self.expected)
    }
}

/// One line of a compliance table: per guard, route, shift or day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplianceLine {
    /// Guard name, route name, shift or day.
    pub label: String,
    /// Secondary text: badge, building, shift times, weekday, …
    pub sub: String,
    /// Visits expected.
    pub expected: u64,
    /// Visits made on time.
    pub on_time: u64,
    /// Visits made late.
    pub late: u64,
    /// Visits missed.
    pub missed: u64,
}

impl ComplianceLine {
    /// `on_time / expected`, `None` when nothing was expected.
    pub fn compliance(&self) -> Option<f64> {
        ratio(self.on_time, self.expected)
    }
}

/// One patrol exception (missed, late, suspicious or manual visit) with its explanation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExceptionLine {
    /// When it happened (or when the missed window closed).
    pub at: String,
    /// The kind, already localised: 漏检 missed / 迟到 late / 可疑 suspicious / 人工 manual.
    pub kind: String,
    /// The guard concerned.
    pub guard: String,
    /// The route.
    pub route: String,
    /// The checkpoint.
    pub checkpoint: String,
    /// What exactly was wrong, e.g. "迟到 12 分钟".
    pub detail: String,
    /// The supervisor's or guard's explanation, when given.
    pub explanation: Option<String>,
    /// Who gave the explanation.
    pub explained_by: Option<String>,
}

/// One check-in of the patrol log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// When the server received it.
    pub received: String,
    /// The time the reading device reported.
    pub device_time: String,
    /// Guard name.
    pub guard: String,
    /// Guard badge number.
    pub badge: String,
    /// Route name.
    pub route: String,
    /// Checkpoint name.
    pub checkpoint: String,
    /// Tag identifier read.
    pub tag: String,
    /// How it was read: handheld nfc / qr / wand / manual.
    pub source: String,
    /// Outcome, e.g. on time / late / unexpected.
    pub outcome: String,
    /// Flags, e.g. suspicious / out of order.
    pub flags: String,
    /// Row identifier in the store.
    pub id: String,
}

/// Everything the patrol report shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatrolReport {
    /// Header block.
    pub header: ReportHeader,
    /// Totals over the period.
    pub totals: Totals,
    /// Compliance per day (also drawn as a bar chart when there are two days or more).
    pub by_day: Vec<ComplianceLine>,
    /// Compliance per guard (also drawn as a bar chart).
    pub by_guard: Vec<ComplianceLine>,
    /// Compliance per route.
    pub by_route: Vec<ComplianceLine>,
    /// Compliance per shift.
    pub by_shift: Vec<ComplianceLine>,
    /// Exceptions with explanations.
    pub exceptions: Vec<ExceptionLine>,
    /// The check-in log. Printed only up to [`PDF_LOG_LIMIT`] rows; a longer log is replaced
    /// by a line pointing to the CSV export, so the caller may leave this empty and set
    /// [`PatrolReport::log_count`] instead.
    pub log: Vec<LogLine>,
    /// The number of check-ins in the full log when `log` was not filled (too many to print);
    /// `None` means `log` is the full log.
    pub log_count: Option<u64>,
}

/// One incident (an alarm and how it was handled).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentLine {
    /// When it was opened.
    pub opened: String,
    /// The alarm point's name.
    pub point: String,
    /// Building and floor, e.g. "门诊楼 3F".
    pub building_floor: String,
    /// Alarm type, already localised.
    pub alarm_type: String,
    /// Priority, 1 most urgent.
    pub priority: u8,
    /// Who acknowledged it.
    pub acknowledged_by: Option<String>,
    /// Seconds from opening to acknowledgement.
    pub ack_seconds: Option<i64>,
    /// Seconds from opening to a guard reporting on scene (the response time).
    pub on_scene_seconds: Option<i64>,
    /// Who closed it.
    pub closed_by: Option<String>,
    /// Closing category, already localised (false alarm, intervention, …).
    pub category: Option<String>,
    /// The closing note.
    pub closing_note: Option<String>,
    /// Row identifier in the store.
    pub id: String,
}

/// Everything the incident report shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentReport {
    /// Header block.
    pub header: ReportHeader,
    /// The response-time target in seconds (300: a guard on scene within five minutes).
    pub target_seconds: i64,
    /// The incidents of the period, in the order to print.
    pub incidents: Vec<IncidentLine>,
}

/// Why a report could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// No usable CJK font was found.
    #[error("no CJK font found for the PDF report; looked for: {looked_for}")]
    FontNotFound {
        /// What was looked for, in order.
        looked_for: String,
    },
    /// A font file exists but cannot be used.
    #[error("font {path} cannot be used: {reason}")]
    FontUnusable {
        /// The font file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The PDF writer failed.
    #[error("PDF could not be written: {0}")]
    Pdf(String),
    /// Writing CSV failed.
    #[error("CSV could not be written: {0}")]
    Csv(#[from] csv::Error),
    /// Reading a font or writing output failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// `num / den` as a fraction, `None` when `den` is zero.
fn ratio(num: u64, den: u64) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}
