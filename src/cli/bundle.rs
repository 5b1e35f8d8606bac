use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::PasswordArgs;

const AFTER: &str = "EXAMPLES:
  A CA bundle for SSL_CERT_FILE, curl --cacert or a Kubernetes Secret:
    chainsmith bundle certs/*.crt -o ca-bundle.crt
  The chain nginx (ssl_certificate) and APISIX (cert) serve, leaf first:
    chainsmith bundle --for server server.crt intermediate.crt root.crt -o fullchain.crt
  For `az aks update --custom-ca-trust-certificates`:
    chainsmith bundle --for aks root.crt intermediate.crt -o aks-ca.txt
  A pod whose only trust source is SSL_CERT_FILE, which must also reach public sites:
    chainsmith bundle --system-roots root.crt intermediate.crt -o ca-bundle.crt

The output is LF-only PEM, deduplicated, and byte-identical for the same
inputs in any order. Signatures are verified while linking certificates.

EXIT CODES:
  0  bundle written
  2  usage or I/O error, unreadable or empty input, a missing link (without
     --allow-incomplete), or no certificate for the requested use; nothing is written";

#[derive(Debug, Args)]
#[command(after_help = AFTER)]
pub struct BundleArgs {
    /// Input files in any order: PEM (text around blocks, CRLF), DER, PKCS#7, PKCS#12
    #[arg(value_name = "INPUT", required = true)]
    pub inputs: Vec<PathBuf>,
    /// What the bundle is for
    #[arg(long = "for", value_enum, default_value_t = BundleFor::Ca)]
    pub target: BundleFor,
    /// Output file [default: standard output]
    #[arg(short, long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Overwrite an existing output file
    #[arg(long)]
    pub force: bool,
    /// --for server: end with the self-signed root
    #[arg(long)]
    pub with_root: bool,
    /// Write the bundle even when an issuer is missing
    #[arg(long)]
    pub allow_incomplete: bool,
    /// --for ca/aks: append the system trust store; another store with --system-roots=PATH [default PATH: /etc/ssl/certs/ca-certificates.crt]
    #[arg(
        long,
        value_name = "PATH",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = DEFAULT_SYSTEM_ROOTS
    )]
    pub system_roots: Option<PathBuf>,
    /// Add missing issuers fetched from AIA caIssuers URLs (http only; at most 5 per chain, 1 MB per response), each checked by its signature
    #[arg(long)]
    pub fetch_aia: bool,
    /// With --fetch-aia: seconds all fetches may take together
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = 10.0,
        requires = "fetch_aia"
    )]
    pub timeout: f64,
    /// Use the empty password for PKCS#12 inputs
    #[arg(long, conflicts_with_all = ["password_file", "password_env", "password_stdin"])]
    pub no_password: bool,
    #[command(flatten)]
    pub password: PasswordArgs,
}

pub const DEFAULT_SYSTEM_ROOTS: &str = "/etc/ssl/certs/ca-certificates.crt";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BundleFor {
    /// CA certificates only: intermediates child-first, then roots (SSL_CERT_FILE, curl --cacert, k8s)
    Ca,
    /// The served chain: leaf, then each issuer; root only with --with-root (nginx, APISIX)
    Server,
    /// CA certificates separated by a blank line, at most 10 (AKS custom CA trust)
    Aks,
}
