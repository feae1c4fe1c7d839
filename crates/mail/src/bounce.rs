//! What a bounce says: which recipients failed, with what status and why.
//!
//! Read from a delivery status notification (`message/delivery-status`, RFC 3464) when the
//! bounce has one, from a feedback report (ARF, RFC 5965), and otherwise from the text that
//! mail servers write (qmail, Exim, Postfix without DSN, Exchange, …): `X-Failed-Recipients`,
//! the addresses the text names before the copy of the original message, the enhanced
//! status codes (RFC 3463) and SMTP reply codes near each. The reason is Casebook's own short
//! vocabulary, enough to tell an engineer whether to fix the address, wait, or call the
//! partner's postmaster.

use std::sync::LazyLock;

use mail_parser::{MimeHeaders, PartType};
use regex::Regex;
use serde::Serialize;

/// What kind of automatic message it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BounceKind {
    /// Delivery failed (or is delayed) for some recipients.
    DeliveryFailure,
    /// A complaint: the recipient reported the message (a feedback report).
    Complaint,
    /// An automatic reply (out of office, vacation).
    AutoReply,
}

/// Why delivery to one recipient failed, in Casebook's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BounceReason {
    /// The address, mailbox or domain does not exist (any more), or the account is disabled: fix the address.
    AddressGone,
    /// The mailbox is full: the partner must make room, then send again.
    MailboxFull,
    /// The message is larger than the receiving server takes.
    TooLarge,
    /// Refused by policy: spam or virus filter, blocklist, sender authentication, relaying.
    Rejected,
    /// A temporary failure: delayed, timed out, network or system trouble; the server may retry.
    Temporary,
    /// The recipient reported the message as unwanted.
    Complaint,
    /// An automatic reply, not a failure.
    AutoReply,
    /// The report says the message was delivered.
    Delivered,
    /// The bounce does not say.
    Unknown,
}

/// One recipient the bounce reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BouncedRecipient {
    /// The address, when the bounce names it.
    pub address: Option<String>,
    /// The enhanced status code (RFC 3463), such as `5.1.1`.
    pub status: Option<String>,
    /// The SMTP reply code, such as `550`.
    pub reply_code: Option<u16>,
    /// Why, in Casebook's words.
    pub reason: BounceReason,
    /// What the receiving server said, shortened.
    pub diagnostic: Option<String>,
}

/// What a bounce reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bounce {
    /// Failure, complaint or automatic reply.
    pub kind: BounceKind,
    /// The recipients it reports, in the order it names them.
    pub recipients: Vec<BouncedRecipient>,
}

static STATUS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[^\w.])([245])\.(\d{1,3})\.(\d{1,3})(?:$|[^\w.]|\.(?:\s|$))")
        .expect("the status pattern is a valid regex")
});
static REPLY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[^\w.#])([245][0-5]\d)(?:[ \-]|$)")
        .expect("the reply code pattern is a valid regex")
});
static ADDRESS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
        .expect("the address pattern is a valid regex")
});

/// Lines that begin the copy of the original message in a text bounce.
const ORIGINAL_MARKERS: &[&str] = &[
    "below this line is a copy of the message",
    "this is a copy of the message",
    "original message follows",
    "original message headers",
    "the header of the original message",
    "headers of the original message",
    "--- original message",
    "----- original message",
    "unsent message below",
    "message header follows",
    "content-type: message/rfc822",
    "return-path:",
    "received: from",
];

/// Local parts that belong to mail systems, not to failed recipients.
const SYSTEM_LOCAL_PARTS: &[&str] = &[
    "postmaster",
    "mailer-daemon",
    "mailer_daemon",
    "mail-daemon",
    "maildaemon",
    "abuse",
    "root",
    "noreply",
    "no-reply",
    "bounce",
    "bounces",
];

/// Reads what a message says about failed deliveries; `None` unless it is a bounce, a
/// feedback report or an automatic reply (as `auto_submitted` found).
pub(crate) fn read(
    message: &mail_parser::Message<'_>,
    auto_submitted: Option<&str>,
    body_text: &str,
) -> Option<Bounce> {
    let auto_submitted = auto_submitted?;
    let mut dsn = None;
    let mut feedback = None;
    for part in &message.parts {
        let Some(content_type) = part.content_type() else {
            continue;
        };
        if !content_type.ctype().eq_ignore_ascii_case("message") {
            continue;
        }
        let subtype = content_type.subtype().unwrap_or("").to_ascii_lowercase();
        let text = match &part.body {
            PartType::Text(text) | PartType::Html(text) => text.to_string(),
            _ => String::from_utf8_lossy(part.contents()).into_owned(),
        };
        match subtype.as_str() {
            "delivery-status" | "global-delivery-status" if dsn.is_none() => dsn = Some(text),
            "feedback-report" if feedback.is_none() => feedback = Some(text),
            _ => {}
        }
    }
    // Hotmail's older complaints come without a report part.
    let subject = message.subject().unwrap_or("").to_lowercase();
    if feedback.is_none() && subject.contains("complaint about message from") {
        feedback = Some(String::new());
    }
    if let Some(report) = feedback {
        let fields = fields(&report);
        let mut addresses: Vec<Option<String>> = fields
            .iter()
            .filter(|(name, _)| name == "original-rcpt-to" || name == "removal-recipient")
            .map(|(_, value)| Some(clean_address(value)))
            .collect();
        if addresses.is_empty() {
            addresses.push(None);
        }
        let feedback_type = field(&fields, "feedback-type");
        return Some(Bounce {
            kind: BounceKind::Complaint,
            recipients: addresses
                .into_iter()
                .map(|address| BouncedRecipient {
                    address,
                    status: None,
                    reply_code: None,
                    reason: BounceReason::Complaint,
                    diagnostic: feedback_type.clone(),
                })
                .collect(),
        });
    }
    if let Some(report) = dsn {
        let recipients = from_delivery_status(&report, body_text);
        if !recipients.is_empty() {
            return Some(Bounce {
                kind: BounceKind::DeliveryFailure,
                recipients,
            });
        }
    }
    if !looks_like_failure(message, auto_submitted, body_text) {
        return Some(Bounce {
            kind: BounceKind::AutoReply,
            recipients: vec![BouncedRecipient {
                address: message
                    .from()
                    .and_then(|from| from.first())
                    .and_then(|from| from.address())
                    .map(str::to_lowercase),
                status: None,
                reply_code: None,
                reason: BounceReason::AutoReply,
                diagnostic: None,
            }],
        });
    }
    let own: Vec<String> = message
        .from()
        .into_iter()
        .chain(message.to())
        .flat_map(|list| list.iter())
        .filter_map(|address| address.address())
        .map(str::to_lowercase)
        .collect();
    let failed: Vec<String> = message
        .header_raw("X-Failed-Recipients")
        .map(|value| {
            ADDRESS
                .find_iter(value)
                .map(|m| m.as_str().to_lowercase())
                .collect()
        })
        .unwrap_or_default();
    Some(Bounce {
        kind: BounceKind::DeliveryFailure,
        recipients: from_text(body_text, &failed, &own),
    })
}

/// Whether an automatic message reports a failed delivery rather than replying: servers
/// mark bounces `Auto-Submitted: auto-replied` too, so the sender, subject and text decide.
fn looks_like_failure(
    message: &mail_parser::Message<'_>,
    auto_submitted: &str,
    body_text: &str,
) -> bool {
    if auto_submitted == "bounce" || auto_submitted.starts_with("auto-submitted: auto-generated") {
        return true;
    }
    let from = message.from().and_then(|from| from.first());
    let sender = [
        from.and_then(|f| f.address()).unwrap_or(""),
        from.and_then(|f| f.name()).unwrap_or(""),
    ]
    .join(" ")
    .to_lowercase();
    let subject = message.subject().unwrap_or("").to_lowercase();
    let text = body_text.to_lowercase();
    crate::normalise::BOUNCE_SENDERS
        .iter()
        .any(|name| sender.contains(name))
        || crate::normalise::BOUNCE_SUBJECTS
            .iter()
            .any(|phrase| subject.contains(phrase))
        || first_status(body_text).is_some()
        || [
            "could not be delivered",
            "undeliverable",
            "delivery has failed",
            "delivery failed",
            "failed to deliver",
            "was not delivered",
            "permanent error",
            "not be delivered",
        ]
        .iter()
        .any(|phrase| text.contains(phrase))
}

/// The fields of a DSN or feedback report: name (lower case) and value, folded lines joined.
fn fields(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = out.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            out.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        } else if line.trim().is_empty() {
            out.push((String::new(), String::new()));
        }
    }
    out
}

fn field(fields: &[(String, String)], name: &str) -> Option<String> {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, value)| value.clone())
        .filter(|value| !value.is_empty())
}

/// `rfc822; <a@b.c>` → `a@b.c`.
fn clean_address(value: &str) -> String {
    let value = value.split_once(';').map_or(value, |(_, address)| address);
    value
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim()
        .to_lowercase()
}

/// The per-recipient groups of an RFC 3464 report.
fn from_delivery_status(report: &str, body_text: &str) -> Vec<BouncedRecipient> {
    let mut groups: Vec<Vec<(String, String)>> = vec![Vec::new()];
    for (name, value) in fields(report) {
        if name.is_empty() {
            if groups.last().is_some_and(|group| !group.is_empty()) {
                groups.push(Vec::new());
            }
        } else if let Some(group) = groups.last_mut() {
            // Some servers put no blank line between recipients: a second recipient field starts a group.
            if name == "final-recipient" && group.iter().any(|(n, _)| n == "final-recipient") {
                groups.push(vec![(name, value)]);
            } else {
                group.push((name, value));
            }
        }
    }
    let mut recipients = Vec::new();
    for group in groups {
        let Some(address) =
            field(&group, "final-recipient").or_else(|| field(&group, "original-recipient"))
        else {
            continue;
        };
        let action = field(&group, "action")
            .unwrap_or_default()
            .to_ascii_lowercase();
        let diagnostic = field(&group, "diagnostic-code").map(|code| {
            code.split_once(';')
                .map_or(code.clone(), |(_, text)| text.trim().to_string())
        });
        let from_diagnostic = diagnostic.as_deref().and_then(first_status);
        let status = match field(&group, "status").and_then(|s| first_status(&format!(" {s} "))) {
            // A generic status (X.0.0) says less than the server's own words may.
            Some(generic) if generic.ends_with(".0.0") => from_diagnostic.or(Some(generic)),
            Some(status) => Some(status),
            None => from_diagnostic,
        };
        let said = diagnostic.clone().unwrap_or_default();
        let reply_code = first_reply_code(&said);
        let reason = if action.starts_with("delivered") || action.starts_with("relayed") {
            BounceReason::Delivered
        } else {
            // When the report itself says little, the human text beside it may say more.
            let text = if said.is_empty() { body_text } else { &said };
            classify(status.as_deref(), text, action.starts_with("delayed"))
        };
        recipients.push(BouncedRecipient {
            address: Some(clean_address(&address)),
            status,
            reply_code,
            reason,
            diagnostic: diagnostic.map(|text| shorten(&text)),
        });
    }
    recipients
}

/// The recipients a text bounce names, each with the status and reason found near it.
fn from_text(body_text: &str, failed: &[String], own: &[String]) -> Vec<BouncedRecipient> {
    let lower = body_text.to_lowercase();
    let end = ORIGINAL_MARKERS
        .iter()
        .filter_map(|marker| {
            lower
                .match_indices(marker)
                .map(|(at, _)| at)
                // A marker at the very top is a header of the bounce text, not the copy's start.
                .find(|at| *at > 0)
        })
        .min()
        .unwrap_or(body_text.len());
    let text = body_text.get(..end).unwrap_or(body_text);
    // Where each address is first named in the text.
    let mut named: Vec<(usize, String)> = Vec::new();
    for found in ADDRESS.find_iter(text) {
        let address = found
            .as_str()
            .trim_matches(|c: char| c == '.' || c == '-')
            .to_lowercase();
        // A Message-ID quoted in the text is not a recipient.
        let line_start = text[..found.start()].rfind('\n').map_or(0, |at| at + 1);
        let before = text[line_start..found.start()].to_ascii_lowercase();
        if before.contains("message-id") || before.contains("message id") {
            continue;
        }
        if own.contains(&address) || named.iter().any(|(_, seen)| *seen == address) {
            continue;
        }
        named.push((found.start(), address));
    }
    // Mail systems' own addresses, unless the bounce names no other (a postmaster can bounce too).
    let is_system =
        |address: &str| SYSTEM_LOCAL_PARTS.contains(&address.split('@').next().unwrap_or(""));
    if named.iter().any(|(_, address)| !is_system(address)) {
        named.retain(|(_, address)| !is_system(address));
    }
    if !failed.is_empty() {
        let mut listed: Vec<(usize, String)> = failed
            .iter()
            .map(|address| {
                let at = named
                    .iter()
                    .find(|(_, seen)| seen == address)
                    .map_or(0, |(at, _)| *at);
                (at, address.clone())
            })
            .collect();
        listed.dedup_by(|a, b| a.1 == b.1);
        named = listed;
    }
    if named.is_empty() {
        let status = first_status(text);
        return vec![BouncedRecipient {
            address: None,
            reply_code: first_reply_code(text),
            reason: classify(status.as_deref(), text, false),
            status,
            diagnostic: None,
        }];
    }
    let mut recipients = Vec::new();
    for (index, (at, address)) in named.iter().enumerate() {
        let next = named
            .iter()
            .skip(index + 1)
            .map(|(at, _)| *at)
            .find(|next| next > at)
            .unwrap_or(text.len());
        let near = text.get(*at..next).unwrap_or(text);
        // A recipient whose own lines say nothing takes what the whole text says.
        let status = first_status(near).or_else(|| first_status(text));
        let reply_code = first_reply_code(near).or_else(|| first_reply_code(text));
        let said = if status.is_some() || has_reason_words(near) {
            near
        } else {
            text
        };
        recipients.push(BouncedRecipient {
            address: Some(address.clone()),
            reason: classify(status.as_deref(), said, false),
            status,
            reply_code,
            diagnostic: Some(shorten(near)).filter(|text| !text.is_empty()),
        });
    }
    recipients
}

fn first_status(text: &str) -> Option<String> {
    STATUS
        .captures(text)
        .map(|c| format!("{}.{}.{}", &c[1], &c[2], &c[3]))
}

fn first_reply_code(text: &str) -> Option<u16> {
    REPLY
        .captures_iter(text)
        .filter_map(|c| c[1].parse().ok())
        .next()
}

fn shorten(text: &str) -> String {
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match joined.char_indices().nth(300) {
        Some((at, _)) => format!("{}…", &joined[..at]),
        None => joined,
    }
}

/// Words that say the receiving server refused the sender rather than the recipient.
const SENDER_REFUSED: &[&str] = &[
    "after mail from",
    "sender address rejected",
    "sender rejected",
    "sender domain",
    "sender verify failed",
    "domain of sender address",
];

/// Words of each reason, in the order they are tried (the more specific first).
const REASON_WORDS: &[(BounceReason, &[&str])] = &[
    (
        BounceReason::MailboxFull,
        &[
            "mailbox full",
            "mailbox is full",
            "mailbox_full",
            "over quota",
            "overquota",
            "quota exceeded",
            "exceeded storage",
            "exceeds quota",
            "quota exceed",
            "mailbox size limit",
            "is full",
            "full mailbox",
            "disk quota",
            "insufficient disk space",
            "mail box full",
            "user is over",
            "would exceed",
            "exceeded the local limit",
            "mailbox exceeded",
        ],
    ),
    (
        BounceReason::TooLarge,
        &[
            "message too large",
            "message is too large",
            "message size exceeds",
            "size exceeds",
            "too big",
            "exceeds the maximum",
            "message length exceeds",
            "message too big",
            "exceeds size limit",
            "message exceeds",
            "size limit",
        ],
    ),
    (
        BounceReason::AddressGone,
        &[
            "user unknown",
            "unknown user",
            "no such user",
            "no such recipient",
            "no such mailbox",
            "no such account",
            "does not exist",
            "doesn't exist",
            "not exist",
            "invalid recipient",
            "invalid mailbox",
            "invalid address",
            "recipient unknown",
            "unknown recipient",
            "recipient not found",
            "user not found",
            "mailbox not found",
            "address not found",
            "mailbox unavailable",
            "mailbox is unavailable",
            "no mailbox",
            "unknown local part",
            "addressee unknown",
            "bad destination mailbox",
            "unrouteable address",
            "unroutable address",
            "host unknown",
            "unknown host",
            "host not found",
            "domain not found",
            "no such domain",
            "name or service not known",
            "no mx",
            "not our customer",
            "has moved",
            "no longer",
            "account has been disabled",
            "account is disabled",
            "disabled",
            "suspended",
            "inactive",
            "deactivated",
            "expired account",
            "account expired",
            "not a valid",
            "unknown address",
            "user doesn't have",
            "no valid recipients",
            "is not a known user",
            "not listed",
            "mailbox does not",
            "dns lookup failure",
            "recipient not found",
            "not found",
        ],
    ),
    (
        BounceReason::Rejected,
        &[
            "blocked",
            "blacklist",
            "block list",
            "blocklist",
            "spam",
            "virus",
            "policy",
            "relay",
            "spf",
            "dkim",
            "dmarc",
            "reverse dns",
            "ptr record",
            "reputation",
            "filtered",
            "filter",
            "refused",
            "rejected",
            "denied",
            "not allowed",
            "not permitted",
            "not accepted",
            "unsolicited",
            "authentication",
            "content",
            "banned",
            "prohibited",
            "restricted",
        ],
    ),
    (
        BounceReason::Temporary,
        &[
            "expired",
            "timed out",
            "timeout",
            "time out",
            "retry time",
            "could not be delivered for",
            "delayed",
            "deferred",
            "try again",
            "temporar",
            "too many",
            "connection",
            "network",
            "system error",
            "resources",
            "unavailable",
            "giving up",
            "given up",
            "failing for a long time",
            "has not yet been delivered",
            "hop count",
            "routing loop",
            "pipe to",
            "mail loop",
        ],
    ),
];

fn has_reason_words(text: &str) -> bool {
    let text = text.to_lowercase();
    REASON_WORDS
        .iter()
        .any(|(_, words)| words.iter().any(|word| text.contains(word)))
}

/// Why delivery failed, from the enhanced status code and what the server said.
fn classify(status: Option<&str>, said: &str, delayed: bool) -> BounceReason {
    let detail = status
        .and_then(|status| status.split_once('.'))
        .map(|(_, d)| d);
    // Status details that say exactly why (RFC 3463).
    let lower = said.to_lowercase();
    // A refusal of the sender (at MAIL FROM, or of its address or domain) is a policy matter.
    if SENDER_REFUSED.iter().any(|words| lower.contains(words))
        || matches!(detail, Some("1.7" | "1.8"))
    {
        return BounceReason::Rejected;
    }
    match detail {
        Some("1.0" | "1.1" | "1.2" | "1.3" | "1.6" | "1.10") => return BounceReason::AddressGone,
        Some("2.2") => return BounceReason::MailboxFull,
        Some("3.4" | "2.3") => return BounceReason::TooLarge,
        Some("4.7") => return BounceReason::Temporary,
        _ => {}
    }
    for (reason, words) in REASON_WORDS {
        if words.iter().any(|word| lower.contains(word)) {
            return *reason;
        }
    }
    if delayed {
        return BounceReason::Temporary;
    }
    match status {
        Some(status) if status.starts_with('4') => BounceReason::Temporary,
        Some(status) if status.starts_with("5.7") => BounceReason::Rejected,
        Some(status) if status.starts_with("5.2") => BounceReason::AddressGone,
        Some(status) if status.starts_with("5.4") || status.starts_with("5.3") => {
            BounceReason::Temporary
        }
        Some(status) if status.starts_with("2.") => BounceReason::Delivered,
        _ => BounceReason::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bounce(raw: &str) -> Option<Bounce> {
        crate::normalise(raw.as_bytes(), &crate::Limits::default())
            .ok()
            .and_then(|mail| mail.bounce)
    }

    #[test]
    fn a_delivery_status_report_names_each_recipient() {
        let raw =
            "From: MAILER-DAEMON@mx.example.jp\nTo: neko@example.jp\nSubject: Returned mail\n\
MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=B\n\n\
--B\nContent-Type: text/plain\n\nSorry.\n\
--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.jp\n\n\
Final-Recipient: RFC822; gone@example.org\nAction: failed\nStatus: 5.1.1\n\
Diagnostic-Code: SMTP; 550 5.1.1 <gone@example.org>... User Unknown\n\n\
Final-Recipient: rfc822; full@example.org\nAction: failed\nStatus: 5.2.2\n\
Diagnostic-Code: smtp; 552 mailbox full\n\n--B--\n";
        let bounce = bounce(raw).unwrap();
        assert_eq!(bounce.kind, BounceKind::DeliveryFailure);
        type Seen<'a> = (Option<&'a str>, Option<&'a str>, Option<u16>, BounceReason);
        let got: Vec<Seen<'_>> = bounce
            .recipients
            .iter()
            .map(|r| {
                (
                    r.address.as_deref(),
                    r.status.as_deref(),
                    r.reply_code,
                    r.reason,
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    Some("gone@example.org"),
                    Some("5.1.1"),
                    Some(550),
                    BounceReason::AddressGone
                ),
                (
                    Some("full@example.org"),
                    Some("5.2.2"),
                    Some(552),
                    BounceReason::MailboxFull
                ),
            ]
        );
    }

    #[test]
    fn a_text_bounce_names_its_recipient_before_the_copy() {
        let raw = "From: MAILER-DAEMON@mx4.example.jp\nTo: neko@example.jp\nSubject: failure notice\n\n\
Hi. This is the qmail-send program at mx4.example.jp.\nI'm afraid I wasn't able to deliver your message to the following addresses.\n\n\
<kijitora@example.ne.jp>:\nremote host 192.0.2.32 said: 550 Unknown user kijitora@example.ne.jp\n. (#5.5.0)\n\
Message-ID: <20130424.0001@mx4.example.jp>\n\n\
--- Below this line is a copy of the message.\n\nFrom: Nyanko <neko@example.jp>\nTo: other@example.com\n\nneko\n";
        let bounce = bounce(raw).unwrap();
        assert_eq!(bounce.recipients.len(), 1, "{bounce:?}");
        let only = &bounce.recipients[0];
        assert_eq!(only.address.as_deref(), Some("kijitora@example.ne.jp"));
        assert_eq!(only.status.as_deref(), Some("5.5.0"));
        assert_eq!(only.reply_code, Some(550));
        assert_eq!(only.reason, BounceReason::AddressGone);
    }

    #[test]
    fn failed_recipients_header_lists_them() {
        let raw = "From: Mail Delivery System <Mailer-Daemon@mx.example.com>\nTo: a@example.jp\n\
Subject: Mail delivery failed\nX-Failed-Recipients: x@example.org, y@example.org\n\n\
This message was created automatically.\n\n  x@example.org\n    mailbox is full\n  y@example.org\n    retry timeout exceeded\n";
        let bounce = bounce(raw).unwrap();
        let reasons: Vec<BounceReason> = bounce.recipients.iter().map(|r| r.reason).collect();
        assert_eq!(
            reasons,
            vec![BounceReason::MailboxFull, BounceReason::Temporary]
        );
    }

    #[test]
    fn reports_and_replies_are_told_apart() {
        let arf = "From: abuse@example.net\nTo: a@example.jp\nSubject: complaint\nMIME-Version: 1.0\n\
Content-Type: multipart/report; report-type=feedback-report; boundary=B\n\n--B\nContent-Type: text/plain\n\nspam\n\
--B\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\nOriginal-Rcpt-To: u@example.net\n\n--B--\n";
        let report = bounce(arf).unwrap();
        assert_eq!(report.kind, BounceKind::Complaint);
        assert_eq!(
            report.recipients[0].address.as_deref(),
            Some("u@example.net")
        );
        let vacation = "From: Li <li@example.cn>\nTo: a@example.jp\nAuto-Submitted: auto-replied\nSubject: Out of office\n\nBack Monday.\n";
        assert_eq!(
            bounce(vacation).unwrap().recipients[0].reason,
            BounceReason::AutoReply
        );
        assert_eq!(bounce("From: a@b.c\nSubject: hi\n\nhello\n"), None);
    }

    #[test]
    fn status_codes_are_not_taken_from_addresses_or_versions() {
        assert_eq!(first_status("host 192.0.2.32 said"), None);
        assert_eq!(
            first_status("said: 550 5.7.1 blocked"),
            Some("5.7.1".into())
        );
        assert_eq!(first_status("(#5.5.0)"), Some("5.5.0".into()));
        assert_eq!(first_reply_code("said: 550 Unknown"), Some(550));
        assert_eq!(first_reply_code("192.0.2.32"), None);
    }
}
