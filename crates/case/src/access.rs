//! The access policy: who may read which case and which of its timeline entries.
//!
//! One policy, in pure code, that every interface goes through (`app` calls
//! it; the web's extractors will build the [`Viewer`]). A partner's contact
//! sees only the cases of their own organization, and on those only the
//! entries that are public and came from that organization: after a merge
//! across customers, the other customer's entries stay out of sight even if
//! someone marks them public.

use crate::party::Role;
use crate::timeline::Visibility;

/// Who is looking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    /// The vendor's staff (admin, manager, engineer, liaison) or a local operator at the CLI.
    Staff,
    /// A partner's contact, who belongs to one customer organization.
    Partner {
        /// Their organization.
        org_id: i64,
    },
}

impl Viewer {
    /// The viewer a person with this role and organization is; a partner contact without an
    /// organization is `None`: they may see nothing.
    pub fn for_person(
        role: Option<Role>,
        is_staff_member: bool,
        org_id: Option<i64>,
    ) -> Option<Viewer> {
        // A staff role counts only without a customer organization: a customer's contact is a
        // partner whatever role someone gave them.
        if is_staff_member || (org_id.is_none() && role.is_some_and(Role::is_staff)) {
            return Some(Viewer::Staff);
        }
        org_id.map(|org_id| Viewer::Partner { org_id })
    }
}

/// What the policy needs to know of a timeline entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryFacts {
    /// Who may read it.
    pub visibility: Visibility,
    /// The customer organization the entry came from (the case's customer when it was recorded).
    pub org_id: Option<i64>,
}

/// Who may read an email on a case, and which organization it came from: the outside party's
/// (`from_org`: the sender's, or for staff mail an outside recipient's) when it is known, else the
/// case's customer. Mail of another organization than the case's customer is internal there, so a
/// reply from the other customer of a merged case never shows to this one.
pub fn email_entry(
    visibility: Visibility,
    from_org: Option<i64>,
    case_customer: Option<i64>,
) -> EntryFacts {
    match from_org {
        Some(org) if Some(org) != case_customer => EntryFacts {
            visibility: Visibility::Internal,
            org_id: Some(org),
        },
        _ => EntryFacts {
            visibility,
            org_id: case_customer,
        },
    }
}

/// Whether the viewer may open a case of this customer organization.
pub fn may_view_case(viewer: Viewer, case_customer: Option<i64>) -> bool {
    match viewer {
        Viewer::Staff => true,
        Viewer::Partner { org_id } => case_customer == Some(org_id),
    }
}

/// Whether the viewer may read this entry of a case of this customer organization.
pub fn may_view_entry(viewer: Viewer, case_customer: Option<i64>, entry: EntryFacts) -> bool {
    match viewer {
        Viewer::Staff => true,
        Viewer::Partner { org_id } => {
            may_view_case(viewer, case_customer)
                && entry.visibility == Visibility::Public
                && entry.org_id == Some(org_id)
        }
    }
}

/// What someone wants to do. Each interface maps its routes and commands onto these, so that what a
/// role may do is decided here and nowhere else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// List cases (the queue; a partner's portal lists their organization's).
    ListCases,
    /// Read one case and the entries the viewer may see.
    ViewCase,
    /// Open a case (a partner: for their own organization).
    CreateCase,
    /// Write to the customer: a staff reply, or a partner's reply through the portal.
    Reply,
    /// Write an internal note.
    WriteNote,
    /// Change the status (archive, resolve, reopen...).
    ChangeStatus,
    /// Edit title, priority, stage, product, version, definition, scope and tags.
    EditCase,
    /// Give the case an owner.
    Assign,
    /// Add or remove participants (the takeover guard trusts them).
    ManageParticipants,
    /// Make an entry public or internal.
    ChangeVisibility,
    /// Merge two cases or split one.
    MergeOrSplit,
    /// Read the quarantine.
    ViewQuarantine,
    /// Attach, release or dismiss a quarantined message.
    DecideQuarantine,
    /// Read organizations and contacts.
    ViewDirectory,
    /// Add organizations and contacts.
    EditDirectory,
    /// Users, roles, API tokens and the admin log.
    Administer,
    /// Read SLA clocks: a case's, the at-risk and breached lists, the dashboard, replays.
    ViewSla,
    /// Set the SLA policy and import calendars (it names webhook targets: admins only).
    ManageSla,
    /// Read the outbox and how the mailboxes are polled.
    ViewMail,
    /// Send a failed message again.
    RetryMail,
}

impl Action {
    /// Every action, in the order the policy table lists them.
    pub const ALL: [Action; 20] = [
        Action::ListCases,
        Action::ViewCase,
        Action::CreateCase,
        Action::Reply,
        Action::WriteNote,
        Action::ChangeStatus,
        Action::EditCase,
        Action::Assign,
        Action::ManageParticipants,
        Action::ChangeVisibility,
        Action::MergeOrSplit,
        Action::ViewQuarantine,
        Action::DecideQuarantine,
        Action::ViewDirectory,
        Action::EditDirectory,
        Action::Administer,
        Action::ViewSla,
        Action::ManageSla,
        Action::ViewMail,
        Action::RetryMail,
    ];

    /// The stable identifier, for error details and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::ListCases => "list_cases",
            Action::ViewCase => "view_case",
            Action::CreateCase => "create_case",
            Action::Reply => "reply",
            Action::WriteNote => "write_note",
            Action::ChangeStatus => "change_status",
            Action::EditCase => "edit_case",
            Action::Assign => "assign",
            Action::ManageParticipants => "manage_participants",
            Action::ChangeVisibility => "change_visibility",
            Action::MergeOrSplit => "merge_or_split",
            Action::ViewQuarantine => "view_quarantine",
            Action::DecideQuarantine => "decide_quarantine",
            Action::ViewDirectory => "view_directory",
            Action::EditDirectory => "edit_directory",
            Action::Administer => "administer",
            Action::ViewSla => "view_sla",
            Action::ManageSla => "manage_sla",
            Action::ViewMail => "view_mail",
            Action::RetryMail => "retry_mail",
        }
    }

    /// Whether the action concerns one case (and so the relation of the caller to its customer).
    pub fn on_case(self) -> bool {
        matches!(
            self,
            Action::ViewCase
                | Action::Reply
                | Action::WriteNote
                | Action::ChangeStatus
                | Action::EditCase
                | Action::Assign
                | Action::ManageParticipants
                | Action::ChangeVisibility
                | Action::MergeOrSplit
        )
    }
}

/// Who is asking: the role of a signed-in user and who they are to the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    /// The person's role.
    pub role: Role,
    /// Staff or a partner of one organization.
    pub viewer: Viewer,
}

/// The policy's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Go ahead.
    Allow,
    /// Not for this caller (HTTP 403): they may know the thing exists.
    Forbidden,
    /// As if it did not exist (HTTP 404): another organization's case is never confirmed.
    Hidden,
}

/// What a role may do, as one table: `role × action`, for staff; a partner's rights depend on the
/// case's organization as well.
pub fn decide(caller: Caller, action: Action, case_customer: Option<i64>) -> Verdict {
    use Action as A;
    match caller.viewer {
        Viewer::Partner { org_id } => {
            if action.on_case() && case_customer != Some(org_id) {
                return Verdict::Hidden;
            }
            match action {
                A::ListCases | A::ViewCase | A::CreateCase | A::Reply => Verdict::Allow,
                _ => Verdict::Forbidden,
            }
        }
        Viewer::Staff => {
            let allowed = match caller.role {
                Role::Admin => true,
                Role::Manager | Role::Engineer => !matches!(action, A::Administer | A::ManageSla),
                // Liaison staff connect partners and engineers: they read everything, write to
                // partners and notes, and keep the participants right, but do not run cases.
                Role::Liaison => matches!(
                    action,
                    A::ListCases
                        | A::ViewCase
                        | A::CreateCase
                        | A::Reply
                        | A::WriteNote
                        | A::ManageParticipants
                        | A::ViewQuarantine
                        | A::ViewDirectory
                        | A::EditDirectory
                        | A::ViewSla
                        | A::ViewMail
                ),
                // A staff member without a staff role reads only.
                Role::PartnerContact => matches!(action, A::ListCases | A::ViewCase),
            };
            if allowed {
                Verdict::Allow
            } else {
                Verdict::Forbidden
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACER: i64 = 1;
    const LENOVO: i64 = 2;

    fn check(
        viewer: Viewer,
        case: Option<i64>,
        visibility: Visibility,
        from: Option<i64>,
        expected: bool,
    ) {
        let facts = EntryFacts {
            visibility,
            org_id: from,
        };
        assert_eq!(
            may_view_entry(viewer, case, facts),
            expected,
            "{viewer:?} case {case:?} {facts:?}"
        );
    }

    #[test]
    fn entries() {
        use Visibility::{Internal, Public};
        let acer = Viewer::Partner { org_id: ACER };
        check(Viewer::Staff, Some(ACER), Internal, Some(LENOVO), true);
        check(acer, Some(ACER), Public, Some(ACER), true);
        check(acer, Some(ACER), Internal, Some(ACER), false);
        // Merged in from another customer: never shown, even when public.
        check(acer, Some(ACER), Public, Some(LENOVO), false);
        check(acer, Some(ACER), Public, None, false);
        // Another customer's case.
        check(acer, Some(LENOVO), Public, Some(ACER), false);
        check(acer, None, Public, Some(ACER), false);
    }

    #[test]
    fn email_entries_of_another_organization_are_internal() {
        use Visibility::{Internal, Public};
        assert_eq!(
            email_entry(Public, Some(ACER), Some(ACER)),
            EntryFacts {
                visibility: Public,
                org_id: Some(ACER)
            }
        );
        assert_eq!(
            email_entry(Public, None, Some(ACER)),
            EntryFacts {
                visibility: Public,
                org_id: Some(ACER)
            }
        );
        assert_eq!(
            email_entry(Public, Some(LENOVO), Some(ACER)),
            EntryFacts {
                visibility: Internal,
                org_id: Some(LENOVO)
            }
        );
        assert_eq!(
            email_entry(Internal, Some(ACER), Some(ACER)).visibility,
            Internal
        );
    }

    #[test]
    fn viewers() {
        assert_eq!(
            Viewer::for_person(Some(Role::Engineer), false, None),
            Some(Viewer::Staff)
        );
        assert_eq!(
            Viewer::for_person(Some(Role::Engineer), false, Some(ACER)),
            Some(Viewer::Partner { org_id: ACER })
        );
        assert_eq!(Viewer::for_person(None, true, None), Some(Viewer::Staff));
        assert_eq!(
            Viewer::for_person(Some(Role::PartnerContact), false, Some(ACER)),
            Some(Viewer::Partner { org_id: ACER })
        );
        assert_eq!(Viewer::for_person(None, false, None), None);
        assert!(may_view_case(Viewer::Staff, None));
        assert!(!may_view_case(
            Viewer::Partner { org_id: ACER },
            Some(LENOVO)
        ));
    }

    /// The whole policy as a table: one row per action, one column per caller, `A` allow,
    /// `F` forbidden, `H` hidden. Columns: admin, manager, engineer, liaison, staff member without
    /// a staff role, partner on their own organization's case, partner on another's.
    const TABLE: &str = "
        list_cases          A A A A A A A
        view_case           A A A A A A H
        create_case         A A A A F A A
        reply               A A A A F A H
        write_note          A A A A F F H
        change_status       A A A F F F H
        edit_case           A A A F F F H
        assign              A A A F F F H
        manage_participants A A A A F F H
        change_visibility   A A A F F F H
        merge_or_split      A A A F F F H
        view_quarantine     A A A A F F F
        decide_quarantine   A A A F F F F
        view_directory      A A A A F F F
        edit_directory      A A A A F F F
        administer          A F F F F F F
        view_sla            A A A A F F F
        manage_sla          A F F F F F F
        view_mail           A A A A F F F
        retry_mail          A A A F F F F
    ";

    #[test]
    fn the_policy_is_the_table() {
        let staff = |role| Caller {
            role,
            viewer: Viewer::Staff,
        };
        let partner = Caller {
            role: Role::PartnerContact,
            viewer: Viewer::Partner { org_id: ACER },
        };
        let columns = [
            (staff(Role::Admin), Some(ACER)),
            (staff(Role::Manager), Some(ACER)),
            (staff(Role::Engineer), Some(ACER)),
            (staff(Role::Liaison), Some(ACER)),
            (staff(Role::PartnerContact), Some(ACER)),
            (partner, Some(ACER)),
            (partner, Some(LENOVO)),
        ];
        let rows: Vec<&str> = TABLE
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        assert_eq!(rows.len(), Action::ALL.len(), "one row per action");
        for (row, action) in rows.iter().zip(Action::ALL) {
            let mut cells = row.split_whitespace();
            assert_eq!(cells.next(), Some(action.as_str()));
            for ((caller, customer), cell) in columns.iter().zip(cells) {
                let expected = match cell {
                    "A" => Verdict::Allow,
                    "F" => Verdict::Forbidden,
                    _ => Verdict::Hidden,
                };
                assert_eq!(
                    decide(*caller, action, *customer),
                    expected,
                    "{action:?} for {caller:?} on a case of {customer:?}"
                );
            }
        }
    }

    #[test]
    fn a_partner_role_in_any_organization_grants_nothing_beyond_the_portal() {
        // A staff role given to a customer's contact still makes a partner.
        let caller = Caller {
            role: Role::Admin,
            viewer: Viewer::Partner { org_id: ACER },
        };
        assert_eq!(decide(caller, Action::Administer, None), Verdict::Forbidden);
        assert_eq!(
            decide(caller, Action::WriteNote, Some(ACER)),
            Verdict::Forbidden
        );
        assert_eq!(decide(caller, Action::ViewCase, None), Verdict::Hidden);
    }
}
