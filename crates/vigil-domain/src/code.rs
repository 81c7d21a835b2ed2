//! Human codes such as `OPD-3F-CAM-017`: what operators read out over the radio.

use std::fmt;

/// A device, building or site code: upper-case ASCII letters and digits in dash-separated parts.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, ts_rs::TS)]
pub struct Code(String);

impl serde::Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// A code read from outside is checked like a typed one.
impl<'de> serde::Deserialize<'de> for Code {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Code, D::Error> {
        let text = String::deserialize(deserializer)?;
        Code::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("a code must not be empty")]
    Empty,
    #[error("a code is at most {max} characters long, this one has {len}")]
    TooLong { len: usize, max: usize },
    #[error("'{0}' is not allowed in a code: use A–Z, 0–9 and single dashes between parts")]
    BadCharacter(char),
    #[error("a code cannot start or end with a dash or hold two dashes in a row")]
    EmptyPart,
}

impl Code {
    pub const MAX_LEN: usize = 48;

    /// Accepts a code as typed, upper-casing letters, so that `opd-3f-cam-017` finds `OPD-3F-CAM-017`.
    pub fn parse(text: &str) -> Result<Code, CodeError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(CodeError::Empty);
        }
        let len = text.chars().count();
        if len > Self::MAX_LEN {
            return Err(CodeError::TooLong { len, max: Self::MAX_LEN });
        }
        if let Some(bad) = text.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '-')) {
            return Err(CodeError::BadCharacter(bad));
        }
        if text.split('-').any(str::is_empty) {
            return Err(CodeError::EmptyPart);
        }
        Ok(Code(text.to_ascii_uppercase()))
    }

    /// Joins parts that are already valid codes, e.g. a building code and a floor label.
    pub fn join(parts: &[&str]) -> Result<Code, CodeError> {
        Code::parse(&parts.join("-"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Code {
    type Error = CodeError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Code::parse(&value)
    }
}

impl From<Code> for String {
    fn from(code: Code) -> String {
        code.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn typed_codes_are_normalised() {
        assert_eq!(Code::parse(" opd-3f-cam-017 ").map(String::from), Ok("OPD-3F-CAM-017".into()));
    }

    #[test]
    fn bad_codes_say_why() {
        assert_eq!(Code::parse(""), Err(CodeError::Empty));
        assert_eq!(Code::parse("OPD 3F"), Err(CodeError::BadCharacter(' ')));
        assert_eq!(Code::parse("门诊"), Err(CodeError::BadCharacter('门')));
        assert_eq!(Code::parse("-OPD"), Err(CodeError::EmptyPart));
        assert_eq!(Code::parse("OPD--3F"), Err(CodeError::EmptyPart));
        assert!(matches!(Code::parse(&"A".repeat(49)), Err(CodeError::TooLong { len: 49, .. })));
    }

    proptest! {
        #[test]
        fn parsing_is_idempotent(parts in prop::collection::vec("[A-Za-z0-9]{1,6}", 1..6)) {
            let code = Code::parse(&parts.join("-")).expect("generated parts are valid");
            prop_assert_eq!(Code::parse(code.as_str()), Ok(code.clone()));
            prop_assert!(code.as_str().chars().all(|c| !c.is_ascii_lowercase()));
        }
    }
}
