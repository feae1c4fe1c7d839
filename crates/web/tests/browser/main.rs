//! End-to-end tests in a real browser: Debian's headless Chromium driven through chromedriver
//! (WebDriver), against a server on loopback with the demo data and the model case.
//!
//! One chromedriver serves the whole binary; each test opens its own sessions, each with a fresh
//! profile. Every wait has a 10 s deadline. Screenshots go to `target/screenshots/` (or
//! `CASEBOOK_SCREENSHOTS`).
#![allow(missing_docs, clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

mod driver;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use app::demo::DemoReport;
use app::{App, AuthSettings, IntakeConfig, OpenMode, StoreConfig};
use fantoccini::{Client, Locator};
use testkit::TestDb;

use driver::{click_when_ready, session, shot, wait_for, wait_text};

const SEED_CASE: &str = "CAS-03865-H7P3F1";

struct Site {
    base: String,
    app: Arc<App>,
    demo: DemoReport,
    _db: TestDb,
    _task: tokio::task::JoinHandle<()>,
}

impl Site {
    fn password(&self, login: &str) -> String {
        self.demo
            .logins
            .iter()
            .find(|l| l.login == login)
            .unwrap()
            .password
            .clone()
    }
}

async fn site() -> Site {
    let db = TestDb::sqlite();
    let app = App::open(
        &StoreConfig::in_dir(db.data_dir()),
        OpenMode::Create,
        IntakeConfig {
            intake_addresses: vec!["support@cmgos.com".parse().unwrap()],
            ..IntakeConfig::default()
        },
        Box::new(app::SystemClock),
        chrono_tz::Asia::Shanghai,
    )
    .await
    .unwrap()
    .with_auth_settings(AuthSettings {
        argon2_light: true,
        ..AuthSettings::default()
    });
    let seed = testkit::seed_path();
    assert!(
        seed.is_file(),
        "the model case {} is needed by the browser tests",
        seed.display()
    );
    let demo = app.demo_load(Some(&seed), &mut |_, _| {}).await.unwrap();
    assert!(demo.loaded);
    // A partner's answer with quoted history, so that the page has a fold to open.
    let reply = format!(
        "From: Gao Meng <partner@acer.com>\r\nTo: support@cmgos.com\r\nSubject: RE: [案例号: {SEED_CASE} ] 系统重置失败问题\r\n\
Date: Thu, 26 Aug 2021 10:00:00 +0800\r\nMessage-ID: <quoted-1@acer.com>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
The test machine is ready for you.\r\n\r\nOn Wed, 25 Aug 2021, Li Qi wrote:\r\n> QUOTED-HISTORY-LINE please send the machine\r\n> thanks\r\n"
    );
    let (_dir, path) = testkit::fixture("quoted.eml", reply.as_bytes());
    app.import(&[path], None, &mut |_| {}).await.unwrap();
    // Hostile HTML: a script, an event handler and remote images aimed at a listener of ours.
    let app = Arc::new(app);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let mut config = web::WebConfig::for_listen(addr);
    config.live_poll = Duration::from_millis(200);
    let router = web::router(app.clone(), config);
    let task = tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    Site {
        base: format!("http://{addr}"),
        app,
        demo,
        _db: db,
        _task: task,
    }
}

async fn sign_in(client: &Client, site: &Site, login: &str) {
    client.goto(&format!("{}/signin", site.base)).await.unwrap();
    client
        .find(Locator::Css("#login"))
        .await
        .unwrap()
        .send_keys(login)
        .await
        .unwrap();
    client
        .find(Locator::Css("#password"))
        .await
        .unwrap()
        .send_keys(&site.password(login))
        .await
        .unwrap();
    client
        .find(Locator::Css("form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(client, "#queue-table").await;
}

async fn body_text(client: &Client) -> String {
    client
        .find(Locator::Css("body"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn submit(client: &Client, form: &str) {
    client
        .find(Locator::Css(&format!("{form} button[type=submit]")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_engineer_works_the_model_case_from_queue_to_archive_and_reopen() {
    let site = site().await;
    let client = session().await;
    sign_in(&client, &site, "engineer@cmgos.com").await;
    shot(&client, "queue-en").await;

    // Find the seed case from the queue's search box, keyboard first: / focuses the search.
    client
        .find(Locator::Css("body"))
        .await
        .unwrap()
        .send_keys("/")
        .await
        .unwrap();
    let search = client.active_element().await.unwrap();
    assert_eq!(
        search.attr("id").await.unwrap().as_deref(),
        Some("queue-search")
    );
    search.send_keys("03865\u{E007}").await.unwrap(); // U+E007: the Enter key
                                                      // The search's answer replaces the queue: the link is clicked on the page that stays.
    click_when_ready(&client, &format!("a[href='/cases/{SEED_CASE}']")).await;
    wait_for(&client, "#timeline").await;
    let text = body_text(&client).await;
    assert!(text.contains("系统重置失败问题"), "the title");
    assert!(text.contains("Acer"), "the customer");
    assert!(text.contains("NTUSER.DAT"), "the root cause mail");
    shot(&client, "case-en").await;

    // The folded quote opens.
    let fold = wait_for(&client, "details.quoted summary").await;
    assert!(!body_text(&client).await.contains("QUOTED-HISTORY-LINE"));
    fold.click().await.unwrap();
    wait_text(&client, "QUOTED-HISTORY-LINE").await;

    // An internal note.
    client
        .find(Locator::Css("#note-text"))
        .await
        .unwrap()
        .send_keys("Asked Gao Meng for the usmt.ppkg logic")
        .await
        .unwrap();
    submit(&client, "#note-form").await;
    wait_text(&client, "Asked Gao Meng for the usmt.ppkg logic").await;
    assert!(client.find(Locator::Css("li.entry.internal")).await.is_ok());

    // Archive with a summary picked from the templates, then reopen.
    client
        .find(Locator::Css("#template-pick option[value='archive']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let summary = client
        .find(Locator::Css("#status-summary"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(summary.contains("Problem description:"), "{summary}");
    client
        .execute(
            "document.getElementById('status-summary').value = arguments[0]; \
             document.getElementById('status-to').value = 'archived';",
            vec![serde_json::json!(
                "问题描述：\n----\n重置后出现错误弹窗\n案例总结：\n----\n等待 OEM 提供镜像，暂时归档"
            )],
        )
        .await
        .unwrap();
    submit(&client, "#status-form").await;
    wait_for(&client, "#case-status.status-archived").await;
    wait_text(&client, "等待 OEM 提供镜像").await;
    shot(&client, "case-archived-en").await;
    client
        .find(Locator::Css("#status-to option[value='reopened']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    submit(&client, "#status-form").await;
    wait_for(&client, "#case-status.status-reopened").await;

    // Switch the language: the same page in Chinese.
    client
        .find(Locator::Css("#lang-switch"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(&client, "时间线").await;
    assert_eq!(
        client
            .find(Locator::Css("html"))
            .await
            .unwrap()
            .attr("lang")
            .await
            .unwrap()
            .as_deref(),
        Some("zh-CN")
    );
    shot(&client, "case-zh").await;
    client.goto(&format!("{}/cases", site.base)).await.unwrap();
    wait_text(&client, "案例队列").await;
    shot(&client, "queue-zh").await;

    // At 375 px the queue and the case still fit: nothing scrolls sideways.
    client.set_window_size(375, 812).await.unwrap();
    for (path, name) in [
        ("/cases", "queue-375"),
        (&*format!("/cases/{SEED_CASE}"), "case-375"),
    ] {
        client.goto(&format!("{}{path}", site.base)).await.unwrap();
        wait_for(&client, "main").await;
        let overflow = client
            .execute(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
                vec![],
            )
            .await
            .unwrap();
        assert!(
            overflow.as_i64().unwrap() <= 0,
            "{path} overflows by {overflow}"
        );
        shot(&client, name).await;
    }
    client.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_note_written_in_one_browser_appears_in_another() {
    let site = site().await;
    let writer = session().await;
    let reader = session().await;
    sign_in(&writer, &site, "engineer@cmgos.com").await;
    sign_in(&reader, &site, "manager@cmgos.com").await;
    let page = format!("{}/cases/{SEED_CASE}", site.base);
    reader.goto(&page).await.unwrap();
    wait_for(&reader, "body[data-live='ready']").await;
    writer.goto(&page).await.unwrap();
    wait_for(&writer, "#note-text").await;
    // The reader starts writing too: the writer's composer warns of them.
    reader
        .find(Locator::Css("#reply-text"))
        .await
        .unwrap()
        .send_keys("Thanks")
        .await
        .unwrap();
    writer
        .find(Locator::Css("#note-text"))
        .await
        .unwrap()
        .send_keys("LIVE-NOTE seen from the other browser")
        .await
        .unwrap();
    wait_for(&writer, "#collision:not([hidden])").await;
    submit(&writer, "#note-form").await;
    wait_text(&reader, "LIVE-NOTE seen from the other browser").await;
    shot(&reader, "case-live").await;
    // What the reader had typed is still there.
    let kept = reader
        .find(Locator::Css("#reply-text"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(kept.as_deref(), Some("Thanks"));
    writer.close().await.unwrap();
    reader.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partner_sees_only_their_organization() {
    let site = site().await;
    let client = session().await;
    sign_in(&client, &site, "partner@acer.com").await;
    let text = body_text(&client).await;
    assert!(text.contains(SEED_CASE));
    assert!(
        !text.contains("Inspur"),
        "no other organization's case in the queue"
    );
    shot(&client, "portal-queue-en").await;
    client
        .goto(&format!("{}/cases/{SEED_CASE}", site.base))
        .await
        .unwrap();
    wait_for(&client, "#timeline").await;
    let page = client.source().await.unwrap();
    assert!(!page.contains("note-form"), "no internal notes composer");
    assert!(!page.contains("kind-note"), "no internal notes");
    shot(&client, "portal-case-en").await;
    // Another organization's case, by its number: not found.
    let staff = app::Actor::operator();
    let inspur = site
        .app
        .queue(
            &staff,
            app::workspace::QueueInput {
                customer: Some("Inspur".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .cases[0]
        .number
        .clone();
    client
        .goto(&format!("{}/cases/{inspur}", site.base))
        .await
        .unwrap();
    wait_for(&client, "p.error").await;
    assert!(!body_text(&client).await.contains("Inspur"));
    client.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_html_runs_no_script_and_fetches_nothing() {
    let site = site().await;
    // A listener stands for the outside world: any request reaching it is a failure.
    let outside = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    outside.set_nonblocking(true).unwrap();
    let port = outside.local_addr().unwrap().port();
    let html = format!(
        "<html><body><p id=\"hostile\">HOSTILE-TEXT</p>\
<script>document.title='PWNED';fetch('http://127.0.0.1:{port}/script')</script>\
<img src=\"http://127.0.0.1:{port}/pixel.png\" onerror=\"document.title='PWNED'\">\
<a href=\"javascript:alert(1)\">click</a>\
<div style=\"background:url(http://127.0.0.1:{port}/bg.png)\">styled</div></body></html>"
    );
    let mail = format!(
        "From: partner@acer.com\r\nTo: support@cmgos.com\r\nSubject: [案例号: {SEED_CASE} ] html\r\n\
Date: Fri, 27 Aug 2021 10:00:00 +0800\r\nMessage-ID: <hostile@acer.com>\r\nMIME-Version: 1.0\r\n\
Content-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n"
    );
    let (_dir, path) = testkit::fixture("hostile.eml", mail.as_bytes());
    site.app.import(&[path], None, &mut |_| {}).await.unwrap();
    let case = site
        .app
        .case_show(&app::Actor::operator(), SEED_CASE)
        .await
        .unwrap();
    let entry = case
        .timeline
        .iter()
        .find(|e| {
            e.email.as_ref().and_then(|m| m.message_id.as_deref()) == Some("hostile@acer.com")
        })
        .unwrap()
        .id;
    let client = session().await;
    sign_in(&client, &site, "engineer@cmgos.com").await;
    client
        .goto(&format!(
            "{}/cases/{SEED_CASE}/entries/{entry}/html",
            site.base
        ))
        .await
        .unwrap();
    wait_text(&client, "HOSTILE-TEXT").await;
    // The document has loaded: an inline script or an onerror handler would have run by now.
    let title = client.title().await.unwrap();
    assert_ne!(title, "PWNED");
    shot(&client, "hostile-html").await;
    assert!(
        outside.accept().is_err(),
        "the page made a request to an outside address"
    );
    client.close().await.unwrap();
}

/// The serious and critical findings of axe-core on the page shown now.
async fn axe(client: &Client) -> Vec<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/browser/js/node_modules/axe-core/axe.min.js");
    let source = std::fs::read_to_string(&path).unwrap_or_else(|error| {
        panic!(
            "{} is missing ({error}): run `npm ci` in crates/web/tests/browser/js",
            path.display()
        )
    });
    client.execute(&source, vec![]).await.unwrap();
    let result = client
        .execute_async(
            "const done = arguments[arguments.length - 1]; \
             axe.run(document, { resultTypes: ['violations'] }).then(r => done(r.violations.map(v => \
               ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ')) }))));",
            vec![],
        )
        .await
        .unwrap();
    result
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
        .map(|v| {
            format!(
                "{} ({}): {} at {}",
                v["id"], v["impact"], v["help"], v["nodes"]
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_main_pages_pass_axe_at_desktop_and_phone_widths() {
    let site = site().await;
    let client = session().await;
    let mut findings = Vec::new();
    let mut check = |page: &str, found: Vec<String>| {
        findings.extend(found.into_iter().map(|f| format!("{page}: {f}")));
    };
    client.goto(&format!("{}/signin", site.base)).await.unwrap();
    wait_for(&client, "#login").await;
    check("sign-in", axe(&client).await);
    client.goto(&format!("{}/forgot", site.base)).await.unwrap();
    wait_for(&client, "#who").await;
    check("forgotten password", axe(&client).await);
    client
        .goto(&format!("{}/lang/zh-CN", site.base))
        .await
        .unwrap();
    client.goto(&format!("{}/forgot", site.base)).await.unwrap();
    wait_text(&client, "重置密码").await;
    shot(&client, "forgot-zh").await;
    check("forgotten password in Chinese", axe(&client).await);
    client
        .goto(&format!("{}/lang/en", site.base))
        .await
        .unwrap();
    sign_in(&client, &site, "engineer@cmgos.com").await;
    for width in [1280, 375] {
        client.set_window_size(width, 900).await.unwrap();
        client.goto(&format!("{}/cases", site.base)).await.unwrap();
        wait_for(&client, "#queue-table").await;
        check(&format!("queue at {width}"), axe(&client).await);
        client
            .goto(&format!("{}/cases/{SEED_CASE}", site.base))
            .await
            .unwrap();
        wait_for(&client, "#reply-form").await;
        check(&format!("case page at {width}"), axe(&client).await);
        // The model case is long past its limits under the demo's SLA policy.
        client
            .execute(
                "document.getElementById('case-clocks').scrollIntoView()",
                vec![],
            )
            .await
            .unwrap();
        assert!(
            body_text(&client).await.contains("breached"),
            "the model case's clocks"
        );
        shot(&client, &format!("case-clocks-{width}")).await;
        client.goto(&format!("{}/sla", site.base)).await.unwrap();
        wait_for(&client, "#sla-breached-table").await;
        assert!(
            body_text(&client).await.contains(SEED_CASE),
            "the dashboard lists the model case"
        );
        shot(&client, &format!("sla-dashboard-{width}")).await;
        check(&format!("SLA dashboard at {width}"), axe(&client).await);
        client.goto(&format!("{}/outbox", site.base)).await.unwrap();
        wait_text(&client, "Outbox").await;
        shot(&client, &format!("outbox-{width}")).await;
        check(&format!("outbox at {width}"), axe(&client).await);
    }
    client
        .goto(&format!("{}/lang/zh-CN", site.base))
        .await
        .unwrap();
    client.goto(&format!("{}/sla", site.base)).await.unwrap();
    wait_text(&client, "已超时").await;
    shot(&client, "sla-dashboard-zh-375").await;
    check("SLA dashboard in Chinese", axe(&client).await);
    client
        .goto(&format!("{}/lang/en", site.base))
        .await
        .unwrap();
    // Setting up the second factor: the QR code and its form, on a phone.
    client
        .goto(&format!("{}/settings", site.base))
        .await
        .unwrap();
    submit(&client, "form[action='/settings/second-factor']").await;
    wait_for(&client, "#totp-secret").await;
    shot(&client, "settings-second-factor-375").await;
    check("second factor set-up at 375", axe(&client).await);
    client
        .execute(
            "document.getElementById('mail-notices').scrollIntoView()",
            vec![],
        )
        .await
        .unwrap();
    shot(&client, "settings-notices-375").await;
    client
        .goto(&format!("{}/contacts", site.base))
        .await
        .unwrap();
    wait_for(&client, "table a[href^='/contacts/']").await;
    client
        .find(Locator::Css("table a[href^='/contacts/']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&client, "dl.facts").await;
    shot(&client, "contact-375").await;
    check("contact page at 375", axe(&client).await);
    // The outbox, in Chinese, on a phone.
    client
        .goto(&format!("{}/lang/zh-CN", site.base))
        .await
        .unwrap();
    client.goto(&format!("{}/outbox", site.base)).await.unwrap();
    wait_text(&client, "发件箱").await;
    shot(&client, "outbox-zh-375").await;
    check("outbox in Chinese at 375", axe(&client).await);
    client
        .goto(&format!("{}/lang/en", site.base))
        .await
        .unwrap();
    client.close().await.unwrap();
    let partner = session().await;
    sign_in(&partner, &site, "partner@acer.com").await;
    partner
        .goto(&format!("{}/cases/{SEED_CASE}", site.base))
        .await
        .unwrap();
    wait_for(&partner, "#reply-form").await;
    check("portal case page", axe(&partner).await);
    partner.close().await.unwrap();
    assert!(findings.is_empty(), "axe found:\n{}", findings.join("\n"));
}
