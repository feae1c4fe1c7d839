//! SLA clocks end to end: replays of an imported thread, the sweep with a clock the test moves,
//! two instances on one database, a restart after a missed deadline, pauses, calendar imports
//! and signed webhooks.

use std::sync::Arc;

use app::views::NewCaseInput;
use app::{Actor, App, IntakeConfig, ManualClock, OpenMode, StoreConfig};
use case::{EntryKind, Priority, Role, Status};
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use testkit::TestDb;

use crate::auth::new_user;

const MODEL_POLICY: &str = r#"
[calendar]
zone = "Asia/Shanghai"
workdays = ["Mon", "Tue", "Wed", "Thu", "Fri"]
hours = "09:00-18:00"
holidays = ["2021-04-05", "2021-05-03"]
extra_workdays = ["2021-04-25", "2021-05-08"]

[[rule]]
name = "idle"
measure = "idle"              # idle | update | first_response | resolution | open
after = "10d"                 # d = calendar days, bd = business days, h = hours, bh = business hours
priorities = ["P1", "P2", "P3", "P4"]
action = "notify_owner"       # notify_owner | escalate_manager | raise_priority | note | webhook

[[rule]]
name = "stale"
measure = "open"
after = "20d"
action = "escalate_manager"
"#;

/// A live team's policy: an idle case warns its owner after a day and breaches after two; a case
/// open five days goes to the managers and up one priority.
const LIVE_POLICY: &str = r#"
[[rule]]
name = "idle"
measure = "idle"
after = "2d"
warn_at = 0.5
action = "notify_owner"

[[rule]]
name = "stale"
measure = "open"
after = "5d"
action = ["escalate_manager", "raise_priority"]
"#;

struct Instance {
    app: Arc<App>,
    clock: ManualClock,
}

fn start() -> DateTime<Utc> {
    // Monday 2026-03-02 09:00 Shanghai.
    Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 0).unwrap()
}

async fn instance(db: &TestDb, at: DateTime<Utc>) -> Instance {
    let clock = ManualClock::new(at);
    let app = App::open(
        &StoreConfig {
            database_url: db.database_url.clone(),
            ..StoreConfig::in_dir(db.data_dir())
        },
        OpenMode::Create,
        IntakeConfig {
            intake_addresses: vec!["support@cmgos.com".parse().unwrap()],
            ..IntakeConfig::default()
        },
        Box::new(clock.clone()),
        chrono_tz::Asia::Shanghai,
    )
    .await
    .unwrap()
    .with_auth_settings(app::AuthSettings {
        argon2_light: true,
        ..app::AuthSettings::default()
    });
    Instance {
        app: Arc::new(app),
        clock,
    }
}

/// CMGOS staff with a manager (mail in English) and an engineer, Acer as the customer.
async fn team(app: &App) -> Actor {
    app.org_add("CMGOS", &["cmgos.com".into()], true)
        .await
        .unwrap();
    app.org_add("Acer", &["acer.com".into()], false)
        .await
        .unwrap();
    let mut manager = new_user("carl@cmgos.com", Role::Manager, Some("CMGOS"));
    manager.name = Some("Carl Liu".into());
    let manager = app.user_add(manager, "cli").await.unwrap();
    app.user_set_preferences(manager.id, Some(app::Lang::En), None)
        .await
        .unwrap();
    let engineer = app
        .user_add(
            new_user("liqi@cmgos.com", Role::Engineer, Some("CMGOS")),
            "cli",
        )
        .await
        .unwrap();
    app.user_set_preferences(engineer.id, Some(app::Lang::ZhCn), None)
        .await
        .unwrap();
    Actor {
        name: "liqi".into(),
        person_id: Some(engineer.person_id),
        caller: app::Caller {
            role: Role::Engineer,
            viewer: app::Viewer::Staff,
        },
    }
}

async fn open_case(app: &App, engineer: &Actor) -> String {
    let view = app
        .case_new(
            engineer,
            NewCaseInput {
                title: "系统重置失败".into(),
                customer: "Acer".into(),
                new_org: false,
                priority: Some(Priority::P3),
                stage: None,
                product: None,
                version: None,
            },
        )
        .await
        .unwrap();
    let number = view.summary.number.clone();
    app.case_assign(engineer, &number, "liqi@cmgos.com")
        .await
        .unwrap();
    number
}

fn fired(report: &app::sla::SweepReport) -> Vec<(String, String)> {
    report
        .fired
        .iter()
        .map(|f| (f.rule.clone(), f.level.clone()))
        .collect()
}

/// The SLA entries on a case: kind and time.
async fn sla_entries(app: &App, number: &str) -> Vec<(EntryKind, String)> {
    app.case_show(&Actor::operator(), number)
        .await
        .unwrap()
        .timeline
        .into_iter()
        .filter(|e| matches!(e.kind, EntryKind::SlaWarning | EntryKind::SlaBreach))
        .map(|e| (e.kind, e.at))
        .collect()
}

/// SLA mail in the outbox: recipients and subject.
async fn sla_mail(app: &App) -> Vec<(Vec<String>, String)> {
    app.outbox_queued(100)
        .await
        .unwrap()
        .into_iter()
        .filter(|(record, _)| record.purpose == "sla")
        .map(|(record, raw)| {
            let parsed = mail_parser::MessageParser::default().parse(&raw).unwrap();
            (
                record.recipients,
                parsed.subject().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

async fn the_model_case_replays_to_idle_and_stale_the_day_before_the_manager_wrote(db: TestDb) {
    let one = instance(&db, start()).await;
    let text = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/sla/model-case.txt"
    ))
    .unwrap();
    let (_dir, path) = testkit::fixture("model-case.txt", &text);
    one.app.import(&[path], None, &mut |_| {}).await.unwrap();
    let manager_wrote = DateTime::parse_from_rfc3339("2021-03-26T13:41:48.740Z")
        .unwrap()
        .with_timezone(&Utc);
    let operator = Actor::operator();
    let firings = one
        .app
        .sla_replay(
            &operator,
            "CAS-04120-K2M8Q5",
            Some(MODEL_POLICY),
            Some(manager_wrote),
        )
        .await
        .unwrap();
    let json = serde_json::to_value(&firings).unwrap();
    let got: Vec<(String, String, String, String, String)> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let field = |k: &str| f[k].as_str().unwrap().to_string();
            (
                field("rule"),
                field("action"),
                field("level"),
                field("at"),
                field("measure"),
            )
        })
        .collect();
    let row = |rule: &str, action: &str, level: &str, at: &str, measure: &str| {
        (
            rule.to_string(),
            action.to_string(),
            level.to_string(),
            at.to_string(),
            measure.to_string(),
        )
    };
    assert_eq!(
        got,
        vec![
            row(
                "idle",
                "notify_owner",
                "breach",
                "2021-03-25T11:41:00.194Z",
                "idle"
            ),
            row(
                "stale",
                "escalate_manager",
                "breach",
                "2021-03-25T17:05:26.201Z",
                "open"
            ),
        ]
    );
    let warned = MODEL_POLICY.replace(
        "action = \"notify_owner\"",
        "action = \"notify_owner\"\nwarn_at = 0.8",
    );
    let firings = one
        .app
        .sla_replay(
            &operator,
            "CAS-04120-K2M8Q5",
            Some(&warned),
            Some(manager_wrote),
        )
        .await
        .unwrap();
    let got: Vec<(String, String)> = firings
        .iter()
        .map(|f| (f.rule.clone(), f.at.clone()))
        .collect();
    assert_eq!(
        got,
        [
            ("idle", "2021-03-13T17:05:26.201Z"),
            ("idle", "2021-03-23T11:41:00.194Z"),
            ("idle", "2021-03-25T11:41:00.194Z"),
            ("stale", "2021-03-25T17:05:26.201Z")
        ]
        .map(|(r, a)| (r.to_string(), a.to_string()))
        .to_vec()
    );
    // Set as the active policy, the old history fires nothing now, but the case shows as breached.
    one.app
        .sla_policy_set(&operator, MODEL_POLICY)
        .await
        .unwrap();
    let report = one.app.sla_sweep("one", u64::MAX).await.unwrap();
    assert!(report.fired.is_empty(), "{report:?}");
    let status = one.app.sla_status(&operator, 10).await.unwrap();
    assert_eq!(
        status
            .breached
            .iter()
            .map(|c| c.number.as_str())
            .collect::<Vec<_>>(),
        vec!["CAS-04120-K2M8Q5"]
    );
    let totals = one
        .app
        .sla_replay_all(
            &operator,
            manager_wrote - TimeDelta::days(60),
            Some(&warned),
            Some(manager_wrote),
        )
        .await
        .unwrap();
    assert_eq!((totals.cases, totals.firings), (1, 4));
    assert_eq!(
        (
            totals.rules["idle"].warning,
            totals.rules["idle"].breach,
            totals.rules["stale"].breach
        ),
        (2, 1, 1)
    );
}

async fn the_sweep_fires_each_threshold_once_on_time(db: TestDb) {
    let one = instance(&db, start()).await;
    let engineer = team(&one.app).await;
    one.app
        .sla_policy_set(&Actor::operator(), LIVE_POLICY)
        .await
        .unwrap();
    let number = open_case(&one.app, &engineer).await;
    let report = one.app.sla_sweep("one", u64::MAX).await.unwrap();
    assert!(report.fired.is_empty());
    // The next look is due at the idle warning, a day after the last activity (the assignment
    // is not one: the opening is).
    assert_eq!(
        report.next_check.as_deref(),
        Some("2026-03-03T01:00:00.000Z")
    );

    one.clock.advance(TimeDelta::hours(23));
    assert!(
        one.app
            .sla_sweep("one", u64::MAX)
            .await
            .unwrap()
            .fired
            .is_empty(),
        "not due yet"
    );
    one.clock.advance(TimeDelta::hours(1));
    assert_eq!(
        fired(&one.app.sla_sweep("one", u64::MAX).await.unwrap()),
        vec![("idle".into(), "warning".into())]
    );
    assert!(
        one.app
            .sla_sweep("one", u64::MAX)
            .await
            .unwrap()
            .fired
            .is_empty(),
        "once"
    );
    let mail = sla_mail(&one.app).await;
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].0, vec!["liqi@cmgos.com".to_string()], "the owner");
    assert!(
        mail[0].1.starts_with("[SLA 预警：idle]") && mail[0].1.contains(&number),
        "in the owner's language and the case's subject form: {}",
        mail[0].1
    );

    one.app
        .user_notices("liqi@cmgos.com", &["sla".to_string()], &[])
        .await
        .unwrap();
    // A note is activity: the idle clock starts again, so its breach moves.
    one.app
        .case_note(&engineer, &number, "asked Acer for the logs")
        .await
        .unwrap();
    one.clock.advance(TimeDelta::days(1));
    let report = one.app.sla_sweep("one", u64::MAX).await.unwrap();
    assert_eq!(
        fired(&report),
        vec![("idle".into(), "warning".into())],
        "a new episode warns again"
    );
    // The owner turned SLA notices off meanwhile: the second warning is on the timeline only.
    let owner_mail = |mail: &[(Vec<String>, String)]| {
        mail.iter()
            .filter(|(to, _)| to == &vec!["liqi@cmgos.com".to_string()])
            .count()
    };
    assert_eq!(
        owner_mail(&sla_mail(&one.app).await),
        1,
        "no new mail to the owner"
    );
    one.clock.advance(TimeDelta::days(1));
    assert_eq!(
        fired(&one.app.sla_sweep("one", u64::MAX).await.unwrap()),
        vec![("idle".into(), "breach".into())]
    );

    // Five days open: the managers are mailed and the priority goes up one step.
    one.clock.advance(TimeDelta::days(3));
    let report = one.app.sla_sweep("one", u64::MAX).await.unwrap();
    assert_eq!(fired(&report), vec![("stale".into(), "breach".into())]);
    let case = one
        .app
        .case_show(&Actor::operator(), &number)
        .await
        .unwrap();
    assert_eq!(case.summary.priority, Priority::P2);
    let mail = sla_mail(&one.app).await;
    let escalation = mail
        .iter()
        .find(|(to, _)| to == &vec!["carl@cmgos.com".to_string()])
        .expect("the manager is mailed");
    assert!(
        escalation.1.starts_with("[SLA breach: stale]"),
        "{}",
        escalation.1
    );
    // The raise refolded the case and fired nothing again.
    one.clock.advance(TimeDelta::minutes(1));
    assert!(one
        .app
        .sla_sweep("one", u64::MAX)
        .await
        .unwrap()
        .fired
        .is_empty());
    let entries = sla_entries(&one.app, &number).await;
    assert_eq!(entries.len(), 4, "{entries:?}");
    assert_eq!(
        entries[0],
        (
            EntryKind::SlaWarning,
            "2026-03-03T01:00:00.000Z".to_string()
        ),
        "recorded at the time it was due"
    );
    let sla = case.sla.expect("clocks on the case");
    assert!(sla.breached);
    assert_eq!(
        sla.clocks
            .iter()
            .map(|c| (c.rule.as_str(), c.breached))
            .collect::<Vec<_>>(),
        vec![("idle", true), ("stale", true)]
    );
}

async fn two_instances_fire_each_escalation_exactly_once(db: TestDb) {
    let one = instance(&db, start()).await;
    let two = instance(&db, start()).await;
    let engineer = team(&one.app).await;
    one.app
        .sla_policy_set(&Actor::operator(), LIVE_POLICY)
        .await
        .unwrap();
    let mut numbers = Vec::new();
    for _ in 0..5 {
        numbers.push(open_case(&one.app, &engineer).await);
    }
    for clock in [&one.clock, &two.clock] {
        clock.advance(TimeDelta::days(6));
    }
    let (a, b) = tokio::join!(
        one.app.sla_sweep("one", u64::MAX),
        two.app.sla_sweep("two", u64::MAX)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert!(
        a.skipped != b.skipped,
        "one instance holds the sweep: {a:?} {b:?}"
    );
    // The other takes over once the lease runs out, and finds everything done.
    for clock in [&one.clock, &two.clock] {
        clock.advance(TimeDelta::minutes(2));
    }
    let (c, d) = tokio::join!(
        two.app.sla_sweep("two", u64::MAX),
        one.app.sla_sweep("one", u64::MAX)
    );
    let total: usize = [a, b, c.unwrap(), d.unwrap()]
        .iter()
        .map(|r| r.fired.len())
        .sum();
    // Per case: idle warning, idle breach, stale breach.
    assert_eq!(total, 15);
    for number in &numbers {
        assert_eq!(sla_entries(&one.app, number).await.len(), 3, "{number}");
    }
    assert_eq!(
        sla_mail(&one.app).await.len(),
        15,
        "idle mail to the owner twice and the escalation to the manager, per case"
    );
}

async fn a_deadline_missed_while_no_server_ran_fires_once_on_restart(db: TestDb) {
    let number;
    {
        let one = instance(&db, start()).await;
        let engineer = team(&one.app).await;
        one.app
            .sla_policy_set(&Actor::operator(), LIVE_POLICY)
            .await
            .unwrap();
        number = open_case(&one.app, &engineer).await;
        one.app.sla_sweep("one", u64::MAX).await.unwrap();
        one.app.close().await;
    }
    // Ten days later a new instance starts.
    let two = instance(&db, start() + TimeDelta::days(10)).await;
    let report = two.app.sla_sweep("two", u64::MAX).await.unwrap();
    let mut got = fired(&report);
    got.sort();
    assert_eq!(
        got,
        vec![
            ("idle".into(), "breach".into()),
            ("idle".into(), "warning".into()),
            ("stale".into(), "breach".into())
        ]
    );
    let entries = sla_entries(&two.app, &number).await;
    assert_eq!(
        entries.iter().map(|e| e.1.as_str()).collect::<Vec<_>>(),
        vec![
            "2026-03-03T01:00:00.000Z",
            "2026-03-04T01:00:00.000Z",
            "2026-03-07T01:00:00.000Z"
        ],
        "each at the time it was due"
    );
    two.clock.advance(TimeDelta::minutes(5));
    assert!(two
        .app
        .sla_sweep("two", u64::MAX)
        .await
        .unwrap()
        .fired
        .is_empty());
}

async fn waiting_on_the_customer_pauses_the_clocks(db: TestDb) {
    let one = instance(&db, start()).await;
    let engineer = team(&one.app).await;
    let policy = "[[rule]]\nname = \"resolve\"\nmeasure = \"resolution\"\nafter = \"3d\"\naction = \"note\"\n";
    one.app
        .sla_policy_set(&Actor::operator(), policy)
        .await
        .unwrap();
    let number = open_case(&one.app, &engineer).await;
    one.clock.advance(TimeDelta::days(1));
    one.app
        .case_status(&engineer, &number, Status::WaitingOnCustomer, None)
        .await
        .unwrap();
    one.app.sla_sweep("one", u64::MAX).await.unwrap();
    one.clock.advance(TimeDelta::days(10));
    let report = one.app.sla_sweep("one", u64::MAX).await.unwrap();
    assert!(report.fired.is_empty(), "paused");
    let clocks = one
        .app
        .case_show(&Actor::operator(), &number)
        .await
        .unwrap()
        .sla
        .unwrap()
        .clocks;
    assert_eq!(
        (clocks[0].status, clocks[0].due_at.clone()),
        (sla::ClockStatus::Paused, None)
    );
    one.app
        .case_status(&engineer, &number, Status::InProgress, None)
        .await
        .unwrap();
    let report = one.app.sla_sweep("one", u64::MAX).await.unwrap();
    // One day counted before the pause: two more after resuming.
    assert_eq!(
        report.next_check.as_deref(),
        Some("2026-03-15T01:00:00.000Z")
    );
    one.clock.advance(TimeDelta::days(2));
    assert_eq!(
        fired(&one.app.sla_sweep("one", u64::MAX).await.unwrap()),
        vec![("resolve".into(), "breach".into())]
    );
}

async fn an_imported_calendar_moves_business_deadlines(db: TestDb) {
    let one = instance(&db, start()).await;
    let engineer = team(&one.app).await;
    let policy = "[calendar]\nzone = \"Asia/Shanghai\"\n\n[[rule]]\nname = \"reply\"\nmeasure = \"first_response\"\nafter = \"2bd\"\naction = \"note\"\n";
    one.app
        .sla_policy_set(&Actor::operator(), policy)
        .await
        .unwrap();
    let number = open_case(&one.app, &engineer).await;
    let due = |app: Arc<App>, number: String| async move {
        app.case_show(&Actor::operator(), &number)
            .await
            .unwrap()
            .sla
            .unwrap()
            .clocks[0]
            .due_at
            .clone()
    };
    // Opened Monday 09:00: two working days end Tuesday 18:00 (10:00 UTC).
    assert_eq!(
        due(one.app.clone(), number.clone()).await.as_deref(),
        Some("2026-03-03T10:00:00.000Z")
    );
    let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:a\r\nSUMMARY:day off\r\nDTSTART;VALUE=DATE:20260303\r\nDTEND;VALUE=DATE:20260304\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let imported = one
        .app
        .calendar_import(
            &Actor::operator(),
            ics,
            app::sla::DayKind::Holidays,
            "off.ics",
        )
        .await
        .unwrap();
    assert_eq!((imported.days, imported.added), (1, 1));
    assert_eq!(
        due(one.app.clone(), number.clone()).await.as_deref(),
        Some("2026-03-04T10:00:00.000Z"),
        "Tuesday is off now"
    );
    let report = one.app.sla_sweep("one", u64::MAX).await.unwrap();
    assert_eq!(
        report.next_check.as_deref(),
        Some("2026-03-04T10:00:00.000Z")
    );
    let refused = one
        .app
        .calendar_import(
            &Actor::operator(),
            "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
            app::sla::DayKind::Holidays,
            "x.ics",
        )
        .await
        .unwrap_err();
    assert_eq!(
        app::i18n::error_id(refused.code, &refused.details),
        "invalid-calendar_invalid"
    );
}

async fn policies_are_checked_and_only_admins_set_them(db: TestDb) {
    let one = instance(&db, start()).await;
    let engineer = team(&one.app).await;
    let error = one
        .app
        .sla_policy_set(
            &Actor::operator(),
            "[[rule]]\nname = \"x\"\nmeasure = \"idle\"\nafter = \"ten days\"\naction = \"note\"\n",
        )
        .await
        .unwrap_err();
    assert_eq!(error.details["line"], "4");
    assert_eq!(error.details["key"], "rule.after");
    assert!(
        error
            .message(app::Lang::ZhCn)
            .starts_with("SLA 策略无效：第 4 行"),
        "{}",
        error.message(app::Lang::ZhCn)
    );
    assert_eq!(
        one.app
            .sla_policy_set(&engineer, LIVE_POLICY)
            .await
            .unwrap_err()
            .code,
        app::ErrorCode::Forbidden
    );
    assert!(one.app.sla_policy_show(&engineer).await.unwrap().is_none());
    let view = one
        .app
        .sla_policy_set(&Actor::operator(), LIVE_POLICY)
        .await
        .unwrap();
    assert_eq!(view.version, 1);
    assert_eq!(
        one.app
            .sla_policy_set(&Actor::operator(), MODEL_POLICY)
            .await
            .unwrap()
            .version,
        2
    );
    assert_eq!(
        one.app
            .sla_policy_show(&engineer)
            .await
            .unwrap()
            .map(|v| v.rules.len()),
        Some(2)
    );
}

async fn every_open_case_is_evaluated_alike_from_its_deadlines_and_from_its_state(db: TestDb) {
    let one = instance(&db, start()).await;
    let engineer = team(&one.app).await;
    one.app
        .sla_policy_set(&Actor::operator(), LIVE_POLICY)
        .await
        .unwrap();
    open_case(&one.app, &engineer).await; // breached at five days
    one.clock.advance(TimeDelta::hours(4 * 24 + 12));
    open_case(&one.app, &engineer).await; // idle past half its limit: at risk
    one.clock.advance(TimeDelta::days(1));
    let fine = open_case(&one.app, &engineer).await;
    one.clock.advance(TimeDelta::hours(1));
    one.app.sla_sweep("one", u64::MAX).await.unwrap();
    let operator = Actor::operator();
    let kept = one.app.sla_deadlines_all(&operator, 2).await.unwrap();
    let folded = one.app.sla_evaluate_all(&operator, 2).await.unwrap();
    assert_eq!(
        (kept.cases, kept.breached, kept.at_risk, kept.due_now),
        (3, 1, 1, 0)
    );
    assert_eq!(
        (
            folded.cases,
            folded.breached,
            folded.at_risk,
            folded.refolded
        ),
        (3, 1, 1, 0)
    );
    // A change since the sweep: the deadlines count it as due, the evaluation folds it.
    one.app
        .case_note(&engineer, &fine, "a change")
        .await
        .unwrap();
    assert_eq!(
        one.app
            .sla_deadlines_all(&operator, 2)
            .await
            .unwrap()
            .due_now,
        1
    );
    let folded = one.app.sla_evaluate_all(&operator, 2).await.unwrap();
    assert_eq!(
        (
            folded.cases,
            folded.breached,
            folded.at_risk,
            folded.refolded
        ),
        (3, 1, 1, 1)
    );
}

/// A one-answer-per-connection HTTP server on loopback: answers every request with `answer` and
/// hands back what it received.
async fn http_server(answer: String) -> (String, tokio::sync::mpsc::UnboundedReceiver<String>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut request = Vec::new();
            let mut buffer = [0u8; 4096];
            loop {
                let n = socket.read(&mut buffer).await.unwrap_or(0);
                if n == 0 {
                    break;
                }
                request.extend_from_slice(&buffer[..n]);
                let text = String::from_utf8_lossy(&request).to_string();
                if let Some(end) = text.find("\r\n\r\n") {
                    let length = text[..end]
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if request.len() >= end + 4 + length {
                        break;
                    }
                }
            }
            let _ = sender.send(String::from_utf8_lossy(&request).to_string());
            let _ = socket.write_all(answer.as_bytes()).await;
        }
    });
    (url, receiver)
}

async fn a_webhook_is_posted_signed_and_never_follows_a_redirect(db: TestDb) {
    use hmac::Mac;
    let (url, mut received) =
        http_server("HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".into())
            .await;
    let moved = format!(
        "HTTP/1.1 302 Found\r\nlocation: {url}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
    );
    let (moved_url, mut moved_received) = http_server(moved).await;
    let mut one = instance(&db, start()).await;
    one.app = Arc::new(
        Arc::try_unwrap(one.app)
            .ok()
            .unwrap()
            .with_sla(app::sla::SlaSettings {
                webhook_secret: Some("s3cret".into()),
                ..Default::default()
            }),
    );
    let engineer = team(&one.app).await;
    let policy = format!(
        "[[rule]]\nname = \"hook\"\nmeasure = \"open\"\nafter = \"1h\"\naction = [\"note\", \"webhook\"]\nwebhook = \"{url}\"\n\n[[rule]]\nname = \"moved\"\nmeasure = \"open\"\nafter = \"2h\"\naction = \"webhook\"\nwebhook = \"{moved_url}\"\n"
    );
    one.app
        .sla_policy_set(&Actor::operator(), &policy)
        .await
        .unwrap();
    let number = open_case(&one.app, &engineer).await;
    one.clock.advance(TimeDelta::hours(3));
    assert_eq!(
        one.app
            .sla_sweep("one", u64::MAX)
            .await
            .unwrap()
            .fired
            .len(),
        2
    );
    let report = one.app.run_jobs("one", 10).await.unwrap();
    // The recompute job of the new policy, the good webhook; the redirect fails for good.
    assert_eq!((report.done, report.failed), (2, 1), "{report:?}");
    let request = received.recv().await.unwrap();
    let (head, body) = request.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("POST /hook HTTP/1.1"), "{head}");
    let signature = head
        .lines()
        .find_map(|l| l.strip_prefix("x-casebook-signature: sha256="))
        .expect("signed");
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"s3cret").unwrap();
    mac.update(body.as_bytes());
    assert_eq!(signature, hex::encode(mac.finalize().into_bytes()));
    let json: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(
        (
            json["event"].as_str(),
            json["case"].as_str(),
            json["rule"].as_str()
        ),
        (Some("sla_breach"), Some(number.as_str()), Some("hook"))
    );
    assert!(
        moved_received.recv().await.is_some(),
        "the redirecting server was asked once"
    );
    assert!(
        received.try_recv().is_err(),
        "the redirect was not followed"
    );
}

testkit::backend_tests!(
    every_open_case_is_evaluated_alike_from_its_deadlines_and_from_its_state,
    a_webhook_is_posted_signed_and_never_follows_a_redirect,
    the_model_case_replays_to_idle_and_stale_the_day_before_the_manager_wrote,
    the_sweep_fires_each_threshold_once_on_time,
    two_instances_fire_each_escalation_exactly_once,
    a_deadline_missed_while_no_server_ran_fires_once_on_restart,
    waiting_on_the_customer_pauses_the_clocks,
    an_imported_calendar_moves_business_deadlines,
    policies_are_checked_and_only_admins_set_them,
);
