//! Sending what waits in the outbox, listing it, and trying a failed message again.
//!
//! A send job takes its row (`queued` or left `sending` by a sender that stopped) to `sending`,
//! hands the stored bytes to the server, and records `sent`, or `queued` again after a temporary
//! failure (the job runner's backoff), or `failed` after a refusal or the last attempt. A crash
//! between the server's acceptance and the commit sends the same bytes again: the same
//! Message-ID, which the recipient's client shows once.

use std::sync::Arc;

use serde::Serialize;
use serde_json::json;
use store::outbox::{OutboxRecord, OutboxState};

use crate::{Action, Actor, App, AppError};

/// The job kind that sends one outbox row (its payload is the row's id). The outbox's trigger
/// enqueues it; the name is `outbox:ID`.
pub const OUTBOX_JOB: &str = "outbox_send";

/// How long a sender holds a message it is sending without renewing (microseconds).
const SEND_LEASE_MICROS: i64 = 30_000_000;

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

    /// The outbox, oldest first: every message, or those in one state.
    pub async fn outbox_list(
        &self,
        actor: &Actor,
        state: Option<OutboxState>,
        limit: u32,
    ) -> Result<Vec<OutboxView>, AppError> {
        self.permit(actor, Action::ViewMail)?;
        let records = self.store.outbox(state, limit).await?;
        let mut views = Vec::with_capacity(records.len());
        for record in records {
            let case = match record.case_id {
                Some(id) => Some(self.store.case_by_id(id).await?.number.to_string()),
                None => None,
            };
            views.push(self.outbox_view(record, case));
        }
        Ok(views)
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

    /// Sends one outbox row: the send job's work. `attempt` and `max_attempts` are the job's.
    pub async fn outbox_send(
        &self,
        sender: &outbound::Sender,
        id: i64,
        attempt: i64,
        max_attempts: i64,
    ) -> Result<(), jobs::JobError> {
        let store_error = |error: store::Error| jobs::JobError::Retry(error.to_string());
        let now = self.now().timestamp_micros();
        let sendable = match self
            .store
            .outbox_take(id, now, now + SEND_LEASE_MICROS)
            .await
            .map_err(store_error)?
        {
            store::outbox::Take::Send(sendable) => *sendable,
            // Another sender holds it: its result stands, and this job only checks back later.
            store::outbox::Take::Busy => {
                return Err(jobs::JobError::Retry(
                    "another instance is sending it".into(),
                ))
            }
            // Sent, failed or gone: a job run twice does nothing the second time.
            store::outbox::Take::Done => return Ok(()),
        };
        // The attempt count the take wrote is this sender's token: every later write checks it.
        let token = sendable.record.attempts;
        let (message_id, from) = outbound::headers_of(&sendable.raw);
        if let (None, Some(message_id)) = (&sendable.record.message_id, &message_id) {
            self.store
                .outbox_set_message_id(id, message_id)
                .await
                .map_err(store_error)?;
        }
        let bouncing = self
            .store
            .bouncing_among(&sendable.record.recipients)
            .await
            .map_err(store_error)?;
        let recipients: Vec<String> = sendable
            .record
            .recipients
            .iter()
            .filter(|address| !bouncing.contains(address))
            .cloned()
            .collect();
        if recipients.is_empty() {
            self.store
                .outbox_failed(id, Some(token), "every recipient's mail bounces", now)
                .await
                .map_err(store_error)?;
            return Ok(());
        }
        // Bounces come back to an intake address, where they are read; else to the sender.
        let return_path = self
            .intake
            .intake_addresses
            .first()
            .map(ToString::to_string)
            .or(from);
        // The row's lease is renewed while the server takes its time; a sender that dies stops
        // renewing, and another sends the message again once the lease has run out. A sender
        // that finds its lease taken over stops sending: the other's send is the one that counts.
        let send = sender.send(return_path.as_deref(), &recipients, &sendable.raw);
        tokio::pin!(send);
        let result = loop {
            tokio::select! {
                result = &mut send => break result,
                () = tokio::time::sleep(std::time::Duration::from_micros(SEND_LEASE_MICROS as u64 / 3)) => {
                    let until = self.now().timestamp_micros() + SEND_LEASE_MICROS;
                    if !self.store.outbox_renew(id, token, until).await.map_err(store_error)? {
                        tracing::warn!(outbox.id = id, "another sender took the message over: this one stops");
                        return Ok(());
                    }
                }
            }
        };
        let now = self.now().timestamp_micros();
        let recorded = match result {
            Ok(response) => {
                let recorded = self
                    .store
                    .outbox_sent(id, token, &response, now)
                    .await
                    .map_err(store_error)?;
                tracing::info!(outbox.id = id, message_id = ?message_id, "message sent");
                recorded
            }
            Err(outbound::SendError::Permanent(error)) => {
                tracing::warn!(outbox.id = id, %error, "message refused by the mail server");
                self.store
                    .outbox_failed(id, Some(token), &error, now)
                    .await
                    .map_err(store_error)?
            }
            Err(outbound::SendError::Transient(error)) => {
                let recorded = if attempt >= max_attempts {
                    self.store
                        .outbox_failed(id, Some(token), &error, now)
                        .await
                        .map_err(store_error)?
                } else {
                    self.store
                        .outbox_deferred(id, token, &error, now + jobs::backoff(attempt))
                        .await
                        .map_err(store_error)?
                };
                if recorded {
                    return Err(jobs::JobError::Retry(error));
                }
                false
            }
        };
        if !recorded {
            tracing::warn!(
                outbox.id = id,
                "the message was taken over while it was sent: the other sender's result stands"
            );
        }
        Ok(())
    }
}

/// The send job's handler.
pub(crate) fn outbox_handler(app: Arc<App>, sender: outbound::Sender) -> jobs::Handler {
    Arc::new(move |job| {
        let app = app.clone();
        let sender = sender.clone();
        Box::pin(async move {
            let id: i64 = job
                .payload
                .trim()
                .parse()
                .map_err(|_| jobs::JobError::Fatal(format!("outbox id '{}'", job.payload)))?;
            let result = app
                .outbox_send(&sender, id, job.attempts, job.max_attempts)
                .await;
            // The job's last attempt: a row it leaves unsent would wait for a job that never
            // comes, so it is failed (and shows in the outbox, where it can be retried).
            if let (Err(jobs::JobError::Retry(error)), true) =
                (&result, job.attempts >= job.max_attempts)
            {
                let now = app.now().timestamp_micros();
                if let Err(failure) = app
                    .store
                    .outbox_failed(id, None, &format!("gave up: {error}"), now)
                    .await
                {
                    tracing::error!(outbox.id = id, error = %failure, "the message could not be marked failed");
                }
            }
            result
        })
    })
}
