//! A person's decisions on quarantine: attach a message to a case, or release it.
//!
//! Both go through the same placement as ingest (`decide::place`), under the
//! writer lock, so the timeline, participants and counts stay consistent:
//! the entry leaves quarantine and the message joins a case, and
//! `received = messages + quarantined + duplicates` still holds.

use case::CaseNumber;
use chrono::{DateTime, Utc};
use mail::ParsedMail;
use rand::Rng;
use store::Store;

use crate::decide::{self, Mode, Placed};
use crate::ingest::{ArrivalKind, IntakeConfig, Outcome};
use crate::Error;

/// What to do with a quarantined message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Put it on this case (number, alias or token).
    Attach(String),
    /// Let it through: thread it as ingest would, without the takeover guard.
    Release,
}

fn reread(
    raw: &[u8],
    config: &IntakeConfig,
) -> (ArrivalKind, Result<ParsedMail, mail::Unreadable>) {
    if mail::detect(raw) == mail::Format::Export {
        (ArrivalKind::ExportChunk, mail::export::parse_one(raw))
    } else {
        (ArrivalKind::Mail, mail::normalise(raw, &config.limits))
    }
}

/// Carries out a person's decision on quarantine entry `id`.
pub async fn decide(
    store: &Store,
    config: &IntakeConfig,
    id: i64,
    decision: Decision,
    actor: Option<&str>,
    now: DateTime<Utc>,
    rng: &mut (impl Rng + Send),
) -> Result<Outcome, Error> {
    let mut make_number = |seq: u64| CaseNumber::generate(seq, rng);
    let mut tx = store.begin_ingest().await?;
    let entry = tx.open_quarantine_entry(id).await?;
    let raw = tx.read_raw(&entry.raw_sha256).await?;
    let (kind, parsed) = reread(&raw, config);
    let forced_case = match &decision {
        Decision::Attach(label) => Some(tx.case_by_label(label).await?.ok_or_else(|| {
            Error::Refused(store::Conflict {
                reason: "attach_case_not_found",
                values: vec![("case", label.clone())],
            })
        })?),
        Decision::Release => None,
    };
    let mail = match parsed {
        Ok(mail) => mail,
        Err(unreadable) if forced_case.is_some() => ParsedMail {
            message_id: None,
            in_reply_to: Vec::new(),
            references: Vec::new(),
            subject: entry.subject.clone().unwrap_or_default(),
            from: None,
            more_authors: Vec::new(),
            to: Vec::new(),
            cc: Vec::new(),
            date: None,
            body_text: format!("(unreadable message: {unreadable}; the raw bytes are kept)"),
            quoted_from: None,
            attachments: Vec::new(),
            thread_index: None,
            auto_submitted: None,
            bounce: None,
            signature_addresses: Vec::new(),
            from_export: false,
            problems: Vec::new(),
        },
        Err(unreadable) => {
            return Err(Error::Refused(store::Conflict {
                reason: "release_unreadable",
                values: vec![("id", id.to_string()), ("reason", unreadable.to_string())],
            }))
        }
    };
    let keep_message_id = match &mail.message_id {
        Some(message_id) => tx
            .known_message_id(message_id)
            .await?
            .is_none_or(|known| known.in_quarantine),
        None => true,
    };
    let mode = Mode {
        apply_guard: false,
        forced_case,
        actor: actor.map(str::to_string),
        keep_message_id,
        forced_matched_by: None,
        live: None,
    };
    let fingerprint = if kind == ArrivalKind::Mail {
        mail::content_fingerprint(&raw)
    } else {
        entry.raw_sha256.clone()
    };
    let subject = config.codec.parse(&mail.subject);
    let placed = decide::place(
        &mut tx,
        config,
        &mail,
        &subject,
        kind,
        &entry.raw_sha256,
        &fingerprint,
        &mode,
        None,
        now,
        &mut make_number,
    )
    .await?;
    let Placed::OnCase {
        number,
        matched_by,
        new_case,
        ..
    } = placed
    else {
        return Err(Error::Refused(store::Conflict {
            reason: "release_not_placed",
            values: vec![("id", id.to_string())],
        }));
    };
    let resolution = match decision {
        Decision::Attach(_) => "attached",
        Decision::Release => "released",
    };
    let case_id = tx.case_by_label(&number.to_string()).await?;
    tx.resolve_quarantine(id, resolution, case_id, now.timestamp_micros())
        .await?;
    tx.commit().await?;
    Ok(Outcome::OnCase {
        case: number.to_string(),
        matched_by,
        new_case,
    })
}
