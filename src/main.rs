//! The `zkconsent` command line.
#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used)]

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
