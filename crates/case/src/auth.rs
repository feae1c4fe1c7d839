//! Whether a message's sender is who its From header says: the verdict of SPF, DKIM, DMARC (and
//! ARC) as plain data, and the rule that decides what the takeover guard may believe.
//!
//! The takeover guard trusts participants and staff by address, and a From address is easy to
//! forge. So:
//! - mail claiming a staff address must pass SPF or DKIM aligned with its From domain, or have come
//!   only through trusted relays, whatever DMARC says;
//! - mail whose DMARC evaluation fails under a policy of `quarantine` or `reject` never reaches a
//!   case (quarantine `failed_authentication`, with the evidence);
//! - a DMARC `none` (no record, or a policy of `none`) is placed but shown as unauthenticated;
//! - mail imported from files has no evidence at all: unverified, never failed.

use serde::{Deserialize, Serialize};

/// One check's result (RFC 8601's words).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    /// Passed.
    Pass,
    /// Failed.
    Fail,
    /// SPF's "probably not".
    SoftFail,
    /// No opinion.
    Neutral,
    /// Not evaluated, or nothing to evaluate (no record, no signature).
    #[default]
    None,
    /// A DNS failure: try later.
    TempError,
    /// A broken record.
    PermError,
}

/// What the checks found for one message, and on what evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Verdict {
    /// SPF for the MAIL FROM (or HELO) domain.
    pub spf: Check,
    /// The domain SPF was evaluated for.
    pub spf_domain: Option<String>,
    /// The best DKIM result over the signatures.
    pub dkim: Check,
    /// The `d=` domains of passing signatures.
    pub dkim_domains: Vec<String>,
    /// DMARC for the From domain.
    pub dmarc: Check,
    /// The From domain's DMARC policy (`none`, `quarantine`, `reject`), when it has one.
    pub dmarc_policy: Option<String>,
    /// SPF passed for a domain aligned with From.
    pub spf_aligned: bool,
    /// DKIM passed for a domain aligned with From.
    pub dkim_aligned: bool,
    /// ARC, where a chain is present.
    pub arc: Check,
    /// Every hop was a trusted relay (mail from inside the organization).
    pub trusted_relays_only: bool,
    /// Where the evidence came from: `session` (LMTP/SMTP), `received` (a trusted relay's or
    /// MX's Received line), `authentication_results` (our own authserv-id's header).
    pub source: String,
    /// The client address, HELO name and MAIL FROM the checks were run for.
    pub client_ip: Option<String>,
    /// The HELO name.
    pub helo: Option<String>,
    /// The envelope sender.
    pub mail_from: Option<String>,
}

/// What the rule decides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "standing", rename_all = "snake_case")]
pub enum Standing {
    /// No evidence (imported from files): neither trusted nor failed.
    Unverified,
    /// DMARC passed (or, for staff, aligned SPF or DKIM, or trusted relays only).
    Authenticated,
    /// Placed, but shown as unauthenticated: no DMARC record, a policy of `none`, or a soft result.
    Unauthenticated,
    /// Refused: quarantined with this reason.
    Failed {
        /// Why, in words for the quarantine.
        reason: String,
    },
}

impl Verdict {
    fn evidence(&self) -> String {
        format!(
            "spf={:?} ({}), dkim={:?} ({}), dmarc={:?} (policy {}), client {}, helo {}, mail from {}",
            self.spf,
            self.spf_domain.as_deref().unwrap_or("-"),
            self.dkim,
            if self.dkim_domains.is_empty() {
                "-".to_string()
            } else {
                self.dkim_domains.join(" ")
            },
            self.dmarc,
            self.dmarc_policy.as_deref().unwrap_or("-"),
            self.client_ip.as_deref().unwrap_or("-"),
            self.helo.as_deref().unwrap_or("-"),
            self.mail_from.as_deref().unwrap_or("-"),
        )
        .to_lowercase()
    }
}

/// The rule. `claims_staff`: the From address is a staff member's or in a staff domain.
pub fn judge(verdict: Option<&Verdict>, claims_staff: bool) -> Standing {
    let Some(verdict) = verdict else {
        return Standing::Unverified;
    };
    let aligned = (verdict.spf == Check::Pass && verdict.spf_aligned)
        || (verdict.dkim == Check::Pass && verdict.dkim_aligned);
    if claims_staff {
        return if aligned || verdict.trusted_relays_only {
            Standing::Authenticated
        } else {
            Standing::Failed {
                reason: format!(
                    "the message claims a staff address but passed neither SPF nor DKIM for its From domain and did not come through a trusted relay ({}); a forged staff address could take over a case",
                    verdict.evidence()
                ),
            }
        };
    }
    if verdict.trusted_relays_only {
        return Standing::Authenticated;
    }
    match verdict.dmarc {
        Check::Pass => Standing::Authenticated,
        Check::Fail
            if matches!(
                verdict.dmarc_policy.as_deref(),
                Some("quarantine") | Some("reject")
            ) =>
        {
            Standing::Failed {
                reason: format!(
                    "the message fails DMARC for its From domain, whose owner asks to {} such mail ({})",
                    verdict.dmarc_policy.as_deref().unwrap_or("refuse"),
                    verdict.evidence()
                ),
            }
        }
        _ if aligned => Standing::Authenticated,
        _ => Standing::Unauthenticated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict() -> Verdict {
        Verdict {
            source: "session".into(),
            ..Verdict::default()
        }
    }

    #[test]
    fn imported_mail_is_unverified_never_failed() {
        assert_eq!(judge(None, true), Standing::Unverified);
        assert_eq!(judge(None, false), Standing::Unverified);
    }

    #[test]
    fn a_staff_address_needs_aligned_spf_or_dkim_or_trusted_relays() {
        let mut forged = verdict();
        forged.dmarc = Check::None;
        assert!(matches!(
            judge(Some(&forged), true),
            Standing::Failed { .. }
        ));
        // DMARC passing through a non-aligned path does not count for staff: only alignment.
        forged.spf = Check::Pass;
        forged.spf_aligned = false;
        assert!(matches!(
            judge(Some(&forged), true),
            Standing::Failed { .. }
        ));
        let mut signed = verdict();
        signed.dkim = Check::Pass;
        signed.dkim_aligned = true;
        assert_eq!(judge(Some(&signed), true), Standing::Authenticated);
        let mut inside = verdict();
        inside.trusted_relays_only = true;
        assert_eq!(judge(Some(&inside), true), Standing::Authenticated);
    }

    #[test]
    fn dmarc_decides_for_partners() {
        let mut failing = verdict();
        failing.dmarc = Check::Fail;
        failing.dmarc_policy = Some("reject".into());
        let Standing::Failed { reason } = judge(Some(&failing), false) else {
            panic!("a DMARC failure under p=reject is refused");
        };
        assert!(reason.contains("dmarc=fail"), "{reason}");
        failing.dmarc_policy = Some("none".into());
        assert_eq!(judge(Some(&failing), false), Standing::Unauthenticated);
        let mut passing = verdict();
        passing.dmarc = Check::Pass;
        assert_eq!(judge(Some(&passing), false), Standing::Authenticated);
        assert_eq!(judge(Some(&verdict()), false), Standing::Unauthenticated);
    }
}
