//! What a person reads, written as people write it: money (`₩30,000` / `30,000원`), times in
//! the tenant's zone to the minute (`2026-12-03 15:42 KST`), and the language they read in
//! (Korean unless they ask for English), the Fluent catalogs of the words they read
//! ([`i18n`]) and a destination as they name it ([`destination`]). Pure: no IO, no HTTP;
//! the pages, SMS and reasons that people read are built from these.

pub mod cashout;
pub mod csv;
pub mod destination;
pub mod i18n;
pub mod lang;
pub mod money;
pub mod sms;
pub mod time;

pub use lang::Lang;
pub use money::{money, percent};
pub use time::local_time;
