//! The sign-in commands' contract: `user` and `token`, their JSON, their exit codes and their
//! messages in both languages, on SQLite and PostgreSQL.

use std::io::Write;
use std::process::{Output, Stdio};

use serde_json::Value;
use testkit::TestDb;

use crate::{add_org, command};

const PASSWORD: &str = "correct horse battery";

/// Runs `casebook` with `input` on standard input (and cheap password hashes).
fn with_stdin(db: &TestDb, args: &[&str], input: &str) -> Output {
    let mut child = command(db, args)
        .env("CASEBOOK_ARGON2_LIGHT", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the casebook binary runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn ok_json(db: &TestDb, args: &[&str], input: &str) -> Value {
    let output = with_stdin(db, args, input);
    assert!(
        output.status.success(),
        "casebook {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "casebook {args:?} printed no JSON ({error}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

/// A command with `--json` that must fail: exit code and the JSON error from stderr (stdout empty).
fn json_refusal(db: &TestDb, args: &[&str], input: &str) -> (i32, Value) {
    let output = with_stdin(db, args, input);
    assert!(
        !output.status.success(),
        "casebook {args:?} should have failed"
    );
    assert!(
        output.stdout.is_empty(),
        "stdout: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    let error: Value = serde_json::from_slice(&output.stderr).unwrap_or_else(|error| {
        panic!(
            "stderr is not JSON ({error}): {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output.status.code().unwrap(), error)
}

/// A command without `--json` that must fail: exit code and stderr.
fn text_refusal(db: &TestDb, args: &[&str], input: &str) -> (i32, String) {
    let output = with_stdin(db, args, input);
    assert!(
        !output.status.success(),
        "casebook {args:?} should have failed"
    );
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
    (output.status.code().unwrap(), stderr)
}

fn add_user(db: &TestDb, login: &str, role: &str, extra: &[&str]) -> Value {
    let mut args = vec![
        "user",
        "add",
        login,
        "--role",
        role,
        "--password-stdin",
        "--json",
    ];
    args.extend_from_slice(extra);
    ok_json(db, &args, &format!("{PASSWORD}\n"))
}

async fn users_are_added_listed_and_refused_by_the_cli(db: TestDb) {
    add_org(&db, "CMGOS", "cmgos.com", true);
    add_org(&db, "Acer", "acer.com", false);
    let user = add_user(&db, "gao@cmgos.com", "liaison", &["--name", "Gao Meng"]);
    assert_eq!(user["login"], "gao@cmgos.com");
    assert_eq!(user["role"], "liaison");
    assert_eq!(
        user["org"],
        Value::Null,
        "no organization was given or known"
    );
    assert_eq!(user["email"], "gao@cmgos.com");
    assert_eq!(user["disabled"], false);
    assert!(user["created_at"].as_str().unwrap().ends_with('Z'));
    // The user is the contact: the role shows in the contact list.
    let contacts = ok_json(&db, &["contact", "list", "--json"], "");
    assert_eq!(contacts["contacts"][0]["role"], "liaison");
    let partner = add_user(
        &db,
        "chen",
        "partner_contact",
        &["--org", "Acer", "--email", "chen@acer.com"],
    );
    assert_eq!(
        (partner["org"].as_str(), partner["email"].as_str()),
        (Some("Acer"), Some("chen@acer.com"))
    );
    let list = ok_json(&db, &["user", "list", "--json"], "");
    let logins: Vec<&str> = list["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["login"].as_str().unwrap())
        .collect();
    assert_eq!(logins, ["chen", "gao@cmgos.com"]);
    let text = String::from_utf8(with_stdin(&db, &["--lang", "zh-CN", "user", "list"], "").stdout)
        .unwrap();
    assert!(
        text.contains("gao@cmgos.com") && text.contains("Gao Meng"),
        "{text}"
    );

    // Refusals: exit 1, one JSON error on stderr, a sentence in the reader's language.
    let add = |login: &'static str, role: &'static str, input: &str| {
        json_refusal(
            &db,
            &[
                "user",
                "add",
                login,
                "--role",
                role,
                "--password-stdin",
                "--json",
            ],
            input,
        )
    };
    let (code, error) = add("lin@cmgos.com", "engineer", "short\n");
    assert_eq!(
        (code, error["code"].as_str()),
        (1, Some("password_too_short"))
    );
    assert_eq!(
        (
            error["details"]["min"].as_i64(),
            error["details"]["length"].as_i64()
        ),
        (Some(10), Some(5))
    );
    let (code, error) = add("lin@cmgos.com", "engineer", "");
    assert_eq!(
        (code, error["details"]["reason"].as_str()),
        (1, Some("password_blank"))
    );
    let (code, error) = add("GAO@cmgos.com", "engineer", &format!("{PASSWORD}\n"));
    assert_eq!((code, error["code"].as_str()), (1, Some("login_taken")));
    let (code, error) = add("li@acer.com", "partner_contact", &format!("{PASSWORD}\n"));
    assert_eq!(
        (code, error["details"]["reason"].as_str()),
        (1, Some("partner_needs_org"))
    );
    let (code, error) = add("lin", "engineer", &format!("{PASSWORD}\n"));
    assert_eq!(
        (code, error["details"]["reason"].as_str()),
        (1, Some("email_required"))
    );
    let (code, stderr) = text_refusal(
        &db,
        &[
            "--lang",
            "zh-CN",
            "user",
            "add",
            "lin@cmgos.com",
            "--role",
            "engineer",
            "--password-stdin",
        ],
        "short\n",
    );
    assert_eq!(code, 1);
    assert!(
        stderr.contains("密码只有 5 个字符，至少需要 10 个"),
        "{stderr}"
    );
    let (code, stderr) = text_refusal(
        &db,
        &["user", "add", "lin@cmgos.com", "--role", "engineer"],
        "",
    );
    assert_eq!(code, 1, "the password must come from stdin: {stderr}");
    let (code, error) = json_refusal(&db, &["user", "show", "nobody", "--json"], "");
    assert_eq!((code, error["code"].as_str()), (1, Some("user_not_found")));
    assert_eq!(
        ok_json(&db, &["user", "list", "--json"], "")["users"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

async fn passwords_tokens_and_the_admin_log_by_the_cli(db: TestDb) {
    add_org(&db, "CMGOS", "cmgos.com", true);
    add_user(&db, "gao@cmgos.com", "engineer", &[]);
    // A password with spaces and a Windows line end: only the line end goes.
    let changed = ok_json(
        &db,
        &[
            "user",
            "passwd",
            "gao@cmgos.com",
            "--password-stdin",
            "--json",
        ],
        "  a new password  \r\n",
    );
    assert_eq!(changed["login"], "gao@cmgos.com");
    let text = String::from_utf8(
        with_stdin(
            &db,
            &[
                "--lang",
                "en",
                "user",
                "passwd",
                "gao@cmgos.com",
                "--password-stdin",
            ],
            "another password\n",
        )
        .stdout,
    )
    .unwrap();
    assert!(
        text.contains("new password set for gao@cmgos.com"),
        "{text}"
    );

    let token = ok_json(
        &db,
        &["token", "create", "gao@cmgos.com", "--name", "ci", "--json"],
        "",
    );
    let mut fields: Vec<&str> = token
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort_unstable();
    assert_eq!(fields, ["created_at", "id", "name", "token"]);
    let secret = token["token"].as_str().unwrap();
    assert!(secret.starts_with("cb_") && secret.len() == 67, "{secret}");
    assert_eq!(token["name"], "ci");
    let list = ok_json(&db, &["token", "list", "gao@cmgos.com", "--json"], "");
    let listed = &list["tokens"][0];
    assert_eq!(
        (listed["id"].clone(), listed["revoked"].clone()),
        (token["id"].clone(), Value::Bool(false))
    );
    assert!(
        !list.to_string().contains(secret),
        "a list never shows the secret"
    );
    let id = token["id"].as_i64().unwrap().to_string();
    let revoked = ok_json(&db, &["token", "revoke", &id, "--json"], "");
    assert_eq!(revoked["revoked"], true);
    let (code, error) = json_refusal(&db, &["token", "revoke", "9999", "--json"], "");
    assert_eq!((code, error["code"].as_str()), (1, Some("token_not_found")));
    let (code, stderr) = text_refusal(&db, &["--lang", "zh-CN", "token", "revoke", "9999"], "");
    assert_eq!(code, 1);
    assert!(stderr.contains("没有编号为 9999 的 API 令牌"), "{stderr}");

    let reset = ok_json(
        &db,
        &["user", "second-factor-reset", "gao@cmgos.com", "--json"],
        "",
    );
    assert_eq!(reset["second_factor"], false);
    let disabled = ok_json(&db, &["user", "disable", "gao@cmgos.com", "--json"], "");
    assert_eq!(disabled["disabled"], true);
    let (code, error) = json_refusal(&db, &["token", "create", "gao@cmgos.com", "--json"], "");
    assert_eq!(
        (code, error["details"]["reason"].as_str()),
        (1, Some("user_disabled"))
    );

    let log = ok_json(&db, &["user", "log", "--json"], "");
    let actions: Vec<&str> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .map(|entry| entry["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "user_added",
            "password_changed",
            "password_changed",
            "token_created",
            "token_revoked",
            "second_factor_reset",
            "user_disabled"
        ]
    );
    assert!(log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .all(|entry| entry["actor"] == "cli"));
    assert!(!log.to_string().contains(secret) && !log.to_string().contains("a new password"));
}

testkit::backend_tests!(
    users_are_added_listed_and_refused_by_the_cli,
    passwords_tokens_and_the_admin_log_by_the_cli,
);
