//! Backup and restore: everything comes back, on either backend, also from a backup taken mid-import.

use std::collections::BTreeMap;
use std::path::Path;

use testkit::TestDb;

use crate::{add_org, balanced, casebook, command, json, path};

/// Every file under a folder, by relative path, with its bytes.
fn files(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut found = BTreeMap::new();
    let mut folders = vec![root.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else if !path.file_name().unwrap().to_string_lossy().starts_with('.') {
                found.insert(
                    path.strip_prefix(root).unwrap().display().to_string(),
                    std::fs::read(&path).unwrap(),
                );
            }
        }
    }
    found
}

/// Everything a person or a script can see of a store.
fn everything(db: &TestDb) -> serde_json::Value {
    let cases: Vec<serde_json::Value> = json(db, &["case", "list", "--json"])["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|case| {
            json(
                db,
                &["case", "show", case["number"].as_str().unwrap(), "--json"],
            )
        })
        .collect();
    serde_json::json!({
        "cases": cases,
        "quarantine": json(db, &["quarantine", "list", "--all", "--json"]),
        "contacts": json(db, &["contact", "list", "--json"]),
        "orgs": json(db, &["org", "list", "--json"]),
        "stats": json(db, &["stats", "--json"]),
        "placements": json(db, &["dev", "placements"]),
    })
}

async fn other_backend(db: &TestDb) -> TestDb {
    match db.database_url {
        Some(_) => TestDb::sqlite(),
        None => TestDb::postgres().await,
    }
}

async fn a_backup_restores_everything(db: TestDb) {
    add_org(&db, "Acer", "acer.com", false);
    add_org(&db, "CMGOS", "cmgos.com", true);
    json(&db, &["import", path(&testkit::seed_path()), "--json"]);
    let (dir, mail) = testkit::fixture(
        "mail.eml",
        b"From: xuda@acer.com\r\nSubject: logs CMIT:0001804\r\nMessage-ID: <b1@acer.com>\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nlogs attached\r\n--B\r\n\
Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"setupact.log\"\r\n\r\nline\r\n--B--\r\n",
    );
    json(&db, &["import", path(&mail), "--json"]);
    std::fs::write(
        dir.path().join("stranger.eml"),
        "From: x@nowhere.example\r\nSubject: hi\r\n\r\nhello\r\n",
    )
    .unwrap();
    json(
        &db,
        &["import", path(&dir.path().join("stranger.eml")), "--json"],
    );
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
    // The seed made an address-less Li Qi; now there are two, and a name alone is ambiguous.
    let ambiguous =
        String::from_utf8(casebook(&db, &["case", "assign", "CAS-03865-H7P3F1", "Li Qi"]).stderr)
            .unwrap();
    assert!(
        ambiguous.contains("2 people are named Li Qi") && ambiguous.contains("contact merge"),
        "{ambiguous}"
    );
    let contacts = json(&db, &["contact", "list", "--json"]);
    let seed_li_qi = contacts["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "Li Qi" && c["addresses"] == serde_json::json!([]))
        .unwrap();
    let by_id = format!("#{}", seed_li_qi["id"]);
    assert!(ambiguous.contains(&by_id), "{ambiguous}");
    json(
        &db,
        &["contact", "merge", "liqi@cmgos.com", &by_id, "--json"],
    );
    json(
        &db,
        &["case", "assign", "CAS-03865-H7P3F1", "Li Qi", "--json"],
    );
    let second = json(
        &db,
        &[
            "case",
            "new",
            "--title",
            "second",
            "--customer",
            "Acer",
            "--json",
        ],
    )["number"]
        .as_str()
        .unwrap()
        .to_string();
    json(
        &db,
        &["case", "merge", "CAS-03865-H7P3F1", &second, "--json"],
    );
    let before = everything(&db);

    let backup = testkit::tempdir();
    let dest = backup.path().join("backup");
    let manifest = json(&db, &["backup", path(&dest), "--json"]);
    assert_eq!(manifest["blobs"].as_u64(), Some(11), "{manifest}");
    // A backup never overwrites.
    assert!(!casebook(&db, &["backup", path(&dest)]).status.success());

    let target = other_backend(&db).await;
    json(&target, &["restore", path(&dest), "--json"]);
    assert_eq!(
        everything(&target),
        before,
        "everything comes back ({} to the other backend)",
        db.backend
    );
    // Every blob reads back from the restored store byte for byte: a backup of it holds the same files.
    let again = backup.path().join("again");
    json(&target, &["backup", path(&again), "--json"]);
    assert_eq!(
        files(&dest.join("blobs")),
        files(&again.join("blobs")),
        "every blob, byte for byte"
    );
    assert_eq!(files(&dest.join("blobs")).len(), 11);
    let verified = json(&target, &["check", "--verify", "--json"]);
    assert_eq!(verified["verified"].as_u64(), Some(11), "{verified}");
    assert_eq!(
        json(&target, &["check", "--json"])["errors"],
        serde_json::json!([])
    );
    // Sequences come back too: a new case takes a new number.
    let next = json(
        &target,
        &[
            "case",
            "new",
            "--title",
            "after restore",
            "--customer",
            "Acer",
            "--json",
        ],
    );
    assert!(
        next["number"].as_str().unwrap().starts_with("CAS-00002-"),
        "{}",
        next["number"]
    );
    // Restoring twice is refused: the target is not empty any more.
    assert!(!casebook(&target, &["restore", path(&dest)])
        .status
        .success());
}

async fn a_backup_taken_during_an_import_is_consistent(db: TestDb) {
    add_org(&db, "Acer", "acer.com", false);
    let dir = testkit::tempdir();
    let file = dir.path().join("busy.mbox");
    let mbox: String = (0..4_000)
        .map(|n| format!("From x@y Mon Mar  1 10:00:00 2021\nFrom: xuda@acer.com\nSubject: t{}\nMessage-ID: <o{n}@acer.com>\n\nbody {n}\n\n", n % 40))
        .collect();
    std::fs::write(&file, mbox).unwrap();
    let import = command(&db, &["import", path(&file)])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Take the backup once the import has committed something, while it is still running.
    let started = std::time::Instant::now();
    while json(&db, &["stats", "--json"])["messages"].as_u64() == Some(0) {
        assert!(
            started.elapsed().as_secs() < 60,
            "the import committed nothing in a minute"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let dest = dir.path().join("backup");
    json(&db, &["backup", path(&dest), "--json"]);
    assert!(import.wait_with_output().unwrap().status.success());

    let target = other_backend(&db).await;
    json(&target, &["restore", path(&dest), "--json"]);
    let stats = balanced(&target);
    let restored = stats["messages"].as_u64().unwrap();
    assert!(
        restored > 0 && restored < 4_000,
        "the backup caught the import in the middle: {restored}"
    );
    assert_eq!(
        json(&target, &["check", "--json"])["errors"],
        serde_json::json!([])
    );
    // The rest of the mail can be imported into the restored store: nothing doubles.
    json(&target, &["import", path(&file), "--json"]);
    assert_eq!(balanced(&target)["messages"].as_u64(), Some(4_000));
}

testkit::backend_tests!(
    a_backup_restores_everything,
    a_backup_taken_during_an_import_is_consistent
);
