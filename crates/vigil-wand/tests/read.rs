//! Reading whole files through the public API: every layout, encoding and
//! kind of file the wand software writes, and every way a row or a file can
//! fail. XLSX fixtures are built here with rust_xlsxwriter.

use std::collections::BTreeMap;

use rust_xlsxwriter::{ExcelDateTime, Format as CellFormat, Workbook};
use vigil_wand::jiff::civil::date;
use vigil_wand::jiff::tz::TimeZone;
use vigil_wand::{read, Field, Format, Mapping, Options, Parsed, Refusal};

const WAND_HEADER: &str = "巡检时间,巡检器,人员,巡检点,事件,编号";
const WAND_HEADER_EN: &str = "Patrol Time,ReaderNum,Person,Checkpoint,Event,Chip ID";

fn shanghai() -> TimeZone {
    TimeZone::get("Asia/Shanghai").expect("the bundled tzdb knows Asia/Shanghai")
}

/// UTC milliseconds of a wall-clock time in Shanghai.
fn sh(y: i16, mo: i8, d: i8, h: i8, mi: i8, s: i8) -> i64 {
    shanghai().to_timestamp(date(y, mo, d).at(h, mi, s, 0)).expect("a real time").as_millisecond()
}

fn parse_with(bytes: &[u8], options: &Options) -> Result<Parsed, Refusal> {
    read(bytes, "export.csv", options, &mut |_, _| {})
}

fn parse(bytes: &[u8]) -> Result<Parsed, Refusal> {
    parse_with(bytes, &Options::new(shanghai()))
}

fn parse_ok(bytes: &[u8]) -> Parsed {
    parse(bytes).expect("the file is read")
}

/// (row, field) of each problem.
fn problems(parsed: &Parsed) -> Vec<(usize, Field)> {
    parsed.rejected.iter().map(|p| (p.row, p.field)).collect()
}

#[test]
fn good_utf8_csv() {
    let csv = format!(
        "{WAND_HEADER}\n\
         2026-11-30 22:05:13,W01,张伟,住院部一楼东,正常,0F004EBEFC\n\
         2026/11/30 22:15,W01,张伟,住院部一楼西,正常,0f:00:4e:be:fd\r\n\
         2026-11-30T22:25:00,W01,张伟,\"门诊, 大厅\",,0F004EBEFE\n"
    );
    let parsed = parse_ok(csv.as_bytes());
    assert_eq!(parsed.format, Format::Csv);
    assert_eq!(parsed.encoding, "UTF-8");
    assert_eq!(parsed.delimiter, Some(','));
    assert_eq!(parsed.mapping, "wand-zh");
    assert_eq!(parsed.header_rows, 1);
    assert_eq!(parsed.columns[&Field::Chip], "编号");
    assert!(parsed.is_clean(), "{:?}", parsed.rejected);
    assert_eq!(parsed.rows.len(), 3);

    let first = &parsed.rows[0];
    assert_eq!(first.row, 2);
    assert_eq!(first.time_ms, sh(2026, 11, 30, 22, 5, 13));
    assert_eq!(first.written_time, "2026-11-30 22:05:13");
    assert_eq!(first.reader.as_deref(), Some("W01"));
    assert_eq!(first.person.as_deref(), Some("张伟"));
    assert_eq!(first.checkpoint.as_deref(), Some("住院部一楼东"));
    assert_eq!(first.event.as_deref(), Some("正常"));
    assert_eq!(first.chip.as_deref(), Some("0F004EBEFC"));

    // Chip text is kept as written; the caller normalises it.
    assert_eq!(parsed.rows[1].chip.as_deref(), Some("0f:00:4e:be:fd"));
    assert_eq!(parsed.rows[1].time_ms, sh(2026, 11, 30, 22, 15, 0));
    assert_eq!(parsed.rows[2].checkpoint.as_deref(), Some("门诊, 大厅"));
    assert_eq!(parsed.rows[2].event, None);
    assert_eq!(parsed.rows[2].row, 4);
}

#[test]
fn time_zone_conversion() {
    let csv = format!("{WAND_HEADER}\n2026-11-30 22:05:00,1,张伟,A,正常,0F004EBEFC\n");
    let in_shanghai = parse_ok(csv.as_bytes()).rows[0].time_ms;
    let utc_1405 =
        TimeZone::UTC.to_timestamp(date(2026, 11, 30).at(14, 5, 0, 0)).expect("a real time").as_millisecond();
    assert_eq!(in_shanghai, utc_1405);
    assert_eq!(in_shanghai, 1_796_047_500_000);
    let in_utc = parse_with(csv.as_bytes(), &Options::new(TimeZone::UTC)).expect("read");
    assert_eq!(in_utc.rows[0].time_ms - in_shanghai, 8 * 3600 * 1000);
}

#[test]
fn utf8_bom() {
    let csv = format!("\u{FEFF}{WAND_HEADER}\n2026-11-30 22:05:13,1,张伟,A,正常,0F004EBEFC\n");
    let parsed = parse_ok(csv.as_bytes());
    assert_eq!(parsed.encoding, "UTF-8 (BOM)");
    assert_eq!(parsed.rows.len(), 1);
    assert_eq!(parsed.rows[0].chip.as_deref(), Some("0F004EBEFC"));
}

#[test]
fn gbk_encoded() {
    let text = format!(
        "{WAND_HEADER}\r\n2026-11-30 22:05:13,2,李娜,急诊楼二层,正常,0F004EBEFC\r\n\
         2026-11-30 22:06:00,2,李娜,未设置,正常,0F004EBEFD\r\n"
    );
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(&text);
    assert!(!unmappable);
    assert!(std::str::from_utf8(&bytes).is_err(), "really not UTF-8");
    let parsed = parse_ok(&bytes);
    assert_eq!(parsed.encoding, "GBK");
    assert_eq!(parsed.rows.len(), 2);
    assert_eq!(parsed.rows[0].person.as_deref(), Some("李娜"));
    assert_eq!(parsed.rows[0].checkpoint.as_deref(), Some("急诊楼二层"));
    // 未设置 is "no name", not an error, when there is a chip.
    assert_eq!(parsed.rows[1].checkpoint, None);
    assert_eq!(parsed.rows[1].chip.as_deref(), Some("0F004EBEFD"));
}

#[test]
fn two_header_rows() {
    let csv = format!("{WAND_HEADER}\n{WAND_HEADER_EN}\n2026-11-30 22:05:13,1,张伟,A,正常,0F004EBEFC\n");
    let parsed = parse_ok(csv.as_bytes());
    assert_eq!(parsed.header_rows, 2);
    assert!(parsed.is_clean());
    assert_eq!(parsed.rows.len(), 1);
    assert_eq!(parsed.rows[0].row, 3);
}

#[test]
fn english_header_alone() {
    let csv = format!("{WAND_HEADER_EN}\n2026-11-30 22:05:13,1,Zhang,A,ok,0F004EBEFC\n");
    let parsed = parse_ok(csv.as_bytes());
    assert_eq!((parsed.mapping.as_str(), parsed.header_rows), ("wand-zh", 1));
    assert_eq!(parsed.rows.len(), 1);
}

#[test]
fn serial_dates_as_text() {
    let csv = format!("{WAND_HEADER}\n46356.92,1,张伟,A,正常,0F004EBEFC\n46356.920289352,1,张伟,B,正常,0F004EBEFD\n");
    let parsed = parse_ok(csv.as_bytes());
    assert!(parsed.is_clean(), "{:?}", parsed.rejected);
    assert_eq!(parsed.rows[0].time_ms, sh(2026, 11, 30, 22, 4, 48));
    assert_eq!(parsed.rows[0].written_time, "46356.92");
    assert_eq!(parsed.rows[1].time_ms, sh(2026, 11, 30, 22, 5, 13));
}

#[test]
fn traditional_split_date_and_time() {
    let csv = "日期,時間,巡邏員,地點,狀態\n\
               2026/11/30,22:05:13,陳大文,大堂,正常\n\
               2026年11月30日,22:40,陳大文,停車場,遲到\n";
    let parsed = parse_ok(csv.as_bytes());
    assert_eq!(parsed.mapping, "patrol-zh-hant");
    assert!(parsed.is_clean(), "{:?}", parsed.rejected);
    let first = &parsed.rows[0];
    assert_eq!(first.time_ms, sh(2026, 11, 30, 22, 5, 13));
    assert_eq!(first.written_time, "2026/11/30 22:05:13");
    assert_eq!(first.checkpoint.as_deref(), Some("大堂"));
    assert_eq!(first.chip, None);
    assert_eq!(first.person.as_deref(), Some("陳大文"));
    assert_eq!(first.event.as_deref(), Some("正常"));
    assert_eq!(parsed.rows[1].time_ms, sh(2026, 11, 30, 22, 40, 0));
}

#[test]
fn bad_rows_are_each_reported_and_good_rows_kept() {
    let csv = format!(
        "{WAND_HEADER}\n\
         2026-11-30 22:05:13,1,张伟,A,正常,0F004EBEFC\n\
         ,1,张伟,B,正常,0F004EBEFD\n\
         昨晚,1,张伟,C,正常,0F004EBEFE\n\
         2026-11-30 22:20:00,1,张伟,,正常,\n\
         2026-11-30 22:25:00,1,张伟,未设置,正常,\n\
         30/11/2026 22:30,1,张伟,D,正常,0F004EBEFF\n\
         2026-11-30 22:35:00,1,张伟,未设置,正常,0F004EBF00\n\
         ,,,,,\n\
         2026-11-30 22:40:00,1,张伟\n\
         ,1,张伟,未设置,正常,\n\
         2026-11-30 22:45:00,1,张伟,E,正常,0F004EBF01,extra,cells\n"
    );
    let parsed = parse_ok(csv.as_bytes());
    assert_eq!(
        problems(&parsed),
        [
            (3, Field::Time),  // no time
            (4, Field::Time),  // unreadable time
            (5, Field::Chip),  // no tag at all
            (6, Field::Chip),  // 未设置 and no chip
            (7, Field::Time),  // day-first date
            (10, Field::Chip), // row ends before the chip (and checkpoint) columns
            (11, Field::Time), // two problems in one row
            (11, Field::Chip),
        ]
    );
    let reasons: BTreeMap<(usize, Field), &str> =
        parsed.rejected.iter().map(|p| ((p.row, p.field), p.reason.as_str())).collect();
    assert_eq!(reasons[&(3, Field::Time)], "empty");
    assert!(reasons[&(4, Field::Time)].contains("昨晚"));
    assert!(reasons[&(6, Field::Chip)].contains("未设置"));
    assert!(reasons[&(7, Field::Time)].contains("day or month first"));
    assert_eq!(parsed.rejected[1].raw, "昨晚,1,张伟,C,正常,0F004EBEFE");

    // Good rows are still returned, in file order, with their row numbers.
    let good: Vec<usize> = parsed.rows.iter().map(|r| r.row).collect();
    assert_eq!(good, [2, 8, 12]);
    assert_eq!(parsed.rows[1].checkpoint, None);
    assert_eq!(parsed.rows[2].chip.as_deref(), Some("0F004EBF01"));
    assert_eq!(parsed.blank_rows, 1);
}

#[test]
fn missing_trailing_time_cell_is_a_problem() {
    let csv = "编号,人员,巡检时间\n0F004EBEFC,张伟\n";
    let parsed = parse_ok(csv.as_bytes());
    assert_eq!(problems(&parsed), [(2, Field::Time)]);
    assert!(parsed.rejected[0].reason.contains("row ends"));
}

#[test]
fn split_layout_problems_name_date_or_time_of_day() {
    let csv = "日期,時間,巡邏員,地點,狀態\n\
               ,22:05,陳大文,大堂,正常\n\
               2026/11/30,,陳大文,大堂,正常\n\
               2026/11/30,22:05,陳大文,未設置,正常\n";
    let parsed = parse_ok(csv.as_bytes());
    assert_eq!(problems(&parsed), [(2, Field::Date), (3, Field::TimeOfDay), (4, Field::Checkpoint)]);
}

#[test]
fn unknown_layout_names_the_headers() {
    let csv = "Datum,Ort,Wächter\n2026-11-30 22:05,Halle,Max\n";
    match parse(csv.as_bytes()) {
        Err(Refusal::UnknownLayout { headers, tried }) => {
            assert_eq!(headers, ["Datum", "Ort", "Wächter"]);
            assert_eq!(tried, ["wand-zh", "patrol-zh-hant"]);
        }
        other => panic!("expected UnknownLayout, got {other:?}"),
    }
    let message = parse(csv.as_bytes()).expect_err("refused").to_string();
    assert!(message.contains("Datum, Ort, Wächter"), "{message}");
}

#[test]
fn neither_utf8_nor_gbk_is_refused() {
    let bytes = b"\xFF\xFF\xFF,\xFF\n\x81\x20\n";
    assert_eq!(parse(bytes), Err(Refusal::UnknownEncoding));
}

#[test]
fn empty_files_are_refused() {
    assert_eq!(parse(b""), Err(Refusal::Empty));
    assert_eq!(parse(b"\xEF\xBB\xBF \r\n\r\n"), Err(Refusal::Empty));
    assert_eq!(parse(format!("{WAND_HEADER}\n,,,,,\n").as_bytes()), Err(Refusal::NoRows { mapping: "wand-zh".into() }));
}

#[test]
fn binary_is_not_a_spreadsheet() {
    assert!(matches!(parse(b"\x00\x01\x02abc"), Err(Refusal::NotASpreadsheet(_))));
}

#[test]
fn tab_and_semicolon_delimiters() {
    for delimiter in ['\t', ';'] {
        let csv = format!(
            "{}\n2026-11-30 22:05:13{d}1{d}张伟{d}A, B{d}正常{d}0F004EBEFC\n",
            WAND_HEADER.replace(',', &delimiter.to_string()),
            d = delimiter
        );
        let parsed = parse_ok(csv.as_bytes());
        assert_eq!(parsed.delimiter, Some(delimiter));
        assert_eq!(parsed.rows[0].checkpoint.as_deref(), Some("A, B"));
    }
}

#[test]
fn title_lines_above_the_header_and_blank_lines() {
    let csv = format!(
        "巡更记录导出\n导出时间：2026-12-01\n{WAND_HEADER}\n\n2026-11-30 22:05:13,1,张伟,A,正常,0F004EBEFC\n\
         {WAND_HEADER}\n2026-11-30 22:06:13,1,张伟,B,正常,0F004EBEFD\n"
    );
    let parsed = parse_ok(csv.as_bytes());
    assert_eq!(parsed.skipped_preamble, 2);
    assert_eq!(parsed.blank_rows, 1);
    assert_eq!(parsed.repeated_headers, 1);
    let rows: Vec<usize> = parsed.rows.iter().map(|r| r.row).collect();
    assert_eq!(rows, [5, 7]);
}

#[test]
fn header_below_the_fifth_line_is_not_found() {
    let csv = format!("a\nb\nc\nd\ne\n{WAND_HEADER}\n2026-11-30 22:05:13,1,张伟,A,正常,0F004EBEFC\n");
    assert!(matches!(parse(csv.as_bytes()), Err(Refusal::UnknownLayout { .. })));
}

#[test]
fn custom_mapping_used_explicitly() {
    let csv = "打卡时间,卡号,保安,位置\n2026-11-30 22:05:13,0F004EBEFC,王强,北门\n";
    assert!(matches!(parse(csv.as_bytes()), Err(Refusal::UnknownLayout { .. })));

    let mapping = Mapping::new(
        "site-b",
        &[
            (Field::Time, &["打卡时间"]),
            (Field::Chip, &["卡号"]),
            (Field::Person, &["保安"]),
            (Field::Checkpoint, &["位置"]),
        ],
    );
    // Saved and loaded as the caller would, as TOML and as JSON.
    let toml_text = toml::to_string(&mapping).expect("to TOML");
    assert!(toml_text.contains("time = [\"打卡时间\"]"), "{toml_text}");
    let from_toml: Mapping = toml::from_str(&toml_text).expect("from TOML");
    let from_json: Mapping =
        serde_json::from_str(&serde_json::to_string(&mapping).expect("to JSON")).expect("from JSON");
    assert_eq!(from_toml, mapping);
    assert_eq!(from_json, mapping);

    let options = Options::new(shanghai()).with_mapping(from_toml);
    let parsed = parse_with(csv.as_bytes(), &options).expect("read");
    assert_eq!(parsed.mapping, "site-b");
    assert_eq!(parsed.rows[0].chip.as_deref(), Some("0F004EBEFC"));
    assert_eq!(parsed.rows[0].person.as_deref(), Some("王强"));
    assert_eq!(parsed.rows[0].checkpoint.as_deref(), Some("北门"));
    assert_eq!(parsed.rows[0].time_ms, sh(2026, 11, 30, 22, 5, 13));

    // An explicit mapping is the only one tried.
    let wand = format!("{WAND_HEADER}\n2026-11-30 22:05:13,1,张伟,A,正常,0F004EBEFC\n");
    assert!(matches!(
        parse_with(wand.as_bytes(), &options),
        Err(Refusal::UnknownLayout { tried, .. }) if tried == ["site-b"]
    ));
}

#[test]
fn unusable_mapping_is_refused() {
    let mapping = Mapping::new("no-time", &[(Field::Chip, &["卡号"])]);
    let options = Options::new(shanghai()).with_mapping(mapping);
    assert!(matches!(
        parse_with(b"x", &options),
        Err(Refusal::BadMapping { name, .. }) if name == "no-time"
    ));
}

#[test]
fn hundred_thousand_rows() {
    const N: usize = 100_000;
    let start = date(2026, 11, 1).at(0, 0, 0, 0);
    let mut csv = String::with_capacity(N * 64);
    csv.push_str(WAND_HEADER);
    csv.push('\n');
    for i in 0..N {
        let at = start.checked_add(vigil_wand::jiff::SignedDuration::from_secs(i as i64 * 7)).expect("in range");
        csv.push_str(&format!(
            "{},W{:02},张伟,点{},正常,{:010X}\n",
            at.strftime("%Y-%m-%d %H:%M:%S"),
            i % 10,
            i % 50,
            i
        ));
    }
    let mut calls = Vec::new();
    let parsed =
        read(csv.as_bytes(), "big.csv", &Options::new(shanghai()), &mut |done, total| calls.push((done, total)))
            .expect("read");
    assert!(parsed.is_clean());
    assert_eq!(parsed.rows.len(), N);
    let (first, last) = (&parsed.rows[0], &parsed.rows[N - 1]);
    assert_eq!((first.row, first.chip.as_deref()), (2, Some("0000000000")));
    assert_eq!(first.time_ms, sh(2026, 11, 1, 0, 0, 0));
    assert_eq!((last.row, last.chip.as_deref()), (N + 1, Some("000001869F")));
    assert_eq!(last.time_ms, first.time_ms + (N as i64 - 1) * 7000);
    assert_eq!(calls.len(), N / 1000);
    assert_eq!(calls.first(), Some(&(1000, N)));
    assert_eq!(calls.last(), Some(&(N, N)));
}

/// A wand-zh workbook: a date cell, a plain serial number, a text time, a
/// number as the reader, under a title sheet that is not data.
fn wand_workbook() -> Vec<u8> {
    let mut book = Workbook::new();
    let notes = book.add_worksheet();
    notes.set_name("说明").expect("a sheet name");
    notes.write_string(0, 0, "本文件由巡更系统导出").expect("write");

    let sheet = book.add_worksheet();
    sheet.set_name("巡检记录").expect("a sheet name");
    let datetime = CellFormat::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    for (c, header) in WAND_HEADER.split(',').enumerate() {
        sheet.write_string(0, c as u16, header).expect("write");
    }
    let at = ExcelDateTime::from_ymd(2026, 11, 30).and_then(|d| d.and_hms(22, 5, 13)).expect("a date");
    sheet.write_datetime_with_format(1, 0, &at, &datetime).expect("write");
    sheet.write_number(2, 0, 46356.92).expect("write");
    sheet.write_string(3, 0, "2026-11-30 22:30:00").expect("write");
    for row in 1..=3 {
        sheet.write_number(row, 1, 3).expect("write");
        sheet.write_string(row, 2, "张伟").expect("write");
        sheet.write_string(row, 3, format!("点{row}")).expect("write");
        sheet.write_string(row, 4, "正常").expect("write");
        sheet.write_string(row, 5, format!("0F004EBEF{row}")).expect("write");
    }
    // A row without a time, to be reported with its sheet row number.
    sheet.write_string(4, 5, "0F004EBEF9").expect("write");
    book.save_to_buffer().expect("an xlsx")
}

#[test]
fn good_xlsx_with_date_cells_and_serials() {
    let bytes = wand_workbook();
    let parsed = read(&bytes, "wand.xlsx", &Options::new(shanghai()), &mut |_, _| {}).expect("read");
    assert_eq!(parsed.format, Format::Xlsx);
    assert_eq!(parsed.encoding, "—");
    assert_eq!(parsed.sheet.as_deref(), Some("巡检记录"));
    assert_eq!(parsed.ignored_sheets, ["说明"]);
    assert_eq!(parsed.mapping, "wand-zh");

    let times: Vec<i64> = parsed.rows.iter().map(|r| r.time_ms).collect();
    assert_eq!(times, [sh(2026, 11, 30, 22, 5, 13), sh(2026, 11, 30, 22, 4, 48), sh(2026, 11, 30, 22, 30, 0)]);
    let written: Vec<&str> = parsed.rows.iter().map(|r| r.written_time.as_str()).collect();
    assert_eq!(written, ["2026-11-30 22:05:13", "46356.92", "2026-11-30 22:30:00"]);
    let first = &parsed.rows[0];
    assert_eq!(first.row, 2);
    assert_eq!(first.reader.as_deref(), Some("3"));
    assert_eq!(first.chip.as_deref(), Some("0F004EBEF1"));
    assert_eq!(first.checkpoint.as_deref(), Some("点1"));
    assert_eq!(problems(&parsed), [(5, Field::Time)]);
    assert_eq!(parsed.rejected[0].raw, ",,,,,0F004EBEF9");
}

#[test]
fn xlsx_split_date_and_time_cells() {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let date_format = CellFormat::new().set_num_format("yyyy/mm/dd");
    let time_format = CellFormat::new().set_num_format("hh:mm:ss");
    for (c, header) in ["日期", "時間", "巡邏員", "地點", "狀態"].iter().enumerate() {
        sheet.write_string(0, c as u16, *header).expect("write");
    }
    let day = ExcelDateTime::from_ymd(2026, 11, 30).expect("a date");
    let time = ExcelDateTime::from_hms(22, 5, 13).expect("a time");
    sheet.write_datetime_with_format(1, 0, &day, &date_format).expect("write");
    sheet.write_datetime_with_format(1, 1, &time, &time_format).expect("write");
    sheet.write_string(1, 3, "大堂").expect("write");
    // Plain numbers: a whole-day serial and a day fraction.
    sheet.write_number(2, 0, 46356).expect("write");
    sheet.write_number(2, 1, 0.5).expect("write");
    sheet.write_string(2, 3, "停車場").expect("write");
    let bytes = book.save_to_buffer().expect("an xlsx");

    let parsed = read(&bytes, "patrol.xlsx", &Options::new(shanghai()), &mut |_, _| {}).expect("read");
    assert_eq!(parsed.mapping, "patrol-zh-hant");
    assert!(parsed.is_clean(), "{:?}", parsed.rejected);
    assert_eq!(parsed.rows[0].time_ms, sh(2026, 11, 30, 22, 5, 13));
    assert_eq!(parsed.rows[0].written_time, "2026-11-30 22:05:13");
    assert_eq!(parsed.rows[1].time_ms, sh(2026, 11, 30, 12, 0, 0));
    assert_eq!(parsed.rows[1].checkpoint.as_deref(), Some("停車場"));
}

#[test]
fn xlsx_renamed_csv_is_still_read_by_content() {
    let bytes = wand_workbook();
    let parsed = read(&bytes, "wand.csv", &Options::new(shanghai()), &mut |_, _| {}).expect("read");
    assert_eq!(parsed.format, Format::Xlsx);
}

#[test]
fn xlsx_without_known_headers_is_refused() {
    let mut book = Workbook::new();
    book.add_worksheet().write_string(0, 0, "Hello").expect("write");
    let bytes = book.save_to_buffer().expect("an xlsx");
    assert!(matches!(
        parse(&bytes),
        Err(Refusal::UnknownLayout { headers, .. }) if headers == ["Hello"]
    ));
    let mut book = Workbook::new();
    book.add_worksheet();
    let bytes = book.save_to_buffer().expect("an xlsx");
    assert_eq!(parse(&bytes), Err(Refusal::Empty));
}
