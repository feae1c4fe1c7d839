//! Accounts beyond the password: invitations and password resets mailed through the outbox, and
//! the optional second factor for staff (TOTP, RFC 6238, with single-use recovery codes).
//!
//! A one-time link's mail is rendered here and queued in the one outbox in the transaction that
//! records the link; a user without an address gets no mail, and the admin is shown the link once.
//! Asking for a reset by login or address always answers the same, whether anyone has that login
//! or not, and mails a user at most once per [`RESET_SPACING`].
//!
//! With a second factor on, a right password opens a *challenge*, not a session: a random secret
//! (stored hashed) that the code page sends back with a code within [`CHALLENGE_LIFETIME`] and at
//! most [`CHALLENGE_ATTEMPTS`] tries. A code's time step is recorded when it is accepted, so no code
//! works twice; a recovery code works once. API tokens are a factor of their own and are not asked
//! for a code.

use std::time::Duration;

use case::access::Viewer;
use lettre::message::{Mailbox, SinglePart};
use serde::Serialize;
use serde_json::json;
use store::accounts::AccountMail;
use store::users::UserRecord;
use totp_rs::{Algorithm, Secret, TOTP};

use crate::auth::{
    loggable, micros, principal_of, random_hex, secret_hash, LinkPurpose, Principal, SignedIn,
};
use crate::{App, AppError, Lang};

/// How long a sign-in may wait for its code.
pub const CHALLENGE_LIFETIME: Duration = Duration::from_secs(5 * 60);
/// Codes one challenge accepts tries of.
pub const CHALLENGE_ATTEMPTS: i64 = 5;
/// A user is mailed a reset link at most this often, however often one is asked for.
pub const RESET_SPACING: Duration = Duration::from_secs(5 * 60);
/// How long an invitation link works.
pub const INVITE_LIFETIME: Duration = Duration::from_secs(7 * 24 * 3600);
/// How long a reset link works.
pub const RESET_LIFETIME: Duration = Duration::from_secs(3600);
/// Recovery codes made at enrolment.
pub const RECOVERY_CODES: usize = 10;

const TOTP_DIGITS: usize = 6;
const TOTP_STEP_SECONDS: u64 = 30;
const TOTP_SECRET_BYTES: usize = 20;
const ISSUER: &str = "Casebook";

/// A sign-in waiting for its second factor: the secret the code page sends back.
#[derive(Clone, PartialEq, Eq)]
pub struct Challenge {
    /// Random, stored only as its hash; goes into a short-lived cookie.
    pub secret: String,
}

impl std::fmt::Debug for TotpEnrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TotpEnrolment").finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Challenge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Challenge").finish_non_exhaustive()
    }
}

/// A second factor being set up: what the authenticator app needs.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct TotpEnrolment {
    /// The secret in base32, for typing in.
    pub secret: String,
    /// The `otpauth://` address the QR code holds.
    pub uri: String,
    /// The QR code as an SVG element.
    pub qr_svg: String,
}

/// Where a user's second factor stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecondFactorStatus {
    /// Whether it guards the sign-in.
    pub enabled: bool,
    /// Whether a set-up waits for its first code.
    pub pending: bool,
    /// Recovery codes left.
    pub recovery_left: u64,
}

/// What became of a one-time link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkDelivery {
    /// The address it was mailed to (queued in the outbox).
    pub mailed_to: Option<String>,
    /// The link itself, only when it could not be mailed (the user has no address): to be shown
    /// once to the admin who made it.
    pub link: Option<String>,
}

fn totp_for(secret_base32: &str, account: &str) -> Result<TOTP, AppError> {
    let bytes = Secret::Encoded(secret_base32.to_string())
        .to_bytes()
        .map_err(|error| AppError::internal(format!("stored second-factor secret: {error:?}")))?;
    // The account name may hold no colon in an otpauth address.
    let account = account.replace(':', " ");
    Ok(TOTP::new_unchecked(
        Algorithm::SHA1,
        TOTP_DIGITS,
        1,
        TOTP_STEP_SECONDS,
        bytes,
        Some(ISSUER.to_string()),
        account,
    ))
}

/// The time step whose code this is (the current one, or one either side for clock drift).
fn matching_step(totp: &TOTP, code: &str, now: i64) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != TOTP_DIGITS || !code.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let step_seconds = i64::try_from(TOTP_STEP_SECONDS).unwrap_or(30);
    let current = now.div_euclid(step_seconds);
    [current - 1, current, current + 1]
        .into_iter()
        .find(|&step| {
            let at = u64::try_from(step.saturating_mul(step_seconds)).unwrap_or(0);
            constant_time_eq(totp.generate(at).as_bytes(), code.as_bytes())
        })
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A recovery code as typed, without case, spaces or dashes.
fn normal_recovery_code(code: &str) -> String {
    code.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn new_recovery_codes() -> Result<Vec<String>, AppError> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let hex = random_hex()?;
            Ok(format!("{}-{}", &hex[..5], &hex[5..10]))
        })
        .collect()
}

fn qr_svg(uri: &str) -> Result<String, AppError> {
    let code = qrcode::QrCode::new(uri.as_bytes())
        .map_err(|error| AppError::internal(format!("QR code: {error}")))?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    // The XML declaration has no place inside an HTML page.
    Ok(svg
        .find("<svg")
        .map_or(svg.clone(), |start| svg[start..].to_string()))
}

impl App {
    fn unix_now(&self) -> i64 {
        self.now().timestamp()
    }

    /// Opens a challenge for a user whose password was right.
    pub(crate) async fn challenge_open(
        &self,
        principal: &Principal,
        client: &str,
    ) -> Result<Challenge, AppError> {
        let secret = random_hex()?;
        let now = self.now_micros();
        self.store
            .insert_sign_in_challenge(
                &secret_hash(&secret),
                principal.user_id,
                client,
                now,
                now.saturating_add(micros(CHALLENGE_LIFETIME)),
            )
            .await?;
        Ok(Challenge { secret })
    }

    /// Finishes a sign-in with the code of the user's authenticator (or a recovery code). A
    /// wrong code is `second_factor_wrong` (the challenge stays, for a few tries); an unknown,
    /// used, expired or exhausted challenge is `second_factor_expired` (sign in again).
    pub async fn sign_in_second_factor(
        &self,
        challenge: &str,
        code: &str,
        client: &str,
    ) -> Result<SignedIn, AppError> {
        let client = loggable(client);
        let expired = || AppError::invalid("second_factor_expired", json!({}));
        if challenge.is_empty() || challenge.len() > 2 * crate::auth::SECRET_BYTES {
            return Err(expired());
        }
        let Some(record) = self
            .store
            .try_sign_in_challenge(
                &secret_hash(challenge),
                self.now_micros(),
                CHALLENGE_ATTEMPTS,
            )
            .await?
        else {
            return Err(expired());
        };
        let user = self.user_record_by_id(record.user_id).await?;
        let principal = principal_of(&user).ok_or_else(expired)?;
        let how = self.second_factor_check(&user, code).await?;
        let Some(how) = how else {
            self.log_admin(
                &user.login,
                "sign_in_failed",
                &user.login,
                json!({ "reason": "second_factor_wrong", "attempt": record.attempts }),
                Some(&client),
            )
            .await?;
            return Err(AppError::invalid("second_factor_wrong", json!({})));
        };
        if !self
            .store
            .close_sign_in_challenge(record.id, self.now_micros())
            .await?
        {
            return Err(expired());
        }
        self.session_open(principal, &client, json!({ "second_factor": how }))
            .await
    }

    /// Checks a code against the user's second factor: `Some("totp")` or `Some("recovery_code")`
    /// when it is right (and now used), `None` when it is not.
    async fn second_factor_check(
        &self,
        user: &UserRecord,
        code: &str,
    ) -> Result<Option<&'static str>, AppError> {
        let state = self.store.totp_state(user.id).await?;
        let Some(secret) = state.secret else {
            return Ok(None);
        };
        let totp = totp_for(&secret, &user.login)?;
        if let Some(step) = matching_step(&totp, code, self.unix_now()) {
            return Ok(self
                .store
                .accept_totp_step(user.id, step)
                .await?
                .then_some("totp"));
        }
        let recovery = normal_recovery_code(code);
        if recovery.len() == 10
            && self
                .store
                .use_recovery_code(user.id, &secret_hash(&recovery), self.now_micros())
                .await?
        {
            self.log_admin(
                &user.login,
                "recovery_code_used",
                &user.login,
                json!({ "left": self.store.totp_state(user.id).await?.recovery_left }),
                None,
            )
            .await?;
            return Ok(Some("recovery_code"));
        }
        Ok(None)
    }

    /// Where the user's second factor stands, with the set-up that waits for its first code (shown
    /// again when the page reloads).
    pub async fn second_factor_status(
        &self,
        principal: &Principal,
    ) -> Result<(SecondFactorStatus, Option<TotpEnrolment>), AppError> {
        let state = self.store.totp_state(principal.user_id).await?;
        let status = SecondFactorStatus {
            enabled: state.secret.is_some(),
            pending: state.pending.is_some(),
            recovery_left: state.recovery_left,
        };
        let enrolment = state
            .pending
            .map(|secret| self.enrolment(&secret, &principal.login))
            .transpose()?;
        Ok((status, enrolment))
    }

    /// Starts setting up a second factor (staff only): a new secret waits for its first code.
    pub async fn second_factor_begin(
        &self,
        principal: &Principal,
    ) -> Result<TotpEnrolment, AppError> {
        if principal.viewer != Viewer::Staff {
            return Err(AppError::invalid("second_factor_staff_only", json!({})));
        }
        // Replacing a second factor takes turning it off first, which takes a code: a stolen
        // session alone cannot move the factor to another device.
        if self
            .store
            .totp_state(principal.user_id)
            .await?
            .secret
            .is_some()
        {
            return Err(AppError::invalid("second_factor_already_on", json!({})));
        }
        let mut bytes = [0u8; TOTP_SECRET_BYTES];
        rand::TryRngCore::try_fill_bytes(&mut rand::rngs::OsRng, &mut bytes).map_err(|error| {
            AppError::internal(format!("the system's random source failed: {error}"))
        })?;
        let secret = Secret::Raw(bytes.to_vec()).to_encoded().to_string();
        self.store
            .set_totp_pending(principal.user_id, Some(&secret))
            .await?;
        self.enrolment(&secret, &principal.login)
    }

    fn enrolment(&self, secret: &str, login: &str) -> Result<TotpEnrolment, AppError> {
        let uri = totp_for(secret, login)?.get_url();
        Ok(TotpEnrolment {
            secret: secret.to_string(),
            qr_svg: qr_svg(&uri)?,
            uri,
        })
    }

    /// Turns the second factor on with the first code from the authenticator; returns the
    /// recovery codes, shown this once. The user's other sessions end.
    pub async fn second_factor_confirm(
        &self,
        principal: &Principal,
        code: &str,
        session_id: Option<i64>,
    ) -> Result<Vec<String>, AppError> {
        let state = self.store.totp_state(principal.user_id).await?;
        let Some(pending) = state.pending else {
            return Err(AppError::invalid("second_factor_not_started", json!({})));
        };
        let totp = totp_for(&pending, &principal.login)?;
        let Some(step) = matching_step(&totp, code, self.unix_now()) else {
            return Err(AppError::invalid("second_factor_wrong", json!({})));
        };
        let codes = new_recovery_codes()?;
        let hashes: Vec<String> = codes
            .iter()
            .map(|code| secret_hash(&normal_recovery_code(code)))
            .collect();
        if !self
            .store
            .enable_totp(
                principal.user_id,
                &pending,
                step,
                &hashes,
                session_id,
                self.now_micros(),
            )
            .await?
        {
            return Err(AppError::invalid("second_factor_not_started", json!({})));
        }
        self.log_admin(
            &principal.login,
            "second_factor_enabled",
            &principal.login,
            json!({ "recovery_codes": RECOVERY_CODES }),
            None,
        )
        .await?;
        Ok(codes)
    }

    /// Turns the user's own second factor off; it takes a current code (or a recovery code).
    pub async fn second_factor_disable(
        &self,
        principal: &Principal,
        code: &str,
    ) -> Result<(), AppError> {
        let user = self.user_record_by_id(principal.user_id).await?;
        if self.second_factor_check(&user, code).await?.is_none() {
            return Err(AppError::invalid("second_factor_wrong", json!({})));
        }
        self.store.disable_totp(user.id, self.now_micros()).await?;
        self.log_admin(
            &user.login,
            "second_factor_disabled",
            &user.login,
            json!({}),
            None,
        )
        .await?;
        Ok(())
    }

    /// An admin turns off a user's second factor (the user lost their device); the user then signs
    /// in with the password alone and may set it up again.
    pub async fn user_second_factor_reset(
        &self,
        login: &str,
        actor: &str,
    ) -> Result<crate::auth::UserView, AppError> {
        let user = self.user_record(login).await?;
        let was_on = self.store.disable_totp(user.id, self.now_micros()).await?;
        self.log_admin(
            actor,
            "second_factor_reset",
            &user.login,
            json!({ "was_on": was_on }),
            None,
        )
        .await?;
        Ok(crate::auth::UserView::from(
            &self.user_record_by_id(user.id).await?,
        ))
    }

    /// Makes a one-time link for a user and mails it through the outbox when the user has an
    /// address (in the user's language, else `lang`); `link_of` turns the secret into the
    /// address the user opens (the web knows the public URL).
    pub async fn one_time_link_send(
        &self,
        login: &str,
        purpose: LinkPurpose,
        link_of: &(dyn Fn(&str) -> String + Sync),
        lang: Lang,
        actor: &str,
    ) -> Result<LinkDelivery, AppError> {
        let user = self.user_record(login).await?;
        if user.disabled {
            return Err(AppError::invalid(
                "user_disabled",
                json!({ "login": user.login }),
            ));
        }
        self.link_issue(&user, purpose, link_of, lang, actor).await
    }

    async fn link_issue(
        &self,
        user: &UserRecord,
        purpose: LinkPurpose,
        link_of: &(dyn Fn(&str) -> String + Sync),
        lang: Lang,
        actor: &str,
    ) -> Result<LinkDelivery, AppError> {
        let secret = random_hex()?;
        let link = link_of(&secret);
        let valid_for = match purpose {
            LinkPurpose::Invite => INVITE_LIFETIME,
            LinkPurpose::Reset => RESET_LIFETIME,
        };
        let mail = match &user.email {
            Some(address) => Some(self.account_mail(user, address, purpose, &link, lang)?),
            None => None,
        };
        self.link_record(user, purpose, &secret, valid_for, mail.as_ref(), actor)
            .await?;
        Ok(LinkDelivery {
            mailed_to: user.email.clone().filter(|_| mail.is_some()),
            link: if mail.is_some() { None } else { Some(link) },
        })
    }

    /// Someone who forgot their password asks for a reset link by login or address. The answer is
    /// the same whether or not such a user exists; a user who may sign in and has an address is
    /// mailed a link, at most once per [`RESET_SPACING`].
    pub async fn password_reset_request(
        &self,
        who: &str,
        link_of: &(dyn Fn(&str) -> String + Sync),
        lang: Lang,
        client: &str,
    ) -> Result<(), AppError> {
        let who = who.trim();
        if who.is_empty() {
            return Err(AppError::invalid("reset_who_blank", json!({})));
        }
        let user = match self.store.user_by_login(who).await? {
            Some(user) => Some(user),
            None => self.store.user_by_address(who).await?,
        };
        let Some(user) = user.filter(|user| principal_of(user).is_some() && user.email.is_some())
        else {
            tracing::info!(
                client,
                "password reset asked for an unknown or mail-less login"
            );
            return Ok(());
        };
        let last = self
            .store
            .last_one_time_link_at(user.id, LinkPurpose::Reset.as_str())
            .await?;
        if last.is_some_and(|at| self.now_micros().saturating_sub(at) < micros(RESET_SPACING)) {
            tracing::info!(login = %user.login, "password reset asked again too soon: no new mail");
            return Ok(());
        }
        self.link_issue(&user, LinkPurpose::Reset, link_of, lang, "self")
            .await?;
        Ok(())
    }

    /// The mail that carries a one-time link, rendered whole.
    fn account_mail(
        &self,
        user: &UserRecord,
        address: &str,
        purpose: LinkPurpose,
        link: &str,
        lang: Lang,
    ) -> Result<AccountMail, AppError> {
        let lang = user
            .lang
            .as_deref()
            .and_then(|tag| tag.parse::<Lang>().ok())
            .unwrap_or(lang);
        let kind = purpose.as_str();
        let hours = match purpose {
            LinkPurpose::Invite => INVITE_LIFETIME.as_secs() / 3600,
            LinkPurpose::Reset => RESET_LIFETIME.as_secs() / 3600,
        };
        let args = [
            ("name", user.display_name.clone().into()),
            ("login", user.login.clone().into()),
            ("link", link.to_string().into()),
            ("hours", (hours as f64).into()),
        ];
        let subject = lang.text(&format!("mail-{kind}-subject"), &args);
        let body = lang.text(&format!("mail-{kind}-body"), &args);
        let from = self.system_sender(link)?;
        let to = address
            .parse::<lettre::Address>()
            .map_err(|_| AppError::invalid("address_invalid", json!({ "address": address })))?;
        let domain = from.email.domain().to_string();
        let message = lettre::Message::builder()
            .from(from)
            .to(Mailbox::new(
                Some(case::subject::single_line(&user.display_name)).filter(|n| !n.is_empty()),
                to,
            ))
            .subject(subject)
            .message_id(Some(format!("<{}@{domain}>", &random_hex()?[..32])))
            .date(std::time::SystemTime::from(self.now()))
            .header(AutoSubmitted)
            .singlepart(SinglePart::plain(body))
            .map_err(|error| AppError::internal(format!("account mail: {error}")))?;
        Ok(AccountMail {
            raw: message.formatted(),
            recipients: vec![address.to_string()],
        })
    }

    /// Who account mail comes from: the intake mailbox's first address, else `noreply@` the
    /// public address's host.
    pub(crate) fn system_sender(&self, link: &str) -> Result<Mailbox, AppError> {
        let address = match self.intake.intake_addresses.first() {
            Some(address) => address.as_str().to_string(),
            None => {
                let host = url::Url::parse(link)
                    .ok()
                    .and_then(|url| url.host_str().map(str::to_string))
                    .filter(|host| host.contains('.') || host == "localhost")
                    .unwrap_or_else(|| "localhost".to_string());
                format!("noreply@{host}")
            }
        };
        let address = address
            .parse::<lettre::Address>()
            .map_err(|_| AppError::invalid("address_invalid", json!({ "address": address })))?;
        Ok(Mailbox::new(Some(ISSUER.to_string()), address))
    }
}

/// `Auto-Submitted: auto-generated` (RFC 3834): no auto-reply should answer account mail.
#[derive(Clone)]
pub(crate) struct AutoSubmitted;

impl lettre::message::header::Header for AutoSubmitted {
    fn name() -> lettre::message::header::HeaderName {
        lettre::message::header::HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted)
    }

    fn display(&self) -> lettre::message::header::HeaderValue {
        lettre::message::header::HeaderValue::new(Self::name(), "auto-generated".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn totp() -> TOTP {
        // RFC 6238's SHA-1 test secret, "12345678901234567890".
        let secret = Secret::Raw(b"12345678901234567890".to_vec())
            .to_encoded()
            .to_string();
        totp_for(&secret, "gao@cmgos.com").unwrap()
    }

    #[test]
    fn the_rfc_vectors_match_their_step() {
        // RFC 6238 appendix B, 8-digit values cut to the 6 digits authenticators show.
        let cases = [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_234_567_890, "005924"),
        ];
        for (time, code) in cases {
            assert_eq!(matching_step(&totp(), code, time), Some(time / 30));
        }
    }

    #[test]
    fn a_code_is_accepted_one_step_either_side_and_no_further() {
        let code = totp().generate(1_234_567_890);
        assert_eq!(
            matching_step(&totp(), &code, 1_234_567_890 + 30),
            Some(1_234_567_890 / 30)
        );
        assert_eq!(
            matching_step(&totp(), &code, 1_234_567_890 - 30),
            Some(1_234_567_890 / 30)
        );
        assert_eq!(matching_step(&totp(), &code, 1_234_567_890 + 90), None);
    }

    #[test]
    fn malformed_codes_never_match() {
        for code in ["", "12345", "1234567", "abcdef", "28708２"] {
            assert_eq!(matching_step(&totp(), code, 59), None, "{code}");
        }
        assert_eq!(matching_step(&totp(), " 287 082 ", 59), Some(1));
    }

    #[test]
    fn recovery_codes_are_typed_loosely() {
        assert_eq!(normal_recovery_code(" AB12c-34DEF "), "ab12c34def");
        let codes = new_recovery_codes().unwrap();
        assert_eq!(codes.len(), RECOVERY_CODES);
        assert!(codes
            .iter()
            .all(|code| normal_recovery_code(code).len() == 10));
    }

    #[test]
    fn the_qr_code_is_an_svg_element() {
        let svg = qr_svg("otpauth://totp/Casebook:gao?secret=ABC").unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(!svg.contains("<?xml"));
    }
}
