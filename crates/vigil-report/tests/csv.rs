//! The CSV exports, read back with the csv crate as Excel or an auditor's script would.

mod common;

use std::io::Write;
use std::time::Instant;

use common::*;
use vigil_report::*;

const BOM: &[u8] = b"\xEF\xBB\xBF";

fn read(bytes: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    assert!(bytes.starts_with(BOM), "UTF-8 BOM first");
    let mut rd = csv::ReaderBuilder::new().from_reader(&bytes[BOM.len()..]);
    let header = rd.headers().expect("header").iter().map(str::to_string).collect();
    let rows = rd.records().map(|r| r.expect("record").iter().map(str::to_string).collect()).collect();
    (header, rows)
}

#[test]
fn log_csv_round_trips_with_localised_header_and_quoting() {
    let mut tricky = log_line(7);
    tricky.checkpoint = "门诊楼 1F, 东侧 \"消防\" 通道\n第二行".into();
    tricky.flags = "可疑,顺序错误".into();
    tricky.guard = "=cmd|' /C calc'!A0".into();
    let mut out = Vec::new();
    let mut w = LogCsv::new(&mut out, Language::Zh).expect("header");
    w.line(&log_line(0)).expect("row");
    w.line(&tricky).expect("row");
    assert_eq!(w.rows(), 2);
    w.finish().expect("finish");

    let (header, rows) = read(&out);
    assert_eq!(
        header,
        ["接收时间", "设备时间", "保安", "工号", "路线", "巡检点", "标签", "来源", "结果", "标记", "编号"]
    );
    assert_eq!(rows.len(), 2);
    let first = log_line(0);
    assert_eq!(rows[0][0], first.received, "times as given");
    assert_eq!(rows[0][2], "张伟");
    assert_eq!(rows[0][10], first.id);
    assert_eq!(rows[1][5], tricky.checkpoint, "comma, quotes and newline survive");
    assert_eq!(rows[1][9], "可疑,顺序错误");
    assert_eq!(rows[1][2], "'=cmd|' /C calc'!A0", "formula neutralised");
    let text = String::from_utf8(out).expect("utf-8");
    assert!(text.contains("\r\n"), "CRLF line ends for Excel");
}

#[test]
fn log_csv_header_in_english() {
    let mut out = Vec::new();
    LogCsv::new(&mut out, Language::En).expect("header").finish().expect("finish");
    let (header, rows) = read(&out);
    assert_eq!(header[0], "Received");
    assert_eq!(header[10], "ID");
    assert!(rows.is_empty());
}

#[test]
fn log_csv_streams_100k_lines() {
    let mut out = Vec::new();
    let mut w = LogCsv::new(&mut out, Language::Zh).expect("header");
    let mut line = log_line(0);
    for i in 0..100_000u32 {
        line.id = format!("row-{i}");
        w.line(&line).expect("row");
    }
    w.finish().expect("finish");
    let (_, rows) = read(&out);
    assert_eq!(rows.len(), 100_000);
    assert_eq!(rows[99_999][10], "row-99999");
}

/// A writer that only counts bytes, so the timing below measures CSV work alone.
struct Count(u64);

impl Write for Count {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A month's log (two million rows) in under 5 s. Timing is only meaningful in release:
/// `cargo test -p vigil-report --release --test csv -- --ignored`.
#[test]
#[ignore = "timing; run in release"]
fn log_csv_two_million_rows_in_five_seconds() {
    let lines: Vec<LogLine> = (0..1000).map(log_line).collect();
    let start = Instant::now();
    let mut w = LogCsv::new(Count(0), Language::Zh).expect("header");
    for i in 0..2_000_000 {
        w.line(&lines[i % lines.len()]).expect("row");
    }
    let bytes = w.finish().expect("finish").0;
    let took = start.elapsed();
    eprintln!("2,000,000 rows, {} MB, in {took:?}", bytes / 1_000_000);
    if !cfg!(debug_assertions) {
        assert!(took.as_secs_f64() < 5.0, "took {took:?}");
    }
}

#[test]
fn incidents_csv_round_trips() {
    let r = incidents(Language::Zh, 12);
    let mut out = Vec::new();
    incidents_csv(&mut out, &r).expect("csv");
    let (header, rows) = read(&out);
    assert_eq!(header[0], "报警时间");
    assert_eq!(header[8], "到场达标");
    assert_eq!(header.len(), 13);
    assert_eq!(rows.len(), 12);
    for (row, i) in rows.iter().zip(&r.incidents) {
        assert_eq!(row[0], i.opened);
        assert_eq!(row[1], i.point);
        assert_eq!(row[6], i.ack_seconds.map(|s| s.to_string()).unwrap_or_default());
        let within = match i.on_scene_seconds {
            Some(s) if s <= 300 => "是",
            Some(_) => "否",
            None => "",
        };
        assert_eq!(row[8], within);
        let note = i.closing_note.clone().unwrap_or_default();
        let expected = if note.starts_with('=') { format!("'{note}") } else { note };
        assert_eq!(row[11], expected, "note with comma, quotes, newline");
        assert_eq!(row[12], i.id);
    }
    assert!(rows.iter().any(|r| r[11].contains("\"quotes\"\nand")), "quoting exercised");
    assert!(rows.iter().any(|r| r[5].is_empty()), "unacknowledged incident has no name");

    let mut en = Vec::new();
    incidents_csv(&mut en, &incidents(Language::En, 1)).expect("csv");
    let (header, _) = read(&en);
    assert_eq!(header[8], "On scene within target");
}
