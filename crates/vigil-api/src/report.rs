//! The patrol and incident reports of a shift or a date range, as CSV and PDF: the review's own
//! figures (the same evaluation), filled into `vigil-report`'s models. Used by `vigil export` and
//! the review screen's export buttons.

use std::collections::HashMap;

use vigil_domain::patrol::{normalize_tag, Outcome};
use vigil_domain::schedule::{Shift, ShiftKind};
use vigil_domain::Id;
use vigil_report::{
    ComplianceLine, ExceptionLine, IncidentLine, IncidentReport, Language, LogLine, PatrolReport, ReportHeader, Totals,
};
use vigil_store::Store;

use crate::patrol::{local_time, shift_label, Compliance, ExceptionKind, PatrolSite, ShiftReview};
use crate::session::{Need, SessionToken};
use crate::{ApiError, ErrorCode, Workstation};

/// What a report covers.
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
pub struct ReportRange {
    #[ts(type = "number")]
    pub from: i64,
    #[ts(type = "number")]
    pub to: i64,
    /// As the header prints it.
    pub label: String,
    /// When the range is one shift.
    pub shift: Option<Shift>,
}

fn language(zh: bool) -> Language {
    if zh {
        Language::Zh
    } else {
        Language::En
    }
}

fn line(c: &Compliance) -> ComplianceLine {
    ComplianceLine {
        label: c.label.clone(),
        sub: c.sub.clone(),
        expected: u64::from(c.expected),
        on_time: u64::from(c.on_time),
        late: u64::from(c.late + c.early),
        missed: u64::from(c.missed),
    }
}

/// An outcome as settled (`on_time` …), in the report's language.
fn outcome_label(name: &str, zh: bool) -> &'static str {
    let o = match name {
        "on_time" => Outcome::OnTime,
        "early" => Outcome::Early,
        "late" => Outcome::Late,
        "out_of_order" => Outcome::OutOfOrder,
        _ => Outcome::Missed,
    };
    outcome_text(o, zh)
}

fn outcome_text(o: Outcome, zh: bool) -> &'static str {
    match (o, zh) {
        (Outcome::OnTime, true) => "准时",
        (Outcome::OnTime, false) => "on time",
        (Outcome::Early, true) => "早到",
        (Outcome::Early, false) => "early",
        (Outcome::Late, true) => "迟到",
        (Outcome::Late, false) => "late",
        (Outcome::Missed, true) => "漏检",
        (Outcome::Missed, false) => "missed",
        (Outcome::OutOfOrder, true) => "顺序错误",
        (Outcome::OutOfOrder, false) => "out of order",
    }
}

impl Workstation {
    /// A shift (`2026-11-30/night`) or local dates `from` to `to` (both included).
    pub fn report_range(&self, from: &str, to: Option<&str>) -> Result<ReportRange, ApiError> {
        if from.contains('/') {
            let shift = self.parse_shift(from)?;
            return Ok(ReportRange {
                from: shift.start,
                to: shift.end,
                label: shift_label(&shift, true),
                shift: Some(shift),
            });
        }
        let tz = self.settings().patrol.zone();
        let day = |text: &str, field: &str| -> Result<jiff::civil::Date, ApiError> {
            text.trim().parse().map_err(|_| ApiError::field(ErrorCode::Invalid, field, "a date is YYYY-MM-DD"))
        };
        let first = day(from, "from")?;
        let last = match to {
            Some(t) => day(t, "to")?,
            None => first,
        };
        if last < first {
            return Err(ApiError::field(ErrorCode::Invalid, "to", "the last day comes after the first"));
        }
        let start = |d: jiff::civil::Date| -> Result<i64, ApiError> {
            tz.to_timestamp(d.at(0, 0, 0, 0))
                .map(|t| t.as_millisecond())
                .map_err(|e| ApiError::field(ErrorCode::Invalid, "from", e.to_string()))
        };
        let after = last.tomorrow().map_err(|e| ApiError::field(ErrorCode::Invalid, "to", e.to_string()))?;
        Ok(ReportRange { from: start(first)?, to: start(after)?, label: format!("{first} – {last}"), shift: None })
    }

    fn range_shift(range: &ReportRange) -> Shift {
        range.shift.clone().unwrap_or_else(|| Shift {
            key: range.label.clone(),
            date: range.label.clone(),
            kind: ShiftKind::Day,
            start: range.from,
            end: range.to,
        })
    }

    fn header(
        &self,
        range: &ReportRange,
        review: Option<&ShiftReview>,
        zh: bool,
        by: &str,
    ) -> Result<ReportHeader, ApiError> {
        let p = &self.settings().patrol;
        let tz = p.zone();
        let hospital = self
            .store()
            .sites()?
            .first()
            .map(|s| if zh { s.name.zh.clone() } else { s.name.en.clone() })
            .unwrap_or_default();
        let signed = review.and_then(|r| r.sign_offs.last());
        Ok(ReportHeader {
            hospital,
            title: String::new(),
            range: range.shift.as_ref().map_or_else(|| range.label.clone(), |s| shift_label(s, zh)),
            time_zone: p.time_zone.clone(),
            supervisor: signed.map(|s| s.by.clone()),
            signed_at: signed.map(|s| local_time(&tz, s.at)),
            changed_since_signoff: review.is_some_and(|r| r.changed_since_sign_off),
            generated_at: local_time(&tz, Store::now_ms()),
            generated_by: by.to_owned(),
            language: language(zh),
        })
    }

    /// The patrol report's model of a range (its log only when it fits the PDF).
    pub fn patrol_report(&self, range: &ReportRange, zh: bool, by: &str) -> Result<PatrolReport, ApiError> {
        let review = self.review(Self::range_shift(range), true)?;
        let mut totals = Totals {
            expected: u64::from(review.totals.expected),
            on_time: u64::from(review.totals.on_time),
            early: u64::from(review.totals.early),
            late: u64::from(review.totals.late),
            missed: u64::from(review.totals.missed),
            check_ins: u64::from(review.check_ins),
            ..Totals::default()
        };
        for e in &review.exceptions {
            match e.kind {
                ExceptionKind::Suspicious => totals.suspicious += 1,
                ExceptionKind::Manual => totals.manual += 1,
                ExceptionKind::UnknownTag => totals.unknown_tags += 1,
                ExceptionKind::OutOfOrder => totals.out_of_order += 1,
                _ => {}
            }
        }
        let tz = self.settings().patrol.zone();
        let exceptions = review
            .exceptions
            .iter()
            .map(|e| ExceptionLine {
                at: local_time(&tz, e.at),
                kind: e.kind.label(zh).to_owned(),
                guard: e.guard.clone().unwrap_or_default(),
                route: e.route.clone().unwrap_or_default(),
                checkpoint: e.checkpoint.clone().unwrap_or_default(),
                detail: e.detail.clone(),
                explanation: e.explanation.clone(),
                explained_by: e.explained_by.clone(),
            })
            .collect();
        let mut log = Vec::new();
        let count = u64::from(review.check_ins);
        if count as usize <= vigil_report::PDF_LOG_LIMIT {
            self.each_log_line(range, zh, |l| {
                log.push(l);
                Ok(())
            })?;
        }
        let by_shift = if range.shift.is_some() { Vec::new() } else { self.by_shift(range)? };
        Ok(PatrolReport {
            header: self.header(range, Some(&review), zh, by)?,
            totals,
            by_day: review.by_day.iter().map(line).collect(),
            by_guard: review.by_guard.iter().map(line).collect(),
            by_route: review.by_route.iter().map(line).collect(),
            by_shift,
            exceptions,
            log,
            log_count: Some(count),
        })
    }

    /// Compliance per shift of a range longer than one shift.
    fn by_shift(&self, range: &ReportRange) -> Result<Vec<ComplianceLine>, ApiError> {
        let mut out = Vec::new();
        let mut at = range.from;
        while at < range.to && out.len() < 200 {
            let shift = self.shift_of(at);
            let r = self.review(shift.clone(), false)?;
            out.push(line(&Compliance { label: shift.key.clone(), ..r.totals }));
            at = shift.end;
        }
        Ok(out)
    }

    /// Every check-in of the range as a log line, oldest first, with its outcome in its round.
    fn each_log_line(
        &self,
        range: &ReportRange,
        zh: bool,
        mut each: impl FnMut(LogLine) -> Result<(), ApiError>,
    ) -> Result<u64, ApiError> {
        // Rounds whose window has passed are settled (stored with each check-in's outcome); the
        // few still open (or all, on a handle that only reads) are judged now.
        self.settle_rounds(range.from, range.to, Store::now_ms())?;
        let store = self.store();
        let site = PatrolSite::load(&store)?;
        let tz = self.settings().patrol.zone();
        let (settled, _) = crate::patrol_settle::trusted_settled(self, &store, &site, range.from, range.to)?;
        let open: Vec<_> = vigil_domain::schedule::rounds(&site.schedules, &tz, range.from, range.to)
            .into_iter()
            .filter(|r| !settled.contains(&r.id))
            .collect();
        let mut live: HashMap<Id, vigil_store::SettledOutcome> = HashMap::new();
        for r in crate::patrol_settle::judge_rounds(self, &store, &site, &open)? {
            for (id, outcome, flags) in r.outcomes {
                live.insert(id, vigil_store::SettledOutcome { route: r.route, outcome, flags });
            }
        }
        let on_route: std::collections::HashSet<&str> =
            site.routes.iter().flat_map(|r| r.legs.iter().map(|l| l.tag.as_str())).collect();
        // Labels made once, not once per line of a month's two million.
        let labels: HashMap<&str, String> = site
            .checkpoints
            .values()
            .map(|cp| (cp.tag.as_str(), format!("{} {}", cp.code, if zh { &cp.name_zh } else { &cp.name_en })))
            .collect();
        let route_names: HashMap<Id, String> = site.defs.iter().map(|(id, d)| (*id, d.name.clone())).collect();
        let n = store.for_each_check_in_settled(range.from, range.to, |r, settled| {
            let c = &r.record;
            let tag = normalize_tag(&c.tag);
            // A live judgement (a round not settled, or settled before a later check-in) comes first.
            let counted = live.get(&c.check_in).cloned().or(settled);
            let (result, route, mut flags) = match &counted {
                Some(o) => (
                    outcome_label(&o.outcome, zh).to_owned(),
                    route_names.get(&o.route).cloned().unwrap_or_default(),
                    o.flags.clone(),
                ),
                None if !on_route.contains(tag.as_str()) => {
                    ((if zh { "未知标签" } else { "unknown tag" }).to_owned(), String::new(), String::new())
                }
                None => (
                    (if zh {
                        "不计入轮次（重复或不在窗口内）"
                    } else {
                        "not counted (a repeat, or outside every window)"
                    })
                    .to_owned(),
                    String::new(),
                    String::new(),
                ),
            };
            if let Some(clock) = &r.clock {
                if !flags.contains("clock") {
                    flags = format!("{flags} clock_{clock}").trim().to_owned();
                }
            }
            let source = match (c.source, c.method) {
                (vigil_domain::patrol::Source::Manual, _) => {
                    if zh { "人工（对讲机）" } else { "manual (radio)" }.to_owned()
                }
                (vigil_domain::patrol::Source::Wand, _) => if zh { "巡更棒" } else { "wand" }.to_owned(),
                (_, m) => format!("{m:?}").to_lowercase(),
            };
            each(LogLine {
                received: local_time(&tz, c.received),
                device_time: local_time(&tz, c.device_time),
                guard: site.guards.get(&c.guard).cloned().unwrap_or_else(|| c.guard.clone()),
                badge: c.guard.clone(),
                route,
                checkpoint: labels.get(tag.as_str()).cloned().unwrap_or_else(|| c.tag.clone()),
                tag: c.tag.clone(),
                source,
                outcome: result,
                flags,
                id: c.check_in.to_string(),
            })
            .map_err(|e| vigil_store::StoreError::Invalid(e.message))
        })?;
        Ok(n)
    }

    pub fn export_patrol_csv(&self, range: &ReportRange, zh: bool) -> Result<Vec<u8>, ApiError> {
        self.export_patrol_csv_to(range, zh, Vec::new())
    }

    /// The range's patrol log as CSV, written line by line to `out` (a month is hundreds of MB).
    pub fn export_patrol_csv_to<W: std::io::Write>(
        &self,
        range: &ReportRange,
        zh: bool,
        out: W,
    ) -> Result<W, ApiError> {
        let fail = |e: vigil_report::ReportError| ApiError::new(ErrorCode::Storage, e.to_string());
        let mut csv = vigil_report::LogCsv::new(out, language(zh)).map_err(fail)?;
        self.each_log_line(range, zh, |l| csv.line(&l).map_err(fail))?;
        csv.finish().map_err(fail)
    }

    pub fn export_patrol_pdf(&self, range: &ReportRange, zh: bool, by: &str) -> Result<Vec<u8>, ApiError> {
        let report = self.patrol_report(range, zh, by)?;
        vigil_report::patrol_pdf(&report).map_err(|e| ApiError::new(ErrorCode::Storage, e.to_string()))
    }

    fn incident_report(&self, range: &ReportRange, zh: bool, by: &str) -> Result<IncidentReport, ApiError> {
        // A shift's own review: its header says whether anything changed since it was signed.
        let review = range.shift.as_ref().map(|s| self.review(s.clone(), true)).transpose()?;
        let tz = self.settings().patrol.zone();
        let responses = {
            let store = self.store();
            self.incident_responses(&store, range.from, range.to)?
        };
        let places = {
            let store = self.store();
            store
                .incidents_opened(range.from, range.to)?
                .into_iter()
                .map(|s| (s.incident.id, s.device_id))
                .collect::<HashMap<_, _>>()
        };
        let devices = self.store().point_list()?;
        let by_id: HashMap<Id, &vigil_store::PointRow> = devices.iter().map(|d| (d.id, d)).collect();
        let incidents = responses
            .into_iter()
            .map(|i| {
                let place = places.get(&i.incident).copied().flatten().and_then(|d| by_id.get(&d));
                IncidentLine {
                    opened: local_time(&tz, i.opened_at),
                    point: place.map_or_else(|| i.point.clone(), |p| p.code.clone()),
                    building_floor: place.map(|p| format!("{} {}", p.building, p.floor)).unwrap_or_default(),
                    alarm_type: i.alarm_type,
                    priority: i.priority,
                    acknowledged_by: i.acknowledged_by,
                    ack_seconds: i.ack_seconds,
                    on_scene_seconds: i.on_scene_seconds,
                    closed_by: i.closed_by,
                    category: i.category,
                    closing_note: i.note,
                    id: i.incident.to_string(),
                }
            })
            .collect();
        Ok(IncidentReport { header: self.header(range, review.as_ref(), zh, by)?, target_seconds: 300, incidents })
    }

    pub fn export_incidents_csv(&self, range: &ReportRange, zh: bool) -> Result<Vec<u8>, ApiError> {
        let report = self.incident_report(range, zh, "")?;
        let mut out = Vec::new();
        vigil_report::incidents_csv(&mut out, &report).map_err(|e| ApiError::new(ErrorCode::Storage, e.to_string()))?;
        Ok(out)
    }

    pub fn export_incidents_pdf(&self, range: &ReportRange, zh: bool, by: &str) -> Result<Vec<u8>, ApiError> {
        let report = self.incident_report(range, zh, by)?;
        vigil_report::incidents_pdf(&report).map_err(|e| ApiError::new(ErrorCode::Storage, e.to_string()))
    }

    /// The review screen's export: a shift's patrol or incident report, written to `path`.
    pub fn export_shift(
        &self,
        who: SessionToken,
        shift: &str,
        what: ExportKind,
        path: &std::path::Path,
        zh: bool,
    ) -> Result<u64, ApiError> {
        let actor = self.actor(who, Need::Supervisor)?;
        let range = self.report_range(shift, None)?;
        let bytes = match what {
            ExportKind::PatrolPdf => self.export_patrol_pdf(&range, zh, &actor.name)?,
            ExportKind::PatrolCsv => self.export_patrol_csv(&range, zh)?,
            ExportKind::IncidentsPdf => self.export_incidents_pdf(&range, zh, &actor.name)?,
            ExportKind::IncidentsCsv => self.export_incidents_csv(&range, zh)?,
        };
        std::fs::write(path, &bytes).map_err(|e| {
            ApiError::field(ErrorCode::Storage, "path", format!("cannot write {}: {e}", path.display()))
        })?;
        self.record_as(
            &actor.name,
            "patrol.export",
            shift,
            serde_json::json!({ "what": what, "path": path, "bytes": bytes.len() }),
        )?;
        Ok(bytes.len() as u64)
    }

    /// The review screen's export into the data directory's `exports/` folder, under the name
    /// [`ExportKind::file_name`] gives it; says where it went. A second export of the same shift
    /// replaces the first, which is what a supervisor who exported again meant.
    pub fn export_shift_to_exports(
        &self,
        who: SessionToken,
        shift: &str,
        what: ExportKind,
        zh: bool,
    ) -> Result<Exported, ApiError> {
        let dir = self.dir().join("exports");
        std::fs::create_dir_all(&dir)
            .map_err(|e| ApiError::new(ErrorCode::Storage, format!("cannot create {}: {e}", dir.display())))?;
        let path = dir.join(what.file_name(shift));
        let bytes = self.export_shift(who, shift, what, &path, zh)?;
        Ok(Exported { path: path.display().to_string(), bytes })
    }
}

/// Which file the review screen exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ExportKind {
    PatrolPdf,
    PatrolCsv,
    IncidentsPdf,
    IncidentsCsv,
}

impl ExportKind {
    /// The file a shift's export is written to, e.g. `2026-12-01-day-patrol.pdf` for the shift
    /// `2026-12-01/day`. Anything but letters, digits, `-` and `_` in the shift's name becomes `-`,
    /// so the name never leaves the folder it is written to.
    pub fn file_name(self, shift: &str) -> String {
        let (what, ext) = match self {
            ExportKind::PatrolPdf => ("patrol", "pdf"),
            ExportKind::PatrolCsv => ("patrol", "csv"),
            ExportKind::IncidentsPdf => ("incidents", "pdf"),
            ExportKind::IncidentsCsv => ("incidents", "csv"),
        };
        let shift: String =
            shift.chars().map(|c| if c.is_alphanumeric() || c == '-' || c == '_' { c } else { '-' }).collect();
        format!("{shift}-{what}.{ext}")
    }
}

/// Where an export was written and how large it is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct Exported {
    pub path: String,
    #[ts(type = "number")]
    pub bytes: u64,
}

#[cfg(test)]
mod tests {
    use super::ExportKind;

    #[test]
    fn an_export_is_named_after_its_shift_and_stays_in_its_folder() {
        assert_eq!(ExportKind::PatrolPdf.file_name("2026-12-01/day"), "2026-12-01-day-patrol.pdf");
        assert_eq!(ExportKind::IncidentsCsv.file_name("2026-12-01/night"), "2026-12-01-night-incidents.csv");
        let name = ExportKind::PatrolCsv.file_name("../../etc/passwd");
        assert!(!name.contains('/') && !name.contains(".."), "{name}");
    }
}
