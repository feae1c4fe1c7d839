//! What the live streams of the web application ask of the application: a wake-up when any
//! instance commits something new, and who else is writing on a case (the collision warning).

use std::time::Duration;

use case::access::Action;

use crate::{Actor, App, AppError};

/// How long a composing ping counts: the composer pings every 10 s while someone types.
const COMPOSING_WINDOW: Duration = Duration::from_secs(30);

pub use store::live::FeedListener;

impl App {
    /// A listener that wakes when any instance on the same PostgreSQL commits a timeline entry
    /// or a composing ping; `None` on SQLite (the streams poll).
    pub async fn feed_listener(&self) -> Result<Option<FeedListener>, AppError> {
        Ok(self.store.feed_listener().await?)
    }

    /// Whether the database answers and holds every migration this binary knows.
    pub async fn ready(&self) -> Result<bool, AppError> {
        Ok(self.store.migrations_current().await?)
    }

    /// Mailboxes polled and how many of them fail now (for `/readyz`'s body: a failing mailbox
    /// is reported, never a reason to take an instance out of a load balancer). Counts only: the
    /// page answers anyone.
    pub async fn mailbox_health(&self) -> Result<(usize, usize), AppError> {
        let states = self.store.mailbox_states().await?;
        let failing = states.iter().filter(|s| s.last_error.is_some()).count();
        Ok((states.len(), failing))
    }

    /// The newest composing ping anywhere (a stream compares it to notice a change).
    pub async fn composing_latest(&self) -> Result<i64, AppError> {
        Ok(self.store.composing_latest().await?)
    }

    /// Who else is writing on the case now; with `writing`, first records that the actor is.
    pub async fn composing(
        &self,
        actor: &Actor,
        label: &str,
        writing: bool,
    ) -> Result<Vec<String>, AppError> {
        let record = self.case_by_label(label).await?;
        self.permit_case(actor, Action::WriteNote, &record, label)?;
        let now = self.now().timestamp_micros();
        let person = actor.person_id.unwrap_or(0);
        if writing {
            if let Some(person) = actor.person_id {
                self.store.composing_ping(record.id, person, now).await?;
            }
        }
        let window = i64::try_from(COMPOSING_WINDOW.as_micros()).unwrap_or(i64::MAX);
        Ok(self
            .store
            .composing_others(record.id, person, now - window)
            .await?)
    }
}
