//! Writing on a case from Casebook itself: a staff reply from the composer, a partner's reply or
//! new case from the portal.
//!
//! A reply is rendered as a real message (lettre's builder: encoded words, MIME parts), with a
//! Message-ID and the case's subject, In-Reply-To and References, and goes through the one ingest
//! path (`intake::submit`): stored raw first, put on its case, and for a staff reply queued in the
//! outbox in the same transaction. A copy that comes back by mail is a duplicate; a partner's
//! answer that carries only In-Reply-To threads onto the case.

use case::access::{Action, Viewer};
use case::subject::SubjectFields;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox as LettreMailbox, MultiPart, SinglePart};
use rand::Rng;
use serde_json::json;
use store::cases::CaseRecord;

use crate::views::{self, CaseView, ChangeView};
use crate::{Actor, App, AppError};

/// A file sent with a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingFile {
    /// Its name.
    pub filename: String,
    /// Its type (`application/octet-stream` when unknown).
    pub content_type: String,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// What someone writes to the other side of a case.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReplyInput {
    /// The text.
    pub text: String,
    /// Extra copy recipients.
    pub cc: Vec<String>,
    /// Files.
    pub files: Vec<OutgoingFile>,
}

/// Largest total size of a reply's files.
const MAX_FILES_BYTES: usize = 25 * 1024 * 1024;

fn mailbox(name: &str, address: &str) -> Result<LettreMailbox, AppError> {
    let address = address
        .parse()
        .map_err(|_| AppError::invalid("address_invalid", json!({ "address": address })))?;
    Ok(LettreMailbox::new(
        Some(case::subject::single_line(name)).filter(|n| !n.is_empty()),
        address,
    ))
}

impl App {
    /// The sender an actor writes as: their name and first address.
    async fn sender_of(&self, actor: &Actor) -> Result<(String, String), AppError> {
        let person = match actor.person_id {
            Some(id) => self.store.find_contact(&format!("#{id}")).await?,
            None => None,
        };
        let Some(person) = person else {
            // The local operator writes as the support team, from the intake address.
            if actor.person_id.is_none() && actor.viewer() == Viewer::Staff {
                if let Some(intake) = self.intake.intake_addresses.first() {
                    return Ok((
                        self.sla_settings.lang.say("mail-ack-from"),
                        intake.to_string(),
                    ));
                }
            }
            return Err(AppError::invalid("sender_unknown", json!({})));
        };
        let address = person
            .addresses
            .first()
            .cloned()
            .ok_or_else(|| AppError::invalid("sender_unknown", json!({})))?;
        Ok((person.display_name, address))
    }

    /// The intake address a case's mail arrived at (the last one named on it), else the first
    /// configured; `None` when none is configured.
    pub(crate) async fn reply_address(&self, case_id: i64) -> Result<Option<String>, AppError> {
        let intake = &self.intake.intake_addresses;
        if intake.is_empty() {
            return Ok(None);
        }
        let timeline = self.store.timeline(case_id).await?;
        let named = timeline
            .iter()
            .rev()
            .filter(|entry| entry.kind == case::timeline::EntryKind::InboundEmail)
            .filter_map(|entry| entry.message.as_ref())
            .flat_map(|message| message.to.iter().chain(&message.cc))
            .filter_map(|mailbox| mailbox.address.as_deref()?.parse::<case::Address>().ok())
            .find(|address| intake.contains(address));
        Ok(named
            .or_else(|| intake.first().cloned())
            .map(|a| a.to_string()))
    }

    pub(crate) fn subject_of(&self, record: &CaseRecord) -> String {
        let subject = self.intake.codec.render(&SubjectFields {
            number: record.number.clone(),
            priority: record.priority,
            customer: record.customer.clone(),
            title: record.title.clone(),
            stage: record.stage.clone(),
            token: record.tracking_token.clone(),
        });
        format!("RE: {subject}")
    }

    pub(crate) fn message_id(&self, address: &str) -> String {
        let domain = self.mail_settings.domain.as_deref().unwrap_or_else(|| {
            address
                .rsplit_once('@')
                .map_or("casebook.invalid", |(_, d)| d)
        });
        let random: [u8; 16] = self.rng().random();
        format!("{}@{domain}", hex::encode(random))
    }

    /// Renders a message on a case: subject, threading headers, text and files.
    #[allow(clippy::too_many_arguments)]
    async fn render(
        &self,
        record: &CaseRecord,
        from: &LettreMailbox,
        to: &[LettreMailbox],
        cc: &[LettreMailbox],
        message_id: &str,
        input: &ReplyInput,
    ) -> Result<Vec<u8>, AppError> {
        let timeline = self.store.timeline(record.id).await?;
        let ids: Vec<String> = timeline
            .iter()
            .filter_map(|entry| entry.message.as_ref()?.message_id.clone())
            .collect();
        build_message(
            from,
            to,
            cc,
            &self.subject_of(record),
            message_id,
            std::time::SystemTime::from(self.now()),
            &ids,
            input,
        )
    }

    fn check_reply(&self, input: &ReplyInput) -> Result<String, AppError> {
        let text = input
            .text
            .strip_prefix('\u{feff}')
            .unwrap_or(&input.text)
            .trim();
        if text.is_empty() {
            return Err(AppError::invalid("reply_empty", json!({})));
        }
        self.check_text("reply", text)?;
        let total: usize = input.files.iter().map(|f| f.bytes.len()).sum();
        if total > MAX_FILES_BYTES {
            return Err(AppError::invalid(
                "reply_files_too_large",
                json!({ "limit_mib": MAX_FILES_BYTES / 1024 / 1024 }),
            ));
        }
        Ok(text.to_string())
    }

    /// A staff reply to the customer: rendered, stored raw, put on the case as an outbound email
    /// (public) and queued in the outbox, all at once. It goes to the case's customer participants
    /// (and `cc`).
    pub async fn case_reply(
        &self,
        actor: &Actor,
        label: &str,
        input: ReplyInput,
    ) -> Result<ChangeView, AppError> {
        let record = self.case_by_label(label).await?;
        self.permit_case(actor, Action::Reply, &record, label)?;
        if actor.viewer() != Viewer::Staff {
            return self.portal_reply(actor, &record, input).await;
        }
        let text = self.check_reply(&input)?;
        let (name, address) = self.sender_of(actor).await?;
        let staff_domains: Vec<String> = self
            .store
            .list_orgs()
            .await?
            .into_iter()
            .filter(|org| org.is_staff)
            .flat_map(|org| org.domains)
            .collect();
        let staff_address = |candidate: &str| {
            let domain = candidate.rsplit_once('@').map_or("", |(_, d)| d);
            staff_domains
                .iter()
                .any(|d| case::party::domain_within(domain, d))
                || self
                    .intake
                    .intake_addresses
                    .iter()
                    .any(|a| a.as_str() == candidate)
        };
        let customers: Vec<String> = self
            .store
            .participants(record.id)
            .await?
            .into_iter()
            .filter(|a| !staff_address(a))
            .collect();
        // A contact whose mail bounces is not written to until mail from them arrives again.
        let bouncing = self.store.bouncing_among(&customers).await?;
        let to_addresses: Vec<String> = customers
            .into_iter()
            .filter(|a| !bouncing.contains(a))
            .collect();
        let mut cc_addresses = Vec::new();
        for cc in &input.cc {
            let cc = cc.trim();
            if cc.is_empty() {
                continue;
            }
            let parsed: case::Address = cc
                .parse()
                .map_err(|_| AppError::invalid("address_invalid", json!({ "address": cc })))?;
            cc_addresses.push(parsed.to_string());
        }
        if to_addresses.is_empty() && cc_addresses.is_empty() {
            return Err(AppError::invalid("reply_no_recipient", json!({})));
        }
        // From the intake address the case's mail arrived at, with the engineer's name, so that
        // answers come back to Casebook.
        let from_address = self.reply_address(record.id).await?.unwrap_or(address);
        let from = mailbox(&name, &from_address)?;
        let to = to_addresses
            .iter()
            .map(|a| mailbox("", a))
            .collect::<Result<Vec<_>, _>>()?;
        let cc = cc_addresses
            .iter()
            .map(|a| mailbox("", a))
            .collect::<Result<Vec<_>, _>>()?;
        let message_id = self.message_id(&from_address);
        let input = ReplyInput { text, ..input };
        let bytes = self
            .render(&record, &from, &to, &cc, &message_id, &input)
            .await?;
        let mut recipients = to_addresses;
        recipients.extend(cc_addresses);
        let mut change = self
            .submit(
                actor,
                &record,
                bytes,
                &message_id,
                intake::Source::Composer { recipients },
            )
            .await?;
        if let Some(queued) = self.store.outbox_by_message_id(&message_id).await? {
            change.outbox = Some(views::QueuedMail {
                outbox_id: queued.id,
                message_id,
            });
        }
        Ok(change)
    }

    /// A partner's reply in the portal: it enters as mail from them would, under the guard.
    async fn portal_reply(
        &self,
        actor: &Actor,
        record: &CaseRecord,
        input: ReplyInput,
    ) -> Result<ChangeView, AppError> {
        let text = self.check_reply(&input)?;
        let (name, address) = self.sender_of(actor).await?;
        let from = mailbox(&name, &address)?;
        let to: Vec<LettreMailbox> = match self.intake.intake_addresses.first() {
            Some(intake) => vec![mailbox("", intake.as_str())?],
            None => Vec::new(),
        };
        let message_id = self.message_id(&address);
        let input = ReplyInput {
            text,
            cc: Vec::new(),
            ..input
        };
        let bytes = self
            .render(record, &from, &to, &[], &message_id, &input)
            .await?;
        self.submit(actor, record, bytes, &message_id, intake::Source::Portal)
            .await
    }

    async fn submit(
        &self,
        actor: &Actor,
        record: &CaseRecord,
        bytes: Vec<u8>,
        message_id: &str,
        source: intake::Source,
    ) -> Result<ChangeView, AppError> {
        let mut rng = self.rng();
        let outcome = intake::submit(
            &self.store,
            &self.intake,
            intake::Submission {
                bytes,
                case_id: record.id,
                source,
                actor: actor.name.clone(),
            },
            self.now(),
            &mut rng,
        )
        .await?;
        self.wake_background();
        match outcome {
            intake::Outcome::OnCase { .. } => {
                let entries: Vec<i64> = self
                    .store
                    .timeline(record.id)
                    .await?
                    .iter()
                    .filter(|entry| {
                        entry.message.as_ref().and_then(|m| m.message_id.as_deref())
                            == Some(message_id)
                    })
                    .map(|entry| entry.id)
                    .collect();
                self.change(record.id, &entries, Vec::new()).await
            }
            intake::Outcome::Quarantined {
                id, reason_code, ..
            } => Err(AppError::invalid(
                "reply_quarantined",
                json!({ "id": id, "code": reason_code }),
            )),
            intake::Outcome::Duplicate { .. } => self.change(record.id, &[], Vec::new()).await,
        }
    }

    /// A partner opens a case for their organization from the portal: the case, and their first
    /// message on it through the intake.
    pub async fn portal_new_case(
        &self,
        actor: &Actor,
        title: &str,
        text: &str,
        priority: Option<case::Priority>,
    ) -> Result<CaseView, AppError> {
        let Viewer::Partner { org_id } = actor.viewer() else {
            return Err(AppError::forbidden(Action::CreateCase));
        };
        let org = self
            .store
            .list_orgs()
            .await?
            .into_iter()
            .find(|org| org.id == org_id)
            .ok_or_else(|| AppError::forbidden(Action::CreateCase))?;
        let input = ReplyInput {
            text: text.to_string(),
            ..Default::default()
        };
        self.check_reply(&input)?;
        let (_, address) = self.sender_of(actor).await?;
        let view = self
            .case_new(
                actor,
                views::NewCaseInput {
                    title: title.to_string(),
                    customer: org.name,
                    new_org: false,
                    priority,
                    stage: None,
                    product: None,
                    version: None,
                },
            )
            .await?;
        let record = self.case_by_label(&view.summary.number).await?;
        // The person who opened it is trusted on it, as a sender of mail on a case is.
        self.store
            .change_participant(
                record.id,
                &address,
                true,
                Some(actor.name.as_str()),
                self.now().timestamp_micros(),
            )
            .await?;
        self.portal_reply(actor, &record, input).await?;
        self.case_show(actor, &view.summary.number).await
    }
}

/// Builds a message from its parts (the one place reply headers are written). Text that came from
/// customers (subject, names) goes through lettre's encoders: it can never start a header line of
/// its own or end the SMTP data.
#[allow(clippy::too_many_arguments)]
pub(crate) fn build_message(
    from: &LettreMailbox,
    to: &[LettreMailbox],
    cc: &[LettreMailbox],
    subject: &str,
    message_id: &str,
    date: std::time::SystemTime,
    thread: &[String],
    input: &ReplyInput,
) -> Result<Vec<u8>, AppError> {
    let mut builder = lettre::Message::builder()
        .from(from.clone())
        .subject(case::subject::single_line(subject))
        .message_id(Some(format!("<{message_id}>")))
        .date(date);
    for mailbox in to {
        builder = builder.to(mailbox.clone());
    }
    for mailbox in cc {
        builder = builder.cc(mailbox.clone());
    }
    if let Some(last) = thread.last() {
        builder = builder.in_reply_to(format!("<{last}>"));
        let start = thread.len().saturating_sub(20);
        let references: Vec<String> = thread[start..].iter().map(|id| format!("<{id}>")).collect();
        builder = builder.references(references.join(" "));
    }
    let text = SinglePart::plain(input.text.clone());
    let message = if input.files.is_empty() {
        builder.singlepart(text)
    } else {
        let mut parts = MultiPart::mixed().singlepart(text);
        for file in &input.files {
            let content_type = ContentType::parse(&file.content_type)
                .or_else(|_| ContentType::parse("application/octet-stream"))
                .map_err(|error| AppError::internal(error.to_string()))?;
            parts = parts.singlepart(
                Attachment::new(mail::filename::sanitise(&file.filename).0)
                    .body(file.bytes.clone(), content_type),
            );
        }
        builder.multipart(parts)
    }
    .map_err(|error| {
        AppError::invalid("reply_unrenderable", json!({ "detail": error.to_string() }))
    })?;
    Ok(message.formatted())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn header_lines_are_safe(raw: &[u8]) -> Result<(), String> {
        let end = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .ok_or("no end of the header")?;
        let head = &raw[..end];
        for (i, byte) in head.iter().enumerate() {
            let crlf = *byte == b'\r' && head.get(i + 1) == Some(&b'\n');
            let lf_after_cr = *byte == b'\n' && i > 0 && head[i - 1] == b'\r';
            if (*byte == b'\r' && !crlf) || (*byte == b'\n' && !lf_after_cr) || *byte == 0 {
                return Err(format!("a bare CR, LF or NUL at {i}"));
            }
        }
        let text = String::from_utf8_lossy(head);
        let names = [
            "From",
            "To",
            "Cc",
            "Subject",
            "Message-ID",
            "Date",
            "In-Reply-To",
            "References",
            "MIME-Version",
            "Content-Type",
            "Content-Transfer-Encoding",
        ];
        for line in text.split("\r\n") {
            if line.starts_with([' ', '\t']) {
                continue;
            }
            let name = line.split(':').next().unwrap_or("");
            if !names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
                return Err(format!("an unexpected header line: {line:?}"));
            }
        }
        // The data never ends early: no header line is a lone dot (the body is the transport's
        // to dot-stuff).
        if head
            .split(|b| *b == b'\n')
            .any(|line| line == b"." || line == b".\r")
        {
            return Err("a line of a lone dot".into());
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn customer_text_never_makes_a_header_line(
            title in proptest::collection::vec(any::<u8>(), 0..200),
            customer in proptest::collection::vec(any::<u8>(), 0..60),
            name in proptest::collection::vec(any::<u8>(), 0..60),
            body in proptest::collection::vec(any::<u8>(), 0..300),
        ) {
            let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).to_string();
            let subject = case::subject::SubjectCodec::default().render(&SubjectFields {
                number: "CAS-03865-H7P3F1".parse().expect("a number"),
                priority: case::Priority::P3,
                customer: text(&customer),
                title: text(&title),
                stage: "初次响应".into(),
                token: Some("CMIT:0001804".parse().expect("a token")),
            });
            let from = mailbox(&text(&name), "support@cmgos.example").expect("from");
            let to = [mailbox(&text(&customer), "gaomeng@acer.example").expect("to")];
            let input = ReplyInput { text: text(&body), ..ReplyInput::default() };
            let raw = build_message(
                &from,
                &to,
                &[],
                &format!("RE: {subject}"),
                "abc@cmgos.example",
                std::time::SystemTime::UNIX_EPOCH,
                &["p1@acer.example".to_string()],
                &input,
            ).expect("renders");
            prop_assert_eq!(header_lines_are_safe(&raw), Ok(()));
        }
    }
}
