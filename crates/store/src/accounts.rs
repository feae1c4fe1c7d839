//! Accounts beyond the password: mail that belongs to no case (invitations, password resets) and
//! the second factor (TOTP secrets, recovery codes, sign-in challenges).
//!
//! Account mail takes the same road as a reply: its raw message is written to the blob store and
//! made durable first, then one transaction records the raw, the one-time link it carries and its
//! outbox row, so a crash leaves all or nothing. Secrets are stored as their SHA-256 only, except
//! the TOTP secret, which the server needs in the clear to check a code.

use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::blob::{BlobKey, BlobKind};
use crate::users::{end_sessions_in, user_from_row, UserRecord, USER_COLUMNS, USER_FROM};
use crate::{Result, Store};

/// A message Casebook writes to a user about their account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountMail {
    /// The whole raw message.
    pub raw: Vec<u8>,
    /// Envelope recipients.
    pub recipients: Vec<String>,
}

/// A user's second factor as the server holds it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TotpState {
    /// The confirmed secret (base32); `None` while no second factor guards the account.
    pub secret: Option<String>,
    /// A secret being enrolled, waiting for its first code.
    pub pending: Option<String>,
    /// The last time step a code was accepted for.
    pub last_step: Option<i64>,
    /// Recovery codes not used yet.
    pub recovery_left: u64,
}

/// A sign-in waiting for its second factor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChallengeRecord {
    /// Internal id.
    pub id: i64,
    /// Who is signing in.
    pub user_id: i64,
    /// Codes tried so far.
    pub attempts: i64,
    /// The client address the password came from.
    pub client: String,
}

impl Store {
    /// Adds a one-time link and, when given, queues the mail that carries it, in one transaction
    /// (the raw message is durable before it); returns the link's id.
    pub async fn insert_one_time_link(
        &self,
        link: (i64, &str, &str),
        now: i64,
        expires_at: i64,
        mail: Option<&AccountMail>,
    ) -> Result<i64> {
        let (user_id, purpose, token_hash) = link;
        let stored = match mail {
            Some(mail) => {
                let sha = hex::encode(Sha256::digest(&mail.raw));
                let key = BlobKey::new(BlobKind::Raw, &sha);
                let location = self
                    .blobs
                    .write_pack(&[(key, mail.raw.as_slice())])
                    .await?
                    .pop();
                Some((sha, location, mail))
            }
            None => None,
        };
        let mut tx = self.write_tx().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO one_time_links (user_id, purpose, token_hash, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(user_id)
        .bind(purpose)
        .bind(token_hash)
        .bind(now)
        .bind(expires_at)
        .fetch_one(&mut *tx)
        .await?;
        if let Some((sha, location, mail)) = stored {
            crate::outbox::queue_system_mail(
                &mut tx,
                mail,
                &sha,
                location.as_ref(),
                purpose,
                None,
                None,
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// When the newest link of this purpose was made for the user, if ever.
    pub async fn last_one_time_link_at(&self, user_id: i64, purpose: &str) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT MAX(created_at) FROM one_time_links WHERE user_id = $1 AND purpose = $2",
        )
        .bind(user_id)
        .bind(purpose)
        .fetch_one(&self.pool)
        .await?)
    }

    /// The user whose person has this address (compared as stored: lower-case), if any.
    pub async fn user_by_address(&self, address: &str) -> Result<Option<UserRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} {USER_FROM} WHERE q.id IN \
             (SELECT COALESCE(p2.merged_into, p2.id) FROM person_addresses a \
              JOIN people p2 ON p2.id = a.person_id WHERE a.address = $1) \
             ORDER BY u.id LIMIT 1"
        ))
        .bind(address.trim().to_lowercase())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// The user's second factor.
    pub async fn totp_state(&self, user_id: i64) -> Result<TotpState> {
        let row = sqlx::query(
            "SELECT totp_secret, totp_pending, totp_last_step, \
             (SELECT COUNT(*) FROM recovery_codes r WHERE r.user_id = users.id AND r.used_at IS NULL) AS recovery_left \
             FROM users WHERE id = $1",
        )
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(TotpState::default());
        };
        Ok(TotpState {
            secret: row.try_get("totp_secret")?,
            pending: row.try_get("totp_pending")?,
            last_step: row.try_get("totp_last_step")?,
            recovery_left: crate::to_u64(row.try_get("recovery_left")?),
        })
    }

    /// Sets (or with `None` clears) the secret being enrolled.
    pub async fn set_totp_pending(&self, user_id: i64, pending: Option<&str>) -> Result<()> {
        sqlx::query("UPDATE users SET totp_pending = $1 WHERE id = $2")
            .bind(pending)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Turns the second factor on: the pending secret becomes the secret (only if it is still
    /// `pending`), `step` is recorded as used, the recovery codes are replaced, and every other
    /// session of the user ends. Returns whether it happened.
    pub async fn enable_totp(
        &self,
        user_id: i64,
        pending: &str,
        step: i64,
        recovery_hashes: &[String],
        keep_session: Option<i64>,
        now: i64,
    ) -> Result<bool> {
        let mut tx = self.write_tx().await?;
        let changed = sqlx::query(
            "UPDATE users SET totp_secret = totp_pending, totp_pending = NULL, totp_last_step = $1, \
             updated_at = $2 WHERE id = $3 AND totp_pending = $4",
        )
        .bind(step)
        .bind(now)
        .bind(user_id)
        .bind(pending)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Ok(false);
        }
        replace_recovery_codes(&mut tx, user_id, recovery_hashes, now).await?;
        end_sessions_in(&mut tx, user_id, keep_session, now).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Turns the second factor off and forgets its recovery codes; returns whether it was on.
    pub async fn disable_totp(&self, user_id: i64, now: i64) -> Result<bool> {
        let mut tx = self.write_tx().await?;
        let changed = sqlx::query(
            "UPDATE users SET totp_secret = NULL, totp_pending = NULL, totp_last_step = NULL, \
             updated_at = $1 WHERE id = $2 AND totp_secret IS NOT NULL",
        )
        .bind(now)
        .bind(user_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(changed > 0)
    }

    /// Records a time step as used, only if it is later than the last one accepted; returns
    /// whether it was (a code is never accepted twice, even by two instances at once).
    pub async fn accept_totp_step(&self, user_id: i64, step: i64) -> Result<bool> {
        let mut tx = self.write_tx().await?;
        let changed = sqlx::query(
            "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND totp_secret IS NOT NULL \
             AND (totp_last_step IS NULL OR totp_last_step < $1)",
        )
        .bind(step)
        .bind(user_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(changed > 0)
    }

    /// Uses a recovery code once; returns whether it was there and unused.
    pub async fn use_recovery_code(&self, user_id: i64, code_hash: &str, now: i64) -> Result<bool> {
        let mut tx = self.write_tx().await?;
        let changed = sqlx::query(
            "UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 \
             AND used_at IS NULL",
        )
        .bind(now)
        .bind(user_id)
        .bind(code_hash)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(changed > 0)
    }

    /// Replaces the user's recovery codes.
    pub async fn set_recovery_codes(
        &self,
        user_id: i64,
        hashes: &[String],
        now: i64,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        replace_recovery_codes(&mut tx, user_id, hashes, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Opens a challenge for a sign-in whose password was right.
    pub async fn insert_sign_in_challenge(
        &self,
        secret_hash: &str,
        user_id: i64,
        client: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO sign_in_challenges (secret_hash, user_id, created_at, expires_at, client) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(secret_hash)
        .bind(user_id)
        .bind(now)
        .bind(expires_at)
        .bind(client)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Counts one more code tried on a challenge that is open (unused, unexpired, under
    /// `max_attempts`), and returns it; `None` when there is no such challenge.
    pub async fn try_sign_in_challenge(
        &self,
        secret_hash: &str,
        now: i64,
        max_attempts: i64,
    ) -> Result<Option<ChallengeRecord>> {
        let mut tx = self.write_tx().await?;
        let row = sqlx::query(
            "UPDATE sign_in_challenges SET attempts = attempts + 1 WHERE secret_hash = $1 \
             AND used_at IS NULL AND expires_at > $2 AND attempts < $3 \
             RETURNING id, user_id, attempts, client",
        )
        .bind(secret_hash)
        .bind(now)
        .bind(max_attempts)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        row.map(|row| {
            Ok(ChallengeRecord {
                id: row.try_get("id")?,
                user_id: row.try_get("user_id")?,
                attempts: row.try_get("attempts")?,
                client: row.try_get("client")?,
            })
        })
        .transpose()
    }

    /// Closes a challenge (its code was right); returns whether it was still open.
    pub async fn close_sign_in_challenge(&self, id: i64, now: i64) -> Result<bool> {
        let changed = sqlx::query(
            "UPDATE sign_in_challenges SET used_at = $1 WHERE id = $2 AND used_at IS NULL",
        )
        .bind(now)
        .bind(id)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(changed > 0)
    }
}

async fn replace_recovery_codes(
    connection: &mut sqlx::AnyConnection,
    user_id: i64,
    hashes: &[String],
    now: i64,
) -> Result<()> {
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *connection)
        .await?;
    for hash in hashes {
        sqlx::query(
            "INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES ($1, $2, $3)",
        )
        .bind(user_id)
        .bind(hash)
        .bind(now)
        .execute(&mut *connection)
        .await?;
    }
    Ok(())
}
