//! Intake integration tests: every test runs on SQLite and on PostgreSQL.
#![allow(missing_docs, clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

mod guard;
mod hostile;
mod identity;
mod live;
mod seed;
mod threading;

use case::MatchedBy;
use chrono::{DateTime, TimeZone, Utc};
use intake::{ArrivalKind, IntakeConfig, Outcome, RawArrival};
use rand::SeedableRng;
use store::{Store, StoreConfig};
use testkit::TestDb;

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 8, 0, 0)
        .single()
        .unwrap()
}

pub async fn open(db: &TestDb) -> Store {
    Store::open(&StoreConfig {
        database_url: db.database_url.clone(),
        ..StoreConfig::in_dir(db.data_dir())
    })
    .await
    .unwrap()
}

pub fn config() -> IntakeConfig {
    IntakeConfig {
        intake_addresses: vec!["support@cmgos.com".parse().unwrap()],
        ..IntakeConfig::default()
    }
}

/// Registers the vendor (staff, cmgos.com) and Acer (acer.com).
pub async fn organizations(store: &Store) {
    store
        .add_org("CMGOS", &["cmgos.com".into()], true, 0)
        .await
        .unwrap();
    store
        .add_org("Acer", &["acer.com".into()], false, 0)
        .await
        .unwrap();
}

pub fn arrival(bytes: impl Into<Vec<u8>>) -> RawArrival {
    RawArrival {
        bytes: bytes.into(),
        origin: "test".into(),
        kind: ArrivalKind::Mail,
    }
}

pub async fn ingest(store: &Store, arrivals: Vec<RawArrival>) -> Vec<Outcome> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    intake::ingest(store, &config(), arrivals, now(), &mut rng)
        .await
        .unwrap()
}

pub async fn ingest_one(store: &Store, bytes: impl Into<Vec<u8>>) -> Outcome {
    ingest(store, vec![arrival(bytes)]).await.remove(0)
}

/// A plain message; `headers` are extra header lines.
pub fn mail(
    from: &str,
    subject: &str,
    message_id: Option<&str>,
    headers: &str,
    body: &str,
) -> String {
    let id = message_id
        .map(|id| format!("Message-ID: <{id}>\r\n"))
        .unwrap_or_default();
    format!(
        "From: {from}\r\nTo: support@cmgos.com\r\nSubject: {subject}\r\nDate: Mon, 01 Mar 2021 10:00:00 +0800\r\n{id}{headers}\
Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
}

pub fn on_case(outcome: &Outcome) -> (String, MatchedBy, bool) {
    match outcome {
        Outcome::OnCase {
            case,
            matched_by,
            new_case,
        } => (case.clone(), *matched_by, *new_case),
        other => panic!("expected the message on a case, got {other:?}"),
    }
}

pub fn quarantined(outcome: &Outcome) -> (i64, String) {
    match outcome {
        Outcome::Quarantined {
            id, reason_code, ..
        } => (*id, reason_code.clone()),
        other => panic!("expected quarantine, got {other:?}"),
    }
}

/// Checks the accounting invariant and returns the stats.
pub async fn balanced(store: &Store) -> store::stats::Stats {
    let stats = store.stats().await.unwrap();
    assert_eq!(
        stats.received,
        stats.messages + stats.quarantined + stats.duplicates,
        "{stats:?}"
    );
    stats
}
