//! Store integration tests: every test runs on SQLite and on PostgreSQL.
#![allow(missing_docs, clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

mod bulk;
mod jobs;
mod sla;
mod users;

use case::{CaseNumber, EntryKind, Priority, Status};
use rand::SeedableRng;
use store::cases::{NewCase, TokenChoice};
use store::{Error, Store, StoreConfig};
use testkit::TestDb;

async fn open(db: &TestDb) -> Store {
    Store::open(&StoreConfig {
        database_url: db.database_url.clone(),
        ..StoreConfig::in_dir(db.data_dir())
    })
    .await
    .unwrap()
}

fn new_case(title: &str) -> NewCase {
    NewCase {
        number: None,
        token: TokenChoice::New {
            prefix: "CMIT".into(),
            start: 1,
        },
        title: title.into(),
        priority: Priority::P3,
        customer_org_id: None,
        customer: "Acer".into(),
        stage: "初次响应".into(),
        product: None,
        version: None,
        split_from: None,
    }
}

async fn create(store: &Store, new: NewCase) -> store::cases::CaseRecord {
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    let mut make = |seq| CaseNumber::generate(seq, &mut rng);
    store
        .create_case(new, &mut make, Some("tester"), 1_000)
        .await
        .unwrap()
}

async fn organizations_own_their_domains(db: TestDb) {
    let store = open(&db).await;
    let acer = store
        .add_org("Acer", &["acer.com".into()], false, 0)
        .await
        .unwrap();
    let again = store
        .add_org("ACER", &["acer.com.tw".into()], false, 0)
        .await
        .unwrap();
    assert_eq!(again.id, acer.id, "names compare case-insensitively");
    assert_eq!(again.domains, ["acer.com", "acer.com.tw"]);
    let refused = store
        .add_org("Lenovo", &["acer.com".into()], false, 0)
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, Error::Conflict(conflict) if conflict.reason == "domain_taken"
            && conflict.values == [("domain", "acer.com".to_string()), ("org", "Acer".to_string())]),
        "{refused}"
    );
    store
        .add_org("CMGOS", &["cmgos.com".into()], true, 0)
        .await
        .unwrap();
    let names: Vec<(String, bool)> = store
        .list_orgs()
        .await
        .unwrap()
        .into_iter()
        .map(|o| (o.name, o.is_staff))
        .collect();
    assert_eq!(
        names,
        [("Acer".to_string(), false), ("CMGOS".to_string(), true)]
    );
}

async fn two_records_of_one_person_merge(db: TestDb) {
    let store = open(&db).await;
    let acer = store.add_org("Acer", &[], false, 0).await.unwrap();
    let carl = store
        .add_contact("carl@example.com", Some("Carl Liu"), Some(acer.id), None, 0)
        .await
        .unwrap();
    let liu = store
        .add_contact(
            "liujian@cmgos.com",
            Some("Liu Jian"),
            None,
            Some(case::Role::Manager),
            0,
        )
        .await
        .unwrap();
    store
        .add_contact("liujian@cmgos.com", Some("刘健"), None, None, 0)
        .await
        .unwrap();
    let merged = store.merge_contacts(liu.id, carl.id).await.unwrap();
    assert_eq!(merged.display_name, "Liu Jian");
    assert_eq!(merged.addresses, ["carl@example.com", "liujian@cmgos.com"]);
    assert!(
        merged.names.contains(&"Carl Liu".to_string())
            && merged.names.contains(&"刘健".to_string()),
        "{:?}",
        merged.names
    );
    assert_eq!(merged.org.as_deref(), Some("Acer"));
    assert_eq!(merged.role, Some(case::Role::Manager));
    assert_eq!(
        store
            .find_contact("carl@example.com")
            .await
            .unwrap()
            .map(|c| c.id),
        Some(liu.id)
    );
    assert_eq!(store.list_contacts().await.unwrap().len(), 1);
    assert!(matches!(
        store.merge_contacts(liu.id, liu.id).await,
        Err(Error::Conflict(_))
    ));
}

async fn numbers_skip_adopted_history(db: TestDb) {
    let store = open(&db).await;
    let adopted = NewCase {
        number: Some("CAS-00002-OLD222".parse().unwrap()),
        token: TokenChoice::Adopt("CMIT:0000002".parse().unwrap()),
        ..new_case("old")
    };
    create(&store, adopted).await;
    let numbers: Vec<u64> = [
        create(&store, new_case("a")).await,
        create(&store, new_case("b")).await,
    ]
    .iter()
    .map(|record| record.number.seq())
    .collect();
    assert_eq!(numbers, [1, 3], "2 is taken by history");
    let tokens: Vec<String> = store
        .list_cases(None)
        .await
        .unwrap()
        .iter()
        .filter_map(|c| c.tracking_token.as_ref().map(ToString::to_string))
        .collect();
    assert!(
        tokens.contains(&"CMIT:0000001".to_string())
            && tokens.contains(&"CMIT:0000003".to_string()),
        "{tokens:?}"
    );
    let duplicate = NewCase {
        number: Some("CAS-00002-OLD222".parse().unwrap()),
        ..new_case("again")
    };
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    let mut make = |seq| CaseNumber::generate(seq, &mut rng);
    assert!(matches!(
        store.create_case(duplicate, &mut make, None, 0).await,
        Err(Error::Conflict(_))
    ));
    assert_eq!(store.list_cases(Some(2)).await.unwrap().len(), 2);
}

async fn status_changes_are_checked_against_the_stored_status(db: TestDb) {
    let store = open(&db).await;
    let case = create(&store, new_case("x")).await;
    store
        .set_status(
            case.id,
            Status::New,
            Status::InProgress,
            None,
            Some("tester"),
            2_000,
        )
        .await
        .unwrap();
    // A second writer that still believes the case is new loses.
    let stale = store
        .set_status(case.id, Status::New, Status::Cancelled, None, None, 3_000)
        .await;
    assert!(
        matches!(&stale, Err(Error::Conflict(conflict)) if conflict.reason == "case_changed_meanwhile"),
        "{stale:?}"
    );
    store
        .add_note(case.id, "called the partner", Some("tester"), 4_000)
        .await
        .unwrap();
    let record = store
        .find_case(&case.number.to_string())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (record.status, record.updated_at),
        (Status::InProgress, 4_000)
    );
    let kinds: Vec<EntryKind> = store
        .timeline(case.id)
        .await
        .unwrap()
        .iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            EntryKind::StatusChange,
            EntryKind::StatusChange,
            EntryKind::Note
        ]
    );
}

async fn merged_numbers_still_resolve(db: TestDb) {
    let store = open(&db).await;
    let keep = create(&store, new_case("keep")).await;
    let gone = create(&store, new_case("duplicate")).await;
    store
        .add_note(gone.id, "on the duplicate", None, 2_000)
        .await
        .unwrap();
    store
        .merge_cases(keep.id, gone.id, Some("tester"), 3_000)
        .await
        .unwrap();
    let found = store
        .find_case(&gone.number.to_string())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, keep.id, "the old number finds the survivor");
    assert!(found.aliases.contains(&gone.number.to_string()));
    let token = gone.tracking_token.unwrap().to_string();
    assert_eq!(store.find_case(&token).await.unwrap().unwrap().id, keep.id);
    let notes: Vec<String> = store
        .timeline(keep.id)
        .await
        .unwrap()
        .iter()
        .filter_map(|e| {
            e.data
                .get("text")
                .and_then(|t| t.as_str())
                .map(str::to_string)
        })
        .collect();
    assert!(
        notes.contains(&"on the duplicate".to_string()),
        "the timeline moved: {notes:?}"
    );
    assert_eq!(store.list_cases(None).await.unwrap().len(), 1);
    assert!(matches!(
        store.merge_cases(keep.id, keep.id, None, 0).await,
        Err(Error::Conflict(_))
    ));
}

async fn a_split_case_is_linked(db: TestDb) {
    let store = open(&db).await;
    let original = create(&store, new_case("two problems")).await;
    let mut rng = rand::rngs::StdRng::seed_from_u64(9);
    let mut make = |seq| CaseNumber::generate(seq, &mut rng);
    let split = store
        .split_case(
            original.id,
            new_case("second problem"),
            &mut make,
            &[],
            Some("tester"),
            5_000,
        )
        .await
        .unwrap();
    assert_eq!(
        split.case.split_from.as_deref(),
        Some(original.number.to_string().as_str())
    );
    let events: Vec<case::Event> = store
        .timeline(original.id)
        .await
        .unwrap()
        .iter()
        .map(|e| case::Event::from_json(e.kind, &e.data).unwrap())
        .collect();
    assert_eq!(
        events,
        [
            case::Event::StatusChange {
                from: None,
                to: Status::New,
                summary: None
            },
            case::Event::Split {
                side: case::timeline::SplitSide::SplitOff,
                case: split.case.number.to_string(),
                title: "second problem".into(),
                messages: 0,
            },
        ]
    );
    let missing = store
        .split_case(
            original.id,
            new_case("y"),
            &mut make,
            &[424_242],
            None,
            6_000,
        )
        .await;
    assert!(matches!(missing, Err(Error::NotFound { .. })));
    assert_eq!(
        store.list_cases(None).await.unwrap().len(),
        2,
        "a failed split leaves nothing behind"
    );
}

async fn migrations_run_once_and_reopen(db: TestDb) {
    let store = open(&db).await;
    create(&store, new_case("x")).await;
    store.close().await;
    let again = open(&db).await;
    assert_eq!(again.list_cases(None).await.unwrap().len(), 1);
    assert_eq!(again.stats().await.unwrap().cases, 1);
}

testkit::backend_tests!(
    organizations_own_their_domains,
    two_records_of_one_person_merge,
    numbers_skip_adopted_history,
    status_changes_are_checked_against_the_stored_status,
    merged_numbers_still_resolve,
    a_split_case_is_linked,
    migrations_run_once_and_reopen,
);
