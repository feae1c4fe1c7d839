//! The batch path: store raw bytes durably, then decide and write in one transaction.

use case::subject::{ParsedSubject, SubjectCodec};
use case::{Address, CaseNumber, MatchedBy, Priority};
use chrono::{DateTime, Utc};
use mail::{ParsedMail, Unreadable};
use rand::Rng;
use serde::Serialize;
use sha2::{Digest, Sha256};
use store::ingest::{BatchKeys, NewQuarantine};
use store::Store;

use crate::decide::{self, Mode, Placed};
use crate::Error;

/// What the intake needs to know.
#[derive(Debug, Clone)]
pub struct IntakeConfig {
    /// Resource limits for one message.
    pub limits: mail::Limits,
    /// The subject codec (templates and token prefix).
    pub codec: SubjectCodec,
    /// The intake mailbox's own addresses; they never count as participants.
    pub intake_addresses: Vec<Address>,
    /// The stage of a case opened by mail.
    pub default_stage: String,
    /// The priority of a case whose subject names none.
    pub default_priority: Priority,
    /// Read message times as wall-clock times of this zone (`import --assume-zone`).
    pub assume_zone: Option<chrono_tz::Tz>,
    /// The first tracking token Casebook makes. Above the 7-digit range by default, so that
    /// tokens Casebook makes never meet those of the system it replaces (whose mail it imports).
    pub token_start: u64,
    /// Arrivals per transaction when importing.
    pub batch_messages: usize,
    /// Days after its resolution during which a partner's mail reopens a case; later mail opens
    /// a new case linked to it.
    pub reopen_days: u32,
    /// Intake addresses of one customer (`acer-support@…` → Acer): mail to them opens that
    /// customer's cases.
    pub customer_addresses: Vec<(Address, String)>,
}

impl Default for IntakeConfig {
    fn default() -> Self {
        IntakeConfig {
            limits: mail::Limits::default(),
            codec: SubjectCodec::default(),
            intake_addresses: Vec::new(),
            default_stage: "初次响应".to_string(),
            default_priority: Priority::P3,
            assume_zone: None,
            token_start: 10_000_001,
            batch_messages: 1024,
            reopen_days: 14,
            customer_addresses: Vec::new(),
        }
    }
}

/// How the bytes of an arrival are to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArrivalKind {
    /// An RFC 5322 message.
    Mail,
    /// One message of a thread export an operator imported (the takeover guard does not apply).
    ExportChunk,
}

/// One message as it arrived, before anything was decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawArrival {
    /// The bytes, exactly as received.
    pub bytes: Vec<u8>,
    /// Where it came from: a path, `path#N` for the Nth message of an mbox or export.
    pub origin: String,
    /// How to read it.
    pub kind: ArrivalKind,
}

/// What became of one arrival.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// On a case's timeline.
    OnCase {
        /// The case's number.
        case: String,
        /// How it found the case.
        matched_by: MatchedBy,
        /// Whether the case was created for it.
        new_case: bool,
    },
    /// Already stored; nothing changed.
    Duplicate {
        /// SHA-256 of the arrival's raw bytes.
        sha256: String,
    },
    /// In quarantine, for a person to decide.
    Quarantined {
        /// The quarantine entry.
        id: i64,
        /// The reason's stable code.
        reason_code: String,
        /// The reason in words.
        reason: String,
    },
}

pub(crate) struct Prepared {
    /// What its subject tells (read once, here).
    pub(crate) subject: ParsedSubject,
    /// What placing it will look up: subject labels, sender, Thread-Index root.
    pub(crate) keys: BatchKeys,
    pub(crate) sha256: String,
    size: u64,
    fingerprint: String,
    pub(crate) parsed: Result<ParsedMail, Unreadable>,
    pub(crate) origin: String,
    kind: ArrivalKind,
    /// The customer the envelope's recipient names (live intake).
    pub(crate) route: Option<String>,
    /// Sender authentication's verdict (live intake; `None`: no evidence).
    pub(crate) auth: Option<case::auth::Verdict>,
}

/// Reads an arrival's bytes the way its kind says: the one parse of the ingest path.
pub(crate) fn read(
    bytes: &[u8],
    kind: ArrivalKind,
    limits: &mail::Limits,
) -> Result<ParsedMail, Unreadable> {
    match kind {
        ArrivalKind::Mail => mail::normalise(bytes, limits),
        ArrivalKind::ExportChunk => mail::export::parse_one(bytes),
    }
}

fn prepare_one(arrival: RawArrival, config: &IntakeConfig) -> (Prepared, Vec<u8>) {
    let sha256 = hex::encode(Sha256::digest(&arrival.bytes));
    // A parser bug must not lose the message: it is quarantined as unreadable, bytes kept.
    let read_all = || {
        let mut parsed = read(&arrival.bytes, arrival.kind, &config.limits);
        // Attachments are read from the raw message when wanted: their bytes need not wait
        // in memory for the batch to be written.
        if let Ok(mail) = &mut parsed {
            for attachment in &mut mail.attachments {
                attachment.bytes = Vec::new();
            }
        }
        let mut keys = BatchKeys::default();
        let mut subject = ParsedSubject::default();
        if let Ok(mail) = &parsed {
            subject = config.codec.parse(&mail.subject);
            keys.labels
                .extend(subject.token.as_ref().map(ToString::to_string));
            keys.labels
                .extend(subject.number.as_ref().map(ToString::to_string));
            keys.senders
                .extend(decide::sender_address(mail).map(|address| address.to_string()));
            keys.senders.extend(
                mail.more_authors
                    .iter()
                    .filter_map(|author| author.address.clone()),
            );
            // Recipients too: whether they are staff decides who may read the email.
            keys.senders.extend(
                mail.to
                    .iter()
                    .chain(&mail.cc)
                    .filter_map(|mailbox| mailbox.address.as_deref())
                    .filter_map(|address| address.parse::<case::Address>().ok())
                    .map(|address| address.to_string()),
            );
            keys.thread_roots.extend(
                mail.thread_index
                    .as_deref()
                    .and_then(case::threading::thread_index_root),
            );
        }
        let fingerprint = match arrival.kind {
            ArrivalKind::Mail => mail::content_fingerprint(&arrival.bytes),
            ArrivalKind::ExportChunk => sha256.clone(),
        };
        (parsed, subject, keys, fingerprint)
    };
    let (parsed, subject, keys, fingerprint) = std::panic::catch_unwind(
        std::panic::AssertUnwindSafe(read_all),
    )
    .unwrap_or_else(|payload| {
        let detail = payload
            .downcast_ref::<&str>()
            .map(|text| (*text).to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".to_string());
        tracing::error!(origin = %arrival.origin, %detail, "the parser failed on a message");
        (
            Err(Unreadable::ParserFailed { detail }),
            ParsedSubject::default(),
            BatchKeys::default(),
            sha256.clone(),
        )
    });
    let size = u64::try_from(arrival.bytes.len()).unwrap_or(u64::MAX);
    (
        Prepared {
            subject,
            keys,
            sha256,
            size,
            fingerprint,
            parsed,
            origin: arrival.origin,
            kind: arrival.kind,
            route: None,
            auth: None,
        },
        arrival.bytes,
    )
}

/// A batch of arrivals hashed and parsed, ready for [`ingest_prepared`].
pub struct PreparedBatch {
    pub(crate) items: Vec<(Prepared, Vec<u8>)>,
    /// How long hashing and parsing took.
    parse_time: std::time::Duration,
}

impl PreparedBatch {
    /// How many arrivals it holds.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// Hashes and parses a batch on every core, keeping its order. Pure CPU work: an import
/// prepares the next batch while the last one is written.
pub fn prepare(config: &IntakeConfig, arrivals: Vec<RawArrival>) -> PreparedBatch {
    let started = std::time::Instant::now();
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(arrivals.len().max(1));
    let chunk_size = arrivals.len().div_ceil(workers).max(1);
    let mut chunks: Vec<Vec<RawArrival>> = Vec::new();
    let mut rest = arrivals;
    while !rest.is_empty() {
        let tail = rest.split_off(chunk_size.min(rest.len()));
        chunks.push(std::mem::replace(&mut rest, tail));
    }
    let items = std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .into_iter()
                        .map(|arrival| prepare_one(arrival, config))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| {
                // Parser panics are caught per message; anything else is a bug to surface.
                handle
                    .join()
                    .unwrap_or_else(|payload| std::panic::resume_unwind(payload))
            })
            .collect()
    });
    PreparedBatch {
        items,
        parse_time: started.elapsed(),
    }
}

/// Takes a batch of arrivals in: raw bytes stored and fsynced first, then one transaction for the batch.
///
/// Returns one outcome per arrival, in order. An error means nothing of the
/// batch was committed (its raw blobs may be stored; importing again is safe).
pub async fn ingest(
    store: &Store,
    config: &IntakeConfig,
    arrivals: Vec<RawArrival>,
    now: DateTime<Utc>,
    rng: &mut (impl Rng + Send),
) -> Result<Vec<Outcome>, Error> {
    ingest_prepared(store, config, prepare(config, arrivals), now, rng).await
}

/// Writes a prepared batch: raw bytes stored and fsynced first, then one transaction.
pub async fn ingest_prepared(
    store: &Store,
    config: &IntakeConfig,
    batch: PreparedBatch,
    now: DateTime<Utc>,
    rng: &mut (impl Rng + Send),
) -> Result<Vec<Outcome>, Error> {
    let mode = Mode {
        apply_guard: true,
        forced_case: None,
        actor: None,
        keep_message_id: true,
        forced_matched_by: None,
        live: None,
    };
    write_batch(store, config, batch, &mode, None, now, rng).await
}

/// Who wrote a message in Casebook itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Staff, in the composer: the reply is queued in the outbox for these envelope recipients.
    Composer {
        /// Where it is to be sent.
        recipients: Vec<String>,
    },
    /// A partner's contact, in the portal: under the takeover guard, as mail from them would be.
    Portal,
}

/// A message written in Casebook: rendered and stored raw like any arrival, put on its case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    /// The rendered message (RFC 5322).
    pub bytes: Vec<u8>,
    /// The case it answers.
    pub case_id: i64,
    /// Who wrote it.
    pub source: Source,
    /// The signed-in user, for the timeline.
    pub actor: String,
}

/// Takes a message written in Casebook through the one ingest path: stored raw first, placed on
/// its case (`matched_by: composer` or `portal`), and for a staff reply queued in the outbox in the
/// same transaction. A staff reply is not an arrival (`received` does not count it); a portal
/// reply is, and the guard decides it as it decides mail.
pub async fn submit(
    store: &Store,
    config: &IntakeConfig,
    submission: Submission,
    now: DateTime<Utc>,
    rng: &mut (impl Rng + Send),
) -> Result<Outcome, Error> {
    let (origin, matched_by, outbound) = match &submission.source {
        Source::Composer { recipients } => {
            ("composer", MatchedBy::Composer, Some(recipients.clone()))
        }
        Source::Portal => ("portal", MatchedBy::Portal, None),
    };
    let mode = Mode {
        apply_guard: outbound.is_none(),
        forced_case: Some(submission.case_id),
        actor: Some(submission.actor),
        keep_message_id: true,
        forced_matched_by: Some(matched_by),
        live: match &submission.source {
            Source::Portal => Some(crate::live::LiveOptions::of(config, None)),
            Source::Composer { .. } => None,
        },
    };
    let batch = prepare(
        config,
        vec![RawArrival {
            bytes: submission.bytes,
            origin: origin.to_string(),
            kind: ArrivalKind::Mail,
        }],
    );
    let mut outcomes = write_batch(store, config, batch, &mode, outbound, now, rng).await?;
    outcomes
        .pop()
        .ok_or_else(|| Error::Store(store::Error::Corrupt("a submission gave no outcome".into())))
}

pub(crate) async fn write_batch(
    store: &Store,
    config: &IntakeConfig,
    batch: PreparedBatch,
    mode: &Mode,
    outbound: Option<Vec<String>>,
    now: DateTime<Utc>,
    rng: &mut (impl Rng + Send),
) -> Result<Vec<Outcome>, Error> {
    let mut prepared = batch.items;
    let started = std::time::Instant::now();
    let mut make_number = |seq: u64| CaseNumber::generate(seq, rng);
    let mut tx = store.begin_ingest().await?;
    // What the batch's hashes and Message-IDs already are, in a few queries rather than one per message.
    let hashes: Vec<String> = prepared
        .iter()
        .map(|(item, _)| item.sha256.clone())
        .collect();
    let mut message_ids: Vec<String> = Vec::new();
    for (item, _) in &prepared {
        if let Ok(mail) = &item.parsed {
            message_ids.extend(mail.message_id.iter().cloned());
            message_ids.extend(mail.in_reply_to.iter().cloned());
            message_ids.extend(mail.references.iter().rev().take(100).cloned());
        }
    }
    tx.prefetch(&hashes, &message_ids).await?;
    let mut keys = BatchKeys::default();
    for (item, _) in &prepared {
        keys.labels.extend(item.keys.labels.iter().cloned());
        keys.senders.extend(item.keys.senders.iter().cloned());
        keys.thread_roots
            .extend(item.keys.thread_roots.iter().cloned());
    }
    tx.prefetch_facts(&keys).await?;
    let prefetched = std::time::Instant::now();
    // Nothing is decided before the raw bytes are on their way to disk (and the commit waits for them).
    let raw: Vec<(&str, &[u8])> = prepared
        .iter()
        .map(|(item, bytes)| (item.sha256.as_str(), bytes.as_slice()))
        .collect();
    tx.store_raw(&raw).await?;
    drop(raw);
    // The pack holds its own copy now; what is left to decide needs only what was parsed.
    for (_, bytes) in &mut prepared {
        *bytes = Vec::new();
    }
    let stored = std::time::Instant::now();
    let mut outcomes = Vec::with_capacity(prepared.len());
    for (item, _) in &prepared {
        let before = tx.last_message_row();
        let mut placed = None;
        let item_mode;
        let mode_of_item = match (&mode.live, &item.route) {
            (Some(live), Some(route)) => {
                item_mode = Mode {
                    live: Some(crate::live::LiveOptions {
                        routed_customer: Some(route.clone()),
                        ..live.clone()
                    }),
                    ..mode.clone()
                };
                &item_mode
            }
            _ => mode,
        };
        let outcome = place_arrival(
            &mut tx,
            config,
            item,
            mode_of_item,
            now,
            &mut make_number,
            &mut placed,
        )
        .await?;
        if mode.live.is_some() {
            crate::live::follow_up(&mut tx, item, &outcome, placed.as_ref(), now).await?;
        }
        match &outbound {
            // What Casebook writes is not an arrival; it waits in the outbox.
            Some(recipients) => {
                if let (Outcome::OnCase { .. }, Some(row), Some(case_id)) =
                    (&outcome, tx.last_message_row(), mode.forced_case)
                {
                    if Some(row) != before {
                        let message_id = item
                            .parsed
                            .as_ref()
                            .ok()
                            .and_then(|m| m.message_id.as_deref());
                        tx.queue_outbound(
                            row,
                            case_id,
                            &item.sha256,
                            message_id,
                            recipients,
                            now.timestamp_micros(),
                        )?;
                    }
                }
            }
            None => tx.count_arrival(matches!(outcome, Outcome::Duplicate { .. })),
        }
        match &outcome {
            Outcome::OnCase {
                case,
                matched_by,
                new_case,
            } => {
                tracing::info!(case.number = %case, %matched_by, new_case, origin = %item.origin, "message placed on case {case}");
            }
            Outcome::Duplicate { .. } => {
                tracing::debug!(origin = %item.origin, "duplicate message skipped")
            }
            Outcome::Quarantined {
                id, reason_code, ..
            } => {
                // One line per message at info: a bulk import's summary counts them by reason.
                tracing::info!(quarantine.id = id, reason = %reason_code, origin = %item.origin, "message quarantined ({reason_code})");
            }
        }
        outcomes.push(outcome);
    }
    let placed = std::time::Instant::now();
    tx.commit().await?;
    tracing::debug!(
        target: "casebook::timing",
        arrivals = outcomes.len(),
        parse_us = batch.parse_time.as_micros(),
        prefetch_us = (prefetched - started).as_micros(),
        blobs_us = (stored - prefetched).as_micros(),
        place_us = (placed - stored).as_micros(),
        commit_us = placed.elapsed().as_micros(),
        "batch written"
    );
    Ok(outcomes)
}

async fn place_arrival(
    tx: &mut store::ingest::IngestTx<'_>,
    config: &IntakeConfig,
    item: &Prepared,
    mode: &Mode,
    now: DateTime<Utc>,
    make_number: store::cases::NumberMaker<'_>,
    placed: &mut Option<crate::live::Placement>,
) -> Result<Outcome, Error> {
    let duplicate = Outcome::Duplicate {
        sha256: item.sha256.clone(),
    };
    if !tx
        .record_raw(&item.sha256, item.size, now.timestamp_micros())
        .await?
    {
        return Ok(duplicate);
    }
    let mut entry = NewQuarantine {
        raw_sha256: item.sha256.clone(),
        reason_code: String::new(),
        reason: String::new(),
        from_address: None,
        subject: None,
        message_id: None,
        fingerprint: None,
        origin: item.origin.clone(),
        received_at: now.timestamp_micros(),
    };
    let mail = match &item.parsed {
        Ok(mail) => mail,
        Err(unreadable) => {
            entry.reason_code = "unreadable".into();
            entry.reason = format!("{unreadable}; the raw bytes are kept");
            let id = tx.quarantine(&entry).await?;
            return Ok(Outcome::Quarantined {
                id,
                reason_code: entry.reason_code,
                reason: entry.reason,
            });
        }
    };
    let sender = decide::sender_address(mail).map(|address| address.to_string());
    entry.from_address = sender.clone();
    entry.subject = Some(mail.subject.clone());
    entry.message_id = mail.message_id.clone();
    entry.fingerprint = Some(item.fingerprint.clone());
    // A header that decides the sender, the case or the duplicate check and says two things
    // never reaches a case: the guard's answer must not depend on which value a parser picks.
    let ambiguous: Vec<&str> = mail
        .problems
        .iter()
        .filter_map(|problem| match problem {
            mail::Problem::AmbiguousHeader { header } => Some(header.as_str()),
            _ => None,
        })
        .collect();
    if item.kind == ArrivalKind::Mail && !ambiguous.is_empty() {
        entry.reason_code = "ambiguous_header".into();
        entry.reason = format!(
            "the {} header appears more than once or reads two ways, so a mail client may show \
             another sender or case than Casebook would read; look at the raw message, then \
             attach it to the case it belongs to or leave it",
            ambiguous.join(", ")
        );
        let id = tx.quarantine(&entry).await?;
        return Ok(Outcome::Quarantined {
            id,
            reason_code: entry.reason_code,
            reason: entry.reason,
        });
    }
    if let Some(message_id) = &mail.message_id {
        if let Some(known) = tx.known_message_id(message_id).await? {
            if known.fingerprint == item.fingerprint && known.from_address == sender {
                return Ok(duplicate);
            }
            entry.reason_code = "message_id_collision".into();
            entry.reason = format!(
                "Message-ID <{message_id}> is already stored with another sender or content; kept apart so that a copied \
                 Message-ID cannot make real mail vanish"
            );
            entry.fingerprint = None;
            let id = tx.quarantine(&entry).await?;
            return Ok(Outcome::Quarantined {
                id,
                reason_code: entry.reason_code,
                reason: entry.reason,
            });
        }
    }
    match decide::place(
        tx,
        config,
        mail,
        &item.subject,
        item.kind,
        &item.sha256,
        &item.fingerprint,
        mode,
        item.auth.as_ref(),
        now,
        make_number,
    )
    .await?
    {
        Placed::OnCase {
            number,
            matched_by,
            new_case,
            case_id,
            staff,
            effect,
        } => {
            *placed = Some(crate::live::Placement {
                case_id,
                staff,
                effect,
            });
            Ok(Outcome::OnCase {
                case: number.to_string(),
                matched_by,
                new_case,
            })
        }
        Placed::Refused { code, reason } => {
            entry.reason_code = code.to_string();
            entry.reason = reason;
            let id = tx.quarantine(&entry).await?;
            Ok(Outcome::Quarantined {
                id,
                reason_code: entry.reason_code,
                reason: entry.reason,
            })
        }
    }
}
