//! Case, organization, contact and quarantine commands, their errors and exit codes.

use testkit::TestDb;

use crate::{add_org, balanced, casebook, failure, json, path};

const ARCHIVE_SUMMARY: &str =
    "问题描述：\n----\n用户反馈重置失败。\n案例总结：\n----\n等待OEM提供镜像。\n";

async fn a_case_lifecycle(db: TestDb) {
    add_org(&db, "Acer", "acer.com", false);
    let case = json(
        &db,
        &[
            "case",
            "new",
            "--title",
            "系统重置失败问题",
            "--customer",
            "acer",
            "--priority",
            "P3",
            "--json",
        ],
    );
    let number = case["number"].as_str().unwrap().to_string();
    assert!(number.starts_with("CAS-00001-"), "{number}");
    assert_eq!(case["customer"], "Acer");
    assert!(case["tracking_token"]
        .as_str()
        .unwrap()
        .starts_with("CMIT:"));

    let output = casebook(&db, &["case", "note", &number, "called Gao Meng"]);
    assert!(output.status.success());
    json(&db, &["case", "status", &number, "in_progress", "--json"]);

    // Archiving needs a summary; the error says which sections.
    let (code, stderr) = failure(&db, &["case", "status", &number, "archived"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("--summary-file") && stderr.contains("问题描述"),
        "{stderr}"
    );
    let (_, stderr) = failure(
        &db,
        &["--lang", "zh-CN", "case", "status", &number, "archived"],
    );
    assert!(stderr.contains("归档案例"), "{stderr}");
    let (summary_dir, summary_file) = testkit::fixture("summary.txt", ARCHIVE_SUMMARY.as_bytes());
    let archived = json(
        &db,
        &[
            "case",
            "status",
            &number,
            "archived",
            "--summary-file",
            path(&summary_file),
            "--json",
        ],
    );
    assert_eq!(archived["case"]["status"], "archived");
    let change = &archived["entries"][0];
    assert_eq!(change["kind"], "status_change");
    assert_eq!(change["visibility"], "public");
    assert_eq!(change["data"]["summary"]["problem"], "用户反馈重置失败。");
    drop(summary_dir);

    // An illegal change names the allowed ones.
    let (code, stderr) = failure(&db, &["case", "status", &number, "in_progress"]);
    assert_eq!(code, 1);
    assert!(stderr.contains(&format!("case {number} is archived and cannot become in_progress (allowed from archived: reopened, resolved, cancelled)")), "{stderr}");
    assert_eq!(
        json(&db, &["case", "status", &number, "reopened", "--json"])["case"]["status"],
        "reopened"
    );

    // Owner and fields.
    let (_, stderr) = failure(&db, &["case", "assign", &number, "xuda@acer.com"]);
    assert!(stderr.contains("no contact 'xuda@acer.com'"), "{stderr}");
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
            "--json",
        ],
    );
    let (_, stderr) = failure(&db, &["case", "assign", &number, "Xu Da"]);
    assert!(stderr.contains("Xu Da is not staff"), "{stderr}");
    json(
        &db,
        &[
            "contact",
            "add",
            "liqi@cmgos.com",
            "--name",
            "Li Qi",
            "--role",
            "engineer",
            "--json",
        ],
    );
    let assigned = json(
        &db,
        &["case", "assign", &number, "liqi@cmgos.com", "--json"],
    );
    assert_eq!(assigned["entries"][0]["kind"], "assignment");
    assert_eq!(assigned["entries"][0]["data"]["to"], "Li Qi");
    assert_eq!(assigned["entries"][0]["visibility"], "internal");
    let edited = json(
        &db,
        &[
            "case",
            "edit",
            &number,
            "--priority",
            "P2",
            "--problem-definition",
            "Acer定制系统联网更新后，系统重置失败。",
            "--product",
            "V2020-L",
            "--json",
        ],
    );
    assert_eq!(edited["case"]["priority"], "P2");
    let changes: Vec<serde_json::Value> = edited["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            assert_eq!(entry["kind"], "field_change");
            entry["data"].clone()
        })
        .collect();
    assert_eq!(
        changes,
        [
            serde_json::json!({ "field": "priority", "from": "P3", "to": "P2" }),
            serde_json::json!({ "field": "product", "from": null, "to": "V2020-L" }),
            serde_json::json!({ "field": "problem_definition", "from": null, "to": "Acer定制系统联网更新后，系统重置失败。" }),
        ]
    );
    let shown = json(&db, &["case", "show", &number, "--json"]);
    assert_eq!(
        (shown["priority"].as_str(), shown["product"].as_str()),
        (Some("P2"), Some("V2020-L"))
    );
    let shown =
        String::from_utf8(casebook(&db, &["--lang", "zh-CN", "case", "show", &number]).stdout)
            .unwrap();
    assert!(
        shown.contains("负责人") && shown.contains("Li Qi") && shown.contains("问题定义"),
        "{shown}"
    );
    // Events are told in the reader's language, with their values.
    assert!(shown.contains("优先级：P3 → P2"), "{shown}");
    assert!(shown.contains("处理中 → 已归档"), "{shown}");
    assert!(!shown.contains("changed priority"), "{shown}");

    let kinds: Vec<String> = json(&db, &["case", "show", &number, "--json"])["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        kinds,
        [
            "status_change",
            "note",
            "status_change",
            "status_change",
            "status_change",
            "assignment",
            "field_change",
            "field_change",
            "field_change"
        ]
    );
}

async fn unknown_things_and_bad_arguments(db: TestDb) {
    add_org(&db, "Acer", "acer.com", false);
    let (code, stderr) = failure(&db, &["case", "show", "CAS-99999-NOSUCH"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("no case 'CAS-99999-NOSUCH'"), "{stderr}");
    let (_, stderr) = failure(
        &db,
        &["--lang", "zh-CN", "case", "show", "CAS-99999-NOSUCH"],
    );
    assert!(stderr.contains("找不到案例"), "{stderr}");
    let (code, stderr) = failure(&db, &["case", "status", "CAS-99999-NOSUCH", "closed"]);
    assert!(stderr.contains("'closed' is not a status"), "{stderr}");
    assert_eq!(code, 1, "a usage error is the user's to fix");
    let (_, stderr) = failure(&db, &["contact", "add", "not-an-address"]);
    assert!(stderr.contains("is not an email address"), "{stderr}");
    let (_, stderr) = failure(&db, &["contact", "add", "a@b.example", "--org", "Nowhere"]);
    assert!(stderr.contains("no organization 'Nowhere'"), "{stderr}");
    let (_, stderr) = failure(&db, &["org", "add", "Bad", "--domain", "a..b"]);
    assert!(stderr.contains("a..b"), "{stderr}");
    let (_, stderr) = failure(&db, &["quarantine", "attach", "42", "CAS-00001-AAAAAA"]);
    assert!(stderr.contains("no quarantine entry 42"), "{stderr}");
    let (_, stderr) = failure(&db, &["--lang", "fr", "stats"]);
    assert!(stderr.contains("unknown language 'fr'"), "{stderr}");
}

async fn merge_split_and_contacts(db: TestDb) {
    add_org(&db, "CMGOS", "cmgos.com", true);
    add_org(&db, "Acer", "acer.com", false);
    let listed = json(&db, &["org", "list", "--json"]);
    assert_eq!(listed["orgs"][1]["staff"], true);
    let keep = json(
        &db,
        &[
            "case",
            "new",
            "--title",
            "reset fails",
            "--customer",
            "Acer",
            "--json",
        ],
    )["number"]
        .as_str()
        .unwrap()
        .to_string();
    let gone = json(
        &db,
        &[
            "case",
            "new",
            "--title",
            "reset fails (dup)",
            "--customer",
            "Acer",
            "--json",
        ],
    )["number"]
        .as_str()
        .unwrap()
        .to_string();
    let merged = json(&db, &["case", "merge", &keep, &gone, "--json"]);
    assert_eq!(merged["entries"][0]["kind"], "merge");
    assert_eq!(merged["entries"][0]["data"]["side"], "merged_in");
    assert_eq!(merged["entries"][1]["data"]["side"], "merged_into");
    assert!(json(&db, &["case", "show", &keep, "--json"])["aliases"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a == gone.as_str()));
    assert_eq!(
        json(&db, &["case", "show", &gone, "--json"])["number"],
        keep.as_str()
    );
    assert_eq!(
        json(&db, &["case", "list", "--json"])["cases"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

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
    let second = split["case"]["number"].as_str().unwrap();
    assert_eq!(
        json(&db, &["case", "show", second, "--json"])["split_from"],
        keep.as_str()
    );
    assert_eq!(
        json(&db, &["case", "list", "--limit", "1", "--json"])["cases"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    json(
        &db,
        &[
            "contact",
            "add",
            "liujian@cmgos.com",
            "--name",
            "Liu Jian",
            "--org",
            "CMGOS",
            "--role",
            "manager",
            "--json",
        ],
    );
    json(
        &db,
        &[
            "contact",
            "add",
            "carl@example.com",
            "--name",
            "Carl Liu",
            "--json",
        ],
    );
    let person = json(
        &db,
        &[
            "contact",
            "merge",
            "liujian@cmgos.com",
            "carl@example.com",
            "--json",
        ],
    );
    assert_eq!(
        person["addresses"],
        serde_json::json!(["carl@example.com", "liujian@cmgos.com"])
    );
    assert_eq!(person["role"], "manager");
    assert_eq!(
        json(&db, &["contact", "list", "--json"])["contacts"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

async fn quarantine_from_the_command_line(db: TestDb) {
    add_org(&db, "Acer", "acer.com", false);
    let (dir, stranger) = testkit::fixture(
        "stranger.eml",
        b"From: who@nowhere.example\r\nSubject: help\r\nMessage-ID: <s1@nowhere.example>\r\n\r\nplease help\r\n",
    );
    let summary = json(&db, &["import", path(&stranger), "--json"]);
    let id = summary["quarantine"][0]["id"].as_i64().unwrap().to_string();
    assert_eq!(summary["quarantine"][0]["reason_code"], "unknown_sender");
    let shown = String::from_utf8(casebook(&db, &["quarantine", "show", &id]).stdout).unwrap();
    assert!(
        shown.contains("please help") && shown.contains("unknown_sender"),
        "{shown}"
    );
    let outcome = json(&db, &["quarantine", "release", &id, "--json"]);
    assert_eq!(
        (outcome["outcome"].as_str(), outcome["new_case"].as_bool()),
        (Some("on_case"), Some(true))
    );
    let (_, stderr) = failure(&db, &["quarantine", "release", &id]);
    assert!(stderr.contains("already released"), "{stderr}");
    assert!(json(&db, &["quarantine", "list", "--json"])["quarantine"]
        .as_array()
        .unwrap()
        .is_empty());
    assert_eq!(
        json(&db, &["quarantine", "list", "--all", "--json"])["quarantine"][0]["resolution"],
        "released"
    );
    let stats = balanced(&db);
    assert_eq!(
        (stats["messages"].as_u64(), stats["quarantined"].as_u64()),
        (Some(1), Some(0))
    );
    drop(dir);
}

testkit::backend_tests!(
    a_case_lifecycle,
    unknown_things_and_bad_arguments,
    merge_split_and_contacts,
    quarantine_from_the_command_line
);
