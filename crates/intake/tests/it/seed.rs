//! The model case, imported from its thread export.

use intake::files;
use testkit::TestDb;

use crate::{balanced, config, now, open};

async fn import_seed(store: &store::Store) -> Vec<intake::Outcome> {
    let arrivals = files::read_arrivals(&testkit::seed_path()).unwrap();
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(1);
    intake::ingest(store, &config(), arrivals, now(), &mut rng)
        .await
        .unwrap()
}

async fn the_seed_becomes_the_model_case(db: TestDb) {
    let store = open(&db).await;
    let outcomes = import_seed(&store).await;
    assert_eq!(outcomes.len(), 9);
    let case = store
        .find_case("CAS-03865-H7P3F1")
        .await
        .unwrap()
        .expect("the case exists");
    assert_eq!(case.title, "系统重置失败问题");
    assert_eq!(case.priority, case::Priority::P3);
    assert_eq!(case.customer, "Acer");
    assert_eq!(case.customer_org_id, None);
    assert_eq!(case.stage, "初次响应");
    assert_eq!(
        case.tracking_token
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some("CMIT:0001804")
    );
    assert_eq!(
        store.find_case("CMIT:0001804").await.unwrap().map(|c| c.id),
        Some(case.id)
    );

    let timeline = store.timeline(case.id).await.unwrap();
    let emails: Vec<_> = timeline
        .iter()
        .filter_map(|entry| entry.message.as_ref())
        .collect();
    let senders: Vec<&str> = emails
        .iter()
        .map(|m| m.from_name.as_deref().unwrap_or(""))
        .collect();
    assert_eq!(
        senders,
        [
            "Li Qi", "Li Qi", "Liu Jian", "Li Qi", "Liu Jian", "Li Qi", "Gao Meng", "Li Qi",
            "Li Qi"
        ]
    );
    let times: Vec<String> = emails.iter().map(|m| app_time(m.sent_at)).collect();
    assert_eq!(
        times,
        [
            "2021-03-05T17:05:26.201Z",
            "2021-03-15T11:41:00.194Z",
            "2021-03-26T13:41:48.740Z",
            "2021-03-26T13:50:04.403Z",
            "2021-03-26T13:51:31.498Z",
            "2021-03-26T13:58:56.770Z",
            "2021-08-25T15:01:02.145Z",
            "2021-08-25T15:59:57.534Z",
            "2021-08-31T17:41:02.457Z",
        ]
    );
    assert!(emails
        .iter()
        .all(|m| m.matched_by == case::MatchedBy::Import));
    assert_eq!(emails[2].from_address.as_deref(), Some("liujian@cmgos.com"));
    assert_eq!(emails[0].from_address, None);
    assert!(emails[8].body_text.contains("SHARING_VIOLATION"));
    // The case began with its first message, not with the import.
    assert_eq!(app_time(case.created_at), "2021-03-05T17:05:26.201Z");

    let liu = store
        .find_contact("liujian@cmgos.com")
        .await
        .unwrap()
        .expect("Liu Jian is a person");
    assert_eq!(liu.display_name, "Liu Jian");
    assert_eq!(liu.org, None);
    assert_eq!(liu.role, None);
    let li = store
        .find_contact("Li Qi")
        .await
        .unwrap()
        .expect("Li Qi is a person");
    assert!(li.addresses.is_empty());

    let stats = balanced(&store).await;
    assert_eq!(
        (
            stats.received,
            stats.messages,
            stats.duplicates,
            stats.cases
        ),
        (9, 9, 0, 1)
    );
}

async fn importing_the_seed_twice_changes_nothing(db: TestDb) {
    let store = open(&db).await;
    import_seed(&store).await;
    let before = seed_timeline(&store).await;
    let outcomes = import_seed(&store).await;
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, intake::Outcome::Duplicate { .. })),
        "{outcomes:?}"
    );
    let after = seed_timeline(&store).await;
    assert_eq!(before, after);
    let stats = balanced(&store).await;
    assert_eq!(
        (
            stats.received,
            stats.messages,
            stats.duplicates,
            stats.cases,
            stats.raw_messages
        ),
        (18, 9, 9, 1, 9)
    );
}

async fn assume_zone_reads_export_times_as_local(db: TestDb) {
    let store = open(&db).await;
    let arrivals = files::read_arrivals(&testkit::seed_path()).unwrap();
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(1);
    let config = intake::IntakeConfig {
        assume_zone: Some(chrono_tz::Asia::Shanghai),
        ..config()
    };
    intake::ingest(&store, &config, arrivals, now(), &mut rng)
        .await
        .unwrap();
    let case = store.find_case("CAS-03865-H7P3F1").await.unwrap().unwrap();
    let first = store
        .timeline(case.id)
        .await
        .unwrap()
        .into_iter()
        .find_map(|e| e.message)
        .unwrap();
    assert_eq!(app_time(first.sent_at), "2021-03-05T09:05:26.201Z");
    assert_eq!(first.sent_offset, 8 * 3600);
}

async fn seed_timeline(store: &store::Store) -> Vec<store::timeline::TimelineRecord> {
    let case = store.find_case("CAS-03865-H7P3F1").await.unwrap().unwrap();
    store.timeline(case.id).await.unwrap()
}

fn app_time(micros: i64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp_micros(micros)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

testkit::backend_tests!(
    the_seed_becomes_the_model_case,
    importing_the_seed_twice_changes_nothing,
    assume_zone_reads_export_times_as_local
);
