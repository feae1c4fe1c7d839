//! Casebook's use cases: every command a user can give, for every interface.
//!
//! [`App`] holds the store, the intake configuration, the clock and the
//! randomness. Each command applies the domain rule (`case`), writes through
//! `store` or `intake`, and returns a view ([`views`]) that the CLI prints
//! and, later, the web renders. Errors carry a stable [`error::ErrorCode`]
//! and become sentences in the caller's language through [`i18n`]. Who is signed in, and how
//! (passwords, sessions, API tokens), is [`auth`]'s.
//!
//! The CLI and the web call `app`, never `store`.

pub mod accounts;
mod actor;
pub mod auth;
pub mod background;
mod cases;
pub mod clock;
pub mod compose;
pub mod demo;
pub mod error;
pub mod i18n;
mod import;
pub mod live;
pub mod mailroom;
mod parties;
mod quarantine;
pub mod sla;
pub mod views;
pub mod workspace;

use std::sync::Mutex;

use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::SeedableRng;
use store::Store;

pub use actor::Actor;
pub use auth::AuthSettings;
pub use case::access::{Action, Caller, Viewer};
pub use case::merge::MergeConcern;
pub use cases::{text_from_file, InputLimits};
pub use clock::{Clock, ManualClock, SystemClock};
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
pub use store::outbox::OutboxState;
pub use store::queue::QueueSort;
pub use store::stats::Stats;
pub use store::timeline::AttachmentRecord;
pub use store::{OpenMode, StoreConfig};

/// The application: everything a command needs.
pub struct App {
    store: Store,
    intake: IntakeConfig,
    clock: Box<dyn Clock>,
    rng: Mutex<StdRng>,
    limits: InputLimits,
    /// The zone times are shown in (default Asia/Shanghai).
    pub view_zone: chrono_tz::Tz,
    auth: auth::AuthState,
    sla_settings: sla::SlaSettings,
    mail_settings: mailroom::MailSettings,
    sender_auth: mailroom::auth::SenderAuthSettings,
    authenticator: Option<mailroom::auth::Authenticator>,
    /// The active SLA policy as last read: (version, calendar mark) and the checked policy.
    sla_cache: Mutex<Option<sla::PolicyCacheEntry>>,
    /// Wakes this process's background loop early when it has queued work (mail to send, an
    /// arrival to follow up); the work itself is in the database, so other instances find it
    /// on their own round.
    wake: tokio::sync::Notify,
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

/// The raw bytes of each message of one file, in the order [`mail_parse`] shows them.
pub fn mail_parse_raw(path: &std::path::Path) -> Result<Vec<Vec<u8>>, AppError> {
    Ok(intake::files::read_arrivals(path)?
        .into_iter()
        .map(|arrival| arrival.bytes)
        .collect())
}

/// Who is acting, for the timeline.
pub const CLI_ACTOR: &str = "cli";

impl App {
    /// Opens the store (creating it only when `mode` allows) and builds the application.
    pub async fn open(
        store_config: &StoreConfig,
        mode: OpenMode,
        intake: IntakeConfig,
        clock: Box<dyn Clock>,
        view_zone: chrono_tz::Tz,
    ) -> Result<App, AppError> {
        let store = Store::open_with(store_config, mode).await?;
        Ok(App {
            store,
            intake,
            clock,
            rng: Mutex::new(StdRng::from_os_rng()),
            limits: InputLimits::default(),
            view_zone,
            auth: auth::AuthState::default(),
            sla_settings: sla::SlaSettings::default(),
            mail_settings: mailroom::MailSettings::default(),
            sender_auth: mailroom::auth::SenderAuthSettings::default(),
            authenticator: None,
            sla_cache: Mutex::new(None),
            wake: tokio::sync::Notify::new(),
        })
    }

    /// The same application with these SLA settings (links, the webhook secret, mail language).
    pub fn with_sla(self, sla_settings: sla::SlaSettings) -> App {
        App {
            sla_settings,
            ..self
        }
    }

    /// The same application with these mail settings (the SMTP server, the Message-ID domain,
    /// limits on automatic mail).
    pub fn with_mail(self, mail_settings: mailroom::MailSettings) -> App {
        App {
            mail_settings,
            ..self
        }
    }

    /// The same application checking senders of live mail (SPF, DKIM, DMARC) this way.
    pub fn with_sender_auth(self, sender_auth: mailroom::auth::SenderAuthSettings) -> App {
        let authenticator = if sender_auth.enabled {
            mailroom::auth::Authenticator::new(&sender_auth)
        } else {
            None
        };
        App {
            sender_auth,
            authenticator,
            ..self
        }
    }

    /// The mail settings.
    pub fn mail_settings(&self) -> &mailroom::MailSettings {
        &self.mail_settings
    }

    /// The same application with other limits on what people type.
    pub fn with_limits(self, limits: InputLimits) -> App {
        App { limits, ..self }
    }

    /// Wakes the background loop (see [`background::run`]).
    pub(crate) fn wake_background(&self) {
        self.wake.notify_one();
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

    /// Refreshes the database's planner statistics (a server does this when it starts).
    pub async fn refresh_planner_statistics(&self) -> Result<(), AppError> {
        Ok(self.store.refresh_planner_statistics().await?)
    }

    /// Store counts.
    pub async fn stats(&self) -> Result<store::stats::Stats, AppError> {
        Ok(self.store.stats().await?)
    }

    /// Messages waiting in the outbox, oldest first, each with its raw bytes.
    pub async fn outbox_queued(
        &self,
        limit: u32,
    ) -> Result<Vec<(store::outbox::OutboxRecord, Vec<u8>)>, AppError> {
        let mut queued = Vec::new();
        for record in self
            .store
            .outbox(Some(store::outbox::OutboxState::Queued), limit)
            .await?
        {
            let raw = self
                .store
                .read_blob(store::blob::BlobKind::Raw, &record.raw_sha256)
                .await?;
            queued.push((record, raw));
        }
        Ok(queued)
    }
}
