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
    /// No timeline entry has that id.
    EntryNotFound,
    /// The status change is not allowed from the current status.
    CaseStatusTransitionNotAllowed,
    /// Archiving needs a problem description and a case summary.
    ArchiveNeedsSummary,
    /// Resolving needs a root cause and a resolution.
    ResolveNeedsRootCause,
    /// The merge joins two customers' cases or targets a closed case: the person must confirm it.
    MergeNeedsConfirmation,
    /// An argument is not valid (`details.reason` says how).
    InvalidInput,
    /// The command line does not fit the command (unknown flag, missing argument, bad value).
    Usage,
    /// A text file is not UTF-8.
    NotUtf8Text,
    /// The data directory or database holds no Casebook store.
    StoreNotFound,
    /// The data directory is not a folder.
    DataDirUnusable,
    /// The change conflicts with what is stored.
    Conflict,
    /// An input file or folder could not be read.
    InputUnreadable,
    /// A quarantine decision could not be carried out.
    QuarantineRefused,
    /// The integrity check found problems.
    StoreInconsistent,
    /// The caller's role does not allow this (`details.action` names what).
    Forbidden,
    /// No user has that login.
    UserNotFound,
    /// The login or the password is wrong, or the user may not sign in (one error for all three).
    SignInFailed,
    /// Another user has that login.
    LoginTaken,
    /// The password is shorter than the rule allows.
    PasswordTooShort,
    /// No API token has that id.
    TokenNotFound,
    /// A one-time link is unknown, used or expired.
    LinkInvalid,
    /// The request needs a signed-in caller and has none.
    Unauthenticated,
    /// A change came without the form's anti-forgery token, or from another site.
    CsrfRejected,
    /// Nothing is at that address.
    NotFound,
    /// The request itself is malformed (body, query, content type).
    BadRequest,
    /// The request's body is larger than the server takes.
    TooLarge,
    /// Something failed that the user cannot fix (database, disk).
    Internal,
}

impl ErrorCode {
    /// Every code, for tests and catalogs that must cover them all.
    pub const ALL: [ErrorCode; 31] = [
        ErrorCode::CaseNotFound,
        ErrorCode::OrgNotFound,
        ErrorCode::ContactNotFound,
        ErrorCode::QuarantineNotFound,
        ErrorCode::EntryNotFound,
        ErrorCode::CaseStatusTransitionNotAllowed,
        ErrorCode::ArchiveNeedsSummary,
        ErrorCode::ResolveNeedsRootCause,
        ErrorCode::MergeNeedsConfirmation,
        ErrorCode::InvalidInput,
        ErrorCode::Usage,
        ErrorCode::NotUtf8Text,
        ErrorCode::StoreNotFound,
        ErrorCode::DataDirUnusable,
        ErrorCode::Conflict,
        ErrorCode::InputUnreadable,
        ErrorCode::QuarantineRefused,
        ErrorCode::StoreInconsistent,
        ErrorCode::Forbidden,
        ErrorCode::UserNotFound,
        ErrorCode::SignInFailed,
        ErrorCode::LoginTaken,
        ErrorCode::PasswordTooShort,
        ErrorCode::TokenNotFound,
        ErrorCode::LinkInvalid,
        ErrorCode::Unauthenticated,
        ErrorCode::CsrfRejected,
        ErrorCode::NotFound,
        ErrorCode::BadRequest,
        ErrorCode::TooLarge,
        ErrorCode::Internal,
    ];

    /// The stable identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::CaseNotFound => "case_not_found",
            ErrorCode::OrgNotFound => "org_not_found",
            ErrorCode::ContactNotFound => "contact_not_found",
            ErrorCode::QuarantineNotFound => "quarantine_not_found",
            ErrorCode::EntryNotFound => "entry_not_found",
            ErrorCode::CaseStatusTransitionNotAllowed => "case_status_transition_not_allowed",
            ErrorCode::ArchiveNeedsSummary => "archive_needs_summary",
            ErrorCode::ResolveNeedsRootCause => "resolve_needs_root_cause",
            ErrorCode::MergeNeedsConfirmation => "merge_needs_confirmation",
            ErrorCode::InvalidInput => "invalid_input",
            ErrorCode::Usage => "usage",
            ErrorCode::NotUtf8Text => "not_utf8_text",
            ErrorCode::StoreNotFound => "store_not_found",
            ErrorCode::DataDirUnusable => "data_dir_unusable",
            ErrorCode::Conflict => "conflict",
            ErrorCode::InputUnreadable => "input_unreadable",
            ErrorCode::QuarantineRefused => "quarantine_refused",
            ErrorCode::StoreInconsistent => "store_inconsistent",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::UserNotFound => "user_not_found",
            ErrorCode::SignInFailed => "sign_in_failed",
            ErrorCode::LoginTaken => "login_taken",
            ErrorCode::PasswordTooShort => "password_too_short",
            ErrorCode::TokenNotFound => "token_not_found",
            ErrorCode::LinkInvalid => "link_invalid",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::CsrfRejected => "csrf_rejected",
            ErrorCode::NotFound => "not_found",
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::TooLarge => "too_large",
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
    pub(crate) fn forbidden(action: case::access::Action) -> AppError {
        AppError::new(
            ErrorCode::Forbidden,
            crate::actor::forbidden_details(action),
        )
    }
    pub(crate) fn entry_not_found(id: i64) -> AppError {
        AppError::new(ErrorCode::EntryNotFound, json!({ "id": id }))
    }
    pub(crate) fn user_not_found(login: &str) -> AppError {
        AppError::new(ErrorCode::UserNotFound, json!({ "login": login }))
    }
    pub(crate) fn sign_in_failed() -> AppError {
        AppError::new(ErrorCode::SignInFailed, json!({}))
    }
    pub(crate) fn login_taken(login: &str) -> AppError {
        AppError::new(ErrorCode::LoginTaken, json!({ "login": login }))
    }
    pub(crate) fn password_too_short(min: usize, length: usize) -> AppError {
        AppError::new(
            ErrorCode::PasswordTooShort,
            json!({ "min": min, "length": length }),
        )
    }
    pub(crate) fn token_not_found(id: i64) -> AppError {
        AppError::new(ErrorCode::TokenNotFound, json!({ "id": id }))
    }
    pub(crate) fn link_invalid() -> AppError {
        AppError::new(ErrorCode::LinkInvalid, json!({}))
    }
    /// An error of the web layer itself (`unauthenticated`, `csrf_rejected`, `not_found`,
    /// `bad_request`).
    pub fn web(code: ErrorCode, details: serde_json::Value) -> AppError {
        AppError::new(code, details)
    }

    /// An invalid argument: `reason` names its sentence in the catalog (`invalid-REASON`), `values` fill it.
    pub fn invalid(reason: &str, values: serde_json::Value) -> AppError {
        let mut details = match values {
            serde_json::Value::Object(map) => map,
            _ => serde_json::Map::new(),
        };
        details.insert("reason".into(), json!(reason));
        AppError::new(ErrorCode::InvalidInput, serde_json::Value::Object(details))
    }
    /// The command line does not fit: `detail` is the parser's own explanation.
    pub fn usage(detail: impl Into<String>) -> AppError {
        AppError::new(ErrorCode::Usage, json!({ "detail": detail.into() }))
    }
    /// A text file that is not UTF-8.
    pub fn not_utf8(path: &std::path::Path) -> AppError {
        AppError::new(
            ErrorCode::NotUtf8Text,
            json!({ "path": path.display().to_string() }),
        )
    }
    /// A merge that needs confirmation: the concerns as identifiers, with the values their sentences name.
    pub(crate) fn merge_needs_confirmation(
        keep: &store::cases::CaseRecord,
        gone: &store::cases::CaseRecord,
        concerns: &[case::merge::MergeConcern],
    ) -> AppError {
        let concerns: Vec<&str> = concerns.iter().map(|concern| concern.as_str()).collect();
        AppError::new(
            ErrorCode::MergeNeedsConfirmation,
            json!({
                "keep": keep.number.to_string(),
                "gone": gone.number.to_string(),
                "concerns": concerns,
                "keep_customer": keep.customer,
                "gone_customer": gone.customer,
                "keep_status": keep.status,
            }),
        )
    }
    pub(crate) fn transition(number: &CaseNumber, error: TransitionError) -> AppError {
        match error {
            TransitionError::NotAllowed { from, to, allowed } => AppError::new(
                ErrorCode::CaseStatusTransitionNotAllowed,
                json!({ "case": number.to_string(), "from": from, "to": to, "allowed": allowed }),
            ),
            TransitionError::ArchiveNeedsSummary { missing } => AppError::new(
                ErrorCode::ArchiveNeedsSummary,
                json!({ "case": number.to_string(), "missing": missing }),
            ),
            TransitionError::ResolveNeedsRootCause { missing } => AppError::new(
                ErrorCode::ResolveNeedsRootCause,
                json!({ "case": number.to_string(), "missing": missing }),
            ),
            TransitionError::SummaryNotTaken { to } => AppError::invalid(
                "summary_not_taken",
                json!({ "case": number.to_string(), "to": to }),
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
        let mut details = self.details.clone();
        // Lists of identifiers are shown in the reader's words.
        if let Some(serde_json::Value::Array(missing)) = details.get("missing").cloned() {
            let words: Vec<String> = missing
                .iter()
                .filter_map(serde_json::Value::as_str)
                .map(|section| lang.say(&format!("section-{section}")))
                .collect();
            details["missing"] = json!(words.join(lang.pick_list_separator()));
        }
        if let Some(what) = details.get("what").and_then(serde_json::Value::as_str) {
            let id = format!("thing-{}", what.replace(' ', "_"));
            details["what"] =
                json!(i18n::try_text(lang, &id, &[]).unwrap_or_else(|| what.to_string()));
        }
        if self.code == ErrorCode::MergeNeedsConfirmation {
            details["concerns"] = json!(self.concern_sentences(lang));
        }
        if self.code == ErrorCode::CaseStatusTransitionNotAllowed && lang != Lang::En {
            // The identifiers are what people type; the words are what they read.
            let word = |value: &serde_json::Value| {
                value
                    .as_str()
                    .map(|id| format!("{} ({id})", lang.say(&format!("status-{id}"))))
            };
            for name in ["from", "to"] {
                if let Some(text) = details.get(name).and_then(word) {
                    details[name] = json!(text);
                }
            }
            if let Some(serde_json::Value::Array(allowed)) = details.get("allowed").cloned() {
                let words: Vec<String> = allowed.iter().filter_map(word).collect();
                details["allowed"] = json!(words.join(lang.pick_list_separator()));
            }
        }
        if details.get("reason").and_then(serde_json::Value::as_str) == Some("summary_not_taken") {
            if let Some(to) = details.get("to").and_then(serde_json::Value::as_str) {
                details["to"] = json!(lang.say(&format!("status-{to}")));
            }
        }
        i18n::error_message(self.code, &details, lang)
    }

    /// A merge's concerns in words, each from its catalog sentence (`concern-ID`).
    fn concern_sentences(&self, lang: Lang) -> String {
        let text = |name: &str| i18n::FluentValue::from(i18n::field(&self.details, name));
        let status = i18n::field(&self.details, "keep_status");
        let status = i18n::FluentValue::from(lang.say(&format!("status-{status}")));
        let concerns = match self.details.get("concerns") {
            Some(serde_json::Value::Array(concerns)) => concerns.clone(),
            _ => Vec::new(),
        };
        concerns
            .iter()
            .filter_map(serde_json::Value::as_str)
            .map(|concern| {
                let args = [
                    ("keep", text("keep")),
                    ("keep_customer", text("keep_customer")),
                    ("gone_customer", text("gone_customer")),
                    ("status", status.clone()),
                ];
                lang.text(&format!("concern-{concern}"), &args)
            })
            .collect::<Vec<_>>()
            .join("; ")
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

/// A store conflict as an error: its reason chooses the sentence, its values fill it.
fn conflict_error(code: ErrorCode, conflict: &store::Conflict) -> AppError {
    let mut details = serde_json::Map::new();
    details.insert("reason".into(), json!(conflict.reason));
    for (name, value) in &conflict.values {
        details.insert((*name).to_string(), json!(value));
    }
    AppError::new(code, serde_json::Value::Object(details))
}

impl From<store::Error> for AppError {
    fn from(error: store::Error) -> AppError {
        match error {
            store::Error::NotFound { what, label } => {
                AppError::invalid("not_found", json!({ "what": what, "label": label }))
            }
            store::Error::Conflict(conflict) => conflict_error(ErrorCode::Conflict, &conflict),
            store::Error::Config(detail) => {
                AppError::new(ErrorCode::InvalidInput, json!({ "detail": detail }))
            }
            store::Error::NoStore { place } => {
                AppError::new(ErrorCode::StoreNotFound, json!({ "place": place }))
            }
            store::Error::NotADirectory { path } => AppError::new(
                ErrorCode::DataDirUnusable,
                json!({ "path": path.display().to_string() }),
            ),
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
            intake::Error::Refused(conflict) => {
                conflict_error(ErrorCode::QuarantineRefused, &conflict)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n;

    #[test]
    fn every_code_has_a_sentence_in_both_languages() {
        for code in ErrorCode::ALL {
            let id = i18n::error_id(code, &json!({}));
            for lang in Lang::ALL {
                assert!(
                    i18n::has_text(lang, &id),
                    "{} has no {} sentence ({id})",
                    code.as_str(),
                    lang.tag()
                );
            }
        }
    }

    fn sources(dir: &std::path::Path, found: &mut Vec<(std::path::PathBuf, String)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                sources(&path, found);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                found.push((path, text));
            }
        }
    }

    #[test]
    fn every_reason_used_in_the_code_has_a_sentence_in_both_languages() {
        // Every reason written next to `AppError::invalid(`, `Error::conflict(` or as a conflict's
        // `reason:` anywhere in the workspace's sources must have its sentence.
        let crates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut files = Vec::new();
        for krate in std::fs::read_dir(&crates).unwrap() {
            let src = krate.unwrap().path().join("src");
            if src.is_dir() {
                sources(&src, &mut files);
            }
        }
        let pattern = regex::Regex::new(
            r#"(AppError::invalid|Error::conflict)\(\s*"([a-z_]+)"|reason: "([a-z_]+)""#,
        )
        .unwrap();
        let mut found = 0;
        for (path, text) in &files {
            for capture in pattern.captures_iter(text) {
                let (prefix, reason) = match (capture.get(2), capture.get(3)) {
                    (Some(reason), _) if &capture[1] == "AppError::invalid" => ("invalid-", reason),
                    (Some(reason), _) => ("conflict-", reason),
                    (None, Some(reason)) => ("conflict-", reason),
                    (None, None) => continue,
                };
                found += 1;
                let id = format!("{prefix}{}", reason.as_str());
                for lang in Lang::ALL {
                    assert!(
                        i18n::has_text(lang, &id),
                        "{id} (used in {}) has no {} sentence",
                        path.display(),
                        lang.tag()
                    );
                }
            }
        }
        assert!(
            found > 40,
            "found only {found} reasons: the pattern no longer matches the code"
        );
    }

    #[test]
    fn chinese_transition_refusals_name_statuses_in_words() {
        let error = AppError::transition(
            &"CAS-03865-H7P3F1".parse().unwrap(),
            TransitionError::NotAllowed {
                from: case::Status::Archived,
                to: case::Status::InProgress,
                allowed: vec![case::Status::Reopened, case::Status::Cancelled],
            },
        );
        assert_eq!(
            error.message(Lang::ZhCn),
            "案例 CAS-03865-H7P3F1 当前状态为 已归档 (archived)，不能改为 处理中 (in_progress)（允许的目标状态：重新打开 (reopened)、已取消 (cancelled)）"
        );
    }
}
