//! Configuration: the only code that reads `CASEBOOK_*` environment variables.
//!
//! It fills the plain typed sections that each library defines
//! (`store::StoreConfig`, `intake::IntakeConfig`) and reports every problem
//! at once.

use std::path::PathBuf;

use anyhow::{bail, Result};
use app::{IntakeConfig, Lang, StoreConfig};
use case::subject::{SubjectCodec, DASHED_TEMPLATE, SEED_TEMPLATE};

/// Everything a command needs to start.
pub struct Config {
    /// Database and blob store.
    pub store: StoreConfig,
    /// Intake: limits, subject codec, intake addresses.
    pub intake: IntakeConfig,
    /// The language of messages for people.
    pub lang: Lang,
    /// The zone times are shown in.
    pub view_zone: chrono_tz::Tz,
    /// Limits on what people type (titles, notes, summaries).
    pub limits: app::InputLimits,
    /// Password hashing and sign-in throttling.
    pub auth: app::AuthSettings,
    /// How the web application is reached.
    pub web: WebSettings,
    /// SLA mail links, the webhook secret, the mail language.
    pub sla: app::sla::SlaSettings,
    /// The SMTP server, the Message-ID domain, limits on automatic mail.
    pub mail: app::mailroom::MailSettings,
    /// How live mail's senders are checked (SPF, DKIM, DMARC).
    pub sender_auth: app::mailroom::auth::SenderAuthSettings,
}

/// What `casebook serve` reads from the environment.
#[derive(Debug, Clone, Default)]
pub struct WebSettings {
    /// `CASEBOOK_PUBLIC_URL`: the only base of links and redirects Casebook writes.
    pub public_url: Option<url::Url>,
    /// `CASEBOOK_TRUSTED_PROXIES`: peers whose `X-Forwarded-For`/`-Proto` are believed.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// `CASEBOOK_IMAP_URLS`: the mailboxes to poll.
    pub imap: Vec<inbound::imap::MailboxConfig>,
}

/// A positive whole number from the environment; a value that is not one is a problem to report.
fn positive<T: std::str::FromStr + PartialOrd + Default>(
    name: &str,
    problems: &mut Vec<String>,
) -> Option<T> {
    let text = var(name)?;
    match text.parse::<T>() {
        Ok(value) if value > T::default() => Some(value),
        _ => {
            problems.push(format!("{name} '{text}' is not a positive whole number"));
            None
        }
    }
}

fn var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|value| value.trim().to_string())
        .filter(|value| !value.is_empty())
}

/// The language for a command line that could not be parsed: `--lang` if it is there, else the
/// environment, as [`load`] would choose it.
pub fn early_lang(args: &[String]) -> Lang {
    let given = args
        .iter()
        .enumerate()
        .find_map(|(i, arg)| match arg.strip_prefix("--lang") {
            Some("") => args.get(i + 1).cloned(),
            Some(rest) => rest.strip_prefix('=').map(str::to_string),
            None => None,
        });
    match given.or_else(|| var("CASEBOOK_LANG")) {
        Some(text) => text.parse().unwrap_or(Lang::En),
        None => var("LC_ALL")
            .or_else(|| var("LANG"))
            .map_or(Lang::En, |locale| Lang::from_locale(&locale)),
    }
}

/// Reads the configuration from the command line's values and the environment.
pub fn load(data_dir: PathBuf, lang: Option<&str>) -> Result<Config> {
    let mut problems = Vec::new();

    let lang = match lang.map(str::to_string).or_else(|| var("CASEBOOK_LANG")) {
        Some(text) => text.parse().unwrap_or_else(|error| {
            problems.push(error);
            Lang::En
        }),
        None => var("LC_ALL")
            .or_else(|| var("LANG"))
            .map_or(Lang::En, |locale| Lang::from_locale(&locale)),
    };

    let store = StoreConfig {
        database_url: var("CASEBOOK_DATABASE_URL"),
        ..StoreConfig::in_dir(data_dir)
    };
    if let Err(store_problems) = store.validate() {
        problems.extend(store_problems);
    }

    let view_zone = match var("CASEBOOK_TIMEZONE") {
        Some(name) => name.parse().unwrap_or_else(|_| {
            problems.push(format!("CASEBOOK_TIMEZONE '{name}' is not a time zone; use a name such as Asia/Shanghai or UTC"));
            chrono_tz::Asia::Shanghai
        }),
        None => chrono_tz::Asia::Shanghai,
    };

    let token_prefix = var("CASEBOOK_TOKEN_PREFIX").unwrap_or_else(|| "CMIT".to_string());
    let template = var("CASEBOOK_SUBJECT_TEMPLATE").unwrap_or_else(|| SEED_TEMPLATE.to_string());
    let codec = SubjectCodec::new(&template, &[SEED_TEMPLATE, DASHED_TEMPLATE], &token_prefix)
        .unwrap_or_else(|error| {
            problems.push(format!(
                "CASEBOOK_SUBJECT_TEMPLATE or CASEBOOK_TOKEN_PREFIX: {error}"
            ));
            SubjectCodec::default()
        });

    let mut intake_addresses = Vec::new();
    for address in var("CASEBOOK_INTAKE_ADDRESSES")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
    {
        match address.parse() {
            Ok(address) => intake_addresses.push(address),
            Err(error) => problems.push(format!("CASEBOOK_INTAKE_ADDRESSES: {error}")),
        }
    }

    let defaults = IntakeConfig::default();
    let token_start =
        positive("CASEBOOK_TOKEN_START", &mut problems).unwrap_or(defaults.token_start);
    let batch_messages =
        positive("CASEBOOK_IMPORT_BATCH", &mut problems).unwrap_or(defaults.batch_messages);
    let mut limits = mail::Limits::default();
    for (name, slot) in [
        ("CASEBOOK_MAX_MESSAGE_BYTES", &mut limits.max_message_bytes),
        ("CASEBOOK_MAX_PARTS", &mut limits.max_parts),
        ("CASEBOOK_MAX_DEPTH", &mut limits.max_depth),
        ("CASEBOOK_MAX_HEADER_BYTES", &mut limits.max_header_bytes),
        ("CASEBOOK_MAX_DECODED_BYTES", &mut limits.max_decoded_bytes),
    ] {
        if let Some(value) = positive(name, &mut problems) {
            *slot = value;
        }
    }

    let input_defaults = app::InputLimits::default();
    let input_limits = app::InputLimits {
        title_chars: positive("CASEBOOK_MAX_TITLE_CHARS", &mut problems)
            .unwrap_or(input_defaults.title_chars),
        text_bytes: positive("CASEBOOK_MAX_TEXT_BYTES", &mut problems)
            .unwrap_or(input_defaults.text_bytes),
    };

    // Cheap password hashes make the command-line tests fast; never set it in production.
    let argon2_light = match var("CASEBOOK_ARGON2_LIGHT").as_deref() {
        None | Some("0") => false,
        Some("1") => true,
        Some(other) => {
            problems.push(format!(
                "CASEBOOK_ARGON2_LIGHT '{other}' is neither 1 nor 0 (it is for tests only; leave it unset)"
            ));
            false
        }
    };

    let public_url = match var("CASEBOOK_PUBLIC_URL") {
        None => None,
        Some(text) => match url::Url::parse(&text) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
                Some(url)
            }
            _ => {
                problems.push(format!(
                    "CASEBOOK_PUBLIC_URL '{text}' is not an http(s) address such as https://support.example.com/"
                ));
                None
            }
        },
    };
    let mut trusted_proxies = Vec::new();
    for item in var("CASEBOOK_TRUSTED_PROXIES")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
    {
        match item.parse() {
            Ok(ip) => trusted_proxies.push(ip),
            Err(_) => problems.push(format!(
                "CASEBOOK_TRUSTED_PROXIES: '{item}' is not an IP address (list addresses separated by commas)"
            )),
        }
    }

    // Mail: the SMTP server the outbox sends through, the Message-ID domain, limits.
    let smtp = match var("CASEBOOK_SMTP_URL") {
        None => None,
        Some(text) => match app::mailroom::SmtpConfig::parse(&text) {
            Ok(config) => Some(config),
            Err(error) => {
                problems.push(format!("CASEBOOK_SMTP_URL: {error}"));
                None
            }
        },
    };
    let mail_domain = var("CASEBOOK_MAIL_DOMAIN").map(|domain| domain.trim().to_string());
    if let Some(domain) = &mail_domain {
        if domain.is_empty() || domain.contains(|c: char| c.is_whitespace() || c == '@' || c == '>')
        {
            problems.push(format!(
                "CASEBOOK_MAIL_DOMAIN '{domain}' is not a domain such as support.example.com"
            ));
        }
    }
    // DKIM: the key file, its selector, and the signing domain (the Message-ID domain by default).
    let dkim = match var("CASEBOOK_DKIM_KEY") {
        None => None,
        Some(path) => {
            let selector = var("CASEBOOK_DKIM_SELECTOR").unwrap_or_else(|| "casebook".to_string());
            match var("CASEBOOK_DKIM_DOMAIN").or_else(|| mail_domain.clone()) {
                None => {
                    problems.push(
                        "CASEBOOK_DKIM_KEY is set but no signing domain: set CASEBOOK_DKIM_DOMAIN (or CASEBOOK_MAIL_DOMAIN) to the domain of your From addresses".to_string(),
                    );
                    None
                }
                Some(domain) => match app::mailroom::Dkim::load(&path, &domain, &selector) {
                    Ok(dkim) => Some(dkim),
                    Err(error) => {
                        problems.push(format!("CASEBOOK_DKIM_KEY: {error}"));
                        None
                    }
                },
            }
        }
    };
    let mail_defaults = app::mailroom::MailSettings::default();
    let smtp_connections = positive("CASEBOOK_SMTP_CONNECTIONS", &mut problems)
        .unwrap_or(mail_defaults.smtp_connections);
    let auto_mail_limit = positive("CASEBOOK_AUTO_MAIL_LIMIT", &mut problems)
        .unwrap_or(mail_defaults.auto_mail_limit);
    let reopen_days = positive("CASEBOOK_REOPEN_DAYS", &mut problems)
        .unwrap_or(IntakeConfig::default().reopen_days);
    let mut customer_addresses = Vec::new();
    for item in var("CASEBOOK_CUSTOMER_ADDRESSES")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
    {
        match item.split_once('=') {
            Some((address, customer)) if !customer.trim().is_empty() => {
                match address.trim().parse::<case::Address>() {
                    Ok(address) => customer_addresses.push((address, customer.trim().to_string())),
                    Err(error) => problems.push(format!("CASEBOOK_CUSTOMER_ADDRESSES: {error}")),
                }
            }
            _ => problems.push(format!(
                "CASEBOOK_CUSTOMER_ADDRESSES: '{item}' is not ADDRESS=CUSTOMER (for example acer-support@vendor.example=Acer)"
            )),
        }
    }

    let sender_auth_enabled = match var("CASEBOOK_SENDER_AUTH").as_deref() {
        None | Some("on") => true,
        Some("off") => false,
        Some(other) => {
            problems.push(format!(
                "CASEBOOK_SENDER_AUTH '{other}' is neither on nor off (SPF, DKIM and DMARC checks of live mail)"
            ));
            true
        }
    };
    let dns_server = match var("CASEBOOK_DNS_SERVER") {
        None => None,
        Some(text) => match text.parse::<std::net::SocketAddr>() {
            Ok(address) => Some(address),
            Err(_) => {
                problems.push(format!(
                    "CASEBOOK_DNS_SERVER '{text}' is not ADDRESS:PORT such as 127.0.0.1:53"
                ));
                None
            }
        },
    };
    let mut trusted_relays = Vec::new();
    for item in var("CASEBOOK_TRUSTED_RELAYS")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
    {
        match app::mailroom::auth::IpRange::parse(item) {
            Some(range) => trusted_relays.push(range),
            None => problems.push(format!(
                "CASEBOOK_TRUSTED_RELAYS: '{item}' is not an address or range such as 10.0.0.0/8"
            )),
        }
    }
    let sender_auth = app::mailroom::auth::SenderAuthSettings {
        enabled: sender_auth_enabled,
        dns_server,
        trusted_relays,
        authserv_id: var("CASEBOOK_AUTHSERV_ID"),
        hostname: var("CASEBOOK_MAIL_DOMAIN").unwrap_or_else(|| "casebook.invalid".to_string()),
    };

    let mut imap = Vec::new();
    for item in var("CASEBOOK_IMAP_URLS")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
    {
        match inbound::imap::MailboxConfig::parse(item) {
            Ok(mailbox) => imap.push(mailbox),
            Err(error) => problems.push(format!("CASEBOOK_IMAP_URLS: {error}")),
        }
    }

    if !problems.is_empty() {
        bail!(
            "the configuration has {} problem(s):\n  - {}",
            problems.len(),
            problems.join("\n  - ")
        );
    }
    // The stage is a label written into subjects, so it follows the team's template, not the reader's language.
    let default_stage =
        var("CASEBOOK_DEFAULT_STAGE").unwrap_or_else(|| IntakeConfig::default().default_stage);
    let intake = IntakeConfig {
        limits,
        codec,
        intake_addresses,
        default_stage,
        token_start,
        batch_messages,
        reopen_days,
        customer_addresses,
        ..IntakeConfig::default()
    };
    let mail = app::mailroom::MailSettings {
        smtp,
        smtp_connections,
        dkim,
        domain: mail_domain,
        auto_mail_limit,
        reopen_days,
    };
    let sla = app::sla::SlaSettings {
        public_url: public_url.as_ref().map(ToString::to_string),
        webhook_secret: var("CASEBOOK_WEBHOOK_SECRET"),
        lang,
    };
    Ok(Config {
        sla,
        mail,
        sender_auth,
        store,
        intake,
        lang,
        view_zone,
        limits: input_limits,
        auth: app::AuthSettings {
            argon2_light,
            ..app::AuthSettings::default()
        },
        web: WebSettings {
            public_url,
            trusted_proxies,
            imap,
        },
    })
}
