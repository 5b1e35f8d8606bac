use std::path::PathBuf;

use ::time::OffsetDateTime;
use clap::{Args, ValueEnum};

use super::{PasswordArgs, parse_rfc3339};

const AFTER: &str = "EXAMPLES:
  Show the chain(s) in a file as a tree:
    chainsmith inspect chain/server-fullchain.crt
  Which certificate is the thumbprint in this gateway log line?
    chainsmith inspect --thumbprint 62BF1CFA... chain/*.crt chain/*.cer
  Machine-readable, with each certificate's PEM, as of a given time:
    chainsmith inspect --format json --at 2030-01-01T00:00:00Z ca-bundle.crt
  A PFX (the password never goes on the command line):
    chainsmith inspect --password-file pfx.pass server.pfx

EXIT CODES:
  0  printed (with --thumbprint: the certificate was found)
  1  --thumbprint: no input holds a certificate with that thumbprint
  2  usage or I/O error, or an input with no readable certificate";

#[derive(Debug, Args)]
#[command(after_help = AFTER)]
pub struct InspectArgs {
    /// Certificate files: PEM, DER, PKCS#7 or PKCS#12 (- for standard input)
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t = InspectFormat::Human)]
    pub format: InspectFormat,
    /// Show only the certificate with this SHA-1 thumbprint or SHA-256
    /// fingerprint (hex, any case, colons or spaces allowed)
    #[arg(long, value_name = "HEX")]
    pub thumbprint: Option<String>,
    /// Count the days left relative to this time (RFC 3339) [default: now]
    #[arg(long, value_name = "RFC3339", value_parser = parse_rfc3339)]
    pub at: Option<OffsetDateTime>,
    /// Use the empty password for PKCS#12 inputs
    #[arg(long, conflicts_with_all = ["password_file", "password_env", "password_stdin"])]
    pub no_password: bool,
    #[command(flatten)]
    pub password: PasswordArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InspectFormat {
    /// A tree per chain, for people
    Human,
    /// {"version":1,...} with each certificate's PEM
    Json,
}
