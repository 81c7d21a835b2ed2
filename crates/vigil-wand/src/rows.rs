//! Data rows into check-ins or problems.
//!
//! Every line under the header is either read into a [`WandRow`], reported
//! as one [`RowProblem`] per faulty field, or skipped because it is wholly
//! blank or repeats the header — and those skips are counted in [`Parsed`].
//! A row needs a time (the time column, or date and time-of-day columns) and
//! a tag (a chip id, or a checkpoint name other than [`NOT_SET`]); other
//! fields are kept as text when present. A cell holding a formula error in
//! any mapped column is a problem, since its value is lost.

use jiff::tz::TimeZone;

use crate::cell::Cell;
use crate::layout::{Layout, NOT_SET};
use crate::source::{Found, Line};
use crate::when::{self, Moment};
use crate::{Field, Mapping, Parsed, Refusal, RowProblem, WandRow};

/// How often progress is reported, in data rows.
const PROGRESS_EVERY: usize = 1000;

/// Reads the data rows of an opened file.
pub(crate) fn read(
    found: Found<'_>,
    mappings: &[Mapping],
    zone: &TimeZone,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Parsed, Refusal> {
    let layout = &found.layout;
    let mapping = mappings.get(layout.mapping).map(|m| m.name.clone()).unwrap_or_default();
    let first_data = (layout.header_index + layout.header_rows).min(found.lines.len());
    let data = &found.lines[first_data..];
    let total = data.len();
    let mut rows = Vec::with_capacity(total);
    let mut rejected = Vec::new();
    let (mut blank_rows, mut repeated_headers) = (0, 0);
    // CSV readers drop empty lines; the gaps they leave in the row numbers
    // are blank rows too.
    let mut previous = first_data.checked_sub(1).and_then(|i| found.lines.get(i)).map_or(0, |l| l.number);
    for (i, line) in data.iter().enumerate() {
        blank_rows += line.number.saturating_sub(previous + 1);
        previous = line.number;
        if line.is_blank() {
            blank_rows += 1;
        } else if layout.is_repeated_header(line) {
            repeated_headers += 1;
        } else {
            match read_row(line, layout, zone) {
                Ok(row) => rows.push(row),
                Err(problems) => {
                    let raw = found.raw(line);
                    rejected.extend(problems.into_iter().map(|(field, reason)| RowProblem {
                        row: line.number,
                        field,
                        reason,
                        raw: raw.clone(),
                    }));
                }
            }
        }
        let done = i + 1;
        if done % PROGRESS_EVERY == 0 && done < total {
            progress(done, total);
        }
    }
    progress(total, total);
    if rows.is_empty() && rejected.is_empty() {
        return Err(Refusal::NoRows { mapping });
    }
    Ok(Parsed {
        format: found.format,
        encoding: found.encoding,
        delimiter: found.delimiter,
        sheet: found.sheet.clone(),
        ignored_sheets: found.ignored_sheets.clone(),
        mapping,
        columns: layout.column_names.clone(),
        header_rows: layout.header_rows,
        skipped_preamble: layout.preamble,
        blank_rows,
        repeated_headers,
        rows,
        rejected,
    })
}

type Problem = (Field, String);

/// One line's cells looked up by field.
struct Cells<'a> {
    line: &'a Line,
    layout: &'a Layout,
}

impl<'a> Cells<'a> {
    fn has(&self, field: Field) -> bool {
        self.layout.columns.contains_key(&field)
    }

    /// The field's cell, `None` when blank or past the end of the row.
    fn get(&self, field: Field) -> Option<&'a Cell> {
        let column = *self.layout.columns.get(&field)?;
        self.line.cells.get(column).filter(|c| !c.is_blank())
    }

    /// Why a required field's cell is not there.
    fn missing(&self, field: Field) -> Problem {
        let past_end = self.layout.columns.get(&field).is_some_and(|&c| c >= self.line.cells.len());
        let reason = if past_end { "missing: the row ends before this column" } else { "empty" };
        (field, reason.to_owned())
    }

    /// An optional text field.
    fn text(&self, field: Field, problems: &mut Vec<Problem>) -> Option<String> {
        match self.get(field)? {
            Cell::Error(e) => {
                problems.push((field, format!("the cell holds the spreadsheet error {e}")));
                None
            }
            cell => Some(cell.text().into_owned()),
        }
    }
}

fn read_row(line: &Line, layout: &Layout, zone: &TimeZone) -> Result<WandRow, Vec<Problem>> {
    let cells = Cells { line, layout };
    let mut problems = Vec::new();
    let time = read_time(&cells, zone).map_err(|p| problems.extend(p)).ok();
    let reader = cells.text(Field::Reader, &mut problems);
    let person = cells.text(Field::Person, &mut problems);
    let event = cells.text(Field::Event, &mut problems);
    let chip = cells.text(Field::Chip, &mut problems);
    let written_checkpoint = cells.text(Field::Checkpoint, &mut problems);
    let not_set = written_checkpoint.as_deref().is_some_and(|c| NOT_SET.contains(&c));
    let checkpoint = written_checkpoint.filter(|_| !not_set);
    if chip.is_none() && checkpoint.is_none() && problems.iter().all(|(f, _)| !is_tag(*f)) {
        problems.push(no_tag(&cells, not_set));
    }
    match time {
        Some((time_ms, written_time)) if problems.is_empty() => {
            Ok(WandRow { row: line.number, time_ms, written_time, reader, person, checkpoint, event, chip })
        }
        _ => Err(problems),
    }
}

fn is_tag(field: Field) -> bool {
    matches!(field, Field::Chip | Field::Checkpoint)
}

fn no_tag(cells: &Cells<'_>, not_set: bool) -> Problem {
    let checkpoint = if not_set { "the checkpoint is 未设置 (not set)" } else { "no checkpoint name" };
    if cells.has(Field::Chip) {
        (Field::Chip, format!("no chip id, and {checkpoint}"))
    } else {
        (Field::Checkpoint, format!("{checkpoint}, and the layout has no chip column to match by"))
    }
}

/// The row's time in UTC milliseconds, and as written.
fn read_time(cells: &Cells<'_>, zone: &TimeZone) -> Result<(i64, String), Vec<Problem>> {
    let split = cells.has(Field::Date) && cells.has(Field::TimeOfDay);
    let (moment, written) = match cells.get(Field::Time) {
        Some(cell) => {
            let moment = when::date_time(cell).map_err(|r| vec![(Field::Time, r)])?;
            (moment, cell.text().into_owned())
        }
        None if split => {
            let date = cells
                .get(Field::Date)
                .ok_or_else(|| cells.missing(Field::Date))
                .and_then(|c| when::date(c).map(|d| (d, c)).map_err(|r| (Field::Date, r)));
            let time = cells
                .get(Field::TimeOfDay)
                .ok_or_else(|| cells.missing(Field::TimeOfDay))
                .and_then(|c| when::time_of_day(c).map(|t| (t, c)).map_err(|r| (Field::TimeOfDay, r)));
            match (date, time) {
                (Ok((date, date_cell)), Ok((time, time_cell))) => {
                    (Moment::Local(date.to_datetime(time)), format!("{} {}", date_cell.text(), time_cell.text()))
                }
                (date, time) => return Err([date.err(), time.err()].into_iter().flatten().collect()),
            }
        }
        None => return Err(vec![cells.missing(Field::Time)]),
    };
    let field = if cells.get(Field::Time).is_some() { Field::Time } else { Field::Date };
    let ms = moment.to_millis(zone).map_err(|r| vec![(field, r)])?;
    Ok((ms, written))
}
