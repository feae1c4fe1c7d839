//! Live updates over server-sent events, on one instance and across two on one PostgreSQL.

use std::sync::Arc;
use std::time::Duration;

use testkit::TestDb;

use crate::harness::{open_app_at, world};

/// Reads the stream until `wanted` appears or 10 s pass; returns everything read.
async fn read_until(response: &mut reqwest::Response, wanted: &str) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let mut seen = String::new();
    while !seen.contains(wanted) {
        match tokio::time::timeout_at(deadline, response.chunk()).await {
            Ok(Ok(Some(chunk))) => seen.push_str(&String::from_utf8_lossy(&chunk)),
            _ => break,
        }
    }
    seen
}

async fn a_note_reaches_the_stream_and_a_partner_hears_only_their_own(db: TestDb) {
    let w = world(db).await;
    let client = reqwest::Client::new();
    let base = &w.server.base;
    let open = |token: &str| {
        client
            .get(format!("{base}/events"))
            .bearer_auth(token)
            .send()
    };
    let mut staff = open(&w.engineer_token).await.unwrap();
    let mut acer = open(&w.acer_token).await.unwrap();
    assert_eq!(staff.status(), 200);
    assert!(read_until(&mut staff, "event: ready")
        .await
        .contains("ready"));
    assert!(read_until(&mut acer, "event: ready")
        .await
        .contains("ready"));
    let engineer = w
        .server
        .app
        .actor_for_contact("engineer@cmgos.com")
        .await
        .unwrap();
    // An internal note on Acer's case and anything on Lenovo's stay out of Acer's stream; a
    // public reply on Acer's case reaches it.
    w.server
        .app
        .case_note(&engineer, &w.lenovo_case, "a note")
        .await
        .unwrap();
    let note = w
        .server
        .app
        .case_note(&engineer, &w.acer_case, "an internal note")
        .await
        .unwrap();
    let reply = w
        .server
        .app
        .case_reply(
            &engineer,
            &w.acer_case,
            app::compose::ReplyInput {
                text: "Please collect the logs.".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let note_id = note.entries[0].id;
    let reply_id = reply.entries[0].id;
    let staff_saw = read_until(&mut staff, &format!("\"entry\":{reply_id}")).await;
    assert!(
        staff_saw.contains(&format!("\"entry\":{note_id}")),
        "{staff_saw}"
    );
    assert!(staff_saw.contains(&w.lenovo_case), "{staff_saw}");
    let acer_saw = read_until(&mut acer, &format!("\"entry\":{reply_id}")).await;
    assert!(
        acer_saw.contains(&format!("\"entry\":{reply_id}")),
        "{acer_saw}"
    );
    assert!(!acer_saw.contains(&w.lenovo_case), "{acer_saw}");
    assert!(
        !acer_saw.contains(&format!("\"entry\":{note_id}")),
        "{acer_saw}"
    );
}

async fn the_composer_warns_of_another_writer(db: TestDb) {
    let w = world(db).await;
    let base = &w.server.base;
    let (admin, admin_csrf) = crate::harness::sign_in(base, "admin@cmgos.com").await;
    let (engineer, engineer_csrf) = crate::harness::sign_in(base, "engineer@cmgos.com").await;
    let ping = |client: &reqwest::Client, csrf: &str| {
        client
            .post(format!("{base}/cases/{}/composing", w.acer_case))
            .header("x-csrf-token", csrf)
            .send()
    };
    let first: serde_json::Value = ping(&admin, &admin_csrf)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(first["others"], serde_json::json!([]));
    let second: serde_json::Value = ping(&engineer, &engineer_csrf)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(second["others"], serde_json::json!(["Ada Admin"]));
}

/// Two instances on one database: a session made on one works on the other, and a note written
/// through one reaches the other's stream (LISTEN/NOTIFY, not memory).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_sessions_and_the_live_feed() {
    let w = world(TestDb::postgres().await).await;
    let db = w.server.db.as_ref().unwrap();
    let second_app = open_app_at(db.data_dir(), db.database_url.clone()).await;
    // The second instance would look again only after a minute: the note can reach its stream
    // within the deadline only through LISTEN/NOTIFY.
    let second = crate::harness::serve_with(Arc::new(second_app), None, |config| {
        config.listen_fallback = Duration::from_secs(60);
    })
    .await;
    let (client, csrf) = crate::harness::sign_in(&w.server.base, "engineer@cmgos.com").await;
    let me = client
        .get(format!("{}/api/v1/me", second.base))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200, "the session made on A works on B");
    let mut stream = client
        .get(format!("{}/events?case={}", second.base, w.acer_case))
        .send()
        .await
        .unwrap();
    assert!(read_until(&mut stream, "event: ready")
        .await
        .contains("ready"));
    let written = client
        .post(format!(
            "{}/api/v1/cases/{}/notes",
            w.server.base, w.acer_case
        ))
        .header("x-csrf-token", &csrf)
        .json(&serde_json::json!({"text": "written on A"}))
        .send()
        .await
        .unwrap();
    assert_eq!(written.status(), 201);
    let entry = written.json::<serde_json::Value>().await.unwrap()["entries"][0]["id"]
        .as_i64()
        .unwrap();
    let started = std::time::Instant::now();
    let seen = read_until(&mut stream, &format!("\"entry\":{entry}")).await;
    assert!(seen.contains(&format!("\"entry\":{entry}")), "{seen}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the note took {:?}: it came by polling, not by notification",
        started.elapsed()
    );
}

testkit::backend_tests!(
    a_note_reaches_the_stream_and_a_partner_hears_only_their_own,
    the_composer_warns_of_another_writer
);
