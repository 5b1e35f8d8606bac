//! `lint`: check files and directories against the rule catalogue.
//!
//! - Resolve: [`LintPlan::resolve`] turns the clap arguments and the
//!   configuration file into everything the run needs (rule overrides,
//!   file selection, trust anchors, key, password, validation time).
//! - Run: [`run`] expands the paths ([`walk::expand`]), reads the files in
//!   parallel and calls [`engine::run`].
//! - Emit: [`report::emit`] renders the report and gives the exit code.
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ::time::OffsetDateTime;
use anyhow::{Context as _, anyhow, bail};
use indicatif::ProgressBar;
use rayon::prelude::*;

use crate::ExitStatus;
use crate::cli::GlobalArgs;
use crate::cli::lint::LintArgs;
use crate::error::PASSWORD_FLAGS;
use crate::lint::config::{self, Config, Overrides};
use crate::lint::engine::{self, EngineOptions, FileResult, Input};
use crate::lint::{Context, Deployed, Expect, GivenKey, Severity};
use crate::pki::chain::Verifier;
use crate::pki::clients::Client;
use crate::pki::keys;
use crate::pki::load::{self, LoadOptions};
use crate::pki::model::Cert;
use crate::report::{self, Format, IoFailure, LintReport, Printer};
use crate::secret::Password;

mod walk;

use walk::{Selection, Walked};

const DEFAULT_WARN_DAYS: u32 = 30;

/// More files than this get a progress bar (on a terminal).
const PROGRESS_THRESHOLD: usize = 200;

/// Everything a lint run needs, resolved from the arguments and the
/// configuration file. The command line wins over the file.
pub struct LintPlan {
    /// The path arguments, as given (`-` is standard input).
    pub paths: Vec<PathBuf>,
    /// The configuration file, kept for path-relative globs and `[expect]`.
    pub config: Option<Config>,
    /// Which files inside directories are read, and which paths are skipped.
    pub selection: Selection,
    /// Rule levels: the configuration file's, then the command line's.
    pub overrides: Overrides,
    /// `--expect`; `Auto` lets the configuration file or the content decide.
    pub expect: Expect,
    /// The validation time (`--at`, default: when the run started).
    pub now: OffsetDateTime,
    /// Expiry warnings start this many days ahead.
    pub warn_days: u32,
    /// `--host`: the name the leaf's SANs must cover.
    pub host: Option<String>,
    /// The anchors of `--trust`, and whether it was given at all.
    pub trust: Vec<Cert>,
    pub trust_given: bool,
    /// The deployed bundles of a rollover (`--deployed-bundle`, or the
    /// config's `[rollover] deployed`), each judged on its own.
    pub deployed: Vec<Deployed>,
    /// The clients a trust verdict is given for (`--client`).
    pub clients: Vec<Client>,
    /// `--key`, reduced to its public key.
    pub keys: Vec<GivenKey>,
    /// The PKCS#12 password (`--no-password` is the empty one).
    pub password: Option<Password>,
    /// How the report is rendered, and what makes the exit code 1.
    pub format: Format,
    pub fail_on: Severity,
    pub exit_zero: bool,
}

impl LintPlan {
    /// Merge `args` over `config`, check the combination, and read the
    /// trust anchors, the key and the password.
    pub fn resolve(args: &LintArgs, config: Option<Config>) -> anyhow::Result<Self> {
        // Taken first, so that a password prompt does not move it.
        let now = args.at.unwrap_or_else(OffsetDateTime::now_utc);
        let overrides = overrides(args, config.as_ref())?;
        let selection = selection(args, config.as_ref())?;
        check_stdin(args)?;
        let trust = super::inputs::load_trust(&args.trust)?;
        // The command line wins over the file.
        let deployed = match (&args.deployed_bundle, &config) {
            (given, _) if !given.is_empty() => load_deployed(given)?,
            (_, Some(c)) => load_deployed(&c.deployed)?,
            _ => Vec::new(),
        };
        let keys = match &args.key {
            Some(k) => vec![load_key(k, args)?],
            None => Vec::new(),
        };
        let warn_days = args
            .warn_days
            .or(config.as_ref().and_then(|c| c.warn_days))
            .unwrap_or(DEFAULT_WARN_DAYS);
        Ok(LintPlan {
            paths: args.paths.clone(),
            selection,
            overrides,
            expect: args.expect,
            now,
            warn_days,
            host: args.host.clone(),
            trust,
            trust_given: !args.trust.is_empty(),
            deployed,
            clients: crate::cli::clients_of(&args.client),
            keys,
            password: password(args)?,
            format: args.format.into(),
            fail_on: args.fail_on.into(),
            exit_zero: args.exit_zero,
            config,
        })
    }

    /// What `path` is expected to be, and which setting said so.
    fn expect_for(&self, path: &Path) -> (Expect, &'static str) {
        if self.expect != Expect::Auto {
            (self.expect, "--expect")
        } else if let Some(e) = self.config.as_ref().and_then(|c| c.expect_for(path)) {
            (e, "config")
        } else {
            (Expect::Auto, "auto")
        }
    }

    fn context<'a>(&'a self, verifier: &'a Verifier) -> Context<'a> {
        Context {
            now: self.now,
            warn_days: self.warn_days,
            host: self.host.clone(),
            trust: &self.trust,
            trust_given: self.trust_given,
            clients: &self.clients,
            keys: &self.keys,
            verifier,
            deployed: &self.deployed,
        }
    }
}

pub fn run(args: LintArgs, global: &GlobalArgs) -> anyhow::Result<ExitStatus> {
    let printer = Printer::new(global);
    let plan = LintPlan::resolve(&args, load_config(&args)?)?;
    let walked = walk::expand(&plan.paths, &plan.selection, plan.config.as_ref());
    for n in &walked.notes {
        printer.debug(n);
    }
    let Walked {
        files,
        errors: mut io_errors,
        ..
    } = walked;
    // A progress bar for big scans, on a terminal only (never in CI or a pipe).
    let bar = (files.len() > PROGRESS_THRESHOLD)
        .then(|| printer.progress(files.len() as u64, "reading"))
        .flatten();
    let inputs = read_all(&files, &plan, bar.as_ref(), &mut io_errors);
    let results = check(inputs, &plan, bar);
    for e in &io_errors {
        printer.error(&e.message);
    }
    let rep = LintReport::new(&results, &io_errors, plan.fail_on, plan.exit_zero);
    report::emit(plan.format, &rep, &printer)
}

/// Read the files in parallel; a file that cannot be read joins `io_errors`
/// and the rest go on.
fn read_all(
    files: &[PathBuf],
    plan: &LintPlan,
    bar: Option<&ProgressBar>,
    io_errors: &mut Vec<IoFailure>,
) -> Vec<Input> {
    let read: Vec<Result<Input, IoFailure>> = files
        .par_iter()
        .map(|p| {
            if let Some(b) = bar {
                b.inc(1);
            }
            let bytes = walk::read_input(p).map_err(|e| IoFailure {
                path: p.display().to_string(),
                message: e.to_string(),
            })?;
            let (expect, expect_source) = plan.expect_for(p);
            Ok(Input {
                path: Arc::from(p.display().to_string()),
                expect,
                expect_source,
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
    inputs
}

/// Run the rules over the inputs.
fn check(inputs: Vec<Input>, plan: &LintPlan, bar: Option<ProgressBar>) -> Vec<FileResult> {
    let verifier = Verifier::new();
    let ctx = plan.context(&verifier);
    let eopts = EngineOptions {
        pkcs12_password: plan.password.as_ref().map(|p| p.as_str()),
    };
    if let Some(b) = &bar {
        // The rules run in parallel with no per-file hook: keep the bar
        // full and animate it while they run.
        b.set_message(format!("read; linting {} files", inputs.len()));
        b.enable_steady_tick(std::time::Duration::from_millis(100));
    }
    let results = engine::run(inputs, &ctx, &eopts, &plan.overrides);
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    results
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

/// The rule levels: the configuration file, then the command line over it.
fn overrides(args: &LintArgs, cfg: Option<&Config>) -> anyhow::Result<Overrides> {
    let empty = Vec::new();
    let (cfg_allow, cfg_warn, cfg_deny) = match cfg {
        Some(c) => (&c.allow, &c.warn, &c.deny),
        None => (&empty, &empty, &empty),
    };
    let cfg_name = cfg
        .map(|c| c.path.display().to_string())
        .unwrap_or_default();
    Ok(Overrides::build(&[
        (cfg_allow, cfg_warn, cfg_deny, &cfg_name),
        (&args.allow, &args.warn, &args.deny, "command line"),
    ])?)
}

/// `--include` replaces the configuration's `include`, which replaces the
/// default extensions; `--exclude` and the configuration's `ignore` add up.
fn selection(args: &LintArgs, cfg: Option<&Config>) -> anyhow::Result<Selection> {
    let include: Vec<String> = if !args.include.is_empty() {
        args.include.clone()
    } else if let Some(inc) = cfg.and_then(|c| c.include.clone()) {
        inc
    } else {
        config::DEFAULT_INCLUDE
            .iter()
            .map(|s| (*s).to_owned())
            .collect()
    };
    let mut exclude = args.exclude.clone();
    if let Some(c) = cfg {
        exclude.extend(c.ignore.iter().cloned());
    }
    Ok(Selection::new(&include, &exclude)?)
}

/// Standard input can be read once: as one `-` input or for the password.
fn check_stdin(args: &LintArgs) -> anyhow::Result<()> {
    let stdin_inputs = args.paths.iter().filter(|p| p.as_os_str() == "-").count();
    if stdin_inputs > 1 {
        bail!("`-` (standard input) can be given only once");
    }
    if stdin_inputs == 1 && args.password.password_stdin {
        bail!("`-` and --password-stdin cannot both read standard input");
    }
    Ok(())
}

/// The PKCS#12 password: empty with `--no-password`, else read from the
/// source given, else none (a PKCS#12 input then gets a finding).
fn password(args: &LintArgs) -> anyhow::Result<Option<Password>> {
    if args.no_password {
        Ok(Some(Password::default()))
    } else if args.password.given() {
        Ok(args.password.source().read("PKCS#12 password", false)?)
    } else {
        Ok(None)
    }
}

/// `--deployed-bundle`: each file on its own, never merged.
fn load_deployed(paths: &[PathBuf]) -> anyhow::Result<Vec<Deployed>> {
    let mut out = Vec::with_capacity(paths.len());
    for p in paths {
        let loaded = load::load_path(p, &LoadOptions::default())
            .with_context(|| format!("--deployed-bundle {}", report::escape_path(p)))?;
        if loaded.certs.is_empty() {
            bail!(
                "--deployed-bundle {}: no certificate could be read from it",
                report::escape_path(p)
            );
        }
        out.push(Deployed::new(&p.display().to_string(), loaded.certs));
    }
    Ok(out)
}

fn load_key(path: &Path, args: &LintArgs) -> anyhow::Result<GivenKey> {
    // A key file, so the key file's limit (1 MiB), not a bundle's.
    let bytes = zeroize::Zeroizing::new(keys::read_key_file(path)?);
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

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use super::*;
    use crate::cli::{Cli, Command};

    fn args(argv: &[&str]) -> LintArgs {
        let full = ["chainsmith", "lint"].iter().chain(argv);
        match Cli::try_parse_from(full).unwrap().command {
            Command::Lint(a) => a,
            other => panic!("not lint: {other:?}"),
        }
    }

    fn config(text: &str) -> Config {
        Config::parse(Path::new("/repo/.chainsmith.toml"), text).unwrap()
    }

    #[test]
    fn the_command_line_wins_over_the_config_file() {
        let cfg = "warn-days = 10\n[expect]\n\"*.pem\" = \"ca-bundle\"\n";
        let file = Path::new("a.pem");
        let plan = LintPlan::resolve(&args(&["a.pem"]), Some(config(cfg))).unwrap();
        assert_eq!(plan.warn_days, 10);
        assert_eq!(plan.expect_for(file), (Expect::CaBundle, "config"));

        let given = args(&["--warn-days", "5", "--expect", "aks", "a.pem"]);
        let plan = LintPlan::resolve(&given, Some(config(cfg))).unwrap();
        assert_eq!(plan.warn_days, 5);
        assert_eq!(plan.expect_for(file), (Expect::Aks, "--expect"));

        let plan = LintPlan::resolve(&args(&["a.pem"]), None).unwrap();
        assert_eq!(plan.warn_days, DEFAULT_WARN_DAYS);
        assert_eq!(plan.expect_for(file), (Expect::Auto, "auto"));
    }

    #[test]
    fn standard_input_is_read_once() {
        assert!(LintPlan::resolve(&args(&["-", "-"]), None).is_err());
        assert!(LintPlan::resolve(&args(&["--password-stdin", "-"]), None).is_err());
        assert!(LintPlan::resolve(&args(&["-"]), None).is_ok());
    }
}
