//! Text for people: the non-JSON output of each command, in the user's language and time zone.

use std::fmt::Write;

use app::views::{local_time, CaseSummaryView, CaseView, ContactView, OrgView, QuarantineView};
use app::{ImportSummary, Lang, Outcome, Stats};
use case::EntryKind;

/// Most quarantine entries an import summary lists one by one.
const QUARANTINE_LISTED: usize = 10;

/// The summary at the end of an import.
pub fn import_summary(summary: &ImportSummary, lang: Lang) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {}: {} {}, {} {}, {} {}, {} {}, {} {}",
        summary.received,
        lang.pick("received", "封邮件已接收"),
        summary.imported,
        lang.pick("imported", "封已导入"),
        summary.threaded,
        lang.pick("threaded onto existing cases", "封归入已有案例"),
        summary.new_cases,
        lang.pick(
            if summary.new_cases == 1 {
                "new case"
            } else {
                "new cases"
            },
            "个新案例"
        ),
        summary.duplicates,
        lang.pick(
            if summary.duplicates == 1 {
                "duplicate"
            } else {
                "duplicates"
            },
            "封重复"
        ),
        summary.quarantined,
        lang.pick("quarantined", "封已隔离"),
    );
    if !summary.cases.is_empty() {
        let _ = writeln!(
            out,
            "{}: {}",
            lang.pick("cases", "案例"),
            summary.cases.join(", ")
        );
    }
    if summary.quarantined > 0 {
        let _ = writeln!(
            out,
            "{}",
            app::i18n::quarantined_by_reason(&summary.quarantined_by_reason, lang)
        );
    }
    // Each entry only for a small import; a bulk import's entries are listed by the command named above.
    let listed = if summary.quarantine.len() <= QUARANTINE_LISTED {
        summary.quarantine.as_slice()
    } else {
        &[]
    };
    for item in listed {
        let _ = writeln!(
            out,
            "  {} {} [{}]: {}",
            lang.pick("quarantine", "隔离"),
            item.id,
            item.reason_code,
            item.reason
        );
    }
    if summary.duplicates == summary.received && summary.received > 0 {
        let _ = writeln!(
            out,
            "{}",
            lang.pick(
                "nothing new: every message was already imported",
                "没有新内容：所有邮件都已导入过"
            )
        );
    }
    out
}

/// A case list as a table.
pub fn case_list(cases: &[CaseSummaryView], zone: chrono_tz::Tz, lang: Lang) -> String {
    if cases.is_empty() {
        return format!("{}\n", lang.pick("no cases", "没有案例"));
    }
    let mut out = String::new();
    for case in cases {
        let _ = writeln!(
            out,
            "{}  {}  {:<22}  {:<10}  {}  {}",
            case.number,
            case.priority,
            case.status.as_str(),
            case.customer,
            case.title,
            local_time(&case.updated_at, zone)
        );
    }
    out
}

fn kind_label(kind: EntryKind, lang: Lang) -> &'static str {
    match kind {
        EntryKind::InboundEmail => lang.pick("email in", "收到邮件"),
        EntryKind::OutboundEmail => lang.pick("email out", "发出邮件"),
        EntryKind::Note => lang.pick("note", "备注"),
        EntryKind::StatusChange => lang.pick("status", "状态变更"),
        EntryKind::Assignment => lang.pick("assignment", "分派"),
        EntryKind::Attachment => lang.pick("attachment", "附件"),
    }
}

/// A case and its timeline; quoted history in emails is folded.
pub fn case(view: &CaseView, zone: chrono_tz::Tz, lang: Lang) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}  {}", view.summary.number, view.summary.title);
    let field = |out: &mut String, en: &str, zh: &str, value: &str| {
        let _ = writeln!(out, "  {:<10} {}", lang.pick(en, zh), value);
    };
    field(
        &mut out,
        "priority",
        "优先级",
        view.summary.priority.as_str(),
    );
    field(&mut out, "customer", "客户", &view.summary.customer);
    field(&mut out, "status", "状态", view.summary.status.as_str());
    field(&mut out, "stage", "阶段", &view.summary.stage);
    field(
        &mut out,
        "token",
        "跟踪号",
        view.summary.tracking_token.as_deref().unwrap_or("-"),
    );
    field(
        &mut out,
        "created",
        "创建时间",
        &local_time(&view.summary.created_at, zone),
    );
    for (en, zh, value) in [
        ("owner", "负责人", &view.owner),
        ("product", "产品", &view.product),
        ("version", "版本", &view.version),
        ("problem", "问题定义", &view.problem_definition),
        ("scope", "问题范围", &view.scope),
    ] {
        if let Some(value) = value {
            field(&mut out, en, zh, value);
        }
    }
    if !view.aliases.is_empty() {
        field(&mut out, "aliases", "别名", &view.aliases.join(", "));
    }
    if let Some(from) = &view.split_from {
        field(&mut out, "split from", "拆分自", from);
    }
    if let Some(into) = &view.merged_into {
        field(&mut out, "merged into", "已合并到", into);
    }
    let _ = writeln!(
        out,
        "\n{} ({})",
        lang.pick("timeline", "时间线"),
        view.timeline.len()
    );
    for entry in &view.timeline {
        match &entry.email {
            Some(email) => {
                let who = match (&email.from_name, &email.from_address) {
                    (Some(name), Some(address)) => format!("{name} <{address}>"),
                    (Some(name), None) => name.clone(),
                    (None, Some(address)) => address.clone(),
                    (None, None) => "?".to_string(),
                };
                let _ = writeln!(
                    out,
                    "\n── {}  {}  {}  [{}: {}]",
                    local_time(&email.sent_at, zone),
                    kind_label(entry.kind, lang),
                    who,
                    lang.pick("matched by", "匹配方式"),
                    email.matched_by
                );
                let own = email
                    .quoted_from
                    .and_then(|offset| usize::try_from(offset).ok())
                    .and_then(|offset| email.body_text.get(..offset))
                    .unwrap_or(&email.body_text);
                for line in own.trim_end().lines() {
                    let _ = writeln!(out, "   {line}");
                }
                let folded = email.body_text.len() - own.len();
                if folded > 0 {
                    let lines = email.body_text[own.len()..].lines().count();
                    let _ = writeln!(
                        out,
                        "   [{} {}]",
                        lines,
                        lang.pick("quoted lines folded", "行引用内容已折叠")
                    );
                }
                for attachment in &email.attachments {
                    let _ = writeln!(
                        out,
                        "   📎 {} ({}, {} bytes)",
                        attachment.filename, attachment.content_type, attachment.size
                    );
                }
            }
            None => {
                let opened = entry.data.get("event").and_then(|v| v.as_str()) == Some("created");
                let text = entry
                    .data
                    .get("text")
                    .or(if opened {
                        Some(&serde_json::Value::Null)
                    } else {
                        None
                    })
                    .map(|v| {
                        v.as_str().map_or_else(
                            || lang.pick("case opened", "案例创建").to_string(),
                            str::to_string,
                        )
                    })
                    .or_else(|| {
                        let to = entry.data.get("to")?.as_str()?;
                        Some(match entry.data.get("from").and_then(|v| v.as_str()) {
                            Some(from) => format!("{from} → {to}"),
                            None => format!("→ {to}"),
                        })
                    })
                    .unwrap_or_default();
                let actor = entry
                    .actor
                    .as_deref()
                    .map(|a| format!(" ({a})"))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "\n── {}  {}{}  {}",
                    local_time(&entry.at, zone),
                    kind_label(entry.kind, lang),
                    actor,
                    text
                );
            }
        }
    }
    out
}

/// Organizations.
pub fn orgs(orgs: &[OrgView], lang: Lang) -> String {
    if orgs.is_empty() {
        return format!("{}\n", lang.pick("no organizations", "没有组织"));
    }
    orgs.iter()
        .map(|org| {
            let staff = if org.staff {
                lang.pick(" [staff]", " [本公司]")
            } else {
                ""
            };
            format!("{}{}  {}\n", org.name, staff, org.domains.join(", "))
        })
        .collect()
}

/// Contacts.
pub fn contacts(contacts: &[ContactView], lang: Lang) -> String {
    if contacts.is_empty() {
        return format!("{}\n", lang.pick("no contacts", "没有联系人"));
    }
    contacts
        .iter()
        .map(|contact| {
            let org = contact
                .org
                .as_deref()
                .map(|org| format!("  ({org})"))
                .unwrap_or_default();
            let role = contact
                .role
                .map(|role| format!("  [{}]", role.as_str()))
                .unwrap_or_default();
            format!(
                "{}  {}{}{}\n",
                contact.names.join(" / "),
                contact.addresses.join(", "),
                org,
                role
            )
        })
        .collect()
}

/// Quarantine entries.
pub fn quarantine_list(entries: &[QuarantineView], zone: chrono_tz::Tz, lang: Lang) -> String {
    if entries.is_empty() {
        return format!("{}\n", lang.pick("quarantine is empty", "隔离区为空"));
    }
    let mut out = String::new();
    for entry in entries {
        let _ = writeln!(
            out,
            "{}  {}  [{}]  {}  {}",
            entry.id,
            local_time(&entry.received_at, zone),
            entry.reason_code,
            entry.from_address.as_deref().unwrap_or("-"),
            entry.subject.as_deref().unwrap_or("-")
        );
        let _ = writeln!(out, "    {}", entry.reason);
        if let Some(resolution) = &entry.resolution {
            let _ = writeln!(
                out,
                "    → {resolution} {}",
                entry.case.as_deref().unwrap_or("")
            );
        }
    }
    out
}

/// The outcome of a quarantine decision.
pub fn outcome(outcome: &Outcome, lang: Lang) -> String {
    match outcome {
        Outcome::OnCase {
            case,
            matched_by,
            new_case,
        } => {
            let verb = if *new_case {
                lang.pick("opened case", "已新建案例")
            } else {
                lang.pick("placed on case", "已归入案例")
            };
            format!("{verb} {case} ({matched_by})\n")
        }
        Outcome::Duplicate { .. } => format!("{}\n", lang.pick("already stored", "已存在")),
        Outcome::Quarantined { id, reason, .. } => {
            format!("{} {id}: {reason}\n", lang.pick("quarantined", "已隔离"))
        }
    }
}

/// Store counts.
pub fn stats(stats: &Stats, lang: Lang) -> String {
    let rows = [
        (lang.pick("received", "已接收"), stats.received),
        (
            lang.pick("messages on cases", "案例中的邮件"),
            stats.messages,
        ),
        (lang.pick("quarantined", "隔离中"), stats.quarantined),
        (lang.pick("duplicates", "重复"), stats.duplicates),
        (lang.pick("cases", "案例"), stats.cases),
        (
            lang.pick("raw messages stored", "已存储原始邮件"),
            stats.raw_messages,
        ),
    ];
    rows.iter()
        .map(|(label, value)| format!("{label:<22} {value}\n"))
        .collect()
}

/// How the ingest path reads messages (`mail parse`).
pub fn inspections(inspections: &[app::Inspection], lang: Lang) -> String {
    let mut out = String::new();
    for inspection in inspections {
        let _ = writeln!(out, "── {} ({})", inspection.origin, inspection.kind);
        let mailbox = |m: &app::Mailbox| match (&m.name, &m.address) {
            (Some(name), Some(address)) => format!("{name} <{address}>"),
            (Some(name), None) => name.clone(),
            (None, Some(address)) => address.clone(),
            (None, None) => "?".into(),
        };
        let rows: [(&str, &str, Option<String>); 8] = [
            ("subject", "主题", inspection.subject.clone()),
            ("from", "发件人", inspection.from.as_ref().map(mailbox)),
            (
                "to",
                "收件人",
                Some(
                    inspection
                        .to
                        .iter()
                        .map(mailbox)
                        .collect::<Vec<_>>()
                        .join(", "),
                )
                .filter(|t| !t.is_empty()),
            ),
            ("date", "时间", inspection.date.clone()),
            ("message-id", "邮件编号", inspection.message_id.clone()),
            ("case", "案例号", inspection.case_number.clone()),
            ("token", "跟踪号", inspection.tracking_token.clone()),
            ("auto", "自动回复", inspection.auto_submitted.clone()),
        ];
        for (en, zh, value) in rows {
            if let Some(value) = value {
                let _ = writeln!(out, "  {:<11} {}", lang.pick(en, zh), value);
            }
        }
        for attachment in &inspection.attachments {
            let _ = writeln!(
                out,
                "  📎 {} ({}, {} bytes)",
                attachment.filename, attachment.content_type, attachment.size
            );
        }
        for problem in &inspection.problems {
            let _ = writeln!(out, "  ! {problem}");
        }
        if let Some(body) = &inspection.body_text {
            let own = inspection
                .quoted_from
                .and_then(|at| body.get(..at))
                .unwrap_or(body);
            for line in own.trim_end().lines().take(40) {
                let _ = writeln!(out, "  | {line}");
            }
        }
    }
    out
}

/// The integrity check's findings.
pub fn check(report: &app::CheckReport, lang: Lang) -> String {
    let mut out = format!(
        "{}: {} {}; {} {}, {} {}\n",
        lang.pick("checked", "已检查"),
        report.raw_rows,
        lang.pick("raw messages", "封原始邮件"),
        report.packs,
        lang.pick(if report.packs == 1 { "pack" } else { "packs" }, "个数据包"),
        report.blob_files,
        lang.pick(
            if report.blob_files == 1 {
                "single file"
            } else {
                "single files"
            },
            "个单独文件"
        ),
    );
    if report.verified > 0 {
        let _ = writeln!(
            out,
            "{} {}",
            report.verified,
            lang.pick(
                "raw messages read back and hashed",
                "封原始邮件已读回并校验"
            )
        );
    }
    if !report.orphan_blobs.is_empty() {
        let _ = writeln!(
            out,
            "{} {}",
            report.orphan_blobs.len(),
            lang.pick(
                "packs or files no row refers to (left by an interrupted import; `casebook check --remove-orphans` deletes them)",
                "个数据包或文件没有数据库记录（中断的导入留下的；`casebook check --remove-orphans` 可删除）"
            )
        );
    }
    if !report.removed.is_empty() {
        let _ = writeln!(
            out,
            "{} {}",
            report.removed.len(),
            lang.pick("orphan packs or files deleted", "个无主数据包或文件已删除")
        );
    }
    for error in &report.errors {
        let _ = writeln!(out, "  ✗ {error}");
    }
    if report.ok() {
        let _ = writeln!(out, "{}", lang.pick("the store is consistent", "存储一致"));
    }
    out
}

/// A backup's manifest, after a backup or a restore.
pub fn manifest(manifest: &app::BackupManifest, verb: &str) -> String {
    let rows: u64 = manifest.rows.iter().map(|(_, count)| count).sum();
    format!(
        "{verb}: {rows} rows in {} tables, {} files (schema {}, from {})\n",
        manifest.rows.len(),
        manifest.blobs,
        manifest.schema_version,
        manifest.source
    )
}
