//! How the ingest path reads one message, without storing anything (`casebook mail parse`).
//!
//! The parse is the ingest path's own ([`crate::ingest`]), and the subject is read by the same
//! codec that threads, so what this shows is what ingest would see.

use chrono::SecondsFormat;
use serde::Serialize;

use crate::ingest::{read, ArrivalKind, IntakeConfig, RawArrival};

/// An attachment, as `mail parse` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttachmentSummary {
    /// The safe file name.
    pub filename: String,
    /// `type/subtype`.
    pub content_type: String,
    /// Decoded size in bytes.
    pub size: usize,
    /// SHA-256 of the decoded bytes.
    pub sha256: String,
}

/// What the ingest path reads in one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Inspection {
    /// Where the message came from (`path`, or `path#N` inside an mbox or export).
    pub origin: String,
    /// `mail` or `export`.
    pub kind: &'static str,
    /// The Message-ID.
    pub message_id: Option<String>,
    /// The decoded subject.
    pub subject: Option<String>,
    /// The sender.
    pub from: Option<mail::Mailbox>,
    /// To recipients.
    pub to: Vec<mail::Mailbox>,
    /// Cc recipients.
    pub cc: Vec<mail::Mailbox>,
    /// The send time, RFC 3339 in UTC.
    pub date: Option<String>,
    /// In-Reply-To ids.
    pub in_reply_to: Vec<String>,
    /// References ids.
    pub references: Vec<String>,
    /// The readable text.
    pub body_text: Option<String>,
    /// Byte offset in `body_text` where quoted history begins.
    pub quoted_from: Option<usize>,
    /// Attachments.
    pub attachments: Vec<AttachmentSummary>,
    /// The case number the subject names.
    pub case_number: Option<String>,
    /// The tracking token the subject names.
    pub tracking_token: Option<String>,
    /// Auto-reply or bounce signals.
    pub auto_submitted: Option<String>,
    /// What a bounce, feedback report or automatic reply says: each recipient, status and reason.
    pub bounce: Option<mail::bounce::Bounce>,
    /// What was imperfect; an unreadable message has one problem of kind `unreadable`.
    pub problems: Vec<serde_json::Value>,
}

/// Reads one arrival as ingest would.
pub fn inspect(arrival: &RawArrival, config: &IntakeConfig) -> Inspection {
    let kind = match arrival.kind {
        ArrivalKind::Mail => "mail",
        ArrivalKind::ExportChunk => "export",
    };
    let mut inspection = Inspection {
        origin: arrival.origin.clone(),
        kind,
        message_id: None,
        subject: None,
        from: None,
        to: Vec::new(),
        cc: Vec::new(),
        date: None,
        in_reply_to: Vec::new(),
        references: Vec::new(),
        body_text: None,
        quoted_from: None,
        attachments: Vec::new(),
        case_number: None,
        tracking_token: None,
        auto_submitted: None,
        bounce: None,
        problems: Vec::new(),
    };
    match read(&arrival.bytes, arrival.kind, &config.limits) {
        Ok(mail) => {
            let subject = config.codec.parse(&mail.subject);
            inspection.case_number = subject.number.map(|number| number.to_string());
            inspection.tracking_token = subject.token.map(|token| token.to_string());
            inspection.message_id = mail.message_id;
            inspection.subject = Some(mail.subject);
            inspection.from = mail.from;
            inspection.to = mail.to;
            inspection.cc = mail.cc;
            inspection.date = mail
                .date
                .map(|date| date.to_utc().to_rfc3339_opts(SecondsFormat::Millis, true));
            inspection.in_reply_to = mail.in_reply_to;
            inspection.references = mail.references;
            inspection.quoted_from = mail.quoted_from;
            inspection.body_text = Some(mail.body_text);
            inspection.attachments = mail
                .attachments
                .into_iter()
                .map(|a| AttachmentSummary {
                    filename: a.filename,
                    content_type: a.content_type,
                    size: a.size,
                    sha256: a.sha256,
                })
                .collect();
            inspection.auto_submitted = mail.auto_submitted;
            inspection.bounce = mail.bounce;
            inspection.problems = mail
                .problems
                .iter()
                .filter_map(|problem| serde_json::to_value(problem).ok())
                .collect();
        }
        Err(unreadable) => {
            inspection.problems.push(
                serde_json::json!({ "kind": "unreadable", "detail": unreadable.to_string() }),
            );
        }
    }
    inspection
}

/// An attachment's bytes, read again from the raw message that carried it: the one whose
/// SHA-256 is `sha256` (attachments are not stored apart from their messages).
pub fn attachment(raw: &[u8], config: &IntakeConfig, sha256: &str) -> Option<Vec<u8>> {
    mail::normalise(raw, &config.limits)
        .ok()?
        .attachments
        .into_iter()
        .find(|attachment| attachment.sha256 == sha256)
        .map(|attachment| attachment.bytes)
}
