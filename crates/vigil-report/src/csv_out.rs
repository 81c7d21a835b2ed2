//! The reports as CSV, for Excel and for whoever audits the raw data.
//!
//! * UTF-8 with a byte-order mark: without it Excel on a Chinese Windows reads the file as
//!   GBK and shows mojibake.
//! * CRLF line ends and RFC 4180 quoting, by the `csv` crate.
//! * A localised header row; every value as the caller gives it (times are not reformatted).
//! * Free-text cells (names, notes, …) that begin with `=`, `+`, `-`, `@`, tab or CR get a
//!   leading `'`, so that a note typed as `=HYPERLINK(…)` is shown as text and never run as an
//!   Excel formula ("CSV injection"). Times, ids and numbers are never touched.
//!
//! The check-in log of a month is about two million rows: [`LogCsv`] writes row by row through
//! the `csv` writer's buffer and holds nothing else.

use std::borrow::Cow;
use std::io::Write;

use crate::labels;
use crate::{IncidentReport, Language, LogLine, ReportError};

/// The UTF-8 byte-order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";

fn writer<W: Write>(mut w: W) -> Result<csv::Writer<W>, ReportError> {
    w.write_all(BOM)?;
    Ok(csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).buffer_capacity(1 << 16).from_writer(w))
}

/// A free-text value made safe to open in a spreadsheet (see the module docs).
fn text(s: &str) -> Cow<'_, str> {
    match s.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => Cow::Owned(format!("'{s}")),
        _ => Cow::Borrowed(s),
    }
}

/// The patrol check-in log as CSV, written one row at a time.
///
/// ```no_run
/// # fn rows() -> Vec<vigil_report::LogLine> { Vec::new() }
/// let file = std::fs::File::create("patrol.csv")?;
/// let mut csv = vigil_report::LogCsv::new(file, vigil_report::Language::Zh)?;
/// for line in rows() {
///     csv.line(&line)?;
/// }
/// csv.finish()?;
/// # Ok::<(), vigil_report::ReportError>(())
/// ```
pub struct LogCsv<W: Write> {
    w: csv::Writer<W>,
    rows: u64,
}

impl<W: Write> std::fmt::Debug for LogCsv<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogCsv").field("rows", &self.rows).finish_non_exhaustive()
    }
}

impl<W: Write> LogCsv<W> {
    /// Writes the BOM and the header row in `language`. The writer buffers by itself; `w` need
    /// not be a `BufWriter`.
    pub fn new(w: W, language: Language) -> Result<Self, ReportError> {
        let mut w = writer(w)?;
        let header = [
            labels::RECEIVED,
            labels::DEVICE_TIME,
            labels::GUARD,
            labels::BADGE,
            labels::ROUTE,
            labels::CHECKPOINT,
            labels::TAG,
            labels::SOURCE,
            labels::OUTCOME,
            labels::FLAGS,
            labels::ID,
        ];
        w.write_record(header.iter().map(|l| l.get(language)))?;
        Ok(LogCsv { w, rows: 0 })
    }

    /// Writes one check-in.
    pub fn line(&mut self, l: &LogLine) -> Result<(), ReportError> {
        let row = [
            Cow::Borrowed(l.received.as_str()),
            Cow::Borrowed(l.device_time.as_str()),
            text(&l.guard),
            text(&l.badge),
            text(&l.route),
            text(&l.checkpoint),
            text(&l.tag),
            text(&l.source),
            text(&l.outcome),
            text(&l.flags),
            Cow::Borrowed(l.id.as_str()),
        ];
        self.w.write_record(row.iter().map(|c| c.as_bytes()))?;
        self.rows += 1;
        Ok(())
    }

    /// Check-ins written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Flushes everything and hands back the writer.
    pub fn finish(self) -> Result<W, ReportError> {
        let mut w = self.w.into_inner().map_err(|e| ReportError::Io(e.into_error()))?;
        w.flush()?;
        Ok(w)
    }
}

/// The incident report as CSV: one row per incident, times in seconds, plus whether the guard
/// was on scene within `target_seconds` (empty when no on-scene time was recorded).
pub fn incidents_csv<W: Write>(w: W, r: &IncidentReport) -> Result<(), ReportError> {
    let lang = r.header.language;
    let mut w = writer(w)?;
    let header = [
        labels::OPENED,
        labels::POINT,
        labels::BUILDING_FLOOR,
        labels::ALARM_TYPE,
        labels::PRIORITY,
        labels::ACK_BY,
        labels::ACK_SECONDS,
        labels::ON_SCENE_SECONDS,
        labels::WITHIN_TARGET,
        labels::CLOSED_BY,
        labels::CATEGORY,
        labels::CLOSING_NOTE,
        labels::ID,
    ];
    w.write_record(header.iter().map(|l| l.get(lang)))?;
    let num = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    let opt = |v: &Option<String>| v.as_deref().map(text).unwrap_or_default().into_owned();
    for i in &r.incidents {
        let within = match i.on_scene_seconds {
            Some(s) if s <= r.target_seconds => labels::YES.get(lang),
            Some(_) => labels::NO.get(lang),
            None => "",
        };
        w.write_record([
            i.opened.clone(),
            text(&i.point).into_owned(),
            text(&i.building_floor).into_owned(),
            text(&i.alarm_type).into_owned(),
            i.priority.to_string(),
            opt(&i.acknowledged_by),
            num(i.ack_seconds),
            num(i.on_scene_seconds),
            within.to_string(),
            opt(&i.closed_by),
            opt(&i.category),
            opt(&i.closing_note),
            i.id.clone(),
        ])?;
    }
    w.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::text;

    #[test]
    fn formula_like_text_is_neutralised() {
        assert_eq!(text("=1+1"), "'=1+1");
        assert_eq!(text("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(text("张伟"), "张伟");
        assert_eq!(text(""), "");
    }
}
