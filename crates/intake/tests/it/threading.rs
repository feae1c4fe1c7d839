//! Threading: references, token, case number, Thread-Index; adoption, aliases, new cases, duplicates.

use case::MatchedBy;
use testkit::TestDb;

use crate::{
    arrival, balanced, ingest, ingest_one, mail, on_case, open, organizations, quarantined,
};

async fn every_method_finds_the_case(db: TestDb) {
    let store = open(&db).await;
    organizations(&store).await;
    let first = on_case(
        &ingest_one(
            &store,
            mail(
                "Xu Da <xuda@acer.com>",
                "BIOS 更新后无法开机",
                Some("a1@acer.com"),
                "",
                "开机黑屏",
            ),
        )
        .await,
    );
    let (number, matched_by, new_case) = first;
    assert_eq!((matched_by, new_case), (MatchedBy::NewCase, true));
    let case = store.find_case(&number).await.unwrap().unwrap();
    assert_eq!(
        case.customer, "Acer",
        "the sender's organization becomes the customer"
    );
    assert_eq!(case.title, "BIOS 更新后无法开机");
    let token = case.tracking_token.unwrap().to_string();

    let reply = mail(
        "xuda@acer.com",
        "RE: BIOS 更新后无法开机",
        Some("a2@acer.com"),
        "In-Reply-To: <a1@acer.com>\r\n",
        "补充",
    );
    assert_eq!(
        on_case(&ingest_one(&store, reply).await),
        (number.clone(), MatchedBy::References, false)
    );
    let by_token = mail(
        "xuda@acer.com",
        &format!("回复: 日志 {token}"),
        Some("a3@acer.com"),
        "",
        "日志",
    );
    assert_eq!(
        on_case(&ingest_one(&store, by_token).await),
        (number.clone(), MatchedBy::Token, false)
    );
    let by_number = mail(
        "xuda@acer.com",
        &format!("Fwd: about {number}"),
        Some("a4@acer.com"),
        "",
        "x",
    );
    assert_eq!(
        on_case(&ingest_one(&store, by_number).await),
        (number.clone(), MatchedBy::CaseNumber, false)
    );

    // Outlook's Thread-Index: a reply's index extends its parent's 22-byte root.
    let outlook = mail(
        "xuda@acer.com",
        "another subject",
        Some("a5@acer.com"),
        "Thread-Index: AQHWz+2LrLJ5J1T5QkqXzQ8oLqKq3w==\r\n",
        "x",
    );
    let (outlook_case, _, _) = on_case(&ingest_one(&store, outlook).await);
    let child = mail(
        "xuda@acer.com",
        "no labels",
        Some("a6@acer.com"),
        "Thread-Index: AQHWz+2LrLJ5J1T5QkqXzQ8oLqKq3wABAgME\r\n",
        "x",
    );
    assert_eq!(
        on_case(&ingest_one(&store, child).await),
        (outlook_case, MatchedBy::ThreadIndex, false)
    );

    let stats = balanced(&store).await;
    assert_eq!((stats.messages, stats.cases), (6, 2));
}

async fn history_keeps_its_numbers(db: TestDb) {
    let store = open(&db).await;
    organizations(&store).await;
    let subject = "[案例号:\u{2009}CAS-00001-OLD001\u{2009}] %\u{2009}|P2|Acer|蓝屏\u{2009}% 问题分析 CMIT:0000777";
    let adopted = mail(
        "Li Qi <liqi@cmgos.com>",
        subject,
        Some("h1@cmgos.com"),
        "Cc: xuda@acer.com\r\n",
        "分析中",
    );
    assert_eq!(
        on_case(&ingest_one(&store, adopted).await),
        ("CAS-00001-OLD001".into(), MatchedBy::Adopted, true)
    );
    let case = store
        .find_case("CMIT:0000777")
        .await
        .unwrap()
        .expect("the adopted token finds the case");
    assert_eq!(
        (case.priority, case.stage.as_str(), case.title.as_str()),
        (case::Priority::P2, "问题分析", "蓝屏")
    );

    // A reply threaded by references that names another, unknown number records it as an alias.
    let aliased = mail(
        "xuda@acer.com",
        "RE: CAS-00099-ALIAS9",
        Some("h2@acer.com"),
        "References: <h1@cmgos.com>\r\n",
        "x",
    );
    assert_eq!(
        on_case(&ingest_one(&store, aliased).await).1,
        MatchedBy::References
    );
    let only_alias = mail(
        "xuda@acer.com",
        "RE: CAS-00099-ALIAS9 again",
        Some("h3@acer.com"),
        "",
        "x",
    );
    assert_eq!(
        on_case(&ingest_one(&store, only_alias).await),
        ("CAS-00001-OLD001".into(), MatchedBy::CaseNumber, false)
    );
    assert!(store
        .find_case("CAS-00001-OLD001")
        .await
        .unwrap()
        .unwrap()
        .aliases
        .contains(&"CAS-00099-ALIAS9".to_string()));

    // New numbers skip sequence values that history already took: 1 is taken, so the next is 2.
    let fresh = mail(
        "xuda@acer.com",
        "a new problem",
        Some("h4@acer.com"),
        "",
        "x",
    );
    let (number, _, new_case) = on_case(&ingest_one(&store, fresh).await);
    assert!(new_case);
    assert!(number.starts_with("CAS-00002-"), "{number}");
    balanced(&store).await;
}

async fn duplicates_and_message_id_collisions(db: TestDb) {
    let store = open(&db).await;
    organizations(&store).await;
    let original = mail("xuda@acer.com", "hello", Some("d1@acer.com"), "", "body");
    on_case(&ingest_one(&store, original.clone()).await);
    // The same message on another path (another Received line, LF line ends) is a duplicate.
    let relayed =
        format!("Received: from relay.example by mx.example\r\n{original}").replace("\r\n", "\n");
    assert!(matches!(
        ingest_one(&store, relayed).await,
        intake::Outcome::Duplicate { .. }
    ));
    assert!(matches!(
        ingest_one(&store, original).await,
        intake::Outcome::Duplicate { .. }
    ));
    // A stranger (or anyone) reusing the Message-ID with other content does not vanish: quarantine.
    let forged = mail(
        "xuda@acer.com",
        "hello",
        Some("d1@acer.com"),
        "",
        "different body",
    );
    assert_eq!(
        quarantined(&ingest_one(&store, forged).await).1,
        "message_id_collision"
    );
    let stats = balanced(&store).await;
    assert_eq!(
        (
            stats.received,
            stats.messages,
            stats.duplicates,
            stats.quarantined
        ),
        (4, 1, 2, 1)
    );
}

async fn unreadable_input_is_kept_in_quarantine(db: TestDb) {
    let store = open(&db).await;
    for bytes in [&b""[..], b"\x00\x01\x02\x03 not mail", b"   \r\n"] {
        let (id, code) = quarantined(&ingest_one(&store, bytes.to_vec()).await);
        assert_eq!(code, "unreadable");
        let entry = store.quarantine_entry(id).await.unwrap().unwrap();
        let raw = store
            .read_blob(store::blob::BlobKind::Raw, &entry.raw_sha256)
            .await
            .unwrap();
        assert_eq!(raw, bytes, "the raw bytes are kept");
    }
    // Re-importing a quarantined message counts as a duplicate.
    assert!(matches!(
        ingest_one(&store, b"".to_vec()).await,
        intake::Outcome::Duplicate { .. }
    ));
    let stats = balanced(&store).await;
    assert_eq!(
        (stats.received, stats.quarantined, stats.duplicates),
        (4, 3, 1)
    );
}

async fn overlapping_imports_never_lose_or_double(db: TestDb) {
    let first = open(&db).await;
    organizations(&first).await;
    // A second store is a second pool of connections, as a second process would have.
    let second = open(&db).await;
    let messages: Vec<String> = (0..120)
        .map(|n| {
            let thread = n % 10;
            let parent = if n >= 10 {
                format!("In-Reply-To: <m{}@acer.com>\r\n", n - 10)
            } else {
                String::new()
            };
            mail(
                "xuda@acer.com",
                &format!("thread {thread}"),
                Some(&format!("m{n}@acer.com")),
                &parent,
                &format!("message {n}"),
            )
        })
        .collect();
    let forward: Vec<_> = messages.iter().map(|m| arrival(m.clone())).collect();
    let backward: Vec<_> = messages.iter().rev().map(|m| arrival(m.clone())).collect();
    let batches = |arrivals: Vec<intake::RawArrival>| {
        arrivals.chunks(7).map(<[_]>::to_vec).collect::<Vec<_>>()
    };
    let run = |store: store::Store, batches: Vec<Vec<intake::RawArrival>>| async move {
        for batch in batches {
            ingest(&store, batch).await;
        }
    };
    tokio::join!(
        run(first.clone(), batches(forward)),
        run(second, batches(backward))
    );
    let stats = balanced(&first).await;
    assert_eq!(
        (
            stats.received,
            stats.messages,
            stats.duplicates,
            stats.quarantined
        ),
        (240, 120, 120, 0),
        "{stats:?}"
    );
    let mut seen = Vec::new();
    for case in first.list_cases(None).await.unwrap() {
        for entry in first.timeline(case.id).await.unwrap() {
            seen.extend(entry.message.and_then(|message| message.message_id));
        }
    }
    seen.sort();
    let mut expected: Vec<String> = (0..120).map(|n| format!("m{n}@acer.com")).collect();
    expected.sort();
    assert_eq!(seen, expected, "every message exactly once");
}

/// At 100,000 messages the old system's tokens reached values Casebook had minted: a token that
/// disagrees with the subject's case number must not pull mail onto the wrong case.
async fn a_token_from_another_system_does_not_outvote_the_number(db: TestDb) {
    let store = open(&db).await;
    organizations(&store).await;
    let low = intake::IntakeConfig {
        token_start: 1,
        ..crate::config()
    };
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(11);
    let opening = arrival(mail(
        "xuda@acer.com",
        "a new problem",
        Some("n1@acer.com"),
        "",
        "x",
    ));
    let outcome = intake::ingest(&store, &low, vec![opening], crate::now(), &mut rng)
        .await
        .unwrap()
        .remove(0);
    let (ours, _, _) = on_case(&outcome);
    assert_eq!(
        store
            .find_case(&ours)
            .await
            .unwrap()
            .unwrap()
            .tracking_token
            .unwrap()
            .to_string(),
        "CMIT:0000001"
    );

    let history = mail(
        "liqi@cmgos.com",
        "[案例号: CAS-00777-OLDABC ] % |P3|Acer|old problem % 问题分析 CMIT:0000001",
        Some("o1@cmgos.com"),
        "",
        "x",
    );
    let (number, matched_by, new_case) = on_case(&ingest_one(&store, history).await);
    assert_eq!(
        (number.as_str(), matched_by, new_case),
        ("CAS-00777-OLDABC", MatchedBy::Adopted, true)
    );
    // With the default start, tokens Casebook makes sit above the 7-digit range.
    let (fresh, _, _) = on_case(
        &ingest_one(
            &store,
            mail("xuda@acer.com", "another", Some("n2@acer.com"), "", "x"),
        )
        .await,
    );
    let token = store
        .find_case(&fresh)
        .await
        .unwrap()
        .unwrap()
        .tracking_token
        .unwrap()
        .to_string();
    assert!(token.starts_with("CMIT:1000000"), "{token}");
}

/// Numbers and tokens are reserved a few dozen at a time, but only those used are taken:
/// across batches, and for a case opened by hand afterwards, they stay contiguous.
async fn numbers_and_tokens_stay_contiguous_across_batches(db: TestDb) {
    let store = open(&db).await;
    organizations(&store).await;
    let mut seen = Vec::new();
    for batch in 0..3 {
        let arrivals = (0..2)
            .map(|n| {
                arrival(mail(
                    "xuda@acer.com",
                    &format!("problem {batch}-{n}"),
                    Some(&format!("c{batch}-{n}@acer.com")),
                    "",
                    "x",
                ))
            })
            .collect();
        for outcome in ingest(&store, arrivals).await {
            let (number, _, new_case) = on_case(&outcome);
            assert!(new_case);
            let case = store.find_case(&number).await.unwrap().unwrap();
            seen.push((case.number.seq(), case.tracking_token.unwrap().to_string()));
        }
    }
    let mut make_number = |seq: u64| case::CaseNumber::generate(seq, &mut rand::rng());
    let by_hand = store
        .create_case(
            store::cases::NewCase {
                number: None,
                token: store::cases::TokenChoice::New {
                    prefix: "CMIT".into(),
                    start: crate::config().token_start,
                },
                title: "by hand".into(),
                priority: case::Priority::P3,
                customer_org_id: None,
                customer: "Acer".into(),
                stage: "初次响应".into(),
                product: None,
                version: None,
                split_from: None,
            },
            &mut make_number,
            None,
            0,
        )
        .await
        .unwrap();
    seen.push((
        by_hand.number.seq(),
        by_hand.tracking_token.unwrap().to_string(),
    ));
    let expected: Vec<(u64, String)> = (1..=7)
        .map(|n| (n, format!("CMIT:{}", 10_000_000 + n)))
        .collect();
    assert_eq!(seen, expected);
}

/// Attachments are not stored apart: they are read again, byte for byte, from their raw message.
async fn attachments_come_back_from_their_raw_message(db: TestDb) {
    let store = open(&db).await;
    organizations(&store).await;
    let log: Vec<u8> = (0..5000u32).flat_map(|n| n.to_le_bytes()).collect();
    let encoded = base64_lines(&log);
    let raw = format!(
        "From: xuda@acer.com\r\nTo: support@cmgos.com\r\nSubject: logs\r\nMessage-ID: <att1@acer.com>\r\n\
         Date: Mon, 1 Mar 2021 10:00:00 +0800\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n\
         --B\r\nContent-Type: text/plain\r\n\r\nthe logs\r\n\
         --B\r\nContent-Type: application/octet-stream; name=dump.bin\r\nContent-Transfer-Encoding: base64\r\n\
         Content-Disposition: attachment; filename=dump.bin\r\n\r\n{encoded}--B--\r\n"
    );
    let (number, _, _) = on_case(&ingest_one(&store, raw).await);
    let case = store.find_case(&number).await.unwrap().unwrap();
    let timeline = store.timeline(case.id).await.unwrap();
    let attachment = timeline
        .iter()
        .filter_map(|entry| entry.message.as_ref())
        .flat_map(|message| message.attachments.iter())
        .next()
        .expect("the attachment is recorded")
        .clone();
    assert_eq!(attachment.size, log.len() as u64);
    let raw_sha = store
        .raw_with_attachment(&attachment.sha256)
        .await
        .unwrap()
        .unwrap();
    let raw = store
        .read_blob(store::blob::BlobKind::Raw, &raw_sha)
        .await
        .unwrap();
    assert_eq!(
        intake::inspect::attachment(&raw, &crate::config(), &attachment.sha256),
        Some(log)
    );
    assert_eq!(
        intake::inspect::attachment(&raw, &crate::config(), "0000"),
        None
    );
}

fn base64_lines(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for (n, chunk) in bytes.chunks(3).enumerate() {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let v = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((v >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
        if n % 19 == 18 {
            out.push_str("\r\n");
        }
    }
    out.push_str("\r\n");
    out
}

testkit::backend_tests!(
    attachments_come_back_from_their_raw_message,
    numbers_and_tokens_stay_contiguous_across_batches,
    every_method_finds_the_case,
    history_keeps_its_numbers,
    duplicates_and_message_id_collisions,
    unreadable_input_is_kept_in_quarantine,
    overlapping_imports_never_lose_or_double,
    a_token_from_another_system_does_not_outvote_the_number,
);
