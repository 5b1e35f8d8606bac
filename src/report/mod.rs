//! Everything chainsmith prints goes through here: findings and requested
//! output to stdout, progress, notes and errors to stderr.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::borrow::Cow;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use crate::cli::{ColorChoice, GlobalArgs};
use crate::exit::ExitStatus;
use crate::lint::Severity;
use crate::lint::engine::FileResult;

pub mod github;
pub mod human;
pub mod json;
pub mod sarif;

/// A file that could not be read during `lint`.
#[derive(Debug, Clone)]
pub struct IoFailure {
    pub path: String,
    pub message: String,
}

/// Everything a lint run produced, for the renderers.
pub struct LintReport<'a> {
    pub files: &'a [FileResult],
    pub io_errors: &'a [IoFailure],
    pub fail_on: Severity,
    pub exit: ExitStatus,
}

/// Counts for summaries.
#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    pub errors: usize,
    pub warnings: usize,
    pub notes: usize,
    pub certificates: usize,
    pub clean_files: usize,
}

impl LintReport<'_> {
    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for f in self.files {
            c.certificates += f.certificates;
            if f.findings.is_empty() {
                c.clean_files += 1;
            }
            for x in &f.findings {
                match x.severity {
                    Severity::Error => c.errors += 1,
                    Severity::Warning => c.warnings += 1,
                    Severity::Note => c.notes += 1,
                }
            }
        }
        c
    }
}

pub mod inspect;

/// Output settings shared by every command.
#[derive(Debug, Clone)]
pub struct Printer {
    pub quiet: bool,
    pub verbose: u8,
    pub color: bool,
}

impl Printer {
    pub fn new(global: &GlobalArgs) -> Self {
        Printer {
            quiet: global.quiet,
            verbose: global.verbose,
            color: use_color(global.color, std::io::stdout().is_terminal()),
        }
    }

    /// Requested output (a table, a bundle, findings). A closed pipe is not an error.
    pub fn out(&self, text: &str) -> std::io::Result<()> {
        let mut out = std::io::stdout().lock();
        match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            other => other,
        }
    }

    /// Human notes on stderr, suppressed by --quiet.
    pub fn info(&self, text: &str) {
        if !self.quiet {
            eprintln!("{text}");
        }
    }

    /// Extra detail with -v.
    pub fn debug(&self, text: &str) {
        if self.verbose > 0 && !self.quiet {
            eprintln!("{text}");
        }
    }

    /// Progress display is for people: only on a terminal, never with
    /// --quiet, never in CI (`CI=true`), so scripted output stays byte-clean.
    pub fn interactive(&self) -> bool {
        !self.quiet && std::io::stderr().is_terminal() && !running_in_ci()
    }

    /// A spinner with `message` on stderr while slow work runs; None when
    /// not interactive. Finish it with `done`.
    pub fn spinner(&self, message: &str) -> Option<indicatif::ProgressBar> {
        if !self.interactive() {
            return None;
        }
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_message(message.to_owned());
        bar.enable_steady_tick(std::time::Duration::from_millis(100));
        Some(bar)
    }

    /// A progress bar over `len` items; None when not interactive.
    pub fn progress(&self, len: u64, message: &str) -> Option<indicatif::ProgressBar> {
        if !self.interactive() {
            return None;
        }
        let bar = indicatif::ProgressBar::new(len);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} ({eta})")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(message.to_owned());
        Some(bar)
    }

    /// Errors that do not stop the run (an unreadable file during lint).
    pub fn error(&self, text: &str) {
        eprintln!("error: {}", escape(text));
    }

    /// Warnings on stderr, even with --quiet.
    pub fn warn(&self, text: &str) {
        eprintln!("warning: {text}");
    }
}

/// CI systems set CI=true (GitHub Actions, GitLab, and this project's CI).
pub fn running_in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Colour decision: `always`/`never` win; `auto` needs a terminal and no NO_COLOR.
pub fn use_color(choice: ColorChoice, is_tty: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => is_tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    }
}

/// Print a failed command's error as one line and return exit code 2.
/// A broken pipe (`chainsmith ... | head`) exits 0, as ripgrep does.
pub fn print_error(err: &anyhow::Error) -> ExitCode {
    if err.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    }) {
        return ExitCode::SUCCESS;
    }
    let msg = format!("{err:#}");
    eprintln!("error: {}", escape(&msg.replace('\n', " ")));
    ExitCode::from(crate::ExitStatus::Error as u8)
}

/// Escape control characters (and so terminal escape sequences) in text that
/// came from a certificate or a file name.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_terminal_sequences() {
        assert_eq!(escape("CN=\u{1b}[31mred"), "CN=\\u{1b}[31mred");
        assert_eq!(escape("plain"), "plain");
        assert_eq!(escape("a\nb\tc"), "a\\nb\\tc");
    }
}
