//! Hostile and broken input: every message ends on a case or in quarantine with a reason.

use intake::Outcome;
use testkit::TestDb;

use crate::{arrival, balanced, ingest, open, organizations};

fn header(subject: &str) -> String {
    format!("From: xuda@acer.com\r\nTo: support@cmgos.com\r\nSubject: {subject}\r\nDate: Mon, 1 Mar 2021 10:00:00 +0800\r\nMIME-Version: 1.0\r\n")
}

fn attachment_named(name: &str) -> Vec<u8> {
    format!(
        "{}Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--B\r\n\
Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"{name}\"\r\n\r\ndata\r\n--B--\r\n",
        header("attachment")
    )
    .into_bytes()
}

/// (label, bytes, the limit its quarantine reason must name, if it must be refused)
fn hostile_set() -> Vec<(&'static str, Vec<u8>, Option<&'static str>)> {
    let mut set: Vec<(&'static str, Vec<u8>, Option<&'static str>)> = Vec::new();
    let mut deep = header("deep") + "Content-Type: multipart/mixed; boundary=b0\r\n\r\n";
    for level in 0..5_000 {
        deep.push_str(&format!(
            "--b{level}\r\nContent-Type: multipart/mixed; boundary=b{}\r\n\r\n",
            level + 1
        ));
    }
    set.push((
        "5,000 nested multiparts",
        deep.into_bytes(),
        Some("limits.max_depth"),
    ));
    let mut nested = "From: xuda@acer.com\r\nSubject: leaf\r\n\r\nleaf\r\n".to_string();
    for _ in 0..2_000 {
        nested = format!("From: xuda@acer.com\r\nSubject: wrapper\r\nContent-Type: message/rfc822\r\n\r\n{nested}");
    }
    set.push((
        "2,000 nested messages",
        nested.into_bytes(),
        Some("limits.max_depth"),
    ));
    let mut many = header("many parts") + "Content-Type: multipart/mixed; boundary=X\r\n\r\n";
    for part in 0..30_000 {
        many.push_str(&format!(
            "--X\r\nContent-Type: text/plain\r\n\r\n{part}\r\n"
        ));
    }
    many.push_str("--X--\r\n");
    set.push(("30,000 parts", many.into_bytes(), Some("limits.max_parts")));
    let huge = format!(
        "{}X-Long: {}\r\n\r\nbody\r\n",
        header("huge header"),
        "A".repeat(20 * 1024 * 1024)
    );
    set.push((
        "a 20 MB header line",
        huge.into_bytes(),
        Some("limits.max_header_bytes"),
    ));
    set.push((
        "broken boundaries",
        (header("boundaries")
            + "Content-Type: multipart/mixed; boundary=\"\"\r\n\r\n--\r\n--\r\nbody\r\n--XX--\r\n")
            .into_bytes(),
        None,
    ));
    set.push((
        "NUL bytes",
        [header("nul\0bytes").as_bytes(), b"\r\nbody\0with\0nuls\r\n"].concat(),
        None,
    ));
    set.push((
        "invalid UTF-8",
        [
            header("bad \u{fffd}").as_bytes(),
            b"Content-Type: text/plain; charset=utf-8\r\n\r\n\xff\xfe\xc3\x28 text\r\n",
        ]
        .concat(),
        None,
    ));
    set.push((
        "an unknown charset",
        (header("unknown")
            + "Content-Type: text/plain; charset=x-no-such-charset\r\n\r\nhello\r\n")
            .into_bytes(),
        None,
    ));
    set.push((
        "a lying charset",
        [
            header("lying").as_bytes(),
            b"Content-Type: text/plain; charset=us-ascii\r\n\r\n\xc4\xe3\xba\xc3 GBK bytes\r\n",
        ]
        .concat(),
        None,
    ));
    set.push((
        "RFC 2047 abuse",
        (header("=?utf-8?B?!!!?= =?x?Q?=ZZ?= =?utf-8?B?") + "\r\nbody\r\n").into_bytes(),
        None,
    ));
    set.push((
        "mixed line ends",
        b"From: xuda@acer.com\nSubject: mixed\r\nTo: support@cmgos.com\n\r\nbody\rline\r\nmore\n"
            .to_vec(),
        None,
    ));
    set.push(("HTML with scripts", (header("html") + "Content-Type: text/html\r\n\r\n<p onclick=\"steal()\">Hello</p><script>alert('x')</script><img src=x onerror=alert(1)>\r\n").into_bytes(), None));
    for (label, name) in [
        ("a traversal file name", "../../../../etc/passwd"),
        (
            "a Windows path file name",
            "C:\\Windows\\System32\\evil.dll",
        ),
        ("control characters in a file name", "a\u{1}b\u{7}.txt"),
        ("a right-to-left override", "invoice\u{202e}gpj.exe"),
        ("a Windows reserved name", "CON.txt"),
    ] {
        set.push((label, attachment_named(name), None));
    }
    set
}

async fn hostile_input_is_placed_or_quarantined(db: TestDb) {
    let store = open(&db).await;
    organizations(&store).await;
    let set = hostile_set();
    let outcomes = ingest(
        &store,
        set.iter()
            .map(|(_, bytes, _)| arrival(bytes.clone()))
            .collect(),
    )
    .await;
    assert_eq!(outcomes.len(), set.len());
    for ((label, _, limit), outcome) in set.iter().zip(&outcomes) {
        match (limit, outcome) {
            (
                Some(limit),
                Outcome::Quarantined {
                    reason_code,
                    reason,
                    ..
                },
            ) => {
                assert_eq!(reason_code, "unreadable", "{label}");
                assert!(
                    reason.contains(limit),
                    "{label}: the reason names the limit: {reason}"
                );
            }
            (Some(_), other) => panic!("{label} should have hit a limit, got {other:?}"),
            (None, Outcome::OnCase { .. }) => {}
            (None, other) => panic!("{label} should be readable, got {other:?}"),
        }
    }
    // A bare CR is no line end (RFC 5322 section 2.2): it glues From and Subject into one header
    // for one parser and ends the From line for another, so the sender reads two ways (issue 7).
    let bare_cr =
        b"From: xuda@acer.com\rSubject: cr only\r\nTo: support@cmgos.com\r\n\r\nbody\r\n".to_vec();
    match &ingest(&store, vec![arrival(bare_cr)]).await[..] {
        [Outcome::Quarantined {
            reason_code,
            reason,
            ..
        }] => {
            assert_eq!(reason_code, "ambiguous_header");
            assert!(reason.contains("the From, Subject header"), "{reason}");
        }
        other => panic!("a bare CR header should be quarantined, got {other:?}"),
    }
    for case in store.list_cases(None).await.unwrap() {
        for entry in store.timeline(case.id).await.unwrap() {
            let Some(message) = entry.message else {
                continue;
            };
            for attachment in &message.attachments {
                let name = &attachment.filename;
                assert!(
                    !name.contains(['/', '\\']) && !name.starts_with('.'),
                    "unsafe name {name:?}"
                );
                assert!(
                    !name
                        .chars()
                        .any(|c| c.is_control() || ('\u{202a}'..='\u{202e}').contains(&c)),
                    "unsafe name {name:?}"
                );
                assert!(
                    !name.eq_ignore_ascii_case("con.txt"),
                    "reserved name {name:?}"
                );
            }
            assert!(
                !message.body_text.contains("<script"),
                "markup in the text: {}",
                message.body_text
            );
            assert!(
                !message.body_text.contains("alert("),
                "script text in the body: {}",
                message.body_text
            );
        }
    }
    balanced(&store).await;
}

testkit::backend_tests!(hostile_input_is_placed_or_quarantined);
