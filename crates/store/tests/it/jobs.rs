//! The durable job queue and named leases, on both backends.

use store::jobs::{JobState, NewJob};
use testkit::TestDb;

use crate::open;

async fn a_job_is_claimed_once_and_again_only_after_its_lease_expires(db: TestDb) {
    let store = open(&db).await;
    let job = NewJob {
        name: "hook:1",
        kind: "webhook",
        payload: "{}",
        run_at: 100,
        max_attempts: 3,
    };
    assert!(store.enqueue_job(&job, 50).await.expect("enqueue"));
    assert!(
        !store.enqueue_job(&job, 60).await.expect("enqueue"),
        "the same name is one job"
    );
    assert!(
        store
            .claim_jobs(&["webhook"], "a", 99, 200, 10)
            .await
            .expect("claim")
            .is_empty(),
        "not due yet"
    );
    let claimed = store
        .claim_jobs(&["webhook"], "a", 100, 200, 10)
        .await
        .expect("claim");
    assert_eq!(
        claimed
            .iter()
            .map(|j| (j.name.as_str(), j.attempts))
            .collect::<Vec<_>>(),
        vec![("hook:1", 1)]
    );
    assert!(
        store
            .claim_jobs(&["webhook"], "b", 150, 300, 10)
            .await
            .expect("claim")
            .is_empty(),
        "leased to a"
    );
    assert!(
        store
            .claim_jobs(&["other"], "b", 250, 300, 10)
            .await
            .expect("claim")
            .is_empty(),
        "another kind"
    );
    let taken_over = store
        .claim_jobs(&["webhook"], "b", 250, 300, 10)
        .await
        .expect("claim");
    assert_eq!(taken_over.len(), 1, "a's lease expired");
    assert!(
        !store
            .finish_job(taken_over[0].id, "a", 260)
            .await
            .expect("finish"),
        "a no longer holds it"
    );
    assert!(store
        .fail_job_attempt(taken_over[0].id, "b", "timed out", Some(400), 260)
        .await
        .expect("fail"));
    let again = store
        .claim_jobs(&["webhook"], "c", 400, 500, 10)
        .await
        .expect("claim");
    assert_eq!(again[0].attempts, 3);
    assert_eq!(again[0].last_error.as_deref(), Some("timed out"));
    assert!(store
        .finish_job(again[0].id, "c", 410)
        .await
        .expect("finish"));
    assert_eq!(
        store
            .job_by_name("hook:1")
            .await
            .expect("read")
            .map(|j| j.state),
        Some(JobState::Done)
    );
}

async fn a_lease_has_one_holder_until_it_expires(db: TestDb) {
    let store = open(&db).await;
    assert!(store
        .take_lease("sla-sweep", "a", 0, 60)
        .await
        .expect("lease"));
    assert!(store
        .take_lease("sla-sweep", "a", 30, 90)
        .await
        .expect("renew"));
    assert!(!store
        .take_lease("sla-sweep", "b", 60, 120)
        .await
        .expect("lease"));
    assert!(store
        .take_lease("sla-sweep", "b", 91, 150)
        .await
        .expect("take over"));
    store
        .release_lease("sla-sweep", "b")
        .await
        .expect("release");
    assert!(store
        .take_lease("sla-sweep", "a", 92, 150)
        .await
        .expect("lease"));
}

async fn a_sender_taken_over_records_nothing(db: TestDb) {
    use store::outbox::{OutboxState, Take};
    let store = open(&db).await;
    let mail = store::accounts::AccountMail {
        raw: b"Message-ID: <m1@cmgos.example>\r\nSubject: hi\r\n\r\nbody\r\n".to_vec(),
        recipients: vec!["xuda@acer.example".into()],
    };
    assert!(store
        .queue_mail(&mail, "notify", None, "notify:1", 10)
        .await
        .expect("queue"));
    let id = store.outbox(None, 10).await.expect("outbox")[0].id;
    let Take::Send(first) = store.outbox_take(id, 100, 200).await.expect("take") else {
        panic!("a queued row is taken");
    };
    let first = first.record.attempts;
    assert!(matches!(
        store.outbox_take(id, 150, 250).await.expect("take"),
        Take::Busy
    ));
    assert!(store.outbox_renew(id, first, 300).await.expect("renew"));
    // The first sender stalls past its lease; a second takes the row over.
    let Take::Send(second) = store.outbox_take(id, 301, 400).await.expect("take") else {
        panic!("a row whose lease ran out is taken again");
    };
    let second = second.record.attempts;
    assert_ne!(first, second);
    assert!(!store.outbox_renew(id, first, 500).await.expect("renew"));
    assert!(!store
        .outbox_deferred(id, first, "timeout", 600)
        .await
        .expect("defer"));
    assert!(!store
        .outbox_failed(id, Some(first), "refused", 350)
        .await
        .expect("fail"));
    // Nor can the job's give-up fail a row a live sender holds.
    assert!(!store
        .outbox_failed(id, None, "gave up", 350)
        .await
        .expect("fail"));
    assert!(store
        .outbox_sent(id, second, "250 ok", 360)
        .await
        .expect("sent"));
    assert!(!store
        .outbox_sent(id, first, "250 ok", 370)
        .await
        .expect("sent"));
    let record = store.outbox_record(id).await.expect("record").expect("row");
    assert_eq!(record.state, OutboxState::Sent);
    assert_eq!(record.response.as_deref(), Some("250 ok"));
    assert!(matches!(
        store.outbox_take(id, 1_000, 2_000).await.expect("take"),
        Take::Done
    ));
    // A row left queued when its job gives up is failed, so that it shows.
    assert!(store
        .queue_mail(&mail, "notify", None, "notify:2", 10)
        .await
        .expect("queue"));
    let waiting = store
        .outbox(Some(OutboxState::Queued), 10)
        .await
        .expect("outbox")[0]
        .id;
    assert!(store
        .outbox_failed(waiting, None, "gave up", 400)
        .await
        .expect("fail"));
    assert_eq!(
        store
            .outbox_record(waiting)
            .await
            .expect("record")
            .expect("row")
            .state,
        OutboxState::Failed
    );
}

testkit::backend_tests!(
    a_sender_taken_over_records_nothing,
    a_job_is_claimed_once_and_again_only_after_its_lease_expires,
    a_lease_has_one_holder_until_it_expires,
);
