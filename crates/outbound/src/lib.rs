//! Sending Casebook's mail over SMTP.
//!
//! The outbox (in `store`) decides what is sent and when; this crate hands one stored message to
//! the configured server and says how the server answered: taken, refused for now (4xx, a
//! connection that failed: try again later) or refused for good (5xx). It changes nothing of the
//! bytes it is given but for a DKIM signature on top (`dkim`, when a key is configured), so a
//! message sent twice after a crash carries the same Message-ID.

pub mod dkim;

use std::fmt;
use std::time::Duration;

use lettre::address::Envelope;
use lettre::transport::smtp::{AsyncSmtpTransport, PoolConfig};
use lettre::{Address, AsyncTransport, Tokio1Executor};

/// How to reach the mail server (`CASEBOOK_SMTP_URL`).
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    url: String,
}

/// The SMTP address cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// Not a URL, or not one lettre reads.
    #[error("'{url}' is not an SMTP address: {detail} (write smtp://user:password@host:587?tls=required, smtps://host:465 or smtp://host:25)")]
    Invalid {
        /// The address with its password hidden.
        url: String,
        /// What was wrong.
        detail: String,
    },
}

impl SmtpConfig {
    /// Reads `smtp://[user:password@]host[:port][?tls=required|opportunistic]` (STARTTLS, or none
    /// without `tls`) or `smtps://…` (TLS from the start).
    pub fn parse(url: &str) -> Result<SmtpConfig, ConfigError> {
        let invalid = |detail: String| ConfigError::Invalid {
            url: redact(url),
            detail,
        };
        let parsed = url::Url::parse(url).map_err(|error| invalid(error.to_string()))?;
        if !matches!(parsed.scheme(), "smtp" | "smtps") {
            return Err(invalid(format!("the scheme is '{}'", parsed.scheme())));
        }
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(invalid("it names no host".into()));
        }
        AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|error| invalid(error.to_string()))?;
        Ok(SmtpConfig {
            url: url.to_string(),
        })
    }

    /// The address with its password hidden, for logs and status pages.
    pub fn display(&self) -> String {
        redact(&self.url)
    }
}

impl fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("url", &self.display())
            .finish()
    }
}

fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            // Setting a password only fails for URLs that cannot have one, which this has.
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(parsed) => parsed.to_string(),
        Err(_) => "(unreadable address)".to_string(),
    }
}

/// How a send failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Try again later: a 4xx answer, or the server could not be reached or talked to.
    #[error("temporary failure: {0}")]
    Transient(String),
    /// The server refused it for good (5xx), or the envelope is impossible.
    #[error("refused: {0}")]
    Permanent(String),
}

/// An SMTP client with a small connection pool, shared by every send of an instance.
#[derive(Clone)]
pub struct Sender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    dkim: Option<dkim::Dkim>,
}

impl Sender {
    /// A sender for this server that keeps up to `connections` connections open for reuse.
    /// Nothing is connected until the first send.
    pub fn new(config: &SmtpConfig, connections: u32) -> Result<Sender, ConfigError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&config.url)
            .map_err(|error| ConfigError::Invalid {
                url: config.display(),
                detail: error.to_string(),
            })?
            .timeout(Some(Duration::from_secs(60)))
            .pool_config(PoolConfig::new().max_size(connections.max(1)))
            .build();
        Ok(Sender {
            transport,
            dkim: None,
        })
    }

    /// Signs every message it sends with this key.
    pub fn with_dkim(mut self, dkim: Option<dkim::Dkim>) -> Sender {
        self.dkim = dkim;
        self
    }

    /// Hands one message to the server for these envelope recipients, with this return path
    /// (`None`: the null sender). Returns the server's answer.
    pub async fn send(
        &self,
        return_path: Option<&str>,
        recipients: &[String],
        raw: &[u8],
    ) -> Result<String, SendError> {
        let from = return_path
            .map(|address| {
                address.parse::<Address>().map_err(|error| {
                    SendError::Permanent(format!("return path '{address}': {error}"))
                })
            })
            .transpose()?;
        let to = recipients
            .iter()
            .map(|address| {
                address.parse::<Address>().map_err(|error| {
                    SendError::Permanent(format!("recipient '{address}': {error}"))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let envelope =
            Envelope::new(from, to).map_err(|error| SendError::Permanent(error.to_string()))?;
        let signed;
        let raw = match &self.dkim {
            Some(dkim) => {
                signed = dkim
                    .sign(raw)
                    .map_err(|error| SendError::Permanent(error.to_string()))?;
                signed.as_slice()
            }
            None => raw,
        };
        match self.transport.send_raw(&envelope, raw).await {
            Ok(response) => Ok(format!(
                "{} {}",
                response.code(),
                response.message().collect::<Vec<_>>().join(" ")
            )),
            Err(error) if error.is_permanent() => Err(SendError::Permanent(error.to_string())),
            Err(error) => Err(SendError::Transient(error.to_string())),
        }
    }
}

/// What the outbox needs to know of a stored message: its Message-ID (without brackets) and the
/// address of its From header.
pub fn headers_of(raw: &[u8]) -> (Option<String>, Option<String>) {
    let Some(message) = mail_parser::MessageParser::default().parse_headers(raw) else {
        return (None, None);
    };
    let message_id = message.message_id().map(str::to_string);
    let from = message
        .from()
        .and_then(|from| from.first())
        .and_then(|mailbox| mailbox.address())
        .map(str::to_string);
    (message_id, from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked_and_passwords_hidden() {
        let config = SmtpConfig::parse("smtp://casebook:s3cret@mail.example.com:587?tls=required")
            .expect("a submission address");
        assert_eq!(
            config.display(),
            "smtp://casebook:***@mail.example.com:587?tls=required"
        );
        assert!(!format!("{config:?}").contains("s3cret"));
        assert!(SmtpConfig::parse("smtps://mail.example.com").is_ok());
        let error = SmtpConfig::parse("http://user:pw@mail.example.com").expect_err("not smtp");
        assert!(!error.to_string().contains("pw@"), "{error}");
        assert!(SmtpConfig::parse("mail.example.com").is_err());
    }

    #[test]
    fn reads_message_id_and_sender() {
        let raw = b"From: =?utf-8?b?5byg5LiJ?= <zhang@vendor.example>\r\nMessage-ID: <abc@vendor.example>\r\nSubject: x\r\n\r\nbody";
        assert_eq!(
            headers_of(raw),
            (
                Some("abc@vendor.example".to_string()),
                Some("zhang@vendor.example".to_string())
            )
        );
        assert_eq!(headers_of(b""), (None, None));
    }

    #[tokio::test]
    async fn an_impossible_envelope_is_refused_for_good() {
        let sender = Sender::new(
            &SmtpConfig::parse("smtp://127.0.0.1:9").expect("address"),
            1,
        )
        .expect("sender");
        let error = sender
            .send(
                Some("support@vendor.example"),
                &["not an address".into()],
                b"x",
            )
            .await
            .expect_err("no recipient");
        assert!(matches!(error, SendError::Permanent(_)), "{error}");
        // Nothing listens on the discard port: a temporary failure, to be tried again.
        let error = sender
            .send(
                None,
                &["partner@oem.example".into()],
                b"Subject: x\r\n\r\nx",
            )
            .await
            .expect_err("no server");
        assert!(matches!(error, SendError::Transient(_)), "{error}");
    }
}
