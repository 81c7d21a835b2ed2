//! `vigil.toml`: the workstation's settings, written with commented defaults on first start and read
//! at every start. Sections this build does not know are kept in the file and ignored here, so a
//! newer Vigil's settings do not stop an older one.

use std::path::{Path, PathBuf};

pub const SETTINGS_FILE: &str = "vigil.toml";

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default)]
pub struct Settings {
    pub ui: UiSettings,
    pub map: MapSettings,
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UiSettings {
    /// "auto" follows the system locale; "zh-CN" or "en" fixes it.
    pub language: String,
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MapSettings {
    /// Largest floor-plan file an administrator may import, in bytes.
    pub max_plan_bytes: usize,
    /// Largest width or height of an imported plan, in pixels.
    pub max_plan_side: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { ui: UiSettings::default(), map: MapSettings::default() }
    }
}

impl Default for UiSettings {
    fn default() -> Self {
        UiSettings { language: "auto".into() }
    }
}

impl Default for MapSettings {
    fn default() -> Self {
        MapSettings { max_plan_bytes: 20 * 1024 * 1024, max_plan_side: 16_384 }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path} is not valid settings: {message}")]
    Invalid { path: PathBuf, message: String },
}

const LANGUAGES: [&str; 3] = ["auto", "zh-CN", "en"];

/// The file as first written: every setting with its default and what it does.
pub const DEFAULT_FILE: &str = r#"# Vigil workstation settings. Read at start; restart the console after a change.
# Lines starting with '#' are comments. Sections Vigil does not know are ignored.

[ui]
# Language of the console: "auto" follows the system locale, or "zh-CN" / "en".
language = "auto"

[map]
# Largest floor-plan image (PNG, JPEG or SVG) an administrator may import, in bytes.
max_plan_bytes = 20971520
# Largest width or height of an imported floor plan, in pixels.
max_plan_side = 16384
"#;

impl Settings {
    /// Reads `vigil.toml` from `dir`, first writing the commented defaults if there is none.
    pub fn load_or_create(dir: &Path) -> Result<Settings, SettingsError> {
        let path = dir.join(SETTINGS_FILE);
        if !path.exists() {
            std::fs::create_dir_all(dir).map_err(|source| SettingsError::Io { path: dir.to_owned(), source })?;
            std::fs::write(&path, DEFAULT_FILE).map_err(|source| SettingsError::Io { path: path.clone(), source })?;
        }
        let text = std::fs::read_to_string(&path).map_err(|source| SettingsError::Io { path: path.clone(), source })?;
        Settings::parse(&text).map_err(|message| SettingsError::Invalid { path, message })
    }

    pub fn parse(text: &str) -> Result<Settings, String> {
        let settings: Settings = toml::from_str(text).map_err(|e| e.to_string().trim().to_owned())?;
        if !LANGUAGES.contains(&settings.ui.language.as_str()) {
            return Err(format!("ui.language is {:?}; use one of {}", settings.ui.language, LANGUAGES.join(", ")));
        }
        if settings.map.max_plan_bytes == 0 || settings.map.max_plan_side == 0 {
            return Err("map.max_plan_bytes and map.max_plan_side must be greater than 0".into());
        }
        Ok(settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_written_defaults_are_the_defaults() {
        assert_eq!(Settings::parse(DEFAULT_FILE), Ok(Settings::default()));
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(Settings::load_or_create(dir.path()).expect("create"), Settings::default());
        assert!(std::fs::read_to_string(dir.path().join(SETTINGS_FILE)).expect("written").contains("max_plan_bytes"));
    }

    #[test]
    fn other_sections_are_ignored_and_bad_values_named() {
        let text = "[http]\nlisten = \"127.0.0.1:8790\"\n[map]\nmax_plan_bytes = 1000\n";
        assert_eq!(Settings::parse(text).expect("parse").map.max_plan_bytes, 1000);
        let error = Settings::parse("[ui]\nlanguage = \"fr\"\n").expect_err("bad language");
        assert!(error.contains("ui.language"), "{error}");
        let error = Settings::parse("[map]\nmax_plan_bytes = \"big\"\n").expect_err("bad type");
        assert!(error.contains("max_plan_bytes"), "{error}");
        assert!(Settings::parse("[map\n").is_err());
    }
}
