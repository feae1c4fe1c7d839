//! Signing in: users are people, passwords are argon2id, sessions expire, tokens revoke, failures
//! slow down and never lock out, and the admin log records it all.

use std::time::{Duration, Instant};

use app::auth::{LinkPurpose, NewUser, SESSION_ABSOLUTE_LIMIT};
use app::{App, AppError, AuthSettings, ErrorCode, IntakeConfig, ManualClock, StoreConfig};
use case::access::Viewer;
use case::Role;
use chrono::{TimeDelta, TimeZone, Utc};
use testkit::TestDb;

pub(crate) const PASSWORD: &str = "correct horse battery";

pub(crate) struct Harness {
    pub(crate) app: App,
    pub(crate) clock: ManualClock,
    _db: TestDb,
}

pub(crate) async fn harness(db: TestDb) -> Harness {
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2025, 3, 1, 9, 0, 0).unwrap());
    let app = App::open(
        &StoreConfig {
            database_url: db.database_url.clone(),
            ..StoreConfig::in_dir(db.data_dir())
        },
        app::OpenMode::Create,
        IntakeConfig::default(),
        Box::new(clock.clone()),
        chrono_tz::Asia::Shanghai,
    )
    .await
    .unwrap()
    .with_auth_settings(AuthSettings {
        argon2_light: true,
        throttle_base: Duration::from_millis(40),
        throttle_cap: Duration::from_millis(400),
    });
    app.org_add("CMGOS", &["cmgos.com".into()], true)
        .await
        .unwrap();
    app.org_add("Acer", &["acer.com".into()], false)
        .await
        .unwrap();
    Harness {
        app,
        clock,
        _db: db,
    }
}

pub(crate) fn new_user(login: &str, role: Role, org: Option<&str>) -> NewUser {
    NewUser {
        login: login.into(),
        role,
        org: org.map(str::to_string),
        name: None,
        email: None,
        password: PASSWORD.into(),
    }
}

/// The error's catalog id: its code, or its reason for the codes that gather several.
pub(crate) fn error_id(error: &AppError) -> String {
    app::i18n::error_id(error.code, &error.details)
}

async fn refused(h: &Harness, new: NewUser) -> String {
    error_id(&h.app.user_add(new, "cli").await.unwrap_err())
}

async fn a_user_is_a_person_with_a_login(db: TestDb) {
    let h = harness(db).await;
    // An existing contact becomes a user: the same person, the role set on them.
    let contact = h
        .app
        .contact_add("gao@cmgos.com", Some("Gao Meng"), Some("CMGOS"), None)
        .await
        .unwrap();
    let user = h
        .app
        .user_add(new_user("Gao@cmgos.com", Role::Liaison, None), "cli")
        .await
        .unwrap();
    assert_eq!(user.person_id, contact.id);
    assert_eq!(
        (
            user.role,
            user.org.as_deref(),
            user.email.as_deref(),
            user.name.as_deref()
        ),
        (
            Some(Role::Liaison),
            Some("CMGOS"),
            Some("gao@cmgos.com"),
            Some("Gao Meng")
        )
    );
    let contacts = h.app.contact_list().await.unwrap();
    assert_eq!(contacts.len(), 1, "no second person");
    assert_eq!(
        contacts[0].role,
        Some(Role::Liaison),
        "the role is the person's"
    );
    // A new address makes a new person; a short login needs an address.
    let partner = h
        .app
        .user_add(
            NewUser {
                email: Some("chen@acer.com".into()),
                name: Some("Chen".into()),
                ..new_user("chen", Role::PartnerContact, Some("acer"))
            },
            "cli",
        )
        .await
        .unwrap();
    assert_eq!(
        (partner.org.as_deref(), partner.email.as_deref()),
        (Some("Acer"), Some("chen@acer.com"))
    );
    assert_eq!(h.app.user_show("CHEN").await.unwrap().id, partner.id);
    assert_eq!(h.app.user_list().await.unwrap().len(), 2);

    assert_eq!(
        refused(&h, new_user("lin", Role::Engineer, Some("CMGOS"))).await,
        "invalid-email_required"
    );
    assert_eq!(
        refused(&h, new_user("GAO@CMGOS.COM", Role::Engineer, None)).await,
        "error-login_taken"
    );
    assert_eq!(
        refused(
            &h,
            NewUser {
                email: Some("gao@cmgos.com".into()),
                ..new_user("gao2", Role::Engineer, None)
            }
        )
        .await,
        "conflict-person_has_login"
    );
    assert_eq!(
        refused(&h, new_user("li@acer.com", Role::Engineer, Some("Acer"))).await,
        "invalid-staff_role_outside_staff"
    );
    assert_eq!(
        refused(&h, new_user("li@acer.com", Role::PartnerContact, None)).await,
        "invalid-partner_needs_org"
    );
    assert_eq!(
        refused(
            &h,
            new_user("li@acer.com", Role::PartnerContact, Some("Lenovo"))
        )
        .await,
        "error-org_not_found"
    );
    // An organization that contradicts the person's is refused, and so is a staff role for a
    // customer's contact who is already linked to the customer.
    h.app
        .contact_add("wu@acer.com", None, Some("Acer"), None)
        .await
        .unwrap();
    assert_eq!(
        refused(&h, new_user("wu@acer.com", Role::Liaison, Some("CMGOS"))).await,
        "invalid-org_contradicts_person"
    );
    assert_eq!(
        refused(&h, new_user("wu@acer.com", Role::Engineer, None)).await,
        "invalid-staff_role_outside_staff"
    );
    assert_eq!(
        refused(
            &h,
            NewUser {
                password: "short".into(),
                ..new_user("x@cmgos.com", Role::Engineer, None)
            }
        )
        .await,
        "error-password_too_short"
    );
    assert_eq!(
        refused(
            &h,
            NewUser {
                password: "   ".into(),
                ..new_user("x@cmgos.com", Role::Engineer, None)
            }
        )
        .await,
        "invalid-password_blank"
    );
    assert_eq!(
        h.app.user_list().await.unwrap().len(),
        2,
        "refusals add nobody"
    );
    let missing = h.app.user_show("nobody").await.unwrap_err();
    assert_eq!(missing.code, ErrorCode::UserNotFound);
}

/// Every text column of the database, for looking for a secret in it.
fn database_text(db_dir: &std::path::Path) -> Vec<u8> {
    std::fs::read(db_dir.join("casebook.db")).unwrap_or_default()
}

async fn passwords_are_argon2id_and_never_stored_plain(db: TestDb) {
    let sqlite = db.database_url.is_none();
    let dir = db.data_dir();
    let h = harness(db).await;
    let user = h
        .app
        .user_add(new_user("gao@cmgos.com", Role::Engineer, None), "cli")
        .await
        .unwrap();
    let signed_in = h
        .app
        .sign_in("gao@cmgos.com", PASSWORD, "10.0.0.1")
        .await
        .unwrap();
    let token = h
        .app
        .token_create("gao@cmgos.com", Some("ci"), "cli")
        .await
        .unwrap();
    let backup = dir.join("backup");
    h.app.backup(&backup).await.unwrap();
    let users = std::fs::read_to_string(backup.join("db/users.jsonl")).unwrap();
    assert!(users.contains("$argon2id$"), "{users}");
    let mut everything = String::new();
    for entry in std::fs::read_dir(backup.join("db")).unwrap() {
        everything.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    if sqlite {
        // The WAL holds the newest pages: make the main file complete before reading it.
        h.app.close().await;
        everything.push_str(&String::from_utf8_lossy(&database_text(&dir)));
        everything.push_str(&String::from_utf8_lossy(
            &std::fs::read(dir.join("casebook.db-wal")).unwrap_or_default(),
        ));
    }
    for secret in [PASSWORD, signed_in.secret.as_str(), token.token.as_str()] {
        assert!(
            !everything.contains(secret),
            "a secret is stored in the clear"
        );
    }
    assert!(
        token.token.starts_with("cb_") && token.token.len() == 3 + 64,
        "{}",
        token.token
    );
    assert_eq!(user.login, "gao@cmgos.com");
}

async fn every_sign_in_opens_a_new_session_that_expires(db: TestDb) {
    let h = harness(db).await;
    h.app
        .user_add(new_user("gao@cmgos.com", Role::Engineer, None), "cli")
        .await
        .unwrap();
    let first = h
        .app
        .sign_in("GAO@cmgos.com", PASSWORD, "10.0.0.1")
        .await
        .unwrap();
    let second = h
        .app
        .sign_in("gao@cmgos.com", PASSWORD, "10.0.0.1")
        .await
        .unwrap();
    assert_ne!(first.session.id, second.session.id);
    assert_ne!(first.secret, second.secret);
    assert_ne!(first.session.csrf_token, second.session.csrf_token);
    assert!(first.secret.len() >= 32, "at least 128 bits, hex");
    let session = h.app.session(&first.secret).await.unwrap().unwrap();
    assert_eq!(session.principal.role, Role::Engineer);
    assert_eq!(session.principal.viewer, Viewer::Staff);
    assert!(h.app.session("not a session").await.unwrap().is_none());

    // Used every seven hours, a session lives on; idle longer than eight hours, it ends.
    for _ in 0..3 {
        h.clock.advance(TimeDelta::hours(7));
        assert!(h.app.session(&first.secret).await.unwrap().is_some());
    }
    h.clock.advance(TimeDelta::hours(8) + TimeDelta::seconds(1));
    assert!(
        h.app.session(&first.secret).await.unwrap().is_none(),
        "idle 8 h"
    );
    assert!(
        h.app.session(&second.secret).await.unwrap().is_none(),
        "idle since sign-in"
    );

    // However busy, a session ends 30 days after sign-in.
    let busy = h
        .app
        .sign_in("gao@cmgos.com", PASSWORD, "10.0.0.1")
        .await
        .unwrap();
    let limit = TimeDelta::from_std(SESSION_ABSOLUTE_LIMIT).unwrap();
    let mut lived = TimeDelta::zero();
    while lived + TimeDelta::hours(6) <= limit {
        h.clock.advance(TimeDelta::hours(6));
        lived += TimeDelta::hours(6);
        assert!(
            h.app.session(&busy.secret).await.unwrap().is_some(),
            "after {lived}"
        );
    }
    h.clock.advance(limit - lived + TimeDelta::seconds(1));
    assert!(
        h.app.session(&busy.secret).await.unwrap().is_none(),
        "older than 30 days"
    );

    let last = h
        .app
        .sign_in("gao@cmgos.com", PASSWORD, "10.0.0.1")
        .await
        .unwrap();
    h.app.sign_out(&last.secret).await.unwrap();
    assert!(
        h.app.session(&last.secret).await.unwrap().is_none(),
        "signed out"
    );
}

async fn a_password_change_ends_the_other_sessions(db: TestDb) {
    let h = harness(db).await;
    let user = h
        .app
        .user_add(new_user("gao@cmgos.com", Role::Engineer, None), "cli")
        .await
        .unwrap();
    let here = h
        .app
        .sign_in("gao@cmgos.com", PASSWORD, "10.0.0.1")
        .await
        .unwrap();
    let elsewhere = h
        .app
        .sign_in("gao@cmgos.com", PASSWORD, "10.0.0.2")
        .await
        .unwrap();
    let wrong = h
        .app
        .user_change_own_password(
            user.id,
            "not the password",
            "a new password",
            Some(here.session.id),
        )
        .await
        .unwrap_err();
    assert_eq!(error_id(&wrong), "invalid-current_password_wrong");
    h.app
        .user_change_own_password(user.id, PASSWORD, "a new password", Some(here.session.id))
        .await
        .unwrap();
    assert!(
        h.app.session(&here.secret).await.unwrap().is_some(),
        "this session stays"
    );
    assert!(
        h.app.session(&elsewhere.secret).await.unwrap().is_none(),
        "the other ends"
    );
    assert_eq!(
        h.app
            .sign_in("gao@cmgos.com", PASSWORD, "10.0.0.1")
            .await
            .unwrap_err()
            .code,
        ErrorCode::SignInFailed
    );
    let again = h
        .app
        .sign_in("gao@cmgos.com", "a new password", "10.0.0.1")
        .await
        .unwrap();
    // An administrator's change ends them all.
    h.app
        .user_passwd("gao@cmgos.com", "set by the admin", "cli")
        .await
        .unwrap();
    assert!(h.app.session(&here.secret).await.unwrap().is_none());
    assert!(h.app.session(&again.secret).await.unwrap().is_none());
    h.app
        .sign_in("gao@cmgos.com", "set by the admin", "10.0.0.1")
        .await
        .unwrap();
}

async fn disabling_ends_sessions_and_tokens(db: TestDb) {
    let h = harness(db).await;
    h.app
        .user_add(new_user("gao@cmgos.com", Role::Engineer, None), "cli")
        .await
        .unwrap();
    let signed_in = h
        .app
        .sign_in("gao@cmgos.com", PASSWORD, "10.0.0.1")
        .await
        .unwrap();
    let token = h
        .app
        .token_create("gao@cmgos.com", None, "cli")
        .await
        .unwrap();
    assert!(h
        .app
        .principal_for_token(&token.token)
        .await
        .unwrap()
        .is_some());
    let disabled = h.app.user_disable("gao@cmgos.com", "cli").await.unwrap();
    assert!(disabled.disabled);
    assert!(h.app.session(&signed_in.secret).await.unwrap().is_none());
    assert!(h
        .app
        .principal_for_token(&token.token)
        .await
        .unwrap()
        .is_none());
    let refused = h
        .app
        .sign_in("gao@cmgos.com", PASSWORD, "10.0.0.1")
        .await
        .unwrap_err();
    assert_eq!(
        refused.code,
        ErrorCode::SignInFailed,
        "the same error as a wrong password"
    );
    assert_eq!(
        refused.message(app::Lang::En),
        h.app
            .sign_in("nobody", PASSWORD, "10.0.0.1")
            .await
            .unwrap_err()
            .message(app::Lang::En)
    );
    h.app.user_enable("gao@cmgos.com", "cli").await.unwrap();
    h.app
        .sign_in("gao@cmgos.com", PASSWORD, "10.0.0.1")
        .await
        .unwrap();
    assert!(
        h.app
            .principal_for_token(&token.token)
            .await
            .unwrap()
            .is_none(),
        "tokens stay revoked"
    );
    assert!(h.app.token_list(Some("gao@cmgos.com")).await.unwrap()[0].revoked);
}

async fn a_token_acts_as_its_user_until_revoked(db: TestDb) {
    let h = harness(db).await;
    h.app
        .user_add(
            new_user("chen@acer.com", Role::PartnerContact, Some("Acer")),
            "cli",
        )
        .await
        .unwrap();
    let acer = h
        .app
        .org_list()
        .await
        .unwrap()
        .into_iter()
        .find(|org| org.name == "Acer")
        .unwrap();
    let token = h
        .app
        .token_create("chen@acer.com", Some("ci"), "cli")
        .await
        .unwrap();
    let principal = h
        .app
        .principal_for_token(&token.token)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            principal.role,
            principal.org_id,
            principal.org_name.as_deref(),
            principal.viewer
        ),
        (
            Role::PartnerContact,
            Some(acer.id),
            Some("Acer"),
            Viewer::Partner { org_id: acer.id }
        )
    );
    let listed = h.app.token_list(None).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].name.as_str(), listed[0].login.as_str()),
        ("ci", "chen@acer.com")
    );
    assert!(listed[0].last_used_at.is_some(), "use is recorded");
    // The role is the person's: a change shows at the next request.
    h.app
        .user_set_role("chen@acer.com", Role::PartnerContact, "cli")
        .await
        .unwrap();
    assert_eq!(
        error_id(
            &h.app
                .user_set_role("chen@acer.com", Role::Admin, "cli")
                .await
                .unwrap_err()
        ),
        "invalid-staff_role_outside_staff"
    );
    h.app.token_revoke(token.id, "cli").await.unwrap();
    assert!(h
        .app
        .principal_for_token(&token.token)
        .await
        .unwrap()
        .is_none());
    assert!(h
        .app
        .principal_for_token("cb_0000")
        .await
        .unwrap()
        .is_none());
    assert!(h.app.principal_for_token("").await.unwrap().is_none());
    assert_eq!(
        h.app.token_revoke(9999, "cli").await.unwrap_err().code,
        ErrorCode::TokenNotFound
    );
    assert_eq!(
        h.app.token_list(Some("nobody")).await.unwrap_err().code,
        ErrorCode::UserNotFound
    );
}

async fn failures_slow_sign_in_down_but_never_lock_out(db: TestDb) {
    let h = harness(db).await;
    h.app
        .user_add(new_user("gao@cmgos.com", Role::Engineer, None), "cli")
        .await
        .unwrap();
    let settings = h.app.auth_settings();
    for failure in 0..4 {
        let error = h
            .app
            .sign_in("gao@cmgos.com", "wrong password", "10.0.0.1")
            .await
            .unwrap_err();
        assert_eq!(error.code, ErrorCode::SignInFailed, "failure {failure}");
    }
    // The fifth attempt after four failures waits base × 2.
    let expected = settings.throttle_delay(4);
    assert_eq!(expected, Duration::from_millis(80));
    let started = Instant::now();
    h.app
        .sign_in("gao@cmgos.com", "wrong password", "10.0.0.1")
        .await
        .unwrap_err();
    assert!(
        started.elapsed() >= expected,
        "waited {:?}",
        started.elapsed()
    );
    // The right password still works, after the delay, from the same client.
    let started = Instant::now();
    h.app
        .sign_in("gao@cmgos.com", PASSWORD, "10.0.0.1")
        .await
        .unwrap();
    assert!(started.elapsed() >= settings.throttle_delay(5));
    // Guesses at other accounts from one client are slowed too.
    let started = Instant::now();
    h.app
        .sign_in("someone@cmgos.com", "guess", "10.0.0.1")
        .await
        .unwrap_err();
    assert!(started.elapsed() >= settings.throttle_delay(5));
    // After 15 minutes the account and the client start afresh (the store's tests count the window).
    h.clock.advance(TimeDelta::minutes(16));
    h.app
        .sign_in("gao@cmgos.com", PASSWORD, "10.0.0.1")
        .await
        .unwrap();
}

async fn the_admin_log_records_who_did_what(db: TestDb) {
    let h = harness(db).await;
    h.app
        .user_add(new_user("gao@cmgos.com", Role::Engineer, None), "cli")
        .await
        .unwrap();
    h.app
        .sign_in("gao@cmgos.com", "wrong password", "10.0.0.9")
        .await
        .unwrap_err();
    let signed_in = h
        .app
        .sign_in("gao@cmgos.com", PASSWORD, "10.0.0.1")
        .await
        .unwrap();
    h.app
        .user_set_role("gao@cmgos.com", Role::Manager, "admin@cmgos.com")
        .await
        .unwrap();
    let token = h
        .app
        .token_create("gao@cmgos.com", Some("ci"), "cli")
        .await
        .unwrap();
    h.app.token_revoke(token.id, "cli").await.unwrap();
    h.app
        .user_passwd("gao@cmgos.com", "another password", "cli")
        .await
        .unwrap();
    h.app.sign_out(&signed_in.secret).await.unwrap();
    h.app.user_disable("gao@cmgos.com", "cli").await.unwrap();
    let log = h.app.admin_log(100).await.unwrap();
    let actions: Vec<&str> = log
        .iter()
        .rev()
        .map(|entry| entry.action.as_str())
        .collect();
    assert_eq!(
        actions,
        [
            "user_added",
            "sign_in_failed",
            "sign_in",
            "role_changed",
            "token_created",
            "token_revoked",
            "password_changed",
            "user_disabled",
        ],
        "a session the password change ended is not signed out again"
    );
    let failed = log
        .iter()
        .find(|entry| entry.action == "sign_in_failed")
        .unwrap();
    assert_eq!(failed.client.as_deref(), Some("10.0.0.9"));
    assert_eq!(failed.details["reason"], "wrong_password");
    let role = log
        .iter()
        .find(|entry| entry.action == "role_changed")
        .unwrap();
    assert_eq!(
        (role.actor.as_str(), role.target.as_str()),
        ("admin@cmgos.com", "gao@cmgos.com")
    );
    assert_eq!(
        role.details,
        serde_json::json!({ "from": "engineer", "to": "manager" })
    );
    assert_eq!(h.app.admin_log(2).await.unwrap().len(), 2);
    // A sign-out of an open session is logged.
    h.app.user_enable("gao@cmgos.com", "cli").await.unwrap();
    let open = h
        .app
        .sign_in("gao@cmgos.com", "another password", "10.0.0.1")
        .await
        .unwrap();
    h.app.sign_out(&open.secret).await.unwrap();
    assert_eq!(h.app.admin_log(1).await.unwrap()[0].action, "sign_out");
}

async fn a_one_time_link_works_once_and_expires(db: TestDb) {
    let h = harness(db).await;
    h.app
        .user_add(new_user("gao@cmgos.com", Role::Engineer, None), "cli")
        .await
        .unwrap();
    let signed_in = h
        .app
        .sign_in("gao@cmgos.com", PASSWORD, "10.0.0.1")
        .await
        .unwrap();
    let link = h
        .app
        .one_time_link_create(
            "gao@cmgos.com",
            LinkPurpose::Reset,
            Duration::from_secs(3600),
        )
        .await
        .unwrap();
    let wrong_purpose = h
        .app
        .one_time_link_use(&link, LinkPurpose::Invite, "a reset password")
        .await;
    assert_eq!(wrong_purpose.unwrap_err().code, ErrorCode::LinkInvalid);
    let short = h
        .app
        .one_time_link_use(&link, LinkPurpose::Reset, "short")
        .await
        .unwrap_err();
    assert_eq!(
        short.code,
        ErrorCode::PasswordTooShort,
        "a refused password does not use the link"
    );
    h.app
        .one_time_link_use(&link, LinkPurpose::Reset, "a reset password")
        .await
        .unwrap();
    assert!(
        h.app.session(&signed_in.secret).await.unwrap().is_none(),
        "sessions end"
    );
    h.app
        .sign_in("gao@cmgos.com", "a reset password", "10.0.0.1")
        .await
        .unwrap();
    let again = h
        .app
        .one_time_link_use(&link, LinkPurpose::Reset, "yet another one")
        .await;
    assert_eq!(
        again.unwrap_err().code,
        ErrorCode::LinkInvalid,
        "single use"
    );

    let late = h
        .app
        .one_time_link_create(
            "gao@cmgos.com",
            LinkPurpose::Reset,
            Duration::from_secs(3600),
        )
        .await
        .unwrap();
    h.clock.advance(TimeDelta::hours(1) + TimeDelta::seconds(1));
    let expired = h
        .app
        .one_time_link_use(&late, LinkPurpose::Reset, "yet another one")
        .await;
    assert_eq!(expired.unwrap_err().code, ErrorCode::LinkInvalid, "expired");
    h.app
        .sign_in("gao@cmgos.com", "a reset password", "10.0.0.1")
        .await
        .unwrap();
}

async fn preferences_come_with_the_principal(db: TestDb) {
    let h = harness(db).await;
    let user = h
        .app
        .user_add(new_user("gao@cmgos.com", Role::Engineer, None), "cli")
        .await
        .unwrap();
    h.app
        .user_set_preferences(
            user.id,
            Some(app::Lang::ZhCn),
            Some(chrono_tz::Asia::Taipei),
        )
        .await
        .unwrap();
    let signed_in = h
        .app
        .sign_in("gao@cmgos.com", PASSWORD, "10.0.0.1")
        .await
        .unwrap();
    let principal = signed_in.session.principal;
    assert_eq!(
        (principal.lang, principal.zone),
        (Some(app::Lang::ZhCn), Some(chrono_tz::Asia::Taipei))
    );
    let view = h.app.user_show("gao@cmgos.com").await.unwrap();
    assert_eq!(
        (view.lang.as_deref(), view.zone.as_deref()),
        (Some("zh-CN"), Some("Asia/Taipei"))
    );
}

testkit::backend_tests!(
    a_user_is_a_person_with_a_login,
    passwords_are_argon2id_and_never_stored_plain,
    every_sign_in_opens_a_new_session_that_expires,
    a_password_change_ends_the_other_sessions,
    disabling_ends_sessions_and_tokens,
    a_token_acts_as_its_user_until_revoked,
    failures_slow_sign_in_down_but_never_lock_out,
    the_admin_log_records_who_did_what,
    a_one_time_link_works_once_and_expires,
    preferences_come_with_the_principal,
);
