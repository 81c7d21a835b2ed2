//! The one error shape every caller of the API sees: a code a program can branch on, a message a
//! person can read, and the input field it is about.

use vigil_store::StoreError;

use crate::{PlanImportError, SettingsError};

/// What went wrong, for a program to branch on (the window, an HTTP client, a test).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// Input that cannot be read or is out of range; `field` names it.
    Invalid,
    /// The incident's state does not allow the action: `refusal` says why. Nothing was stored.
    Refused,
    NotFound,
    /// The same id was stored before with another body.
    Conflict,
    LoginRequired,
    LoginFailed,
    LoginThrottled,
    Locked,
    Forbidden,
    NotEmpty,
    ReadOnly,
    NotStarted,
    Settings,
    Storage,
    NewerDatabase,
    CorruptDatabase,
    NotAVigilDatabase,
    PlanEmpty,
    PlanTooLarge,
    PlanNotAnImage,
    PlanDamaged,
    PlanTooManyPixels,
    PlanSvgWithoutSize,
    PlanSvgActiveContent,
}

impl ErrorCode {
    /// The name serde writes (`login_required`).
    pub fn as_str(self) -> String {
        serde_json::to_value(self).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
    }
}

/// Tests and callers may compare a code with its name.
impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.as_str())
    }
}

/// Why an incident refused an action: the domain's reason, typed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Refusal {
    /// The incident's state does not allow it now.
    NotNow {
        state: vigil_domain::incident::IncidentState,
        action: String,
    },
    /// Only a supervisor or administrator may.
    NeedsSupervisor {
        what: String,
    },
    /// A real incident is closed only after the guard was on scene.
    RealNeedsOnScene,
    EmptyNote,
    NoGuard,
    /// A missed patrol round closes only once its explanation is written as a note.
    NeedsExplanation,
    /// A console account change the rules refuse (`field` names the form's field).
    Account {
        problem: vigil_domain::account::AccountProblem,
    },
}

impl From<&vigil_domain::incident::ActError> for Refusal {
    fn from(e: &vigil_domain::incident::ActError) -> Refusal {
        use vigil_domain::incident::ActError;
        match e {
            ActError::NotNow { state, action } => Refusal::NotNow { state: *state, action: (*action).to_owned() },
            ActError::NeedsSupervisor(what) => Refusal::NeedsSupervisor { what: (*what).to_owned() },
            ActError::RealNeedsOnScene => Refusal::RealNeedsOnScene,
            ActError::EmptyNote => Refusal::EmptyNote,
            ActError::NoGuard => Refusal::NoGuard,
            ActError::NeedsExplanation => Refusal::NeedsExplanation,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    pub field: Option<String>,
    /// For `refused`: the reason, typed.
    pub refusal: Option<Refusal>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError { code, message: message.into(), field: None, refusal: None }
    }

    pub fn field(code: ErrorCode, field: &str, message: impl Into<String>) -> ApiError {
        ApiError { code, message: message.into(), field: Some(field.to_owned()), refusal: None }
    }

    /// An action the incident refused: nothing was stored.
    pub fn refused(e: &vigil_domain::incident::ActError) -> ApiError {
        ApiError { code: ErrorCode::Refused, message: e.to_string(), field: None, refusal: Some(e.into()) }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> ApiError {
        let code = match &error {
            StoreError::NotFound { .. } => ErrorCode::NotFound,
            StoreError::Invalid(_) => ErrorCode::Invalid,
            StoreError::NewerSchema { .. } => ErrorCode::NewerDatabase,
            StoreError::Corrupt { .. } => ErrorCode::CorruptDatabase,
            StoreError::NotVigil { .. } => ErrorCode::NotAVigilDatabase,
            StoreError::Sqlite(_) | StoreError::Io { .. } => ErrorCode::Storage,
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
        ApiError::new(ErrorCode::Settings, error.to_string())
    }
}
