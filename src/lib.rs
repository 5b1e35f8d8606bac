//! chainsmith prepares and checks X.509 CA chains for API gateways, web
//! servers and Kubernetes pods. `run` dispatches one parsed command line.
pub mod alerts;
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
    if cli.command.may_hold_secrets() {
        no_core_dumps();
    }
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
        Command::Rotate(args) => commands::rotate::run(args, &global),
    }
}

/// Keep key material and passwords out of core files: a crash or a SIGQUIT
/// while a key is in memory must not write it to disk. The process becomes
/// non-dumpable (`PR_SET_DUMPABLE` 0, which also stops other processes of
/// the same user from reading its memory through ptrace or /proc) and its
/// core size limit, soft and hard, is 0. Failures are ignored: both calls
/// only lower what the process may do.
fn no_core_dumps() {
    #[cfg(unix)]
    {
        let zero = rustix::process::Rlimit {
            current: Some(0),
            maximum: Some(0),
        };
        let _ = rustix::process::setrlimit(rustix::process::Resource::Core, zero);
    }
    #[cfg(target_os = "linux")]
    {
        let _ =
            rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable);
    }
}
