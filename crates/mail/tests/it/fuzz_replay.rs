//! Replays the fuzz targets' regression inputs and seeds through the targets' own functions.

use std::path::{Path, PathBuf};

fn files(folder: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut folders = vec![folder.to_path_buf()];
    while let Some(current) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&current) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                folders.push(path);
            } else if path.file_name().is_some_and(|name| name != "README.md") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// Runs one input, failing (rather than hanging the suite) if it takes more than ten seconds.
fn within_budget(path: &Path, target: fn(&[u8])) {
    let bytes = std::fs::read(path).unwrap();
    let (done, wait) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        target(&bytes);
        let _ = done.send(());
    });
    let finished = wait.recv_timeout(std::time::Duration::from_secs(10));
    assert!(
        finished.is_ok(),
        "{} took more than 10 s (or panicked)",
        path.display()
    );
}

fn regressions(target: &str) -> Vec<PathBuf> {
    files(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../fuzz/regressions")
            .join(target),
    )
}

#[test]
fn message_target_regressions_and_seeds() {
    let corpora = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora");
    let seeds: Vec<PathBuf> = [
        "mail-parser",
        "mime4j",
        "enmime",
        "cpython-email",
        "kopano",
        "rt",
        "talon",
        "notmuch",
    ]
    .iter()
    .flat_map(|corpus| files(&corpora.join(corpus)))
    .filter(|path| std::fs::metadata(path).is_ok_and(|m| m.len() < 1 << 20))
    .collect();
    assert!(
        seeds.len() > 500,
        "the seed corpora are missing ({} files)",
        seeds.len()
    );
    for path in regressions("message").iter().chain(&seeds) {
        within_budget(path, mail::fuzzing::message);
    }
}

#[test]
fn thread_export_target_regressions_and_seeds() {
    let seed =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/seed/CAS-03865-H7P3F1.txt");
    let bytes = std::fs::read(&seed).unwrap();
    mail::fuzzing::thread_export(&bytes);
    // Every prefix of the seed: exports cut off anywhere.
    for end in (0..bytes.len()).step_by(97) {
        mail::fuzzing::thread_export(&bytes[..end]);
    }
    for path in regressions("thread_export") {
        within_budget(&path, mail::fuzzing::thread_export);
    }
}

#[test]
fn address_and_subject_target_regressions() {
    // The header readers on the headers of the seed corpora's messages.
    let corpora = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora");
    let mut headers = 0;
    for path in files(&corpora.join("mail-parser")) {
        let bytes = std::fs::read(&path).unwrap();
        for line in bytes.split(|b| *b == b'\n') {
            let lower = String::from_utf8_lossy(line).to_ascii_lowercase();
            if let Some(value) = ["from:", "to:", "cc:"]
                .iter()
                .find_map(|name| lower.starts_with(name).then(|| &line[name.len()..]))
            {
                mail::fuzzing::address(value);
                headers += 1;
            }
            if lower.starts_with("subject:") {
                mail::fuzzing::subject(&line[8..]);
            }
        }
    }
    assert!(
        headers > 100,
        "the seed corpora are missing ({headers} headers)"
    );
    for path in regressions("address") {
        within_budget(&path, mail::fuzzing::address);
    }
    for path in regressions("subject") {
        within_budget(&path, mail::fuzzing::subject);
    }
}
