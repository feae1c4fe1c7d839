//! The case status state machine.
//!
//! Every status change goes through [`Status::transition`], which checks the
//! target against the allowed transitions and the details it needs: archiving
//! (a temporary close while waiting, as the seed case was on 2021-03-26)
//! needs a written summary, resolving needs a root cause and a resolution.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::summary::{Section, Summary};

/// Where a case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Opened, nobody has worked on it yet.
    New,
    /// An engineer is working on it.
    InProgress,
    /// Waiting for the partner to answer or to send something.
    WaitingOnCustomer,
    /// Waiting for a third party (a vendor, another team).
    WaitingOnThirdParty,
    /// Closed for now with a written summary; may be reopened with its history.
    Archived,
    /// Solved, with a root cause and a resolution.
    Resolved,
    /// Dropped: a duplicate, a mistake, withdrawn by the partner.
    Cancelled,
    /// Opened again after being archived, resolved or cancelled.
    Reopened,
}

/// What a transition needs beyond the target status.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TransitionDetails {
    /// The written summary, required to archive and to resolve.
    pub summary: Option<Summary>,
}

/// Why a status change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// The target cannot be reached from the current status.
    #[error("a case that is {from} cannot become {to} (allowed from {from}: {allowed})", allowed = list(.allowed))]
    NotAllowed {
        /// The current status.
        from: Status,
        /// The refused target.
        to: Status,
        /// The targets that are allowed from `from`.
        allowed: Vec<Status>,
    },
    /// Archiving needs a problem description and a case summary.
    #[error("archiving needs a written summary with a problem description and a case summary")]
    ArchiveNeedsSummary {
        /// The sections missing or empty.
        missing: Vec<Section>,
    },
    /// Resolving needs a root cause and a resolution.
    #[error("resolving needs a written summary with a root cause and a resolution")]
    ResolveNeedsRootCause {
        /// The sections missing or empty.
        missing: Vec<Section>,
    },
    /// A summary was given for a change that takes none (only archiving and resolving do).
    #[error("a change to {to} takes no written summary; only archived and resolved do")]
    SummaryNotTaken {
        /// The target.
        to: Status,
    },
}

fn list(statuses: &[Status]) -> String {
    statuses
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

impl Status {
    /// Every status, in the order a case usually meets them.
    pub const ALL: [Status; 8] = [
        Status::New,
        Status::InProgress,
        Status::WaitingOnCustomer,
        Status::WaitingOnThirdParty,
        Status::Archived,
        Status::Resolved,
        Status::Cancelled,
        Status::Reopened,
    ];

    /// The stable identifier used in JSON, the database and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::InProgress => "in_progress",
            Status::WaitingOnCustomer => "waiting_on_customer",
            Status::WaitingOnThirdParty => "waiting_on_third_party",
            Status::Archived => "archived",
            Status::Resolved => "resolved",
            Status::Cancelled => "cancelled",
            Status::Reopened => "reopened",
        }
    }

    /// Whether the case is closed (archived, resolved or cancelled).
    pub fn is_closed(self) -> bool {
        matches!(
            self,
            Status::Archived | Status::Resolved | Status::Cancelled
        )
    }

    /// The statuses a case in this status may move to.
    pub fn allowed_targets(self) -> Vec<Status> {
        use Status::*;
        let open_targets = [
            InProgress,
            WaitingOnCustomer,
            WaitingOnThirdParty,
            Archived,
            Resolved,
            Cancelled,
        ];
        match self {
            New | InProgress | WaitingOnCustomer | WaitingOnThirdParty | Reopened => open_targets
                .into_iter()
                .filter(|target| *target != self)
                .collect(),
            Archived => vec![Reopened, Resolved, Cancelled],
            Resolved | Cancelled => vec![Reopened],
        }
    }

    /// Checks a change to `to` with its details and returns the new status.
    pub fn transition(
        self,
        to: Status,
        details: &TransitionDetails,
    ) -> Result<Status, TransitionError> {
        let allowed = self.allowed_targets();
        if !allowed.contains(&to) {
            return Err(TransitionError::NotAllowed {
                from: self,
                to,
                allowed,
            });
        }
        let empty = Summary::default();
        let summary = details.summary.as_ref().unwrap_or(&empty);
        match to {
            Status::Archived if !summary.is_archive_summary() => {
                Err(TransitionError::ArchiveNeedsSummary {
                    missing: summary.missing(true),
                })
            }
            Status::Resolved if !summary.is_resolution() => {
                Err(TransitionError::ResolveNeedsRootCause {
                    missing: summary.missing(false),
                })
            }
            Status::Archived | Status::Resolved => Ok(to),
            _ if details.summary.is_some() => Err(TransitionError::SummaryNotTaken { to }),
            _ => Ok(to),
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text is not a status identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a status; use one of new, in_progress, waiting_on_customer, waiting_on_third_party, archived, resolved, cancelled, reopened")]
pub struct UnknownStatus(pub String);

impl FromStr for Status {
    type Err = UnknownStatus;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let wanted = text.trim().to_ascii_lowercase().replace('-', "_");
        Status::ALL
            .into_iter()
            .find(|status| status.as_str() == wanted)
            .ok_or_else(|| UnknownStatus(text.to_string()))
    }
}

/// What a partner's mail does to the status of the case it lands on (live intake only: never an
/// import of history, never an automatic reply).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailEffect {
    /// Nothing changes.
    Keep,
    /// The case moves to this status (its clocks run again).
    Move(Status),
    /// The case was resolved too long ago: the mail opens a new case linked to it.
    NewLinkedCase,
    /// The case stays as it is, and its owner is told (a cancelled case).
    Flag,
}

/// The rule: waiting on the customer → in progress; archived → reopened (the model case came
/// back five months later); resolved → reopened within `reopen_window` microseconds of its
/// resolution, after that a new linked case; cancelled → flagged for the owner.
pub fn on_partner_mail(
    status: Status,
    changed_at: Option<i64>,
    now: i64,
    reopen_window: i64,
) -> MailEffect {
    match status {
        Status::WaitingOnCustomer => MailEffect::Move(Status::InProgress),
        Status::Archived => MailEffect::Move(Status::Reopened),
        Status::Resolved => match changed_at {
            Some(at) if now.saturating_sub(at) > reopen_window => MailEffect::NewLinkedCase,
            _ => MailEffect::Move(Status::Reopened),
        },
        Status::Cancelled => MailEffect::Flag,
        Status::New | Status::InProgress | Status::WaitingOnThirdParty | Status::Reopened => {
            MailEffect::Keep
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn archive_summary() -> TransitionDetails {
        TransitionDetails {
            summary: Some(Summary {
                problem: Some("reset fails".into()),
                summary: Some("waiting on image".into()),
                ..Summary::default()
            }),
        }
    }

    fn resolution() -> TransitionDetails {
        TransitionDetails {
            summary: Some(Summary {
                root_cause: Some("NTUSER.DAT locked".into()),
                resolution: Some("fixed".into()),
                ..Summary::default()
            }),
        }
    }

    #[test]
    fn the_seed_case_lifecycle() {
        let none = TransitionDetails::default();
        let status = Status::New.transition(Status::InProgress, &none).unwrap();
        let status = status.transition(Status::WaitingOnCustomer, &none).unwrap();
        let status = status
            .transition(Status::Archived, &archive_summary())
            .unwrap();
        let status = status.transition(Status::Reopened, &none).unwrap();
        let status = status.transition(Status::InProgress, &none).unwrap();
        assert_eq!(
            status.transition(Status::Resolved, &resolution()),
            Ok(Status::Resolved)
        );
    }

    #[test]
    fn archiving_needs_a_summary() {
        assert_eq!(
            Status::InProgress.transition(Status::Archived, &TransitionDetails::default()),
            Err(TransitionError::ArchiveNeedsSummary {
                missing: vec![Section::Problem, Section::Summary]
            })
        );
        assert_eq!(
            Status::InProgress.transition(Status::Archived, &resolution()),
            Err(TransitionError::ArchiveNeedsSummary {
                missing: vec![Section::Problem, Section::Summary]
            })
        );
        assert_eq!(
            Status::InProgress.transition(Status::Resolved, &archive_summary()),
            Err(TransitionError::ResolveNeedsRootCause {
                missing: vec![Section::RootCause, Section::Resolution]
            })
        );
    }

    #[test]
    fn a_summary_is_refused_where_none_is_taken() {
        assert_eq!(
            Status::InProgress.transition(Status::WaitingOnCustomer, &archive_summary()),
            Err(TransitionError::SummaryNotTaken {
                to: Status::WaitingOnCustomer
            })
        );
    }

    #[test]
    fn refusals_list_the_allowed_targets() {
        let error = Status::Archived
            .transition(Status::InProgress, &TransitionDetails::default())
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "a case that is archived cannot become in_progress (allowed from archived: reopened, resolved, cancelled)"
        );
        assert!(Status::New
            .transition(Status::New, &TransitionDetails::default())
            .is_err());
        assert!(Status::Resolved
            .transition(Status::Archived, &archive_summary())
            .is_err());
    }

    #[test]
    fn identifiers_round_trip() {
        for status in Status::ALL {
            assert_eq!(status.as_str().parse::<Status>(), Ok(status));
            assert_eq!(serde_json_like(status), status.as_str());
        }
        assert!("closed".parse::<Status>().is_err());
    }

    fn serde_json_like(status: Status) -> String {
        // The serde name must equal the identifier: the CLI and API contract depend on it.
        format!("{status:?}")
            .chars()
            .fold(String::new(), |mut out, c| {
                if c.is_uppercase() && !out.is_empty() {
                    out.push('_');
                }
                out.push(c.to_ascii_lowercase());
                out
            })
    }

    fn any_status() -> impl Strategy<Value = Status> {
        proptest::sample::select(Status::ALL.to_vec())
    }

    proptest! {
        /// Model check: random change sequences never leave the allowed graph,
        /// and a closed case is only ever left through `reopened`.
        #[test]
        fn random_walks_stay_in_the_graph(steps in proptest::collection::vec((any_status(), 0u8..3), 0..40)) {
            let mut status = Status::New;
            for (target, details) in steps {
                let details = match details { 0 => TransitionDetails::default(), 1 => archive_summary(), _ => resolution() };
                match status.transition(target, &details) {
                    Ok(next) => {
                        prop_assert!(status.allowed_targets().contains(&next));
                        if status.is_closed() && status != Status::Archived {
                            prop_assert_eq!(next, Status::Reopened);
                        }
                        status = next;
                    }
                    Err(TransitionError::NotAllowed { allowed, .. }) => {
                        prop_assert!(!allowed.contains(&target));
                    }
                    Err(_) => prop_assert!(status.allowed_targets().contains(&target)),
                }
            }
        }
    }

    #[test]
    fn partner_mail_moves_waiting_and_closed_cases() {
        const DAY: i64 = 86_400_000_000;
        let window = 14 * DAY;
        let now = 100 * DAY;
        assert_eq!(
            on_partner_mail(Status::WaitingOnCustomer, None, now, window),
            MailEffect::Move(Status::InProgress)
        );
        assert_eq!(
            on_partner_mail(Status::Archived, Some(now - 150 * DAY), now, window),
            MailEffect::Move(Status::Reopened)
        );
        assert_eq!(
            on_partner_mail(Status::Resolved, Some(now - 3 * DAY), now, window),
            MailEffect::Move(Status::Reopened)
        );
        assert_eq!(
            on_partner_mail(Status::Resolved, Some(now - 15 * DAY), now, window),
            MailEffect::NewLinkedCase
        );
        assert_eq!(
            on_partner_mail(Status::Cancelled, None, now, window),
            MailEffect::Flag
        );
        for status in [
            Status::New,
            Status::InProgress,
            Status::WaitingOnThirdParty,
            Status::Reopened,
        ] {
            assert_eq!(on_partner_mail(status, None, now, window), MailEffect::Keep);
        }
        // Every move the rule makes is one the state machine allows.
        for status in Status::ALL {
            if let MailEffect::Move(to) = on_partner_mail(status, None, now, window) {
                assert!(status.allowed_targets().contains(&to), "{status} -> {to}");
            }
        }
    }
}
