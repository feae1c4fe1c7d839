//! The route table walked as every kind of caller: signed out, a partner of the case's own
//! organization, a partner of another, an engineer on admin routes. Markers planted in another
//! organization's data and in internal notes appear in no body.

use reqwest::{Method, StatusCode};
use testkit::TestDb;
use web::routes::{table, Scope, Who};

use crate::harness::{world, World, MARKERS};

/// The path of a route with its parameters filled: `case` for `{number}`, `entry` for `{entry}`.
fn fill(path: &str, w: &World, case: &str, entry: i64) -> String {
    path.replace("{number}", case)
        .replace("{entry}", &entry.to_string())
        .replace("{index}", "0")
        .replace("{id}", &w.quarantine_id.to_string())
        .replace("{login}", "engineer@cmgos.com")
        .replace("{lang}", "en")
        .replace("{*path}", "casebook.css")
}

async fn call(
    client: &reqwest::Client,
    w: &World,
    method: &Method,
    path: &str,
    token: Option<&str>,
) -> (StatusCode, String, Option<String>) {
    let mut request = client
        .request(method.clone(), format!("{}{path}", w.server.base))
        .header("content-type", "application/x-www-form-urlencoded");
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    // The event stream never ends: read its first answer only.
    let response = if path.starts_with("/events") {
        request.timeout(std::time::Duration::from_millis(800))
    } else {
        request
    }
    .send()
    .await
    .unwrap();
    let status = response.status();
    let location = response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string());
    let body = if path.starts_with("/events") {
        let mut collected = Vec::new();
        let mut response = response;
        while let Ok(Some(chunk)) = response.chunk().await {
            collected.extend_from_slice(&chunk);
        }
        String::from_utf8_lossy(&collected).into_owned()
    } else {
        response.text().await.unwrap_or_default()
    };
    (status, body, location)
}

fn no_markers(body: &str, what: &str) {
    for marker in MARKERS {
        assert!(!body.contains(marker), "{what}: the body shows {marker}");
    }
}

async fn every_route_refuses_who_it_must(db: TestDb) {
    let w = world(db).await;
    let client = crate::harness::browser();
    let routes = table();
    assert!(routes.len() > 60, "the whole table is walked");
    for route in &routes {
        let what = format!("{} {}", route.method, route.path);
        let own = fill(route.path, &w, &w.acer_case, w.acer_entry);
        let other = fill(route.path, &w, &w.lenovo_case, w.lenovo_entry);

        // Signed out: only the routes open to anyone answer; pages send to the sign-in page.
        let (status, body, location) = call(&client, &w, &route.method, &own, None).await;
        no_markers(&body, &format!("signed out, {what}"));
        match route.who {
            Who::Anyone => assert!(!status.is_server_error(), "{what}: {status}"),
            _ if route.scope == Scope::Page => {
                assert_eq!(status, StatusCode::SEE_OTHER, "signed out, {what}");
                assert!(location.unwrap().starts_with("/signin"), "{what}");
            }
            _ => assert_eq!(status, StatusCode::UNAUTHORIZED, "signed out, {what}"),
        }

        // A partner on a staff or admin route is told nothing exists there.
        let (status, body, _) = call(&client, &w, &route.method, &own, Some(&w.acer_token)).await;
        no_markers(&body, &format!("Acer partner, {what}"));
        if matches!(route.who, Who::Staff | Who::Admin) {
            assert_eq!(status, StatusCode::NOT_FOUND, "Acer partner, {what}");
        } else {
            assert!(!status.is_server_error(), "Acer partner, {what}: {status}");
        }

        // A partner of another organization never reaches Lenovo's case by any route.
        if route.path.contains("{number}") || route.path.contains("{entry}") {
            let (status, body, _) =
                call(&client, &w, &route.method, &other, Some(&w.acer_token)).await;
            no_markers(&body, &format!("Acer partner on Lenovo's case, {what}"));
            assert_eq!(
                status,
                StatusCode::NOT_FOUND,
                "Acer partner on Lenovo's case, {what}"
            );
        }

        // An engineer may not administer.
        if route.who == Who::Admin {
            let (status, _, _) =
                call(&client, &w, &route.method, &own, Some(&w.engineer_token)).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "engineer, {what}");
        }
    }
}

async fn the_event_stream_of_another_organizations_case_is_not_found(db: TestDb) {
    let w = world(db).await;
    let client = crate::harness::browser();
    for (case, token, expected) in [
        (&w.lenovo_case, &w.acer_token, StatusCode::NOT_FOUND),
        (&w.acer_case, &w.acer_token, StatusCode::OK),
        (&w.lenovo_case, &w.engineer_token, StatusCode::OK),
    ] {
        let response = client
            .get(format!("{}/events?case={case}", w.server.base))
            .bearer_auth(token)
            .timeout(std::time::Duration::from_millis(500))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), expected, "events of {case}");
    }
}

/// What the partner may see is really there: the walk above would pass on a server that
/// answers nothing at all.
async fn a_partner_sees_their_own_public_entries(db: TestDb) {
    let w = world(db).await;
    let client = crate::harness::browser();
    let base = &w.server.base;
    let page = client
        .get(format!("{base}/cases/{}", w.acer_case))
        .bearer_auth(&w.acer_token)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("Reset still fails after the update."));
    assert!(page.contains("系统重置失败问题"));
    no_markers(&page, "Acer's case page");
    let queue = client
        .get(format!("{base}/api/v1/cases"))
        .bearer_auth(&w.acer_token)
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    let numbers: Vec<&str> = queue["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["number"].as_str().unwrap())
        .collect();
    assert_eq!(numbers, vec![w.acer_case.as_str()]);
    // Owner and tag filters are staff's: a partner cannot probe people or internal tags with them.
    for filter in [
        "owner=wang%40lenovo.com",
        "owner=unassigned",
        "tag=escalated",
    ] {
        let response = client
            .get(format!("{base}/api/v1/cases?{filter}"))
            .bearer_auth(&w.acer_token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422, "{filter}");
        let body = response.text().await.unwrap();
        assert!(body.contains("filter_staff_only"), "{body}");
        no_markers(&body, filter);
    }
    // Staff see both cases, the internal notes and the attachment.
    let lenovo = client
        .get(format!("{base}/api/v1/cases/{}", w.lenovo_case))
        .bearer_auth(&w.engineer_token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(lenovo.contains("INTERNAL-NOTE-MARKER on Lenovo"));
    assert!(lenovo.contains("LENOVO-FILE-MARKER.log"));
    let file = client
        .get(format!(
            "{base}/cases/{}/entries/{}/files/0",
            w.lenovo_case, w.lenovo_file_entry
        ))
        .bearer_auth(&w.engineer_token)
        .send()
        .await
        .unwrap();
    assert_eq!(file.status(), 200);
    let disposition = file.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    assert!(file
        .text()
        .await
        .unwrap()
        .contains("LENOVO-ATTACHED-BYTES-MARKER"));
    // Lenovo's partner reaches Lenovo's file; Acer's does not.
    for (token, expected) in [(&w.lenovo_token, 200), (&w.acer_token, 404)] {
        let status = client
            .get(format!(
                "{base}/cases/{}/entries/{}/files/0",
                w.lenovo_case, w.lenovo_file_entry
            ))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, expected);
    }
}

testkit::backend_tests!(
    every_route_refuses_who_it_must,
    the_event_stream_of_another_organizations_case_is_not_found,
    a_partner_sees_their_own_public_entries
);
