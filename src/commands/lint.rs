//! `lint`: check files and directories against the rule catalogue.
//! Clap arguments become engine options here, in one place.
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ::time::OffsetDateTime;
use anyhow::{Context as _, anyhow, bail};
use globset::GlobSet;
use rayon::prelude::*;

use crate::ExitStatus;
use crate::cli::GlobalArgs;
use crate::cli::lint::{ExpectArg, FormatArg, LintArgs, SeverityArg};
use crate::error::PASSWORD_FLAGS;
use crate::lint::config::{self, Config, Overrides};
use crate::lint::engine::{self, EngineOptions, Input};
use crate::lint::{Context, Expect, GivenKey, Severity};
use crate::pki::chain::Verifier;
use crate::pki::keys;
use crate::pki::load::{self, LoadOptions};
use crate::pki::model::Cert;
use crate::report::{self, IoFailure, LintReport, Printer};

/// The system trust store `--trust system` reads.
pub const SYSTEM_TRUST: &str = "/etc/ssl/certs/ca-certificates.crt";

const DEFAULT_WARN_DAYS: u32 = 30;

fn expect_of(e: ExpectArg) -> Expect {
    match e {
        ExpectArg::Auto => Expect::Auto,
        ExpectArg::CaBundle => Expect::CaBundle,
        ExpectArg::ServerChain => Expect::ServerChain,
        ExpectArg::ApimCa => Expect::ApimCa,
        ExpectArg::Aks => Expect::Aks,
    }
}

/// More files than this get a progress bar (on a terminal).
const PROGRESS_THRESHOLD: usize = 200;

pub(crate) fn severity_of(s: SeverityArg) -> Severity {
    match s {
        SeverityArg::Error => Severity::Error,
        SeverityArg::Warning => Severity::Warning,
        SeverityArg::Note => Severity::Note,
    }
}

fn load_config(args: &LintArgs) -> anyhow::Result<Option<Config>> {
    if args.no_config {
        return Ok(None);
    }
    let path = match &args.config {
        Some(p) => Some(p.clone()),
        None => {
            let cwd = std::env::current_dir().context("cannot find the working directory")?;
            Config::discover(&cwd)
        }
    };
    match path {
        Some(p) => Ok(Some(Config::load(&p)?)),
        None => Ok(None),
    }
}

pub(crate) fn load_trust(specs: &[String]) -> anyhow::Result<Vec<Cert>> {
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

fn load_key(path: &Path, args: &LintArgs) -> anyhow::Result<GivenKey> {
    let bytes = zeroize::Zeroizing::new(load::read_limited(path)?);
    let loaded = load::load_bytes(&path.display().to_string(), &bytes, &LoadOptions::default());
    let block = loaded
        .keys
        .first()
        .ok_or_else(|| anyhow!("--key {}: no private key found in it", path.display()))?;
    let pair = keys::key_from_block(
        path,
        &block.label,
        &block.der,
        block.encrypted,
        &args.password.source(),
        "--key",
    )
    .map_err(|e| e.or_give_password_with(PASSWORD_FLAGS))?;
    Ok(GivenKey {
        path: Arc::from(path.display().to_string()),
        public_key: pair.public_key_raw().to_vec(),
    })
}

/// Selection of files inside directories, and paths to skip anywhere.
struct Selection {
    include: GlobSet,
    exclude: GlobSet,
}

impl Selection {
    fn excluded(&self, path: &Path, cfg: Option<&Config>) -> bool {
        let shown = path.to_string_lossy().replace('\\', "/");
        let shown = shown.strip_prefix("./").unwrap_or(&shown);
        self.exclude.is_match(shown)
            || cfg.is_some_and(|c| self.exclude.is_match(c.relative(path)))
            || path.file_name().is_some_and(|n| self.exclude.is_match(n))
    }

    fn included(&self, path: &Path) -> bool {
        path.file_name().is_some_and(|n| self.include.is_match(n)) || self.include.is_match(path)
    }
}

/// Expand directories (sorted, hidden directories skipped, symlinked
/// directories not followed).
fn walk(
    dir: &Path,
    sel: &Selection,
    cfg: Option<&Config>,
    files: &mut Vec<PathBuf>,
    errors: &mut Vec<IoFailure>,
) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            errors.push(IoFailure {
                path: dir.display().to_string(),
                message: format!("{}: cannot read the directory: {e}", dir.display()),
            });
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if sel.excluded(&p, cfg) {
            continue;
        }
        let Ok(meta) = std::fs::symlink_metadata(&p) else {
            continue;
        };
        if meta.is_dir() {
            let hidden = p
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'));
            if !hidden {
                walk(&p, sel, cfg, files, errors);
            }
        } else if sel.included(&p) && (meta.is_file() || p.is_file()) {
            files.push(p);
        }
    }
}

pub fn run(args: LintArgs, global: &GlobalArgs) -> anyhow::Result<ExitStatus> {
    let printer = Printer::new(global);
    let now = args.at.unwrap_or_else(OffsetDateTime::now_utc);
    let cfg = load_config(&args)?;
    let empty = Vec::new();
    let (ca, cw, cd) = match &cfg {
        Some(c) => (&c.allow, &c.warn, &c.deny),
        None => (&empty, &empty, &empty),
    };
    let cfg_name = cfg
        .as_ref()
        .map(|c| c.path.display().to_string())
        .unwrap_or_default();
    let overrides = Overrides::build(&[
        (ca, cw, cd, &cfg_name),
        (&args.allow, &args.warn, &args.deny, "command line"),
    ])?;
    let warn_days = args
        .warn_days
        .or(cfg.as_ref().and_then(|c| c.warn_days))
        .unwrap_or(DEFAULT_WARN_DAYS);

    let include: Vec<String> = if !args.include.is_empty() {
        args.include.clone()
    } else if let Some(inc) = cfg.as_ref().and_then(|c| c.include.clone()) {
        inc
    } else {
        config::DEFAULT_INCLUDE
            .iter()
            .map(|s| (*s).to_owned())
            .collect()
    };
    let mut exclude = args.exclude.clone();
    if let Some(c) = &cfg {
        exclude.extend(c.ignore.iter().cloned());
    }
    let sel = Selection {
        include: config::globs(&include, "--include")?,
        exclude: config::globs(&exclude, "--exclude / ignore")?,
    };

    let stdin_inputs = args.paths.iter().filter(|p| p.as_os_str() == "-").count();
    if stdin_inputs > 1 {
        bail!("`-` (standard input) can be given only once");
    }
    if stdin_inputs == 1 && args.password.password_stdin {
        bail!("`-` and --password-stdin cannot both read standard input");
    }
    let trust = load_trust(&args.trust)?;
    let keys: Vec<GivenKey> = match &args.key {
        Some(k) => vec![load_key(k, &args)?],
        None => Vec::new(),
    };
    let password = if args.no_password {
        Some(crate::secret::Password::default())
    } else if args.password.given() {
        args.password.source().read("PKCS#12 password", false)?
    } else {
        None
    };

    // Expand the inputs.
    let mut io_errors: Vec<IoFailure> = Vec::new();
    let mut files: Vec<PathBuf> = Vec::new();
    for p in &args.paths {
        if p.as_os_str() == "-" {
            files.push(p.clone());
            continue;
        }
        if sel.excluded(p, cfg.as_ref()) {
            printer.debug(&format!("skipped (excluded): {}", p.display()));
            continue;
        }
        if p.is_dir() {
            walk(p, &sel, cfg.as_ref(), &mut files, &mut io_errors);
        } else {
            files.push(p.clone());
        }
    }

    // Read in parallel; a file that cannot be read is reported, the rest go on.
    let cli_expect = expect_of(args.expect);
    // A progress bar for big scans, on a terminal only (never in CI or a pipe).
    let bar = (files.len() > PROGRESS_THRESHOLD)
        .then(|| printer.progress(files.len() as u64, "reading"))
        .flatten();
    let read: Vec<Result<Input, IoFailure>> = files
        .par_iter()
        .map(|p| {
            if let Some(b) = &bar {
                b.inc(1);
            }
            let bytes = load::read_limited(p).map_err(|e| IoFailure {
                path: p.display().to_string(),
                message: e.to_string(),
            })?;
            let (expect, source) = if cli_expect != Expect::Auto {
                (cli_expect, "--expect")
            } else if let Some(e) = cfg.as_ref().and_then(|c| c.expect_for(p)) {
                (e, "config")
            } else {
                (Expect::Auto, "auto")
            };
            let shown = if p.as_os_str() == "-" {
                "-".to_owned()
            } else {
                p.display().to_string()
            };
            Ok(Input {
                path: Arc::from(shown),
                expect,
                expect_source: source,
                bytes,
            })
        })
        .collect();
    let mut inputs = Vec::with_capacity(read.len());
    for r in read {
        match r {
            Ok(i) => inputs.push(i),
            Err(e) => io_errors.push(e),
        }
    }

    let verifier = Verifier::new();
    let clients = crate::cli::clients_of(&args.client);
    let ctx = Context {
        now,
        warn_days,
        host: args.host.clone(),
        trust: &trust,
        trust_given: !args.trust.is_empty(),
        clients: &clients,
        keys: &keys,
        verifier: &verifier,
    };
    let eopts = EngineOptions {
        pkcs12_password: password.as_ref().map(|p| p.as_str()),
    };
    if let Some(b) = &bar {
        // The rules run in parallel with no per-file hook: keep the bar
        // full and animate it while they run.
        b.set_message(format!("read; linting {} files", inputs.len()));
        b.enable_steady_tick(std::time::Duration::from_millis(100));
    }
    let results = engine::run(inputs, &ctx, &eopts, &overrides);
    if let Some(b) = bar {
        b.finish_and_clear();
    }

    let fail_on = severity_of(args.fail_on);
    let failing = results
        .iter()
        .flat_map(|f| &f.findings)
        .any(|x| x.severity >= fail_on);
    let exit = if !io_errors.is_empty() {
        ExitStatus::Error
    } else if failing && !args.exit_zero {
        ExitStatus::Findings
    } else {
        ExitStatus::Clean
    };
    for e in &io_errors {
        printer.error(&e.message);
    }
    let rep = LintReport {
        files: &results,
        io_errors: &io_errors,
        fail_on,
        exit,
    };
    let text = match args.format {
        FormatArg::Human => report::human::render(&rep, printer.color),
        FormatArg::Json => report::json::render(&rep)?,
        FormatArg::Sarif => report::sarif::render(&rep)?,
        FormatArg::Github => report::github::render(&rep),
    };
    printer.out(&text)?;
    Ok(exit)
}
