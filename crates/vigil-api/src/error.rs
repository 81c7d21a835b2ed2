//! The one error shape every caller of the API sees: a code a program can branch on, a message a
//! person can read, and the input field it is about.

use vigil_store::StoreError;

use crate::{PlanImportError, SettingsError};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub code: String,
    pub message: String,
    pub field: Option<String>,
}

impl ApiError {
    pub fn new(code: &str, message: impl Into<String>) -> ApiError {
        ApiError { code: code.to_owned(), message: message.into(), field: None }
    }

    pub fn field(code: &str, field: &str, message: impl Into<String>) -> ApiError {
        ApiError { code: code.to_owned(), message: message.into(), field: Some(field.to_owned()) }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> ApiError {
        let code = match &error {
            StoreError::NotFound { .. } => "not_found",
            StoreError::Invalid(_) => "invalid",
            StoreError::NewerSchema { .. } => "newer_database",
            StoreError::Corrupt { .. } => "corrupt_database",
            StoreError::NotVigil { .. } => "not_a_vigil_database",
            StoreError::Sqlite(_) | StoreError::Io { .. } => "storage",
        };
        ApiError::new(code, error.to_string())
    }
}

impl From<PlanImportError> for ApiError {
    fn from(error: PlanImportError) -> ApiError {
        ApiError::field(error.code(), "image", error.to_string())
    }
}

impl From<SettingsError> for ApiError {
    fn from(error: SettingsError) -> ApiError {
        ApiError::new("settings", error.to_string())
    }
}
