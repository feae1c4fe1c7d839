//! The timeline as an audit trail and the command-line contract: one test per finding of the
//! timeline issue (events, visibility, safe merges and splits, exit codes, languages, terminal
//! safety, quarantine dismissal, input rules), each on SQLite and PostgreSQL.

use serde_json::{json, Value};
use testkit::TestDb;

use crate::{add_org, balanced, casebook, command, failure, json, path};

fn new_case(db: &TestDb, title: &str, customer: &str) -> String {
    json(
        db,
        &[
            "case",
            "new",
            "--title",
            title,
            "--customer",
            customer,
            "--json",
        ],
    )["number"]
        .as_str()
        .unwrap()
        .to_string()
}

fn timeline(db: &TestDb, number: &str) -> Vec<Value> {
    json(db, &["case", "show", number, "--json"])["timeline"]
        .as_array()
        .unwrap()
        .clone()
}

/// Imports one plain-text email.
fn import_mail(db: &TestDb, from: &str, to: &str, subject: &str, id: &str, date: &str, body: &str) {
    let raw = format!(
        "From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\nDate: {date}\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    );
    let (_dir, file) = testkit::fixture("mail.eml", raw.as_bytes());
    json(db, &["import", path(&file), "--json"]);
}

/// The case as this person may see it.
fn view_as(db: &TestDb, number: &str, person: &str) -> Value {
    json(db, &["case", "show", number, "--as", person, "--json"])
}

/// Runs a command with `--json` that must fail: stdout stays empty, stderr is one JSON error.
fn json_failure(db: &TestDb, args: &[&str]) -> (i32, Value) {
    let output = casebook(db, args);
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
    assert!(
        error["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{error}"
    );
    (output.status.code().unwrap(), error)
}

async fn events_are_their_own_kinds_told_in_the_readers_language(db: TestDb) {
    add_org(&db, "Acer", "acer.com", false);
    let keep = new_case(&db, "reset fails", "Acer");
    let gone = new_case(&db, "reset fails again", "Acer");
    json(&db, &["case", "edit", &keep, "--priority", "P2", "--json"]);
    json(&db, &["case", "note", &keep, "called Gao Meng", "--json"]);
    json(&db, &["case", "merge", &keep, &gone, "--json"]);
    let split = json(
        &db,
        &[
            "case",
            "split",
            &keep,
            "--title",
            "second problem",
            "--empty",
            "--json",
        ],
    );
    let second = split["case"]["number"].as_str().unwrap().to_string();
    let entries = timeline(&db, &keep);
    let kinds: Vec<&str> = entries
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["status_change", "field_change", "note", "merge", "split"]
    );
    // The stored form holds values, never a sentence; every entry has an id and a visibility.
    assert_eq!(
        entries[1]["data"],
        json!({ "field": "priority", "from": "P3", "to": "P2" })
    );
    assert_eq!(entries[3]["data"]["case"], gone.as_str());
    assert_eq!(entries[4]["data"]["case"], second.as_str());
    for entry in &entries {
        assert!(entry["id"].as_i64().is_some(), "{entry}");
        assert!(
            entry["data"].get("text").is_none() || entry["kind"] == "note",
            "{entry}"
        );
    }
    let visibility: Vec<&str> = entries
        .iter()
        .map(|e| e["visibility"].as_str().unwrap())
        .collect();
    assert_eq!(
        visibility,
        ["public", "public", "internal", "internal", "internal"]
    );
    let zh = String::from_utf8(casebook(&db, &["--lang", "zh-CN", "case", "show", &keep]).stdout)
        .unwrap();
    for expected in [
        "案例创建",
        "优先级：P3 → P2",
        &format!("已将 {gone} 合并到本案例"),
        &format!("已从本案例拆分出 {second}"),
    ] {
        assert!(zh.contains(expected), "{expected} missing from:\n{zh}");
    }
    for english in ["merged", "split", "changed", "case opened"] {
        assert!(!zh.contains(english), "{english} in:\n{zh}");
    }
    let new_side = timeline(&db, &second);
    assert_eq!(new_side[1]["data"]["side"], "split_from");
}

async fn merges_across_customers_or_into_closed_cases_need_force(db: TestDb) {
    add_org(&db, "Acer", "acer.com", false);
    add_org(&db, "Lenovo", "lenovo.com", false);
    let (dir, mail) = testkit::fixture(
        "lenovo.eml",
        b"From: wang@lenovo.com\r\nTo: support@cmgos.com\r\nSubject: BSOD on boot\r\nMessage-ID: <l1@lenovo.com>\r\nDate: Mon, 01 Feb 2021 08:00:00 +0000\r\n\r\nthe machine crashes\r\n",
    );
    let imported = json(&db, &["import", path(&mail), "--json"]);
    let lenovo = imported["cases"][0].as_str().unwrap().to_string();
    let acer = new_case(&db, "reset fails", "Acer");
    let (code, error) = json_failure(&db, &["case", "merge", &acer, &lenovo, "--json"]);
    assert_eq!(
        (code, error["code"].as_str()),
        (1, Some("merge_needs_confirmation"))
    );
    assert_eq!(error["details"]["concerns"], json!(["other_customer"]));
    // Details hold identifiers and values; the sentence is the message's, in the reader's language.
    assert_eq!(
        (
            error["details"]["keep_customer"].as_str(),
            error["details"]["gone_customer"].as_str()
        ),
        (Some("Acer"), Some("Lenovo"))
    );
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("different customers (Acer and Lenovo)") && message.contains("--force"),
        "{message}"
    );
    let (_, stderr) = failure(&db, &["--lang", "zh-CN", "case", "merge", &acer, &lenovo]);
    assert!(
        stderr.contains("不同客户") && stderr.contains("--force"),
        "{stderr}"
    );

    let merged = json(&db, &["case", "merge", &acer, &lenovo, "--force", "--json"]);
    assert_eq!(merged["warnings"][0]["code"], "other_customer_internal");
    assert_eq!(merged["warnings"][0]["count"], 1, "{merged}");
    let entries = timeline(&db, &acer);
    // One opening only; the duplicate's stayed with it.
    let openings = entries
        .iter()
        .filter(|e| e["kind"] == "status_change" && e["data"]["from"].is_null())
        .count();
    assert_eq!(openings, 1, "{entries:?}");
    // Lenovo's mail keeps its organization and is internal on Acer's case.
    let email = entries
        .iter()
        .find(|e| e["kind"] == "inbound_email")
        .unwrap();
    assert_eq!(email["visibility"], "internal");
    let opening = entries
        .iter()
        .find(|e| e["kind"] == "status_change")
        .unwrap();
    assert!(opening["org_id"].is_i64() && email["org_id"].is_i64());
    assert_ne!(email["org_id"], opening["org_id"]);
    // The case that stays began when the earlier of the two did.
    let shown = json(&db, &["case", "show", &acer, "--json"]);
    assert_eq!(shown["created_at"], "2021-02-01T08:00:00.000Z");
    drop(dir);

    let cancelled = new_case(&db, "withdrawn", "Acer");
    json(&db, &["case", "status", &cancelled, "cancelled", "--json"]);
    let other = new_case(&db, "same problem", "Acer");
    let (_, error) = json_failure(&db, &["case", "merge", &cancelled, &other, "--json"]);
    assert_eq!(error["details"]["concerns"], json!(["closed_target"]));
    json(
        &db,
        &["case", "merge", &cancelled, &other, "--force", "--json"],
    );
}

async fn splits_refuse_unknown_messages_and_need_messages_or_empty(db: TestDb) {
    add_org(&db, "CMGOS", "cmgos.com", true);
    add_org(&db, "Acer", "acer.com", false);
    json(&db, &["import", path(&testkit::seed_path()), "--json"]);
    let rows: Vec<i64> = timeline(&db, "CAS-03865-H7P3F1")
        .iter()
        .filter_map(|e| e["message_row"].as_i64())
        .collect();
    let eighth = rows[7].to_string();
    let split = json(
        &db,
        &[
            "case",
            "split",
            "CAS-03865-H7P3F1",
            "--title",
            "NTUSER.DAT",
            "--message",
            &eighth,
            "--message",
            &eighth,
            "--json",
        ],
    );
    assert_eq!(split["entries"][0]["data"]["messages"], 1);
    let (code, stderr) = failure(
        &db,
        &[
            "--lang",
            "zh-CN",
            "case",
            "split",
            "CAS-03865-H7P3F1",
            "--title",
            "x",
            "--message",
            "999",
        ],
    );
    assert_eq!(code, 1);
    assert!(
        stderr.contains("案例 CAS-03865-H7P3F1 中没有邮件“999”"),
        "{stderr}"
    );
    let (_, error) = json_failure(
        &db,
        &[
            "case",
            "split",
            "CAS-03865-H7P3F1",
            "--title",
            "x",
            "--json",
        ],
    );
    assert_eq!(error["details"]["reason"], "split_needs_messages");
}

async fn exit_codes_and_data_directories(db: TestDb) {
    // Usage errors are the user's to fix: exit 1, not 2.
    for args in [
        &["case", "status", "X", "closed"][..],
        &[
            "case",
            "new",
            "--title",
            "t",
            "--customer",
            "Acer",
            "--priority",
            "P5",
        ],
        &["case", "show"],
        &["case", "frobnicate"],
    ] {
        let (code, stderr) = failure(&db, args);
        assert_eq!(code, 1, "{args:?}: {stderr}");
    }
    let (code, error) = json_failure(&db, &["case", "new", "--priority", "P5", "--json"]);
    assert_eq!((code, error["code"].as_str()), (1, Some("usage")));

    // A command that reads refuses a place that holds no store, and creates nothing there.
    let missing = db.dir.path().join("typo");
    let output = command(&db, &["case", "show", "CAS-03865-H7P3F1"])
        .arg("--data-dir")
        .arg(&missing)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no Casebook store in") && stderr.contains("--data-dir"),
        "{stderr}"
    );
    assert!(stderr.contains("typo"), "{stderr}");
    assert!(!missing.exists(), "a read created the data directory");
    // A data directory that is a file is the user's mistake, said once.
    let file = db.dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let output = command(&db, &["org", "add", "Acer"])
        .arg("--data-dir")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("is not a folder"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    // Commands that add data create the store.
    add_org(&db, "Acer", "acer.com", false);
    assert_eq!(casebook(&db, &["case", "list"]).status.code(), Some(0));
}

async fn errors_read_whole_in_chinese(db: TestDb) {
    add_org(&db, "Acer", "acer.com", false);
    let number = new_case(&db, "reset fails", "Acer");
    let (dir, note) = testkit::fixture("note.txt", b"from a file");
    let zh = |args: &[&str]| {
        let mut all = vec!["--lang", "zh-CN"];
        all.extend_from_slice(args);
        failure(&db, &all).1
    };
    let cases: [(Vec<&str>, &str); 5] = [
        (
            vec!["case", "note", &number, "text", "--file", path(&note)],
            "备注文字和 --file 只能给一个",
        ),
        (vec!["case", "note", &number], "请给出备注文字"),
        (vec!["case", "merge", &number, &number], "是同一个案例"),
        (vec!["case", "edit", &number], "没有要修改的内容"),
        (
            vec!["case", "new", "--title", "t", "--customer", "Nobody Inc"],
            "没有组织“Nobody Inc”",
        ),
    ];
    for (args, expected) in cases {
        let stderr = zh(&args);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(
            !stderr.contains("give ") && !stderr.contains(" not "),
            "half English: {stderr}"
        );
    }
    let (_gbk_dir, gbk) = testkit::fixture("gbk.txt", b"\xce\xca\xcc\xe2\xc3\xe8\xca\xf6\xa3\xba");
    let stderr = zh(&["case", "note", &number, "--file", path(&gbk)]);
    assert!(stderr.contains("不是 UTF-8 文本"), "{stderr}");
    assert!(!stderr.contains("stream did not contain"), "{stderr}");
    drop(dir);
}

async fn text_for_people_is_safe_for_terminals(db: TestDb) {
    add_org(&db, "Acer", "acer.com", false);
    let number = new_case(&db, "reset \u{202e}fails", "Acer");
    let hostile = "red \u{1b}[31malert\u{7} here";
    json(&db, &["case", "note", &number, hostile, "--json"]);
    let shown = casebook(&db, &["case", "show", &number]).stdout;
    let text = String::from_utf8(shown).unwrap();
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{text:?}"
    );
    assert!(text.contains("red \\x1b[31malert\\x07 here"), "{text}");
    // JSON keeps the true value; titles lose bidirectional overrides at the door.
    let view = json(&db, &["case", "show", &number, "--json"]);
    assert_eq!(view["timeline"][1]["data"]["text"], hostile);
    assert_eq!(view["title"], "reset fails");
}

async fn written_summaries_as_people_write_them(db: TestDb) {
    add_org(&db, "Acer", "acer.com", false);
    let number = new_case(&db, "reset fails", "Acer");
    json(&db, &["case", "status", &number, "in_progress", "--json"]);
    let summary =
        "问题描述：\n----\n更新至17763.1757后重置失败\n案例总结：\n----\n等待OEM提供镜像\n";
    let (dir, with_bom) = testkit::fixture("bom.txt", format!("\u{feff}{summary}").as_bytes());
    let (_repeated_dir, repeated) = testkit::fixture(
        "repeated.txt",
        format!("{summary}问题描述：again\n").as_bytes(),
    );
    let (_missing_dir, missing) = testkit::fixture(
        "missing.txt",
        "问题描述：\n----\n重置失败\n案例总结：\n".as_bytes(),
    );
    let (_gbk_dir, gbk) = testkit::fixture("gbk.txt", b"\xce\xca\xcc\xe2\xc3\xe8\xca\xf6\xa3\xba");
    let refused = |status: &str, file: &std::path::Path| {
        let args = [
            "case",
            "status",
            &number,
            status,
            "--summary-file",
            path(file),
            "--json",
        ];
        json_failure(&db, &args).1
    };

    let error = refused("archived", &missing);
    assert_eq!(error["code"], "archive_needs_summary");
    assert_eq!(error["details"]["missing"], json!(["summary"]));
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("案例总结 (case summary)"),
        "{error}"
    );
    let error = refused("archived", &repeated);
    assert_eq!(error["details"]["reason"], "summary_repeated");
    let error = refused("archived", &gbk);
    assert_eq!(error["code"], "not_utf8_text");
    let error = refused("waiting_on_customer", &with_bom);
    assert_eq!(error["details"]["reason"], "summary_not_taken");

    json(
        &db,
        &[
            "case",
            "status",
            &number,
            "archived",
            "--summary-file",
            path(&with_bom),
            "--json",
        ],
    );
    let shown =
        String::from_utf8(casebook(&db, &["--lang", "zh-CN", "case", "show", &number]).stdout)
            .unwrap();
    assert!(
        shown.contains("问题描述:") && shown.contains("等待OEM提供镜像"),
        "{shown}"
    );
    assert_eq!(
        json(&db, &["case", "show", &number, "--json"])["archive_summary"]["summary"],
        "等待OEM提供镜像"
    );
    drop(dir);
}

async fn input_rules_and_limits(db: TestDb) {
    add_org(&db, "Acer", "acer.com", false);
    let long_title = "x".repeat(40_000);
    let (_, error) = json_failure(
        &db,
        &[
            "case",
            "new",
            "--title",
            &long_title,
            "--customer",
            "Acer",
            "--json",
        ],
    );
    assert_eq!(
        (
            error["details"]["reason"].as_str(),
            error["details"]["limit"].as_u64()
        ),
        (Some("too_long"), Some(200))
    );
    let (_, error) = json_failure(
        &db,
        &["case", "new", "--title", "t", "--customer", " ", "--json"],
    );
    assert_eq!(error["details"]["reason"], "customer_empty");
    let (_, error) = json_failure(
        &db,
        &[
            "case",
            "new",
            "--title",
            "t",
            "--customer",
            "Acer",
            "--stage",
            "",
            "--json",
        ],
    );
    assert_eq!(error["details"]["reason"], "stage_empty");
    // Customer names find their organization whatever the case; an unknown one needs --new-org.
    let number = new_case(&db, "reset fails", "acer");
    assert_eq!(
        json(&db, &["case", "show", &number, "--json"])["customer"],
        "Acer"
    );
    let (_, error) = json_failure(
        &db,
        &[
            "case",
            "new",
            "--title",
            "t",
            "--customer",
            "Lenovo",
            "--json",
        ],
    );
    assert_eq!(error["details"]["reason"], "unknown_customer");
    let lenovo = json(
        &db,
        &[
            "case",
            "new",
            "--title",
            "t",
            "--customer",
            "Lenovo",
            "--new-org",
            "--json",
        ],
    );
    assert_eq!(lenovo["customer"], "Lenovo");
    assert_eq!(
        json(&db, &["org", "list", "--json"])["orgs"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // A note over the limit (1 MiB by default) is refused with the setting that raises it.
    let (dir, big) = testkit::fixture("big.txt", "长".repeat(700_000).as_bytes());
    let (_, error) = json_failure(
        &db,
        &["case", "note", &number, "--file", path(&big), "--json"],
    );
    assert_eq!(error["details"]["setting"], "CASEBOOK_MAX_TEXT_BYTES");
    drop(dir);
}

async fn changes_print_what_they_changed(db: TestDb) {
    add_org(&db, "Acer", "acer.com", false);
    let number = new_case(&db, "reset fails", "Acer");
    let note = json(&db, &["case", "note", &number, "called", "--json"]);
    assert_eq!(note["case"]["number"], number.as_str());
    assert_eq!(note["changed"], true);
    assert_eq!(note["entries"].as_array().unwrap().len(), 1);
    assert_eq!(note["entries"][0]["data"]["text"], "called");
    assert!(note.get("timeline").is_none());
    // A change to what is already so says so, and succeeds.
    let same = json(
        &db,
        &["case", "edit", &number, "--priority", "P3", "--json"],
    );
    assert_eq!(
        (
            same["changed"].as_bool(),
            same["entries"].as_array().map(Vec::len)
        ),
        (Some(false), Some(0))
    );
    let text =
        String::from_utf8(casebook(&db, &["case", "edit", &number, "--priority", "P3"]).stdout)
            .unwrap();
    assert!(text.contains("nothing changed"), "{text}");
    let status =
        String::from_utf8(casebook(&db, &["case", "status", &number, "in_progress"]).stdout)
            .unwrap();
    assert_eq!(
        status.lines().count(),
        2,
        "the change, not the whole timeline: {status}"
    );
}

async fn a_partners_view_holds_only_their_public_entries(db: TestDb) {
    add_org(&db, "CMGOS", "cmgos.com", true);
    add_org(&db, "Acer", "acer.com", false);
    json(
        &db,
        &[
            "contact",
            "add",
            "xuda@acer.com",
            "--name",
            "Xu Da",
            "--org",
            "Acer",
            "--role",
            "partner_contact",
            "--json",
        ],
    );
    json(&db, &["import", path(&testkit::seed_path()), "--json"]);
    let subject =
        "RE: [案例号: CAS-03865-H7P3F1 ] % |P3|Acer|系统重置失败问题 % 初次响应 CMIT:0001804";
    import_mail(
        &db,
        "Xu Da <xuda@acer.com>",
        "liqi@cmgos.com",
        subject,
        "r1@acer.com",
        "Wed, 01 Sep 2021 09:00:00 +0800",
        "usmt.ppkg 在产线上由部署脚本调用",
    );
    import_mail(
        &db,
        "liujian@cmgos.com",
        "liqi@cmgos.com",
        subject,
        "s1@cmgos.com",
        "Thu, 02 Sep 2021 09:00:00 +0800",
        "需要我介入吗",
    );
    import_mail(
        &db,
        "liqi@cmgos.com",
        "xuda@acer.com",
        subject,
        "s2@cmgos.com",
        "Fri, 03 Sep 2021 09:00:00 +0800",
        "收到，谢谢",
    );
    json(
        &db,
        &[
            "case",
            "note",
            "CAS-03865-H7P3F1",
            "internal thoughts",
            "--json",
        ],
    );

    let staff_view = timeline(&db, "CAS-03865-H7P3F1");
    let emails: Vec<&Value> = staff_view
        .iter()
        .filter(|e| e["message_row"].is_i64())
        .collect();
    assert_eq!(emails.len(), 12);
    let visibility: Vec<&str> = emails
        .iter()
        .map(|e| e["visibility"].as_str().unwrap())
        .collect();
    // The export's nine (recipients unknown) are internal; the partner's reply and the reply to
    // the partner are public; the mail among staff is internal.
    assert_eq!(visibility[..9], ["internal"; 9]);
    assert_eq!(visibility[9..], ["public", "internal", "public"]);

    let partner = view_as(&db, "CAS-03865-H7P3F1", "xuda@acer.com");
    let seen = partner["timeline"].as_array().unwrap();
    assert!(seen.iter().all(|e| e["visibility"] == "public"), "{seen:?}");
    let bodies: Vec<&str> = seen
        .iter()
        .filter_map(|e| e["body_text"].as_str())
        .collect();
    assert_eq!(bodies.len(), 2, "{bodies:?}");
    for staff_only in [
        "超过20天没有进展",
        "之前与售前已做过沟通",
        "好的，多谢同步",
        "需要我介入吗",
        "internal thoughts",
    ] {
        assert!(
            !partner.to_string().contains(staff_only),
            "{staff_only} shown to the partner"
        );
    }
    // An engineer marks the first email public: the partner sees it, and the change is recorded.
    let first = emails[0]["id"].as_i64().unwrap().to_string();
    let marked = json(&db, &["case", "entry", &first, "--public", "--json"]);
    assert_eq!(marked["entries"][1]["kind"], "visibility_change");
    assert_eq!(marked["entries"][1]["visibility"], "internal");
    let partner = view_as(&db, "CAS-03865-H7P3F1", "xuda@acer.com");
    assert_eq!(
        partner["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["body_text"].is_string())
            .count(),
        3
    );
    for staff_only in ["超过20天没有进展", "之前与售前已做过沟通", "需要我介入吗"]
    {
        assert!(
            !partner.to_string().contains(staff_only),
            "{staff_only} shown to the partner"
        );
    }
    // A staff role given to a customer's contact is refused: the policy would not honour it.
    let (_, error) = json_failure(
        &db,
        &[
            "contact",
            "add",
            "boss@acer.com",
            "--org",
            "Acer",
            "--role",
            "engineer",
            "--json",
        ],
    );
    assert_eq!(error["details"]["reason"], "staff_role_outside_staff");
    // Another organization's contact sees no such case.
    add_org(&db, "Lenovo", "lenovo.com", false);
    json(
        &db,
        &[
            "contact",
            "add",
            "wang@lenovo.com",
            "--org",
            "Lenovo",
            "--json",
        ],
    );
    let (_, error) = json_failure(
        &db,
        &[
            "case",
            "show",
            "CAS-03865-H7P3F1",
            "--as",
            "wang@lenovo.com",
            "--json",
        ],
    );
    assert_eq!(error["code"], "case_not_found");
}

async fn quarantine_entries_are_dismissed_never_deleted(db: TestDb) {
    add_org(&db, "Acer", "acer.com", false);
    let (dir, stranger) = testkit::fixture(
        "stranger.eml",
        b"From: who@nowhere.example\r\nSubject: win a prize\r\nMessage-ID: <p1@nowhere.example>\r\n\r\nclick\r\n",
    );
    let summary = json(&db, &["import", path(&stranger), "--json"]);
    let id = summary["quarantine"][0]["id"].as_i64().unwrap().to_string();
    let dismissed = json(
        &db,
        &["quarantine", "dismiss", &id, "--reason", "spam", "--json"],
    );
    assert_eq!(
        (dismissed["resolution"].as_str(), dismissed["note"].as_str()),
        (Some("dismissed"), Some("spam"))
    );
    let stats = balanced(&db);
    assert_eq!(
        (
            stats["quarantined"].as_u64(),
            stats["quarantine_dismissed"].as_u64()
        ),
        (Some(1), Some(1))
    );
    assert!(json(&db, &["quarantine", "list", "--json"])["quarantine"]
        .as_array()
        .unwrap()
        .is_empty());
    assert_eq!(
        json(&db, &["quarantine", "list", "--all", "--json"])["quarantine"][0]["resolution"],
        "dismissed"
    );
    let shown = json(&db, &["quarantine", "show", &id, "--json"]);
    assert!(shown["raw"].as_str().unwrap().contains("click"));
    let (_, error) = json_failure(&db, &["quarantine", "dismiss", &id, "--json"]);
    assert_eq!(error["details"]["reason"], "quarantine_decided");
    // Re-importing the same mail is still a duplicate, not a new quarantine entry.
    let again = json(&db, &["import", path(&stranger), "--json"]);
    assert_eq!(again["duplicates"], 1);
    balanced(&db);
    drop(dir);
}

async fn after_a_merge_across_customers_the_other_customers_mail_stays_internal(db: TestDb) {
    add_org(&db, "CMGOS", "cmgos.com", true);
    add_org(&db, "Acer", "acer.com", false);
    add_org(&db, "Lenovo", "lenovo.com", false);
    json(
        &db,
        &[
            "contact",
            "add",
            "xuda@acer.com",
            "--org",
            "Acer",
            "--role",
            "partner_contact",
            "--json",
        ],
    );
    import_mail(
        &db,
        "xuda@acer.com",
        "support@cmgos.com",
        "reset fails",
        "a1@acer.com",
        "Mon, 01 Feb 2021 08:00:00 +0000",
        "acer asks",
    );
    import_mail(
        &db,
        "wang@lenovo.com",
        "support@cmgos.com",
        "BSOD",
        "l1@lenovo.com",
        "Mon, 01 Feb 2021 09:00:00 +0000",
        "lenovo asks",
    );
    let cases = json(&db, &["case", "list", "--json"])["cases"]
        .as_array()
        .unwrap()
        .clone();
    let number_of = |customer: &str| {
        cases.iter().find(|c| c["customer"] == customer).unwrap()["number"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (acer, lenovo) = (number_of("Acer"), number_of("Lenovo"));
    json(&db, &["case", "merge", &acer, &lenovo, "--force", "--json"]);
    // Lenovo writes again naming its old number, and an engineer answers Lenovo: both land on the
    // kept case, and neither shows to Acer.
    let subject = format!("RE: {lenovo}");
    import_mail(
        &db,
        "wang@lenovo.com",
        "support@cmgos.com",
        &subject,
        "l2@lenovo.com",
        "Tue, 02 Feb 2021 09:00:00 +0000",
        "lenovo again",
    );
    import_mail(
        &db,
        "liqi@cmgos.com",
        "wang@lenovo.com",
        &subject,
        "s1@cmgos.com",
        "Tue, 02 Feb 2021 10:00:00 +0000",
        "answer to lenovo",
    );
    let entries = timeline(&db, &acer);
    let bodies: Vec<&str> = entries
        .iter()
        .filter_map(|e| e["body_text"].as_str())
        .collect();
    assert_eq!(
        bodies,
        [
            "acer asks",
            "lenovo asks",
            "lenovo again",
            "answer to lenovo"
        ]
    );
    let seen = view_as(&db, &acer, "xuda@acer.com").to_string();
    assert!(seen.contains("acer asks"), "{seen}");
    for hidden in ["lenovo asks", "lenovo again", "answer to lenovo"] {
        assert!(!seen.contains(hidden), "{hidden} shown to Acer: {seen}");
    }
}

testkit::backend_tests!(
    after_a_merge_across_customers_the_other_customers_mail_stays_internal,
    events_are_their_own_kinds_told_in_the_readers_language,
    merges_across_customers_or_into_closed_cases_need_force,
    splits_refuse_unknown_messages_and_need_messages_or_empty,
    exit_codes_and_data_directories,
    errors_read_whole_in_chinese,
    text_for_people_is_safe_for_terminals,
    written_summaries_as_people_write_them,
    input_rules_and_limits,
    changes_print_what_they_changed,
    a_partners_view_holds_only_their_public_entries,
    quarantine_entries_are_dismissed_never_deleted,
);
