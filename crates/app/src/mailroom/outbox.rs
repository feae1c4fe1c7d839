//! Sending what waits in the outbox, listing it, and trying a failed message again.
//!
//! The send job takes the due rows (`queued`, or left `sending` by a sender that stopped) to
//! `sending` in batches, hands the stored bytes to the server, and records `sent`, or `queued`
//! again after a temporary failure (with backoff), or `failed` after a refusal or the last
//! attempt. A crash between the server's acceptance and the commit sends the same bytes again:
//! the same Message-ID, which the recipient's client shows once.

use std::sync::Arc;

use rand::Rng;
use serde::Serialize;
use serde_json::json;
use store::outbox::{OutboxRecord, OutboxState, Outcome, Settled};

use crate::{Action, Actor, App, AppError};

/// The job kind that sends the outbox. The outbox's trigger queues it (the name is
/// `outbox:send`), and so does the background round when mail is due.
pub const OUTBOX_JOB: &str = "outbox_send";

/// How long a sender holds the messages it is sending without renewing (microseconds).
const SEND_LEASE_MICROS: i64 = 30_000_000;

/// Messages taken per batch, at most.
const BATCH: u32 = 256;

/// Bytes taken per batch, at most (a larger message goes alone): a batch is held in memory.
const BATCH_BYTES: u64 = 64 << 20;

/// How long one run of the send job goes on taking batches.
const DRAIN_FOR: std::time::Duration = std::time::Duration::from_secs(10);

/// Attempts before a message that keeps failing for a while is given up on.
const MAX_ATTEMPTS: i64 = 10;

/// One outgoing message as people see it in the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxView {
    /// The outbox id (`casebook outbox retry ID`).
    pub id: i64,
    /// `queued`, `sending`, `sent` or `failed`.
    pub state: OutboxState,
    /// What it is: `case` (a reply), `invite`, `reset`, `sla`, `ack`, `notify`.
    pub purpose: String,
    /// The case's number, when it belongs to one.
    pub case: Option<String>,
    /// The Message-ID it carries, once known.
    pub message_id: Option<String>,
    /// Envelope recipients.
    pub recipients: Vec<String>,
    /// Attempts made.
    pub attempts: i64,
    /// Queued (RFC 3339).
    pub created_at: String,
    /// Sent (RFC 3339).
    pub sent_at: Option<String>,
    /// The last error, or the bounce's reason.
    pub error: Option<String>,
    /// The recipient a bounce named.
    pub failed_recipient: Option<String>,
    /// The server's answer when it took the message.
    pub response: Option<String>,
}

impl App {
    fn outbox_view(&self, record: OutboxRecord, case: Option<String>) -> OutboxView {
        let time = |micros: i64| {
            chrono::DateTime::from_timestamp_micros(micros)
                .unwrap_or_default()
                .to_rfc3339()
        };
        OutboxView {
            id: record.id,
            state: record.state,
            purpose: record.purpose,
            case,
            message_id: record.message_id,
            recipients: record.recipients,
            attempts: record.attempts,
            created_at: time(record.created_at),
            sent_at: record.sent_at.map(time),
            error: record.last_error,
            failed_recipient: record.failed_recipient,
            response: record.response,
        }
    }

    /// The latest `limit` messages of the outbox (every one, or those in one state), oldest first.
    pub async fn outbox_list(
        &self,
        actor: &Actor,
        state: Option<OutboxState>,
        limit: u32,
    ) -> Result<Vec<OutboxView>, AppError> {
        self.permit(actor, Action::ViewMail)?;
        let records = self.store.outbox(state, limit).await?;
        let mut case_ids: Vec<i64> = records.iter().filter_map(|r| r.case_id).collect();
        case_ids.sort_unstable();
        case_ids.dedup();
        let numbers = self.store.case_numbers(&case_ids).await?;
        Ok(records
            .into_iter()
            .map(|record| {
                let case = record.case_id.and_then(|id| numbers.get(&id).cloned());
                self.outbox_view(record, case)
            })
            .collect())
    }

    /// Queues a failed message again, at once, with the same bytes and Message-ID.
    pub async fn outbox_retry(&self, actor: &Actor, id: i64) -> Result<OutboxView, AppError> {
        self.permit(actor, Action::RetryMail)?;
        let Some(record) = self.store.outbox_record(id).await? else {
            return Err(AppError::invalid("outbox_not_found", json!({ "id": id })));
        };
        if record.state != OutboxState::Failed {
            return Err(AppError::invalid(
                "outbox_not_failed",
                json!({ "id": id, "state": record.state.as_str() }),
            ));
        }
        self.store
            .outbox_retry(id, self.now().timestamp_micros())
            .await?;
        let record = self
            .store
            .outbox_record(id)
            .await?
            .ok_or_else(|| AppError::invalid("outbox_not_found", json!({ "id": id })))?;
        let case = match record.case_id {
            Some(case_id) => Some(self.store.case_by_id(case_id).await?.number.to_string()),
            None => None,
        };
        Ok(self.outbox_view(record, case))
    }

    /// Sends what is due in the outbox, in batches, until nothing is: the send job's work.
    ///
    /// A batch is taken in one transaction and sent over the sender's pooled connections side by
    /// side; results are recorded as they come, whatever finished during the last write in one
    /// transaction, so that a crash resends as little as possible. The batch's rows are leased
    /// to it (renewed while it works) under a token every write checks.
    pub async fn outbox_drain(&self, sender: &outbound::Sender) -> Result<(), jobs::JobError> {
        let store_error = |error: store::Error| jobs::JobError::Retry(error.to_string());
        let started = std::time::Instant::now();
        // A while at most, so that the round it runs in goes on to the rest of its work; the next
        // round queues the job again when mail is still due.
        while started.elapsed() < DRAIN_FOR {
            let now = self.now().timestamp_micros();
            let token: i64 = self.rng().random_range(1..i64::MAX);
            let batch = self
                .store
                .outbox_take_due(
                    now,
                    now + SEND_LEASE_MICROS,
                    token,
                    BATCH,
                    BATCH_BYTES,
                    MAX_ATTEMPTS,
                )
                .await
                .map_err(store_error)?;
            if batch.is_empty() {
                return Ok(());
            }
            self.send_batch(sender, token, batch)
                .await
                .map_err(store_error)?;
        }
        Ok(())
    }

    async fn send_batch(
        &self,
        sender: &outbound::Sender,
        token: i64,
        batch: Vec<store::outbox::Sendable>,
    ) -> Result<(), store::Error> {
        let mut everyone: Vec<String> = batch
            .iter()
            .flat_map(|sendable| sendable.record.recipients.iter().cloned())
            .collect();
        everyone.sort();
        everyone.dedup();
        let bouncing = self.store.bouncing_among(&everyone).await?;
        // Bounces come back to an intake address, where they are read; else to the sender.
        let intake_return = self
            .intake
            .intake_addresses
            .first()
            .map(ToString::to_string);
        let (results, mut incoming) = tokio::sync::mpsc::unbounded_channel();
        let mut pending = 0usize;
        let mut settled = Vec::new();
        // Sends are tasks of their own that always run to their end: one cut off in the middle
        // of an SMTP dialogue would leave its pooled connection in an unknown state.
        let at_once = Arc::new(tokio::sync::Semaphore::new(
            usize::try_from(self.mail_settings.smtp_connections.max(1)).unwrap_or(1),
        ));
        // Closed when this batch stops early: sends that have not begun then never do.
        struct CloseOnDrop(Arc<tokio::sync::Semaphore>);
        impl Drop for CloseOnDrop {
            fn drop(&mut self) {
                self.0.close();
            }
        }
        let _close = CloseOnDrop(at_once.clone());
        for sendable in batch {
            let id = sendable.record.id;
            let attempt = sendable.record.attempts;
            let recipients: Vec<String> = sendable
                .record
                .recipients
                .iter()
                .filter(|address| !bouncing.contains(address))
                .cloned()
                .collect();
            if recipients.is_empty() {
                settled.push(Settled {
                    id,
                    outcome: Outcome::Failed {
                        error: "every recipient's mail bounces".into(),
                    },
                });
                continue;
            }
            // The bytes are read only for what the row does not say already.
            let (message_id, return_path) = match (&sendable.record.message_id, &intake_return) {
                (Some(_), Some(intake)) => (None, Some(intake.clone())),
                (known, intake) => {
                    let (message_id, from) = outbound::headers_of(&sendable.raw);
                    (
                        message_id.filter(|_| known.is_none()),
                        intake.clone().or(from),
                    )
                }
            };
            let sender = sender.clone();
            let results = results.clone();
            pending += 1;
            let at_once = at_once.clone();
            // Each send is a task: it goes on while results are written.
            tokio::spawn(async move {
                let Ok(_turn) = at_once.acquire_owned().await else {
                    return;
                };
                let result = sender
                    .send(return_path.as_deref(), &recipients, &sendable.raw)
                    .await;
                let outcome = match result {
                    Ok(response) => Outcome::Sent {
                        response,
                        message_id,
                    },
                    Err(outbound::SendError::Permanent(error)) => {
                        tracing::warn!(outbox.id = id, %error, "message refused by the mail server");
                        Outcome::Failed { error }
                    }
                    Err(outbound::SendError::Transient(error)) if attempt >= MAX_ATTEMPTS => {
                        tracing::warn!(outbox.id = id, %error, "message given up after its last attempt");
                        Outcome::Failed {
                            error: format!("{error} (after {attempt} attempts)"),
                        }
                    }
                    Err(outbound::SendError::Transient(error)) => {
                        Outcome::Deferred { error, retry_at: 0 }
                    }
                };
                let _ = results.send((Settled { id, outcome }, attempt));
            });
        }
        drop(results);
        if !settled.is_empty() {
            self.settle(token, &settled, self.now().timestamp_micros())
                .await?;
        }
        let renew_every = std::time::Duration::from_micros(SEND_LEASE_MICROS as u64 / 3);
        let mut renewal =
            tokio::time::interval_at(tokio::time::Instant::now() + renew_every, renew_every);
        let mut buffer = Vec::new();
        while pending > 0 {
            tokio::select! {
                received = incoming.recv_many(&mut buffer, BATCH as usize) => {
                    if received == 0 {
                        break;
                    }
                    pending -= received;
                    let now = self.now().timestamp_micros();
                    let results: Vec<Settled> = buffer
                        .drain(..)
                        .map(|(mut settled, attempt): (Settled, i64)| {
                            if let Outcome::Deferred { retry_at, .. } = &mut settled.outcome {
                                *retry_at = now + jobs::backoff(attempt);
                            }
                            settled
                        })
                        .collect();
                    let recorded = self.settle(token, &results, now).await?;
                    let sent = results
                        .iter()
                        .filter(|settled| matches!(settled.outcome, Outcome::Sent { .. }))
                        .count();
                    tracing::debug!(sent, recorded, "outbox results recorded");
                    if recorded < results.len() as u64 {
                        tracing::warn!(
                            lost = results.len() as u64 - recorded,
                            "messages were taken over while they were sent: the other sender's result stands"
                        );
                    }
                }
                _ = renewal.tick() => {
                    let until = self.now().timestamp_micros() + SEND_LEASE_MICROS;
                    if self.store.outbox_renew(token, until).await? == 0 {
                        tracing::warn!("another sender took the batch over: this one stops");
                        return Ok(());
                    }
                }
            }
        }
        Ok(())
    }
}

impl App {
    /// Records results, trying again a few times: what was sent and is not recorded is sent
    /// again once its lease runs out.
    async fn settle(&self, token: i64, results: &[Settled], now: i64) -> Result<u64, store::Error> {
        let mut tries = 0;
        loop {
            match self.store.outbox_settle(token, results, now).await {
                Ok(recorded) => return Ok(recorded),
                Err(error) if tries < 3 => {
                    tries += 1;
                    tracing::warn!(%error, "recording sent mail failed; trying again");
                    tokio::time::sleep(std::time::Duration::from_millis(200 * tries)).await;
                }
                Err(error) => return Err(error),
            }
        }
    }
}

/// The send job's handler.
pub(crate) fn outbox_handler(app: Arc<App>, sender: outbound::Sender) -> jobs::Handler {
    Arc::new(move |_job| {
        let app = app.clone();
        let sender = sender.clone();
        Box::pin(async move { app.outbox_drain(&sender).await })
    })
}
