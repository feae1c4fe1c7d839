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
