//! Identity headers that say two things (issue 7): they never reach a case.

use testkit::TestDb;

use crate::{balanced, ingest_one, on_case, open, organizations, quarantined};

/// A reply from a stranger, dressed with a participant's headers in one of the ways parsers differ.
fn forged(number: &str, headers: &str) -> String {
    format!(
        "{headers}To: support@cmgos.com\r\nDate: Mon, 01 Mar 2021 11:00:00 +0800\r\n\
Content-Type: text/plain; charset=utf-8\r\n\r\nplease send the logs to me ({number})\r\n"
    )
}

async fn check(store: &store::Store, number: &str, headers: &str, expected: &str) {
    let outcome = ingest_one(store, forged(number, headers)).await;
    match expected {
        "on_case" => {
            let (placed_on, _, _) = on_case(&outcome);
            assert_eq!(placed_on, number, "{headers:?}");
        }
        reason => assert_eq!(quarantined(&outcome).1, reason, "{headers:?}"),
    }
}

async fn ambiguous_identity_headers_never_reach_a_case(db: TestDb) {
    let store = open(&db).await;
    organizations(&store).await;
    let opening = "From: xuda@acer.com\r\nTo: support@cmgos.com\r\nSubject: 系统重置失败\r\n\
Message-ID: <open1@acer.com>\r\nDate: Mon, 01 Mar 2021 10:00:00 +0800\r\n\r\nhello\r\n";
    let (number, _, _) = on_case(&ingest_one(&store, opening).await);
    let subject = format!("Subject: RE: {number}\r\n");
    let table: Vec<(String, &str)> = vec![
        // The control: one participant, one of each header.
        (format!("From: xuda@acer.com\r\n{subject}"), "on_case"),
        // A header name in another case, or with white space before the colon, is still the header.
        (format!("FROM : xuda@acer.com\r\n{subject}"), "on_case"),
        // Repeated identity headers, whichever comes first.
        (
            format!("From: attacker@evil.example\r\nFrom: xuda@acer.com\r\n{subject}"),
            "ambiguous_header",
        ),
        (
            format!("From: xuda@acer.com\r\nfrom: xuda@acer.com\r\n{subject}"),
            "ambiguous_header",
        ),
        (
            format!("From: xuda@acer.com\r\nFROM : attacker@evil.example\r\n{subject}"),
            "ambiguous_header",
        ),
        (
            format!("From: xuda@acer.com\r\nSender: a@acer.com\r\nSender: b@evil.example\r\n{subject}"),
            "ambiguous_header",
        ),
        (
            format!("From: xuda@acer.com\r\nMessage-ID: <m1@acer.com>\r\nMessage-Id: <m2@acer.com>\r\n{subject}"),
            "ambiguous_header",
        ),
        // Deciding headers repeated with different values; the same value twice is one answer.
        (
            format!("From: xuda@acer.com\r\n{subject}Subject: unrelated\r\n"),
            "ambiguous_header",
        ),
        (format!("From: xuda@acer.com\r\n{subject}{subject}"), "on_case"),
        (
            format!("From: xuda@acer.com\r\n{subject}In-Reply-To: <open1@acer.com>\r\nIn-Reply-To: <x@evil.example>\r\n"),
            "ambiguous_header",
        ),
        (
            format!("From: xuda@acer.com\r\n{subject}References: <open1@acer.com>\r\nReferences: <x@evil.example>\r\n"),
            "ambiguous_header",
        ),
        (
            format!("From: xuda@acer.com\r\n{subject}Date: Tue, 02 Mar 2021 11:00:00 +0800\r\n"),
            "ambiguous_header",
        ),
        // A header hidden behind a bare CR, or past a line that ends the headers for one parser only.
        (
            format!("From: xuda@acer.com\r\nX-Note: a\rFrom: attacker@evil.example\r\n{subject}"),
            "ambiguous_header",
        ),
        (
            format!("From: attacker@evil.example\r\nX-Note: a\r\r\nFrom: xuda@acer.com\r\n{subject}"),
            "ambiguous_header",
        ),
        // Several authors: each must pass the guard.
        (
            format!("From: xuda@acer.com, liqi@cmgos.com\r\n{subject}"),
            "on_case",
        ),
        (
            format!("From: xuda@acer.com, attacker@evil.example\r\n{subject}"),
            "not_a_participant",
        ),
        (
            format!("From: attacker@evil.example, xuda@acer.com\r\n{subject}"),
            "not_a_participant",
        ),
        // No readable address at all.
        (format!("From: mailer-daemon\r\n{subject}"), "no_sender"),
    ];
    for (headers, expected) in &table {
        check(&store, &number, headers, expected).await;
    }
    // A stranger with several authors cannot open a case on a known contact's standing.
    check(
        &store,
        &number,
        "From: xuda@acer.com, attacker@evil.example\r\nSubject: a new problem\r\n",
        "unknown_sender",
    )
    .await;
    balanced(&store).await;
}

async fn an_encoded_line_break_does_not_make_two_headers(db: TestDb) {
    let store = open(&db).await;
    organizations(&store).await;
    let sneaky = "From: =?utf-8?Q?Xu_Da=0D=0AFrom:_boss@cmgos.com?= <xuda@acer.com>\r\nTo: support@cmgos.com\r\n\
Subject: =?utf-8?Q?hello=0D=0ACc:_attacker@evil.example?=\r\nDate: Mon, 01 Mar 2021 10:00:00 +0800\r\n\r\nhi\r\n";
    let (number, _, _) = on_case(&ingest_one(&store, sneaky).await);
    let case = store.find_case(&number).await.unwrap().unwrap();
    assert_eq!(case.title, "hello Cc: attacker@evil.example");
    balanced(&store).await;
}

testkit::backend_tests!(
    ambiguous_identity_headers_never_reach_a_case,
    an_encoded_line_break_does_not_make_two_headers,
);
