//! What live intake (IMAP, LMTP, SMTP) adds to a batch, in its transaction: a case's status
//! changed by a partner's mail, and the follow-up job that notifies people and reads bounces.

use case::{Event, Status};

use super::IngestTx;
use crate::jobs::NewJob;
use crate::{Error, Result};

impl IngestTx<'_> {
    /// A case's status, and when it last changed (microseconds; `None` if never since opening).
    pub async fn case_status(&mut self, case_id: i64) -> Result<(Status, Option<i64>)> {
        // A case this batch opened is not written yet: it is new.
        if self.new_cases.iter().any(|case| case.id == case_id) {
            return Ok((Status::New, None));
        }
        let status: String = sqlx::query_scalar("SELECT status FROM cases WHERE id = $1")
            .bind(case_id)
            .fetch_one(&mut *self.tx)
            .await?;
        let status: Status = status
            .parse()
            .map_err(|_| Error::Corrupt(format!("case {case_id} has status '{status}'")))?;
        let changed: Option<i64> = sqlx::query_scalar(
            "SELECT MAX(at) FROM timeline WHERE case_id = $1 AND kind = 'status_change'",
        )
        .bind(case_id)
        .fetch_one(&mut *self.tx)
        .await?;
        Ok((status, changed))
    }

    /// Changes a case's status because of mail (`actor` the sender), with its timeline entry.
    pub async fn status_by_mail(
        &mut self,
        case_id: i64,
        from: Status,
        to: Status,
        actor: Option<&str>,
        now: i64,
    ) -> Result<()> {
        sqlx::query("UPDATE cases SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4")
            .bind(to.as_str())
            .bind(now)
            .bind(case_id)
            .bind(from.as_str())
            .execute(&mut *self.tx)
            .await?;
        let event = Event::StatusChange {
            from: Some(from),
            to,
            summary: None,
        };
        crate::cases::insert_event(&mut self.tx, case_id, &event, now, actor).await?;
        Ok(())
    }

    /// Enqueues a job in this transaction (nothing when one of the name exists).
    pub async fn enqueue_job(&mut self, job: &NewJob<'_>, now: i64) -> Result<bool> {
        crate::jobs::enqueue_job(&mut self.tx, job, now).await
    }
}
