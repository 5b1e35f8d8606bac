use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::PasswordArgs;
use crate::lint::{Expect, Severity};
use crate::report::Format;

const AFTER: &str = "EXAMPLES:
  Check a CA bundle before uploading it:
    chainsmith lint ca-bundle.crt
  Check what a server sends, and whether clients holding the system store trust it:
    chainsmith lint --host api.example.com --trust system server-fullchain.crt
  During a CA rollover, whether clients holding each deployed bundle trust it:
    chainsmith lint --deployed-bundle old/ca-bundle.crt \\
      --deployed-bundle rotated/ca-bundle-transition.crt rotated/server-fullchain-overlap.crt
  A repository of certificates in CI, as SARIF for code scanning:
    chainsmith lint --format sarif --exit-zero certs/ > lint.sarif

INPUTS:
  Files, directories (searched recursively for .pem .crt .cer .der .p7b .p7c
  .pfx .p12, or the --include globs) and `-` for standard input.

CONFIGURATION:
  .chainsmith.toml, searched upward from the working directory (or --config):
    warn-days = 30
    allow = [\"CS103\"]          # also warn = [...], deny = [...]; codes or names
    ignore = [\"vendor/**\"]
    include = [\"*.pem\", \"*.crt\"]
    [expect]
    \"trust/*.pem\" = \"ca-bundle\"
    [rollover]                  # the CA bundles clients hold, like --deployed-bundle
    deployed = [\"old/ca-bundle.crt\", \"rotated/ca-bundle-transition.crt\"]
  The command line wins over the file; within each, deny wins over warn over allow.

EXIT CODES:
  0  no finding at or above --fail-on (or --exit-zero)
  1  findings at or above --fail-on
  2  usage or configuration error, or a file that could not be read (the
     other files are still checked); the same for every --format";

#[derive(Debug, Args)]
#[command(after_help = AFTER)]
pub struct LintArgs {
    /// Files or directories to check (`-` for standard input)
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// What the files are meant to be
    #[arg(long, value_enum, default_value_t = Expect::Auto)]
    pub expect: Expect,
    /// Trust anchors a client holds (a CA bundle); `system` is the OS store. Repeatable
    #[arg(long, value_name = "FILE")]
    pub trust: Vec<String>,
    /// A CA bundle clients hold during a rollover, judged on its own (CS215-CS217); repeatable
    #[arg(long, value_name = "FILE")]
    pub deployed_bundle: Vec<PathBuf>,
    /// With --trust or --deployed-bundle: the clients to give a verdict for; repeatable [default: all]
    #[arg(long, value_enum, value_name = "CLIENT")]
    pub client: Vec<super::ClientArg>,
    /// Host name (or IP) clients connect to; the leaf's SANs must cover it
    #[arg(long)]
    pub host: Option<String>,
    /// Private key deployed with the certificate; it must match the leaf
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// Validation time, RFC 3339 (default: now)
    #[arg(long, value_name = "RFC3339", value_parser = super::parse_rfc3339)]
    pub at: Option<::time::OffsetDateTime>,
    /// Warn about certificates expiring within this many days [default: 30]
    #[arg(long, value_name = "DAYS")]
    pub warn_days: Option<u32>,
    /// Lowest severity that makes the exit code 1
    #[arg(long, value_enum, default_value_t = SeverityArg::Error)]
    pub fail_on: SeverityArg,
    /// Make a rule an error (code or name); repeatable
    #[arg(short = 'D', long = "deny", value_name = "RULE")]
    pub deny: Vec<String>,
    /// Make a rule a warning (code or name); repeatable
    #[arg(short = 'W', long = "warn", value_name = "RULE")]
    pub warn: Vec<String>,
    /// Turn a rule off (code or name); repeatable
    #[arg(short = 'A', long = "allow", value_name = "RULE")]
    pub allow: Vec<String>,
    /// Exit 0 even when there are findings (I/O and usage errors still exit 2)
    #[arg(long)]
    pub exit_zero: bool,
    /// Output format
    #[arg(long, value_enum, default_value_t = FormatArg::Human)]
    pub format: FormatArg,
    /// Configuration file [default: .chainsmith.toml searched upward]
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub config: Option<PathBuf>,
    /// Ignore any .chainsmith.toml
    #[arg(long)]
    pub no_config: bool,
    /// Globs selecting files inside directories (replaces the default extensions); repeatable
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,
    /// Globs of paths to skip; repeatable
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Use the empty password for PKCS#12 inputs
    #[arg(long, conflicts_with_all = ["password_file", "password_env", "password_stdin"])]
    pub no_password: bool,
    #[command(flatten)]
    pub password: PasswordArgs,
}

/// `--expect` takes the engine's own [`Expect`] values: the names come from
/// `Expect::as_str`, so clap, the config file and the reports spell them the
/// same way. Only the help lines live here.
impl ValueEnum for Expect {
    fn value_variants<'a>() -> &'a [Self] {
        &Expect::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        let help = match self {
            Expect::Auto => "Infer from content and file name",
            Expect::CaBundle => "Trust material: intermediates then root",
            Expect::ServerChain => "What a server sends: leaf, then its issuers",
            Expect::ApimCa => {
                "Azure API Management CA upload (.cer DER or .pfx, one per file, at most 10)"
            }
            Expect::Aks => "AKS custom CA trust (LF-only PEM, blank-line separated, at most 10)",
            Expect::AppservicePfx => {
                "App Service certificate upload (triple-DES PFX: key, intermediates and root, RSA 2048+)"
            }
            Expect::KeyvaultPfx => "Key Vault certificate import as a PFX (with the key)",
            Expect::KeyvaultPem => {
                "Key Vault certificate import as PEM (certificates, then an unencrypted PKCS#8 key)"
            }
        };
        Some(clap::builder::PossibleValue::new(self.as_str()).help(help))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SeverityArg {
    Error,
    Warning,
    Note,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Human,
    Json,
    Sarif,
    Github,
}

impl From<SeverityArg> for Severity {
    fn from(s: SeverityArg) -> Severity {
        match s {
            SeverityArg::Error => Severity::Error,
            SeverityArg::Warning => Severity::Warning,
            SeverityArg::Note => Severity::Note,
        }
    }
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Human => Format::Human,
            FormatArg::Json => Format::Json,
            FormatArg::Sarif => Format::Sarif,
            FormatArg::Github => Format::Github,
        }
    }
}
