//! The one route table: every page, API call and asset, with who may call it. The router is
//! built from this table alone, each row behind the [`crate::guard::gate`] its own `who` and
//! `scope` configure, so a route cannot exist without its row; a test walks the table.

use axum::http::Method;
use axum::routing::{on, MethodFilter, MethodRouter};
use axum::Router;

use crate::{api, live, pages, security, Web};

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// Anyone, signed in or not (sign-in, assets, health, the API document).
    Anyone,
    /// Any signed-in user: staff and partner contacts (the app's policy then decides per case).
    SignedIn,
    /// The vendor's staff: admin, manager, engineer, liaison.
    Staff,
    /// Admins.
    Admin,
}

/// What a route answers with, and so how it fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// HTML for a browser: signed-out callers are sent to the sign-in page.
    Page,
    /// JSON (`/api/v1`), errors as problem documents.
    Api,
    /// Files and health checks.
    Asset,
    /// The live event stream: fails like an asset, and its reconnects do not count as activity,
    /// so an open tab does not keep a session from idling out.
    Stream,
}

/// One row of the table.
pub struct Route {
    /// The method.
    pub method: Method,
    /// The path, axum's syntax (`/cases/{number}`).
    pub path: &'static str,
    /// Who may call it.
    pub who: Who,
    /// How it answers.
    pub scope: Scope,
    handler: MethodRouter<Web>,
}

fn row(
    method: Method,
    path: &'static str,
    who: Who,
    scope: Scope,
    handler: MethodRouter<Web>,
) -> Route {
    Route {
        method,
        path,
        who,
        scope,
        handler,
    }
}

macro_rules! routes {
    ($( $method:ident $path:literal $who:ident $scope:ident => $handler:expr ;)*) => {
        vec![$(
            row(
                Method::$method,
                $path,
                Who::$who,
                Scope::$scope,
                on(MethodFilter::$method, $handler),
            ),
        )*]
    };
}

/// Every route.
pub fn table() -> Vec<Route> {
    routes! {
        GET "/" SignedIn Page => pages::home;
        GET "/signin" Anyone Page => pages::account::signin_page;
        POST "/signin" Anyone Page => pages::account::signin;
        GET "/signin/code" Anyone Page => pages::account::signin_code_page;
        POST "/signin/code" Anyone Page => pages::account::signin_code;
        GET "/forgot" Anyone Page => pages::account::forgot_page;
        POST "/forgot" Anyone Page => pages::account::forgot;
        POST "/signout" SignedIn Page => pages::account::signout;
        GET "/lang/{lang}" Anyone Page => pages::account::visitor_lang;
        GET "/settings" SignedIn Page => pages::account::settings_page;
        POST "/settings" SignedIn Page => pages::account::settings_save;
        POST "/settings/lang" SignedIn Page => pages::account::settings_lang;
        POST "/settings/password" SignedIn Page => pages::account::settings_password;
        POST "/settings/notices" Staff Page => pages::account::settings_notices;
        POST "/settings/second-factor" Staff Page => pages::account::second_factor_begin;
        POST "/settings/second-factor/confirm" Staff Page => pages::account::second_factor_confirm;
        POST "/settings/second-factor/disable" Staff Page => pages::account::second_factor_disable;

        GET "/cases" SignedIn Page => pages::queue::queue;
        POST "/cases" SignedIn Page => pages::queue::case_create;
        GET "/cases/new" SignedIn Page => pages::queue::case_new_page;
        POST "/cases/bulk" Staff Page => pages::queue::bulk;
        POST "/views" Staff Page => pages::queue::view_save;
        POST "/views/{id}/delete" Staff Page => pages::queue::view_delete;
        GET "/cases/{number}" SignedIn Page => pages::cases::case_page;
        POST "/cases/{number}/reply" SignedIn Page => pages::cases::case_reply;
        POST "/cases/{number}/notes" Staff Page => pages::cases::case_note;
        POST "/cases/{number}/status" Staff Page => pages::cases::case_status;
        POST "/cases/{number}/edit" Staff Page => pages::cases::case_edit;
        POST "/cases/{number}/assign" Staff Page => pages::cases::case_assign;
        POST "/cases/{number}/tags" Staff Page => pages::cases::case_tags;
        POST "/cases/{number}/participants" Staff Page => pages::cases::case_participants;
        POST "/cases/{number}/merge" Staff Page => pages::cases::case_merge;
        POST "/cases/{number}/split" Staff Page => pages::cases::case_split;
        POST "/cases/{number}/entries/{entry}/visibility" Staff Page => pages::cases::entry_visibility;
        GET "/cases/{number}/entries/{entry}/files/{index}" SignedIn Page => pages::cases::attachment;
        GET "/cases/{number}/entries/{entry}/html" SignedIn Page => pages::cases::entry_html;

        GET "/sla" Staff Page => pages::sla::dashboard;
        GET "/quarantine" Staff Page => pages::directory::quarantine_list;
        GET "/quarantine/{id}" Staff Page => pages::directory::quarantine_show;
        POST "/quarantine/{id}/attach" Staff Page => pages::directory::quarantine_attach;
        POST "/quarantine/{id}/release" Staff Page => pages::directory::quarantine_release;
        POST "/quarantine/{id}/dismiss" Staff Page => pages::directory::quarantine_dismiss;
        GET "/outbox" Staff Page => pages::directory::outbox_list;
        POST "/outbox/{id}/retry" Staff Page => pages::directory::outbox_retry;
        GET "/organizations" Staff Page => pages::directory::org_list;
        GET "/organizations/{id}" Staff Page => pages::directory::org_show;
        GET "/contacts" Staff Page => pages::directory::contact_list;
        GET "/contacts/{id}" Staff Page => pages::directory::contact_show;

        GET "/admin/users" Admin Page => pages::admin::users_page;
        POST "/admin/users" Admin Page => pages::admin::user_add;
        POST "/admin/users/{login}/role" Admin Page => pages::admin::user_role;
        POST "/admin/users/{login}/disable" Admin Page => pages::admin::user_disable;
        POST "/admin/users/{login}/enable" Admin Page => pages::admin::user_enable;
        POST "/admin/users/{login}/tokens" Admin Page => pages::admin::user_token;
        POST "/admin/tokens/{id}/revoke" Admin Page => pages::admin::token_revoke;
        POST "/admin/users/{login}/link" Admin Page => pages::admin::user_link;
        POST "/admin/users/{login}/second-factor/reset" Admin Page => pages::admin::user_second_factor_reset;
        GET "/welcome/{secret}" Anyone Page => pages::account::link_page;
        POST "/welcome/{secret}" Anyone Page => pages::account::link_use;
        GET "/reset/{secret}" Anyone Page => pages::account::link_page;
        POST "/reset/{secret}" Anyone Page => pages::account::link_use;

        GET "/events" SignedIn Stream => live::events;
        POST "/cases/{number}/composing" Staff Asset => live::composing;

        GET "/api/v1/me" SignedIn Api => api::me;
        GET "/api/v1/cases" SignedIn Api => api::cases_list;
        POST "/api/v1/cases" SignedIn Api => api::case_create;
        GET "/api/v1/cases/{number}" SignedIn Api => api::case_get;
        PATCH "/api/v1/cases/{number}" Staff Api => api::case_patch;
        POST "/api/v1/cases/{number}/notes" Staff Api => api::case_note;
        POST "/api/v1/cases/{number}/replies" SignedIn Api => api::case_reply;
        POST "/api/v1/cases/{number}/status" Staff Api => api::case_status;
        POST "/api/v1/cases/{number}/assign" Staff Api => api::case_assign;
        POST "/api/v1/cases/{number}/participants" Staff Api => api::case_participants;
        GET "/api/v1/sla" Staff Api => api::sla_status;
        GET "/api/v1/organizations" Staff Api => api::orgs;
        GET "/api/v1/contacts" Staff Api => api::contacts;
        GET "/api/v1/outbox" Staff Api => api::outbox_list;
        POST "/api/v1/outbox/{id}/retry" Staff Api => api::outbox_retry;
        GET "/api/v1/quarantine" Staff Api => api::quarantine_list;
        POST "/api/v1/quarantine/{id}/attach" Staff Api => api::quarantine_attach;
        POST "/api/v1/quarantine/{id}/release" Staff Api => api::quarantine_release;
        POST "/api/v1/quarantine/{id}/dismiss" Staff Api => api::quarantine_dismiss;
        GET "/api/v1/users" Admin Api => api::users;
        POST "/api/v1/users" Admin Api => api::user_create;
        PATCH "/api/v1/users/{login}" Admin Api => api::user_patch;
        GET "/api/v1/tokens" Admin Api => api::tokens;
        POST "/api/v1/tokens" Admin Api => api::token_create;
        DELETE "/api/v1/tokens/{id}" Admin Api => api::token_revoke;
        GET "/api/v1/openapi.json" Anyone Api => api::openapi_json;
        GET "/api/docs" Anyone Asset => api::docs_page;

        GET "/static/{*path}" Anyone Asset => security::asset;
        GET "/healthz" Anyone Asset => api::healthz;
        GET "/readyz" Anyone Asset => api::readyz;
    }
}

/// The largest request body the server reads (a reply's files are 25 MiB at most).
pub const BODY_LIMIT: usize = 30 * 1024 * 1024;

/// The router of [`table`], with the security headers on every answer.
pub fn build(web: Web) -> Router {
    let mut router: Router<Web> = Router::new();
    for route in table() {
        let gate = axum::middleware::from_fn_with_state(
            (web.clone(), route.who, route.scope),
            crate::guard::gate,
        );
        router = router.route(route.path, route.handler.layer(gate));
    }
    let fallback_web = web.clone();
    let https = web.config.secure_cookies();
    router
        .fallback(move |request: axum::extract::Request| {
            let web = fallback_web.clone();
            async move { pages::not_found(web, request).await }
        })
        .with_state(web)
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(
            https,
            security::headers,
        ))
        .layer(tower_http::catch_panic::CatchPanicLayer::new())
}
