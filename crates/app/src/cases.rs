//! Case commands: open, show, note, status, assign, edit, split, merge, entry visibility.
//!
//! Each command checks its input against the rules (`case`), writes through `store`, and returns
//! either the whole case ([`CaseView`]) or the change it made ([`ChangeView`]): the case's header
//! and the entries it added, so a script sees what happened without reading the timeline again.

use case::access::{self, EntryFacts, Viewer};
use case::merge::{self, MergeConcern, MergeSide};
use case::status::TransitionDetails;
use case::summary::Summary;
use case::{CaseNumber, EntryKind, Priority, Status, Visibility};
use serde_json::json;
use store::cases::{CaseRecord, NewCase, TokenChoice};

use crate::views::{self, CaseSummaryView, CaseView, ChangeView, TimelineEntryView};
use case::access::Action;

use crate::actor::Actor;
use crate::{App, AppError};

/// Limits on what people type, with sane defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputLimits {
    /// Longest title, in characters: it goes into every subject line, where a mail line holds 998 bytes.
    pub title_chars: usize,
    /// Largest note or summary, in bytes.
    pub text_bytes: usize,
}

impl Default for InputLimits {
    fn default() -> Self {
        InputLimits {
            title_chars: 200,
            text_bytes: 1024 * 1024,
        }
    }
}

/// Text read from a file for a note or a summary: a byte-order mark is dropped, anything but UTF-8
/// is refused (so a GBK file is not mistaken for an empty one).
pub fn text_from_file(path: &std::path::Path, bytes: Vec<u8>) -> Result<String, AppError> {
    let text = String::from_utf8(bytes).map_err(|_| AppError::not_utf8(path))?;
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    })
}

impl App {
    pub(crate) async fn case_by_label(&self, label: &str) -> Result<CaseRecord, AppError> {
        self.store
            .find_case(label)
            .await?
            .ok_or_else(|| AppError::case_not_found(label))
    }

    /// A token from Casebook's own sequence, with the configured prefix.
    fn new_token(&self) -> TokenChoice {
        TokenChoice::New {
            prefix: self.intake.codec.token_prefix().to_string(),
            start: self.intake.token_start,
        }
    }

    fn check_title(&self, title: &str) -> Result<String, AppError> {
        let title = case::subject::single_line(title);
        if title.is_empty() {
            return Err(AppError::invalid("title_empty", json!({})));
        }
        let length = title.chars().count();
        if length > self.limits.title_chars {
            return Err(AppError::invalid(
                "too_long",
                json!({ "field": "title", "length": length, "limit": self.limits.title_chars }),
            ));
        }
        Ok(title)
    }

    /// A short one-line field (product, version): made one line, and no longer than a title.
    fn check_short(&self, field: &str, value: Option<String>) -> Result<Option<String>, AppError> {
        let Some(value) = value else {
            return Ok(None);
        };
        let value = case::subject::single_line(&value);
        let length = value.chars().count();
        if length > self.limits.title_chars {
            return Err(AppError::invalid(
                "too_long",
                json!({ "field": field, "length": length, "limit": self.limits.title_chars }),
            ));
        }
        Ok(Some(value))
    }

    pub(crate) fn check_text(&self, field: &str, text: &str) -> Result<(), AppError> {
        if text.len() > self.limits.text_bytes {
            return Err(AppError::invalid(
                "too_large",
                json!({ "field": field, "length": text.len(), "limit": self.limits.text_bytes, "setting": "CASEBOOK_MAX_TEXT_BYTES" }),
            ));
        }
        Ok(())
    }

    /// A contact and who they are to the access policy (`None`: a person who may see nothing).
    async fn viewer_of(
        &self,
        person: &str,
    ) -> Result<(store::orgs::ContactRecord, Option<Viewer>), AppError> {
        let contact = self
            .store
            .find_contact(person)
            .await?
            .ok_or_else(|| AppError::contact_not_found(person))?;
        let org = match &contact.org {
            Some(name) => self.store.find_org(name).await?,
            None => None,
        };
        let viewer = Viewer::for_person(
            contact.role,
            org.as_ref().is_some_and(|org| org.is_staff),
            org.as_ref().map(|org| org.id),
        );
        Ok((contact, viewer))
    }

    /// The actor a contact would be if they signed in (for `case show --as`).
    pub async fn actor_for_contact(&self, person: &str) -> Result<Actor, AppError> {
        let (contact, viewer) = self.viewer_of(person).await?;
        let Some(viewer) = viewer else {
            // Someone the policy lets see nothing: a partner of no organization.
            return Ok(Actor {
                name: contact.display_name,
                person_id: Some(contact.id),
                caller: access::Caller {
                    role: case::party::Role::PartnerContact,
                    viewer: Viewer::Partner { org_id: -1 },
                },
            });
        };
        Ok(Actor {
            name: contact.display_name,
            person_id: Some(contact.id),
            caller: access::Caller {
                role: contact.role.unwrap_or(case::party::Role::PartnerContact),
                viewer,
            },
        })
    }

    /// One case with its timeline, as the actor may see it: a partner's contact sees only their
    /// organization's cases, and on them only public entries that came from their organization.
    /// Another organization's case is answered as no case at all, so that numbers cannot be probed.
    pub async fn case_show(&self, actor: &Actor, label: &str) -> Result<CaseView, AppError> {
        let record = self.case_by_label(label).await?;
        self.permit_case(actor, Action::ViewCase, &record, label)?;
        self.case_view_for(actor, &record).await
    }

    /// The view of a case the actor may open: the entries they may read, no other case's labels
    /// for a partner.
    pub(crate) async fn case_view_for(
        &self,
        actor: &Actor,
        record: &CaseRecord,
    ) -> Result<CaseView, AppError> {
        let viewer = actor.viewer();
        let timeline: Vec<_> = self
            .store
            .timeline(record.id)
            .await?
            .into_iter()
            .filter(|entry| {
                access::may_view_entry(
                    viewer,
                    record.customer_org_id,
                    EntryFacts {
                        visibility: entry.visibility,
                        org_id: entry.org_id,
                    },
                )
            })
            .collect();
        let mut view = CaseView::build(record, &timeline);
        view.sla = self.case_sla(actor, record, &timeline).await?;
        if viewer != Viewer::Staff {
            // Labels from other systems and merged cases may name other customers' cases.
            view.aliases.clear();
            view.merged_into = None;
            view.split_from = None;
        }
        Ok(view)
    }

    /// One case as a person would see it if they signed in.
    pub async fn case_show_as(&self, label: &str, person: &str) -> Result<CaseView, AppError> {
        let actor = self.actor_for_contact(person).await?;
        self.case_show(&actor, label).await
    }

    /// The change a command made: the case's header and the entries with these ids (on any case).
    pub(crate) async fn change(
        &self,
        case_id: i64,
        entry_ids: &[i64],
        warnings: Vec<serde_json::Value>,
    ) -> Result<ChangeView, AppError> {
        let record = self.store.case_by_id(case_id).await?;
        let mut entries = Vec::new();
        for id in entry_ids {
            if let Some(entry) = self.store.timeline_entry(*id).await? {
                entries.push(TimelineEntryView::build(&entry));
            }
        }
        Ok(ChangeView {
            case: CaseSummaryView::from_record(&record),
            changed: !entry_ids.is_empty(),
            entries,
            warnings,
            outbox: None,
        })
    }

    /// Opens a case by hand, for a customer organization that exists (or, with `new_org`, is added).
    pub async fn case_new(
        &self,
        actor: &Actor,
        new: views::NewCaseInput,
    ) -> Result<CaseView, AppError> {
        self.permit(actor, Action::CreateCase)?;
        let title = self.check_title(&new.title)?;
        let customer = new.customer.trim();
        if customer.is_empty() {
            return Err(AppError::invalid("customer_empty", json!({})));
        }
        let stage = match new.stage {
            Some(stage) if stage.trim().is_empty() => {
                return Err(AppError::invalid("stage_empty", json!({})))
            }
            Some(stage) => case::subject::single_line(&stage),
            None => self.intake.default_stage.clone(),
        };
        let org = match self.store.find_org(customer).await? {
            // A partner opens cases for their own organization only.
            Some(org)
                if actor.viewer() != Viewer::Staff
                    && actor.viewer() != (Viewer::Partner { org_id: org.id }) =>
            {
                return Err(AppError::forbidden(Action::CreateCase))
            }
            None if actor.viewer() != Viewer::Staff => {
                return Err(AppError::forbidden(Action::CreateCase))
            }
            Some(org) => org,
            None if new.new_org => {
                self.store
                    .add_org(customer, &[], false, self.now().timestamp_micros())
                    .await?
            }
            None => {
                return Err(AppError::invalid(
                    "unknown_customer",
                    json!({ "customer": customer }),
                ))
            }
        };
        let new_case = NewCase {
            number: None,
            token: self.new_token(),
            title,
            priority: new.priority.unwrap_or(Priority::P3),
            customer_org_id: Some(org.id),
            customer: org.name,
            stage,
            product: self.check_short("product", new.product)?,
            version: self.check_short("version", new.version)?,
            split_from: None,
        };
        let mut rng = self.rng();
        let mut make_number = |seq: u64| CaseNumber::generate(seq, &mut rng);
        let record = self
            .store
            .create_case(
                new_case,
                &mut make_number,
                Some(actor.name.as_str()),
                self.now().timestamp_micros(),
            )
            .await?;
        self.case_show(actor, &record.number.to_string()).await
    }

    /// Adds an internal note.
    pub async fn case_note(
        &self,
        actor: &Actor,
        label: &str,
        text: &str,
    ) -> Result<ChangeView, AppError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text).trim();
        if text.is_empty() {
            return Err(AppError::invalid("note_empty", json!({})));
        }
        self.check_text("note", text)?;
        let record = self.case_by_label(label).await?;
        self.permit_case(actor, Action::WriteNote, &record, label)?;
        let entry = self
            .store
            .add_note(
                record.id,
                text,
                Some(actor.name.as_str()),
                self.now().timestamp_micros(),
            )
            .await?;
        self.change(record.id, &[entry], Vec::new()).await
    }

    /// Changes a case's status; archiving needs a written summary, resolving a root cause and a resolution.
    pub async fn case_status(
        &self,
        actor: &Actor,
        label: &str,
        to: Status,
        summary_text: Option<&str>,
    ) -> Result<ChangeView, AppError> {
        let record = self.case_by_label(label).await?;
        self.permit_case(actor, Action::ChangeStatus, &record, label)?;
        let summary = match summary_text {
            Some(text) => {
                self.check_text("summary", text)?;
                Some(Summary::read(text).map_err(|error| match error {
                    case::summary::SummaryError::Repeated(section) => AppError::invalid(
                        "summary_repeated",
                        json!({ "section": section.heading() }),
                    ),
                })?)
            }
            None => None,
        };
        let details = TransitionDetails {
            summary: summary.clone(),
        };
        record
            .status
            .transition(to, &details)
            .map_err(|error| AppError::transition(&record.number, error))?;
        let entry = self
            .store
            .set_status(
                record.id,
                record.status,
                to,
                summary,
                Some(actor.name.as_str()),
                self.now().timestamp_micros(),
            )
            .await?;
        self.change(record.id, &[entry], Vec::new()).await
    }

    /// Makes a staff member the case's owner.
    pub async fn case_assign(
        &self,
        actor: &Actor,
        label: &str,
        person: &str,
    ) -> Result<ChangeView, AppError> {
        let record = self.case_by_label(label).await?;
        self.permit_case(actor, Action::Assign, &record, label)?;
        let (contact, viewer) = self.viewer_of(person).await?;
        if viewer != Some(Viewer::Staff) {
            return Err(AppError::invalid(
                "not_staff",
                json!({ "contact": contact.display_name }),
            ));
        }
        let entry = self
            .store
            .assign_case(
                record.id,
                Some(contact.id),
                Some(actor.name.as_str()),
                self.now().timestamp_micros(),
            )
            .await?;
        if let Some(entry) = entry {
            // The notice is a courtesy: a failure to queue it does not undo the assignment.
            if let Err(error) = self
                .notify_assignment(&record, contact.id, actor, entry)
                .await
            {
                tracing::warn!(%error, case = %record.number, "the assignment notice was not queued");
            }
            self.wake_background();
        }
        self.change(
            record.id,
            &entry.into_iter().collect::<Vec<_>>(),
            Vec::new(),
        )
        .await
    }

    /// Changes a case's title, priority, stage, product, version, problem definition or scope.
    pub async fn case_edit(
        &self,
        actor: &Actor,
        label: &str,
        edit: store::cases::CaseEdit,
    ) -> Result<ChangeView, AppError> {
        if edit == store::cases::CaseEdit::default() {
            return Err(AppError::invalid("edit_nothing_given", json!({})));
        }
        let record = self.case_by_label(label).await?;
        self.permit_case(actor, Action::EditCase, &record, label)?;
        let title = edit
            .title
            .as_deref()
            .map(|t| self.check_title(t))
            .transpose()?;
        if edit.stage.as_deref().is_some_and(|s| s.trim().is_empty()) {
            return Err(AppError::invalid("stage_empty", json!({})));
        }
        for (field, value) in [
            ("problem_definition", &edit.problem_definition),
            ("scope", &edit.scope),
        ] {
            if let Some(value) = value {
                self.check_text(field, value)?;
            }
        }
        let edit = store::cases::CaseEdit {
            title,
            stage: edit.stage.map(|stage| case::subject::single_line(&stage)),
            product: self.check_short("product", edit.product)?,
            version: self.check_short("version", edit.version)?,
            ..edit
        };
        let entries = self
            .store
            .edit_case(
                record.id,
                &edit,
                Some(actor.name.as_str()),
                self.now().timestamp_micros(),
            )
            .await?;
        self.change(record.id, &entries, Vec::new()).await
    }

    /// Splits a second problem off a case into a new, linked case; the named messages (each once)
    /// move to it. Without messages it needs `empty`.
    pub async fn case_split(
        &self,
        actor: &Actor,
        label: &str,
        title: &str,
        message_ids: &[String],
        empty: bool,
    ) -> Result<ChangeView, AppError> {
        let record = self.case_by_label(label).await?;
        self.permit_case(actor, Action::MergeOrSplit, &record, label)?;
        let title = self.check_title(title)?;
        if message_ids.is_empty() && !empty {
            return Err(AppError::invalid(
                "split_needs_messages",
                json!({ "case": record.number.to_string() }),
            ));
        }
        let timeline = self.store.timeline(record.id).await?;
        let mut rows = Vec::new();
        for wanted in message_ids {
            let wanted_id = wanted.trim().trim_start_matches('<').trim_end_matches('>');
            let row = timeline
                .iter()
                .filter_map(|entry| entry.message.as_ref())
                .find(|message| {
                    message.message_id.as_deref() == Some(wanted_id)
                        || message.row_id.to_string() == wanted_id
                })
                .ok_or_else(|| {
                    AppError::invalid(
                        "split_message_not_found",
                        json!({ "case": record.number.to_string(), "message": wanted }),
                    )
                })?;
            if !rows.contains(&row.row_id) {
                rows.push(row.row_id);
            }
        }
        let new_case = NewCase {
            number: None,
            token: self.new_token(),
            title,
            priority: record.priority,
            customer_org_id: record.customer_org_id,
            customer: record.customer.clone(),
            stage: self.intake.default_stage.clone(),
            product: record.product.clone(),
            version: record.version.clone(),
            split_from: Some(record.id),
        };
        let mut rng = self.rng();
        let mut make_number = |seq: u64| CaseNumber::generate(seq, &mut rng);
        let split = self
            .store
            .split_case(
                record.id,
                new_case,
                &mut make_number,
                &rows,
                Some(actor.name.as_str()),
                self.now().timestamp_micros(),
            )
            .await?;
        self.change(
            split.case.id,
            &[split.new_entry, split.source_entry],
            Vec::new(),
        )
        .await
    }

    /// Merges a duplicate case into another; the duplicate's number keeps finding the survivor.
    /// Different customers, or a closed case to keep, need `force`.
    pub async fn case_merge(
        &self,
        actor: &Actor,
        keep: &str,
        gone: &str,
        force: bool,
    ) -> Result<ChangeView, AppError> {
        let keep_record = self.case_by_label(keep).await?;
        let gone_record = self.case_by_label(gone).await?;
        self.permit_case(actor, Action::MergeOrSplit, &keep_record, keep)?;
        self.permit_case(actor, Action::MergeOrSplit, &gone_record, gone)?;
        if keep_record.id == gone_record.id {
            return Err(AppError::invalid(
                "same_case",
                json!({ "keep": keep, "gone": gone }),
            ));
        }
        let concerns = merge::concerns(side(&keep_record), side(&gone_record));
        if !concerns.is_empty() && !force {
            return Err(AppError::merge_needs_confirmation(
                &keep_record,
                &gone_record,
                &concerns,
            ));
        }
        let merged = self
            .store
            .merge_cases(
                keep_record.id,
                gone_record.id,
                Some(actor.name.as_str()),
                self.now().timestamp_micros(),
            )
            .await?;
        let warnings = if concerns.contains(&MergeConcern::OtherCustomer) {
            vec![json!({
                "code": "other_customer_internal",
                "customer": gone_record.customer,
                "count": merged.made_internal,
            })]
        } else {
            Vec::new()
        };
        self.change(
            keep_record.id,
            &[merged.kept_entry, merged.gone_entry],
            warnings,
        )
        .await
    }

    /// Makes a timeline entry public (the customer's contacts may read it) or internal; recorded as an event.
    pub async fn case_entry_visibility(
        &self,
        actor: &Actor,
        entry_id: i64,
        to: Visibility,
    ) -> Result<ChangeView, AppError> {
        let entry = self
            .store
            .timeline_entry(entry_id)
            .await?
            .ok_or_else(|| AppError::entry_not_found(entry_id))?;
        let record = self.store.case_by_id(entry.case_id).await?;
        match access::decide(
            actor.caller,
            Action::ChangeVisibility,
            record.customer_org_id,
        ) {
            access::Verdict::Allow => {}
            access::Verdict::Forbidden => {
                return Err(AppError::forbidden(Action::ChangeVisibility))
            }
            access::Verdict::Hidden => return Err(AppError::entry_not_found(entry_id)),
        }
        // SLA entries are the staff's own bookkeeping: they never reach the partner.
        if to == Visibility::Public
            && matches!(entry.kind, EntryKind::SlaWarning | EntryKind::SlaBreach)
        {
            return Err(AppError::invalid(
                "entry_stays_internal",
                json!({ "id": entry_id, "kind": entry.kind.as_str() }),
            ));
        }
        let changed = self
            .store
            .set_entry_visibility(
                entry_id,
                to,
                Some(actor.name.as_str()),
                self.now().timestamp_micros(),
            )
            .await
            .map_err(|error| match error {
                store::Error::NotFound { .. } => AppError::entry_not_found(entry_id),
                other => other.into(),
            })?;
        let mut view = self
            .change(
                changed.case_id,
                &changed.event_entry.into_iter().collect::<Vec<_>>(),
                Vec::new(),
            )
            .await?;
        if let Some(entry) = self.store.timeline_entry(entry_id).await? {
            view.entries.insert(0, TimelineEntryView::build(&entry));
        }
        Ok(view)
    }
}

fn side(record: &CaseRecord) -> MergeSide<'_> {
    MergeSide {
        customer_org: record.customer_org_id,
        customer: &record.customer,
        status: record.status,
    }
}
