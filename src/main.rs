//! chainsmith: prepare and check X.509 CA chains. The binary only parses,
//! runs and maps the outcome to an exit code; everything else lives in the
//! library.
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = chainsmith::cli::Cli::parse();
    match chainsmith::run(cli) {
        Ok(status) => status.into(),
        Err(err) => chainsmith::report::print_error(&err),
    }
}
