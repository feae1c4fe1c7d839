//! What a firing does beyond its timeline entry: mail to the owner or the managers (queued in
//! the outbox, in the case's subject form so that replies thread), a priority raise, and a
//! webhook call (a job: signed with HMAC-SHA256, retried, never following redirects). Also the
//! reading of iCalendar files for `calendar import`.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use case::subject::SubjectFields;
use case::{Event, Priority};
use chrono::{NaiveDate, TimeDelta};
use hmac::{Hmac, Mac};
use lettre::message::{Mailbox, SinglePart};
use rand::Rng;
use serde_json::json;
use sha2::Sha256;
use sla::{Action, Firing, Level, Rule};
use store::accounts::AccountMail;
use store::cases::CaseRecord;
use store::sla::{DueClock, FiringWrite};
use store::users::UserRecord;

use crate::i18n::Lang;
use crate::views::{local_time, rfc3339};
use crate::App;

/// The job kind of a webhook call.
pub const WEBHOOK_JOB: &str = "sla_webhook";

/// What the SLA actions need from the configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SlaSettings {
    /// The public address of the web application, for links to cases in mail.
    pub public_url: Option<String>,
    /// The secret webhook requests are signed with (`CASEBOOK_WEBHOOK_SECRET`).
    pub webhook_secret: Option<String>,
    /// The language of mail to people who chose none.
    pub lang: Lang,
}

/// The people a sweep mails, read once per sweep.
pub(crate) struct People {
    users: Vec<UserRecord>,
}

impl People {
    pub(crate) fn new(users: Vec<UserRecord>) -> People {
        People { users }
    }

    fn managers(&self) -> impl Iterator<Item = &UserRecord> {
        self.users
            .iter()
            .filter(|u| !u.disabled && u.role == Some(case::Role::Manager) && u.email.is_some())
    }

    fn by_person(&self, person_id: i64) -> Option<&UserRecord> {
        self.users.iter().find(|u| u.person_id == person_id)
    }

    fn by_address(&self, address: &str) -> Option<&UserRecord> {
        self.users.iter().find(|u| {
            u.email
                .as_deref()
                .is_some_and(|e| e.eq_ignore_ascii_case(address))
        })
    }
}

/// One step up: P4 → P3 … P1 stays P1 (`None`: nothing to raise).
fn one_step_up(priority: Priority) -> Option<Priority> {
    match priority {
        Priority::P1 => None,
        Priority::P2 => Some(Priority::P1),
        Priority::P3 => Some(Priority::P2),
        Priority::P4 => Some(Priority::P3),
    }
}

impl App {
    /// Turns a firing into what the store records and carries out.
    pub(crate) async fn firing_write(
        &self,
        case: &DueClock,
        record: &CaseRecord,
        rule: &Rule,
        firing: &Firing,
        people: &People,
    ) -> Result<FiringWrite, crate::AppError> {
        let mut recipients: BTreeSet<String> = BTreeSet::new();
        let everyone = |recipients: &mut BTreeSet<String>| {
            if rule.notify.is_empty() {
                recipients.extend(people.managers().filter_map(|u| u.email.clone()));
            } else {
                recipients.extend(rule.notify.iter().cloned());
            }
        };
        let mut raise_to = None;
        let mut job = None;
        for action in &firing.actions {
            match action {
                Action::NotifyOwner => {
                    let owner = match case.owner_person_id {
                        Some(id) => match people.by_person(id).and_then(|u| u.email.clone()) {
                            Some(address) => Some(address),
                            None => self
                                .store
                                .find_contact(&format!("#{id}"))
                                .await?
                                .and_then(|c| c.addresses.first().cloned()),
                        },
                        None => None,
                    };
                    match owner {
                        Some(address) => {
                            recipients.insert(address);
                        }
                        None => everyone(&mut recipients),
                    }
                }
                Action::EscalateManager => everyone(&mut recipients),
                Action::RaisePriority => {
                    // Up to the rule's `raise_to` and never past it; one step without one.
                    raise_to = match rule.raise_to {
                        Some(to) => (to < case.priority).then_some(to),
                        None => one_step_up(case.priority),
                    }
                }
                Action::Note => {}
                Action::Webhook => {
                    if let Some(url) = &rule.webhook {
                        let body = json!({
                            "event": format!("sla_{}", firing.level.as_str()),
                            "case": case.number,
                            "title": case.title,
                            "customer": case.customer,
                            "priority": case.priority,
                            "status": case.status,
                            "rule": firing.rule,
                            "measure": firing.measure,
                            "target": rule.after.to_string(),
                            "due_at": rfc3339(firing.at.timestamp_micros()),
                        });
                        let name = format!(
                            "sla-webhook:{}:{}:{}:{}",
                            case.case_id,
                            firing.rule,
                            firing.level.as_str(),
                            firing.episode.timestamp_micros()
                        );
                        job = Some((
                            name,
                            WEBHOOK_JOB.to_string(),
                            json!({ "url": url, "body": body }).to_string(),
                        ));
                    }
                }
            }
        }
        let mut mails = Vec::new();
        for address in &recipients {
            // A user who turned SLA notices off is not mailed (`casebook user notices`, Settings).
            if let Some(user) = people.by_address(address) {
                if self
                    .store
                    .mail_opt_outs(user.id)
                    .await?
                    .iter()
                    .any(|kind| kind == "sla")
                {
                    continue;
                }
            }
            let lang = people
                .by_address(address)
                .and_then(|u| u.lang.as_deref())
                .and_then(|l| l.parse::<Lang>().ok())
                .unwrap_or(self.sla_settings.lang);
            mails.push(self.sla_mail(record, rule, firing, address, lang)?);
        }
        let actions: Vec<String> = firing
            .actions
            .iter()
            .map(|a| a.as_str().to_string())
            .collect();
        Ok(FiringWrite {
            rule: firing.rule.clone(),
            level: firing.level.as_str().to_string(),
            episode: firing.episode.timestamp_micros(),
            measure: firing.measure.as_str().to_string(),
            due_at: firing.at.timestamp_micros(),
            actions: actions.clone(),
            event: Event::Sla {
                breach: firing.level == Level::Breach,
                rule: firing.rule.clone(),
                measure: firing.measure.as_str().to_string(),
                target: rule.after.to_string(),
                due_at: firing.at.timestamp_micros(),
                actions,
            },
            mails,
            raise_to,
            job,
        })
    }

    /// The mail of a firing to one person, in their language, with the case's subject form.
    fn sla_mail(
        &self,
        case: &CaseRecord,
        rule: &Rule,
        firing: &Firing,
        address: &str,
        lang: Lang,
    ) -> Result<AccountMail, crate::AppError> {
        let record_subject = self.intake.codec.render(&SubjectFields {
            number: case.number.clone(),
            priority: case.priority,
            customer: case.customer.clone(),
            title: case.title.clone(),
            stage: case.stage.clone(),
            token: case.tracking_token.clone(),
        });
        let level = firing.level.as_str();
        let due = local_time(&rfc3339(firing.at.timestamp_micros()), self.view_zone);
        let link = self
            .sla_settings
            .public_url
            .as_deref()
            .map(|base| format!("{}/cases/{}", base.trim_end_matches('/'), case.number));
        let args = [
            ("rule", firing.rule.clone().into()),
            (
                "measure",
                lang.say(&format!("sla-measure-{}", firing.measure.as_str()))
                    .into(),
            ),
            ("target", rule.after.to_string().into()),
            ("due", due.into()),
            ("case", case.number.to_string().into()),
            ("title", case.title.clone().into()),
            ("customer", case.customer.clone().into()),
            ("priority", case.priority.to_string().into()),
            (
                "status",
                lang.say(&format!("status-{}", case.status)).into(),
            ),
            (
                "link",
                link.unwrap_or_else(|| format!("casebook case show {}", case.number))
                    .into(),
            ),
        ];
        let subject = format!(
            "{} {}",
            lang.text(&format!("mail-sla-{level}-subject"), &args),
            record_subject
        );
        let body = lang.text(&format!("mail-sla-{level}-body"), &args);
        let from = self.system_sender(
            self.sla_settings
                .public_url
                .as_deref()
                .unwrap_or("http://localhost/"),
        )?;
        let to: lettre::Address = address.parse().map_err(|_| {
            crate::AppError::invalid("address_invalid", json!({ "address": address }))
        })?;
        let domain = from.email.domain().to_string();
        let random: [u8; 16] = self.rng().random();
        let message = lettre::Message::builder()
            .from(from)
            .to(Mailbox::new(None, to))
            .subject(subject)
            .message_id(Some(format!("<{}@{domain}>", hex::encode(random))))
            .date(std::time::SystemTime::from(self.now()))
            .header(crate::accounts::AutoSubmitted)
            .singlepart(SinglePart::plain(body))
            .map_err(|error| crate::AppError::internal(format!("SLA mail: {error}")))?;
        Ok(AccountMail {
            raw: message.formatted(),
            recipients: vec![address.to_string()],
        })
    }
}

/// The handler of webhook jobs: POSTs the job's JSON body to its URL, signed with
/// `X-Casebook-Signature: sha256=<hex HMAC-SHA256 of the body>`; 2xx is done, 408, 429 and 5xx
/// (and no answer) are retried, anything else (a redirect too: it is never followed) fails.
pub fn webhook_handler(secret: Option<String>) -> jobs::Handler {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .ok();
    Arc::new(move |job| {
        let secret = secret.clone();
        let client = client.clone();
        Box::pin(async move {
            let Some(secret) = secret else {
                return Err(jobs::JobError::Fatal(
                    "CASEBOOK_WEBHOOK_SECRET is not set: webhook calls are signed with it".into(),
                ));
            };
            let Some(client) = client else {
                return Err(jobs::JobError::Fatal("no HTTP client".into()));
            };
            let payload: serde_json::Value = serde_json::from_str(&job.payload)
                .map_err(|e| jobs::JobError::Fatal(format!("payload: {e}")))?;
            let (Some(url), Some(body)) = (payload["url"].as_str(), payload.get("body")) else {
                return Err(jobs::JobError::Fatal("payload lacks url or body".into()));
            };
            let body = body.to_string();
            let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
                .map_err(|e| jobs::JobError::Fatal(e.to_string()))?;
            mac.update(body.as_bytes());
            let signature = hex::encode(mac.finalize().into_bytes());
            let answer = client
                .post(url)
                .header("content-type", "application/json")
                .header("x-casebook-signature", format!("sha256={signature}"))
                .header("x-casebook-delivery", job.name.clone())
                .body(body)
                .send()
                .await
                .map_err(|e| jobs::JobError::Retry(format!("{url}: {e}")))?;
            let status = answer.status();
            if status.is_success() {
                Ok(())
            } else if status.is_server_error() || status.as_u16() == 408 || status.as_u16() == 429 {
                Err(jobs::JobError::Retry(format!("{url} answered {status}")))
            } else {
                Err(jobs::JobError::Fatal(format!("{url} answered {status}")))
            }
        })
    })
}

/// Every day the events of an iCalendar file cover (all-day events: DTEND is the day after the
/// last; dated-time events: the days they touch), sorted and without repeats.
pub(crate) fn ics_days(text: &str) -> Result<Vec<NaiveDate>, String> {
    use icalendar::{Component, DatePerhapsTime};

    let calendar: icalendar::Calendar = text.parse()?;
    let mut days = BTreeSet::new();
    let date_of = |d: DatePerhapsTime| -> Option<(NaiveDate, bool)> {
        match d {
            DatePerhapsTime::Date(date) => Some((date, true)),
            other @ DatePerhapsTime::DateTime(_) => Some((other.date_naive(), false)),
        }
    };
    for event in calendar.events() {
        let Some((start, _)) = event.get_start().and_then(date_of) else {
            return Err(format!(
                "an event ({}) has no start date",
                event.get_summary().unwrap_or("no summary")
            ));
        };
        let end = match event.get_end().and_then(date_of) {
            Some((end, true)) if end > start => end - TimeDelta::days(1),
            Some((end, false)) if end >= start => end,
            _ => start,
        };
        if (end - start).num_days() > 366 {
            return Err(format!(
                "an event ({}) lasts over a year",
                event.get_summary().unwrap_or("no summary")
            ));
        }
        let mut day = start;
        while day <= end {
            days.insert(day);
            day = day.succ_opt().ok_or("a date beyond the calendar")?;
        }
    }
    if days.is_empty() {
        return Err("the file holds no events".into());
    }
    Ok(days.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_day_events_end_the_day_before_their_dtend() {
        let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:1\r\nSUMMARY:劳动节\r\nDTSTART;VALUE=DATE:20210501\r\nDTEND;VALUE=DATE:20210506\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:2\r\nSUMMARY:清明节\r\nDTSTART;VALUE=DATE:20210405\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let days: Vec<String> = ics_days(ics)
            .expect("days")
            .iter()
            .map(|d| d.to_string())
            .collect();
        assert_eq!(
            days,
            vec![
                "2021-04-05",
                "2021-05-01",
                "2021-05-02",
                "2021-05-03",
                "2021-05-04",
                "2021-05-05"
            ]
        );
    }

    #[test]
    fn a_file_without_events_is_refused() {
        assert!(ics_days("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n").is_err());
        assert!(ics_days("not a calendar").is_err());
    }

    #[test]
    fn priorities_go_up_one_step_and_stop_at_p1() {
        assert_eq!(one_step_up(Priority::P4), Some(Priority::P3));
        assert_eq!(one_step_up(Priority::P2), Some(Priority::P1));
        assert_eq!(one_step_up(Priority::P1), None);
    }
}
