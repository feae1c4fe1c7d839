//! Application errors: a stable code, the values involved, and a sentence in the user's language.
//!
//! Every code is listed once in [`ErrorCode`]; `casebook` maps codes to exit
//! codes and, later, `web` maps them to HTTP statuses, each in one place.
//! The JSON shape is the same everywhere: `{"code", "message", "details"}`.

use case::status::TransitionError;
use case::CaseNumber;
use serde::Serialize;
use serde_json::json;

use crate::i18n::{self, Lang};

/// Every user-facing error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// No case has that number, alias or token.
    CaseNotFound,
    /// No organization has that name.
    OrgNotFound,
    /// No contact has that address or name.
    ContactNotFound,
    /// No quarantine entry has that id.
    QuarantineNotFound,
    /// The status change is not allowed from the current status.
    CaseStatusTransitionNotAllowed,
    /// Archiving needs a problem description and a case summary.
    ArchiveNeedsSummary,
    /// Resolving needs a root cause and a resolution.
    ResolveNeedsRootCause,
    /// An argument is not valid.
    InvalidInput,
    /// The change conflicts with what is stored.
    Conflict,
    /// An input file or folder could not be read.
    InputUnreadable,
    /// A quarantine decision could not be carried out.
    QuarantineRefused,
    /// The integrity check found problems.
    StoreInconsistent,
    /// Something failed that the user cannot fix (database, disk).
    Internal,
}

impl ErrorCode {
    /// The stable identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::CaseNotFound => "case_not_found",
            ErrorCode::OrgNotFound => "org_not_found",
            ErrorCode::ContactNotFound => "contact_not_found",
            ErrorCode::QuarantineNotFound => "quarantine_not_found",
            ErrorCode::CaseStatusTransitionNotAllowed => "case_status_transition_not_allowed",
            ErrorCode::ArchiveNeedsSummary => "archive_needs_summary",
            ErrorCode::ResolveNeedsRootCause => "resolve_needs_root_cause",
            ErrorCode::InvalidInput => "invalid_input",
            ErrorCode::Conflict => "conflict",
            ErrorCode::InputUnreadable => "input_unreadable",
            ErrorCode::QuarantineRefused => "quarantine_refused",
            ErrorCode::StoreInconsistent => "store_inconsistent",
            ErrorCode::Internal => "internal",
        }
    }

    /// Whether the user can fix it (as opposed to an internal failure).
    pub fn is_user_error(self) -> bool {
        self != ErrorCode::Internal
    }
}

/// An error of a command.
#[derive(Debug)]
pub struct AppError {
    /// The stable code.
    pub code: ErrorCode,
    /// The values involved.
    pub details: serde_json::Value,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl AppError {
    fn new(code: ErrorCode, details: serde_json::Value) -> AppError {
        AppError {
            code,
            details,
            source: None,
        }
    }

    pub(crate) fn internal(detail: String) -> AppError {
        AppError::new(ErrorCode::Internal, json!({ "detail": detail }))
    }
    pub(crate) fn case_not_found(label: &str) -> AppError {
        AppError::new(ErrorCode::CaseNotFound, json!({ "case": label }))
    }
    pub(crate) fn org_not_found(name: &str) -> AppError {
        AppError::new(ErrorCode::OrgNotFound, json!({ "org": name }))
    }
    pub(crate) fn contact_not_found(name: &str) -> AppError {
        AppError::new(ErrorCode::ContactNotFound, json!({ "contact": name }))
    }
    pub(crate) fn quarantine_not_found(id: i64) -> AppError {
        AppError::new(ErrorCode::QuarantineNotFound, json!({ "id": id }))
    }
    /// An invalid argument, with the detail of what was wrong.
    pub fn invalid(detail: impl Into<String>) -> AppError {
        AppError::new(ErrorCode::InvalidInput, json!({ "detail": detail.into() }))
    }
    pub(crate) fn transition(number: &CaseNumber, error: TransitionError) -> AppError {
        match error {
            TransitionError::NotAllowed { from, to, allowed } => AppError::new(
                ErrorCode::CaseStatusTransitionNotAllowed,
                json!({ "case": number.to_string(), "from": from, "to": to, "allowed": allowed }),
            ),
            TransitionError::ArchiveNeedsSummary => AppError::new(
                ErrorCode::ArchiveNeedsSummary,
                json!({ "case": number.to_string() }),
            ),
            TransitionError::ResolveNeedsRootCause => AppError::new(
                ErrorCode::ResolveNeedsRootCause,
                json!({ "case": number.to_string() }),
            ),
        }
    }
    /// An input path that could not be read.
    pub fn unreadable(path: &std::path::Path, source: std::io::Error) -> AppError {
        AppError {
            code: ErrorCode::InputUnreadable,
            details: json!({ "path": path.display().to_string() }),
            source: Some(Box::new(source)),
        }
    }

    /// The integrity check found this many problems.
    pub fn inconsistent(problems: usize) -> AppError {
        AppError::new(
            ErrorCode::StoreInconsistent,
            json!({ "problems": problems }),
        )
    }

    /// The message in a language, with the values involved and what to do.
    pub fn message(&self, lang: Lang) -> String {
        i18n::error_message(self.code, &self.details, lang)
    }

    /// The JSON body: `{"code", "message", "details"}`.
    pub fn to_json(&self, lang: Lang) -> serde_json::Value {
        json!({ "code": self.code.as_str(), "message": self.message(lang), "details": self.details })
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message(Lang::En))
    }
}

impl std::error::Error for AppError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|source| source as &(dyn std::error::Error + 'static))
    }
}

impl From<store::Error> for AppError {
    fn from(error: store::Error) -> AppError {
        match error {
            store::Error::NotFound { what, label } => AppError::new(
                ErrorCode::InvalidInput,
                json!({ "detail": format!("no {what} '{label}'") }),
            ),
            store::Error::Conflict(detail) => {
                AppError::new(ErrorCode::Conflict, json!({ "detail": detail }))
            }
            store::Error::Config(detail) => {
                AppError::new(ErrorCode::InvalidInput, json!({ "detail": detail }))
            }
            other => AppError {
                code: ErrorCode::Internal,
                details: json!({ "detail": other.to_string() }),
                source: Some(Box::new(other)),
            },
        }
    }
}

impl From<intake::Error> for AppError {
    fn from(error: intake::Error) -> AppError {
        match error {
            intake::Error::Store(error) => error.into(),
            intake::Error::Unreadable { path, source } => AppError::unreadable(&path, source),
            intake::Error::Refused(detail) => {
                AppError::new(ErrorCode::QuarantineRefused, json!({ "detail": detail }))
            }
        }
    }
}
