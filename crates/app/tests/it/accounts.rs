//! Accounts beyond the password: one-time links mailed through the outbox, reset requests that
//! tell nobody whether a login exists, and the TOTP second factor with its recovery codes.

use app::accounts::{CHALLENGE_ATTEMPTS, RECOVERY_CODES};
use app::auth::{LinkPurpose, SignInStep};
use app::clock::Clock;
use app::{ErrorCode, Lang};
use case::Role;
use chrono::TimeDelta;
use testkit::TestDb;
use totp_rs::{Algorithm, Secret, TOTP};

use crate::auth::{error_id, harness, new_user, Harness, PASSWORD};

fn link_of(secret: &str) -> String {
    format!("https://support.example.com/reset/{secret}")
}

/// The code an authenticator app shows for this secret at the harness's time.
fn code_now(h: &Harness, secret: &str) -> String {
    let bytes = Secret::Encoded(secret.to_string()).to_bytes().unwrap();
    let totp = TOTP::new_unchecked(Algorithm::SHA1, 6, 1, 30, bytes, None, String::new());
    totp.generate(u64::try_from(h.clock.now().timestamp()).unwrap())
}

async fn queued(h: &Harness) -> Vec<(String, Vec<String>, String)> {
    h.app
        .outbox_queued(100)
        .await
        .unwrap()
        .into_iter()
        .map(|(record, raw)| {
            (
                record.purpose,
                record.recipients,
                String::from_utf8(raw).unwrap(),
            )
        })
        .collect()
}

/// The link a queued mail carries, read from its decoded text.
fn link_in(raw: &str) -> String {
    let parsed = mail_parser::MessageParser::default()
        .parse(raw.as_bytes())
        .unwrap();
    let text = parsed.body_text(0).unwrap().to_string();
    let start = text.find("https://support.example.com/").unwrap();
    text[start..].split_whitespace().next().unwrap().to_string()
}

async fn links_are_mailed_through_the_outbox(db: TestDb) {
    let h = harness(db).await;
    h.app
        .user_add(new_user("gao@cmgos.com", Role::Engineer, None), "cli")
        .await
        .unwrap();
    let before = h.app.stats().await.unwrap();

    let delivery = h
        .app
        .one_time_link_send(
            "gao@cmgos.com",
            LinkPurpose::Invite,
            &link_of,
            Lang::ZhCn,
            "admin",
        )
        .await
        .unwrap();
    assert_eq!(delivery.mailed_to.as_deref(), Some("gao@cmgos.com"));
    assert_eq!(delivery.link, None, "a mailed link is not shown");
    let mails = queued(&h).await;
    assert_eq!(mails.len(), 1);
    let (purpose, recipients, raw) = &mails[0];
    assert_eq!(purpose, "invite");
    assert_eq!(recipients, &vec!["gao@cmgos.com".to_string()]);
    assert!(raw.contains("Auto-Submitted: auto-generated"), "{raw}");
    let parsed = mail_parser::MessageParser::default()
        .parse(raw.as_bytes())
        .unwrap();
    assert_eq!(
        parsed.subject(),
        Some("您的 Casebook 账号"),
        "in the caller's language"
    );
    let link = link_in(raw);
    let secret = link.rsplit('/').next().unwrap();
    h.app
        .one_time_link_use(secret, LinkPurpose::Invite, "chosen from the mail")
        .await
        .unwrap();
    h.app
        .sign_in("gao@cmgos.com", "chosen from the mail", "10.0.0.1")
        .await
        .unwrap();

    let after = h.app.stats().await.unwrap();
    assert_eq!(
        after.messages, before.messages,
        "account mail is no case message"
    );
    assert_eq!(after.received, before.received);
    assert_eq!(after.outbox_queued, before.outbox_queued + 1);
    let log = h.app.admin_log(10).await.unwrap();
    assert!(log.iter().any(|e| e.action == "link_created"
        && e.actor == "admin"
        && e.details.to_string().contains("gao@cmgos.com")));
}

async fn a_link_is_mailed_in_the_users_own_language(db: TestDb) {
    let h = harness(db).await;
    // A login that is no address needs one, so every user can be mailed.
    let mut user = new_user("lab-admin", Role::Admin, Some("CMGOS"));
    user.email = None;
    let refused = h.app.user_add(user, "cli").await;
    assert_eq!(error_id(&refused.unwrap_err()), "invalid-email_required");
    let mut user = new_user("lab-admin", Role::Admin, Some("CMGOS"));
    user.email = Some("lab@cmgos.com".into());
    let added = h.app.user_add(user, "cli").await.unwrap();
    h.app
        .one_time_link_send("lab-admin", LinkPurpose::Reset, &link_of, Lang::En, "admin")
        .await
        .unwrap();
    h.app
        .user_set_preferences(added.id, Some(Lang::ZhCn), None)
        .await
        .unwrap();
    let delivery = h
        .app
        .one_time_link_send("lab-admin", LinkPurpose::Reset, &link_of, Lang::En, "admin")
        .await
        .unwrap();
    assert_eq!(delivery.mailed_to.as_deref(), Some("lab@cmgos.com"));
    let subjects: Vec<String> = queued(&h)
        .await
        .iter()
        .map(|(_, _, raw)| {
            mail_parser::MessageParser::default()
                .parse(raw.as_bytes())
                .unwrap()
                .subject()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        subjects,
        ["Reset your Casebook password", "重置您的 Casebook 密码"]
    );
}

async fn a_reset_request_tells_nothing_and_mails_once_per_spacing(db: TestDb) {
    let h = harness(db).await;
    h.app
        .user_add(new_user("gao@cmgos.com", Role::Engineer, None), "cli")
        .await
        .unwrap();
    for who in ["nobody@cmgos.com", "nobody", "GAO@cmgos.com"] {
        h.app
            .password_reset_request(who, &link_of, Lang::En, "10.0.0.1")
            .await
            .unwrap();
    }
    assert_eq!(queued(&h).await.len(), 1, "only the real user is mailed");
    h.app
        .password_reset_request("gao@cmgos.com", &link_of, Lang::En, "10.0.0.1")
        .await
        .unwrap();
    assert_eq!(
        queued(&h).await.len(),
        1,
        "asking again at once mails nothing more"
    );
    h.clock.advance(TimeDelta::minutes(6));
    h.app
        .password_reset_request("gao@cmgos.com", &link_of, Lang::En, "10.0.0.1")
        .await
        .unwrap();
    let mails = queued(&h).await;
    assert_eq!(mails.len(), 2);
    assert!(mails.iter().all(|(purpose, _, _)| purpose == "reset"));
    let blank = h
        .app
        .password_reset_request("  ", &link_of, Lang::En, "10.0.0.1")
        .await
        .unwrap_err();
    assert_eq!(error_id(&blank), "invalid-reset_who_blank");
    // A disabled user is not mailed.
    h.app.user_disable("gao@cmgos.com", "cli").await.unwrap();
    h.clock.advance(TimeDelta::minutes(6));
    h.app
        .password_reset_request("gao@cmgos.com", &link_of, Lang::En, "10.0.0.1")
        .await
        .unwrap();
    assert_eq!(queued(&h).await.len(), 2);
}

/// Turns the second factor on for a user; returns the secret and the recovery codes.
async fn enrol(h: &Harness, login: &str) -> (String, Vec<String>) {
    let signed = h.app.sign_in(login, PASSWORD, "10.0.0.1").await.unwrap();
    let principal = signed.session.principal;
    let enrolment = h.app.second_factor_begin(&principal).await.unwrap();
    assert!(enrolment.uri.starts_with("otpauth://totp/Casebook:"));
    assert!(enrolment.qr_svg.starts_with("<svg"));
    let wrong = h
        .app
        .second_factor_confirm(&principal, "000000", Some(signed.session.id))
        .await;
    if code_now(h, &enrolment.secret) != "000000" {
        assert_eq!(error_id(&wrong.unwrap_err()), "invalid-second_factor_wrong");
    }
    let codes = h
        .app
        .second_factor_confirm(
            &principal,
            &code_now(h, &enrolment.secret),
            Some(signed.session.id),
        )
        .await
        .unwrap();
    assert_eq!(codes.len(), RECOVERY_CODES);
    (enrolment.secret, codes)
}

async fn challenge(h: &Harness, login: &str) -> String {
    match h
        .app
        .sign_in_start(login, PASSWORD, "10.0.0.1")
        .await
        .unwrap()
    {
        SignInStep::SecondFactor(challenge) => challenge.secret,
        SignInStep::Done(_) => panic!("{login} signed in without a second factor"),
    }
}

async fn a_second_factor_guards_the_sign_in(db: TestDb) {
    let h = harness(db).await;
    h.app
        .user_add(new_user("gao@cmgos.com", Role::Engineer, None), "cli")
        .await
        .unwrap();
    let (secret, recovery) = enrol(&h, "gao@cmgos.com").await;
    assert!(
        h.app
            .user_show("gao@cmgos.com")
            .await
            .unwrap()
            .second_factor
    );

    // The password alone no longer signs in.
    let alone = h.app.sign_in("gao@cmgos.com", PASSWORD, "10.0.0.1").await;
    assert_eq!(
        error_id(&alone.unwrap_err()),
        "invalid-second_factor_required"
    );

    // The code accepted at enrolment is used: the same step is never accepted again.
    let first = challenge(&h, "gao@cmgos.com").await;
    let replay = h
        .app
        .sign_in_second_factor(&first, &code_now(&h, &secret), "10.0.0.1")
        .await;
    assert_eq!(
        error_id(&replay.unwrap_err()),
        "invalid-second_factor_wrong"
    );
    h.clock.advance(TimeDelta::seconds(30));
    let signed = h
        .app
        .sign_in_second_factor(&first, &code_now(&h, &secret), "10.0.0.1")
        .await
        .unwrap();
    assert_eq!(signed.session.principal.login, "gao@cmgos.com");
    assert!(h.app.session(&signed.secret).await.unwrap().is_some());
    // A challenge works once.
    h.clock.advance(TimeDelta::seconds(30));
    let used = h
        .app
        .sign_in_second_factor(&first, &code_now(&h, &secret), "10.0.0.1")
        .await;
    assert_eq!(
        error_id(&used.unwrap_err()),
        "invalid-second_factor_expired"
    );

    // A recovery code works once, typed loosely.
    let second = challenge(&h, "gao@cmgos.com").await;
    let typed = format!("  {}  ", recovery[0].to_uppercase());
    h.app
        .sign_in_second_factor(&second, &typed, "10.0.0.1")
        .await
        .unwrap();
    let third = challenge(&h, "gao@cmgos.com").await;
    let again = h
        .app
        .sign_in_second_factor(&third, &recovery[0], "10.0.0.1")
        .await;
    assert_eq!(error_id(&again.unwrap_err()), "invalid-second_factor_wrong");

    // A challenge takes a few wrong codes, then the password is asked again.
    let fourth = challenge(&h, "gao@cmgos.com").await;
    for _ in 0..CHALLENGE_ATTEMPTS {
        h.app
            .sign_in_second_factor(&fourth, "not a code", "10.0.0.1")
            .await
            .unwrap_err();
    }
    h.clock.advance(TimeDelta::seconds(30));
    let exhausted = h
        .app
        .sign_in_second_factor(&fourth, &code_now(&h, &secret), "10.0.0.1")
        .await;
    assert_eq!(
        error_id(&exhausted.unwrap_err()),
        "invalid-second_factor_expired"
    );

    // And it expires.
    let fifth = challenge(&h, "gao@cmgos.com").await;
    h.clock.advance(TimeDelta::minutes(6));
    let late = h
        .app
        .sign_in_second_factor(&fifth, &code_now(&h, &secret), "10.0.0.1")
        .await;
    assert_eq!(
        error_id(&late.unwrap_err()),
        "invalid-second_factor_expired"
    );

    let log = h.app.admin_log(50).await.unwrap();
    for action in [
        "second_factor_enabled",
        "recovery_code_used",
        "sign_in_failed",
    ] {
        assert!(log.iter().any(|e| e.action == action), "{action} logged");
    }
}

async fn the_second_factor_is_turned_off_by_its_owner_or_an_admin(db: TestDb) {
    let h = harness(db).await;
    h.app
        .user_add(new_user("gao@cmgos.com", Role::Engineer, None), "cli")
        .await
        .unwrap();
    h.app
        .user_add(
            new_user("li@acer.com", Role::PartnerContact, Some("Acer")),
            "cli",
        )
        .await
        .unwrap();
    let partner = h
        .app
        .sign_in("li@acer.com", PASSWORD, "10.0.0.2")
        .await
        .unwrap()
        .session
        .principal;
    let refused = h.app.second_factor_begin(&partner).await;
    assert_eq!(
        error_id(&refused.unwrap_err()),
        "invalid-second_factor_staff_only"
    );

    let (secret, _) = enrol(&h, "gao@cmgos.com").await;
    let principal_before = h.app.user_show("gao@cmgos.com").await.unwrap();
    assert!(principal_before.second_factor);
    let challenge_secret = challenge(&h, "gao@cmgos.com").await;
    h.clock.advance(TimeDelta::seconds(30));
    let principal = h
        .app
        .sign_in_second_factor(&challenge_secret, &code_now(&h, &secret), "10.0.0.1")
        .await
        .unwrap()
        .session
        .principal;
    let moved = h.app.second_factor_begin(&principal).await;
    assert_eq!(
        error_id(&moved.unwrap_err()),
        "invalid-second_factor_already_on",
        "a session alone cannot move the factor"
    );
    let wrong = h.app.second_factor_disable(&principal, "123").await;
    assert_eq!(error_id(&wrong.unwrap_err()), "invalid-second_factor_wrong");
    h.clock.advance(TimeDelta::seconds(30));
    h.app
        .second_factor_disable(&principal, &code_now(&h, &secret))
        .await
        .unwrap();
    h.app
        .sign_in("gao@cmgos.com", PASSWORD, "10.0.0.1")
        .await
        .unwrap();

    enrol(&h, "gao@cmgos.com").await;
    let view = h
        .app
        .user_second_factor_reset("gao@cmgos.com", "admin")
        .await
        .unwrap();
    assert!(!view.second_factor);
    h.app
        .sign_in("gao@cmgos.com", PASSWORD, "10.0.0.1")
        .await
        .unwrap();
    let (status, enrolment) = h.app.second_factor_status(&principal).await.unwrap();
    assert!(enrolment.is_none());
    assert_eq!((status.enabled, status.recovery_left), (false, 0));
    assert_eq!(
        h.app
            .sign_in_second_factor("", "123456", "10.0.0.1")
            .await
            .unwrap_err()
            .code,
        ErrorCode::InvalidInput
    );
}

testkit::backend_tests!(
    links_are_mailed_through_the_outbox,
    a_link_is_mailed_in_the_users_own_language,
    a_reset_request_tells_nothing_and_mails_once_per_spacing,
    a_second_factor_guards_the_sign_in,
    the_second_factor_is_turned_off_by_its_owner_or_an_admin,
);
