//! Where one parsed message goes: the facts are looked up in the store, the
//! decisions are `case::threading::place` and `case::guard`, and the result
//! is written in the same transaction.

use case::guard::{self, GuardContext, GuardRefusal, SenderStanding};
use case::status::MailEffect;
use case::threading::{self, LabelLookup, Placement, ThreadingFacts};
use case::{Address, CaseNumber, EntryKind, MatchedBy, Status, Visibility};
use chrono::{DateTime, Utc};
use mail::ParsedMail;
use store::cases::{NewCase, NumberMaker, TokenChoice};
use store::ingest::{IngestTx, NewMessage, SenderFacts};
use store::timeline::{AttachmentRecord, StoredMailbox};

use crate::ingest::{ArrivalKind, IntakeConfig};

/// How a placement is made.
#[derive(Debug, Clone)]
pub(crate) struct Mode {
    /// Apply the takeover guard and the may-open-a-case rule (off for operator exports and for released quarantine).
    pub apply_guard: bool,
    /// Put the message on this case, whatever it names (a person's decision).
    pub forced_case: Option<i64>,
    /// Who decided, for manual placements.
    pub actor: Option<String>,
    /// Store the Message-ID (off when another message already holds it).
    pub keep_message_id: bool,
    /// How a message put on `forced_case` is said to have found it (`manual` unless said).
    pub forced_matched_by: Option<MatchedBy>,
    /// Live intake (IMAP, LMTP, SMTP, the portal): a partner's mail may change the case's status.
    pub live: Option<crate::live::LiveOptions>,
}

/// What placing a live message did beyond putting it on a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum LiveEffect {
    /// Nothing more.
    #[default]
    None,
    /// The case's status moved (from, to).
    Moved(Status, Status),
    /// The mail opened a new case linked to this resolved one.
    NewLinked(i64),
    /// The case is cancelled: its owner is to be told.
    Flagged,
}

/// The result of placing one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Placed {
    /// On a case.
    OnCase {
        /// The case's number.
        number: CaseNumber,
        /// How it was matched.
        matched_by: MatchedBy,
        /// Whether the case was created for it.
        new_case: bool,
        /// The case's id.
        case_id: i64,
        /// Whether the sender is staff.
        staff: bool,
        /// What live intake did besides.
        effect: LiveEffect,
    },
    /// Refused; goes to quarantine with this reason.
    Refused {
        /// The reason's stable code.
        code: &'static str,
        /// The reason in words.
        reason: String,
    },
}

/// The address that speaks for the sender: the From address, or for an export the signature's.
pub(crate) fn sender_address(mail: &ParsedMail) -> Option<Address> {
    mail.from
        .as_ref()
        .and_then(|from| from.address.as_deref())
        .or_else(|| {
            if mail.from_export {
                mail.signature_addresses.first().map(String::as_str)
            } else {
                None
            }
        })
        .and_then(|address| address.parse().ok())
}

fn to_stored(mailboxes: &[mail::Mailbox]) -> Vec<StoredMailbox> {
    mailboxes
        .iter()
        .map(|m| StoredMailbox {
            name: m.name.clone(),
            address: m.address.clone(),
        })
        .collect()
}

/// The send time in UTC and the offset it was written with; `assume_zone` reads the wall time as that zone's.
pub(crate) fn sent_time(
    mail: &ParsedMail,
    config: &IntakeConfig,
    now: DateTime<Utc>,
) -> (i64, i32) {
    match (mail.date, config.assume_zone) {
        (Some(date), Some(zone)) => {
            let local = date.naive_local().and_local_timezone(zone).earliest();
            match local {
                Some(local) => (
                    local.timestamp_micros(),
                    local.fixed_offset().offset().local_minus_utc(),
                ),
                None => (date.timestamp_micros(), date.offset().local_minus_utc()),
            }
        }
        (Some(date), None) => (date.timestamp_micros(), date.offset().local_minus_utc()),
        (None, _) => (now.timestamp_micros(), 0),
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn place(
    tx: &mut IngestTx<'_>,
    config: &IntakeConfig,
    mail: &ParsedMail,
    subject: &case::subject::ParsedSubject,
    kind: ArrivalKind,
    raw_sha256: &str,
    fingerprint: &str,
    mode: &Mode,
    auth: Option<&case::auth::Verdict>,
    now: DateTime<Utc>,
    make_number: NumberMaker<'_>,
) -> Result<Placed, store::Error> {
    let export = kind == ArrivalKind::ExportChunk;
    let sender = sender_address(mail);
    let sender_facts = match &sender {
        Some(address) => tx.sender_facts(address.as_str()).await?,
        None => SenderFacts::default(),
    };

    let placement = match mode.forced_case {
        Some(case_id) => Placement::Existing {
            case: case_id,
            matched_by: mode.forced_matched_by.unwrap_or(MatchedBy::Manual),
            new_number_alias: None,
            new_token_alias: None,
        },
        None => {
            let mut reference_ids = mail.in_reply_to.clone();
            reference_ids.extend(mail.references.iter().rev().cloned());
            let by_references = tx.case_by_message_ids(&reference_ids).await?;
            let token = match &subject.token {
                Some(token) => Some(LabelLookup {
                    label: token.clone(),
                    case: tx.case_by_label(&token.to_string()).await?,
                }),
                None => None,
            };
            let number = match &subject.number {
                Some(number) => Some(LabelLookup {
                    label: number.clone(),
                    case: tx.case_by_label(&number.to_string()).await?,
                }),
                None => None,
            };
            let by_thread_index = match mail
                .thread_index
                .as_deref()
                .and_then(threading::thread_index_root)
            {
                Some(root) => tx.case_by_thread_index(&root).await?,
                None => None,
            };
            let mut facts = ThreadingFacts {
                by_references,
                token,
                number,
                by_thread_index,
                by_title: None,
            };
            let placement = threading::place(&facts);
            // Only a reply: the first message of a case the earlier system opened names its new
            // number without a reply prefix, and may share its title with another of the customer's cases.
            // A reply naming only a token nobody knows has often had its subject cut short, so
            // its title need only be similar.
            let token_only = matches!(placement, Placement::NewCase)
                && subject.number.is_none()
                && subject.token.is_some();
            if (matches!(placement, Placement::Adopt { .. }) || token_only)
                && subject.reply_depth > 0
            {
                facts.by_title =
                    case_by_title(tx, mail, subject, &sender_facts, config, now, token_only)
                        .await?;
                if facts.by_title.is_some() {
                    threading::place(&facts)
                } else {
                    placement
                }
            } else {
                placement
            }
        }
    };

    // Live mail onto a case resolved too long ago opens a new case linked to the old one.
    let mut effect = LiveEffect::None;
    let mut status_before = None;
    let mut placement = placement;
    let sender_is_staff = sender_facts.is_staff_member
        || sender_facts
            .org_by_domain
            .as_ref()
            .is_some_and(|org| org.is_staff);
    // A From address is easy to forge: live mail is judged on SPF, DKIM and DMARC first.
    let standing = match (&mode.live, mode.forced_case) {
        (Some(_), None) => {
            let staff_domains = tx.staff_domains().await?;
            let claims_staff = sender_is_staff
                || sender
                    .as_ref()
                    .is_some_and(|s| tx_staff_domain(&staff_domains, s));
            Some(case::auth::judge(auth, claims_staff))
        }
        _ => None,
    };
    if let Some(case::auth::Standing::Failed { reason }) = &standing {
        return Ok(Placed::Refused {
            code: "failed_authentication",
            reason: format!("{reason}; release it only if you know the sender wrote it"),
        });
    }
    let mut linked_by = None;
    if let (
        Some(live),
        Placement::Existing {
            case, matched_by, ..
        },
    ) = (&mode.live, &placement)
    {
        if mail.auto_submitted.is_none() && !sender_is_staff {
            let (status, changed_at) = tx.case_status(*case).await?;
            match case::status::on_partner_mail(
                status,
                changed_at,
                now.timestamp_micros(),
                live.reopen_window_micros,
            ) {
                MailEffect::NewLinkedCase => {
                    effect = LiveEffect::NewLinked(*case);
                    linked_by = Some(*matched_by);
                    placement = Placement::NewCase;
                }
                MailEffect::Move(to) => status_before = Some((status, to)),
                MailEffect::Flag => effect = LiveEffect::Flagged,
                MailEffect::Keep => {}
            }
        }
    }

    // Every author a From header names must pass the guard, not only the first (issue 7).
    let mut authors = vec![(sender.clone(), sender_facts.clone())];
    if mode.apply_guard && !export {
        for author in &mail.more_authors {
            let address: Option<Address> = author.address.as_deref().and_then(|a| a.parse().ok());
            let facts = match &address {
                Some(address) => tx.sender_facts(address.as_str()).await?,
                None => SenderFacts::default(),
            };
            authors.push((address, facts));
        }
    }
    let several = if authors.len() > 1 {
        format!(
            "the From header names {} addresses, and each must be allowed: ",
            authors.len()
        )
    } else {
        String::new()
    };
    let staff_domains = tx.staff_domains().await?;
    // The takeover guard of the case the message names: the case it goes onto, or the case
    // resolved long ago in whose name a reply opens a new one.
    let guarded = match (&placement, &effect) {
        (
            Placement::Existing {
                case, matched_by, ..
            },
            _,
        ) => Some((*case, *matched_by)),
        (_, LiveEffect::NewLinked(old)) => linked_by.map(|matched_by| (*old, matched_by)),
        _ => None,
    };
    if let (Some((case, matched_by)), true) = (guarded, mode.apply_guard && !export) {
        if let Some(refused) = guard_existing(
            tx,
            config,
            case,
            matched_by,
            &authors,
            &staff_domains,
            &several,
        )
        .await?
        {
            return Ok(refused);
        }
    }
    let (case_id, matched_by, new_case) = match placement {
        Placement::Existing {
            case,
            matched_by,
            new_number_alias,
            new_token_alias,
        } => {
            for alias in new_number_alias
                .map(|n| n.to_string())
                .into_iter()
                .chain(new_token_alias.map(|t| t.to_string()))
            {
                tx.add_alias(case, &alias).await?;
            }
            (
                case,
                if export && mode.forced_case.is_none() {
                    MatchedBy::Import
                } else {
                    matched_by
                },
                false,
            )
        }
        placement @ (Placement::Adopt { .. } | Placement::NewCase) => {
            if mode.apply_guard && !export {
                let refused = authors.iter().find_map(|(author, facts_of_author)| {
                    let standing = SenderStanding {
                        known_contact: facts_of_author.known_contact,
                        known_domain: facts_of_author.org_by_domain.is_some(),
                    };
                    guard::may_open_case(author.as_ref(), standing, &config.intake_addresses).err()
                });
                if let Some(refusal) = refused {
                    return Ok(Placed::Refused {
                        code: refusal_code(&refusal),
                        reason: format!(
                            "the message names no case Casebook knows and {several}{refusal}, so it may not open one; \
                             add the sender as a contact or their organization's domain, then release it"
                        ),
                    });
                }
            }
            let (number, token, matched_by) = match placement {
                Placement::Adopt { number, token } => (
                    Some(number),
                    token.map_or(
                        TokenChoice::New {
                            prefix: config.codec.token_prefix().to_string(),
                            start: config.token_start,
                        },
                        TokenChoice::Adopt,
                    ),
                    MatchedBy::Adopted,
                ),
                _ => (
                    None,
                    TokenChoice::New {
                        prefix: config.codec.token_prefix().to_string(),
                        start: config.token_start,
                    },
                    MatchedBy::NewCase,
                ),
            };
            let customer_org = match &subject.customer {
                Some(name) => tx.org_by_name(name).await?.map(|id| (id, name.clone())),
                None => None,
            };
            let sender_org = sender_facts
                .person_org
                .iter()
                .chain(sender_facts.org_by_domain.iter())
                .find(|org| !org.is_staff)
                .map(|org| (org.id, org.name.clone()));
            // Mail to a customer's own intake address (`acer-support@`) is that customer's.
            let routed = match mode
                .live
                .as_ref()
                .and_then(|live| live.routed_customer.as_deref())
            {
                Some(name) if subject.customer.is_none() => {
                    tx.org_by_name(name).await?.map(|id| (id, name.to_string()))
                }
                _ => None,
            };
            let customer_org = customer_org.or(routed).or(if subject.customer.is_none() {
                sender_org
            } else {
                None
            });
            let title = if subject.title.is_empty() {
                "(no subject)".to_string()
            } else {
                subject.title.clone()
            };
            let new = NewCase {
                number,
                token,
                title,
                priority: subject.priority.unwrap_or(config.default_priority),
                customer_org_id: customer_org.as_ref().map(|(id, _)| *id),
                customer: subject
                    .customer
                    .clone()
                    .or(customer_org.map(|(_, name)| name))
                    .unwrap_or_default(),
                stage: subject
                    .stage
                    .clone()
                    .unwrap_or_else(|| config.default_stage.clone()),
                product: None,
                version: None,
                split_from: match effect {
                    LiveEffect::NewLinked(old) => Some(old),
                    _ => None,
                },
            };
            // A case adopted from history, or opened by mail, began when its first message was sent.
            let (sent_at, _) = sent_time(mail, config, now);
            let case_id = tx
                .create_case(&new, make_number, sent_at.min(now.timestamp_micros()))
                .await?;
            (
                case_id,
                if export {
                    MatchedBy::Import
                } else {
                    matched_by
                },
                true,
            )
        }
    };

    let mut participants: Vec<String> = Vec::new();
    let mut add_participant = |address: &str| {
        if let Ok(parsed) = address.parse::<Address>() {
            if !config.intake_addresses.contains(&parsed)
                && !participants.contains(&parsed.to_string())
            {
                participants.push(parsed.to_string());
            }
        }
    };
    for mailbox in mail.from.iter().chain(&mail.to).chain(&mail.cc) {
        if let Some(address) = &mailbox.address {
            add_participant(address);
        }
    }
    for address in &mail.signature_addresses {
        add_participant(address);
    }
    tx.add_participants(case_id, &participants).await?;

    let sender_name = mail.from.as_ref().and_then(|from| from.name.clone());
    // Casebook writes from the intake address with the engineer's name: that is no person's.
    let from_intake = sender
        .as_ref()
        .is_some_and(|s| config.intake_addresses.contains(s));
    if let (false, Some(name)) = (
        from_intake,
        sender_name
            .as_deref()
            .or(sender.as_ref().map(Address::as_str)),
    ) {
        tx.ensure_person(
            name,
            sender.as_ref().map(Address::as_str),
            now.timestamp_micros(),
        )
        .await?;
    }
    let staff = from_intake
        || sender_facts.is_staff_member
        || sender_facts
            .org_by_domain
            .as_ref()
            .is_some_and(|org| org.is_staff)
        || sender.as_ref().is_some_and(|s| {
            staff_domains
                .iter()
                .any(|d| case::party::domain_within(s.domain(), d))
        });
    // Whether someone outside the staff is among the recipients decides whether partners may read the
    // email; a partner's own mail is public already, so their recipients need no look-up.
    let outside = |facts: &SenderFacts| {
        facts
            .person_org
            .iter()
            .chain(facts.org_by_domain.iter())
            .find(|org| !org.is_staff)
            .map(|org| org.id)
    };
    let mut outside_org = if staff { None } else { outside(&sender_facts) };
    let mut recipients_are_staff = Vec::new();
    if staff && !export {
        for mailbox in mail.to.iter().chain(&mail.cc) {
            let Some(address) = mailbox
                .address
                .as_deref()
                .and_then(|address| address.parse::<Address>().ok())
            else {
                continue;
            };
            let in_staff_domain = config.intake_addresses.contains(&address)
                || staff_domains
                    .iter()
                    .any(|d| case::party::domain_within(address.domain(), d));
            // Recipients were looked up with the batch's senders (prefetched).
            let facts = tx.sender_facts(address.as_str()).await?;
            let is_staff = in_staff_domain
                || facts.is_staff_member
                || facts.org_by_domain.as_ref().is_some_and(|org| org.is_staff);
            recipients_are_staff.push(is_staff);
            if !is_staff {
                outside_org = outside(&facts);
                break;
            }
        }
    }
    let visibility = Visibility::of_email(export, staff, recipients_are_staff);
    let (sent_at, sent_offset) = sent_time(mail, config, now);
    let message = NewMessage {
        case_id,
        raw_sha256: raw_sha256.to_string(),
        message_id: mail.message_id.clone().filter(|_| mode.keep_message_id),
        fingerprint: fingerprint.to_string(),
        direction: if staff {
            EntryKind::OutboundEmail
        } else {
            EntryKind::InboundEmail
        },
        from_name: sender_name,
        from_address: sender.as_ref().map(ToString::to_string),
        to: to_stored(&mail.to),
        cc: to_stored(&mail.cc),
        subject: mail.subject.clone(),
        sent_at,
        sent_offset,
        body_text: mail.body_text.clone(),
        quoted_from: mail
            .quoted_from
            .and_then(|offset| u64::try_from(offset).ok()),
        matched_by,
        thread_index_root: mail
            .thread_index
            .as_deref()
            .and_then(threading::thread_index_root),
        problems_json: serde_json::to_string(&mail.problems).unwrap_or_else(|_| "[]".into()),
        received_at: now.timestamp_micros(),
        attachments: mail
            .attachments
            .iter()
            .map(|a| AttachmentRecord {
                filename: a.filename.clone(),
                content_type: a.content_type.clone(),
                size: u64::try_from(a.size).unwrap_or(u64::MAX),
                sha256: a.sha256.clone(),
            })
            .collect(),
        actor: mode.actor.clone(),
        visibility,
        org_id: outside_org.filter(|_| !export),
        authentication: standing.as_ref().map(|standing| {
            let mut value = serde_json::to_value(standing).unwrap_or_default();
            value["verdict"] = serde_json::to_value(auth).unwrap_or_default();
            value
        }),
    };
    tx.insert_message(&message).await?;
    if let (Some((from, to)), false) = (status_before, staff) {
        tx.status_by_mail(
            case_id,
            from,
            to,
            sender.as_ref().map(Address::as_str),
            now.timestamp_micros(),
        )
        .await?;
        effect = LiveEffect::Moved(from, to);
    }
    if staff && effect == LiveEffect::Flagged {
        effect = LiveEffect::None;
    }
    let number = tx.case_number(case_id).await?;
    Ok(Placed::OnCase {
        number,
        matched_by,
        new_case,
        case_id,
        staff,
        effect,
    })
}

/// The takeover guard for mail onto an existing case: every author must be allowed there.
/// `Some` is the refusal to quarantine with.
async fn guard_existing(
    tx: &mut IngestTx<'_>,
    config: &IntakeConfig,
    case: i64,
    matched_by: MatchedBy,
    authors: &[(Option<Address>, SenderFacts)],
    staff_domains: &[String],
    several: &str,
) -> Result<Option<Placed>, store::Error> {
    let facts = tx.guard_facts(case).await?;
    let participants: Vec<Address> = facts
        .participants
        .iter()
        .filter_map(|a| a.parse().ok())
        .collect();
    let refused = authors.iter().find_map(|(author, facts_of_author)| {
        let context = GuardContext {
            participants: &participants,
            case_org_domains: &facts.org_domains,
            staff_domains,
            sender_is_staff_member: facts_of_author.is_staff_member,
            intake_addresses: &config.intake_addresses,
        };
        guard::check(author.as_ref(), &context).err()
    });
    let Some(refusal) = refused else {
        return Ok(None);
    };
    let number = tx.case_number(case).await?;
    Ok(Some(Placed::Refused {
        code: refusal_code(&refusal),
        reason: format!(
            "the message names case {number} (by {matched_by}) but {several}{refusal}; attach it to the case if the sender belongs, or leave it"
        ),
    }))
}

fn tx_staff_domain(staff_domains: &[String], sender: &Address) -> bool {
    staff_domains
        .iter()
        .any(|d| case::party::domain_within(sender.domain(), d))
}

/// How far back a case may have been opened for a number to join it by title.
const TITLE_WINDOW_DAYS: i64 = 120;

/// A case Casebook opened itself that this message's title and people point at (for a number it does not know).
async fn case_by_title(
    tx: &mut IngestTx<'_>,
    mail: &ParsedMail,
    subject: &case::subject::ParsedSubject,
    sender_facts: &SenderFacts,
    config: &IntakeConfig,
    now: DateTime<Utc>,
    similar: bool,
) -> Result<Option<i64>, store::Error> {
    let customer = match &subject.customer {
        Some(name) => tx.org_by_name(name).await?,
        None => None,
    };
    let customer = customer.or_else(|| {
        sender_facts
            .person_org
            .iter()
            .chain(sender_facts.org_by_domain.iter())
            .find(|org| !org.is_staff)
            .map(|org| org.id)
    });
    let Some(customer) = customer else {
        return Ok(None);
    };
    let addresses: Vec<String> = mail
        .from
        .iter()
        .chain(&mail.to)
        .chain(&mail.cc)
        .filter_map(|mailbox| mailbox.address.as_deref())
        .filter_map(|address| address.parse::<Address>().ok())
        .filter(|address| !config.intake_addresses.contains(address))
        .map(|address| address.to_string())
        .collect();
    let (sent_at, _) = sent_time(mail, config, now);
    let since = sent_at.saturating_sub(TITLE_WINDOW_DAYS * 86_400 * 1_000_000);
    tx.case_by_title(customer, &subject.title, &addresses, since, similar)
        .await
}

fn refusal_code(refusal: &GuardRefusal) -> &'static str {
    match refusal {
        GuardRefusal::NotAParticipant { .. } => "not_a_participant",
        GuardRefusal::UnknownSender { .. } => "unknown_sender",
        GuardRefusal::NoSender => "no_sender",
        GuardRefusal::FromIntake { .. } => "from_intake_address",
    }
}
