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
pub mod plan;
pub mod probe;
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
    /// `probe`'s records per target (empty for `lint`).
    pub probe: &'a [probe::ProbeTarget],
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

/// The output formats of `lint` and `probe`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Github,
}

impl<'a> LintReport<'a> {
    /// A report with its exit code, computed here and nowhere else: 2 when a
    /// file could not be read, else 1 when a finding reaches `fail_on`
    /// (unless `exit_zero`), else 0.
    pub fn new(
        files: &'a [FileResult],
        io_errors: &'a [IoFailure],
        fail_on: Severity,
        exit_zero: bool,
    ) -> Self {
        let failing = files
            .iter()
            .flat_map(|f| &f.findings)
            .any(|x| x.severity >= fail_on);
        let exit = if !io_errors.is_empty() {
            ExitStatus::Error
        } else if failing && !exit_zero {
            ExitStatus::Findings
        } else {
            ExitStatus::Clean
        };
        LintReport {
            files,
            io_errors,
            fail_on,
            exit,
            probe: &[],
        }
    }

    /// The same report with `probe`'s records per target.
    pub fn with_probe(self, targets: &'a [probe::ProbeTarget]) -> Self {
        LintReport {
            probe: targets,
            ..self
        }
    }
}

/// Render a report in `format` and print it on stdout; returns its exit code.
pub fn emit(format: Format, rep: &LintReport<'_>, printer: &Printer) -> anyhow::Result<ExitStatus> {
    let text = match format {
        Format::Human => human::render(rep, printer.color),
        Format::Json => json::render(rep)?,
        Format::Sarif => sarif::render(rep)?,
        Format::Github => github::render(rep),
    };
    printer.out(&text)?;
    Ok(rep.exit)
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
            eprintln!("{}", escape_text(text));
        }
    }

    /// Extra detail with -v.
    pub fn debug(&self, text: &str) {
        if self.verbose > 0 && !self.quiet {
            eprintln!("{}", escape_text(text));
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
        eprintln!("error: {}", escape_text(text));
    }

    /// Warnings on stderr, even with --quiet.
    pub fn warn(&self, text: &str) {
        eprintln!("warning: {}", escape_text(text));
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
    eprintln!("error: {}", escape_text(&msg.replace('\n', " ")));
    ExitCode::from(crate::ExitStatus::Error as u8)
}

/// Echoed values (a subject, a SAN, a file name) longer than this many
/// characters, once escaped, are cut in the middle: `start…end`.
pub const MAX_ECHO_CHARS: usize = 200;
/// Whole lines (a message with values in it) are cut at this many characters.
pub const MAX_TEXT_CHARS: usize = 4096;

/// Characters never printed raw: control characters (C0, DEL, C1: terminal
/// escape sequences, line breaks) and the invisible format characters that
/// change how the rest of a line reads (Unicode "Trojan Source" controls).
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'                      // soft hyphen
            | '\u{061C}'                    // arabic letter mark
            | '\u{180E}'                    // mongolian vowel separator
            | '\u{200B}'..='\u{200F}'      // zero-width space/joiners, LRM, RLM
            | '\u{2028}' | '\u{2029}'      // line and paragraph separators
            | '\u{202A}'..='\u{202E}'      // bidi embeddings and overrides
            | '\u{2060}'..='\u{2064}'      // word joiner, invisible operators
            | '\u{2066}'..='\u{2069}'      // bidi isolates
            | '\u{206A}'..='\u{206F}'      // deprecated format controls
            | '\u{FEFF}'                    // zero-width no-break space (BOM)
            | '\u{FFF9}'..='\u{FFFB}'      // interlinear annotations
            | '\u{E0000}'..='\u{E007F}' // tag characters (invisible ASCII)
        )
}

/// Escape a value that came from a certificate, a file name or a config
/// value for printing: unsafe characters (see [`is_unsafe_char`]) become
/// `\u{1b}`-style escapes, and the result is cut to [`MAX_ECHO_CHARS`].
/// Idempotent, so a value escaped at the call site and again at the sink
/// (`Printer::warn`) is unchanged by the second pass.
pub fn escape(s: &str) -> Cow<'_, str> {
    escape_within(s, MAX_ECHO_CHARS)
}

/// A path as [`escape`] shows it (`-o DIR` echoed in a summary, say).
pub fn escape_path(path: &std::path::Path) -> String {
    escape(&path.display().to_string()).into_owned()
}

/// Escape a whole line or message (the sinks: `Printer::warn`, `error`,
/// the lint renderers): as [`escape`], but cut only at [`MAX_TEXT_CHARS`].
pub fn escape_text(s: &str) -> Cow<'_, str> {
    escape_within(s, MAX_TEXT_CHARS)
}

fn escape_within(s: &str, max: usize) -> Cow<'_, str> {
    let unsafe_chars = s.chars().any(is_unsafe_char);
    // Byte length bounds the character count: most inputs skip the count.
    if !unsafe_chars && (s.len() <= max || s.chars().count() <= max) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe_char(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(cut_middle(out, max))
}

/// Keep the start and the end (a file name is at the end of its path) of a
/// text longer than `max` characters, with `…` between; `max` in total.
fn cut_middle(s: String, max: usize) -> String {
    let n = s.chars().count();
    if n <= max || max < 2 {
        return s;
    }
    let tail = (max - 1) / 3;
    let head = max - 1 - tail;
    let mut out: String = s.chars().take(head).collect();
    out.push('…');
    out.extend(s.chars().skip(n - tail));
    out
}

/// Escape, in JSON text made by serde_json, what serde leaves raw inside
/// strings: DEL, C1 controls and the format characters of
/// [`is_unsafe_char`] become `\uXXXX` escapes, so `cat report.json` cannot
/// drive a terminal or reorder a line. The parsed value is unchanged; the
/// newlines of pretty-printing are layout, not string content, and stay.
pub fn json_safe(json: String) -> String {
    if !json.chars().any(|c| c != '\n' && is_unsafe_char(c)) {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if c != '\n' && is_unsafe_char(c) {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        } else {
            out.push(c);
        }
    }
    out
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

    #[test]
    fn escapes_bidi_and_invisible_format_characters() {
        for c in [
            '\u{202A}',
            '\u{202E}',
            '\u{2066}',
            '\u{2069}',
            '\u{200E}',
            '\u{200F}',
            '\u{061C}',
            '\u{FEFF}',
            '\u{2028}',
            '\u{2029}',
            '\u{200B}',
            '\u{E0041}',
            '\u{9B}',
            '\u{7F}',
        ] {
            let s = format!("CN=a{c}b");
            let e = escape(&s);
            assert!(!e.contains(c), "{c:?} printed raw: {e}");
            assert!(e.starts_with("CN=a\\u{") && e.ends_with("}b"), "{e}");
        }
        assert_eq!(escape("a\u{202E}b"), "a\\u{202e}b");
        // Letters of right-to-left scripts are text, not controls.
        assert_eq!(escape("CN=שלום"), "CN=שלום");
    }

    #[test]
    fn long_values_are_cut_in_the_middle_and_keep_both_ends() {
        let long = format!("/start/{}/name.pem", "x".repeat(1000));
        let e = escape(&long);
        assert_eq!(e.chars().count(), MAX_ECHO_CHARS);
        assert!(e.starts_with("/start/x"), "{e}");
        assert!(e.ends_with("x/name.pem"), "{e}");
        assert!(e.contains('…'));
        // A whole line keeps up to MAX_TEXT_CHARS.
        assert_eq!(escape_text(&long), long);
        // Short values, even with many bytes per character, stay whole.
        let wide = "é".repeat(MAX_ECHO_CHARS);
        assert_eq!(escape(&wide), wide);
    }

    #[test]
    fn escaping_twice_changes_nothing() {
        let hostile = format!(
            "CN=\u{1b}]0;title\u{7}\u{202E}gpj.exe\r\n{}",
            "\u{1b}".repeat(300)
        );
        for once in [
            escape(&hostile).into_owned(),
            escape_text(&hostile).into_owned(),
        ] {
            assert!(!once.chars().any(is_unsafe_char), "{once}");
            assert_eq!(escape_text(&once), once);
        }
        let once = escape(&hostile).into_owned();
        assert_eq!(escape(&once), once);
    }

    #[test]
    fn json_safe_escapes_inside_strings_and_keeps_the_value() {
        let value = serde_json::json!({
            "subject": "CN=\u{202E}evil\u{1b}[2J\u{9b}\u{7f}\u{E0041}",
            "n": [1, 2],
        });
        let raw = serde_json::to_string_pretty(&value).unwrap_or_default();
        assert!(raw.contains('\u{202E}'), "serde left it raw before: {raw}");
        let safe = json_safe(raw);
        assert!(
            !safe.chars().any(|c| c != '\n' && is_unsafe_char(c)),
            "{safe}"
        );
        assert!(safe.contains("\\u202e"), "{safe}");
        assert!(safe.contains("\\udb40\\udc41"), "{safe}");
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap_or_default();
        assert_eq!(back, value);
    }
}
