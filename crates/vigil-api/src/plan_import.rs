//! Checking an uploaded floor-plan image before anything is stored: PNG, JPEG or SVG, whole, and
//! within the configured limits. A refused file changes nothing.

use std::io::Cursor;

use image::{ImageFormat, ImageReader, Limits};
use vigil_domain::PlanSize;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanImportError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is {size} bytes; floor plans may be at most {limit} bytes (map.max_plan_bytes in vigil.toml)")]
    TooLarge { size: usize, limit: usize },
    #[error("the file is not a PNG, JPEG or SVG image")]
    NotAnImage,
    #[error("the {format} image is damaged or cut short: {detail}")]
    Damaged { format: &'static str, detail: String },
    #[error("the image is {width} × {height} pixels; each side may be at most {max_side} (map.max_plan_side)")]
    TooManyPixels { width: u64, height: u64, max_side: u32 },
    #[error("the SVG gives no size: it needs width and height, or a viewBox")]
    SvgWithoutSize,
    #[error("the SVG holds scripts or embedded HTML ({0}); a floor plan must be a plain drawing")]
    SvgActiveContent(String),
}

impl PlanImportError {
    /// A stable code for programs and tests.
    pub fn code(&self) -> crate::ErrorCode {
        use crate::ErrorCode;
        match self {
            PlanImportError::Empty => ErrorCode::PlanEmpty,
            PlanImportError::TooLarge { .. } => ErrorCode::PlanTooLarge,
            PlanImportError::NotAnImage => ErrorCode::PlanNotAnImage,
            PlanImportError::Damaged { .. } => ErrorCode::PlanDamaged,
            PlanImportError::TooManyPixels { .. } => ErrorCode::PlanTooManyPixels,
            PlanImportError::SvgWithoutSize => ErrorCode::PlanSvgWithoutSize,
            PlanImportError::SvgActiveContent(_) => ErrorCode::PlanSvgActiveContent,
        }
    }
}

/// What a valid plan image is: its media type and pixel size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanInfo {
    pub mime: &'static str,
    pub size: PlanSize,
}

/// Decides whether `bytes` may become a floor plan. Raster images are decoded in full, so that a
/// truncated file is caught here rather than showing half a floor to an operator.
pub fn inspect_plan(bytes: &[u8], max_bytes: usize, max_side: u32) -> Result<PlanInfo, PlanImportError> {
    if bytes.is_empty() {
        return Err(PlanImportError::Empty);
    }
    if bytes.len() > max_bytes {
        return Err(PlanImportError::TooLarge { size: bytes.len(), limit: max_bytes });
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return raster(bytes, ImageFormat::Png, "PNG", "image/png", max_side);
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return raster(bytes, ImageFormat::Jpeg, "JPEG", "image/jpeg", max_side);
    }
    svg(bytes, max_side)
}

fn raster(
    bytes: &[u8],
    format: ImageFormat,
    name: &'static str,
    mime: &'static str,
    max_side: u32,
) -> Result<PlanInfo, PlanImportError> {
    let damaged = |detail: String| PlanImportError::Damaged { format: name, detail };
    let (width, height) =
        ImageReader::with_format(Cursor::new(bytes), format).into_dimensions().map_err(|e| damaged(e.to_string()))?;
    if width > max_side || height > max_side || width == 0 || height == 0 {
        return Err(PlanImportError::TooManyPixels { width: width.into(), height: height.into(), max_side });
    }
    // The JPEG decoder fills a cut-off scan with grey instead of failing, so look for the
    // end-of-image marker ourselves (allowing the padding some cameras and scanners add).
    if format == ImageFormat::Jpeg {
        let tail = &bytes[bytes.len().saturating_sub(1024)..];
        if !tail.windows(2).any(|w| w == [0xFF, 0xD9]) {
            return Err(damaged("the end-of-image marker is missing".into()));
        }
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_alloc = Some(1 << 30);
    reader.limits(limits);
    reader.decode().map_err(|e| damaged(e.to_string()))?;
    Ok(PlanInfo { mime, size: PlanSize { width, height } })
}

fn svg(bytes: &[u8], max_side: u32) -> Result<PlanInfo, PlanImportError> {
    let text = std::str::from_utf8(bytes).map_err(|_| PlanImportError::NotAnImage)?;
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if !(trimmed.starts_with('<')) {
        return Err(PlanImportError::NotAnImage);
    }
    let options = roxmltree::ParsingOptions { allow_dtd: true, ..roxmltree::ParsingOptions::default() };
    let doc = roxmltree::Document::parse_with_options(trimmed, options).map_err(|e| {
        if trimmed.contains("<svg") {
            PlanImportError::Damaged { format: "SVG", detail: e.to_string() }
        } else {
            PlanImportError::NotAnImage
        }
    })?;
    let root = doc.root_element();
    if root.tag_name().name() != "svg" {
        return Err(PlanImportError::NotAnImage);
    }
    for node in doc.descendants().filter(|n| n.is_element()) {
        let name = node.tag_name().name();
        if name == "script" || name == "foreignObject" {
            return Err(PlanImportError::SvgActiveContent(format!("<{name}>")));
        }
        if let Some(attr) = node.attributes().find(|a| a.name().to_ascii_lowercase().starts_with("on")) {
            return Err(PlanImportError::SvgActiveContent(format!("{}=", attr.name())));
        }
    }
    let length = |name: &str| -> Option<f64> {
        let value = root.attribute(name)?.trim();
        let number = value.strip_suffix("px").unwrap_or(value);
        number.parse::<f64>().ok().filter(|v| v.is_finite() && *v > 0.0)
    };
    let view_box = root.attribute("viewBox").and_then(|v| {
        let parts: Vec<f64> = v
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|p| !p.is_empty())
            .filter_map(|p| p.parse().ok())
            .collect();
        (parts.len() == 4 && parts[2] > 0.0 && parts[3] > 0.0).then(|| (parts[2], parts[3]))
    });
    let (w, h) = match (length("width"), length("height"), view_box) {
        (Some(w), Some(h), _) => (w, h),
        (_, _, Some(vb)) => vb,
        _ => return Err(PlanImportError::SvgWithoutSize),
    };
    let (width, height) = (w.round() as u64, h.round() as u64);
    if width == 0 || height == 0 || width > u64::from(max_side) || height > u64::from(max_side) {
        return Err(PlanImportError::TooManyPixels { width, height, max_side });
    }
    Ok(PlanInfo { mime: "image/svg+xml", size: PlanSize { width: width as u32, height: height as u32 } })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: usize = 1 << 20;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut out = Vec::new();
        image::RgbImage::from_pixel(width, height, image::Rgb([20, 30, 40]))
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .expect("encode png");
        out
    }

    fn jpeg(width: u32, height: u32) -> Vec<u8> {
        let mut out = Vec::new();
        image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x % 255) as u8, (y % 255) as u8, 90]))
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Jpeg)
            .expect("encode jpeg");
        out
    }

    #[test]
    fn png_jpeg_and_svg_plans_are_accepted_with_their_size() {
        assert_eq!(
            inspect_plan(&png(300, 200), MAX, 4096),
            Ok(PlanInfo { mime: "image/png", size: PlanSize { width: 300, height: 200 } })
        );
        assert_eq!(
            inspect_plan(&jpeg(64, 48), MAX, 4096).map(|i| (i.mime, i.size.width, i.size.height)),
            Ok(("image/jpeg", 64, 48))
        );
        let svg = br#"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="1600px" height="900"><rect width="10" height="10"/></svg>"#;
        assert_eq!(inspect_plan(svg, MAX, 4096).map(|i| i.size), Ok(PlanSize { width: 1600, height: 900 }));
        let view_box = br#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1200 800" width="100%"/>"#;
        assert_eq!(inspect_plan(view_box, MAX, 4096).map(|i| i.size), Ok(PlanSize { width: 1200, height: 800 }));
    }

    #[test]
    fn files_that_are_not_images_are_refused() {
        assert_eq!(inspect_plan(b"", MAX, 4096), Err(PlanImportError::Empty));
        assert_eq!(inspect_plan(b"%PDF-1.7 floor plan", MAX, 4096), Err(PlanImportError::NotAnImage));
        assert_eq!(inspect_plan(b"<html><body>hi</body></html>", MAX, 4096), Err(PlanImportError::NotAnImage));
        assert_eq!(inspect_plan(&[0u8, 159, 146, 150], MAX, 4096), Err(PlanImportError::NotAnImage));
    }

    #[test]
    fn truncated_images_are_refused() {
        let whole = png(400, 300);
        let cut = &whole[..whole.len() / 2];
        assert!(matches!(inspect_plan(cut, MAX, 4096), Err(PlanImportError::Damaged { format: "PNG", .. })));
        let whole = jpeg(400, 300);
        let cut = &whole[..whole.len() / 2];
        assert!(matches!(inspect_plan(cut, MAX, 4096), Err(PlanImportError::Damaged { format: "JPEG", .. })));
        let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect"#;
        assert!(matches!(inspect_plan(svg, MAX, 4096), Err(PlanImportError::Damaged { format: "SVG", .. })));
    }

    #[test]
    fn oversized_files_and_images_are_refused() {
        let big = png(300, 200);
        assert_eq!(inspect_plan(&big, 100, 4096), Err(PlanImportError::TooLarge { size: big.len(), limit: 100 }));
        assert!(matches!(
            inspect_plan(&png(300, 200), MAX, 256),
            Err(PlanImportError::TooManyPixels { width: 300, .. })
        ));
        let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" width="90000" height="10"/>"#;
        assert!(matches!(inspect_plan(svg, MAX, 4096), Err(PlanImportError::TooManyPixels { .. })));
    }

    #[test]
    fn svgs_with_scripts_or_without_a_size_are_refused() {
        let script =
            br#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>"#;
        assert!(matches!(inspect_plan(script, MAX, 4096), Err(PlanImportError::SvgActiveContent(_))));
        let handler = br#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" onload="x()"/>"#;
        assert!(matches!(inspect_plan(handler, MAX, 4096), Err(PlanImportError::SvgActiveContent(_))));
        let sizeless = br#"<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>"#;
        assert_eq!(inspect_plan(sizeless, MAX, 4096), Err(PlanImportError::SvgWithoutSize));
    }
}
