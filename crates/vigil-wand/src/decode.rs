//! Text encodings of CSV exports.
//!
//! Newer wand software writes UTF-8, sometimes with a BOM; older Windows
//! software writes the ANSI code page of a Chinese Windows, GBK. A byte-order
//! mark is trusted when present (UTF-16 is only accepted that way). Without
//! one, text that is valid UTF-8 is UTF-8 — GBK text of any length is
//! practically never valid UTF-8 — and otherwise it must decode as GBK
//! without a single malformed sequence. Nothing is ever decoded with
//! replacement characters: a chip id or name that came out as `�` would be a
//! silent loss, so such a file is refused instead.

use std::borrow::Cow;

use encoding_rs::{Encoding, GBK, UTF_16BE, UTF_16LE, UTF_8};

use crate::Refusal;

/// Decodes `bytes` to text, naming the encoding found.
pub(crate) fn decode(bytes: &[u8]) -> Result<(Cow<'_, str>, &'static str), Refusal> {
    if let Some((encoding, bom)) = Encoding::for_bom(bytes) {
        let body = &bytes[bom..];
        let name = if encoding == UTF_8 {
            "UTF-8 (BOM)"
        } else if encoding == UTF_16LE {
            "UTF-16LE (BOM)"
        } else if encoding == UTF_16BE {
            "UTF-16BE (BOM)"
        } else {
            return Err(Refusal::UnknownEncoding);
        };
        return encoding
            .decode_without_bom_handling_and_without_replacement(body)
            .map(|text| (text, name))
            .ok_or(Refusal::UnknownEncoding);
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok((Cow::Borrowed(text), "UTF-8"));
    }
    GBK.decode_without_bom_handling_and_without_replacement(bytes)
        .map(|text| (text, "GBK"))
        .ok_or(Refusal::UnknownEncoding)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_with_and_without_bom() {
        assert_eq!(decode("巡检".as_bytes()).ok(), Some((Cow::Borrowed("巡检"), "UTF-8")));
        let with_bom = [b"\xEF\xBB\xBF".as_slice(), "巡检".as_bytes()].concat();
        let (text, name) = decode(&with_bom).expect("decodes");
        assert_eq!((text.as_ref(), name), ("巡检", "UTF-8 (BOM)"));
    }

    #[test]
    fn gbk() {
        let (bytes, _, bad) = GBK.encode("巡检时间,编号");
        assert!(!bad);
        let (text, name) = decode(&bytes).expect("decodes");
        assert_eq!((text.as_ref(), name), ("巡检时间,编号", "GBK"));
    }

    #[test]
    fn utf16_with_bom() {
        let mut bytes = vec![0xFF, 0xFE];
        for unit in "巡检,A".encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        let (text, name) = decode(&bytes).expect("decodes");
        assert_eq!((text.as_ref(), name), ("巡检,A", "UTF-16LE (BOM)"));
    }

    #[test]
    fn neither() {
        assert_eq!(decode(b"abc\xFF\xFF").err(), Some(Refusal::UnknownEncoding));
        // A UTF-8 BOM followed by bytes that are not UTF-8.
        assert_eq!(decode(b"\xEF\xBB\xBFab\xC0").err(), Some(Refusal::UnknownEncoding));
    }
}
