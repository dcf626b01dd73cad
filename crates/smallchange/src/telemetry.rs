//! Structured logs through `tracing`, set up once per process. `RUST_LOG` filters them
//! (default `info`); `log_format = "json"` emits one JSON object per line. Every request
//! is logged once under [`REQUEST_TARGET`] (see `http::request_log`).

use tracing_subscriber::EnvFilter;

/// The target of the one line each HTTP request is logged with.
pub const REQUEST_TARGET: &str = "smallchange::request";

const DEFAULT_FILTER: &str = "info,sqlx=warn";

pub fn init(json: bool) {
    init_with(json, DEFAULT_FILTER);
}

/// As [`init`], but without the request lines unless `RUST_LOG` asks for them: a
/// benchmark's server answers hundreds of thousands of requests.
pub fn init_for_bench(json: bool) {
    init_with(json, &format!("{DEFAULT_FILTER},{REQUEST_TARGET}=off"));
}

fn init_with(json: bool, default_filter: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    // Colours only for a person at a terminal: a file or a log collector gets plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    // A second init (tests start many servers in one process) keeps the first subscriber.
    let _ = if json { builder.json().try_init() } else { builder.try_init() };
}
