use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{KeyTypeArg, PasswordArgs};

const AFTER: &str = "EXAMPLES:
  Generate a chain for *.example.com into ./chain:
    chainsmith generate --san '*.example.com' --san example.com -o chain
  A short-lived server certificate (12 hours) under a fresh root and intermediate:
    chainsmith generate --san api.example.com --validity 12h -o chain
  An intermediate that may only issue below example.com and in 10.0.0.0/8:
    chainsmith generate --san api.example.com --permit-dns example.com \\
      --permit-ip 10.0.0.0/8 -o chain
  RSA keys, a named organisation, and a PFX for App Service / APIM:
    chainsmith generate --key-type rsa-2048 --org 'Example Ltd' --san api.example.com \\
      --password-file pfx.pass -o chain

FILES WRITTEN:
  root.crt root.key                   self-signed root CA (keep the key offline)
  intermediate.crt intermediate.key   intermediate CA (pathLen 0 by default)
  server.crt server.key               the backend's leaf certificate
  server-fullchain.crt                server then intermediate (nginx ssl_certificate, APISIX cert)
  ca-bundle.crt                       intermediate then root (SSL_CERT_FILE, curl --cacert, k8s Secret)
  root.cer intermediate.cer           DER, for the APIM CA certificates page
  server.pfx                          key + chain, only when a password source is given

EXIT CODES:
  0  all files written
  2  usage or I/O error; nothing is written or left behind";

#[derive(Debug, Args)]
#[command(after_help = AFTER)]
pub struct GenerateArgs {
    /// Subject alternative name of the server (DNS name, wildcard, IPv4 or IPv6); repeat for more
    #[arg(long = "san", value_name = "NAME", required = true)]
    pub sans: Vec<String>,
    /// Output directory
    #[arg(short, long, value_name = "DIR", default_value = "chain")]
    pub out: PathBuf,
    /// Overwrite existing files
    #[arg(long)]
    pub force: bool,
    /// Key algorithm for all three keys
    #[arg(long, value_enum, default_value_t = KeyTypeArg::EcP256)]
    pub key_type: KeyTypeArg,

    /// Subject country (C)
    #[arg(long, help_heading = "Subject")]
    pub country: Option<String>,
    /// Subject state or province (ST)
    #[arg(long, help_heading = "Subject")]
    pub state: Option<String>,
    /// Subject locality (L)
    #[arg(long, help_heading = "Subject")]
    pub locality: Option<String>,
    /// Subject organisation (O)
    #[arg(long, help_heading = "Subject")]
    pub org: Option<String>,
    /// Subject organisational unit (OU)
    #[arg(long, help_heading = "Subject")]
    pub org_unit: Option<String>,
    /// Common name of the root CA
    #[arg(long, help_heading = "Subject", default_value = "chainsmith Root CA")]
    pub root_cn: String,
    /// Common name of the intermediate CA
    #[arg(
        long,
        help_heading = "Subject",
        default_value = "chainsmith Intermediate CA"
    )]
    pub intermediate_cn: String,
    /// Common name of the server certificate [default: the first DNS SAN]
    #[arg(long, help_heading = "Subject")]
    pub cn: Option<String>,

    /// Days the root is valid
    #[arg(long, help_heading = "Validity", default_value_t = 3650)]
    pub root_days: u32,
    /// Days the intermediate is valid (clamped to the root)
    #[arg(long, help_heading = "Validity", default_value_t = 1825)]
    pub intermediate_days: u32,
    /// Days the server certificate is valid (clamped to the intermediate)
    #[arg(long, help_heading = "Validity", default_value_t = 397)]
    pub server_days: u32,
    /// Start of validity of all three certificates (RFC 3339); the days count from it [default: now, less 5 minutes]
    #[arg(long, help_heading = "Validity", value_name = "TIME", value_parser = super::parse_rfc3339)]
    pub not_before: Option<::time::OffsetDateTime>,
    /// The server certificate is valid for this long instead of --server-days: 90d, 12h, 4w, 2y
    #[arg(long, help_heading = "Validity", value_name = "LENGTH", value_parser = super::parse_lifetime, conflicts_with = "server_days")]
    pub validity: Option<super::Lifetime>,
    /// End of the server certificate's validity (RFC 3339) instead of --server-days or --validity
    #[arg(long, help_heading = "Validity", value_name = "TIME", value_parser = super::parse_rfc3339, conflicts_with_all = ["server_days", "validity"])]
    pub not_after: Option<::time::OffsetDateTime>,
    /// pathLenConstraint of the intermediate
    #[arg(long, help_heading = "Validity", default_value_t = 0)]
    pub pathlen: u8,

    /// Encrypt the private keys (PKCS#8, PBES2 AES-256) with the password
    #[arg(long, help_heading = "Keys and PFX")]
    pub encrypt_keys: bool,
    /// PKCS#12 profile of server.pfx [default: compat]
    #[arg(long, help_heading = "Keys and PFX", value_enum)]
    pub pfx_profile: Option<PfxProfileArg>,
    /// Also put the root in server.pfx
    #[arg(long, help_heading = "Keys and PFX")]
    pub pfx_with_root: bool,

    #[command(flatten)]
    pub constraints: super::NameConstraintArgs,

    #[command(flatten)]
    pub password: PasswordArgs,
}

/// PKCS#12 encryption profiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PfxProfileArg {
    /// 3DES bags, HMAC-SHA1: Windows Server 2016+, App Service, APIM, Java 8+, OpenSSL 3
    Compat,
    /// PBES2 AES-256-CBC, HMAC-SHA256: Windows 10 1709+/Server 2019+, OpenSSL 3, Java 11.0.12+
    Modern,
}
