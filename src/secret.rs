//! Password sources. A password never comes from a plain argument: it is read
//! from a file, an environment variable, standard input, or a prompt on a TTY.
use std::io::{BufRead, BufReader, IsTerminal};
use std::path::PathBuf;

use anyhow::{Context, bail};
use zeroize::Zeroizing;

use crate::limits::{LimitError, MAX_PASSWORD_BYTES};

/// Where to read one password from.
#[derive(Debug, Clone, Default)]
pub struct PasswordSource {
    pub file: Option<PathBuf>,
    pub env: Option<String>,
    pub stdin: bool,
}

pub type Password = Zeroizing<String>;

impl PasswordSource {
    /// Read the password from the given source. With no source, prompt when
    /// standard input is a terminal (twice when `confirm`), else return None.
    pub fn read(&self, what: &str, confirm: bool) -> anyhow::Result<Option<Password>> {
        if let Some(path) = &self.file {
            let file = std::fs::File::open(path)
                .with_context(|| format!("{}: cannot read the password file", path.display()))?;
            let line = first_line_of(BufReader::new(file))
                .with_context(|| format!("{}: cannot read the password file", path.display()))?;
            return Ok(Some(password_from(line, &path.display().to_string())?));
        }
        if let Some(var) = &self.env {
            let value = Zeroizing::new(std::env::var(var).with_context(|| {
                format!(
                    "environment variable {var} (named by --password-env) is not set or not UTF-8"
                )
            })?);
            let line = first_line(&value);
            if line.len() as u64 > MAX_PASSWORD_BYTES {
                bail!(
                    "environment variable {var} (named by --password-env): {}",
                    too_long()
                );
            }
            return Ok(Some(line));
        }
        if self.stdin {
            let line = first_line_of(std::io::stdin().lock())
                .context("cannot read the password from standard input")?;
            return Ok(Some(password_from(
                line,
                "standard input (--password-stdin)",
            )?));
        }
        if std::io::stdin().is_terminal() && std::io::stderr().is_terminal() {
            let first = Zeroizing::new(
                rpassword::prompt_password(format!("{what}: "))
                    .context("cannot read the password")?,
            );
            if confirm {
                let again = Zeroizing::new(
                    rpassword::prompt_password(format!("{what} (again): "))
                        .context("cannot read the password")?,
                );
                if *again != *first {
                    bail!("the two passwords differ");
                }
            }
            return Ok(Some(Zeroizing::new(first.to_string())));
        }
        Ok(None)
    }
}

/// What is over [`MAX_PASSWORD_BYTES`].
fn too_long() -> LimitError {
    LimitError::TooLarge {
        what: "the password (its first line)",
        limit: MAX_PASSWORD_BYTES,
    }
}

/// The first line of a stream, read one byte past the password limit at
/// most: a FIFO or `/dev/zero` that never sends a newline cannot grow memory
/// or keep the command waiting after the limit.
fn first_line_of(source: impl BufRead) -> std::io::Result<Zeroizing<Vec<u8>>> {
    let mut line = Zeroizing::new(Vec::new());
    // The limit, then room for "\r\n"; nothing after the newline is consumed.
    source
        .take(MAX_PASSWORD_BYTES + 2)
        .read_until(b'\n', &mut line)?;
    Ok(line)
}

/// A password from the first line read from `origin`: the newline (and a CR
/// before it) removed, at most [`MAX_PASSWORD_BYTES`], UTF-8.
fn password_from(line: Zeroizing<Vec<u8>>, origin: &str) -> anyhow::Result<Password> {
    let mut end = line.len();
    if line[..end].ends_with(b"\n") {
        end -= 1;
        if line[..end].ends_with(b"\r") {
            end -= 1;
        }
    }
    if end as u64 > MAX_PASSWORD_BYTES {
        bail!("{origin}: {}", too_long());
    }
    let text = std::str::from_utf8(&line[..end])
        .map_err(|_| anyhow::anyhow!("{origin}: the password is not UTF-8"))?;
    Ok(Zeroizing::new(text.to_owned()))
}

fn first_line(text: &str) -> Password {
    let line = text.split('\n').next().unwrap_or("");
    Zeroizing::new(line.strip_suffix('\r').unwrap_or(line).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_line_strips_newline_and_cr() {
        assert_eq!(first_line("secret\r\nmore").as_str(), "secret");
        assert_eq!(first_line("secret").as_str(), "secret");
        assert_eq!(first_line("").as_str(), "");
    }
}
