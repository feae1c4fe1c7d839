//! What a file holds, told from its content, and the splitting of mboxes.

use std::borrow::Cow;

/// What a file's bytes hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One RFC 5322 message.
    Eml,
    /// An mbox: messages behind `From ` lines.
    Mbox,
    /// A thread export in the seed's text format.
    Export,
    /// None of these.
    Unknown,
}

fn lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    bytes
        .split(|b| *b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
}

/// Whether a line is an export message separator: `====第1封邮件====` or `==== Message 1 ====`.
pub(crate) fn export_separator(line: &str) -> Option<usize> {
    let inner = line
        .trim()
        .strip_prefix("====")?
        .strip_suffix("====")?
        .trim();
    let number = inner
        .strip_prefix('第')
        .and_then(|rest| rest.strip_suffix("封邮件"))
        .or_else(|| {
            inner
                .strip_prefix("Message ")
                .or_else(|| inner.strip_prefix("message "))
        })?;
    number.trim().parse().ok()
}

fn is_header_line(line: &[u8]) -> bool {
    let Some(colon) = line.iter().position(|b| *b == b':') else {
        return false;
    };
    colon > 0
        && line[..colon]
            .iter()
            .all(|b| (33..=126).contains(b) && *b != b':')
}

/// Tells a file's format from its first lines, never from its name.
pub fn detect(bytes: &[u8]) -> Format {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let head = &bytes[start..];
    if head.is_empty() {
        return Format::Unknown;
    }
    let first_line = lines(head).next().unwrap_or(b"");
    let first_text = String::from_utf8_lossy(first_line);
    let labelled_subject = ["邮件主题", "Subject", "主题"].iter().any(|label| {
        first_text
            .trim_start()
            .strip_prefix(label)
            .is_some_and(|rest| rest.trim_start().starts_with([':', '：']))
    });
    if labelled_subject
        && lines(head)
            .take(50)
            .any(|line| export_separator(&String::from_utf8_lossy(line)).is_some())
    {
        return Format::Export;
    }
    if first_line.starts_with(b"From ") {
        return Format::Mbox;
    }
    // A first line mangled in transit ("Fro :uMmlti …") does not make the rest of the headers less mail.
    if is_header_line(first_line)
        || lines(head)
            .take(10)
            .filter(|line| is_header_line(line))
            .count()
            >= 2
    {
        return Format::Eml;
    }
    Format::Unknown
}

/// Splits an mbox into its messages, without their `From ` lines, with mboxrd quoting undone.
///
/// A new message starts at a `From ` line at the start of the file or after
/// an empty line. Lines of `>From `, `>>From `, … lose one `>`.
pub fn split_mbox(bytes: &[u8]) -> Vec<Cow<'_, [u8]>> {
    let mut starts = Vec::new();
    let mut offset = 0;
    let mut previous_blank = true;
    let mut candidate: Option<usize> = None;
    for line in bytes.split_inclusive(|b| *b == b'\n') {
        // A From_ line counts only when a header line follows it: a body line that
        // merely begins with "From " after a blank line does not split the mbox.
        if let Some(start) = candidate.take() {
            if is_header_line(line.strip_suffix(b"\n").unwrap_or(line)) {
                starts.push(start);
            }
        }
        if previous_blank && line.starts_with(b"From ") {
            if starts.is_empty() && offset == 0 {
                starts.push(offset);
            } else {
                candidate = Some(offset);
            }
        }
        previous_blank = line == b"\n" || line == b"\r\n";
        offset += line.len();
    }
    let mut messages = Vec::with_capacity(starts.len());
    for (index, start) in starts.iter().enumerate() {
        let end = starts.get(index + 1).copied().unwrap_or(bytes.len());
        let chunk = &bytes[*start..end];
        let body_start = chunk
            .iter()
            .position(|b| *b == b'\n')
            .map_or(chunk.len(), |at| at + 1);
        let mut message = &chunk[body_start..];
        // The blank line before the next From_ line belongs to the mbox, not the message.
        if index + 1 < starts.len() {
            message = message
                .strip_suffix(b"\r\n")
                .or_else(|| message.strip_suffix(b"\n"))
                .unwrap_or(message);
        }
        messages.push(unquote_from(message));
    }
    messages
}

fn unquote_from(message: &[u8]) -> Cow<'_, [u8]> {
    let quoted = |line: &[u8]| {
        let after = line.iter().position(|b| *b != b'>').unwrap_or(line.len());
        after > 0 && line[after..].starts_with(b"From ")
    };
    if !message.split(|b| *b == b'\n').any(quoted) {
        return Cow::Borrowed(message);
    }
    let mut out = Vec::with_capacity(message.len());
    for line in message.split_inclusive(|b| *b == b'\n') {
        out.extend_from_slice(if quoted(line) { &line[1..] } else { line });
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_from_content() {
        assert_eq!(
            detect("邮件主题：回复: x\n\n====第1封邮件====\n".as_bytes()),
            Format::Export
        );
        assert_eq!(
            detect(b"\xEF\xBB\xBFSubject: x\n==== Message 1 ====\n"),
            Format::Export
        );
        assert_eq!(
            detect(b"Subject: x\n\nbody ==== not a separator\n"),
            Format::Eml
        );
        assert_eq!(
            detect(b"From someone@example.com Mon Mar  1 10:00:00 2021\nSubject: x\n"),
            Format::Mbox
        );
        assert_eq!(detect(b"\r\nReceived: from x\r\n"), Format::Eml);
        assert_eq!(detect(b"just some text\n"), Format::Unknown);
        assert_eq!(detect(b""), Format::Unknown);
        assert_eq!(detect(b":no name\n"), Format::Unknown);
        assert_eq!(
            detect(b"Fro :uMmlti Sender <a@b>\nTo: c@d\nSubject: x\n"),
            Format::Eml
        );
    }

    #[test]
    fn mbox_splitting_and_unquoting() {
        let mbox = b"From a@b Mon Mar  1 10:00:00 2021\nSubject: one\n\nhello\n>From the past\n\nFrom c@d Mon Mar  1 11:00:00 2021\nSubject: two\n\nFrom here on, text\n";
        let messages = split_mbox(mbox);
        assert_eq!(messages.len(), 2);
        assert_eq!(&*messages[0], b"Subject: one\n\nhello\nFrom the past\n");
        // An unquoted "From " body line after a blank line is kept: no header line follows it.
        assert_eq!(&*messages[1], b"Subject: two\n\nFrom here on, text\n");
        assert_eq!(split_mbox(b"").len(), 0);
    }

    #[test]
    fn export_separators() {
        assert_eq!(export_separator("====第12封邮件===="), Some(12));
        assert_eq!(export_separator("==== Message 3 ===="), Some(3));
        assert_eq!(export_separator("====第x封邮件===="), None);
        assert_eq!(export_separator("==== ===="), None);
    }
}
