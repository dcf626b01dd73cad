//! Use cases: what smallchange does, written once whichever door asks (the JSON API, the
//! coming web pages, the workers, the CLI). A use case takes the shared
//! [`Context`](crate::context::Context) and parsed domain input, and answers with a domain
//! result or an [`Error`] carrying a stable code; it knows nothing of HTTP.
//!
//! The cash-out use cases still live in [`crate::cashout`]; the wallet's still sit in the
//! HTTP handlers and move here family by family (see docs/ARCHITECTURE.md): top-ups,
//! balances and gift cards have.

pub mod actor;
pub mod balances;
pub mod commit;
pub mod error;
pub mod gift_cards;
mod lookup;
pub mod topups;

pub use actor::Actor;
pub use error::{Error, Kind};
