//! The HTML pages: each handler reads its form, calls one `app` command as the signed-in actor,
//! and renders a template or redirects (post, redirect, get) with a notice.

use app::{AppError, Lang};
use axum::extract::Request;
use axum::response::{IntoResponse, Redirect, Response};

use crate::guard::Signed;
use crate::problem::Failure;
use crate::routes::Scope;
use crate::Web;

pub mod account;
pub mod admin;
pub mod cases;
pub mod directory;
pub mod queue;
pub mod sla;

type PageResult = Result<Response, Failure>;

/// Form or query fields, in order, repeated names kept.
#[derive(Debug, Default, Clone)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    /// Parses `application/x-www-form-urlencoded` bytes (never fails: bad escapes stay as sent).
    pub fn parse(bytes: &[u8]) -> Fields {
        Fields(
            url::form_urlencoded::parse(bytes)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The query string's fields.
    pub fn query(raw: Option<String>) -> Fields {
        Fields::parse(raw.unwrap_or_default().as_bytes())
    }

    /// The first value of `name`, trimmed, if not empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// Every non-empty value of `name`.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_string())
            .collect()
    }
}

fn fail(signed: &Signed) -> impl Fn(AppError) -> Failure + '_ {
    move |error| Failure::app(error, signed.lang, Scope::Page)
}

fn bad(detail: &str, lang: Lang) -> Failure {
    Failure::bad_request(detail, lang, Scope::Page)
}

/// A redirect to a page of ours with a notice (a catalog id of the `web-notice-` family).
fn back(path: &str, notice: &str) -> Response {
    let separator = if path.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{path}{separator}notice={notice}")).into_response()
}

fn notice_text(lang: Lang, fields: &Fields) -> Option<String> {
    let id = fields.get("notice")?;
    // Only the catalog's notices are shown, never text from the address.
    if !id.chars().all(|c| c.is_ascii_lowercase() || c == '-') {
        return None;
    }
    let id = format!("web-notice-{id}");
    let count = fields
        .get("n")
        .and_then(|n| n.parse::<i64>().ok())
        .unwrap_or(0);
    let other = fields
        .get("m")
        .and_then(|n| n.parse::<i64>().ok())
        .unwrap_or(0);
    app::i18n::try_text(
        lang,
        &id,
        &[
            ("n", app::i18n::FluentValue::from(count)),
            ("m", app::i18n::FluentValue::from(other)),
        ],
    )
}

fn case_path(number: &str) -> String {
    format!(
        "/cases/{}",
        percent_encoding::utf8_percent_encode(number, percent_encoding::NON_ALPHANUMERIC)
    )
}

/// `/`: the queue.
pub async fn home() -> Response {
    Redirect::to("/cases").into_response()
}

/// A path of ours to go back to after signing in (never another site).
fn local_path(next: Option<&str>) -> String {
    match next {
        // Browsers drop tabs and newlines from addresses (`/\t/evil` becomes `//evil`), and a
        // control character cannot go into a header: anything but a plain path is refused.
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.contains('\\')
                && !path.chars().any(|c| c.is_control() || c.is_whitespace()) =>
        {
            path.to_string()
        }
        _ => "/cases".to_string(),
    }
}

/// An address no route has: a page or a problem document, as the address suggests.
pub async fn not_found(_web: Web, request: Request) -> Response {
    let lang = crate::i18n::from_headers(request.headers());
    let scope = if request.uri().path().starts_with("/api/") {
        Scope::Api
    } else {
        Scope::Page
    };
    Failure::not_found(lang, scope).into_response()
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn only_plain_local_paths_are_followed_after_sign_in() {
        assert_eq!(
            local_path(Some("/cases/CAS-03865-H7P3F1")),
            "/cases/CAS-03865-H7P3F1"
        );
        assert_eq!(local_path(Some("/cases?status=new")), "/cases?status=new");
        for hostile in [
            "//evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\\evil.example",
            "https://evil.example/",
            "evil.example",
            "/ /x",
        ] {
            assert_eq!(local_path(Some(hostile)), "/cases", "{hostile:?}");
        }
        assert_eq!(local_path(None), "/cases");
    }
}
