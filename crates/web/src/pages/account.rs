//! Signing in and out, the user's own settings, one-time links (invitations, resets) and the
//! second factor.

use app::{AppError, Lang};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::json;

use super::{back, bad, fail, local_path, notice_text, Fields, PageResult};
use crate::guard::{Signed, Visitor, SESSION_COOKIE};
use app::auth::SignInStep;

use crate::html::{Chrome, ForgotPage, SettingsPage, SignInCodePage, SignInPage};
use crate::problem::Failure;
use crate::routes::Scope;
use crate::Web;

/// The sign-in page.
pub async fn signin_page(visitor: Visitor, RawQuery(query): RawQuery) -> Response {
    let fields = Fields::query(query);
    if visitor.signed.is_some() {
        return Redirect::to(&local_path(fields.get("next"))).into_response();
    }
    SignInPage {
        c: Chrome::visitor(visitor.lang, visitor.lang.say("web-signin-title")),
        next: local_path(fields.get("next")),
        login: String::new(),
        error: None,
        notice: notice_text(visitor.lang, &fields),
    }
    .into_response()
}

fn session_cookie(web: &Web, value: &str, max_age: Option<i64>) -> HeaderValue {
    http_only_cookie(web, SESSION_COOKIE, value, "/", max_age)
}

/// An `HttpOnly`, `SameSite=Lax` cookie, `Secure` when the public address is https. Its values
/// are hex secrets (or empty, to clear it), so the header is always valid; were it not, the
/// cookie is cleared rather than set.
fn http_only_cookie(
    web: &Web,
    name: &str,
    value: &str,
    path: &str,
    max_age: Option<i64>,
) -> HeaderValue {
    let secure = if web.config.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    let age = max_age.map_or(String::new(), |age| format!("; Max-Age={age}"));
    HeaderValue::from_str(&format!(
        "{name}={value}; Path={path}; HttpOnly; SameSite=Lax{secure}{age}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("casebook_invalid=; Max-Age=0"))
}

/// Signs in: a new session, its secret in an HttpOnly cookie.
pub async fn signin(
    State(web): State<Web>,
    visitor: Visitor,
    headers: HeaderMap,
    body: Bytes,
) -> PageResult {
    let lang = visitor.lang;
    // A sign-in form posted from another site would sign the victim into the attacker's account.
    if !crate::guard::same_origin(&web, &headers) {
        return Err(Failure::csrf(lang, Scope::Page));
    }
    let fields = Fields::parse(&body);
    let login = fields.get("login").unwrap_or("").to_string();
    let password = fields
        .0
        .iter()
        .find(|(k, _)| k == "password")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    let next = local_path(fields.get("next"));
    match web
        .app
        .sign_in_start(&login, password, &visitor.client)
        .await
    {
        Ok(SignInStep::Done(signed_in)) => Ok(signed_in_response(&web, &signed_in, &next)),
        Ok(SignInStep::SecondFactor(challenge)) => {
            let target = format!("/signin/code?next={}", urlencode(&next));
            let mut response = Redirect::to(&target).into_response();
            response.headers_mut().insert(
                header::SET_COOKIE,
                challenge_cookie(&web, &challenge.secret, CHALLENGE_AGE),
            );
            Ok(response)
        }
        Err(error) if error.code == app::ErrorCode::SignInFailed => {
            let page = SignInPage {
                c: Chrome::visitor(lang, lang.say("web-signin-title")),
                next,
                login,
                error: Some(error.message(lang)),
                notice: None,
            };
            Ok((StatusCode::UNAUTHORIZED, page).into_response())
        }
        Err(error) => Err(Failure::app(error, lang, Scope::Page)),
    }
}

/// The cookie of a sign-in waiting for its code lives as long as the challenge, on the code page only.
const CHALLENGE_COOKIE: &str = "casebook_challenge";
const CHALLENGE_AGE: i64 = 300;

fn challenge_cookie(web: &Web, value: &str, max_age: i64) -> HeaderValue {
    http_only_cookie(web, CHALLENGE_COOKIE, value, "/signin/code", Some(max_age))
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The answer to a finished sign-in: the session's cookie, and on to where the user was going.
fn signed_in_response(web: &Web, signed_in: &app::auth::SignedIn, next: &str) -> Response {
    let mut response = Redirect::to(next).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        session_cookie(web, &signed_in.secret, None),
    );
    response
}

/// The second step of a sign-in: the code from the authenticator app.
pub async fn signin_code_page(visitor: Visitor, RawQuery(query): RawQuery) -> Response {
    let fields = Fields::query(query);
    SignInCodePage {
        c: Chrome::visitor(visitor.lang, visitor.lang.say("web-2fa-title")),
        next: local_path(fields.get("next")),
        error: None,
    }
    .into_response()
}

/// Checks the code; a right one opens the session, a wrong one asks again (a few times).
pub async fn signin_code(
    State(web): State<Web>,
    visitor: Visitor,
    headers: HeaderMap,
    body: Bytes,
) -> PageResult {
    let lang = visitor.lang;
    if !crate::guard::same_origin(&web, &headers) {
        return Err(Failure::csrf(lang, Scope::Page));
    }
    let fields = Fields::parse(&body);
    let next = local_path(fields.get("next"));
    let challenge = crate::guard::cookie(&headers, CHALLENGE_COOKIE).unwrap_or("");
    let code = fields.get("code").unwrap_or("");
    match web
        .app
        .sign_in_second_factor(challenge, code, &visitor.client)
        .await
    {
        Ok(signed_in) => {
            let mut response = signed_in_response(&web, &signed_in, &next);
            response
                .headers_mut()
                .append(header::SET_COOKIE, challenge_cookie(&web, "", 0));
            Ok(response)
        }
        Err(error)
            if error.details.get("reason").and_then(|r| r.as_str())
                == Some("second_factor_wrong") =>
        {
            let page = SignInCodePage {
                c: Chrome::visitor(lang, lang.say("web-2fa-title")),
                next,
                error: Some(error.message(lang)),
            };
            Ok((StatusCode::UNAUTHORIZED, page).into_response())
        }
        Err(error) if error.code == app::ErrorCode::InvalidInput => {
            let page = SignInPage {
                c: Chrome::visitor(lang, lang.say("web-signin-title")),
                next,
                login: String::new(),
                error: Some(error.message(lang)),
                notice: None,
            };
            let mut response = (StatusCode::UNAUTHORIZED, page).into_response();
            response
                .headers_mut()
                .append(header::SET_COOKIE, challenge_cookie(&web, "", 0));
            Ok(response)
        }
        Err(error) => Err(Failure::app(error, lang, Scope::Page)),
    }
}

/// The page where someone who forgot their password asks for a reset link.
pub async fn forgot_page(visitor: Visitor) -> Response {
    ForgotPage {
        c: Chrome::visitor(visitor.lang, visitor.lang.say("web-forgot-title")),
        sent: false,
        error: None,
    }
    .into_response()
}

/// Mails a reset link when the login or address is a user's; the answer is the same either way.
pub async fn forgot(
    State(web): State<Web>,
    visitor: Visitor,
    headers: HeaderMap,
    body: Bytes,
) -> PageResult {
    let lang = visitor.lang;
    if !crate::guard::same_origin(&web, &headers) {
        return Err(Failure::csrf(lang, Scope::Page));
    }
    let fields = Fields::parse(&body);
    let link_of = |secret: &str| web.config.link(&format!("/reset/{secret}"));
    let result = web
        .app
        .password_reset_request(
            fields.get("who").unwrap_or(""),
            &link_of,
            lang,
            &visitor.client,
        )
        .await;
    let (status, sent, error) = match result {
        Ok(()) => (StatusCode::OK, true, None),
        Err(error) if error.code == app::ErrorCode::InvalidInput => (
            StatusCode::UNPROCESSABLE_ENTITY,
            false,
            Some(error.message(lang)),
        ),
        Err(error) => return Err(Failure::app(error, lang, Scope::Page)),
    };
    let page = ForgotPage {
        c: Chrome::visitor(lang, lang.say("web-forgot-title")),
        sent,
        error,
    };
    Ok((status, page).into_response())
}

/// Signs out: the session ends on the server and the cookie is cleared.
pub async fn signout(State(web): State<Web>, signed: Signed, headers: HeaderMap) -> PageResult {
    if let Some(secret) = crate::guard::cookie(&headers, SESSION_COOKIE) {
        web.app.sign_out(secret).await.map_err(fail(&signed))?;
    }
    let mut response = Redirect::to("/signin").into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, session_cookie(&web, "", Some(0)));
    Ok(response)
}

/// A signed-out visitor's language switch.
pub async fn visitor_lang(Path(lang): Path<String>) -> Response {
    let lang: Lang = lang.parse().unwrap_or_default();
    let mut response = Redirect::to("/signin").into_response();
    if let Ok(value) = HeaderValue::from_str(&format!(
        "{}={}; Path=/; SameSite=Lax; Max-Age=31536000",
        crate::i18n::LANG_COOKIE,
        lang.tag()
    )) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

fn referer_path(headers: &HeaderMap) -> String {
    headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| url::Url::parse(v).ok())
        .map(|u| match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_string(),
        })
        .map(|p| local_path(Some(&p)))
        .unwrap_or_else(|| "/cases".to_string())
}

/// The caller's settings.
pub async fn settings_page(
    State(web): State<Web>,
    signed: Signed,
    RawQuery(query): RawQuery,
) -> PageResult {
    let fields = Fields::query(query);
    settings_view(&web, &signed, notice_text(signed.lang, &fields), None, None).await
}

/// The settings page, with what an action on the second factor has to show.
async fn settings_view(
    web: &Web,
    signed: &Signed,
    notice: Option<String>,
    error: Option<String>,
    recovery_codes: Option<Vec<String>>,
) -> PageResult {
    let p = &signed.principal;
    let staff = signed.is_staff();
    let (second_factor, enrolment) = if staff {
        let (status, enrolment) = web
            .app
            .second_factor_status(p)
            .await
            .map_err(fail(signed))?;
        (Some(status), enrolment)
    } else {
        (None, None)
    };
    let mail_notices = if staff {
        let notices = web
            .app
            .user_notices(&p.login, &[], &[])
            .await
            .map_err(fail(signed))?;
        app::mailroom::NOTICE_KINDS
            .iter()
            .map(|kind| {
                (
                    kind.to_string(),
                    signed.lang.say(&format!("web-mailnotice-{kind}")),
                    notices.on.iter().any(|on| on == kind),
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = SettingsPage {
        c: Chrome::signed(signed, signed.lang.say("web-settings"), "settings"),
        login: p.login.clone(),
        role: signed.lang.say(&format!("role-{}", p.role.as_str())),
        org: p.org_name.clone().unwrap_or_default(),
        zone: p.zone.unwrap_or(web.app.view_zone).name().to_string(),
        notice,
        error,
        second_factor,
        enrolment,
        recovery_codes,
        mail_notices,
    };
    Ok((status, page).into_response())
}

/// Turns the caller's notifications by mail on and off: a box for each kind, checked is on.
pub async fn settings_notices(State(web): State<Web>, signed: Signed, body: Bytes) -> PageResult {
    let fields = Fields::parse(&body);
    let (on, off): (Vec<String>, Vec<String>) = app::mailroom::NOTICE_KINDS
        .iter()
        .map(|kind| kind.to_string())
        .partition(|kind| fields.get(kind).is_some());
    web.app
        .user_notices(&signed.principal.login, &off, &on)
        .await
        .map_err(fail(&signed))?;
    Ok(back("/settings#mail-notices", "saved"))
}

/// Starts setting up the second factor: the page shows the QR code and asks for the first code.
pub async fn second_factor_begin(State(web): State<Web>, signed: Signed) -> PageResult {
    web.app
        .second_factor_begin(&signed.principal)
        .await
        .map_err(fail(&signed))?;
    Ok(Redirect::to("/settings#second-factor").into_response())
}

/// Turns the second factor on with its first code, and shows the recovery codes once.
pub async fn second_factor_confirm(
    State(web): State<Web>,
    signed: Signed,
    body: Bytes,
) -> PageResult {
    let fields = Fields::parse(&body);
    match web
        .app
        .second_factor_confirm(
            &signed.principal,
            fields.get("code").unwrap_or(""),
            signed.session_id(),
        )
        .await
    {
        Ok(codes) => {
            let notice = Some(signed.lang.say("web-2fa-enabled"));
            settings_view(&web, &signed, notice, None, Some(codes)).await
        }
        Err(error) if error.code == app::ErrorCode::InvalidInput => {
            let message = error.message(signed.lang);
            settings_view(&web, &signed, None, Some(message), None).await
        }
        Err(error) => Err(fail(&signed)(error)),
    }
}

/// Turns the caller's second factor off, with a current code.
pub async fn second_factor_disable(
    State(web): State<Web>,
    signed: Signed,
    body: Bytes,
) -> PageResult {
    let fields = Fields::parse(&body);
    match web
        .app
        .second_factor_disable(&signed.principal, fields.get("code").unwrap_or(""))
        .await
    {
        Ok(()) => Ok(back("/settings", "second-factor-off")),
        Err(error) if error.code == app::ErrorCode::InvalidInput => {
            let message = error.message(signed.lang);
            settings_view(&web, &signed, None, Some(message), None).await
        }
        Err(error) => Err(fail(&signed)(error)),
    }
}

/// Saves language and zone.
pub async fn settings_save(State(web): State<Web>, signed: Signed, body: Bytes) -> PageResult {
    let fields = Fields::parse(&body);
    let lang = match fields.get("lang") {
        Some(text) => Some(text.parse::<Lang>().map_err(|e| bad(&e, signed.lang))?),
        None => signed.principal.lang,
    };
    let zone = match fields.get("zone") {
        Some(text) => Some(text.parse::<chrono_tz::Tz>().map_err(|_| {
            Failure::app(
                AppError::invalid("zone_unknown", json!({ "zone": text })),
                signed.lang,
                Scope::Page,
            )
        })?),
        None => signed.principal.zone,
    };
    web.app
        .user_set_preferences(signed.principal.user_id, lang, zone)
        .await
        .map_err(fail(&signed))?;
    Ok(back("/settings", "saved"))
}

/// Switches the language and goes back where the switch was pressed.
pub async fn settings_lang(
    State(web): State<Web>,
    signed: Signed,
    headers: HeaderMap,
    body: Bytes,
) -> PageResult {
    let fields = Fields::parse(&body);
    let lang = fields
        .get("lang")
        .unwrap_or("en")
        .parse::<Lang>()
        .map_err(|e| bad(&e, signed.lang))?;
    web.app
        .user_set_preferences(signed.principal.user_id, Some(lang), signed.principal.zone)
        .await
        .map_err(fail(&signed))?;
    Ok(Redirect::to(&referer_path(&headers)).into_response())
}

/// Changes the caller's password; their other sessions end.
pub async fn settings_password(State(web): State<Web>, signed: Signed, body: Bytes) -> PageResult {
    let fields = Fields::parse(&body);
    let raw = |name: &str| {
        fields
            .0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let keep = match &signed.proof {
        crate::guard::Proof::Cookie(session) => Some(session.id),
        crate::guard::Proof::Token => None,
    };
    web.app
        .user_change_own_password(signed.principal.user_id, &raw("old"), &raw("new"), keep)
        .await
        .map_err(fail(&signed))?;
    Ok(back("/settings", "password-changed"))
}

fn link_purpose(path: &str) -> (app::auth::LinkPurpose, &'static str) {
    if path.starts_with("/welcome/") {
        (app::auth::LinkPurpose::Invite, "web-link-welcome")
    } else {
        (app::auth::LinkPurpose::Reset, "web-link-reset-title")
    }
}

/// The page of a one-time link: choose a password. Sent without a referrer, since the address
/// holds the secret.
pub async fn link_page(visitor: Visitor, request: Request) -> Response {
    let path = request.uri().path().to_string();
    let (_, heading) = link_purpose(&path);
    let mut response = crate::html::PasswordLinkPage {
        c: Chrome::visitor(visitor.lang, visitor.lang.say(heading)),
        heading: visitor.lang.say(heading),
        action: path,
        error: None,
    }
    .into_response();
    response.headers_mut().insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

/// Uses a one-time link: the password is set, the user's sessions end, and they sign in.
pub async fn link_use(
    State(web): State<Web>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(secret): Path<String>,
    request: Request,
) -> PageResult {
    let lang = visitor.lang;
    if !crate::guard::same_origin(&web, &headers) {
        return Err(Failure::csrf(lang, Scope::Page));
    }
    let path = request.uri().path().to_string();
    let (purpose, heading) = link_purpose(&path);
    let body = axum::body::to_bytes(request.into_body(), 64 * 1024)
        .await
        .map_err(|e| bad(&e.to_string(), lang))?;
    let fields = Fields::parse(&body);
    let password = fields
        .0
        .iter()
        .find(|(k, _)| k == "password")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    match web.app.one_time_link_use(&secret, purpose, password).await {
        Ok(_) => Ok(back("/signin", "password-set")),
        Err(error)
            if error.code == app::ErrorCode::InvalidInput
                || error.code == app::ErrorCode::PasswordTooShort =>
        {
            let mut response = crate::html::PasswordLinkPage {
                c: Chrome::visitor(lang, lang.say(heading)),
                heading: lang.say(heading),
                action: path,
                error: Some(error.message(lang)),
            }
            .into_response();
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            response.headers_mut().insert(
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            );
            Ok(response)
        }
        Err(error) => Err(Failure::app(error, lang, Scope::Page)),
    }
}
