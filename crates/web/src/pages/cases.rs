//! The case page: the timeline, the composer and every action on one case.

use app::{CaseEdit, Lang};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Redirect};
use case::timeline::Visibility;
use case::{Priority, Status};

use super::{back, bad, case_path, fail, notice_text, Fields, PageResult};
use crate::guard::Signed;
use crate::html::{CasePageHtml, Chrome, ClockRow, ComposerTemplate, EntryRow};
use crate::routes::Scope;
use crate::Web;

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
        clocks: clock_rows(page.case.sla.as_ref(), lang, signed.zone),
        sla_version: page.case.sla.as_ref().map(|sla| sla.policy_version),
        case: page.case,
    };
    Ok(html.into_response())
}

/// The clocks of a case as the page shows them.
pub(crate) fn clock_rows(
    sla: Option<&app::sla::CaseSlaView>,
    lang: Lang,
    zone: chrono_tz::Tz,
) -> Vec<ClockRow> {
    let Some(sla) = sla else { return Vec::new() };
    sla.clocks
        .iter()
        .map(|clock| {
            let state = if clock.breached {
                "breached"
            } else if clock.at_risk {
                "at_risk"
            } else {
                clock.status.as_str()
            };
            let state_text = match state {
                "breached" => lang.say("sla-breached"),
                "at_risk" => lang.say("sla-at-risk"),
                other => lang.say(&format!("sla-clock-{other}")),
            };
            let left = match clock.remaining_seconds {
                Some(left) if left >= 0 => lang.text(
                    "web-sla-left",
                    &[("span", app::sla::span_words(left, lang).into())],
                ),
                Some(late) => lang.text(
                    "web-sla-late",
                    &[("span", app::sla::span_words(late, lang).into())],
                ),
                None => String::new(),
            };
            ClockRow {
                rule: clock.rule.clone(),
                measure: lang.say(&format!("sla-measure-{}", clock.measure.as_str())),
                target: clock.target.clone(),
                state,
                state_text,
                due: clock
                    .due_at
                    .as_deref()
                    .map(|due| app::views::local_time(due, zone).chars().take(16).collect())
                    .unwrap_or_default(),
                left,
            }
        })
        .collect()
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
