//! `casebook case reply`, `casebook outbox …` and `casebook mail status`: writing to a partner
//! from the command line, and how outgoing mail stands.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Result;
use app::compose::{OutgoingFile, ReplyInput};
use app::mailroom::outbox::OutboxView;
use app::mailroom::MailStatusView;
use app::{Actor, App, AppError, Lang, OutboxState};
use clap::{Subcommand, ValueEnum};

use crate::cli::{emit, read_text};
use crate::render::safe;

#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// Outgoing messages, oldest first.
    List {
        /// Only those in this state.
        #[arg(long, value_enum)]
        status: Option<StateArg>,
        /// Show at most this many.
        #[arg(long, default_value_t = 200)]
        limit: u32,
        /// Print as JSON: {"messages": [...]}.
        #[arg(long)]
        json: bool,
    },
    /// Send a failed message again (the same bytes and Message-ID).
    Retry {
        /// The outbox id (`id` in `outbox list`).
        id: i64,
        /// Print the message as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// An outbox state on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StateArg {
    /// Waiting to be sent.
    Queued,
    /// Being handed to the mail server.
    Sending,
    /// Taken by the mail server.
    Sent,
    /// Refused, bounced or out of attempts.
    Failed,
}

impl StateArg {
    fn state(self) -> OutboxState {
        match self {
            StateArg::Queued => OutboxState::Queued,
            StateArg::Sending => OutboxState::Sending,
            StateArg::Sent => OutboxState::Sent,
            StateArg::Failed => OutboxState::Failed,
        }
    }
}

/// What `case reply` was given.
pub struct ReplyArgs {
    pub number: String,
    pub text: Option<String>,
    pub file: Option<PathBuf>,
    pub cc: Vec<String>,
    pub attach: Vec<PathBuf>,
    pub json: bool,
}

/// `case reply`: queues a reply to the case's customer contacts.
pub async fn reply(app: &App, args: ReplyArgs, lang: Lang) -> Result<()> {
    let text = match (args.text, &args.file) {
        (Some(text), None) => text,
        (None, Some(file)) => read_text(file)?,
        (Some(_), Some(_)) => {
            return Err(AppError::invalid("reply_text_and_file", serde_json::json!({})).into())
        }
        (None, None) => {
            return Err(AppError::invalid("reply_missing", serde_json::json!({})).into())
        }
    };
    let mut files = Vec::new();
    for path in &args.attach {
        let bytes = std::fs::read(path).map_err(|error| AppError::unreadable(path, error))?;
        files.push(OutgoingFile {
            filename: path
                .file_name()
                .map_or_else(|| "file".to_string(), |n| n.to_string_lossy().to_string()),
            content_type: "application/octet-stream".to_string(),
            bytes,
        });
    }
    let change = app
        .case_reply(
            &Actor::operator(),
            &args.number,
            ReplyInput {
                text,
                cc: args.cc,
                files,
            },
        )
        .await?;
    emit(args.json, &change, || {
        let mut out = crate::render::change(&change, app.view_zone, lang);
        if let Some(queued) = &change.outbox {
            let _ = writeln!(
                out,
                "{}",
                lang.text(
                    "cli-reply-queued",
                    &[
                        ("id", queued.outbox_id.into()),
                        ("message_id", queued.message_id.clone().into()),
                    ]
                )
            );
        }
        out
    })
}

fn outbox_line(out: &mut String, message: &OutboxView, lang: Lang) {
    let _ = writeln!(
        out,
        "{:>6}  {:<8}  {:<7}  {:<18}  {}",
        message.id,
        lang.say(&format!("outbox-state-{}", message.state.as_str())),
        message.purpose,
        message.case.as_deref().unwrap_or("-"),
        safe(&message.recipients.join(", ")),
    );
    if let Some(error) = &message.error {
        let _ = writeln!(out, "        {}", safe(error));
    }
}

/// `outbox list` and `outbox retry`.
pub async fn run_outbox(app: &App, command: OutboxCommand, lang: Lang) -> Result<()> {
    let operator = Actor::operator();
    match command {
        OutboxCommand::List {
            status,
            limit,
            json,
        } => {
            let messages = app
                .outbox_list(&operator, status.map(StateArg::state), limit)
                .await?;
            emit(json, &serde_json::json!({ "messages": messages }), || {
                if messages.is_empty() {
                    return format!("{}\n", lang.say("cli-outbox-empty"));
                }
                let mut out = String::new();
                for message in &messages {
                    outbox_line(&mut out, message, lang);
                }
                out
            })
        }
        OutboxCommand::Retry { id, json } => {
            let message = app.outbox_retry(&operator, id).await?;
            emit(json, &message, || {
                let mut out = format!(
                    "{}\n",
                    lang.text("cli-outbox-retried", &[("id", id.into())])
                );
                outbox_line(&mut out, &message, lang);
                out
            })
        }
    }
}

/// `mail status`.
pub async fn status(app: &App, json: bool, lang: Lang) -> Result<()> {
    let view: MailStatusView = app.mail_status(&Actor::operator()).await?;
    emit(json, &view, || {
        let mut out = String::new();
        let smtp = view
            .smtp
            .clone()
            .unwrap_or_else(|| lang.say("cli-mail-no-smtp"));
        let _ = writeln!(out, "{}: {}", lang.say("cli-mail-smtp"), safe(&smtp));
        let counts: Vec<String> = view
            .outbox
            .iter()
            .map(|(state, count)| format!("{} {count}", lang.say(&format!("outbox-state-{state}"))))
            .collect();
        let _ = writeln!(
            out,
            "{}: {}",
            lang.say("cli-mail-outbox"),
            counts.join(", ")
        );
        for mailbox in &view.mailboxes {
            let state = match &mailbox.last_error {
                Some(error) => format!("{} ({})", lang.say("cli-mail-failing"), safe(error)),
                None => lang.say("cli-mail-ok"),
            };
            let _ = writeln!(
                out,
                "{}: {}  UID {}  {}",
                safe(&mailbox.name),
                state,
                mailbox.last_uid,
                lang.text("cli-mail-fetched", &[("count", mailbox.fetched.into())])
            );
        }
        for bouncing in &view.bouncing {
            let _ = writeln!(
                out,
                "{}: {} ({})",
                lang.say("cli-mail-bouncing"),
                safe(&bouncing.address),
                safe(&bouncing.reason)
            );
        }
        for held in &view.held {
            let _ = writeln!(
                out,
                "{}",
                lang.text(
                    "cli-mail-held",
                    &[
                        ("address", held.address.clone().into()),
                        ("count", held.count.into())
                    ]
                )
            );
        }
        out
    })
}
