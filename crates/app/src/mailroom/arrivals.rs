//! The follow-up of one live arrival (the `mail_arrived` job, enqueued with the message): a
//! bounce marks its outbox row failed and its recipient as bouncing; mail from a contact clears
//! their bouncing mark; the case's owner hears of customer mail (and of a status it changed); a
//! partner who opened a case without a number is acknowledged in the case's subject form, so
//! that their next mail carries number and token. Nothing answers automatic mail, and automatic
//! mail to one address is held after `auto_mail_limit` an hour.

use std::sync::Arc;

use intake::live::Arrival;
use lettre::message::{Mailbox, SinglePart};
use rand::Rng;
use serde_json::json;
use store::accounts::AccountMail;

use crate::{App, AppError, Lang};

fn job_error(error: impl std::fmt::Display) -> jobs::JobError {
    jobs::JobError::Retry(error.to_string())
}

/// Every `<id@domain>` a bounce quotes: the Message-ID of the message it returns is among them.
fn quoted_message_ids(raw: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(raw);
    let mut ids = Vec::new();
    for piece in text.split('<').skip(1) {
        let Some((id, _)) = piece.split_once('>') else {
            continue;
        };
        if id.contains('@') && !id.contains(char::is_whitespace) && id.len() < 250 {
            let id = id.to_string();
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        if ids.len() >= 50 {
            break;
        }
    }
    ids
}

impl App {
    /// Follows one live arrival up (idempotent: the mail it queues is keyed by what it is for).
    pub async fn follow_up_arrival(&self, arrival: &Arrival) -> Result<(), AppError> {
        let Some(facts) = &arrival.facts else {
            // Unreadable: quarantined, nobody to answer.
            return Ok(());
        };
        let now = self.now().timestamp_micros();
        if facts.bounce {
            let raw = self
                .store
                .read_blob(store::blob::BlobKind::Raw, &arrival.sha256)
                .await?;
            let Ok(mail) = mail::normalise(&raw, &self.intake.limits) else {
                return Ok(());
            };
            if let Some(bounce) = &mail.bounce {
                return self.record_bounce(&raw, bounce, now).await;
            }
            return Ok(());
        }
        if facts.automatic {
            return Ok(());
        }
        let sender = facts.sender.clone();
        if let Some(sender) = &sender {
            if self.store.clear_bouncing(sender).await? {
                tracing::info!(address = %sender, "mail arrived from a bouncing address: it no longer bounces");
            }
        }
        let (Some(case_id), false) = (arrival.case_id, arrival.staff) else {
            return Ok(());
        };
        let record = self.store.case_by_id(case_id).await?;
        if arrival.new_case {
            if let Some(sender) = &sender {
                let lang = if facts.chinese { Lang::ZhCn } else { Lang::En };
                let ack = self
                    .acknowledgement(&record, sender, facts.message_id.as_deref(), lang)
                    .await?;
                self.queue_automatic(&ack, "ack", case_id, &format!("ack:{case_id}"), now)
                    .await?;
            }
        }
        self.notify_owner(&record, arrival, sender.as_deref(), &facts.subject, now)
            .await
    }

    async fn record_bounce(
        &self,
        raw: &[u8],
        bounce: &mail::bounce::Bounce,
        now: i64,
    ) -> Result<(), AppError> {
        let mut rows = Vec::new();
        for id in quoted_message_ids(raw) {
            if let Some(row) = self.store.outbox_by_message_id(&id).await? {
                rows.push(row);
            }
        }
        for recipient in &bounce.recipients {
            let Some(address) = recipient.address.as_deref() else {
                continue;
            };
            let reason = recipient
                .diagnostic
                .clone()
                .unwrap_or_else(|| format!("{:?}", recipient.reason).to_lowercase());
            // Only a recipient of a message the bounce quotes is marked: a bounce can name
            // anyone, and a Message-ID is 128 random bits, so only someone who received the
            // message can name it. (Such a person could still mark a fellow recipient as
            // bouncing; the mark shows in `mail status` and ends with that contact's next mail.)
            let ours = rows.iter().any(|row| {
                row.recipients
                    .iter()
                    .any(|r| r.eq_ignore_ascii_case(address))
            });
            if !ours {
                continue;
            }
            self.store
                .mark_bouncing(address, &reason, recipient.status.as_deref(), now)
                .await?;
            for row in rows.iter().filter(|row| {
                row.recipients
                    .iter()
                    .any(|r| r.eq_ignore_ascii_case(address))
            }) {
                self.store
                    .outbox_bounced(row.id, &format!("bounced: {reason}"), address, now)
                    .await?;
            }
            tracing::info!(%address, %reason, "a message Casebook sent bounced");
        }
        Ok(())
    }

    /// Queues automatic mail unless its recipient had the hour's limit of it.
    async fn queue_automatic(
        &self,
        mail: &AccountMail,
        purpose: &str,
        case_id: i64,
        key: &str,
        now: i64,
    ) -> Result<(), AppError> {
        let Some(address) = mail.recipients.first() else {
            return Ok(());
        };
        if !self
            .store
            .bouncing_among(&mail.recipients)
            .await?
            .is_empty()
            || self
                .intake
                .intake_addresses
                .iter()
                .any(|a| a.as_str().eq_ignore_ascii_case(address))
        {
            return Ok(());
        }
        if self.store.outbox_has_key(key).await? {
            return Ok(());
        }
        let limit = self.mail_settings.auto_mail_limit;
        if let Some(held) = self
            .store
            .note_auto_mail(address, purpose, Some(case_id), limit, now)
            .await?
        {
            // Once an hour per address in the log; `mail status` counts them all.
            if held == 1 {
                tracing::warn!(%address, purpose, limit, "automatic mail held: the address had the hour's limit (`casebook mail status` counts what is held)");
            } else {
                tracing::debug!(%address, purpose, held, "automatic mail held");
            }
            return Ok(());
        }
        self.store
            .queue_mail(mail, purpose, Some(case_id), key, now)
            .await?;
        Ok(())
    }

    /// The acknowledgement of a case a partner opened by mail: the case's subject form, a reply
    /// to their message, in their language.
    async fn acknowledgement(
        &self,
        record: &store::cases::CaseRecord,
        to: &str,
        in_reply_to: Option<&str>,
        lang: Lang,
    ) -> Result<AccountMail, AppError> {
        let from_address = match self.reply_address(record.id).await? {
            Some(address) => address,
            None => self.system_sender("http://localhost/")?.email.to_string(),
        };
        let args = [
            ("case", record.number.to_string().into()),
            ("title", record.title.clone().into()),
        ];
        let body = lang.text("mail-ack-body", &args);
        let from = Mailbox::new(
            Some(lang.say("mail-ack-from")),
            from_address.parse().map_err(|_| {
                AppError::invalid("address_invalid", json!({ "address": from_address }))
            })?,
        );
        let recipient: lettre::Address = to
            .parse()
            .map_err(|_| AppError::invalid("address_invalid", json!({ "address": to })))?;
        let mut builder = lettre::Message::builder()
            .from(from)
            .to(Mailbox::new(None, recipient))
            .subject(self.subject_of(record))
            .message_id(Some(format!("<{}>", self.message_id(&from_address))))
            .date(std::time::SystemTime::from(self.now()))
            .header(crate::accounts::AutoSubmitted);
        if let Some(id) = in_reply_to {
            builder = builder
                .in_reply_to(format!("<{id}>"))
                .references(format!("<{id}>"));
        }
        let message = builder
            .singlepart(SinglePart::plain(body))
            .map_err(|error| AppError::internal(format!("acknowledgement: {error}")))?;
        Ok(AccountMail {
            raw: message.formatted(),
            recipients: vec![to.to_string()],
        })
    }

    /// Tells a case's owner of customer mail on it (and what it did to the status).
    async fn notify_owner(
        &self,
        record: &store::cases::CaseRecord,
        arrival: &Arrival,
        sender: Option<&str>,
        subject: &str,
        now: i64,
    ) -> Result<(), AppError> {
        let Some(person) = self.store.case_owner_person(record.id).await? else {
            return Ok(());
        };
        let Some(owner) = self.notified_user(person, "customer_mail").await? else {
            return Ok(());
        };
        let owner = &owner;
        let lang = owner
            .lang
            .as_deref()
            .map_or(self.sla_settings.lang, Lang::from_locale);
        let what = if let Some((_, to)) = arrival.moved {
            lang.text(
                "mail-notify-moved",
                &[("status", lang.say(&format!("status-{to}")).into())],
            )
        } else if arrival.linked_from.is_some() {
            lang.say("mail-notify-linked")
        } else if arrival.flagged {
            lang.say("mail-notify-cancelled")
        } else {
            String::new()
        };
        let args = vec![
            ("sender", sender.unwrap_or("?").to_string()),
            ("subject", case::subject::single_line(subject)),
            ("what", what),
        ];
        self.staff_notice(
            record,
            owner,
            "notify",
            &format!("notify:{}:{}", arrival.sha256, owner.id),
            ("mail-notify-subject", "mail-notify-body"),
            args,
            now,
        )
        .await
    }

    /// Tells a person a case was given to them (unless they took it themselves or turned it off).
    pub(crate) async fn notify_assignment(
        &self,
        record: &store::cases::CaseRecord,
        person: i64,
        actor: &crate::Actor,
        entry: i64,
    ) -> Result<(), AppError> {
        if actor.person_id == Some(person) {
            return Ok(());
        }
        let Some(owner) = self.notified_user(person, "assignment").await? else {
            return Ok(());
        };
        let owner = &owner;
        let args = vec![("by", actor.name.clone())];
        self.staff_notice(
            record,
            owner,
            "notify",
            &format!("assign:{entry}"),
            ("mail-assigned-subject", "mail-assigned-body"),
            args,
            self.now().timestamp_micros(),
        )
        .await
    }

    /// The user a person is, when they can be mailed and did not turn this kind of notice off.
    async fn notified_user(
        &self,
        person: i64,
        kind: &str,
    ) -> Result<Option<store::users::UserRecord>, AppError> {
        let users = self.store.list_users().await?;
        let Some(user) = users
            .into_iter()
            .find(|u| u.person_id == person && !u.disabled && u.email.is_some())
        else {
            return Ok(None);
        };
        let off = self.store.mail_opt_outs(user.id).await?;
        Ok((!off.iter().any(|k| k == kind)).then_some(user))
    }

    /// A notice to a staff member about a case, in their language, queued once per `key`.
    #[allow(clippy::too_many_arguments)]
    async fn staff_notice(
        &self,
        record: &store::cases::CaseRecord,
        user: &store::users::UserRecord,
        purpose: &str,
        key: &str,
        (subject_id, body_id): (&str, &str),
        extra: Vec<(&str, String)>,
        now: i64,
    ) -> Result<(), AppError> {
        let Some(address) = user.email.clone() else {
            return Ok(());
        };
        let lang = user
            .lang
            .as_deref()
            .map_or(self.sla_settings.lang, Lang::from_locale);
        let link = self
            .sla_settings
            .public_url
            .as_deref()
            .map(|base| format!("{}/cases/{}", base.trim_end_matches('/'), record.number))
            .unwrap_or_else(|| format!("casebook case show {}", record.number));
        let mut args: Vec<(&str, fluent_templates::fluent_bundle::FluentValue<'_>)> = vec![
            ("case", record.number.to_string().into()),
            ("title", record.title.clone().into()),
            ("customer", record.customer.clone().into()),
            ("link", link.into()),
        ];
        for (name, value) in extra {
            args.push((name, value.into()));
        }
        let from = self.system_sender(
            self.sla_settings
                .public_url
                .as_deref()
                .unwrap_or("http://localhost/"),
        )?;
        let to: lettre::Address = address
            .parse()
            .map_err(|_| AppError::invalid("address_invalid", json!({ "address": address })))?;
        let domain = self
            .mail_settings
            .domain
            .clone()
            .unwrap_or_else(|| from.email.domain().to_string());
        let random: [u8; 16] = self.rng().random();
        let message = lettre::Message::builder()
            .from(from)
            .to(Mailbox::new(None, to))
            .subject(case::subject::single_line(&lang.text(subject_id, &args)))
            .message_id(Some(format!("<{}@{domain}>", hex::encode(random))))
            .date(std::time::SystemTime::from(self.now()))
            .header(crate::accounts::AutoSubmitted)
            .singlepart(SinglePart::plain(lang.text(body_id, &args)))
            .map_err(|error| AppError::internal(format!("notification: {error}")))?;
        let mail = AccountMail {
            raw: message.formatted(),
            recipients: vec![address],
        };
        self.queue_automatic(&mail, purpose, record.id, key, now)
            .await
    }
}

/// The `mail_arrived` job's handler.
pub(crate) fn arrival_handler(app: Arc<App>) -> jobs::Handler {
    Arc::new(move |job| {
        let app = app.clone();
        Box::pin(async move {
            let arrival: Arrival = serde_json::from_str(&job.payload)
                .map_err(|error| jobs::JobError::Fatal(format!("payload: {error}")))?;
            app.follow_up_arrival(&arrival).await.map_err(job_error)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_returned_message_id_in_a_bounce() {
        let raw = b"From: MAILER-DAEMON@mx.oem.example\r\n\r\n<bob@oem.example>: unknown user\r\n\
            Message-ID: <3f2a@vendor.example>\r\nTo: <bob@oem.example>\r\n";
        assert_eq!(
            quoted_message_ids(raw),
            vec![
                "bob@oem.example".to_string(),
                "3f2a@vendor.example".to_string()
            ]
        );
    }
}
