//! Real mail: the outbox's sender, and (in `deliver`) what live intake does beyond placing a
//! message: status by mail, acknowledgements, notifications, bounces.
//!
//! Every message Casebook writes waits in the one outbox (`store::outbox`); a trigger queues the
//! send job with each row, and [`outbox::OUTBOX_JOB`]'s handler hands the due rows to the SMTP
//! server (`outbound::Sender`) in batches, under the rows' lease.

pub mod arrivals;
pub mod auth;
pub mod outbox;

pub use outbound::dkim::Dkim;
pub use outbound::SmtpConfig;

/// What mail needs from the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailSettings {
    /// The SMTP server (`CASEBOOK_SMTP_URL`); without one, mail waits in the outbox.
    pub smtp: Option<outbound::SmtpConfig>,
    /// Messages sent at once, each over a connection of its own (`CASEBOOK_SMTP_CONNECTIONS`):
    /// each waits on the server's answers, so more at once send more, up to what the server
    /// allows one client (Postfix: 50).
    pub smtp_connections: u32,
    /// The DKIM key outgoing mail is signed with (`CASEBOOK_DKIM_KEY`), if any.
    pub dkim: Option<outbound::dkim::Dkim>,
    /// The domain of the Message-IDs Casebook writes (`CASEBOOK_MAIL_DOMAIN`); else the sender's.
    pub domain: Option<String>,
    /// Automatic messages to one address per hour before they are held (`CASEBOOK_AUTO_MAIL_LIMIT`).
    pub auto_mail_limit: u32,
    /// Days after which mail onto a resolved case opens a new case instead of reopening it.
    pub reopen_days: u32,
}

impl Default for MailSettings {
    fn default() -> Self {
        MailSettings {
            smtp: None,
            smtp_connections: 32,
            dkim: None,
            domain: None,
            auto_mail_limit: 10,
            reopen_days: 14,
        }
    }
}

impl crate::App {
    /// Live mail in (LMTP, SMTP, IMAP): the one ingest path with the envelope and status by
    /// mail; a follow-up job per arrival tells people. An error means nothing was committed: the
    /// mail server is to keep the messages and try again.
    pub async fn deliver(
        &self,
        deliveries: Vec<intake::live::Delivery>,
    ) -> Result<Vec<intake::Outcome>, crate::AppError> {
        let mut rng = self.rng();
        let outcomes =
            intake::live::deliver(&self.store, &self.intake, deliveries, self.now(), &mut rng)
                .await?;
        self.wake_background();
        Ok(outcomes)
    }
}

/// How mail stands: the outbox by state, the polled mailboxes, bouncing contacts, automatic mail
/// held back by the hourly limit.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MailStatusView {
    /// Whether an SMTP server is configured (without one, mail waits in the outbox).
    pub smtp: Option<String>,
    /// Outgoing messages per state (`queued`, `sending`, `sent`, `failed`).
    pub outbox: std::collections::BTreeMap<String, i64>,
    /// The IMAP mailboxes and where each stands.
    pub mailboxes: Vec<store::mail::MailboxState>,
    /// Contacts whose mail bounces.
    pub bouncing: Vec<store::mail::Bouncing>,
    /// Automatic messages held in the last day, per address.
    pub held: Vec<HeldMail>,
}

/// Automatic mail held back for one address.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HeldMail {
    /// The address.
    pub address: String,
    /// Messages held.
    pub count: i64,
}

impl crate::App {
    /// How mail stands (`casebook mail status`, `/readyz`'s body).
    pub async fn mail_status(
        &self,
        actor: &crate::Actor,
    ) -> Result<MailStatusView, crate::AppError> {
        self.permit(actor, crate::Action::ViewMail)?;
        let mut outbox = std::collections::BTreeMap::new();
        for state in ["queued", "sending", "sent", "failed"] {
            outbox.insert(state.to_string(), 0);
        }
        for (state, count) in self.store.outbox_counts().await? {
            outbox.insert(state.as_str().to_string(), count);
        }
        let day_ago = self.now().timestamp_micros() - 86_400_000_000;
        Ok(MailStatusView {
            smtp: self.mail_settings.smtp.as_ref().map(SmtpConfig::display),
            outbox,
            mailboxes: self.store.mailbox_states().await?,
            bouncing: self.store.bouncing().await?,
            held: self
                .store
                .held_auto_mail(day_ago)
                .await?
                .into_iter()
                .map(|(address, count)| HeldMail { address, count })
                .collect(),
        })
    }
}

/// How long a poller's lease on a mailbox lasts without renewal: another instance takes the
/// mailbox over within it.
const MAILBOX_LEASE_MICROS: i64 = 60_000_000;

impl crate::App {
    /// Takes or renews the lease on a mailbox for `holder`; `false` when another instance holds it.
    pub async fn mailbox_lease(&self, name: &str, holder: &str) -> Result<bool, crate::AppError> {
        let now = self.now().timestamp_micros();
        Ok(self
            .store
            .take_lease(
                &format!("imap:{name}"),
                holder,
                now,
                now + MAILBOX_LEASE_MICROS,
            )
            .await?)
    }

    /// Where a mailbox's polling got to.
    pub async fn mailbox_state(
        &self,
        name: &str,
    ) -> Result<store::mail::MailboxState, crate::AppError> {
        Ok(self.store.mailbox_state(name).await?)
    }

    /// Records a poll that worked: the UIDVALIDITY, the highest UID taken in, how many.
    pub async fn mailbox_progress(
        &self,
        name: &str,
        uidvalidity: i64,
        last_uid: i64,
        fetched: i64,
    ) -> Result<(), crate::AppError> {
        Ok(self
            .store
            .mailbox_progress(
                name,
                uidvalidity,
                last_uid,
                fetched,
                self.now().timestamp_micros(),
            )
            .await?)
    }

    /// Records a poll that failed, and when it is tried again.
    pub async fn mailbox_failed(
        &self,
        name: &str,
        error: &str,
        retry_in: std::time::Duration,
    ) -> Result<(), crate::AppError> {
        let now = self.now().timestamp_micros();
        let retry = i64::try_from(retry_in.as_micros()).unwrap_or(i64::MAX);
        self.store
            .mailbox_failed(name, error, now, now.saturating_add(retry))
            .await?;
        Ok(())
    }
}

/// The notifications a user can turn off.
pub const NOTICE_KINDS: [&str; 4] = ["customer_mail", "assignment", "upload", "sla"];

/// Which notifications a user gets.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NoticesView {
    /// The login.
    pub login: String,
    /// The kinds on.
    pub on: Vec<String>,
    /// The kinds turned off.
    pub off: Vec<String>,
}

impl crate::App {
    /// Turns a user's notifications on and off (every kind is on until turned off); the
    /// command line's operator for anyone, a signed-in user for themselves.
    pub async fn user_notices(
        &self,
        login: &str,
        turn_off: &[String],
        turn_on: &[String],
    ) -> Result<NoticesView, crate::AppError> {
        for kind in turn_off.iter().chain(turn_on) {
            if !NOTICE_KINDS.contains(&kind.as_str()) {
                return Err(crate::AppError::invalid(
                    "notice_unknown",
                    serde_json::json!({ "kind": kind, "kinds": NOTICE_KINDS.join(", ") }),
                ));
            }
        }
        let user = self.user_record(login).await?;
        let mut off = self.store.mail_opt_outs(user.id).await?;
        off.retain(|kind| !turn_on.contains(kind));
        for kind in turn_off {
            if !off.contains(kind) {
                off.push(kind.clone());
            }
        }
        off.sort();
        if !turn_off.is_empty() || !turn_on.is_empty() {
            self.store.set_mail_opt_outs(user.id, &off).await?;
        }
        Ok(NoticesView {
            login: user.login,
            on: NOTICE_KINDS
                .iter()
                .filter(|kind| !off.iter().any(|o| o == *kind))
                .map(|kind| kind.to_string())
                .collect(),
            off,
        })
    }
}
