//! Use cases: what smallchange does, written once whichever door asks (the JSON API, the
//! coming web pages, the workers, the CLI). A use case takes the shared
//! [`Context`](crate::context::Context), the [`Actor`] who asked and parsed domain input,
//! and answers with a domain result or an [`Error`] carrying a stable code; it knows
//! nothing of HTTP. One module per family: users and identity (`users`), funding and
//! payments (`topups`, `payments`), balances and statements (`balances`), gift cards,
//! cash-out, review, disputes, webhooks admin, the summary report (`reports`); the
//! operator's name as people read it (`operator`); and whom the guards against guessing
//! (`crate::limits`) count a try against (`limits`). See docs/ARCHITECTURE.md.

pub mod actor;
pub mod audit;
pub mod audit_verify;
pub mod balances;
pub mod cashout;
pub mod commit;
pub mod disputes;
pub mod error;
pub mod gift_cards;
pub mod limits;
pub mod operator;
pub mod operators;
pub mod page;
pub mod payments;
pub mod reports;
pub mod review;
pub mod tenants;
pub mod tokens;
pub mod topups;
pub mod users;
pub mod wallet_access;
pub mod webhooks;

pub use actor::Actor;
pub use error::{Error, Kind};
pub use page::Page;
