//! Bulk loads: many cases with their whole timelines, one transaction per batch.
//!
//! For stores that must hold a lot of history at once (the web benchmark's 100,000 cases): each
//! batch takes the writer lock once, mints numbers and tokens from the same sequences (and skips
//! the same taken values) as cases opened one by one, and writes cases, labels, tags and timeline
//! entries as multi-row inserts. Mail never comes this way: it enters through `intake::ingest`.

use std::collections::HashSet;

use case::{Event, Priority, Status, TrackingToken};

use crate::cases::NumberMaker;
use crate::ingest::{insert_rows, last_seq_value, set_seq_value, Param, ROWS_PER_STATEMENT};
use crate::{Backend, Error, Result, Store};

/// One case of a bulk load, with everything that happened on it after its opening.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadCase {
    /// The title.
    pub title: String,
    /// The priority.
    pub priority: Priority,
    /// The customer organization's id, if known; every entry comes from it.
    pub customer_org_id: Option<i64>,
    /// The customer's name.
    pub customer: String,
    /// The stage label.
    pub stage: String,
    /// The product concerned.
    pub product: Option<String>,
    /// The product's version.
    pub version: Option<String>,
    /// The person who owns the case at the end (its last assignment names them).
    pub owner_person_id: Option<i64>,
    /// The staff's labels.
    pub tags: Vec<String>,
    /// When it was opened, microseconds since the epoch (UTC).
    pub created_at: i64,
    /// Who opened it.
    pub opened_by: Option<String>,
    /// The entries after the opening, in time order. Status changes follow the state machine from
    /// `new`: the case's status is where the last one leads.
    pub entries: Vec<LoadEntry>,
}

/// One timeline entry of a bulk load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadEntry {
    /// What happened.
    pub event: Event,
    /// When, microseconds since the epoch (UTC).
    pub at: i64,
    /// Who did it.
    pub actor: Option<String>,
}

/// What a store holds, counted the way a bulk load aims at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct LoadCounts {
    /// Cases, merged ones excluded (as `stats` counts them).
    pub cases: u64,
    /// Timeline entries of every kind, on every case.
    pub timeline_entries: u64,
}

/// A window of `case_seq` values checked at once against the labels that hold them.
const SEQ_WINDOW: u64 = 4096;

impl Store {
    /// Writes cases with their openings and timelines in one transaction; returns how many
    /// timeline entries were written. New numbers come from `make_number` over the case
    /// sequence; with `tokens` (a prefix and the first value), each case gets a new tracking
    /// token from the token sequence.
    pub async fn load_cases(
        &self,
        cases: &[LoadCase],
        make_number: NumberMaker<'_>,
        tokens: Option<(&str, u64)>,
    ) -> Result<u64> {
        if cases.is_empty() {
            return Ok(0);
        }
        let mut tx = self.write_tx().await?;
        let numbers = mint_numbers(self.backend, &mut tx, cases.len(), make_number).await?;
        let tokens = match tokens {
            Some((prefix, start)) => {
                mint_tokens(self.backend, &mut tx, cases.len(), prefix, start).await?
            }
            None => Vec::new(),
        };
        let ids = case_ids(self.backend, &mut tx, cases.len()).await?;

        let text = |value: &str| Param::Text(Some(value.to_string()));
        let mut case_rows = Vec::with_capacity(cases.len());
        let mut label_rows = Vec::with_capacity(2 * cases.len());
        let mut tag_rows = Vec::new();
        let mut timeline_rows = Vec::new();
        for (index, new) in cases.iter().enumerate() {
            let (id, number) = (ids[index], &numbers[index]);
            let token = tokens.get(index);
            let opening = LoadEntry {
                event: Event::StatusChange {
                    from: None,
                    to: Status::New,
                    summary: None,
                },
                at: new.created_at,
                actor: new.opened_by.clone(),
            };
            let mut status = Status::New;
            let mut updated_at = new.created_at;
            for entry in std::iter::once(&opening).chain(&new.entries) {
                if let Event::StatusChange { to, .. } = &entry.event {
                    status = *to;
                }
                updated_at = updated_at.max(entry.at);
                timeline_rows.push(vec![
                    Param::Int(Some(id)),
                    text(entry.event.kind().as_str()),
                    Param::Int(Some(entry.at)),
                    Param::Text(entry.actor.clone()),
                    Param::Int(None),
                    Param::Text(Some(entry.event.to_json().to_string())),
                    text(entry.event.visibility().as_str()),
                    Param::Int(new.customer_org_id),
                ]);
            }
            case_rows.push(vec![
                Param::Int(Some(id)),
                text(&number.to_string()),
                text(&new.title),
                text(new.priority.as_str()),
                Param::Int(new.customer_org_id),
                text(&new.customer),
                Param::Int(new.owner_person_id),
                Param::Text(new.product.clone()),
                Param::Text(new.version.clone()),
                text(status.as_str()),
                text(&new.stage),
                Param::Text(token.map(ToString::to_string)),
                Param::Int(Some(new.created_at)),
                Param::Int(Some(updated_at)),
                text("minted"),
            ]);
            label_rows.push(vec![
                text(&number.to_string()),
                text("number"),
                Param::Int(Some(id)),
                Param::Int(Some(crate::to_i64(number.seq()))),
            ]);
            if let Some(token) = token {
                label_rows.push(vec![
                    text(&token.to_string()),
                    text("token"),
                    Param::Int(Some(id)),
                    Param::Int(None),
                ]);
            }
            let mut tags: Vec<&String> = new.tags.iter().collect();
            tags.sort();
            tags.dedup();
            for tag in tags {
                tag_rows.push(vec![Param::Int(Some(id)), text(tag)]);
            }
        }
        let backend = self.backend;
        insert_rows(
            backend,
            &mut tx,
            "cases",
            &[
                "id",
                "number",
                "title",
                "priority",
                "customer_org_id",
                "customer_name",
                "owner_person_id",
                "product",
                "version",
                "status",
                "stage",
                "tracking_token",
                "created_at",
                "updated_at",
                "number_origin",
            ],
            &case_rows,
            "",
        )
        .await?;
        insert_rows(
            backend,
            &mut tx,
            "case_labels",
            &["label", "kind", "case_id", "seq"],
            &label_rows,
            "",
        )
        .await?;
        insert_rows(
            backend,
            &mut tx,
            "case_tags",
            &["case_id", "tag"],
            &tag_rows,
            "",
        )
        .await?;
        insert_rows(
            backend,
            &mut tx,
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
            &timeline_rows,
            "",
        )
        .await?;
        tx.commit().await?;
        Ok(crate::to_u64(
            i64::try_from(timeline_rows.len()).unwrap_or(i64::MAX),
        ))
    }

    /// How many cases and timeline entries the store holds, read in one statement.
    pub async fn load_counts(&self) -> Result<LoadCounts> {
        let (cases, entries): (i64, i64) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM cases WHERE merged_into IS NULL), (SELECT COUNT(*) FROM timeline)",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(LoadCounts {
            cases: crate::to_u64(cases),
            timeline_entries: crate::to_u64(entries),
        })
    }
}

/// Which of these labels already point at a case.
async fn taken_labels(tx: &mut sqlx::AnyConnection, labels: &[String]) -> Result<HashSet<String>> {
    let mut taken = HashSet::new();
    for chunk in labels.chunks(ROWS_PER_STATEMENT) {
        let placeholders: Vec<String> = (1..=chunk.len()).map(|n| format!("${n}")).collect();
        let sql = format!(
            "SELECT label FROM case_labels WHERE label IN ({})",
            placeholders.join(", ")
        );
        let mut query = sqlx::query_scalar::<_, String>(&sql);
        for label in chunk {
            query = query.bind(label.clone());
        }
        taken.extend(query.fetch_all(&mut *tx).await?);
    }
    Ok(taken)
}

/// `count` new case numbers: the next values of the case sequence that no label holds.
async fn mint_numbers(
    backend: Backend,
    tx: &mut sqlx::AnyConnection,
    count: usize,
    make_number: NumberMaker<'_>,
) -> Result<Vec<case::CaseNumber>> {
    let mut last = last_seq_value(backend, tx, "case_seq").await?;
    let mut numbers = Vec::with_capacity(count);
    while numbers.len() < count {
        let from = last + 1;
        let to = from + SEQ_WINDOW;
        let held: HashSet<i64> =
            sqlx::query_scalar("SELECT seq FROM case_labels WHERE seq >= $1 AND seq < $2")
                .bind(crate::to_i64(from))
                .bind(crate::to_i64(to))
                .fetch_all(&mut *tx)
                .await?
                .into_iter()
                .collect();
        let mut candidates = Vec::new();
        for seq in from..to {
            if numbers.len() + candidates.len() == count {
                break;
            }
            last = seq;
            if !held.contains(&crate::to_i64(seq)) {
                candidates.push(make_number(seq));
            }
        }
        let labels: Vec<String> = candidates.iter().map(ToString::to_string).collect();
        let taken = taken_labels(tx, &labels).await?;
        numbers.extend(
            candidates
                .into_iter()
                .filter(|number| !taken.contains(&number.to_string())),
        );
    }
    set_seq_value(backend, tx, "case_seq", last).await?;
    Ok(numbers)
}

/// `count` new tracking tokens from the token sequence that no label holds.
async fn mint_tokens(
    backend: Backend,
    tx: &mut sqlx::AnyConnection,
    count: usize,
    prefix: &str,
    start: u64,
) -> Result<Vec<TrackingToken>> {
    let mut last = last_seq_value(backend, tx, "token_seq").await?;
    let mut tokens = Vec::with_capacity(count);
    while tokens.len() < count {
        let mut candidates = Vec::with_capacity(count - tokens.len());
        while tokens.len() + candidates.len() < count {
            last += 1;
            let value = start.saturating_add(last).saturating_sub(1);
            candidates.push(
                TrackingToken::new(prefix, value)
                    .map_err(|error| Error::Corrupt(error.to_string()))?,
            );
        }
        let labels: Vec<String> = candidates.iter().map(ToString::to_string).collect();
        let taken = taken_labels(tx, &labels).await?;
        tokens.extend(
            candidates
                .into_iter()
                .filter(|token| !taken.contains(&token.to_string())),
        );
    }
    set_seq_value(backend, tx, "token_seq", last).await?;
    Ok(tokens)
}

/// Ids for `count` new cases, given out under the writer lock.
async fn case_ids(
    backend: Backend,
    tx: &mut sqlx::AnyConnection,
    count: usize,
) -> Result<Vec<i64>> {
    let count = i64::try_from(count).unwrap_or(i64::MAX);
    Ok(match backend {
        Backend::Sqlite => {
            let first: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM cases")
                .fetch_one(&mut *tx)
                .await?;
            (first..first + count).collect()
        }
        Backend::Postgres => {
            sqlx::query_scalar(
                "SELECT nextval(pg_get_serial_sequence('cases', 'id')) FROM generate_series(1, $1)",
            )
            .bind(count)
            .fetch_all(&mut *tx)
            .await?
        }
    })
}
