//! The writes of the ingest path, in one transaction per batch.
//!
//! `intake::ingest` decides (with `case::threading` and `case::guard`);
//! this module only looks facts up and writes. The transaction holds the
//! writer lock from its start, so two imports running at once (two
//! processes, or two instances on one PostgreSQL) see each other's messages
//! and never double or lose one; unique constraints on raw hashes and
//! Message-IDs back that up.
//!
//! A batch costs few round trips: [`IngestTx::prefetch`] reads what the
//! batch's raw hashes and Message-IDs already are in a few `IN (…)`
//! queries; what the batch itself adds is kept in memory (so the tenth
//! message sees the third); and messages, attachments, timeline entries and
//! participants are written at [`IngestTx::commit`] as multi-row inserts.
//! Message ids are given out here, under the writer lock: every message row
//! is written by this module.

mod live;

use std::collections::{HashMap, HashSet, VecDeque};

use case::{CaseNumber, EntryKind, Event, MatchedBy, Status, TrackingToken, Visibility};
use sqlx::Row;

use crate::blob::{self, BlobKey, BlobKind, PackLocation, PendingFlush};
use crate::cases::{self, NewCase, NumberMaker, TokenChoice};
use crate::quarantine::QuarantineRecord;
use crate::timeline::{AttachmentRecord, StoredMailbox};
use crate::{orgs, Backend, Error, Result, Store};

/// A value for a multi-row insert, typed so that NULLs carry their column's type.
#[derive(Debug, Clone)]
pub(crate) enum Param {
    Int(Option<i64>),
    Text(Option<String>),
}

/// What the batch knows about one Message-ID.
#[derive(Debug, Clone)]
struct IdFacts {
    /// On a case: its id, the copy's fingerprint and sender.
    on_case: Option<(i64, String, Option<String>)>,
    /// In quarantine (readable): the copy's fingerprint and sender.
    in_quarantine: Option<(String, Option<String>)>,
}

/// An open ingest transaction.
///
/// It caches what it reads and keeps the caches true as it writes: facts
/// that only this transaction changes (it holds the writer lock) are read
/// once per batch, not once per message.
pub struct IngestTx<'s> {
    store: &'s Store,
    tx: sqlx::Transaction<'static, sqlx::Any>,
    /// Organizations by domain and by name (read once per transaction: the ingest path never adds one).
    orgs: Option<OrgDirectory>,
    /// Labels looked up or added by this batch: the case each names, or `None`.
    labels: HashMap<String, Option<i64>>,
    /// Cases that got an alias shaped like a case number in this batch.
    number_aliased: HashSet<i64>,
    /// Values of `case_seq` that labels hold: a window read from the database, and this batch's.
    seq_window: (u64, u64),
    taken_seqs: HashSet<u64>,
    /// The last value this batch took from each sequence, and the last it used (written at commit).
    sequences: HashMap<&'static str, u64>,
    used_sequences: HashMap<&'static str, u64>,
    /// Case numbers and tokens taken from the sequences and checked free, not used yet.
    reserved_numbers: VecDeque<CaseNumber>,
    reserved_tokens: VecDeque<(u64, TrackingToken)>,
    /// Ids for new cases: the next one (SQLite), or ids reserved from the identity (PostgreSQL).
    next_case_id: Option<i64>,
    reserved_case_ids: VecDeque<i64>,
    /// Cases this batch opened (written at commit): what `case_by_title` must see of them.
    new_cases: Vec<OpenedCase>,
    /// People by address (`None`: nobody has it), and names known to be theirs.
    person_ids: HashMap<String, Option<i64>>,
    person_names: HashMap<i64, HashSet<String>>,
    senders: HashMap<String, SenderFacts>,
    guards: HashMap<i64, CaseGuardFacts>,
    people: HashMap<(String, Option<String>), i64>,
    numbers: HashMap<i64, CaseNumber>,
    /// Raw hashes known to be stored (prefetched or written by this batch).
    raw_known: HashSet<String>,
    /// Raw hashes known not to be stored before this batch.
    raw_absent: HashSet<String>,
    /// Where this batch's pack put each raw message it holds.
    raw_locations: HashMap<String, PackLocation>,
    /// Message-IDs looked up (prefetched or asked), and what they are.
    ids: HashMap<String, IdFacts>,
    /// Thread-Index roots of this batch's messages.
    thread_roots: HashMap<String, Option<i64>>,
    next_message_id: Option<i64>,
    /// Packs being flushed; the commit waits for them.
    pending_flushes: Vec<PendingFlush>,
    pending_raw: Vec<Vec<Param>>,
    pending_messages: Vec<Vec<Param>>,
    pending_attachments: Vec<Vec<Param>>,
    pending_timeline: Vec<Vec<Param>>,
    pending_participants: Vec<Vec<Param>>,
    pending_cases: Vec<Vec<Param>>,
    pending_labels: Vec<Vec<Param>>,
    pending_person_names: Vec<Vec<Param>>,
    pending_outbox: Vec<Vec<Param>>,
    /// The row id the last `insert_message` gave out.
    last_message_row: Option<i64>,
    touched: HashMap<i64, i64>,
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
    /// The customer organization (the organization the case's entries come from).
    pub customer_org_id: Option<i64>,
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
    /// Who may read it ([`Visibility::of_email`]).
    pub visibility: Visibility,
    /// The outside party's organization, when known ([`case::access::email_entry`]).
    pub org_id: Option<i64>,
    /// Sender authentication (live intake): the standing and the verdict, kept on the entry.
    pub authentication: Option<serde_json::Value>,
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
            orgs: None,
            labels: HashMap::new(),
            number_aliased: HashSet::new(),
            seq_window: (0, 0),
            taken_seqs: HashSet::new(),
            sequences: HashMap::new(),
            used_sequences: HashMap::new(),
            reserved_numbers: VecDeque::new(),
            reserved_tokens: VecDeque::new(),
            next_case_id: None,
            reserved_case_ids: VecDeque::new(),
            new_cases: Vec::new(),
            person_ids: HashMap::new(),
            person_names: HashMap::new(),
            senders: HashMap::new(),
            guards: HashMap::new(),
            people: HashMap::new(),
            numbers: HashMap::new(),
            raw_known: HashSet::new(),
            raw_absent: HashSet::new(),
            raw_locations: HashMap::new(),
            ids: HashMap::new(),
            thread_roots: HashMap::new(),
            next_message_id: None,
            pending_flushes: Vec::new(),
            pending_raw: Vec::new(),
            pending_messages: Vec::new(),
            pending_attachments: Vec::new(),
            pending_timeline: Vec::new(),
            pending_participants: Vec::new(),
            pending_cases: Vec::new(),
            pending_labels: Vec::new(),
            pending_person_names: Vec::new(),
            pending_outbox: Vec::new(),
            last_message_row: None,
            touched: HashMap::new(),
            received: 0,
            duplicates: 0,
        })
    }
}

/// Rows per multi-row statement: well under both backends' limits on bound values.
pub(crate) const ROWS_PER_STATEMENT: usize = 200;

/// The placeholder for the `n`th bound value (1-based).
///
/// SQLite looks a numbered parameter's name up by walking a list of all of them, and sqlx asks
/// for every parameter's name, so `$N` makes binding quadratic in the number of values: with
/// multi-row inserts it dominated the ingest profile. Anonymous `?` parameters have no names.
pub(crate) fn placeholder(backend: Backend, n: usize) -> String {
    match backend {
        Backend::Sqlite => "?".to_string(),
        Backend::Postgres => format!("${n}"),
    }
}

/// Runs `INSERT INTO table (columns) VALUES (…), (…) suffix` over `rows`, in chunks.
pub(crate) async fn insert_rows(
    backend: Backend,
    tx: &mut sqlx::AnyConnection,
    table: &str,
    columns: &[&str],
    rows: &[Vec<Param>],
    suffix: &str,
) -> Result<()> {
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
        let mut n = 0;
        for (index, row) in chunk.iter().enumerate() {
            if index > 0 {
                sql.push_str(", ");
            }
            let placeholders: Vec<String> = row
                .iter()
                .map(|_| {
                    n += 1;
                    placeholder(backend, n)
                })
                .collect();
            sql.push_str(&format!("({})", placeholders.join(", ")));
        }
        sql.push(' ');
        sql.push_str(suffix);
        let mut query = sqlx::query(&sql);
        for value in chunk.iter().flatten() {
            query = match value {
                Param::Int(value) => query.bind(*value),
                Param::Text(value) => query.bind(value.clone()),
            };
        }
        query.execute(&mut *tx).await?;
    }
    Ok(())
}

/// The last value a named sequence (`case_seq`, `token_seq`) gave out, read under the writer lock.
pub(crate) async fn last_seq_value(
    backend: Backend,
    tx: &mut sqlx::AnyConnection,
    name: &'static str,
) -> Result<u64> {
    Ok(match backend {
        Backend::Sqlite => crate::to_u64(
            sqlx::query_scalar("SELECT value FROM counters WHERE name = $1")
                .bind(name)
                .fetch_one(&mut *tx)
                .await?,
        ),
        Backend::Postgres => {
            let (last, called): (i64, bool) =
                sqlx::query_as(&format!("SELECT last_value, is_called FROM {name}"))
                    .fetch_one(&mut *tx)
                    .await?;
            crate::to_u64(if called { last } else { last - 1 })
        }
    })
}

/// Records the last value used from a named sequence, under the writer lock.
pub(crate) async fn set_seq_value(
    backend: Backend,
    tx: &mut sqlx::AnyConnection,
    name: &'static str,
    value: u64,
) -> Result<()> {
    match backend {
        Backend::Sqlite => {
            sqlx::query("UPDATE counters SET value = $1 WHERE name = $2")
                .bind(crate::to_i64(value))
                .bind(name)
                .execute(&mut *tx)
                .await?;
        }
        Backend::Postgres => {
            sqlx::query(&format!("SELECT setval('{name}', $1)"))
                .bind(crate::to_i64(value))
                .execute(&mut *tx)
                .await?;
        }
    }
    Ok(())
}

/// Moves each case's `updated_at` forward to at least the given time, in a few statements.
async fn touch_cases(
    backend: Backend,
    tx: &mut sqlx::AnyConnection,
    touched: &[(i64, i64)],
) -> Result<()> {
    for chunk in touched.chunks(ROWS_PER_STATEMENT) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| {
                format!(
                    "({}, {})",
                    placeholder(backend, 2 * i + 1),
                    placeholder(backend, 2 * i + 2)
                )
            })
            .collect();
        let sql = format!(
            "UPDATE cases SET updated_at = CASE WHEN updated_at > v.at THEN updated_at ELSE v.at END \
             FROM (SELECT column1 AS id, column2 AS at FROM (VALUES {}) AS t) AS v WHERE cases.id = v.id",
            values.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for (case_id, at) in chunk {
            query = query.bind(*case_id).bind(*at);
        }
        query.execute(&mut *tx).await?;
    }
    Ok(())
}

/// How many case numbers, tokens or case ids to take from a sequence at once.
const RESERVE: usize = 64;

/// A case opened by this batch, not written yet.
#[derive(Debug, Clone)]
struct OpenedCase {
    id: i64,
    customer_org_id: Option<i64>,
    created_at: i64,
    title: String,
    minted: bool,
}

/// Organizations by domain and by name key.
#[derive(Debug, Clone, Default)]
struct OrgDirectory {
    by_domain: HashMap<String, DomainOrg>,
    by_name_key: HashMap<String, i64>,
    domains_by_org: HashMap<i64, Vec<String>>,
    staff_domains: Vec<String>,
}

impl OrgDirectory {
    /// The organization of an address's domain or its nearest parent domain.
    fn by_address(&self, address: &str) -> Option<DomainOrg> {
        let mut candidate = address.rsplit_once('@').map_or("", |(_, domain)| domain);
        while !candidate.is_empty() {
            if let Some(org) = self.by_domain.get(candidate) {
                return Some(org.clone());
            }
            candidate = candidate.split_once('.').map_or("", |(_, parent)| parent);
        }
        None
    }

    /// An organization's domains.
    fn domains_of(&self, org: i64) -> Vec<String> {
        self.domains_by_org.get(&org).cloned().unwrap_or_default()
    }
}

/// What a batch will ask about, for [`IngestTx::prefetch_facts`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchKeys {
    /// Case numbers and tokens found in subjects.
    pub labels: Vec<String>,
    /// Sender addresses.
    pub senders: Vec<String>,
    /// Outlook Thread-Index roots (hex).
    pub thread_roots: Vec<String>,
}

/// The keys not known yet, sorted, each once.
fn unknown_keys<K: Ord + Copy>(keys: impl Iterator<Item = K>, known: impl Fn(K) -> bool) -> Vec<K> {
    let mut wanted: Vec<K> = keys.filter(|key| !known(*key)).collect();
    wanted.sort_unstable();
    wanted.dedup();
    wanted
}

/// A key of an `IN (…)` lookup: text or an id.
pub(crate) trait InKey: serde::Serialize + Sync {
    /// How PostgreSQL casts a JSON array element to the key's column type.
    const PG_CAST: &'static str;
}

impl InKey for &str {
    const PG_CAST: &'static str = "";
}

impl InKey for i64 {
    const PG_CAST: &'static str = "::bigint";
}

/// Runs `sql_before_in IN (…keys)` with the keys bound as one JSON array: one statement
/// text whatever the number of keys, so it is prepared once and cached.
pub(crate) async fn select_in<K: InKey>(
    backend: Backend,
    tx: &mut sqlx::AnyConnection,
    sql_before_in: &str,
    keys: &[K],
) -> Result<Vec<sqlx::any::AnyRow>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let sql = match backend {
        Backend::Sqlite => format!("{sql_before_in} IN (SELECT value FROM json_each(?))"),
        Backend::Postgres => format!(
            "{sql_before_in} IN (SELECT value{} FROM json_array_elements_text($1::json))",
            K::PG_CAST
        ),
    };
    let array = serde_json::to_string(keys).map_err(|error| Error::Corrupt(error.to_string()))?;
    Ok(sqlx::query(&sql).bind(array).fetch_all(&mut *tx).await?)
}

impl IngestTx<'_> {
    /// Reads, in a few queries, what the batch's raw hashes and Message-IDs (its own and
    /// those it references) already are. Lookups of other keys still work, one query each.
    pub async fn prefetch(&mut self, raw_hashes: &[String], message_ids: &[String]) -> Result<()> {
        let hashes: Vec<&str> = raw_hashes
            .iter()
            .map(String::as_str)
            .filter(|h| !self.raw_known.contains(*h))
            .collect();
        let found = select_in(
            self.store.backend,
            &mut self.tx,
            "SELECT sha256 FROM raw_messages WHERE sha256",
            &hashes,
        )
        .await?;
        let found: HashSet<String> = found
            .iter()
            .map(|row| row.try_get("sha256"))
            .collect::<std::result::Result<_, _>>()?;
        for hash in hashes {
            if found.contains(hash) {
                self.raw_known.insert(hash.to_string());
            } else {
                self.raw_absent.insert(hash.to_string());
            }
        }
        let ids = unknown_keys(message_ids.iter().map(String::as_str), |id| {
            self.ids.contains_key(id)
        });
        for id in &ids {
            self.ids.insert(
                id.to_string(),
                IdFacts {
                    on_case: None,
                    in_quarantine: None,
                },
            );
        }
        let rows = select_in(
            self.store.backend,
            &mut self.tx,
            "SELECT message_id, case_id, fingerprint, from_address FROM messages WHERE message_id",
            &ids,
        )
        .await?;
        for row in rows {
            let id: String = row.try_get("message_id")?;
            if let Some(facts) = self.ids.get_mut(&id) {
                facts.on_case = Some((
                    row.try_get("case_id")?,
                    row.try_get("fingerprint")?,
                    row.try_get("from_address")?,
                ));
            }
        }
        let rows = select_in(self.store.backend,
            &mut self.tx,
            "SELECT message_id, fingerprint, from_address FROM quarantine WHERE fingerprint IS NOT NULL AND message_id",
            &ids,
        )
        .await?;
        for row in rows {
            let id: String = row.try_get("message_id")?;
            if let Some(facts) = self.ids.get_mut(&id) {
                if facts.in_quarantine.is_none() {
                    facts.in_quarantine = Some((
                        row.try_get::<Option<String>, _>("fingerprint")?
                            .unwrap_or_default(),
                        row.try_get("from_address")?,
                    ));
                }
            }
        }
        Ok(())
    }

    /// What is known of one Message-ID, read from the database if the batch has not seen it.
    async fn id_facts(&mut self, message_id: &str) -> Result<IdFacts> {
        if let Some(facts) = self.ids.get(message_id) {
            return Ok(facts.clone());
        }
        self.prefetch(&[], &[message_id.to_string()]).await?;
        Ok(self.ids.get(message_id).cloned().unwrap_or(IdFacts {
            on_case: None,
            in_quarantine: None,
        }))
    }

    /// Counts one arrival, and one duplicate if it was one (written at commit, in the same transaction).
    pub fn count_arrival(&mut self, duplicate: bool) {
        self.received += 1;
        self.duplicates += i64::from(duplicate);
    }

    /// Records a raw message; returns false if it was already recorded.
    pub async fn record_raw(&mut self, sha256: &str, size: u64, now: i64) -> Result<bool> {
        if self.raw_known.contains(sha256) {
            return Ok(false);
        }
        if !self.raw_absent.contains(sha256) {
            self.prefetch(&[sha256.to_string()], &[]).await?;
            if self.raw_known.contains(sha256) {
                return Ok(false);
            }
        }
        let location = self.raw_locations.get(sha256).ok_or_else(|| {
            Error::Corrupt(format!(
                "raw message {sha256} was to be recorded before its bytes were stored"
            ))
        })?;
        let row = vec![
            Param::Text(Some(sha256.to_string())),
            Param::Int(Some(crate::to_i64(size))),
            Param::Int(Some(now)),
            Param::Text(Some(location.pack.clone())),
            Param::Int(Some(crate::to_i64(location.offset))),
        ];
        self.raw_absent.remove(sha256);
        self.raw_known.insert(sha256.to_string());
        self.pending_raw.push(row);
        Ok(true)
    }

    /// Writes the batch's raw messages that are not stored yet into one pack, flushed while
    /// the batch is placed. Call after [`IngestTx::prefetch`] and before
    /// [`IngestTx::record_raw`]; the locations are written, and the flush waited for, at commit.
    pub async fn store_raw(&mut self, arrivals: &[(&str, &[u8])]) -> Result<()> {
        let unknown: Vec<String> = arrivals
            .iter()
            .map(|(sha, _)| sha.to_string())
            .filter(|sha| !self.raw_known.contains(sha) && !self.raw_absent.contains(sha))
            .collect();
        if !unknown.is_empty() {
            self.prefetch(&unknown, &[]).await?;
        }
        let mut seen: HashSet<&str> = HashSet::new();
        let fresh: Vec<(&str, &[u8])> = arrivals
            .iter()
            .filter(|(sha, _)| !self.raw_known.contains(*sha) && seen.insert(sha))
            .copied()
            .collect();
        let blobs: Vec<(BlobKey, &[u8])> = fresh
            .iter()
            .map(|(sha, bytes)| (BlobKey::new(BlobKind::Raw, sha), *bytes))
            .collect();
        let (locations, flush) = self.store.blobs.start_pack(&blobs).await?;
        self.pending_flushes.push(flush);
        for ((sha, _), location) in fresh.into_iter().zip(locations) {
            self.raw_locations.insert(sha.to_string(), location);
        }
        Ok(())
    }

    /// A raw message's bytes, read inside this transaction.
    pub async fn read_raw(&mut self, sha256: &str) -> Result<Vec<u8>> {
        let location = blob::blob_location(&mut *self.tx, BlobKind::Raw, sha256).await?;
        self.store
            .blobs
            .read(&BlobKey::new(BlobKind::Raw, sha256), location.as_ref())
            .await
    }

    /// What is stored under this Message-ID, on a case or in quarantine.
    pub async fn known_message_id(&mut self, message_id: &str) -> Result<Option<KnownMessage>> {
        let facts = self.id_facts(message_id).await?;
        if let Some((_, fingerprint, from_address)) = facts.on_case {
            return Ok(Some(KnownMessage {
                fingerprint,
                from_address,
                in_quarantine: false,
            }));
        }
        Ok(facts
            .in_quarantine
            .map(|(fingerprint, from_address)| KnownMessage {
                fingerprint,
                from_address,
                in_quarantine: true,
            }))
    }

    /// The case of the first of these Message-IDs that is stored on a case.
    pub async fn case_by_message_ids(&mut self, message_ids: &[String]) -> Result<Option<i64>> {
        // At most 100: longer References lists keep their newest ids.
        let wanted: Vec<String> = message_ids.iter().take(100).cloned().collect();
        let unknown: Vec<String> = wanted
            .iter()
            .filter(|id| !self.ids.contains_key(id.as_str()))
            .cloned()
            .collect();
        if !unknown.is_empty() {
            self.prefetch(&[], &unknown).await?;
        }
        Ok(wanted.iter().find_map(|id| {
            self.ids
                .get(id)
                .and_then(|facts| facts.on_case.as_ref())
                .map(|(case_id, _, _)| *case_id)
        }))
    }

    /// Reads, in a few queries, what the batch will ask about its labels (subject numbers and
    /// tokens), senders and Thread-Index roots, and about the cases those and the prefetched
    /// Message-IDs point at. Lookups of other keys still work, one query each.
    pub async fn prefetch_facts(&mut self, keys: &BatchKeys) -> Result<()> {
        let labels: Vec<String> = keys
            .labels
            .iter()
            .map(|l| cases::canonical_label(l))
            .collect();
        self.load_labels(&labels).await?;
        self.load_thread_roots(&keys.thread_roots).await?;
        self.load_people(&keys.senders).await?;
        let mut case_ids: Vec<i64> = self.labels.values().flatten().copied().collect();
        case_ids.extend(self.thread_roots.values().flatten().copied());
        case_ids.extend(
            self.ids
                .values()
                .filter_map(|facts| facts.on_case.as_ref().map(|(case_id, _, _)| *case_id)),
        );
        self.load_cases(&case_ids).await
    }

    async fn load_labels(&mut self, labels: &[String]) -> Result<()> {
        let wanted = unknown_keys(labels.iter().map(String::as_str), |label| {
            self.labels.contains_key(label)
        });
        if wanted.is_empty() {
            return Ok(());
        }
        let rows = select_in(
            self.store.backend,
            &mut self.tx,
            "SELECT label, case_id FROM case_labels WHERE label",
            &wanted,
        )
        .await?;
        for label in &wanted {
            self.labels.insert((*label).to_string(), None);
        }
        for row in rows {
            self.labels
                .insert(row.try_get("label")?, Some(row.try_get("case_id")?));
        }
        Ok(())
    }

    async fn load_thread_roots(&mut self, roots: &[String]) -> Result<()> {
        let wanted = unknown_keys(roots.iter().map(String::as_str), |root| {
            self.thread_roots.contains_key(root)
        });
        if wanted.is_empty() {
            return Ok(());
        }
        let rows = select_in(
            self.store.backend,
            &mut self.tx,
            "SELECT thread_index_root, case_id, id FROM messages WHERE thread_index_root",
            &wanted,
        )
        .await?;
        // The case of the first message with the root.
        let mut first: HashMap<String, (i64, i64)> = HashMap::new();
        for row in rows {
            let (root, case_id, id): (String, i64, i64) = (
                row.try_get("thread_index_root")?,
                row.try_get("case_id")?,
                row.try_get("id")?,
            );
            let entry = first.entry(root).or_insert((id, case_id));
            if id < entry.0 {
                *entry = (id, case_id);
            }
        }
        for root in wanted {
            let case_id = first.get(root).map(|(_, case_id)| *case_id);
            self.thread_roots.insert(root.to_string(), case_id);
        }
        Ok(())
    }

    /// Reads the numbers, customers' domains and participants of cases the batch has not seen.
    async fn load_cases(&mut self, case_ids: &[i64]) -> Result<()> {
        let wanted = unknown_keys(case_ids.iter().copied(), |id| self.guards.contains_key(&id));
        if wanted.is_empty() {
            return Ok(());
        }
        let rows = select_in(
            self.store.backend,
            &mut self.tx,
            "SELECT id, number, customer_org_id FROM cases WHERE id",
            &wanted,
        )
        .await?;
        let directory = self.org_directory().await?.clone();
        let mut loaded = HashMap::new();
        for row in rows {
            let id: i64 = row.try_get("id")?;
            let text: String = row.try_get("number")?;
            let number: CaseNumber = text
                .parse()
                .map_err(|_| Error::Corrupt(format!("case {id} has number '{text}'")))?;
            self.numbers.insert(id, number);
            let org: Option<i64> = row.try_get("customer_org_id")?;
            loaded.insert(
                id,
                CaseGuardFacts {
                    participants: Vec::new(),
                    org_domains: org.map(|org| directory.domains_of(org)).unwrap_or_default(),
                    customer_org_id: org,
                },
            );
        }
        let rows = select_in(
            self.store.backend,
            &mut self.tx,
            "SELECT case_id, address FROM case_participants WHERE case_id",
            &wanted,
        )
        .await?;
        for row in rows {
            if let Some(facts) = loaded.get_mut(&row.try_get::<i64, _>("case_id")?) {
                facts.participants.push(row.try_get("address")?);
            }
        }
        self.guards.extend(loaded);
        Ok(())
    }

    /// People with these addresses, with their organizations; fills the sender facts and the people cache.
    async fn load_people(&mut self, addresses: &[String]) -> Result<()> {
        let wanted = unknown_keys(addresses.iter().map(String::as_str), |address| {
            self.senders.contains_key(address)
        });
        if wanted.is_empty() {
            return Ok(());
        }
        let rows = select_in(
            self.store.backend,
            &mut self.tx,
            "SELECT a.address, p.id, o.id AS org_id, o.name AS org_name, COALESCE(o.is_staff, 0) AS is_staff \
             FROM person_addresses a JOIN people p ON p.id = a.person_id LEFT JOIN organizations o ON o.id = p.org_id \
             WHERE a.address",
            &wanted,
        )
        .await?;
        let mut found: HashMap<String, (i64, Option<DomainOrg>)> = HashMap::new();
        for row in rows {
            let org = match row.try_get::<Option<i64>, _>("org_id")? {
                Some(id) => Some(DomainOrg {
                    id,
                    name: row.try_get("org_name")?,
                    is_staff: row.try_get::<i64, _>("is_staff")? != 0,
                }),
                None => None,
            };
            found.insert(row.try_get("address")?, (row.try_get("id")?, org));
        }
        let people: Vec<i64> = found.values().map(|(id, _)| *id).collect();
        for row in select_in(
            self.store.backend,
            &mut self.tx,
            "SELECT person_id, name FROM person_names WHERE person_id",
            &people,
        )
        .await?
        {
            self.person_names
                .entry(row.try_get("person_id")?)
                .or_default()
                .insert(row.try_get("name")?);
        }
        let directory = self.org_directory().await?.clone();
        for address in wanted {
            let person = found.remove(address);
            self.person_ids
                .insert(address.to_string(), person.as_ref().map(|(id, _)| *id));
            let person_org = person.and_then(|(_, org)| org);
            self.senders.insert(
                address.to_string(),
                SenderFacts {
                    known_contact: self.person_ids.get(address).is_some_and(Option::is_some),
                    is_staff_member: person_org.as_ref().is_some_and(|org| org.is_staff),
                    person_org,
                    org_by_domain: directory.by_address(address),
                },
            );
        }
        Ok(())
    }

    /// Organizations by domain and name, read on first use.
    async fn org_directory(&mut self) -> Result<&OrgDirectory> {
        if self.orgs.is_none() {
            let mut directory = OrgDirectory::default();
            let rows = sqlx::query(
                "SELECT o.id, o.name, o.name_key, o.is_staff, d.domain FROM organizations o \
                 LEFT JOIN org_domains d ON d.org_id = o.id",
            )
            .fetch_all(&mut *self.tx)
            .await?;
            for row in rows {
                let org = DomainOrg {
                    id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    is_staff: row.try_get::<i64, _>("is_staff")? != 0,
                };
                directory
                    .by_name_key
                    .insert(row.try_get("name_key")?, org.id);
                if let Some(domain) = row.try_get::<Option<String>, _>("domain")? {
                    directory
                        .domains_by_org
                        .entry(org.id)
                        .or_default()
                        .push(domain.clone());
                    directory.by_domain.insert(domain, org);
                }
            }
            directory.staff_domains = directory
                .by_domain
                .iter()
                .filter(|(_, org)| org.is_staff)
                .map(|(domain, _)| domain.clone())
                .collect();
            directory.staff_domains.sort();
            self.orgs = Some(directory);
        }
        Ok(self.orgs.get_or_insert_with(OrgDirectory::default))
    }

    /// The case a label points at.
    pub async fn case_by_label(&mut self, label: &str) -> Result<Option<i64>> {
        let label = cases::canonical_label(label);
        if let Some(case_id) = self.labels.get(&label) {
            return Ok(*case_id);
        }
        self.load_labels(std::slice::from_ref(&label)).await?;
        Ok(self.labels.get(&label).copied().flatten())
    }

    /// The case of a message with this Thread-Index root.
    pub async fn case_by_thread_index(&mut self, root: &str) -> Result<Option<i64>> {
        if !self.thread_roots.contains_key(root) {
            self.load_thread_roots(&[root.to_string()]).await?;
        }
        Ok(self.thread_roots.get(root).copied().flatten())
    }

    /// A case Casebook numbered itself, for this customer, opened since `since`, whose title
    /// matches `title` (or, with `similar`, is similar to it: `case::threading::titles_similar`)
    /// and among whose participants is one of `addresses`; only if exactly one.
    pub async fn case_by_title(
        &mut self,
        customer_org_id: i64,
        title: &str,
        addresses: &[String],
        since: i64,
        similar: bool,
    ) -> Result<Option<i64>> {
        let candidates: Vec<(i64, String)> = sqlx::query_as(
            "SELECT c.id, c.title FROM cases c WHERE c.customer_org_id = $1 AND c.created_at >= $2 AND c.merged_into IS NULL \
             AND c.number_origin = 'minted' \
             AND NOT EXISTS (SELECT 1 FROM case_labels l WHERE l.case_id = c.id AND l.kind = 'alias' AND l.label LIKE 'CAS-%')",
        )
        .bind(customer_org_id)
        .bind(since)
        .fetch_all(&mut *self.tx)
        .await?;
        let mut candidates = candidates;
        candidates.extend(
            self.new_cases
                .iter()
                .filter(|case| {
                    case.minted
                        && case.customer_org_id == Some(customer_org_id)
                        && case.created_at >= since
                })
                .map(|case| (case.id, case.title.clone())),
        );
        let mut found = Vec::new();
        for (case_id, case_title) in candidates {
            // Aliases this batch gave are not written yet.
            let alike = if similar {
                case::threading::titles_similar(&case_title, title)
            } else {
                case::threading::titles_match(&case_title, title)
            };
            if self.number_aliased.contains(&case_id) || !alike {
                continue;
            }
            let participants = self.guard_facts(case_id).await?.participants;
            if addresses
                .iter()
                .any(|address| participants.contains(address))
            {
                found.push(case_id);
            }
        }
        Ok(match found.as_slice() {
            [one] => Some(*one),
            _ => None,
        })
    }

    /// The case's number.
    pub async fn case_number(&mut self, case_id: i64) -> Result<CaseNumber> {
        if !self.numbers.contains_key(&case_id) {
            self.load_cases(&[case_id]).await?;
        }
        self.numbers.get(&case_id).cloned().ok_or(Error::NotFound {
            what: "case",
            label: case_id.to_string(),
        })
    }

    /// What the guard needs about a case.
    pub async fn guard_facts(&mut self, case_id: i64) -> Result<CaseGuardFacts> {
        if !self.guards.contains_key(&case_id) {
            self.load_cases(&[case_id]).await?;
        }
        self.guards.get(&case_id).cloned().ok_or(Error::NotFound {
            what: "case",
            label: case_id.to_string(),
        })
    }

    /// The staff organizations' domains.
    pub async fn staff_domains(&mut self) -> Result<Vec<String>> {
        Ok(self.org_directory().await?.staff_domains.clone())
    }

    /// What is known about a sender address.
    pub async fn sender_facts(&mut self, address: &str) -> Result<SenderFacts> {
        if !self.senders.contains_key(address) {
            self.load_people(&[address.to_string()]).await?;
        }
        Ok(self.senders.get(address).cloned().unwrap_or_default())
    }

    /// The id of the organization with this name (case-insensitive).
    pub async fn org_by_name(&mut self, name: &str) -> Result<Option<i64>> {
        let key = name.trim().to_lowercase();
        Ok(self.org_directory().await?.by_name_key.get(&key).copied())
    }

    /// The next value of a sequence, given out in memory and written at commit (under the writer lock).
    async fn next_seq(&mut self, name: &'static str) -> Result<u64> {
        let last = match self.sequences.get(name) {
            Some(last) => *last,
            None => last_seq_value(self.store.backend, &mut self.tx, name).await?,
        };
        self.sequences.insert(name, last + 1);
        Ok(last + 1)
    }

    /// Whether a label holds this `case_seq` value (an adopted number with the same sequence part).
    async fn seq_taken(&mut self, seq: u64) -> Result<bool> {
        const WINDOW: u64 = 4096;
        if self.taken_seqs.contains(&seq) {
            return Ok(true);
        }
        if seq >= self.seq_window.0 && seq < self.seq_window.1 {
            return Ok(false);
        }
        let found: Vec<i64> =
            sqlx::query_scalar("SELECT seq FROM case_labels WHERE seq >= $1 AND seq < $2")
                .bind(crate::to_i64(seq))
                .bind(crate::to_i64(seq + WINDOW))
                .fetch_all(&mut *self.tx)
                .await?;
        self.taken_seqs.extend(found.into_iter().map(crate::to_u64));
        self.seq_window = (seq, seq + WINDOW);
        Ok(self.taken_seqs.contains(&seq))
    }

    /// Points a label at a case (written at commit); false if the label is taken.
    async fn put_label(
        &mut self,
        label: String,
        kind: &str,
        case_id: i64,
        seq: Option<u64>,
    ) -> Result<bool> {
        if self.case_by_label(&label).await?.is_some() {
            return Ok(false);
        }
        if let Some(seq) = seq {
            self.taken_seqs.insert(seq);
        }
        if kind == "alias" && label.starts_with("CAS-") {
            self.number_aliased.insert(case_id);
        }
        self.pending_labels.push(vec![
            Param::Text(Some(label.clone())),
            Param::Text(Some(kind.to_string())),
            Param::Int(Some(case_id)),
            Param::Int(seq.map(crate::to_i64)),
        ]);
        self.labels.insert(label, Some(case_id));
        Ok(true)
    }

    /// The next case number from the sequence that no label holds. Numbers are reserved a
    /// few dozen at a time and checked in one query; the sequence records only those used.
    async fn next_minted_number(&mut self, make_number: NumberMaker<'_>) -> Result<CaseNumber> {
        while self.reserved_numbers.is_empty() {
            let mut candidates = Vec::with_capacity(RESERVE);
            while candidates.len() < RESERVE {
                // Skip sequence values that adopted history already uses.
                let seq = self.next_seq("case_seq").await?;
                if !self.seq_taken(seq).await? {
                    candidates.push(make_number(seq));
                }
            }
            let labels: Vec<String> = candidates.iter().map(ToString::to_string).collect();
            self.load_labels(&labels).await?;
            self.reserved_numbers = candidates
                .into_iter()
                .filter(|number| self.labels.get(&number.to_string()) == Some(&None))
                .collect();
        }
        let number = self
            .reserved_numbers
            .pop_front()
            .ok_or_else(|| Error::Corrupt("no case number reserved".into()))?;
        self.used_sequences.insert("case_seq", number.seq());
        Ok(number)
    }

    /// The next tracking token from the sequence that no label holds (reserved like numbers).
    async fn next_token(&mut self, prefix: &str, start: u64) -> Result<TrackingToken> {
        if self
            .reserved_tokens
            .front()
            .is_some_and(|(_, token)| token.prefix() != prefix)
        {
            self.reserved_tokens.clear();
        }
        while self.reserved_tokens.is_empty() {
            let mut candidates = Vec::with_capacity(RESERVE);
            for _ in 0..RESERVE {
                let seq = self.next_seq("token_seq").await?;
                let value = start.saturating_add(seq).saturating_sub(1);
                let token = TrackingToken::new(prefix, value)
                    .map_err(|error| Error::Corrupt(error.to_string()))?;
                candidates.push((seq, token));
            }
            let labels: Vec<String> = candidates.iter().map(|(_, t)| t.to_string()).collect();
            self.load_labels(&labels).await?;
            self.reserved_tokens = candidates
                .into_iter()
                .filter(|(_, token)| self.labels.get(&token.to_string()) == Some(&None))
                .collect();
        }
        let (seq, token) = self
            .reserved_tokens
            .pop_front()
            .ok_or_else(|| Error::Corrupt("no tracking token reserved".into()))?;
        self.used_sequences.insert("token_seq", seq);
        Ok(token)
    }

    /// An id for a new case, given out under the writer lock.
    async fn next_case_id(&mut self) -> Result<i64> {
        match self.store.backend {
            Backend::Sqlite => {
                let id = match self.next_case_id {
                    Some(id) => id,
                    None => {
                        sqlx::query_scalar::<_, i64>("SELECT COALESCE(MAX(id), 0) + 1 FROM cases")
                            .fetch_one(&mut *self.tx)
                            .await?
                    }
                };
                self.next_case_id = Some(id + 1);
                Ok(id)
            }
            Backend::Postgres => {
                if self.reserved_case_ids.is_empty() {
                    let ids: Vec<i64> = sqlx::query_scalar(
                        "SELECT nextval(pg_get_serial_sequence('cases', 'id')) FROM generate_series(1, $1)",
                    )
                    .bind(crate::to_i64(RESERVE as u64))
                    .fetch_all(&mut *self.tx)
                    .await?;
                    self.reserved_case_ids.extend(ids);
                }
                self.reserved_case_ids
                    .pop_front()
                    .ok_or_else(|| Error::Corrupt("no case id reserved".into()))
            }
        }
    }

    /// Creates a case; returns its id. The case, its labels and its first timeline entry are written at commit.
    pub async fn create_case(
        &mut self,
        new: &NewCase,
        make_number: NumberMaker<'_>,
        now: i64,
    ) -> Result<i64> {
        let number = match &new.number {
            Some(number) => {
                if self.case_by_label(&number.to_string()).await?.is_some() {
                    return Err(Error::conflict("case_number_taken", &[("number", number)]));
                }
                number.clone()
            }
            None => self.next_minted_number(make_number).await?,
        };
        let token = match &new.token {
            TokenChoice::Adopt(token) => {
                if self.case_by_label(&token.to_string()).await?.is_some() {
                    return Err(Error::conflict("token_taken", &[("token", token)]));
                }
                Some(token.clone())
            }
            TokenChoice::New { prefix, start } => Some(self.next_token(prefix, *start).await?),
            TokenChoice::None => None,
        };
        let id = self.next_case_id().await?;
        let text = |value: &str| Param::Text(Some(value.to_string()));
        self.pending_cases.push(vec![
            Param::Int(Some(id)),
            text(&number.to_string()),
            text(&new.title),
            text(new.priority.as_str()),
            Param::Int(new.customer_org_id),
            text(&new.customer),
            Param::Text(new.product.clone()),
            Param::Text(new.version.clone()),
            text(Status::New.as_str()),
            text(&new.stage),
            Param::Text(token.as_ref().map(ToString::to_string)),
            Param::Int(new.split_from),
            Param::Int(Some(now)),
            Param::Int(Some(now)),
            text(if new.number.is_some() {
                "adopted"
            } else {
                "minted"
            }),
        ]);
        self.new_cases.push(OpenedCase {
            id,
            customer_org_id: new.customer_org_id,
            created_at: now,
            title: new.title.clone(),
            minted: new.number.is_none(),
        });
        self.put_label(number.to_string(), "number", id, Some(number.seq()))
            .await?;
        if let Some(token) = &token {
            self.put_label(token.to_string(), "token", id, None).await?;
        }
        let opening = Event::StatusChange {
            from: None,
            to: Status::New,
            summary: None,
        };
        self.pending_timeline.push(vec![
            Param::Int(Some(id)),
            text(EntryKind::StatusChange.as_str()),
            Param::Int(Some(now)),
            Param::Text(None),
            Param::Int(None),
            Param::Text(Some(opening.to_json().to_string())),
            text(opening.visibility().as_str()),
            Param::Int(new.customer_org_id),
        ]);
        let org_domains = match new.customer_org_id {
            Some(org) => self.org_directory().await?.domains_of(org),
            None => Vec::new(),
        };
        self.numbers.insert(id, number);
        self.guards.insert(
            id,
            CaseGuardFacts {
                participants: Vec::new(),
                org_domains,
                customer_org_id: new.customer_org_id,
            },
        );
        Ok(id)
    }

    /// Points another label (an alias found in mail) at a case; a label already taken is left alone.
    pub async fn add_alias(&mut self, case_id: i64, label: &str) -> Result<bool> {
        self.put_label(cases::canonical_label(label), "alias", case_id, None)
            .await
    }

    /// Adds addresses to a case's participants (written at commit).
    pub async fn add_participants(&mut self, case_id: i64, addresses: &[String]) -> Result<()> {
        // The guard cache is the truth for this batch, so it is loaded before it is added to.
        self.guard_facts(case_id).await?;
        let facts = self.guards.entry(case_id).or_default();
        for address in addresses {
            if !facts.participants.contains(address) {
                facts.participants.push(address.clone());
                self.pending_participants.push(vec![
                    Param::Int(Some(case_id)),
                    Param::Text(Some(address.clone())),
                ]);
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
        if let Some(address) = address {
            if !self.person_ids.contains_key(address) {
                self.load_people(&[address.to_string()]).await?;
            }
            if let Some(Some(id)) = self.person_ids.get(address).copied() {
                let names = self.person_names.entry(id).or_default();
                if !name.is_empty() && name != address && names.insert(name.to_string()) {
                    self.pending_person_names.push(vec![
                        Param::Int(Some(id)),
                        Param::Text(Some(name.to_string())),
                    ]);
                }
                self.people.insert(key, id);
                return Ok(id);
            }
        }
        let id = orgs::ensure_person(&mut self.tx, name, address, now).await?;
        self.people.insert(key, id);
        self.person_names
            .entry(id)
            .or_default()
            .insert(name.to_string());
        if let Some(address) = address {
            self.person_ids.insert(address.to_string(), Some(id));
            if let Some(facts) = self.senders.get_mut(address) {
                facts.known_contact = true;
            }
        }
        Ok(id)
    }

    /// Puts a message on a case, with its attachments and timeline entry (written at commit); returns its row id.
    pub async fn insert_message(&mut self, message: &NewMessage) -> Result<i64> {
        let id = match self.next_message_id {
            Some(id) => id,
            None => {
                sqlx::query_scalar::<_, i64>("SELECT COALESCE(MAX(id), 0) + 1 FROM messages")
                    .fetch_one(&mut *self.tx)
                    .await?
            }
        };
        self.next_message_id = Some(id + 1);
        self.last_message_row = Some(id);
        let to = serde_json::to_string(&message.to)
            .map_err(|error| Error::Corrupt(error.to_string()))?;
        let cc = serde_json::to_string(&message.cc)
            .map_err(|error| Error::Corrupt(error.to_string()))?;
        let text = |value: &str| Param::Text(Some(value.to_string()));
        let optional = |value: &Option<String>| Param::Text(value.clone());
        self.pending_messages.push(vec![
            Param::Int(Some(id)),
            Param::Int(Some(message.case_id)),
            text(&message.raw_sha256),
            optional(&message.message_id),
            text(&message.fingerprint),
            text(message.direction.as_str()),
            optional(&message.from_name),
            optional(&message.from_address),
            Param::Text(Some(to)),
            Param::Text(Some(cc)),
            text(&message.subject),
            Param::Int(Some(message.sent_at)),
            Param::Int(Some(i64::from(message.sent_offset))),
            text(&message.body_text),
            Param::Int(message.quoted_from.map(crate::to_i64)),
            text(message.matched_by.as_str()),
            optional(&message.thread_index_root),
            text(&message.problems_json),
            Param::Int(Some(message.received_at)),
        ]);
        for attachment in &message.attachments {
            self.pending_attachments.push(vec![
                Param::Int(Some(id)),
                text(&attachment.filename),
                text(&attachment.content_type),
                Param::Int(Some(crate::to_i64(attachment.size))),
                text(&attachment.sha256),
            ]);
        }
        let mut data = serde_json::json!({ "matched_by": message.matched_by.as_str() });
        if let Some(authentication) = &message.authentication {
            data["authentication"] = authentication.clone();
        }
        if !self.guards.contains_key(&message.case_id) {
            self.load_cases(&[message.case_id]).await?;
        }
        let customer_org_id = self
            .guards
            .get(&message.case_id)
            .and_then(|facts| facts.customer_org_id);
        let entry = case::access::email_entry(message.visibility, message.org_id, customer_org_id);
        self.pending_timeline.push(vec![
            Param::Int(Some(message.case_id)),
            text(message.direction.as_str()),
            Param::Int(Some(message.sent_at)),
            optional(&message.actor),
            Param::Int(Some(id)),
            Param::Text(Some(data.to_string())),
            text(entry.visibility.as_str()),
            Param::Int(entry.org_id),
        ]);
        let touched = self.touched.entry(message.case_id).or_insert(i64::MIN);
        *touched = (*touched).max(message.sent_at.max(message.received_at));
        if let Some(message_id) = &message.message_id {
            let facts = self.ids.entry(message_id.clone()).or_insert(IdFacts {
                on_case: None,
                in_quarantine: None,
            });
            facts.on_case = Some((
                message.case_id,
                message.fingerprint.clone(),
                message.from_address.clone(),
            ));
        }
        if let Some(root) = &message.thread_index_root {
            let first = self.thread_roots.entry(root.clone()).or_insert(None);
            first.get_or_insert(message.case_id);
        }
        Ok(id)
    }

    /// The row id of the message this transaction recorded last.
    pub fn last_message_row(&self) -> Option<i64> {
        self.last_message_row
    }

    /// Queues a message this transaction recorded for sending (written with it at commit).
    pub fn queue_outbound(
        &mut self,
        message_row_id: i64,
        case_id: i64,
        raw_sha256: &str,
        message_id: Option<&str>,
        recipients: &[String],
        now: i64,
    ) -> Result<()> {
        let recipients =
            serde_json::to_string(recipients).map_err(|error| Error::Corrupt(error.to_string()))?;
        self.pending_outbox.push(vec![
            Param::Text(message_id.map(str::to_string)),
            Param::Int(Some(message_row_id)),
            Param::Int(Some(case_id)),
            Param::Text(Some(raw_sha256.to_string())),
            Param::Text(Some(recipients)),
            Param::Text(Some("queued".to_string())),
            Param::Int(Some(now)),
            Param::Int(Some(now)),
        ]);
        Ok(())
    }

    /// Puts a message in quarantine; returns the entry's id.
    pub async fn quarantine(&mut self, entry: &NewQuarantine) -> Result<i64> {
        // The entry names its raw message: those rows go first.
        self.flush_raw().await?;
        let id = sqlx::query_scalar(
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
        .await?;
        if let (Some(message_id), Some(fingerprint)) = (&entry.message_id, &entry.fingerprint) {
            let facts = self.ids.entry(message_id.clone()).or_insert(IdFacts {
                on_case: None,
                in_quarantine: None,
            });
            if facts.in_quarantine.is_none() {
                facts.in_quarantine = Some((fingerprint.clone(), entry.from_address.clone()));
            }
        }
        Ok(id)
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
            return Err(Error::conflict(
                "quarantine_decided",
                &[("id", &id), ("resolution", resolution)],
            ));
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
        self.flush_cases().await?;
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

    /// Writes the cases this batch opened (rows that name them may follow).
    async fn flush_cases(&mut self) -> Result<()> {
        let cases = std::mem::take(&mut self.pending_cases);
        insert_rows(
            self.store.backend,
            &mut self.tx,
            "cases",
            &[
                "id",
                "number",
                "title",
                "priority",
                "customer_org_id",
                "customer_name",
                "product",
                "version",
                "status",
                "stage",
                "tracking_token",
                "split_from",
                "created_at",
                "updated_at",
                "number_origin",
            ],
            &cases,
            "",
        )
        .await?;
        Ok(())
    }

    async fn flush_raw(&mut self) -> Result<()> {
        let rows = std::mem::take(&mut self.pending_raw);
        insert_rows(
            self.store.backend,
            &mut self.tx,
            "raw_messages",
            &["sha256", "size", "stored_at", "pack", "pack_offset"],
            &rows,
            "",
        )
        .await
    }

    /// Writes everything the batch buffered, in foreign-key order, the arrival counts, and commits.
    pub async fn commit(mut self) -> Result<()> {
        // No row may name a blob before its pack is durable.
        for flush in std::mem::take(&mut self.pending_flushes) {
            flush.wait().await?;
        }
        self.flush_cases().await?;
        self.flush_raw().await?;
        let messages = std::mem::take(&mut self.pending_messages);
        let columns = [
            "id",
            "case_id",
            "raw_sha256",
            "message_id",
            "fingerprint",
            "direction",
            "from_name",
            "from_address",
            "to_json",
            "cc_json",
            "subject",
            "sent_at",
            "sent_offset",
            "body_text",
            "quoted_from",
            "matched_by",
            "thread_index_root",
            "problems_json",
            "received_at",
        ];
        insert_rows(
            self.store.backend,
            &mut self.tx,
            "messages",
            &columns,
            &messages,
            "",
        )
        .await?;
        let attachments = std::mem::take(&mut self.pending_attachments);
        insert_rows(
            self.store.backend,
            &mut self.tx,
            "attachments",
            &[
                "message_row_id",
                "filename",
                "content_type",
                "size",
                "sha256",
            ],
            &attachments,
            "",
        )
        .await?;
        let timeline = std::mem::take(&mut self.pending_timeline);
        insert_rows(
            self.store.backend,
            &mut self.tx,
            "timeline",
            &[
                "case_id",
                "kind",
                "at",
                "actor",
                "message_row_id",
                "data_json",
                "visibility",
                "org_id",
            ],
            &timeline,
            "",
        )
        .await?;
        let outbox = std::mem::take(&mut self.pending_outbox);
        insert_rows(
            self.store.backend,
            &mut self.tx,
            "outbox",
            &[
                "message_id",
                "message_row_id",
                "case_id",
                "raw_sha256",
                "recipients",
                "state",
                "next_attempt_at",
                "created_at",
            ],
            &outbox,
            "",
        )
        .await?;
        let participants = std::mem::take(&mut self.pending_participants);
        insert_rows(
            self.store.backend,
            &mut self.tx,
            "case_participants",
            &["case_id", "address"],
            &participants,
            "ON CONFLICT (case_id, address) DO NOTHING",
        )
        .await?;
        let labels = std::mem::take(&mut self.pending_labels);
        insert_rows(
            self.store.backend,
            &mut self.tx,
            "case_labels",
            &["label", "kind", "case_id", "seq"],
            &labels,
            "",
        )
        .await?;
        let names = std::mem::take(&mut self.pending_person_names);
        insert_rows(
            self.store.backend,
            &mut self.tx,
            "person_names",
            &["person_id", "name"],
            &names,
            "ON CONFLICT (person_id, name) DO NOTHING",
        )
        .await?;
        let touched: Vec<(i64, i64)> = std::mem::take(&mut self.touched).into_iter().collect();
        touch_cases(self.store.backend, &mut self.tx, &touched).await?;
        for (name, value) in std::mem::take(&mut self.used_sequences) {
            set_seq_value(self.store.backend, &mut self.tx, name, value).await?;
        }
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
