//! Sender authentication of live mail: SPF, DKIM, DMARC and ARC through `mail-auth`, on the
//! evidence of the first hop Casebook trusts. The verdict is plain data (`case::auth::Verdict`);
//! `case::auth::judge` decides what it means, inside the ingest path.
//!
//! The evidence: over LMTP/SMTP the session's client address, HELO and MAIL FROM; when that peer
//! is a trusted relay (`CASEBOOK_TRUSTED_RELAYS`), the Received line it added, and so on down the
//! chain while the hops are trusted. Over IMAP the mailbox's server stands first: the topmost
//! Received line. A chain of trusted hops only is mail from inside. `Authentication-Results`
//! headers count only under the configured authserv-id (`CASEBOOK_AUTHSERV_ID`); anyone can write
//! the others.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use case::auth::{Check, Verdict};
use mail_auth::hickory_resolver::config::{NameServerConfig, ResolverConfig, ResolverOpts};
use mail_auth::{AuthenticatedMessage, DkimResult, DmarcResult, MessageAuthenticator, SpfResult};

/// An address range (`10.0.0.0/8`, `2001:db8::/32`, or one address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpRange {
    base: IpAddr,
    bits: u8,
}

impl IpRange {
    /// Reads `ADDRESS` or `ADDRESS/BITS`.
    pub fn parse(text: &str) -> Option<IpRange> {
        let (address, bits) = match text.split_once('/') {
            Some((address, bits)) => (address, Some(bits.parse::<u8>().ok()?)),
            None => (text, None),
        };
        let base: IpAddr = address.trim().parse().ok()?;
        let max = if base.is_ipv4() { 32 } else { 128 };
        let bits = bits.unwrap_or(max);
        (bits <= max).then_some(IpRange { base, bits })
    }

    /// Whether the address is in the range.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let prefix = |bytes: &[u8], bits: u8| -> Vec<u8> {
            bytes
                .iter()
                .enumerate()
                .map(|(i, byte)| {
                    let start = (i * 8) as u32;
                    let keep = u32::from(bits).saturating_sub(start).min(8);
                    if keep == 0 {
                        0
                    } else {
                        byte & (0xffu8 << (8 - keep))
                    }
                })
                .collect()
        };
        match (self.base, ip) {
            (IpAddr::V4(a), IpAddr::V4(b)) => {
                prefix(&a.octets(), self.bits) == prefix(&b.octets(), self.bits)
            }
            (IpAddr::V6(a), IpAddr::V6(b)) => {
                prefix(&a.octets(), self.bits) == prefix(&b.octets(), self.bits)
            }
            _ => false,
        }
    }
}

/// What sender authentication needs from the configuration.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SenderAuthSettings {
    /// Check senders at all (`CASEBOOK_SENDER_AUTH=off` turns it off: every message unverified).
    pub enabled: bool,
    /// A DNS server to ask instead of the system's (`CASEBOOK_DNS_SERVER`, for tests).
    pub dns_server: Option<SocketAddr>,
    /// Relays whose Received lines are believed (`CASEBOOK_TRUSTED_RELAYS`).
    pub trusted_relays: Vec<IpRange>,
    /// The authserv-id of our own mail servers' Authentication-Results (`CASEBOOK_AUTHSERV_ID`).
    pub authserv_id: Option<String>,
    /// Our host name, for SPF's macros.
    pub hostname: String,
}

/// What a mail server's session says of the client that handed a message over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// The client's address.
    pub client_ip: IpAddr,
    /// Its HELO/LHLO name.
    pub helo: String,
    /// MAIL FROM (empty for the null sender).
    pub mail_from: String,
}

/// The resolver, made once.
pub(crate) struct Authenticator {
    inner: MessageAuthenticator,
}

impl Authenticator {
    pub(crate) fn new(settings: &SenderAuthSettings) -> Option<Authenticator> {
        let mut options = ResolverOpts::default();
        options.timeout = Duration::from_secs(3);
        options.attempts = 2;
        let inner = match settings.dns_server {
            Some(server) => {
                let mut name_server = NameServerConfig::udp(server.ip());
                for connection in &mut name_server.connections {
                    connection.port = server.port();
                }
                MessageAuthenticator::new(
                    ResolverConfig::from_name_servers(vec![name_server]),
                    options,
                )
            }
            None => MessageAuthenticator::new_system_conf(),
        };
        match inner {
            Ok(inner) => Some(Authenticator { inner }),
            Err(error) => {
                tracing::error!(%error, "no DNS resolver: senders cannot be checked");
                None
            }
        }
    }
}

fn spf_check(result: SpfResult) -> Check {
    match result {
        SpfResult::Pass => Check::Pass,
        SpfResult::Fail => Check::Fail,
        SpfResult::SoftFail => Check::SoftFail,
        SpfResult::Neutral => Check::Neutral,
        SpfResult::TempError => Check::TempError,
        SpfResult::PermError => Check::PermError,
        SpfResult::None => Check::None,
    }
}

fn dkim_check(result: &DkimResult) -> Check {
    match result {
        DkimResult::Pass => Check::Pass,
        DkimResult::Neutral(_) => Check::Neutral,
        DkimResult::Fail(_) => Check::Fail,
        DkimResult::PermError(_) => Check::PermError,
        DkimResult::TempError(_) => Check::TempError,
        DkimResult::None => Check::None,
    }
}

fn dmarc_check(result: &DmarcResult) -> Check {
    match result {
        DmarcResult::Pass => Check::Pass,
        DmarcResult::Fail(_) => Check::Fail,
        DmarcResult::TempError(_) => Check::TempError,
        DmarcResult::PermError(_) => Check::PermError,
        DmarcResult::None => Check::None,
    }
}

/// The hops a message's Received lines name, topmost first: (client address, HELO name).
fn received_hops(raw: &[u8]) -> Vec<(Option<IpAddr>, Option<String>)> {
    let head_end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .or_else(|| raw.windows(2).position(|w| w == b"\n\n"))
        .unwrap_or(raw.len());
    let head = String::from_utf8_lossy(&raw[..head_end]);
    let mut fields: Vec<String> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some(last) = fields.last_mut() {
                last.push(' ');
                last.push_str(line.trim());
            }
        } else {
            fields.push(line.to_string());
        }
    }
    fields
        .iter()
        .filter_map(|field| {
            let (name, value) = field.split_once(':')?;
            name.trim()
                .eq_ignore_ascii_case("received")
                .then(|| value.trim().to_string())
        })
        .map(|value| {
            let after_from = value
                .strip_prefix("from ")
                .or_else(|| value.split_once(" from ").map(|(_, rest)| rest));
            let from_clause = after_from
                .map(|rest| rest.split(" by ").next().unwrap_or(rest))
                .unwrap_or("");
            received_client(from_clause)
        })
        .collect()
}

/// The client a Received line's from clause names, as the receiving server saw it.
///
/// The first word is the client's own HELO name in Postfix's and Sendmail's form
/// (`from helo (rdns [ip])`) and the reverse name or address in Exim's (`from rdns ([ip]
/// helo=helo)`, `from [ip] (helo=helo)`). What the client chose comes first and may hold anything
/// (`EHLO x([10.0.0.1]`), so the address is the last literal of the clause that is not a
/// `helo=` word: the one the server wrote after it.
fn received_client(from_clause: &str) -> (Option<IpAddr>, Option<String>) {
    let literal = |text: &str| -> Option<IpAddr> {
        let inner = text.rsplit_once('[')?.1.split(']').next()?;
        inner.trim_start_matches("IPv6:").parse().ok()
    };
    let first = from_clause.split_whitespace().next().unwrap_or("");
    let mut helo = None;
    let mut ip = None;
    for word in from_clause.split_whitespace() {
        let word = word.trim_matches(['(', ')', ';']);
        if let Some(name) = word
            .strip_prefix("helo=")
            .or_else(|| word.strip_prefix("HELO="))
        {
            helo = Some(name.to_string());
        } else if let Some(address) = literal(word) {
            ip = Some(address);
        }
    }
    let helo = helo.or_else(|| {
        Some(first.trim_matches(['(', ')', '[', ']', ';']).to_string()).filter(|h| !h.is_empty())
    });
    (ip, helo)
}

/// The results of the topmost Authentication-Results header, when it is our own authserv-id's:
/// our server adds its header above everything the message brought (and removes any with its id,
/// RFC 8601 section 5), so a header of ours further down was written by someone else.
fn our_results(raw: &[u8], authserv_id: &str) -> Option<Verdict> {
    let message = mail_parser::MessageParser::default().parse_headers(raw)?;
    let header = message
        .header_values("Authentication-Results")
        .find_map(|value| value.as_text())?
        .to_string();
    let ours = header.split(';').next().is_some_and(|id| {
        id.split_whitespace()
            .next()
            .is_some_and(|id| id.eq_ignore_ascii_case(authserv_id))
    });
    if !ours {
        return None;
    }
    let mut verdict = Verdict {
        source: "authentication_results".into(),
        ..Verdict::default()
    };
    let read = |word: &str| match word {
        "pass" => Check::Pass,
        "fail" | "hardfail" => Check::Fail,
        "softfail" => Check::SoftFail,
        "neutral" => Check::Neutral,
        "temperror" => Check::TempError,
        "permerror" => Check::PermError,
        _ => Check::None,
    };
    for part in header.split(';').skip(1) {
        let mut words = part.split_whitespace();
        let Some((method, result)) = words.next().and_then(|w| w.split_once('=')) else {
            continue;
        };
        let result = read(&result.to_ascii_lowercase());
        let properties: Vec<(String, String)> = words
            .filter_map(|w| w.split_once('='))
            .map(|(k, v)| {
                (
                    k.to_ascii_lowercase(),
                    v.trim_matches(['"', ')']).to_string(),
                )
            })
            .collect();
        let property = |key: &str| {
            properties
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
        };
        match method.to_ascii_lowercase().as_str() {
            "spf" => {
                verdict.spf = result;
                verdict.spf_domain = property("smtp.mailfrom")
                    .map(|from| from.rsplit('@').next().unwrap_or(&from).to_string());
            }
            "dkim" if result == Check::Pass || verdict.dkim == Check::None => {
                verdict.dkim = result;
                if result == Check::Pass {
                    verdict.dkim_domains.extend(property("header.d"));
                }
            }
            "dmarc" => {
                verdict.dmarc = result;
                verdict.dmarc_policy = property("policy.dmarc");
            }
            "arc" => verdict.arc = result,
            _ => {}
        }
    }
    align(&mut verdict, raw);
    Some(verdict)
}

/// Sets the verdict's alignment: whether SPF's domain and DKIM's passing `d=` domains are the
/// From domain or share it (relaxed alignment, RFC 7489 section 3.1), whatever DMARC said: a
/// domain without a DMARC record is aligned all the same.
fn align(verdict: &mut Verdict, raw: &[u8]) {
    let from_domain = mail_parser::MessageParser::default()
        .parse_headers(raw)
        .and_then(|message| {
            message
                .from()
                .and_then(|from| from.first())
                .and_then(|mailbox| mailbox.address())
                .and_then(|address| address.rsplit_once('@'))
                .map(|(_, domain)| domain.to_ascii_lowercase())
        });
    let aligned = |domain: &str| {
        from_domain.as_deref().is_some_and(|from| {
            let domain = domain.to_ascii_lowercase();
            from == domain
                || from.ends_with(&format!(".{domain}"))
                || domain.ends_with(&format!(".{from}"))
        })
    };
    verdict.spf_aligned =
        verdict.spf == Check::Pass && verdict.spf_domain.as_deref().is_some_and(aligned);
    verdict.dkim_aligned =
        verdict.dkim == Check::Pass && verdict.dkim_domains.iter().any(|d| aligned(d));
}

impl crate::App {
    /// Checks the sender of one live message. `evidence`: the LMTP/SMTP session's; `None` for
    /// mail fetched from a mailbox. `None` back: checks are turned off. When a check cannot run (no
    /// resolver, a message `mail-auth` cannot read), its result says so and nothing is believed.
    pub async fn verify_sender(&self, raw: &[u8], evidence: Option<&Evidence>) -> Option<Verdict> {
        if !self.sender_auth.enabled {
            return None;
        }
        verify(
            &self.sender_auth,
            self.authenticator.as_ref(),
            raw,
            evidence,
        )
        .await
    }
}

/// Checks one message's sender without an application (`casebook mail parse --received-from`).
pub async fn check_sender(
    settings: &SenderAuthSettings,
    raw: &[u8],
    evidence: Option<&Evidence>,
) -> Option<Verdict> {
    let authenticator = Authenticator::new(settings);
    verify(settings, authenticator.as_ref(), raw, evidence).await
}

async fn verify(
    settings: &SenderAuthSettings,
    authenticator: Option<&Authenticator>,
    raw: &[u8],
    evidence: Option<&Evidence>,
) -> Option<Verdict> {
    {
        let trusted = |ip: Option<IpAddr>| {
            ip.is_some_and(|ip| {
                settings
                    .trusted_relays
                    .iter()
                    .any(|range| range.contains(ip))
            })
        };
        // Our servers' header is believed when one of them handed the message over: over IMAP the
        // mailbox server is ours; over LMTP/SMTP only a trusted relay's session counts, since
        // anyone else can write any header.
        let handed_by_ours = evidence.is_none_or(|evidence| trusted(Some(evidence.client_ip)));
        if let (Some(id), true) = (&settings.authserv_id, handed_by_ours) {
            if let Some(verdict) = our_results(raw, id) {
                return Some(verdict);
            }
        }
        let hops = received_hops(raw);
        let mut hop = hops.iter();
        // The first hop: the session's client, or (IMAP) whoever handed it to the mailbox server.
        let (mut ip, mut helo, mut source) = match evidence {
            Some(evidence) => (
                Some(evidence.client_ip),
                Some(evidence.helo.clone()),
                "session",
            ),
            None => match hop.next() {
                Some((ip, helo)) => (*ip, helo.clone(), "received"),
                None => (None, None, "received"),
            },
        };
        let mut trusted_only = false;
        while trusted(ip) {
            match hop.next() {
                Some((next_ip, next_helo)) => {
                    ip = *next_ip;
                    helo = next_helo.clone();
                    source = "received";
                }
                None => {
                    trusted_only = true;
                    break;
                }
            }
        }
        let mail_from = match evidence {
            Some(evidence) => evidence.mail_from.clone(),
            None => mail_parser::MessageParser::default()
                .parse_headers(raw)
                .and_then(|m| {
                    m.return_address()
                        .map(|a| a.trim_matches(['<', '>']).to_string())
                })
                .unwrap_or_default(),
        };
        let mut verdict = Verdict {
            source: source.to_string(),
            client_ip: ip.map(|ip| ip.to_string()),
            helo: helo.clone(),
            mail_from: Some(mail_from.clone()).filter(|m| !m.is_empty()),
            trusted_relays_only: trusted_only,
            ..Verdict::default()
        };
        if trusted_only {
            return Some(verdict);
        }
        // Checks that cannot run fail closed: a claim to a staff address is then not believed.
        let Some(authenticator) = authenticator else {
            verdict.spf = Check::TempError;
            verdict.dkim = Check::TempError;
            verdict.dmarc = Check::TempError;
            return Some(verdict);
        };
        let Some(message) = AuthenticatedMessage::parse(raw) else {
            verdict.dkim = Check::PermError;
            verdict.dmarc = Check::PermError;
            return Some(verdict);
        };
        let helo = helo.unwrap_or_default();
        let spf = match ip {
            Some(ip) => {
                let spf = authenticator
                    .inner
                    .verify_spf(mail_auth::spf::verify::SpfParameters::verify(
                        ip,
                        &helo,
                        &settings.hostname,
                        if mail_from.is_empty() {
                            &helo
                        } else {
                            &mail_from
                        },
                    ))
                    .await;
                verdict.spf = spf_check(spf.result());
                verdict.spf_domain = Some(spf.domain().to_string());
                Some(spf)
            }
            None => None,
        };
        let dkim = authenticator.inner.verify_dkim(&message).await;
        verdict.dkim = dkim
            .iter()
            .map(|output| dkim_check(output.result()))
            .find(|check| *check == Check::Pass)
            .or_else(|| dkim.first().map(|output| dkim_check(output.result())))
            .unwrap_or(Check::None);
        verdict.dkim_domains = dkim
            .iter()
            .filter(|output| output.result() == &DkimResult::Pass)
            .filter_map(|output| output.signature().map(|s| s.d.clone()))
            .collect();
        if !message.as_headers.is_empty() {
            let arc = authenticator.inner.verify_arc(&message).await;
            verdict.arc = dkim_check(arc.result());
        }
        if let Some(spf) = &spf {
            let mail_from_domain = if mail_from.is_empty() {
                helo.clone()
            } else {
                mail_from.rsplit('@').next().unwrap_or("").to_string()
            };
            let dmarc = authenticator
                .inner
                .verify_dmarc(mail_auth::dmarc::verify::DmarcParameters::new(
                    &message,
                    &dkim,
                    &mail_from_domain,
                    spf,
                ))
                .await;
            verdict.dmarc = dmarc_check(&dmarc.result());
            verdict.dmarc_policy = match dmarc.policy() {
                mail_auth::dmarc::Policy::None => Some("none".into()),
                mail_auth::dmarc::Policy::Quarantine => Some("quarantine".into()),
                mail_auth::dmarc::Policy::Reject => Some("reject".into()),
                mail_auth::dmarc::Policy::Unspecified => None,
            };
        }
        align(&mut verdict, raw);
        Some(verdict)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_hold_what_they_say() {
        let range = IpRange::parse("10.1.0.0/16").expect("a range");
        assert!(range.contains("10.1.200.3".parse().expect("ip")));
        assert!(!range.contains("10.2.0.1".parse().expect("ip")));
        let one = IpRange::parse("192.0.2.25").expect("one address");
        assert!(one.contains("192.0.2.25".parse().expect("ip")));
        assert!(!one.contains("192.0.2.26".parse().expect("ip")));
        let v6 = IpRange::parse("2001:db8::/32").expect("v6");
        assert!(v6.contains("2001:db8:1::5".parse().expect("ip")));
        assert!(!v6.contains("10.1.0.1".parse().expect("ip")));
        assert!(IpRange::parse("10.0.0.0/33").is_none());
        assert!(IpRange::parse("mx.example").is_none());
    }

    #[test]
    fn received_lines_give_the_hops_top_down() {
        let raw = b"Received: from mx.acer.example (mx.acer.example [198.51.100.7])\r\n\tby relay.cmgos.example with ESMTPS; Mon, 9 Nov 2026 10:00:00 +0800\r\nReceived: from [10.0.0.5] (helo=laptop)\r\n\tby mx.acer.example; Mon, 9 Nov 2026 09:59:59 +0800\r\nFrom: a@acer.example\r\n\r\nbody";
        let hops = received_hops(raw);
        assert_eq!(hops.len(), 2);
        assert_eq!(hops[0].0, Some("198.51.100.7".parse().expect("ip")));
        assert_eq!(hops[0].1.as_deref(), Some("mx.acer.example"));
        assert_eq!(hops[1].0, Some("10.0.0.5".parse().expect("ip")));
    }

    #[test]
    fn a_client_chosen_helo_never_gives_the_address() {
        // Postfix: `from HELO (RDNS [IP])`; the client said `EHLO [10.0.0.1]` to look trusted.
        let (ip, helo) = received_client("[10.0.0.1] (unknown [203.0.113.9])");
        assert_eq!(ip, Some("203.0.113.9".parse().expect("ip")));
        assert_eq!(helo.as_deref(), Some("10.0.0.1"));
        // Exim with a reverse name, and without one.
        let (ip, helo) = received_client("mx.acer.example ([198.51.100.7] helo=[10.0.0.1])");
        assert_eq!(ip, Some("198.51.100.7".parse().expect("ip")));
        assert_eq!(helo.as_deref(), Some("[10.0.0.1]"));
        let (ip, _) = received_client("[198.51.100.8] (helo=[10.0.0.1])");
        assert_eq!(ip, Some("198.51.100.8".parse().expect("ip")));
        // A HELO written to look like the server's comment.
        let (ip, _) = received_client("x([10.0.0.1] (unknown [203.0.113.9])");
        assert_eq!(ip, Some("203.0.113.9".parse().expect("ip")));
        let (ip, _) = received_client("[10.0.0.1]([10.0.0.2] (unknown [203.0.113.9])");
        assert_eq!(ip, Some("203.0.113.9".parse().expect("ip")));
        // IPv6, and a hop that names no address at all.
        let (ip, _) = received_client("mx.example (mx.example [IPv6:2001:db8::25])");
        assert_eq!(ip, Some("2001:db8::25".parse().expect("ip")));
        assert_eq!(received_client("mx.example (mx.example)").0, None);
        assert_eq!(received_client("").0, None);
    }

    #[test]
    fn only_our_authserv_id_on_top_counts() {
        let raw = b"Authentication-Results: mx.cmgos.example; spf=fail smtp.mailfrom=x@cmgos.example; dkim=none; dmarc=fail policy.dmarc=reject header.from=cmgos.example\r\nAuthentication-Results: evil.example; dmarc=pass header.from=cmgos.example\r\nFrom: boss@cmgos.example\r\n\r\nbody";
        let verdict = our_results(raw, "mx.cmgos.example").expect("our header");
        assert_eq!(verdict.dmarc, Check::Fail);
        assert_eq!(verdict.dmarc_policy.as_deref(), Some("reject"));
        assert_eq!(verdict.spf, Check::Fail);
        assert!(our_results(raw, "other.example").is_none());
        let signed = b"Authentication-Results: mx.cmgos.example; dkim=pass header.d=cmgos.example; dmarc=pass\r\nFrom: boss@cmgos.example\r\n\r\nbody";
        let verdict = our_results(signed, "mx.cmgos.example").expect("our header");
        assert!(verdict.dkim_aligned);
        // A header with our id below another server's was written by whoever sent the message.
        let planted = b"Authentication-Results: mx.acer.example; dkim=none\r\nAuthentication-Results: mx.cmgos.example; dkim=pass header.d=cmgos.example; dmarc=pass\r\nFrom: boss@cmgos.example\r\n\r\nbody";
        assert!(our_results(planted, "mx.cmgos.example").is_none());
    }

    fn settings(trusted: &[&str]) -> SenderAuthSettings {
        SenderAuthSettings {
            enabled: true,
            dns_server: None,
            trusted_relays: trusted
                .iter()
                .map(|r| IpRange::parse(r).expect("range"))
                .collect(),
            authserv_id: Some("mx.cmgos.example".into()),
            hostname: "casebook.example".into(),
        }
    }

    fn evidence(ip: &str) -> Evidence {
        Evidence {
            client_ip: ip.parse().expect("ip"),
            helo: "client.example".into(),
            mail_from: "boss@cmgos.example".into(),
        }
    }

    #[tokio::test]
    async fn a_planted_header_or_helo_earns_no_trust() {
        let settings = settings(&["10.0.0.0/8"]);
        // Straight from an outside client: our id's header is not believed, and with no resolver
        // every check is a temporary error, so a staff claim fails.
        let raw = b"Authentication-Results: mx.cmgos.example; dkim=pass header.d=cmgos.example; dmarc=pass\r\nFrom: boss@cmgos.example\r\n\r\nbody";
        let verdict = verify(&settings, None, raw, Some(&evidence("203.0.113.9")))
            .await
            .expect("a verdict");
        assert_eq!(verdict.source, "session");
        assert_eq!(verdict.dkim, Check::TempError);
        assert!(!verdict.trusted_relays_only);
        assert!(matches!(
            case::auth::judge(Some(&verdict), true),
            case::auth::Standing::Failed { .. }
        ));
        // Handed over by our relay: its header is believed.
        let verdict = verify(&settings, None, raw, Some(&evidence("10.1.2.3")))
            .await
            .expect("a verdict");
        assert_eq!(verdict.source, "authentication_results");
        // Our relay received it from a client that said `EHLO [10.0.0.1]`: the address our relay
        // wrote is the outside one, so the chain of trust stops there.
        let raw = b"Received: from [10.0.0.1] (unknown [203.0.113.9])\r\n\tby relay.cmgos.example with ESMTP; Mon, 9 Nov 2026 10:00:00 +0800\r\nFrom: boss@cmgos.example\r\n\r\nbody";
        let verdict = verify(&settings, None, raw, Some(&evidence("10.1.2.3")))
            .await
            .expect("a verdict");
        assert!(!verdict.trusted_relays_only);
        assert_eq!(verdict.client_ip.as_deref(), Some("203.0.113.9"));
        let inside = b"Received: from laptop.cmgos.example (laptop.cmgos.example [10.0.0.5])\r\n\tby relay.cmgos.example with ESMTP; Mon, 9 Nov 2026 10:00:00 +0800\r\nFrom: boss@cmgos.example\r\n\r\nbody";
        let verdict = verify(&settings, None, inside, Some(&evidence("10.1.2.3")))
            .await
            .expect("a verdict");
        assert!(verdict.trusted_relays_only);
    }
}
