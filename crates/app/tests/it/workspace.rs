//! The workspace commands: the queue's keyset paging, replies through the intake and the outbox,
//! portal replies under the guard, and the access policy applied to every caller.

use app::workspace::{OwnerChoice, QueueInput};
use app::{Action, Actor, App, Caller, ErrorCode, IntakeConfig, OpenMode, StoreConfig, Viewer};
use case::party::Role;
use case::{EntryKind, MatchedBy, Status, Visibility};
use testkit::TestDb;

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
}

fn mail(from: &str, subject: &str, id: &str, headers: &str) -> String {
    format!(
        "From: {from}\r\nTo: support@cmgos.com\r\nSubject: {subject}\r\nDate: Mon, 01 Mar 2021 10:00:00 +0800\r\n\
Message-ID: <{id}>\r\n{headers}Content-Type: text/plain; charset=utf-8\r\n\r\nbody of {id}\r\n"
    )
}

async fn import(app: &App, name: &str, text: &str) -> app::ImportSummary {
    let (_dir, path) = testkit::fixture(name, text.as_bytes());
    app.import(&[path], None, &mut |_| {}).await.unwrap()
}

/// Acer and Lenovo as customers, CMGOS as staff; an engineer and a partner contact of each.
async fn parties(app: &App) -> (Actor, Actor, Actor) {
    app.org_add("Acer", &["acer.com".into()], false)
        .await
        .unwrap();
    app.org_add("Lenovo", &["lenovo.com".into()], false)
        .await
        .unwrap();
    app.org_add("CMGOS", &["cmgos.com".into()], true)
        .await
        .unwrap();
    let engineer = app
        .contact_add(
            "liujian@cmgos.com",
            Some("Liu Jian"),
            Some("CMGOS"),
            Some(Role::Engineer),
        )
        .await
        .unwrap();
    let acer = app
        .contact_add(
            "xuda@acer.com",
            Some("Xu Da"),
            Some("Acer"),
            Some(Role::PartnerContact),
        )
        .await
        .unwrap();
    let lenovo = app
        .contact_add(
            "wang@lenovo.com",
            Some("Wang"),
            Some("Lenovo"),
            Some(Role::PartnerContact),
        )
        .await
        .unwrap();
    let staff = Actor {
        name: "liujian".into(),
        person_id: Some(engineer.id),
        caller: Caller {
            role: Role::Engineer,
            viewer: Viewer::Staff,
        },
    };
    let acer_actor = app.actor_for_contact(&acer.addresses[0]).await.unwrap();
    let lenovo_actor = app.actor_for_contact(&lenovo.addresses[0]).await.unwrap();
    (staff, acer_actor, lenovo_actor)
}

fn queue_input(limit: u32) -> QueueInput {
    QueueInput {
        limit: Some(limit),
        ..QueueInput::default()
    }
}

async fn the_queue_pages_by_cursor_and_counts_statuses(db: TestDb) {
    let app = open(&db).await;
    let (staff, acer, _) = parties(&app).await;
    let mut numbers = Vec::new();
    for i in 0..7 {
        let customer = if i % 2 == 0 { "Acer" } else { "Lenovo" };
        let view = app
            .case_new(
                &staff,
                app::views::NewCaseInput {
                    title: format!("problem {i}"),
                    customer: customer.into(),
                    new_org: false,
                    priority: None,
                    stage: None,
                    product: None,
                    version: None,
                },
            )
            .await
            .unwrap();
        numbers.push(view.summary.number);
    }
    app.case_status(&staff, &numbers[0], Status::InProgress, None)
        .await
        .unwrap();
    // Pages of three: every case once, in order, and no cursor after the last page.
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = app
            .queue(
                &staff,
                QueueInput {
                    cursor: cursor.clone(),
                    ..queue_input(3)
                },
            )
            .await
            .unwrap();
        assert!(page.cases.len() <= 3);
        seen.extend(page.cases.iter().map(|c| c.number.clone()));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let mut expected = numbers.clone();
    expected.sort();
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(sorted, expected, "each case exactly once");
    // The case changed last comes first.
    assert_eq!(seen[0], numbers[0]);
    let page = app.queue(&staff, queue_input(50)).await.unwrap();
    let count = |status: Status| {
        page.counts
            .iter()
            .find(|c| c.status == status)
            .map(|c| c.count)
    };
    assert_eq!(count(Status::New), Some(6));
    assert_eq!(count(Status::InProgress), Some(1));
    // Filters: status, text, unassigned, tag.
    let in_progress = app
        .queue(
            &staff,
            QueueInput {
                statuses: vec![Status::InProgress],
                ..queue_input(50)
            },
        )
        .await
        .unwrap();
    assert_eq!(in_progress.cases.len(), 1);
    let by_text = app
        .queue(
            &staff,
            QueueInput {
                text: Some("PROBLEM 3".into()),
                ..queue_input(50)
            },
        )
        .await
        .unwrap();
    assert_eq!(by_text.cases.len(), 1);
    assert_eq!(by_text.cases[0].title, "problem 3");
    let wildcard = app
        .queue(
            &staff,
            QueueInput {
                text: Some("%".into()),
                ..queue_input(50)
            },
        )
        .await
        .unwrap();
    assert!(wildcard.cases.is_empty(), "% is a literal, not a wildcard");
    app.case_tags(&staff, &numbers[2], &["Firmware".into()], &[])
        .await
        .unwrap();
    let tagged = app
        .queue(
            &staff,
            QueueInput {
                tag: Some("firmware".into()),
                ..queue_input(50)
            },
        )
        .await
        .unwrap();
    assert_eq!(tagged.cases.len(), 1);
    assert_eq!(tagged.cases[0].tags, vec!["firmware".to_string()]);
    app.case_assign(&staff, &numbers[1], "liujian@cmgos.com")
        .await
        .unwrap();
    let mine = app
        .queue(
            &staff,
            QueueInput {
                owner: OwnerChoice::Mine,
                ..queue_input(50)
            },
        )
        .await
        .unwrap();
    assert_eq!(mine.cases.len(), 1);
    assert_eq!(mine.cases[0].number, numbers[1]);
    // A partner's queue holds their organization's cases only, without the staff's tags.
    let portal = app.queue(&acer, queue_input(50)).await.unwrap();
    assert_eq!(portal.cases.len(), 4);
    assert!(portal.cases.iter().all(|c| c.customer == "Acer"));
    assert!(portal.cases.iter().all(|c| c.tags.is_empty()));
    let bad = app
        .queue(
            &staff,
            QueueInput {
                cursor: Some("nonsense".into()),
                ..queue_input(5)
            },
        )
        .await
        .unwrap_err();
    assert_eq!(bad.code, ErrorCode::InvalidInput);
}

async fn a_reply_is_stored_queued_and_threads_the_answer(db: TestDb) {
    let app = open(&db).await;
    let (staff, _acer, _) = parties(&app).await;
    import(
        &app,
        "open.eml",
        &mail("xuda@acer.com", "系统重置失败", "g1@acer.com", ""),
    )
    .await;
    let number = app.case_list(None).await.unwrap()[0].number.clone();
    let before = app.stats().await.unwrap();

    let change = app
        .case_reply(
            &staff,
            &number,
            app::compose::ReplyInput {
                text: "请收集日志。".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(change.entries.len(), 1);
    let entry = &change.entries[0];
    assert_eq!(entry.kind, EntryKind::OutboundEmail);
    assert_eq!(entry.visibility, Visibility::Public);
    let email = entry.email.as_ref().unwrap();
    assert_eq!(email.matched_by, MatchedBy::Composer);
    assert_eq!(email.to[0].address.as_deref(), Some("xuda@acer.com"));
    assert!(email.subject.contains(&number), "{}", email.subject);
    let message_id = email.message_id.clone().unwrap();

    let after = app.stats().await.unwrap();
    assert_eq!(after.sent, 1);
    assert_eq!(after.outbox_queued, 1);
    assert_eq!(
        after.messages, before.messages,
        "what Casebook wrote did not arrive"
    );
    assert_eq!(after.received, before.received);
    assert_eq!(
        after.received,
        after.messages + after.quarantined + after.duplicates
    );
    let page = app.case_page(&staff, &number).await.unwrap();
    assert_eq!(
        page.outbox,
        vec![(email.message_row, store::outbox::OutboxState::Queued)]
    );

    // The partner answers with only In-Reply-To and a subject that names nothing: it threads.
    import(
        &app,
        "answer.eml",
        &mail(
            "xuda@acer.com",
            "logs attached",
            "a2@acer.com",
            &format!("In-Reply-To: <{message_id}>\r\n"),
        ),
    )
    .await;
    let case = app.case_show(&staff, &number).await.unwrap();
    let answer = case
        .timeline
        .iter()
        .find(|e| e.email.as_ref().and_then(|m| m.message_id.as_deref()) == Some("a2@acer.com"))
        .expect("the answer is on the case");
    assert_eq!(
        answer.email.as_ref().unwrap().matched_by,
        MatchedBy::References
    );
    let stats = app.stats().await.unwrap();
    assert_eq!(
        stats.received,
        stats.messages + stats.quarantined + stats.duplicates
    );

    // A backup keeps the outbox and the tags: restored, the reply is still queued.
    app.case_tags(&staff, &number, &["logs".into()], &[])
        .await
        .unwrap();
    let backup = testkit::tempdir();
    let dest = backup.path().join("snapshot");
    app.backup(&dest).await.unwrap();
    let target = TestDb::sqlite();
    let restored = open(&target).await;
    restored.restore(&dest).await.unwrap();
    let again = restored.stats().await.unwrap();
    assert_eq!(
        (again.sent, again.outbox_queued),
        (stats.sent, stats.outbox_queued)
    );
    let page = restored.case_page(&staff, &number).await.unwrap();
    assert_eq!(page.tags, vec!["logs".to_string()]);
}

async fn the_policy_holds_for_every_caller(db: TestDb) {
    let app = open(&db).await;
    let (staff, acer, lenovo) = parties(&app).await;
    import(
        &app,
        "open.eml",
        &mail("xuda@acer.com", "系统重置失败", "g1@acer.com", ""),
    )
    .await;
    let number = app.case_list(None).await.unwrap()[0].number.clone();
    app.case_note(&staff, &number, "internal marker SECRET-NOTE")
        .await
        .unwrap();

    // Another organization's partner: no such case, for reading and for writing alike.
    for error in [
        app.case_show(&lenovo, &number).await.unwrap_err(),
        app.case_page(&lenovo, &number).await.unwrap_err(),
        app.case_note(&lenovo, &number, "x").await.unwrap_err(),
        app.case_reply(
            &lenovo,
            &number,
            app::compose::ReplyInput {
                text: "x".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap_err(),
    ] {
        assert_eq!(error.code, ErrorCode::CaseNotFound);
    }
    // The case's own partner reads it without notes, and may not write one.
    let view = app.case_show(&acer, &number).await.unwrap();
    let text = serde_json::to_string(&view).unwrap();
    assert!(!text.contains("SECRET-NOTE"));
    assert_eq!(
        app.case_note(&acer, &number, "x").await.unwrap_err().code,
        ErrorCode::Forbidden
    );
    assert_eq!(
        app.quarantine_list(&acer, true).await.unwrap_err().code,
        ErrorCode::Forbidden
    );
    assert!(!acer.may(Action::Administer, None));

    // Their portal reply enters through the intake under the guard, as public mail from them.
    let change = app
        .case_reply(
            &acer,
            &number,
            app::compose::ReplyInput {
                text: "logs are uploaded".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let email = change.entries[0].email.as_ref().unwrap();
    assert_eq!(email.matched_by, MatchedBy::Portal);
    assert_eq!(change.entries[0].kind, EntryKind::InboundEmail);
    assert_eq!(change.entries[0].visibility, Visibility::Public);
    let stats = app.stats().await.unwrap();
    assert_eq!(
        stats.sent, 0,
        "a portal reply is an arrival, not outbound mail"
    );
    assert_eq!(
        stats.received,
        stats.messages + stats.quarantined + stats.duplicates
    );

    // The live feed tells a partner only of what they may read.
    let (entries, _) = app.feed_after(&acer, 0).await.unwrap();
    let (all, _) = app.feed_after(&staff, 0).await.unwrap();
    assert!(
        entries.len() < all.len(),
        "the note is not in the partner's feed"
    );
    let (others, _) = app.feed_after(&lenovo, 0).await.unwrap();
    assert!(others.is_empty());
}

async fn a_signed_in_user_acts_with_their_role_and_organization(db: TestDb) {
    let app = open(&db).await.with_auth_settings(app::AuthSettings {
        argon2_light: true,
        ..app::AuthSettings::default()
    });
    let (staff, _, _) = parties(&app).await;
    import(
        &app,
        "open.eml",
        &mail("xuda@acer.com", "系统重置失败", "g1@acer.com", ""),
    )
    .await;
    let number = app.case_list(None).await.unwrap()[0].number.clone();
    app.case_note(&staff, &number, "internal marker SECRET-NOTE")
        .await
        .unwrap();
    app.user_add(
        app::auth::NewUser {
            login: "xuda@acer.com".into(),
            role: Role::PartnerContact,
            org: Some("Acer".into()),
            name: None,
            email: None,
            password: "correct horse battery".into(),
        },
        "cli",
    )
    .await
    .unwrap();
    let signed_in = app
        .sign_in("xuda@acer.com", "correct horse battery", "127.0.0.1")
        .await
        .unwrap();
    let actor = signed_in.session.principal.actor();
    assert!(matches!(actor.viewer(), Viewer::Partner { .. }));
    let view = app.case_show(&actor, &number).await.unwrap();
    assert!(!serde_json::to_string(&view)
        .unwrap()
        .contains("SECRET-NOTE"));
    assert_eq!(
        app.case_status(&actor, &number, Status::Cancelled, None)
            .await
            .unwrap_err()
            .code,
        ErrorCode::Forbidden
    );
}

/// The counts the triggers keep equal a count of the cases, through new cases, status changes and
/// merges, for staff and for a partner, and the integrity check agrees.
async fn the_kept_counts_match_a_count_of_the_cases(db: TestDb) {
    let app = open(&db).await;
    let (staff, acer, _) = parties(&app).await;
    let mut numbers = Vec::new();
    for i in 0..9 {
        let customer = ["Acer", "Lenovo", "Acer"][i % 3];
        let view = app
            .case_new(
                &staff,
                app::views::NewCaseInput {
                    title: format!("problem {i}"),
                    customer: customer.into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        numbers.push(view.summary.number);
    }
    app.case_status(&staff, &numbers[0], Status::InProgress, None)
        .await
        .unwrap();
    app.case_status(&staff, &numbers[3], Status::Cancelled, None)
        .await
        .unwrap();
    app.case_merge(&staff, &numbers[2], &numbers[5], true)
        .await
        .unwrap();
    // With every priority chosen, the queue counts the cases themselves.
    let every_priority = QueueInput {
        priorities: case::Priority::ALL.to_vec(),
        ..queue_input(50)
    };
    for actor in [&staff, &acer] {
        let kept = app.queue(actor, queue_input(50)).await.unwrap().counts;
        let counted = app
            .queue(actor, every_priority.clone())
            .await
            .unwrap()
            .counts;
        assert_eq!(kept, counted);
    }
    let staff_counts = app.queue(&staff, queue_input(50)).await.unwrap().counts;
    let total: u64 = staff_counts.iter().map(|c| c.count).sum();
    assert_eq!(total, 8, "the merged case no longer counts");
    let report = app
        .check(store::check::CheckOptions::default())
        .await
        .unwrap();
    assert!(report.ok(), "{report:?}");
}

testkit::backend_tests!(
    the_kept_counts_match_a_count_of_the_cases,
    the_queue_pages_by_cursor_and_counts_statuses,
    a_reply_is_stored_queued_and_threads_the_answer,
    the_policy_holds_for_every_caller,
    a_signed_in_user_acts_with_their_role_and_organization,
);
