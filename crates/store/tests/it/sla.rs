//! Case clocks kept due by the timeline trigger, written only at the revision read, and firings
//! carried out once under their unique key, on both backends.

use case::{EntryKind, Event};
use store::accounts::AccountMail;
use store::outbox::OutboxState;
use store::sla::{ClockWrite, FiringWrite};
use testkit::TestDb;

use crate::{create, new_case, open};

fn firing(due_at: i64) -> FiringWrite {
    FiringWrite {
        rule: "stale".into(),
        level: "breach".into(),
        episode: 1_000,
        measure: "open".into(),
        due_at,
        actions: vec!["escalate_manager".into()],
        event: Event::Sla {
            breach: true,
            rule: "stale".into(),
            measure: "open".into(),
            target: "20d".into(),
            due_at,
            actions: vec!["escalate_manager".into()],
        },
        mails: vec![AccountMail {
            raw: b"From: a@b\r\nSubject: x\r\n\r\nbody\r\n".to_vec(),
            recipients: vec!["carl@cmgos.com".into()],
        }],
        raise_to: Some(case::Priority::P2),
        job: None,
    }
}

fn write(case_id: i64, revision: i64, firings: Vec<FiringWrite>) -> ClockWrite {
    ClockWrite {
        case_id,
        revision,
        policy_version: 1,
        state: Some("{}".into()),
        check_at: Some(9_000),
        risk_at: Some(5_000),
        breach_at: Some(8_000),
        open: true,
        facts: ("Acer".into(), None),
        firings,
    }
}

async fn every_change_makes_a_cases_clocks_due_in_its_own_transaction(db: TestDb) {
    let store = open(&db).await;
    let case = create(&store, new_case("reset fails")).await;
    let due = store.due_clocks(2_000, 10).await.unwrap();
    assert_eq!(
        due.iter()
            .map(|d| (d.case_id, d.state.is_none()))
            .collect::<Vec<_>>(),
        vec![(case.id, true)],
        "a new case is due at once"
    );
    let revision = due[0].revision;
    assert_eq!(
        store
            .write_clocks(&[write(case.id, revision, Vec::new())], 2_000)
            .await
            .unwrap(),
        Vec::new()
    );
    assert!(store.due_clocks(2_000, 10).await.unwrap().is_empty());
    assert_eq!(store.next_clock_check().await.unwrap(), Some(9_000));
    store
        .add_note(case.id, "asked for logs", None, 3_000)
        .await
        .unwrap();
    let due = store.due_clocks(3_000, 10).await.unwrap();
    assert_eq!(due.len(), 1);
    assert!(
        due[0].state.is_none() && due[0].revision > revision,
        "the note cleared the state"
    );
    // A write computed from the old revision is refused: nothing of it lands.
    assert!(store
        .write_clocks(&[write(case.id, revision, vec![firing(1_500)])], 3_000)
        .await
        .unwrap()
        .is_empty());
    assert!(store.sla_events_of(case.id).await.unwrap().is_empty());
    assert_eq!(
        store.due_clocks(3_000, 10).await.unwrap().len(),
        1,
        "still due"
    );
}

async fn a_firing_is_carried_out_once_however_often_it_is_written(db: TestDb) {
    let store = open(&db).await;
    let other = open(&db).await;
    let case = create(&store, new_case("reset fails")).await;
    let revision = store.due_clocks(2_000, 10).await.unwrap()[0].revision;
    let (first, second) = (
        [write(case.id, revision, vec![firing(1_500)])],
        [write(case.id, revision, vec![firing(1_500)])],
    );
    let (a, b) = tokio::join!(
        store.write_clocks(&first, 2_000),
        other.write_clocks(&second, 2_000)
    );
    let done = a.unwrap().len() + b.unwrap().len();
    assert_eq!(done, 1, "one of the two writes carried it out");
    let events = store.sla_events_of(case.id).await.unwrap();
    assert_eq!(
        events
            .iter()
            .map(|e| (e.rule.as_str(), e.level.as_str(), e.due_at))
            .collect::<Vec<_>>(),
        vec![("stale", "breach", 1_500)]
    );
    let timeline = store.timeline(case.id).await.unwrap();
    let kinds: Vec<(EntryKind, i64)> = timeline
        .iter()
        .filter(|e| e.kind != EntryKind::StatusChange)
        .map(|e| (e.kind, e.at))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (EntryKind::SlaBreach, 1_500),
            (EntryKind::FieldChange, 2_000)
        ],
        "the breach at its time, the raise"
    );
    assert_eq!(
        store.case_by_id(case.id).await.unwrap().priority,
        case::Priority::P2
    );
    let queued = store.outbox(Some(OutboxState::Queued), 10).await.unwrap();
    assert_eq!(
        queued
            .iter()
            .map(|o| (o.purpose.as_str(), o.case_id))
            .collect::<Vec<_>>(),
        vec![("sla", Some(case.id))]
    );
    // Written again later (a restart, another instance): nothing more.
    let revision = store.due_clocks(i64::MAX, 10).await.unwrap()[0].revision;
    assert!(store
        .write_clocks(&[write(case.id, revision, vec![firing(1_500)])], 4_000)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        store
            .outbox(Some(OutboxState::Queued), 10)
            .await
            .unwrap()
            .len(),
        1
    );
}

testkit::backend_tests!(
    every_change_makes_a_cases_clocks_due_in_its_own_transaction,
    a_firing_is_carried_out_once_however_often_it_is_written,
);
