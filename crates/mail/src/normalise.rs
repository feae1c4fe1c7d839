//! One message's bytes to a [`ParsedMail`], the form everything after parsing uses.
//!
//! Parsing is done by `mail-parser` (every charset real mail uses, RFC 2047
//! and RFC 2231, quoted-printable and base64, HTML to text). This module
//! makes its result owned and normalised, collects the [`Problem`]s it
//! meets, and refuses only input with nothing to recover ([`Unreadable`]).

use chrono::{DateTime, FixedOffset, NaiveDate};
use mail_parser::{HeaderValue, MessageParser, MimeHeaders, PartType};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::container::{detect, Format};
use crate::{charset, encoded_words, filename, headers, quote};

/// Resource limits for one message. Past a limit the message is refused with the limit named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest raw message accepted, in bytes.
    pub max_message_bytes: usize,
    /// Most MIME parts accepted in one message.
    pub max_parts: usize,
    /// Deepest nesting of multiparts and attached messages accepted.
    pub max_depth: usize,
    /// Largest header section accepted, in bytes (a single header line included).
    pub max_header_bytes: usize,
    /// Most decoded bytes accepted over all parts.
    pub max_decoded_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_bytes: 64 * 1024 * 1024,
            max_parts: 10_000,
            max_depth: 64,
            max_header_bytes: 2 * 1024 * 1024,
            max_decoded_bytes: 256 * 1024 * 1024,
        }
    }
}

/// A name and an address, as a header or an export gave them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mailbox {
    /// The display name, if any.
    pub name: Option<String>,
    /// The address, lower-cased, if any (a thread export gives names only).
    pub address: Option<String>,
}

/// A message's send time as written: the instant, and the offset it was written with.
pub type MailDate = DateTime<FixedOffset>;

/// One attachment, decoded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attachment {
    /// A name safe to show and to use as a path component.
    pub filename: String,
    /// `type/subtype`, lower-case.
    pub content_type: String,
    /// Decoded size in bytes.
    pub size: usize,
    /// SHA-256 of the decoded bytes, hex.
    pub sha256: String,
    /// The decoded bytes.
    #[serde(skip)]
    pub bytes: Vec<u8>,
}

/// Something imperfect met while parsing; the message was still read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Problem {
    /// A part named a charset nobody knows; it was decoded as best could be.
    UnknownCharset {
        /// The label as written.
        charset: String,
    },
    /// A part's transfer encoding or charset could not be decoded cleanly.
    BadEncoding {
        /// Which part, counted from 0.
        part: usize,
    },
    /// An RFC 2047 encoded word was left undecoded.
    BrokenEncodedWord {
        /// The header it was in.
        header: String,
    },
    /// The Date header was missing or unreadable.
    BadDate,
    /// The From header was missing or had no address.
    NoSender,
    /// A header that decides the sender, the case or the duplicate check appears more than once
    /// or reads two ways (issue 7); ingest quarantines the message as `ambiguous_header`.
    AmbiguousHeader {
        /// The header, by its usual name (`From`, `Message-ID`).
        header: String,
    },
    /// Header bytes were sent raw in a legacy charset the message does not declare; this charset
    /// was guessed to read them.
    GuessedCharset {
        /// The charset's name (`GBK`, `Shift_JIS`).
        charset: String,
    },
    /// An attachment's name was unsafe and was changed.
    UnsafeFilename {
        /// The name as written.
        original: String,
    },
    /// NUL characters were replaced by U+FFFD.
    NulCharacters,
    /// A thread export line could not be read and was kept in the body.
    ExportLine {
        /// What was wrong.
        detail: String,
    },
}

/// Why a message could not be read at all; the raw bytes go to quarantine with this reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unreadable {
    /// Nothing but white space.
    #[error("the message is empty")]
    Empty,
    /// The parser failed on it (a bug to report; the raw bytes are kept).
    #[error("the parser failed on this message ({detail}); please report it")]
    ParserFailed {
        /// What the failure said.
        detail: String,
    },
    /// No header could be found: this is not a mail message.
    #[error("no mail headers found: this is not an RFC 5322 message, an mbox or a thread export")]
    NoHeaders,
    /// Larger than `Limits::max_message_bytes`.
    #[error(
        "the message is {size} bytes, over the limit of {limit} bytes (limits.max_message_bytes)"
    )]
    TooLarge {
        /// The message's size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// More parts than `Limits::max_parts`.
    #[error("the message has {parts} MIME parts, over the limit of {limit} (limits.max_parts)")]
    TooManyParts {
        /// The message's part count.
        parts: usize,
        /// The limit.
        limit: usize,
    },
    /// Nested deeper than `Limits::max_depth`.
    #[error("the message nests parts more than {limit} levels deep (limits.max_depth)")]
    TooDeep {
        /// How deep it got before the count stopped.
        depth: usize,
        /// The limit.
        limit: usize,
    },
    /// A header section larger than `Limits::max_header_bytes`.
    #[error("the header section is {size} bytes, over the limit of {limit} bytes (limits.max_header_bytes)")]
    HeaderTooLarge {
        /// The header section's size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// More decoded content than `Limits::max_decoded_bytes`.
    #[error("the message decodes to {size} bytes, over the limit of {limit} bytes (limits.max_decoded_bytes)")]
    DecodedTooLarge {
        /// The decoded size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// A thread export that could not be read.
    #[error("unreadable thread export: {0}")]
    Export(String),
}

/// A message as Casebook reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParsedMail {
    /// The Message-ID without angle brackets.
    pub message_id: Option<String>,
    /// In-Reply-To ids, without angle brackets.
    pub in_reply_to: Vec<String>,
    /// References ids, without angle brackets, oldest first.
    pub references: Vec<String>,
    /// The decoded subject.
    pub subject: String,
    /// The sender: the From header's first mailbox.
    pub from: Option<Mailbox>,
    /// The From header's other mailboxes, when it names several (RFC 5322 allows it); each must
    /// pass the takeover guard as `from` does.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub more_authors: Vec<Mailbox>,
    /// The To recipients.
    pub to: Vec<Mailbox>,
    /// The Cc recipients.
    pub cc: Vec<Mailbox>,
    /// The send time with the offset it was written with.
    pub date: Option<MailDate>,
    /// The readable text of the body.
    pub body_text: String,
    /// Where quoted history begins: a byte offset into the UTF-8 `body_text` (not a character
    /// count), always at the start of a line; `None` when nothing is quoted.
    pub quoted_from: Option<usize>,
    /// Attachments, decoded.
    pub attachments: Vec<Attachment>,
    /// Outlook's Thread-Index header, as written.
    pub thread_index: Option<String>,
    /// Auto-reply or bounce signals, if any (`auto-submitted: auto-replied`, `bounce`, ...).
    pub auto_submitted: Option<String>,
    /// What a bounce, feedback report or automatic reply says about the recipients.
    pub bounce: Option<crate::bounce::Bounce>,
    /// Addresses a thread export gave in the sender's signature.
    pub signature_addresses: Vec<String>,
    /// Whether this came from a thread export rather than an RFC 5322 message.
    pub from_export: bool,
    /// What was imperfect.
    pub problems: Vec<Problem>,
}

/// Reads one RFC 5322 message.
///
/// Thread exports are read by [`crate::export::parse_one`], and only when the
/// caller knows the bytes came from an export an operator imported: a mail
/// whose body looks like an export is still a mail.
pub fn normalise(raw: &[u8], limits: &Limits) -> Result<ParsedMail, Unreadable> {
    if raw.len() > limits.max_message_bytes {
        return Err(Unreadable::TooLarge {
            size: raw.len(),
            limit: limits.max_message_bytes,
        });
    }
    if raw.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(Unreadable::Empty);
    }
    if detect(raw) == Format::Unknown {
        return Err(Unreadable::NoHeaders);
    }
    let header_size = header_section_len(raw);
    if header_size > limits.max_header_bytes {
        return Err(Unreadable::HeaderTooLarge {
            size: header_size,
            limit: limits.max_header_bytes,
        });
    }
    let mut problems = Vec::new();
    for header in headers::ambiguous(raw) {
        problems.push(Problem::AmbiguousHeader {
            header: header.to_string(),
        });
    }
    // Header bytes sent raw in a legacy charset are read in that charset, not as U+FFFD.
    let transcoded = charset::transcode_headers(raw, header_size);
    if let Some((_, Some(guessed))) = &transcoded {
        problems.push(Problem::GuessedCharset {
            charset: (*guessed).to_string(),
        });
    }
    let source = transcoded
        .as_ref()
        .map_or(raw, |(bytes, _)| bytes.as_slice());
    let message = MessageParser::default()
        .parse(source)
        .ok_or(Unreadable::NoHeaders)?;
    if message.parts.len() > limits.max_parts {
        return Err(Unreadable::TooManyParts {
            parts: message.parts.len(),
            limit: limits.max_parts,
        });
    }
    let (depth, decoded) = shape(&message, limits.max_depth);
    if depth > limits.max_depth {
        return Err(Unreadable::TooDeep {
            depth,
            limit: limits.max_depth,
        });
    }
    if decoded > limits.max_decoded_bytes {
        return Err(Unreadable::DecodedTooLarge {
            size: decoded,
            limit: limits.max_decoded_bytes,
        });
    }
    let mut subject = message.subject().map(str::trim).unwrap_or("").to_string();
    // mail-parser decodes encoded words one by one; a character split across two words needs them joined.
    if let Some(joined) = message
        .header_raw("Subject")
        .filter(|raw| raw.contains("=?"))
        .and_then(encoded_words::decode)
    {
        if joined != subject
            && joined.matches('\u{fffd}').count() < subject.matches('\u{fffd}').count().max(1)
        {
            subject = joined;
        }
    }
    let subject = single_line(&subject);
    if subject.contains("=?") && subject.contains("?=") {
        problems.push(Problem::BrokenEncodedWord {
            header: "Subject".into(),
        });
    }
    let mut authors = mailboxes(&message, "From", message.from());
    let more_authors = if authors.len() > 1 {
        authors.split_off(1)
    } else {
        Vec::new()
    };
    let from = authors.into_iter().next();
    if from
        .as_ref()
        .and_then(|mailbox| mailbox.address.as_ref())
        .is_none()
    {
        problems.push(Problem::NoSender);
    }
    let date = message.date().and_then(to_chrono);
    if date.is_none() {
        problems.push(Problem::BadDate);
    }

    let mut body_parts = Vec::new();
    for index in 0..message.text_body_count() {
        let part = message
            .text_body
            .get(index)
            .and_then(|id| message.parts.get(usize::try_from(*id).ok()?));
        let text = match part.map(|part| &part.body) {
            Some(PartType::Html(html)) => Some(html_as_text(html).into()),
            _ => message.body_text(index),
        };
        if let Some(text) = text {
            body_parts.push(text.trim_end().to_string());
        }
    }
    let body_text = body_parts.join("\n\n").replace("\r\n", "\n");

    for (index, part) in message.parts.iter().enumerate() {
        if part.is_encoding_problem {
            problems.push(Problem::BadEncoding { part: index });
        }
        if let Some(charset) = part.content_type().and_then(|ct| ct.attribute("charset")) {
            if encoding_rs::Encoding::for_label(charset.trim().as_bytes()).is_none()
                && !matches!(
                    charset.trim().to_ascii_lowercase().as_str(),
                    "utf-7" | "us-ascii" | "ascii"
                )
            {
                problems.push(Problem::UnknownCharset {
                    charset: charset.to_string(),
                });
            }
        }
    }

    let mut attachments = Vec::new();
    for (index, part) in message.attachments().enumerate() {
        let content_type = part
            .content_type()
            .map(|ct| match ct.subtype() {
                Some(subtype) => format!("{}/{}", ct.ctype(), subtype),
                None => ct.ctype().to_string(),
            })
            .unwrap_or_else(|| "application/octet-stream".to_string())
            .to_ascii_lowercase();
        let original = part
            .attachment_name()
            .map(str::to_string)
            .unwrap_or_else(|| match &part.body {
                PartType::Message(_) => format!("attachment-{}.eml", index + 1),
                _ => format!("attachment-{}", index + 1),
            });
        let (safe, changed) = filename::sanitise(&original);
        if changed && part.attachment_name().is_some() {
            problems.push(Problem::UnsafeFilename {
                original: original.clone(),
            });
        }
        let bytes = part.contents().to_vec();
        attachments.push(Attachment {
            filename: safe,
            content_type,
            size: bytes.len(),
            sha256: hex::encode(Sha256::digest(&bytes)),
            bytes,
        });
    }

    let ids = |value: &HeaderValue<'_>| -> Vec<String> {
        match value {
            HeaderValue::Text(id) => vec![clean_id(id)],
            HeaderValue::TextList(list) => list.iter().map(|id| clean_id(id)).collect(),
            _ => Vec::new(),
        }
        .into_iter()
        .filter(|id| !id.is_empty())
        .collect()
    };

    let auto = auto_submitted(&message);
    let bounce = crate::bounce::read(&message, auto.as_deref(), &body_text);
    Ok(crate::normalise::without_nul(ParsedMail {
        message_id: message
            .message_id()
            .map(clean_id)
            .filter(|id| !id.is_empty()),
        in_reply_to: ids(message.in_reply_to()),
        references: ids(message.references()),
        subject,
        from,
        more_authors,
        to: mailboxes(&message, "To", message.to()),
        cc: mailboxes(&message, "Cc", message.cc()),
        date,
        quoted_from: quote::quoted_from(&body_text),
        body_text,
        attachments,
        thread_index: message
            .header_raw("Thread-Index")
            .map(|value| value.trim().to_string())
            .filter(|v| !v.is_empty()),
        bounce,
        auto_submitted: auto,
        signature_addresses: Vec::new(),
        from_export: false,
        problems,
    }))
}

/// The mailboxes of an address header, with names decoded as subjects are and addresses read as clients write them.
fn mailboxes(
    message: &mail_parser::Message<'_>,
    header: &str,
    value: Option<&mail_parser::Address<'_>>,
) -> Vec<Mailbox> {
    let raw = message.header_raw(header).unwrap_or_default();
    let read = |value: Option<&mail_parser::Address<'_>>, raw: &str| -> Vec<Mailbox> {
        value
            .map(|address| address.iter().map(|addr| mailbox(addr, raw)).collect())
            .unwrap_or_default()
    };
    let found = read(value, raw);
    let undecoded = |found: &[Mailbox]| {
        found.iter().any(|mailbox| {
            mailbox
                .name
                .as_ref()
                .is_some_and(|name| name.contains('\u{fffd}') || name.contains("=?"))
        })
    };
    if !undecoded(&found) {
        return found;
    }
    // mail-parser decodes encoded words one by one; names that split a character across words,
    // or break a word as clients do, are decoded joined and read again as quoted strings.
    let Some(rewritten) = encoded_words::as_quoted_strings(raw) else {
        return found;
    };
    let again = format!("{header}: {rewritten}\r\n\r\n");
    let Some(reparsed) = MessageParser::default().parse(again.as_bytes()) else {
        return found;
    };
    let retried = read(
        reparsed.header(header).and_then(|value| value.as_address()),
        &rewritten,
    );
    let replacements = |found: &[Mailbox]| {
        found
            .iter()
            .filter_map(|mailbox| mailbox.name.as_ref())
            .map(|name| name.matches('\u{fffd}').count() + name.matches("=?").count())
            .sum::<usize>()
    };
    if retried.len() == found.len() && replacements(&retried) < replacements(&found) {
        retried
    } else {
        found
    }
}

/// One mailbox as mail-parser read it, made what Casebook stores.
fn mailbox(addr: &mail_parser::Addr<'_>, raw_header: &str) -> Mailbox {
    let mut name = addr
        .name()
        .map(|name| single_line(name).trim().to_string())
        .filter(|name| !name.is_empty());
    let address = addr
        .address()
        .map(|a| a.trim().to_lowercase())
        .and_then(|a| {
            if let Some((_, rest)) = a.rsplit_once(':').filter(|_| a.starts_with('@')) {
                // An obsolete route (`<@relay.example,@other.example:bob@example.com>`, RFC 5322 section 4.4).
                return Some(rest.to_string());
            }
            let quoted_local = name
                .as_ref()
                .is_some_and(|local| raw_header.contains(&format!("\"{local}\"@")));
            if a.starts_with('@') && quoted_local {
                // A quoted local part (`"john..doe"@example.com`), which mail-parser reads as a name.
                let local = name.take()?;
                return Some(
                    if local
                        .chars()
                        .any(|c| c.is_whitespace() || "<>()[],;:\\\"@".contains(c))
                    {
                        format!("\"{local}\"{a}")
                    } else {
                        format!("{}{a}", local.to_lowercase())
                    },
                );
            }
            Some(a)
        });
    Mailbox {
        name,
        address: address.filter(|a| a.contains('@') && !a.starts_with('@')),
    }
}

/// The HTML a message's sender wrote, if any part of its body is HTML (not text made HTML), as
/// mail-parser decodes it. It is unsafe to show as it is: the web sanitizes it first.
pub fn html_body(raw: &[u8]) -> Option<String> {
    let message = mail_parser::MessageParser::default().parse(raw)?;
    message.html_body.iter().find_map(|&id| {
        match &message.parts.get(usize::try_from(id).ok()?)?.body {
            mail_parser::PartType::Html(html) => Some(html.to_string()),
            _ => None,
        }
    })
}

/// HTML made text by mail-parser, with a line break after each block (a `div`, a paragraph, a
/// table row), as a mail client shows it: quoted history found line by line in plain text is
/// then found the same way in HTML-only mail, and the text reads as written.
fn html_as_text(html: &str) -> String {
    static BLOCK_END: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    static CELL_END: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    static BLANK_LINES: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let block_end = BLOCK_END.get_or_init(|| {
        regex::Regex::new(r"(?i)</(?:div|p|tr|table|blockquote|li|ul|ol|h[1-6]|pre)\s*>")
            .expect("the block end pattern is a valid regex")
    });
    let cell_end = CELL_END.get_or_init(|| {
        regex::Regex::new(r"(?i)</t[dh]\s*>").expect("the cell end pattern is a valid regex")
    });
    let blank_lines = BLANK_LINES.get_or_init(|| {
        regex::Regex::new(r"\n[ \t\u{a0}]*(?:\n[ \t\u{a0}]*){2,}")
            .expect("the blank lines pattern is a valid regex")
    });
    let lined = block_end.replace_all(html, "$0<br>");
    let lined = cell_end.replace_all(&lined, "$0 ");
    let text = mail_parser::decoders::html::html_to_text(&lined);
    blank_lines.replace_all(text.trim(), "\n\n").into_owned()
}

/// Line breaks in a decoded header value (an encoded word may hold them) become spaces, so that
/// nothing shown as one header can look like two.
pub(crate) fn single_line(text: &str) -> String {
    if !text.contains([
        '\r', '\n', '\u{b}', '\u{c}', '\u{85}', '\u{2028}', '\u{2029}',
    ]) {
        return text.to_string();
    }
    text.chars()
        .map(|c| match c {
            '\r' | '\n' | '\u{b}' | '\u{c}' | '\u{85}' | '\u{2028}' | '\u{2029}' => ' ',
            other => other,
        })
        .collect::<String>()
        .split(' ')
        .filter(|piece| !piece.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Replaces NUL characters, which mean nothing in mail text and which PostgreSQL refuses in text.
pub(crate) fn without_nul(mut mail: ParsedMail) -> ParsedMail {
    let mut found = false;
    let mut clean = |text: &mut String| {
        if text.contains('\0') {
            *text = text.replace('\0', "\u{fffd}");
            found = true;
        }
    };
    let body_before = mail.body_text.len();
    clean(&mut mail.subject);
    clean(&mut mail.body_text);
    for mailbox in mail
        .from
        .iter_mut()
        .chain(mail.to.iter_mut())
        .chain(mail.cc.iter_mut())
    {
        mailbox
            .name
            .iter_mut()
            .chain(mailbox.address.iter_mut())
            .for_each(&mut clean);
    }
    mail.message_id
        .iter_mut()
        .chain(mail.in_reply_to.iter_mut())
        .chain(mail.references.iter_mut())
        .for_each(&mut clean);
    mail.thread_index
        .iter_mut()
        .chain(mail.auto_submitted.iter_mut())
        .for_each(&mut clean);
    mail.signature_addresses.iter_mut().for_each(&mut clean);
    mail.attachments
        .iter_mut()
        .for_each(|attachment| clean(&mut attachment.filename));
    if found {
        if mail.body_text.len() != body_before {
            mail.quoted_from = quote::quoted_from(&mail.body_text);
        }
        mail.problems.push(Problem::NulCharacters);
    }
    mail
}

/// The length of the header section: up to the first empty line, or all of it.
pub(crate) fn header_section_len(raw: &[u8]) -> usize {
    let lf = raw.windows(2).position(|pair| pair == b"\n\n");
    let crlf = raw.windows(4).position(|quad| quad == b"\r\n\r\n");
    match (lf, crlf) {
        (Some(a), Some(b)) => a.min(b),
        (Some(a), None) | (None, Some(a)) => a,
        (None, None) => raw.len(),
    }
}

/// How deep parts nest (stopping a level past `max_depth`) and how many decoded bytes the leaves hold.
fn shape(message: &mail_parser::Message<'_>, max_depth: usize) -> (usize, usize) {
    let mut deepest = 0;
    let mut decoded = 0usize;
    // Each part once: with broken boundaries, several multiparts can list the same children,
    // and walking every path through such a graph takes exponential time (found by fuzzing).
    let mut visited: std::collections::HashSet<(*const mail_parser::Message<'_>, usize)> =
        std::collections::HashSet::new();
    // An explicit stack: a hostile message must not be able to overflow ours.
    let mut stack: Vec<(&mail_parser::Message<'_>, usize, usize)> = vec![(message, 0, 1)];
    while let Some((current, part_id, depth)) = stack.pop() {
        if !visited.insert((std::ptr::from_ref(current), part_id)) {
            continue;
        }
        deepest = deepest.max(depth);
        if depth > max_depth {
            continue;
        }
        let Some(part) = current.parts.get(part_id) else {
            continue;
        };
        match &part.body {
            PartType::Multipart(children) => {
                stack.extend(children.iter().map(|child| {
                    (
                        current,
                        usize::try_from(*child).unwrap_or(usize::MAX),
                        depth + 1,
                    )
                }));
            }
            PartType::Message(inner) => stack.push((inner, 0, depth + 1)),
            _ => decoded = decoded.saturating_add(part.contents().len()),
        }
    }
    (deepest, decoded)
}

fn clean_id(id: &str) -> String {
    id.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim()
        .to_string()
}

fn to_chrono(date: &mail_parser::DateTime) -> Option<MailDate> {
    let seconds = (i32::from(date.tz_hour) * 3600 + i32::from(date.tz_minute) * 60)
        * if date.tz_before_gmt { -1 } else { 1 };
    let offset = FixedOffset::east_opt(seconds)?;
    let naive = NaiveDate::from_ymd_opt(
        i32::from(date.year),
        u32::from(date.month),
        u32::from(date.day),
    )?
    .and_hms_opt(
        u32::from(date.hour),
        u32::from(date.minute),
        u32::from(date.second),
    )?;
    naive.and_local_timezone(offset).single()
}

/// Senders (address local part or display name, lower-case) that only send delivery reports.
pub(crate) const BOUNCE_SENDERS: &[&str] = &[
    "mailer-daemon",
    "postmaster",
    "post_master",
    "mail delivery system",
    "mail delivery subsystem",
    "mmsc ndr administrator",
];

/// Subject phrases of delivery reports from MTAs that do not send RFC 3464 reports.
pub(crate) const BOUNCE_SUBJECTS: &[&str] = &[
    "mail delivery failed",
    "returned mail",
    "undeliverable",
    "undelivered mail",
    "delivery status notification",
    "failure notice",
    "delivery failure",
    "could not be delivered",
    "non-delivery",
    "nondeliverable",
    "delivery has failed",
    "complaint about message from",
    "メールエラー通知",
    "退信",
    "系统退信",
];

/// Subject beginnings of automatic replies (RFC 3834 is often not followed).
const AUTO_REPLY_SUBJECTS: &[&str] = &[
    "automatic reply",
    "auto:",
    "autoreply",
    "auto reply",
    "out of office",
    "自动回复",
    "自動応答",
    "自動返信",
];

fn auto_submitted(message: &mail_parser::Message<'_>) -> Option<String> {
    if let Some(value) = message.header_raw("Auto-Submitted") {
        let value = value.trim().to_ascii_lowercase();
        if !value.starts_with("no") {
            return Some(format!("auto-submitted: {value}"));
        }
    }
    let report_part = message.parts.iter().any(|part| {
        part.content_type().is_some_and(|ct| {
            let subtype = ct.subtype().unwrap_or("").to_ascii_lowercase();
            (ct.ctype().eq_ignore_ascii_case("multipart") && subtype == "report")
                || (ct.ctype().eq_ignore_ascii_case("message")
                    && (subtype == "delivery-status" || subtype == "feedback-report"))
        })
    });
    if report_part || message.header_raw("X-Failed-Recipients").is_some() {
        return Some("bounce".to_string());
    }
    for header in ["X-Autoreply", "X-Autorespond"] {
        if message.header_raw(header).is_some() {
            return Some(format!("{}: yes", header.to_ascii_lowercase()));
        }
    }
    if let Some(precedence) = message.header_raw("Precedence") {
        let precedence = precedence.trim().to_ascii_lowercase();
        if matches!(precedence.as_str(), "bulk" | "junk" | "auto_reply" | "list") {
            return Some(format!("precedence: {precedence}"));
        }
    }
    let from = message.from().and_then(|from| from.first());
    let local = from
        .and_then(|addr| addr.address())
        .unwrap_or("")
        .split('@')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let name = from
        .and_then(|addr| addr.name())
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if BOUNCE_SENDERS
        .iter()
        .any(|sender| local == *sender || name == *sender)
    {
        return Some("bounce".to_string());
    }
    let subject = message.subject().unwrap_or("").trim().to_lowercase();
    if BOUNCE_SUBJECTS
        .iter()
        .any(|phrase| subject.contains(phrase))
    {
        return Some("bounce".to_string());
    }
    if AUTO_REPLY_SUBJECTS
        .iter()
        .any(|start| subject.starts_with(start))
    {
        return Some("auto-reply: subject".to_string());
    }
    None
}

/// Headers that mail transport adds or changes on the way; they do not make a message different.
const TRANSPORT_HEADERS: &[&str] = &[
    "received",
    "return-path",
    "delivered-to",
    "x-original-to",
    "x-received",
    "authentication-results",
    "received-spf",
    "dkim-signature",
    "x-google-dkim-signature",
    "domainkey-signature",
    "content-length",
    "lines",
    "status",
    "x-status",
    "x-keywords",
    "x-uid",
    "x-uidl",
    "envelope-to",
    "x-envelope-from",
    "x-envelope-to",
    "x-spam-status",
    "x-spam-checker-version",
    "x-spam-level",
    "x-spam-score",
    "x-virus-scanned",
    "x-original-arrival-time",
];
const TRANSPORT_PREFIXES: &[&str] = &[
    "arc-",
    "x-ms-exchange-",
    "x-forefront-",
    "x-microsoft-antispam",
    "x-mozilla-",
    "x-gm-",
];

/// A hash of what a message says, ignoring transport headers and line endings.
///
/// Two copies of one message that took different paths (other `Received`
/// lines, CRLF in one mailbox and LF in another) share a fingerprint, so
/// the second is a duplicate; a stranger's message that merely copies a
/// Message-ID does not.
pub fn content_fingerprint(raw: &[u8]) -> String {
    // Line ends do not count: carriage returns are skipped, not copied out (a message is read
    // once here, beside the parse). The header section ends at the first empty line.
    let mut previous = 0u8;
    let mut head_end = raw.len();
    for (at, byte) in raw.iter().enumerate() {
        if *byte == b'\r' {
            continue;
        }
        if *byte == b'\n' && previous == b'\n' {
            head_end = at;
            break;
        }
        previous = *byte;
    }
    let head: Vec<u8> = raw[..head_end]
        .iter()
        .copied()
        .filter(|b| *b != b'\r')
        .collect();
    let body = &raw[head_end.min(raw.len())..];
    let mut hasher = Sha256::new();
    hash_head(&mut hasher, &head);
    let body_end = body
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(0, |at| at + 1);
    for piece in body[..body_end].split(|b| *b == b'\r') {
        hasher.update(piece);
    }
    hex::encode(hasher.finalize())
}

/// Hashes a header section (without carriage returns), leaving out transport headers.
fn hash_head(hasher: &mut Sha256, head: &[u8]) {
    let mut keep = false;
    for line in head.split(|b| *b == b'\n') {
        let continuation = line.first().is_some_and(|b| *b == b' ' || *b == b'\t');
        if !continuation {
            let name = line.split(|b| *b == b':').next().unwrap_or(b"");
            let name = String::from_utf8_lossy(name).trim().to_ascii_lowercase();
            keep = !(TRANSPORT_HEADERS.contains(&name.as_str())
                || TRANSPORT_PREFIXES
                    .iter()
                    .any(|prefix| name.starts_with(prefix))
                || name.starts_with("from "));
        }
        if keep {
            hasher.update(line);
            hasher.update(b"\n");
        }
    }
    hasher.update(b"\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn html_body_only_when_the_sender_wrote_html() {
        let html = b"From: a@example.com\nSubject: x\nContent-Type: multipart/alternative; boundary=B\n\n--B\nContent-Type: text/plain\n\nplain\n--B\nContent-Type: text/html\n\n<p>rich <b>text</b></p>\n--B--\n";
        assert_eq!(
            html_body(html).as_deref().map(str::trim),
            Some("<p>rich <b>text</b></p>")
        );
        let plain = b"From: a@example.com\nSubject: x\n\njust text\n";
        assert_eq!(html_body(plain), None);
    }

    /// The fingerprint as first written: carriage returns removed into a copy, then hashed.
    fn fingerprint_by_copy(raw: &[u8]) -> String {
        let normalised: Vec<u8> = raw.iter().copied().filter(|b| *b != b'\r').collect();
        let split = normalised
            .windows(2)
            .position(|pair| pair == b"\n\n")
            .map_or(normalised.len(), |at| at + 1);
        let (head, body) = normalised.split_at(split);
        let mut hasher = Sha256::new();
        hash_head(&mut hasher, head);
        let body_end = body
            .iter()
            .rposition(|b| !b.is_ascii_whitespace())
            .map_or(0, |at| at + 1);
        hasher.update(&body[..body_end]);
        hex::encode(hasher.finalize())
    }

    proptest! {
        #[test]
        fn fingerprint_reads_the_bytes_where_they_lie(
            raw in proptest::collection::vec(prop_oneof![
                Just(b'\r'), Just(b'\n'), Just(b':'), Just(b' '), Just(b'\t'), Just(b'a'), Just(b'R'),
                Just(b'X'), Just(b'-'),
            ], 0..200),
            prefix in prop_oneof![Just(&b""[..]), Just(&b"Received: x\r\n"[..]), Just(&b"From a@b\n"[..])],
        ) {
            let raw = [prefix, &raw[..]].concat();
            prop_assert_eq!(content_fingerprint(&raw), fingerprint_by_copy(&raw));
        }
    }

    fn parse(raw: &str) -> ParsedMail {
        normalise(raw.as_bytes(), &Limits::default()).unwrap()
    }

    #[test]
    fn a_chinese_reply() {
        let mail = parse(
            "Message-ID: <a1@acer.com>\r\nIn-Reply-To: <p1@cmgos.com>\r\nReferences: <p0@cmgos.com> <p1@cmgos.com>\r\n\
From: =?GB2312?B?0Oy07w==?= <Xuda@Acer.com>\r\nTo: support@cmgos.com\r\nCc: \"Gao Meng\" <gaomeng@cmgos.com>\r\n\
Subject: =?UTF-8?B?5Zue5aSNOiDns7vnu5/ph43nva7lpLHotKXpl67popg=?=\r\nDate: Fri, 05 Mar 2021 17:05:26 +0800\r\n\
Content-Type: text/plain; charset=gbk\r\nContent-Transfer-Encoding: base64\r\n\r\nxOO6ww==\r\n",
        );
        assert_eq!(mail.message_id.as_deref(), Some("a1@acer.com"));
        assert_eq!(mail.in_reply_to, ["p1@cmgos.com"]);
        assert_eq!(mail.references, ["p0@cmgos.com", "p1@cmgos.com"]);
        assert_eq!(mail.subject, "回复: 系统重置失败问题");
        let from = mail.from.unwrap();
        assert_eq!(from.address.as_deref(), Some("xuda@acer.com"));
        assert_eq!(from.name.as_deref(), Some("徐达"));
        assert_eq!(mail.cc[0].name.as_deref(), Some("Gao Meng"));
        assert_eq!(mail.date.unwrap().to_rfc3339(), "2021-03-05T17:05:26+08:00");
        assert_eq!(mail.body_text, "你好");
        assert!(mail.problems.is_empty(), "{:?}", mail.problems);
    }

    fn subject_of(header: &str) -> String {
        parse(&format!("From: a@b.c\nSubject: {header}\n\nx\n")).subject
    }

    #[test]
    fn encoded_words_that_split_a_character() {
        // RFC 2047 says a word must hold whole characters; real clients split them anyway.
        assert_eq!(
            subject_of("=?UTF-8?B?57O75w==?= =?UTF-8?B?u5/ph43nva7lpLHotKU=?="),
            "系统重置失败"
        );
        assert_eq!(
            subject_of("=?GBK?B?z7XN?= =?GBK?B?s9bY1sPKp7Dc?="),
            "系统重置失败"
        );
        assert_eq!(subject_of("=?gb2312?B?z7XNs9bY1sPKp7Dc?="), "系统重置失败");
        assert_eq!(subject_of("=?big5?B?pXjGVw==?="), "台灣");
        assert_eq!(subject_of("=?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?="), "日本語");
        assert_eq!(subject_of("=?utf-8?Q?caf=C3=A9?= ok"), "café ok");
    }

    /// The From header's first mailbox as (name, address), and whether `no_sender` was recorded.
    fn check_from(header: &str, name: Option<&str>, address: Option<&str>) {
        let mail = normalise(
            format!("From: {header}\r\nSubject: s\r\n\r\nx\r\n").as_bytes(),
            &Limits::default(),
        )
        .unwrap();
        let from = mail.from.clone().unwrap_or(Mailbox {
            name: None,
            address: None,
        });
        assert_eq!(
            (from.name.as_deref(), from.address.as_deref()),
            (name, address),
            "{header}"
        );
        assert_eq!(
            mail.problems.contains(&Problem::NoSender),
            address.is_none(),
            "{header}: {:?}",
            mail.problems
        );
    }

    #[test]
    fn addresses_as_they_come() {
        check_from(
            "名字<addr@example.com>",
            Some("名字"),
            Some("addr@example.com"),
        );
        check_from(
            "addr@example.com (Mail Delivery System)",
            Some("Mail Delivery System"),
            Some("addr@example.com"),
        );
        check_from(
            "\"john..doe\"@example.com",
            None,
            Some("john..doe@example.com"),
        );
        check_from(
            "\"john doe\"@example.com",
            None,
            Some("\"john doe\"@example.com"),
        );
        check_from("mailer-daemon", Some("mailer-daemon"), None);
        check_from(
            "Bob <@relay.example,@other.example:Bob@Example.com>",
            Some("Bob"),
            Some("bob@example.com"),
        );
        check_from(
            "bob@example.com <bob@example.com>",
            Some("bob@example.com"),
            Some("bob@example.com"),
        );
        check_from(
            "\"=?utf-8?B?5ZCN5a2X?=\" <a@b.com>",
            Some("名字"),
            Some("a@b.com"),
        );
        // Display names get the subject's treatment: words split inside a character, broken words, aliases.
        check_from(
            "=?UTF-8?B?57O75w==?= =?UTF-8?B?u5/ph43nva4=?= <a@b.com>",
            Some("系统重置"),
            Some("a@b.com"),
        );
        check_from(
            "=?x-gbk?b?w/vX1g==?= <a@b.com>",
            Some("名字"),
            Some("a@b.com"),
        );
        check_from(
            "=?utf-8?Q?Li Qi?= <a@b.com>",
            Some("Li Qi"),
            Some("a@b.com"),
        );
        check_from(
            "=?utf-8?Q?Boss=0D=0AFrom:_x@y.cn?= <a@b.com>",
            Some("Boss From: x@y.cn"),
            Some("a@b.com"),
        );
        check_from("<>", None, None);
        check_from("", None, None);
    }

    #[test]
    fn encoded_words_as_clients_break_them() {
        for (header, expected) in [
            ("=?utf-8?Q?a b?=", "a b"),
            ("=?utf-8?Q?why?_now?=", "why? now"),
            ("=?utf-8?B?5ZCN5a2X", "名字"),
            ("=?utf-8?b?5ZCN 5a2X?=", "名字"),
            ("=?x-gbk?B?w/vX1g==?=", "名字"),
            ("=?gb_2312-80?B?w/vX1g==?=", "名字"),
            ("=?cp936?B?w/vX1g==?=", "名字"),
            ("=?cp950?B?pXjGVw==?=", "台灣"),
            ("=?ks_c_5601-1987?B?x9GxuQ==?=", "한국"),
            ("=?unicode-1-1-utf-7?Q?+ZeVnLIqe-?=", "日本語"),
            ("=?utf7?Q?+ZeVnLIqe-?=", "日本語"),
            ("=?utf-8?q?hello=0D=0ACc:_x@y.cn?=", "hello Cc: x@y.cn"),
        ] {
            assert_eq!(subject_of(header), expected, "{header}");
        }
    }

    #[test]
    fn raw_legacy_charset_headers() {
        // (From domain, raw subject bytes, declared part charset, expected subject, guessed charset)
        type Row<'a> = (&'a str, &'a [u8], Option<&'a str>, &'a str, Option<&'a str>);
        let table: &[Row<'_>] = &[
            (
                "acer.com",
                b"\xcf\xb5\xcd\xb3\xd6\xd8\xd6\xc3",
                Some("gbk"),
                "系统重置",
                None,
            ),
            (
                "acer.com",
                b"\x95\x32\x82\x36",
                Some("gb18030"),
                "\u{20000}",
                None,
            ),
            (
                "acer.com.tw",
                b"\xa5\x78\xc6\x57\xa7\xde\xb3\x4e",
                Some("big5"),
                "台灣技術",
                None,
            ),
            (
                "example.jp",
                b"\x93\xfa\x96\x7b\x8c\xea\x82\xcc\x83\x65\x83\x58\x83\x67",
                None,
                "日本語のテスト",
                Some("Shift_JIS"),
            ),
            (
                "example.jp",
                b"\xc6\xfc\xcb\xdc\xb8\xec\xa4\xce\xa5\xc6\xa5\xb9\xa5\xc8",
                Some("euc-jp"),
                "日本語のテスト",
                None,
            ),
            (
                "example.kr",
                b"\xc7\xd1\xb1\xb9\xbe\xee \xc5\xd7\xbd\xba\xc6\xae",
                None,
                "한국어 테스트",
                Some("EUC-KR"),
            ),
            (
                "example.ru",
                b"\xf0\xd2\xc9\xd7\xc5\xd4 \xcd\xc9\xd2",
                Some("koi8-r"),
                "Привет мир",
                None,
            ),
            (
                "example.ru",
                b"\xcf\xf0\xe8\xe2\xe5\xf2 \xec\xe8\xf0",
                None,
                "Привет мир",
                Some("windows-1251"),
            ),
            (
                "example.de",
                b"Gr\xfc\xdfe aus K\xf6ln",
                Some("windows-1252"),
                "Grüße aus Köln",
                None,
            ),
        ];
        for (domain, subject, declared, expected, guessed) in table {
            let content_type = declared
                .map(|charset| format!("Content-Type: text/plain; charset={charset}\r\n"))
                .unwrap_or_default();
            let raw = [
                format!("From: user@{domain}\r\nSubject: ").as_bytes(),
                subject,
                format!("\r\n{content_type}\r\nbody\r\n").as_bytes(),
            ]
            .concat();
            let mail = normalise(&raw, &Limits::default()).unwrap();
            assert_eq!(mail.subject, *expected, "{domain}");
            assert_eq!(
                mail.problems.iter().find_map(|problem| match problem {
                    Problem::GuessedCharset { charset } => Some(charset.as_str()),
                    _ => None,
                }),
                *guessed,
                "{domain}"
            );
        }
        // A display name in GBK, declared by the body.
        let mail = parse_bytes(b"From: \xd0\xec\xb4\xef <xuda@acer.com>\r\nContent-Type: text/plain; charset=gb2312\r\n\r\nx\r\n");
        assert_eq!(
            mail.from.and_then(|from| from.name).as_deref(),
            Some("徐达")
        );
    }

    fn parse_bytes(raw: &[u8]) -> ParsedMail {
        normalise(raw, &Limits::default()).unwrap()
    }

    #[test]
    fn several_authors_are_all_kept() {
        let mail = parse("From: a@b.cn, \"C\" <c@d.cn>\nSubject: s\n\nx\n");
        assert_eq!(mail.from.and_then(|m| m.address).as_deref(), Some("a@b.cn"));
        assert_eq!(
            mail.more_authors,
            [Mailbox {
                name: Some("C".into()),
                address: Some("c@d.cn".into())
            }]
        );
        let twice = parse("From: a@b.cn\nFrom: c@d.cn\nSubject: s\n\nx\n");
        assert!(twice.problems.contains(&Problem::AmbiguousHeader {
            header: "From".into()
        }));
    }

    #[test]
    fn html_only_mail_becomes_text_and_attachments_are_kept() {
        let mail = parse(
            "From: a@b.c\nSubject: logs\nDate: Mon, 1 Mar 2021 10:00:00 +0000\nMIME-Version: 1.0\n\
Content-Type: multipart/mixed; boundary=XX\n\n--XX\nContent-Type: text/html; charset=utf-8\n\n\
<p>Hello <b>there</b></p><script>alert(1)</script>\n--XX\nContent-Type: application/octet-stream\n\
Content-Disposition: attachment; filename*=UTF-8''..%2F..%2F%E6%97%A5%E5%BF%97.log\n\
Content-Transfer-Encoding: base64\n\naGVsbG8=\n--XX--\n",
        );
        assert!(mail.body_text.contains("Hello there"), "{}", mail.body_text);
        assert_eq!(mail.attachments.len(), 1);
        let attachment = &mail.attachments[0];
        assert_eq!(attachment.filename, "日志.log");
        assert_eq!(attachment.size, 5);
        assert_eq!(attachment.content_type, "application/octet-stream");
        assert_eq!(
            attachment.sha256,
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert!(mail
            .problems
            .iter()
            .any(|p| matches!(p, Problem::UnsafeFilename { .. })));
    }

    #[test]
    fn what_cannot_be_read() {
        assert_eq!(normalise(b"", &Limits::default()), Err(Unreadable::Empty));
        assert_eq!(
            normalise(b" \r\n ", &Limits::default()),
            Err(Unreadable::Empty)
        );
        assert_eq!(
            normalise(b"\x00\x01\x02 binary junk", &Limits::default()),
            Err(Unreadable::NoHeaders)
        );
        let small = Limits {
            max_message_bytes: 10,
            ..Limits::default()
        };
        assert_eq!(
            normalise(b"Subject: too long for the limit\n\nx", &small),
            Err(Unreadable::TooLarge {
                size: 34,
                limit: 10
            })
        );
    }

    #[test]
    fn imperfect_mail_lists_its_problems() {
        let mail = parse(
            "Subject: =?x-unknown?Q?abc?=\nContent-Type: text/plain; charset=x-klingon\n\nbody\n",
        );
        assert!(
            mail.problems.contains(&Problem::NoSender),
            "{:?}",
            mail.problems
        );
        assert!(mail.problems.contains(&Problem::BadDate));
        assert!(mail.problems.contains(&Problem::UnknownCharset {
            charset: "x-klingon".into()
        }));
        assert_eq!(mail.body_text, "body");
    }

    #[test]
    fn auto_replies_and_bounces() {
        assert_eq!(
            parse("From: a@b.c\nAuto-Submitted: auto-replied\n\nx")
                .auto_submitted
                .as_deref(),
            Some("auto-submitted: auto-replied")
        );
        assert_eq!(
            parse("From: MAILER-DAEMON@b.c\n\nx")
                .auto_submitted
                .as_deref(),
            Some("bounce")
        );
        assert_eq!(
            parse("From: a@b.c\nAuto-Submitted: no\n\nx").auto_submitted,
            None
        );
        assert_eq!(
            parse("From: MAILER-DAEMON <>\nSubject: hi\n\nx")
                .auto_submitted
                .as_deref(),
            Some("bounce")
        );
        assert_eq!(
            parse("From: a@b.c\nSubject: Undeliverable Message\n\nx")
                .auto_submitted
                .as_deref(),
            Some("bounce")
        );
        assert_eq!(
            parse("From: a@b.c\nSubject: Automatic reply: hello\n\nx")
                .auto_submitted
                .as_deref(),
            Some("auto-reply: subject")
        );
        assert_eq!(
            parse("From: a@b.c\nSubject: Delivery schedule for the BIOS update\n\nx")
                .auto_submitted,
            None
        );
        assert_eq!(
            parse("From: a@b.c\nSubject: 日志已上传\n\nx").auto_submitted,
            None
        );
    }

    #[test]
    fn fingerprints_ignore_transport() {
        let one =
            content_fingerprint(b"Received: from a\r\nFrom: x@y.z\r\nSubject: s\r\n\r\nbody\r\n");
        let two = content_fingerprint(
            b"Received: from b\nReceived: from c\n by d\nFrom: x@y.z\nSubject: s\n\nbody\n",
        );
        let other = content_fingerprint(b"From: x@y.z\nSubject: s\n\nanother body\n");
        assert_eq!(one, two);
        assert_ne!(one, other);
    }
}
