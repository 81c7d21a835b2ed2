//! Finding a CJK font, and measuring and breaking text with its own advances.
//!
//! The PDF embeds (a subset of) one font that covers both Chinese and Latin text. Which one is
//! decided in this order:
//!
//! 1. the file named by the environment variable [`FONT_ENV`] (an error if it is unusable: an
//!    operator who set it wants that font, not a silent fallback);
//! 2. well-known paths of WenQuanYi Micro Hei, Noto Sans CJK / Source Han Sans, Microsoft YaHei,
//!    SimHei and PingFang;
//! 3. a scan of the system's fonts (`fontdb`) for those families.
//!
//! In a collection (`.ttc`) the face is chosen that maps the probe characters below, preferring
//! a Simplified-Chinese, proportional face (Noto Sans CJK SC over JP, Micro Hei over its Mono).
//!
//! Text is measured here and drawn by [`crate::render`] with the same glyph ids and advances, so
//! what the layout decided fits does fit. The reports need no complex shaping (Chinese and
//! Latin, left to right), so a character maps to one glyph through the font's `cmap`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use skrifa::instance::{LocationRef, Size};
use skrifa::metrics::GlyphMetrics;
use skrifa::raw::FileRef;
use skrifa::string::StringId;
use skrifa::{charmap::Charmap, FontRef, GlyphId, MetadataProvider};

use crate::ReportError;

/// The environment variable that names the font file to use, overriding the search.
pub const FONT_ENV: &str = "VIGIL_REPORT_FONT";

/// Characters a usable face must map: common surnames, report words, digits and Latin.
const PROBE: &str = "张王李刘陈杨巡更检报警页签字第共0123456789AZaz%";

/// Well-known locations of CJK fonts on Debian/Ubuntu, Fedora, Arch, macOS and Windows.
const KNOWN_PATHS: &[&str] = &[
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/source-han-sans/SourceHanSans-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "C:\\Windows\\Fonts\\msyh.ttc",
    "C:\\Windows\\Fonts\\simhei.ttf",
    "/System/Library/Fonts/PingFang.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
];

/// Families looked for among the system fonts when no known path exists.
const FAMILIES: &[&str] = &[
    "WenQuanYi Micro Hei",
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Noto Sans SC",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "WenQuanYi Zen Hei",
];

/// A font file and the face inside it that the reports use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FontChoice {
    /// The font file.
    pub path: PathBuf,
    /// The face's index in a collection (0 for a plain `.ttf`/`.otf`).
    pub index: u32,
}

/// The path of the CJK font the PDF reports embed; see [`font_choice`] for the search order.
pub fn font_path() -> Result<PathBuf, ReportError> {
    font_choice().map(|c| c.path)
}

/// The CJK font (file and face) the PDF reports embed.
///
/// Looks at [`FONT_ENV`] first, then well-known paths, then the system's fonts; the error names
/// everything that was looked for.
pub fn font_choice() -> Result<FontChoice, ReportError> {
    if let Some(p) = std::env::var_os(FONT_ENV).filter(|p| !p.is_empty()) {
        let path = PathBuf::from(p);
        return choose_face(&path);
    }
    for p in KNOWN_PATHS {
        let path = Path::new(p);
        if path.is_file() {
            if let Ok(choice) = choose_face(path) {
                return Ok(choice);
            }
        }
    }
    if let Some(choice) = scan_system() {
        return Ok(choice);
    }
    Err(ReportError::FontNotFound {
        looked_for: format!(
            "${FONT_ENV} (unset); files {}; system fonts of the families {} \
             (install e.g. fonts-wqy-microhei or fonts-noto-cjk, or set ${FONT_ENV})",
            KNOWN_PATHS.join(", "),
            FAMILIES.join(", ")
        ),
    })
}

/// Scans the system fonts for one of [`FAMILIES`].
fn scan_system() -> Option<FontChoice> {
    let mut db = fontdb::Database::new();
    db.load_system_fonts();
    for family in FAMILIES {
        let query = fontdb::Query { families: &[fontdb::Family::Name(family)], ..fontdb::Query::default() };
        let Some(id) = db.query(&query) else { continue };
        let Some(face) = db.face(id) else { continue };
        let path = match &face.source {
            fontdb::Source::File(p) | fontdb::Source::SharedFile(p, _) => p.clone(),
            fontdb::Source::Binary(_) => continue,
        };
        if let Ok(choice) = choose_face(&path) {
            return Some(choice);
        }
    }
    None
}

/// Picks the best face of the file at `path`, or says why none fits.
fn choose_face(path: &Path) -> Result<FontChoice, ReportError> {
    let unusable = |reason: String| ReportError::FontUnusable { path: path.to_path_buf(), reason };
    let data = std::fs::read(path).map_err(|e| unusable(e.to_string()))?;
    let file = FileRef::new(&data).map_err(|e| unusable(format!("not a font file ({e})")))?;
    let mut best: Option<(i32, u32)> = None;
    for (index, face) in (0u32..).zip(file.fonts()) {
        let Ok(face) = face else { continue };
        let charmap = face.charmap();
        if !PROBE.chars().all(|c| charmap.map(c).is_some()) {
            continue;
        }
        let family =
            face.localized_strings(StringId::FAMILY_NAME).english_or_first().map(|s| s.to_string()).unwrap_or_default();
        let mut score = 0;
        if family.contains(" SC") || family.contains("Micro Hei") || family.contains("YaHei") {
            score += 2;
        }
        if family.contains("Mono") {
            score -= 1;
        }
        if best.is_none_or(|(s, _)| score > s) {
            best = Some((score, index));
        }
    }
    match best {
        Some((_, index)) => Ok(FontChoice { path: path.to_path_buf(), index }),
        None => Err(unusable(format!("no face maps the Chinese and Latin characters {PROBE:?}"))),
    }
}

/// The chosen font's bytes, shared between the measuring code and the PDF writer.
pub(crate) struct FontData {
    pub bytes: Arc<Vec<u8>>,
    pub index: u32,
    pub path: PathBuf,
}

impl FontData {
    /// Finds and reads the report font.
    pub fn load() -> Result<Self, ReportError> {
        let choice = font_choice()?;
        let bytes = std::fs::read(&choice.path)?;
        Ok(FontData { bytes: Arc::new(bytes), index: choice.index, path: choice.path })
    }

    /// The measuring view of the face.
    pub fn metrics(&self) -> Result<Metrics<'_>, ReportError> {
        Metrics::new(&self.bytes, self.index).ok_or_else(|| ReportError::FontUnusable {
            path: self.path.clone(),
            reason: format!("face {} cannot be read", self.index),
        })
    }
}

/// One glyph placed by the layout: the font's glyph id and its advance in em.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Placed {
    pub glyph: u32,
    pub advance_em: f32,
}

/// Glyph lookup and advances of one face.
pub(crate) struct Metrics<'a> {
    charmap: Charmap<'a>,
    glyph_metrics: GlyphMetrics<'a>,
    /// Ascender in em, positive.
    pub ascent: f32,
    /// Descender in em, positive.
    pub descent: f32,
    has_ellipsis: bool,
}

const ELLIPSIS: &str = "…";

impl<'a> Metrics<'a> {
    fn new(data: &'a [u8], index: u32) -> Option<Self> {
        let face = FontRef::from_index(data, index).ok()?;
        let m = face.metrics(Size::unscaled(), LocationRef::default());
        let upem = f32::from(m.units_per_em.max(1));
        // Normalise the advances to em: a size of 1.0 "pixel" per em.
        let glyph_metrics = face.glyph_metrics(Size::new(1.0), LocationRef::default());
        let charmap = face.charmap();
        let has_ellipsis = charmap.map('…').is_some();
        Some(Metrics { charmap, glyph_metrics, ascent: m.ascent / upem, descent: (-m.descent) / upem, has_ellipsis })
    }

    /// The glyph for `c` (the font's `.notdef` if it has none).
    pub fn place(&self, c: char) -> Placed {
        let glyph = self.charmap.map(c).unwrap_or(GlyphId::NOTDEF);
        let advance_em = self.glyph_metrics.advance_width(glyph).unwrap_or(0.5);
        Placed { glyph: glyph.to_u32(), advance_em }
    }

    /// Width of `text` at `size` points.
    pub fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.place(c).advance_em).sum::<f32>() * size
    }

    fn ellipsis(&self) -> &'static str {
        if self.has_ellipsis {
            ELLIPSIS
        } else {
            "..."
        }
    }

    /// `text` on one line within `width`: as is when it fits, else cut and ended by an ellipsis.
    pub fn fit(&self, text: &str, size: f32, width: f32) -> String {
        let text = one_line(text);
        if self.width(&text, size) <= width {
            return text;
        }
        self.with_ellipsis(&text, size, width)
    }

    /// `text` on one line within `width`, cut at the start ("…tail") when it does not fit.
    pub fn fit_end(&self, text: &str, size: f32, width: f32) -> String {
        let text = one_line(text);
        if self.width(&text, size) <= width {
            return text;
        }
        let ell = self.ellipsis();
        let budget = width - self.width(ell, size);
        let mut used = 0.0;
        let mut tail: Vec<char> = Vec::new();
        for c in text.chars().rev() {
            let w = self.place(c).advance_em * size;
            if used + w > budget {
                break;
            }
            used += w;
            tail.push(c);
        }
        let mut out = ell.to_string();
        out.extend(tail.iter().rev());
        out
    }

    /// The longest start of `text` that, followed by an ellipsis, fits `width`.
    fn with_ellipsis(&self, text: &str, size: f32, width: f32) -> String {
        let ell = self.ellipsis();
        let budget = width - self.width(ell, size);
        let mut used = 0.0;
        let mut out = String::new();
        for c in text.chars() {
            let w = self.place(c).advance_em * size;
            if used + w > budget {
                break;
            }
            used += w;
            out.push(c);
        }
        let mut out = out.trim_end().to_string();
        out.push_str(ell);
        out
    }

    /// `text` broken into at most `max_lines` lines within `width`; the last line ends with an
    /// ellipsis when text was left out. Line breaks in `text` are kept.
    ///
    /// Breaks fall at spaces, or between two characters when either is CJK; a word wider than
    /// the column is cut anywhere. CJK closing punctuation is not put at the start of a line.
    pub fn wrap(&self, text: &str, size: f32, width: f32, max_lines: usize) -> Vec<String> {
        let max_lines = max_lines.max(1);
        let mut lines = Vec::new();
        let mut cut = false;
        for para in text.lines() {
            let chars: Vec<char> = para.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
            let para_lines = self.wrap_paragraph(&chars, size, width);
            for line in para_lines {
                if lines.len() == max_lines {
                    cut = true;
                    break;
                }
                lines.push(line);
            }
            if cut {
                break;
            }
        }
        if lines.is_empty() {
            lines.push(String::new());
        }
        if cut {
            if let Some(last) = lines.last_mut() {
                *last = self.with_ellipsis(last, size, width);
            }
        }
        lines
    }

    fn wrap_paragraph(&self, chars: &[char], size: f32, width: f32) -> Vec<String> {
        let mut lines = Vec::new();
        let mut start = 0;
        let len = chars.len();
        while start < len && chars[start] == ' ' {
            start += 1;
        }
        if start == len {
            return vec![String::new()];
        }
        while start < len {
            let mut used = 0.0;
            let mut i = start;
            let mut last_break = None;
            let mut last_space = None;
            while i < len {
                let w = self.place(chars[i]).advance_em * size;
                if used + w > width && i > start {
                    break;
                }
                used += w;
                let next = chars.get(i + 1).copied();
                if chars[i] == ' ' {
                    last_space = Some(i + 1);
                }
                if chars[i] == ' '
                    || (is_cjk(chars[i]) && next.is_some_and(|n| !is_closing(n)))
                    || next.is_some_and(|n| is_cjk(n) && !is_closing(n))
                {
                    last_break = Some(i + 1);
                }
                i += 1;
            }
            // Prefer a space (between words or names) when it keeps most of the line filled.
            let at_space = last_space.filter(|&b| (b - start) * 5 >= (i - start) * 3);
            let mut end = if i >= len {
                len
            } else {
                match at_space.or(last_break) {
                    Some(b) if b > start => b,
                    _ => i,
                }
            };
            // A forced cut must not leave closing punctuation at the start of the next line.
            if end < len && end > start + 1 && is_closing(chars[end]) {
                end -= 1;
            }
            lines.push(chars[start..end].iter().collect::<String>().trim_end().to_string());
            start = end;
            while start < len && chars[start] == ' ' {
                start += 1;
            }
        }
        lines
    }
}

/// `text` with line breaks and other control characters turned into spaces.
pub(crate) fn one_line(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// Whether a line may break before or after `c` without a space (ideographs, kana, hangul,
/// CJK punctuation and full-width forms).
fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x2E80..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFFEF
        | 0x20000..=0x3FFFF)
}

/// Punctuation that must not begin a line.
fn is_closing(c: char) -> bool {
    matches!(
        c,
        '，' | '。'
            | '、'
            | '；'
            | '：'
            | '？'
            | '！'
            | '）'
            | '》'
            | '」'
            | '』'
            | '】'
            | '”'
            | '’'
            | ','
            | '.'
            | ';'
            | ':'
            | '?'
            | '!'
            | ')'
            | ']'
            | '%'
            | '…'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_metrics(f: impl FnOnce(&Metrics<'_>)) {
        let Ok(data) = FontData::load() else {
            eprintln!("SKIPPED: no CJK font installed (see font_choice)");
            return;
        };
        let m = data.metrics().expect("face readable");
        f(&m);
    }

    #[test]
    fn fit_cuts_with_ellipsis_within_width() {
        with_metrics(|m| {
            let s = "值班保安张伟在门诊楼三层东侧楼梯间发现消防通道被杂物堵塞";
            let out = m.fit(s, 8.0, 60.0);
            assert!(out.ends_with('…'), "{out}");
            assert!(m.width(&out, 8.0) <= 60.0);
            assert_eq!(m.fit("张伟", 8.0, 60.0), "张伟");
            let id = "0193a1c2-7e4f-7b2a-9c1d-00000000001d";
            let end = m.fit_end(id, 8.0, 50.0);
            assert!(end.starts_with('…') && end.ends_with("1d"), "{end}");
            assert!(m.width(&end, 8.0) <= 50.0);
        });
    }

    #[test]
    fn wrap_breaks_cjk_and_words_and_caps_lines() {
        with_metrics(|m| {
            let s = "巡检点读卡器故障，已报修。The reader at gate 3 was replaced on Tuesday.";
            let lines = m.wrap(s, 8.0, 70.0, 10);
            assert!(lines.len() > 2, "{lines:?}");
            for l in &lines {
                assert!(m.width(l, 8.0) <= 70.0 + 0.01, "{l}");
                assert!(!l.starts_with('，') && !l.starts_with('。'), "{l}");
            }
            let joined: String = lines.concat().replace(' ', "");
            assert_eq!(joined, s.replace(' ', ""));
            let capped = m.wrap(s, 8.0, 70.0, 2);
            assert_eq!(capped.len(), 2);
            assert!(capped[1].ends_with('…'));
            assert_eq!(m.wrap("a\nb", 8.0, 70.0, 5), vec!["a", "b"]);
        });
    }

    #[test]
    fn env_override_naming_a_missing_file_is_an_error_naming_it() {
        // Exercised through choose_face, not the environment, so parallel tests are unaffected.
        let err = choose_face(Path::new("/nonexistent/font.ttf")).expect_err("missing file");
        assert!(err.to_string().contains("/nonexistent/font.ttf"), "{err}");
    }
}
