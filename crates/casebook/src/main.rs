//! `casebook`: the command line. Parses arguments, loads config, builds `App`,
//! runs the subcommand, and maps errors to an exit code and a message.
//!
//! No logic, no SQL: every command is one call into `app`. Exit codes: 0 when
//! the command did its work (an import whose messages all went to quarantine
//! did its work), 1 for an error the user can fix, 2 for an internal error.

mod cli;
mod config;
mod render;

use std::io::Write;
use std::process::ExitCode;

use app::{App, AppError, Lang, SystemClock};
use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Args::parse();
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
            eprintln!("casebook: {error:#}");
            return ExitCode::from(1);
        }
    };
    let lang = config.lang;
    if let cli::Command::Mail(cli::MailCommand::Parse { file, json }) = &args.command {
        return match cli::mail_parse(&config.intake, file, *json, lang) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => report(&error, lang),
        };
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("casebook: cannot start the async runtime: {error}");
            return ExitCode::from(2);
        }
    };
    let result = runtime.block_on(async {
        let app = App::open(
            &config.store,
            config.intake,
            Box::new(SystemClock),
            config.view_zone,
        )
        .await?;
        let result = cli::run(&app, args.command, lang).await;
        app.close().await;
        result
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => report(&error, lang),
    }
}

fn report(error: &anyhow::Error, lang: Lang) -> ExitCode {
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
    match error.downcast_ref::<AppError>() {
        Some(app_error) => {
            let _ = writeln!(stderr, "casebook: {}", app_error.message(lang));
            let mut source = std::error::Error::source(app_error);
            while let Some(cause) = source {
                let _ = writeln!(stderr, "  {}: {cause}", lang.pick("caused by", "原因"));
                source = cause.source();
            }
            ExitCode::from(if app_error.code.is_user_error() { 1 } else { 2 })
        }
        None => {
            let _ = writeln!(stderr, "casebook: {error:#}");
            ExitCode::from(2)
        }
    }
}
