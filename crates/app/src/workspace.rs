//! The engineers' workspace: the queue, a case page's extras (tags, participants, the allowed
//! transitions, the outbox state of replies), attachments, saved views and bulk actions.

use case::access::{self, Action, EntryFacts, Viewer};
use case::{Priority, Status};
use serde::Serialize;
use serde_json::json;
use store::outbox::OutboxState;
use store::queue::{OwnerFilter, QueueCursor, QueueQuery, QueueSort};

use crate::views::{rfc3339, CaseView, ChangeView};
use crate::{Actor, App, AppError};

/// Whose cases the queue shows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum OwnerChoice {
    /// Everyone's.
    #[default]
    Any,
    /// The actor's own.
    Mine,
    /// Nobody's.
    Unassigned,
    /// This person's (address, name or `#id`).
    Person(String),
}

/// What the queue is asked for: the filters of the page and of `GET /api/v1/cases`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QueueInput {
    /// Only these statuses.
    pub statuses: Vec<Status>,
    /// Only these priorities.
    pub priorities: Vec<Priority>,
    /// Customer name contains.
    pub customer: Option<String>,
    /// Whose.
    pub owner: OwnerChoice,
    /// Stage is.
    pub stage: Option<String>,
    /// Has tag.
    pub tag: Option<String>,
    /// Takes part: a contact (`#id`, an address or a name).
    pub participant: Option<String>,
    /// Number, title or customer contains.
    pub text: Option<String>,
    /// Only open cases at risk or breached now (staff only).
    pub sla: Option<SlaFilter>,
    /// Order.
    pub sort: QueueSort,
    /// Where the page starts (`next_cursor` of the page before).
    pub cursor: Option<String>,
    /// Rows per page (1 to 500; default 50).
    pub limit: Option<u32>,
}

/// The queue's SLA filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlaFilter {
    /// Past an at-risk point, not breached.
    AtRisk,
    /// Past a limit.
    Breached,
}

impl SlaFilter {
    /// The identifier in URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            SlaFilter::AtRisk => "at_risk",
            SlaFilter::Breached => "breached",
        }
    }

    /// The filter an identifier names.
    pub fn parse(text: &str) -> Option<SlaFilter> {
        [SlaFilter::AtRisk, SlaFilter::Breached]
            .into_iter()
            .find(|f| f.as_str() == text)
    }
}

/// Where a case's SLA clocks stand, as the queue shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaState {
    /// Within every limit.
    Ok,
    /// Past an at-risk point.
    AtRisk,
    /// Past a limit.
    Breached,
}

/// A case in the queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueueRowView {
    /// Number.
    pub number: String,
    /// Title.
    pub title: String,
    /// Priority.
    pub priority: Priority,
    /// Customer.
    pub customer: String,
    /// Status.
    pub status: Status,
    /// Stage.
    pub stage: String,
    /// Owner.
    pub owner: Option<String>,
    /// Tags (staff only; empty for partners).
    pub tags: Vec<String>,
    /// Created (UTC).
    pub created_at: String,
    /// Last changed (UTC).
    pub updated_at: String,
    /// Its SLA clocks: `ok`, `at_risk` or `breached` (staff only; `null` without clocks).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sla: Option<SlaState>,
    /// The earliest SLA breach, past or to come (staff only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_at: Option<String>,
}

/// How many cases a status has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StatusCount {
    /// The status.
    pub status: Status,
    /// Cases in it, under the other filters.
    pub count: u64,
}

/// One page of the queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueueView {
    /// The cases.
    pub cases: Vec<QueueRowView>,
    /// The cursor of the next page, if there is one.
    pub next_cursor: Option<String>,
    /// Cases per status under the other filters.
    pub counts: Vec<StatusCount>,
}

/// What a case page shows beyond the case: what the actor may do, and the staff's extras.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CasePage {
    /// The case as the actor may see it.
    #[serde(flatten)]
    pub case: CaseView,
    /// Tags (staff only).
    pub tags: Vec<String>,
    /// Addresses the takeover guard trusts (staff only).
    pub participants: Vec<String>,
    /// The statuses the state machine allows from here.
    pub transitions: Vec<Status>,
    /// Replies Casebook wrote and where each stands: `(message row, state)`, written in JSON as
    /// `{"ROW": "STATE"}` (which reads better than pairs).
    #[serde(serialize_with = "outbox_as_object")]
    pub outbox: Vec<(i64, OutboxState)>,
}

fn outbox_as_object<S: serde::Serializer>(
    outbox: &[(i64, OutboxState)],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_map(
        outbox
            .iter()
            .map(|(row, state)| (row.to_string(), state.as_str())),
    )
}

/// An attachment's bytes with what a download needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentFile {
    /// The file name as the sender gave it.
    pub filename: String,
    /// The declared type.
    pub content_type: String,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// A bulk action on many cases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BulkAction {
    /// Give them an owner.
    Assign(String),
    /// Change their status (cases that may not go there are reported, not changed).
    Status(Status),
    /// Change their priority.
    Priority(Priority),
    /// Add a tag.
    Tag(String),
}

/// What a bulk action did to one case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BulkResult {
    /// The case.
    pub case: String,
    /// Whether it changed.
    pub changed: bool,
    /// The error's code when it was refused.
    pub error: Option<String>,
    /// The error's details.
    pub details: serde_json::Value,
}

/// A saved queue view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SavedView {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// The queue's query string.
    pub query: String,
}

/// How many timeline entries the live feed reads at once.
pub const FEED_BATCH: u32 = 200;

fn clean_tag(tag: &str) -> Result<String, AppError> {
    let tag = case::subject::single_line(tag).to_lowercase();
    if tag.is_empty() || tag.chars().count() > 40 || tag.contains(',') {
        return Err(AppError::invalid("tag_invalid", json!({ "tag": tag })));
    }
    Ok(tag)
}

impl App {
    /// One page of the queue, with counts per status. A partner sees their organization's cases.
    pub async fn queue(&self, actor: &Actor, input: QueueInput) -> Result<QueueView, AppError> {
        self.permit(actor, Action::ListCases)?;
        // Owners and tags are staff's business: a partner filtering by them could learn whether a
        // person exists elsewhere, or which internal tags their cases carry.
        if actor.viewer() != Viewer::Staff {
            let staff_only = match (&input.owner, &input.tag, &input.participant) {
                (OwnerChoice::Person(_) | OwnerChoice::Unassigned, _, _) => Some("owner"),
                (_, Some(_), _) => Some("tag"),
                (_, _, Some(_)) => Some("participant"),
                _ if input.sla.is_some() || input.sort == QueueSort::Due => Some("sla"),
                _ => None,
            };
            if let Some(filter) = staff_only {
                return Err(AppError::invalid(
                    "filter_staff_only",
                    json!({ "filter": filter }),
                ));
            }
        }
        // Staff without a staff role read cases but not their clocks.
        let sees_sla = actor.may(Action::ViewSla, None);
        if actor.viewer() == Viewer::Staff
            && !sees_sla
            && (input.sla.is_some() || input.sort == QueueSort::Due)
        {
            return Err(AppError::forbidden(Action::ViewSla));
        }
        let owner = match &input.owner {
            OwnerChoice::Any => OwnerFilter::Any,
            OwnerChoice::Unassigned => OwnerFilter::Unassigned,
            OwnerChoice::Mine => OwnerFilter::Person(actor.person_id.unwrap_or(-1)),
            OwnerChoice::Person(who) => {
                let contact = self
                    .store
                    .find_contact(who)
                    .await?
                    .ok_or_else(|| AppError::contact_not_found(who))?;
                OwnerFilter::Person(contact.id)
            }
        };
        let participant = match input.participant.as_deref().filter(|p| !p.is_empty()) {
            Some(who) => Some(
                self.store
                    .find_contact(who)
                    .await?
                    .ok_or_else(|| AppError::contact_not_found(who))?
                    .id,
            ),
            None => None,
        };
        let after = match &input.cursor {
            Some(text) if !text.is_empty() => {
                Some(QueueCursor::decode(text).ok_or_else(|| {
                    AppError::invalid("cursor_invalid", json!({ "cursor": text }))
                })?)
            }
            _ => None,
        };
        let customer_org_id = match actor.viewer() {
            Viewer::Staff => None,
            Viewer::Partner { org_id } => Some(org_id),
        };
        let now = self.now().timestamp_micros();
        let query = QueueQuery {
            statuses: input.statuses,
            priorities: input.priorities,
            customer_org_id,
            customer: input.customer,
            owner,
            stage: input.stage,
            tag: input.tag,
            participant,
            text: input.text,
            clocks: input.sla.map(|filter| {
                let filter = match filter {
                    SlaFilter::AtRisk => store::sla::ClockFilter::AtRisk,
                    SlaFilter::Breached => store::sla::ClockFilter::Breached,
                };
                (filter, now)
            }),
            sort: input.sort,
            after,
            limit: input.limit.unwrap_or(50).clamp(1, 500),
        };
        let page = self.store.queue(&query).await?;
        let counts = self.store.status_counts(&query).await?;
        let staff = actor.viewer() == Viewer::Staff;
        let open = |status: Status| !status.is_closed();
        Ok(QueueView {
            cases: page
                .rows
                .into_iter()
                .map(|row| QueueRowView {
                    number: row.number,
                    title: row.title,
                    priority: row.priority,
                    customer: row.customer,
                    status: row.status,
                    stage: row.stage,
                    owner: row.owner,
                    tags: if staff { row.tags } else { Vec::new() },
                    created_at: rfc3339(row.created_at),
                    updated_at: rfc3339(row.updated_at),
                    sla: (sees_sla
                        && open(row.status)
                        && (row.risk_at.is_some() || row.breach_at.is_some()))
                    .then_some(match (row.risk_at, row.breach_at) {
                        (_, Some(breach)) if breach <= now => SlaState::Breached,
                        (Some(risk), _) if risk <= now => SlaState::AtRisk,
                        _ => SlaState::Ok,
                    }),
                    due_at: row
                        .breach_at
                        .filter(|_| sees_sla && open(row.status))
                        .map(rfc3339),
                })
                .collect(),
            next_cursor: page.next.map(|cursor| cursor.encode()),
            counts: counts
                .into_iter()
                .map(|(status, count)| StatusCount { status, count })
                .collect(),
        })
    }

    /// A case page: the case as the actor may see it, and for staff its tags, participants, allowed
    /// transitions and the outbox state of its replies.
    pub async fn case_page(&self, actor: &Actor, label: &str) -> Result<CasePage, AppError> {
        let record = self.case_by_label(label).await?;
        self.permit_case(actor, Action::ViewCase, &record, label)?;
        let case = self.case_view_for(actor, &record).await?;
        let staff = actor.viewer() == Viewer::Staff;
        let rows: Vec<i64> = case
            .timeline
            .iter()
            .filter_map(|entry| entry.email.as_ref().map(|email| email.message_row))
            .collect();
        Ok(CasePage {
            tags: if staff {
                self.store.tags(record.id).await?
            } else {
                Vec::new()
            },
            participants: if staff {
                self.store.participants(record.id).await?
            } else {
                Vec::new()
            },
            transitions: if actor.may(Action::ChangeStatus, record.customer_org_id) {
                record.status.allowed_targets()
            } else {
                Vec::new()
            },
            outbox: self.store.outbox_states(&rows).await?,
            case,
        })
    }

    /// Makes the case's tags exactly `wanted`: adds what is missing, removes the rest.
    pub async fn case_tags_set(
        &self,
        actor: &Actor,
        label: &str,
        wanted: &[String],
    ) -> Result<ChangeView, AppError> {
        let record = self.case_by_label(label).await?;
        self.permit_case(actor, Action::EditCase, &record, label)?;
        let wanted: Vec<String> = wanted
            .iter()
            .map(|t| clean_tag(t))
            .collect::<Result<Vec<_>, _>>()?;
        let current = self.store.tags(record.id).await?;
        let add: Vec<String> = wanted
            .iter()
            .filter(|t| !current.contains(t))
            .cloned()
            .collect();
        let remove: Vec<String> = current
            .into_iter()
            .filter(|t| !wanted.contains(t))
            .collect();
        self.case_tags(actor, label, &add, &remove).await
    }

    /// Adds and removes tags (staff's own labels, internal).
    pub async fn case_tags(
        &self,
        actor: &Actor,
        label: &str,
        add: &[String],
        remove: &[String],
    ) -> Result<ChangeView, AppError> {
        let record = self.case_by_label(label).await?;
        self.permit_case(actor, Action::EditCase, &record, label)?;
        let add = add
            .iter()
            .map(|t| clean_tag(t))
            .collect::<Result<Vec<_>, _>>()?;
        let remove: Vec<String> = remove
            .iter()
            .map(|t| case::subject::single_line(t).to_lowercase())
            .collect();
        let entry = self
            .store
            .change_tags(
                record.id,
                &add,
                &remove,
                Some(actor.name.as_str()),
                self.now().timestamp_micros(),
            )
            .await?;
        self.change(
            record.id,
            &entry.into_iter().collect::<Vec<_>>(),
            Vec::new(),
        )
        .await
    }

    /// Adds a participant (an address the takeover guard trusts on this case) or removes one.
    pub async fn case_participant(
        &self,
        actor: &Actor,
        label: &str,
        address: &str,
        present: bool,
    ) -> Result<ChangeView, AppError> {
        let record = self.case_by_label(label).await?;
        self.permit_case(actor, Action::ManageParticipants, &record, label)?;
        let address: case::Address = address.trim().parse().map_err(|_| {
            AppError::invalid("address_invalid", json!({ "address": address.trim() }))
        })?;
        let entry = self
            .store
            .change_participant(
                record.id,
                address.as_str(),
                present,
                Some(actor.name.as_str()),
                self.now().timestamp_micros(),
            )
            .await?;
        self.change(
            record.id,
            &entry.into_iter().collect::<Vec<_>>(),
            Vec::new(),
        )
        .await
    }

    /// A timeline entry's message and raw bytes, if the actor may read the entry; an entry they
    /// may not read, or one without a message, is answered as no entry.
    async fn readable_message(
        &self,
        actor: &Actor,
        entry_id: i64,
    ) -> Result<(store::timeline::MessageRecord, Vec<u8>), AppError> {
        let entry = self
            .store
            .timeline_entry(entry_id)
            .await?
            .ok_or_else(|| AppError::entry_not_found(entry_id))?;
        let record = self.store.case_by_id(entry.case_id).await?;
        let visible = access::decide(actor.caller, Action::ViewCase, record.customer_org_id)
            == access::Verdict::Allow
            && access::may_view_entry(
                actor.viewer(),
                record.customer_org_id,
                EntryFacts {
                    visibility: entry.visibility,
                    org_id: entry.org_id,
                },
            );
        let (Some(message), true) = (entry.message, visible) else {
            return Err(AppError::entry_not_found(entry_id));
        };
        let raw = self
            .store
            .read_blob(store::blob::BlobKind::Raw, &message.raw_sha256)
            .await?;
        Ok((message, raw))
    }

    /// An attachment of a timeline entry, if the actor may read the entry: authorised through the
    /// entry that holds the file, never by the file's hash alone.
    pub async fn attachment(
        &self,
        actor: &Actor,
        entry_id: i64,
        index: usize,
    ) -> Result<AttachmentFile, AppError> {
        let (message, raw) = self.readable_message(actor, entry_id).await?;
        let attachment = message
            .attachments
            .get(index)
            .ok_or_else(|| AppError::entry_not_found(entry_id))?;
        let bytes = intake::inspect::attachment(&raw, &self.intake, &attachment.sha256)
            .ok_or_else(|| AppError::entry_not_found(entry_id))?;
        Ok(AttachmentFile {
            filename: attachment.filename.clone(),
            content_type: attachment.content_type.clone(),
            bytes,
        })
    }

    /// The HTML the sender of an entry's email wrote (unsanitized: the caller must sanitize it),
    /// if the actor may read the entry; `None` for a message without HTML.
    pub async fn entry_html(
        &self,
        actor: &Actor,
        entry_id: i64,
    ) -> Result<Option<String>, AppError> {
        let (_, raw) = self.readable_message(actor, entry_id).await?;
        Ok(mail::html_body(&raw))
    }

    /// Does one action to many cases; each case's result is reported, one refusal stops nothing.
    pub async fn bulk(
        &self,
        actor: &Actor,
        numbers: &[String],
        action: &BulkAction,
    ) -> Result<Vec<BulkResult>, AppError> {
        let mut results = Vec::with_capacity(numbers.len());
        for number in numbers {
            let outcome = match action {
                BulkAction::Assign(person) => self.case_assign(actor, number, person).await,
                BulkAction::Status(status) => self.case_status(actor, number, *status, None).await,
                BulkAction::Priority(priority) => {
                    self.case_edit(
                        actor,
                        number,
                        store::cases::CaseEdit {
                            priority: Some(*priority),
                            ..Default::default()
                        },
                    )
                    .await
                }
                BulkAction::Tag(tag) => {
                    self.case_tags(actor, number, std::slice::from_ref(tag), &[])
                        .await
                }
            };
            results.push(match outcome {
                Ok(change) => BulkResult {
                    case: number.clone(),
                    changed: change.changed,
                    error: None,
                    details: serde_json::Value::Null,
                },
                Err(error) if error.code.is_user_error() => BulkResult {
                    case: number.clone(),
                    changed: false,
                    error: Some(error.code.as_str().to_string()),
                    details: error.details.clone(),
                },
                Err(error) => return Err(error),
            });
        }
        Ok(results)
    }

    /// The user's saved queue views.
    pub async fn saved_views(&self, user_id: i64) -> Result<Vec<SavedView>, AppError> {
        Ok(self
            .store
            .saved_views(user_id)
            .await?
            .into_iter()
            .map(|(id, name, query)| SavedView { id, name, query })
            .collect())
    }

    /// Saves the queue's current query under a name (replacing one of the same name).
    pub async fn save_view(
        &self,
        user_id: i64,
        name: &str,
        query: &str,
    ) -> Result<SavedView, AppError> {
        let name = case::subject::single_line(name);
        if name.is_empty() || name.chars().count() > 80 {
            return Err(AppError::invalid("view_name_invalid", json!({})));
        }
        let query = query.trim_start_matches('?');
        if query.len() > 2000 {
            return Err(AppError::invalid("view_name_invalid", json!({})));
        }
        let id = self
            .store
            .save_view(user_id, &name, query, self.now().timestamp_micros())
            .await?;
        Ok(SavedView {
            id,
            name,
            query: query.to_string(),
        })
    }

    /// Deletes one of the user's views.
    pub async fn delete_view(&self, user_id: i64, id: i64) -> Result<(), AppError> {
        if self.store.delete_view(user_id, id).await? {
            Ok(())
        } else {
            Err(AppError::invalid("view_not_found", json!({ "id": id })))
        }
    }

    /// The live feed's position: the newest timeline entry.
    pub async fn feed_position(&self) -> Result<i64, AppError> {
        Ok(self.store.last_entry_id().await?)
    }

    /// Timeline entries after `after` that the actor may see: `(entry id, case number)`, and the
    /// position to continue from. At most [`FEED_BATCH`] entries are read at once: when the
    /// batch was full, more may follow from the position returned.
    pub async fn feed_after(
        &self,
        actor: &Actor,
        after: i64,
    ) -> Result<(Vec<(i64, String)>, i64), AppError> {
        let found = self.store.entries_after(after, FEED_BATCH).await?;
        let position = found.last().map_or(after, |entry| entry.entry_id);
        // Partners hear only of entries they may read: nothing internal, nothing of another
        // organization.
        let visible = found
            .into_iter()
            .filter(|entry| {
                access::may_view_entry(
                    actor.viewer(),
                    entry.case_customer,
                    EntryFacts {
                        visibility: entry.visibility,
                        org_id: entry.org_id,
                    },
                )
            })
            .map(|entry| (entry.entry_id, entry.case_number))
            .collect();
        Ok((visible, position))
    }
}
