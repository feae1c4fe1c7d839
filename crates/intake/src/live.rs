//! Live intake: mail delivered by a mail server (LMTP, SMTP) or fetched from a mailbox (IMAP).
//!
//! It goes the same way as an import ([`crate::ingest()`]): raw bytes stored first, one
//! transaction per batch, the same threading and guard. What live mail adds:
//! - the envelope: a recipient `support+CAS-03865-H7P3F1@…` names the case as a number in the
//!   subject would (and under the same guard); a customer's own intake address
//!   (`acer-support@…`) makes the cases it opens that customer's;
//! - status by mail (`case::status::on_partner_mail`), in the batch's transaction;
//! - a follow-up job per arrival (`mail_arrived`, enqueued in the same transaction), which tells
//!   the owner, acknowledges a new case and reads bounces; the job runner makes sure it runs once
//!   the batch is committed, whatever happens to the process.

use case::{Address, CaseNumber, Status};
use chrono::{DateTime, Utc};
use rand::Rng;
use serde::Serialize;
use store::jobs::NewJob;
use store::Store;

use crate::decide::{LiveEffect, Mode};
use crate::ingest::{prepare, write_batch, ArrivalKind, Outcome, Prepared, RawArrival};
use crate::{Error, IntakeConfig};

/// The job kind that follows a live arrival up.
pub const ARRIVAL_JOB: &str = "mail_arrived";

/// What live placement needs beyond the intake configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LiveOptions {
    /// How long after its resolution a case reopens on mail (microseconds).
    pub reopen_window_micros: i64,
    /// The customer this message's recipient address belongs to.
    pub routed_customer: Option<String>,
}

impl LiveOptions {
    pub(crate) fn of(config: &IntakeConfig, routed_customer: Option<String>) -> LiveOptions {
        LiveOptions {
            reopen_window_micros: i64::from(config.reopen_days) * 86_400_000_000,
            routed_customer,
        }
    }
}

/// Where a live message was placed, for its follow-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Placement {
    pub case_id: i64,
    pub staff: bool,
    pub effect: LiveEffect,
}

/// One message a mail server handed over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The bytes, exactly as received.
    pub bytes: Vec<u8>,
    /// Where it came from (`lmtp:PEER`, `imap:MAILBOX#UID`).
    pub origin: String,
    /// The envelope recipients (LMTP/SMTP `RCPT TO`; for IMAP the mailbox's address, if known).
    pub recipients: Vec<String>,
    /// What sender authentication found (`None`: no evidence to check).
    pub auth: Option<case::auth::Verdict>,
}

/// What a follow-up job is given: what became of the arrival.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Arrival {
    /// SHA-256 of the raw message.
    pub sha256: String,
    /// The case it is on (`None`: quarantined).
    pub case_id: Option<i64>,
    /// The quarantine entry, when it is there.
    pub quarantine_id: Option<i64>,
    /// Whether it opened its case.
    pub new_case: bool,
    /// Whether its sender is staff.
    pub staff: bool,
    /// The status it moved the case from and to.
    pub moved: Option<(Status, Status)>,
    /// The resolved case it was too late to reopen (it opened `case_id`, linked to this one).
    pub linked_from: Option<i64>,
    /// It landed on a cancelled case.
    pub flagged: bool,
    /// What the follow-up needs of the message, read once here (`None`: unreadable).
    pub facts: Option<ArrivalFacts>,
}

/// What the ingest path read of a live message, for its follow-up (so that it need not read the
/// message again).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ArrivalFacts {
    /// The sender's address.
    pub sender: Option<String>,
    /// Its Message-ID.
    pub message_id: Option<String>,
    /// Its subject.
    pub subject: String,
    /// An automatic reply, a list message or a bounce: never answered.
    pub automatic: bool,
    /// A delivery failure report: the follow-up reads it.
    pub bounce: bool,
    /// Written mostly in Chinese (the acknowledgement answers in Chinese).
    pub chinese: bool,
}

/// Whether a text is mostly written in Chinese.
fn reads_chinese(text: &str) -> bool {
    text.chars()
        .filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c))
        .take(2)
        .count()
        >= 2
}

fn facts_of(item: &Prepared) -> Option<ArrivalFacts> {
    let mail = item.parsed.as_ref().ok()?;
    Some(ArrivalFacts {
        sender: crate::decide::sender_address(mail).map(|address| address.to_string()),
        message_id: mail.message_id.clone(),
        subject: mail.subject.clone(),
        automatic: mail.auto_submitted.is_some(),
        bounce: mail
            .bounce
            .as_ref()
            .is_some_and(|b| b.kind == mail::bounce::BounceKind::DeliveryFailure),
        chinese: reads_chinese(&mail.subject) || reads_chinese(&mail.body_text),
    })
}

/// Takes delivered messages in: the one ingest path, with the envelope and status by mail.
/// Returns one outcome per delivery, in order; an error means nothing was committed (the mail
/// server is to be told to try again).
pub async fn deliver(
    store: &Store,
    config: &IntakeConfig,
    deliveries: Vec<Delivery>,
    now: DateTime<Utc>,
    rng: &mut (impl Rng + Send),
) -> Result<Vec<Outcome>, Error> {
    let mut envelopes = Vec::with_capacity(deliveries.len());
    let mut verdicts = Vec::with_capacity(deliveries.len());
    let arrivals: Vec<RawArrival> = deliveries
        .into_iter()
        .map(|delivery| {
            envelopes.push(delivery.recipients);
            verdicts.push(delivery.auth);
            RawArrival {
                bytes: delivery.bytes,
                origin: delivery.origin,
                kind: ArrivalKind::Mail,
            }
        })
        .collect();
    let mut batch = prepare(config, arrivals);
    for (((item, _), recipients), verdict) in batch.items.iter_mut().zip(&envelopes).zip(verdicts) {
        apply_envelope(item, recipients, config);
        item.auth = verdict;
    }
    let mode = Mode {
        apply_guard: true,
        forced_case: None,
        actor: None,
        keep_message_id: true,
        forced_matched_by: None,
        live: Some(LiveOptions::of(config, None)),
    };
    write_batch(store, config, batch, &mode, None, now, rng).await
}

/// A recipient's plus tag names a case; a customer's intake address names the customer.
fn apply_envelope(item: &mut Prepared, recipients: &[String], config: &IntakeConfig) {
    for recipient in recipients {
        let Ok(address) = recipient.parse::<Address>() else {
            continue;
        };
        let (local, domain) = address
            .as_str()
            .rsplit_once('@')
            .unwrap_or((address.as_str(), ""));
        let (base, tag) = match local.split_once('+') {
            Some((base, tag)) => (format!("{base}@{domain}"), Some(tag)),
            None => (address.to_string(), None),
        };
        let Ok(base) = base.parse::<Address>() else {
            continue;
        };
        if let Some((_, customer)) = config
            .customer_addresses
            .iter()
            .find(|(intake, _)| *intake == base)
        {
            item.route.get_or_insert_with(|| customer.clone());
        }
        let ours = config.intake_addresses.contains(&base)
            || config.customer_addresses.iter().any(|(a, _)| *a == base);
        let number = tag.and_then(|tag| tag.to_ascii_uppercase().parse::<CaseNumber>().ok());
        if let (true, Some(number), None) = (ours, number, &item.subject.number) {
            item.keys.labels.push(number.to_string());
            item.subject.number = Some(number);
        }
    }
}

/// Enqueues the follow-up of one live arrival, in the batch's transaction.
pub(crate) async fn follow_up(
    tx: &mut store::ingest::IngestTx<'_>,
    item: &Prepared,
    outcome: &Outcome,
    placed: Option<&Placement>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let arrival = match (outcome, placed) {
        (Outcome::OnCase { new_case, .. }, Some(placed)) => Arrival {
            sha256: item.sha256.clone(),
            case_id: Some(placed.case_id),
            quarantine_id: None,
            new_case: *new_case,
            staff: placed.staff,
            moved: match placed.effect {
                LiveEffect::Moved(from, to) => Some((from, to)),
                _ => None,
            },
            linked_from: match placed.effect {
                LiveEffect::NewLinked(old) => Some(old),
                _ => None,
            },
            flagged: placed.effect == LiveEffect::Flagged,
            facts: facts_of(item),
        },
        (Outcome::Quarantined { id, .. }, _) => Arrival {
            sha256: item.sha256.clone(),
            case_id: None,
            quarantine_id: Some(*id),
            new_case: false,
            staff: false,
            moved: None,
            linked_from: None,
            flagged: false,
            facts: facts_of(item),
        },
        // A duplicate was followed up when it first came.
        _ => return Ok(()),
    };
    let payload = serde_json::to_string(&arrival)
        .map_err(|error| Error::Store(store::Error::Corrupt(error.to_string())))?;
    let name = format!("arrived:{}", item.sha256);
    tx.enqueue_job(
        &NewJob {
            name: &name,
            kind: ARRIVAL_JOB,
            payload: &payload,
            run_at: now.timestamp_micros(),
            max_attempts: 8,
        },
        now.timestamp_micros(),
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_chinese_in_chinese() {
        assert!(reads_chinese("系统重置失败 reset"));
        assert!(!reads_chinese("System reset fails"));
        assert!(!reads_chinese("一"));
    }
}
