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

/// Runs the server; with `demo`, first fills an empty store with the demo (the seed thread when
/// the file is there).
pub async fn run(
    app: Arc<App>,
    listen: SocketAddr,
    demo: Option<&Path>,
    settings: &WebSettings,
    lang: Lang,
) -> Result<()> {
    if let Some(seed) = demo {
        load_demo(&app, seed, lang).await?;
    }
    app.refresh_planner_statistics().await?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|error| {
            AppError::invalid(
                "listen",
                json!({ "address": listen.to_string(), "detail": error.to_string() }),
            )
        })?;
    let bound = listener.local_addr()?;
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
    tokio::spawn(app::background::run(
        app.clone(),
        app::background::instance_name(),
    ));
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
