//! Use cases: what smallchange does, written once whichever door asks (the JSON API, the
//! coming web pages, the workers, the CLI). A use case takes the shared
//! [`Context`](crate::context::Context) and parsed domain input, and answers with a domain
//! result or an [`Error`] carrying a stable code; it knows nothing of HTTP.
//!
//! The wallet's use cases still sit in the HTTP handlers and move here family by family
//! (see docs/ARCHITECTURE.md).

pub mod actor;
pub mod cashout;
pub mod commit;
pub mod disputes;
pub mod error;
pub mod page;
pub mod payments;
pub mod review;
pub mod users;
pub mod webhooks;

pub use actor::Actor;
pub use error::{Error, Kind};
pub use page::Page;
