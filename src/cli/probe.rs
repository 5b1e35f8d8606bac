use std::path::PathBuf;

use clap::Args;

use super::lint::{FormatArg, SeverityArg};

const AFTER: &str = "EXAMPLES:
  What does the backend really serve, and is it in the right order?
    chainsmith probe api.internal.example.com:8443
  Would a pod with SSL_CERT_FILE=ca-bundle.crt trust it?
    chainsmith probe 10.0.0.5:443 --sni api.example.com --ca-bundle chain/ca-bundle.crt
  In CI, as SARIF:
    chainsmith probe staging.example.com --format sarif --exit-zero > probe.sarif

The chain is captured exactly as the server sends it, even when no client
would trust it, and linted as a server chain (order, missing intermediate,
anchor sent, validity, host name against the SNI).

EXIT CODES:
  0  the served chain has nothing at or above --fail-on
  1  findings at or above --fail-on (with --ca-bundle: also when it would not be trusted)
  2  usage error, or the host cannot be reached, refuses, is not TLS, or times out";

#[derive(Debug, Args)]
#[command(after_help = AFTER)]
pub struct ProbeArgs {
    /// The server: HOST[:PORT] (port 443 by default; IPv6 as [::1]:8443)
    #[arg(value_name = "HOST[:PORT]")]
    pub target: String,
    /// Server name sent in the TLS handshake and checked against the SANs [default: HOST]
    #[arg(long, value_name = "NAME")]
    pub sni: Option<String>,
    /// Seconds to wait for the connection and handshake together
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
}
