//! The `smallchange` binary: only glue; see `cli.rs`.

fn main() -> std::process::ExitCode {
    smallchange::cli::main()
}
