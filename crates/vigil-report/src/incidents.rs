//! The incident report as PDF: was every alarm answered, and how fast?
//!
//! Page 1 opens with the header block and a summary (counts, median and 90th-percentile times,
//! the share of incidents with a guard on scene within the target), then a histogram of the
//! acknowledgement and on-scene times in one-minute bins with the target drawn as a dashed line,
//! then every incident, and the signature line.

use crate::blocks::{self, duration, pct};
use crate::font::FontData;
use crate::labels;
use crate::layout::{Canvas, Cell, Col, Row, ACCENT, BAD, BAD_FILL, BLACK, GOOD, GREY, SECOND};
use crate::patrol::title_for_meta;
use crate::render::write_pdf;
use crate::{IncidentReport, ReportError};

/// Renders the incident report as an A4 PDF.
pub fn incidents_pdf(r: &IncidentReport) -> Result<Vec<u8>, ReportError> {
    let font = FontData::load()?;
    let m = font.metrics()?;
    let h = &r.header;
    let lang = h.language;
    let report_title = blocks::title(h, labels::INCIDENT_TITLE);
    let mut cv = Canvas::new(&m, lang, blocks::running(h, &report_title));
    blocks::header_block(&mut cv, h, &report_title);
    let target = r.target_seconds.max(1);

    // Summary.
    let acks: Vec<i64> = r.incidents.iter().filter_map(|i| i.ack_seconds).collect();
    let scenes: Vec<i64> = r.incidents.iter().filter_map(|i| i.on_scene_seconds).collect();
    let unacked = r.incidents.iter().filter(|i| i.acknowledged_by.is_none() && i.ack_seconds.is_none()).count();
    let within = scenes.iter().filter(|s| **s <= target).count();
    let over = scenes.len() - within;
    let share = (!scenes.is_empty()).then(|| within as f64 / scenes.len() as f64);
    let no_scene = r.incidents.len() - scenes.len();
    let count = |n: usize, bad: bool| (n.to_string(), if bad && n > 0 { BAD } else { BLACK });
    let over_target = |v: Option<i64>| if v.is_some_and(|v| v > target) { BAD } else { BLACK };
    let tiles = [
        (labels::INCIDENT_COUNT, count(r.incidents.len(), false)),
        (labels::ACKNOWLEDGED, count(r.incidents.len() - unacked, false)),
        (labels::UNACKNOWLEDGED, count(unacked, true)),
        (labels::MEDIAN_ACK, (duration(quantile(&acks, 0.5)), BLACK)),
        (labels::TARGET, (duration(Some(target)), GREY)),
        (labels::MEDIAN_ON_SCENE, (duration(quantile(&scenes, 0.5)), over_target(quantile(&scenes, 0.5)))),
        (labels::P90_ON_SCENE, (duration(quantile(&scenes, 0.9)), over_target(quantile(&scenes, 0.9)))),
        (labels::ON_SCENE_WITHIN, (pct(share), share.map_or(GREY, |s| if s < 1.0 { BAD } else { GOOD }))),
        (labels::OVER_TARGET, count(over, true)),
        (labels::NO_ON_SCENE, count(no_scene, false)),
    ]
    .map(|(l, (v, c))| (l.get(lang).to_string(), v, c));
    cv.section(labels::INCIDENT_SUMMARY.get(lang), 60.0);
    cv.tiles(&tiles, 5);

    // Response-time histogram.
    let minutes = labels::MINUTES_SHORT.get(lang);
    let (open, close) = match lang {
        crate::Language::Zh => ("（", "）"),
        crate::Language::En => (" (", ")"),
    };
    let title = format!(
        "{}{open}{} {} {minutes}{close}",
        labels::CHART_RESPONSE.get(lang),
        labels::TARGET.get(lang).to_lowercase(),
        fmt_minutes(target)
    );
    cv.section(&title, 170.0);
    let bins_n = ((2 * target + 59) / 60).clamp(10, 20) as usize;
    let mut bins: Vec<String> = (0..bins_n).map(|i| format!("{i}–{}", i + 1)).collect();
    bins.push(format!(">{bins_n}"));
    let histogram = |v: &[i64]| {
        let mut counts = vec![0u64; bins_n + 1];
        for s in v {
            let bin = (s.max(&0) / 60) as usize;
            counts[bin.min(bins_n)] += 1;
        }
        counts
    };
    let series = [
        (labels::ACK_TIME.get(lang).to_string(), ACCENT, histogram(&acks)),
        (labels::ON_SCENE_TIME.get(lang).to_string(), SECOND, histogram(&scenes)),
    ];
    let target_label = format!("{} {} {minutes}", labels::TARGET.get(lang), fmt_minutes(target));
    let x_label = labels::RESPONSE_MINUTES.get(lang);
    cv.histogram(&bins, &series, (target as f32 / 60.0, target_label), labels::COUNT.get(lang), x_label);

    // The incidents.
    let title = labels::INCIDENTS.get(lang);
    cv.section(title, 40.0);
    if r.incidents.is_empty() {
        cv.paragraph(labels::NO_INCIDENTS.get(lang), 9.0, GREY, false);
    } else {
        let size = 7.5;
        let mut cols = [
            Col::new(labels::OPENED.get(lang), 1.0).bounds(40.0, 80.0).lines(2).fixed(),
            Col::new(labels::POINT.get(lang), 1.0).bounds(50.0, 105.0).lines(3),
            Col::new(labels::ALARM_TYPE.get(lang), 1.0).bounds(30.0, 60.0).lines(2),
            Col::new(labels::PRIORITY_SHORT.get(lang), 1.0).bounds(14.0, 22.0).center(),
            Col::new(labels::ACK_BY.get(lang), 1.0).bounds(30.0, 55.0).lines(2),
            Col::new(labels::ACK_TIME.get(lang), 1.0).bounds(28.0, 45.0).right(),
            Col::new(labels::ON_SCENE_TIME.get(lang), 1.0).bounds(28.0, 45.0).right(),
            Col::new(labels::CLOSED_BY.get(lang), 1.0).bounds(30.0, 55.0).lines(2),
            Col::new(labels::CATEGORY.get(lang), 1.0).bounds(30.0, 60.0).lines(2),
            Col::new(labels::CLOSING_NOTE.get(lang), 1.0).bounds(90.0, 190.0).lines(6),
        ];
        let none = blocks::none(lang);
        let rows: Vec<Row> = r
            .incidents
            .iter()
            .map(|i| {
                let point = if i.building_floor.is_empty() {
                    i.point.clone()
                } else {
                    format!("{}\n{}", i.point, i.building_floor)
                };
                let unacked = i.acknowledged_by.is_none() && i.ack_seconds.is_none();
                Row::new(vec![
                    i.opened.as_str().into(),
                    point.into(),
                    i.alarm_type.as_str().into(),
                    Cell::from(i.priority.to_string()).colored(if i.priority <= 1 { BAD } else { BLACK }),
                    Cell::from(i.acknowledged_by.as_deref().unwrap_or(labels::UNACKNOWLEDGED.get(lang)))
                        .colored(if unacked { BAD } else { BLACK }),
                    duration(i.ack_seconds).into(),
                    Cell::from(duration(i.on_scene_seconds)).colored(over_target(i.on_scene_seconds)),
                    i.closed_by.as_deref().unwrap_or(none).into(),
                    i.category.as_deref().unwrap_or(none).into(),
                    i.closing_note.as_deref().unwrap_or("").into(),
                ])
                .highlighted(unacked.then_some(BAD_FILL))
            })
            .collect();
        cv.fit_columns(&mut cols, &rows, size);
        cv.table(title, &cols, size, rows);
    }

    let statement = labels::incident_statement(lang, &h.range, r.incidents.len(), unacked, &pct(share));
    blocks::signature(&mut cv, h, &statement);
    let pages = cv.into_pages();
    write_pdf(&font, &m, &pages, &blocks::footer(h), &title_for_meta(&h.hospital, &report_title))
}

/// Seconds as whole minutes when they are, else with one decimal.
fn fmt_minutes(secs: i64) -> String {
    if secs.rem_euclid(60) == 0 {
        (secs / 60).to_string()
    } else {
        format!("{:.1}", secs as f64 / 60.0)
    }
}

/// The `q` quantile (nearest rank) of `values`, `None` when empty.
fn quantile(values: &[i64], q: f64) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_unstable();
    let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
    Some(v[rank - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_by_nearest_rank() {
        assert_eq!(quantile(&[], 0.5), None);
        assert_eq!(quantile(&[30, 10, 20], 0.5), Some(20));
        assert_eq!(quantile(&(1..=10).collect::<Vec<_>>(), 0.9), Some(9));
        assert_eq!(fmt_minutes(300), "5");
        assert_eq!(fmt_minutes(270), "4.5");
    }
}
