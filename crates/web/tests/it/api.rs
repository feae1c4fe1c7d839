//! The REST API and the session layer over HTTP: problem documents, the OpenAPI snapshot,
//! cookies and CSRF, and one command through every interface.

use serde_json::{json, Value};
use testkit::TestDb;

use crate::harness::{sign_in, world};

async fn errors_are_problem_documents_in_the_callers_language(db: TestDb) {
    let w = world(db).await;
    let client = reqwest::Client::new();
    let base = &w.server.base;
    let response = client
        .get(format!("{base}/api/v1/cases/CAS-99999-ZZZZZZ"))
        .bearer_auth(&w.engineer_token)
        .header("accept-language", "zh-CN,zh;q=0.9")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["code"], "case_not_found");
    assert_eq!(problem["status"], 404);
    assert_eq!(problem["type"], "urn:casebook:error:case_not_found");
    assert!(problem["detail"]
        .as_str()
        .unwrap()
        .contains("CAS-99999-ZZZZZZ"));
    assert_eq!(problem["message"], problem["detail"]);
    // The message is Chinese for a Chinese reader; identifiers stay as they are.
    assert!(
        problem["message"]
            .as_str()
            .unwrap()
            .chars()
            .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "{problem}"
    );
    // A body that is not the documented JSON says what is wrong.
    let response = client
        .post(format!("{base}/api/v1/cases/{}/notes", w.acer_case))
        .bearer_auth(&w.engineer_token)
        .header("content-type", "application/json")
        .body("{\"txt\": 1}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["code"], "bad_request");
    assert!(
        problem["detail"].as_str().unwrap().contains("txt"),
        "{problem}"
    );
    // Not signed in.
    let response = client
        .get(format!("{base}/api/v1/me"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

async fn a_case_is_worked_through_the_api(db: TestDb) {
    let w = world(db).await;
    let client = reqwest::Client::new();
    let base = &w.server.base;
    let token = &w.engineer_token;
    let post = |path: String, body: Value| {
        client
            .post(format!("{base}{path}"))
            .bearer_auth(token)
            .json(&body)
            .send()
    };
    let created: Value = post(
        "/api/v1/cases".into(),
        json!({"title": "Recovery partition missing", "customer": "Acer", "priority": "P2"}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let number = created["number"].as_str().unwrap().to_string();
    assert_eq!(created["priority"], "P2");
    let note = post(
        format!("/api/v1/cases/{number}/notes"),
        json!({"text": "checked the image"}),
    )
    .await
    .unwrap();
    assert_eq!(note.status(), 201);
    let added = post(
        format!("/api/v1/cases/{number}/participants"),
        json!({"address": "xuda@acer.com"}),
    )
    .await
    .unwrap();
    assert_eq!(added.status(), 200);
    let reply = post(
        format!("/api/v1/cases/{number}/replies"),
        json!({"text": "Please send the logs.", "cc": []}),
    )
    .await
    .unwrap();
    assert_eq!(reply.status(), 201, "{:?}", reply.text().await);
    let status = post(
        format!("/api/v1/cases/{number}/status"),
        json!({"status": "in_progress"}),
    )
    .await
    .unwrap();
    assert_eq!(status.status(), 200);
    let refused = post(
        format!("/api/v1/cases/{number}/status"),
        json!({"status": "archived", "summary": "nothing"}),
    )
    .await
    .unwrap();
    assert_eq!(
        refused.status(),
        422,
        "archiving needs its summary sections"
    );
    let patched: Value = client
        .patch(format!("{base}/api/v1/cases/{number}"))
        .bearer_auth(token)
        .json(&json!({"stage": "分析", "add_tags": ["recovery"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(patched["stage"], "分析");
    assert_eq!(patched["tags"], json!(["recovery"]));
    let case: Value = client
        .get(format!("{base}/api/v1/cases/{number}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kinds: Vec<&str> = case["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"note"), "{kinds:?}");
    assert!(kinds.contains(&"outbound_email"), "{kinds:?}");
    assert!(kinds.contains(&"status_change"), "{kinds:?}");
    assert_eq!(case["status"], "in_progress");
    assert!(case["outbox"]
        .as_object()
        .unwrap()
        .values()
        .all(|s| s == "queued"));
    // The tracking token finds the case too.
    let token_label = case["tracking_token"].as_str().unwrap();
    let by_token = client
        .get(format!("{base}/api/v1/cases/{token_label}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(by_token.status(), 200);
    // The admin's API lists users; an engineer's token may not.
    for (token, expected) in [(&w.admin_token, 200), (&w.engineer_token, 403)] {
        let users = client
            .get(format!("{base}/api/v1/users"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(users.status(), expected);
    }
}

async fn cookies_need_the_csrf_token_and_sessions_end_on_the_server(db: TestDb) {
    let w = world(db).await;
    let base = &w.server.base;
    let (client, csrf) = sign_in(base, "engineer@cmgos.com").await;
    let note = |token: Option<&str>, site: Option<&str>| {
        let mut request = client
            .post(format!("{base}/cases/{}/notes", w.acer_case))
            .form(&[("text", "from the form")]);
        if let Some(token) = token {
            request = request.header("x-csrf-token", token);
        }
        if let Some(site) = site {
            request = request.header("sec-fetch-site", site);
        }
        request.send()
    };
    assert_eq!(note(None, None).await.unwrap().status(), 403);
    assert_eq!(note(Some("wrong"), None).await.unwrap().status(), 403);
    assert_eq!(
        note(Some(&csrf), Some("cross-site"))
            .await
            .unwrap()
            .status(),
        403,
        "another site's request is refused even with the token"
    );
    assert_eq!(note(Some(&csrf), None).await.unwrap().status(), 303);
    // The token in the form field works as well.
    let form = client
        .post(format!("{base}/cases/{}/notes", w.acer_case))
        .form(&[("text", "second"), ("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 303);
    // The cookie's attributes.
    let (_, fresh) = {
        let response = crate::harness::browser()
            .post(format!("{base}/signin"))
            .form(&[
                ("login", "engineer@cmgos.com"),
                ("password", crate::harness::PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        let cookie = response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .to_string();
        (response, cookie)
    };
    assert!(
        fresh.contains("HttpOnly") && fresh.contains("SameSite=Lax"),
        "{fresh}"
    );
    // Signing out ends the session on the server: the old cookie no longer works.
    let signout = client
        .post(format!("{base}/signout"))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(signout.status(), 303);
    let after = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{base}/api/v1/me"))
        .header("cookie", fresh.split(';').next().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 200, "the other session still works");
    let me = client
        .get(format!("{base}/api/v1/me"))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 401, "the signed-out session does not");
}

async fn an_admin_hands_out_a_one_time_link_and_manages_users(db: TestDb) {
    let w = world(db).await;
    let base = &w.server.base;
    let (admin, csrf) = sign_in(base, "admin@cmgos.com").await;
    let page = admin
        .post(format!("{base}/admin/users/engineer%40cmgos.com/link"))
        .form(&[("purpose", "reset"), ("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let link = page
        .split(&format!("{base}/reset/"))
        .nth(1)
        .and_then(|rest| rest.split(['<', '"']).next())
        .map(|secret| format!("{base}/reset/{secret}"))
        .expect("the page shows the link once");
    let visitor = crate::harness::browser();
    let form = visitor.get(&link).send().await.unwrap();
    assert_eq!(form.status(), 200);
    assert_eq!(form.headers()["referrer-policy"], "no-referrer");
    let short = visitor
        .post(&link)
        .form(&[("password", "short")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        short.status(),
        422,
        "a too short password is refused and the link kept"
    );
    let set = visitor
        .post(&link)
        .form(&[("password", "a brand new password")])
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 303);
    assert!(set.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/signin"));
    let again = visitor
        .post(&link)
        .form(&[("password", "another new password")])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 410, "a link works once");
    let signed = visitor
        .post(format!("{base}/signin"))
        .form(&[
            ("login", "engineer@cmgos.com"),
            ("password", "a brand new password"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), 303, "the new password signs in");
    // The API changes a role and disables a user; the disabled user's token stops working.
    let client = reqwest::Client::new();
    let patched: Value = client
        .patch(format!("{base}/api/v1/users/xuda%40acer.com"))
        .bearer_auth(&w.admin_token)
        .json(&json!({"disabled": true}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(patched["disabled"], true);
    let refused = client
        .get(format!("{base}/api/v1/me"))
        .bearer_auth(&w.acer_token)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
}

/// The OpenAPI document is a reviewed file: a change to the API shows in the diff.
/// `UPDATE_SNAPSHOTS=1` rewrites it.
#[test]
fn the_openapi_document_matches_its_snapshot() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/openapi.json");
    let current = serde_json::to_string_pretty(&web::api::openapi()).unwrap() + "\n";
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &current).unwrap();
    }
    let saved = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        saved == current,
        "the OpenAPI document changed: review it and run UPDATE_SNAPSHOTS=1 cargo test -p web"
    );
    let doc: Value = serde_json::from_str(&current).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
}

testkit::backend_tests!(
    errors_are_problem_documents_in_the_callers_language,
    a_case_is_worked_through_the_api,
    cookies_need_the_csrf_token_and_sessions_end_on_the_server,
    an_admin_hands_out_a_one_time_link_and_manages_users
);
