use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{KeyTypeArg, PasswordArgs};

const AFTER: &str = "EXAMPLES:
  Renew the server certificate before it expires, keeping subject and SANs:
    chainsmith issue --ca chain/intermediate.crt --ca-key chain/intermediate.key \\
      --ca-chain chain/ca-bundle.crt --renew chain/server.crt -o renewed
  A server certificate valid for 12 hours from 1 March 2030, 00:00 UTC:
    chainsmith issue --ca chain/intermediate.crt --ca-key chain/intermediate.key \\
      --san api.example.com --not-before 2030-03-01T00:00:00Z --validity 12h -o out
  Sign a CSR made elsewhere, taking its SANs only when they are below example.com:
    chainsmith issue --ca chain/intermediate.crt --ca-key chain/intermediate.key \\
      --csr api.csr --allow-san '*.example.com' -o out
  A name-constrained intermediate for one team, under an existing root:
    chainsmith issue --profile intermediate --ca chain/root.crt --ca-key chain/root.key \\
      --cn 'Team A Issuing CA' --permit-dns team-a.example.com \\
      --exclude-dns db.team-a.example.com -o team-a
  Issue a client certificate from an openssl-made CA with an encrypted key:
    chainsmith issue --profile client --ca ca.crt --ca-key ca.key \\
      --ca-key-password-file ca.pass --cn gateway --name gateway -o out

FILES WRITTEN:
  NAME.crt             the new certificate
  NAME.key             its key (0600), unless --key keeps an existing one or --csr brings one
  NAME-fullchain.crt   the certificate followed by its CA chain (root left out)

EXIT CODES:
  0  all files written
  2  usage or I/O error, a CA that cannot issue, a key that does not match, or a CSR whose
     signature fails or whose names are not allowed; nothing is written";

#[derive(Debug, Args)]
#[command(after_help = AFTER)]
pub struct IssueArgs {
    /// The issuing CA certificate
    #[arg(long, value_name = "CERT")]
    pub ca: PathBuf,
    /// The issuing CA's private key (PKCS#8, PKCS#1 or SEC1 PEM; encrypted PKCS#8 too)
    #[arg(long, value_name = "KEY")]
    pub ca_key: PathBuf,
    /// The CA's own chain (its issuers), used for NAME-fullchain.crt
    #[arg(long, value_name = "BUNDLE")]
    pub ca_chain: Option<PathBuf>,
    /// What to issue
    #[arg(long, value_enum, default_value_t = Profile::Server)]
    pub profile: Profile,
    /// Subject alternative name (DNS, wildcard, IPv4, IPv6); repeat for more
    #[arg(long = "san", value_name = "NAME")]
    pub sans: Vec<String>,
    /// Common name [default: the first DNS SAN]
    #[arg(long)]
    pub cn: Option<String>,
    /// Days the certificate is valid (clamped to the CA's notAfter) [default: 397, intermediate 1825]
    #[arg(long)]
    pub days: Option<u32>,
    /// Valid for this long instead of --days: 90d, 12h, 4w, 2y (y = 365 days; clamped to the CA)
    #[arg(long, value_name = "LENGTH", value_parser = super::parse_lifetime, conflicts_with = "days")]
    pub validity: Option<super::Lifetime>,
    /// Start of validity (RFC 3339) [default: now, less 5 minutes for clock skew]
    #[arg(long, value_name = "TIME", value_parser = super::parse_rfc3339)]
    pub not_before: Option<::time::OffsetDateTime>,
    /// End of validity (RFC 3339) instead of --days or --validity (clamped to the CA)
    #[arg(long, value_name = "TIME", value_parser = super::parse_rfc3339, conflicts_with_all = ["days", "validity"])]
    pub not_after: Option<::time::OffsetDateTime>,
    /// pathLenConstraint for --profile intermediate
    #[arg(long, default_value_t = 0)]
    pub pathlen: u8,
    /// Sign this certificate signing request (PKCS#10, PEM or DER; - reads standard input) instead of making a key; its signature must verify
    #[arg(long, value_name = "FILE", conflicts_with_all = ["key", "key_type", "encrypt_key", "renew", "password_file", "password_env", "password_stdin"])]
    pub csr: Option<PathBuf>,
    /// With --csr: a SAN the CSR may ask for: a name, *.domain (any name below it), an IP or a CIDR block; repeat for more
    #[arg(long, value_name = "PATTERN", requires = "csr", value_parser = parse_san_pattern)]
    pub allow_san: Vec<crate::pki::csr::SanPattern>,
    /// Copy subject and SANs from this expiring certificate (it must be issued by --ca)
    #[arg(long, value_name = "OLD.crt")]
    pub renew: Option<PathBuf>,
    /// Keep this existing private key instead of generating a new one
    #[arg(long, value_name = "EXISTING.key")]
    pub key: Option<PathBuf>,
    /// Key algorithm of a new key [default: the CA's own key type]
    #[arg(long, value_enum, conflicts_with = "key")]
    pub key_type: Option<KeyTypeArg>,
    /// Base name of the files written [default: the profile name, or the file name of --renew's OLD or of --csr]
    #[arg(long)]
    pub name: Option<String>,
    /// Output directory
    #[arg(short, long, value_name = "DIR", default_value = ".")]
    pub out: PathBuf,
    /// Overwrite existing files
    #[arg(long)]
    pub force: bool,
    /// Encrypt the new key (PKCS#8, PBES2 AES-256) with --password-*
    #[arg(long, conflicts_with = "key")]
    pub encrypt_key: bool,

    #[command(flatten)]
    pub ca_key_password: super::CaKeyPasswordArgs,

    #[command(flatten)]
    pub constraints: super::NameConstraintArgs,

    #[command(flatten)]
    pub password: PasswordArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Profile {
    /// A TLS server leaf: serverAuth, CA:FALSE
    Server,
    /// A TLS client leaf: clientAuth, CA:FALSE
    Client,
    /// A subordinate CA: CA:TRUE with --pathlen
    Intermediate,
}

impl Profile {
    /// The default base name of the files written.
    pub fn file_name(self) -> &'static str {
        match self {
            Profile::Server => "server",
            Profile::Client => "client",
            Profile::Intermediate => "intermediate",
        }
    }
}

impl IssueArgs {
    /// The engine's profile: `--profile` with `--pathlen` for an intermediate.
    pub fn profile(&self) -> crate::pki::issue::Profile {
        use crate::pki::issue::Profile as P;
        match self.profile {
            Profile::Server => P::Server,
            Profile::Client => P::Client,
            Profile::Intermediate => P::Intermediate {
                pathlen: self.pathlen,
            },
        }
    }
}

/// `--allow-san`: checked by clap, so a bad pattern is one usage error.
fn parse_san_pattern(s: &str) -> Result<crate::pki::csr::SanPattern, String> {
    crate::pki::csr::SanPattern::parse(s)
}
