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

async fn outbox_batches_are_taken_once_and_a_sender_taken_over_records_nothing(db: TestDb) {
    use store::outbox::{OutboxState, Outcome, Settled};
    let store = open(&db).await;
    let mail = |n: u32| store::accounts::AccountMail {
        raw: format!("Message-ID: <m{n}@cmgos.example>\r\nSubject: hi\r\n\r\nbody {n}\r\n")
            .into_bytes(),
        recipients: vec!["xuda@acer.example".into()],
    };
    for n in 0..3 {
        assert!(store
            .queue_mail(&mail(n), "notify", None, &format!("notify:{n}"), 10)
            .await
            .expect("queue"));
    }
    // Queuing queued the send job.
    let job = store
        .job_by_name(store::outbox::SEND_JOB_NAME)
        .await
        .expect("job")
        .expect("the send job");
    assert_eq!(job.state, JobState::Queued);
    let first = store
        .outbox_take_due(100, 200, 1, 2, 1 << 30, 10)
        .await
        .expect("take");
    assert_eq!(first.len(), 2);
    assert!(first[0].raw.starts_with(b"Message-ID: <m0@"));
    // A second sender takes what is left, never the first batch's rows.
    let second = store
        .outbox_take_due(150, 1_000, 2, 10, 1 << 30, 10)
        .await
        .expect("take");
    assert_eq!(second.len(), 1);
    assert!(store
        .outbox_take_due(160, 260, 3, 10, 1 << 30, 10)
        .await
        .expect("take")
        .is_empty());
    assert_eq!(store.outbox_renew(1, 300).await.expect("renew"), 2);
    // The first sender stalls past its lease; a third takes its rows over.
    let third = store
        .outbox_take_due(301, 400, 4, 10, 1 << 30, 10)
        .await
        .expect("take");
    assert_eq!(third.len(), 2);
    assert_eq!(store.outbox_renew(1, 500).await.expect("renew"), 0);
    let (a, b) = (first[0].record.id, first[1].record.id);
    let sent = |id| Settled {
        id,
        outcome: Outcome::Sent {
            response: "250 ok".into(),
            message_id: None,
        },
    };
    assert_eq!(
        store
            .outbox_settle(1, &[sent(a), sent(b)], 350)
            .await
            .expect("settle"),
        0,
        "the stalled sender records nothing"
    );
    let results = [
        sent(a),
        Settled {
            id: b,
            outcome: Outcome::Deferred {
                error: "421 busy".into(),
                retry_at: 10_000,
            },
        },
    ];
    assert_eq!(
        store.outbox_settle(4, &results, 360).await.expect("settle"),
        2
    );
    let record = store.outbox_record(a).await.expect("record").expect("row");
    assert_eq!(record.state, OutboxState::Sent);
    assert_eq!(record.response.as_deref(), Some("250 ok"));
    assert_eq!(
        store
            .outbox_record(b)
            .await
            .expect("record")
            .expect("row")
            .state,
        OutboxState::Queued
    );
    assert_eq!(
        store
            .outbox_settle(2, &[sent(second[0].record.id)], 370)
            .await
            .expect("settle"),
        1
    );
    // Deferred: not due before its time, due after it.
    assert!(store
        .outbox_take_due(9_999, 20_000, 5, 10, 1 << 30, 10)
        .await
        .expect("take")
        .is_empty());
    assert!(store.outbox_poke(10_000).await.expect("poke"));
    let again = store
        .outbox_take_due(10_000, 20_000, 6, 10, 1 << 30, 10)
        .await
        .expect("take");
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].record.attempts, 3);
    let failed = Settled {
        id: b,
        outcome: Outcome::Failed {
            error: "550 no such user".into(),
        },
    };
    store
        .outbox_settle(6, &[failed], 10_001)
        .await
        .expect("settle");
    assert!(store.outbox_retry(b, 11_000).await.expect("retry"));
    let retried = store.outbox_record(b).await.expect("record").expect("row");
    assert_eq!((retried.state, retried.attempts), (OutboxState::Queued, 0));
    // A batch stays within its bytes, but takes one message however large.
    for n in 10..12 {
        assert!(store
            .queue_mail(&mail(n), "notify", None, &format!("notify:{n}"), 11_000)
            .await
            .expect("queue"));
    }
    let one = store
        .outbox_take_due(12_000, 13_000, 7, 10, 1, 10)
        .await
        .expect("take");
    assert_eq!(one.len(), 1);
    // A row whose senders kept stopping is given up at the take, and shows as failed.
    let none = store
        .outbox_take_due(12_000, 13_000, 8, 10, 1 << 30, 0)
        .await
        .expect("take");
    assert!(none.is_empty());
    let failed = store
        .outbox(Some(OutboxState::Failed), 10)
        .await
        .expect("outbox");
    assert_eq!(failed.len(), 2, "both new ones: {failed:?}");
    assert!(failed.iter().all(|row| row
        .last_error
        .as_deref()
        .is_some_and(|e| e.contains("given up after"))));
}

async fn senders_taking_batches_at_once_take_each_message_once(db: TestDb) {
    let store = open(&db).await;
    const COUNT: u32 = 200;
    for n in 0..COUNT {
        let mail = store::accounts::AccountMail {
            raw: format!("Message-ID: <c{n}@cmgos.example>\r\nSubject: {n}\r\n\r\nbody\r\n")
                .into_bytes(),
            recipients: vec!["xuda@acer.example".into()],
        };
        assert!(store
            .queue_mail(&mail, "notify", None, &format!("c:{n}"), 10)
            .await
            .expect("queue"));
    }
    // Four senders (as four instances would) take small batches side by side until none is left.
    let mut senders = tokio::task::JoinSet::new();
    for token in 1..=4i64 {
        let store = store.clone();
        senders.spawn(async move {
            let mut taken = Vec::new();
            loop {
                let batch = store
                    .outbox_take_due(100, 1_000_000, token, 7, 1 << 30, 10)
                    .await
                    .expect("take");
                if batch.is_empty() {
                    return taken;
                }
                taken.extend(batch.iter().map(|sendable| sendable.record.id));
                tokio::task::yield_now().await;
            }
        });
    }
    let mut all = Vec::new();
    let mut per_sender = Vec::new();
    while let Some(taken) = senders.join_next().await {
        let taken = taken.expect("a sender");
        per_sender.push(taken.len());
        all.extend(taken);
    }
    let count = all.len();
    all.sort_unstable();
    all.dedup();
    assert_eq!(count, all.len(), "no message taken twice: {per_sender:?}");
    assert_eq!(
        all.len(),
        COUNT as usize,
        "every message taken: {per_sender:?}"
    );
}

testkit::backend_tests!(
    senders_taking_batches_at_once_take_each_message_once,
    outbox_batches_are_taken_once_and_a_sender_taken_over_records_nothing,
    a_job_is_claimed_once_and_again_only_after_its_lease_expires,
    a_lease_has_one_holder_until_it_expires,
);
