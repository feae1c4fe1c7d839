//! What every answer carries (a strict Content-Security-Policy, no sniffing, no referrer to
//! other sites, no framing by others), the embedded static files, and the sanitizer inbound HTML
//! passes before anyone sees it.

use axum::extract::{Path, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

/// The pages' policy: our own scripts and styles only, nothing inline, no plugins, forms post to
/// us, and no site frames us.
pub const CSP: &str =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
     frame-src 'self'; frame-ancestors 'self'";

/// The policy of a sanitized email: no script at all, images only once a person asks (then from
/// anywhere), framed only by our own page.
pub const MAIL_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; \
     sandbox; frame-ancestors 'self'";

/// The same with remote images allowed, after the reader asked for them.
pub const MAIL_CSP_IMAGES: &str =
    "default-src 'none'; style-src 'unsafe-inline'; img-src data: https: http:; \
     sandbox; frame-ancestors 'self'";

#[derive(RustEmbed)]
#[folder = "static/"]
struct Assets;

/// Adds the security headers an answer lacks; behind https, HSTS too.
pub async fn headers(
    axum::extract::State(https): axum::extract::State<bool>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(CSP));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers
        .entry(header::REFERRER_POLICY)
        .or_insert(HeaderValue::from_static("same-origin"));
    headers
        .entry(header::X_FRAME_OPTIONS)
        .or_insert(HeaderValue::from_static("SAMEORIGIN"));
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

/// An embedded static file.
pub async fn asset(Path(path): Path<String>) -> Response {
    let Some(file) = Assets::get(&path) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let content_type = match path.rsplit('.').next() {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("html") => "text/html; charset=utf-8",
        _ => "application/octet-stream",
    };
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        file.data.into_owned(),
    )
        .into_response()
}

/// Inbound HTML as it may be shown: ammonia's allow-list (no script, no event handlers, no
/// forms, no frames), links opened elsewhere without a referrer, and every remote image replaced
/// by nothing until the reader asks (`remote_images`). `cid:` images are dropped: the files are
/// listed as attachments.
pub fn sanitize_mail_html(html: &str, remote_images: bool) -> String {
    let mut builder = ammonia::Builder::default();
    builder
        .link_rel(Some("noopener noreferrer nofollow"))
        .add_generic_attributes(["style", "align", "bgcolor", "width", "height"])
        .add_tag_attributes("a", ["target"])
        .set_tag_attribute_value("a", "target", "_blank")
        .url_schemes(["http", "https", "mailto"].into_iter().collect());
    if remote_images {
        builder.attribute_filter(|_, _, value| Some(value.into()));
    } else {
        builder.attribute_filter(|element, attribute, value| {
            if element == "img" && attribute == "src" && !value.starts_with("data:") {
                None
            } else {
                Some(value.into())
            }
        });
    }
    builder.clean(html).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_html_is_defused() {
        let hostile = r#"<p onclick="steal()">hi<script>alert(1)</script>
            <img src="https://tracker.example/pixel.gif" onerror="x()">
            <iframe src="https://evil.example"></iframe>
            <a href="javascript:alert(2)">link</a><a href="https://ok.example">ok</a>
            <form action="https://evil.example"><input name=a></form>
            <style>body{background:url(https://tracker.example/bg)}</style></p>"#;
        let clean = sanitize_mail_html(hostile, false);
        for bad in [
            "script",
            "onclick",
            "onerror",
            "iframe",
            "javascript:",
            "tracker.example",
            "<form",
            "<style",
        ] {
            assert!(!clean.contains(bad), "{bad} survived: {clean}");
        }
        assert!(clean.contains("https://ok.example"));
        assert!(clean.contains("noopener"));
        let with_images = sanitize_mail_html(hostile, true);
        assert!(with_images.contains("https://tracker.example/pixel.gif"));
        assert!(!with_images.contains("onerror"));
    }
}
