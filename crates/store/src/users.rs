//! Users who sign in, their sessions and API tokens, sign-in attempts, the admin log and one-time links.
//!
//! A user is a person (`people`) with a login and a password: the role, the organization, the
//! names and the addresses are the person's, read through a join, never copied. When the person
//! was merged into another, the user is the person they were merged into.
//!
//! This module stores what it is given: password hashes, the SHA-256 of secrets, times. Hashing,
//! the random secrets, the expiry rules and the throttling delays are `app`'s (`app::auth`).

use case::Role;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::{to_u64, Error, Result, Store};

/// A user with the person behind them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    /// Internal id; never changes.
    pub id: i64,
    /// The login as entered.
    pub login: String,
    /// The person (after merges: the person kept).
    pub person_id: i64,
    /// The person's display name.
    pub display_name: String,
    /// The person's first address, if any.
    pub email: Option<String>,
    /// The person's role.
    pub role: Option<Role>,
    /// The person's organization.
    pub org_id: Option<i64>,
    /// The organization's name.
    pub org_name: Option<String>,
    /// Whether the organization is the vendor's own.
    pub org_is_staff: bool,
    /// The argon2id PHC string.
    pub password_hash: String,
    /// A disabled user cannot sign in and has no sessions or tokens.
    pub disabled: bool,
    /// The language the user chose (`en`, `zh-CN`).
    pub lang: Option<String>,
    /// The time zone the user chose (IANA name).
    pub zone: Option<String>,
    /// Whether a second factor (TOTP) guards the sign-in.
    pub second_factor: bool,
    /// When the user was added.
    pub created_at: i64,
    /// When the user last changed.
    pub updated_at: i64,
}

/// A session: one sign-in of a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// Internal id, new for every sign-in.
    pub id: i64,
    /// The user signed in.
    pub user_id: i64,
    /// The token forms must send back.
    pub csrf_token: String,
    /// When the user signed in.
    pub created_at: i64,
    /// When the session was last used (written at most about once a minute).
    pub last_seen_at: i64,
    /// When the session ended (sign-out, password change, disabling).
    pub ended_at: Option<i64>,
    /// The client address it was opened from.
    pub client: String,
}

/// An API token (its secret is never stored, only its hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    /// Internal id.
    pub id: i64,
    /// Whose token it is.
    pub user_id: i64,
    /// The user's login.
    pub login: String,
    /// What it is for, as its creator named it.
    pub name: String,
    /// When it was created.
    pub created_at: i64,
    /// When it was last used.
    pub last_used_at: Option<i64>,
    /// When it was revoked.
    pub revoked_at: Option<i64>,
}

/// One line of the admin log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminLogRecord {
    /// Internal id, in the order written.
    pub id: i64,
    /// When it happened.
    pub at: i64,
    /// Who did it: a login, or `cli`.
    pub actor: String,
    /// What happened, as an identifier (`sign_in`, `user_added`…).
    pub action: String,
    /// To whom or what (a login, a token id).
    pub target: String,
    /// The values involved, as JSON text.
    pub details_json: String,
    /// The client address, when it came over the network.
    pub client: Option<String>,
}

/// Failed sign-ins counted for throttling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FailedSignIns {
    /// For the account, since its last successful sign-in.
    pub login: u64,
    /// From the client address.
    pub client: u64,
}

pub(crate) const USER_COLUMNS: &str = "u.id, u.login, q.id AS person_id, q.display_name, q.role, \
     o.id AS org_id, o.name AS org_name, o.is_staff AS org_is_staff, u.password_hash, u.disabled, \
     u.lang, u.zone, u.created_at, u.updated_at, \
     CASE WHEN u.totp_secret IS NULL THEN 0 ELSE 1 END AS second_factor, \
     (SELECT MIN(a.address) FROM person_addresses a WHERE a.person_id = q.id) AS email";

pub(crate) const USER_FROM: &str = "FROM users u JOIN people p ON p.id = u.person_id \
     JOIN people q ON q.id = COALESCE(p.merged_into, p.id) \
     LEFT JOIN organizations o ON o.id = q.org_id";

pub(crate) fn user_from_row(row: &AnyRow) -> Result<UserRecord> {
    let role: Option<String> = row.try_get("role")?;
    Ok(UserRecord {
        id: row.try_get("id")?,
        login: row.try_get("login")?,
        person_id: row.try_get("person_id")?,
        display_name: row.try_get("display_name")?,
        email: row.try_get("email")?,
        role: role.and_then(|role| role.parse().ok()),
        org_id: row.try_get("org_id")?,
        org_name: row.try_get("org_name")?,
        org_is_staff: row.try_get::<Option<i64>, _>("org_is_staff")?.unwrap_or(0) != 0,
        password_hash: row.try_get("password_hash")?,
        disabled: row.try_get::<i64, _>("disabled")? != 0,
        lang: row.try_get("lang")?,
        zone: row.try_get("zone")?,
        second_factor: row.try_get::<i64, _>("second_factor")? != 0,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn session_from_row(row: &AnyRow) -> Result<SessionRecord> {
    Ok(SessionRecord {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        csrf_token: row.try_get("csrf_token")?,
        created_at: row.try_get("created_at")?,
        last_seen_at: row.try_get("last_seen_at")?,
        ended_at: row.try_get("ended_at")?,
        client: row.try_get("client")?,
    })
}

fn token_from_row(row: &AnyRow) -> Result<TokenRecord> {
    Ok(TokenRecord {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        login: row.try_get("login")?,
        name: row.try_get("name")?,
        created_at: row.try_get("created_at")?,
        last_used_at: row.try_get("last_used_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

const SESSION_COLUMNS: &str = "id, user_id, csrf_token, created_at, last_seen_at, ended_at, client";

const TOKEN_SELECT: &str =
    "SELECT t.id, t.user_id, u.login, t.name, t.created_at, t.last_used_at, \
     t.revoked_at FROM api_tokens t JOIN users u ON u.id = t.user_id";

/// A login as it is compared: trimmed and lower-case.
pub fn login_key(login: &str) -> String {
    login.trim().to_lowercase()
}

async fn user_by_id_in(connection: &mut AnyConnection, id: i64) -> Result<Option<UserRecord>> {
    let row = sqlx::query(&format!(
        "SELECT {USER_COLUMNS} {USER_FROM} WHERE u.id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *connection)
    .await?;
    row.as_ref().map(user_from_row).transpose()
}

pub(crate) async fn end_sessions_in(
    connection: &mut AnyConnection,
    user_id: i64,
    except: Option<i64>,
    now: i64,
) -> Result<u64> {
    let result = match except {
        Some(keep) => {
            sqlx::query(
                "UPDATE sessions SET ended_at = $1 WHERE user_id = $2 AND ended_at IS NULL AND id <> $3",
            )
            .bind(now)
            .bind(user_id)
            .bind(keep)
            .execute(&mut *connection)
            .await?
        }
        None => {
            sqlx::query(
                "UPDATE sessions SET ended_at = $1 WHERE user_id = $2 AND ended_at IS NULL",
            )
            .bind(now)
            .bind(user_id)
            .execute(&mut *connection)
            .await?
        }
    };
    Ok(result.rows_affected())
}

impl Store {
    /// Adds a user for a person; a login taken (compared case-insensitively) or a person who already
    /// has a login is a conflict.
    pub async fn insert_user(
        &self,
        login: &str,
        person_id: i64,
        password_hash: &str,
        now: i64,
    ) -> Result<UserRecord> {
        let login = login.trim();
        let mut tx = self.write_tx().await?;
        let taken: Option<String> =
            sqlx::query_scalar("SELECT login FROM users WHERE login_key = $1")
                .bind(login_key(login))
                .fetch_optional(&mut *tx)
                .await?;
        if taken.is_some() {
            return Err(Error::conflict("login_taken", &[("login", &login)]));
        }
        let person = sqlx::query_scalar::<_, i64>(
            "SELECT COALESCE(merged_into, id) FROM people WHERE id = $1",
        )
        .bind(person_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| Error::NotFound {
            what: "person",
            label: format!("#{person_id}"),
        })?;
        let existing: Option<String> = sqlx::query_scalar(
            "SELECT u.login FROM users u JOIN people p ON p.id = u.person_id \
             WHERE COALESCE(p.merged_into, p.id) = $1",
        )
        .bind(person)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(existing) = existing {
            return Err(Error::conflict("person_has_login", &[("login", &existing)]));
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (login, login_key, person_id, password_hash, disabled, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 0, $5, $5) RETURNING id",
        )
        .bind(login)
        .bind(login_key(login))
        .bind(person)
        .bind(password_hash)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let record = user_by_id_in(&mut tx, id)
            .await?
            .ok_or_else(|| Error::Corrupt(format!("user {id} vanished while added")))?;
        tx.commit().await?;
        Ok(record)
    }

    /// The user with this login (compared case-insensitively), if any.
    pub async fn user_by_login(&self, login: &str) -> Result<Option<UserRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} {USER_FROM} WHERE u.login_key = $1"
        ))
        .bind(login_key(login))
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// The user with this id, if any.
    pub async fn user_by_id(&self, id: i64) -> Result<Option<UserRecord>> {
        let mut connection = self.pool.acquire().await?;
        user_by_id_in(&mut connection, id).await
    }

    /// Every user, by login.
    pub async fn list_users(&self) -> Result<Vec<UserRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} {USER_FROM} ORDER BY u.login_key"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(user_from_row).collect()
    }

    /// Sets a user's password hash and ends their sessions but `keep_session`, in one transaction.
    pub async fn set_password_hash(
        &self,
        user_id: i64,
        password_hash: &str,
        keep_session: Option<i64>,
        now: i64,
    ) -> Result<u64> {
        let mut tx = self.write_tx().await?;
        sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
            .bind(password_hash)
            .bind(now)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        let ended = end_sessions_in(&mut tx, user_id, keep_session, now).await?;
        tx.commit().await?;
        Ok(ended)
    }

    /// Disables a user (ending every session and revoking every token, in one transaction) or
    /// enables them again (their tokens stay revoked).
    pub async fn set_user_disabled(&self, user_id: i64, disabled: bool, now: i64) -> Result<()> {
        let mut tx = self.write_tx().await?;
        sqlx::query("UPDATE users SET disabled = $1, updated_at = $2 WHERE id = $3")
            .bind(i64::from(disabled))
            .bind(now)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        if disabled {
            end_sessions_in(&mut tx, user_id, None, now).await?;
            sqlx::query(
                "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Sets the language and time zone a user chose (`None` clears them).
    pub async fn set_user_preferences(
        &self,
        user_id: i64,
        lang: Option<&str>,
        zone: Option<&str>,
        now: i64,
    ) -> Result<()> {
        sqlx::query("UPDATE users SET lang = $1, zone = $2, updated_at = $3 WHERE id = $4")
            .bind(lang)
            .bind(zone)
            .bind(now)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Sets a person's role (a user's role is their person's).
    pub async fn set_person_role(&self, person_id: i64, role: Role) -> Result<()> {
        sqlx::query("UPDATE people SET role = $1 WHERE id = $2")
            .bind(role.as_str())
            .bind(person_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Opens a session.
    pub async fn insert_session(
        &self,
        secret_hash: &str,
        user_id: i64,
        csrf_token: &str,
        client: &str,
        now: i64,
    ) -> Result<SessionRecord> {
        let row = sqlx::query(&format!(
            "INSERT INTO sessions (secret_hash, user_id, csrf_token, created_at, last_seen_at, client) \
             VALUES ($1, $2, $3, $4, $4, $5) RETURNING {SESSION_COLUMNS}"
        ))
        .bind(secret_hash)
        .bind(user_id)
        .bind(csrf_token)
        .bind(now)
        .bind(client)
        .fetch_one(&self.pool)
        .await?;
        session_from_row(&row)
    }

    /// The session whose secret has this hash, ended or not.
    pub async fn session_by_secret_hash(&self, secret_hash: &str) -> Result<Option<SessionRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {SESSION_COLUMNS} FROM sessions WHERE secret_hash = $1"
        ))
        .bind(secret_hash)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(session_from_row).transpose()
    }

    /// Every session of a user that has not ended, oldest first.
    pub async fn open_sessions_of(&self, user_id: i64) -> Result<Vec<SessionRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {SESSION_COLUMNS} FROM sessions WHERE user_id = $1 AND ended_at IS NULL ORDER BY id"
        ))
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(session_from_row).collect()
    }

    /// Records that a session was used.
    pub async fn touch_session(&self, id: i64, now: i64) -> Result<()> {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id = $2 AND last_seen_at < $1")
            .bind(now)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Ends one open session; returns it, or `None` when no open session has that hash.
    pub async fn end_session_by_secret_hash(
        &self,
        secret_hash: &str,
        now: i64,
    ) -> Result<Option<SessionRecord>> {
        let row = sqlx::query(&format!(
            "UPDATE sessions SET ended_at = $1 WHERE secret_hash = $2 AND ended_at IS NULL RETURNING {SESSION_COLUMNS}"
        ))
        .bind(now)
        .bind(secret_hash)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(session_from_row).transpose()
    }

    /// Ends every open session of a user but `except`; returns how many ended.
    pub async fn end_sessions_of(
        &self,
        user_id: i64,
        except: Option<i64>,
        now: i64,
    ) -> Result<u64> {
        let mut connection = self.pool.acquire().await?;
        end_sessions_in(&mut connection, user_id, except, now).await
    }

    /// Adds an API token.
    pub async fn insert_token(
        &self,
        user_id: i64,
        name: &str,
        token_hash: &str,
        now: i64,
    ) -> Result<TokenRecord> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(user_id)
        .bind(name)
        .bind(token_hash)
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        self.token_by_id(id)
            .await?
            .ok_or_else(|| Error::Corrupt(format!("token {id} vanished while added")))
    }

    /// The token with this id, if any.
    pub async fn token_by_id(&self, id: i64) -> Result<Option<TokenRecord>> {
        let row = sqlx::query(&format!("{TOKEN_SELECT} WHERE t.id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(token_from_row).transpose()
    }

    /// The token whose secret has this hash, revoked or not.
    pub async fn token_by_hash(&self, token_hash: &str) -> Result<Option<TokenRecord>> {
        let row = sqlx::query(&format!("{TOKEN_SELECT} WHERE t.token_hash = $1"))
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(token_from_row).transpose()
    }

    /// Tokens, of one user or of all, by id.
    pub async fn list_tokens(&self, user_id: Option<i64>) -> Result<Vec<TokenRecord>> {
        let rows = match user_id {
            Some(user_id) => {
                sqlx::query(&format!(
                    "{TOKEN_SELECT} WHERE t.user_id = $1 ORDER BY t.id"
                ))
                .bind(user_id)
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(&format!("{TOKEN_SELECT} ORDER BY t.id"))
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.iter().map(token_from_row).collect()
    }

    /// Records that a token was used.
    pub async fn touch_token(&self, id: i64, now: i64) -> Result<()> {
        sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Revokes a token (a revoked one stays revoked when it was); `None` when there is no such token.
    pub async fn revoke_token(&self, id: i64, now: i64) -> Result<Option<TokenRecord>> {
        sqlx::query("UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(&self.pool)
            .await?;
        self.token_by_id(id).await
    }

    /// Records a sign-in attempt, and forgets those older than `forget_before`.
    pub async fn record_sign_in_attempt(
        &self,
        login: &str,
        client: &str,
        success: bool,
        now: i64,
        forget_before: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO sign_in_attempts (login, client, at, success) VALUES ($1, $2, $3, $4)",
        )
        .bind(login_key(login))
        .bind(client)
        .bind(now)
        .bind(i64::from(success))
        .execute(&self.pool)
        .await?;
        sqlx::query("DELETE FROM sign_in_attempts WHERE at < $1")
            .bind(forget_before)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Failed sign-ins since `since`: for the login after its last success, and from the client.
    pub async fn failed_sign_ins(
        &self,
        login: &str,
        client: &str,
        since: i64,
    ) -> Result<FailedSignIns> {
        let login_failures: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM sign_in_attempts WHERE login = $1 AND success = 0 AND at >= $2 \
             AND at >= COALESCE((SELECT MAX(at) FROM sign_in_attempts WHERE login = $1 AND success = 1), $2)",
        )
        .bind(login_key(login))
        .bind(since)
        .fetch_one(&self.pool)
        .await?;
        // A success does not clear the client's count: signing in to an account of one's own must
        // not buy more guesses at others.
        let client_failures: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM sign_in_attempts WHERE client = $1 AND success = 0 AND at >= $2",
        )
        .bind(client)
        .bind(since)
        .fetch_one(&self.pool)
        .await?;
        Ok(FailedSignIns {
            login: to_u64(login_failures),
            client: to_u64(client_failures),
        })
    }

    /// Appends a line to the admin log.
    pub async fn append_admin_log(
        &self,
        at: i64,
        actor: &str,
        action: &str,
        target: &str,
        details_json: &str,
        client: Option<&str>,
    ) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO admin_log (at, actor, action, target, details_json, client) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(at)
        .bind(actor)
        .bind(action)
        .bind(target)
        .bind(details_json)
        .bind(client)
        .fetch_one(&self.pool)
        .await?)
    }

    /// The newest lines of the admin log, newest first.
    pub async fn admin_log(&self, limit: u64) -> Result<Vec<AdminLogRecord>> {
        let rows = sqlx::query(
            "SELECT id, at, actor, action, target, details_json, client FROM admin_log ORDER BY id DESC LIMIT $1",
        )
        .bind(crate::to_i64(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(AdminLogRecord {
                    id: row.try_get("id")?,
                    at: row.try_get("at")?,
                    actor: row.try_get("actor")?,
                    action: row.try_get("action")?,
                    target: row.try_get("target")?,
                    details_json: row.try_get("details_json")?,
                    client: row.try_get("client")?,
                })
            })
            .collect()
    }

    /// Uses a one-time link: when it exists for this purpose, is unused and unexpired, and its user
    /// is not disabled, marks it used, sets the user's password hash and ends their sessions, all in
    /// one transaction, and returns the user's id; otherwise changes nothing and returns `None`.
    pub async fn use_one_time_link(
        &self,
        token_hash: &str,
        purpose: &str,
        password_hash: &str,
        now: i64,
    ) -> Result<Option<i64>> {
        let mut tx = self.write_tx().await?;
        let user_id: Option<i64> = sqlx::query_scalar(
            "UPDATE one_time_links SET used_at = $1 WHERE token_hash = $2 AND purpose = $3 \
             AND used_at IS NULL AND expires_at > $1 \
             AND user_id IN (SELECT id FROM users WHERE disabled = 0) RETURNING user_id",
        )
        .bind(now)
        .bind(token_hash)
        .bind(purpose)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(user_id) = user_id else {
            return Ok(None);
        };
        sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
            .bind(password_hash)
            .bind(now)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        end_sessions_in(&mut tx, user_id, None, now).await?;
        tx.commit().await?;
        Ok(Some(user_id))
    }
}
