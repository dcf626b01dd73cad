//! Who caused a change. Every use case is told who asked, and the rows that keep history
//! (a cash-out's timeline, review decisions, disputes, identity checks, destinations,
//! gift-card actions) record it, so the audit log and the console can say who did what.

use std::fmt;

use crate::store::tenants::KeyOwner;

/// The one who asked for a change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    /// An operator's API key (its id, never its secret).
    ApiKey { key_id: String },
    /// A person at the operator signed in to the console (`opu_…`).
    OperatorUser { user_id: String },
    /// The wallet's own user, signed in to the web wallet (`usr_…`).
    EndUser { user_id: String },
    /// A cash-pickup agent of the operator, with its own key (`cpa_…`).
    Agent { agent_id: String },
    /// smallchange itself: the worker or command that did it (`cashout-worker`, `cli`).
    System(&'static str),
}

impl Actor {
    pub fn api_key(owner: &KeyOwner) -> Actor {
        Actor::ApiKey { key_id: owner.key_id.clone() }
    }

    /// The form stored in `actor` columns: `api_key:key_…`, `operator:opu_…`, `user:usr_…`,
    /// `agent:cpa_…`, `system:<worker>`. A row written before actors were recorded has none.
    pub fn recorded(&self) -> String {
        self.to_string()
    }

    /// Reads the stored form back; `None` for anything else.
    pub fn parse(text: &str) -> Option<Actor> {
        let (kind, id) = text.split_once(':')?;
        if id.is_empty() {
            return None;
        }
        match kind {
            "api_key" => Some(Actor::ApiKey { key_id: id.to_string() }),
            "operator" => Some(Actor::OperatorUser { user_id: id.to_string() }),
            "user" => Some(Actor::EndUser { user_id: id.to_string() }),
            "agent" => Some(Actor::Agent { agent_id: id.to_string() }),
            "system" => SYSTEM_NAMES.iter().find(|name| **name == id).map(|name| Actor::System(name)),
            _ => None,
        }
    }
}

/// The system actors there are; [`Actor::parse`] knows only these. `ewallet-callback` is
/// smallchange applying an e-wallet partner's signed callback.
pub const SYSTEM_NAMES: &[&str] = &[
    "cashout-worker",
    "bank-worker",
    "ewallet-worker",
    "ewallet-callback",
    "auto-cashout",
    "cli",
    "demo",
    "gift-card-notices",
    "wallet-sign-in",
];

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::ApiKey { key_id } => write!(f, "api_key:{key_id}"),
            Actor::OperatorUser { user_id } => write!(f, "operator:{user_id}"),
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
    fn the_stored_form_reads_back() {
        let actors = [
            Actor::ApiKey { key_id: "key_abc".into() },
            Actor::OperatorUser { user_id: "opu_1".into() },
            Actor::EndUser { user_id: "usr_2".into() },
            Actor::Agent { agent_id: "cpa_3".into() },
            Actor::System("cashout-worker"),
            Actor::System("ewallet-callback"),
        ];
        for actor in actors {
            assert_eq!(Actor::parse(&actor.recorded()), Some(actor));
        }
        assert_eq!(Actor::parse("api_key:"), None);
        assert_eq!(Actor::parse("system:someone"), None);
        assert_eq!(Actor::parse("robot:1"), None);
    }

    #[test]
    fn an_agent_is_stored_as_agent_and_its_id() {
        let agent = Actor::Agent { agent_id: "cpa_01hx".into() };
        assert_eq!(agent.recorded(), "agent:cpa_01hx");
        assert_eq!(Actor::parse("agent:cpa_01hx"), Some(agent));
        assert_eq!(Actor::parse("agent:"), None);
    }
}
