//! Password sources. A password never comes from a plain argument: it is read
//! from a file, an environment variable, standard input, or a prompt on a TTY.
use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;

use anyhow::{Context, bail};
use zeroize::Zeroizing;

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
            let raw =
                Zeroizing::new(std::fs::read(path).with_context(|| {
                    format!("{}: cannot read the password file", path.display())
                })?);
            let text = std::str::from_utf8(&raw)
                .with_context(|| format!("{}: the password file is not UTF-8", path.display()))?;
            return Ok(Some(first_line(text)));
        }
        if let Some(var) = &self.env {
            let value = Zeroizing::new(std::env::var(var).with_context(|| {
                format!(
                    "environment variable {var} (named by --password-env) is not set or not UTF-8"
                )
            })?);
            return Ok(Some(first_line(&value)));
        }
        if self.stdin {
            let mut line = Zeroizing::new(String::new());
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("cannot read the password from standard input")?;
            return Ok(Some(first_line(&line)));
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
