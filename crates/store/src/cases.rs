//! Cases and the labels that point at them.
//!
//! A case has an internal id that never changes; its number, its token,
//! aliases found in mail and the numbers of cases merged into it are rows in
//! `case_labels`, each pointing at one case. Looking a case up by any label
//! is one query, and a merged case's old number still finds the survivor.

use case::timeline::{MergeSide, SplitSide};
use case::{CaseField, CaseNumber, EntryKind, Event, Priority, Status, TrackingToken};
use sqlx::{AnyConnection, Row};

use crate::{Error, Result, Store};

/// A case as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseRecord {
    /// Internal id; never changes.
    pub id: i64,
    /// The case number.
    pub number: CaseNumber,
    /// The title.
    pub title: String,
    /// The priority.
    pub priority: Priority,
    /// The customer organization's id, if it is a known organization.
    pub customer_org_id: Option<i64>,
    /// The customer's name as the case knows it.
    pub customer: String,
    /// The owner's display name.
    pub owner: Option<String>,
    /// The product concerned.
    pub product: Option<String>,
    /// The product's version.
    pub version: Option<String>,
    /// The problem as defined with the partner.
    pub problem_definition: Option<String>,
    /// The agreed scope.
    pub scope: Option<String>,
    /// Where the case stands.
    pub status: Status,
    /// The stage label, as written in subjects.
    pub stage: String,
    /// The tracking token.
    pub tracking_token: Option<TrackingToken>,
    /// The number of the case this one was split from.
    pub split_from: Option<String>,
    /// The number of the case this one was merged into.
    pub merged_into: Option<String>,
    /// Other labels that point at this case: aliases, merged numbers, extra tokens.
    pub aliases: Vec<String>,
    /// Created, microseconds since the epoch (UTC).
    pub created_at: i64,
    /// Last changed, microseconds since the epoch (UTC).
    pub updated_at: i64,
}

/// How a new case gets its tracking token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenChoice {
    /// Keep a token from an earlier system.
    Adopt(TrackingToken),
    /// Make a new one with this prefix from the token sequence.
    New {
        /// The prefix, such as `CMIT`.
        prefix: String,
        /// The value of the first token made; the sequence counts up from it.
        start: u64,
    },
    /// No token.
    None,
}

/// What a new case is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCase {
    /// A number from an earlier system to keep, or `None` for a new one.
    pub number: Option<CaseNumber>,
    /// The tracking token.
    pub token: TokenChoice,
    /// The title.
    pub title: String,
    /// The priority.
    pub priority: Priority,
    /// The customer organization's id, if known.
    pub customer_org_id: Option<i64>,
    /// The customer's name.
    pub customer: String,
    /// The stage label.
    pub stage: String,
    /// The product concerned.
    pub product: Option<String>,
    /// The product's version.
    pub version: Option<String>,
    /// The case this one is split from.
    pub split_from: Option<i64>,
}

/// Makes a case number from a sequence value (the caller brings the randomness).
pub type NumberMaker<'a> = &'a mut (dyn FnMut(u64) -> CaseNumber + Send);

const CASE_COLUMNS: &str = "c.id, c.number, c.title, c.priority, c.customer_org_id, c.customer_name, c.product, c.version, \
c.problem_definition, c.scope, c.status, c.stage, c.tracking_token, c.created_at, c.updated_at, \
o.display_name AS owner, s.number AS split_from_number, m.number AS merged_into_number";
const CASE_JOINS: &str = "FROM cases c LEFT JOIN people o ON o.id = c.owner_person_id \
LEFT JOIN cases s ON s.id = c.split_from LEFT JOIN cases m ON m.id = c.merged_into";

impl Store {
    /// The numbers of these cases, in one query (lists that name many cases).
    pub async fn case_numbers(
        &self,
        case_ids: &[i64],
    ) -> Result<std::collections::HashMap<i64, String>> {
        let mut connection = self.pool.acquire().await?;
        let rows = crate::ingest::select_in(
            self.backend,
            &mut connection,
            "SELECT id, number FROM cases WHERE id",
            case_ids,
        )
        .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("id")?, row.try_get("number")?)))
            .collect()
    }

    /// Creates a case with a new (or adopted) number and token.
    pub async fn create_case(
        &self,
        new: NewCase,
        make_number: NumberMaker<'_>,
        actor: Option<&str>,
        now: i64,
    ) -> Result<CaseRecord> {
        let mut tx = self.write_tx().await?;
        let id = insert_case(self, &mut tx, &new, make_number, actor, now).await?;
        let record = case_by_id(&mut tx, id).await?;
        tx.commit().await?;
        Ok(record)
    }

    /// The case a label (number, alias, merged number or token) points at.
    pub async fn find_case(&self, label: &str) -> Result<Option<CaseRecord>> {
        let mut connection = self.pool.acquire().await?;
        let id = case_id_by_label(&mut connection, &canonical_label(label)).await?;
        match id {
            Some(id) => Ok(Some(case_by_id(&mut connection, id).await?)),
            None => Ok(None),
        }
    }

    /// The case with this internal id.
    pub async fn case_by_id(&self, id: i64) -> Result<CaseRecord> {
        let mut connection = self.pool.acquire().await?;
        case_by_id(&mut connection, id).await
    }

    /// Cases not merged into another, most recently changed first.
    pub async fn list_cases(&self, limit: Option<u64>) -> Result<Vec<CaseRecord>> {
        let mut connection = self.pool.acquire().await?;
        let limit = limit.map_or(i64::MAX, crate::to_i64);
        let ids: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM cases WHERE merged_into IS NULL ORDER BY updated_at DESC, id DESC LIMIT $1")
                .bind(limit)
                .fetch_all(&mut *connection)
                .await?;
        let mut records = Vec::with_capacity(ids.len());
        for id in ids {
            records.push(case_by_id(&mut connection, id).await?);
        }
        Ok(records)
    }

    /// Changes a case's status if it is still `from`, and records the change on the timeline; returns the entry's id.
    pub async fn set_status(
        &self,
        case_id: i64,
        from: Status,
        to: Status,
        summary: Option<case::summary::Summary>,
        actor: Option<&str>,
        now: i64,
    ) -> Result<i64> {
        let mut tx = self.write_tx().await?;
        let changed = sqlx::query(
            "UPDATE cases SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4",
        )
        .bind(to.as_str())
        .bind(now)
        .bind(case_id)
        .bind(from.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed != 1 {
            return Err(Error::conflict(
                "case_changed_meanwhile",
                &[("expected", &from)],
            ));
        }
        let event = Event::StatusChange {
            from: Some(from),
            to,
            summary,
        };
        let entry = insert_event(&mut tx, case_id, &event, now, actor).await?;
        tx.commit().await?;
        Ok(entry)
    }

    /// Adds an internal note to a case; returns the entry's id.
    pub async fn add_note(
        &self,
        case_id: i64,
        text: &str,
        actor: Option<&str>,
        now: i64,
    ) -> Result<i64> {
        let mut tx = self.write_tx().await?;
        let event = Event::Note {
            text: text.to_string(),
        };
        let entry = insert_event(&mut tx, case_id, &event, now, actor).await?;
        touch(&mut tx, case_id, now).await?;
        tx.commit().await?;
        Ok(entry)
    }

    /// Merges the case `gone` into `keep`: its timeline, messages, participants and labels move; its number
    /// still finds `keep`. Entries keep the organization they came from; those of another customer become
    /// internal on `keep`. The duplicate's opening stays with it, each side records one `merge` event, and
    /// `keep` was created when the earlier of the two was. Whether the merge is wise is the caller's to ask.
    pub async fn merge_cases(
        &self,
        keep: i64,
        gone: i64,
        actor: Option<&str>,
        now: i64,
    ) -> Result<MergeRecord> {
        if keep == gone {
            return Err(Error::conflict("merge_into_itself", &[]));
        }
        let mut tx = self.write_tx().await?;
        let keep_record = case_by_id(&mut tx, keep).await?;
        let gone_record = case_by_id(&mut tx, gone).await?;
        if let Some(survivor) = gone_record
            .merged_into
            .as_ref()
            .or(keep_record.merged_into.as_ref())
        {
            return Err(Error::conflict("already_merged", &[("survivor", survivor)]));
        }
        let other_customer =
            case::merge::other_customer(merge_side(&keep_record), merge_side(&gone_record));
        // The duplicate's opening stays with it; everything else moves.
        let opening = opening_entry(&mut tx, gone).await?.unwrap_or(-1);
        let made_internal = if other_customer {
            sqlx::query(
                "UPDATE timeline SET visibility = 'internal' WHERE case_id = $1 AND visibility = 'public' \
                 AND id <> $3 AND (org_id IS NULL OR $2 IS NULL OR org_id <> $2)",
            )
            .bind(gone)
            .bind(keep_record.customer_org_id)
            .bind(opening)
            .execute(&mut *tx)
            .await?
            .rows_affected()
        } else {
            0
        };
        sqlx::query("UPDATE timeline SET case_id = $1 WHERE case_id = $2 AND id <> $3")
            .bind(keep)
            .bind(gone)
            .bind(opening)
            .execute(&mut *tx)
            .await?;
        for statement in [
            "UPDATE messages SET case_id = $1 WHERE case_id = $2",
            "INSERT INTO case_participants (case_id, address) SELECT $1, address FROM case_participants WHERE case_id = $2 ON CONFLICT (case_id, address) DO NOTHING",
            "DELETE FROM case_participants WHERE case_id = $2",
            "UPDATE case_labels SET case_id = $1, kind = CASE WHEN kind = 'number' THEN 'merged' ELSE kind END WHERE case_id = $2",
            "UPDATE cases SET merged_into = $1 WHERE id = $2 OR merged_into = $2",
        ] {
            sqlx::query(statement).bind(keep).bind(gone).execute(&mut *tx).await?;
        }
        sqlx::query("UPDATE cases SET created_at = $1 WHERE id = $2")
            .bind(keep_record.created_at.min(gone_record.created_at))
            .bind(keep)
            .execute(&mut *tx)
            .await?;
        let kept_event = Event::Merge {
            side: MergeSide::MergedIn,
            case: gone_record.number.to_string(),
            other_customer: other_customer.then(|| gone_record.customer.clone()),
            made_internal,
        };
        let kept_entry = insert_event(&mut tx, keep, &kept_event, now, actor).await?;
        let gone_event = Event::Merge {
            side: MergeSide::MergedInto,
            case: keep_record.number.to_string(),
            other_customer: other_customer.then(|| keep_record.customer.clone()),
            made_internal,
        };
        let gone_entry = insert_event(&mut tx, gone, &gone_event, now, actor).await?;
        touch(&mut tx, keep, now).await?;
        tx.commit().await?;
        Ok(MergeRecord {
            kept_entry,
            gone_entry,
            made_internal,
        })
    }

    /// Splits a new case off `from`: the named messages move to it, participants are copied, both timelines say so
    /// (the new case's id and both entries are returned).
    pub async fn split_case(
        &self,
        from: i64,
        new: NewCase,
        make_number: NumberMaker<'_>,
        message_row_ids: &[i64],
        actor: Option<&str>,
        now: i64,
    ) -> Result<SplitRecord> {
        let mut tx = self.write_tx().await?;
        let source = case_by_id(&mut tx, from).await?;
        let new = NewCase {
            split_from: Some(from),
            ..new
        };
        let id = insert_case(self, &mut tx, &new, make_number, actor, now).await?;
        for row_id in message_row_ids {
            let moved =
                sqlx::query("UPDATE messages SET case_id = $1 WHERE id = $2 AND case_id = $3")
                    .bind(id)
                    .bind(row_id)
                    .bind(from)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            if moved != 1 {
                return Err(Error::NotFound {
                    what: "message on the case",
                    label: row_id.to_string(),
                });
            }
            sqlx::query("UPDATE timeline SET case_id = $1 WHERE message_row_id = $2")
                .bind(id)
                .bind(row_id)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("INSERT INTO case_participants (case_id, address) SELECT $1, address FROM case_participants WHERE case_id = $2")
            .bind(id)
            .bind(from)
            .execute(&mut *tx)
            .await?;
        let record = case_by_id(&mut tx, id).await?;
        let messages = crate::to_u64(i64::try_from(message_row_ids.len()).unwrap_or(i64::MAX));
        let event = Event::Split {
            side: SplitSide::SplitOff,
            case: record.number.to_string(),
            title: record.title.clone(),
            messages,
        };
        let source_entry = insert_event(&mut tx, from, &event, now, actor).await?;
        let event = Event::Split {
            side: SplitSide::SplitFrom,
            case: source.number.to_string(),
            title: record.title.clone(),
            messages,
        };
        let new_entry = insert_event(&mut tx, id, &event, now, actor).await?;
        touch(&mut tx, from, now).await?;
        tx.commit().await?;
        Ok(SplitRecord {
            case: record,
            source_entry,
            new_entry,
        })
    }
}

/// Fields of a case a person may change; `None` leaves a field as it is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CaseEdit {
    /// A new title.
    pub title: Option<String>,
    /// A new priority.
    pub priority: Option<Priority>,
    /// A new stage label.
    pub stage: Option<String>,
    /// The product concerned.
    pub product: Option<String>,
    /// The product's version.
    pub version: Option<String>,
    /// The problem as defined with the partner.
    pub problem_definition: Option<String>,
    /// The agreed scope.
    pub scope: Option<String>,
}

impl Store {
    /// Makes a person the case's owner (or nobody), and records the assignment on the timeline; returns the
    /// entry's id, or `None` when that person already owned it.
    pub async fn assign_case(
        &self,
        case_id: i64,
        owner: Option<i64>,
        actor: Option<&str>,
        now: i64,
    ) -> Result<Option<i64>> {
        let mut tx = self.write_tx().await?;
        let current: Option<i64> =
            sqlx::query_scalar("SELECT owner_person_id FROM cases WHERE id = $1")
                .bind(case_id)
                .fetch_one(&mut *tx)
                .await?;
        if current == owner {
            return Ok(None);
        }
        let before = case_by_id(&mut tx, case_id).await?.owner;
        sqlx::query("UPDATE cases SET owner_person_id = $1, updated_at = $2 WHERE id = $3")
            .bind(owner)
            .bind(now)
            .bind(case_id)
            .execute(&mut *tx)
            .await?;
        let after = case_by_id(&mut tx, case_id).await?.owner;
        let event = Event::Assignment {
            from: before,
            to: after,
        };
        let entry = insert_event(&mut tx, case_id, &event, now, actor).await?;
        tx.commit().await?;
        Ok(Some(entry))
    }

    /// Changes a case's fields and records one `field_change` entry per field that changed; returns their ids
    /// (none when every value was already so).
    pub async fn edit_case(
        &self,
        case_id: i64,
        edit: &CaseEdit,
        actor: Option<&str>,
        now: i64,
    ) -> Result<Vec<i64>> {
        let mut tx = self.write_tx().await?;
        let before = case_by_id(&mut tx, case_id).await?;
        let fields: [(CaseField, Option<String>, Option<String>); 7] = [
            (
                CaseField::Title,
                edit.title.clone(),
                Some(before.title.clone()),
            ),
            (
                CaseField::Priority,
                edit.priority.map(|p| p.as_str().to_string()),
                Some(before.priority.as_str().to_string()),
            ),
            (
                CaseField::Stage,
                edit.stage.clone(),
                Some(before.stage.clone()),
            ),
            (
                CaseField::Product,
                edit.product.clone(),
                before.product.clone(),
            ),
            (
                CaseField::Version,
                edit.version.clone(),
                before.version.clone(),
            ),
            (
                CaseField::ProblemDefinition,
                edit.problem_definition.clone(),
                before.problem_definition.clone(),
            ),
            (CaseField::Scope, edit.scope.clone(), before.scope.clone()),
        ];
        let mut entries = Vec::new();
        for (field, new, old) in fields {
            let Some(new) = new.filter(|new| Some(new) != old.as_ref()) else {
                continue;
            };
            // The column name comes from the fixed list of fields, never from input.
            sqlx::query(&format!(
                "UPDATE cases SET {} = $1 WHERE id = $2",
                field.as_str()
            ))
            .bind(&new)
            .bind(case_id)
            .execute(&mut *tx)
            .await?;
            let event = Event::FieldChange {
                field,
                from: old,
                to: Some(new),
            };
            entries.push(insert_event(&mut tx, case_id, &event, now, actor).await?);
        }
        if !entries.is_empty() {
            touch(&mut tx, case_id, now).await?;
        }
        tx.commit().await?;
        Ok(entries)
    }
}

/// What a merge did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MergeRecord {
    /// The `merge` entry on the case that stays.
    pub kept_entry: i64,
    /// The `merge` entry on the duplicate.
    pub gone_entry: i64,
    /// How many entries of the other customer became internal.
    pub made_internal: u64,
}

/// What a split did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitRecord {
    /// The new case.
    pub case: CaseRecord,
    /// The `split` entry on the original case.
    pub source_entry: i64,
    /// The `split` entry on the new case.
    pub new_entry: i64,
}

fn merge_side(record: &CaseRecord) -> case::merge::MergeSide<'_> {
    case::merge::MergeSide {
        customer_org: record.customer_org_id,
        customer: &record.customer,
        status: record.status,
    }
}

/// The entry that records a case's opening (a status change from nothing), if it has one.
async fn opening_entry(connection: &mut AnyConnection, case_id: i64) -> Result<Option<i64>> {
    let rows = sqlx::query(
        "SELECT id, data_json FROM timeline WHERE case_id = $1 AND kind = $2 ORDER BY at, id",
    )
    .bind(case_id)
    .bind(EntryKind::StatusChange.as_str())
    .fetch_all(&mut *connection)
    .await?;
    for row in rows {
        let data: String = row.try_get("data_json")?;
        let data: serde_json::Value = serde_json::from_str(&data)
            .map_err(|error| Error::Corrupt(format!("timeline entry data: {error}")))?;
        if let Ok(Event::StatusChange { from: None, .. }) =
            Event::from_json(EntryKind::StatusChange, &data)
        {
            return Ok(Some(row.try_get("id")?));
        }
    }
    Ok(None)
}

/// Case numbers and tokens are stored upper-case; aliases as found, trimmed.
pub(crate) fn canonical_label(label: &str) -> String {
    let trimmed = label.trim();
    if let Ok(number) = trimmed.parse::<CaseNumber>() {
        return number.to_string();
    }
    if let Ok(token) = trimmed.parse::<TrackingToken>() {
        return token.to_string();
    }
    trimmed.to_string()
}

pub(crate) async fn case_id_by_label(
    connection: &mut AnyConnection,
    label: &str,
) -> Result<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT case_id FROM case_labels WHERE label = $1")
            .bind(label)
            .fetch_optional(&mut *connection)
            .await?,
    )
}

pub(crate) async fn add_label(
    connection: &mut AnyConnection,
    label: &str,
    kind: &str,
    case_id: i64,
    seq: Option<u64>,
) -> Result<bool> {
    let inserted = sqlx::query("INSERT INTO case_labels (label, kind, case_id, seq) VALUES ($1, $2, $3, $4) ON CONFLICT (label) DO NOTHING")
        .bind(label)
        .bind(kind)
        .bind(case_id)
        .bind(seq.map(crate::to_i64))
        .execute(&mut *connection)
        .await?
        .rows_affected();
    Ok(inserted == 1)
}

pub(crate) async fn touch(connection: &mut AnyConnection, case_id: i64, now: i64) -> Result<()> {
    sqlx::query("UPDATE cases SET updated_at = CASE WHEN updated_at > $1 THEN updated_at ELSE $1 END WHERE id = $2")
        .bind(now)
        .bind(case_id)
        .execute(&mut *connection)
        .await?;
    Ok(())
}

pub(crate) async fn insert_case(
    store: &Store,
    connection: &mut AnyConnection,
    new: &NewCase,
    make_number: NumberMaker<'_>,
    actor: Option<&str>,
    now: i64,
) -> Result<i64> {
    let number = match &new.number {
        Some(number) => {
            if case_id_by_label(connection, &number.to_string())
                .await?
                .is_some()
            {
                return Err(Error::conflict("case_number_taken", &[("number", number)]));
            }
            number.clone()
        }
        None => loop {
            // Skip sequence values that adopted history already uses.
            let seq = store.next_seq(connection, "case_seq").await?;
            let taken: Option<i64> =
                sqlx::query_scalar("SELECT case_id FROM case_labels WHERE seq = $1 LIMIT 1")
                    .bind(crate::to_i64(seq))
                    .fetch_optional(&mut *connection)
                    .await?;
            if taken.is_none() {
                let number = make_number(seq);
                if case_id_by_label(connection, &number.to_string())
                    .await?
                    .is_none()
                {
                    break number;
                }
            }
        },
    };
    let token = match &new.token {
        TokenChoice::Adopt(token) => Some(token.clone()),
        TokenChoice::New { prefix, start } => loop {
            let value = start
                .saturating_add(store.next_seq(connection, "token_seq").await?)
                .saturating_sub(1);
            let token = TrackingToken::new(prefix, value)
                .map_err(|error| Error::Corrupt(error.to_string()))?;
            if case_id_by_label(connection, &token.to_string())
                .await?
                .is_none()
            {
                break Some(token);
            }
        },
        TokenChoice::None => None,
    };
    let id = insert_case_row(connection, new, &number, token.as_ref(), now).await?;
    add_label(
        connection,
        &number.to_string(),
        "number",
        id,
        Some(number.seq()),
    )
    .await?;
    if let Some(token) = &token {
        if !add_label(connection, &token.to_string(), "token", id, None).await? {
            return Err(Error::conflict("token_taken", &[("token", token)]));
        }
    }
    let event = Event::StatusChange {
        from: None,
        to: Status::New,
        summary: None,
    };
    insert_event(connection, id, &event, now, actor).await?;
    Ok(id)
}

/// Writes a new case's row; returns its id.
pub(crate) async fn insert_case_row(
    connection: &mut AnyConnection,
    new: &NewCase,
    number: &CaseNumber,
    token: Option<&TrackingToken>,
    now: i64,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO cases (number, title, priority, customer_org_id, customer_name, product, version, status, stage, \
         tracking_token, split_from, created_at, updated_at, number_origin) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13) RETURNING id",
    )
    .bind(number.to_string())
    .bind(&new.title)
    .bind(new.priority.as_str())
    .bind(new.customer_org_id)
    .bind(&new.customer)
    .bind(&new.product)
    .bind(&new.version)
    .bind(Status::New.as_str())
    .bind(&new.stage)
    .bind(token.map(ToString::to_string))
    .bind(new.split_from)
    .bind(now)
    .bind(if new.number.is_some() { "adopted" } else { "minted" })
    .fetch_one(&mut *connection)
    .await?)
}

/// Records an event on a case's timeline with the visibility the event has and the case's customer as
/// its organization; returns the entry's id.
pub(crate) async fn insert_event(
    connection: &mut AnyConnection,
    case_id: i64,
    event: &Event,
    at: i64,
    actor: Option<&str>,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO timeline (case_id, kind, at, actor, message_row_id, data_json, visibility, org_id) \
         VALUES ($1, $2, $3, $4, NULL, $5, $6, (SELECT customer_org_id FROM cases WHERE id = $1)) RETURNING id",
    )
    .bind(case_id)
    .bind(event.kind().as_str())
    .bind(at)
    .bind(actor)
    .bind(event.to_json().to_string())
    .bind(event.visibility().as_str())
    .fetch_one(&mut *connection)
    .await?)
}

pub(crate) async fn case_by_id(connection: &mut AnyConnection, id: i64) -> Result<CaseRecord> {
    let row = sqlx::query(&format!(
        "SELECT {CASE_COLUMNS} {CASE_JOINS} WHERE c.id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *connection)
    .await?
    .ok_or_else(|| Error::NotFound {
        what: "case",
        label: id.to_string(),
    })?;
    let corrupt =
        |what: &str, value: &str| Error::Corrupt(format!("case {id} has {what} '{value}'"));
    let number: String = row.try_get("number")?;
    let priority: String = row.try_get("priority")?;
    let status: String = row.try_get("status")?;
    let token: Option<String> = row.try_get("tracking_token")?;
    let aliases: Vec<String> =
        sqlx::query_scalar("SELECT label FROM case_labels WHERE case_id = $1 AND label <> $2 AND label <> $3 ORDER BY label")
            .bind(id)
            .bind(&number)
            .bind(token.clone().unwrap_or_default())
            .fetch_all(&mut *connection)
            .await?;
    Ok(CaseRecord {
        id,
        number: number.parse().map_err(|_| corrupt("number", &number))?,
        title: row.try_get("title")?,
        priority: priority
            .parse()
            .map_err(|_| corrupt("priority", &priority))?,
        customer_org_id: row.try_get("customer_org_id")?,
        customer: row.try_get("customer_name")?,
        owner: row.try_get("owner")?,
        product: row.try_get("product")?,
        version: row.try_get("version")?,
        problem_definition: row.try_get("problem_definition")?,
        scope: row.try_get("scope")?,
        status: status.parse().map_err(|_| corrupt("status", &status))?,
        stage: row.try_get("stage")?,
        tracking_token: match token {
            Some(token) => Some(token.parse().map_err(|_| corrupt("token", &token))?),
            None => None,
        },
        split_from: row.try_get("split_from_number")?,
        merged_into: row.try_get("merged_into_number")?,
        aliases,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}
