//! A Casebook server on a loopback port with two customer organizations, each with a case, a
//! partner contact and marker strings that only the right people may ever see.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use app::auth::NewUser;
use app::{Actor, App, AuthSettings, IntakeConfig, OpenMode, StoreConfig};
use case::party::Role;
use testkit::TestDb;

/// Strings planted where the Acer partner must never look: Lenovo's case, contact, attachment,
/// quarantine entry, and internal notes (Acer's own included).
pub const MARKERS: &[&str] = &[
    "LENOVO-CASE-MARKER",
    "LENOVO-CONTACT-MARKER",
    "LENOVO-FILE-MARKER",
    "LENOVO-ATTACHED-BYTES-MARKER",
    "QUARANTINE-MARKER",
    "INTERNAL-NOTE-MARKER",
];

pub const PASSWORD: &str = "correct horse battery";

pub struct Server {
    pub app: Arc<App>,
    pub base: String,
    /// The test's database, kept as long as the server lives (a second instance has none).
    pub db: Option<TestDb>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub async fn open_app(db: &TestDb) -> App {
    open_app_at(db.data_dir(), db.database_url.clone()).await
}

/// An app on this data directory and database (a second instance shares both with the first).
pub async fn open_app_at(data_dir: std::path::PathBuf, database_url: Option<String>) -> App {
    let config = StoreConfig {
        database_url,
        ..StoreConfig::in_dir(data_dir)
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
        throttle_base: Duration::from_millis(5),
        throttle_cap: Duration::from_millis(20),
    })
}

/// Serves `app` on a free loopback port.
pub async fn serve(app: Arc<App>, db: Option<TestDb>) -> Server {
    serve_with(app, db, |_| {}).await
}

/// Serves `app` with a configuration `adjust` changes.
pub async fn serve_with(
    app: Arc<App>,
    db: Option<TestDb>,
    adjust: impl FnOnce(&mut web::WebConfig),
) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let mut config = web::WebConfig::for_listen(addr);
    config.live_poll = Duration::from_millis(100);
    adjust(&mut config);
    let router = web::router(app.clone(), config);
    let task = tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    Server {
        app,
        base: format!("http://{addr}"),
        db,
        task,
    }
}

/// What the world holds: ids and numbers the tests walk with.
pub struct World {
    pub server: Server,
    pub acer_case: String,
    pub lenovo_case: String,
    pub acer_entry: i64,
    pub lenovo_entry: i64,
    pub lenovo_file_entry: i64,
    pub quarantine_id: i64,
    pub admin_token: String,
    pub engineer_token: String,
    pub acer_token: String,
    pub lenovo_token: String,
}

fn user(login: &str, role: Role, org: &str, name: &str) -> NewUser {
    NewUser {
        login: login.into(),
        role,
        org: Some(org.into()),
        name: Some(name.into()),
        email: None,
        password: PASSWORD.into(),
    }
}

fn mail(from: &str, subject: &str, id: &str, body: &str) -> String {
    format!(
        "From: {from}\r\nTo: support@cmgos.com\r\nSubject: {subject}\r\nDate: Mon, 01 Mar 2021 10:00:00 +0800\r\n\
Message-ID: <{id}>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
}

pub async fn import(app: &App, name: &str, text: &str) {
    let (_dir, path) = testkit::fixture(name, text.as_bytes());
    app.import(&[path], None, &mut |_| {}).await.unwrap();
}

pub async fn world(db: TestDb) -> World {
    let app = open_app(&db).await;
    app.org_add("CMGOS", &["cmgos.com".into()], true)
        .await
        .unwrap();
    app.org_add("Acer", &["acer.com".into()], false)
        .await
        .unwrap();
    app.org_add("Lenovo", &["lenovo.com".into()], false)
        .await
        .unwrap();
    for new in [
        user("admin@cmgos.com", Role::Admin, "CMGOS", "Ada Admin"),
        user("engineer@cmgos.com", Role::Engineer, "CMGOS", "Li Qi"),
        user("xuda@acer.com", Role::PartnerContact, "Acer", "Xu Da"),
        user(
            "wang@lenovo.com",
            Role::PartnerContact,
            "Lenovo",
            "LENOVO-CONTACT-MARKER Wang",
        ),
    ] {
        app.user_add(new, "cli").await.unwrap();
    }
    let staff = Actor::operator();
    let new_case = |title: &str, customer: &str| app::views::NewCaseInput {
        title: title.into(),
        customer: customer.into(),
        ..Default::default()
    };
    let acer_case = app
        .case_new(&staff, new_case("系统重置失败问题 reset fails", "Acer"))
        .await
        .unwrap()
        .summary
        .number;
    let lenovo_case = app
        .case_new(&staff, new_case("LENOVO-CASE-MARKER BIOS hangs", "Lenovo"))
        .await
        .unwrap()
        .summary
        .number;
    app.case_note(
        &staff,
        &acer_case,
        "INTERNAL-NOTE-MARKER on Acer's own case",
    )
    .await
    .unwrap();
    app.case_note(&staff, &lenovo_case, "INTERNAL-NOTE-MARKER on Lenovo")
        .await
        .unwrap();
    // Public mail on each case: the partner's own message, with an attachment on Lenovo's.
    import(
        &app,
        "acer.eml",
        &mail(
            "xuda@acer.com",
            &format!("[案例号: {acer_case} ] reset"),
            "acer-1@acer.com",
            "Reset still fails after the update.",
        ),
    )
    .await;
    let lenovo_mail = format!(
        "From: wang@lenovo.com\r\nTo: support@cmgos.com\r\nSubject: [案例号: {lenovo_case} ] logs\r\n\
Date: Mon, 01 Mar 2021 11:00:00 +0800\r\nMessage-ID: <lenovo-1@lenovo.com>\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nLENOVO-CASE-MARKER logs\r\n\
--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"LENOVO-FILE-MARKER.log\"\r\n\r\n\
LENOVO-ATTACHED-BYTES-MARKER\r\n--b--\r\n"
    );
    import(&app, "lenovo.eml", &lenovo_mail).await;
    // A message with two From headers is held in quarantine.
    import(
        &app,
        "held.eml",
        "From: a@acer.com\r\nFrom: b@lenovo.com\r\nTo: support@cmgos.com\r\nSubject: QUARANTINE-MARKER\r\n\
Message-ID: <held@x>\r\n\r\nQUARANTINE-MARKER body\r\n",
    )
    .await;
    let quarantine_id = app.quarantine_list(&staff, true).await.unwrap()[0].id;
    let acer_view = app.case_show(&staff, &acer_case).await.unwrap();
    let lenovo_view = app.case_show(&staff, &lenovo_case).await.unwrap();
    let public_entry = |view: &app::views::CaseView| {
        view.timeline
            .iter()
            .find(|e| e.email.is_some())
            .map(|e| e.id)
            .unwrap()
    };
    let token = |login: &'static str| {
        let app = &app;
        async move {
            app.token_create(login, Some("tests"), "cli")
                .await
                .unwrap()
                .token
        }
    };
    let admin_token = token("admin@cmgos.com").await;
    let engineer_token = token("engineer@cmgos.com").await;
    let acer_token = token("xuda@acer.com").await;
    let lenovo_token = token("wang@lenovo.com").await;
    let acer_entry = public_entry(&acer_view);
    let lenovo_entry = public_entry(&lenovo_view);
    let server = serve(Arc::new(app), Some(db)).await;
    World {
        server,
        acer_case,
        lenovo_case,
        acer_entry,
        lenovo_file_entry: lenovo_entry,
        lenovo_entry,
        quarantine_id,
        admin_token,
        engineer_token,
        acer_token,
        lenovo_token,
    }
}

/// A client that keeps cookies and never follows redirects (the tests look at them).
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Signs in through the form; returns the client (cookie set) and the page's CSRF token.
pub async fn sign_in(base: &str, login: &str) -> (reqwest::Client, String) {
    let client = browser();
    let response = client
        .post(format!("{base}/signin"))
        .form(&[("login", login), ("password", PASSWORD), ("next", "/cases")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303, "sign-in of {login}");
    let page = client
        .get(format!("{base}/cases"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = page
        .split("data-csrf=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_string();
    assert!(!csrf.is_empty());
    (client, csrf)
}
