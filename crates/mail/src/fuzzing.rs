//! Entry points for the fuzz targets (`fuzz/`) and their replay test: every parser of outside bytes.
//!
//! Each function must never panic, whatever the bytes; the fuzzers and the replay test hold it to that.

use crate::{container, content_fingerprint, detect, export, normalise, Format, Limits};

/// Everything that reads a message or a mailbox file.
pub fn message(data: &[u8]) {
    let limits = Limits {
        max_message_bytes: 1 << 20,
        ..Limits::default()
    };
    if let Ok(mail) = normalise(data, &limits) {
        // What ingest derives from a parse must hold together.
        if let Some(offset) = mail.quoted_from {
            assert!(
                mail.body_text.is_char_boundary(offset),
                "quoted_from must split the body at a character boundary"
            );
        }
        for attachment in &mail.attachments {
            assert!(
                !attachment.filename.contains(['/', '\\']),
                "unsafe attachment name {:?}",
                attachment.filename
            );
        }
    }
    let _ = content_fingerprint(data);
    if detect(data) == Format::Mbox {
        for message in container::split_mbox(data) {
            let _ = normalise(&message, &limits);
        }
    }
    let _ = crate::quote::quoted_from(&String::from_utf8_lossy(data));
    let _ = crate::filename::sanitise(&String::from_utf8_lossy(data));
}

/// Everything that reads a thread export.
pub fn thread_export(data: &[u8]) {
    if let Ok(chunks) = export::split(data) {
        for chunk in chunks {
            let parsed = export::parse_one(&chunk.bytes);
            assert!(
                parsed.is_ok(),
                "a chunk made by split must read back: {parsed:?}"
            );
        }
    }
    let _ = export::parse_one(data);
}

/// Everything that reads an address header or a subject: the header readers, and a message
/// made of the bytes as From, To, Cc and Subject.
pub fn address(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = crate::encoded_words::decode(&text);
    let _ = crate::encoded_words::as_quoted_strings(&text);
    let _ = crate::headers::ambiguous(data);
    let _ = crate::charset::transcode_headers(data, crate::normalise::header_section_len(data));
    let mut raw = Vec::with_capacity(data.len() * 3 + 64);
    for name in [&b"From: "[..], b"To: ", b"Cc: "] {
        raw.extend_from_slice(name);
        raw.extend_from_slice(data);
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"Subject: s\r\n\r\nbody\r\n");
    if let Ok(mail) = normalise(&raw, &Limits::default()) {
        for mailbox in mail
            .from
            .iter()
            .chain(&mail.more_authors)
            .chain(&mail.to)
            .chain(&mail.cc)
        {
            assert!(
                !mailbox.name.as_deref().unwrap_or("").contains(['\r', '\n']),
                "a display name holds a line break: {mailbox:?}"
            );
        }
    }
}

/// A subject header's value as mail reads it.
pub fn subject(data: &[u8]) {
    let raw = [&b"From: a@b.cn\r\nSubject: "[..], data, b"\r\n\r\nbody\r\n"].concat();
    if let Ok(mail) = normalise(&raw, &Limits::default()) {
        assert!(
            !mail.subject.contains(['\r', '\n']),
            "a subject holds a line break: {:?}",
            mail.subject
        );
    }
}
