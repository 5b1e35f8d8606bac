//! `completions` and `man`: generated from the same clap definitions as the
//! parser, so they never drift from it.
use anyhow::Context;
use clap::CommandFactory;

use crate::ExitStatus;
use crate::cli::completions::{CompletionsArgs, ManArgs, Shell};
use crate::cli::{Cli, GlobalArgs};
use crate::fsio::{Mode, WriteSet};
use crate::report::Printer;

pub fn completions(args: CompletionsArgs, global: &GlobalArgs) -> anyhow::Result<ExitStatus> {
    use clap_complete::Shell as S;
    let shell = match args.shell {
        Shell::Bash => S::Bash,
        Shell::Zsh => S::Zsh,
        Shell::Fish => S::Fish,
        Shell::PowerShell => S::PowerShell,
        Shell::Elvish => S::Elvish,
    };
    let mut cmd = Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, "chainsmith", &mut buf);
    Printer::new(global).out(&String::from_utf8_lossy(&buf))?;
    Ok(ExitStatus::Clean)
}

/// Render `chainsmith.1` and, for a directory, `chainsmith-SUB.1` per subcommand.
pub fn pages() -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let cmd = Cli::command();
    let mut out = Vec::new();
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd.clone())
        .render(&mut buf)
        .context("rendering the man page")?;
    out.push(("chainsmith.1".to_owned(), buf));
    for sub in cmd.get_subcommands() {
        let name = format!("chainsmith-{}", sub.get_name());
        let sub = sub.clone().name(name.clone());
        let mut buf = Vec::new();
        clap_mangen::Man::new(sub)
            .render(&mut buf)
            .with_context(|| format!("rendering {name}.1"))?;
        out.push((format!("{name}.1"), buf));
    }
    Ok(out)
}

pub fn man(args: ManArgs, global: &GlobalArgs) -> anyhow::Result<ExitStatus> {
    let printer = Printer::new(global);
    let pages = pages()?;
    match args.out {
        None => {
            let main = pages.first().map(|(_, b)| b.as_slice()).unwrap_or_default();
            printer.out(&String::from_utf8_lossy(main))?;
        }
        Some(dir) => {
            let mut set = WriteSet::new();
            for (name, bytes) in pages {
                set.add(dir.join(name), bytes, Mode::Public);
            }
            let written = set.commit(args.force)?;
            printer.info(&format!(
                "wrote {} man pages to {}",
                written.len(),
                dir.display()
            ));
        }
    }
    Ok(ExitStatus::Clean)
}
