//! `casebook`: the command line. Parses arguments, loads config, builds `App`,
//! runs the subcommand, and maps errors to an exit code and a message.
//!
//! No logic, no SQL: every command is one call into `app`. Exit codes: 0 when
//! the command did its work (an import whose messages all went to quarantine
//! did its work), 1 for an error the user can fix (a usage error included),
//! 2 for an internal error. With `--json`, errors go to stderr as
//! `{"code", "message", "details"}` and stdout stays empty.

mod cli;
mod config;
mod mail_cli;
mod render;
mod serve;
mod sla_cli;

use std::io::Write;
use std::process::ExitCode;

use app::{App, AppError, Lang, SystemClock};
use clap::Parser;

// glibc's allocator contends between the server's threads and the database's worker threads;
// mimalloc keeps a heap per thread (measured in scripts/bench/web.sh).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let raw_args: Vec<String> = std::env::args().collect();
    let wants_json = raw_args.iter().any(|arg| arg == "--json");
    let args = match cli::Args::try_parse() {
        Ok(args) => args,
        Err(error) => return usage_error(&error, wants_json, config::early_lang(&raw_args)),
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CASEBOOK_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let config = match config::load(args.data_dir.clone(), args.lang.as_deref()) {
        Ok(config) => config,
        Err(error) => {
            let error = AppError::invalid(
                "configuration",
                serde_json::json!({ "detail": format!("{error:#}") }),
            );
            return report(&anyhow::Error::new(error), Lang::En, wants_json);
        }
    };
    let lang = config.lang;
    let json = args.command.wants_json();
    if let cli::Command::Mail(cli::MailCommand::Parse {
        file,
        json,
        received_from,
        helo,
        mail_from,
    }) = &args.command
    {
        let check = received_from.map(|client_ip| {
            (
                &config.sender_auth,
                app::mailroom::auth::Evidence {
                    client_ip,
                    helo: helo.clone().unwrap_or_default(),
                    mail_from: mail_from.clone().unwrap_or_default(),
                },
            )
        });
        return match cli::mail_parse(&config.intake, file, *json, lang, check) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => report(&error, lang, *json),
        };
    }
    // The server answers on every core; a command does one thing at a time.
    let runtime = if matches!(args.command, cli::Command::Serve { .. }) {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    };
    let runtime = match runtime {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("casebook: cannot start the async runtime: {error}");
            return ExitCode::from(2);
        }
    };
    let result = runtime.block_on(async {
        let app = std::sync::Arc::new(
            App::open(
                &config.store,
                args.command.open_mode(),
                config.intake,
                Box::new(SystemClock),
                config.view_zone,
            )
            .await?
            .with_limits(config.limits)
            .with_auth_settings(config.auth)
            .with_sla(config.sla)
            .with_mail(config.mail)
            .with_sender_auth(config.sender_auth),
        );
        let result = cli::run(&app, args.command, lang, &config.web).await;
        app.close().await;
        result
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => report(&error, lang, json),
    }
}

/// A command line that does not fit: help and version are not errors; the rest exit 1, as JSON
/// on stderr when `--json` was given.
fn usage_error(error: &clap::Error, json: bool, lang: Lang) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        error.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = error.print();
        return if error.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        };
    }
    // The parser's own text names the flag or value; the hint around it is in the reader's language.
    let rendered = error.render().to_string();
    let first_line = rendered
        .lines()
        .next()
        .unwrap_or("")
        .trim_start_matches("error: ");
    if json {
        let detail = format!("{}: {first_line}", lang.say("usage-hint"));
        let app_error = AppError::usage(detail);
        let _ = writeln!(std::io::stderr(), "{}", app_error.to_json(lang));
    } else {
        let _ = error.print();
        let _ = writeln!(std::io::stderr(), "{}", lang.say("usage-hint"));
    }
    ExitCode::from(1)
}

fn report(error: &anyhow::Error, lang: Lang, json: bool) -> ExitCode {
    let broken_pipe = error
        .downcast_ref::<std::io::Error>()
        .map(std::io::Error::kind)
        == Some(std::io::ErrorKind::BrokenPipe)
        || error
            .downcast_ref::<serde_json::Error>()
            .and_then(serde_json::Error::io_error_kind)
            == Some(std::io::ErrorKind::BrokenPipe);
    if broken_pipe {
        return ExitCode::SUCCESS;
    }
    let mut stderr = std::io::stderr().lock();
    let Some(app_error) = error.downcast_ref::<AppError>() else {
        if json {
            let value = serde_json::json!({ "code": "internal", "message": format!("{error:#}"), "details": {} });
            let _ = writeln!(stderr, "{value}");
        } else {
            let _ = writeln!(stderr, "casebook: {error:#}");
        }
        return ExitCode::from(2);
    };
    let code = ExitCode::from(if app_error.code.is_user_error() { 1 } else { 2 });
    if json {
        let _ = writeln!(stderr, "{}", app_error.to_json(lang));
        return code;
    }
    // Messages carry values people typed or mail brought (labels, names): escaped like any output.
    let _ = writeln!(
        stderr,
        "casebook: {}",
        render::safe_text(&app_error.message(lang))
    );
    // An internal error's message already holds its first cause: show the causes beneath it.
    let mut source = std::error::Error::source(app_error);
    if app_error.code == app::ErrorCode::Internal {
        source = source.and_then(std::error::Error::source);
    }
    while let Some(cause) = source {
        let _ = writeln!(stderr, "  {}: {cause}", lang.say("caused-by"));
        source = cause.source();
    }
    code
}
