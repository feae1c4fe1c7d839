//! Case integration tests: the subject fuzz target's regressions.
#![allow(missing_docs, clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

#[test]
fn subject_target_regressions_and_seeds() {
    let folder =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/regressions/subject");
    let mut inputs: Vec<Vec<u8>> = std::fs::read_dir(&folder)
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.file_name() != "README.md")
                .map(|e| std::fs::read(e.path()).unwrap())
                .collect()
        })
        .unwrap_or_default();
    let seed = std::fs::read_to_string(
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/seed/CAS-03865-H7P3F1.txt"),
    )
    .unwrap();
    let subject_line = seed.lines().next().unwrap().to_string();
    inputs.push(subject_line.into_bytes());
    inputs.extend(
        [
            "",
            "RE:",
            "[案例号:",
            "CAS-",
            "%|%|",
            "\u{2009}",
            "\u{202e}abc",
            "a\0b",
            "回复：回复：回复：",
        ]
        .map(|s| s.as_bytes().to_vec()),
    );
    for input in inputs {
        case::fuzzing::subject(&input);
    }
}
