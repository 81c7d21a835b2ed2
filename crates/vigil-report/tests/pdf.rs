//! The PDF reports, checked the way an auditor would see them: through poppler.
//!
//! Needs the CJK font (skipped with a message when none is installed) and poppler-utils
//! (fails without them: the setup script installs them). Samples are left in
//! `target/report-samples/` with page 1 rendered next to each.

mod common;

use common::*;
use vigil_report::*;

#[test]
fn patrol_shift_in_chinese() {
    if !font_available() {
        return;
    }
    let mut r = patrol(Language::Zh, 30, 8, 1);
    r.exceptions = exceptions(5);
    let pdf = patrol_pdf(&r).expect("patrol pdf");
    let path = save_sample("patrol-shift-zh", &pdf);

    let text = text(&path);
    for name in ["张伟", "王芳", "李娜", "市第一人民医院", "巡更巡检报告", "2026-11-30 夜班 20:00–08:00"]
    {
        assert!(text.contains(name), "missing {name:?} in:\n{text}");
    }
    // Totals figures and compliance (1187 / 1234 = 96.19 %, rounded down).
    for figure in ["1234", "1187", "1258", "96.1%"] {
        assert!(text.contains(figure), "missing total {figure:?}");
    }
    // Signed header and signature line with the signing supervisor.
    assert!(text.contains("已签核 2026-12-01 08:12"), "sign-off state");
    assert!(text.contains("班长签字 Supervisor signature: 王建国"), "signature line");
    assert!(text.contains("日期 Date: 2026-12-01 08:12"), "signature date");
    // Explanations, with who gave them; the unexplained ones marked.
    assert!(text.contains("说明人 王建国"));
    assert!(text.contains("未说明"));
    assert!(text.contains("医患纠纷"), "wrapped explanation text is extractable");
    // The log is printed (30 rows), e.g. a tag id and a row id.
    assert!(text.contains("04:A2:1D:00"));

    let fonts = fonts(&path);
    let font_line = fonts.lines().nth(2).expect("pdffonts lists a font");
    let name = font_line.split_whitespace().next().unwrap_or("");
    assert!(name.len() > 7 && name.as_bytes()[6] == b'+', "subset tag in {fonts}");
    assert!(font_line.contains("yes yes"), "embedded and subset: {fonts}");
    assert!(fonts.lines().count() == 3, "one font only: {fonts}");

    let pages = page_count(&path);
    assert!((1..=2).contains(&pages), "a shift with 30 check-ins takes 1–2 pages, not {pages}");
    assert_page_numbers(&path, Language::Zh);
    let rasters = assert_no_blank_page(&path);
    // The guard chart's bars are drawn in the compliance colours.
    let green = rasters.iter().map(|p| p.count_color((0x2e, 0x7d, 0x32), 40)).sum::<usize>();
    assert!(green > 20, "no green chart bars ({green} px)");
}

#[test]
fn page_count_grows_with_the_log() {
    if !font_available() {
        return;
    }
    let small = patrol_pdf(&patrol(Language::Zh, 30, 8, 1)).expect("pdf");
    let big = patrol_pdf(&patrol(Language::Zh, 600, 8, 1)).expect("pdf");
    let none = patrol_pdf(&patrol(Language::Zh, 0, 8, 1)).expect("pdf");
    let none_path = save_sample("patrol-log-0", &none);
    let small_path = save_sample("patrol-log-30", &small);
    let big_path = save_sample("patrol-log-600", &big);
    let (z, s, b) = (page_count(&none_path), page_count(&small_path), page_count(&big_path));
    assert!(z <= s, "an empty log needs no more pages ({z}) than 30 rows ({s})");
    // 40–75 log rows fit a page (some wrap to two lines): 570 more rows need 8–15 more pages.
    assert!(b >= s + 8 && b <= s + 15, "30 rows: {s} pages, 600 rows: {b} pages");
    assert_page_numbers(&big_path, Language::Zh);
    assert_no_blank_page(&big_path);
    let text = text(&big_path);
    assert!(text.contains("打卡记录（续）"), "continued table caption");
    // Every row is printed exactly once (row ids are unique).
    for i in [0usize, 1, 299, 599] {
        let id = format!("{i:012x}");
        assert_eq!(text.matches(&id).count(), 1, "row {i} printed once");
    }
    // The table header repeats on each log page.
    let header_count = text.matches("接收时间").count();
    assert!(header_count >= b - s, "log header on every log page ({header_count})");
}

#[test]
fn month_with_many_guards_and_changed_signoff() {
    if !font_available() {
        return;
    }
    let mut r = patrol(Language::Zh, 0, 25, 30);
    r.header.changed_since_signoff = true;
    r.exceptions = exceptions(40);
    r.log_count = Some(2_000_000);
    let pdf = patrol_pdf(&r).expect("pdf");
    let path = save_sample("patrol-month-zh", &pdf);
    let text = text(&path);
    assert!(text.contains("签核后数据已有变动"), "changed-since-sign-off warning");
    assert!(page_text(&path, 2).contains("签核后数据有变动"), "and in the running header");
    assert!(text.contains("2,000,000"), "log count in the CSV pointer");
    assert!(text.contains("CSV"), "pointer to the CSV export");
    assert!(text.contains("最高与最低各 10 名，共 25 名"), "top/bottom guard chart");
    assert!(text.contains("另有 5 名未列出"));
    assert!(text.contains("每日合规率"), "per-day chart");
    assert_page_numbers(&path, Language::Zh);
    let rasters = assert_no_blank_page(&path);
    let red = rasters.iter().map(|p| p.count_color((0xc6, 0x28, 0x28), 40)).sum::<usize>();
    assert!(red > 20, "low-compliance bars in red");
}

#[test]
fn patrol_in_english_unsigned() {
    if !font_available() {
        return;
    }
    let mut r = patrol(Language::En, 30, 5, 7);
    r.header.signed_at = None;
    let pdf = patrol_pdf(&r).expect("pdf");
    let path = save_sample("patrol-week-en", &pdf);
    let text = text(&path);
    for s in ["Patrol report", "Not signed", "Compliance per day", "By guard", "Check-in log", "张伟"] {
        assert!(text.contains(s), "missing {s:?}");
    }
    assert!(text.contains("Supervisor signature: ______"), "blank signature line");
    assert!(!text.contains("班长签字"), "English report has English labels");
    assert_page_numbers(&path, Language::En);
    assert_no_blank_page(&path);
}

#[test]
fn incidents_in_chinese() {
    if !font_available() {
        return;
    }
    let r = incidents(Language::Zh, 45);
    let pdf = incidents_pdf(&r).expect("incidents pdf");
    let path = save_sample("incidents-month-zh", &pdf);
    let text = text(&path);
    for s in [
        "报警处置报告",
        "住院部A栋 7F 护士站",
        "地下车库 B2 烟感",
        "急诊楼 1F",
        "响应时间分布",
        "目标 5 分钟",
        "未确认",
        "班长签字 Supervisor signature: ______",
        "未签核",
    ] {
        assert!(text.contains(s), "missing {s:?} in\n{text}");
    }
    let fonts = fonts(&path);
    assert!(fonts.contains('+') && fonts.contains("yes yes"), "{fonts}");
    assert_page_numbers(&path, Language::Zh);
    let rasters = assert_no_blank_page(&path);
    // The histogram's bars: blue (acknowledgement) and orange (on scene), on page 1.
    let blue = rasters[0].count_color((0x1f, 0x4e, 0x8c), 40);
    let orange = rasters[0].count_color((0xf0, 0x8a, 0x24), 40);
    assert!(blue > 20 && orange > 20, "response-time chart bars: blue {blue}, orange {orange}");
}

#[test]
fn incidents_empty_in_english() {
    if !font_available() {
        return;
    }
    let mut r = incidents(Language::En, 0);
    r.header.signed_at = Some("2026-12-01 08:12".into());
    let pdf = incidents_pdf(&r).expect("pdf");
    let path = save_sample("incidents-empty-en", &pdf);
    let text = text(&path);
    assert!(text.contains("No incidents in this period."));
    assert!(text.contains("Supervisor signature: 王建国"));
    assert_eq!(page_count(&path), 1);
    assert_page_numbers(&path, Language::En);
}

#[test]
fn missing_font_override_is_a_clear_error() {
    // Only this test touches the variable, in a child process, so others are unaffected.
    if std::env::var_os("VIGIL_REPORT_FONT_CHILD").is_some() {
        let err = font_path().expect_err("missing override");
        assert!(err.to_string().contains("/no/such/font.ttf"), "{err}");
        return;
    }
    let exe = std::env::current_exe().expect("test binary");
    let out = std::process::Command::new(exe)
        .args(["missing_font_override_is_a_clear_error", "--exact", "--nocapture"])
        .env("VIGIL_REPORT_FONT_CHILD", "1")
        .env(FONT_ENV, "/no/such/font.ttf")
        .output()
        .expect("run child");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn log_printed_up_to_the_limit_then_pointed_to_the_csv() {
    if !font_available() {
        return;
    }
    let mut r = patrol(Language::Zh, PDF_LOG_LIMIT + 1, 4, 1);
    let over = patrol_pdf(&r).expect("pdf");
    let over_path = save_sample("patrol-log-over-limit", &over);
    let over_text = text(&over_path);
    assert!(over_text.contains("2,001"), "count of the log that is not printed");
    assert!(!over_text.contains("接收时间"), "no log table");

    r.log.truncate(PDF_LOG_LIMIT);
    let at = patrol_pdf(&r).expect("pdf");
    let at_path = save_sample("patrol-log-at-limit", &at);
    let pages = page_count(&at_path);
    assert!((28..=60).contains(&pages), "2,000 log rows on {pages} pages");
    let at_text = text(&at_path);
    assert!(at_text.contains(&format!("{:012x}", PDF_LOG_LIMIT - 1)), "last row printed");
    assert_page_numbers(&at_path, Language::Zh);
}
