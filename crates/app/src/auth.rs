//! Signing in: users, passwords, sessions, API tokens, throttling, one-time links and the admin log.
//!
//! A user is a person with a login: the role and the organization are the person's (what
//! `contact add --role` sets), so the access policy (`case::access`) sees a signed-in user exactly
//! as it sees the contact. Passwords are hashed with argon2id; every other secret (session cookie,
//! API token, one-time link) is at least 256 random bits from the operating system, handed out
//! once and stored only as its SHA-256. Sessions live in the database, so several instances
//! behind a load balancer share them.
//!
//! Sign-in is throttled per account and per client address by delay, never by lockout: after
//! [`THROTTLE_FREE_FAILURES`] failures in [`THROTTLE_WINDOW`] each attempt waits longer before
//! the password is even checked, the right password included, so a guesser is slowed and the
//! owner is never locked out. An unknown login and a wrong password give the same error and take
//! the same time (the password is checked against a dummy hash).
//!
//! This module does not know HTTP: cookies, headers and status codes are the web's. It sends no
//! mail either: a one-time link's secret is returned for the caller to deliver.

use std::sync::OnceLock;
use std::time::Duration;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use case::access::Viewer;
use case::{Address, Role};
use chrono::{DateTime, Utc};
use rand::TryRngCore;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use store::users::{TokenRecord, UserRecord};

use crate::i18n::Lang;
use crate::views::rfc3339;
use crate::{App, AppError};

/// A session ends when it was not used for this long.
pub const SESSION_IDLE_LIMIT: Duration = Duration::from_secs(8 * 60 * 60);
/// A session ends this long after sign-in, however much it is used.
pub const SESSION_ABSOLUTE_LIMIT: Duration = Duration::from_secs(30 * 24 * 60 * 60);
/// `last_seen_at` and `last_used_at` are written at most this often, to spare writes.
pub const TOUCH_INTERVAL: Duration = Duration::from_secs(60);
/// Failed sign-ins count for throttling this long.
pub const THROTTLE_WINDOW: Duration = Duration::from_secs(15 * 60);
/// This many failures in the window cost nothing; each one more doubles the delay.
pub const THROTTLE_FREE_FAILURES: u64 = 3;
/// The shortest password accepted, in characters.
pub const PASSWORD_MIN_CHARS: usize = 10;
/// The longest password accepted, in bytes (hashing cost does not depend on it, reading does).
pub const PASSWORD_MAX_BYTES: usize = 1024;
/// API tokens start with this, so that they are recognised in configuration files and logs.
pub const TOKEN_PREFIX: &str = "cb_";

/// Sign-in attempts are kept this long (the window, with room for reports).
const ATTEMPTS_KEPT: Duration = Duration::from_secs(24 * 60 * 60);
/// Random bytes in every secret: 256 bits.
pub(crate) const SECRET_BYTES: usize = 32;
/// Longest login or client text written to the log (they come from anyone).
const LOGGED_TEXT_CHARS: usize = 200;

/// How signing in behaves: argon2 cost and throttling delays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthSettings {
    /// Hash new passwords with the cheapest argon2id parameters: for tests only, never in production
    /// (the CLI sets it from `CASEBOOK_ARGON2_LIGHT=1`).
    pub argon2_light: bool,
    /// The delay after the first failure beyond the free ones; it doubles with each further failure.
    pub throttle_base: Duration,
    /// The longest delay.
    pub throttle_cap: Duration,
}

impl Default for AuthSettings {
    fn default() -> AuthSettings {
        AuthSettings {
            argon2_light: false,
            throttle_base: Duration::from_millis(500),
            throttle_cap: Duration::from_secs(10),
        }
    }
}

impl AuthSettings {
    /// The delay before checking a sign-in after `failures` recent failures: none for the first
    /// [`THROTTLE_FREE_FAILURES`], then the base doubling with each one more, up to the cap.
    pub fn throttle_delay(&self, failures: u64) -> Duration {
        let Some(beyond) = failures.checked_sub(THROTTLE_FREE_FAILURES) else {
            return Duration::ZERO;
        };
        let factor = 1u32.checked_shl(u32::try_from(beyond).unwrap_or(u32::MAX));
        factor
            .and_then(|factor| self.throttle_base.checked_mul(factor))
            .map_or(self.throttle_cap, |delay| delay.min(self.throttle_cap))
    }

    fn params(&self) -> Params {
        if self.argon2_light {
            // The smallest parameters argon2 accepts: 8 KiB, one pass.
            Params::new(8, 1, 1, None).unwrap_or_default()
        } else {
            // 19 MiB, two passes, one lane: OWASP's recommendation for argon2id.
            Params::DEFAULT
        }
    }
}

/// The settings and the dummy hash an unknown login is checked against.
#[derive(Debug, Default)]
pub(crate) struct AuthState {
    settings: AuthSettings,
    dummy_hash: OnceLock<String>,
}

impl AuthState {
    pub(crate) fn new(settings: AuthSettings) -> AuthState {
        AuthState {
            settings,
            dummy_hash: OnceLock::new(),
        }
    }
}

/// A user as lists and pages show them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserView {
    /// Internal id.
    pub id: i64,
    /// The login.
    pub login: String,
    /// The person the user is.
    pub person_id: i64,
    /// The person's name.
    pub name: Option<String>,
    /// The person's address.
    pub email: Option<String>,
    /// The person's role.
    pub role: Option<Role>,
    /// The person's organization.
    pub org: Option<String>,
    /// Whether the user may not sign in.
    pub disabled: bool,
    /// The language the user chose.
    pub lang: Option<String>,
    /// The time zone the user chose.
    pub zone: Option<String>,
    /// Whether a second factor (TOTP) guards the sign-in.
    pub second_factor: bool,
    /// When the user was added (RFC 3339).
    pub created_at: String,
}

impl From<&UserRecord> for UserView {
    fn from(record: &UserRecord) -> UserView {
        UserView {
            id: record.id,
            login: record.login.clone(),
            person_id: record.person_id,
            name: Some(record.display_name.clone()),
            email: record.email.clone(),
            role: record.role,
            org: record.org_name.clone(),
            disabled: record.disabled,
            lang: record.lang.clone(),
            zone: record.zone.clone(),
            second_factor: record.second_factor,
            created_at: rfc3339(record.created_at),
        }
    }
}

/// A user to add.
#[derive(Clone, PartialEq, Eq)]
pub struct NewUser {
    /// The login: an address, or a short name (then `email` is needed).
    pub login: String,
    /// The person's role.
    pub role: Role,
    /// The person's organization, by name.
    pub org: Option<String>,
    /// The person's name.
    pub name: Option<String>,
    /// The person's address; the login when it is one.
    pub email: Option<String>,
    /// The password.
    pub password: String,
}

impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser")
            .field("login", &self.login)
            .field("role", &self.role)
            .field("org", &self.org)
            .field("name", &self.name)
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// Who is signed in, as every interface needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The user's id.
    pub user_id: i64,
    /// The login.
    pub login: String,
    /// The person the user is.
    pub person_id: i64,
    /// The person's name.
    pub name: String,
    /// The person's role.
    pub role: Role,
    /// The person's organization.
    pub org_id: Option<i64>,
    /// The organization's name.
    pub org_name: Option<String>,
    /// Who they are to the access policy.
    pub viewer: Viewer,
    /// The language they chose.
    pub lang: Option<Lang>,
    /// The time zone they chose.
    pub zone: Option<chrono_tz::Tz>,
}

/// A sign-in that worked: the secret for the cookie, and the session it opened.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedIn {
    /// The session's secret: goes into the cookie, is stored only as its hash, never logged.
    pub secret: String,
    /// The session.
    pub session: Session,
}

impl std::fmt::Debug for SignedIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedIn")
            .field("session", &self.session)
            .finish_non_exhaustive()
    }
}

/// Where a sign-in stands after the password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInStep {
    /// Signed in.
    Done(SignedIn),
    /// The password was right; the second factor is still to come.
    SecondFactor(crate::accounts::Challenge),
}

/// An open session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The session's id (new at every sign-in).
    pub id: i64,
    /// The token forms send back.
    pub csrf_token: String,
    /// Who is signed in.
    pub principal: Principal,
    /// When they signed in.
    pub created_at: DateTime<Utc>,
}

/// A token just created: the only time its secret is shown.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct NewToken {
    /// The token's id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// The secret, `cb_` and 64 hex digits.
    pub token: String,
    /// When it was created (RFC 3339).
    pub created_at: String,
}

impl std::fmt::Debug for NewToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewToken")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

/// A token in a list (without its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenView {
    /// The token's id.
    pub id: i64,
    /// Whose it is.
    pub login: String,
    /// Its name.
    pub name: String,
    /// When it was created (RFC 3339).
    pub created_at: String,
    /// When it was last used (RFC 3339).
    pub last_used_at: Option<String>,
    /// Whether it was revoked.
    pub revoked: bool,
}

impl From<&TokenRecord> for TokenView {
    fn from(record: &TokenRecord) -> TokenView {
        TokenView {
            id: record.id,
            login: record.login.clone(),
            name: record.name.clone(),
            created_at: rfc3339(record.created_at),
            last_used_at: record.last_used_at.map(rfc3339),
            revoked: record.revoked_at.is_some(),
        }
    }
}

/// One line of the admin log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdminLogEntry {
    /// Its id, in the order written.
    pub id: i64,
    /// When (RFC 3339).
    pub at: String,
    /// Who: a login, or `cli`.
    pub actor: String,
    /// What, as an identifier: `sign_in`, `sign_in_failed`, `sign_out`, `user_added`,
    /// `role_changed`, `password_changed`, `password_reset`, `invite_accepted`, `user_disabled`,
    /// `user_enabled`, `preferences_changed`, `token_created`, `token_revoked`, `link_created`.
    pub action: String,
    /// To whom or what: a login, or `token:ID`.
    pub target: String,
    /// The values involved.
    pub details: serde_json::Value,
    /// The client address, when it came over the network.
    pub client: Option<String>,
}

/// What a one-time link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkPurpose {
    /// A new user sets their first password.
    Invite,
    /// A user who forgot their password sets a new one.
    Reset,
}

impl LinkPurpose {
    /// The stable identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkPurpose::Invite => "invite",
            LinkPurpose::Reset => "reset",
        }
    }
}

/// The hex SHA-256 of a secret, as it is stored.
pub(crate) fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Random bytes from the operating system, as hex.
pub(crate) fn random_hex() -> Result<String, AppError> {
    let mut bytes = [0u8; SECRET_BYTES];
    rand::rngs::OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(|error| {
            AppError::internal(format!("the system's random source failed: {error}"))
        })?;
    Ok(hex::encode(bytes))
}

pub(crate) fn micros(duration: Duration) -> i64 {
    i64::try_from(duration.as_micros()).unwrap_or(i64::MAX)
}

/// Text from outside, cut short for the log.
pub(crate) fn loggable(text: &str) -> String {
    text.trim().chars().take(LOGGED_TEXT_CHARS).collect()
}

/// Refuses a password that is blank, too short or too long.
fn check_password(password: &str) -> Result<(), AppError> {
    if password.trim().is_empty() {
        return Err(AppError::invalid("password_blank", json!({})));
    }
    let length = password.chars().count();
    if length < PASSWORD_MIN_CHARS {
        return Err(AppError::password_too_short(PASSWORD_MIN_CHARS, length));
    }
    if password.len() > PASSWORD_MAX_BYTES {
        return Err(AppError::invalid(
            "password_too_long",
            json!({ "length": password.len(), "limit": PASSWORD_MAX_BYTES }),
        ));
    }
    Ok(())
}

/// Hashes a password with argon2id (off the async threads: it takes tens of milliseconds on purpose).
async fn hash_password(password: &str, params: Params) -> Result<String, AppError> {
    let mut salt = [0u8; 16];
    rand::rngs::OsRng
        .try_fill_bytes(&mut salt)
        .map_err(|error| {
            AppError::internal(format!("the system's random source failed: {error}"))
        })?;
    let password = password.to_string();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::encode_b64(&salt)
            .map_err(|error| AppError::internal(format!("password salt: {error}")))?;
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|error| AppError::internal(format!("password hashing: {error}")))
    })
    .await
    .map_err(|error| AppError::internal(format!("password hashing stopped: {error}")))?
}

/// Whether a password matches a stored hash (with the parameters the hash names).
async fn verify_password(password: &str, stored: &str) -> Result<bool, AppError> {
    let password = password.to_string();
    let stored = stored.to_string();
    tokio::task::spawn_blocking(move || match PasswordHash::new(&stored) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    })
    .await
    .map_err(|error| AppError::internal(format!("password check stopped: {error}")))
}

/// The principal of a user, or `None` when they may not act: disabled, no role, or nobody to the
/// access policy (a partner's contact without an organization).
pub(crate) fn principal_of(user: &UserRecord) -> Option<Principal> {
    if user.disabled {
        return None;
    }
    let role = user.role?;
    let viewer = Viewer::for_person(Some(role), user.org_is_staff, user.org_id)?;
    Some(Principal {
        user_id: user.id,
        login: user.login.clone(),
        person_id: user.person_id,
        name: user.display_name.clone(),
        role,
        org_id: user.org_id,
        org_name: user.org_name.clone(),
        viewer,
        lang: user.lang.as_deref().and_then(|lang| lang.parse().ok()),
        zone: user.zone.as_deref().and_then(|zone| zone.parse().ok()),
    })
}

/// Refuses a role that the organization contradicts: a staff role in a customer's organization
/// (the access policy would not honour it), a partner's role in the staff organization (it would
/// make them staff), a partner's role without an organization (they could see nothing).
fn check_role_in_org(role: Role, org: Option<&store::orgs::OrgRecord>) -> Result<(), AppError> {
    match org {
        Some(org) if role.is_staff() && !org.is_staff => Err(AppError::invalid(
            "staff_role_outside_staff",
            json!({ "role": role.as_str(), "org": org.name }),
        )),
        Some(org) if !role.is_staff() && org.is_staff => Err(AppError::invalid(
            "partner_role_in_staff",
            json!({ "role": role.as_str(), "org": org.name }),
        )),
        None if !role.is_staff() => Err(AppError::invalid(
            "partner_needs_org",
            json!({ "role": role.as_str() }),
        )),
        _ => Ok(()),
    }
}

impl App {
    /// The same application with other sign-in settings.
    pub fn with_auth_settings(self, settings: AuthSettings) -> App {
        App {
            auth: AuthState::new(settings),
            ..self
        }
    }

    /// The sign-in settings.
    pub fn auth_settings(&self) -> AuthSettings {
        self.auth.settings
    }

    pub(crate) fn now_micros(&self) -> i64 {
        self.now().timestamp_micros()
    }

    pub(crate) async fn log_admin(
        &self,
        actor: &str,
        action: &str,
        target: &str,
        details: serde_json::Value,
        client: Option<&str>,
    ) -> Result<(), AppError> {
        self.store
            .append_admin_log(
                self.now_micros(),
                actor,
                action,
                target,
                &details.to_string(),
                client,
            )
            .await?;
        tracing::info!(
            actor,
            action,
            target,
            "admin log: {actor} {action} {target}"
        );
        Ok(())
    }

    pub(crate) async fn user_record(&self, login: &str) -> Result<UserRecord, AppError> {
        self.store
            .user_by_login(login)
            .await?
            .ok_or_else(|| AppError::user_not_found(login))
    }

    pub(crate) async fn user_record_by_id(&self, id: i64) -> Result<UserRecord, AppError> {
        self.store
            .user_by_id(id)
            .await?
            .ok_or_else(|| AppError::user_not_found(&format!("#{id}")))
    }

    async fn new_password_hash(&self, password: &str) -> Result<String, AppError> {
        check_password(password)?;
        hash_password(password, self.auth.settings.params()).await
    }

    /// Adds a user: the person with that address (created when new, through the contact
    /// machinery) gets the role and, when given, the organization, and a login with a password.
    pub async fn user_add(&self, new: NewUser, actor: &str) -> Result<UserView, AppError> {
        let login = new.login.trim().to_string();
        if login.is_empty() {
            return Err(AppError::invalid("login_blank", json!({})));
        }
        if login.chars().count() > LOGGED_TEXT_CHARS || login.chars().any(char::is_control) {
            return Err(AppError::invalid(
                "login_unusable",
                json!({ "login": loggable(&login) }),
            ));
        }
        check_password(&new.password)?;
        let email: Address = match new
            .email
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            Some(email) => email.parse().map_err(|_: case::party::BadAddress| {
                AppError::invalid("bad_address", json!({ "value": email }))
            })?,
            None => login.parse().map_err(|_: case::party::BadAddress| {
                AppError::invalid("email_required", json!({ "login": login }))
            })?,
        };
        if self.store.user_by_login(&login).await?.is_some() {
            return Err(AppError::login_taken(&login));
        }
        let given_org = match new.org.as_deref().map(str::trim).filter(|o| !o.is_empty()) {
            Some(name) => Some(
                self.store
                    .find_org(name)
                    .await?
                    .ok_or_else(|| AppError::org_not_found(name))?,
            ),
            None => None,
        };
        let existing = self.store.find_contact(email.as_str()).await?;
        let existing_org = match existing.as_ref().and_then(|person| person.org.as_deref()) {
            Some(name) => self.store.find_org(name).await?,
            None => None,
        };
        if let (Some(given), Some(current)) = (&given_org, &existing_org) {
            if given.id != current.id {
                return Err(AppError::invalid(
                    "org_contradicts_person",
                    json!({ "address": email.as_str(), "org": given.name, "person_org": current.name }),
                ));
            }
        }
        let org = given_org.as_ref().or(existing_org.as_ref());
        check_role_in_org(new.role, org)?;
        let password_hash = self.new_password_hash(&new.password).await?;
        let person = self
            .contact_add(
                email.as_str(),
                new.name.as_deref(),
                given_org.as_ref().map(|org| org.name.as_str()),
                Some(new.role),
            )
            .await?;
        let user = self
            .store
            .insert_user(&login, person.id, &password_hash, self.now_micros())
            .await?;
        self.log_admin(
            actor,
            "user_added",
            &user.login,
            json!({ "person_id": user.person_id, "role": new.role.as_str(), "org": user.org_name }),
            None,
        )
        .await?;
        Ok(UserView::from(&user))
    }

    /// Every user, by login.
    pub async fn user_list(&self) -> Result<Vec<UserView>, AppError> {
        Ok(self
            .store
            .list_users()
            .await?
            .iter()
            .map(UserView::from)
            .collect())
    }

    /// One user.
    pub async fn user_show(&self, login: &str) -> Result<UserView, AppError> {
        Ok(UserView::from(&self.user_record(login).await?))
    }

    /// Sets a user's password (an administrator's doing) and ends all their sessions.
    pub async fn user_passwd(
        &self,
        login: &str,
        password: &str,
        actor: &str,
    ) -> Result<UserView, AppError> {
        let user = self.user_record(login).await?;
        let hash = self.new_password_hash(password).await?;
        let ended = self
            .store
            .set_password_hash(user.id, &hash, None, self.now_micros())
            .await?;
        self.log_admin(
            actor,
            "password_changed",
            &user.login,
            json!({ "sessions_ended": ended }),
            None,
        )
        .await?;
        Ok(UserView::from(&self.user_record_by_id(user.id).await?))
    }

    /// A user changes their own password: the current one must match; every other session ends
    /// (the one given stays open).
    pub async fn user_change_own_password(
        &self,
        user_id: i64,
        old: &str,
        new: &str,
        keep_session_id: Option<i64>,
    ) -> Result<UserView, AppError> {
        let user = self.user_record_by_id(user_id).await?;
        if user.disabled || !verify_password(old, &user.password_hash).await? {
            return Err(AppError::invalid("current_password_wrong", json!({})));
        }
        let hash = self.new_password_hash(new).await?;
        let ended = self
            .store
            .set_password_hash(user.id, &hash, keep_session_id, self.now_micros())
            .await?;
        self.log_admin(
            &user.login,
            "password_changed",
            &user.login,
            json!({ "sessions_ended": ended, "own": true }),
            None,
        )
        .await?;
        Ok(UserView::from(&self.user_record_by_id(user.id).await?))
    }

    /// Disables a user: they cannot sign in, their sessions end and their tokens are revoked.
    pub async fn user_disable(&self, login: &str, actor: &str) -> Result<UserView, AppError> {
        let user = self.user_record(login).await?;
        self.store
            .set_user_disabled(user.id, true, self.now_micros())
            .await?;
        self.log_admin(actor, "user_disabled", &user.login, json!({}), None)
            .await?;
        Ok(UserView::from(&self.user_record_by_id(user.id).await?))
    }

    /// Lets a disabled user sign in again (their old tokens stay revoked).
    pub async fn user_enable(&self, login: &str, actor: &str) -> Result<UserView, AppError> {
        let user = self.user_record(login).await?;
        self.store
            .set_user_disabled(user.id, false, self.now_micros())
            .await?;
        self.log_admin(actor, "user_enabled", &user.login, json!({}), None)
            .await?;
        Ok(UserView::from(&self.user_record_by_id(user.id).await?))
    }

    /// Sets a user's role, which is their person's role.
    pub async fn user_set_role(
        &self,
        login: &str,
        role: Role,
        actor: &str,
    ) -> Result<UserView, AppError> {
        let user = self.user_record(login).await?;
        let org = match &user.org_name {
            Some(name) => self.store.find_org(name).await?,
            None => None,
        };
        check_role_in_org(role, org.as_ref())?;
        self.store.set_person_role(user.person_id, role).await?;
        self.log_admin(
            actor,
            "role_changed",
            &user.login,
            json!({ "from": user.role.map(Role::as_str), "to": role.as_str() }),
            None,
        )
        .await?;
        Ok(UserView::from(&self.user_record_by_id(user.id).await?))
    }

    /// Sets the language and time zone a user reads Casebook in (`None` clears them).
    pub async fn user_set_preferences(
        &self,
        user_id: i64,
        lang: Option<Lang>,
        zone: Option<chrono_tz::Tz>,
    ) -> Result<UserView, AppError> {
        let user = self.user_record_by_id(user_id).await?;
        let zone_name = zone.map(|zone| zone.name().to_string());
        self.store
            .set_user_preferences(
                user.id,
                lang.map(Lang::tag),
                zone_name.as_deref(),
                self.now_micros(),
            )
            .await?;
        self.log_admin(
            &user.login,
            "preferences_changed",
            &user.login,
            json!({ "lang": lang.map(Lang::tag), "zone": zone_name }),
            None,
        )
        .await?;
        Ok(UserView::from(&self.user_record_by_id(user.id).await?))
    }

    /// Creates an API token for a user; its secret is in the answer and nowhere else.
    pub async fn token_create(
        &self,
        login: &str,
        name: Option<&str>,
        actor: &str,
    ) -> Result<NewToken, AppError> {
        let user = self.user_record(login).await?;
        if user.disabled {
            return Err(AppError::invalid(
                "user_disabled",
                json!({ "login": user.login }),
            ));
        }
        let name = name
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .unwrap_or("token");
        if name.chars().count() > LOGGED_TEXT_CHARS {
            return Err(AppError::invalid(
                "too_long",
                json!({ "field": "name", "length": name.chars().count(), "limit": LOGGED_TEXT_CHARS }),
            ));
        }
        let token = format!("{TOKEN_PREFIX}{}", random_hex()?);
        let record = self
            .store
            .insert_token(user.id, name, &secret_hash(&token), self.now_micros())
            .await?;
        self.log_admin(
            actor,
            "token_created",
            &user.login,
            json!({ "token_id": record.id, "name": record.name }),
            None,
        )
        .await?;
        Ok(NewToken {
            id: record.id,
            name: record.name,
            token,
            created_at: rfc3339(record.created_at),
        })
    }

    /// Tokens, of one user or of everyone, by id (never their secrets).
    pub async fn token_list(&self, login: Option<&str>) -> Result<Vec<TokenView>, AppError> {
        let user_id = match login {
            Some(login) => Some(self.user_record(login).await?.id),
            None => None,
        };
        Ok(self
            .store
            .list_tokens(user_id)
            .await?
            .iter()
            .map(TokenView::from)
            .collect())
    }

    /// Revokes a token: it stops working at once.
    pub async fn token_revoke(&self, id: i64, actor: &str) -> Result<TokenView, AppError> {
        let record = self
            .store
            .revoke_token(id, self.now_micros())
            .await?
            .ok_or_else(|| AppError::token_not_found(id))?;
        self.log_admin(
            actor,
            "token_revoked",
            &record.login,
            json!({ "token_id": record.id, "name": record.name }),
            None,
        )
        .await?;
        Ok(TokenView::from(&record))
    }

    /// Signs in with a login and a password; `client` is the client's address.
    ///
    /// After [`THROTTLE_FREE_FAILURES`] recent failures for this login or from this client the
    /// answer waits ([`AuthSettings::throttle_delay`]) before the password is checked, whether it
    /// is right or not. An unknown login, a wrong password and a disabled user all give
    /// `sign_in_failed`. Every sign-in opens a new session with a new id and secret.
    ///
    /// A user whose second factor is on must finish with [`App::sign_in_start`] and
    /// [`App::sign_in_second_factor`]; here they get `second_factor_required`.
    pub async fn sign_in(
        &self,
        login: &str,
        password: &str,
        client: &str,
    ) -> Result<SignedIn, AppError> {
        match self.sign_in_start(login, password, client).await? {
            SignInStep::Done(signed) => Ok(signed),
            SignInStep::SecondFactor(_) => Err(AppError::invalid(
                "second_factor_required",
                json!({ "login": login.trim() }),
            )),
        }
    }

    /// The first step of a sign-in, as [`App::sign_in`] checks it: a user without a second
    /// factor is signed in; one with a second factor gets a challenge to answer with a code.
    pub async fn sign_in_start(
        &self,
        login: &str,
        password: &str,
        client: &str,
    ) -> Result<SignInStep, AppError> {
        let login = login.trim();
        let client = loggable(client);
        let since = self.now_micros().saturating_sub(micros(THROTTLE_WINDOW));
        let failures = self.store.failed_sign_ins(login, &client, since).await?;
        let delay = self
            .auth
            .settings
            .throttle_delay(failures.login.max(failures.client));
        if !delay.is_zero() {
            tracing::info!(
                failures.login,
                failures.client,
                delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                "sign-in throttled: waiting {delay:?}"
            );
            tokio::time::sleep(delay).await;
        }
        let user = self.store.user_by_login(login).await?;
        let stored = match &user {
            Some(user) => user.password_hash.clone(),
            None => self.dummy_hash().await?,
        };
        let password_matches = verify_password(password, &stored).await?;
        let principal = user.as_ref().and_then(principal_of);
        let failure = match (&user, password_matches, &principal) {
            (None, _, _) => Some("unknown_login"),
            (Some(_), false, _) => Some("wrong_password"),
            (Some(user), true, None) if user.disabled => Some("disabled"),
            (Some(_), true, None) => Some("no_access"),
            (Some(_), true, Some(_)) => None,
        };
        let forget_before = self.now_micros().saturating_sub(micros(ATTEMPTS_KEPT));
        self.store
            .record_sign_in_attempt(
                login,
                &client,
                failure.is_none(),
                self.now_micros(),
                forget_before,
            )
            .await?;
        let (Some(principal), None) = (principal, failure) else {
            let target = user
                .as_ref()
                .map_or_else(|| loggable(login), |user| user.login.clone());
            self.log_admin(
                &target,
                "sign_in_failed",
                &target,
                json!({ "reason": failure }),
                Some(&client),
            )
            .await?;
            return Err(AppError::sign_in_failed());
        };
        if user.as_ref().is_some_and(|user| user.second_factor) {
            return Ok(SignInStep::SecondFactor(
                self.challenge_open(&principal, &client).await?,
            ));
        }
        Ok(SignInStep::Done(
            self.session_open(principal, &client, json!({})).await?,
        ))
    }

    /// Opens a session for someone whose sign-in is complete, and logs it.
    pub(crate) async fn session_open(
        &self,
        principal: Principal,
        client: &str,
        details: serde_json::Value,
    ) -> Result<SignedIn, AppError> {
        let secret = random_hex()?;
        let csrf_token = random_hex()?;
        let record = self
            .store
            .insert_session(
                &secret_hash(&secret),
                principal.user_id,
                &csrf_token,
                client,
                self.now_micros(),
            )
            .await?;
        let mut details = details;
        if let Some(map) = details.as_object_mut() {
            map.insert("session_id".to_string(), json!(record.id));
        }
        self.log_admin(
            &principal.login,
            "sign_in",
            &principal.login,
            details,
            Some(client),
        )
        .await?;
        Ok(SignedIn {
            secret,
            session: Session {
                id: record.id,
                csrf_token: record.csrf_token,
                principal,
                created_at: DateTime::from_timestamp_micros(record.created_at).unwrap_or_default(),
            },
        })
    }

    /// The hash an unknown login's password is checked against, made with the current parameters
    /// so that the check takes as long as a real one.
    async fn dummy_hash(&self) -> Result<String, AppError> {
        if let Some(hash) = self.auth.dummy_hash.get() {
            return Ok(hash.clone());
        }
        let hash = hash_password(&random_hex()?, self.auth.settings.params()).await?;
        Ok(self.auth.dummy_hash.get_or_init(|| hash).clone())
    }

    /// The session a cookie's secret names, or `None` when it is unknown, ended, idle longer than
    /// [`SESSION_IDLE_LIMIT`], older than [`SESSION_ABSOLUTE_LIMIT`], or its user may no longer sign
    /// in. Marks it used (at most once per [`TOUCH_INTERVAL`]).
    pub async fn session(&self, secret: &str) -> Result<Option<Session>, AppError> {
        self.session_lookup(secret, true).await
    }

    /// The same check as [`App::session`] without counting as activity: a live stream asks
    /// whether its session still holds, and an open tab must not keep a session from idling out.
    pub async fn session_peek(&self, secret: &str) -> Result<Option<Session>, AppError> {
        self.session_lookup(secret, false).await
    }

    async fn session_lookup(&self, secret: &str, touch: bool) -> Result<Option<Session>, AppError> {
        if secret.is_empty() || secret.len() > 2 * SECRET_BYTES {
            return Ok(None);
        }
        let hash = secret_hash(secret);
        let Some(record) = self.store.session_by_secret_hash(&hash).await? else {
            return Ok(None);
        };
        if record.ended_at.is_some() {
            return Ok(None);
        }
        let now = self.now_micros();
        let idle = now.saturating_sub(record.last_seen_at) > micros(SESSION_IDLE_LIMIT);
        let too_old = now.saturating_sub(record.created_at) > micros(SESSION_ABSOLUTE_LIMIT);
        if idle || too_old {
            self.store.end_session_by_secret_hash(&hash, now).await?;
            return Ok(None);
        }
        let Some(principal) = self
            .store
            .user_by_id(record.user_id)
            .await?
            .as_ref()
            .and_then(principal_of)
        else {
            return Ok(None);
        };
        if touch && now.saturating_sub(record.last_seen_at) >= micros(TOUCH_INTERVAL) {
            self.store.touch_session(record.id, now).await?;
        }
        Ok(Some(Session {
            id: record.id,
            csrf_token: record.csrf_token,
            principal,
            created_at: DateTime::from_timestamp_micros(record.created_at).unwrap_or_default(),
        }))
    }

    /// Ends the session a cookie's secret names (nothing happens for an unknown or ended one).
    pub async fn sign_out(&self, secret: &str) -> Result<(), AppError> {
        if secret.is_empty() || secret.len() > 2 * SECRET_BYTES {
            return Ok(());
        }
        let Some(record) = self
            .store
            .end_session_by_secret_hash(&secret_hash(secret), self.now_micros())
            .await?
        else {
            return Ok(());
        };
        if let Some(user) = self.store.user_by_id(record.user_id).await? {
            self.log_admin(
                &user.login,
                "sign_out",
                &user.login,
                json!({ "session_id": record.id }),
                Some(&record.client),
            )
            .await?;
        }
        Ok(())
    }

    /// Ends every session of a user but `except`; returns how many ended.
    pub async fn end_sessions_of(
        &self,
        user_id: i64,
        except: Option<i64>,
    ) -> Result<u64, AppError> {
        Ok(self
            .store
            .end_sessions_of(user_id, except, self.now_micros())
            .await?)
    }

    /// Who an API token acts for, or `None` when it is unknown, revoked or its user may no longer
    /// sign in. Marks it used (at most once per [`TOUCH_INTERVAL`]).
    pub async fn principal_for_token(&self, token: &str) -> Result<Option<Principal>, AppError> {
        if !token.starts_with(TOKEN_PREFIX) || token.len() > TOKEN_PREFIX.len() + 2 * SECRET_BYTES {
            return Ok(None);
        }
        let Some(record) = self.store.token_by_hash(&secret_hash(token)).await? else {
            return Ok(None);
        };
        if record.revoked_at.is_some() {
            return Ok(None);
        }
        let Some(principal) = self
            .store
            .user_by_id(record.user_id)
            .await?
            .as_ref()
            .and_then(principal_of)
        else {
            return Ok(None);
        };
        let now = self.now_micros();
        let stale = record
            .last_used_at
            .is_none_or(|used| now.saturating_sub(used) >= micros(TOUCH_INTERVAL));
        if stale {
            self.store.touch_token(record.id, now).await?;
        }
        Ok(Some(principal))
    }

    /// Creates a single-use link for a user (an invitation or a password reset) that expires after
    /// `valid_for`; returns its secret, to be delivered by the caller (it is stored only hashed).
    pub async fn one_time_link_create(
        &self,
        login: &str,
        purpose: LinkPurpose,
        valid_for: Duration,
    ) -> Result<String, AppError> {
        let user = self.user_record(login).await?;
        if user.disabled {
            return Err(AppError::invalid(
                "user_disabled",
                json!({ "login": user.login }),
            ));
        }
        let secret = random_hex()?;
        self.link_record(&user, purpose, &secret, valid_for, None, "system")
            .await?;
        Ok(secret)
    }

    /// Records a one-time link (and the mail that carries it) and its admin log line.
    pub(crate) async fn link_record(
        &self,
        user: &UserRecord,
        purpose: LinkPurpose,
        secret: &str,
        valid_for: Duration,
        mail: Option<&store::accounts::AccountMail>,
        actor: &str,
    ) -> Result<(), AppError> {
        let now = self.now_micros();
        let expires_at = now.saturating_add(micros(valid_for));
        let id = self
            .store
            .insert_one_time_link(
                (user.id, purpose.as_str(), &secret_hash(secret)),
                now,
                expires_at,
                mail,
            )
            .await?;
        self.log_admin(
            actor,
            "link_created",
            &user.login,
            json!({
                "link_id": id,
                "purpose": purpose.as_str(),
                "expires_at": rfc3339(expires_at),
                "mailed_to": mail.map(|mail| mail.recipients.clone()),
            }),
            None,
        )
        .await?;
        Ok(())
    }

    /// Uses a one-time link: sets the password and ends the user's sessions. A link that is
    /// unknown, for another purpose, used or expired is `link_invalid`, and nothing changes.
    pub async fn one_time_link_use(
        &self,
        secret: &str,
        purpose: LinkPurpose,
        new_password: &str,
    ) -> Result<UserView, AppError> {
        let hash = self.new_password_hash(new_password).await?;
        let user_id = if secret.is_empty() || secret.len() > 2 * SECRET_BYTES {
            None
        } else {
            self.store
                .use_one_time_link(
                    &secret_hash(secret),
                    purpose.as_str(),
                    &hash,
                    self.now_micros(),
                )
                .await?
        };
        let Some(user_id) = user_id else {
            return Err(AppError::link_invalid());
        };
        let user = self.user_record_by_id(user_id).await?;
        let action = match purpose {
            LinkPurpose::Invite => "invite_accepted",
            LinkPurpose::Reset => "password_reset",
        };
        self.log_admin(&user.login, action, &user.login, json!({}), None)
            .await?;
        Ok(UserView::from(&user))
    }

    /// The newest lines of the admin log, newest first.
    pub async fn admin_log(&self, limit: u64) -> Result<Vec<AdminLogEntry>, AppError> {
        Ok(self
            .store
            .admin_log(limit)
            .await?
            .into_iter()
            .map(|record| AdminLogEntry {
                id: record.id,
                at: rfc3339(record.at),
                actor: record.actor,
                action: record.action,
                target: record.target,
                details: serde_json::from_str(&record.details_json)
                    .unwrap_or(serde_json::Value::Null),
                client: record.client,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_delay(failures: u64, expected_ms: u64) {
        let settings = AuthSettings::default();
        assert_eq!(
            settings.throttle_delay(failures),
            Duration::from_millis(expected_ms),
            "after {failures} failures"
        );
    }

    #[test]
    fn the_delay_grows_after_three_failures_up_to_the_cap() {
        check_delay(0, 0);
        check_delay(3 - 1, 0);
        check_delay(3, 500);
        check_delay(4, 1_000);
        check_delay(5, 2_000);
        check_delay(7, 8_000);
        check_delay(8, 10_000);
        check_delay(40, 10_000);
        check_delay(u64::MAX, 10_000);
    }

    fn check_password_rule(password: &str, expected: Option<&str>) {
        let found = check_password(password)
            .err()
            .map(|error| crate::i18n::error_id(error.code, &error.details));
        assert_eq!(found.as_deref(), expected, "{password:?}");
    }

    #[test]
    fn passwords_are_long_enough_and_not_blank() {
        check_password_rule("", Some("invalid-password_blank"));
        check_password_rule("          ", Some("invalid-password_blank"));
        check_password_rule("short", Some("error-password_too_short"));
        check_password_rule("九个字的密码不够长啊", None);
        check_password_rule("correct horse", None);
        check_password_rule(
            &"x".repeat(PASSWORD_MAX_BYTES + 1),
            Some("invalid-password_too_long"),
        );
    }

    #[tokio::test]
    async fn hashes_are_argon2id_and_verify() {
        let hash = hash_password(
            "correct horse",
            AuthSettings {
                argon2_light: true,
                ..AuthSettings::default()
            }
            .params(),
        )
        .await
        .unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password("correct horse", &hash).await.unwrap());
        assert!(!verify_password("correct horsf", &hash).await.unwrap());
        assert!(!verify_password("correct horse", "not a hash")
            .await
            .unwrap());
    }
}
