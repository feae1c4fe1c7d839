//! Casebook's web application: the engineers' workspace, the partner portal and the REST API
//! (`/api/v1`), served by one router built from one route table ([`routes`]).
//!
//! Every request passes [`guard`]: it finds who is calling (a session cookie or a bearer token,
//! both checked against the database on every request), refuses what the route's row does not
//! allow, checks the CSRF token of a cookie-authenticated change, and hands the handler a
//! [`guard::Signed`] caller. Handlers turn requests into `app` commands and views into pages or
//! JSON; what a caller may do to a case is decided by the one access policy inside `app`.

pub mod api;
pub mod guard;
mod html;
pub mod i18n;
mod live;
mod pages;
pub mod problem;
pub mod routes;
mod security;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use app::App;

/// How the web application is reached and what it believes.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// The only base for links and redirects Casebook writes (`CASEBOOK_PUBLIC_URL`).
    pub public_url: url::Url,
    /// Peers whose `X-Forwarded-For` is believed (links and redirects come from `public_url` alone).
    pub trusted_proxies: Vec<IpAddr>,
    /// How often the live stream looks for new entries on SQLite.
    pub live_poll: std::time::Duration,
    /// On PostgreSQL, how often the live stream looks anyway, in case a notification was lost.
    pub listen_fallback: std::time::Duration,
}

impl WebConfig {
    /// The defaults for a server listening on `listen`.
    pub fn for_listen(listen: SocketAddr) -> WebConfig {
        let host = if listen.ip().is_unspecified() {
            "127.0.0.1".to_string()
        } else {
            match listen.ip() {
                IpAddr::V6(ip) => format!("[{ip}]"),
                IpAddr::V4(ip) => ip.to_string(),
            }
        };
        WebConfig {
            // A literal host and port always make a URL.
            public_url: url::Url::parse(&format!("http://{host}:{}/", listen.port()))
                .unwrap_or_else(|_| url::Url::parse("http://127.0.0.1/").expect("a literal URL")),
            trusted_proxies: Vec::new(),
            live_poll: std::time::Duration::from_millis(500),
            listen_fallback: std::time::Duration::from_secs(2),
        }
    }

    /// Whether cookies must be `Secure`.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.scheme() == "https"
    }

    /// A path of this application as an absolute URL.
    pub fn link(&self, path: &str) -> String {
        let base = self.public_url.as_str().trim_end_matches('/');
        format!("{base}{path}")
    }
}

/// What every handler shares.
#[derive(Clone)]
pub struct Web {
    /// The application.
    pub app: Arc<App>,
    /// The configuration.
    pub config: Arc<WebConfig>,
    /// The live feed's watcher.
    hub: Arc<live::Hub>,
}

/// The whole router: pages, API, assets, health.
pub fn router(app: Arc<App>, config: WebConfig) -> axum::Router {
    let web = Web {
        app,
        config: Arc::new(config),
        hub: live::hub(),
    };
    routes::build(web)
}

/// Serves until the process is stopped.
pub async fn serve(
    app: Arc<App>,
    config: WebConfig,
    listener: tokio::net::TcpListener,
) -> std::io::Result<()> {
    let router = router(app, config);
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(stopped())
    .await
}

/// Ctrl+C, or SIGTERM (what service managers and container runtimes send).
async fn stopped() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
}
