use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{KeyTypeArg, PasswordArgs};

const AFTER: &str = "EXAMPLES:
  Roll the intermediate of a chain made by `generate` over to a new one:
    chainsmith rotate intermediate --from chain -o rotated
  Roll the root over, with cross certificates, 45 days per phase:
    chainsmith rotate root --from chain --overlap 45d -o rotated
  Explicit files and dates:
    chainsmith rotate root --ca root.crt --ca-key root.key --intermediate int.crt \\
      --leaf server.crt --start 2027-01-04T09:00:00Z --switch-at 2027-02-01T09:00:00Z \\
      --retire-at 2027-03-01T09:00:00Z -o rotated

PHASES (printed, and written to rotation-plan.json):
  1 distribute  every client gets ca-bundle-transition.crt (old and new CAs);
                servers keep sending the current chain
  2 switch      servers send the new leaf (server.crt, server.key) with
                server-fullchain.crt (intermediate) or
                server-fullchain-overlap.crt (root: carries the cross certificate)
  3 retire      clients get ca-bundle.crt (new CAs only); servers send
                server-fullchain.crt; the old CA is retired

FILES WRITTEN (root rollover; intermediate rollover writes no root or cross files):
  root.crt root.key root.cer           the new root
  new-root-signed-by-old.crt           NewWithOld cross certificate (RFC 4210 §4.4)
  old-root-signed-by-new.crt           OldWithNew cross certificate
  intermediate.crt .key .cer           the new intermediate
  server.crt server.key                the leaf re-issued under the new intermediate
  server-fullchain.crt                 new leaf + new intermediate
  server-fullchain-overlap.crt         new leaf + new intermediate + NewWithOld
  old-server-fullchain-bridged.crt     old leaf + old intermediate + OldWithNew
  ca-bundle-transition.crt             new and old intermediates, new and old roots
  ca-bundle.crt                        new intermediate + new root
  rotation-plan.json                   the plan (docs/rotation.md)

EXIT CODES:
  0  all files written
  2  usage or I/O error, a CA key that does not match, dates out of order; nothing is written";

#[derive(Debug, Args)]
#[command(after_help = AFTER)]
#[command(mut_args(root_key_password_help))]
pub struct RotateArgs {
    /// Which CA to roll over
    #[arg(value_enum)]
    pub what: RotateWhat,
    /// A chain directory written by `generate` (root.crt, root.key, intermediate.crt, server.crt)
    #[arg(long, value_name = "DIR", required_unless_present = "ca", conflicts_with_all = ["ca", "ca_key"])]
    pub from: Option<PathBuf>,
    /// The current root CA certificate (instead of --from)
    #[arg(long, value_name = "CERT", requires_all = ["ca_key", "intermediate", "leaf"])]
    pub ca: Option<PathBuf>,
    /// The current root CA's private key (instead of --from)
    #[arg(long, value_name = "KEY", requires = "ca")]
    pub ca_key: Option<PathBuf>,
    /// The current intermediate [default with --from: DIR/intermediate.crt]
    #[arg(long, value_name = "CERT")]
    pub intermediate: Option<PathBuf>,
    /// The current server certificate, re-issued under the new CA [default with --from: DIR/server.crt]
    #[arg(long, value_name = "CERT")]
    pub leaf: Option<PathBuf>,
    /// Intermediate rollover: keep the current intermediate's key and name (re-certify it)
    #[arg(long)]
    pub keep_key: bool,
    /// The current intermediate's key, for --keep-key [default with --from: DIR/intermediate.key]
    #[arg(long, value_name = "KEY", requires = "keep_key")]
    pub intermediate_key: Option<PathBuf>,
    /// Output directory
    #[arg(short, long, value_name = "DIR", default_value = "rotated")]
    pub out: PathBuf,
    /// Overwrite existing files
    #[arg(long)]
    pub force: bool,
    /// Key algorithm of the new keys [default: each old certificate's key type]
    #[arg(long, value_enum)]
    pub key_type: Option<KeyTypeArg>,
    /// Print the plan as JSON (it is always written to rotation-plan.json)
    #[arg(long, value_enum, default_value_t = PlanFormat::Human)]
    pub format: PlanFormat,

    /// Length of each phase: 90d, 12h, 6w, 2y (a year is 365 days)
    #[arg(long, value_name = "DURATION", default_value = "30d", value_parser = parse_duration, help_heading = "Plan")]
    pub overlap: ::time::Duration,
    /// When phase 1 (distribute) starts, RFC 3339 [default: now]
    #[arg(long, value_name = "RFC3339", value_parser = super::parse_rfc3339, help_heading = "Plan")]
    pub start: Option<::time::OffsetDateTime>,
    /// When phase 2 (switch) starts [default: start + overlap]
    #[arg(long, value_name = "RFC3339", value_parser = super::parse_rfc3339, help_heading = "Plan")]
    pub switch_at: Option<::time::OffsetDateTime>,
    /// When phase 3 (retire) starts [default: switch + overlap]
    #[arg(long, value_name = "RFC3339", value_parser = super::parse_rfc3339, help_heading = "Plan")]
    pub retire_at: Option<::time::OffsetDateTime>,

    /// Common name of the new root [default: the old one with G2, G3, ...]
    #[arg(long, help_heading = "New CAs")]
    pub root_cn: Option<String>,
    /// Common name of the new intermediate [default: the old one with G2, G3, ...]
    #[arg(long, help_heading = "New CAs")]
    pub intermediate_cn: Option<String>,
    /// Days the new root is valid
    #[arg(long, default_value_t = 3650, help_heading = "New CAs")]
    pub root_days: u32,
    /// Days the new intermediate is valid (clamped to its root)
    #[arg(long, default_value_t = 1825, help_heading = "New CAs")]
    pub intermediate_days: u32,
    /// Days the re-issued server certificate is valid (clamped to the intermediate)
    #[arg(long, default_value_t = 397, help_heading = "New CAs")]
    pub server_days: u32,

    /// Encrypt the new keys (PKCS#8, PBES2 AES-256) with the password of --password-*
    #[arg(long)]
    pub encrypt_keys: bool,

    #[command(flatten)]
    pub ca_key_password: super::CaKeyPasswordArgs,
    #[command(flatten)]
    pub password: PasswordArgs,
}

/// The CA key of `rotate` is the root's (and, with --keep-key, the
/// intermediate's), and the help of --ca-key-password-* says so. `mut_args`
/// keeps the order of the arguments, and so of the help sections.
fn root_key_password_help(a: clap::Arg) -> clap::Arg {
    let help = match a.get_id().as_str() {
        "ca_key_password_file" => {
            "Read the root key's password (and, with --keep-key, the intermediate key's) from the first line of FILE"
        }
        "ca_key_password_env" => "Read the root key's password from the environment variable VAR",
        "ca_key_password_stdin" => "Read the root key's password from standard input",
        _ => return a,
    };
    a.help(help)
}

/// The CA to roll over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RotateWhat {
    /// A new intermediate under the same root
    Intermediate,
    /// A new root and intermediate, with cross certificates for the overlap
    Root,
}

impl From<RotateWhat> for crate::report::plan::Kind {
    fn from(w: RotateWhat) -> Self {
        match w {
            RotateWhat::Intermediate => crate::report::plan::Kind::Intermediate,
            RotateWhat::Root => crate::report::plan::Kind::Root,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    Human,
    Json,
}

/// `--overlap`: the `--validity` syntax ([`super::parse_lifetime`]: a whole
/// number and a unit h, d, w or y), at most 100 years, so that the plan's
/// dates stay far inside what X.509 can encode.
pub fn parse_duration(s: &str) -> Result<::time::Duration, String> {
    let length = super::parse_lifetime(s)?;
    if length.duration > ::time::Duration::days(100 * 365) {
        return Err(format!("`{s}`: an overlap longer than 100 years"));
    }
    Ok(length.duration)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("30d"), Ok(::time::Duration::days(30)));
        assert_eq!(parse_duration("12h"), Ok(::time::Duration::hours(12)));
        assert_eq!(parse_duration("2y"), Ok(::time::Duration::days(730)));
        assert_eq!(parse_duration("6w"), Ok(::time::Duration::weeks(6)));
        for bad in [
            "",
            "d",
            "30",
            "0d",
            "-1d",
            "1.5d",
            "30 days",
            "999999999999y",
            "101y",
            "30m",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
