//! Column layouts: the built-in mappings, and finding the header rows.
//!
//! Exports start with a header row, sometimes under a title line or two, and
//! some wand software writes a second header row in English under the
//! Chinese one. The header is looked for in the first [`HEADER_SEARCH`]
//! non-blank lines; the first line where some mapping names a time and a tag
//! is the header, and of the mappings matching there the one naming the most
//! columns wins (the earlier one on a tie). The line under it is a second
//! header row when the same mapping names a time and a tag in it too.

use std::collections::BTreeMap;

use crate::source::Line;
use crate::{Field, Mapping};

/// How many non-blank lines from the top may hold the header row.
pub(crate) const HEADER_SEARCH: usize = 5;

/// Checkpoint names that mean "no name set" (simplified and traditional).
/// A checkpoint written so counts as no checkpoint name, not as an error.
pub const NOT_SET: &[&str] = &["未设置", "未設置"];

impl Mapping {
    /// The layouts of known wand software.
    ///
    /// * `wand-zh`: `巡检时间,巡检器,人员,巡检点,事件,编号`, optionally with
    ///   the English row `Patrol Time,ReaderNum,Person,Checkpoint,Event,Chip ID`
    ///   (under it, or alone).
    /// * `patrol-zh-hant`: `日期,時間,巡邏員,地點,狀態` — split date and time,
    ///   no chip column: the place name is the tag.
    pub fn builtin() -> Vec<Mapping> {
        vec![
            Mapping::new(
                "wand-zh",
                &[
                    (Field::Time, &["巡检时间", "巡更时间", "Patrol Time"]),
                    (Field::Reader, &["巡检器", "巡更器", "ReaderNum", "Reader"]),
                    (Field::Person, &["人员", "巡检员", "巡更员", "Person"]),
                    (Field::Checkpoint, &["巡检点", "巡更点", "Checkpoint"]),
                    (Field::Event, &["事件", "Event"]),
                    (Field::Chip, &["编号", "Chip ID"]),
                ],
            ),
            Mapping::new(
                "patrol-zh-hant",
                &[
                    (Field::Date, &["日期", "Date"]),
                    (Field::TimeOfDay, &["時間", "Time"]),
                    (Field::Person, &["巡邏員", "Patrolman"]),
                    (Field::Checkpoint, &["地點", "Place"]),
                    (Field::Event, &["狀態", "Status"]),
                ],
            ),
        ]
    }

    /// The built-in mapping of that name.
    pub fn builtin_named(name: &str) -> Option<Mapping> {
        Mapping::builtin().into_iter().find(|m| m.name == name)
    }

    /// A mapping from literal header texts.
    pub fn new(name: &str, columns: &[(Field, &[&str])]) -> Mapping {
        Mapping {
            name: name.to_owned(),
            columns: columns
                .iter()
                .map(|(field, names)| (*field, names.iter().map(|n| (*n).to_owned()).collect()))
                .collect(),
        }
    }

    /// Whether the mapping can name a time and a tag; the reason when not.
    pub fn check(&self) -> Result<(), String> {
        let named =
            |field| self.columns.get(&field).is_some_and(|names| names.iter().any(|n| !normalise(n).is_empty()));
        if !(named(Field::Time) || (named(Field::Date) && named(Field::TimeOfDay))) {
            return Err("it names no header for time (nor for date and time of day)".into());
        }
        if !(named(Field::Chip) || named(Field::Checkpoint)) {
            return Err("it names no header for chip id nor for checkpoint".into());
        }
        Ok(())
    }
}

/// A header text as compared: without whitespace (full-width too), BOM or
/// zero-width spaces, Latin letters in lower case.
pub(crate) fn normalise(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '\u{FEFF}' | '\u{200B}'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Where the header is and which column holds each field.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Layout {
    /// Index of the chosen mapping in the list given to [`find`].
    pub mapping: usize,
    /// Index in the lines of the (first) header row.
    pub header_index: usize,
    /// 1 or 2.
    pub header_rows: usize,
    /// Non-blank lines above the header.
    pub preamble: usize,
    /// Column index of each field found.
    pub columns: BTreeMap<Field, usize>,
    /// Header text of each field's column.
    pub column_names: BTreeMap<Field, String>,
    /// The header lines, normalised, to recognise repeats below.
    header_keys: Vec<Vec<String>>,
}

impl Layout {
    /// Whether `line` repeats one of the header rows.
    pub(crate) fn is_repeated_header(&self, line: &Line) -> bool {
        self.header_keys.iter().any(|key| {
            let mut cells = line.cells.iter().map(|c| normalise(&c.text()));
            key.iter().all(|k| cells.next().is_some_and(|c| &c == k)) && cells.all(|c| c.is_empty())
        })
    }
}

/// A mapping's header texts, normalised once.
struct Matcher {
    names: Vec<(Field, Vec<String>)>,
}

impl Matcher {
    fn new(mapping: &Mapping) -> Matcher {
        Matcher {
            names: mapping
                .columns
                .iter()
                .map(|(field, names)| {
                    let names = names.iter().map(|n| normalise(n)).filter(|n| !n.is_empty());
                    (*field, names.collect())
                })
                .collect(),
        }
    }

    /// Column of each field named in `line` (the first such column).
    fn columns(&self, line: &Line) -> BTreeMap<Field, usize> {
        let cells: Vec<String> = line.cells.iter().map(|c| normalise(&c.text())).collect();
        self.names
            .iter()
            .filter_map(|(field, names)| {
                let column = cells.iter().position(|cell| names.iter().any(|n| n == cell))?;
                Some((*field, column))
            })
            .collect()
    }
}

/// Whether the columns found name a time and a tag.
fn usable(columns: &BTreeMap<Field, usize>) -> bool {
    let has = |field| columns.contains_key(&field);
    (has(Field::Time) || (has(Field::Date) && has(Field::TimeOfDay))) && (has(Field::Chip) || has(Field::Checkpoint))
}

/// Finds the header row(s) and the mapping that fits them.
pub(crate) fn find(lines: &[Line], mappings: &[Mapping]) -> Option<Layout> {
    let matchers: Vec<Matcher> = mappings.iter().map(Matcher::new).collect();
    let candidates = lines.iter().enumerate().filter(|(_, line)| !line.is_blank()).take(HEADER_SEARCH);
    for (preamble, (index, line)) in candidates.enumerate() {
        let mut best: Option<(usize, BTreeMap<Field, usize>)> = None;
        for (m, matcher) in matchers.iter().enumerate() {
            let columns = matcher.columns(line);
            let better = best.as_ref().is_none_or(|(_, b)| columns.len() > b.len());
            if usable(&columns) && better {
                best = Some((m, columns));
            }
        }
        let Some((mapping, mut columns)) = best else {
            continue;
        };
        let mut column_names: BTreeMap<Field, String> =
            columns.iter().map(|(field, &c)| (*field, line.cells[c].text().into_owned())).collect();
        let mut header_rows = 1;
        let mut header_keys = vec![key(line)];
        if let Some(next) = lines.get(index + 1) {
            let second = matchers[mapping].columns(next);
            if usable(&second) {
                header_rows = 2;
                header_keys.push(key(next));
                for (field, c) in second {
                    if let std::collections::btree_map::Entry::Vacant(slot) = columns.entry(field) {
                        slot.insert(c);
                        column_names.insert(field, next.cells[c].text().into_owned());
                    }
                }
            }
        }
        return Some(Layout {
            mapping,
            header_index: index,
            header_rows,
            preamble,
            columns,
            column_names,
            header_keys,
        });
    }
    None
}

/// A line's cells normalised, trailing empty cells dropped.
fn key(line: &Line) -> Vec<String> {
    let mut key: Vec<String> = line.cells.iter().map(|c| normalise(&c.text())).collect();
    while key.last().is_some_and(String::is_empty) {
        key.pop();
    }
    key
}

/// The header cells to name when no layout matched: those of the widest of
/// the first non-blank lines (title lines have one cell, headers many).
pub(crate) fn headers_found(lines: &[Line]) -> Vec<String> {
    let texts = |line: &Line| -> Vec<String> {
        line.cells.iter().map(|c| c.text().into_owned()).filter(|t| !t.is_empty()).collect()
    };
    lines.iter().filter(|line| !line.is_blank()).take(HEADER_SEARCH).map(texts).fold(Vec::new(), |widest, t| {
        if t.len() > widest.len() {
            t
        } else {
            widest
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cell::Cell;

    fn line(number: usize, cells: &[&str]) -> Line {
        Line { number, cells: cells.iter().map(|c| Cell::Text((*c).into())).collect(), span: None }
    }

    #[test]
    fn builtin_mappings_are_usable() {
        for mapping in Mapping::builtin() {
            assert_eq!(mapping.check(), Ok(()), "{}", mapping.name);
        }
    }

    #[test]
    fn normalising_ignores_case_space_and_bom() {
        assert_eq!(normalise("\u{FEFF} Chip\u{3000}ID "), "chipid");
        assert_eq!(normalise("巡检 时间"), "巡检时间");
    }

    #[test]
    fn finds_header_under_a_title_with_english_second_row() {
        let lines = [
            line(1, &["巡更记录报表"]),
            line(2, &["巡检时间", "巡检器", "人员", "巡检点", "事件", "编号"]),
            line(3, &["PATROL TIME", "ReaderNum", "Person", "Checkpoint", "Event", "Chip ID"]),
            line(4, &["2026-11-30 22:05:13", "1", "张伟", "A", "正常", "0F004EBEFC"]),
        ];
        let layout = find(&lines, &Mapping::builtin()).expect("a layout");
        assert_eq!((layout.mapping, layout.header_index, layout.header_rows), (0, 1, 2));
        assert_eq!(layout.preamble, 1);
        assert_eq!(layout.columns[&Field::Chip], 5);
        assert!(layout.is_repeated_header(&lines[2]));
        assert!(!layout.is_repeated_header(&lines[3]));
    }

    #[test]
    fn no_layout_names_the_widest_line() {
        let lines = [line(1, &["Report"]), line(2, &["When", "Where", ""])];
        assert_eq!(find(&lines, &Mapping::builtin()), None);
        assert_eq!(headers_found(&lines), ["When", "Where"]);
    }
}
