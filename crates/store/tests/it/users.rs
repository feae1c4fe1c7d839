//! Users, sessions, tokens, sign-in attempts, the admin log and one-time links, on both backends.

use case::Role;
use store::{Error, Store};
use testkit::TestDb;

use crate::open;

async fn person(store: &Store, address: &str, role: Role) -> i64 {
    store
        .add_contact(address, Some("Gao Meng"), None, Some(role), 0)
        .await
        .unwrap()
        .id
}

async fn users_are_people_with_a_login(db: TestDb) {
    let store = open(&db).await;
    let staff = store
        .add_org("CMGOS", &["cmgos.com".into()], true, 0)
        .await
        .unwrap();
    let person_id = store
        .add_contact(
            "gao@cmgos.com",
            Some("Gao Meng"),
            Some(staff.id),
            Some(Role::Liaison),
            0,
        )
        .await
        .unwrap()
        .id;
    let user = store
        .insert_user("Gao@CMGOS.com", person_id, "$argon2id$x", 10)
        .await
        .unwrap();
    assert_eq!(
        (
            user.login.as_str(),
            user.person_id,
            user.role,
            user.org_name.as_deref(),
            user.org_is_staff
        ),
        (
            "Gao@CMGOS.com",
            person_id,
            Some(Role::Liaison),
            Some("CMGOS"),
            true
        )
    );
    assert_eq!(user.email.as_deref(), Some("gao@cmgos.com"));
    let found = store.user_by_login("gao@cmgos.COM").await.unwrap().unwrap();
    assert_eq!(found.id, user.id, "logins compare case-insensitively");
    let taken = store
        .insert_user(
            "GAO@cmgos.com",
            person(&store, "x@cmgos.com", Role::Engineer).await,
            "h",
            10,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&taken, Error::Conflict(c) if c.reason == "login_taken"),
        "{taken}"
    );
    let second = store
        .insert_user("gao2", person_id, "h", 10)
        .await
        .unwrap_err();
    assert!(
        matches!(&second, Error::Conflict(c) if c.reason == "person_has_login"),
        "{second}"
    );
    // The role is the person's: changing it changes the user.
    store
        .set_person_role(person_id, Role::Manager)
        .await
        .unwrap();
    assert_eq!(
        store.user_by_id(user.id).await.unwrap().unwrap().role,
        Some(Role::Manager)
    );
    assert_eq!(store.list_users().await.unwrap().len(), 1);
}

async fn sessions_end_and_tokens_revoke(db: TestDb) {
    let store = open(&db).await;
    let user = store
        .insert_user(
            "gao",
            person(&store, "gao@cmgos.com", Role::Engineer).await,
            "h1",
            0,
        )
        .await
        .unwrap();
    let first = store
        .insert_session("aa", user.id, "c1", "10.0.0.1", 100)
        .await
        .unwrap();
    let second = store
        .insert_session("bb", user.id, "c2", "10.0.0.2", 200)
        .await
        .unwrap();
    assert_ne!(first.id, second.id);
    store.touch_session(first.id, 150).await.unwrap();
    assert_eq!(
        store
            .session_by_secret_hash("aa")
            .await
            .unwrap()
            .unwrap()
            .last_seen_at,
        150
    );
    // A password change keeps the session it came from.
    assert_eq!(
        store
            .set_password_hash(user.id, "h2", Some(second.id), 300)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .session_by_secret_hash("aa")
            .await
            .unwrap()
            .unwrap()
            .ended_at,
        Some(300)
    );
    assert_eq!(
        store.open_sessions_of(user.id).await.unwrap(),
        std::slice::from_ref(&second)
    );
    assert_eq!(
        store
            .user_by_id(user.id)
            .await
            .unwrap()
            .unwrap()
            .password_hash,
        "h2"
    );
    let ended = store
        .end_session_by_secret_hash("bb", 400)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ended.ended_at, Some(400));
    assert!(
        store
            .end_session_by_secret_hash("bb", 450)
            .await
            .unwrap()
            .is_none(),
        "an ended session does not end again"
    );
    assert!(store
        .end_session_by_secret_hash("zz", 400)
        .await
        .unwrap()
        .is_none());

    let token = store.insert_token(user.id, "ci", "tt", 500).await.unwrap();
    assert_eq!(
        (token.login.as_str(), token.name.as_str(), token.revoked_at),
        ("gao", "ci", None)
    );
    store.touch_token(token.id, 600).await.unwrap();
    assert_eq!(
        store
            .token_by_hash("tt")
            .await
            .unwrap()
            .unwrap()
            .last_used_at,
        Some(600)
    );
    store
        .insert_session("cc", user.id, "c3", "10.0.0.3", 700)
        .await
        .unwrap();
    store.set_user_disabled(user.id, true, 800).await.unwrap();
    assert!(store.open_sessions_of(user.id).await.unwrap().is_empty());
    assert_eq!(
        store
            .token_by_id(token.id)
            .await
            .unwrap()
            .unwrap()
            .revoked_at,
        Some(800)
    );
    assert!(store.user_by_id(user.id).await.unwrap().unwrap().disabled);
    assert_eq!(store.list_tokens(Some(user.id)).await.unwrap().len(), 1);
    assert!(store.revoke_token(9999, 900).await.unwrap().is_none());
    store.set_user_disabled(user.id, false, 900).await.unwrap();
    assert!(!store.user_by_id(user.id).await.unwrap().unwrap().disabled);
    store
        .set_user_preferences(user.id, Some("zh-CN"), Some("Asia/Taipei"), 900)
        .await
        .unwrap();
    let user = store.user_by_id(user.id).await.unwrap().unwrap();
    assert_eq!(
        (user.lang.as_deref(), user.zone.as_deref()),
        (Some("zh-CN"), Some("Asia/Taipei"))
    );
}

async fn failed_sign_ins_are_counted_by_login_and_client(db: TestDb) {
    let store = open(&db).await;
    for at in [10, 20, 30] {
        store
            .record_sign_in_attempt("Gao", "10.0.0.1", false, at, 0)
            .await
            .unwrap();
    }
    store
        .record_sign_in_attempt("other", "10.0.0.1", false, 40, 0)
        .await
        .unwrap();
    let counts = store.failed_sign_ins("gao", "10.0.0.1", 0).await.unwrap();
    assert_eq!((counts.login, counts.client), (3, 4));
    assert_eq!(
        store
            .failed_sign_ins("gao", "10.0.0.9", 25)
            .await
            .unwrap()
            .login,
        1
    );
    // A success clears the account's count, not the client's.
    store
        .record_sign_in_attempt("gao", "10.0.0.1", true, 50, 0)
        .await
        .unwrap();
    let counts = store.failed_sign_ins("gao", "10.0.0.1", 0).await.unwrap();
    assert_eq!((counts.login, counts.client), (0, 4));
    // Old attempts are forgotten.
    store
        .record_sign_in_attempt("gao", "10.0.0.2", false, 60, 35)
        .await
        .unwrap();
    assert_eq!(
        store
            .failed_sign_ins("x", "10.0.0.1", 0)
            .await
            .unwrap()
            .client,
        1
    );
}

async fn the_admin_log_keeps_order(db: TestDb) {
    let store = open(&db).await;
    store
        .append_admin_log(1, "cli", "user_added", "gao", "{}", None)
        .await
        .unwrap();
    store
        .append_admin_log(
            2,
            "gao",
            "sign_in",
            "gao",
            r#"{"session":1}"#,
            Some("10.0.0.1"),
        )
        .await
        .unwrap();
    let log = store.admin_log(10).await.unwrap();
    let actions: Vec<&str> = log.iter().map(|line| line.action.as_str()).collect();
    assert_eq!(actions, ["sign_in", "user_added"]);
    assert_eq!(log[0].client.as_deref(), Some("10.0.0.1"));
    assert_eq!(store.admin_log(1).await.unwrap().len(), 1);
}

async fn one_time_links_are_single_use_and_expire(db: TestDb) {
    let store = open(&db).await;
    let user = store
        .insert_user(
            "gao",
            person(&store, "gao@cmgos.com", Role::Engineer).await,
            "h1",
            0,
        )
        .await
        .unwrap();
    store
        .insert_session("aa", user.id, "c", "x", 0)
        .await
        .unwrap();
    store
        .insert_one_time_link((user.id, "reset", "l1"), 0, 100, None)
        .await
        .unwrap();
    store
        .insert_one_time_link((user.id, "reset", "l2"), 0, 100, None)
        .await
        .unwrap();
    assert_eq!(
        store
            .use_one_time_link("l1", "invite", "h2", 10)
            .await
            .unwrap(),
        None,
        "another purpose"
    );
    assert_eq!(
        store
            .use_one_time_link("l1", "reset", "h2", 10)
            .await
            .unwrap(),
        Some(user.id)
    );
    assert_eq!(
        store
            .use_one_time_link("l1", "reset", "h3", 20)
            .await
            .unwrap(),
        None,
        "used"
    );
    assert_eq!(
        store
            .use_one_time_link("l2", "reset", "h3", 100)
            .await
            .unwrap(),
        None,
        "expired"
    );
    let user = store.user_by_id(user.id).await.unwrap().unwrap();
    assert_eq!(user.password_hash, "h2");
    assert!(store.open_sessions_of(user.id).await.unwrap().is_empty());
}

async fn account_mail_waits_in_the_outbox_beside_replies(db: TestDb) {
    let store = open(&db).await;
    let user = store
        .insert_user(
            "gao",
            person(&store, "gao@cmgos.com", Role::Engineer).await,
            "h1",
            0,
        )
        .await
        .unwrap();
    let before = store.stats().await.unwrap();
    let mail = store::accounts::AccountMail {
        raw: b"From: support@cmgos.com\r\nTo: gao@cmgos.com\r\nSubject: reset\r\n\r\nlink\r\n"
            .to_vec(),
        recipients: vec!["gao@cmgos.com".into()],
    };
    store
        .insert_one_time_link((user.id, "reset", "l1"), 5, 100, Some(&mail))
        .await
        .unwrap();
    let after = store.stats().await.unwrap();
    assert_eq!(
        after.messages, before.messages,
        "a row naming no message counts none"
    );
    assert_eq!((after.sent, after.outbox_queued), (1, 1));
    let queued = store
        .outbox(Some(store::outbox::OutboxState::Queued), 10)
        .await
        .unwrap();
    assert_eq!(queued.len(), 1);
    assert_eq!(
        (
            queued[0].message_row_id,
            queued[0].case_id,
            queued[0].purpose.as_str()
        ),
        (None, None, "reset")
    );
    let raw = store
        .read_blob(store::blob::BlobKind::Raw, &queued[0].raw_sha256)
        .await
        .unwrap();
    assert_eq!(raw, mail.raw, "the raw is durable and readable");
    assert_eq!(
        store.last_one_time_link_at(user.id, "reset").await.unwrap(),
        Some(5)
    );
    let report = store
        .check(store::check::CheckOptions::default())
        .await
        .unwrap();
    assert!(report.ok(), "{report:?}");
}

testkit::backend_tests!(
    account_mail_waits_in_the_outbox_beside_replies,
    users_are_people_with_a_login,
    sessions_end_and_tokens_revoke,
    failed_sign_ins_are_counted_by_login_and_client,
    the_admin_log_keeps_order,
    one_time_links_are_single_use_and_expire,
);
