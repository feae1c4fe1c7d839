//! The takeover guard, and people's decisions on quarantine.

use case::MatchedBy;
use intake::resolve::Decision;
use testkit::TestDb;

use crate::{balanced, config, ingest_one, mail, now, on_case, open, organizations, quarantined};

async fn decide(
    store: &store::Store,
    id: i64,
    decision: Decision,
) -> Result<intake::Outcome, intake::Error> {
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(3);
    intake::resolve::decide(
        store,
        &config(),
        id,
        decision,
        Some("tester"),
        now(),
        &mut rng,
    )
    .await
}

async fn strangers_cannot_join_a_case(db: TestDb) {
    let store = open(&db).await;
    organizations(&store).await;
    let opening = mail(
        "xuda@acer.com",
        "系统重置失败",
        Some("g1@acer.com"),
        "Cc: helper@partner-mail.net\r\n",
        "x",
    );
    let (number, _, _) = on_case(&ingest_one(&store, opening).await);
    let token = store
        .find_case(&number)
        .await
        .unwrap()
        .unwrap()
        .tracking_token
        .unwrap()
        .to_string();

    // By number, by token, and by a Message-ID it could have copied: all quarantined.
    for (subject, headers) in [
        (format!("RE: {number}"), String::new()),
        (format!("RE: {token}"), String::new()),
        (
            "RE: hello".to_string(),
            "In-Reply-To: <g1@acer.com>\r\n".to_string(),
        ),
    ] {
        let forged = mail(
            "attacker@evil.example",
            &subject,
            None,
            &headers,
            "please send the logs to me",
        );
        assert_eq!(
            quarantined(&ingest_one(&store, forged).await).1,
            "not_a_participant",
            "{subject}"
        );
    }
    // The intake mailbox itself is never a participant.
    let looped = mail(
        "support@cmgos.com",
        &format!("RE: {number}"),
        None,
        "",
        "loop",
    );
    assert_eq!(
        quarantined(&ingest_one(&store, looped).await).1,
        "from_intake_address"
    );

    // Participants (an address on Cc), staff, and the customer's domain may write.
    for sender in [
        "helper@partner-mail.net",
        "liqi@cmgos.com",
        "someone@acer.com",
    ] {
        let reply = mail(sender, &format!("RE: {number}"), None, "", sender);
        assert_eq!(
            on_case(&ingest_one(&store, reply).await).0,
            number,
            "{sender}"
        );
    }
    let stats = balanced(&store).await;
    assert_eq!((stats.messages, stats.quarantined), (4, 4));
}

async fn unknown_senders_cannot_open_cases(db: TestDb) {
    let store = open(&db).await;
    organizations(&store).await;
    let (id, code) = quarantined(
        &ingest_one(
            &store,
            mail("who@nowhere.example", "help", Some("u1@x"), "", "x"),
        )
        .await,
    );
    assert_eq!(code, "unknown_sender");
    // An unknown number does not let a stranger create a case either.
    let adopt = mail(
        "who@nowhere.example",
        "RE: CAS-55555-ABCDEF",
        Some("u2@x"),
        "",
        "x",
    );
    assert_eq!(
        quarantined(&ingest_one(&store, adopt).await).1,
        "unknown_sender"
    );
    assert!(store.find_case("CAS-55555-ABCDEF").await.unwrap().is_none());
    // A known contact may.
    store
        .add_contact("who@nowhere.example", Some("Who"), None, None, 0)
        .await
        .unwrap();
    let (_, matched_by, new_case) = on_case(
        &ingest_one(
            &store,
            mail("who@nowhere.example", "help again", Some("u3@x"), "", "x"),
        )
        .await,
    );
    assert_eq!((matched_by, new_case), (MatchedBy::NewCase, true));
    // Releasing the first one opens its case; it leaves quarantine and the counts still balance.
    let released = decide(&store, id, Decision::Release).await.unwrap();
    assert!(
        matches!(released, intake::Outcome::OnCase { new_case: true, .. }),
        "{released:?}"
    );
    let stats = balanced(&store).await;
    assert_eq!(
        (stats.messages, stats.quarantined, stats.quarantine_resolved),
        (2, 1, 1)
    );
}

async fn quarantine_can_be_attached_once(db: TestDb) {
    let store = open(&db).await;
    organizations(&store).await;
    let (number, _, _) = on_case(
        &ingest_one(
            &store,
            mail("xuda@acer.com", "x", Some("q1@acer.com"), "", "x"),
        )
        .await,
    );
    let (id, _) = quarantined(
        &ingest_one(
            &store,
            mail(
                "partner@elsewhere.example",
                &format!("RE: {number}"),
                None,
                "",
                "me too",
            ),
        )
        .await,
    );
    let attached = decide(&store, id, Decision::Attach(number.clone()))
        .await
        .unwrap();
    assert_eq!(
        on_case(&attached),
        (number.clone(), MatchedBy::Manual, false)
    );
    // Now a participant: the sender's next reply passes the guard.
    let next = mail(
        "partner@elsewhere.example",
        &format!("RE: {number}"),
        None,
        "",
        "again",
    );
    assert_eq!(
        on_case(&ingest_one(&store, next).await).1,
        MatchedBy::CaseNumber
    );
    assert!(matches!(
        decide(&store, id, Decision::Release).await,
        Err(intake::Error::Store(store::Error::Conflict(_)))
    ));
    assert!(matches!(
        decide(&store, 999, Decision::Release).await,
        Err(intake::Error::Store(store::Error::NotFound { .. }))
    ));
    let (unreadable, _) = quarantined(&ingest_one(&store, b"\x00junk".to_vec()).await);
    assert!(matches!(
        decide(&store, unreadable, Decision::Release).await,
        Err(intake::Error::Refused(_))
    ));
    assert!(matches!(
        decide(
            &store,
            unreadable,
            Decision::Attach("CAS-99999-NOPE99".into())
        )
        .await,
        Err(intake::Error::Refused(_))
    ));
    balanced(&store).await;
}

async fn a_mail_that_looks_like_an_export_is_still_mail(db: TestDb) {
    let store = open(&db).await;
    organizations(&store).await;
    let (number, _, _) = on_case(
        &ingest_one(
            &store,
            mail("xuda@acer.com", "x", Some("e1@acer.com"), "", "x"),
        )
        .await,
    );
    // Subject first and an export separator in the body: through a mail door it is parsed as mail, and guarded.
    let disguised = format!("Subject: RE: {number}\r\nFrom: attacker@evil.example\r\n\r\n====第1封邮件====\r\n发件人：Li Qi\r\n邮件内容:\r\nhi\r\n");
    assert_eq!(
        quarantined(&ingest_one(&store, disguised).await).1,
        "not_a_participant"
    );
}

testkit::backend_tests!(
    strangers_cannot_join_a_case,
    unknown_senders_cannot_open_cases,
    quarantine_can_be_attached_once,
    a_mail_that_looks_like_an_export_is_still_mail,
);
