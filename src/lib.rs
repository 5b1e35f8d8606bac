//! chainsmith prepares and checks X.509 CA chains for API gateways, web
//! servers and Kubernetes pods. `run` dispatches one parsed command line.
pub mod cli;
pub mod commands;
pub mod error;
pub mod exit;
pub mod export;
pub mod fsio;
pub mod limits;
pub mod lint;
pub mod pki;
pub mod report;
pub mod secret;
pub mod tls;

use cli::{Cli, Command};
pub use exit::ExitStatus;

/// Run one command. `Ok` carries the exit status for normal outcomes
/// (including lint findings); `Err` is a usage, I/O or failed-work error.
pub fn run(cli: Cli) -> anyhow::Result<ExitStatus> {
    let global = cli.global;
    match cli.command {
        Command::Generate(args) => commands::generate::run(args, &global),
        Command::Issue(args) => commands::issue::run(args, &global),
        Command::Convert(args) => commands::convert::run(args, &global),
        Command::Bundle(args) => commands::bundle::run(args, &global),
        Command::Inspect(args) => commands::inspect::run(args, &global),
        Command::Export(args) => commands::export::run(args, &global),
        Command::Completions(args) => commands::completions::completions(args, &global),
        Command::Man(args) => commands::completions::man(args, &global),
        Command::Lint(args) => commands::lint::run(args, &global),
        Command::Rules(args) => commands::rules::run(args, &global),
        Command::Probe(args) => commands::probe::run(args, &global),
    }
}
