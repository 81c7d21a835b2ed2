//! Writing laid-out pages as a PDF with `krilla`.
//!
//! krilla embeds the face as a CID font, subsets it to the glyphs used and writes a ToUnicode
//! map from the text given with each glyph run, so the report's text can be searched, copied
//! and extracted (`pdftotext`). Glyphs are placed here with the ids and advances the layout
//! measured ([`crate::font::Metrics`]), so nothing overflows what the layout decided.

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect, Transform};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke, StrokeDash};
use krilla::surface::Surface;
use krilla::text::{Font, GlyphId, KrillaGlyph};
use krilla::Document;

use crate::font::{FontData, Metrics};
use crate::labels;
use crate::layout::{Op, Rgb, GREY, MARGIN_X, PAGE_H, PAGE_W, RULE};
use crate::{Language, ReportError};

/// What the footer of every page says besides the page number.
pub struct Footer {
    pub left: String,
    pub lang: Language,
}

/// Writes `pages` as an A4 PDF with a footer ("page N of M") on each page.
pub fn write_pdf(
    font: &FontData,
    m: &Metrics<'_>,
    pages: &[Vec<Op>],
    footer: &Footer,
    title: &str,
) -> Result<Vec<u8>, ReportError> {
    let kfont = Font::new(font.bytes.clone().into(), font.index).ok_or_else(|| ReportError::FontUnusable {
        path: font.path.clone(),
        reason: "rejected by the PDF writer".into(),
    })?;
    let mut doc = Document::new();
    let lang = match footer.lang {
        Language::Zh => "zh-CN",
        Language::En => "en",
    };
    doc.set_metadata(
        Metadata::new()
            .title(title.to_string())
            .language(lang.to_string())
            .creator("Vigil".to_string())
            .producer("vigil-report".to_string()),
    );
    let settings = PageSettings::from_wh(PAGE_W, PAGE_H).ok_or_else(|| ReportError::Pdf("invalid page size".into()))?;
    let count = pages.len();
    for (i, ops) in pages.iter().enumerate() {
        let mut page = doc.start_page_with(settings.clone());
        let mut surface = page.surface();
        for op in ops {
            draw(&mut surface, &kfont, m, op);
        }
        let y = PAGE_H - 24.0;
        draw(
            &mut surface,
            &kfont,
            m,
            &Op::Line {
                x1: MARGIN_X,
                y1: y - 11.0,
                x2: PAGE_W - MARGIN_X,
                y2: y - 11.0,
                color: RULE,
                width: 0.6,
                dashed: false,
            },
        );
        let left = m.fit(&footer.left, 7.0, 300.0);
        draw(&mut surface, &kfont, m, &text_op(MARGIN_X, y, 7.0, &left));
        let num = labels::page_of(footer.lang, i + 1, count);
        let x = PAGE_W - MARGIN_X - m.width(&num, 8.0);
        draw(&mut surface, &kfont, m, &text_op(x, y, 8.0, &num));
        surface.finish();
        page.finish();
    }
    doc.finish().map_err(|e| ReportError::Pdf(format!("{e:?}")))
}

fn text_op(x: f32, y: f32, size: f32, text: &str) -> Op {
    Op::Text { x, y, size, text: text.to_string(), color: GREY, bold: false, rotate: 0.0 }
}

fn paint(c: Rgb) -> krilla::paint::Paint {
    rgb::Color::new(c.0, c.1, c.2).into()
}

fn fill(c: Rgb) -> Fill {
    Fill { paint: paint(c), opacity: NormalizedF32::ONE, rule: Default::default() }
}

fn stroke(c: Rgb, width: f32, dashed: bool) -> Stroke {
    Stroke {
        paint: paint(c),
        width,
        dash: dashed.then(|| StrokeDash { array: vec![3.0, 2.0], offset: 0.0 }),
        ..Stroke::default()
    }
}

fn draw(s: &mut Surface<'_>, font: &Font, m: &Metrics<'_>, op: &Op) {
    match op {
        Op::Text { x, y, size, text, color, bold, rotate } => {
            let glyphs = glyphs(m, text);
            s.set_fill(Some(fill(*color)));
            // The face has no bold; headings are filled and thinly stroked in the same colour.
            s.set_stroke(bold.then(|| stroke(*color, size * 0.04, false)));
            if *rotate == 0.0 {
                s.draw_glyphs(Point::from_xy(*x, *y), &glyphs, font.clone(), text, *size, false);
            } else {
                let (sin, cos) = rotate.to_radians().sin_cos();
                s.push_transform(&Transform::from_row(cos, sin, -sin, cos, *x, *y));
                s.draw_glyphs(Point::from_xy(0.0, 0.0), &glyphs, font.clone(), text, *size, false);
                s.pop();
            }
            s.set_stroke(None);
        }
        Op::Rect { x, y, w, h, fill: f, stroke: st, line } => {
            let Some(rect) = Rect::from_xywh(*x, *y, w.max(0.01), h.max(0.01)) else { return };
            let mut pb = PathBuilder::new();
            pb.push_rect(rect);
            let Some(path) = pb.finish() else { return };
            s.set_fill(f.map(fill));
            s.set_stroke(st.map(|c| stroke(c, *line, false)));
            if f.is_some() || st.is_some() {
                s.draw_path(&path);
            }
            s.set_stroke(None);
        }
        Op::Line { x1, y1, x2, y2, color, width, dashed } => {
            let mut pb = PathBuilder::new();
            pb.move_to(*x1, *y1);
            pb.line_to(*x2, *y2);
            let Some(path) = pb.finish() else { return };
            s.set_fill(None);
            s.set_stroke(Some(stroke(*color, *width, *dashed)));
            s.draw_path(&path);
            s.set_stroke(None);
        }
    }
}

/// One glyph per character, with its byte range in `text` for the ToUnicode map.
fn glyphs(m: &Metrics<'_>, text: &str) -> Vec<KrillaGlyph> {
    text.char_indices()
        .map(|(i, c)| {
            let p = m.place(c);
            KrillaGlyph::new(GlyphId::new(p.glyph), p.advance_em, 0.0, 0.0, 0.0, i..i + c.len_utf8(), None)
        })
        .collect()
}
