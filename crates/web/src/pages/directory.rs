//! The quarantine, organizations and contacts.

use app::workspace::QueueInput;
use app::Lang;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::response::IntoResponse;

use super::{back, fail, Fields, PageResult};
use crate::guard::Signed;
use crate::html::{
    Chrome, DirectoryPage, OrgPage, OutboxPage, OutboxRow, QuarantinePage, QuarantineRow,
    QuarantineShowPage,
};
use crate::problem::Failure;
use crate::routes::Scope;
use crate::Web;

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

/// The outbox, newest first; `?status=failed` (or queued, sending, sent) shows one state.
pub async fn outbox_list(
    State(web): State<Web>,
    signed: Signed,
    RawQuery(query): RawQuery,
) -> PageResult {
    let fields = Fields::query(query);
    let status = fields.get("status").unwrap_or("").to_string();
    let state = match status.as_str() {
        "" => None,
        text => Some(app::OutboxState::parse(text).ok_or_else(|| {
            Failure::bad_request(
                format!("'{text}' is not an outbox state (queued, sending, sent, failed)"),
                signed.lang,
                Scope::Page,
            )
        })?),
    };
    let list = web
        .app
        .outbox_list(&signed.actor(), state, 500)
        .await
        .map_err(fail(&signed))?;
    let lang = signed.lang;
    let zone = signed.zone;
    let rows = list
        .iter()
        .rev()
        .map(|view| OutboxRow {
            id: view.id,
            state: view.state.as_str().to_string(),
            state_label: lang.say(&format!("web-outbox-{}", view.state.as_str())),
            purpose: lang.say(&format!("web-outbox-purpose-{}", view.purpose)),
            case: view.case.clone(),
            recipients: view.recipients.join(", "),
            attempts: view.attempts,
            queued: app::views::local_time(&view.created_at, zone),
            sent: view
                .sent_at
                .as_deref()
                .map(|at| app::views::local_time(at, zone))
                .unwrap_or_default(),
            error: match (&view.error, &view.failed_recipient) {
                (Some(error), Some(recipient)) => format!("{recipient}: {error}"),
                (Some(error), None) => error.clone(),
                (None, _) => String::new(),
            },
        })
        .collect();
    Ok(OutboxPage {
        c: Chrome::signed(&signed, lang.say("web-nav-outbox"), "outbox"),
        rows,
        status,
    }
    .into_response())
}

/// Sends a failed message again, with the same bytes and Message-ID.
pub async fn outbox_retry(
    State(web): State<Web>,
    signed: Signed,
    Path(id): Path<i64>,
) -> PageResult {
    web.app
        .outbox_retry(&signed.actor(), id)
        .await
        .map_err(fail(&signed))?;
    Ok(back("/outbox?status=failed", "saved"))
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
                c.id,
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
        rows: super::queue::queue_rows(&view, lang, signed.zone)
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

/// A contact: their addresses, organization and role, and the cases they take part in.
pub async fn contact_show(
    State(web): State<Web>,
    signed: Signed,
    Path(id): Path<i64>,
) -> PageResult {
    let lang = signed.lang;
    let contact = web
        .app
        .contact_show(&format!("#{id}"))
        .await
        .map_err(fail(&signed))?;
    let view = web
        .app
        .queue(
            &signed.actor(),
            QueueInput {
                participant: Some(format!("#{}", contact.id)),
                limit: Some(100),
                ..QueueInput::default()
            },
        )
        .await
        .map_err(fail(&signed))?;
    Ok(crate::html::ContactPage {
        c: Chrome::signed(&signed, contact.name.clone(), "contacts"),
        role: contact
            .role
            .map(|r| lang.say(&format!("role-{}", r.as_str())))
            .unwrap_or_default(),
        rows: super::queue::queue_rows(&view, lang, signed.zone),
        contact,
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
            "web-col-org".into(),
            "web-col-role".into(),
        ],
        rows: contacts
            .into_iter()
            .map(|c| {
                (
                    Some(format!("/contacts/{}", c.id)),
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
