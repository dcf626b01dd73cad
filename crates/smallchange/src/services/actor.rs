//! Who caused a change. Every use case is told who asked, and the rows that keep history
//! (a cash-out's timeline, review decisions, disputes, identity checks, destinations,
//! gift-card actions) record it, so the audit log and the console can say who did what.
//!
//! An operator (an API key, or a person signed in to the console) comes with its role, so
//! that a use case decides itself who may do it ([`Actor::may`]), whichever door asked.
//! The role is not part of the recorded form: history keeps who, not what they were allowed.

use std::fmt;

use super::Error;
use crate::store::tenants::{KeyOwner, Role};

/// The one who asked for a change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    /// An operator's API key (its id, never its secret), with its role.
    ApiKey { key_id: String, role: Role },
    /// A person at the operator signed in to the console (`opu_…`), with their role.
    OperatorUser { user_id: String, role: Role },
    /// The wallet's own user, signed in to the web wallet (`usr_…`).
    EndUser { user_id: String },
    /// A cash-pickup agent of the operator, with its own key (`cpa_…`).
    Agent { agent_id: String },
    /// smallchange itself: the worker or command that did it (`cashout-worker`, `cli`).
    System(&'static str),
}

impl Actor {
    pub fn api_key(owner: &KeyOwner) -> Actor {
        Actor::ApiKey { key_id: owner.key_id.clone(), role: owner.role }
    }

    /// The form stored in `actor` columns: `api_key:key_…`, `operator:opu_…`, `user:usr_…`,
    /// `agent:cpa_…`, `system:<worker>`. A row written before actors were recorded has none.
    pub fn recorded(&self) -> String {
        self.to_string()
    }

    /// The role of an operator (a key or a console user); `None` for anyone else.
    pub fn operator_role(&self) -> Option<Role> {
        match self {
            Actor::ApiKey { role, .. } | Actor::OperatorUser { role, .. } => Some(*role),
            _ => None,
        }
    }

    /// Refuses with `permission_denied` (403) unless this is an operator whose role is one
    /// of `roles`; `what` says what was refused ("freeze a user").
    pub fn may(&self, roles: &[Role], what: &str) -> Result<(), Error> {
        match self.operator_role() {
            Some(role) if roles.contains(&role) => Ok(()),
            Some(role) => Err(Error::forbidden(format!("the {} role may not {what}", role.as_str()))),
            None => Err(Error::forbidden(format!("only an operator may {what}"))),
        }
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::ApiKey { key_id, .. } => write!(f, "api_key:{key_id}"),
            Actor::OperatorUser { user_id, .. } => write!(f, "operator:{user_id}"),
            Actor::EndUser { user_id } => write!(f, "user:{user_id}"),
            Actor::Agent { agent_id } => write!(f, "agent:{agent_id}"),
            Actor::System(name) => write!(f, "system:{name}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stored_form_is_the_kind_and_the_id_without_the_role() {
        let actors = [
            (Actor::ApiKey { key_id: "key_abc".into(), role: Role::Admin }, "api_key:key_abc"),
            (Actor::OperatorUser { user_id: "opu_1".into(), role: Role::Support }, "operator:opu_1"),
            (Actor::EndUser { user_id: "usr_2".into() }, "user:usr_2"),
            (Actor::Agent { agent_id: "cpa_3".into() }, "agent:cpa_3"),
            (Actor::System("cashout-worker"), "system:cashout-worker"),
            (Actor::System("ewallet-callback"), "system:ewallet-callback"),
        ];
        for (actor, recorded) in actors {
            assert_eq!(actor.recorded(), recorded);
        }
    }

    #[test]
    fn only_an_operator_of_an_allowed_role_may() {
        let allowed = [Role::Admin, Role::Support];
        let key = |role| Actor::ApiKey { key_id: "key_1".into(), role };
        let person = |role| Actor::OperatorUser { user_id: "opu_1".into(), role };
        assert!(key(Role::Admin).may(&allowed, "freeze a user").is_ok());
        assert!(person(Role::Support).may(&allowed, "freeze a user").is_ok());
        for refused in [key(Role::Readonly), key(Role::Reviewer), person(Role::Reviewer), person(Role::Readonly)] {
            let error = refused.may(&allowed, "freeze a user").unwrap_err();
            assert_eq!((error.kind(), error.code()), (crate::services::Kind::Forbidden, "permission_denied"));
        }
        let user = Actor::EndUser { user_id: "usr_1".into() };
        assert!(user.may(&allowed, "freeze a user").is_err());
        assert!(Actor::System("cli").may(&allowed, "freeze a user").is_err());
    }
}
