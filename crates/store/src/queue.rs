//! The case queue: filters, sorting and keyset paging, counts per status, tags, participants and
//! saved views.
//!
//! Pages are cut by the sort key and the case id of the last row (a cursor), never by OFFSET, so
//! the thousandth page of 100,000 cases costs what the first does.

use case::{CaseField, Event, Priority, Status};
use sqlx::Row;

use crate::cases::{insert_event, touch};
use crate::{Error, Result, Store};

/// How the queue is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QueueSort {
    /// Most recently changed first.
    #[default]
    Updated,
    /// Newest first.
    Created,
    /// Most urgent first (P1 before P4), then most recently changed.
    Priority,
    /// The earliest SLA breach (past or to come) first; cases without one last.
    Due,
}

impl QueueSort {
    /// The stable identifier used in URLs and cursors.
    pub fn as_str(self) -> &'static str {
        match self {
            QueueSort::Updated => "updated",
            QueueSort::Created => "created",
            QueueSort::Priority => "priority",
            QueueSort::Due => "due",
        }
    }

    /// The sort an identifier names.
    pub fn parse(text: &str) -> Option<QueueSort> {
        [
            QueueSort::Updated,
            QueueSort::Created,
            QueueSort::Priority,
            QueueSort::Due,
        ]
        .into_iter()
        .find(|sort| sort.as_str() == text)
    }
}

/// Whose cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OwnerFilter {
    /// Anyone's or nobody's.
    #[default]
    Any,
    /// Cases without an owner.
    Unassigned,
    /// Cases this person owns.
    Person(i64),
}

/// Where a page starts: after the row with these keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueCursor {
    /// The sort the cursor was made for.
    pub sort: QueueSort,
    /// The priority's rank (for the priority sort).
    pub rank: i64,
    /// The time key (updated or created, microseconds).
    pub at: i64,
    /// The case id.
    pub id: i64,
}

impl QueueCursor {
    /// The cursor as an opaque string for URLs.
    pub fn encode(&self) -> String {
        format!(
            "{}.{}.{}.{}",
            self.sort.as_str(),
            self.rank,
            self.at,
            self.id
        )
    }

    /// Reads a cursor made by [`QueueCursor::encode`].
    pub fn decode(text: &str) -> Option<QueueCursor> {
        let mut parts = text.split('.');
        let sort = QueueSort::parse(parts.next()?)?;
        let rank = parts.next()?.parse().ok()?;
        let at = parts.next()?.parse().ok()?;
        let id = parts.next()?.parse().ok()?;
        if parts.next().is_some() {
            return None;
        }
        Some(QueueCursor { sort, rank, at, id })
    }
}

/// What the queue shows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QueueQuery {
    /// Only these statuses (none: all).
    pub statuses: Vec<Status>,
    /// Only these priorities (none: all).
    pub priorities: Vec<Priority>,
    /// Only this customer organization (a partner's portal always sets it).
    pub customer_org_id: Option<i64>,
    /// Only cases whose customer name contains this (case-insensitive).
    pub customer: Option<String>,
    /// Whose cases.
    pub owner: OwnerFilter,
    /// Only this stage.
    pub stage: Option<String>,
    /// Only cases with this tag.
    pub tag: Option<String>,
    /// Only cases this person (by id) takes part in, through any of their addresses.
    pub participant: Option<i64>,
    /// Only cases whose number, title or customer contains this (case-insensitive).
    pub text: Option<String>,
    /// Only open cases at risk or breached at this instant (microseconds).
    pub clocks: Option<(crate::sla::ClockFilter, i64)>,
    /// The order.
    pub sort: QueueSort,
    /// Start after this row.
    pub after: Option<QueueCursor>,
    /// At most this many rows.
    pub limit: u32,
}

/// A case as the queue shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueRow {
    /// Internal id.
    pub id: i64,
    /// Number.
    pub number: String,
    /// Title.
    pub title: String,
    /// Priority.
    pub priority: Priority,
    /// Customer's name.
    pub customer: String,
    /// Customer organization.
    pub customer_org_id: Option<i64>,
    /// Status.
    pub status: Status,
    /// Stage.
    pub stage: String,
    /// Owner's name.
    pub owner: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Created (microseconds).
    pub created_at: i64,
    /// Last changed (microseconds).
    pub updated_at: i64,
    /// The earliest at-risk point of its SLA clocks (microseconds).
    pub risk_at: Option<i64>,
    /// The earliest breach of its SLA clocks (microseconds).
    pub breach_at: Option<i64>,
}

/// A timeline entry as the live feed reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEntry {
    /// The entry.
    pub entry_id: i64,
    /// Its case's number.
    pub case_number: String,
    /// Its case's customer organization.
    pub case_customer: Option<i64>,
    /// Who may read it.
    pub visibility: case::Visibility,
    /// The organization it came from.
    pub org_id: Option<i64>,
}

/// One page of the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuePage {
    /// The rows.
    pub rows: Vec<QueueRow>,
    /// Where the next page starts, if there is one.
    pub next: Option<QueueCursor>,
}

fn rank(priority: Priority) -> i64 {
    match priority {
        Priority::P1 => 1,
        Priority::P2 => 2,
        Priority::P3 => 3,
        Priority::P4 => 4,
    }
}

/// Bound values of a query built piece by piece.
enum Bind {
    Int(i64),
    Text(String),
}

struct Builder {
    clauses: Vec<String>,
    binds: Vec<Bind>,
}

impl Builder {
    fn push(&mut self, value: Bind) -> String {
        self.binds.push(value);
        format!("${}", self.binds.len())
    }
}

/// `LIKE` pattern for "contains", with the wildcards in `text` escaped.
fn contains_pattern(text: &str) -> String {
    let escaped = text
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

fn filters(query: &QueueQuery) -> Builder {
    let mut b = Builder {
        clauses: vec!["c.merged_into IS NULL".to_string()],
        binds: Vec::new(),
    };
    if !query.statuses.is_empty() {
        let list: Vec<String> = query
            .statuses
            .iter()
            .map(|s| b.push(Bind::Text(s.as_str().to_string())))
            .collect();
        b.clauses.push(format!("c.status IN ({})", list.join(", ")));
    }
    if !query.priorities.is_empty() {
        let list: Vec<String> = query
            .priorities
            .iter()
            .map(|p| b.push(Bind::Text(p.as_str().to_string())))
            .collect();
        b.clauses
            .push(format!("c.priority IN ({})", list.join(", ")));
    }
    if let Some(org) = query.customer_org_id {
        let p = b.push(Bind::Int(org));
        b.clauses.push(format!("c.customer_org_id = {p}"));
    }
    if let Some(customer) = query.customer.as_deref().filter(|c| !c.is_empty()) {
        let p = b.push(Bind::Text(contains_pattern(customer)));
        b.clauses
            .push(format!("lower(c.customer_name) LIKE {p} ESCAPE '\\'"));
    }
    match query.owner {
        OwnerFilter::Any => {}
        OwnerFilter::Unassigned => b.clauses.push("c.owner_person_id IS NULL".to_string()),
        OwnerFilter::Person(id) => {
            let p = b.push(Bind::Int(id));
            b.clauses.push(format!("c.owner_person_id = {p}"));
        }
    }
    if let Some(stage) = query.stage.as_deref().filter(|s| !s.is_empty()) {
        let p = b.push(Bind::Text(stage.to_string()));
        b.clauses.push(format!("c.stage = {p}"));
    }
    if let Some(tag) = query.tag.as_deref().filter(|t| !t.is_empty()) {
        let p = b.push(Bind::Text(tag.to_string()));
        b.clauses.push(format!(
            "EXISTS (SELECT 1 FROM case_tags t WHERE t.case_id = c.id AND t.tag = {p})"
        ));
    }
    if let Some(person) = query.participant {
        let p = b.push(Bind::Int(person));
        b.clauses.push(format!(
            "EXISTS (SELECT 1 FROM case_participants cp JOIN person_addresses pa \
             ON pa.address = cp.address WHERE cp.case_id = c.id AND pa.person_id = {p})"
        ));
    }
    if let Some(text) = query
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let p = b.push(Bind::Text(contains_pattern(text)));
        b.clauses.push(format!(
            "(lower(c.title) LIKE {p} ESCAPE '\\' OR lower(c.number) LIKE {p} ESCAPE '\\' \
             OR lower(c.customer_name) LIKE {p} ESCAPE '\\')"
        ));
    }
    if let Some((filter, now)) = query.clocks {
        let p = b.push(Bind::Int(now));
        let condition = match filter {
            crate::sla::ClockFilter::Breached => format!("k.breach_at <= {p}"),
            crate::sla::ClockFilter::AtRisk => {
                format!("k.risk_at <= {p} AND (k.breach_at IS NULL OR k.breach_at > {p})")
            }
        };
        b.clauses.push(format!(
            "c.status NOT IN ('archived', 'resolved', 'cancelled') AND EXISTS \
             (SELECT 1 FROM case_clocks k WHERE k.case_id = c.id AND {condition})"
        ));
    }
    b
}

/// The due sort's key: the earliest breach, cases without one after every other.
const DUE_KEY: &str = "COALESCE(k.breach_at, 9223372036854775807)";

const RANK: &str =
    "(CASE c.priority WHEN 'P1' THEN 1 WHEN 'P2' THEN 2 WHEN 'P3' THEN 3 ELSE 4 END)";

impl Store {
    /// One page of the queue.
    pub async fn queue(&self, query: &QueueQuery) -> Result<QueuePage> {
        let mut b = filters(query);
        let time_column = match query.sort {
            QueueSort::Created => "c.created_at",
            QueueSort::Updated | QueueSort::Priority => "c.updated_at",
            QueueSort::Due => DUE_KEY,
        };
        if let Some(after) = query.after.as_ref().filter(|a| a.sort == query.sort) {
            let at = b.push(Bind::Int(after.at));
            let id = b.push(Bind::Int(after.id));
            let keyset = if query.sort == QueueSort::Due {
                format!("({time_column} > {at} OR ({time_column} = {at} AND c.id > {id}))")
            } else {
                format!("({time_column} < {at} OR ({time_column} = {at} AND c.id < {id}))")
            };
            if query.sort == QueueSort::Priority {
                let r = b.push(Bind::Int(after.rank));
                b.clauses
                    .push(format!("({RANK} > {r} OR ({RANK} = {r} AND {keyset}))"));
            } else {
                b.clauses.push(keyset);
            }
        }
        let order = match query.sort {
            QueueSort::Priority => format!("{RANK} ASC, c.updated_at DESC, c.id DESC"),
            QueueSort::Due => format!("{DUE_KEY} ASC, c.id ASC"),
            _ => format!("{time_column} DESC, c.id DESC"),
        };
        let limit = i64::from(query.limit.clamp(1, 500));
        let p = b.push(Bind::Int(limit + 1));
        let sql = format!(
            "SELECT c.id, c.number, c.title, c.priority, c.customer_name, c.customer_org_id, c.status, c.stage, \
             c.created_at, c.updated_at, o.display_name AS owner, k.risk_at, k.breach_at \
             FROM cases c LEFT JOIN people o ON o.id = c.owner_person_id \
             LEFT JOIN case_clocks k ON k.case_id = c.id \
             WHERE {} ORDER BY {order} LIMIT {p}",
            b.clauses.join(" AND ")
        );
        let mut statement = sqlx::query(&sql);
        for bind in b.binds {
            statement = match bind {
                Bind::Int(value) => statement.bind(value),
                Bind::Text(value) => statement.bind(value),
            };
        }
        let mut connection = self.pool.acquire().await?;
        let found = statement.fetch_all(&mut *connection).await?;
        let mut rows = Vec::with_capacity(found.len());
        for row in &found {
            let id: i64 = row.try_get("id")?;
            let corrupt =
                |what: &str, value: &str| Error::Corrupt(format!("case {id} has {what} '{value}'"));
            let priority: String = row.try_get("priority")?;
            let status: String = row.try_get("status")?;
            rows.push(QueueRow {
                id,
                number: row.try_get("number")?,
                title: row.try_get("title")?,
                priority: priority
                    .parse()
                    .map_err(|_| corrupt("priority", &priority))?,
                customer: row.try_get("customer_name")?,
                customer_org_id: row.try_get("customer_org_id")?,
                status: status.parse().map_err(|_| corrupt("status", &status))?,
                stage: row.try_get("stage")?,
                owner: row.try_get("owner")?,
                tags: Vec::new(),
                created_at: row.try_get("created_at")?,
                updated_at: row.try_get("updated_at")?,
                risk_at: row.try_get("risk_at")?,
                breach_at: row.try_get("breach_at")?,
            });
        }
        let more = rows.len() > usize::try_from(limit).unwrap_or(usize::MAX);
        rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        if !rows.is_empty() {
            let ids: Vec<String> = rows.iter().map(|r| r.id.to_string()).collect();
            // Ids are integers read from the database, never input.
            let tags = sqlx::query(&format!(
                "SELECT case_id, tag FROM case_tags WHERE case_id IN ({}) ORDER BY tag",
                ids.join(", ")
            ))
            .fetch_all(&mut *connection)
            .await?;
            for tag in tags {
                let case_id: i64 = tag.try_get("case_id")?;
                if let Some(row) = rows.iter_mut().find(|r| r.id == case_id) {
                    row.tags.push(tag.try_get("tag")?);
                }
            }
        }
        let next = if more {
            rows.last().map(|last| QueueCursor {
                sort: query.sort,
                rank: rank(last.priority),
                at: match query.sort {
                    QueueSort::Created => last.created_at,
                    QueueSort::Due => last.breach_at.unwrap_or(i64::MAX),
                    _ => last.updated_at,
                },
                id: last.id,
            })
        } else {
            None
        };
        Ok(QueuePage { rows, next })
    }

    /// How many cases each status has, among those the query's other filters select.
    pub async fn status_counts(&self, query: &QueueQuery) -> Result<Vec<(Status, u64)>> {
        let without_status = QueueQuery {
            statuses: Vec::new(),
            after: None,
            ..query.clone()
        };
        let b = filters(&without_status);
        // Only "not merged" and a partner's own organization: no filter the kept counts cannot
        // answer (derived from the clauses, so a filter added later never reads them by mistake).
        let unfiltered = b.clauses.len() == 1 + usize::from(query.customer_org_id.is_some());
        if unfiltered {
            // The counts the triggers keep (see migration 0010), not a count over every case.
            let found: Vec<(String, i64)> = match query.customer_org_id {
                Some(org) => {
                    sqlx::query_as("SELECT status, n FROM case_counts WHERE org_key = $1 AND n > 0")
                        .bind(org)
                        .fetch_all(&self.pool)
                        .await?
                }
                None => {
                    sqlx::query_as(
                        "SELECT status, CAST(SUM(n) AS BIGINT) FROM case_counts GROUP BY status",
                    )
                    .fetch_all(&self.pool)
                    .await?
                }
            };
            return Ok(Status::ALL
                .iter()
                .map(|status| {
                    let n = found
                        .iter()
                        .find(|(s, _)| s == status.as_str())
                        .map_or(0, |(_, n)| crate::to_u64(*n));
                    (*status, n)
                })
                .collect());
        }
        let sql = format!(
            "SELECT c.status, COUNT(*) AS n FROM cases c WHERE {} GROUP BY c.status",
            b.clauses.join(" AND ")
        );
        let mut statement = sqlx::query(&sql);
        for bind in b.binds {
            statement = match bind {
                Bind::Int(value) => statement.bind(value),
                Bind::Text(value) => statement.bind(value),
            };
        }
        let found = statement.fetch_all(&self.pool).await?;
        let mut counts: Vec<(Status, u64)> = Status::ALL.iter().map(|s| (*s, 0)).collect();
        for row in found {
            let status: String = row.try_get("status")?;
            let n: i64 = row.try_get("n")?;
            if let Some(slot) = counts.iter_mut().find(|(s, _)| s.as_str() == status) {
                slot.1 = crate::to_u64(n);
            }
        }
        Ok(counts)
    }

    /// The case's tags, sorted.
    pub async fn tags(&self, case_id: i64) -> Result<Vec<String>> {
        Ok(
            sqlx::query_scalar("SELECT tag FROM case_tags WHERE case_id = $1 ORDER BY tag")
                .bind(case_id)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// Every tag in use, sorted.
    pub async fn all_tags(&self) -> Result<Vec<String>> {
        Ok(
            sqlx::query_scalar("SELECT DISTINCT tag FROM case_tags ORDER BY tag")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// Adds and removes tags; records one internal `field_change` when the set changed and returns
    /// its entry id.
    pub async fn change_tags(
        &self,
        case_id: i64,
        add: &[String],
        remove: &[String],
        actor: Option<&str>,
        now: i64,
    ) -> Result<Option<i64>> {
        let mut tx = self.write_tx().await?;
        let before: Vec<String> =
            sqlx::query_scalar("SELECT tag FROM case_tags WHERE case_id = $1 ORDER BY tag")
                .bind(case_id)
                .fetch_all(&mut *tx)
                .await?;
        for tag in remove {
            sqlx::query("DELETE FROM case_tags WHERE case_id = $1 AND tag = $2")
                .bind(case_id)
                .bind(tag)
                .execute(&mut *tx)
                .await?;
        }
        for tag in add {
            sqlx::query(
                "INSERT INTO case_tags (case_id, tag) VALUES ($1, $2) ON CONFLICT (case_id, tag) DO NOTHING",
            )
            .bind(case_id)
            .bind(tag)
            .execute(&mut *tx)
            .await?;
        }
        let after: Vec<String> =
            sqlx::query_scalar("SELECT tag FROM case_tags WHERE case_id = $1 ORDER BY tag")
                .bind(case_id)
                .fetch_all(&mut *tx)
                .await?;
        if before == after {
            tx.rollback().await?;
            return Ok(None);
        }
        let event = Event::FieldChange {
            field: CaseField::Tags,
            from: Some(before.join(", ")).filter(|t| !t.is_empty()),
            to: Some(after.join(", ")).filter(|t| !t.is_empty()),
        };
        let entry = insert_event(&mut tx, case_id, &event, now, actor).await?;
        touch(&mut tx, case_id, now).await?;
        tx.commit().await?;
        Ok(Some(entry))
    }

    /// The addresses the guard trusts on the case, sorted.
    pub async fn participants(&self, case_id: i64) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT address FROM case_participants WHERE case_id = $1 ORDER BY address",
        )
        .bind(case_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Adds or removes one participant; records an internal `field_change` when the list changed.
    pub async fn change_participant(
        &self,
        case_id: i64,
        address: &str,
        present: bool,
        actor: Option<&str>,
        now: i64,
    ) -> Result<Option<i64>> {
        let mut tx = self.write_tx().await?;
        let changed = if present {
            sqlx::query(
                "INSERT INTO case_participants (case_id, address) VALUES ($1, $2) ON CONFLICT (case_id, address) DO NOTHING",
            )
        } else {
            sqlx::query("DELETE FROM case_participants WHERE case_id = $1 AND address = $2")
        }
        .bind(case_id)
        .bind(address)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            tx.rollback().await?;
            return Ok(None);
        }
        let (from, to) = if present {
            (None, Some(address.to_string()))
        } else {
            (Some(address.to_string()), None)
        };
        let event = Event::FieldChange {
            field: CaseField::Participants,
            from,
            to,
        };
        let entry = insert_event(&mut tx, case_id, &event, now, actor).await?;
        tx.commit().await?;
        Ok(Some(entry))
    }

    /// The highest timeline entry id (the live feed's position).
    pub async fn last_entry_id(&self) -> Result<i64> {
        Ok(
            sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(id) FROM timeline")
                .fetch_one(&self.pool)
                .await?
                .unwrap_or(0),
        )
    }

    /// Timeline entries after `after` (at most `limit`), with what the access policy needs of each.
    pub async fn entries_after(&self, after: i64, limit: u32) -> Result<Vec<FeedEntry>> {
        let rows = sqlx::query(
            "SELECT t.id, t.visibility, t.org_id, c.number, c.customer_org_id \
             FROM timeline t JOIN cases c ON c.id = t.case_id \
             WHERE t.id > $1 ORDER BY t.id LIMIT $2",
        )
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let visibility: String = row.try_get("visibility")?;
                Ok(FeedEntry {
                    entry_id: row.try_get("id")?,
                    case_number: row.try_get("number")?,
                    case_customer: row.try_get("customer_org_id")?,
                    visibility: visibility.parse().map_err(Error::Corrupt)?,
                    org_id: row.try_get("org_id")?,
                })
            })
            .collect()
    }

    /// A user's saved views: `(id, name, query string)`.
    pub async fn saved_views(&self, user_id: i64) -> Result<Vec<(i64, String, String)>> {
        let rows =
            sqlx::query("SELECT id, name, query FROM saved_views WHERE user_id = $1 ORDER BY name")
                .bind(user_id)
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("id")?,
                    row.try_get("name")?,
                    row.try_get("query")?,
                ))
            })
            .collect()
    }

    /// Saves (or replaces) a user's view under a name.
    pub async fn save_view(&self, user_id: i64, name: &str, query: &str, now: i64) -> Result<i64> {
        let mut tx = self.write_tx().await?;
        sqlx::query("DELETE FROM saved_views WHERE user_id = $1 AND name = $2")
            .bind(user_id)
            .bind(name)
            .execute(&mut *tx)
            .await?;
        let id = sqlx::query_scalar(
            "INSERT INTO saved_views (user_id, name, query, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(user_id)
        .bind(name)
        .bind(query)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Deletes one of a user's views; false when they have none with that id.
    pub async fn delete_view(&self, user_id: i64, id: i64) -> Result<bool> {
        let mut tx = self.write_tx().await?;
        let gone = sqlx::query("DELETE FROM saved_views WHERE user_id = $1 AND id = $2")
            .bind(user_id)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(gone > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_read_back() {
        let cursor = QueueCursor {
            sort: QueueSort::Priority,
            rank: 2,
            at: 1_700_000_000_000_000,
            id: 42,
        };
        assert_eq!(QueueCursor::decode(&cursor.encode()), Some(cursor));
        assert_eq!(QueueCursor::decode("updated.1.2"), None);
        assert_eq!(QueueCursor::decode("updated.1.2.3.4"), None);
        assert_eq!(QueueCursor::decode("sideways.1.2.3"), None);
        assert_eq!(QueueCursor::decode("updated.x.2.3"), None);
    }

    #[test]
    fn like_wildcards_are_literal() {
        assert_eq!(contains_pattern("50%_A\\"), "%50\\%\\_a\\\\%");
    }
}
