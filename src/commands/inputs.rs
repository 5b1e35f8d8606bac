//! Reading the inputs of `convert` and `bundle` (and the `--trust` anchors of
//! `lint` and `probe`): every file loaded once,
//! PKCS#12 passwords asked for only when a PKCS#12 input is present, and
//! one-line errors that name the file.
use std::path::{Path, PathBuf};

use anyhow::{Context as _, anyhow, bail};

use crate::pki::load::{self, Format, LoadOptions, LoadedFile, Problem};
use crate::pki::model::Cert;
use crate::report::{Printer, escape, escape_path};
use crate::secret::{Password, PasswordSource};

/// One password, read at most once, from `--no-password` (empty) or a source.
pub struct PasswordCache {
    empty: bool,
    source: PasswordSource,
    value: Option<Password>,
}

impl PasswordCache {
    pub fn new(no_password: bool, source: PasswordSource) -> Self {
        PasswordCache {
            empty: no_password,
            source,
            value: None,
        }
    }

    /// The password; prompts on a TTY (twice when `confirm`) when no source is given.
    pub fn get(&mut self, what: &str, confirm: bool) -> anyhow::Result<Password> {
        if let Some(v) = &self.value {
            return Ok(v.clone());
        }
        let pw = if self.empty {
            Password::default()
        } else {
            self.source.read(what, confirm)?.ok_or_else(|| {
                anyhow!(
                    "{what}: give it with --password-file, --password-env or --password-stdin (or --no-password for an empty one)"
                )
            })?
        };
        self.value = Some(pw.clone());
        Ok(pw)
    }
}

/// What a caller accepts from a file.
#[derive(Clone, Copy)]
pub struct Accept {
    /// A file with keys but no certificates is fine (a key-only PKCS#12).
    pub key_only: bool,
}

/// Load every input in order. A file that is empty, unreadable, holds no
/// certificate, or is a PKCS#12 that cannot be opened is an error naming it.
pub fn load_all(
    paths: &[PathBuf],
    passwords: &mut PasswordCache,
    stdin_password: bool,
    accept: Accept,
    printer: &Printer,
) -> anyhow::Result<Vec<LoadedFile>> {
    if stdin_password && paths.iter().any(|p| p.as_os_str() == "-") {
        bail!("--password-stdin cannot be used with `-` (standard input) as an input");
    }
    let mut out = Vec::with_capacity(paths.len());
    for path in paths {
        out.push(load_one(path, passwords, accept, printer)?);
    }
    Ok(out)
}

/// The certificates of every input, in order ([`load_all`]); each private
/// key found is left out with a warning `LOCATION: left_out`.
pub fn load_certs_only(
    paths: &[PathBuf],
    passwords: &mut PasswordCache,
    stdin_password: bool,
    printer: &Printer,
    left_out: &str,
) -> anyhow::Result<Vec<Cert>> {
    let files = load_all(
        paths,
        passwords,
        stdin_password,
        Accept { key_only: false },
        printer,
    )?;
    for k in files.iter().flat_map(|f| f.keys.iter()) {
        printer.warn(&format!("{}: {left_out}", escape(&k.source.location())));
    }
    Ok(files.into_iter().flat_map(|f| f.certs).collect())
}

pub fn load_one(
    path: &Path,
    passwords: &mut PasswordCache,
    accept: Accept,
    printer: &Printer,
) -> anyhow::Result<LoadedFile> {
    let name = path.display().to_string();
    let bytes = load::read_limited(path)?;
    let password = if crate::pki::der::looks_like_pkcs12(&bytes) {
        Some(passwords.get(&format!("password for {name}"), false)?)
    } else {
        None
    };
    let opts = LoadOptions {
        pkcs12_password: password.as_ref().map(|p| p.as_str()),
    };
    let file = load::load_bytes(&name, &bytes, &opts);
    check(&file, accept, printer)?;
    Ok(file)
}

/// Refuse a loaded file that is empty, unreadable or holds no certificate;
/// warn about blocks that were skipped.
pub fn check(file: &LoadedFile, accept: Accept, printer: &Printer) -> anyhow::Result<()> {
    let path = escape(&file.path).into_owned();
    if file.format == Format::Empty {
        bail!("{path}: the file is empty");
    }
    for p in &file.problems {
        if let Problem::Pkcs12Unread { reason } = p {
            bail!("{path}: cannot open the PKCS#12 file: {reason}");
        }
    }
    if file.certs.is_empty() && (file.keys.is_empty() || !accept.key_only) {
        let why = file.first_reason();
        if !file.keys.is_empty() {
            bail!(
                "{path}: holds a private key but no certificate (extract it with `convert --to pem --with-key`)"
            );
        }
        match why {
            Some(why) => bail!("{path}: no certificate found: {}", escape(&why)),
            None => bail!("{path}: no certificate found (not PEM, DER, PKCS#7 or PKCS#12)"),
        }
    }
    for p in &file.problems {
        match p {
            Problem::MalformedPem { line, reason } => {
                printer.warn(&format!("{path}:{line}: skipped: {}", escape(reason)))
            }
            Problem::BadCertificate { line, reason, .. } => {
                let at = line.map(|l| format!(":{l}")).unwrap_or_default();
                printer.warn(&format!("{path}{at}: skipped: {}", escape(reason)));
            }
            Problem::Truncated { reason } => printer.warn(&format!("{path}: {}", escape(reason))),
            _ => {}
        }
    }
    Ok(())
}

/// The system trust store `--trust system` reads.
pub const SYSTEM_TRUST: &str = "/etc/ssl/certs/ca-certificates.crt";

/// The first certificate of a file that names one certificate (`--ca`,
/// `--intermediate`, ...); `what` says what it is for. Such flags take no
/// password: a PKCS#12 file is pointed at `convert --to pem`.
pub fn first_cert(path: &Path, what: &str) -> anyhow::Result<Cert> {
    let f = load::load_path(path, &LoadOptions::default())?;
    let why = if f.format == Format::Pkcs12 {
        Some(
            "a PKCS#12 file: take its certificates out first (`chainsmith convert --to pem`)"
                .to_owned(),
        )
    } else {
        f.first_reason()
    };
    f.certs.into_iter().next().ok_or_else(|| match why {
        Some(r) => anyhow!(
            "{}: no certificate found ({what}): {}",
            escape_path(path),
            escape(&r)
        ),
        None => anyhow!("{}: no certificate found ({what})", escape_path(path)),
    })
}

/// Read `--trust` arguments (files or `system`) into anchors; each must hold
/// at least one certificate.
pub fn load_trust(specs: &[String]) -> anyhow::Result<Vec<Cert>> {
    let mut out = Vec::new();
    for spec in specs {
        let path = if spec == "system" {
            PathBuf::from(SYSTEM_TRUST)
        } else {
            PathBuf::from(spec)
        };
        let loaded = load::load_path(&path, &LoadOptions::default())
            .with_context(|| format!("--trust {spec}"))?;
        if loaded.certs.is_empty() {
            bail!(
                "--trust {}: no certificate could be read from it",
                path.display()
            );
        }
        out.extend(loaded.certs);
    }
    Ok(out)
}
