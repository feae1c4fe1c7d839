//! Who gives a command, and the one check of what they may do.
//!
//! Every command that reads or changes a case takes an [`Actor`]; the access policy
//! (`case::access::decide`) answers for it. The CLI acts as the local operator, who may do
//! everything; the web and the API act as the signed-in user or the token's user.

use case::access::{self, Action, Caller, Verdict, Viewer};
use case::party::Role;
use serde_json::json;
use store::cases::CaseRecord;

use crate::{App, AppError, CLI_ACTOR};

/// Who gives a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// How the timeline names them: a login, or `cli`.
    pub name: String,
    /// Their person record, when they are a signed-in user.
    pub person_id: Option<i64>,
    /// Their role and who they are to the access policy.
    pub caller: Caller,
}

impl Actor {
    /// The local operator at the command line, who may do everything.
    pub fn operator() -> Actor {
        Actor {
            name: CLI_ACTOR.to_string(),
            person_id: None,
            caller: Caller {
                role: Role::Admin,
                viewer: Viewer::Staff,
            },
        }
    }

    /// Staff or a partner of one organization.
    pub fn viewer(&self) -> Viewer {
        self.caller.viewer
    }

    /// Whether the policy lets them do this (on a case of this customer, for actions on a case).
    pub fn may(&self, action: Action, case_customer: Option<i64>) -> bool {
        access::decide(self.caller, action, case_customer) == Verdict::Allow
    }
}

impl App {
    /// Refuses an action the policy does not allow, outside any case.
    pub(crate) fn permit(&self, actor: &Actor, action: Action) -> Result<(), AppError> {
        match access::decide(actor.caller, action, None) {
            Verdict::Allow => Ok(()),
            Verdict::Forbidden | Verdict::Hidden => Err(AppError::forbidden(action)),
        }
    }

    /// Refuses an action on a case the policy does not allow; a case the actor may not see at all
    /// is answered as no case (`label` as they wrote it), so that numbers cannot be probed.
    pub(crate) fn permit_case(
        &self,
        actor: &Actor,
        action: Action,
        record: &CaseRecord,
        label: &str,
    ) -> Result<(), AppError> {
        match access::decide(actor.caller, action, record.customer_org_id) {
            Verdict::Allow => Ok(()),
            Verdict::Forbidden => Err(AppError::forbidden(action)),
            Verdict::Hidden => Err(AppError::case_not_found(label)),
        }
    }
}

pub(crate) fn forbidden_details(action: Action) -> serde_json::Value {
    json!({ "action": action.as_str() })
}

impl crate::auth::Principal {
    /// The actor a signed-in user (or a token's user) is to every command.
    pub fn actor(&self) -> Actor {
        Actor {
            name: self.login.clone(),
            person_id: Some(self.person_id),
            caller: Caller {
                role: self.role,
                viewer: self.viewer,
            },
        }
    }
}
