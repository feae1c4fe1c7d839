//! SLA policies (versioned), imported calendar days, each case's clocks and the warnings and
//! breaches that fired.
//!
//! A case's clocks are a row of `case_clocks`: the folded state (`sla::ClockState` as JSON, which
//! `app` reads and writes), when the scheduler must look next (`check_at`) and the earliest at-risk
//! point and breach for the queue. A trigger on `timeline` clears the state and makes the case due
//! at once in the same transaction as every change; [`Store::write_clocks`] writes a computed state
//! only if the row's `revision` is still the one read, and records each firing under a unique key
//! (case, rule, level, episode), so a firing computed twice, by two instances or after a restart,
//! acts once.

use std::collections::{BTreeMap, HashSet};

use case::{EntryKind, Event, Priority, Status, Visibility};
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::accounts::AccountMail;
use crate::blob::{BlobKey, BlobKind};
use crate::jobs::{enqueue_job, NewJob};
use crate::{Error, Result, Store};

/// A stored policy version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyRecord {
    /// Its version (1, 2, …): the highest is active.
    pub version: i64,
    /// The TOML as written.
    pub source: String,
    /// When it became active (microseconds).
    pub activated_at: i64,
    /// Who made it active.
    pub activated_by: Option<String>,
}

/// A case whose clocks are due, with what the policy filters on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueClock {
    /// The case.
    pub case_id: i64,
    /// The row's revision when read.
    pub revision: i64,
    /// The policy version the state was folded under.
    pub policy_version: i64,
    /// The folded state, `None` when a change cleared it.
    pub state: Option<String>,
    /// The case's number.
    pub number: String,
    /// Its title.
    pub title: String,
    /// When it was opened (microseconds).
    pub created_at: i64,
    /// Its priority now.
    pub priority: Priority,
    /// Its status now.
    pub status: Status,
    /// Its customer's name.
    pub customer: String,
    /// Its product.
    pub product: Option<String>,
    /// Whether it was merged into another case (its clocks stop).
    pub merged: bool,
    /// The owner's person id.
    pub owner_person_id: Option<i64>,
}

/// One timeline entry as the clocks read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockEntry {
    /// Its kind.
    pub kind: EntryKind,
    /// When (microseconds).
    pub at: i64,
    /// Who may read it.
    pub visibility: Visibility,
    /// Its event data (status to, field and values).
    pub data: serde_json::Value,
}

/// An open case's clocks as the evaluation of every open case reads them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenClock {
    /// The case.
    pub case_id: i64,
    /// The policy version the state was folded under.
    pub policy_version: i64,
    /// Its customer's name, as the last sweep saw it (`None` before one).
    pub customer: Option<String>,
    /// Its product.
    pub product: Option<String>,
    /// The folded state, `None` when a change cleared it.
    pub state: Option<sla::ClockState>,
}

/// A firing to record, with what it does.
#[derive(Debug, Clone, PartialEq)]
pub struct FiringWrite {
    /// The rule's name.
    pub rule: String,
    /// `warning` or `breach`.
    pub level: String,
    /// The episode's start (microseconds): with case, rule and level, the firing's identity.
    pub episode: i64,
    /// What the rule measures.
    pub measure: String,
    /// When the threshold was reached (microseconds); the timeline entry's time.
    pub due_at: i64,
    /// The actions, as identifiers.
    pub actions: Vec<String>,
    /// The timeline entry to record.
    pub event: Event,
    /// Mail to queue in the outbox.
    pub mails: Vec<AccountMail>,
    /// The priority to raise the case to.
    pub raise_to: Option<Priority>,
    /// A job to enqueue (a webhook call): name, kind, payload.
    pub job: Option<(String, String, String)>,
}

/// A case's clocks to write.
#[derive(Debug, Clone, PartialEq)]
pub struct ClockWrite {
    /// The case.
    pub case_id: i64,
    /// The revision the state was computed from.
    pub revision: i64,
    /// The policy version it was computed under.
    pub policy_version: i64,
    /// The state.
    pub state: Option<String>,
    /// When to look next.
    pub check_at: Option<i64>,
    /// The earliest at-risk point.
    pub risk_at: Option<i64>,
    /// The earliest breach.
    pub breach_at: Option<i64>,
    /// Whether the case is open (not closed, not merged away).
    pub open: bool,
    /// The customer's name and the product, as the rules filter on them.
    pub facts: (String, Option<String>),
    /// What fired.
    pub firings: Vec<FiringWrite>,
}

/// A recorded firing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaEventRecord {
    /// The case.
    pub case_id: i64,
    /// The rule.
    pub rule: String,
    /// `warning` or `breach`.
    pub level: String,
    /// What it measures.
    pub measure: String,
    /// When it was due (microseconds).
    pub due_at: i64,
    /// When it was recorded (microseconds).
    pub fired_at: i64,
}

/// A case at risk or breached, for lists and the dashboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockListing {
    /// The case.
    pub case_id: i64,
    /// Its number.
    pub number: String,
    /// Title.
    pub title: String,
    /// Priority.
    pub priority: Priority,
    /// Customer.
    pub customer: String,
    /// Status.
    pub status: Status,
    /// Owner's name.
    pub owner: Option<String>,
    /// The earliest at-risk point.
    pub risk_at: Option<i64>,
    /// The earliest breach.
    pub breach_at: Option<i64>,
    /// The folded state.
    pub state: Option<String>,
    /// Its product.
    pub product: Option<String>,
}

/// Which cases a clock listing gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockFilter {
    /// Past an at-risk point, not breached.
    AtRisk,
    /// Past a limit.
    Breached,
}

const DUE_COLUMNS: &str = "k.case_id, k.revision, k.policy_version, k.state, c.number, c.title, c.created_at, c.priority, \
c.status, c.customer_name, c.product, c.merged_into, c.owner_person_id";

fn due_from(row: &sqlx::any::AnyRow) -> Result<DueClock> {
    let priority: String = row.try_get("priority")?;
    let status: String = row.try_get("status")?;
    let merged: Option<i64> = row.try_get("merged_into")?;
    Ok(DueClock {
        case_id: row.try_get("case_id")?,
        revision: row.try_get("revision")?,
        policy_version: row.try_get("policy_version")?,
        state: row.try_get("state")?,
        number: row.try_get("number")?,
        title: row.try_get("title")?,
        created_at: row.try_get("created_at")?,
        priority: priority
            .parse()
            .map_err(|_| Error::Corrupt(format!("priority '{priority}'")))?,
        status: status
            .parse()
            .map_err(|_| Error::Corrupt(format!("status '{status}'")))?,
        customer: row.try_get("customer_name")?,
        product: row.try_get("product")?,
        merged: merged.is_some(),
        owner_person_id: row.try_get("owner_person_id")?,
    })
}

impl Store {
    /// Makes a policy the active one (the next version) and makes every case's clocks due, so
    /// they are folded again under it; the recompute job's name is returned enqueued.
    pub async fn set_sla_policy(&self, source: &str, now: i64, by: Option<&str>) -> Result<i64> {
        let mut tx = self.write_tx().await?;
        let version: i64 =
            sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) + 1 FROM sla_policies")
                .fetch_one(&mut *tx)
                .await?;
        sqlx::query("INSERT INTO sla_policies (version, source, activated_at, activated_by) VALUES ($1, $2, $3, $4)")
            .bind(version)
            .bind(source)
            .bind(now)
            .bind(by)
            .execute(&mut *tx)
            .await?;
        mark_all_due(&mut tx).await?;
        let name = format!("sla-recompute:{version}");
        enqueue_job(
            &mut tx,
            &NewJob {
                name: &name,
                kind: "sla_recompute",
                payload: "{}",
                run_at: now,
                max_attempts: 5,
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(version)
    }

    /// The active policy, if one was ever set.
    pub async fn active_sla_policy(&self) -> Result<Option<PolicyRecord>> {
        let row = sqlx::query("SELECT version, source, activated_at, activated_by FROM sla_policies ORDER BY version DESC LIMIT 1")
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| {
            Ok(PolicyRecord {
                version: row.try_get("version")?,
                source: row.try_get("source")?,
                activated_at: row.try_get("activated_at")?,
                activated_by: row.try_get("activated_by")?,
            })
        })
        .transpose()
    }

    /// Adds imported calendar days (`holiday` or `workday`; a day imported again takes the new
    /// kind) and makes every case's clocks due; returns how many days were new or changed.
    pub async fn add_calendar_days(
        &self,
        days: &[(String, &str)],
        source: &str,
        now: i64,
    ) -> Result<u64> {
        let mut tx = self.write_tx().await?;
        let mut changed = 0;
        for (day, kind) in days {
            let result = sqlx::query(
                "INSERT INTO calendar_days (day, kind, source, imported_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (day) DO UPDATE SET kind = $2, source = $3, imported_at = $4 WHERE calendar_days.kind <> $2",
            )
            .bind(day)
            .bind(*kind)
            .bind(source)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            changed += result.rows_affected();
        }
        if changed > 0 {
            mark_all_due(&mut tx).await?;
        }
        tx.commit().await?;
        Ok(changed)
    }

    /// How many calendar days are imported and when the newest was: what changes when an
    /// import changes the calendar (a reader's cache of the policy compares it).
    pub async fn calendar_days_mark(&self) -> Result<(u64, i64)> {
        let (count, newest): (i64, i64) =
            sqlx::query_as("SELECT COUNT(*), COALESCE(MAX(imported_at), 0) FROM calendar_days")
                .fetch_one(&self.pool)
                .await?;
        Ok((crate::to_u64(count), newest))
    }

    /// Every imported calendar day: date (`YYYY-MM-DD`) and kind, in date order.
    pub async fn calendar_days(&self) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query("SELECT day, kind FROM calendar_days ORDER BY day")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("day")?, row.try_get("kind")?)))
            .collect()
    }

    /// Up to `limit` cases whose clocks are due at `now`, earliest first.
    pub async fn due_clocks(&self, now: i64, limit: u32) -> Result<Vec<DueClock>> {
        let rows = sqlx::query(&format!(
            "SELECT {DUE_COLUMNS} FROM case_clocks k JOIN cases c ON c.id = k.case_id \
             WHERE k.check_at IS NOT NULL AND k.check_at <= $1 ORDER BY k.check_at, k.case_id LIMIT $2"
        ))
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(due_from).collect()
    }

    /// How many cases' clocks are due at `now`.
    pub async fn due_clock_count(&self, now: i64) -> Result<u64> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM case_clocks WHERE check_at IS NOT NULL AND check_at <= $1",
        )
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        Ok(crate::to_u64(n))
    }

    /// The earliest instant any case's clocks are due (the scheduler sleeps until then).
    pub async fn next_clock_check(&self) -> Result<Option<i64>> {
        Ok(
            sqlx::query_scalar("SELECT MIN(check_at) FROM case_clocks WHERE check_at IS NOT NULL")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// One case's clocks row with its case, whether due or not.
    pub async fn case_clock(&self, case_id: i64) -> Result<Option<DueClock>> {
        let row = sqlx::query(&format!("SELECT {DUE_COLUMNS} FROM case_clocks k JOIN cases c ON c.id = k.case_id WHERE k.case_id = $1"))
            .bind(case_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(due_from).transpose()
    }

    /// Up to `limit` cases' clocks rows with their cases, after `after` in case id order (a stream
    /// over every case in pages: `sla replay --all`, the evaluation of every open case). The page
    /// comes as one JSON aggregate: SQLite's rows cross from its worker thread one at a time.
    pub async fn clocks_page(
        &self,
        after: i64,
        limit: u32,
        open_only: bool,
    ) -> Result<Vec<DueClock>> {
        let closed = if open_only {
            "AND c.status NOT IN ('archived', 'resolved', 'cancelled') AND c.merged_into IS NULL"
        } else {
            ""
        };
        let (aggregate, row) = match self.backend {
            crate::Backend::Sqlite => ("json_group_array", "json_array"),
            crate::Backend::Postgres => ("json_agg", "json_build_array"),
        };
        let page: Option<String> = sqlx::query_scalar(&format!(
            "SELECT CAST({aggregate}({row}(case_id, revision, policy_version, state, number, title, created_at, priority, \
             status, customer_name, product, merged_into, owner_person_id)) AS TEXT) FROM \
             (SELECT {DUE_COLUMNS} FROM case_clocks k JOIN cases c ON c.id = k.case_id \
              WHERE k.case_id > $1 {closed} ORDER BY k.case_id LIMIT $2) page"
        ))
        .bind(after)
        .bind(i64::from(limit))
        .fetch_one(&self.pool)
        .await?;
        type Columns = (
            i64,
            i64,
            i64,
            Option<String>,
            String,
            String,
            i64,
            String,
            String,
            String,
            Option<String>,
            Option<i64>,
            Option<i64>,
        );
        let rows: Vec<Columns> = match page {
            Some(text) => serde_json::from_str(&text)
                .map_err(|e| Error::Corrupt(format!("a page of clocks: {e}")))?,
            None => Vec::new(),
        };
        let mut out: Vec<DueClock> = rows
            .into_iter()
            .map(
                |(
                    case_id,
                    revision,
                    policy_version,
                    state,
                    number,
                    title,
                    created_at,
                    priority,
                    status,
                    customer,
                    product,
                    merged,
                    owner,
                )| {
                    Ok(DueClock {
                        case_id,
                        revision,
                        policy_version,
                        state,
                        number,
                        title,
                        created_at,
                        priority: priority
                            .parse()
                            .map_err(|_| Error::Corrupt(format!("priority '{priority}'")))?,
                        status: status
                            .parse()
                            .map_err(|_| Error::Corrupt(format!("status '{status}'")))?,
                        customer,
                        product,
                        merged: merged.is_some(),
                        owner_person_id: owner,
                    })
                },
            )
            .collect::<Result<_>>()?;
        // The aggregate's order is the page's on both backends; sorted again to depend on nothing.
        out.sort_unstable_by_key(|c| c.case_id);
        Ok(out)
    }

    /// Up to `limit` open cases' clocks after `after` in case id order, from `case_clocks` alone,
    /// read as one JSON text that embeds each state as it is stored (SQLite's rows cross from its
    /// worker thread one at a time, and its JSON functions would parse every state). A case
    /// changed since the last sweep comes without its state.
    pub async fn open_clocks_page(&self, after: i64, limit: u32) -> Result<Vec<OpenClock>> {
        let (concat, quote) = match self.backend {
            crate::Backend::Sqlite => ("group_concat", "json_quote"),
            crate::Backend::Postgres => ("string_agg", "to_json"),
        };
        let page: Option<String> = sqlx::query_scalar(&format!(
            "SELECT '[' || {concat}('[' || case_id || ',' || policy_version || ',' \
             || COALESCE(CAST({quote}(customer) AS TEXT), 'null') || ',' || COALESCE(CAST({quote}(product) AS TEXT), 'null') \
             || ',' || COALESCE(state, 'null') || ']', ',') || ']' \
             FROM (SELECT case_id, policy_version, customer, product, state FROM case_clocks \
                   WHERE case_id > $1 AND open = 1 ORDER BY case_id LIMIT $2) page"
        ))
        .bind(after)
        .bind(i64::from(limit))
        .fetch_one(&self.pool)
        .await?;
        type Columns = (
            i64,
            i64,
            Option<String>,
            Option<String>,
            Option<sla::ClockState>,
        );
        let rows: Vec<Columns> = match page {
            Some(text) => serde_json::from_str(&text)
                .map_err(|e| Error::Corrupt(format!("a page of clocks: {e}")))?,
            None => Vec::new(),
        };
        let mut out: Vec<OpenClock> = rows
            .into_iter()
            .map(
                |(case_id, policy_version, customer, product, state)| OpenClock {
                    case_id,
                    policy_version,
                    customer,
                    product,
                    state,
                },
            )
            .collect();
        out.sort_unstable_by_key(|c| c.case_id);
        Ok(out)
    }

    /// Up to `limit` open cases' deadlines after `after` in case id order, as the last sweep
    /// left them: case, when to look next (`0` after a change), the earliest at-risk point and
    /// breach. Exact until `check_at`; read as one text of numbers.
    pub async fn open_deadlines_page(
        &self,
        after: i64,
        limit: u32,
    ) -> Result<Vec<[Option<i64>; 4]>> {
        let concat = match self.backend {
            crate::Backend::Sqlite => "group_concat",
            crate::Backend::Postgres => "string_agg",
        };
        let page: Option<String> = sqlx::query_scalar(&format!(
            "SELECT '[' || {concat}('[' || case_id || ',' || COALESCE(CAST(check_at AS TEXT), 'null') || ',' \
             || COALESCE(CAST(risk_at AS TEXT), 'null') || ',' || COALESCE(CAST(breach_at AS TEXT), 'null') || ']', ',') || ']' \
             FROM (SELECT case_id, check_at, risk_at, breach_at FROM case_clocks WHERE case_id > $1 AND open = 1 \
                   ORDER BY case_id LIMIT $2) page"
        ))
        .bind(after)
        .bind(i64::from(limit))
        .fetch_one(&self.pool)
        .await?;
        let mut rows: Vec<[Option<i64>; 4]> = match page {
            Some(text) => serde_json::from_str(&text)
                .map_err(|e| Error::Corrupt(format!("a page of deadlines: {e}")))?,
            None => Vec::new(),
        };
        rows.sort_unstable_by_key(|r| r[0]);
        Ok(rows)
    }

    /// What the clocks read of these cases' timelines, per case in time order.
    pub async fn clock_entries(&self, case_ids: &[i64]) -> Result<BTreeMap<i64, Vec<ClockEntry>>> {
        let mut out: BTreeMap<i64, Vec<ClockEntry>> =
            case_ids.iter().map(|id| (*id, Vec::new())).collect();
        if case_ids.is_empty() {
            return Ok(out);
        }
        let ids = serde_json::to_string(case_ids).map_err(|e| Error::Corrupt(e.to_string()))?;
        let list = match self.backend {
            crate::Backend::Sqlite => "SELECT value FROM json_each($1)",
            crate::Backend::Postgres => {
                "SELECT value::bigint FROM json_array_elements_text($1::json)"
            }
        };
        let rows = sqlx::query(&format!(
            "SELECT case_id, kind, at, visibility, data_json FROM timeline WHERE case_id IN ({list}) \
             AND kind IN ('inbound_email', 'outbound_email', 'note', 'status_change', 'field_change') ORDER BY case_id, at, id"
        ))
        .bind(ids)
        .fetch_all(&self.pool)
        .await?;
        for row in &rows {
            let kind: String = row.try_get("kind")?;
            let visibility: String = row.try_get("visibility")?;
            let data: String = row.try_get("data_json")?;
            let case_id: i64 = row.try_get("case_id")?;
            out.entry(case_id).or_default().push(ClockEntry {
                kind: kind.parse().map_err(Error::Corrupt)?,
                at: row.try_get("at")?,
                visibility: visibility.parse().map_err(Error::Corrupt)?,
                data: serde_json::from_str(&data).unwrap_or(serde_json::Value::Null),
            });
        }
        Ok(out)
    }

    /// Which of these firings (case, rule, level, episode) are recorded already.
    pub async fn known_sla_events(
        &self,
        keys: &[(i64, String, String, i64)],
    ) -> Result<HashSet<(i64, String, String, i64)>> {
        let mut known = HashSet::new();
        let cases: Vec<i64> = {
            let mut ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
            ids.sort_unstable();
            ids.dedup();
            ids
        };
        for chunk in cases.chunks(500) {
            let ids = serde_json::to_string(chunk).map_err(|e| Error::Corrupt(e.to_string()))?;
            let list = match self.backend {
                crate::Backend::Sqlite => "SELECT value FROM json_each($1)",
                crate::Backend::Postgres => {
                    "SELECT value::bigint FROM json_array_elements_text($1::json)"
                }
            };
            let rows = sqlx::query(&format!(
                "SELECT case_id, rule, level, episode FROM sla_events WHERE case_id IN ({list})"
            ))
            .bind(ids)
            .fetch_all(&self.pool)
            .await?;
            for row in &rows {
                known.insert((
                    row.try_get("case_id")?,
                    row.try_get("rule")?,
                    row.try_get("level")?,
                    row.try_get("episode")?,
                ));
            }
        }
        Ok(known)
    }

    /// The firings recorded on a case, in time order.
    pub async fn sla_events_of(&self, case_id: i64) -> Result<Vec<SlaEventRecord>> {
        let rows = sqlx::query("SELECT case_id, rule, level, measure, due_at, fired_at FROM sla_events WHERE case_id = $1 ORDER BY due_at, id")
            .bind(case_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(SlaEventRecord {
                    case_id: row.try_get("case_id")?,
                    rule: row.try_get("rule")?,
                    level: row.try_get("level")?,
                    measure: row.try_get("measure")?,
                    due_at: row.try_get("due_at")?,
                    fired_at: row.try_get("fired_at")?,
                })
            })
            .collect()
    }

    /// Open cases at risk or breached at `now`, most urgent first (earliest breach, then risk).
    pub async fn clock_listing(
        &self,
        filter: ClockFilter,
        now: i64,
        limit: u32,
    ) -> Result<Vec<ClockListing>> {
        let condition = match filter {
            ClockFilter::Breached => "k.breach_at <= $1",
            ClockFilter::AtRisk => "k.risk_at <= $1 AND (k.breach_at IS NULL OR k.breach_at > $1)",
        };
        let rows = sqlx::query(&format!(
            "SELECT k.case_id, c.number, c.title, c.priority, c.customer_name, c.status, c.product, o.display_name AS owner, \
             k.risk_at, k.breach_at, k.state FROM case_clocks k JOIN cases c ON c.id = k.case_id \
             LEFT JOIN people o ON o.id = c.owner_person_id \
             WHERE {condition} AND c.merged_into IS NULL AND c.status NOT IN ('archived', 'resolved', 'cancelled') \
             ORDER BY k.breach_at, k.risk_at, k.case_id LIMIT $2"
        ))
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let priority: String = row.try_get("priority")?;
                let status: String = row.try_get("status")?;
                Ok(ClockListing {
                    case_id: row.try_get("case_id")?,
                    number: row.try_get("number")?,
                    title: row.try_get("title")?,
                    priority: priority
                        .parse()
                        .map_err(|_| Error::Corrupt(format!("priority '{priority}'")))?,
                    customer: row.try_get("customer_name")?,
                    status: status
                        .parse()
                        .map_err(|_| Error::Corrupt(format!("status '{status}'")))?,
                    owner: row.try_get("owner")?,
                    risk_at: row.try_get("risk_at")?,
                    breach_at: row.try_get("breach_at")?,
                    state: row.try_get("state")?,
                    product: row.try_get("product")?,
                })
            })
            .collect()
    }

    /// Writes computed clocks and carries out what fired, in one transaction under the writer
    /// lock. A case whose row changed since it was read is left for the next sweep (nothing of
    /// it is written); a firing already recorded does nothing. Returns what was carried out:
    /// case, rule, level.
    pub async fn write_clocks(
        &self,
        writes: &[ClockWrite],
        now: i64,
    ) -> Result<Vec<(i64, String, String)>> {
        // Rows are written in case order, so two writers never wait on each other in a circle.
        let mut order: Vec<&ClockWrite> = writes.iter().collect();
        order.sort_by_key(|w| w.case_id);
        // Mail is made durable before the transaction that queues it, as every outgoing message.
        let raws: Vec<(BlobKey, &[u8], String)> = order
            .iter()
            .flat_map(|w| &w.firings)
            .flat_map(|f| &f.mails)
            .map(|mail| {
                let sha = hex::encode(Sha256::digest(&mail.raw));
                (BlobKey::new(BlobKind::Raw, &sha), mail.raw.as_slice(), sha)
            })
            .collect();
        let locations = if raws.is_empty() {
            Vec::new()
        } else {
            let blobs: Vec<(BlobKey, &[u8])> = raws
                .iter()
                .map(|(key, raw, _)| (key.clone(), *raw))
                .collect();
            self.blobs.write_pack(&blobs).await?
        };
        let mut stored = raws.iter().zip(locations.iter());
        let mut tx = self.write_tx().await?;
        let mut done = Vec::new();
        for write in order {
            let updated = sqlx::query(
                "UPDATE case_clocks SET policy_version = $3, state = $4, check_at = $5, risk_at = $6, breach_at = $7, \
                 open = $8, customer = $9, product = $10 WHERE case_id = $1 AND revision = $2",
            )
            .bind(write.case_id)
            .bind(write.revision)
            .bind(write.policy_version)
            .bind(&write.state)
            .bind(write.check_at)
            .bind(write.risk_at)
            .bind(write.breach_at)
            .bind(i64::from(write.open))
            .bind(&write.facts.0)
            .bind(&write.facts.1)
            .execute(&mut *tx)
            .await?;
            let current = updated.rows_affected() == 1;
            for firing in &write.firings {
                let mails: Vec<_> = firing
                    .mails
                    .iter()
                    .map(|mail| (mail, stored.next()))
                    .collect();
                if !current {
                    continue;
                }
                let actions = serde_json::to_string(&firing.actions)
                    .map_err(|e| Error::Corrupt(e.to_string()))?;
                let inserted = sqlx::query(
                    "INSERT INTO sla_events (case_id, rule, level, episode, measure, due_at, fired_at, policy_version, actions) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (case_id, rule, level, episode) DO NOTHING",
                )
                .bind(write.case_id)
                .bind(&firing.rule)
                .bind(&firing.level)
                .bind(firing.episode)
                .bind(&firing.measure)
                .bind(firing.due_at)
                .bind(now)
                .bind(write.policy_version)
                .bind(actions)
                .execute(&mut *tx)
                .await?;
                if inserted.rows_affected() != 1 {
                    continue;
                }
                crate::cases::insert_event(
                    &mut tx,
                    write.case_id,
                    &firing.event,
                    firing.due_at,
                    None,
                )
                .await?;
                for (mail, place) in mails {
                    let Some(((_, _, sha), location)) = place else {
                        continue;
                    };
                    crate::outbox::queue_system_mail(
                        &mut tx,
                        mail,
                        sha,
                        Some(location),
                        "sla",
                        Some(write.case_id),
                        None,
                        now,
                    )
                    .await?;
                }
                if let Some(to) = firing.raise_to {
                    let from: String =
                        sqlx::query_scalar("SELECT priority FROM cases WHERE id = $1")
                            .bind(write.case_id)
                            .fetch_one(&mut *tx)
                            .await?;
                    if from != to.as_str() {
                        sqlx::query(
                            "UPDATE cases SET priority = $2, updated_at = $3 WHERE id = $1",
                        )
                        .bind(write.case_id)
                        .bind(to.as_str())
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                        let event = Event::FieldChange {
                            field: case::CaseField::Priority,
                            from: Some(from),
                            to: Some(to.to_string()),
                        };
                        crate::cases::insert_event(&mut tx, write.case_id, &event, now, None)
                            .await?;
                    }
                }
                if let Some((name, kind, payload)) = &firing.job {
                    enqueue_job(
                        &mut tx,
                        &NewJob {
                            name,
                            kind,
                            payload,
                            run_at: now,
                            max_attempts: 8,
                        },
                        now,
                    )
                    .await?;
                }
                done.push((write.case_id, firing.rule.clone(), firing.level.clone()));
            }
        }
        tx.commit().await?;
        Ok(done)
    }
}

/// Clears every case's folded clocks and makes them due (a new policy or calendar).
async fn mark_all_due(connection: &mut sqlx::AnyConnection) -> Result<()> {
    sqlx::query("UPDATE case_clocks SET state = NULL, check_at = 0, revision = revision + 1")
        .execute(&mut *connection)
        .await?;
    Ok(())
}
