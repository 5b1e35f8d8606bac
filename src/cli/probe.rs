use std::path::PathBuf;

use clap::Args;

use super::PasswordArgs;
use super::lint::{FormatArg, SeverityArg};

const AFTER: &str = "EXAMPLES:
  What does the backend really serve, and is it in the right order?
    chainsmith probe api.internal.example.com:8443
  Would a pod with SSL_CERT_FILE=ca-bundle.crt trust it?
    chainsmith probe 10.0.0.5:443 --sni api.example.com --ca-bundle chain/ca-bundle.crt
  In CI, as SARIF:
    chainsmith probe staging.example.com --format sarif --exit-zero > probe.sarif
  A gateway that wants a client certificate (mutual TLS):
    chainsmith probe gw.example.com --cert client.crt --key client.key
    chainsmith probe gw.example.com --cert client.pfx --password-file pfx.pass
  After a rotation, every backend, 16 at a time:
    chainsmith probe --targets backends.txt --jobs 16 --ca-bundle chain/ca-bundle.crt
  A backend that serves its leaf alone: fetch the missing issuers (AIA caIssuers):
    chainsmith probe legacy.example.com --fetch-aia

A targets file holds one target per line: HOST[:PORT], optionally followed
by the SNI to send; `#` starts a comment.

The chain is captured exactly as the server sends it, even when no client
would trust it, and linted as a server chain (order, missing intermediate,
anchor sent, validity, host name against the SNI). When the server asks for
a client certificate, probe says so with the CA names it accepts; when it
ends the handshake with an alert, probe names the alert and its likely
causes, each with a fix.

EXIT CODES:
  0  the served chain has nothing at or above --fail-on
  1  findings at or above --fail-on (with --ca-bundle: also when it would not be trusted)
  2  usage error, or a target cannot be reached, refuses, is not TLS, times out,
     or ends the handshake with an alert (the other targets are still probed)";

#[derive(Debug, Args)]
#[command(after_help = AFTER)]
pub struct ProbeArgs {
    /// The servers: HOST[:PORT] (port 443 by default; IPv6 as [::1]:8443)
    #[arg(value_name = "HOST[:PORT]", required_unless_present = "targets")]
    pub target: Vec<String>,
    /// Read more targets from FILE, one per line: HOST[:PORT] [SNI]; `#` starts a comment
    #[arg(long = "targets", value_name = "FILE")]
    pub targets: Option<PathBuf>,
    /// Probe at most N targets at once
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub jobs: u16,
    /// Server name sent in the TLS handshake and checked against the SANs [default: HOST; a targets file line may give its own]
    #[arg(long, value_name = "NAME")]
    pub sni: Option<String>,
    /// Seconds to wait for the connection and handshake together, per target
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub timeout: f64,
    /// A CA bundle, as a client would hold in SSL_CERT_FILE: would it trust this server?
    #[arg(long, value_name = "FILE")]
    pub ca_bundle: Option<PathBuf>,
    /// With --ca-bundle: the clients to give a verdict for; repeatable [default: all]
    #[arg(long, value_enum, value_name = "CLIENT")]
    pub client: Vec<super::ClientArg>,
    /// Validation time, RFC 3339 (default: now)
    #[arg(long, value_name = "RFC3339", value_parser = super::parse_rfc3339)]
    pub at: Option<::time::OffsetDateTime>,
    /// Warn about certificates expiring within this many days
    #[arg(long, value_name = "DAYS", default_value_t = 30)]
    pub warn_days: u32,
    /// Lowest severity that makes the exit code 1
    #[arg(long, value_enum, default_value_t = SeverityArg::Error)]
    pub fail_on: SeverityArg,
    /// Exit 0 even when there are findings (connection errors still exit 2)
    #[arg(long)]
    pub exit_zero: bool,
    /// Output format of the findings (human also shows the served chain)
    #[arg(long, value_enum, default_value_t = FormatArg::Human)]
    pub format: FormatArg,
    /// Complete a chain with a missing issuer through its AIA caIssuers URLs (http only; at most 5 hops, 1 MB per response, within --timeout)
    #[arg(long)]
    pub fetch_aia: bool,
    /// Complete a chain with a missing issuer from the certificates of the files in DIR (offline)
    #[arg(long, value_name = "DIR")]
    pub intermediates: Option<PathBuf>,
    /// Client certificate to present when the server asks (PEM or DER, with its chain; or a PFX holding the key)
    #[arg(long, value_name = "FILE")]
    pub cert: Option<PathBuf>,
    /// Private key of --cert (PKCS#8, PKCS#1 or SEC1; encrypted PKCS#8 takes the password options) [default: the key in --cert]
    #[arg(long, value_name = "FILE", requires = "cert")]
    pub key: Option<PathBuf>,
    /// Use the empty password for a PFX given with --cert
    #[arg(long, requires = "cert", conflicts_with_all = ["password_file", "password_env", "password_stdin"])]
    pub no_password: bool,
    #[command(flatten)]
    pub password: PasswordArgs,
}
