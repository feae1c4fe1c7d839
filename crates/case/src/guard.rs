//! The takeover guard: who may add mail to a case.
//!
//! A case number or token is a label, not a password: it is printed in every
//! subject. So a message that names a case, by number, by token or by a
//! Message-ID it could have copied, is attached only when its sender belongs
//! to the case: a participant (an address seen on its From/To/Cc, or given in
//! a signature of an imported thread), a member of the staff organization or
//! an address in its domains, or an address in the case organization's
//! domains. The intake mailbox's own addresses never count. Everything else
//! goes to quarantine with the reason, for a person to decide.

use crate::party::{domain_within, Address};

/// What the guard knows about a case and the vendor.
#[derive(Debug, Clone, Copy)]
pub struct GuardContext<'a> {
    /// Addresses seen on the case (From/To/Cc) or linked to it by hand.
    pub participants: &'a [Address],
    /// The mail domains of the case's customer organization.
    pub case_org_domains: &'a [String],
    /// The mail domains of the staff organization.
    pub staff_domains: &'a [String],
    /// Whether the sender is a person linked to the staff organization.
    pub sender_is_staff_member: bool,
    /// The intake mailbox's own addresses, which never count as participants.
    pub intake_addresses: &'a [Address],
}

/// Why a sender may not add to a case.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GuardRefusal {
    /// The sender has no link to the case.
    #[error("sender {sender} is not a participant of the case, not staff, and not in the customer's mail domains")]
    NotAParticipant {
        /// The refused sender.
        sender: Address,
    },
    /// The sender is neither a known contact nor in a known organization's domains.
    #[error(
        "sender {sender} is not a known contact and not in a known organization's mail domains"
    )]
    UnknownSender {
        /// The refused sender.
        sender: Address,
    },
    /// The message has no usable sender at all.
    #[error("the message has no sender address")]
    NoSender,
    /// The sender claims to be the intake mailbox itself (a loop or a forgery).
    #[error("the sender {sender} is the intake mailbox itself")]
    FromIntake {
        /// The intake address used as sender.
        sender: Address,
    },
}

/// Checks whether `sender` may add mail to the case described by `context`.
pub fn check(sender: Option<&Address>, context: &GuardContext<'_>) -> Result<(), GuardRefusal> {
    let sender = sender.ok_or(GuardRefusal::NoSender)?;
    if context.intake_addresses.contains(sender) {
        return Err(GuardRefusal::FromIntake {
            sender: sender.clone(),
        });
    }
    let domain = sender.domain();
    let in_domains =
        |domains: &[String]| domains.iter().any(|parent| domain_within(domain, parent));
    if context.sender_is_staff_member
        || context.participants.contains(sender)
        || in_domains(context.staff_domains)
        || in_domains(context.case_org_domains)
    {
        Ok(())
    } else {
        Err(GuardRefusal::NotAParticipant {
            sender: sender.clone(),
        })
    }
}

/// What is known about a sender who names no case (or a case Casebook does not know yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SenderStanding {
    /// The sender is a contact someone registered or linked.
    pub known_contact: bool,
    /// The sender's domain belongs to a known organization.
    pub known_domain: bool,
}

/// Whether a sender may open a case: a known contact or an address in a known organization's domains.
pub fn may_open_case(
    sender: Option<&Address>,
    standing: SenderStanding,
    intake_addresses: &[Address],
) -> Result<(), GuardRefusal> {
    let sender = sender.ok_or(GuardRefusal::NoSender)?;
    if intake_addresses.contains(sender) {
        return Err(GuardRefusal::FromIntake {
            sender: sender.clone(),
        });
    }
    if standing.known_contact || standing.known_domain {
        Ok(())
    } else {
        Err(GuardRefusal::UnknownSender {
            sender: sender.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(text: &str) -> Address {
        text.parse().unwrap()
    }

    fn check_sender(sender: &str, expected_ok: bool) {
        let participants = [
            address("xuda@partner-mail.net"),
            address("support@cmgos.com"),
        ];
        let context = GuardContext {
            participants: &participants,
            case_org_domains: &["acer.com".to_string()],
            staff_domains: &["cmgos.com".to_string()],
            sender_is_staff_member: false,
            intake_addresses: &[address("support@cmgos.com")],
        };
        assert_eq!(
            check(Some(&address(sender)), &context).is_ok(),
            expected_ok,
            "{sender}"
        );
    }

    #[test]
    fn who_may_add_to_a_case() {
        check_sender("xuda@partner-mail.net", true);
        check_sender("liqi@cmgos.com", true);
        check_sender("someone@acer.com", true);
        check_sender("someone@tw.acer.com", true);
        check_sender("attacker@evil.example", false);
        check_sender("attacker@notacer.com", false);
        check_sender("support@cmgos.com", false);
    }

    #[test]
    fn refusals_name_the_sender() {
        let context = GuardContext {
            participants: &[],
            case_org_domains: &[],
            staff_domains: &[],
            sender_is_staff_member: false,
            intake_addresses: &[],
        };
        assert_eq!(check(None, &context), Err(GuardRefusal::NoSender));
        let error = check(Some(&address("x@evil.example")), &context).unwrap_err();
        assert!(error.to_string().contains("x@evil.example"), "{error}");
        assert_eq!(
            check(
                Some(&address("x@evil.example")),
                &GuardContext {
                    sender_is_staff_member: true,
                    ..context
                }
            ),
            Ok(())
        );
    }

    #[test]
    fn who_may_open_a_case() {
        let unknown = SenderStanding {
            known_contact: false,
            known_domain: false,
        };
        assert!(may_open_case(Some(&address("a@b.c")), unknown, &[]).is_err());
        assert!(may_open_case(
            Some(&address("a@b.c")),
            SenderStanding {
                known_domain: true,
                ..unknown
            },
            &[]
        )
        .is_ok());
        assert!(may_open_case(
            None,
            SenderStanding {
                known_contact: true,
                ..unknown
            },
            &[]
        )
        .is_err());
    }
}
