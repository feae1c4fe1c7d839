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
}
