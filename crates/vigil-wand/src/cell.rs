//! One cell of a file, whatever it came from.
//!
//! CSV gives text only; a workbook also gives numbers and date cells. Keeping
//! the kinds apart until a field is read lets a date cell be read as a date
//! (exactly, epoch and all) while a text cell is parsed, and lets reports show
//! each cell roughly as the spreadsheet shows it.

use std::borrow::Cow;

/// A cell's value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Cell {
    /// Nothing in it.
    Empty,
    /// Text (every CSV cell, and string cells of workbooks).
    Text(String),
    /// A plain number in a workbook.
    Number(f64),
    /// A workbook cell formatted as a date and/or time.
    DateTime {
        /// The serial number as stored (days since the workbook's epoch).
        serial: f64,
        /// Year, month, day, hour, minute, second, millisecond, as the
        /// spreadsheet library read the serial in the workbook's epoch.
        parts: (u16, u8, u8, u8, u8, u8, u16),
    },
    /// A formula error such as `#N/A`.
    Error(String),
}

impl Cell {
    /// True when the cell holds nothing but whitespace.
    pub(crate) fn is_blank(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(text) => text.trim().is_empty(),
            _ => false,
        }
    }

    /// The cell as text, trimmed, as a report shows it.
    pub(crate) fn text(&self) -> Cow<'_, str> {
        match self {
            Cell::Empty => Cow::Borrowed(""),
            Cell::Text(text) => Cow::Borrowed(text.trim()),
            Cell::Number(n) => Cow::Owned(number_text(*n)),
            Cell::DateTime { serial, parts } => {
                let (y, mo, d, h, mi, s, _) = *parts;
                Cow::Owned(if *serial < 1.0 {
                    format!("{h:02}:{mi:02}:{s:02}")
                } else if serial.fract() == 0.0 {
                    format!("{y:04}-{mo:02}-{d:02}")
                } else {
                    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
                })
            }
            Cell::Error(e) => Cow::Borrowed(e),
        }
    }
}

/// A number as a spreadsheet shows it by default: whole numbers without a
/// decimal point (chip ids and wand numbers stored as numbers read back as
/// written, bar leading zeros the workbook itself dropped).
pub(crate) fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_back_as_written() {
        assert_eq!(number_text(12.0), "12");
        assert_eq!(number_text(46356.92), "46356.92");
        assert_eq!(Cell::Number(7.0).text(), "7");
    }

    #[test]
    fn blank_is_whitespace_only() {
        assert!(Cell::Text(" \t".into()).is_blank());
        assert!(Cell::Empty.is_blank());
        assert!(!Cell::Number(0.0).is_blank());
    }
}
