//! Patrol-wand exports read into check-in rows.
//!
//! A patrol wand (巡更棒) stores pairs of (chip id, time) as a guard touches it
//! to the checkpoints of a round. The vendor's PC software downloads them and
//! exports a spreadsheet — CSV in GBK or UTF-8, or XLSX — which a shift
//! supervisor imports into Vigil. This crate turns the bytes of such a file
//! into [`WandRow`]s, or into a [`Refusal`] saying why the file cannot be read
//! at all. It does no I/O besides reading the bytes it is given and knows
//! nothing of the database: matching tags to checkpoints and storing the rows
//! in one transaction is the caller's work.
//!
//! The rule of the product is that nothing a guard walked is silently
//! dropped. So [`read`] returns every data row it could read *and* a
//! [`RowProblem`] for every row it could not, naming the row as a spreadsheet
//! user sees it and the field at fault; when [`Parsed::rejected`] is not
//! empty the caller refuses the whole file and shows that report. Wholly
//! blank rows are the only rows skipped, and they are counted.
//!
//! What is read:
//! * **Layouts** are described by a [`Mapping`]: for each [`Field`], the
//!   header texts that name its column. [`Mapping::builtin`] knows the
//!   common wand software (`wand-zh`, with its optional English second header
//!   row) and the traditional-Chinese split date/time layout
//!   (`patrol-zh-hant`). The header row may sit below a few title lines.
//! * **Encodings** of CSV: UTF-8 (with or without BOM), GBK for older Windows
//!   software, UTF-16 when a BOM says so. Anything else is refused rather
//!   than guessed.
//! * **Times** as text in year-first forms (`2026-11-30 22:05:13`,
//!   `2026/11/30 22:05`, `2026-11-30T22:05:13`, `2026年11月30日 22:05:13`,
//!   `2026/11/30 下午 10:05`), as spreadsheet serial numbers (days since
//!   1899-12-30, written as text or stored as numbers), or as XLSX date cells.
//!   Day-first or month-first dates (`30/11/2026`) are refused per row,
//!   because the two cannot be told apart in general. Local times are placed
//!   in the site's time zone given in [`Options`] and returned as UTC
//!   milliseconds.
//!
//! ```
//! use vigil_wand::{read, Options, jiff::tz::TimeZone};
//!
//! let csv = "巡检时间,巡检器,人员,巡检点,事件,编号\n\
//!            2026-11-30 22:05:13,W01,张伟,住院部一楼,正常,0F004EBEFC\n";
//! let tz = TimeZone::get("Asia/Shanghai").expect("bundled tzdb");
//! let parsed = read(csv.as_bytes(), "wand.csv", &Options::new(tz), &mut |_, _| {})
//!     .expect("a readable file");
//! assert!(parsed.rejected.is_empty());
//! assert_eq!(parsed.rows[0].chip.as_deref(), Some("0F004EBEFC"));
//! assert_eq!(parsed.rows[0].time_ms, 1_796_047_513_000); // 14:05:13 UTC
//! ```

mod cell;
mod decode;
mod layout;
mod rows;
mod source;
mod when;

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// The time library whose [`TimeZone`](jiff::tz::TimeZone) [`Options`]
/// takes, re-exported so the caller names the very same type.
pub use jiff;
pub use layout::NOT_SET;

/// A column of a wand export that this crate reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// Date and time of the check-in in one column.
    Time,
    /// Date of the check-in, when date and time are in separate columns.
    Date,
    /// Time of day of the check-in, beside [`Field::Date`].
    TimeOfDay,
    /// Number of the wand (reader) that recorded it.
    Reader,
    /// The guard, as the vendor software names them.
    Person,
    /// Checkpoint name; the tag itself in layouts without a chip column.
    Checkpoint,
    /// Event or status text.
    Event,
    /// Chip id of the checkpoint's tag, e.g. `0F004EBEFC`.
    Chip,
}

impl Field {
    /// Every field, in declaration order.
    pub const ALL: [Field; 8] = [
        Field::Time,
        Field::Date,
        Field::TimeOfDay,
        Field::Reader,
        Field::Person,
        Field::Checkpoint,
        Field::Event,
        Field::Chip,
    ];

    /// The field's English name, as shown in reports.
    pub fn name(self) -> &'static str {
        match self {
            Field::Time => "Time",
            Field::Date => "Date",
            Field::TimeOfDay => "Time of day",
            Field::Reader => "Reader",
            Field::Person => "Person",
            Field::Checkpoint => "Checkpoint",
            Field::Event => "Event",
            Field::Chip => "Chip ID",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A column layout: the header texts accepted for each field.
///
/// A header cell names a field when, ignoring whitespace, a BOM and the case
/// of Latin letters, it equals one of the field's texts; any header row may
/// match (so one list holds both the Chinese and the English names). A
/// mapping is usable when it can name a time (`time`, or `date` and
/// `time_of_day`) and a tag (`chip` or `checkpoint`).
///
/// Serialised as a table keyed by the snake_case field names, so the caller
/// can keep one per wand software as TOML or JSON:
///
/// ```toml
/// name = "site-b"
/// [columns]
/// time = ["打卡时间"]
/// chip = ["卡号"]
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mapping {
    /// Name shown to the user and returned in [`Parsed::mapping`].
    pub name: String,
    /// Header texts accepted per field.
    pub columns: BTreeMap<Field, Vec<String>>,
}

/// The kind of file that was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// Delimited text (comma, tab or semicolon).
    Csv,
    /// Office Open XML workbook.
    Xlsx,
    /// Legacy binary Excel workbook (BIFF), as some older wand software writes.
    Xls,
}

/// How to read a file.
#[derive(Clone, Debug)]
pub struct Options {
    /// The site's time zone, in which the wand's local times are read.
    pub time_zone: jiff::tz::TimeZone,
    /// The layout to use; `None` tries [`Mapping::builtin`] and uses the one
    /// whose headers match best.
    pub mapping: Option<Mapping>,
}

impl Options {
    /// Options for the given zone, trying the built-in layouts.
    pub fn new(time_zone: jiff::tz::TimeZone) -> Options {
        Options { time_zone, mapping: None }
    }

    /// The same options with an explicit layout.
    pub fn with_mapping(self, mapping: Mapping) -> Options {
        Options { mapping: Some(mapping), ..self }
    }
}

/// A file that could be read, with every row it held.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Parsed {
    /// The kind of file.
    pub format: Format,
    /// Text encoding: `"UTF-8"`, `"UTF-8 (BOM)"`, `"GBK"`, `"UTF-16LE (BOM)"`,
    /// `"UTF-16BE (BOM)"`, or `"—"` for workbooks.
    pub encoding: &'static str,
    /// CSV delimiter that was detected; `None` for workbooks.
    pub delimiter: Option<char>,
    /// Worksheet that was read; `None` for CSV.
    pub sheet: Option<String>,
    /// Other worksheets that held cells but were not read (their headers
    /// matched no layout, or an earlier sheet was read). The caller may want
    /// to mention them.
    pub ignored_sheets: Vec<String>,
    /// Name of the mapping used.
    pub mapping: String,
    /// For each field found, the header text of its column (first header row).
    pub columns: BTreeMap<Field, String>,
    /// Number of header rows: 1, or 2 with an English row under the Chinese.
    pub header_rows: usize,
    /// Non-blank lines above the header (titles), which were not read.
    pub skipped_preamble: usize,
    /// Wholly blank rows between the header and the last data row, skipped.
    pub blank_rows: usize,
    /// Rows below the header that repeat it (page breaks in some exports),
    /// skipped.
    pub repeated_headers: usize,
    /// Every data row that could be read, in file order.
    pub rows: Vec<WandRow>,
    /// Every data row that could not, one entry per faulty field, in file
    /// order. When this is not empty the caller must refuse the whole file.
    pub rejected: Vec<RowProblem>,
}

impl Parsed {
    /// True when every data row was read.
    pub fn is_clean(&self) -> bool {
        self.rejected.is_empty()
    }
}

/// One check-in as the wand recorded it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WandRow {
    /// 1-based row number in the file as a spreadsheet user sees it, header
    /// rows (and titles above them) counted.
    pub row: usize,
    /// The check-in time, UTC milliseconds since the Unix epoch.
    pub time_ms: i64,
    /// The time as written in the file (date and time joined by a space in
    /// split layouts).
    pub written_time: String,
    /// Wand (reader) number.
    pub reader: Option<String>,
    /// The guard, as the export names them.
    pub person: Option<String>,
    /// Checkpoint name; `None` when empty or written `未设置` ("not set").
    pub checkpoint: Option<String>,
    /// Event or status text.
    pub event: Option<String>,
    /// Chip id exactly as written (trimmed); the caller normalises it.
    pub chip: Option<String>,
}

/// A data row that could not be read, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowProblem {
    /// 1-based row number as a spreadsheet user sees it.
    pub row: usize,
    /// The field at fault.
    pub field: Field,
    /// Why, in English, for the report.
    pub reason: String,
    /// The row as text (the line as written, for CSV).
    pub raw: String,
}

/// Why a file as a whole cannot be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// No bytes, or only whitespace; or a workbook without cells.
    #[error("the file is empty")]
    Empty,
    /// The text is not UTF-8, not GBK, and has no UTF-16 BOM.
    #[error("the text is neither UTF-8 nor GBK; save it from the wand software as UTF-8 CSV or XLSX")]
    UnknownEncoding,
    /// No mapping's headers match within the first rows.
    #[error(
        "no known column layout: found headers [{}]; tried {}",
        .headers.join(", "),
        .tried.join(", ")
    )]
    UnknownLayout {
        /// The header cells found (of the widest of the first rows).
        headers: Vec<String>,
        /// Names of the mappings tried.
        tried: Vec<String>,
    },
    /// Not something this crate reads (binary data, a broken workbook, an
    /// HTML page with a spreadsheet's name).
    #[error("not a spreadsheet: {0}")]
    NotASpreadsheet(String),
    /// A header was found but no data row under it.
    #[error("the file has the headers of layout {mapping} but no rows")]
    NoRows {
        /// Name of the mapping whose headers were found.
        mapping: String,
    },
    /// The mapping given in [`Options`] cannot name a time and a tag.
    #[error("mapping {name} is unusable: {reason}")]
    BadMapping {
        /// The mapping's name.
        name: String,
        /// What it lacks.
        reason: String,
    },
}

/// Reads a wand export.
///
/// `file_name` is used only in messages; the kind of file is told from its
/// bytes (an XLSX renamed `.csv` is still read). `progress(done, total)` is
/// called every 1000 data rows and once at the end with `done == total`.
///
/// Returns [`Parsed`] even when some rows could not be read: check
/// [`Parsed::rejected`], and refuse the file if it is not empty.
pub fn read(
    bytes: &[u8],
    file_name: &str,
    options: &Options,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Parsed, Refusal> {
    let mappings = match &options.mapping {
        Some(mapping) => {
            mapping.check().map_err(|reason| Refusal::BadMapping { name: mapping.name.clone(), reason })?;
            vec![mapping.clone()]
        }
        None => Mapping::builtin(),
    };
    let found = source::open(bytes, file_name, &mappings)?;
    rows::read(found, &mappings, &options.time_zone, progress)
}
