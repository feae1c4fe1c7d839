//! Demo data: an empty store gets a helpdesk with every status and priority, users who can sign
//! in, partners who see only their own cases, and the seed or the built-in thread; a store that
//! holds anything gets nothing.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use app::demo::{DemoReport, DEMO_PASSWORD_CHARS, DEMO_THREAD_CASE};
use app::workspace::QueueInput;
use app::{Actor, App, AuthSettings, IntakeConfig, OpenMode, StoreConfig, Viewer};
use case::party::Role;
use case::{EntryKind, Priority, Status};
use testkit::TestDb;

const SEED_CASE: &str = "CAS-03865-H7P3F1";

async fn open(db: &TestDb) -> App {
    let config = StoreConfig {
        database_url: db.database_url.clone(),
        ..StoreConfig::in_dir(db.data_dir())
    };
    let intake = IntakeConfig {
        intake_addresses: vec!["support@cmgos.com".parse().unwrap()],
        ..IntakeConfig::default()
    };
    App::open(
        &config,
        OpenMode::Create,
        intake,
        Box::new(app::SystemClock),
        chrono_tz::Asia::Shanghai,
    )
    .await
    .unwrap()
    .with_auth_settings(AuthSettings {
        argon2_light: true,
        ..AuthSettings::default()
    })
}

/// The model case's export, beside the repository (`/work/shared/seed/…`).
fn seed_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/seed/CAS-03865-H7P3F1.txt")
}

/// Loads demo data, checking that progress counts up to its total once.
async fn load(app: &App, seed: Option<&Path>) -> DemoReport {
    let mut calls: Vec<(u64, u64)> = Vec::new();
    let report = app
        .demo_load(seed, &mut |done, total| calls.push((done, total)))
        .await
        .unwrap();
    if report.loaded {
        let total = calls.last().unwrap().1;
        let expected: Vec<(u64, u64)> = (1..=total).map(|done| (done, total)).collect();
        assert_eq!(calls, expected, "one call per step, in order");
    } else {
        assert!(calls.is_empty(), "nothing loaded, nothing reported");
    }
    report
}

async fn sign_in(app: &App, login: &str, password: &str) -> Actor {
    app.sign_in(login, password, "127.0.0.1")
        .await
        .unwrap()
        .session
        .principal
        .actor()
}

fn everything() -> QueueInput {
    QueueInput {
        limit: Some(500),
        ..QueueInput::default()
    }
}

async fn an_empty_store_gets_the_whole_demo(db: TestDb) {
    let app = open(&db).await;
    let seed = seed_path();
    let report = load(&app, Some(&seed)).await;
    assert!(report.loaded);
    assert!(report.cases >= 40, "{}", report.cases);

    // Every status and every priority, on all four customers.
    let cases = app.case_list(None).await.unwrap();
    assert_eq!(cases.len() as u64, report.cases);
    for status in Status::ALL {
        assert!(cases.iter().any(|c| c.status == status), "no {status} case");
    }
    for priority in Priority::ALL {
        assert!(
            cases.iter().any(|c| c.priority == priority),
            "no {priority} case"
        );
    }
    let customers: HashSet<&str> = cases.iter().map(|c| c.customer.as_str()).collect();
    for customer in ["Acer", "Inspur", "Quanta", "Wistron"] {
        assert!(customers.contains(customer), "no case of {customer}");
    }

    // Owners, a few cases left unassigned, tags and notes.
    let staff = Actor::operator();
    let queue = app.queue(&staff, everything()).await.unwrap();
    let unassigned = queue.cases.iter().filter(|c| c.owner.is_none()).count();
    assert!(
        (1..=6).contains(&unassigned),
        "{unassigned} unassigned cases"
    );
    assert!(queue.cases.iter().filter(|c| !c.tags.is_empty()).count() >= 40);
    let archived = queue
        .cases
        .iter()
        .find(|c| c.status == Status::Archived && c.number != SEED_CASE)
        .unwrap();
    let page = app.case_show(&staff, &archived.number).await.unwrap();
    assert!(page.archive_summary.unwrap().is_archive_summary());
    let resolved = queue
        .cases
        .iter()
        .find(|c| c.status == Status::Resolved)
        .unwrap();
    let resolved = app.case_show(&staff, &resolved.number).await.unwrap();
    assert!(resolved.resolution.unwrap().is_resolution());
    let mut notes = 0;
    for row in &queue.cases {
        let case = app.case_show(&staff, &row.number).await.unwrap();
        notes += case
            .timeline
            .iter()
            .filter(|e| e.kind == EntryKind::Note)
            .count();
    }
    assert!(notes >= 10, "{notes} notes");

    // The six logins, each with a long password of its own, and each signs in.
    let logins: Vec<(&str, Role, &str)> = report
        .logins
        .iter()
        .map(|l| (l.login.as_str(), l.role, l.org.as_str()))
        .collect();
    assert_eq!(
        logins,
        [
            ("admin@cmgos.com", Role::Admin, "CMGOS"),
            ("manager@cmgos.com", Role::Manager, "CMGOS"),
            ("engineer@cmgos.com", Role::Engineer, "CMGOS"),
            ("liaison@cmgos.com", Role::Liaison, "CMGOS"),
            ("partner@acer.com", Role::PartnerContact, "Acer"),
            ("partner@inspur.com", Role::PartnerContact, "Inspur"),
        ]
    );
    let passwords: HashSet<&str> = report.logins.iter().map(|l| l.password.as_str()).collect();
    assert_eq!(passwords.len(), 6);
    assert!(report
        .logins
        .iter()
        .all(|l| l.password.chars().count() >= 16
            && l.password.chars().count() == DEMO_PASSWORD_CHARS));
    assert!(!format!("{report:?}").contains(&report.logins[0].password));
    let mut actors = Vec::new();
    for login in &report.logins {
        let actor = sign_in(&app, &login.login, &login.password).await;
        assert_eq!(actor.caller.role, login.role, "{}", login.login);
        actors.push(actor);
    }
    assert!(actors[..4].iter().all(|a| a.viewer() == Viewer::Staff));

    // A partner's queue holds their organization's cases only.
    let acer = app.queue(&actors[4], everything()).await.unwrap();
    assert!(acer.cases.len() >= 10, "{}", acer.cases.len());
    assert!(acer.cases.iter().all(|c| c.customer == "Acer"));
    let acer_cases = cases.iter().filter(|c| c.customer == "Acer").count();
    assert_eq!(acer.cases.len(), acer_cases);
    let inspur = app.queue(&actors[5], everything()).await.unwrap();
    assert!(!inspur.cases.is_empty());
    assert!(inspur.cases.iter().all(|c| c.customer == "Inspur"));

    // The seed's case, on customer Acer, and the Acer partner sees it.
    if seed.is_file() {
        let case = app.case_show(&staff, SEED_CASE).await.unwrap();
        assert_eq!(case.summary.customer, "Acer");
        assert_eq!(case.summary.number, SEED_CASE);
        assert_eq!(case.summary.status, Status::InProgress);
        assert_eq!(case.owner.as_deref(), Some("Chen Hao（陈浩）"));
        let emails = case.timeline.iter().filter(|e| e.email.is_some()).count();
        assert_eq!(emails, 9, "the seed's nine messages");
        assert!(acer.cases.iter().any(|c| c.number == SEED_CASE));
        app.case_show(&actors[4], SEED_CASE).await.unwrap();
        assert!(!inspur.cases.iter().any(|c| c.number == SEED_CASE));
    } else {
        eprintln!(
            "the seed thread is missing at {}: not checking case {SEED_CASE}",
            seed.display()
        );
    }
    let stats = app.stats().await.unwrap();
    assert_eq!(stats.quarantined, 0);
    assert_eq!(
        stats.received,
        stats.messages + stats.quarantined + stats.duplicates
    );

    // A second load changes nothing.
    let again = load(&app, Some(&seed)).await;
    assert!(!again.loaded);
    assert!(again.logins.is_empty());
    assert_eq!(again.cases, report.cases);
    assert_eq!(
        app.case_list(None).await.unwrap().len() as u64,
        report.cases
    );
    assert_eq!(app.user_list().await.unwrap().len(), 6);
}

async fn without_a_seed_the_built_in_thread_loads(db: TestDb) {
    let app = open(&db).await;
    let report = load(&app, None).await;
    assert!(report.loaded);
    assert!(report.cases >= 41, "{}", report.cases);
    let staff = Actor::operator();
    let case = app.case_show(&staff, DEMO_THREAD_CASE).await.unwrap();
    assert_eq!(case.summary.customer, "Acer");
    assert_eq!(case.summary.priority, Priority::P2);
    assert!(
        case.summary.title.contains("WinRE"),
        "{}",
        case.summary.title
    );
    // The engineer who answers it owns it, and waits for the partner to verify the fix.
    assert_eq!(case.summary.status, Status::WaitingOnCustomer);
    assert_eq!(case.owner.as_deref(), Some("Chen Hao（陈浩）"));
    let senders: Vec<&str> = case
        .timeline
        .iter()
        .filter_map(|e| e.email.as_ref()?.from_address.as_deref())
        .collect();
    assert_eq!(
        senders,
        [
            "partner@acer.com",
            "engineer@cmgos.com",
            "partner@acer.com",
            "engineer@cmgos.com"
        ]
    );
    let bodies: String = case
        .timeline
        .iter()
        .filter_map(|e| Some(e.email.as_ref()?.body_text.clone()))
        .collect();
    assert!(bodies.contains("恢复分区"), "Chinese text");
    assert!(bodies.contains("recovery partition"), "English text");
    let stats = app.stats().await.unwrap();
    assert_eq!(stats.quarantined, 0);
    assert_eq!(stats.messages, 4);

    // The Acer partner reads it; the Inspur partner is told there is no such case.
    let partner = |login: &str| {
        report
            .logins
            .iter()
            .find(|l| l.login == login)
            .unwrap()
            .clone()
    };
    let acer = partner("partner@acer.com");
    let acer = sign_in(&app, &acer.login, &acer.password).await;
    app.case_show(&acer, DEMO_THREAD_CASE).await.unwrap();
    let inspur = partner("partner@inspur.com");
    let inspur = sign_in(&app, &inspur.login, &inspur.password).await;
    assert_eq!(
        app.case_show(&inspur, DEMO_THREAD_CASE)
            .await
            .unwrap_err()
            .code,
        app::ErrorCode::CaseNotFound
    );
}

async fn a_missing_seed_falls_back_to_the_built_in_thread(db: TestDb) {
    let app = open(&db).await;
    let missing = db.data_dir().join("no-such-seed.txt");
    let report = load(&app, Some(&missing)).await;
    assert!(report.loaded);
    let case = app
        .case_show(&Actor::operator(), DEMO_THREAD_CASE)
        .await
        .unwrap();
    assert_eq!(case.summary.customer, "Acer");
}

async fn a_store_with_a_user_gets_nothing(db: TestDb) {
    let app = open(&db).await;
    app.org_add("CMGOS", &["cmgos.com".into()], true)
        .await
        .unwrap();
    app.user_add(
        app::auth::NewUser {
            login: "someone@cmgos.com".into(),
            role: Role::Admin,
            org: Some("CMGOS".into()),
            name: None,
            email: None,
            password: "correct horse battery".into(),
        },
        "cli",
    )
    .await
    .unwrap();
    let report = load(&app, None).await;
    assert_eq!(
        (report.loaded, report.cases, report.logins.len()),
        (false, 0, 0)
    );
    assert!(app.case_list(None).await.unwrap().is_empty());
    assert_eq!(app.user_list().await.unwrap().len(), 1);
}

testkit::backend_tests!(
    an_empty_store_gets_the_whole_demo,
    without_a_seed_the_built_in_thread_loads,
    a_missing_seed_falls_back_to_the_built_in_thread,
    a_store_with_a_user_gets_nothing,
);
