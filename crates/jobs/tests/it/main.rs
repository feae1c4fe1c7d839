//! The runner against a real store, on SQLite and on PostgreSQL.
#![allow(missing_docs, clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use jobs::{JobError, JobState, NewJob, Runner};
use store::{Store, StoreConfig};
use testkit::TestDb;

async fn open(db: &TestDb) -> Store {
    Store::open(&StoreConfig {
        database_url: db.database_url.clone(),
        ..StoreConfig::in_dir(db.data_dir())
    })
    .await
    .unwrap()
}

/// A handler that fails with `Retry` its first `failures` calls, then succeeds; counts calls.
fn flaky(failures: u32, calls: Arc<AtomicU32>) -> jobs::Handler {
    Arc::new(move |_job| {
        let calls = calls.clone();
        Box::pin(async move {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            if n < failures {
                Err(JobError::Retry(format!("attempt {} refused", n + 1)))
            } else {
                Ok(())
            }
        })
    })
}

async fn a_failing_job_is_retried_with_backoff_and_then_done(db: TestDb) {
    let store = open(&db).await;
    let calls = Arc::new(AtomicU32::new(0));
    let mut runner = Runner::new(store.clone(), "one");
    runner.register("hook", flaky(2, calls.clone()));
    let job = NewJob {
        name: "hook:a",
        kind: "hook",
        payload: "{}",
        run_at: 0,
        max_attempts: 5,
    };
    store.enqueue_job(&job, 0).await.unwrap();
    let first = runner.run_due(0, 10).await.unwrap();
    assert_eq!((first.retried, first.done), (1, 0));
    // Not due again before its 30 s backoff.
    assert_eq!(
        runner.run_due(29_000_000, 10).await.unwrap(),
        jobs::RunReport::default()
    );
    // The wait counts from the end of the attempt (a few milliseconds after the round began).
    assert_eq!(runner.run_due(30_500_000, 10).await.unwrap().retried, 1);
    // The second wait is 60 s.
    assert_eq!(
        runner.run_due(89_000_000, 10).await.unwrap(),
        jobs::RunReport::default()
    );
    assert_eq!(runner.run_due(91_000_000, 10).await.unwrap().done, 1);
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    assert_eq!(
        store.job_by_name("hook:a").await.unwrap().unwrap().state,
        JobState::Done
    );
    assert_eq!(
        runner.run_due(10_000_000_000, 10).await.unwrap(),
        jobs::RunReport::default(),
        "done is done"
    );
}

async fn a_job_fails_for_good_after_its_last_attempt_or_a_fatal_error(db: TestDb) {
    let store = open(&db).await;
    let mut runner = Runner::new(store.clone(), "one");
    runner.register("hook", flaky(10, Arc::new(AtomicU32::new(0))));
    runner.register(
        "bad",
        Arc::new(|_job| Box::pin(async { Err(JobError::Fatal("payload is not JSON".into())) })),
    );
    store
        .enqueue_job(
            &NewJob {
                name: "hook:b",
                kind: "hook",
                payload: "{}",
                run_at: 0,
                max_attempts: 2,
            },
            0,
        )
        .await
        .unwrap();
    store
        .enqueue_job(
            &NewJob {
                name: "bad:1",
                kind: "bad",
                payload: "x",
                run_at: 0,
                max_attempts: 9,
            },
            0,
        )
        .await
        .unwrap();
    let report = runner.run_due(0, 10).await.unwrap();
    assert_eq!((report.retried, report.failed), (1, 1));
    assert_eq!(runner.run_due(3_600_000_000, 10).await.unwrap().failed, 1);
    let failed = store.jobs_in(JobState::Failed, 10).await.unwrap();
    let mut names: Vec<(&str, Option<&str>)> = failed
        .iter()
        .map(|j| (j.name.as_str(), j.last_error.as_deref()))
        .collect();
    names.sort();
    assert_eq!(
        names,
        vec![
            ("bad:1", Some("payload is not JSON")),
            ("hook:b", Some("attempt 2 refused (will retry)"))
        ]
    );
}

async fn two_runners_never_run_the_same_job_at_once(db: TestDb) {
    let store = open(&db).await;
    let calls = Arc::new(AtomicU32::new(0));
    let mut one = Runner::new(store.clone(), "one");
    let mut two = Runner::new(store.clone(), "two");
    one.register("hook", flaky(0, calls.clone()));
    two.register("hook", flaky(0, calls.clone()));
    for i in 0..40 {
        let name = format!("hook:{i}");
        store
            .enqueue_job(
                &NewJob {
                    name: &name,
                    kind: "hook",
                    payload: "{}",
                    run_at: 0,
                    max_attempts: 3,
                },
                0,
            )
            .await
            .unwrap();
    }
    let (a, b) = tokio::join!(one.run_due(1, 25), two.run_due(1, 25));
    let (a, b) = (a.unwrap(), b.unwrap());
    let (c, d) = tokio::join!(one.run_due(2, 25), two.run_due(2, 25));
    let total = a.done + b.done + c.unwrap().done + d.unwrap().done;
    assert_eq!(total, 40);
    assert_eq!(calls.load(Ordering::SeqCst), 40, "each job ran once");
}

/// A handler that takes `millis` and counts its calls.
fn slow(millis: u64, calls: Arc<AtomicU32>) -> jobs::Handler {
    Arc::new(move |_job| {
        let calls = calls.clone();
        Box::pin(async move {
            calls.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(std::time::Duration::from_millis(millis)).await;
            Ok(())
        })
    })
}

async fn a_job_running_past_its_lease_keeps_it_and_a_taken_lease_stops_it(db: TestDb) {
    let store = open(&db).await;
    let calls = Arc::new(AtomicU32::new(0));
    // Leases of 600 ms, renewed every 200 ms; the job takes 1.5 s.
    let mut one = Runner::new(store.clone(), "one").with_lease(600_000);
    let mut two = Runner::new(store.clone(), "two").with_lease(600_000);
    one.register("long", slow(1_500, calls.clone()));
    two.register("long", slow(1_500, calls.clone()));
    store
        .enqueue_job(
            &NewJob {
                name: "long:1",
                kind: "long",
                payload: "{}",
                run_at: 0,
                max_attempts: 3,
            },
            0,
        )
        .await
        .unwrap();
    let first = tokio::spawn(async move { one.run_due(1, 10).await });
    // Past the first lease, on the same clock: the renewed lease still holds the job.
    tokio::time::sleep(std::time::Duration::from_millis(900)).await;
    let meanwhile = two.run_due(1 + 900_000, 10).await.unwrap();
    assert_eq!(meanwhile, jobs::RunReport::default(), "nothing to claim");
    let report = first.await.unwrap().unwrap();
    assert_eq!(report.done, 1);
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    // A runner whose lease is taken over (its clock says the lease ran out long ago) stops.
    store
        .enqueue_job(
            &NewJob {
                name: "long:2",
                kind: "long",
                payload: "{}",
                run_at: 0,
                max_attempts: 3,
            },
            0,
        )
        .await
        .unwrap();
    let mut three = Runner::new(store.clone(), "three").with_lease(600_000);
    three.register("long", slow(1_500, calls.clone()));
    let stalled = tokio::spawn(async move { three.run_due(1, 10).await });
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let mut four = Runner::new(store.clone(), "four").with_lease(600_000);
    four.register("long", slow(10, calls.clone()));
    // Four's clock is a minute on: three's lease has run out there.
    let took = four.run_due(60_000_000, 10).await.unwrap();
    assert_eq!(took.done, 1);
    let stopped = stalled.await.unwrap().unwrap();
    assert_eq!((stopped.done, stopped.lost), (0, 1));
    let job = store.job_by_name("long:2").await.unwrap().unwrap();
    assert_eq!(job.state, JobState::Done);
}

testkit::backend_tests!(
    a_job_running_past_its_lease_keeps_it_and_a_taken_lease_stops_it,
    a_failing_job_is_retried_with_backoff_and_then_done,
    a_job_fails_for_good_after_its_last_attempt_or_a_fatal_error,
    two_runners_never_run_the_same_job_at_once,
);
