//! Text for people: the non-JSON output of each command, in the user's language and time zone.

use std::borrow::Cow;
use std::fmt::Write;

use app::views::{
    local_time, CaseSummaryView, CaseView, ChangeView, ContactView, OrgView, QuarantineView,
    TimelineEntryView,
};
use app::{ImportSummary, Lang, Outcome, Stats};
use case::{EntryKind, Visibility};

/// Text from mail or people, made safe for a terminal: control characters, escape sequences and
/// bidirectional overrides are shown escaped (`\x1b`, `\u{202e}`), never sent raw, so a note or a
/// subject cannot recolour, retitle or reorder what the reader sees. Line breaks and tabs stay in
/// multi-line text; JSON output keeps the true value.
pub fn safe_text(text: &str) -> Cow<'_, str> {
    escape(text, true)
}

/// [`safe_text`] for one-line fields (titles, names, subjects, file names): line breaks escaped too.
pub fn safe(text: &str) -> Cow<'_, str> {
    escape(text, false)
}

fn needs_escape(c: char, multi_line: bool) -> bool {
    (c.is_control() && !(multi_line && (c == '\n' || c == '\t')))
        || case::subject::is_bidi_control(c)
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}')
}

fn escape(text: &str, multi_line: bool) -> Cow<'_, str> {
    if !text.chars().any(|c| needs_escape(c, multi_line)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if needs_escape(c, multi_line) {
            let code = u32::from(c);
            if code <= 0xff {
                let _ = write!(out, "\\x{code:02x}");
            } else {
                let _ = write!(out, "\\u{{{code:04x}}}");
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// An attachment on one line: its safe name, type and size.
fn attachment_line(attachment: &app::AttachmentRecord, lang: Lang) -> String {
    format!(
        "📎 {} ({}, {})",
        safe(&attachment.filename),
        safe(&attachment.content_type),
        lang.text("cli-bytes", &[("count", count(attachment.size))])
    )
}

fn count(n: u64) -> app::i18n::FluentValue<'static> {
    app::i18n::FluentValue::from(i64::try_from(n).unwrap_or(i64::MAX))
}

/// Most quarantine entries an import summary lists one by one.
const QUARANTINE_LISTED: usize = 10;

/// The summary at the end of an import.
pub fn import_summary(summary: &ImportSummary, lang: Lang) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {}: {} {}, {} {}, {} {}, {} {}, {} {}",
        summary.received,
        lang.say("cli-received"),
        summary.imported,
        lang.say("cli-imported"),
        summary.threaded,
        lang.say("cli-threaded_onto_existing_cases"),
        summary.new_cases,
        lang.text("cli-new_cases", &[("count", count(summary.new_cases))]),
        summary.duplicates,
        lang.text(
            "cli-duplicates_count",
            &[("count", count(summary.duplicates))]
        ),
        summary.quarantined,
        lang.say("cli-quarantined"),
    );
    if !summary.cases.is_empty() {
        let _ = writeln!(
            out,
            "{}: {}",
            lang.say("cli-cases"),
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
            lang.say("cli-quarantine"),
            item.id,
            item.reason_code,
            safe(&app::i18n::quarantine_reason(
                &item.reason_code,
                &item.reason,
                lang
            ))
        );
    }
    if summary.duplicates == summary.received && summary.received > 0 {
        let _ = writeln!(
            out,
            "{}",
            lang.say("cli-nothing_new_every_message_was_already_imported")
        );
    }
    out
}

/// A case list as a table.
pub fn case_list(cases: &[CaseSummaryView], zone: chrono_tz::Tz, lang: Lang) -> String {
    if cases.is_empty() {
        return format!("{}\n", lang.say("cli-no_cases"));
    }
    let mut out = String::new();
    for case in cases {
        let _ = writeln!(
            out,
            "{}  {}  {:<22}  {:<10}  {}  {}",
            case.number,
            case.priority,
            lang.say(&format!("status-{}", case.status)),
            safe(&case.customer),
            safe(&case.title),
            local_time(&case.updated_at, zone)
        );
    }
    out
}

fn kind_label(kind: EntryKind, lang: Lang) -> String {
    lang.say(&format!("kind-{kind}"))
}

/// An internal entry is marked, so an engineer knows what the partner does not see.
fn visibility_mark(visibility: Visibility, lang: Lang) -> String {
    match visibility {
        Visibility::Public => String::new(),
        Visibility::Internal => format!(" [{}]", lang.say("visibility-internal")),
    }
}

/// One non-email entry on one line: time, kind, actor, what happened.
fn event_line(entry: &TimelineEntryView, zone: chrono_tz::Tz, lang: Lang) -> String {
    let text = match entry.event() {
        Some(event) => app::i18n::event_text(&event, lang),
        None => entry.data.to_string(),
    };
    let actor = entry
        .actor
        .as_deref()
        .map(|a| format!(" ({})", safe(a)))
        .unwrap_or_default();
    format!(
        "── {}  #{} {}{}{}  {}",
        local_time(&entry.at, zone),
        entry.id,
        kind_label(entry.kind, lang),
        actor,
        visibility_mark(entry.visibility, lang),
        safe_text(&text)
    )
}

/// What a command that changed a case did: the case's header and the entries it added.
pub fn change(change: &ChangeView, zone: chrono_tz::Tz, lang: Lang) -> String {
    use app::i18n::FluentValue;
    let mut out = format!(
        "{}  {}  {}  {}\n",
        change.case.number,
        change.case.priority,
        lang.say(&format!("status-{}", change.case.status)),
        safe(&change.case.title)
    );
    if !change.changed {
        let _ = writeln!(
            out,
            "{}",
            lang.text(
                "change-none",
                &[("case", FluentValue::from(change.case.number.clone()))]
            )
        );
    }
    for entry in &change.entries {
        let _ = writeln!(out, "{}", event_line(entry, zone, lang));
    }
    for warning in &change.warnings {
        let field = |name: &str| warning.get(name).cloned().unwrap_or_default();
        let _ = writeln!(
            out,
            "{}",
            lang.text(
                "merge-warning",
                &[
                    (
                        "customer",
                        FluentValue::from(
                            safe(field("customer").as_str().unwrap_or("")).into_owned()
                        )
                    ),
                    (
                        "count",
                        FluentValue::from(field("count").as_i64().unwrap_or(0))
                    ),
                    ("case", FluentValue::from(change.case.number.clone())),
                ]
            )
        );
    }
    out
}

/// A case and its timeline; quoted history in emails is folded.
pub fn case(view: &CaseView, zone: chrono_tz::Tz, lang: Lang) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}  {}",
        view.summary.number,
        safe(&view.summary.title)
    );
    let field = |out: &mut String, id: &str, value: &str| {
        let _ = writeln!(out, "  {:<10} {}", lang.say(id), safe(value));
    };
    field(&mut out, "field-priority", view.summary.priority.as_str());
    field(&mut out, "field-customer", &view.summary.customer);
    field(
        &mut out,
        "field-status",
        &lang.say(&format!("status-{}", view.summary.status)),
    );
    field(&mut out, "field-stage", &view.summary.stage);
    field(
        &mut out,
        "field-token",
        view.summary.tracking_token.as_deref().unwrap_or("-"),
    );
    field(
        &mut out,
        "field-created",
        &local_time(&view.summary.created_at, zone),
    );
    for (id, value) in [
        ("field-owner", &view.owner),
        ("field-product", &view.product),
        ("field-version", &view.version),
        ("field-problem_definition", &view.problem_definition),
        ("field-scope", &view.scope),
    ] {
        if let Some(value) = value {
            field(&mut out, id, value);
        }
    }
    if !view.aliases.is_empty() {
        field(&mut out, "field-aliases", &view.aliases.join(", "));
    }
    if let Some(from) = &view.split_from {
        field(&mut out, "field-split_from", from);
    }
    if let Some(into) = &view.merged_into {
        field(&mut out, "field-merged_into", into);
    }
    for summary in [&view.archive_summary, &view.resolution]
        .into_iter()
        .flatten()
    {
        for (id, text) in [
            ("field-archive_problem", &summary.problem),
            ("field-archive_summary", &summary.summary),
            ("field-root_cause", &summary.root_cause),
            ("field-resolution", &summary.resolution),
        ] {
            if let Some(text) = text {
                let _ = writeln!(out, "  {}:", lang.say(id));
                for line in text.lines() {
                    let _ = writeln!(out, "    {}", safe(line));
                }
            }
        }
    }
    if let Some(sla) = &view.sla {
        let _ = writeln!(
            out,
            "  {}:",
            lang.text("cli-sla", &[("version", sla.policy_version.into())])
        );
        out.push_str(&crate::sla_cli::clock_lines(&sla.clocks, zone, lang));
    }
    let _ = writeln!(
        out,
        "\n{} ({})",
        lang.say("cli-timeline"),
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
                    "\n── {}  #{} {}{}  {}  [{}: {}]",
                    local_time(&email.sent_at, zone),
                    entry.id,
                    kind_label(entry.kind, lang),
                    visibility_mark(entry.visibility, lang),
                    safe(&who),
                    lang.say("cli-matched_by"),
                    email.matched_by
                );
                let own = email
                    .quoted_from
                    .and_then(|offset| usize::try_from(offset).ok())
                    .and_then(|offset| email.body_text.get(..offset))
                    .unwrap_or(&email.body_text);
                for line in own.trim_end().lines() {
                    let _ = writeln!(out, "   {}", safe(line));
                }
                let folded = email.body_text.len() - own.len();
                if folded > 0 {
                    let lines = email.body_text[own.len()..].lines().count();
                    let _ = writeln!(
                        out,
                        "   [{} {}]",
                        lines,
                        lang.say("cli-quoted_lines_folded")
                    );
                }
                for attachment in &email.attachments {
                    let _ = writeln!(out, "   {}", attachment_line(attachment, lang));
                }
            }
            None => {
                let _ = writeln!(out, "\n{}", event_line(entry, zone, lang));
            }
        }
    }
    out
}

/// Organizations.
pub fn orgs(orgs: &[OrgView], lang: Lang) -> String {
    if orgs.is_empty() {
        return format!("{}\n", lang.say("cli-no_organizations"));
    }
    orgs.iter()
        .map(|org| {
            let staff = if org.staff {
                format!(" [{}]", lang.say("cli-staff"))
            } else {
                String::new()
            };
            format!("{}{}  {}\n", safe(&org.name), staff, org.domains.join(", "))
        })
        .collect()
}

/// Contacts.
pub fn contacts(contacts: &[ContactView], lang: Lang) -> String {
    if contacts.is_empty() {
        return format!("{}\n", lang.say("cli-no_contacts"));
    }
    contacts
        .iter()
        .map(|contact| {
            let org = contact
                .org
                .as_deref()
                .map(|org| format!("  ({})", safe(org)))
                .unwrap_or_default();
            let role = contact
                .role
                .map(|role| format!("  [{}]", lang.say(&format!("role-{}", role.as_str()))))
                .unwrap_or_default();
            format!(
                "{}  {}{}{}\n",
                safe(&contact.names.join(" / ")),
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
        return format!("{}\n", lang.say("cli-quarantine_is_empty"));
    }
    let mut out = String::new();
    for entry in entries {
        let _ = writeln!(
            out,
            "{}  {}  [{}]  {}  {}",
            entry.id,
            local_time(&entry.received_at, zone),
            entry.reason_code,
            safe(entry.from_address.as_deref().unwrap_or("-")),
            safe(entry.subject.as_deref().unwrap_or("-"))
        );
        let reason = app::i18n::quarantine_reason(&entry.reason_code, &entry.reason, lang);
        let _ = writeln!(out, "    {}", safe(&reason));
        if let Some(note) = &entry.note {
            let _ = writeln!(out, "    {}", safe(note));
        }
        if let Some(resolution) = &entry.resolution {
            let _ = writeln!(
                out,
                "    → {} {}",
                lang.say(&format!("resolution-{resolution}")),
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
                lang.say("cli-opened_case")
            } else {
                lang.say("cli-placed_on_case")
            };
            format!("{verb} {case} ({matched_by})\n")
        }
        Outcome::Duplicate { .. } => format!("{}\n", lang.say("cli-already_stored")),
        Outcome::Quarantined {
            id,
            reason,
            reason_code,
        } => {
            let reason = app::i18n::quarantine_reason(reason_code, reason, lang);
            format!(
                "{} {id}: {}\n",
                lang.say("cli-quarantined_2"),
                safe(&reason)
            )
        }
    }
}

/// Store counts.
pub fn stats(stats: &Stats, lang: Lang) -> String {
    let rows = [
        (lang.say("cli-received_2"), stats.received),
        (lang.say("cli-messages_on_cases"), stats.messages),
        (lang.say("cli-quarantined_2"), stats.quarantined),
        (lang.say("cli-duplicates"), stats.duplicates),
        (lang.say("cli-cases"), stats.cases),
        (lang.say("cli-raw_messages_stored"), stats.raw_messages),
        (lang.say("cli-sent"), stats.sent),
        (lang.say("cli-outbox_queued"), stats.outbox_queued),
    ];
    rows.iter()
        .map(|(label, value)| format!("{label:<22} {value}\n"))
        .collect()
}

/// How the ingest path reads messages (`mail parse`).
pub fn inspections(inspections: &[app::Inspection], lang: Lang) -> String {
    let mut out = String::new();
    for inspection in inspections {
        let _ = writeln!(out, "── {} ({})", safe(&inspection.origin), inspection.kind);
        let mailbox = |m: &app::Mailbox| match (&m.name, &m.address) {
            (Some(name), Some(address)) => format!("{name} <{address}>"),
            (Some(name), None) => name.clone(),
            (None, Some(address)) => address.clone(),
            (None, None) => "?".into(),
        };
        let rows: [(&str, Option<String>); 8] = [
            ("cli-mail-subject", inspection.subject.clone()),
            ("cli-mail-from", inspection.from.as_ref().map(mailbox)),
            (
                "cli-mail-to",
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
            ("cli-mail-date", inspection.date.clone()),
            ("cli-mail-message_id", inspection.message_id.clone()),
            ("cli-mail-case", inspection.case_number.clone()),
            ("cli-mail-token", inspection.tracking_token.clone()),
            ("cli-mail-auto", inspection.auto_submitted.clone()),
        ];
        for (id, value) in rows {
            if let Some(value) = value {
                let _ = writeln!(out, "  {:<11} {}", lang.say(id), safe(&value));
            }
        }
        for attachment in &inspection.attachments {
            let _ = writeln!(
                out,
                "  {}",
                attachment_line(
                    &app::AttachmentRecord {
                        filename: attachment.filename.clone(),
                        content_type: attachment.content_type.clone(),
                        size: u64::try_from(attachment.size).unwrap_or(u64::MAX),
                        sha256: String::new(),
                    },
                    lang
                )
            );
        }
        for problem in &inspection.problems {
            let _ = writeln!(out, "  ! {}", safe(&problem.to_string()));
        }
        if let Some(body) = &inspection.body_text {
            let own = inspection
                .quoted_from
                .and_then(|at| body.get(..at))
                .unwrap_or(body);
            for line in own.trim_end().lines().take(40) {
                let _ = writeln!(out, "  | {}", safe(line));
            }
        }
    }
    out
}

/// The integrity check's findings.
pub fn check(report: &app::CheckReport, lang: Lang) -> String {
    let mut out = format!(
        "{}: {} {}; {} {}, {} {}\n",
        lang.say("cli-checked"),
        report.raw_rows,
        lang.say("cli-raw_messages"),
        report.packs,
        lang.text("cli-packs", &[("count", count(report.packs))]),
        report.blob_files,
        lang.text("cli-single_files", &[("count", count(report.blob_files))]),
    );
    if report.verified > 0 {
        let _ = writeln!(
            out,
            "{} {}",
            report.verified,
            lang.say("cli-raw_messages_read_back_and_hashed")
        );
    }
    if !report.orphan_blobs.is_empty() {
        let _ = writeln!(
            out,
            "{} {}",
            report.orphan_blobs.len(),
            lang.say("cli-packs_or_files_no_row_refers_to_left_by_an_inter")
        );
    }
    if !report.removed.is_empty() {
        let _ = writeln!(
            out,
            "{} {}",
            report.removed.len(),
            lang.say("cli-orphan_packs_or_files_deleted")
        );
    }
    for error in &report.errors {
        let _ = writeln!(out, "  ✗ {error}");
    }
    if report.ok() {
        let _ = writeln!(out, "{}", lang.say("cli-the_store_is_consistent"));
    }
    out
}

/// A backup's manifest, after a backup or a restore.
pub fn manifest(manifest: &app::BackupManifest, verb: &str, lang: Lang) -> String {
    let rows: u64 = manifest.rows.iter().map(|(_, count)| count).sum();
    let tables = u64::try_from(manifest.rows.len()).unwrap_or(u64::MAX);
    let text = lang.text(
        "cli-manifest",
        &[
            ("rows", count(rows)),
            ("tables", count(tables)),
            ("files", count(manifest.blobs)),
            (
                "schema",
                app::i18n::FluentValue::from(manifest.schema_version),
            ),
            (
                "source",
                app::i18n::FluentValue::from(manifest.source.clone()),
            ),
        ],
    );
    format!("{verb}: {text}\n")
}

/// Users, one a line: login, name, address, organization, role, and whether disabled.
pub fn users(users: &[app::auth::UserView], zone: chrono_tz::Tz, lang: Lang) -> String {
    if users.is_empty() {
        return format!("{}\n", lang.say("cli-no_users"));
    }
    users
        .iter()
        .map(|user| {
            let mut line = format!("{}", safe(&user.login));
            if let Some(name) = &user.name {
                line.push_str(&format!("  {}", safe(name)));
            }
            if let Some(email) = &user.email {
                line.push_str(&format!("  <{}>", safe(email)));
            }
            if let Some(org) = &user.org {
                line.push_str(&format!("  ({})", safe(org)));
            }
            if let Some(role) = user.role {
                line.push_str(&format!(
                    "  [{}]",
                    lang.say(&format!("role-{}", role.as_str()))
                ));
            }
            if user.disabled {
                line.push_str(&format!("  {}", lang.say("cli-disabled")));
            }
            line.push_str(&format!(
                "  {}\n",
                app::views::local_time(&user.created_at, zone)
            ));
            line
        })
        .collect()
}

/// A token just created: the secret on a line of its own, and the warning that it is shown once.
pub fn new_token(token: &app::auth::NewToken, lang: Lang) -> String {
    format!(
        "{}\n{}  #{}  {}\n",
        token.token,
        lang.say("cli-token_shown_once"),
        token.id,
        safe(&token.name)
    )
}

/// API tokens, one a line (never their secrets).
pub fn tokens(tokens: &[app::auth::TokenView], zone: chrono_tz::Tz, lang: Lang) -> String {
    if tokens.is_empty() {
        return format!("{}\n", lang.say("cli-no_tokens"));
    }
    tokens
        .iter()
        .map(|token| {
            let used = match &token.last_used_at {
                Some(at) => format!(
                    "{} {}",
                    lang.say("cli-last_used"),
                    app::views::local_time(at, zone)
                ),
                None => lang.say("cli-never_used"),
            };
            let revoked = if token.revoked {
                format!("  {}", lang.say("cli-revoked"))
            } else {
                String::new()
            };
            format!(
                "#{}  {}  {}  {}  {}{}\n",
                token.id,
                safe(&token.login),
                safe(&token.name),
                app::views::local_time(&token.created_at, zone),
                used,
                revoked
            )
        })
        .collect()
}

/// The admin log, newest first: time, actor, action (an identifier), target, details, client.
pub fn admin_log(entries: &[app::auth::AdminLogEntry], zone: chrono_tz::Tz) -> String {
    entries
        .iter()
        .map(|entry| {
            let client = entry
                .client
                .as_deref()
                .map(|client| format!("  {}", safe(client)))
                .unwrap_or_default();
            format!(
                "{}  {}  {}  {}  {}{}\n",
                app::views::local_time(&entry.at, zone),
                safe(&entry.actor),
                entry.action,
                safe(&entry.target),
                safe(&entry.details.to_string()),
                client
            )
        })
        .collect()
}
