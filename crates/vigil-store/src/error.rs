//! The ways opening or using the store can fail, each with what a person needs to act on it.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "{path} was written by a newer Vigil (database schema {found}; this Vigil knows up to {supported}). \
         It has not been changed. Install the newer Vigil, or start this one with another data directory."
    )]
    NewerSchema { path: PathBuf, found: u32, supported: u32 },

    #[error(
        "{path} is damaged and cannot be used ({detail}). It has not been changed. \
         Restore it from a backup, or move it aside to start an empty database."
    )]
    Corrupt { path: PathBuf, detail: String },

    #[error("{path} is an SQLite database of another program, not Vigil's. It has not been changed.")]
    NotVigil { path: PathBuf },

    #[error("{what} {id} does not exist")]
    NotFound { what: &'static str, id: String },

    #[error("{0}")]
    Invalid(String),

    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),

    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}
