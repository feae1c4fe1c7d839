//! The one gate every route passes: who is calling, whether the route's row lets them in, and
//! whether a change made with a cookie carries the session's CSRF token.
//!
//! Handlers get the caller only from [`Signed`] (or [`Visitor`] on public pages), which this
//! middleware alone puts into the request; a route cannot reach a handler without its row's
//! check.

use std::net::{IpAddr, SocketAddr};

use app::auth::{Principal, Session};
use app::{Actor, Lang};
use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::{header, request::Parts, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use case::access::Viewer;
use case::party::Role;

use crate::problem::Failure;
use crate::routes::{Scope, Who};
use crate::Web;

/// The session cookie.
pub const SESSION_COOKIE: &str = "casebook_session";
/// The form field that carries the CSRF token.
pub const CSRF_FIELD: &str = "_csrf";
/// The header that carries the CSRF token on the page's own API calls.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Largest form body read by the CSRF check (bigger uploads are multipart, token in the URL).
const FORM_LIMIT: usize = 2 * 1024 * 1024;

/// How the caller proved who they are.
#[derive(Debug, Clone)]
pub enum Proof {
    /// A session cookie.
    Cookie(Session),
    /// A bearer token.
    Token,
}

/// A signed-in caller.
#[derive(Debug, Clone)]
pub struct Signed {
    /// Who they are.
    pub principal: Principal,
    /// How they proved it.
    pub proof: Proof,
    /// The language to answer in.
    pub lang: Lang,
    /// The zone to show times in.
    pub zone: chrono_tz::Tz,
}

impl Signed {
    /// The actor `app` commands take.
    pub fn actor(&self) -> Actor {
        self.principal.actor()
    }

    /// Whether they are the vendor's staff.
    pub fn is_staff(&self) -> bool {
        self.principal.viewer == Viewer::Staff
    }

    /// The session's id (`None` for a bearer token).
    pub fn session_id(&self) -> Option<i64> {
        match &self.proof {
            Proof::Cookie(session) => Some(session.id),
            Proof::Token => None,
        }
    }

    /// The session's CSRF token (empty for a bearer token, which needs none).
    pub fn csrf(&self) -> &str {
        match &self.proof {
            Proof::Cookie(session) => &session.csrf_token,
            Proof::Token => "",
        }
    }
}

/// Any caller of a public page: signed in or not.
#[derive(Debug, Clone)]
pub struct Visitor {
    /// The caller, if signed in.
    pub signed: Option<Signed>,
    /// The language to answer in.
    pub lang: Lang,
    /// The client's address (after trusted proxies).
    pub client: String,
}

impl<S: Send + Sync> FromRequestParts<S> for Signed {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Signed>().cloned().ok_or_else(|| {
            // Only a route whose row lets anyone in reaches here without a caller: a bug of the
            // table, refused rather than served.
            StatusCode::UNAUTHORIZED.into_response()
        })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Visitor {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Visitor>()
            .cloned()
            .ok_or_else(|| StatusCode::INTERNAL_SERVER_ERROR.into_response())
    }
}

/// The cookie value named `name`.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// The client's address: the peer, or the last untrusted hop of `X-Forwarded-For` when the peer
/// is a trusted proxy.
pub fn client_address(web: &Web, peer: Option<IpAddr>, headers: &HeaderMap) -> String {
    let Some(peer) = peer else {
        return "unknown".to_string();
    };
    // A server listening on `[::]` sees IPv4 peers as `::ffff:a.b.c.d`.
    let peer = peer.to_canonical();
    if !web.config.trusted_proxies.contains(&peer) {
        return peer.to_string();
    }
    let hops: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|hop| hop.trim().parse().ok())
        .collect();
    hops.iter()
        .rev()
        .find(|hop| !web.config.trusted_proxies.contains(hop))
        .or(hops.first())
        .copied()
        .unwrap_or(peer)
        .to_string()
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Whether a role may use a route of this kind.
pub fn admits(who: Who, principal: Option<&Principal>) -> bool {
    match (who, principal) {
        (Who::Anyone, _) => true,
        (_, None) => false,
        (Who::SignedIn, Some(_)) => true,
        (Who::Staff, Some(p)) => p.viewer == Viewer::Staff,
        (Who::Admin, Some(p)) => p.role == Role::Admin,
    }
}

/// The route gate (see the module's documentation).
pub async fn gate(
    State((web, who, scope)): State<(Web, Who, Scope)>,
    request: Request,
    next: Next,
) -> Response {
    let lang = crate::i18n::from_headers(request.headers());
    let response = admit(State((web, who, scope)), request, next).await;
    // A body over the limit is refused by the extractor with a line of plain text; the caller
    // gets what every other failure is, a problem document or an error page.
    if response.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        let error = app::AppError::web(
            app::ErrorCode::TooLarge,
            serde_json::json!({ "limit_mib": crate::routes::BODY_LIMIT / (1024 * 1024) }),
        );
        return Failure::app(error, lang, scope).into_response();
    }
    response
}

/// The gate's checks, as [`gate`] describes them.
async fn admit(
    State((web, who, scope)): State<(Web, Who, Scope)>,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip());
    let client = client_address(&web, peer, &parts.headers);
    let header_lang = crate::i18n::from_headers(&parts.headers);

    let found = match identify(&web, &parts.headers, scope != Scope::Stream).await {
        Ok(found) => found,
        Err(error) => return Failure::app(error, header_lang, scope).into_response(),
    };
    let signed = found.map(|(principal, proof)| Signed {
        lang: principal.lang.unwrap_or(header_lang),
        zone: principal.zone.unwrap_or(web.app.view_zone),
        principal,
        proof,
    });
    let lang = signed.as_ref().map_or(header_lang, |s| s.lang);

    if !admits(who, signed.as_ref().map(|s| &s.principal)) {
        return match &signed {
            None => match scope {
                Scope::Page => {
                    let next_path = parts
                        .uri
                        .path_and_query()
                        .map_or("/", |pq| pq.as_str())
                        .to_string();
                    let target = if is_safe(&parts.method) && next_path.starts_with('/') {
                        format!(
                            "/signin?next={}",
                            percent_encoding::utf8_percent_encode(
                                &next_path,
                                percent_encoding::NON_ALPHANUMERIC
                            )
                        )
                    } else {
                        "/signin".to_string()
                    };
                    Redirect::to(&target).into_response()
                }
                _ => Failure::unauthenticated(lang, scope).into_response(),
            },
            // A partner is not told that staff pages exist.
            Some(s) if !s.is_staff() => Failure::not_found(lang, scope).into_response(),
            Some(_) => Failure::forbidden(lang, scope).into_response(),
        };
    }

    let mut body = body;
    if let Some(Signed {
        proof: Proof::Cookie(session),
        ..
    }) = &signed
    {
        if !is_safe(&parts.method) {
            match check_csrf(&web, &parts, body, &session.csrf_token).await {
                Ok(kept) => body = kept,
                Err(()) => return Failure::csrf(lang, scope).into_response(),
            }
        }
    }

    parts.extensions.insert(Visitor {
        signed: signed.clone(),
        lang,
        client,
    });
    if let Some(signed) = signed {
        parts.extensions.insert(signed);
    }
    next.run(Request::from_parts(parts, body)).await
}

pub(crate) async fn identify(
    web: &Web,
    headers: &HeaderMap,
    touch: bool,
) -> Result<Option<(Principal, Proof)>, app::AppError> {
    if let Some(token) = bearer(headers) {
        return Ok(web
            .app
            .principal_for_token(token)
            .await?
            .map(|principal| (principal, Proof::Token)));
    }
    let Some(secret) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let session = if touch {
        web.app.session(secret).await?
    } else {
        web.app.session_peek(secret).await?
    };
    Ok(session.map(|session| (session.principal.clone(), Proof::Cookie(session))))
}

/// A change made with a cookie must come from our own pages: the browser's `Sec-Fetch-Site` (or
/// `Origin`) must not name another site, and the session's token must come with it, in the
/// header, the form's `_csrf` field, or (for multipart uploads) the URL's `_csrf`.
async fn check_csrf(web: &Web, parts: &Parts, body: Body, expected: &str) -> Result<Body, ()> {
    if !same_origin(web, &parts.headers) {
        return Err(());
    }
    let matches = |given: &str| constant_time_eq(given.as_bytes(), expected.as_bytes());
    if let Some(given) = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
        return if matches(given) { Ok(body) } else { Err(()) };
    }
    let from_query = parts.uri.query().and_then(|query| {
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(key, _)| key == CSRF_FIELD)
            .map(|(_, value)| value.into_owned())
    });
    if let Some(given) = from_query {
        return if matches(&given) { Ok(body) } else { Err(()) };
    }
    let is_form = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(());
    }
    let bytes = axum::body::to_bytes(body, FORM_LIMIT)
        .await
        .map_err(|_| ())?;
    let given = url::form_urlencoded::parse(&bytes)
        .find(|(key, _)| key == CSRF_FIELD)
        .map(|(_, value)| value.into_owned());
    match given {
        Some(given) if matches(&given) => Ok(Body::from(bytes)),
        _ => Err(()),
    }
}

/// Whether a browser's request comes from our own pages: `Sec-Fetch-Site` (when sent) says
/// same-origin, and `Origin` (when sent) is the public URL's origin or the `Host` asked for.
/// A client that sends neither is not a browser acting for someone else.
pub fn same_origin(web: &Web, headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        if !matches!(site.as_bytes(), b"same-origin" | b"none") {
            return false;
        }
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Some(origin) = origin.to_str().ok().and_then(|o| url::Url::parse(o).ok()) else {
        return false; // `null` and anything unreadable
    };
    if origin.origin() == web.config.public_url.origin() {
        return true;
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let origin_host = match origin.port() {
        Some(port) => format!("{}:{port}", origin.host_str().unwrap_or("")),
        None => origin.host_str().unwrap_or("").to_string(),
    };
    host == Some(origin_host.as_str())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
