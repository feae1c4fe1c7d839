//! The HTML pages: each handler reads its form, calls one `app` command as the signed-in actor,
//! and renders a template or redirects (post, redirect, get) with a notice.

use app::workspace::{BulkAction, OwnerChoice, QueueInput, QueueView};
use app::{AppError, CaseEdit, Lang, QueueSort};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use case::timeline::Visibility;
use case::{Priority, Status};
use serde_json::json;

use crate::guard::{Signed, Visitor, SESSION_COOKIE};
use crate::html::{
    CasePageHtml, Chrome, ComposerTemplate, CountTab, DirectoryPage, EntryRow, NewCasePage,
    OrgPage, QuarantinePage, QuarantineRow, QuarantineShowPage, QueueFilters, QueuePage, QueueRow,
    SettingsPage, SignInPage, UsersPage,
};
use crate::problem::Failure;
use crate::routes::Scope;
use crate::Web;

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
    let secure = if web.config.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    let age = max_age.map_or(String::new(), |age| format!("; Max-Age={age}"));
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax{secure}{age}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("casebook_session=; Path=/"))
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
    match web.app.sign_in(&login, password, &visitor.client).await {
        Ok(signed_in) => {
            let mut response = Redirect::to(&next).into_response();
            response.headers_mut().insert(
                header::SET_COOKIE,
                session_cookie(&web, &signed_in.secret, None),
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
    let p = &signed.principal;
    Ok(SettingsPage {
        c: Chrome::signed(&signed, signed.lang.say("web-settings"), "settings"),
        login: p.login.clone(),
        role: signed.lang.say(&format!("role-{}", p.role.as_str())),
        org: p.org_name.clone().unwrap_or_default(),
        zone: p.zone.unwrap_or(web.app.view_zone).name().to_string(),
        notice: notice_text(signed.lang, &fields),
    }
    .into_response())
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

pub(crate) fn queue_input(
    fields: &Fields,
    lang: Lang,
    scope: Scope,
) -> Result<QueueInput, Failure> {
    let bad = |detail: &str, lang: Lang| Failure::bad_request(detail, lang, scope);
    let statuses = fields
        .all("status")
        .iter()
        .map(|s| s.parse::<Status>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(&e.to_string(), lang))?;
    let priorities = fields
        .all("priority")
        .iter()
        .map(|s| s.parse::<Priority>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(&e.to_string(), lang))?;
    let owner = match fields.get("owner") {
        None | Some("any") => OwnerChoice::Any,
        Some("mine") => OwnerChoice::Mine,
        Some("unassigned") => OwnerChoice::Unassigned,
        Some(person) => OwnerChoice::Person(person.to_string()),
    };
    let sort = match fields.get("sort") {
        None => QueueSort::default(),
        Some(text) => QueueSort::parse(text).ok_or_else(|| bad(text, lang))?,
    };
    let limit = match fields.get("limit") {
        None => None,
        Some(text) => Some(text.parse::<u32>().map_err(|e| bad(&e.to_string(), lang))?),
    };
    Ok(QueueInput {
        statuses,
        priorities,
        customer: fields.get("customer").map(str::to_string),
        owner,
        stage: fields.get("stage").map(str::to_string),
        tag: fields.get("tag").map(str::to_string),
        text: fields.get("q").map(str::to_string),
        sort,
        cursor: fields.get("cursor").map(str::to_string),
        limit,
    })
}

/// The query string of the queue's filters (without the cursor and notices).
fn filters_query(fields: &Fields) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in &fields.0 {
        if !["cursor", "notice", "n", "m"].contains(&key.as_str()) && !value.trim().is_empty() {
            out.append_pair(key, value.trim());
        }
    }
    out.finish()
}

pub(crate) fn queue_rows(view: &QueueView, lang: Lang, zone: chrono_tz::Tz) -> Vec<QueueRow> {
    view.cases
        .iter()
        .map(|row| QueueRow {
            number: row.number.clone(),
            title: row.title.clone(),
            priority: row.priority.to_string(),
            customer: row.customer.clone(),
            status: row.status.to_string(),
            status_text: lang.say(&format!("status-{}", row.status)),
            stage: row.stage.clone(),
            owner: row.owner.clone().unwrap_or_default(),
            tags: row.tags.clone(),
            updated: app::views::local_time(&row.updated_at, zone)
                .chars()
                .take(16)
                .collect(),
        })
        .collect()
}

/// The queue (a partner's: their organization's cases).
pub async fn queue(
    State(web): State<Web>,
    signed: Signed,
    RawQuery(query): RawQuery,
) -> PageResult {
    let lang = signed.lang;
    let fields = Fields::query(query);
    let input = queue_input(&fields, lang, Scope::Page)?;
    let actor = signed.actor();
    let view = web.app.queue(&actor, input).await.map_err(fail(&signed))?;
    let active = fields.all("status");
    let query = filters_query(&fields);
    let next = view.next_cursor.as_ref().map(|cursor| {
        let mut out = url::form_urlencoded::Serializer::new(query.clone());
        out.append_pair("cursor", cursor);
        out.finish()
    });
    let views = if signed.is_staff() {
        web.app
            .saved_views(signed.principal.user_id)
            .await
            .map_err(fail(&signed))?
            .into_iter()
            .map(|v| (v.id, v.name, v.query))
            .collect()
    } else {
        Vec::new()
    };
    let page = QueuePage {
        c: Chrome::signed(
            &signed,
            lang.say(if signed.is_staff() {
                "web-nav-queue"
            } else {
                "web-nav-my-cases"
            }),
            "cases",
        ),
        rows: queue_rows(&view, lang, signed.zone),
        counts: view
            .counts
            .iter()
            .map(|count| CountTab {
                status: count.status.to_string(),
                text: lang.say(&format!("status-{}", count.status)),
                count: count.count,
                active: active.contains(&count.status.to_string()),
            })
            .collect(),
        filters: QueueFilters {
            q: fields.get("q").unwrap_or("").to_string(),
            status: active,
            priority: fields.get("priority").unwrap_or("").to_string(),
            customer: fields.get("customer").unwrap_or("").to_string(),
            owner: fields.get("owner").unwrap_or("").to_string(),
            stage: fields.get("stage").unwrap_or("").to_string(),
            tag: fields.get("tag").unwrap_or("").to_string(),
            sort: fields.get("sort").unwrap_or("updated").to_string(),
        },
        next,
        query,
        views,
        priorities: Priority::ALL.iter().map(|p| p.as_str()).collect(),
        statuses: Status::ALL
            .iter()
            .map(|s| (s.as_str(), lang.say(&format!("status-{s}"))))
            .collect(),
        notice: notice_text(lang, &fields),
    };
    Ok(page.into_response())
}

/// A bulk action on the checked cases.
pub async fn bulk(State(web): State<Web>, signed: Signed, body: Bytes) -> PageResult {
    let lang = signed.lang;
    let fields = Fields::parse(&body);
    let cases = fields.all("case");
    let value = fields.get("value").unwrap_or("");
    let action = match fields.get("action") {
        Some("assign") => BulkAction::Assign(value.to_string()),
        Some("status") => BulkAction::Status(
            value
                .parse::<Status>()
                .map_err(|e| bad(&e.to_string(), lang))?,
        ),
        Some("priority") => BulkAction::Priority(
            value
                .parse::<Priority>()
                .map_err(|e| bad(&e.to_string(), lang))?,
        ),
        Some("tag") => BulkAction::Tag(value.to_string()),
        other => return Err(bad(other.unwrap_or(""), lang)),
    };
    let results = web
        .app
        .bulk(&signed.actor(), &cases, &action)
        .await
        .map_err(fail(&signed))?;
    let changed = results.iter().filter(|r| r.changed).count();
    let refused = results.iter().filter(|r| r.error.is_some()).count();
    Ok(Redirect::to(&format!("/cases?notice=bulk&n={changed}&m={refused}")).into_response())
}

/// Saves the current filters as a view.
pub async fn view_save(State(web): State<Web>, signed: Signed, body: Bytes) -> PageResult {
    let fields = Fields::parse(&body);
    // Stored and redirected to as the queue's own encoding of its filters, whatever was posted.
    let query = filters_query(&Fields::parse(fields.get("query").unwrap_or("").as_bytes()));
    let query = query.as_str();
    web.app
        .save_view(
            signed.principal.user_id,
            fields.get("name").unwrap_or(""),
            query,
        )
        .await
        .map_err(fail(&signed))?;
    Ok(Redirect::to(&format!("/cases?{query}")).into_response())
}

/// Deletes a saved view.
pub async fn view_delete(
    State(web): State<Web>,
    signed: Signed,
    Path(id): Path<i64>,
) -> PageResult {
    web.app
        .delete_view(signed.principal.user_id, id)
        .await
        .map_err(fail(&signed))?;
    Ok(Redirect::to("/cases").into_response())
}

/// The new case form.
pub async fn case_new_page(State(web): State<Web>, signed: Signed) -> PageResult {
    let customers = if signed.is_staff() {
        web.app
            .org_list()
            .await
            .map_err(fail(&signed))?
            .into_iter()
            .filter(|org| !org.staff)
            .map(|org| org.name)
            .collect()
    } else {
        Vec::new()
    };
    Ok(NewCasePage {
        c: Chrome::signed(&signed, signed.lang.say("web-nav-new-case"), "new"),
        customers,
        priorities: Priority::ALL.iter().map(|p| p.as_str()).collect(),
    }
    .into_response())
}

/// Opens a case: staff for a customer, a partner for their own organization with a first message.
pub async fn case_create(State(web): State<Web>, signed: Signed, body: Bytes) -> PageResult {
    let lang = signed.lang;
    let fields = Fields::parse(&body);
    let priority = match fields.get("priority") {
        Some(p) => Some(
            p.parse::<Priority>()
                .map_err(|e| bad(&e.to_string(), lang))?,
        ),
        None => None,
    };
    let title = fields.get("title").unwrap_or("");
    let actor = signed.actor();
    let case = if signed.is_staff() {
        web.app
            .case_new(
                &actor,
                app::views::NewCaseInput {
                    title: title.to_string(),
                    customer: fields.get("customer").unwrap_or("").to_string(),
                    priority,
                    stage: None,
                    product: fields.get("product").map(str::to_string),
                    version: fields.get("version").map(str::to_string),
                    new_org: false,
                },
            )
            .await
    } else {
        web.app
            .portal_new_case(&actor, title, fields.get("text").unwrap_or(""), priority)
            .await
    }
    .map_err(fail(&signed))?;
    Ok(back(&case_path(&case.summary.number), "case-opened"))
}

fn composer_templates(lang: Lang, staff: bool) -> Vec<ComposerTemplate> {
    if !staff {
        return Vec::new();
    }
    [
        ("initial", false),
        ("logs", false),
        ("archive", true),
        ("resolution", true),
    ]
    .into_iter()
    .map(|(id, note)| ComposerTemplate {
        id,
        name: lang.say(&format!("web-template-{id}")),
        text: lang.say(&format!("web-template-{id}-text")),
        note,
    })
    .collect()
}

/// The case page.
pub async fn case_page(
    State(web): State<Web>,
    signed: Signed,
    Path(number): Path<String>,
    RawQuery(query): RawQuery,
) -> PageResult {
    let lang = signed.lang;
    let fields = Fields::query(query);
    let page = web
        .app
        .case_page(&signed.actor(), &number)
        .await
        .map_err(fail(&signed))?;
    if page.case.summary.number != number {
        // An alias or a tracking token finds the case; the address shows its number.
        return Ok(Redirect::to(&case_path(&page.case.summary.number)).into_response());
    }
    let mut entries: Vec<EntryRow> = page
        .case
        .timeline
        .iter()
        .map(|entry| EntryRow::build(entry, lang, signed.zone))
        .collect();
    for (row, entry) in entries.iter_mut().zip(&page.case.timeline) {
        if let Some(email) = &entry.email {
            if let Some((_, state)) = page.outbox.iter().find(|(id, _)| *id == email.message_row) {
                row.outbox = Some(lang.say(&format!("web-outbox-{}", state.as_str())));
                row.kind_text = format!(
                    "{} · {}",
                    row.kind_text,
                    row.outbox.clone().unwrap_or_default()
                );
            }
        }
    }
    let last_entry = page.case.timeline.iter().map(|e| e.id).max().unwrap_or(0);
    let html = CasePageHtml {
        c: Chrome::signed(
            &signed,
            format!("{} {}", page.case.summary.number, page.case.summary.title),
            "cases",
        ),
        status_text: lang.say(&format!("status-{}", page.case.summary.status)),
        created: app::views::local_time(&page.case.summary.created_at, signed.zone),
        entries,
        tags: page.tags,
        participants: page.participants,
        transitions: page
            .transitions
            .iter()
            .map(|s| (s.to_string(), lang.say(&format!("status-{s}"))))
            .collect(),
        priorities: Priority::ALL.iter().map(|p| p.as_str()).collect(),
        templates: composer_templates(lang, signed.is_staff()),
        last_entry,
        notice: notice_text(lang, &fields),
        case: page.case,
    };
    Ok(html.into_response())
}

/// A public reply (staff: by mail through the outbox; partner: through the portal), with files.
pub async fn case_reply(
    State(web): State<Web>,
    signed: Signed,
    Path(number): Path<String>,
    request: Request,
) -> PageResult {
    let input = crate::api::read_reply(request, signed.lang, Scope::Page).await?;
    web.app
        .case_reply(&signed.actor(), &number, input)
        .await
        .map_err(fail(&signed))?;
    Ok(back(&case_path(&number), "reply-queued"))
}

/// An internal note.
pub async fn case_note(
    State(web): State<Web>,
    signed: Signed,
    Path(number): Path<String>,
    body: Bytes,
) -> PageResult {
    let fields = Fields::parse(&body);
    web.app
        .case_note(&signed.actor(), &number, fields.get("text").unwrap_or(""))
        .await
        .map_err(fail(&signed))?;
    Ok(back(&case_path(&number), "note-added"))
}

/// A status change (archive and resolve with their summary).
pub async fn case_status(
    State(web): State<Web>,
    signed: Signed,
    Path(number): Path<String>,
    body: Bytes,
) -> PageResult {
    let lang = signed.lang;
    let fields = Fields::parse(&body);
    let to: Status = fields
        .get("status")
        .unwrap_or("")
        .parse::<Status>()
        .map_err(|e| bad(&e.to_string(), lang))?;
    web.app
        .case_status(&signed.actor(), &number, to, fields.get("summary"))
        .await
        .map_err(fail(&signed))?;
    Ok(back(&case_path(&number), "status-changed"))
}

/// Edits title, priority and stage (only what changed is recorded).
pub async fn case_edit(
    State(web): State<Web>,
    signed: Signed,
    Path(number): Path<String>,
    body: Bytes,
) -> PageResult {
    let lang = signed.lang;
    let fields = Fields::parse(&body);
    let priority = match fields.get("priority") {
        Some(p) => Some(
            p.parse::<Priority>()
                .map_err(|e| bad(&e.to_string(), lang))?,
        ),
        None => None,
    };
    // The store records only the fields whose value changes; an empty field leaves it as it is.
    let given = |name: &str| fields.get(name).map(str::to_string);
    let edit = CaseEdit {
        title: given("title"),
        priority,
        stage: given("stage"),
        product: given("product"),
        version: given("version"),
        problem_definition: given("problem_definition"),
        scope: given("scope"),
    };
    if edit == CaseEdit::default() {
        return Ok(back(&case_path(&number), "saved"));
    }
    web.app
        .case_edit(&signed.actor(), &number, edit)
        .await
        .map_err(fail(&signed))?;
    Ok(back(&case_path(&number), "saved"))
}

/// Gives the case an owner.
pub async fn case_assign(
    State(web): State<Web>,
    signed: Signed,
    Path(number): Path<String>,
    body: Bytes,
) -> PageResult {
    let fields = Fields::parse(&body);
    web.app
        .case_assign(&signed.actor(), &number, fields.get("person").unwrap_or(""))
        .await
        .map_err(fail(&signed))?;
    Ok(back(&case_path(&number), "saved"))
}

/// Sets the tags to the comma-separated list given.
pub async fn case_tags(
    State(web): State<Web>,
    signed: Signed,
    Path(number): Path<String>,
    body: Bytes,
) -> PageResult {
    let fields = Fields::parse(&body);
    let actor = signed.actor();
    let wanted: Vec<String> = fields
        .get("tags")
        .unwrap_or("")
        .split([',', '，'])
        .map(|t| t.trim().to_lowercase())
        .filter(|t| !t.is_empty())
        .collect();
    web.app
        .case_tags_set(&actor, &number, &wanted)
        .await
        .map_err(fail(&signed))?;
    Ok(back(&case_path(&number), "saved"))
}

/// Adds or removes a participant the takeover guard trusts.
pub async fn case_participants(
    State(web): State<Web>,
    signed: Signed,
    Path(number): Path<String>,
    body: Bytes,
) -> PageResult {
    let fields = Fields::parse(&body);
    web.app
        .case_participant(
            &signed.actor(),
            &number,
            fields.get("address").unwrap_or(""),
            fields.get("remove").is_none(),
        )
        .await
        .map_err(fail(&signed))?;
    Ok(back(&case_path(&number), "saved"))
}

/// Merges another case into this one.
pub async fn case_merge(
    State(web): State<Web>,
    signed: Signed,
    Path(number): Path<String>,
    body: Bytes,
) -> PageResult {
    let fields = Fields::parse(&body);
    web.app
        .case_merge(
            &signed.actor(),
            &number,
            fields.get("gone").unwrap_or(""),
            fields.get("force").is_some(),
        )
        .await
        .map_err(fail(&signed))?;
    Ok(back(&case_path(&number), "merged"))
}

/// Splits messages off into a new case.
pub async fn case_split(
    State(web): State<Web>,
    signed: Signed,
    Path(number): Path<String>,
    body: Bytes,
) -> PageResult {
    let fields = Fields::parse(&body);
    let messages: Vec<String> = fields
        .get("messages")
        .unwrap_or("")
        .split([',', ' '])
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map(str::to_string)
        .collect();
    let change = web
        .app
        .case_split(
            &signed.actor(),
            &number,
            fields.get("title").unwrap_or(""),
            &messages,
            fields.get("empty").is_some(),
        )
        .await
        .map_err(fail(&signed))?;
    Ok(back(&case_path(&change.case.number), "split"))
}

/// Makes an entry public or internal.
pub async fn entry_visibility(
    State(web): State<Web>,
    signed: Signed,
    Path((number, entry)): Path<(String, i64)>,
    body: Bytes,
) -> PageResult {
    let lang = signed.lang;
    let fields = Fields::parse(&body);
    let to: Visibility = fields
        .get("to")
        .unwrap_or("")
        .parse()
        .map_err(|_| bad("to", lang))?;
    web.app
        .case_entry_visibility(&signed.actor(), entry, to)
        .await
        .map_err(fail(&signed))?;
    Ok(back(&case_path(&number), "saved"))
}

/// A file name safe in a `Content-Disposition` header: the name as `filename*` (RFC 5987) and
/// an ASCII stand-in.
pub(crate) fn disposition(filename: &str) -> String {
    let ascii: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded =
        percent_encoding::utf8_percent_encode(filename, percent_encoding::NON_ALPHANUMERIC);
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// An attachment, authorised through the entry that holds it; always downloaded, never shown.
pub async fn attachment(
    State(web): State<Web>,
    signed: Signed,
    Path((_number, entry, index)): Path<(String, i64, usize)>,
) -> PageResult {
    let file = web
        .app
        .attachment(&signed.actor(), entry, index)
        .await
        .map_err(fail(&signed))?;
    let disposition = HeaderValue::from_str(&disposition(&file.filename))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    let mut response = file.bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    headers.insert(header::CONTENT_DISPOSITION, disposition);
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    Ok(response)
}

/// The sender's HTML of an email, sanitized, under a policy with no script and, until the reader
/// asks (`?images=1`), no remote images.
pub async fn entry_html(
    State(web): State<Web>,
    signed: Signed,
    Path((_number, entry)): Path<(String, i64)>,
    RawQuery(query): RawQuery,
) -> PageResult {
    let lang = signed.lang;
    let images = Fields::query(query).get("images") == Some("1");
    let html = web
        .app
        .entry_html(&signed.actor(), entry)
        .await
        .map_err(fail(&signed))?;
    let body = match html {
        Some(html) => crate::security::sanitize_mail_html(&html, images),
        None => format!("<p>{}</p>", lang.say("web-entry-no-html")),
    };
    let notice = if images {
        String::new()
    } else {
        format!(
            "<p style=\"font:13px sans-serif;background:#fff8e1;padding:4px 8px\">{} <a href=\"?images=1\" target=\"_self\">{}</a></p>",
            lang.say("web-entry-images-blocked"),
            lang.say("web-entry-images-show")
        )
    };
    let document = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{entry}</title></head><body>{notice}{body}</body></html>"
    );
    let mut response = axum::response::Html(document).into_response();
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(if images {
            crate::security::MAIL_CSP_IMAGES
        } else {
            crate::security::MAIL_CSP
        }),
    );
    Ok(response)
}

fn quarantine_row(
    view: &app::views::QuarantineView,
    lang: Lang,
    zone: chrono_tz::Tz,
) -> QuarantineRow {
    QuarantineRow {
        id: view.id,
        received: app::views::local_time(&view.received_at, zone),
        from: view.from_address.clone().unwrap_or_default(),
        subject: view.subject.clone().unwrap_or_default(),
        reason: app::i18n::quarantine_reason(&view.reason_code, &view.reason, lang),
        resolution: view
            .resolution
            .as_ref()
            .map(|r| lang.say(&format!("web-quarantine-resolution-{r}")))
            .unwrap_or_default(),
    }
}

/// The quarantine.
pub async fn quarantine_list(
    State(web): State<Web>,
    signed: Signed,
    RawQuery(query): RawQuery,
) -> PageResult {
    let all = Fields::query(query).get("all").is_some();
    let list = web
        .app
        .quarantine_list(&signed.actor(), all)
        .await
        .map_err(fail(&signed))?;
    Ok(QuarantinePage {
        c: Chrome::signed(&signed, signed.lang.say("web-nav-quarantine"), "quarantine"),
        rows: list
            .iter()
            .map(|v| quarantine_row(v, signed.lang, signed.zone))
            .collect(),
        all,
    }
    .into_response())
}

/// One held message: its reason, headers and text.
pub async fn quarantine_show(
    State(web): State<Web>,
    signed: Signed,
    Path(id): Path<i64>,
) -> PageResult {
    let (view, raw) = web
        .app
        .quarantine_show(&signed.actor(), id)
        .await
        .map_err(fail(&signed))?;
    let text = String::from_utf8_lossy(&raw);
    let (headers, body) = match text.find("\r\n\r\n").or_else(|| text.find("\n\n")) {
        Some(at) => (text[..at].to_string(), text[at..].trim().to_string()),
        None => (text.to_string(), String::new()),
    };
    let body: String = body.chars().take(20_000).collect();
    Ok(QuarantineShowPage {
        c: Chrome::signed(&signed, signed.lang.say("web-nav-quarantine"), "quarantine"),
        row: quarantine_row(&view, signed.lang, signed.zone),
        headers,
        body,
        open: view.resolution.is_none(),
        case: view.case,
    }
    .into_response())
}

/// Attaches a held message to a case.
pub async fn quarantine_attach(
    State(web): State<Web>,
    signed: Signed,
    Path(id): Path<i64>,
    body: Bytes,
) -> PageResult {
    let fields = Fields::parse(&body);
    let case = fields.get("case").unwrap_or("").to_string();
    web.app
        .quarantine_decide(&signed.actor(), id, app::QuarantineDecision::Attach(case))
        .await
        .map_err(fail(&signed))?;
    Ok(back(&format!("/quarantine/{id}"), "saved"))
}

/// Lets a held message through.
pub async fn quarantine_release(
    State(web): State<Web>,
    signed: Signed,
    Path(id): Path<i64>,
) -> PageResult {
    web.app
        .quarantine_decide(&signed.actor(), id, app::QuarantineDecision::Release)
        .await
        .map_err(fail(&signed))?;
    Ok(back(&format!("/quarantine/{id}"), "saved"))
}

/// Dismisses a held message (it is kept).
pub async fn quarantine_dismiss(
    State(web): State<Web>,
    signed: Signed,
    Path(id): Path<i64>,
    body: Bytes,
) -> PageResult {
    let fields = Fields::parse(&body);
    web.app
        .quarantine_dismiss(&signed.actor(), id, fields.get("note"))
        .await
        .map_err(fail(&signed))?;
    Ok(back(&format!("/quarantine/{id}"), "saved"))
}

/// The organizations.
pub async fn org_list(State(web): State<Web>, signed: Signed) -> PageResult {
    let orgs = web.app.org_list().await.map_err(fail(&signed))?;
    let lang = signed.lang;
    Ok(DirectoryPage {
        c: Chrome::signed(&signed, lang.say("web-nav-organizations"), "organizations"),
        columns: vec![
            "web-col-name".into(),
            "web-org-domains".into(),
            "web-org-kind".into(),
        ],
        rows: orgs
            .into_iter()
            .map(|org| {
                (
                    Some(format!("/organizations/{}", org.id)),
                    vec![
                        org.name,
                        org.domains.join(", "),
                        lang.say(if org.staff {
                            "web-org-staff"
                        } else {
                            "web-org-customer"
                        }),
                    ],
                )
            })
            .collect(),
    }
    .into_response())
}

/// One organization: domains, people, cases.
pub async fn org_show(State(web): State<Web>, signed: Signed, Path(id): Path<i64>) -> PageResult {
    let lang = signed.lang;
    let org = web
        .app
        .org_list()
        .await
        .map_err(fail(&signed))?
        .into_iter()
        .find(|org| org.id == id)
        .ok_or_else(|| Failure::not_found(lang, Scope::Page))?;
    let people = web
        .app
        .contact_list()
        .await
        .map_err(fail(&signed))?
        .into_iter()
        .filter(|c| c.org.as_deref() == Some(org.name.as_str()))
        .map(|c| {
            (
                c.name,
                c.addresses.join(", "),
                c.role
                    .map(|r| lang.say(&format!("role-{}", r.as_str())))
                    .unwrap_or_default(),
            )
        })
        .collect();
    let view = web
        .app
        .queue(
            &signed.actor(),
            QueueInput {
                customer: Some(org.name.clone()),
                limit: Some(100),
                ..QueueInput::default()
            },
        )
        .await
        .map_err(fail(&signed))?;
    Ok(OrgPage {
        c: Chrome::signed(&signed, org.name.clone(), "organizations"),
        rows: queue_rows(&view, lang, signed.zone)
            .into_iter()
            .filter(|row| row.customer == org.name)
            .collect(),
        name: org.name,
        domains: org.domains,
        staff: org.staff,
        people,
    }
    .into_response())
}

/// The contacts.
pub async fn contact_list(State(web): State<Web>, signed: Signed) -> PageResult {
    let lang = signed.lang;
    let contacts = web.app.contact_list().await.map_err(fail(&signed))?;
    Ok(DirectoryPage {
        c: Chrome::signed(&signed, lang.say("web-nav-contacts"), "contacts"),
        columns: vec![
            "web-col-name".into(),
            "web-col-addresses".into(),
            "field-customer".into(),
            "web-col-role".into(),
        ],
        rows: contacts
            .into_iter()
            .map(|c| {
                (
                    None,
                    vec![
                        c.name,
                        c.addresses.join(", "),
                        c.org.unwrap_or_default(),
                        c.role
                            .map(|r| lang.say(&format!("role-{}", r.as_str())))
                            .unwrap_or_default(),
                    ],
                )
            })
            .collect(),
    }
    .into_response())
}

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

/// Makes a one-time link for a user (an invitation valid 7 days, a reset valid 1 hour) and
/// shows it once, to be handed to the user.
pub async fn user_link(
    State(web): State<Web>,
    signed: Signed,
    Path(login): Path<String>,
    body: Bytes,
) -> PageResult {
    let lang = signed.lang;
    let fields = Fields::parse(&body);
    let (purpose, valid_for, path) = match fields.get("purpose") {
        Some("invite") => (
            app::auth::LinkPurpose::Invite,
            std::time::Duration::from_secs(7 * 24 * 3600),
            "welcome",
        ),
        Some("reset") => (
            app::auth::LinkPurpose::Reset,
            std::time::Duration::from_secs(3600),
            "reset",
        ),
        other => return Err(bad(other.unwrap_or(""), lang)),
    };
    let secret = web
        .app
        .one_time_link_create(&login, purpose, valid_for)
        .await
        .map_err(fail(&signed))?;
    let link = web.config.link(&format!("/{path}/{secret}"));
    let label = lang.say("web-link-once");
    users_view(&web, &signed, Some((label, link)), None).await
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
