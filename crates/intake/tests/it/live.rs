//! Live intake: status by mail, the envelope, and one batch holding a new case and its answer.

use intake::live::Delivery;
use intake::Outcome;
use testkit::TestDb;

use crate::{config, mail, now, on_case, open, organizations};

fn delivery(bytes: String, recipients: &[&str]) -> Delivery {
    Delivery {
        bytes: bytes.into_bytes(),
        origin: "lmtp:test".into(),
        recipients: recipients.iter().map(|r| r.to_string()).collect(),
        auth: None,
    }
}

async fn deliver(store: &store::Store, deliveries: Vec<Delivery>) -> Vec<Outcome> {
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(11);
    intake::live::deliver(store, &config(), deliveries, now(), &mut rng)
        .await
        .unwrap()
}

async fn a_new_case_and_its_answer_in_one_batch(db: TestDb) {
    let store = open(&db).await;
    organizations(&store).await;
    // Several LMTP sessions' messages are committed together: the second answers the first.
    let first = mail(
        "xuda@acer.com",
        "系统重置失败",
        Some("b1@acer.com"),
        "",
        "x",
    );
    let second = mail(
        "xuda@acer.com",
        "RE: 系统重置失败",
        Some("b2@acer.com"),
        "In-Reply-To: <b1@acer.com>\r\n",
        "y",
    );
    let outcomes = deliver(
        &store,
        vec![
            delivery(first, &["support@cmgos.com"]),
            delivery(second, &["support@cmgos.com"]),
        ],
    )
    .await;
    let (number, _, new_case) = on_case(&outcomes[0]);
    assert!(new_case);
    let (again, _, new_again) = on_case(&outcomes[1]);
    assert_eq!((again, new_again), (number, false));
}

async fn mail_moves_a_waiting_case_and_reopens_an_archived_one(db: TestDb) {
    let store = open(&db).await;
    organizations(&store).await;
    let opening = mail("xuda@acer.com", "BSOD", Some("s1@acer.com"), "", "x");
    let (number, _, _) =
        on_case(&deliver(&store, vec![delivery(opening, &["support@cmgos.com"])]).await[0]);
    let record = store.find_case(&number).await.unwrap().unwrap();
    store
        .set_status(
            record.id,
            case::Status::New,
            case::Status::WaitingOnCustomer,
            None,
            None,
            1,
        )
        .await
        .unwrap();
    // An automatic reply changes nothing.
    let away = mail(
        "xuda@acer.com",
        "自动回复: BSOD",
        Some("s2@acer.com"),
        "Auto-Submitted: auto-replied\r\nIn-Reply-To: <s1@acer.com>\r\n",
        "我在休假。",
    );
    deliver(&store, vec![delivery(away, &["support@cmgos.com"])]).await;
    assert_eq!(
        store.case_by_id(record.id).await.unwrap().status,
        case::Status::WaitingOnCustomer
    );
    // The partner's answer puts it back in progress.
    let answer = mail(
        "xuda@acer.com",
        "RE: BSOD",
        Some("s3@acer.com"),
        "In-Reply-To: <s1@acer.com>\r\n",
        "日志",
    );
    deliver(&store, vec![delivery(answer, &["support@cmgos.com"])]).await;
    assert_eq!(
        store.case_by_id(record.id).await.unwrap().status,
        case::Status::InProgress
    );
    // The same mail imported from a file changes nothing.
    let summary = case::summary::Summary::parse(
        "问题描述：\n----\n重置失败。\n案例总结：\n----\n等待镜像。\n",
    );
    store
        .set_status(
            record.id,
            case::Status::InProgress,
            case::Status::Archived,
            Some(summary),
            None,
            2,
        )
        .await
        .unwrap();
    let imported = mail(
        "xuda@acer.com",
        "RE: BSOD",
        Some("s4@acer.com"),
        "In-Reply-To: <s1@acer.com>\r\n",
        "旧邮件",
    );
    crate::ingest_one(&store, imported).await;
    assert_eq!(
        store.case_by_id(record.id).await.unwrap().status,
        case::Status::Archived
    );
    // Live, it reopens the case; plus-addressing finds it without any header.
    let later = mail(
        "xuda@acer.com",
        "again",
        Some("s5@acer.com"),
        "",
        "问题又出现了",
    );
    let plus = format!("support+{number}@cmgos.com");
    let (found, _, _) = on_case(&deliver(&store, vec![delivery(later, &[&plus])]).await[0]);
    assert_eq!(found, number);
    assert_eq!(
        store.case_by_id(record.id).await.unwrap().status,
        case::Status::Reopened
    );
}

async fn a_case_resolved_long_ago_opens_a_new_one_only_for_those_it_admits(db: TestDb) {
    let store = open(&db).await;
    organizations(&store).await;
    store
        .add_org("Dell", &["dell.com".into()], false, 0)
        .await
        .unwrap();
    let opening = mail("xuda@acer.com", "BSOD", Some("r1@acer.com"), "", "x");
    let (number, _, _) =
        on_case(&deliver(&store, vec![delivery(opening, &["support@cmgos.com"])]).await[0]);
    let record = store.find_case(&number).await.unwrap().unwrap();
    // Resolved at the start of 1970: far beyond any reopening window.
    store
        .set_status(
            record.id,
            case::Status::New,
            case::Status::Resolved,
            None,
            None,
            1,
        )
        .await
        .unwrap();
    // Another customer's contact answering the old thread may not open a case in its name.
    let outsider = mail(
        "bob@dell.com",
        "RE: BSOD",
        Some("r2@dell.com"),
        "In-Reply-To: <r1@acer.com>\r\n",
        "我们也有这个问题",
    );
    let outcome = deliver(&store, vec![delivery(outsider, &["support@cmgos.com"])]).await;
    assert_eq!(crate::quarantined(&outcome[0]).1, "not_a_participant");
    // The case's own participant opens a new case linked to the old one; the old stays resolved.
    let again = mail(
        "xuda@acer.com",
        "RE: BSOD",
        Some("r3@acer.com"),
        "In-Reply-To: <r1@acer.com>\r\n",
        "又出现了",
    );
    let outcome = deliver(&store, vec![delivery(again, &["support@cmgos.com"])]).await;
    let (new_number, _, new_case) = on_case(&outcome[0]);
    assert!(new_case);
    assert_ne!(new_number, number);
    let linked = store.find_case(&new_number).await.unwrap().unwrap();
    assert_eq!(linked.split_from.as_deref(), Some(number.as_str()));
    assert_eq!(
        store.case_by_id(record.id).await.unwrap().status,
        case::Status::Resolved
    );
}

testkit::backend_tests!(
    a_new_case_and_its_answer_in_one_batch,
    mail_moves_a_waiting_case_and_reopens_an_archived_one,
    a_case_resolved_long_ago_opens_a_new_one_only_for_those_it_admits
);
