//! Errors as the caller reads them: `application/problem+json` (RFC 9457) for the API, with the
//! members of the CLI's JSON errors (`code`, `message`, `details`); an error page for a browser.
//! Both in the caller's language; identifiers are never translated.

use app::{AppError, ErrorCode, Lang};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::routes::Scope;

/// The HTTP status an application error is answered with.
pub fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::CaseNotFound
        | ErrorCode::OrgNotFound
        | ErrorCode::ContactNotFound
        | ErrorCode::QuarantineNotFound
        | ErrorCode::EntryNotFound
        | ErrorCode::UserNotFound
        | ErrorCode::TokenNotFound
        | ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::CaseStatusTransitionNotAllowed
        | ErrorCode::MergeNeedsConfirmation
        | ErrorCode::Conflict
        | ErrorCode::QuarantineRefused
        | ErrorCode::LoginTaken => StatusCode::CONFLICT,
        ErrorCode::ArchiveNeedsSummary
        | ErrorCode::ResolveNeedsRootCause
        | ErrorCode::InvalidInput
        | ErrorCode::PasswordTooShort
        | ErrorCode::NotUtf8Text => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::Usage | ErrorCode::InputUnreadable | ErrorCode::BadRequest => {
            StatusCode::BAD_REQUEST
        }
        ErrorCode::Forbidden | ErrorCode::CsrfRejected => StatusCode::FORBIDDEN,
        ErrorCode::SignInFailed | ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorCode::LinkInvalid => StatusCode::GONE,
        ErrorCode::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::StoreNotFound
        | ErrorCode::DataDirUnusable
        | ErrorCode::StoreInconsistent
        | ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// A failed request, ready to be answered as `scope` wants.
#[derive(Debug)]
pub struct Failure {
    /// The error.
    pub error: AppError,
    /// The caller's language.
    pub lang: Lang,
    /// Page or API.
    pub scope: Scope,
}

impl Failure {
    /// An application error.
    pub fn app(error: AppError, lang: Lang, scope: Scope) -> Failure {
        Failure { error, lang, scope }
    }

    fn web(code: ErrorCode, lang: Lang, scope: Scope) -> Failure {
        Failure::app(AppError::web(code, json!({})), lang, scope)
    }

    /// Not signed in.
    pub fn unauthenticated(lang: Lang, scope: Scope) -> Failure {
        Failure::web(ErrorCode::Unauthenticated, lang, scope)
    }

    /// Nothing here (or nothing the caller may know of).
    pub fn not_found(lang: Lang, scope: Scope) -> Failure {
        Failure::web(ErrorCode::NotFound, lang, scope)
    }

    /// The caller's role may not do this.
    pub fn forbidden(lang: Lang, scope: Scope) -> Failure {
        Failure::app(
            AppError::web(ErrorCode::Forbidden, json!({ "action": "administer" })),
            lang,
            scope,
        )
    }

    /// A change without its CSRF token.
    pub fn csrf(lang: Lang, scope: Scope) -> Failure {
        Failure::web(ErrorCode::CsrfRejected, lang, scope)
    }

    /// A body the route cannot read.
    pub fn bad_request(detail: impl Into<String>, lang: Lang, scope: Scope) -> Failure {
        Failure::app(
            AppError::web(ErrorCode::BadRequest, json!({ "detail": detail.into() })),
            lang,
            scope,
        )
    }

    /// The problem document.
    pub fn problem(&self) -> serde_json::Value {
        let status = status_of(self.error.code);
        let mut body = self.error.to_json(self.lang);
        if let Some(object) = body.as_object_mut() {
            object.insert(
                "type".into(),
                json!(format!("urn:casebook:error:{}", self.error.code.as_str())),
            );
            object.insert(
                "title".into(),
                json!(status.canonical_reason().unwrap_or("Error")),
            );
            object.insert("status".into(), json!(status.as_u16()));
            object.insert("detail".into(), json!(self.error.message(self.lang)));
        }
        body
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let status = status_of(self.error.code);
        if status.is_server_error() {
            tracing::error!(code = self.error.code.as_str(), error = %self.error, "request failed");
        }
        match self.scope {
            Scope::Api | Scope::Asset | Scope::Stream => {
                let mut response = (status, self.problem().to_string()).into_response();
                response.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/problem+json"),
                );
                response
            }
            Scope::Page => {
                let message = self.error.message(self.lang);
                let page = crate::html::ErrorPage::new(self.lang, status, &message);
                (status, page).into_response()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_status_and_a_problem() {
        for code in ErrorCode::ALL {
            let failure = Failure::app(AppError::web(code, json!({})), Lang::ZhCn, Scope::Api);
            let problem = failure.problem();
            assert_eq!(problem["code"], code.as_str());
            assert_eq!(problem["status"], status_of(code).as_u16());
            assert!(problem["type"].as_str().unwrap().ends_with(code.as_str()));
            assert!(!problem["detail"].as_str().unwrap().is_empty());
        }
        assert_eq!(status_of(ErrorCode::CaseNotFound), StatusCode::NOT_FOUND);
        assert_eq!(status_of(ErrorCode::Forbidden), StatusCode::FORBIDDEN);
    }
}
