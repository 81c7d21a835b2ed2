//! From bytes to lines of cells, with the header found.
//!
//! The kind of file is told from its first bytes, not from its name: wand
//! software and users rename files freely, and some "xls" exports are really
//! tab-separated text or HTML. Workbooks are read with calamine, keeping
//! number and date cells as such; CSV text is decoded (see [`decode`]), its
//! delimiter found by trying comma, tab and semicolon until a mapping's
//! headers match, and split with the `csv` crate.
//!
//! Row numbers are those a spreadsheet user sees: for workbooks the sheet
//! row, for CSV the record's line less the line breaks inside quoted cells
//! of the records before it (blank lines count, as they do in a spreadsheet).

use std::borrow::Cow;
use std::fmt::Display;
use std::io::Cursor;

use calamine::{open_workbook_from_rs, Data, Range, Reader, Xls, Xlsx};

use crate::cell::Cell;
use crate::decode::decode;
use crate::layout::{self, Layout};
use crate::{Format, Mapping, Refusal};

/// One row of the file.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Line {
    /// 1-based row number as a spreadsheet shows it.
    pub number: usize,
    /// The row's cells, left to right.
    pub cells: Vec<Cell>,
    /// Byte range of the row in the decoded CSV text; `None` for workbooks.
    pub span: Option<(usize, usize)>,
}

impl Line {
    /// True when every cell is blank.
    pub(crate) fn is_blank(&self) -> bool {
        self.cells.iter().all(Cell::is_blank)
    }
}

/// A file opened and its header found.
pub(crate) struct Found<'a> {
    pub format: Format,
    pub encoding: &'static str,
    pub delimiter: Option<char>,
    pub sheet: Option<String>,
    pub ignored_sheets: Vec<String>,
    /// Decoded CSV text, which the lines' spans index; empty for workbooks.
    pub text: Cow<'a, str>,
    pub lines: Vec<Line>,
    pub layout: Layout,
}

impl Found<'_> {
    /// The line as text for a report: as written for CSV, cells joined by
    /// commas for workbooks.
    pub(crate) fn raw(&self, line: &Line) -> String {
        if let Some((start, end)) = line.span {
            if let Some(raw) = self.text.get(start..end) {
                return raw.trim_end_matches(['\r', '\n']).to_owned();
            }
        }
        let mut cells: Vec<Cow<'_, str>> = line.cells.iter().map(Cell::text).collect();
        while cells.last().is_some_and(|c| c.is_empty()) {
            cells.pop();
        }
        cells.join(",")
    }
}

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const CFB_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
const DELIMITERS: [u8; 3] = [b',', b'\t', b';'];
/// Records parsed per delimiter while looking for the header.
const SAMPLE: usize = 16;

/// Opens the file and finds its header with one of `mappings`.
pub(crate) fn open<'a>(bytes: &'a [u8], file_name: &str, mappings: &[Mapping]) -> Result<Found<'a>, Refusal> {
    if bytes.starts_with(ZIP_MAGIC) {
        return workbook::<Xlsx<_>>(bytes, file_name, Format::Xlsx, mappings);
    }
    if bytes.starts_with(CFB_MAGIC) {
        return workbook::<Xls<_>>(bytes, file_name, Format::Xls, mappings);
    }
    let (text, encoding) = decode(bytes)?;
    if text.trim().is_empty() {
        return Err(Refusal::Empty);
    }
    if text.contains('\0') {
        return Err(Refusal::NotASpreadsheet(format!("{file_name} holds binary data, not text")));
    }
    if looks_like_html(&text) {
        return Err(Refusal::NotASpreadsheet(format!(
            "{file_name} is a web page (HTML) under a spreadsheet's name; \
             open it in Excel and save it as XLSX or CSV"
        )));
    }
    // Old Mac-style files end lines with CR alone, which the csv crate splits
    // on but does not count as lines.
    let text = if !text.contains('\n') && text.contains('\r') { Cow::Owned(text.replace('\r', "\n")) } else { text };
    let mut widest: Vec<String> = Vec::new();
    for delimiter in DELIMITERS {
        let sample = csv_lines(&text, delimiter, Some(SAMPLE))?;
        if layout::find(&sample, mappings).is_none() {
            let headers = layout::headers_found(&sample);
            if headers.len() > widest.len() {
                widest = headers;
            }
            continue;
        }
        let lines = csv_lines(&text, delimiter, None)?;
        let layout = layout::find(&lines, mappings).ok_or_else(|| unknown(&widest, mappings))?;
        return Ok(Found {
            format: Format::Csv,
            encoding,
            delimiter: Some(char::from(delimiter)),
            sheet: None,
            ignored_sheets: Vec::new(),
            text,
            lines,
            layout,
        });
    }
    Err(unknown(&widest, mappings))
}

fn unknown(headers: &[String], mappings: &[Mapping]) -> Refusal {
    Refusal::UnknownLayout { headers: headers.to_vec(), tried: mappings.iter().map(|m| m.name.clone()).collect() }
}

fn looks_like_html(text: &str) -> bool {
    let start: String = text.trim_start().chars().take(64).collect::<String>().to_lowercase();
    ["<!doctype html", "<html", "<table", "<?xml"].iter().any(|tag| start.starts_with(tag))
}

/// Splits CSV text into lines (at most `limit` records when given).
///
/// The input is a `&str` and records may differ in length, so the `csv`
/// crate has nothing to fail on; should it fail all the same, the file is
/// refused rather than read in part.
fn csv_lines(text: &str, delimiter: u8, limit: Option<usize>) -> Result<Vec<Line>, Refusal> {
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(text.as_bytes());
    let mut record = csv::StringRecord::new();
    let mut lines: Vec<Line> = Vec::new();
    let mut starts: Vec<usize> = Vec::new();
    let mut breaks_inside = 0_usize;
    while limit.is_none_or(|limit| lines.len() < limit)
        && reader.read_record(&mut record).map_err(|e| Refusal::NotASpreadsheet(format!("unreadable CSV: {e}")))?
    {
        let (mut line, mut byte) = record.position().map_or((1, 0), |p| (p.line() as usize, p.byte() as usize));
        // The position is where reading started, before any blank lines the
        // reader skipped to reach the record: step over them.
        let skipped =
            text.get(byte..).map_or("", |rest| &rest[..rest.len() - rest.trim_start_matches(['\r', '\n']).len()]);
        line += skipped.matches('\n').count();
        byte += skipped.len();
        lines.push(Line {
            number: line.saturating_sub(breaks_inside),
            cells: record.iter().map(|f| Cell::Text(f.to_owned())).collect(),
            span: None,
        });
        starts.push(byte);
        breaks_inside += record.iter().map(|f| f.matches('\n').count()).sum::<usize>();
    }
    let ends = starts.iter().skip(1).copied().chain(std::iter::once(text.len()));
    for ((line, &start), end) in lines.iter_mut().zip(&starts).zip(ends) {
        line.span = Some((start, end));
    }
    Ok(lines)
}

/// Opens a workbook and reads the first sheet whose header matches.
fn workbook<'a, R>(bytes: &'a [u8], file_name: &str, format: Format, mappings: &[Mapping]) -> Result<Found<'a>, Refusal>
where
    R: Reader<Cursor<&'a [u8]>>,
    R::Error: Display,
{
    let broken = |e: R::Error| Refusal::NotASpreadsheet(format!("{file_name}: {e}"));
    let mut book: R = open_workbook_from_rs(Cursor::new(bytes)).map_err(broken)?;
    let mut chosen: Option<(String, Vec<Line>, Layout)> = None;
    let mut ignored = Vec::new();
    let mut first_headers: Option<Vec<String>> = None;
    for name in book.sheet_names() {
        let range = book.worksheet_range(&name).map_err(broken)?;
        let lines = sheet_lines(&range);
        if lines.iter().all(Line::is_blank) {
            continue;
        }
        if chosen.is_some() {
            ignored.push(name);
            continue;
        }
        match layout::find(&lines, mappings) {
            Some(layout) => chosen = Some((name, lines, layout)),
            None => {
                first_headers.get_or_insert_with(|| layout::headers_found(&lines));
                ignored.push(name);
            }
        }
    }
    let Some((sheet, lines, layout)) = chosen else {
        return Err(match first_headers {
            Some(headers) => unknown(&headers, mappings),
            None => Refusal::Empty,
        });
    };
    Ok(Found {
        format,
        encoding: "—",
        delimiter: None,
        sheet: Some(sheet),
        ignored_sheets: ignored,
        text: Cow::Borrowed(""),
        lines,
        layout,
    })
}

/// A worksheet's rows, numbered as the sheet numbers them.
fn sheet_lines(range: &Range<Data>) -> Vec<Line> {
    let first_row = range.start().map_or(0, |(row, _)| row as usize);
    range
        .rows()
        .enumerate()
        .map(|(i, row)| Line { number: first_row + i + 1, cells: row.iter().map(cell).collect(), span: None })
        .collect()
}

fn cell(data: &Data) -> Cell {
    match data {
        Data::Empty => Cell::Empty,
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.clone()),
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Float(f) => Cell::Number(*f),
        Data::Bool(b) => Cell::Text(if *b { "TRUE" } else { "FALSE" }.to_owned()),
        Data::DateTime(dt) => Cell::DateTime { serial: dt.as_f64(), parts: dt.to_ymd_hms_milli() },
        Data::Error(e) => Cell::Error(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(text: &str) -> Vec<usize> {
        csv_lines(text, b',', None).expect("splits").iter().map(|l| l.number).collect()
    }

    #[test]
    fn row_numbers_count_blank_lines_but_not_breaks_in_quotes() {
        assert_eq!(numbers("a,b\n1,2\n\n3,4\n"), [1, 2, 4]);
        assert_eq!(numbers("a,b\r\n\"x\r\ny\",2\r\n3,4\r\n"), [1, 2, 3]);
    }

    #[test]
    fn spans_give_the_line_as_written() {
        let text = "a,b\n\"x\ny\",2\n3,4";
        let lines = csv_lines(text, b',', None).expect("splits");
        let spans: Vec<&str> = lines.iter().filter_map(|l| l.span).map(|(s, e)| text[s..e].trim_end()).collect();
        assert_eq!(spans, ["a,b", "\"x\ny\",2", "3,4"]);
    }

    #[test]
    fn html_is_not_a_spreadsheet() {
        let refusal = open(b"<html><table><tr><td>1</td></tr></table>", "x.xls", &Mapping::builtin());
        assert!(matches!(refusal, Err(Refusal::NotASpreadsheet(_))));
    }

    #[test]
    fn broken_workbook_is_not_a_spreadsheet() {
        let refusal = open(b"PK\x03\x04garbage", "x.xlsx", &Mapping::builtin());
        assert!(matches!(refusal, Err(Refusal::NotASpreadsheet(_))));
    }
}
