use std::path::PathBuf;

use clap::{Args, ValueEnum};

const COMPLETIONS_AFTER: &str = "EXAMPLES:
  bash (current user):
    chainsmith completions bash > ~/.local/share/bash-completion/completions/chainsmith
  zsh (a directory on $fpath):
    chainsmith completions zsh > ~/.zfunc/_chainsmith
  fish:
    chainsmith completions fish > ~/.config/fish/completions/chainsmith.fish
  PowerShell (add to $PROFILE):
    chainsmith completions powershell | Out-String | Invoke-Expression

EXIT CODES:
  0  the script was printed
  2  usage error";

const MAN_AFTER: &str = "EXAMPLES:
  Read it now:
    chainsmith man | man -l -
  Install the pages for the current user:
    chainsmith man -o ~/.local/share/man/man1 && mandb -q

EXIT CODES:
  0  the page(s) were written
  2  usage or I/O error";

#[derive(Debug, Args)]
#[command(after_help = COMPLETIONS_AFTER)]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: Shell,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    #[value(name = "powershell")]
    PowerShell,
    Elvish,
}

#[derive(Debug, Args)]
#[command(after_help = MAN_AFTER)]
pub struct ManArgs {
    /// Write chainsmith.1 and one page per subcommand into DIR instead of printing chainsmith.1
    #[arg(short, long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Overwrite existing pages
    #[arg(long)]
    pub force: bool,
}
