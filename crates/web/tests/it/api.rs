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
    // A body over the limit is a problem document too, not a line of plain text.
    let response = client
        .post(format!("{base}/api/v1/cases/{}/notes", w.acer_case))
        .bearer_auth(&w.engineer_token)
        .header("content-type", "application/json")
        .header("accept-language", "zh-CN")
        .body(vec![b' '; web::routes::BODY_LIMIT + 1])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["code"], "too_large");
    assert!(
        problem["detail"].as_str().unwrap().contains("30 MiB"),
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
    let outbox = case["outbox"].as_object().unwrap();
    assert!(!outbox.is_empty(), "the reply is in the outbox: {outbox:?}");
    assert!(outbox.values().all(|s| s == "queued"));
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
    assert!(
        page.contains("queued for mailing to engineer@cmgos.com"),
        "the link is mailed, not shown"
    );
    assert!(!page.contains(&format!("{base}/reset/")));
    let link = mailed_link(&w.server.app, "engineer@cmgos.com").await;
    assert!(link.starts_with(&format!("{base}/reset/")), "{link}");
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

/// The link in the newest account mail queued for this address, read from its decoded text.
async fn mailed_link(app: &app::App, address: &str) -> String {
    let queued = app.outbox_queued(100).await.unwrap();
    let (_, raw) = queued
        .iter()
        .rev()
        .find(|(record, _)| record.purpose != "case" && record.recipients == [address])
        .expect("an account mail is queued");
    let parsed = mail_parser::MessageParser::default().parse(raw).unwrap();
    let text = parsed.body_text(0).unwrap().to_string();
    let start = text.find("http").unwrap();
    text[start..].split_whitespace().next().unwrap().to_string()
}

/// The code an authenticator shows now for a base32 secret.
fn totp_now(secret: &str) -> String {
    let bytes = totp_rs::Secret::Encoded(secret.to_string())
        .to_bytes()
        .unwrap();
    totp_rs::TOTP::new_unchecked(
        totp_rs::Algorithm::SHA1,
        6,
        1,
        30,
        bytes,
        None,
        String::new(),
    )
    .generate_current()
    .unwrap()
}

fn between<'a>(page: &'a str, start: &str, end: &str) -> &'a str {
    page.split(start)
        .nth(1)
        .and_then(|rest| rest.split(end).next())
        .unwrap()
}

async fn a_forgotten_password_and_a_second_factor_over_http(db: TestDb) {
    let w = world(db).await;
    let base = &w.server.base;
    // Asking for a reset answers the same for a login that exists and one that does not.
    let visitor = crate::harness::browser();
    let form = visitor.get(format!("{base}/forgot")).send().await.unwrap();
    assert_eq!(form.status(), 200);
    let mut answers = Vec::new();
    for who in ["nobody@cmgos.com", "engineer@cmgos.com"] {
        let answer = visitor
            .post(format!("{base}/forgot"))
            .form(&[("who", who)])
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
        answers.push(answer.text().await.unwrap());
    }
    assert_eq!(answers[0], answers[1], "the answer tells nothing");
    let link = mailed_link(&w.server.app, "engineer@cmgos.com").await;
    assert_eq!(visitor.get(&link).send().await.unwrap().status(), 200);
    let cross = visitor
        .post(format!("{base}/forgot"))
        .header("origin", "https://evil.example")
        .form(&[("who", "engineer@cmgos.com")])
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 403, "a form from another site is refused");

    // An engineer sets up the second factor from the settings page.
    let (engineer, csrf) = sign_in(base, "engineer@cmgos.com").await;
    let begun = engineer
        .post(format!("{base}/settings/second-factor"))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(begun.status(), 303);
    let settings = engineer
        .get(format!("{base}/settings"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(settings.contains("<svg"), "the QR code is on the page");
    let secret = between(&settings, "id=\"totp-secret\">", "<").to_string();
    let confirmed = engineer
        .post(format!("{base}/settings/second-factor/confirm"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("code", totp_now(&secret).as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(confirmed.status(), 200);
    let confirmed = confirmed.text().await.unwrap();
    let recovery = between(&confirmed, "id=\"recovery-codes\"><li><code>", "<").to_string();
    assert_eq!(recovery.len(), 11, "{recovery}");

    // Signing in now takes the password, then a code on a page of its own.
    let client = crate::harness::browser();
    let first = client
        .post(format!("{base}/signin"))
        .form(&[
            ("login", "engineer@cmgos.com"),
            ("password", crate::harness::PASSWORD),
            ("next", "/cases"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 303);
    assert!(first.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/signin/code"));
    let not_yet = client.get(format!("{base}/cases")).send().await.unwrap();
    assert_eq!(not_yet.status(), 303, "the password alone opens no session");
    let wrong = client
        .post(format!("{base}/signin/code"))
        .form(&[("code", "000000x"), ("next", "/cases")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let right = client
        .post(format!("{base}/signin/code"))
        .form(&[("code", recovery.as_str()), ("next", "/cases")])
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 303);
    assert_eq!(right.headers()["location"], "/cases");
    let queue = client.get(format!("{base}/cases")).send().await.unwrap();
    assert_eq!(queue.status(), 200, "signed in with the recovery code");

    // The admin sees the second factor on the users page and can turn it off.
    let (admin, admin_csrf) = sign_in(base, "admin@cmgos.com").await;
    let reset = admin
        .post(format!(
            "{base}/admin/users/engineer%40cmgos.com/second-factor/reset"
        ))
        .form(&[("_csrf", admin_csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 303);
    sign_in(base, "engineer@cmgos.com").await;
}

async fn a_contact_page_lists_the_cases_they_take_part_in(db: TestDb) {
    let w = world(db).await;
    let base = &w.server.base;
    let xuda = w.server.app.contact_show("xuda@acer.com").await.unwrap();
    let (engineer, _) = sign_in(base, "engineer@cmgos.com").await;
    let list = engineer
        .get(format!("{base}/contacts"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(list.contains(&format!("href=\"/contacts/{}\"", xuda.id)));
    let page = engineer
        .get(format!("{base}/contacts/{}", xuda.id))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("xuda@acer.com"));
    assert!(page.contains(&w.acer_case), "the case they wrote on");
    assert!(!page.contains(&w.lenovo_case), "and no other");
    // The same filter through the API; a partner may not use it.
    let found: Value = reqwest::Client::new()
        .get(format!("{base}/api/v1/cases?participant=xuda%40acer.com"))
        .bearer_auth(&w.engineer_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let numbers: Vec<&str> = found["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["number"].as_str().unwrap())
        .collect();
    assert_eq!(numbers, [w.acer_case.as_str()]);
    let refused = reqwest::Client::new()
        .get(format!("{base}/api/v1/cases?participant=xuda%40acer.com"))
        .bearer_auth(&w.acer_token)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
    let missing = engineer
        .get(format!("{base}/contacts/999999"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

async fn sla_clocks_show_in_the_queue_the_case_page_and_the_dashboard(db: TestDb) {
    let w = world(db).await;
    let base = &w.server.base;
    let app = &w.server.app;
    // A case Acer opened by mail in 2021, and a policy set now: it is long past its limit.
    crate::harness::import(
        app,
        "old.eml",
        "From: xuda@acer.com\r\nTo: support@cmgos.com\r\nSubject: Recovery partition missing\r\n\
Date: Mon, 01 Mar 2021 10:00:00 +0800\r\nMessage-ID: <old-1@acer.com>\r\n\r\nThe recovery partition is gone.\r\n",
    )
    .await;
    let policy = "[[rule]]\nname = \"stale\"\nmeasure = \"open\"\nafter = \"20d\"\naction = \"escalate_manager\"\n";
    app.sla_policy_set(&app::Actor::operator(), policy)
        .await
        .unwrap();
    let swept = app.sla_sweep("test", u64::MAX).await.unwrap();
    assert!(
        swept.fired.is_empty(),
        "history from before the policy escalates nothing"
    );
    let client = reqwest::Client::new();
    let get = |path: String, token: &str| {
        client
            .get(format!("{base}{path}"))
            .bearer_auth(token)
            .send()
    };
    let status: Value = get("/api/v1/sla".into(), &w.engineer_token)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let breached: Vec<&str> = status["breached"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["number"].as_str().unwrap())
        .collect();
    assert_eq!(breached.len(), 1, "{status}");
    let old = breached[0].to_string();
    assert!(old != w.acer_case && old != w.lenovo_case);
    assert_eq!(status["breached"][0]["clocks"][0]["rule"], "stale");
    assert_eq!(status["at_risk"], json!([]));
    let queue: Value = get("/api/v1/cases?sla=breached".into(), &w.engineer_token)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let numbers: Vec<&str> = queue["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["number"].as_str().unwrap())
        .collect();
    assert_eq!(numbers, [old.as_str()]);
    assert_eq!(queue["cases"][0]["sla"], "breached");
    let by_due: Value = get("/api/v1/cases?sort=due".into(), &w.engineer_token)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        by_due["cases"][0]["number"],
        old.as_str(),
        "the earliest breach first"
    );
    let case: Value = get(format!("/api/v1/cases/{old}"), &w.engineer_token)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(case["sla"]["breached"], true);
    // Partners see no clocks and cannot filter by them.
    assert_eq!(
        get("/api/v1/cases?sla=breached".into(), &w.acer_token)
            .await
            .unwrap()
            .status(),
        422
    );
    assert_eq!(
        get("/api/v1/sla".into(), &w.acer_token)
            .await
            .unwrap()
            .status(),
        404
    );
    let partner_case: Value = get(format!("/api/v1/cases/{old}"), &w.acer_token)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(partner_case.get("sla").is_none(), "{partner_case}");
    // The pages: the dashboard lists it, the case page shows its clocks to staff only.
    let (engineer, _) = sign_in(base, "engineer@cmgos.com").await;
    let dashboard = engineer
        .get(format!("{base}/sla"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        dashboard.contains(&format!("href=\"/cases/{old}\"")),
        "{dashboard}"
    );
    let page = engineer
        .get(format!("{base}/cases/{old}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"case-clocks\"") && page.contains("clock-breached"));
    let (partner, _) = sign_in(base, "xuda@acer.com").await;
    let page = partner
        .get(format!("{base}/cases/{old}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(&old) && !page.contains("case-clocks"));
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

/// The message with this id in an outbox listing.
async fn message_in(response: reqwest::Response, id: i64) -> Option<Value> {
    let list: Value = response.json().await.unwrap();
    list["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == id)
        .cloned()
}

async fn the_outbox_shows_what_failed_and_sends_it_again(db: TestDb) {
    let w = world(db).await;
    let base = &w.server.base;
    let client = reqwest::Client::new();
    let (admin, csrf) = sign_in(base, "admin@cmgos.com").await;
    admin
        .post(format!("{base}/admin/users/engineer%40cmgos.com/link"))
        .form(&[("purpose", "reset"), ("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    let list = |query: &'static str| {
        let client = client.clone();
        let url = format!("{base}/api/v1/outbox{query}");
        let token = w.engineer_token.clone();
        async move { client.get(url).bearer_auth(token).send().await.unwrap() }
    };
    let queued: Value = list("?status=queued").await.json().await.unwrap();
    let message = queued["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["purpose"] == "reset")
        .expect("the reset mail waits")
        .clone();
    assert_eq!(message["recipients"], json!(["engineer@cmgos.com"]));
    let id = message["id"].as_i64().unwrap();
    let bad = list("?status=lost").await;
    assert_eq!(bad.status(), 400);
    assert!(bad
        .text()
        .await
        .unwrap()
        .contains("queued, sending, sent, failed"));
    // Only a failed message is sent again.
    let early = client
        .post(format!("{base}/api/v1/outbox/{id}/retry"))
        .bearer_auth(&w.engineer_token)
        .send()
        .await
        .unwrap();
    assert!(early.status().is_client_error(), "{}", early.status());
    assert!(early.text().await.unwrap().contains("outbox_not_failed"));
    // A second instance with a mail server that refuses every recipient sends it: it fails.
    let sink = testkit::mail::SmtpSink::start_with(&["-f", "RCPT"]);
    let smtp = app::mailroom::SmtpConfig::parse(&sink.url()).unwrap();
    let sender = crate::harness::open_app_at(
        w.server.db.as_ref().unwrap().data_dir(),
        w.server.db.as_ref().unwrap().database_url.clone(),
    )
    .await
    .with_mail(app::mailroom::MailSettings {
        smtp: Some(smtp),
        ..app::mailroom::MailSettings::default()
    });
    let sender = std::sync::Arc::new(sender);
    sender.run_jobs("sender", 10).await.unwrap();
    let failed = message_in(list("?status=failed").await, id)
        .await
        .expect("the refused message is failed");
    assert!(
        failed["error"].as_str().unwrap().contains("5.3.0"),
        "{failed}"
    );
    // The page shows it, in the reader's language, with a button that sends it again.
    let (engineer, csrf) = sign_in(base, "engineer@cmgos.com").await;
    let page = engineer
        .get(format!("{base}/outbox?status=failed"))
        .header("accept-language", "zh-CN")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("发件箱"), "{page}");
    assert!(page.contains("engineer@cmgos.com"));
    assert!(page.contains(&format!("action=\"/outbox/{id}/retry\"")));
    let retried = engineer
        .post(format!("{base}/outbox/{id}/retry"))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(retried.status(), 303);
    let again = message_in(list("?status=queued").await, id)
        .await
        .expect("queued again");
    assert_eq!(again["attempts"], 0);
    // A partner sees no outbox.
    let partner = client
        .get(format!("{base}/api/v1/outbox"))
        .bearer_auth(&w.acer_token)
        .send()
        .await
        .unwrap();
    assert!(partner.status().is_client_error());
}

async fn an_engineer_turns_a_notification_off_in_settings(db: TestDb) {
    let w = world(db).await;
    let base = &w.server.base;
    let (engineer, csrf) = sign_in(base, "engineer@cmgos.com").await;
    let settings = || async {
        engineer
            .get(format!("{base}/settings"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    assert!(settings()
        .await
        .contains(r#"name="customer_mail" value="on" checked"#));
    let saved = engineer
        .post(format!("{base}/settings/notices"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("assignment", "on"),
            ("upload", "on"),
            ("sla", "on"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), 303);
    let notices = w
        .server
        .app
        .user_notices("engineer@cmgos.com", &[], &[])
        .await
        .unwrap();
    assert_eq!(notices.off, vec!["customer_mail".to_string()]);
    let page = settings().await;
    assert!(
        page.contains(r#"name="customer_mail" value="on" >"#),
        "{page}"
    );
    assert!(page.contains(r#"name="sla" value="on" checked"#));
    // Without the form's token nothing changes.
    let forged = engineer
        .post(format!("{base}/settings/notices"))
        .form(&[("sla", "on")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
}

testkit::backend_tests!(
    an_engineer_turns_a_notification_off_in_settings,
    the_outbox_shows_what_failed_and_sends_it_again,
    sla_clocks_show_in_the_queue_the_case_page_and_the_dashboard,
    a_contact_page_lists_the_cases_they_take_part_in,
    a_forgotten_password_and_a_second_factor_over_http,
    errors_are_problem_documents_in_the_callers_language,
    a_case_is_worked_through_the_api,
    cookies_need_the_csrf_token_and_sessions_end_on_the_server,
    an_admin_hands_out_a_one_time_link_and_manages_users
);
