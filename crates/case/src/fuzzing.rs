//! Entry point for the subject fuzz target (`fuzz/`) and its replay test.

use crate::number::{CaseNumber, Priority, TrackingToken};
use crate::subject::{single_line, SubjectCodec, SubjectFields};

/// Parses any text as a subject, and checks that any title survives a render-then-parse round trip.
pub fn subject(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let codec = SubjectCodec::default();
    let _ = codec.parse(&text);
    let _ = CaseNumber::find_all_in(&text);
    let _ = codec.find_token(&text);
    let fields = SubjectFields {
        number: "CAS-00042-FUZZ42".parse().expect("a valid number"),
        priority: Priority::P2,
        customer: "Acer".into(),
        title: text.to_string(),
        stage: "初次响应".into(),
        token: TrackingToken::new("CMIT", 7).ok(),
    };
    let parsed = codec.parse(&codec.render(&fields));
    assert_eq!(
        parsed.number.as_ref(),
        Some(&fields.number),
        "the number survives any title"
    );
    assert_eq!(
        parsed.title,
        single_line(&text),
        "the title survives the round trip"
    );
}
