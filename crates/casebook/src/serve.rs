//! `casebook serve`: loads the demo when asked, binds the address, prints where Casebook is, and
//! serves the web application until the process is stopped.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::Result;
use app::i18n::FluentValue;
use app::{App, AppError, Lang};
use serde_json::json;

use crate::config::WebSettings;

/// Where the server listens.
pub struct Listen {
    /// The web application and the API.
    pub web: SocketAddr,
    /// LMTP delivery, if wanted.
    pub lmtp: Option<SocketAddr>,
    /// Plain SMTP delivery, if wanted.
    pub smtp: Option<SocketAddr>,
}

async fn bind(address: SocketAddr) -> Result<tokio::net::TcpListener> {
    Ok(tokio::net::TcpListener::bind(address)
        .await
        .map_err(|error| {
            AppError::invalid(
                "listen",
                json!({ "address": address.to_string(), "detail": error.to_string() }),
            )
        })?)
}

/// Runs the server; with `demo`, first fills an empty store with the demo (the seed thread when
/// the file is there).
pub async fn run(
    app: Arc<App>,
    listen: Listen,
    demo: Option<&Path>,
    settings: &WebSettings,
    lang: Lang,
) -> Result<()> {
    if let Some(seed) = demo {
        load_demo(&app, seed, lang).await?;
    }
    app.refresh_planner_statistics().await?;
    let listener = bind(listen.web).await?;
    let bound = listener.local_addr()?;
    // Mail delivered by a mail server: bound before the web application serves, so that a busy
    // port fails the start.
    for (address, protocol) in [
        (listen.lmtp, inbound::lmtp::Protocol::Lmtp),
        (listen.smtp, inbound::lmtp::Protocol::Smtp),
    ] {
        let Some(address) = address else {
            continue;
        };
        let mail_listener = bind(address).await?;
        let name = match protocol {
            inbound::lmtp::Protocol::Lmtp => "LMTP",
            inbound::lmtp::Protocol::Smtp => "SMTP",
        };
        println!(
            "{}",
            lang.text(
                "serve-mail-listening",
                &[
                    ("protocol", FluentValue::from(name)),
                    (
                        "listen",
                        FluentValue::from(mail_listener.local_addr()?.to_string())
                    ),
                ]
            )
        );
        tokio::spawn(inbound::lmtp::serve(
            app.clone(),
            mail_listener,
            inbound::lmtp::ListenerConfig {
                protocol,
                hostname: "casebook".to_string(),
                limits: inbound::lmtp::Limits {
                    max_message: app.intake().limits.max_message_bytes,
                    ..inbound::lmtp::Limits::default()
                },
            },
        ));
    }
    let mut config = web::WebConfig::for_listen(bound);
    if let Some(url) = &settings.public_url {
        config.public_url = url.clone();
    }
    config.trusted_proxies = settings.trusted_proxies.clone();
    println!(
        "{}",
        lang.text(
            "serve-listening",
            &[
                ("url", FluentValue::from(config.public_url.to_string())),
                ("listen", FluentValue::from(bound.to_string())),
            ]
        )
    );
    // Clocks and jobs: every instance runs them; the database keeps them single.
    let holder = app::background::instance_name();
    tokio::spawn(app::background::run(app.clone(), holder.clone()));
    // Each mailbox is polled by one instance at a time, under its lease.
    for mailbox in &settings.imap {
        tokio::spawn(inbound::imap::run(
            app.clone(),
            mailbox.clone(),
            holder.clone(),
        ));
    }
    web::serve(app, config, listener).await?;
    Ok(())
}

async fn load_demo(app: &App, seed: &Path, lang: Lang) -> Result<()> {
    let seed = seed.is_file().then_some(seed);
    if seed.is_none() {
        eprintln!("{}", lang.say("serve-demo-no-seed"));
    }
    let bar = indicatif::ProgressBar::new(0);
    let mut progress = |done: u64, total: u64| {
        bar.set_length(total);
        bar.set_position(done);
    };
    let report = app.demo_load(seed, &mut progress).await?;
    bar.finish_and_clear();
    for line in report.lines(lang) {
        println!("{line}");
    }
    if !report.loaded {
        return Ok(());
    }
    println!("{}", lang.say("serve-demo-once"));
    Ok(())
}
