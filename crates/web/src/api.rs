//! The REST API, `/api/v1`: JSON in, JSON out, errors as problem documents (RFC 9457) with the
//! same `code`, `message` and `details` as the CLI's `--json`. Every handler calls the same `app`
//! command as the page and the CLI; the OpenAPI document is generated from the handlers'
//! annotations, and a test holds it equal to the route table.

use app::workspace::QueueView;
use app::{AppError, CaseEdit, Lang};
use axum::extract::{Multipart, Path, RawQuery, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use case::{Priority, Status};
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::{OpenApi, ToSchema};

use crate::guard::Signed;
use crate::pages::Fields;
use crate::problem::Failure;
use crate::routes::Scope;
use crate::Web;

type ApiResult = Result<Response, Failure>;

fn fail(signed: &Signed) -> impl Fn(AppError) -> Failure + '_ {
    move |error| Failure::app(error, signed.lang, Scope::Api)
}

fn ok<T: serde::Serialize>(status: StatusCode, value: &T) -> ApiResult {
    Ok((status, Json(value)).into_response())
}

/// A JSON body, or a problem document that says what is wrong with it.
fn body<T: serde::de::DeserializeOwned>(bytes: &[u8], lang: Lang) -> Result<T, Failure> {
    serde_json::from_slice(bytes)
        .map_err(|error| Failure::bad_request(error.to_string(), lang, Scope::Api))
}

/// A numeric id from the path, or a problem document (never axum's plain-text rejection).
fn parse_id(text: &str, lang: Lang) -> Result<i64, Failure> {
    text.parse::<i64>().map_err(|_| {
        Failure::bad_request(format!("'{text}' is not a numeric id"), lang, Scope::Api)
    })
}

fn parse_priority(text: Option<&str>, lang: Lang) -> Result<Option<Priority>, Failure> {
    text.map(|p| {
        p.parse::<Priority>()
            .map_err(|e| Failure::bad_request(e.to_string(), lang, Scope::Api))
    })
    .transpose()
}

/// `GET /api/v1/me`.
#[utoipa::path(get, path = "/api/v1/me", tag = "session",
    responses((status = 200, description = "The caller: login, name, role, organization, language, zone")))]
pub async fn me(signed: Signed) -> ApiResult {
    let p = &signed.principal;
    ok(
        StatusCode::OK,
        &json!({
            "login": p.login,
            "name": p.name,
            "role": p.role,
            "organization": p.org_name,
            "staff": signed.is_staff(),
            "lang": signed.lang.tag(),
            "zone": signed.zone.name(),
        }),
    )
}

/// `GET /api/v1/cases`: the queue, filtered, sorted, one page at a time (`next_cursor`).
#[utoipa::path(get, path = "/api/v1/cases", tag = "cases",
    params(
        ("status" = Option<Vec<String>>, Query, description = "Only these statuses (repeat)"),
        ("priority" = Option<Vec<String>>, Query, description = "Only these priorities, P1 to P4 (repeat)"),
        ("customer" = Option<String>, Query, description = "Customer name contains"),
        ("owner" = Option<String>, Query, description = "`mine`, `unassigned`, or a person"),
        ("stage" = Option<String>, Query, description = "Stage is"),
        ("tag" = Option<String>, Query, description = "Has tag"),
        ("participant" = Option<String>, Query, description = "A contact takes part (`#id` or an address); staff only"),
        ("q" = Option<String>, Query, description = "Number, title or customer contains"),
        ("sla" = Option<String>, Query, description = "`at_risk` or `breached`: open cases whose SLA clocks are so now; staff only"),
        ("sort" = Option<String>, Query, description = "`updated`, `created`, `priority`, or `due` (earliest SLA breach first; staff only)"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the page before"),
        ("limit" = Option<u32>, Query, description = "Rows per page, 1 to 500 (50)"),
    ),
    responses((status = 200, description = "`{cases, next_cursor, counts}`")))]
pub async fn cases_list(
    State(web): State<Web>,
    signed: Signed,
    RawQuery(query): RawQuery,
) -> ApiResult {
    let fields = Fields::query(query);
    let input = crate::pages::queue::queue_input(&fields, signed.lang, Scope::Api)?;
    let view: QueueView = web
        .app
        .queue(&signed.actor(), input)
        .await
        .map_err(fail(&signed))?;
    ok(StatusCode::OK, &view)
}

/// A new case.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCaseBody {
    /// The title.
    pub title: String,
    /// The customer organization (staff only; a partner's case is their organization's).
    #[serde(default)]
    pub customer: Option<String>,
    /// P1 to P4 (P3).
    #[serde(default)]
    pub priority: Option<String>,
    /// Product.
    #[serde(default)]
    pub product: Option<String>,
    /// Version.
    #[serde(default)]
    pub version: Option<String>,
    /// The first message (a partner's case needs one).
    #[serde(default)]
    pub text: Option<String>,
}

/// `POST /api/v1/cases`.
#[utoipa::path(post, path = "/api/v1/cases", tag = "cases", request_body = NewCaseBody,
    responses((status = 201, description = "The case"), (status = 422, description = "Invalid input")))]
pub async fn case_create(
    State(web): State<Web>,
    signed: Signed,
    bytes: axum::body::Bytes,
) -> ApiResult {
    let lang = signed.lang;
    let new: NewCaseBody = body(&bytes, lang)?;
    let priority = parse_priority(new.priority.as_deref(), lang)?;
    let actor = signed.actor();
    let case = if signed.is_staff() {
        web.app
            .case_new(
                &actor,
                app::views::NewCaseInput {
                    title: new.title,
                    customer: new.customer.unwrap_or_default(),
                    priority,
                    stage: None,
                    product: new.product,
                    version: new.version,
                    new_org: false,
                },
            )
            .await
    } else {
        web.app
            .portal_new_case(
                &actor,
                &new.title,
                new.text.as_deref().unwrap_or(""),
                priority,
            )
            .await
    }
    .map_err(fail(&signed))?;
    ok(StatusCode::CREATED, &case)
}

/// `GET /api/v1/cases/{number}`: the case with its timeline as the caller may see it.
#[utoipa::path(get, path = "/api/v1/cases/{number}", tag = "cases",
    params(("number" = String, Path, description = "Number, alias or tracking token", example = "CAS-03865-H7P3F1")),
    responses((status = 200, description = "The case, its timeline, tags, participants, allowed transitions"),
        (status = 404, description = "No such case, or not the caller's")))]
pub async fn case_get(
    State(web): State<Web>,
    signed: Signed,
    Path(number): Path<String>,
) -> ApiResult {
    let page = web
        .app
        .case_page(&signed.actor(), &number)
        .await
        .map_err(fail(&signed))?;
    // Written straight from the view: no JSON tree of every body in between.
    ok(StatusCode::OK, &page)
}

/// Changes to a case's fields and tags.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CasePatch {
    /// New title.
    #[serde(default)]
    pub title: Option<String>,
    /// New priority.
    #[serde(default)]
    pub priority: Option<String>,
    /// New stage.
    #[serde(default)]
    pub stage: Option<String>,
    /// Product.
    #[serde(default)]
    pub product: Option<String>,
    /// Version.
    #[serde(default)]
    pub version: Option<String>,
    /// Problem definition.
    #[serde(default)]
    pub problem_definition: Option<String>,
    /// Scope.
    #[serde(default)]
    pub scope: Option<String>,
    /// Tags to add.
    #[serde(default)]
    pub add_tags: Vec<String>,
    /// Tags to remove.
    #[serde(default)]
    pub remove_tags: Vec<String>,
}

/// `PATCH /api/v1/cases/{number}`.
#[utoipa::path(patch, path = "/api/v1/cases/{number}", tag = "cases", request_body = CasePatch,
    params(("number" = String, Path, description = "Number, alias or tracking token", example = "CAS-03865-H7P3F1")),
    responses((status = 200, description = "The case after the change")))]
pub async fn case_patch(
    State(web): State<Web>,
    signed: Signed,
    Path(number): Path<String>,
    bytes: axum::body::Bytes,
) -> ApiResult {
    let lang = signed.lang;
    let patch: CasePatch = body(&bytes, lang)?;
    let actor = signed.actor();
    let edit = CaseEdit {
        title: patch.title,
        priority: parse_priority(patch.priority.as_deref(), lang)?,
        stage: patch.stage,
        product: patch.product,
        version: patch.version,
        problem_definition: patch.problem_definition,
        scope: patch.scope,
    };
    if edit != CaseEdit::default() {
        web.app
            .case_edit(&actor, &number, edit)
            .await
            .map_err(fail(&signed))?;
    }
    if !patch.add_tags.is_empty() || !patch.remove_tags.is_empty() {
        web.app
            .case_tags(&actor, &number, &patch.add_tags, &patch.remove_tags)
            .await
            .map_err(fail(&signed))?;
    }
    let page = web
        .app
        .case_page(&actor, &number)
        .await
        .map_err(fail(&signed))?;
    ok(StatusCode::OK, &page)
}

/// A text: a note or a reply.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TextBody {
    /// The text.
    pub text: String,
    /// Extra copy recipients (replies only).
    #[serde(default)]
    pub cc: Vec<String>,
}

/// A reply with files, as `multipart/form-data`: `text`, `cc` (addresses separated by commas),
/// and any number of `files` parts.
#[derive(ToSchema)]
#[allow(dead_code)] // Read part by part in `read_reply`; the type only documents the form.
pub struct ReplyForm {
    /// The text.
    pub text: String,
    /// Extra copy recipients, separated by commas.
    pub cc: Option<String>,
    /// The files, each a part of its own.
    #[schema(value_type = Option<Vec<String>>, format = Binary)]
    pub files: Option<Vec<Vec<u8>>>,
}

/// `POST /api/v1/cases/{number}/notes`: an internal note.
#[utoipa::path(post, path = "/api/v1/cases/{number}/notes", tag = "cases", request_body = TextBody,
    params(("number" = String, Path, description = "Number, alias or tracking token", example = "CAS-03865-H7P3F1")),
    responses((status = 201, description = "The change: the case and the note's entry")))]
pub async fn case_note(
    State(web): State<Web>,
    signed: Signed,
    Path(number): Path<String>,
    bytes: axum::body::Bytes,
) -> ApiResult {
    let note: TextBody = body(&bytes, signed.lang)?;
    let change = web
        .app
        .case_note(&signed.actor(), &number, &note.text)
        .await
        .map_err(fail(&signed))?;
    ok(StatusCode::CREATED, &change)
}

/// Reads a reply from JSON (`{"text", "cc"}`), a form, or `multipart/form-data` with `text`,
/// `cc` and `files`.
pub async fn read_reply(
    request: Request,
    lang: Lang,
    scope: Scope,
) -> Result<app::compose::ReplyInput, Failure> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let bad = |detail: String| Failure::bad_request(detail, lang, scope);
    let split_cc = |text: &str| -> Vec<String> {
        text.split([',', ';', '\n'])
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(str::to_string)
            .collect()
    };
    if content_type.starts_with("multipart/form-data") {
        let mut multipart = Multipart::from_request(request, &())
            .await
            .map_err(|e| bad(e.body_text()))?;
        let mut input = app::compose::ReplyInput::default();
        while let Some(field) = multipart
            .next_field()
            .await
            .map_err(|e| bad(e.body_text()))?
        {
            let name = field.name().unwrap_or("").to_string();
            match name.as_str() {
                "text" => input.text = field.text().await.map_err(|e| bad(e.body_text()))?,
                "cc" => input.cc = split_cc(&field.text().await.map_err(|e| bad(e.body_text()))?),
                "files" | "file" => {
                    let filename = field.file_name().unwrap_or("").to_string();
                    let content_type = field
                        .content_type()
                        .unwrap_or("application/octet-stream")
                        .to_string();
                    let bytes = field.bytes().await.map_err(|e| bad(e.body_text()))?;
                    // A file input left empty sends a part with no name and no bytes.
                    if filename.is_empty() && bytes.is_empty() {
                        continue;
                    }
                    input.files.push(app::compose::OutgoingFile {
                        filename,
                        content_type,
                        bytes: bytes.to_vec(),
                    });
                }
                _ => {}
            }
        }
        return Ok(input);
    }
    let bytes = axum::body::to_bytes(request.into_body(), 30 * 1024 * 1024)
        .await
        .map_err(|e| bad(e.to_string()))?;
    if content_type.starts_with("application/json") {
        let reply: TextBody = serde_json::from_slice(&bytes).map_err(|e| bad(e.to_string()))?;
        return Ok(app::compose::ReplyInput {
            text: reply.text,
            cc: reply.cc,
            files: Vec::new(),
        });
    }
    let fields = Fields::parse(&bytes);
    Ok(app::compose::ReplyInput {
        text: fields.get("text").unwrap_or("").to_string(),
        cc: split_cc(fields.get("cc").unwrap_or("")),
        files: Vec::new(),
    })
}

use axum::extract::FromRequest;

/// `POST /api/v1/cases/{number}/replies`: a public reply; staff's goes out by mail through the
/// outbox, a partner's is recorded as their message on the case.
#[utoipa::path(post, path = "/api/v1/cases/{number}/replies", tag = "cases",
    request_body(content(
        (TextBody = "application/json"),
        (ReplyForm = "multipart/form-data"),
    ), description = "The reply as JSON, or with files as a multipart form"),
    params(("number" = String, Path, description = "Number, alias or tracking token", example = "CAS-03865-H7P3F1")),
    responses((status = 201, description = "The change: the case and the reply's entry")))]
pub async fn case_reply(
    State(web): State<Web>,
    signed: Signed,
    Path(number): Path<String>,
    request: Request,
) -> ApiResult {
    let input = read_reply(request, signed.lang, Scope::Api).await?;
    let change = web
        .app
        .case_reply(&signed.actor(), &number, input)
        .await
        .map_err(fail(&signed))?;
    ok(StatusCode::CREATED, &change)
}

/// A status change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    /// The status to go to.
    pub status: String,
    /// Archiving: 问题描述 / 案例总结; resolving: 根本原因 / 解决方案.
    #[serde(default)]
    pub summary: Option<String>,
}

/// `POST /api/v1/cases/{number}/status`.
#[utoipa::path(post, path = "/api/v1/cases/{number}/status", tag = "cases", request_body = StatusBody,
    params(("number" = String, Path, description = "Number, alias or tracking token", example = "CAS-03865-H7P3F1")),
    responses((status = 200, description = "The change"), (status = 409, description = "The state machine does not allow it")))]
pub async fn case_status(
    State(web): State<Web>,
    signed: Signed,
    Path(number): Path<String>,
    bytes: axum::body::Bytes,
) -> ApiResult {
    let lang = signed.lang;
    let change: StatusBody = body(&bytes, lang)?;
    let to: Status = change
        .status
        .parse::<Status>()
        .map_err(|e| Failure::bad_request(e.to_string(), lang, Scope::Api))?;
    let change = web
        .app
        .case_status(&signed.actor(), &number, to, change.summary.as_deref())
        .await
        .map_err(fail(&signed))?;
    ok(StatusCode::OK, &change)
}

/// An owner.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    /// The person: address, name or `#id`.
    pub person: String,
}

/// `POST /api/v1/cases/{number}/assign`.
#[utoipa::path(post, path = "/api/v1/cases/{number}/assign", tag = "cases", request_body = AssignBody,
    params(("number" = String, Path, description = "Number, alias or tracking token", example = "CAS-03865-H7P3F1")),
    responses((status = 200, description = "The change")))]
pub async fn case_assign(
    State(web): State<Web>,
    signed: Signed,
    Path(number): Path<String>,
    bytes: axum::body::Bytes,
) -> ApiResult {
    let assign: AssignBody = body(&bytes, signed.lang)?;
    let change = web
        .app
        .case_assign(&signed.actor(), &number, &assign.person)
        .await
        .map_err(fail(&signed))?;
    ok(StatusCode::OK, &change)
}

/// A participant to add or remove.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ParticipantBody {
    /// The address.
    pub address: String,
    /// Remove instead of add.
    #[serde(default)]
    pub remove: bool,
}

/// `POST /api/v1/cases/{number}/participants`: the addresses the takeover guard trusts.
#[utoipa::path(post, path = "/api/v1/cases/{number}/participants", tag = "cases", request_body = ParticipantBody,
    params(("number" = String, Path, description = "Number, alias or tracking token", example = "CAS-03865-H7P3F1")),
    responses((status = 200, description = "The change")))]
pub async fn case_participants(
    State(web): State<Web>,
    signed: Signed,
    Path(number): Path<String>,
    bytes: axum::body::Bytes,
) -> ApiResult {
    let participant: ParticipantBody = body(&bytes, signed.lang)?;
    let change = web
        .app
        .case_participant(
            &signed.actor(),
            &number,
            &participant.address,
            !participant.remove,
        )
        .await
        .map_err(fail(&signed))?;
    ok(StatusCode::OK, &change)
}

/// `GET /api/v1/sla`: open cases breached and at risk now, most urgent first.
#[utoipa::path(get, path = "/api/v1/sla", tag = "sla",
    params(("limit" = Option<u32>, Query, description = "At most this many of each (200)")),
    responses((status = 200, description = "`{at, policy_version, breached, at_risk}`: each case with its clocks")))]
pub async fn sla_status(
    State(web): State<Web>,
    signed: Signed,
    RawQuery(query): RawQuery,
) -> ApiResult {
    let fields = Fields::query(query);
    let limit = match fields.get("limit") {
        None => 200,
        Some(text) => text
            .parse::<u32>()
            .map_err(|e| Failure::bad_request(e.to_string(), signed.lang, Scope::Api))?
            .clamp(1, 1000),
    };
    let status = web
        .app
        .sla_status(&signed.actor(), limit)
        .await
        .map_err(fail(&signed))?;
    ok(StatusCode::OK, &status)
}

/// `GET /api/v1/organizations`.
#[utoipa::path(get, path = "/api/v1/organizations", tag = "directory",
    responses((status = 200, description = "Every organization")))]
pub async fn orgs(State(web): State<Web>, signed: Signed) -> ApiResult {
    let orgs = web.app.org_list().await.map_err(fail(&signed))?;
    ok(StatusCode::OK, &orgs)
}

/// `GET /api/v1/contacts`.
#[utoipa::path(get, path = "/api/v1/contacts", tag = "directory",
    responses((status = 200, description = "Every contact")))]
pub async fn contacts(State(web): State<Web>, signed: Signed) -> ApiResult {
    let contacts = web.app.contact_list().await.map_err(fail(&signed))?;
    ok(StatusCode::OK, &contacts)
}

/// `GET /api/v1/outbox`: outgoing messages, oldest first.
#[utoipa::path(get, path = "/api/v1/outbox", tag = "mail",
    params(
        ("status" = Option<String>, Query, description = "Only this state: queued, sending, sent or failed"),
        ("limit" = Option<u32>, Query, description = "At most this many (default 500)")
    ),
    responses((status = 200, description = "Outgoing messages"), (status = 400, description = "An unknown state")))]
pub async fn outbox_list(
    State(web): State<Web>,
    signed: Signed,
    RawQuery(query): RawQuery,
) -> ApiResult {
    let fields = Fields::query(query);
    let state = match fields.get("status") {
        None => None,
        Some(text) => Some(app::OutboxState::parse(text).ok_or_else(|| {
            Failure::bad_request(
                format!("'{text}' is not an outbox state (queued, sending, sent, failed)"),
                signed.lang,
                Scope::Api,
            )
        })?),
    };
    let limit = match fields.get("limit") {
        None => 500,
        Some(text) => text.parse::<u32>().ok().filter(|n| *n > 0).ok_or_else(|| {
            Failure::bad_request(
                format!("limit '{text}' is not a positive number"),
                signed.lang,
                Scope::Api,
            )
        })?,
    };
    let list = web
        .app
        .outbox_list(&signed.actor(), state, limit)
        .await
        .map_err(fail(&signed))?;
    ok(StatusCode::OK, &json!({ "messages": list }))
}

/// `POST /api/v1/outbox/{id}/retry`: a failed message is queued again, with the same bytes.
#[utoipa::path(post, path = "/api/v1/outbox/{id}/retry", tag = "mail",
    params(("id" = i64, Path, description = "The outbox id")),
    responses((status = 200, description = "The message, queued again"), (status = 400, description = "Not a failed message")))]
pub async fn outbox_retry(
    State(web): State<Web>,
    signed: Signed,
    Path(id): Path<String>,
) -> ApiResult {
    let id = parse_id(&id, signed.lang)?;
    let message = web
        .app
        .outbox_retry(&signed.actor(), id)
        .await
        .map_err(fail(&signed))?;
    ok(StatusCode::OK, &message)
}

/// `GET /api/v1/quarantine`.
#[utoipa::path(get, path = "/api/v1/quarantine", tag = "quarantine",
    params(("all" = Option<bool>, Query, description = "Include decided entries")),
    responses((status = 200, description = "Held messages")))]
pub async fn quarantine_list(
    State(web): State<Web>,
    signed: Signed,
    RawQuery(query): RawQuery,
) -> ApiResult {
    let all = matches!(Fields::query(query).get("all"), Some("true" | "1"));
    let list = web
        .app
        .quarantine_list(&signed.actor(), all)
        .await
        .map_err(fail(&signed))?;
    ok(StatusCode::OK, &list)
}

/// Where a held message goes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttachBody {
    /// The case: number, alias or token.
    pub case: String,
}

fn outcome_json(outcome: &app::Outcome) -> Value {
    json!({ "outcome": format!("{outcome:?}") })
}

/// `POST /api/v1/quarantine/{id}/attach`.
#[utoipa::path(post, path = "/api/v1/quarantine/{id}/attach", tag = "quarantine", request_body = AttachBody,
    params(("id" = i64, Path, description = "The entry")),
    responses((status = 200, description = "What intake did with it")))]
pub async fn quarantine_attach(
    State(web): State<Web>,
    signed: Signed,
    Path(id): Path<String>,
    bytes: axum::body::Bytes,
) -> ApiResult {
    let id = parse_id(&id, signed.lang)?;
    let attach: AttachBody = body(&bytes, signed.lang)?;
    let outcome = web
        .app
        .quarantine_decide(
            &signed.actor(),
            id,
            app::QuarantineDecision::Attach(attach.case),
        )
        .await
        .map_err(fail(&signed))?;
    ok(StatusCode::OK, &outcome_json(&outcome))
}

/// `POST /api/v1/quarantine/{id}/release`: intake takes it as if it had arrived unheld.
#[utoipa::path(post, path = "/api/v1/quarantine/{id}/release", tag = "quarantine",
    params(("id" = i64, Path, description = "The entry")),
    responses((status = 200, description = "What intake did with it")))]
pub async fn quarantine_release(
    State(web): State<Web>,
    signed: Signed,
    Path(id): Path<String>,
) -> ApiResult {
    let id = parse_id(&id, signed.lang)?;
    let outcome = web
        .app
        .quarantine_decide(&signed.actor(), id, app::QuarantineDecision::Release)
        .await
        .map_err(fail(&signed))?;
    ok(StatusCode::OK, &outcome_json(&outcome))
}

/// Why a held message is dismissed.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DismissBody {
    /// A note.
    #[serde(default)]
    pub note: Option<String>,
}

/// `POST /api/v1/quarantine/{id}/dismiss`: kept, but no longer waiting.
#[utoipa::path(post, path = "/api/v1/quarantine/{id}/dismiss", tag = "quarantine", request_body = DismissBody,
    params(("id" = i64, Path, description = "The entry")),
    responses((status = 200, description = "The entry")))]
pub async fn quarantine_dismiss(
    State(web): State<Web>,
    signed: Signed,
    Path(id): Path<String>,
    bytes: axum::body::Bytes,
) -> ApiResult {
    let id = parse_id(&id, signed.lang)?;
    let dismiss: DismissBody = if bytes.is_empty() {
        DismissBody::default()
    } else {
        body(&bytes, signed.lang)?
    };
    let entry = web
        .app
        .quarantine_dismiss(&signed.actor(), id, dismiss.note.as_deref())
        .await
        .map_err(fail(&signed))?;
    ok(StatusCode::OK, &entry)
}

/// `GET /api/v1/users`.
#[utoipa::path(get, path = "/api/v1/users", tag = "admin",
    responses((status = 200, description = "Every user")))]
pub async fn users(State(web): State<Web>, signed: Signed) -> ApiResult {
    let users = web.app.user_list().await.map_err(fail(&signed))?;
    ok(StatusCode::OK, &users)
}

/// A user to add.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserBody {
    /// An address, or a short name with `email`.
    pub login: String,
    /// admin, manager, engineer, liaison, partner.
    pub role: String,
    /// The organization, by name.
    #[serde(default)]
    pub org: Option<String>,
    /// The person's name.
    #[serde(default)]
    pub name: Option<String>,
    /// The person's address.
    #[serde(default)]
    pub email: Option<String>,
    /// The first password.
    pub password: String,
}

/// `POST /api/v1/users`.
#[utoipa::path(post, path = "/api/v1/users", tag = "admin", request_body = NewUserBody,
    responses((status = 201, description = "The user")))]
pub async fn user_create(
    State(web): State<Web>,
    signed: Signed,
    bytes: axum::body::Bytes,
) -> ApiResult {
    let lang = signed.lang;
    let new: NewUserBody = body(&bytes, lang)?;
    let role: case::party::Role = new
        .role
        .parse::<case::party::Role>()
        .map_err(|e| Failure::bad_request(e.to_string(), lang, Scope::Api))?;
    let user = web
        .app
        .user_add(
            app::auth::NewUser {
                login: new.login,
                role,
                org: new.org,
                name: new.name,
                email: new.email,
                password: new.password,
            },
            &signed.principal.login,
        )
        .await
        .map_err(fail(&signed))?;
    ok(StatusCode::CREATED, &user)
}

/// Changes to a user.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    /// A new role.
    #[serde(default)]
    pub role: Option<String>,
    /// `true` disables (sessions end, tokens are revoked), `false` enables.
    #[serde(default)]
    pub disabled: Option<bool>,
    /// A new password (every session of the user ends).
    #[serde(default)]
    pub password: Option<String>,
}

/// `PATCH /api/v1/users/{login}`.
#[utoipa::path(patch, path = "/api/v1/users/{login}", tag = "admin", request_body = UserPatch,
    params(("login" = String, Path, description = "The login", example = "engineer@cmgos.com")),
    responses((status = 200, description = "The user after the change")))]
pub async fn user_patch(
    State(web): State<Web>,
    signed: Signed,
    Path(login): Path<String>,
    bytes: axum::body::Bytes,
) -> ApiResult {
    let lang = signed.lang;
    let patch: UserPatch = body(&bytes, lang)?;
    let actor = signed.principal.login.as_str();
    let mut user = web.app.user_show(&login).await.map_err(fail(&signed))?;
    if let Some(role) = &patch.role {
        let role = role
            .parse::<case::party::Role>()
            .map_err(|e| Failure::bad_request(e.to_string(), lang, Scope::Api))?;
        user = web
            .app
            .user_set_role(&login, role, actor)
            .await
            .map_err(fail(&signed))?;
    }
    if let Some(password) = &patch.password {
        user = web
            .app
            .user_passwd(&login, password, actor)
            .await
            .map_err(fail(&signed))?;
    }
    match patch.disabled {
        Some(true) => {
            user = web
                .app
                .user_disable(&login, actor)
                .await
                .map_err(fail(&signed))?;
        }
        Some(false) => {
            user = web
                .app
                .user_enable(&login, actor)
                .await
                .map_err(fail(&signed))?;
        }
        None => {}
    }
    ok(StatusCode::OK, &user)
}

/// `GET /api/v1/tokens`.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "admin",
    params(("login" = Option<String>, Query, description = "Only this user's")),
    responses((status = 200, description = "Tokens, without their secrets")))]
pub async fn tokens(
    State(web): State<Web>,
    signed: Signed,
    RawQuery(query): RawQuery,
) -> ApiResult {
    let fields = Fields::query(query);
    let tokens = web
        .app
        .token_list(fields.get("login"))
        .await
        .map_err(fail(&signed))?;
    ok(StatusCode::OK, &tokens)
}

/// A token to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenBody {
    /// Whose.
    pub login: String,
    /// What it is for.
    #[serde(default)]
    pub name: Option<String>,
}

/// `POST /api/v1/tokens`: the secret is in this answer only.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "admin", request_body = NewTokenBody,
    responses((status = 201, description = "The token with its secret")))]
pub async fn token_create(
    State(web): State<Web>,
    signed: Signed,
    bytes: axum::body::Bytes,
) -> ApiResult {
    let new: NewTokenBody = body(&bytes, signed.lang)?;
    let token = web
        .app
        .token_create(&new.login, new.name.as_deref(), &signed.principal.login)
        .await
        .map_err(fail(&signed))?;
    ok(StatusCode::CREATED, &token)
}

/// `DELETE /api/v1/tokens/{id}`.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "admin",
    params(("id" = i64, Path, description = "The token")),
    responses((status = 200, description = "The token, revoked")))]
pub async fn token_revoke(
    State(web): State<Web>,
    signed: Signed,
    Path(id): Path<String>,
) -> ApiResult {
    let id = parse_id(&id, signed.lang)?;
    let token = web
        .app
        .token_revoke(id, &signed.principal.login)
        .await
        .map_err(fail(&signed))?;
    ok(StatusCode::OK, &token)
}

/// The OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Casebook API",
        description = "Cases, timelines, replies, quarantine and users. Authenticate with `Authorization: Bearer cb_…` (an API token) or a session cookie with the `X-CSRF-Token` header. Errors are `application/problem+json` with `code`, `message` and `details`."
    ),
    paths(
        me,
        cases_list,
        case_create,
        case_get,
        case_patch,
        case_note,
        case_reply,
        case_status,
        case_assign,
        case_participants,
        sla_status,
        orgs,
        contacts,
        outbox_list,
        outbox_retry,
        quarantine_list,
        quarantine_attach,
        quarantine_release,
        quarantine_dismiss,
        users,
        user_create,
        user_patch,
        tokens,
        token_create,
        token_revoke,
        openapi_json
    ),
    components(schemas(
        NewCaseBody,
        CasePatch,
        TextBody,
        ReplyForm,
        StatusBody,
        AssignBody,
        ParticipantBody,
        AttachBody,
        DismissBody,
        NewUserBody,
        UserPatch,
        NewTokenBody
    ))
)]
pub struct ApiDoc;

/// The document as JSON, with the bearer scheme on every operation but the document's own.
pub fn openapi() -> Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or(Value::Null);
    doc["components"]["securitySchemes"] = json!({
        "bearer": { "type": "http", "scheme": "bearer", "description": "An API token: `casebook token create`" },
    });
    doc["security"] = json!([{ "bearer": [] }]);
    doc["components"]["schemas"]["Problem"] = json!({
        "type": "object",
        "description": "An error (RFC 9457) with the members of the CLI's JSON errors.",
        "required": ["type", "title", "status", "detail", "code", "message", "details"],
        "properties": {
            "type": { "type": "string", "description": "`urn:casebook:error:CODE`" },
            "title": { "type": "string" },
            "status": { "type": "integer" },
            "detail": { "type": "string", "description": "What was wrong and what to do, in the caller's language" },
            "code": { "type": "string", "description": "The stable error code" },
            "message": { "type": "string" },
            "details": { "type": "object", "description": "The values involved" },
        },
    });
    // Every operation can fail in the same few ways; each is documented, so that a client (and
    // schemathesis) meets no undocumented answer.
    let failures = [
        ("400", "The body or the query cannot be read"),
        ("401", "No valid session or token"),
        (
            "403",
            "The caller's role may not do this, or the form's CSRF token is missing",
        ),
        ("404", "Nothing there, or nothing the caller may see"),
        (
            "409",
            "The change conflicts with what is stored, or the state machine does not allow it",
        ),
        ("413", "The body is too large"),
        ("422", "A value is not valid (`details.reason` says how)"),
    ];
    if let Some(paths) = doc["paths"].as_object_mut() {
        for item in paths.values_mut() {
            let Some(methods) = item.as_object_mut() else {
                continue;
            };
            for operation in methods.values_mut() {
                let Some(responses) = operation["responses"].as_object_mut() else {
                    continue;
                };
                for (status, description) in failures {
                    responses.entry(status).or_insert_with(|| {
                        json!({
                            "description": description,
                            "content": { "application/problem+json": {
                                "schema": { "$ref": "#/components/schemas/Problem" } } },
                        })
                    });
                }
            }
        }
    }
    if let Some(operation) = doc
        .pointer_mut("/paths/~1api~1v1~1openapi.json/get")
        .and_then(Value::as_object_mut)
    {
        operation.insert("security".into(), json!([]));
    }
    doc
}

/// `GET /api/v1/openapi.json`.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "session",
    responses((status = 200, description = "This document")))]
pub async fn openapi_json() -> Response {
    Json(openapi()).into_response()
}

/// `/api/docs`: a readable page of the document, rendered without any script.
pub async fn docs_page() -> Response {
    let doc = openapi();
    let mut html = String::from(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>Casebook API</title><link rel=\"stylesheet\" href=\"/static/casebook.css\"></head><body class=\"docs\"><main><h1>Casebook API</h1>",
    );
    let escape = |text: &str| {
        askama::filters::escape(text, askama::filters::Html)
            .map_or_else(|_| String::new(), |s| s.to_string())
    };
    html.push_str(&format!(
        "<p>{}</p><p><a href=\"/api/v1/openapi.json\">openapi.json</a></p>",
        escape(doc["info"]["description"].as_str().unwrap_or(""))
    ));
    if let Some(paths) = doc["paths"].as_object() {
        for (path, item) in paths {
            if let Some(methods) = item.as_object() {
                for (method, op) in methods {
                    html.push_str(&format!(
                        "<section class=\"card\"><h2><code>{} {}</code></h2><p>{}</p>",
                        method.to_uppercase(),
                        escape(path),
                        escape(
                            op["description"]
                                .as_str()
                                .or(op["summary"].as_str())
                                .unwrap_or("")
                        )
                    ));
                    if let Some(params) = op["parameters"].as_array() {
                        html.push_str("<ul>");
                        for p in params {
                            html.push_str(&format!(
                                "<li><code>{}</code> ({}) {}</li>",
                                escape(p["name"].as_str().unwrap_or("")),
                                escape(p["in"].as_str().unwrap_or("")),
                                escape(p["description"].as_str().unwrap_or(""))
                            ));
                        }
                        html.push_str("</ul>");
                    }
                    html.push_str("</section>");
                }
            }
        }
    }
    html.push_str("</main></body></html>");
    Html(html).into_response()
}

/// `/healthz`: the process answers.
pub async fn healthz() -> Response {
    (StatusCode::OK, Json(json!({ "status": "ok" }))).into_response()
}

/// `/readyz`: the database answers and its migrations are current; 503 when not.
pub async fn readyz(State(web): State<Web>) -> Response {
    let (status, body) = match web.app.ready().await {
        Ok(true) => (
            StatusCode::OK,
            json!({ "status": "ready", "database": "ok", "migrations": "current" }),
        ),
        Ok(false) => (
            StatusCode::SERVICE_UNAVAILABLE,
            json!({ "status": "unavailable", "database": "ok", "migrations": "behind" }),
        ),
        Err(error) => {
            tracing::warn!(%error, "not ready");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                json!({ "status": "unavailable", "database": error.code.as_str() }),
            )
        }
    };
    let mut body = body;
    if let Ok((mailboxes, failing)) = web.app.mailbox_health().await {
        body["mail"] = json!({ "mailboxes": mailboxes, "mailboxes_failing": failing });
    }
    let mut response = (status, Json(body)).into_response();
    if status != StatusCode::OK {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_lists_exactly_the_api_routes_of_the_table() {
        let doc = openapi();
        let mut documented: Vec<(String, String)> = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                documented.push((method.to_uppercase(), path.clone()));
            }
        }
        documented.sort();
        let mut table: Vec<(String, String)> = crate::routes::table()
            .iter()
            .filter(|route| route.scope == Scope::Api)
            .map(|route| (route.method.to_string(), route.path.to_string()))
            .collect();
        table.sort();
        assert_eq!(documented, table);
    }
}
