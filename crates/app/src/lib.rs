//! Casebook's use cases: every command a user can give, for every interface.
//!
//! [`App`] holds the store, the intake configuration, the clock and the
//! randomness. Each command applies the domain rule (`case`), writes through
//! `store` or `intake`, and returns a view ([`views`]) that the CLI prints
//! and, later, the web renders. Errors carry a stable [`error::ErrorCode`]
//! and become sentences in the caller's language through [`i18n`].
//!
//! The CLI and the web call `app`, never `store`.

pub mod clock;
pub mod error;
pub mod i18n;
mod import;
pub mod views;

use std::sync::Mutex;

use case::status::TransitionDetails;
use case::summary::Summary;
use case::{CaseNumber, Priority, Role, Status};
use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::SeedableRng;
use store::cases::{NewCase, TokenChoice};
use store::Store;

pub use clock::{Clock, SystemClock};
pub use error::{AppError, ErrorCode};
pub use i18n::Lang;
pub use import::{ImportProgress, ImportSummary};
pub use intake::inspect::Inspection;
pub use intake::resolve::Decision as QuarantineDecision;
pub use intake::{IntakeConfig, Outcome};
pub use mail::Mailbox;
pub use store::backup::Manifest as BackupManifest;
pub use store::cases::CaseEdit;
pub use store::check::{CheckOptions, CheckReport};
pub use store::stats::Stats;
pub use store::StoreConfig;

/// The application: everything a command needs.
pub struct App {
    store: Store,
    intake: IntakeConfig,
    clock: Box<dyn Clock>,
    rng: Mutex<StdRng>,
    /// The zone times are shown in (default Asia/Shanghai).
    pub view_zone: chrono_tz::Tz,
}

/// How the ingest path reads the messages of one file, without a store and without storing anything.
pub fn mail_parse(
    intake: &IntakeConfig,
    path: &std::path::Path,
) -> Result<Vec<intake::inspect::Inspection>, AppError> {
    let arrivals = intake::files::read_arrivals(path)?;
    Ok(arrivals
        .iter()
        .map(|arrival| intake::inspect::inspect(arrival, intake))
        .collect())
}

/// Who is acting, for the timeline.
pub const CLI_ACTOR: &str = "cli";

impl App {
    /// Opens the store and builds the application.
    pub async fn open(
        store_config: &StoreConfig,
        intake: IntakeConfig,
        clock: Box<dyn Clock>,
        view_zone: chrono_tz::Tz,
    ) -> Result<App, AppError> {
        let store = Store::open(store_config).await?;
        Ok(App {
            store,
            intake,
            clock,
            rng: Mutex::new(StdRng::from_os_rng()),
            view_zone,
        })
    }

    /// The intake configuration.
    pub fn intake(&self) -> &IntakeConfig {
        &self.intake
    }

    /// Closes the store.
    pub async fn close(&self) {
        self.store.close().await;
    }

    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    fn rng(&self) -> StdRng {
        // A child generator per command: the mutex is never held across an await.
        let mut parent = self
            .rng
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        StdRng::from_rng(&mut *parent)
    }

    async fn case_by_label(&self, label: &str) -> Result<store::cases::CaseRecord, AppError> {
        self.store
            .find_case(label)
            .await?
            .ok_or_else(|| AppError::case_not_found(label))
    }

    /// Adds an organization (or adds domains to it).
    pub async fn org_add(
        &self,
        name: &str,
        domains: &[String],
        is_staff: bool,
    ) -> Result<views::OrgView, AppError> {
        let domains = domains
            .iter()
            .map(|domain| {
                case::party::normalise_domain(domain)
                    .map_err(|error| AppError::invalid(error.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if name.trim().is_empty() {
            return Err(AppError::invalid("an organization needs a name"));
        }
        Ok(self
            .store
            .add_org(name, &domains, is_staff, self.now().timestamp_micros())
            .await?
            .into())
    }

    /// Every organization.
    pub async fn org_list(&self) -> Result<Vec<views::OrgView>, AppError> {
        Ok(self
            .store
            .list_orgs()
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Adds a contact, or updates the person with this address.
    pub async fn contact_add(
        &self,
        address: &str,
        name: Option<&str>,
        org: Option<&str>,
        role: Option<Role>,
    ) -> Result<views::ContactView, AppError> {
        let address: case::Address = address
            .parse()
            .map_err(|error: case::party::BadAddress| AppError::invalid(error.to_string()))?;
        let org_id = match org {
            Some(name) => Some(
                self.store
                    .find_org(name)
                    .await?
                    .ok_or_else(|| AppError::org_not_found(name))?
                    .id,
            ),
            None => None,
        };
        let record = self
            .store
            .add_contact(
                address.as_str(),
                name,
                org_id,
                role,
                self.now().timestamp_micros(),
            )
            .await?;
        Ok(record.into())
    }

    /// Every contact.
    pub async fn contact_list(&self) -> Result<Vec<views::ContactView>, AppError> {
        Ok(self
            .store
            .list_contacts()
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Merges two records of one person; `gone` is folded into `keep`.
    pub async fn contact_merge(
        &self,
        keep: &str,
        gone: &str,
    ) -> Result<views::ContactView, AppError> {
        let keep = self
            .store
            .find_contact(keep)
            .await?
            .ok_or_else(|| AppError::contact_not_found(keep))?;
        let gone = self
            .store
            .find_contact(gone)
            .await?
            .ok_or_else(|| AppError::contact_not_found(gone))?;
        Ok(self.store.merge_contacts(keep.id, gone.id).await?.into())
    }

    /// Cases, most recently changed first.
    pub async fn case_list(
        &self,
        limit: Option<u64>,
    ) -> Result<Vec<views::CaseSummaryView>, AppError> {
        Ok(self
            .store
            .list_cases(limit)
            .await?
            .iter()
            .map(views::CaseSummaryView::from_record)
            .collect())
    }

    /// One case with its timeline.
    pub async fn case_show(&self, label: &str) -> Result<views::CaseView, AppError> {
        let record = self.case_by_label(label).await?;
        let timeline = self.store.timeline(record.id).await?;
        Ok(views::CaseView::build(&record, &timeline))
    }

    /// Opens a case by hand.
    pub async fn case_new(&self, new: views::NewCaseInput) -> Result<views::CaseView, AppError> {
        let title = case::subject::single_line(&new.title);
        if title.is_empty() {
            return Err(AppError::invalid("a case needs a title; give --title"));
        }
        let org = self.store.find_org(&new.customer).await?;
        let new_case = NewCase {
            number: None,
            token: TokenChoice::New {
                prefix: self.intake.codec.token_prefix().to_string(),
                start: self.intake.token_start,
            },
            title,
            priority: new.priority.unwrap_or(Priority::P3),
            customer_org_id: org.as_ref().map(|org| org.id),
            customer: org.map_or(new.customer.trim().to_string(), |org| org.name),
            stage: new
                .stage
                .unwrap_or_else(|| self.intake.default_stage.clone()),
            product: new.product,
            version: new.version,
            split_from: None,
        };
        let mut rng = self.rng();
        let mut make_number = |seq: u64| CaseNumber::generate(seq, &mut rng);
        let record = self
            .store
            .create_case(
                new_case,
                &mut make_number,
                Some(CLI_ACTOR),
                self.now().timestamp_micros(),
            )
            .await?;
        self.case_show(&record.number.to_string()).await
    }

    /// Adds an internal note.
    pub async fn case_note(&self, label: &str, text: &str) -> Result<(), AppError> {
        if text.trim().is_empty() {
            return Err(AppError::invalid("the note is empty"));
        }
        let record = self.case_by_label(label).await?;
        self.store
            .add_note(
                record.id,
                text.trim(),
                Some(CLI_ACTOR),
                self.now().timestamp_micros(),
            )
            .await?;
        Ok(())
    }

    /// Changes a case's status; archiving and resolving need a written summary.
    pub async fn case_status(
        &self,
        label: &str,
        to: Status,
        summary_text: Option<&str>,
    ) -> Result<views::CaseView, AppError> {
        let record = self.case_by_label(label).await?;
        let summary = summary_text.map(Summary::parse);
        let details = TransitionDetails {
            summary: summary.clone(),
        };
        record
            .status
            .transition(to, &details)
            .map_err(|error| AppError::transition(&record.number, error))?;
        let data = serde_json::json!({ "from": record.status.as_str(), "to": to.as_str(), "summary": summary });
        self.store
            .set_status(
                record.id,
                record.status,
                to,
                data,
                Some(CLI_ACTOR),
                self.now().timestamp_micros(),
            )
            .await?;
        self.case_show(&record.number.to_string()).await
    }

    /// Makes a staff member the case's owner.
    pub async fn case_assign(
        &self,
        label: &str,
        person: &str,
    ) -> Result<views::CaseView, AppError> {
        let record = self.case_by_label(label).await?;
        let contact = self
            .store
            .find_contact(person)
            .await?
            .ok_or_else(|| AppError::contact_not_found(person))?;
        let staff_org = match &contact.org {
            Some(org) => self
                .store
                .find_org(org)
                .await?
                .is_some_and(|org| org.is_staff),
            None => false,
        };
        if !(staff_org || contact.role.is_some_and(Role::is_staff)) {
            return Err(AppError::invalid(format!(
                "{} is not staff, so cannot own a case; link them to the staff organization or give them a role \
                 (casebook contact add ADDRESS --role engineer)",
                contact.display_name
            )));
        }
        self.store
            .assign_case(
                record.id,
                Some(contact.id),
                Some(CLI_ACTOR),
                self.now().timestamp_micros(),
            )
            .await?;
        self.case_show(&record.number.to_string()).await
    }

    /// Changes a case's title, priority, stage, product, version, problem definition or scope.
    pub async fn case_edit(
        &self,
        label: &str,
        edit: store::cases::CaseEdit,
    ) -> Result<views::CaseView, AppError> {
        let record = self.case_by_label(label).await?;
        let edit = store::cases::CaseEdit {
            title: edit.title.map(|t| case::subject::single_line(&t)),
            ..edit
        };
        if edit.title.as_deref() == Some("")
            || edit.stage.as_deref().is_some_and(|s| s.trim().is_empty())
        {
            return Err(AppError::invalid("a title or a stage cannot be empty"));
        }
        self.store
            .edit_case(
                record.id,
                &edit,
                Some(CLI_ACTOR),
                self.now().timestamp_micros(),
            )
            .await?;
        self.case_show(&record.number.to_string()).await
    }

    /// Splits a second problem off a case into a new, linked case; the named messages move to it.
    pub async fn case_split(
        &self,
        label: &str,
        title: &str,
        message_ids: &[String],
    ) -> Result<views::CaseView, AppError> {
        let record = self.case_by_label(label).await?;
        let title = case::subject::single_line(title);
        if title.is_empty() {
            return Err(AppError::invalid(
                "the new case needs a title; give --title",
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
                    AppError::invalid(format!("case {} has no message '{wanted}'", record.number))
                })?;
            rows.push(row.row_id);
        }
        let new_case = NewCase {
            number: None,
            token: TokenChoice::New {
                prefix: self.intake.codec.token_prefix().to_string(),
                start: self.intake.token_start,
            },
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
        let created = self
            .store
            .split_case(
                record.id,
                new_case,
                &mut make_number,
                &rows,
                Some(CLI_ACTOR),
                self.now().timestamp_micros(),
            )
            .await?;
        self.case_show(&created.number.to_string()).await
    }

    /// Merges a duplicate case into another; the duplicate's number keeps finding the survivor.
    pub async fn case_merge(&self, keep: &str, gone: &str) -> Result<views::CaseView, AppError> {
        let keep_record = self.case_by_label(keep).await?;
        let gone_record = self.case_by_label(gone).await?;
        if keep_record.id == gone_record.id {
            return Err(AppError::invalid(format!(
                "{keep} and {gone} are the same case"
            )));
        }
        self.store
            .merge_cases(
                keep_record.id,
                gone_record.id,
                Some(CLI_ACTOR),
                self.now().timestamp_micros(),
            )
            .await?;
        self.case_show(&keep_record.number.to_string()).await
    }

    /// Open quarantine entries (all with `include_resolved`).
    pub async fn quarantine_list(
        &self,
        include_resolved: bool,
    ) -> Result<Vec<views::QuarantineView>, AppError> {
        Ok(self
            .store
            .list_quarantine(include_resolved)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// One quarantine entry with its raw message.
    pub async fn quarantine_show(
        &self,
        id: i64,
    ) -> Result<(views::QuarantineView, Vec<u8>), AppError> {
        let entry = self
            .store
            .quarantine_entry(id)
            .await?
            .ok_or_else(|| AppError::quarantine_not_found(id))?;
        let raw = self
            .store
            .read_blob(store::blob::BlobKind::Raw, &entry.raw_sha256)
            .await?;
        Ok((entry.into(), raw))
    }

    /// Attaches a quarantined message to a case, or releases it to be threaded as ingest would.
    pub async fn quarantine_decide(
        &self,
        id: i64,
        decision: QuarantineDecision,
    ) -> Result<intake::Outcome, AppError> {
        let mut rng = self.rng();
        if self.store.quarantine_entry(id).await?.is_none() {
            return Err(AppError::quarantine_not_found(id));
        }
        intake::resolve::decide(
            &self.store,
            &self.intake,
            id,
            decision,
            Some(CLI_ACTOR),
            self.now(),
            &mut rng,
        )
        .await
        .map_err(AppError::from)
    }

    /// Where every stored message went (for scoring threading).
    pub async fn placements(&self) -> Result<Vec<store::timeline::Placement>, AppError> {
        Ok(self.store.placements().await?)
    }

    /// Checks the raw store against the database, orphan blobs and counts.
    pub async fn check(
        &self,
        options: store::check::CheckOptions,
    ) -> Result<store::check::CheckReport, AppError> {
        Ok(self.store.check(options).await?)
    }

    /// Writes a consistent backup of the database and the files into a new folder.
    pub async fn backup(
        &self,
        dest: &std::path::Path,
    ) -> Result<store::backup::Manifest, AppError> {
        Ok(self.store.backup(dest).await?)
    }

    /// Restores a backup into this (empty) store.
    pub async fn restore(
        &self,
        src: &std::path::Path,
    ) -> Result<store::backup::Manifest, AppError> {
        Ok(self.store.restore(src).await?)
    }

    /// Store counts.
    pub async fn stats(&self) -> Result<store::stats::Stats, AppError> {
        Ok(self.store.stats().await?)
    }
}
