//! Blocks both reports share: the header block, the signature line, number formatting.

use crate::labels::{self, Label};
use crate::layout::{line_h, Canvas, Rgb, ACCENT, BAD, BAD_FILL, BLACK, CONTENT_W, GOOD, GREY, MARGIN_X, PAGE_W, RULE};
use crate::render::Footer;
use crate::{Language, ReportHeader};

/// The report's title: the caller's, or the standard one in the report's language.
pub fn title(h: &ReportHeader, standard: Label) -> String {
    if h.title.trim().is_empty() {
        standard.get(h.language).to_string()
    } else {
        h.title.clone()
    }
}

/// The running header of pages after the first: hospital, title, period, and the sign-off
/// state, so that a single page taken out of the report still says what it belongs to.
pub fn running(h: &ReportHeader, title: &str) -> String {
    let lang = h.language;
    let signoff = match (&h.signed_at, h.changed_since_signoff) {
        (None, _) => labels::NOT_SIGNED.get(lang).to_string(),
        (Some(at), false) => format!("{} {at}", labels::SIGNED.get(lang)),
        (Some(at), true) => {
            let (open, close) = match lang {
                Language::Zh => ("（", "）"),
                Language::En => (" (", ")"),
            };
            format!("{} {at}{open}{}{close}", labels::SIGNED.get(lang), labels::CHANGED_SHORT.get(lang))
        }
    };
    [h.hospital.as_str(), title, h.range.as_str(), signoff.as_str()]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("  ·  ")
}

/// The footer: when and by whom the report was generated.
pub fn footer(h: &ReportHeader) -> Footer {
    let lang = h.language;
    let c = labels::colon(lang);
    let mut left = format!("Vigil · {}{c}{}", labels::GENERATED.get(lang), h.generated_at);
    if !h.generated_by.is_empty() {
        left.push_str(&format!("  {}{c}{}", labels::GENERATED_BY.get(lang), h.generated_by));
    }
    Footer { left, lang }
}

/// The header block of page 1: hospital, title, period, time zone, supervisor, sign-off state,
/// and a warning box when the data changed after sign-off.
pub fn header_block(cv: &mut Canvas<'_>, h: &ReportHeader, title: &str) {
    let lang = h.language;
    let c = labels::colon(lang);
    let hospital = cv.m.fit(&h.hospital, 16.0, CONTENT_W);
    let b = cv.baseline(cv.y, 16.0);
    cv.text(MARGIN_X, b, 16.0, &hospital, BLACK, true);
    cv.y += line_h(16.0) + 2.0;
    let t = cv.m.fit(title, 13.0, CONTENT_W);
    let b = cv.baseline(cv.y, 13.0);
    cv.text(MARGIN_X, b, 13.0, &t, ACCENT, true);
    cv.y += line_h(13.0) + 4.0;

    let supervisor = h.supervisor.clone().unwrap_or_else(|| "—".to_string());
    let (signoff, signoff_color) = match &h.signed_at {
        Some(at) => (format!("{} {at}", labels::SIGNED.get(lang)), GOOD),
        None => (labels::NOT_SIGNED.get(lang).to_string(), BAD),
    };
    let items: [(Label, String, Rgb); 4] = [
        (labels::RANGE, h.range.clone(), BLACK),
        (labels::TIME_ZONE, h.time_zone.clone(), BLACK),
        (labels::SUPERVISOR, supervisor, BLACK),
        (labels::SIGNOFF, signoff, signoff_color),
    ];
    let size = 9.0;
    let col_w = CONTENT_W / 2.0;
    for pair in items.chunks(2) {
        let b = cv.baseline(cv.y, size);
        for (k, (label, value, color)) in pair.iter().enumerate() {
            let x = MARGIN_X + k as f32 * col_w;
            let key = format!("{}{c}", label.get(lang));
            let kw = cv.m.width(&key, size);
            cv.text(x, b, size, &key, GREY, false);
            let v = cv.m.fit(value, size, col_w - kw - 8.0);
            cv.text(x + kw, b, size, &v, *color, false);
        }
        cv.y += line_h(size) + 1.0;
    }
    if h.changed_since_signoff {
        cv.y += 3.0;
        let text = labels::CHANGED_SINCE_SIGNOFF.get(lang);
        let lines = cv.m.wrap(text, 9.0, CONTENT_W - 12.0, 3);
        let bh = lines.len() as f32 * line_h(9.0) + 6.0;
        cv.rect(MARGIN_X, cv.y, CONTENT_W, bh, Some(BAD_FILL), Some(BAD));
        for (n, line) in lines.iter().enumerate() {
            let b = cv.baseline(cv.y + 3.0 + n as f32 * line_h(9.0), 9.0);
            cv.text(MARGIN_X + 6.0, b, 9.0, line, BAD, true);
        }
        cv.y += bh;
    }
    cv.y += 5.0;
    cv.line(MARGIN_X, cv.y, PAGE_W - MARGIN_X, cv.y, RULE, 0.8);
    cv.y += 4.0;
}

/// The sign-off statement and signature line at the end: blanks to sign, or who signed and
/// when. The statement repeats the period and the key figures, so that a signature that lands
/// on a page of its own still says what was signed.
pub fn signature(cv: &mut Canvas<'_>, h: &ReportHeader, statement: &str) {
    let lang = h.language;
    let size = 10.0;
    let lines = cv.m.wrap(statement, 9.0, CONTENT_W, 4);
    cv.ensure(lines.len() as f32 * line_h(9.0) + line_h(size) + 50.0);
    cv.gap(14.0);
    for line in &lines {
        let b = cv.baseline(cv.y, 9.0);
        cv.text(MARGIN_X, b, 9.0, line, BLACK, false);
        cv.y += line_h(9.0);
    }
    cv.gap(22.0);
    let b = cv.baseline(cv.y, size);
    let sig = labels::SIGNATURE.get(lang);
    let date = labels::SIGNATURE_DATE.get(lang);
    let blank = "____________________";
    let (name, when) = match (&h.signed_at, &h.supervisor) {
        (Some(at), Some(who)) => (who.clone(), at.clone()),
        (Some(at), None) => (blank.to_string(), at.clone()),
        (None, _) => (blank.to_string(), "______________".to_string()),
    };
    let first = format!("{sig} {name}");
    cv.text(MARGIN_X, b, size, &first, BLACK, false);
    let x = (MARGIN_X + cv.m.width(&first, size) + 24.0).max(MARGIN_X + CONTENT_W * 0.58);
    cv.text(x, b, size, &format!("{date} {when}"), BLACK, false);
    cv.y += line_h(size);
}

/// A fraction as a percentage with one decimal, "—" when there is none.
///
/// Rounded down, never up: an audit report must not show 99.96 % as "100.0%".
pub fn pct(v: Option<f64>) -> String {
    match v {
        Some(v) => format!("{:.1}%", floor_to(v * 100.0, 1)),
        None => "—".to_string(),
    }
}

/// `x` rounded down to `decimals` places (tolerating float noise such as 28.9999991).
pub fn floor_to(x: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    ((x * f) + 1e-6).floor() / f
}

/// Seconds as `m:ss` (or `h:mm:ss`), "—" when there are none.
pub fn duration(secs: Option<i64>) -> String {
    let Some(s) = secs else { return "—".to_string() };
    let sign = if s < 0 { "-" } else { "" };
    let s = s.unsigned_abs();
    if s >= 3600 {
        format!("{sign}{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{sign}{}:{:02}", s / 60, s % 60)
    }
}

/// "none" in the report's language, for empty optional values.
pub fn none(lang: Language) -> &'static str {
    labels::NONE.get(lang)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(duration(Some(65)), "1:05");
        assert_eq!(duration(Some(3725)), "1:02:05");
        assert_eq!(duration(None), "—");
        assert_eq!(pct(Some(0.9666)), "96.6%");
        assert_eq!(pct(Some(0.9996)), "99.9%");
        assert_eq!(pct(Some(0.29)), "29.0%");
        assert_eq!(pct(Some(1.0)), "100.0%");
        assert_eq!(pct(None), "—");
    }
}
