//! The mail conformance run over `../shared/corpora`.
//!
//! Every message of every corpus goes through `intake::inspect`, the ingest path's own parse.
//! Where a corpus has expected results they are compared (see each `compare_*` function);
//! elsewhere a message only has to be read without a crash. The per-corpus table counts
//! messages, compared, matching, mismatching and crashed. Input rules follow
//! `corpora/stats.py`. Accepted mismatches, and why, are in `docs/conformance.md`.

#[cfg(test)]
use std::collections::BTreeMap;
use std::io::Read;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use intake::inspect::{inspect, Inspection};
use intake::{ArrivalKind, IntakeConfig, RawArrival};
use serde::Serialize;
use serde_json::Value;

/// One corpus's line in the table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Row {
    /// The corpus folder.
    pub corpus: String,
    /// Messages read (an mbox counts its messages).
    pub messages: usize,
    /// Messages with expected results that were compared.
    pub compared: usize,
    /// Compared messages whose every compared field matched.
    pub matching: usize,
    /// Compared messages with at least one differing field.
    pub mismatching: usize,
    /// Messages whose reading panicked.
    pub crashed: usize,
    /// What is compared in this corpus.
    pub fields: String,
}

/// One differing field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mismatch {
    /// The corpus.
    pub corpus: String,
    /// The file, relative to the corpus.
    pub file: String,
    /// The field.
    pub field: String,
    /// What the corpus expects.
    pub expected: String,
    /// What Casebook read.
    pub actual: String,
}

/// The whole run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// One row per corpus.
    pub rows: Vec<Row>,
    /// Every mismatch.
    pub mismatches: Vec<Mismatch>,
}

impl Report {
    /// The table as Markdown, then the mismatches.
    pub fn table(&self) -> String {
        let mut out = String::from("| corpus | messages | compared | matching | mismatching | crashed | compared fields |\n|---|---:|---:|---:|---:|---:|---|\n");
        for row in &self.rows {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} |\n",
                row.corpus,
                row.messages,
                row.compared,
                row.matching,
                row.mismatching,
                row.crashed,
                row.fields
            ));
        }
        out.push_str("\n## Mismatches\n\n");
        for mismatch in &self.mismatches {
            out.push_str(&format!(
                "- {}/{}: {}: expected {:?}, read {:?}\n",
                mismatch.corpus,
                mismatch.file,
                mismatch.field,
                clip(&mismatch.expected),
                clip(&mismatch.actual)
            ));
        }
        out
    }
}

fn clip(text: &str) -> String {
    let clipped: String = text.chars().take(120).collect();
    if clipped.len() < text.len() {
        format!("{clipped}…")
    } else {
        clipped
    }
}

/// Collapses white space and trims, as the corpora's comparison advice says.
fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn walk(folder: &Path, files: &mut Vec<PathBuf>) -> Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(folder)
        .with_context(|| format!("reading {}", folder.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(&path, files)?;
        } else {
            files.push(path);
        }
    }
    Ok(())
}

/// Expected-result and licence files: not messages (after `corpora/stats.py`).
fn is_input(corpus: &str, relative: &str) -> bool {
    let name = relative.rsplit('/').next().unwrap_or(relative);
    let skipped_names = [
        "README",
        "README.md",
        "LICENSE",
        "COPYING",
        "ARTISTIC-LICENSE.txt",
        "README.txt",
        ".gitattributes",
    ];
    let skipped_endings = [
        ".json",
        ".xml",
        ".out",
        ".bin",
        ".golden",
        ".list",
        ".tsv",
        ".py",
        ".md",
        ".tnef",
        ".rtf",
        ".png",
        ".expected",
    ];
    !(skipped_names.contains(&name)
        || skipped_endings.iter().any(|ending| name.ends_with(ending))
        || relative.contains("_decoded_")
        || relative.contains("mbox.rlug-")
        || relative.ends_with("_reply_text")
        || relative.ends_with("_signature")
        || relative.ends_with("-summary.txt")
        || (corpus == "mimekit"
            && relative.starts_with("tnef/")
            && relative.matches('/').count() > 1)
        || relative.starts_with("LICENSES/"))
}

struct Message {
    relative: String,
    inspection: Option<Inspection>,
}

/// Reads every message of a corpus; a panic is counted, not propagated.
fn read_corpus(
    folder: &Path,
    corpus: &str,
    config: &IntakeConfig,
    row: &mut Row,
) -> Result<Vec<Message>> {
    let mut files = Vec::new();
    walk(folder, &mut files)?;
    let mut messages = Vec::new();
    for file in files {
        let relative = file
            .strip_prefix(folder)?
            .to_string_lossy()
            .replace('\\', "/");
        if !is_input(corpus, &relative) {
            continue;
        }
        let mut bytes = std::fs::read(&file)?;
        if relative.ends_with(".gz") {
            let mut plain = Vec::new();
            flate2::read::GzDecoder::new(bytes.as_slice()).read_to_end(&mut plain)?;
            bytes = plain;
        }
        let arrivals = intake::files::split_arrivals(bytes, &relative);
        for arrival in arrivals {
            row.messages += 1;
            let inspected = catch_unwind(AssertUnwindSafe(|| inspect(&arrival, config)));
            if inspected.is_err() {
                row.crashed += 1;
            }
            messages.push(Message {
                relative: arrival.origin.clone(),
                inspection: inspected.ok(),
            });
        }
    }
    Ok(messages)
}

/// Compares one message field by field; returns the mismatches.
type Checks = Vec<(&'static str, String, String)>;

fn record(row: &mut Row, report: &mut Vec<Mismatch>, corpus: &str, file: &str, checks: Checks) {
    row.compared += 1;
    let differing: Vec<_> = checks
        .into_iter()
        .filter(|(_, expected, actual)| expected != actual)
        .collect();
    if differing.is_empty() {
        row.matching += 1;
    } else {
        row.mismatching += 1;
        for (field, expected, actual) in differing {
            report.push(Mismatch {
                corpus: corpus.into(),
                file: file.into(),
                field: field.into(),
                expected,
                actual,
            });
        }
    }
}

/// The corpus's value, or what Casebook read when the two differ only where the corpus wrote
/// U+FFFD: mail-parser writes it for raw 8-bit header bytes it does not decode, which Casebook
/// reads in the message's declared (or a detected) charset (issue 7).
fn lossy_as_read(expected: &str, actual: &str) -> String {
    let same_but_lost = expected.contains('\u{fffd}')
        && expected.chars().count() == actual.chars().count()
        && expected
            .chars()
            .zip(actual.chars())
            .all(|(want, got)| want == got || (want == '\u{fffd}' && !got.is_ascii()));
    if same_but_lost {
        actual.to_string()
    } else {
        expected.to_string()
    }
}

fn read_json(path: &Path) -> Result<Value> {
    serde_json::from_slice(&std::fs::read(path)?)
        .with_context(|| format!("parsing {}", path.display()))
}

/// mail-parser: its own parse of each `.eml` as JSON; headers of the root part, text bodies, attachments.
fn compare_mail_parser(
    folder: &Path,
    messages: &[Message],
    row: &mut Row,
    mismatches: &mut Vec<Mismatch>,
) -> Result<()> {
    row.fields =
        "subject, from, to, date, message-id, text body, attachment count and sizes".into();
    for message in messages {
        let expected_path = folder.join(message.relative.replace(".eml", ".json"));
        if message.inspection.is_none() || !expected_path.exists() {
            continue;
        }
        // NNN.json describes the file with LF line ends (mail-parser's test converts before parsing).
        let raw = std::fs::read(folder.join(&message.relative))?;
        let reread;
        let inspection = if raw.contains(&b'\r') {
            let mut bytes = Vec::with_capacity(raw.len());
            let mut iter = raw.iter().peekable();
            while let Some(byte) = iter.next() {
                if !(*byte == b'\r' && iter.peek() == Some(&&b'\n')) {
                    bytes.push(*byte);
                }
            }
            let arrival = RawArrival {
                bytes,
                origin: message.relative.clone(),
                kind: ArrivalKind::Mail,
            };
            reread = inspect(&arrival, &IntakeConfig::default());
            &reread
        } else {
            message.inspection.as_ref().expect("checked above")
        };
        let expected = read_json(&expected_path)?;
        let parts = expected["parts"].as_array().cloned().unwrap_or_default();
        let header = |name: &str| -> Option<Value> {
            parts.first()?["headers"]
                .as_array()?
                .iter()
                .rev()
                .find(|h| h["name"] == name)
                .map(|h| h["value"].clone())
        };
        let mut checks: Checks = Vec::new();
        let text = |value: Option<Value>| {
            value
                .and_then(|v| v["Text"].as_str().map(str::to_string))
                .unwrap_or_default()
        };
        let subject = inspection.subject.clone().unwrap_or_default();
        checks.push((
            "subject",
            lossy_as_read(text(header("subject")).trim(), &subject),
            subject,
        ));
        checks.push((
            "message_id",
            text(header("message_id")),
            inspection.message_id.clone().unwrap_or_default(),
        ));
        let addresses = |value: Option<Value>| -> Vec<String> {
            let Some(value) = value else {
                return Vec::new();
            };
            let list = value["Address"]["List"]
                .as_array()
                .cloned()
                .unwrap_or_else(|| {
                    value["Address"]["Group"]
                        .as_array()
                        .map(|groups| {
                            groups
                                .iter()
                                .flat_map(|g| {
                                    g["addresses"].as_array().cloned().unwrap_or_default()
                                })
                                .collect()
                        })
                        .unwrap_or_default()
                });
            list.iter()
                .filter_map(|a| a["address"].as_str())
                .map(|a| a.trim().to_lowercase())
                .filter(|a| a.contains('@'))
                .collect()
        };
        let from = addresses(header("from"));
        checks.push((
            "from",
            from.first().cloned().unwrap_or_default(),
            inspection
                .from
                .as_ref()
                .and_then(|m| m.address.clone())
                .unwrap_or_default(),
        ));
        let to: Vec<String> = inspection
            .to
            .iter()
            .filter_map(|m| m.address.clone())
            .collect();
        checks.push(("to", addresses(header("to")).join(", "), to.join(", ")));
        if let Some(date) = header("date").and_then(|v| v.get("DateTime").cloned()) {
            checks.push((
                "date",
                expected_date(&date).unwrap_or_default(),
                inspection.date.clone().unwrap_or_default(),
            ));
        }
        let text_parts: Vec<String> = expected["text_body"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .filter_map(|index| {
                parts.get(usize::try_from(index.as_u64()?).ok()?)?["body"]["Text"]
                    .as_str()
                    .map(str::to_string)
            })
            .collect();
        let all_text = expected["text_body"]
            .as_array()
            .is_some_and(|list| list.len() == text_parts.len());
        if all_text && !text_parts.is_empty() {
            checks.push((
                "body_text",
                squash(&text_parts.join("\n")),
                squash(inspection.body_text.as_deref().unwrap_or("")),
            ));
        }
        // Sizes of attached files; an attached message is parsed in the JSON, so it counts as "message".
        let mut expected_sizes: Vec<String> = expected["attachments"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .filter_map(|index| {
                let body = &parts.get(usize::try_from(index.as_u64()?).ok()?)?["body"];
                Some(match body.as_object().and_then(|map| map.iter().next()) {
                    Some((kind, _)) if kind == "Message" => "message".to_string(),
                    Some((_, Value::String(text))) => text.len().to_string(),
                    Some((_, Value::Array(bytes))) => bytes.len().to_string(),
                    _ => "0".to_string(),
                })
            })
            .collect();
        let mut actual_sizes: Vec<String> = inspection
            .attachments
            .iter()
            .map(|a| {
                if a.content_type == "message/rfc822" {
                    "message".to_string()
                } else {
                    a.size.to_string()
                }
            })
            .collect();
        expected_sizes.sort_unstable();
        actual_sizes.sort_unstable();
        checks.push((
            "attachment sizes",
            format!("{expected_sizes:?}"),
            format!("{actual_sizes:?}"),
        ));
        record(row, mismatches, "mail-parser", &message.relative, checks);
    }
    Ok(())
}

fn expected_date(date: &Value) -> Option<String> {
    let field = |name: &str| {
        date[name]
            .as_i64()
            .and_then(|value| u32::try_from(value).ok())
    };
    let sign = if date["tz_before_gmt"].as_bool()? {
        -1
    } else {
        1
    };
    let offset = chrono::FixedOffset::east_opt(
        sign * i32::try_from(field("tz_hour")? * 3600 + field("tz_minute")? * 60).ok()?,
    )?;
    let local = chrono::NaiveDate::from_ymd_opt(
        i32::try_from(field("year")?).ok()?,
        field("month")?,
        field("day")?,
    )?
    .and_hms_opt(field("hour")?, field("minute")?, field("second")?)?;
    let utc = local.and_local_timezone(offset).single()?.to_utc();
    Some(utc.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
}

/// Kopano: subject, body and sender-name expectations per file.
fn compare_kopano(
    folder: &Path,
    messages: &[Message],
    row: &mut Row,
    mismatches: &mut Vec<Mismatch>,
) -> Result<()> {
    row.fields = "subject, sender name, body equals/contains (Kopano's lossy '?' values compared as written)".into();
    let expected = read_json(&folder.join("expected.json"))?;
    for case in expected["cases"].as_array().cloned().unwrap_or_default() {
        let file = case["file"].as_str().unwrap_or_default();
        let Some(inspection) = messages
            .iter()
            .find(|m| m.relative == file)
            .and_then(|m| m.inspection.as_ref())
        else {
            continue;
        };
        let expect = &case["expect"];
        let mut checks: Checks = Vec::new();
        let body = inspection.body_text.clone().unwrap_or_default();
        if let Some(subject) = expect["subject_equals"].as_str() {
            checks.push((
                "subject",
                subject.to_string(),
                inspection.subject.clone().unwrap_or_default(),
            ));
        }
        if let Some(name) = expect["sender_name_equals"].as_str() {
            checks.push((
                "sender name",
                name.to_string(),
                inspection
                    .from
                    .as_ref()
                    .and_then(|m| m.name.clone())
                    .unwrap_or_default(),
            ));
        }
        if let Some(text) = expect["body_equals"].as_str() {
            checks.push(("body", squash(text), squash(&body)));
        }
        if let Some(text) = expect["body_contains"].as_str() {
            let found = if squash(&body).contains(&squash(text)) {
                squash(text)
            } else {
                squash(&body)
            };
            checks.push(("body contains", squash(text), found));
        }
        if checks.is_empty() {
            continue;
        }
        record(row, mismatches, "kopano", file, checks);
    }
    Ok(())
}

/// talon: the reply with its quoted history removed.
fn compare_talon(
    folder: &Path,
    messages: &[Message],
    row: &mut Row,
    mismatches: &mut Vec<Mismatch>,
) -> Result<()> {
    row.fields = "reply text with quoted history removed (plain replies)".into();
    let expected = read_json(&folder.join("expected.json"))?;
    for case in expected["cases"].as_array().cloned().unwrap_or_default() {
        if case["kind"] != "plain-reply" {
            continue;
        }
        let file = case["file"].as_str().unwrap_or_default();
        let Some(inspection) = messages
            .iter()
            .find(|m| m.relative == file)
            .and_then(|m| m.inspection.as_ref())
        else {
            continue;
        };
        let body = inspection.body_text.clone().unwrap_or_default();
        let own = inspection
            .quoted_from
            .and_then(|at| body.get(..at))
            .unwrap_or(&body);
        let reply_file = folder.join(file.replace(".eml", "_reply_text"));
        let wanted = if reply_file.exists() {
            std::fs::read_to_string(reply_file)?
        } else {
            case["expected_reply"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        };
        record(
            row,
            mismatches,
            "talon",
            file,
            vec![("reply", wanted.trim().to_string(), own.trim().to_string())],
        );
    }
    Ok(())
}

/// A sisimai reason in Casebook's vocabulary (`mail::bounce::BounceReason`, snake case).
/// sisimai has some thirty reasons; Casebook keeps what tells an engineer what to do.
fn reason_class(sisimai: &str) -> &'static str {
    match sisimai {
        "userunknown" | "hasmoved" | "hostunknown" | "suspend" => "address_gone",
        "mailboxfull" => "mailbox_full",
        "mesgtoobig" | "exceedlimit" => "too_large",
        "filtered" | "rejected" | "blocked" | "policyviolation" | "spamdetected"
        | "virusdetected" | "securityerror" | "authfailure" | "requireptr" | "badreputation"
        | "norelaying" | "notaccept" | "contenterror" | "notcompliantrfc" | "syntaxerror"
        | "speeding" => "rejected",
        "expired" | "networkerror" | "toomanyconn" | "systemerror" | "systemfull"
        | "mailererror" | "onhold" => "temporary",
        "feedback" => "complaint",
        "vacation" => "auto_reply",
        "delivered" => "delivered",
        _ => "unknown",
    }
}

/// sisimai: bounces are recognised (and its two non-bounces are not); for each bounce, as
/// many recipients as sisimai finds, each with its reason class and, where sisimai gives
/// one, its enhanced status code.
fn compare_sisimai(
    folder: &Path,
    messages: &[Message],
    row: &mut Row,
    mismatches: &mut Vec<Mismatch>,
) -> Result<()> {
    row.fields = "bounce or not; failed recipients: count, reason class (sisimai reasons mapped to Casebook's), enhanced status code".into();
    let tsv = std::fs::read_to_string(folder.join("expected-bounces.tsv"))?;
    let mut expected: std::collections::HashMap<String, Vec<(String, String)>> =
        std::collections::HashMap::new();
    for line in tsv.lines().skip(1) {
        let cells: Vec<&str> = line.split('\t').collect();
        if let [file, _, status, _, reason, ..] = cells.as_slice() {
            expected
                .entry((*file).to_string())
                .or_default()
                .push(((*status).to_string(), reason_class(reason).to_string()));
        }
    }
    for message in messages {
        let Some(inspection) = &message.inspection else {
            continue;
        };
        let is_bounce = if inspection.auto_submitted.is_some() {
            "bounce"
        } else {
            "not a bounce"
        };
        if message.relative.starts_with("not/") {
            record(
                row,
                mismatches,
                "sisimai",
                &message.relative,
                vec![("bounce", "not a bounce".into(), is_bounce.into())],
            );
            continue;
        }
        // A file in mbox form is read as `file#1`; a second message in one file has no expectation.
        let (file, nth) = message
            .relative
            .split_once('#')
            .map_or((message.relative.as_str(), "1"), |(file, nth)| (file, nth));
        if nth != "1" {
            continue;
        }
        let wanted = expected.get(file).cloned().unwrap_or_default();
        let found: Vec<(String, String)> = inspection
            .bounce
            .iter()
            .flat_map(|bounce| bounce.recipients.iter())
            .map(|recipient| {
                (
                    recipient.status.clone().unwrap_or_default(),
                    serde_json::to_value(recipient.reason)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default(),
                )
            })
            .collect();
        let mut checks = vec![
            ("bounce", "bounce".to_string(), is_bounce.to_string()),
            (
                "recipients",
                wanted.len().to_string(),
                found.len().to_string(),
            ),
        ];
        for (index, (status, class)) in wanted.iter().enumerate() {
            let (own_status, own_class) = found.get(index).cloned().unwrap_or_default();
            checks.push(("reason", class.clone(), own_class));
            // sisimai writes its own codes X.0.9NN where a bounce has no status: not RFC 3463.
            let pseudo = status
                .split('.')
                .nth(2)
                .is_some_and(|detail| detail.len() == 3);
            if !status.is_empty() && !pseudo {
                checks.push(("status", status.clone(), own_status));
            }
        }
        record(row, mismatches, "sisimai", &message.relative, checks);
    }
    Ok(())
}

/// The repository's own quoted-history fixtures (`crates/mail/tests/fixtures/quote`).
pub fn quote_fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../crates/mail/tests/fixtures/quote")
}

/// The `field: value` lines of the `.expected` file beside a fixture.
fn expected_beside(folder: &Path, message: &Message) -> Result<Vec<(String, String)>> {
    let path = folder.join(message.relative.replace(".eml", ".expected"));
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("{} has no .expected beside it", message.relative))?;
    Ok(text
        .lines()
        .filter_map(|line| line.split_once(':'))
        .map(|(field, value)| (field.trim().to_string(), value.trim().to_string()))
        .collect())
}

/// Casebook's quoted-history fixtures, one row per client family: where `quoted_from` falls,
/// and that the sender's new text stays outside the fold.
fn compare_quote(
    folder: &Path,
    messages: &[Message],
    row: &mut Row,
    mismatches: &mut Vec<Mismatch>,
) -> Result<()> {
    row.fields = "where quoted history begins; the new text stays unfolded".into();
    for message in messages {
        let expected = expected_beside(folder, message)?;
        let field = |name: &str| {
            expected
                .iter()
                .find(|(field, _)| field == name)
                .map(|(_, value)| value.clone())
                .unwrap_or_default()
        };
        let (quoted, new) = (field("quoted"), field("new"));
        let Some(inspection) = message.inspection.as_ref() else {
            continue;
        };
        let body = inspection.body_text.clone().unwrap_or_default();
        let rest = inspection.quoted_from.and_then(|at| body.get(at..));
        let own = inspection
            .quoted_from
            .and_then(|at| body.get(..at))
            .unwrap_or(&body);
        let found = match rest {
            None => "none".to_string(),
            Some(rest) if rest.trim_start().starts_with(&quoted) => quoted.clone(),
            Some(rest) => rest
                .trim_start()
                .lines()
                .next()
                .unwrap_or_default()
                .to_string(),
        };
        let kept = if own.contains(&new) {
            new.clone()
        } else {
            format!("folded: {}", clip(own))
        };
        record(
            row,
            mismatches,
            &row.corpus.clone(),
            &message.relative,
            vec![("quoted from", quoted, found), ("new text", new, kept)],
        );
    }
    Ok(())
}

/// Casebook's header fixtures (`crates/mail/tests/fixtures/headers`): raw legacy-charset
/// headers, encoded words as clients break them, addresses as they come.
fn compare_headers(
    folder: &Path,
    messages: &[Message],
    row: &mut Row,
    mismatches: &mut Vec<Mismatch>,
) -> Result<()> {
    row.fields = "subject, sender name and address, whether the charset was guessed".into();
    for message in messages {
        let expected = expected_beside(folder, message)?;
        let Some(inspection) = message.inspection.as_ref() else {
            continue;
        };
        let guessed = inspection
            .problems
            .iter()
            .find(|problem| problem["kind"] == "guessed_charset")
            .and_then(|problem| problem["charset"].as_str())
            .unwrap_or("none")
            .to_string();
        let from = inspection.from.as_ref();
        let mut checks: Checks = Vec::new();
        for (field, value) in expected {
            let (name, actual) = match field.as_str() {
                "subject" => ("subject", inspection.subject.clone().unwrap_or_default()),
                "from_name" => (
                    "sender name",
                    from.and_then(|m| m.name.clone()).unwrap_or("none".into()),
                ),
                "from_address" => (
                    "sender address",
                    from.and_then(|m| m.address.clone())
                        .unwrap_or("none".into()),
                ),
                "guessed" => ("guessed charset", guessed.clone()),
                _ => continue,
            };
            checks.push((name, value, actual));
        }
        record(row, mismatches, "headers", &message.relative, checks);
    }
    Ok(())
}

/// Runs the conformance over every corpus folder, then over the quoted-history fixtures.
pub fn run(corpora: &Path) -> Result<Report> {
    let config = IntakeConfig::default();
    let mut names: Vec<String> = std::fs::read_dir(corpora)
        .with_context(|| format!("the corpora are missing at {}", corpora.display()))?
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.path().is_dir())
        .map(|entry| entry.file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    let mut report = Report::default();
    for name in names {
        let folder = corpora.join(&name);
        let mut row = Row {
            corpus: name.clone(),
            fields: "none (read without a crash)".into(),
            ..Row::default()
        };
        let messages = read_corpus(&folder, &name, &config, &mut row)?;
        match name.as_str() {
            "mail-parser" => {
                compare_mail_parser(&folder, &messages, &mut row, &mut report.mismatches)?
            }
            "kopano" => compare_kopano(&folder, &messages, &mut row, &mut report.mismatches)?,
            "talon" => compare_talon(&folder, &messages, &mut row, &mut report.mismatches)?,
            "sisimai" => compare_sisimai(&folder, &messages, &mut row, &mut report.mismatches)?,
            _ => {}
        }
        report.rows.push(row);
    }
    let headers = quote_fixtures().join("../headers");
    let mut row = Row {
        corpus: "headers".into(),
        ..Row::default()
    };
    let messages = read_corpus(&headers, "headers", &config, &mut row)?;
    compare_headers(&headers, &messages, &mut row, &mut report.mismatches)?;
    report.rows.push(row);
    let fixtures = quote_fixtures();
    let mut families: Vec<String> = std::fs::read_dir(&fixtures)
        .with_context(|| format!("the quote fixtures are missing at {}", fixtures.display()))?
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.path().is_dir())
        .map(|entry| entry.file_name().to_string_lossy().to_string())
        .collect();
    families.sort();
    for family in families {
        let folder = fixtures.join(&family);
        let mut row = Row {
            corpus: format!("quote/{family}"),
            ..Row::default()
        };
        let messages = read_corpus(&folder, &row.corpus.clone(), &config, &mut row)?;
        compare_quote(&folder, &messages, &mut row, &mut report.mismatches)?;
        report.rows.push(row);
    }
    Ok(report)
}

/// The ratchet: per corpus, the fewest messages and matches allowed.
#[cfg(test)]
fn baseline() -> BTreeMap<String, (usize, usize)> {
    let text = include_str!("../conformance-baseline.json");
    let value: Value = serde_json::from_str(text)
        .expect("the baseline file is valid JSON (it is in the repository)");
    value
        .as_object()
        .map(|map| {
            map.iter()
                .map(|(corpus, v)| {
                    (
                        corpus.clone(),
                        (
                            v["messages"].as_u64().unwrap_or(0) as usize,
                            v["matching"].as_u64().unwrap_or(0) as usize,
                        ),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lossy_expectations() {
        assert_eq!(lossy_as_read("Fr\u{fffd}sche", "Frösche"), "Frösche");
        assert_eq!(lossy_as_read("Fr\u{fffd}sche", "Frasche"), "Fr\u{fffd}sche");
        assert_eq!(lossy_as_read("Frösche", "FrÃ¶sche"), "Frösche");
    }

    #[test]
    fn dates_from_mail_parser_json() {
        let date = serde_json::json!({"year": 2000, "month": 5, "day": 17, "hour": 19, "minute": 35, "second": 5, "tz_before_gmt": true, "tz_hour": 4, "tz_minute": 0});
        assert_eq!(
            expected_date(&date).as_deref(),
            Some("2000-05-17T23:35:05.000Z")
        );
    }

    #[test]
    fn conformance_does_not_regress() {
        let corpora = std::env::var_os("CASEBOOK_SHARED_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"))
            .join("corpora");
        let report = run(&corpora).unwrap();
        let table = report.table();
        let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/conformance.md");
        let _ = std::fs::create_dir_all(out.parent().unwrap());
        std::fs::write(&out, &table).unwrap();
        eprintln!("{table}");
        let corpora_rows = report
            .rows
            .iter()
            .filter(|row| !row.corpus.starts_with("quote/") && row.corpus != "headers")
            .count();
        assert_eq!(corpora_rows, 11, "the eleven corpora are read");
        // Issue 7: at least three fixtures per client family, thirty negatives.
        let families: Vec<&Row> = report
            .rows
            .iter()
            .filter(|row| row.corpus.starts_with("quote/"))
            .collect();
        assert!(families.len() >= 10, "{} quote families", families.len());
        for family in &families {
            let least = if family.corpus == "quote/negatives" {
                30
            } else {
                3
            };
            assert!(
                family.compared >= least,
                "{}: {} fixtures compared, at least {least} wanted",
                family.corpus,
                family.compared
            );
        }
        let baseline = baseline();
        for row in &report.rows {
            assert_eq!(
                row.crashed, 0,
                "{}: {} messages crashed the parser",
                row.corpus, row.crashed
            );
            let (messages, matching) = baseline.get(&row.corpus).copied().unwrap_or_default();
            assert!(
                row.messages >= messages,
                "{}: {} messages read, {} before: a message was lost",
                row.corpus,
                row.messages,
                messages
            );
            assert!(
                row.matching >= matching,
                "{}: {} matching, the ratchet says {}",
                row.corpus,
                row.matching,
                matching
            );
        }
    }
}
