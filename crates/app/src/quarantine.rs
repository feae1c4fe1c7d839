//! Quarantine: messages that could not be read or matched, and what people decide about them.

use case::access::Action;

use crate::{views, Actor, App, AppError, QuarantineDecision};

impl App {
    /// Open quarantine entries (all with `include_resolved`).
    pub async fn quarantine_list(
        &self,
        actor: &Actor,
        include_resolved: bool,
    ) -> Result<Vec<views::QuarantineView>, AppError> {
        self.permit(actor, Action::ViewQuarantine)?;
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
        actor: &Actor,
        id: i64,
    ) -> Result<(views::QuarantineView, Vec<u8>), AppError> {
        self.permit(actor, Action::ViewQuarantine)?;
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

    /// Closes a quarantine entry as dismissed: it and its raw bytes stay, listed with `--all`, and it
    /// keeps counting as quarantined, so received = messages + quarantined + duplicates still holds.
    pub async fn quarantine_dismiss(
        &self,
        actor: &Actor,
        id: i64,
        reason: Option<&str>,
    ) -> Result<views::QuarantineView, AppError> {
        self.permit(actor, Action::DecideQuarantine)?;
        let reason = reason.map(str::trim).filter(|reason| !reason.is_empty());
        if let Some(reason) = reason {
            self.check_text("reason", reason)?;
        }
        if self.store.quarantine_entry(id).await?.is_none() {
            return Err(AppError::quarantine_not_found(id));
        }
        Ok(self
            .store
            .dismiss_quarantine(id, reason, self.now().timestamp_micros())
            .await?
            .into())
    }

    /// Attaches a quarantined message to a case, or releases it to be threaded as ingest would.
    pub async fn quarantine_decide(
        &self,
        actor: &Actor,
        id: i64,
        decision: QuarantineDecision,
    ) -> Result<intake::Outcome, AppError> {
        self.permit(actor, Action::DecideQuarantine)?;
        let mut rng = self.rng();
        if self.store.quarantine_entry(id).await?.is_none() {
            return Err(AppError::quarantine_not_found(id));
        }
        intake::resolve::decide(
            &self.store,
            &self.intake,
            id,
            decision,
            Some(actor.name.as_str()),
            self.now(),
            &mut rng,
        )
        .await
        .map_err(AppError::from)
    }
}
