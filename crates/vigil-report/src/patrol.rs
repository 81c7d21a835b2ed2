//! The patrol report as PDF: was every round walked?
//!
//! Page 1 opens with the header block and the totals; then come the charts (compliance per day
//! when the period has two days or more, compliance per guard), the compliance tables by guard,
//! route, shift and day, the exceptions with their explanations, the check-in log when it has at
//! most [`PDF_LOG_LIMIT`] rows (else a line pointing to the CSV export), and the signature line.

use crate::blocks::{self, pct};
use crate::font::FontData;
use crate::labels::{self, Label};
use crate::layout::{compliance_color, Bar, Canvas, Cell, Col, Row, BAD, BAD_FILL, BLACK, GREY, WARN};
use crate::render::write_pdf;
use crate::{ComplianceLine, PatrolReport, ReportError};

/// The most check-in rows the PDF prints; a longer log is left to the CSV export.
pub const PDF_LOG_LIMIT: usize = 2_000;

/// Guards shown from each end of the ranking when there are more than twice as many.
const GUARDS_EACH_END: usize = 10;

/// Renders the patrol report as an A4 PDF.
pub fn patrol_pdf(r: &PatrolReport) -> Result<Vec<u8>, ReportError> {
    let font = FontData::load()?;
    let m = font.metrics()?;
    let h = &r.header;
    let lang = h.language;
    let report_title = blocks::title(h, labels::PATROL_TITLE);
    let mut cv = Canvas::new(&m, lang, blocks::running(h, &report_title));
    blocks::header_block(&mut cv, h, &report_title);

    // Totals.
    cv.section(labels::TOTALS.get(lang), 60.0);
    let t = &r.totals;
    let compliance = t.compliance();
    let n = |v: u64| v.to_string();
    let bad_if = |v: u64| if v > 0 { BAD } else { BLACK };
    let warn_if = |v: u64| if v > 0 { WARN } else { BLACK };
    let tiles = [
        (labels::COMPLIANCE, pct(compliance), compliance.map_or(GREY, |c| compliance_color(c as f32))),
        (labels::EXPECTED, n(t.expected), BLACK),
        (labels::ON_TIME, n(t.on_time), BLACK),
        (labels::EARLY, n(t.early), warn_if(t.early)),
        (labels::LATE, n(t.late), warn_if(t.late)),
        (labels::MISSED, n(t.missed), bad_if(t.missed)),
        (labels::OUT_OF_ORDER, n(t.out_of_order), warn_if(t.out_of_order)),
        (labels::SUSPICIOUS, n(t.suspicious), bad_if(t.suspicious)),
        (labels::MANUAL, n(t.manual), warn_if(t.manual)),
        (labels::CHECK_INS, n(t.check_ins), BLACK),
        (labels::UNKNOWN_TAGS, n(t.unknown_tags), warn_if(t.unknown_tags)),
        (labels::EXCEPTIONS_COUNT, n(r.exceptions.len() as u64), BLACK),
    ]
    .map(|(l, v, c)| (l.get(lang).to_string(), v, c));
    cv.tiles(&tiles, 6);

    // Charts.
    if r.by_day.len() >= 2 {
        cv.section(labels::CHART_PER_DAY.get(lang), 150.0);
        let bars: Vec<Bar> = r.by_day.iter().map(|d| bar(d, false)).collect();
        cv.column_chart(&bars);
    }
    if !r.by_guard.is_empty() {
        let mut ranked: Vec<&ComplianceLine> = r.by_guard.iter().collect();
        ranked.sort_by(|a, b| {
            let key = |l: &ComplianceLine| l.compliance().unwrap_or(-1.0);
            key(b).total_cmp(&key(a)).then_with(|| a.label.cmp(&b.label))
        });
        let mut title = labels::CHART_PER_GUARD.get(lang).to_string();
        let (shown, gap): (Vec<&ComplianceLine>, _) = if ranked.len() > 2 * GUARDS_EACH_END {
            title.push_str(&labels::top_bottom(lang, GUARDS_EACH_END, ranked.len()));
            let left_out = ranked.len() - 2 * GUARDS_EACH_END;
            let mut v = ranked[..GUARDS_EACH_END].to_vec();
            v.extend_from_slice(&ranked[ranked.len() - GUARDS_EACH_END..]);
            (v, Some((GUARDS_EACH_END, labels::omitted(lang, left_out))))
        } else {
            (ranked, None)
        };
        cv.section(&title, 60.0);
        let bars: Vec<Bar> = shown.iter().map(|l| bar(l, true)).collect();
        cv.bar_chart(&bars, gap);
    }

    // Compliance tables.
    let tables: [(Label, Label, Label, &Vec<ComplianceLine>); 4] = [
        (labels::BY_GUARD, labels::GUARD, labels::BADGE, &r.by_guard),
        (labels::BY_ROUTE, labels::ROUTE, labels::BUILDING, &r.by_route),
        (labels::BY_SHIFT, labels::SHIFT, labels::SHIFT_TIMES, &r.by_shift),
        (labels::BY_DAY, labels::DAY, labels::WEEKDAY, &r.by_day),
    ];
    for (title, label, sub, lines) in tables {
        if lines.is_empty() {
            continue;
        }
        let title = title.get(lang);
        // Keep the title with the header row and up to two rows.
        cv.section(title, 18.0 + 15.0 * lines.len().min(2) as f32);
        let cols = [
            Col::new(label.get(lang), 3.0).lines(2),
            Col::new(sub.get(lang), 2.4).lines(2),
            Col::new(labels::EXPECTED.get(lang), 1.1).right(),
            Col::new(labels::ON_TIME.get(lang), 1.1).right(),
            Col::new(labels::LATE.get(lang), 1.1).right(),
            Col::new(labels::MISSED.get(lang), 1.1).right(),
            Col::new(labels::COMPLIANCE.get(lang), 1.3).right(),
        ];
        let rows = lines.iter().map(|l| {
            let c = l.compliance();
            Row::new(vec![
                Cell::from(l.label.as_str()),
                Cell::from(l.sub.as_str()).colored(GREY),
                l.expected.to_string().into(),
                l.on_time.to_string().into(),
                Cell::from(l.late.to_string()).colored(if l.late > 0 { WARN } else { BLACK }),
                Cell::from(l.missed.to_string()).colored(if l.missed > 0 { BAD } else { BLACK }),
                Cell::from(pct(c)).colored(c.map_or(GREY, |c| compliance_color(c as f32))).bold(),
            ])
        });
        cv.table(title, &cols, 7.5, rows);
    }

    // Exceptions with explanations.
    let title = labels::EXCEPTIONS.get(lang);
    cv.section(title, 40.0);
    if r.exceptions.is_empty() {
        cv.paragraph(labels::NO_EXCEPTIONS.get(lang), 9.0, GREY, false);
    } else {
        let size = 7.5;
        let mut cols = [
            Col::new(labels::AT.get(lang), 1.0).bounds(40.0, 75.0).lines(2),
            Col::new(labels::KIND.get(lang), 1.0).bounds(26.0, 45.0).lines(2),
            Col::new(labels::GUARD.get(lang), 1.0).bounds(25.0, 55.0).lines(2),
            Col::new(labels::ROUTE.get(lang), 1.0).bounds(40.0, 70.0).lines(2),
            Col::new(labels::CHECKPOINT.get(lang), 1.0).bounds(40.0, 75.0).lines(3),
            Col::new(labels::DETAIL.get(lang), 1.0).bounds(45.0, 80.0).lines(4),
            Col::new(labels::EXPLANATION.get(lang), 1.0).bounds(120.0, 240.0).lines(8),
        ];
        let rows: Vec<Row> = r
            .exceptions
            .iter()
            .map(|e| {
                let (explanation, color) = match (&e.explanation, &e.explained_by) {
                    (Some(x), Some(by)) => (format!("{x}\n— {} {by}", labels::EXPLAINED_BY.get(lang)), BLACK),
                    (Some(x), None) => (x.clone(), BLACK),
                    (None, _) => (labels::NOT_EXPLAINED.get(lang).to_string(), BAD),
                };
                Row::new(vec![
                    e.at.as_str().into(),
                    Cell::from(e.kind.as_str()).bold(),
                    e.guard.as_str().into(),
                    e.route.as_str().into(),
                    e.checkpoint.as_str().into(),
                    e.detail.as_str().into(),
                    Cell::from(explanation).colored(color),
                ])
                .highlighted(e.explanation.is_none().then_some(BAD_FILL))
            })
            .collect();
        cv.fit_columns(&mut cols, &rows, size);
        cv.table(title, &cols, size, rows);
    }

    // The check-in log, when small enough to print.
    let title = labels::LOG.get(lang);
    cv.section(title, 40.0);
    let count = r.log_count.unwrap_or(r.log.len() as u64);
    if count as usize > PDF_LOG_LIMIT || r.log.len() > PDF_LOG_LIMIT {
        cv.paragraph(&labels::log_in_csv(lang, count, PDF_LOG_LIMIT), 9.0, BLACK, false);
    } else if r.log.is_empty() {
        cv.paragraph(labels::NO_LOG.get(lang), 9.0, GREY, false);
    } else {
        let size = 6.5;
        let mut cols = [
            Col::new(labels::RECEIVED.get(lang), 1.0).fixed(),
            Col::new(labels::DEVICE_TIME.get(lang), 1.0).fixed(),
            Col::new(labels::GUARD.get(lang), 1.0).bounds(20.0, 50.0),
            Col::new(labels::BADGE.get(lang), 1.0).bounds(20.0, 40.0),
            Col::new(labels::ROUTE.get(lang), 1.0).bounds(30.0, 80.0).lines(2),
            Col::new(labels::CHECKPOINT.get(lang), 1.0).bounds(30.0, 90.0).lines(2),
            Col::new(labels::TAG.get(lang), 1.0).bounds(20.0, 55.0),
            Col::new(labels::SOURCE.get(lang), 1.0).bounds(20.0, 48.0),
            Col::new(labels::OUTCOME.get(lang), 1.0).bounds(20.0, 40.0).lines(2),
            Col::new(labels::FLAGS.get(lang), 1.0).bounds(20.0, 45.0).lines(2),
            Col::new(labels::ID.get(lang), 1.0).bounds(40.0, 60.0).keep_end(),
        ];
        let rows: Vec<Row> = r
            .log
            .iter()
            .map(|l| {
                Row::new(
                    [
                        &l.received,
                        &l.device_time,
                        &l.guard,
                        &l.badge,
                        &l.route,
                        &l.checkpoint,
                        &l.tag,
                        &l.source,
                        &l.outcome,
                        &l.flags,
                        &l.id,
                    ]
                    .into_iter()
                    .map(|s| Cell::from(s.as_str()))
                    .collect(),
                )
            })
            .collect();
        cv.fit_columns(&mut cols, &rows, size);
        cv.table(title, &cols, size, rows);
    }

    let statement = labels::patrol_statement(
        lang,
        &h.range,
        [t.expected, t.on_time, t.late, t.missed],
        &pct(compliance),
        r.exceptions.len(),
    );
    blocks::signature(&mut cv, h, &statement);
    let pages = cv.into_pages();
    write_pdf(&font, &m, &pages, &blocks::footer(h), &title_for_meta(&h.hospital, &report_title))
}

/// A bar for one compliance line; guards' bars show the counts beside the percentage.
fn bar(l: &ComplianceLine, counts: bool) -> Bar {
    let c = l.compliance();
    let text = if counts { format!("{} ({}/{})", pct(c), l.on_time, l.expected) } else { pct(c) };
    let label = if counts && !l.sub.is_empty() { format!("{} {}", l.label, l.sub) } else { l.label.clone() };
    Bar { label, value: c.map(|c| c as f32), text }
}

/// The PDF's document title.
pub(crate) fn title_for_meta(hospital: &str, title: &str) -> String {
    if hospital.is_empty() {
        title.to_string()
    } else {
        format!("{hospital} {title}")
    }
}
