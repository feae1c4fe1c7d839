//! When merging two cases needs a person's confirmation.
//!
//! A merge moves the duplicate's whole timeline; across customers that would show one customer's
//! mail to another once the portal exists, and into a closed case it would bury live work. Both are
//! refused unless the person confirms (`--force` in the CLI, a warning in the web).

use crate::status::Status;

/// What a merge needs to know of each case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MergeSide<'a> {
    /// The customer organization, when it is a known one.
    pub customer_org: Option<i64>,
    /// The customer's name as the case knows it.
    pub customer: &'a str,
    /// The case's status.
    pub status: Status,
}

/// Why a merge needs confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MergeConcern {
    /// The cases belong to different customers.
    OtherCustomer,
    /// The case that stays is archived, resolved or cancelled.
    ClosedTarget(Status),
}

impl MergeConcern {
    /// The stable identifier.
    pub fn as_str(&self) -> &'static str {
        match self {
            MergeConcern::OtherCustomer => "other_customer",
            MergeConcern::ClosedTarget(_) => "closed_target",
        }
    }
}

/// Whether two cases belong to different customers: different known organizations, or, where
/// neither is known, different names (compared without case).
pub fn other_customer(keep: MergeSide<'_>, gone: MergeSide<'_>) -> bool {
    match (keep.customer_org, gone.customer_org) {
        (None, None) => !keep
            .customer
            .trim()
            .eq_ignore_ascii_case(gone.customer.trim()),
        (keep_org, gone_org) => keep_org != gone_org,
    }
}

/// What a person must confirm before `gone` is merged into `keep`; empty when nothing.
pub fn concerns(keep: MergeSide<'_>, gone: MergeSide<'_>) -> Vec<MergeConcern> {
    let mut concerns = Vec::new();
    if other_customer(keep, gone) {
        concerns.push(MergeConcern::OtherCustomer);
    }
    if keep.status.is_closed() {
        concerns.push(MergeConcern::ClosedTarget(keep.status));
    }
    concerns
}

#[cfg(test)]
mod tests {
    use super::*;

    fn side(customer_org: Option<i64>, customer: &str, status: Status) -> MergeSide<'_> {
        MergeSide {
            customer_org,
            customer,
            status,
        }
    }

    #[test]
    fn concerns_of_merges() {
        let acer = side(Some(1), "Acer", Status::InProgress);
        assert_eq!(concerns(acer, side(Some(1), "Acer", Status::New)), vec![]);
        assert_eq!(
            concerns(acer, side(Some(2), "Lenovo", Status::New)),
            vec![MergeConcern::OtherCustomer]
        );
        assert_eq!(
            concerns(acer, side(None, "Acer", Status::New)),
            vec![MergeConcern::OtherCustomer]
        );
        assert_eq!(
            concerns(
                side(None, "acer", Status::New),
                side(None, "Acer ", Status::New)
            ),
            vec![]
        );
        assert_eq!(
            concerns(
                side(Some(1), "Acer", Status::Cancelled),
                side(Some(2), "Lenovo", Status::New)
            ),
            vec![
                MergeConcern::OtherCustomer,
                MergeConcern::ClosedTarget(Status::Cancelled)
            ]
        );
        assert_eq!(
            concerns(
                side(Some(1), "Acer", Status::Archived),
                side(Some(1), "Acer", Status::New)
            ),
            vec![MergeConcern::ClosedTarget(Status::Archived)]
        );
    }
}
