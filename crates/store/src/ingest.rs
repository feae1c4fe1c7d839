//! The writes of the ingest path, in one transaction per batch.
//!
//! `intake::ingest` decides (with `case::threading` and `case::guard`);
//! this module only looks facts up and writes. The transaction holds the
//! writer lock from its start, so two imports running at once (two
//! processes, or two instances on one PostgreSQL) see each other's messages
//! and never double or lose one; unique constraints on raw hashes and
//! Message-IDs back that up.

use case::{EntryKind, MatchedBy};
use sqlx::Row;

use crate::cases::{self, CaseRecord, NewCase, NumberMaker};
use crate::quarantine::QuarantineRecord;
use crate::timeline::{AttachmentRecord, StoredMailbox};
use crate::{orgs, Error, Result, Store};
use case::CaseNumber;
use std::collections::HashMap;

/// An open ingest transaction.
///
/// It caches what it reads and keeps the caches true as it writes: facts
/// that only this transaction changes (it holds the writer lock) are read
/// once per batch, not once per message.
pub struct IngestTx<'s> {
    store: &'s Store,
    tx: sqlx::Transaction<'static, sqlx::Any>,
    staff_domains: Option<Vec<String>>,
    senders: HashMap<String, SenderFacts>,
    guards: HashMap<i64, CaseGuardFacts>,
    people: HashMap<(String, Option<String>), i64>,
    numbers: HashMap<i64, CaseNumber>,
    received: i64,
    duplicates: i64,
}

/// What is stored under a Message-ID already.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownMessage {
    /// The stored copy's content fingerprint.
    pub fingerprint: String,
    /// The stored copy's sender.
    pub from_address: Option<String>,
    /// Whether the stored copy is in quarantine rather than on a case.
    pub in_quarantine: bool,
}

/// What the guard needs to know about a case.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CaseGuardFacts {
    /// Addresses seen on the case or linked to it.
    pub participants: Vec<String>,
    /// The customer organization's domains.
    pub org_domains: Vec<String>,
}

/// What is known about a sender address.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SenderFacts {
    /// A person has this address.
    pub known_contact: bool,
    /// That person is linked to the staff organization.
    pub is_staff_member: bool,
    /// The organization whose domain the address is in.
    pub org_by_domain: Option<DomainOrg>,
    /// The organization the person is linked to, if any.
    pub person_org: Option<DomainOrg>,
}

/// An organization found for a sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainOrg {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Whether it is the staff organization.
    pub is_staff: bool,
}

/// A message to put on a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    /// The case.
    pub case_id: i64,
    /// SHA-256 of the raw bytes (already recorded).
    pub raw_sha256: String,
    /// The Message-ID, if any.
    pub message_id: Option<String>,
    /// The content fingerprint.
    pub fingerprint: String,
    /// Inbound or outbound.
    pub direction: EntryKind,
    /// The sender's name.
    pub from_name: Option<String>,
    /// The sender's address.
    pub from_address: Option<String>,
    /// To recipients.
    pub to: Vec<StoredMailbox>,
    /// Cc recipients.
    pub cc: Vec<StoredMailbox>,
    /// The subject.
    pub subject: String,
    /// Send time, microseconds since the epoch (UTC).
    pub sent_at: i64,
    /// The offset it was written with, seconds east of UTC.
    pub sent_offset: i32,
    /// The readable body.
    pub body_text: String,
    /// Where quoted history begins, in bytes.
    pub quoted_from: Option<u64>,
    /// How the message found its case.
    pub matched_by: MatchedBy,
    /// Outlook's Thread-Index root, hex.
    pub thread_index_root: Option<String>,
    /// Parsing problems, as JSON.
    pub problems_json: String,
    /// When it arrived, microseconds since the epoch (UTC).
    pub received_at: i64,
    /// Its attachments (blobs already stored).
    pub attachments: Vec<AttachmentRecord>,
    /// Who put it there, for manual placements.
    pub actor: Option<String>,
}

/// A message to quarantine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewQuarantine {
    /// SHA-256 of the raw bytes (already recorded).
    pub raw_sha256: String,
    /// The reason's stable code.
    pub reason_code: String,
    /// The reason in words.
    pub reason: String,
    /// The sender, if read.
    pub from_address: Option<String>,
    /// The subject, if read.
    pub subject: Option<String>,
    /// The Message-ID, if read.
    pub message_id: Option<String>,
    /// The content fingerprint, if the message could be read.
    pub fingerprint: Option<String>,
    /// Where it came from.
    pub origin: String,
    /// When it arrived.
    pub received_at: i64,
}

impl Store {
    /// Starts an ingest transaction (taking the writer lock).
    pub async fn begin_ingest(&self) -> Result<IngestTx<'_>> {
        Ok(IngestTx {
            store: self,
            tx: self.write_tx().await?,
            staff_domains: None,
            senders: HashMap::new(),
            guards: HashMap::new(),
            people: HashMap::new(),
            numbers: HashMap::new(),
            received: 0,
            duplicates: 0,
        })
    }
}

impl IngestTx<'_> {
    /// Counts one arrival, and one duplicate if it was one (written at commit, in the same transaction).
    pub fn count_arrival(&mut self, duplicate: bool) {
        self.received += 1;
        self.duplicates += i64::from(duplicate);
    }

    /// Records a raw message; returns false if it was already recorded.
    pub async fn record_raw(&mut self, sha256: &str, size: u64, now: i64) -> Result<bool> {
        let inserted = sqlx::query("INSERT INTO raw_messages (sha256, size, stored_at) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO NOTHING")
            .bind(sha256)
            .bind(crate::to_i64(size))
            .bind(now)
            .execute(&mut *self.tx)
            .await?
            .rows_affected();
        Ok(inserted == 1)
    }

    /// What is stored under this Message-ID, on a case or in quarantine.
    pub async fn known_message_id(&mut self, message_id: &str) -> Result<Option<KnownMessage>> {
        let row =
            sqlx::query("SELECT fingerprint, from_address FROM messages WHERE message_id = $1")
                .bind(message_id)
                .fetch_optional(&mut *self.tx)
                .await?;
        if let Some(row) = row {
            return Ok(Some(KnownMessage {
                fingerprint: row.try_get("fingerprint")?,
                from_address: row.try_get("from_address")?,
                in_quarantine: false,
            }));
        }
        let row = sqlx::query("SELECT fingerprint, from_address FROM quarantine WHERE message_id = $1 AND fingerprint IS NOT NULL ORDER BY id LIMIT 1")
            .bind(message_id)
            .fetch_optional(&mut *self.tx)
            .await?;
        match row {
            Some(row) => Ok(Some(KnownMessage {
                fingerprint: row
                    .try_get::<Option<String>, _>("fingerprint")?
                    .unwrap_or_default(),
                from_address: row.try_get("from_address")?,
                in_quarantine: true,
            })),
            None => Ok(None),
        }
    }

    /// The case of the first of these Message-IDs that is stored on a case.
    pub async fn case_by_message_ids(&mut self, message_ids: &[String]) -> Result<Option<i64>> {
        // One query for all of them (at most 100: longer References lists keep their newest ids).
        let wanted: Vec<&String> = message_ids.iter().take(100).collect();
        if wanted.is_empty() {
            return Ok(None);
        }
        let placeholders: Vec<String> = (1..=wanted.len()).map(|n| format!("${n}")).collect();
        let sql = format!(
            "SELECT message_id, case_id FROM messages WHERE message_id IN ({})",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for message_id in &wanted {
            query = query.bind(message_id.as_str());
        }
        let found: HashMap<String, i64> = query
            .fetch_all(&mut *self.tx)
            .await?
            .iter()
            .map(|row| Ok((row.try_get("message_id")?, row.try_get("case_id")?)))
            .collect::<Result<_>>()?;
        Ok(wanted
            .iter()
            .find_map(|message_id| found.get(message_id.as_str()).copied()))
    }

    /// The case a label points at.
    pub async fn case_by_label(&mut self, label: &str) -> Result<Option<i64>> {
        cases::case_id_by_label(&mut self.tx, &cases::canonical_label(label)).await
    }

    /// The case of a message with this Thread-Index root.
    pub async fn case_by_thread_index(&mut self, root: &str) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT case_id FROM messages WHERE thread_index_root = $1 ORDER BY id LIMIT 1",
        )
        .bind(root)
        .fetch_optional(&mut *self.tx)
        .await?)
    }

    /// The case itself.
    pub async fn case_record(&mut self, case_id: i64) -> Result<CaseRecord> {
        cases::case_by_id(&mut self.tx, case_id).await
    }

    /// The case's number.
    pub async fn case_number(&mut self, case_id: i64) -> Result<CaseNumber> {
        if let Some(number) = self.numbers.get(&case_id) {
            return Ok(number.clone());
        }
        let text: String = sqlx::query_scalar("SELECT number FROM cases WHERE id = $1")
            .bind(case_id)
            .fetch_one(&mut *self.tx)
            .await?;
        let number: CaseNumber = text
            .parse()
            .map_err(|_| Error::Corrupt(format!("case {case_id} has number '{text}'")))?;
        self.numbers.insert(case_id, number.clone());
        Ok(number)
    }

    /// What the guard needs about a case.
    pub async fn guard_facts(&mut self, case_id: i64) -> Result<CaseGuardFacts> {
        if let Some(facts) = self.guards.get(&case_id) {
            return Ok(facts.clone());
        }
        let participants =
            sqlx::query_scalar("SELECT address FROM case_participants WHERE case_id = $1")
                .bind(case_id)
                .fetch_all(&mut *self.tx)
                .await?;
        let org_domains = sqlx::query_scalar(
            "SELECT d.domain FROM cases c JOIN org_domains d ON d.org_id = c.customer_org_id WHERE c.id = $1",
        )
        .bind(case_id)
        .fetch_all(&mut *self.tx)
        .await?;
        let facts = CaseGuardFacts {
            participants,
            org_domains,
        };
        self.guards.insert(case_id, facts.clone());
        Ok(facts)
    }

    /// The staff organization's domains (read once per transaction).
    pub async fn staff_domains(&mut self) -> Result<Vec<String>> {
        if let Some(domains) = &self.staff_domains {
            return Ok(domains.clone());
        }
        let domains: Vec<String> =
            sqlx::query_scalar("SELECT d.domain FROM org_domains d JOIN organizations o ON o.id = d.org_id WHERE o.is_staff = 1")
                .fetch_all(&mut *self.tx)
                .await?;
        self.staff_domains = Some(domains.clone());
        Ok(domains)
    }

    /// What is known about a sender address.
    pub async fn sender_facts(&mut self, address: &str) -> Result<SenderFacts> {
        if let Some(facts) = self.senders.get(address) {
            return Ok(facts.clone());
        }
        let facts = self.read_sender_facts(address).await?;
        self.senders.insert(address.to_string(), facts.clone());
        Ok(facts)
    }

    async fn read_sender_facts(&mut self, address: &str) -> Result<SenderFacts> {
        let person = sqlx::query(
            "SELECT p.id, o.id AS org_id, o.name AS org_name, COALESCE(o.is_staff, 0) AS is_staff FROM person_addresses a \
             JOIN people p ON p.id = a.person_id LEFT JOIN organizations o ON o.id = p.org_id WHERE a.address = $1",
        )
        .bind(address)
        .fetch_optional(&mut *self.tx)
        .await?;
        let domain = address.rsplit_once('@').map_or("", |(_, domain)| domain);
        // The address's domain and each parent domain, most specific first.
        let mut org_by_domain = None;
        let mut candidate = domain;
        while !candidate.is_empty() {
            let row = sqlx::query(
                "SELECT o.id, o.name, o.is_staff FROM org_domains d JOIN organizations o ON o.id = d.org_id WHERE d.domain = $1",
            )
            .bind(candidate)
            .fetch_optional(&mut *self.tx)
            .await?;
            if let Some(row) = row {
                org_by_domain = Some(DomainOrg {
                    id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    is_staff: row.try_get::<i64, _>("is_staff")? != 0,
                });
                break;
            }
            candidate = candidate.split_once('.').map_or("", |(_, parent)| parent);
        }
        Ok(SenderFacts {
            known_contact: person.is_some(),
            is_staff_member: match &person {
                Some(row) => row.try_get::<i64, _>("is_staff")? != 0,
                None => false,
            },
            person_org: match &person {
                Some(row) => match row.try_get::<Option<i64>, _>("org_id")? {
                    Some(id) => Some(DomainOrg {
                        id,
                        name: row.try_get("org_name")?,
                        is_staff: row.try_get::<i64, _>("is_staff")? != 0,
                    }),
                    None => None,
                },
                None => None,
            },
            org_by_domain,
        })
    }

    /// The id of the organization with this name (case-insensitive).
    pub async fn org_by_name(&mut self, name: &str) -> Result<Option<i64>> {
        Ok(
            sqlx::query_scalar("SELECT id FROM organizations WHERE name_key = $1")
                .bind(name.trim().to_lowercase())
                .fetch_optional(&mut *self.tx)
                .await?,
        )
    }

    /// Creates a case; returns its id.
    pub async fn create_case(
        &mut self,
        new: &NewCase,
        make_number: NumberMaker<'_>,
        now: i64,
    ) -> Result<i64> {
        cases::insert_case(self.store, &mut self.tx, new, make_number, None, now).await
    }

    /// Points another label (an alias found in mail) at a case; a label already taken is left alone.
    pub async fn add_alias(&mut self, case_id: i64, label: &str) -> Result<bool> {
        cases::add_label(
            &mut self.tx,
            &cases::canonical_label(label),
            "alias",
            case_id,
            None,
        )
        .await
    }

    /// Adds addresses to a case's participants.
    pub async fn add_participants(&mut self, case_id: i64, addresses: &[String]) -> Result<()> {
        let known = self
            .guards
            .get(&case_id)
            .map(|facts| facts.participants.clone())
            .unwrap_or_default();
        for address in addresses.iter().filter(|address| !known.contains(address)) {
            sqlx::query("INSERT INTO case_participants (case_id, address) VALUES ($1, $2) ON CONFLICT (case_id, address) DO NOTHING")
                .bind(case_id)
                .bind(address)
                .execute(&mut *self.tx)
                .await?;
            if let Some(facts) = self.guards.get_mut(&case_id) {
                facts.participants.push(address.clone());
            }
        }
        Ok(())
    }

    /// Finds or creates the person with this address (or, without one, this name).
    pub async fn ensure_person(
        &mut self,
        name: &str,
        address: Option<&str>,
        now: i64,
    ) -> Result<i64> {
        let key = (name.to_string(), address.map(str::to_string));
        if let Some(id) = self.people.get(&key) {
            return Ok(*id);
        }
        let id = orgs::ensure_person(&mut self.tx, name, address, now).await?;
        self.people.insert(key, id);
        if let Some(facts) = address.and_then(|address| self.senders.get_mut(address)) {
            facts.known_contact = true;
        }
        Ok(id)
    }

    /// Puts a message on a case, with its attachments and timeline entry; returns its row id.
    pub async fn insert_message(&mut self, message: &NewMessage) -> Result<i64> {
        let to = serde_json::to_string(&message.to)
            .map_err(|error| Error::Corrupt(error.to_string()))?;
        let cc = serde_json::to_string(&message.cc)
            .map_err(|error| Error::Corrupt(error.to_string()))?;
        let row_id: i64 = sqlx::query_scalar(
            "INSERT INTO messages (case_id, raw_sha256, message_id, fingerprint, direction, from_name, from_address, to_json, cc_json, \
             subject, sent_at, sent_offset, body_text, quoted_from, matched_by, thread_index_root, problems_json, received_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) RETURNING id",
        )
        .bind(message.case_id)
        .bind(&message.raw_sha256)
        .bind(&message.message_id)
        .bind(&message.fingerprint)
        .bind(message.direction.as_str())
        .bind(&message.from_name)
        .bind(&message.from_address)
        .bind(to)
        .bind(cc)
        .bind(&message.subject)
        .bind(message.sent_at)
        .bind(i64::from(message.sent_offset))
        .bind(&message.body_text)
        .bind(message.quoted_from.map(crate::to_i64))
        .bind(message.matched_by.as_str())
        .bind(&message.thread_index_root)
        .bind(&message.problems_json)
        .bind(message.received_at)
        .fetch_one(&mut *self.tx)
        .await?;
        for attachment in &message.attachments {
            sqlx::query("INSERT INTO attachments (message_row_id, filename, content_type, size, sha256) VALUES ($1, $2, $3, $4, $5)")
                .bind(row_id)
                .bind(&attachment.filename)
                .bind(&attachment.content_type)
                .bind(crate::to_i64(attachment.size))
                .bind(&attachment.sha256)
                .execute(&mut *self.tx)
                .await?;
        }
        let data = serde_json::json!({ "matched_by": message.matched_by.as_str() });
        cases::insert_event(
            &mut self.tx,
            message.case_id,
            message.direction,
            message.sent_at,
            message.actor.as_deref(),
            Some(row_id),
            &data,
        )
        .await?;
        cases::touch(
            &mut self.tx,
            message.case_id,
            message.sent_at.max(message.received_at),
        )
        .await?;
        Ok(row_id)
    }

    /// Puts a message in quarantine; returns the entry's id.
    pub async fn quarantine(&mut self, entry: &NewQuarantine) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO quarantine (raw_sha256, reason_code, reason, from_address, subject, message_id, fingerprint, origin, received_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(&entry.raw_sha256)
        .bind(&entry.reason_code)
        .bind(&entry.reason)
        .bind(&entry.from_address)
        .bind(&entry.subject)
        .bind(&entry.message_id)
        .bind(&entry.fingerprint)
        .bind(&entry.origin)
        .bind(entry.received_at)
        .fetch_one(&mut *self.tx)
        .await?)
    }

    /// An open quarantine entry, read under the writer lock so two people cannot both act on it.
    pub async fn open_quarantine_entry(&mut self, id: i64) -> Result<QuarantineRecord> {
        let entry = crate::quarantine::entry(&mut self.tx, id)
            .await?
            .ok_or_else(|| Error::NotFound {
                what: "quarantine entry",
                label: id.to_string(),
            })?;
        if let (Some(resolution), Some(_)) = (&entry.resolution, entry.resolved_at) {
            return Err(Error::Conflict(format!(
                "quarantine entry {id} was already {resolution}"
            )));
        }
        Ok(entry)
    }

    /// Marks a quarantine entry decided.
    pub async fn resolve_quarantine(
        &mut self,
        id: i64,
        resolution: &str,
        case_id: Option<i64>,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE quarantine SET resolved_at = $1, resolution = $2, case_id = $3 WHERE id = $4",
        )
        .bind(now)
        .bind(resolution)
        .bind(case_id)
        .bind(id)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Writes the arrival counts and commits everything.
    pub async fn commit(mut self) -> Result<()> {
        for (name, value) in [("received", self.received), ("duplicates", self.duplicates)] {
            if value > 0 {
                sqlx::query("UPDATE counters SET value = value + $1 WHERE name = $2")
                    .bind(value)
                    .bind(name)
                    .execute(&mut *self.tx)
                    .await?;
            }
        }
        self.tx.commit().await?;
        Ok(())
    }
}
