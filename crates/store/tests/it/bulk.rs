//! Bulk loads of cases with their timelines, on both backends.

use case::{EntryKind, Event, Priority, Status};
use store::bulk::{LoadCase, LoadCounts, LoadEntry};
use store::cases::{NewCase, TokenChoice};
use testkit::TestDb;

use crate::{create, new_case, open};

fn case(title: &str, at: i64, entries: Vec<LoadEntry>) -> LoadCase {
    LoadCase {
        title: title.to_string(),
        priority: Priority::P3,
        customer_org_id: None,
        customer: "Acer".to_string(),
        stage: "初次响应".to_string(),
        product: None,
        version: None,
        owner_person_id: None,
        tags: vec!["bios".to_string(), "bios".to_string()],
        created_at: at,
        opened_by: Some("Chen Hao".to_string()),
        entries,
    }
}

async fn loaded_cases_have_numbers_tokens_status_and_timelines(db: TestDb) {
    let store = open(&db).await;
    let mut seqs = Vec::new();
    let mut make = |seq: u64| {
        seqs.push(seq);
        format!("CAS-{seq:05}-ABCDEF").parse().unwrap()
    };
    let note = LoadEntry {
        event: Event::Note {
            text: "已联系客户收集日志".to_string(),
        },
        at: 20,
        actor: Some("Chen Hao".to_string()),
    };
    let progress = LoadEntry {
        event: Event::StatusChange {
            from: Some(Status::New),
            to: Status::InProgress,
            summary: None,
        },
        at: 30,
        actor: None,
    };
    let written = store
        .load_cases(
            &[
                case("one", 10, vec![note, progress]),
                case("two", 15, Vec::new()),
            ],
            &mut make,
            Some(("CMIT", 10_000_001)),
        )
        .await
        .unwrap();
    assert_eq!(written, 4, "two openings, a note and a status change");
    assert_eq!(seqs, vec![1, 2]);
    let one = store.find_case("CAS-00001-ABCDEF").await.unwrap().unwrap();
    assert_eq!(one.title, "one");
    assert_eq!(
        one.status,
        Status::InProgress,
        "the last status change's target"
    );
    assert_eq!((one.created_at, one.updated_at), (10, 30));
    assert_eq!(
        one.tracking_token.map(|t| t.to_string()).as_deref(),
        Some("CMIT:10000001")
    );
    assert_eq!(store.tags(one.id).await.unwrap(), ["bios"]);
    let timeline = store.timeline(one.id).await.unwrap();
    let kinds: Vec<EntryKind> = timeline.iter().map(|entry| entry.kind).collect();
    assert_eq!(
        kinds,
        [
            EntryKind::StatusChange,
            EntryKind::Note,
            EntryKind::StatusChange
        ]
    );
    assert_eq!(timeline[1].data["text"], "已联系客户收集日志");
    assert_eq!(timeline[1].actor.as_deref(), Some("Chen Hao"));
    let two = store.find_case("CMIT:10000002").await.unwrap().unwrap();
    assert_eq!((two.title.as_str(), two.status), ("two", Status::New));
    assert_eq!(
        store.load_counts().await.unwrap(),
        LoadCounts {
            cases: 2,
            timeline_entries: 4
        }
    );
}

async fn loads_skip_numbers_and_tokens_already_held(db: TestDb) {
    let store = open(&db).await;
    // History from an earlier system holds sequence value 3 and token 3.
    let adopted = NewCase {
        number: Some("CAS-00003-OLD333".parse().unwrap()),
        token: TokenChoice::Adopt("CMIT:0000003".parse().unwrap()),
        ..new_case("old")
    };
    create(&store, adopted).await;
    let mut make = |seq: u64| format!("CAS-{seq:05}-ABCDEF").parse().unwrap();
    store
        .load_cases(
            &[
                case("a", 2, Vec::new()),
                case("b", 3, Vec::new()),
                case("c", 4, Vec::new()),
            ],
            &mut make,
            Some(("CMIT", 1)),
        )
        .await
        .unwrap();
    let mut loaded = Vec::new();
    for number in ["CAS-00001-ABCDEF", "CAS-00002-ABCDEF", "CAS-00004-ABCDEF"] {
        let record = store.find_case(number).await.unwrap().unwrap();
        loaded.push((
            record.title,
            record.tracking_token.map(|t| t.to_string()).unwrap(),
        ));
    }
    assert_eq!(
        loaded,
        [
            ("a".to_string(), "CMIT:0000001".to_string()),
            ("b".to_string(), "CMIT:0000002".to_string()),
            ("c".to_string(), "CMIT:0000004".to_string()),
        ]
    );
    // A case opened one by one afterwards goes on from both sequences.
    let later = create(&store, new_case("later")).await;
    assert_eq!(later.number.seq(), 5);
    assert_eq!(
        later.tracking_token.map(|t| t.to_string()).as_deref(),
        Some("CMIT:0000005")
    );
    assert_eq!(store.load_counts().await.unwrap().cases, 5);
}

testkit::backend_tests!(
    loaded_cases_have_numbers_tokens_status_and_timelines,
    loads_skip_numbers_and_tokens_already_held,
);
