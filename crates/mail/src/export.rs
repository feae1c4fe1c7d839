//! Thread exports in the seed's text format.
//!
//! ```text
//! 邮件主题：回复: [案例号: CAS-03865-H7P3F1 ] % |P3|Acer|系统重置失败问题 % 初次响应 CMIT:0001804
//!
//! ====第1封邮件====
//!
//! 发件人：Li Qi
//! 发送时间：2021-03-05 17:05:26.201000+00:00
//! 邮件内容:
//! Hi，Xuda & Gaomeng：
//! ```
//!
//! Labels take a fullwidth or an ASCII colon (the seed mixes them), and
//! English labels (`Subject`, `==== Message 1 ====`, `From`, `Sent`, `Body`)
//! work too. [`split`] cuts an export into one self-contained chunk per
//! message (the subject line plus that message), which is what the raw
//! store keeps and what [`parse_one`] reads back.

use chrono::{DateTime, FixedOffset, NaiveDateTime};
use regex::Regex;

use crate::container::export_separator;
use crate::normalise::{Mailbox, ParsedMail, Problem, Unreadable};
use crate::quote;

/// One message of an export, as a self-contained chunk of the original text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportChunk {
    /// The message's number in the export (1-based, as written).
    pub index: usize,
    /// The subject line and this message's block.
    pub bytes: Vec<u8>,
}

fn label_value<'l>(line: &'l str, labels: &[&str]) -> Option<&'l str> {
    let trimmed = line.trim_start();
    labels.iter().find_map(|label| {
        let rest = trimmed.strip_prefix(label)?.trim_start();
        rest.strip_prefix(':')
            .or_else(|| rest.strip_prefix('：'))
            .map(str::trim)
    })
}

const SUBJECT_LABELS: &[&str] = &["邮件主题", "主题", "Subject"];
const SENDER_LABELS: &[&str] = &["发件人", "From", "Sender"];
const SENT_LABELS: &[&str] = &["发送时间", "Sent", "Date", "时间"];
const BODY_LABELS: &[&str] = &["邮件内容", "Body", "Content", "内容"];

/// Cuts an export into one chunk per message.
pub fn split(bytes: &[u8]) -> Result<Vec<ExportChunk>, Unreadable> {
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)).map_err(
        |error| {
            Unreadable::Export(format!(
                "the export is not UTF-8 text (byte {})",
                error.valid_up_to()
            ))
        },
    )?;
    let subject_line = text
        .lines()
        .find(|line| !line.trim().is_empty())
        .filter(|line| label_value(line, SUBJECT_LABELS).is_some())
        .ok_or_else(|| {
            Unreadable::Export("the first line is not a subject line such as 邮件主题：…".into())
        })?;
    let mut chunks: Vec<ExportChunk> = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for line in text.split_inclusive('\n') {
        if let Some(index) = export_separator(line) {
            if let Some((index, block)) = current.take() {
                chunks.push(chunk(subject_line, index, &block));
            }
            current = Some((index, line.to_string()));
        } else if let Some((_, block)) = current.as_mut() {
            block.push_str(line);
        }
    }
    if let Some((index, block)) = current.take() {
        chunks.push(chunk(subject_line, index, &block));
    }
    if chunks.is_empty() {
        return Err(Unreadable::Export(
            "no message separator such as ====第1封邮件==== was found".into(),
        ));
    }
    Ok(chunks)
}

fn chunk(subject_line: &str, index: usize, block: &str) -> ExportChunk {
    let block = block.trim_end();
    ExportChunk {
        index,
        bytes: format!("{}\n\n{}\n", subject_line.trim_end(), block).into_bytes(),
    }
}

/// Reads a one-message export chunk (as made by [`split`]) into a [`ParsedMail`].
pub fn parse_one(bytes: &[u8]) -> Result<ParsedMail, Unreadable> {
    let chunks = split(bytes)?;
    let [only] = chunks.as_slice() else {
        return Err(Unreadable::Export(format!(
            "expected one message in the chunk, found {}",
            chunks.len()
        )));
    };
    let text = String::from_utf8_lossy(&only.bytes);
    let mut lines = text.lines();
    let subject = lines
        .by_ref()
        .find_map(|line| label_value(line, SUBJECT_LABELS))
        .unwrap_or("")
        .to_string();
    let mut problems = Vec::new();
    let mut sender = None;
    let mut sent = None;
    let mut body_lines: Vec<&str> = Vec::new();
    let mut in_body = false;
    for line in lines {
        if in_body {
            body_lines.push(line);
        } else if export_separator(line).is_some() || line.trim().is_empty() {
            continue;
        } else if let Some(value) = label_value(line, SENDER_LABELS) {
            sender = Some(parse_sender(value));
        } else if let Some(value) = label_value(line, SENT_LABELS) {
            match parse_time(value) {
                Some((time, assumed_utc)) => {
                    sent = Some(time);
                    if assumed_utc {
                        problems.push(Problem::ExportLine {
                            detail: format!("send time '{value}' has no offset; taken as UTC"),
                        });
                    }
                }
                None => problems.push(Problem::ExportLine {
                    detail: format!("send time '{value}' could not be read"),
                }),
            }
        } else if let Some(value) = label_value(line, BODY_LABELS) {
            in_body = true;
            if !value.is_empty() {
                body_lines.push(value);
            }
        } else {
            problems.push(Problem::ExportLine {
                detail: format!("unexpected line before the body: '{}'", line.trim()),
            });
            in_body = true;
            body_lines.push(line);
        }
    }
    let body_text = body_lines.join("\n").trim_end().to_string();
    if sender.is_none() {
        problems.push(Problem::NoSender);
    }
    if sent.is_none() {
        problems.push(Problem::BadDate);
    }
    Ok(crate::normalise::without_nul(ParsedMail {
        message_id: None,
        in_reply_to: Vec::new(),
        references: Vec::new(),
        subject,
        from: sender,
        more_authors: Vec::new(),
        to: Vec::new(),
        cc: Vec::new(),
        date: sent,
        quoted_from: quote::quoted_from(&body_text),
        signature_addresses: signature_addresses(&body_text),
        body_text,
        attachments: Vec::new(),
        thread_index: None,
        auto_submitted: None,
        bounce: None,
        from_export: true,
        problems,
    }))
}

fn parse_sender(value: &str) -> Mailbox {
    if let Some((name, rest)) = value.split_once('<') {
        if let Some(address) = rest.strip_suffix('>').filter(|a| a.contains('@')) {
            let name = name.trim().trim_matches('"').trim();
            return Mailbox {
                name: (!name.is_empty()).then(|| name.to_string()),
                address: Some(address.trim().to_lowercase()),
            };
        }
    }
    if value.contains('@') && !value.contains(' ') {
        return Mailbox {
            name: None,
            address: Some(value.to_lowercase()),
        };
    }
    Mailbox {
        name: Some(value.to_string()),
        address: None,
    }
}

/// Reads an export time; the flag says it had no offset and was taken as UTC.
fn parse_time(value: &str) -> Option<(DateTime<FixedOffset>, bool)> {
    let value = value.trim().replace('T', " ");
    let value = value
        .strip_suffix('Z')
        .map(|v| format!("{v}+00:00"))
        .unwrap_or(value);
    for format in [
        "%Y-%m-%d %H:%M:%S%.f%:z",
        "%Y-%m-%d %H:%M:%S%.f%z",
        "%Y/%m/%d %H:%M:%S%.f%:z",
    ] {
        if let Ok(time) = DateTime::parse_from_str(&value, format) {
            return Some((time, false));
        }
    }
    for format in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y/%m/%d %H:%M:%S%.f",
        "%Y/%m/%d %H:%M",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(&value, format) {
            return Some((naive.and_utc().fixed_offset(), true));
        }
    }
    None
}

/// Addresses in a signature: after a sign-off line, or on a line labelled as an email address.
fn signature_addresses(body: &str) -> Vec<String> {
    static ADDRESS: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let pattern = ADDRESS.get_or_init(|| {
        Regex::new(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
            .expect("the address pattern is a valid regex")
    });
    let own_text = quote::quoted_from(body).map_or(body, |offset| &body[..offset]);
    let mut in_signature = false;
    let mut found: Vec<String> = Vec::new();
    for line in own_text.lines() {
        let lower = line.trim().to_lowercase();
        if lower == "--"
            || lower.starts_with("----")
            || lower.starts_with("best regards")
            || lower.starts_with("regards")
            || lower.starts_with("thanks")
            || lower.starts_with("thank you")
            || lower.starts_with("此致")
        {
            in_signature = true;
        }
        let labelled = ["email", "e-mail", "mail:", "邮箱", "邮件:"]
            .iter()
            .any(|label| lower.contains(label));
        if in_signature || labelled {
            for address in pattern.find_iter(line) {
                let address = address.as_str().to_lowercase();
                if !found.contains(&address) {
                    found.push(address);
                }
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXPORT: &str =
        "邮件主题：回复: [案例号: CAS-00001-ABCDEF ] % |P2|Lenovo|蓝屏 % 初次响应 CMIT:0000001

====第1封邮件====

发件人：Li Qi
发送时间：2021-03-05 17:05:26.201000+00:00
邮件内容:
Hi，
请提供日志。

====第2封邮件====

发件人：Carl Liu <LiuJian@cmgos.com>
发送时间：2021-03-06 09:00:00+08:00
邮件内容：
好的
Best Regards,
Mobile: 138 | Email: liujian@cmgos.com
";

    #[test]
    fn an_export_splits_into_self_contained_chunks() {
        let chunks = split(EXPORT.as_bytes()).unwrap();
        assert_eq!(chunks.iter().map(|c| c.index).collect::<Vec<_>>(), [1, 2]);
        let first = parse_one(&chunks[0].bytes).unwrap();
        assert_eq!(
            first.subject,
            "回复: [案例号: CAS-00001-ABCDEF ] % |P2|Lenovo|蓝屏 % 初次响应 CMIT:0000001"
        );
        assert_eq!(
            first.from,
            Some(Mailbox {
                name: Some("Li Qi".into()),
                address: None
            })
        );
        assert_eq!(
            first.date.unwrap().to_rfc3339(),
            "2021-03-05T17:05:26.201+00:00"
        );
        assert_eq!(first.body_text, "Hi，\n请提供日志。");
        assert!(first.problems.is_empty(), "{:?}", first.problems);
        let second = parse_one(&chunks[1].bytes).unwrap();
        assert_eq!(
            second.from.unwrap().address.as_deref(),
            Some("liujian@cmgos.com")
        );
        assert_eq!(
            second.date.unwrap().to_rfc3339(),
            "2021-03-06T09:00:00+08:00"
        );
        assert_eq!(second.signature_addresses, ["liujian@cmgos.com"]);
        assert!(second.from_export);
    }

    #[test]
    fn english_labels_and_imperfect_lines() {
        let export = "Subject: Boot loop - CAS-00002-ABCDEF - P1 - Dell\n==== Message 1 ====\nFrom: Ann\nSent: 2021-03-05 10:00\nstray line\nmore\n";
        let chunks = split(export.as_bytes()).unwrap();
        let mail = parse_one(&chunks[0].bytes).unwrap();
        assert_eq!(mail.body_text, "stray line\nmore");
        assert_eq!(mail.date.unwrap().to_rfc3339(), "2021-03-05T10:00:00+00:00");
        assert_eq!(mail.problems.len(), 2, "{:?}", mail.problems);
    }

    #[test]
    fn unreadable_exports() {
        assert!(matches!(
            split("邮件主题：x\nno separators\n".as_bytes()),
            Err(Unreadable::Export(_))
        ));
        assert!(matches!(
            split(b"====Message 1====\n"),
            Err(Unreadable::Export(_))
        ));
        assert!(matches!(split(b"\xff\xfe"), Err(Unreadable::Export(_))));
        let missing =
            parse_one("邮件主题：x\n====第1封邮件====\n邮件内容:\nbody\n".as_bytes()).unwrap();
        assert!(missing.problems.contains(&Problem::NoSender));
        assert!(missing.problems.contains(&Problem::BadDate));
    }
}
