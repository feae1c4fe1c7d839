//! The IMAP poller: each configured mailbox is read by one instance at a time, under the
//! database lease `imap:NAME` (renewed every round, so another instance takes over within a
//! minute of this one's death).
//!
//! A round: connect (TLS, STARTTLS or, on loopback, plain), log in, select the mailbox, check its
//! UIDVALIDITY against the stored one (a new UIDVALIDITY starts again from the first message; the
//! duplicate check keeps what was taken in single), fetch the messages above the last UID taken
//! in, in batches, hand each batch to `App::deliver` (stored raw and committed), and only then
//! mark them processed on the server (moved to the `processed` folder, or flagged `\Seen` and
//! `$Casebook`) and record the UID. A crash between the commit and the mark reads the messages
//! again: duplicates. Then IDLE where the server offers it, else a pause, and again. A mailbox that
//! cannot be reached is retried with backoff and its error kept for `casebook mail status`.

use std::sync::Arc;
use std::time::Duration;

use async_imap::Session;
use futures::{StreamExt, TryStreamExt};
use intake::live::Delivery;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

/// How a mailbox is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// TLS from the start (`imaps://`).
    Tls,
    /// STARTTLS required (`imap://…?tls=starttls`).
    StartTls,
    /// None (`imap://…`, loopback and tests only).
    Plain,
}

/// One mailbox to poll (`CASEBOOK_IMAP_URLS`:
/// `imaps://user:password@host[:port]/INBOX?processed=Casebook&address=support@vendor.example`).
#[derive(Clone, PartialEq, Eq)]
pub struct MailboxConfig {
    /// Host.
    pub host: String,
    /// Port.
    pub port: u16,
    /// TLS, STARTTLS or none.
    pub security: Security,
    /// Login.
    pub user: String,
    /// Password.
    pub password: String,
    /// The folder to read (default INBOX).
    pub folder: String,
    /// Where messages go once taken in; `None`: flagged `\Seen` and `$Casebook` in place.
    pub processed: Option<String>,
    /// The intake address mail in this mailbox was sent to (the envelope recipient it stands for).
    pub address: Option<String>,
    /// Pause between polls when the server has no IDLE.
    pub poll: Duration,
}

impl std::fmt::Debug for MailboxConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailboxConfig")
            .field("name", &self.name())
            .finish()
    }
}

/// The mailbox address cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{url}' is not an IMAP mailbox: {detail} (write imaps://user:password@host/INBOX, or imap://…?tls=starttls)")]
pub struct ConfigError {
    /// The address with its password hidden.
    pub url: String,
    /// What was wrong.
    pub detail: String,
}

fn decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("x={text}").as_bytes())
        .next()
        .map_or_else(|| text.to_string(), |(_, value)| value.to_string())
}

impl MailboxConfig {
    /// Reads one mailbox address.
    pub fn parse(text: &str) -> Result<MailboxConfig, ConfigError> {
        let invalid = |detail: &str| ConfigError {
            url: redact(text),
            detail: detail.to_string(),
        };
        let url = url::Url::parse(text).map_err(|error| invalid(&error.to_string()))?;
        let mut security = match url.scheme() {
            "imaps" => Security::Tls,
            "imap" => Security::Plain,
            other => return Err(invalid(&format!("the scheme is '{other}'"))),
        };
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| invalid("it names no host"))?
            .to_string();
        if url.username().is_empty() {
            return Err(invalid("it names no user"));
        }
        let mut processed = None;
        let mut address = None;
        let mut poll = Duration::from_secs(30);
        for (key, value) in url.query_pairs() {
            match key.as_ref() {
                "tls" if value == "starttls" || value == "required" => {
                    security = Security::StartTls;
                }
                "processed" if !value.is_empty() => processed = Some(value.to_string()),
                "address" => address = Some(value.to_string()),
                "poll" => {
                    poll = Duration::from_secs(
                        value
                            .parse()
                            .map_err(|_| invalid("poll is a number of seconds"))?,
                    );
                }
                other => return Err(invalid(&format!("it has an unknown setting '{other}'"))),
            }
        }
        let folder = decode(url.path().trim_start_matches('/'));
        Ok(MailboxConfig {
            port: url.port().unwrap_or(match security {
                Security::Tls => 993,
                _ => 143,
            }),
            host,
            security,
            user: decode(url.username()),
            password: decode(url.password().unwrap_or("")),
            folder: if folder.is_empty() {
                "INBOX".to_string()
            } else {
                folder
            },
            processed,
            address,
            poll,
        })
    }

    /// Its name in leases and status: user, host and folder, never the password.
    pub fn name(&self) -> String {
        format!("{}@{}:{}/{}", self.user, self.host, self.port, self.folder)
    }
}

fn redact(text: &str) -> String {
    match url::Url::parse(text) {
        Ok(mut url) => {
            if url.password().is_some() {
                let _ = url.set_password(Some("***"));
            }
            url.to_string()
        }
        Err(_) => "(unreadable address)".to_string(),
    }
}

/// What failed in a round.
#[derive(Debug, thiserror::Error)]
pub enum PollError {
    /// The network or TLS.
    #[error("cannot reach {0}")]
    Connect(String),
    /// The server said no (login, select).
    #[error("the server refused: {0}")]
    Imap(String),
    /// Casebook could not store what was fetched (nothing was marked; it is read again).
    #[error("cannot store the messages: {0}")]
    Store(String),
}

impl From<async_imap::error::Error> for PollError {
    fn from(error: async_imap::error::Error) -> Self {
        PollError::Imap(error.to_string())
    }
}

trait Stream: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug> Stream for T {}

fn tls_connector() -> tokio_rustls::TlsConnector {
    let mut roots = tokio_rustls::rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    // One provider, named: two in the binary make rustls refuse to pick a default.
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = tokio_rustls::rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("the ring provider supports the default TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

async fn connect(config: &MailboxConfig) -> Result<Session<Box<dyn Stream>>, PollError> {
    let timeout = Duration::from_secs(30);
    let tcp = tokio::time::timeout(
        timeout,
        TcpStream::connect((config.host.as_str(), config.port)),
    )
    .await
    .map_err(|_| PollError::Connect(format!("{}: timed out", config.name())))?
    .map_err(|error| PollError::Connect(format!("{}: {error}", config.name())))?;
    let server_name = || {
        tokio_rustls::rustls::pki_types::ServerName::try_from(config.host.clone())
            .map_err(|error| PollError::Connect(format!("{}: {error}", config.host)))
    };
    let stream: Box<dyn Stream> = match config.security {
        Security::Plain => Box::new(tcp),
        Security::Tls => Box::new(
            tls_connector()
                .connect(server_name()?, tcp)
                .await
                .map_err(|error| PollError::Connect(format!("TLS: {error}")))?,
        ),
        Security::StartTls => {
            let mut client = async_imap::Client::new(tcp);
            client
                .read_response()
                .await
                .map_err(|error| PollError::Connect(error.to_string()))?;
            client
                .run_command_and_check_ok("STARTTLS", None)
                .await
                .map_err(|error| PollError::Imap(format!("STARTTLS: {error}")))?;
            Box::new(
                tls_connector()
                    .connect(server_name()?, client.into_inner())
                    .await
                    .map_err(|error| PollError::Connect(format!("TLS: {error}")))?,
            )
        }
    };
    let mut client = async_imap::Client::new(stream);
    if config.security != Security::StartTls {
        client
            .read_response()
            .await
            .map_err(|error| PollError::Connect(error.to_string()))?;
    }
    client
        .login(&config.user, &config.password)
        .await
        .map_err(|(error, _)| PollError::Imap(format!("login as {}: {error}", config.user)))
}

/// Messages fetched per batch, at most.
const BATCH: u32 = 200;

/// Bytes fetched per batch, at most (a larger message comes alone): a batch is held in memory
/// until it is stored.
const BATCH_BYTES: u64 = 64 << 20;

/// The UIDs of a batch: in order, up to `BATCH_BYTES` by the sizes the server gave (at least one).
fn within_budget(mut sizes: Vec<(u32, u32)>, last_uid: i64) -> Vec<u32> {
    sizes.retain(|(uid, _)| i64::from(*uid) > last_uid);
    sizes.sort_unstable();
    sizes.dedup_by_key(|(uid, _)| *uid);
    let mut total = 0u64;
    let mut chosen = Vec::new();
    for (uid, size) in sizes {
        total += u64::from(size);
        if !chosen.is_empty() && total > BATCH_BYTES {
            break;
        }
        chosen.push(uid);
    }
    chosen
}

/// One session: takes in everything new, then waits (IDLE or a pause) once. Returns how many
/// messages it took in.
async fn poll_once(
    app: &app::App,
    config: &MailboxConfig,
    name: &str,
    holder: &str,
) -> Result<u64, PollError> {
    let mut session = connect(config).await?;
    let mailbox = session.select(&config.folder).await?;
    let uidvalidity = i64::from(mailbox.uid_validity.unwrap_or(0));
    let state = app
        .mailbox_state(name)
        .await
        .map_err(|error| PollError::Store(error.to_string()))?;
    let mut last_uid = match state.uidvalidity {
        Some(known) if known == uidvalidity => state.last_uid,
        Some(_) => {
            tracing::warn!(mailbox = %name, "the mailbox's UIDVALIDITY changed: reading it again from the start");
            0
        }
        None => 0,
    };
    if let Some(folder) = &config.processed {
        // Made once; the server refuses to make it again, which is as good.
        let _ = session.create(folder).await;
    }
    let capabilities = session.capabilities().await?;
    let can_move = capabilities.has_str("MOVE");
    let can_idle = capabilities.has_str("IDLE");
    let mut taken = 0;
    loop {
        if !app
            .mailbox_lease(name, holder)
            .await
            .map_err(|error| PollError::Store(error.to_string()))?
        {
            // Another instance took the mailbox over.
            let _ = session.logout().await;
            return Ok(taken);
        }
        let from = u32::try_from(last_uid + 1).unwrap_or(u32::MAX);
        let range = format!("{from}:{}", from.saturating_add(BATCH - 1));
        let sizes: Vec<async_imap::types::Fetch> = session
            .uid_fetch(&range, "(UID RFC822.SIZE)")
            .await?
            .try_collect()
            .await?;
        let chosen = within_budget(
            sizes
                .iter()
                // A server that gives no size: counted as 1 MiB each, which still bounds a batch.
                .filter_map(|fetch| Some((fetch.uid?, fetch.size.unwrap_or(1 << 20))))
                .collect(),
            last_uid,
        );
        if chosen.is_empty() {
            // Nothing in this range: is anything above it?
            let search = session
                .uid_search(format!("UID {}:*", from.saturating_add(BATCH)))
                .await?;
            let above = search
                .into_iter()
                .filter(|uid| i64::from(*uid) > last_uid)
                .min();
            match above {
                Some(next) => {
                    last_uid = i64::from(next) - 1;
                    continue;
                }
                None => break,
            }
        }
        let set = chosen
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let fetched: Vec<async_imap::types::Fetch> = session
            .uid_fetch(&set, "(UID BODY.PEEK[])")
            .await?
            .try_collect()
            .await?;
        let mut bodies: std::collections::HashMap<u32, &[u8]> = fetched
            .iter()
            .filter_map(|fetch| Some((fetch.uid?, fetch.body()?)))
            .collect();
        // In UID order up to the first message the server did not return (expunged meanwhile,
        // or a server fault): the rest wait for the next round, so that none is passed over.
        let batch: Vec<(u32, Vec<u8>)> = chosen
            .iter()
            .map_while(|uid| bodies.remove(uid).map(|body| (*uid, body.to_vec())))
            .collect();
        if batch.is_empty() {
            let still_there = session.uid_search(format!("UID {}", chosen[0])).await?;
            if still_there.contains(&chosen[0]) {
                return Err(PollError::Imap(format!(
                    "the server lists message UID {} but does not return its content; Casebook tries again, and reads nothing after it until it can",
                    chosen[0]
                )));
            }
            // Expunged between the two fetches: nothing to keep.
            last_uid = i64::from(chosen[0]);
            continue;
        }
        drop(bodies);
        let uids: Vec<u32> = batch.iter().map(|(uid, _)| *uid).collect();
        // Senders are checked side by side: each check waits on DNS.
        let deliveries: Vec<Delivery> = futures::stream::iter(batch)
            .map(|(uid, bytes)| async move {
                let auth = app.verify_sender(&bytes, None).await;
                Delivery {
                    bytes,
                    origin: format!("imap:{name}#{uidvalidity}:{uid}"),
                    recipients: config.address.iter().cloned().collect(),
                    auth,
                }
            })
            .buffered(32)
            .collect()
            .await;
        app.deliver(deliveries)
            .await
            .map_err(|error| PollError::Store(error.to_string()))?;
        // Committed: now, and only now, the server may forget them.
        let set = uids
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",");
        match (&config.processed, can_move) {
            (Some(folder), true) => session.uid_mv(&set, folder).await?,
            _ => {
                let _: Vec<_> = session
                    .uid_store(&set, "+FLAGS.SILENT (\\Seen $Casebook)")
                    .await?
                    .try_collect()
                    .await?;
            }
        }
        let highest = uids.iter().copied().max().map_or(last_uid, i64::from);
        app.mailbox_progress(name, uidvalidity, highest, uids.len() as i64)
            .await
            .map_err(|error| PollError::Store(error.to_string()))?;
        taken += uids.len() as u64;
        last_uid = highest;
    }
    if taken == 0 {
        app.mailbox_progress(name, uidvalidity, last_uid, 0)
            .await
            .map_err(|error| PollError::Store(error.to_string()))?;
    }
    // Wait for news: IDLE (cut short to renew the lease), else a pause.
    let wait = config.poll.min(Duration::from_secs(20));
    if can_idle {
        let mut idle = session.idle();
        idle.init().await?;
        let (done, stop) = idle.wait_with_timeout(wait);
        let _ = done.await;
        drop(stop);
        let session = idle.done().await?;
        let mut session = session;
        let _ = session.logout().await;
    } else {
        let _ = session.logout().await;
        tokio::time::sleep(wait).await;
    }
    Ok(taken)
}

/// Polls one mailbox until the process ends: under its lease, with backoff after failures.
pub async fn run(app: Arc<app::App>, config: MailboxConfig, holder: String) {
    let name = config.name();
    let mut failures: u32 = 0;
    loop {
        match app.mailbox_lease(&name, &holder).await {
            Ok(true) => {}
            Ok(false) => {
                // Held by another instance; look again within the lease's time.
                tokio::time::sleep(Duration::from_secs(15)).await;
                continue;
            }
            Err(error) => {
                tracing::warn!(mailbox = %name, %error, "cannot take the mailbox's lease");
                tokio::time::sleep(Duration::from_secs(15)).await;
                continue;
            }
        }
        match poll_once(&app, &config, &name, &holder).await {
            Ok(taken) => {
                failures = 0;
                if taken > 0 {
                    tracing::info!(mailbox = %name, taken, "mail taken in by IMAP");
                }
            }
            Err(error) => {
                failures = failures.saturating_add(1);
                let backoff = Duration::from_secs(5 * 2u64.pow(failures.min(7)))
                    .min(Duration::from_secs(600));
                tracing::warn!(mailbox = %name, %error, retry_in = ?backoff, "IMAP poll failed");
                let _ = app.mailbox_failed(&name, &error.to_string(), backoff).await;
                tokio::time::sleep(backoff).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_stays_within_its_bytes_and_takes_at_least_one() {
        let mb = 1 << 20;
        assert_eq!(
            within_budget(vec![(5, 10), (3, 10), (4, 10)], 3),
            vec![4, 5]
        );
        assert_eq!(
            within_budget(vec![(1, 40 * mb), (2, 20 * mb), (3, 10 * mb)], 0),
            vec![1, 2]
        );
        assert_eq!(within_budget(vec![(7, 500 * mb), (8, 1)], 0), vec![7]);
        assert!(within_budget(vec![(2, 1)], 2).is_empty());
    }

    #[test]
    fn mailbox_addresses_are_read_and_passwords_kept_out_of_names() {
        let config = MailboxConfig::parse(
            "imaps://support%40vendor.example:p%40ss@imap.vendor.example/Support%20Inbox?processed=Done&address=support@vendor.example",
        )
        .expect("a mailbox");
        assert_eq!(config.security, Security::Tls);
        assert_eq!(config.port, 993);
        assert_eq!(config.user, "support@vendor.example");
        assert_eq!(config.password, "p@ss");
        assert_eq!(config.folder, "Support Inbox");
        assert_eq!(config.processed.as_deref(), Some("Done"));
        assert_eq!(config.address.as_deref(), Some("support@vendor.example"));
        assert!(!config.name().contains("p@ss"));
        assert!(!format!("{config:?}").contains("p@ss"));
        let plain = MailboxConfig::parse("imap://u:p@127.0.0.1:1143").expect("plain");
        assert_eq!(
            (plain.security, plain.folder.as_str()),
            (Security::Plain, "INBOX")
        );
        let starttls =
            MailboxConfig::parse("imap://u:p@mail.example?tls=starttls").expect("starttls");
        assert_eq!(
            (starttls.security, starttls.port),
            (Security::StartTls, 143)
        );
        let error = MailboxConfig::parse("pop3://u:secret@mail.example").expect_err("not imap");
        assert!(!error.to_string().contains("secret"), "{error}");
        assert!(MailboxConfig::parse("imap://mail.example").is_err());
        assert!(MailboxConfig::parse("imap://u:p@mail.example?colour=blue").is_err());
    }
}
