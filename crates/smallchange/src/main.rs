//! The `smallchange` binary: only glue; see `cli/mod.rs`.

fn main() -> std::process::ExitCode {
    smallchange::cli::main()
}
