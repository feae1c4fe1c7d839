//! The command-line contract: subcommands, flags and what each prints.
//!
//! Names and JSON fields here are stable: other tools script against them.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use app::views::NewCaseInput;
use app::{App, AppError, Lang};
use case::{Priority, Role, Status};
use clap::{Parser, Subcommand};

use crate::render;

/// Casebook: an email-native helpdesk for technical support with partner companies.
#[derive(Debug, Parser)]
#[command(name = "casebook", version, about)]
pub struct Args {
    /// The data directory (SQLite database, raw mail, attachments).
    #[arg(
        long,
        global = true,
        env = "CASEBOOK_DATA_DIR",
        default_value = "./casebook-data"
    )]
    pub data_dir: PathBuf,
    /// The language of messages for people: zh-CN or en (default: from CASEBOOK_LANG or the locale).
    #[arg(long, global = true)]
    pub lang: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Import mail: .eml files, mbox files, maildir folders and thread exports, in any mix.
    Import {
        /// Files or folders.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
        /// Read message times as wall-clock times of this zone (for a source that labels local time as UTC).
        #[arg(long, value_name = "ZONE")]
        assume_zone: Option<String>,
    },
    /// Cases.
    #[command(subcommand)]
    Case(CaseCommand),
    /// Organizations.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Contacts.
    #[command(subcommand)]
    Contact(ContactCommand),
    /// Messages that could not be read or matched.
    #[command(subcommand)]
    Quarantine(QuarantineCommand),
    /// Users: people who sign in, with a login and a password.
    #[command(subcommand)]
    User(UserCommand),
    /// API tokens: secrets that let a script act as a user.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Mail tools.
    #[command(subcommand)]
    Mail(MailCommand),
    /// Outgoing mail: what waits, what was sent, what failed.
    #[command(subcommand)]
    Outbox(crate::mail_cli::OutboxCommand),
    /// SLA clocks: the policy, cases at risk and breached, replays of old cases.
    #[command(subcommand)]
    Sla(crate::sla_cli::SlaCommand),
    /// Business calendars: holidays and make-up workdays.
    #[command(subcommand)]
    Calendar(crate::sla_cli::CalendarCommand),
    /// Tools for developers and benchmarks.
    #[command(subcommand, hide = true)]
    Dev(DevCommand),
    /// Write a consistent backup (database and files) into a new folder, also while others write.
    Backup {
        /// A folder that does not exist yet, or is empty.
        dest: PathBuf,
        /// Print the manifest as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Restore a backup into an empty data directory (and database).
    Restore {
        /// The backup folder.
        src: PathBuf,
        /// Print the manifest as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Check the store: raw messages and attachments against the database, orphan blobs, counts.
    Check {
        /// Also read every blob back and compare its SHA-256 with its name.
        #[arg(long)]
        verify: bool,
        /// Delete packs and files no row refers to (left by an interrupted import).
        #[arg(long)]
        remove_orphans: bool,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Serve the web application and the REST API.
    Serve {
        /// The address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
        listen: std::net::SocketAddr,
        /// On an empty store, first load demo data and print the demo logins.
        #[arg(long)]
        demo: bool,
        /// The thread export the demo loads as its model case.
        #[arg(
            long,
            value_name = "FILE",
            default_value = "../shared/seed/CAS-03865-H7P3F1.txt"
        )]
        seed: PathBuf,
        /// Also take mail delivered by LMTP on this address (a mail server's local delivery).
        #[arg(long, value_name = "ADDR")]
        lmtp: Option<std::net::SocketAddr>,
        /// Also take mail delivered by plain SMTP on this address (for servers without LMTP).
        #[arg(long, value_name = "ADDR")]
        smtp: Option<std::net::SocketAddr>,
    },
    /// Counts: received = messages + quarantined + duplicates.
    Stats {
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// Show how Casebook reads a message, without storing it (exits 0 for any readable file).
    ///
    /// `quoted_from` is where quoted history begins: a byte offset into the UTF-8 `body_text`
    /// (not a character count), or null when nothing is quoted.
    Parse {
        /// An .eml file, or an mbox or export (each message is shown).
        file: PathBuf,
        /// Print as JSON: one object for one message, {"messages": [...]} for several.
        #[arg(long)]
        json: bool,
        /// Check the sender as if this client had delivered it (SPF, DKIM, DMARC): its address.
        #[arg(long, value_name = "IP", requires_all = ["helo", "mail_from"])]
        received_from: Option<std::net::IpAddr>,
        /// The client's HELO name.
        #[arg(long, value_name = "NAME")]
        helo: Option<String>,
        /// The envelope sender (MAIL FROM).
        #[arg(long, value_name = "ADDRESS")]
        mail_from: Option<String>,
    },
    /// How mail stands: the outbox, the polled mailboxes, bouncing contacts, held mail.
    Status {
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum DevCommand {
    /// Every message on a case with its case number and how it was matched, as JSON.
    Placements,
}

#[derive(Debug, Subcommand)]
pub enum CaseCommand {
    /// List cases, most recently changed first.
    List {
        /// Print as JSON: {"cases": [...]}.
        #[arg(long)]
        json: bool,
        /// Show at most this many.
        #[arg(long)]
        limit: Option<u64>,
    },
    /// Show a case and its timeline.
    Show {
        /// Case number, alias or token.
        number: String,
        /// Show it as this person would see it (a partner's contact: public entries of their organization only).
        #[arg(long = "as", value_name = "PERSON")]
        as_person: Option<String>,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Open a case by hand.
    New {
        /// Title.
        #[arg(long)]
        title: String,
        /// Customer organization.
        #[arg(long)]
        customer: String,
        /// Priority, P1 to P4.
        #[arg(long, value_parser = parse_priority)]
        priority: Option<Priority>,
        /// Stage label.
        #[arg(long)]
        stage: Option<String>,
        /// Product.
        #[arg(long)]
        product: Option<String>,
        /// Product version.
        #[arg(long)]
        version: Option<String>,
        /// Add the customer as a new organization if none has that name.
        #[arg(long)]
        new_org: bool,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write to the case's customer contacts: the reply is queued in the outbox and sent.
    Reply {
        /// Case number, alias or token.
        number: String,
        /// The reply's text.
        #[arg(long, conflicts_with = "file")]
        text: Option<String>,
        /// Read the text from a file (UTF-8).
        #[arg(long)]
        file: Option<PathBuf>,
        /// A copy to this address as well (repeatable).
        #[arg(long, value_name = "ADDRESS")]
        cc: Vec<String>,
        /// Attach a file (repeatable).
        #[arg(long, value_name = "FILE")]
        attach: Vec<PathBuf>,
        /// Print the change as JSON, with `outbox.outbox_id` and `outbox.message_id`.
        #[arg(long)]
        json: bool,
    },
    /// Add an internal note.
    Note {
        /// Case number, alias or token.
        number: String,
        /// The note's text (or give --file).
        text: Option<String>,
        /// Read the note from a file (UTF-8).
        #[arg(long)]
        file: Option<PathBuf>,
        /// Print the change as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Make a timeline entry public (the customer's contacts may read it) or internal.
    Entry {
        /// The entry's id (`id` in `case show --json`).
        id: i64,
        /// Let the customer's contacts read it.
        #[arg(
            long,
            conflicts_with = "internal",
            required_unless_present = "internal"
        )]
        public: bool,
        /// Keep it for staff only.
        #[arg(long)]
        internal: bool,
        /// Print the change as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Change a case's status (archiving and resolving need --summary-file).
    Status {
        /// Case number, alias or token.
        number: String,
        /// new, in_progress, waiting_on_customer, waiting_on_third_party, archived, resolved, cancelled, reopened.
        #[arg(value_parser = parse_status)]
        status: Status,
        /// A written summary: 问题描述/案例总结 to archive, 根本原因/解决方案 to resolve.
        #[arg(long)]
        summary_file: Option<PathBuf>,
        /// Print the case as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Make a staff member the case's owner.
    Assign {
        /// Case number, alias or token.
        number: String,
        /// The owner: an address or a name.
        person: String,
        /// Print the case as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Change a case's fields.
    Edit {
        /// Case number, alias or token.
        number: String,
        /// Title.
        #[arg(long)]
        title: Option<String>,
        /// Priority, P1 to P4.
        #[arg(long, value_parser = parse_priority)]
        priority: Option<Priority>,
        /// Stage label.
        #[arg(long)]
        stage: Option<String>,
        /// Product.
        #[arg(long)]
        product: Option<String>,
        /// Product version.
        #[arg(long)]
        version: Option<String>,
        /// The problem as defined with the partner.
        #[arg(long)]
        problem_definition: Option<String>,
        /// The agreed scope.
        #[arg(long)]
        scope: Option<String>,
        /// Print the case as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Split a second problem off a case into a new, linked case.
    Split {
        /// Case number, alias or token.
        number: String,
        /// The new case's title.
        #[arg(long)]
        title: String,
        /// A message (Message-ID or message row) to move to the new case; repeat for more.
        #[arg(long = "message")]
        messages: Vec<String>,
        /// Open the new case without moving any message.
        #[arg(long, conflicts_with = "messages")]
        empty: bool,
        /// Print the new case as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Merge a duplicate case into another; the duplicate's number keeps finding it.
    Merge {
        /// The case that stays.
        keep: String,
        /// The duplicate.
        duplicate: String,
        /// Merge even across customers or into an archived, resolved or cancelled case.
        #[arg(long)]
        force: bool,
        /// Print the change as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// Add an organization, or add domains to it.
    Add {
        /// Name.
        name: String,
        /// A mail domain; repeat for more.
        #[arg(long = "domain")]
        domains: Vec<String>,
        /// The vendor's own organization: its people are engineers, not customers.
        #[arg(long)]
        staff: bool,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List organizations.
    List {
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ContactCommand {
    /// Add a contact, or update the person with this address.
    Add {
        /// Email address.
        address: String,
        /// Name.
        #[arg(long)]
        name: Option<String>,
        /// Organization.
        #[arg(long)]
        org: Option<String>,
        /// Role: admin, manager, engineer, liaison, partner_contact.
        #[arg(long, value_parser = parse_role)]
        role: Option<Role>,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List contacts.
    List {
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Merge two records of one person (by address or name).
    Merge {
        /// The record that stays.
        keep: String,
        /// The record folded into it.
        duplicate: String,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user: the person with that address (created when new) gets the role and a login.
    Add {
        /// The login: an address, or a short name (then give --email).
        login: String,
        /// The person's role.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// The person's organization (a customer's for partner_contact; the staff one for the others).
        #[arg(long)]
        org: Option<String>,
        /// The person's name.
        #[arg(long)]
        name: Option<String>,
        /// The person's address (the login when it is one).
        #[arg(long, value_name = "ADDRESS")]
        email: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long, required = true)]
        password_stdin: bool,
        /// Print the user as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List users.
    List {
        /// Print as JSON: {"users": [...]}.
        #[arg(long)]
        json: bool,
    },
    /// Show one user.
    Show {
        /// The login.
        login: String,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Set a user's password; all their sessions end.
    Passwd {
        /// The login.
        login: String,
        /// Read the password from the first line of standard input.
        #[arg(long, required = true)]
        password_stdin: bool,
        /// Print the user as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Disable a user: they cannot sign in, their sessions end, their tokens are revoked.
    Disable {
        /// The login.
        login: String,
        /// Print the user as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Turn off a user's second factor (they lost their authenticator); they sign in with their
    /// password and may set it up again.
    SecondFactorReset {
        /// The login.
        login: String,
        /// Print the user as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Let a disabled user sign in again (their old tokens stay revoked).
    Enable {
        /// The login.
        login: String,
        /// Print the user as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Change a user's role (the role of the person they are).
    Role {
        /// The login.
        login: String,
        /// The new role.
        #[arg(value_parser = parse_role)]
        role: Role,
        /// Print the user as JSON.
        #[arg(long)]
        json: bool,
    },
    /// The notices a user gets by mail (customer_mail, assignment, upload, sla): all on until
    /// turned off.
    Notices {
        /// The login.
        login: String,
        /// Turn this kind off (repeatable).
        #[arg(long, value_name = "KIND")]
        off: Vec<String>,
        /// Turn this kind on again (repeatable).
        #[arg(long, value_name = "KIND")]
        on: Vec<String>,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// The admin log: sign-ins, users, roles, passwords and tokens, newest first.
    Log {
        /// Show at most this many lines.
        #[arg(long, default_value_t = 50)]
        limit: u64,
        /// Print as JSON: {"entries": [...]}.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token for a user; the token is shown only this once.
    Create {
        /// The user's login.
        login: String,
        /// What the token is for.
        #[arg(long)]
        name: Option<String>,
        /// Print as JSON: {"id", "name", "token", "created_at"}.
        #[arg(long)]
        json: bool,
    },
    /// List tokens, of one user or of everyone (never their secrets).
    List {
        /// The user's login.
        login: Option<String>,
        /// Print as JSON: {"tokens": [...]}.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token: it stops working at once.
    Revoke {
        /// The token's id (from `token list`).
        id: i64,
        /// Print the token as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum QuarantineCommand {
    /// List quarantined messages.
    List {
        /// Include entries already decided.
        #[arg(long)]
        all: bool,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show one entry and its raw message.
    Show {
        /// The entry's id.
        id: i64,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Put a quarantined message on a case.
    Attach {
        /// The entry's id.
        id: i64,
        /// Case number, alias or token.
        case: String,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Let a quarantined message through: thread it, or open a case, without the takeover guard.
    Release {
        /// The entry's id.
        id: i64,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Close an entry as dismissed; it and its raw message are kept (see `list --all`).
    Dismiss {
        /// The entry's id.
        id: i64,
        /// Why (kept with the entry).
        #[arg(long)]
        reason: Option<String>,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
}

impl Command {
    /// Whether the command was asked for JSON (errors then go to stderr as JSON too).
    pub fn wants_json(&self) -> bool {
        match self {
            Command::Import { json, .. }
            | Command::Backup { json, .. }
            | Command::Restore { json, .. }
            | Command::Check { json, .. }
            | Command::Stats { json } => *json,
            Command::Dev(_) => true,
            Command::Sla(command) => command.wants_json(),
            Command::Calendar(command) => command.wants_json(),
            Command::Serve { .. } => false,
            Command::Mail(MailCommand::Parse { json, .. } | MailCommand::Status { json }) => *json,
            Command::Outbox(
                crate::mail_cli::OutboxCommand::List { json, .. }
                | crate::mail_cli::OutboxCommand::Retry { json, .. },
            ) => *json,
            Command::Org(OrgCommand::Add { json, .. } | OrgCommand::List { json }) => *json,
            Command::Contact(
                ContactCommand::Add { json, .. }
                | ContactCommand::List { json }
                | ContactCommand::Merge { json, .. },
            ) => *json,
            Command::Quarantine(
                QuarantineCommand::List { json, .. }
                | QuarantineCommand::Show { json, .. }
                | QuarantineCommand::Attach { json, .. }
                | QuarantineCommand::Release { json, .. }
                | QuarantineCommand::Dismiss { json, .. },
            ) => *json,
            Command::User(
                UserCommand::Add { json, .. }
                | UserCommand::List { json }
                | UserCommand::Show { json, .. }
                | UserCommand::Passwd { json, .. }
                | UserCommand::Disable { json, .. }
                | UserCommand::Enable { json, .. }
                | UserCommand::SecondFactorReset { json, .. }
                | UserCommand::Role { json, .. }
                | UserCommand::Notices { json, .. }
                | UserCommand::Log { json, .. },
            ) => *json,
            Command::Token(
                TokenCommand::Create { json, .. }
                | TokenCommand::List { json, .. }
                | TokenCommand::Revoke { json, .. },
            ) => *json,
            Command::Case(command) => match command {
                CaseCommand::List { json, .. }
                | CaseCommand::Show { json, .. }
                | CaseCommand::New { json, .. }
                | CaseCommand::Note { json, .. }
                | CaseCommand::Reply { json, .. }
                | CaseCommand::Entry { json, .. }
                | CaseCommand::Status { json, .. }
                | CaseCommand::Assign { json, .. }
                | CaseCommand::Edit { json, .. }
                | CaseCommand::Split { json, .. }
                | CaseCommand::Merge { json, .. } => *json,
            },
        }
    }

    /// Whether the command may create the data directory and database: only commands that add
    /// data do; the others refuse a place that holds no store.
    pub fn open_mode(&self) -> app::OpenMode {
        match self {
            Command::Import { .. }
            | Command::Restore { .. }
            | Command::Org(OrgCommand::Add { .. })
            | Command::Contact(ContactCommand::Add { .. })
            | Command::User(UserCommand::Add { .. })
            | Command::Case(CaseCommand::New { .. })
            | Command::Serve { demo: true, .. } => app::OpenMode::Create,
            _ => app::OpenMode::Existing,
        }
    }
}

fn parse_priority(text: &str) -> Result<Priority, String> {
    text.parse()
        .map_err(|error: case::number::LabelError| error.to_string())
}

fn parse_status(text: &str) -> Result<Status, String> {
    text.parse()
        .map_err(|error: case::status::UnknownStatus| error.to_string())
}

fn parse_role(text: &str) -> Result<Role, String> {
    text.parse()
}

pub(crate) fn print_json(value: &impl serde::Serialize) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut stdout, value)?;
    writeln!(stdout)?;
    Ok(())
}

/// `mail parse`: needs no store, so `main` runs it before opening one.
pub fn mail_parse(
    intake: &app::IntakeConfig,
    file: &std::path::Path,
    json: bool,
    lang: Lang,
    check: Option<(
        &app::mailroom::auth::SenderAuthSettings,
        app::mailroom::auth::Evidence,
    )>,
) -> Result<()> {
    let inspections = app::mail_parse(intake, file)?;
    let mut values: Vec<serde_json::Value> = inspections
        .iter()
        .map(serde_json::to_value)
        .collect::<Result<_, _>>()?;
    let mut verdicts = Vec::new();
    if let Some((settings, evidence)) = check {
        let settings = app::mailroom::auth::SenderAuthSettings {
            enabled: true,
            ..settings.clone()
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        for (value, raw) in values.iter_mut().zip(app::mail_parse_raw(file)?) {
            let verdict = runtime.block_on(app::mailroom::auth::check_sender(
                &settings,
                &raw,
                Some(&evidence),
            ));
            let standing = case::auth::judge(verdict.as_ref(), false);
            let mut authentication = serde_json::to_value(&standing)?;
            authentication["verdict"] = serde_json::to_value(&verdict)?;
            value["authentication"] = authentication;
            verdicts.push(standing);
        }
    }
    let value = match values.as_slice() {
        [one] => one.clone(),
        many => serde_json::json!({ "messages": many }),
    };
    emit(json, &value, || {
        let mut out = render::inspections(&inspections, lang);
        for standing in &verdicts {
            let word = match standing {
                case::auth::Standing::Failed { reason } => reason.clone(),
                other => serde_json::to_value(other)
                    .ok()
                    .and_then(|v| v["standing"].as_str().map(str::to_string))
                    .unwrap_or_default(),
            };
            out.push_str(&format!(
                "{}: {word}\n",
                lang.say("cli-mail-authentication")
            ));
        }
        out
    })
}

/// Prints a value as JSON, or its text for people.
pub(crate) fn emit(
    json: bool,
    value: &impl serde::Serialize,
    text: impl FnOnce() -> String,
) -> Result<()> {
    if json {
        print_json(value)
    } else {
        print_text(&text())
    }
}

fn print_text(text: &str) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    Ok(())
}

pub(crate) fn read_text(path: &std::path::Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|source| AppError::unreadable(path, source))?;
    Ok(app::text_from_file(path, bytes)?)
}

/// Runs one command.
pub async fn run(
    app: &std::sync::Arc<App>,
    command: Command,
    lang: Lang,
    web: &crate::config::WebSettings,
) -> Result<()> {
    match command {
        Command::Serve {
            listen,
            demo,
            seed,
            lmtp,
            smtp,
        } => {
            crate::serve::run(
                app.clone(),
                crate::serve::Listen {
                    web: listen,
                    lmtp,
                    smtp,
                },
                demo.then_some(seed.as_path()),
                web,
                lang,
            )
            .await
        }
        Command::Import {
            paths,
            json,
            assume_zone,
        } => {
            let zone = match assume_zone {
                Some(name) => Some(name.parse::<chrono_tz::Tz>().map_err(|_| {
                    AppError::invalid("assume_zone", serde_json::json!({ "zone": name }))
                })?),
                None => None,
            };
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} {bar:40} {bytes}/{total_bytes} {msg} ({eta})",
                )
                .context("progress bar template")?,
            );
            let mut progress = |state: app::ImportProgress| {
                bar.set_length(state.bytes_total);
                bar.set_position(state.bytes_done);
                bar.set_message(format!(
                    "{} {}",
                    state.messages_done,
                    lang.say("cli-messages")
                ));
            };
            let summary = app.import(&paths, zone, &mut progress).await?;
            bar.finish_and_clear();
            emit(json, &summary, || render::import_summary(&summary, lang))
        }
        Command::Case(command) => run_case(app, command, lang).await,
        // `main` runs it before opening a store; this is for completeness.
        Command::Mail(MailCommand::Parse { file, json, .. }) => {
            mail_parse(app.intake(), &file, json, lang, None)
        }
        Command::Mail(MailCommand::Status { json }) => {
            crate::mail_cli::status(app, json, lang).await
        }
        Command::Outbox(command) => crate::mail_cli::run_outbox(app, command, lang).await,
        Command::Backup { dest, json } => {
            let manifest = app.backup(&dest).await?;
            emit(json, &manifest, || {
                render::manifest(&manifest, &lang.say("cli-backed_up"), lang)
            })
        }
        Command::Restore { src, json } => {
            let manifest = app.restore(&src).await?;
            emit(json, &manifest, || {
                render::manifest(&manifest, &lang.say("cli-restored"), lang)
            })
        }
        Command::Check {
            verify,
            remove_orphans,
            json,
        } => {
            let report = app
                .check(app::CheckOptions {
                    verify,
                    remove_orphans,
                })
                .await?;
            emit(json, &report, || render::check(&report, lang))?;
            if report.ok() {
                Ok(())
            } else {
                Err(AppError::inconsistent(report.errors.len()).into())
            }
        }
        Command::Dev(DevCommand::Placements) => {
            print_json(&serde_json::json!({ "placements": app.placements().await? }))
        }
        Command::Org(OrgCommand::Add {
            name,
            domains,
            staff,
            json,
        }) => {
            let org = app.org_add(&name, &domains, staff).await?;
            emit(json, &org, || {
                render::orgs(std::slice::from_ref(&org), lang)
            })
        }
        Command::Org(OrgCommand::List { json }) => {
            let orgs = app.org_list().await?;
            emit(json, &serde_json::json!({ "orgs": orgs }), || {
                render::orgs(&orgs, lang)
            })
        }
        Command::Contact(ContactCommand::Add {
            address,
            name,
            org,
            role,
            json,
        }) => {
            let contact = app
                .contact_add(&address, name.as_deref(), org.as_deref(), role)
                .await?;
            emit(json, &contact, || {
                render::contacts(std::slice::from_ref(&contact), lang)
            })
        }
        Command::Contact(ContactCommand::List { json }) => {
            let contacts = app.contact_list().await?;
            emit(json, &serde_json::json!({ "contacts": contacts }), || {
                render::contacts(&contacts, lang)
            })
        }
        Command::Contact(ContactCommand::Merge {
            keep,
            duplicate,
            json,
        }) => {
            let contact = app.contact_merge(&keep, &duplicate).await?;
            emit(json, &contact, || {
                render::contacts(std::slice::from_ref(&contact), lang)
            })
        }
        Command::Quarantine(command) => run_quarantine(app, command, lang).await,
        Command::User(command) => run_user(app, command, lang).await,
        Command::Token(command) => run_token(app, command, lang).await,
        Command::Sla(command) => crate::sla_cli::run_sla(app, command, lang).await,
        Command::Calendar(command) => crate::sla_cli::run_calendar(app, command, lang).await,
        Command::Stats { json } => {
            let stats = app.stats().await?;
            emit(json, &stats, || render::stats(&stats, lang))
        }
    }
}

async fn run_case(app: &App, command: CaseCommand, lang: Lang) -> Result<()> {
    let operator = app::Actor::operator();
    let show = |view: &app::views::CaseView, json: bool| {
        emit(json, view, || render::case(view, app.view_zone, lang))
    };
    let changed = |change: &app::views::ChangeView, json: bool| {
        emit(json, change, || render::change(change, app.view_zone, lang))
    };
    match command {
        CaseCommand::List { json, limit } => {
            let cases = app.case_list(limit).await?;
            emit(json, &serde_json::json!({ "cases": cases }), || {
                render::case_list(&cases, app.view_zone, lang)
            })
        }
        CaseCommand::Show {
            number,
            as_person,
            json,
        } => match as_person {
            Some(person) => show(&app.case_show_as(&number, &person).await?, json),
            None => show(&app.case_show(&operator, &number).await?, json),
        },
        CaseCommand::New {
            title,
            customer,
            priority,
            stage,
            product,
            version,
            new_org,
            json,
        } => {
            let view = app
                .case_new(
                    &operator,
                    NewCaseInput {
                        title,
                        customer,
                        priority,
                        stage,
                        product,
                        version,
                        new_org,
                    },
                )
                .await?;
            show(&view, json)
        }
        CaseCommand::Reply {
            number,
            text,
            file,
            cc,
            attach,
            json,
        } => {
            crate::mail_cli::reply(
                app,
                crate::mail_cli::ReplyArgs {
                    number,
                    text,
                    file,
                    cc,
                    attach,
                    json,
                },
                lang,
            )
            .await
        }
        CaseCommand::Note {
            number,
            text,
            file,
            json,
        } => {
            let text = match (text, file) {
                (Some(text), None) => text,
                (None, Some(file)) => read_text(&file)?,
                (Some(_), Some(_)) => {
                    return Err(
                        AppError::invalid("note_text_and_file", serde_json::json!({})).into(),
                    )
                }
                (None, None) => {
                    return Err(AppError::invalid("note_missing", serde_json::json!({})).into())
                }
            };
            changed(&app.case_note(&operator, &number, &text).await?, json)
        }
        CaseCommand::Entry {
            id,
            public,
            internal: _,
            json,
        } => {
            let to = if public {
                case::Visibility::Public
            } else {
                case::Visibility::Internal
            };
            changed(&app.case_entry_visibility(&operator, id, to).await?, json)
        }
        CaseCommand::Status {
            number,
            status,
            summary_file,
            json,
        } => {
            let summary = summary_file.as_deref().map(read_text).transpose()?;
            changed(
                &app.case_status(&operator, &number, status, summary.as_deref())
                    .await?,
                json,
            )
        }
        CaseCommand::Assign {
            number,
            person,
            json,
        } => changed(&app.case_assign(&operator, &number, &person).await?, json),
        CaseCommand::Edit {
            number,
            title,
            priority,
            stage,
            product,
            version,
            problem_definition,
            scope,
            json,
        } => {
            let edit = app::CaseEdit {
                title,
                priority,
                stage,
                product,
                version,
                problem_definition,
                scope,
            };
            changed(&app.case_edit(&operator, &number, edit).await?, json)
        }
        CaseCommand::Split {
            number,
            title,
            messages,
            empty,
            json,
        } => changed(
            &app.case_split(&operator, &number, &title, &messages, empty)
                .await?,
            json,
        ),
        CaseCommand::Merge {
            keep,
            duplicate,
            force,
            json,
        } => changed(
            &app.case_merge(&operator, &keep, &duplicate, force).await?,
            json,
        ),
    }
}

async fn run_quarantine(app: &App, command: QuarantineCommand, lang: Lang) -> Result<()> {
    let operator = app::Actor::operator();
    match command {
        QuarantineCommand::List { all, json } => {
            let entries = app.quarantine_list(&operator, all).await?;
            emit(json, &serde_json::json!({ "quarantine": entries }), || {
                render::quarantine_list(&entries, app.view_zone, lang)
            })
        }
        QuarantineCommand::Show { id, json } => {
            let (entry, raw) = app.quarantine_show(&operator, id).await?;
            let value = serde_json::json!({ "entry": entry, "raw": String::from_utf8_lossy(&raw) });
            emit(json, &value, || {
                let mut text =
                    render::quarantine_list(std::slice::from_ref(&entry), app.view_zone, lang);
                let heading = lang.say("cli-raw_message");
                let size = u64::try_from(raw.len()).unwrap_or(u64::MAX);
                let size = lang.text(
                    "cli-bytes",
                    &[(
                        "count",
                        app::i18n::FluentValue::from(i64::try_from(size).unwrap_or(i64::MAX)),
                    )],
                );
                text.push_str(&format!("\n----- {heading} ({size}) -----\n"));
                // Quarantined mail is the most hostile input there is: never raw to a terminal.
                text.push_str(&render::safe_text(&String::from_utf8_lossy(&raw)));
                text.push('\n');
                text
            })
        }
        QuarantineCommand::Attach { id, case, json } => {
            decide(app, id, app::QuarantineDecision::Attach(case), json, lang).await
        }
        QuarantineCommand::Release { id, json } => {
            decide(app, id, app::QuarantineDecision::Release, json, lang).await
        }
        QuarantineCommand::Dismiss { id, reason, json } => {
            let entry = app
                .quarantine_dismiss(&operator, id, reason.as_deref())
                .await?;
            emit(json, &entry, || {
                render::quarantine_list(std::slice::from_ref(&entry), app.view_zone, lang)
            })
        }
    }
}

async fn decide(
    app: &App,
    id: i64,
    decision: app::QuarantineDecision,
    json: bool,
    lang: Lang,
) -> Result<()> {
    let outcome = app
        .quarantine_decide(&app::Actor::operator(), id, decision)
        .await?;
    emit(json, &outcome, || render::outcome(&outcome, lang))
}

/// The first line of standard input, without its line end: a password given with `--password-stdin`.
fn password_from_stdin() -> Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    let line = line.strip_suffix('\n').unwrap_or(&line);
    Ok(line.strip_suffix('\r').unwrap_or(line).to_string())
}

async fn run_user(app: &App, command: UserCommand, lang: Lang) -> Result<()> {
    let zone = app.view_zone;
    let one = |user: &app::auth::UserView, json: bool| {
        emit(json, user, || {
            render::users(std::slice::from_ref(user), zone, lang)
        })
    };
    match command {
        UserCommand::Add {
            login,
            role,
            org,
            name,
            email,
            password_stdin: _,
            json,
        } => {
            let password = password_from_stdin()?;
            let user = app
                .user_add(
                    app::auth::NewUser {
                        login,
                        role,
                        org,
                        name,
                        email,
                        password,
                    },
                    app::CLI_ACTOR,
                )
                .await?;
            one(&user, json)
        }
        UserCommand::List { json } => {
            let users = app.user_list().await?;
            emit(json, &serde_json::json!({ "users": users }), || {
                render::users(&users, zone, lang)
            })
        }
        UserCommand::Show { login, json } => one(&app.user_show(&login).await?, json),
        UserCommand::Passwd {
            login,
            password_stdin: _,
            json,
        } => {
            let password = password_from_stdin()?;
            let user = app.user_passwd(&login, &password, app::CLI_ACTOR).await?;
            emit(json, &user, || {
                let args = [("login", app::i18n::FluentValue::from(user.login.clone()))];
                format!("{}\n", render::safe(&lang.text("cli-password_set", &args)))
            })
        }
        UserCommand::Disable { login, json } => {
            one(&app.user_disable(&login, app::CLI_ACTOR).await?, json)
        }
        UserCommand::Enable { login, json } => {
            one(&app.user_enable(&login, app::CLI_ACTOR).await?, json)
        }
        UserCommand::SecondFactorReset { login, json } => one(
            &app.user_second_factor_reset(&login, app::CLI_ACTOR).await?,
            json,
        ),
        UserCommand::Role { login, role, json } => one(
            &app.user_set_role(&login, role, app::CLI_ACTOR).await?,
            json,
        ),
        UserCommand::Notices {
            login,
            off,
            on,
            json,
        } => {
            let view = app.user_notices(&login, &off, &on).await?;
            emit(json, &view, || {
                format!(
                    "{}: {} {}; {} {}\n",
                    view.login,
                    lang.say("cli-notices-on"),
                    view.on.join(", "),
                    lang.say("cli-notices-off"),
                    if view.off.is_empty() {
                        "-".to_string()
                    } else {
                        view.off.join(", ")
                    }
                )
            })
        }
        UserCommand::Log { limit, json } => {
            let entries = app.admin_log(limit).await?;
            emit(json, &serde_json::json!({ "entries": entries }), || {
                render::admin_log(&entries, zone)
            })
        }
    }
}

async fn run_token(app: &App, command: TokenCommand, lang: Lang) -> Result<()> {
    let zone = app.view_zone;
    match command {
        TokenCommand::Create { login, name, json } => {
            let token = app
                .token_create(&login, name.as_deref(), app::CLI_ACTOR)
                .await?;
            emit(json, &token, || render::new_token(&token, lang))
        }
        TokenCommand::List { login, json } => {
            let tokens = app.token_list(login.as_deref()).await?;
            emit(json, &serde_json::json!({ "tokens": tokens }), || {
                render::tokens(&tokens, zone, lang)
            })
        }
        TokenCommand::Revoke { id, json } => {
            let token = app.token_revoke(id, app::CLI_ACTOR).await?;
            emit(json, &token, || {
                let args = [
                    ("id", app::i18n::FluentValue::from(token.id)),
                    ("name", app::i18n::FluentValue::from(token.name.clone())),
                    ("login", app::i18n::FluentValue::from(token.login.clone())),
                ];
                format!("{}\n", render::safe(&lang.text("cli-token_revoked", &args)))
            })
        }
    }
}
