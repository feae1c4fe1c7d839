//! The case queue: filters, cursors, counts, saved views, bulk actions, and opening a case.

use app::workspace::{BulkAction, OwnerChoice, QueueInput, QueueView, SlaFilter, SlaState};
use app::{Lang, QueueSort};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect};
use case::{Priority, Status};

use super::{back, bad, case_path, fail, notice_text, Fields, PageResult};
use crate::guard::Signed;
use crate::html::{Chrome, CountTab, NewCasePage, QueueFilters, QueuePage, QueueRow};
use crate::problem::Failure;
use crate::routes::Scope;
use crate::Web;

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
    let sla = match fields.get("sla").filter(|s| !s.is_empty()) {
        None => None,
        Some(text) => Some(SlaFilter::parse(text).ok_or_else(|| bad(text, lang))?),
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
        participant: fields.get("participant").map(str::to_string),
        text: fields.get("q").map(str::to_string),
        sla,
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
            sla: match row.sla {
                Some(SlaState::Breached) => "breached",
                Some(SlaState::AtRisk) => "at_risk",
                Some(SlaState::Ok) => "ok",
                None => "",
            },
            sla_text: match row.sla {
                Some(SlaState::Breached) => lang.say("sla-breached"),
                Some(SlaState::AtRisk) => lang.say("sla-at-risk"),
                _ => String::new(),
            },
            due: row
                .due_at
                .as_deref()
                .map(|due| app::views::local_time(due, zone).chars().take(16).collect())
                .unwrap_or_default(),
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
            sla: fields.get("sla").unwrap_or("").to_string(),
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
