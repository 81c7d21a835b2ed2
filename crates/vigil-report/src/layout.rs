//! Page layout: a display list per page, flowing blocks, paginated tables and bar charts.
//!
//! The reports are laid out completely before anything is written, because every page's footer
//! says "page N of M" and M is known only at the end. Layout produces, per page, a list of
//! [`Op`]s (text runs, rectangles, lines) in points with the origin at the page's top-left
//! corner; [`crate::render`] turns them into PDF content.
//!
//! Flow is a single cursor `y` going down the page. Every block asks [`Canvas::ensure`] for its
//! height first and starts a new page when it does not fit, so nothing is cut at a page edge;
//! tables do that per row and repeat their header row on every page they continue on.

use crate::font::Metrics;
use crate::labels;
use crate::Language;

/// A4 width in points.
pub const PAGE_W: f32 = 595.28;
/// A4 height in points.
pub const PAGE_H: f32 = 841.89;
/// Left and right margin.
pub const MARGIN_X: f32 = 40.0;
/// Where content starts on page 1.
const TOP_FIRST: f32 = 40.0;
/// Where content starts on later pages, below the running header.
const TOP_NEXT: f32 = 58.0;
/// Where content must end, above the footer.
pub const BOTTOM: f32 = PAGE_H - 46.0;
/// Width available to content.
pub const CONTENT_W: f32 = PAGE_W - 2.0 * MARGIN_X;

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

pub const BLACK: Rgb = Rgb(0x1a, 0x1a, 0x1a);
pub const GREY: Rgb = Rgb(0x6b, 0x6b, 0x6b);
pub const RULE: Rgb = Rgb(0xc8, 0xc8, 0xc8);
pub const HEADER_FILL: Rgb = Rgb(0xe6, 0xea, 0xf0);
pub const ZEBRA: Rgb = Rgb(0xf5, 0xf6, 0xf8);
pub const ACCENT: Rgb = Rgb(0x1f, 0x4e, 0x8c);
pub const GOOD: Rgb = Rgb(0x2e, 0x7d, 0x32);
pub const WARN: Rgb = Rgb(0xe0, 0x8e, 0x0b);
pub const BAD: Rgb = Rgb(0xc6, 0x28, 0x28);
pub const BAD_FILL: Rgb = Rgb(0xfd, 0xec, 0xec);
pub const SECOND: Rgb = Rgb(0xf0, 0x8a, 0x24);

/// One drawing operation, in points from the page's top-left corner.
#[derive(Debug, Clone)]
pub enum Op {
    /// A run of text on one line; `y` is the baseline; `rotate` in degrees, clockwise on the
    /// page (negative turns the run upwards), about `(x, y)`.
    Text { x: f32, y: f32, size: f32, text: String, color: Rgb, bold: bool, rotate: f32 },
    /// A rectangle, filled and/or outlined.
    Rect { x: f32, y: f32, w: f32, h: f32, fill: Option<Rgb>, stroke: Option<Rgb>, line: f32 },
    /// A straight line, optionally dashed.
    Line { x1: f32, y1: f32, x2: f32, y2: f32, color: Rgb, width: f32, dashed: bool },
}

/// Horizontal alignment of text in a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
    Center,
}

/// A table column: header, relative width, alignment and how many lines a cell may take.
#[derive(Debug, Clone)]
pub struct Col {
    pub header: String,
    pub weight: f32,
    pub align: Align,
    pub max_lines: usize,
    /// Cut from the start ("…tail") instead of the end: identifiers differ in their tails.
    pub keep_end: bool,
    /// Bounds of the width [`Canvas::fit_columns`] gives the column, in points.
    pub min_w: f32,
    pub max_w: f32,
    /// Never narrower than its widest cell (times): other columns give up room first.
    pub fixed: bool,
}

impl Col {
    pub fn new(header: &str, weight: f32) -> Self {
        Col {
            header: header.to_string(),
            weight,
            align: Align::Left,
            max_lines: 1,
            keep_end: false,
            min_w: 0.0,
            max_w: f32::INFINITY,
            fixed: false,
        }
    }
    pub fn fixed(mut self) -> Self {
        self.fixed = true;
        self
    }
    pub fn keep_end(mut self) -> Self {
        self.keep_end = true;
        self
    }
    pub fn bounds(mut self, min_w: f32, max_w: f32) -> Self {
        self.min_w = min_w;
        self.max_w = max_w;
        self
    }
    pub fn right(mut self) -> Self {
        self.align = Align::Right;
        self
    }
    pub fn center(mut self) -> Self {
        self.align = Align::Center;
        self
    }
    pub fn lines(mut self, n: usize) -> Self {
        self.max_lines = n;
        self
    }
}

/// A table cell.
#[derive(Debug, Clone)]
pub struct Cell {
    pub text: String,
    pub color: Rgb,
    pub bold: bool,
}

impl Cell {
    pub fn colored(mut self, color: Rgb) -> Self {
        self.color = color;
        self
    }
    pub fn bold(mut self) -> Self {
        self.bold = true;
        self
    }
}

impl<S: Into<String>> From<S> for Cell {
    fn from(s: S) -> Self {
        Cell { text: s.into(), color: BLACK, bold: false }
    }
}

/// A row of a table: cells and an optional background highlighting the whole row.
#[derive(Debug, Clone)]
pub struct Row {
    pub cells: Vec<Cell>,
    pub fill: Option<Rgb>,
}

impl Row {
    pub fn new(cells: Vec<Cell>) -> Self {
        Row { cells, fill: None }
    }
    pub fn highlighted(mut self, fill: Option<Rgb>) -> Self {
        self.fill = fill;
        self
    }
}

/// One bar of a bar chart: label, value in `0..=1` (none: no data) and the text printed at it.
#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    pub value: Option<f32>,
    pub text: String,
}

/// The colour of a compliance value: green from 95 %, amber from 80 %, red below.
pub fn compliance_color(v: f32) -> Rgb {
    if v >= 0.95 {
        GOOD
    } else if v >= 0.80 {
        WARN
    } else {
        BAD
    }
}

/// Line height for a font size.
pub fn line_h(size: f32) -> f32 {
    size * 1.32
}

const CELL_PAD_X: f32 = 3.0;
const CELL_PAD_Y: f32 = 2.5;

/// The pages being laid out, and the cursor.
pub struct Canvas<'m> {
    pub m: &'m Metrics<'m>,
    pub lang: Language,
    pages: Vec<Vec<Op>>,
    /// The cursor: top of the next block.
    pub y: f32,
    /// Text of the running header on pages after the first.
    running: String,
}

impl<'m> Canvas<'m> {
    /// A canvas with page 1 started.
    pub fn new(m: &'m Metrics<'m>, lang: Language, running: String) -> Self {
        Canvas { m, lang, pages: vec![Vec::new()], y: TOP_FIRST, running }
    }

    /// The finished pages.
    pub fn into_pages(self) -> Vec<Vec<Op>> {
        self.pages
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    /// Starts a new page with the running header.
    pub fn new_page(&mut self) {
        self.pages.push(Vec::new());
        let size = 7.5;
        let baseline = 34.0;
        let text = self.m.fit(&self.running, size, CONTENT_W);
        self.text(MARGIN_X, baseline, size, &text, GREY, false);
        self.line(MARGIN_X, baseline + 5.0, PAGE_W - MARGIN_X, baseline + 5.0, RULE, 0.6);
        self.y = TOP_NEXT;
    }

    /// Space left on this page.
    pub fn remaining(&self) -> f32 {
        BOTTOM - self.y
    }

    /// Makes room for `h` points, starting a new page if this one has less left.
    /// Returns whether a page was started.
    pub fn ensure(&mut self, h: f32) -> bool {
        if h > self.remaining() && self.y > TOP_NEXT {
            self.new_page();
            true
        } else {
            false
        }
    }

    /// Moves the cursor down.
    pub fn gap(&mut self, h: f32) {
        self.y = (self.y + h).min(BOTTOM);
    }

    pub fn text(&mut self, x: f32, y: f32, size: f32, text: &str, color: Rgb, bold: bool) {
        if text.is_empty() {
            return;
        }
        self.ops().push(Op::Text { x, y, size, text: text.to_string(), color, bold, rotate: 0.0 });
    }

    pub fn text_rotated(&mut self, x: f32, y: f32, size: f32, text: &str, color: Rgb, deg: f32) {
        if text.is_empty() {
            return;
        }
        self.ops().push(Op::Text { x, y, size, text: text.to_string(), color, bold: false, rotate: deg });
    }

    /// Text aligned within `[x, x + w]`.
    #[allow(clippy::too_many_arguments)]
    pub fn text_in(&mut self, x: f32, w: f32, y: f32, size: f32, text: &str, color: Rgb, bold: bool, align: Align) {
        let tw = self.m.width(text, size);
        let tx = match align {
            Align::Left => x,
            Align::Right => x + w - tw,
            Align::Center => x + (w - tw) / 2.0,
        };
        self.text(tx, y, size, text, color, bold);
    }

    pub fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, fill: Option<Rgb>, stroke: Option<Rgb>) {
        self.ops().push(Op::Rect { x, y, w, h, fill, stroke, line: 0.6 });
    }

    pub fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, color: Rgb, width: f32) {
        self.ops().push(Op::Line { x1, y1, x2, y2, color, width, dashed: false });
    }

    pub fn dashed(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, color: Rgb, width: f32) {
        self.ops().push(Op::Line { x1, y1, x2, y2, color, width, dashed: true });
    }

    /// The baseline of a line of `size` text whose line box starts at `top`.
    pub fn baseline(&self, top: f32, size: f32) -> f32 {
        let glyph_h = (self.m.ascent + self.m.descent) * size;
        top + (line_h(size) - glyph_h) / 2.0 + self.m.ascent * size
    }

    /// A section title, kept on the same page as the first `keep` points of what follows.
    pub fn section(&mut self, title: &str, keep: f32) {
        let size = 11.5;
        let h = line_h(size) + 6.0;
        self.ensure(h + keep);
        if self.y > TOP_NEXT + 1.0 {
            self.gap(6.0);
        }
        let b = self.baseline(self.y, size);
        self.text(MARGIN_X, b, size, title, ACCENT, true);
        self.y += line_h(size) + 1.5;
        self.line(MARGIN_X, self.y, PAGE_W - MARGIN_X, self.y, ACCENT, 0.8);
        self.y += 4.5;
    }

    /// A wrapped paragraph, broken across pages by lines.
    pub fn paragraph(&mut self, text: &str, size: f32, color: Rgb, bold: bool) {
        for line in self.m.wrap(text, size, CONTENT_W, usize::MAX) {
            self.ensure(line_h(size));
            let b = self.baseline(self.y, size);
            self.text(MARGIN_X, b, size, &line, color, bold);
            self.y += line_h(size);
        }
    }

    /// Sets each column's weight to the width its widest cell (or the widest word of its
    /// header) needs at `size`, within the column's bounds, so that narrow data leaves room for
    /// wide data. [`Canvas::table`] then scales the weights to the content width.
    pub fn fit_columns(&self, cols: &mut [Col], rows: &[Row], size: f32) {
        for (k, col) in cols.iter_mut().enumerate() {
            let widest = rows
                .iter()
                .filter_map(|r| r.cells.get(k))
                .flat_map(|c| c.text.lines())
                .map(|l| self.m.width(l, size))
                .fold(0.0, f32::max);
            let header = col.header.split_whitespace().map(|w| self.m.width(w, size)).fold(0.0, f32::max);
            let natural = widest.max(header) + 2.0 * CELL_PAD_X + 1.0;
            // A header is never broken inside a word (or inside a CJK header, which has none).
            col.min_w = col.min_w.max((header + 2.0 * CELL_PAD_X + 1.0).min(col.max_w));
            if col.fixed {
                col.min_w = col.min_w.max(natural);
                col.max_w = col.max_w.max(col.min_w);
            }
            col.weight = natural.clamp(col.min_w, col.max_w);
        }
    }

    /// A table whose rows are laid out one by one; the header row repeats on every page and
    /// no row is split across pages. `title` is repeated, marked "continued", on later pages.
    pub fn table<I>(&mut self, title: &str, cols: &[Col], size: f32, rows: I)
    where
        I: IntoIterator<Item = Row>,
    {
        let pad_y = if size < 7.0 { 1.8 } else { CELL_PAD_Y };
        let widths = distribute(cols);
        let lh = line_h(size);
        let headers: Vec<Vec<String>> =
            cols.iter().zip(&widths).map(|(c, w)| self.m.wrap(&c.header, size, w - 2.0 * CELL_PAD_X, 3)).collect();
        let header_h = headers.iter().map(Vec::len).max().unwrap_or(1) as f32 * lh + 2.0 * pad_y;

        let mut header_on_page = false;
        for (i, row) in rows.into_iter().enumerate() {
            let lines: Vec<Vec<String>> = cols
                .iter()
                .zip(&widths)
                .enumerate()
                .map(|(k, (c, w))| {
                    let text = row.cells.get(k).map(|c| c.text.as_str()).unwrap_or("");
                    if c.keep_end {
                        vec![self.m.fit_end(text, size, w - 2.0 * CELL_PAD_X)]
                    } else {
                        self.m.wrap(text, size, w - 2.0 * CELL_PAD_X, c.max_lines)
                    }
                })
                .collect();
            let row_h = lines.iter().map(Vec::len).max().unwrap_or(1) as f32 * lh + 2.0 * pad_y;
            let need = row_h + if header_on_page { 0.0 } else { header_h };
            if self.ensure(need) {
                header_on_page = false;
                if i > 0 {
                    let caption = format!("{title}{}", labels::CONTINUED.get(self.lang));
                    let b = self.baseline(self.y, 8.0);
                    self.text(MARGIN_X, b, 8.0, &caption, GREY, false);
                    self.y += line_h(8.0) + 1.0;
                }
            }
            if !header_on_page {
                self.table_header(cols, &widths, &headers, size, header_h, pad_y);
                header_on_page = true;
            }
            let fill = row.fill.or((i % 2 == 1).then_some(ZEBRA));
            if let Some(f) = fill {
                self.rect(MARGIN_X, self.y, CONTENT_W, row_h, Some(f), None);
            }
            let mut x = MARGIN_X;
            for (k, (col, w)) in cols.iter().zip(&widths).enumerate() {
                let (color, bold) = row.cells.get(k).map_or((BLACK, false), |c| (c.color, c.bold));
                for (n, line) in lines[k].iter().enumerate() {
                    let b = self.baseline(self.y + pad_y + n as f32 * lh, size);
                    self.text_in(x + CELL_PAD_X, w - 2.0 * CELL_PAD_X, b, size, line, color, bold, col.align);
                }
                x += w;
            }
            self.y += row_h;
            self.line(MARGIN_X, self.y, PAGE_W - MARGIN_X, self.y, RULE, 0.4);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn table_header(&mut self, cols: &[Col], widths: &[f32], headers: &[Vec<String>], size: f32, h: f32, pad_y: f32) {
        self.rect(MARGIN_X, self.y, CONTENT_W, h, Some(HEADER_FILL), None);
        let mut x = MARGIN_X;
        for ((col, w), lines) in cols.iter().zip(widths).zip(headers) {
            for (n, line) in lines.iter().enumerate() {
                let b = self.baseline(self.y + pad_y + n as f32 * line_h(size), size);
                self.text_in(x + CELL_PAD_X, w - 2.0 * CELL_PAD_X, b, size, line, BLACK, true, col.align);
            }
            x += w;
        }
        self.y += h;
        self.line(MARGIN_X, self.y, PAGE_W - MARGIN_X, self.y, GREY, 0.6);
    }

    /// Label/value tiles in a grid (the totals "table"): small grey label over a large value.
    pub fn tiles(&mut self, items: &[(String, String, Rgb)], per_row: usize) {
        let per_row = per_row.max(1);
        let w = CONTENT_W / per_row as f32;
        let label_size = 7.5;
        let value_size = 13.0;
        let wrapped: Vec<Vec<String>> =
            items.iter().map(|(label, _, _)| self.m.wrap(label, label_size, w - 8.0, 2)).collect();
        let label_lines = wrapped.iter().map(Vec::len).max().unwrap_or(1) as f32;
        let h = label_lines * line_h(label_size) + line_h(value_size) + 7.0;
        for (chunk, labels) in items.chunks(per_row).zip(wrapped.chunks(per_row)) {
            self.ensure(h);
            let mut x = MARGIN_X;
            for ((_, value, color), lines) in chunk.iter().zip(labels) {
                self.rect(x, self.y, w, h, None, Some(RULE));
                for (n, line) in lines.iter().enumerate() {
                    let b = self.baseline(self.y + 3.0 + n as f32 * line_h(label_size), label_size);
                    self.text(x + 4.0, b, label_size, line, GREY, false);
                }
                let b = self.baseline(self.y + 4.0 + label_lines * line_h(label_size), value_size);
                let value = self.m.fit(value, value_size, w - 8.0);
                self.text(x + 4.0, b, value_size, &value, *color, true);
                x += w;
            }
            self.y += h;
        }
    }

    /// A vertical bar chart of fractions in `0..=1` (compliance per day) with a 0–100 % axis.
    /// Labels under the bars turn diagonal when they do not fit side by side.
    pub fn column_chart(&mut self, bars: &[Bar]) {
        let plot_h = 120.0;
        let axis_w = 30.0;
        let size = 6.5;
        let slot = (CONTENT_W - axis_w) / bars.len().max(1) as f32;
        let widest = bars.iter().map(|b| self.m.width(&b.label, size)).fold(0.0, f32::max);
        let diagonal = widest > slot - 2.0;
        let label_h = if diagonal { widest * 0.72 + 8.0 } else { line_h(size) + 4.0 };
        let total_h = plot_h + label_h + 26.0;
        self.ensure(total_h);
        self.compliance_legend();
        let top = self.y + 10.0;
        let x0 = MARGIN_X + axis_w;
        let base = top + plot_h;
        for pct in [0u32, 25, 50, 75, 100] {
            let y = base - plot_h * pct as f32 / 100.0;
            self.line(x0, y, PAGE_W - MARGIN_X, y, if pct == 0 { GREY } else { RULE }, 0.5);
            let t = format!("{pct}%");
            let b = y + size * 0.35;
            self.text_in(MARGIN_X, axis_w - 4.0, b, size, &t, GREY, false, Align::Right);
        }
        let value_size = if slot < 14.0 { 5.0 } else { 6.0 };
        for (i, bar) in bars.iter().enumerate() {
            let cx = x0 + slot * (i as f32 + 0.5);
            let bw = (slot * 0.7).min(36.0);
            if let Some(v) = bar.value {
                let v = v.clamp(0.0, 1.0);
                let h = (plot_h * v).max(0.8);
                self.rect(cx - bw / 2.0, base - h, bw, h, Some(compliance_color(v)), None);
            }
            // The value above the bar: as given, else rounded to whole percent, else left out;
            // never cut, since a cut number reads as a different number.
            let vy = base - plot_h * bar.value.unwrap_or(0.0).clamp(0.0, 1.0) - 2.0;
            let rounded = bar
                .value
                .map(|v| format!("{:.0}", crate::blocks::floor_to(f64::from(v) * 100.0, 0)))
                .unwrap_or_default();
            let fits = [bar.text.clone(), format!("{rounded}%"), rounded]
                .into_iter()
                .find(|t| self.m.width(t, value_size) <= slot);
            if let Some(vt) = fits {
                self.text_in(cx - slot / 2.0, slot, vy, value_size, &vt, BLACK, false, Align::Center);
            }
            if diagonal {
                let w = self.m.width(&bar.label, size);
                let c = std::f32::consts::FRAC_1_SQRT_2;
                // The run ends just under the bar's centre and rises to the left at 45°.
                let sx = cx - w * c + size * 0.3;
                let sy = base + 4.0 + w * c + size * 0.3;
                self.text_rotated(sx, sy, size, &bar.label, BLACK, -45.0);
            } else {
                let b = self.baseline(base + 2.0, size);
                self.text_in(cx - slot / 2.0, slot, b, size, &bar.label, BLACK, false, Align::Center);
            }
        }
        self.y = top + plot_h + label_h + 4.0;
    }

    /// The key of the compliance colours, right-aligned on a row of its own.
    fn compliance_legend(&mut self) {
        let size = 6.0;
        let items = [(GOOD, "≥ 95%"), (WARN, "80–95%"), (BAD, "< 80%")];
        let widths: Vec<f32> = items.iter().map(|(_, t)| self.m.width(t, size) + 22.0).collect();
        let mut x = PAGE_W - MARGIN_X - widths.iter().sum::<f32>() + 10.0;
        let b = self.baseline(self.y, size);
        for ((color, text), w) in items.iter().zip(&widths) {
            self.rect(x, b - size * 0.75, 7.0, size * 0.8, Some(*color), None);
            self.text(x + 10.0, b, size, text, GREY, false);
            x += w;
        }
        self.y += line_h(size) + 1.0;
    }

    /// A horizontal bar chart of fractions in `0..=1` (compliance per guard), one row per bar;
    /// a bar without a value draws only its label. `gap_after` inserts a note row after that
    /// many bars (the guards left out between the best and the worst).
    pub fn bar_chart(&mut self, bars: &[Bar], gap_after: Option<(usize, String)>) {
        let size = 7.0;
        let row_h = 12.0;
        let label_w = 120.0;
        let value_w = 70.0;
        let x0 = MARGIN_X + label_w;
        let plot_w = CONTENT_W - label_w - value_w;
        self.ensure(row_h * (bars.len().min(8) as f32) + 32.0);
        self.compliance_legend();
        let draw_axis = |cv: &mut Canvas<'_>| {
            let size = 6.0;
            for pct in [0u32, 25, 50, 75, 100] {
                let x = x0 + plot_w * pct as f32 / 100.0;
                let b = cv.baseline(cv.y, size);
                cv.text_in(x - 15.0, 30.0, b, size, &format!("{pct}%"), GREY, false, Align::Center);
            }
            cv.y += line_h(size) + 1.0;
        };
        draw_axis(self);
        let mut grid_top = self.y;
        let grid = |cv: &mut Canvas<'_>, top: f32| {
            for pct in [0u32, 25, 50, 75, 100] {
                let x = x0 + plot_w * pct as f32 / 100.0;
                cv.line(x, top, x, cv.y, if pct == 0 { GREY } else { RULE }, 0.5);
            }
        };
        for (i, bar) in bars.iter().enumerate() {
            if let Some((after, note)) = &gap_after {
                if i == *after {
                    let b = self.baseline(self.y + 1.0, size);
                    self.text_in(MARGIN_X, CONTENT_W, b, size, note, GREY, false, Align::Center);
                    self.y += row_h;
                }
            }
            if self.remaining() < row_h {
                grid(self, grid_top);
                self.new_page();
                draw_axis(self);
                grid_top = self.y;
            }
            let label = self.m.fit(&bar.label, size, label_w - 6.0);
            let b = self.baseline(self.y + (row_h - line_h(size)) / 2.0, size);
            self.text_in(MARGIN_X, label_w - 6.0, b, size, &label, BLACK, false, Align::Right);
            if let Some(v) = bar.value {
                let v = v.clamp(0.0, 1.0);
                self.rect(x0, self.y + 2.0, (plot_w * v).max(0.8), row_h - 4.0, Some(compliance_color(v)), None);
            }
            let text = self.m.fit(&bar.text, size, value_w - 6.0);
            self.text(x0 + plot_w + 5.0, b, size, &text, BLACK, false);
            self.y += row_h;
        }
        grid(self, grid_top);
        self.y += 4.0;
    }

    /// A histogram of counts per bin for one or more series (drawn side by side in each bin),
    /// with a dashed vertical target line at `target_at` bins from the left edge.
    pub fn histogram(
        &mut self,
        bins: &[String],
        series: &[(String, Rgb, Vec<u64>)],
        target: (f32, String),
        y_label: &str,
        x_label: &str,
    ) {
        let plot_h = 130.0;
        let axis_w: f32 = 30.0;
        let size = 6.5;
        let legend_h = line_h(size) + 6.0;
        let total_h = legend_h + plot_h + 2.0 * line_h(size) + 10.0;
        self.ensure(total_h);
        // Legend, with the y axis' unit at its left.
        let lb = self.baseline(self.y, size);
        self.text(MARGIN_X, lb, size, y_label, GREY, false);
        let mut lx = MARGIN_X + axis_w.max(self.m.width(y_label, size) + 8.0);
        for (name, color, _) in series {
            self.rect(lx, self.y + 2.0, 8.0, 6.0, Some(*color), None);
            self.text(lx + 11.0, lb, size, name, BLACK, false);
            lx += 11.0 + self.m.width(name, size) + 14.0;
        }
        self.dashed(lx, self.y + 5.0, lx + 14.0, self.y + 5.0, BAD, 1.0);
        self.text(lx + 17.0, lb, size, &target.1, BAD, false);
        self.y += legend_h;

        let top = self.y;
        let base = top + plot_h;
        let x0 = MARGIN_X + axis_w;
        let plot_w = CONTENT_W - axis_w;
        let max = series.iter().flat_map(|s| s.2.iter().copied()).max().unwrap_or(0).max(1);
        let step = nice_step(max);
        let ymax = max.div_ceil(step) * step;
        let mut t = 0;
        while t <= ymax {
            let y = base - plot_h * t as f32 / ymax as f32;
            self.line(x0, y, x0 + plot_w, y, if t == 0 { GREY } else { RULE }, 0.5);
            self.text_in(MARGIN_X, axis_w - 4.0, y + size * 0.35, size, &t.to_string(), GREY, false, Align::Right);
            t += step;
        }
        let slot = plot_w / bins.len().max(1) as f32;
        let n = series.len().max(1) as f32;
        let bw = (slot * 0.8 / n).min(18.0);
        for (i, bin) in bins.iter().enumerate() {
            let cx = x0 + slot * (i as f32 + 0.5);
            let mut bx = cx - bw * n / 2.0;
            for (_, color, counts) in series {
                let c = counts.get(i).copied().unwrap_or(0);
                if c > 0 {
                    let h = plot_h * c as f32 / ymax as f32;
                    self.rect(bx, base - h, bw, h, Some(*color), None);
                    self.text_in(bx - 4.0, bw + 8.0, base - h - 2.0, 5.5, &c.to_string(), BLACK, false, Align::Center);
                }
                bx += bw;
            }
            let b = self.baseline(base + 2.0, size);
            self.text_in(cx - slot / 2.0, slot, b, size, bin, BLACK, false, Align::Center);
        }
        let tx = x0 + slot * target.0;
        self.dashed(tx, top - 4.0, tx, base, BAD, 1.0);
        let b = self.baseline(base + 3.0 + line_h(size), size);
        self.text_in(x0, plot_w, b, size, x_label, GREY, false, Align::Center);
        self.y = base + 2.0 * line_h(size) + 8.0;
    }
}

/// Column widths filling the content width. Weights that fall short are scaled up. When they
/// are too wide, the widest columns give up room first: every column is capped at one common
/// width (but kept at its minimum), so short columns (kinds, counts, names) keep their natural
/// width and the long text columns wrap.
fn distribute(cols: &[Col]) -> Vec<f32> {
    let total: f32 = cols.iter().map(|c| c.weight).sum::<f32>().max(f32::EPSILON);
    let proportional = || cols.iter().map(|c| c.weight / total * CONTENT_W).collect();
    if total <= CONTENT_W {
        return proportional();
    }
    let floor = |c: &Col| c.min_w.min(c.weight);
    if cols.iter().map(floor).sum::<f32>() >= CONTENT_W {
        return proportional();
    }
    let at = |cap: f32| -> Vec<f32> { cols.iter().map(|c| c.weight.min(cap).max(floor(c))).collect() };
    let (mut lo, mut hi) = (0.0f32, cols.iter().map(|c| c.weight).fold(0.0, f32::max));
    for _ in 0..40 {
        let mid = (lo + hi) / 2.0;
        if at(mid).iter().sum::<f32>() > CONTENT_W {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    at(lo)
}

/// A step of 1, 2 or 5 × 10ⁿ giving about five gridlines up to `max`.
fn nice_step(max: u64) -> u64 {
    let raw = (max as f64 / 5.0).max(1.0);
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].iter().map(|f| f * mag).find(|s| *s >= raw).unwrap_or(10.0 * mag);
    (step as u64).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::font::FontData;

    #[test]
    fn table_rows_never_cross_the_page_bottom_and_headers_repeat() {
        let Ok(font) = FontData::load() else {
            eprintln!("SKIPPED: no CJK font installed");
            return;
        };
        let m = font.metrics().expect("metrics");
        let mut cv = Canvas::new(&m, Language::Zh, "running".into());
        let cols = [Col::new("编号", 1.0), Col::new("说明", 4.0).lines(8)];
        let rows = (0..300).map(|i| {
            let text = "很长的说明文字，".repeat(i % 9 * 3);
            Row::new(vec![format!("row-{i}").into(), text.into()])
        });
        cv.table("表", &cols, 7.5, rows);
        let pages = cv.into_pages();
        assert!(pages.len() > 5, "{} pages", pages.len());
        let mut seen = Vec::new();
        for (p, ops) in pages.iter().enumerate() {
            let mut headers = 0;
            for op in ops {
                if let Op::Text { y, text, .. } = op {
                    assert!(*y <= BOTTOM && *y > 0.0, "text at {y} on page {p}");
                    if text == "编号" {
                        headers += 1;
                    }
                    if let Some(n) = text.strip_prefix("row-") {
                        seen.push(n.parse::<usize>().expect("row number"));
                    }
                }
            }
            assert_eq!(headers, 1, "header row once on page {p}");
        }
        assert_eq!(seen, (0..300).collect::<Vec<_>>(), "every row once, in order");
    }

    #[test]
    fn wide_columns_give_up_room_first() {
        let cols = [
            Col::new("a", 30.0).bounds(30.0, 30.0),
            Col::new("b", 400.0).bounds(50.0, 400.0),
            Col::new("c", 300.0).bounds(50.0, 300.0),
        ];
        let w = distribute(&cols);
        assert!((w.iter().sum::<f32>() - CONTENT_W).abs() < 0.5, "{w:?}");
        assert!((w[0] - 30.0).abs() < 0.01, "narrow column kept: {w:?}");
        assert!((w[1] - w[2]).abs() < 0.5, "both wide columns capped alike: {w:?}");
    }

    #[test]
    fn nice_steps() {
        assert_eq!(nice_step(1), 1);
        assert_eq!(nice_step(7), 2);
        assert_eq!(nice_step(23), 5);
        assert_eq!(nice_step(120), 50);
    }
}
