//! Users and API tokens (admins only).

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::response::IntoResponse;

use super::{back, bad, fail, notice_text, Fields, PageResult};
use crate::guard::Signed;
use crate::html::{Chrome, UsersPage};
use crate::Web;

async fn users_view(
    web: &Web,
    signed: &Signed,
    new_secret: Option<(String, String)>,
    notice: Option<String>,
) -> PageResult {
    let users = web.app.user_list().await.map_err(fail(signed))?;
    let tokens = web.app.token_list(None).await.map_err(fail(signed))?;
    let log = web
        .app
        .admin_log(50)
        .await
        .map_err(fail(signed))?
        .into_iter()
        .map(|e| {
            (
                app::views::local_time(&e.at, signed.zone),
                e.actor,
                e.action,
                e.target,
            )
        })
        .collect();
    Ok(UsersPage {
        c: Chrome::signed(signed, signed.lang.say("web-nav-admin"), "admin"),
        users,
        tokens,
        log,
        roles: case::party::Role::ALL.iter().map(|r| r.as_str()).collect(),
        new_secret,
        notice,
    }
    .into_response())
}

/// Users, tokens and the admin log.
pub async fn users_page(
    State(web): State<Web>,
    signed: Signed,
    RawQuery(query): RawQuery,
) -> PageResult {
    let notice = notice_text(signed.lang, &Fields::query(query));
    users_view(&web, &signed, None, notice).await
}

/// Adds a user.
pub async fn user_add(State(web): State<Web>, signed: Signed, body: Bytes) -> PageResult {
    let lang = signed.lang;
    let fields = Fields::parse(&body);
    let role: case::party::Role = fields
        .get("role")
        .unwrap_or("")
        .parse::<case::party::Role>()
        .map_err(|e| bad(&e.to_string(), lang))?;
    let password = fields
        .0
        .iter()
        .find(|(k, _)| k == "password")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    web.app
        .user_add(
            app::auth::NewUser {
                login: fields.get("login").unwrap_or("").to_string(),
                role,
                org: fields.get("org").map(str::to_string),
                name: fields.get("name").map(str::to_string),
                email: None,
                password,
            },
            &signed.principal.login,
        )
        .await
        .map_err(fail(&signed))?;
    Ok(back("/admin/users", "saved"))
}

/// Changes a user's role.
pub async fn user_role(
    State(web): State<Web>,
    signed: Signed,
    Path(login): Path<String>,
    body: Bytes,
) -> PageResult {
    let lang = signed.lang;
    let role: case::party::Role = Fields::parse(&body)
        .get("role")
        .unwrap_or("")
        .parse::<case::party::Role>()
        .map_err(|e| bad(&e.to_string(), lang))?;
    web.app
        .user_set_role(&login, role, &signed.principal.login)
        .await
        .map_err(fail(&signed))?;
    Ok(back("/admin/users", "saved"))
}

/// Disables a user: their sessions and tokens end.
pub async fn user_disable(
    State(web): State<Web>,
    signed: Signed,
    Path(login): Path<String>,
) -> PageResult {
    web.app
        .user_disable(&login, &signed.principal.login)
        .await
        .map_err(fail(&signed))?;
    Ok(back("/admin/users", "saved"))
}

/// Enables a user again.
pub async fn user_enable(
    State(web): State<Web>,
    signed: Signed,
    Path(login): Path<String>,
) -> PageResult {
    web.app
        .user_enable(&login, &signed.principal.login)
        .await
        .map_err(fail(&signed))?;
    Ok(back("/admin/users", "saved"))
}

/// Creates an API token for a user and shows it this once.
pub async fn user_token(
    State(web): State<Web>,
    signed: Signed,
    Path(login): Path<String>,
    body: Bytes,
) -> PageResult {
    let fields = Fields::parse(&body);
    let token = web
        .app
        .token_create(&login, fields.get("name"), &signed.principal.login)
        .await
        .map_err(fail(&signed))?;
    let label = signed.lang.say("web-token-once");
    users_view(&web, &signed, Some((label, token.token.clone())), None).await
}

/// Revokes a token.
pub async fn token_revoke(
    State(web): State<Web>,
    signed: Signed,
    Path(id): Path<i64>,
) -> PageResult {
    web.app
        .token_revoke(id, &signed.principal.login)
        .await
        .map_err(fail(&signed))?;
    Ok(back("/admin/users", "saved"))
}

/// Makes a one-time link for a user (an invitation or a reset) and mails it through the outbox;
/// a user without an address cannot be mailed, so the link is shown once, to be handed over.
pub async fn user_link(
    State(web): State<Web>,
    signed: Signed,
    Path(login): Path<String>,
    body: Bytes,
) -> PageResult {
    let lang = signed.lang;
    let fields = Fields::parse(&body);
    let (purpose, path) = match fields.get("purpose") {
        Some("invite") => (app::auth::LinkPurpose::Invite, "welcome"),
        Some("reset") => (app::auth::LinkPurpose::Reset, "reset"),
        other => return Err(bad(other.unwrap_or(""), lang)),
    };
    let link_of = |secret: &str| web.config.link(&format!("/{path}/{secret}"));
    let delivery = web
        .app
        .one_time_link_send(&login, purpose, &link_of, lang, &signed.principal.login)
        .await
        .map_err(fail(&signed))?;
    match (delivery.mailed_to, delivery.link) {
        (_, Some(link)) => {
            let label = lang.say("web-link-once");
            users_view(&web, &signed, Some((label, link)), None).await
        }
        (mailed_to, None) => {
            let notice = lang.text(
                "web-link-mailed",
                &[("address", mailed_to.unwrap_or_default().into())],
            );
            users_view(&web, &signed, None, Some(notice)).await
        }
    }
}

/// Turns off a user's second factor (they lost their device).
pub async fn user_second_factor_reset(
    State(web): State<Web>,
    signed: Signed,
    Path(login): Path<String>,
) -> PageResult {
    web.app
        .user_second_factor_reset(&login, &signed.principal.login)
        .await
        .map_err(fail(&signed))?;
    Ok(back("/admin/users", "second-factor-reset"))
}
