//! Reading import paths into arrivals: files, folders, maildirs, mboxes and thread exports.
//!
//! The format is told from the content ([`mail::detect`]), never from the
//! file name. An mbox or an export yields one arrival per message; any other
//! file is one arrival, even when it is empty or not mail at all (it will be
//! quarantined with the reason, not skipped).

use std::path::{Path, PathBuf};

use crate::ingest::{ArrivalKind, RawArrival};
use crate::Error;

/// Expands import paths into the files to read, in a stable order.
///
/// A folder is read recursively (a maildir's `cur/` and `new/` included;
/// its `tmp/` holds unfinished deliveries and is left alone).
pub fn collect_inputs(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Error> {
    let mut files = Vec::new();
    for path in paths {
        let metadata = std::fs::metadata(path).map_err(|source| Error::Unreadable {
            path: path.clone(),
            source,
        })?;
        if metadata.is_dir() {
            walk(path, &mut files)?;
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

fn walk(folder: &Path, files: &mut Vec<PathBuf>) -> Result<(), Error> {
    let unreadable = |source| Error::Unreadable {
        path: folder.to_path_buf(),
        source,
    };
    let mut entries: Vec<_> = std::fs::read_dir(folder)
        .map_err(unreadable)?
        .collect::<Result<_, _>>()
        .map_err(unreadable)?;
    entries.sort_by_key(|entry| entry.file_name());
    let is_maildir = entries.iter().any(|entry| entry.file_name() == "cur")
        && entries.iter().any(|entry| entry.file_name() == "new");
    for entry in entries {
        let path = entry.path();
        let file_type = entry.file_type().map_err(|source| Error::Unreadable {
            path: path.clone(),
            source,
        })?;
        if file_type.is_dir() {
            if is_maildir && entry.file_name() == "tmp" {
                continue;
            }
            walk(&path, files)?;
        } else if file_type.is_file() || file_type.is_symlink() {
            files.push(path);
        }
    }
    Ok(())
}

/// Reads one file into its arrivals.
pub fn read_arrivals(path: &Path) -> Result<Vec<RawArrival>, Error> {
    let bytes = std::fs::read(path).map_err(|source| Error::Unreadable {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(split_arrivals(bytes, &path.display().to_string()))
}

/// Splits one file's bytes into arrivals, by content.
pub fn split_arrivals(bytes: Vec<u8>, origin: &str) -> Vec<RawArrival> {
    match mail::detect(&bytes) {
        mail::Format::Mbox => {
            let messages = mail::container::split_mbox(&bytes);
            if messages.is_empty() {
                return vec![RawArrival {
                    bytes,
                    origin: origin.to_string(),
                    kind: ArrivalKind::Mail,
                }];
            }
            messages
                .into_iter()
                .enumerate()
                .map(|(index, message)| RawArrival {
                    bytes: message.into_owned(),
                    origin: format!("{origin}#{}", index + 1),
                    kind: ArrivalKind::Mail,
                })
                .collect()
        }
        mail::Format::Export => match mail::export::split(&bytes) {
            Ok(chunks) => chunks
                .into_iter()
                .map(|chunk| RawArrival {
                    bytes: chunk.bytes,
                    origin: format!("{origin}#{}", chunk.index),
                    kind: ArrivalKind::ExportChunk,
                })
                .collect(),
            Err(_) => vec![RawArrival {
                bytes,
                origin: origin.to_string(),
                kind: ArrivalKind::ExportChunk,
            }],
        },
        mail::Format::Eml | mail::Format::Unknown => vec![RawArrival {
            bytes,
            origin: origin.to_string(),
            kind: ArrivalKind::Mail,
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrivals_by_content() {
        let mbox = b"From a@b Mon Mar  1 10:00:00 2021\nSubject: one\n\nx\n\nFrom c@d Mon Mar  1 11:00:00 2021\nSubject: two\n\ny\n".to_vec();
        let arrivals = split_arrivals(mbox, "box");
        assert_eq!(
            arrivals
                .iter()
                .map(|a| a.origin.as_str())
                .collect::<Vec<_>>(),
            ["box#1", "box#2"]
        );
        let export = "邮件主题：x CAS-00001-AAAAAA\n====第1封邮件====\n发件人：A\n====第2封邮件====\n发件人：B\n".as_bytes().to_vec();
        let arrivals = split_arrivals(export, "t.txt");
        assert_eq!(arrivals.len(), 2);
        assert!(arrivals.iter().all(|a| a.kind == ArrivalKind::ExportChunk));
        assert_eq!(split_arrivals(Vec::new(), "empty").len(), 1);
        assert_eq!(
            split_arrivals(b"Subject: x\n\nbody".to_vec(), "m.eml")[0].kind,
            ArrivalKind::Mail
        );
    }

    #[test]
    fn folders_and_maildirs() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["cur/1", "new/2", "tmp/3", "sub/4.eml"] {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "Subject: x\n\ny").unwrap();
        }
        let files = collect_inputs(&[dir.path().to_path_buf()]).unwrap();
        let names: Vec<String> = files
            .iter()
            .map(|f| f.strip_prefix(dir.path()).unwrap().display().to_string())
            .collect();
        assert_eq!(names, ["cur/1", "new/2", "sub/4.eml"]);
        assert!(matches!(
            collect_inputs(&[dir.path().join("missing")]),
            Err(Error::Unreadable { .. })
        ));
    }
}
