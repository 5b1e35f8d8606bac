use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::PasswordArgs;
use super::generate::PfxProfileArg;

const AFTER: &str = "EXAMPLES:
  One DER .cer per certificate for the APIM CA certificates page:
    chainsmith convert --to der ca-bundle.crt -o apim/
  A .p7b, .cer or PFX to PEM (the key, 0600, with --with-key):
    chainsmith convert --to pem chain.p7b -o chain.pem
    chainsmith convert --to pem server.pfx --password-file pfx.pass --with-key -o server.pem
  A PFX for APIM custom domains or Windows:
    chainsmith convert --to pfx server.crt --key server.key --chain intermediate.crt \\
      --name api --password-file pfx.pass -o server.pfx
  A certificate-only PFX (the APIM self-hosted gateway workaround, a Java truststore):
    chainsmith convert --to pfx root.crt --password-env PFX_PASS -o root.pfx
  A PFX exactly as App Service takes it (key, every intermediate and the root, triple DES):
    chainsmith convert --to pfx --for appservice server.crt --key server.key \\
      --chain intermediate.crt --chain root.crt --password-file pfx.pass -o app.pfx
  Key Vault's PEM import (certificates, leaf first, then the PKCS#8 key; 0600):
    chainsmith convert --to keyvault-pem server.crt --key server.key --chain ca-bundle.crt -o kv.pem

PASSWORDS:
  PKCS#12 inputs are opened, and PFX outputs written, with the password from
  --password-file, --password-env or --password-stdin, or a prompt on a TTY.
  --no-password means the empty password: the PFX keeps its encrypted
  structure and MAC, but anyone can open it. chainsmith never writes a PFX
  without encryption or MAC.

EXIT CODES:
  0  converted
  2  usage or I/O error, unreadable input, wrong password, key mismatch;
     nothing is written";

#[derive(Debug, Args)]
#[command(after_help = AFTER)]
pub struct ConvertArgs {
    /// Input files: PEM, DER (.cer), PKCS#7 (.p7b) or PKCS#12 (.pfx); `-` reads standard input
    #[arg(value_name = "INPUT", required = true)]
    pub inputs: Vec<PathBuf>,
    /// Output format
    #[arg(long, value_enum)]
    pub to: ConvertTo,
    /// Output: a directory or one .cer file (der), a file (pem, default stdout), a .pfx file (pfx), a .pem file (keyvault-pem)
    #[arg(short, long, value_name = "PATH")]
    pub out: Option<PathBuf>,
    /// Overwrite existing files
    #[arg(long)]
    pub force: bool,

    /// Also write the private key of a PKCS#12 input (PKCS#8 PEM, mode 0600)
    #[arg(long, help_heading = "PEM output", requires = "out")]
    pub with_key: bool,
    /// Where --with-key writes the key [default: the output path with a .key extension]
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "PEM output",
        requires = "with_key"
    )]
    pub key_out: Option<PathBuf>,

    /// The leaf's private key (pfx, keyvault-pem); an encrypted PKCS#8 key is opened with the PFX password [default: the one key in the inputs, e.g. a PFX being re-encrypted; with none, the PFX holds certificates only]
    #[arg(long, value_name = "FILE", help_heading = "PKCS#12 output")]
    pub key: Option<PathBuf>,
    /// Issuer certificates to add after the leaf (repeatable; only the leaf's chain is used)
    #[arg(long, value_name = "BUNDLE", help_heading = "PKCS#12 output")]
    pub chain: Vec<PathBuf>,
    /// Friendly name of the key (or of the first certificate in a certificate-only PFX)
    #[arg(long, value_name = "NAME", help_heading = "PKCS#12 output")]
    pub name: Option<String>,
    /// Encryption profile [default: compat]
    #[arg(long, value_enum, help_heading = "PKCS#12 output")]
    pub profile: Option<PfxProfileArg>,
    /// Write the PFX as this service imports it, and refuse what it would refuse
    #[arg(
        long = "for",
        value_enum,
        value_name = "SERVICE",
        help_heading = "PKCS#12 output"
    )]
    pub target: Option<PfxTarget>,

    /// Use the empty password (for PKCS#12 inputs and the PFX output)
    #[arg(long, conflicts_with_all = ["password_file", "password_env", "password_stdin"])]
    pub no_password: bool,
    #[command(flatten)]
    pub password: PasswordArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ConvertTo {
    /// DER, one .cer file per certificate (the APIM CA certificates page)
    Der,
    /// PEM certificates, LF line endings
    Pem,
    /// PKCS#12 (.pfx) with the leaf, its chain and optionally its key
    Pfx,
    /// Azure Key Vault's PEM import: the leaf, its issuers, then the unencrypted PKCS#8 key (0600)
    KeyvaultPem,
}

/// Services whose PFX import `--for` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PfxTarget {
    /// App Service: key, every intermediate and the root, RSA 2048+ (ECC noted), triple DES, a password
    Appservice,
    /// Key Vault: key, RSA 2048+ or ECDSA (no Ed25519)
    Keyvault,
}

impl From<PfxProfileArg> for crate::pki::pkcs12::Profile {
    fn from(p: PfxProfileArg) -> Self {
        match p {
            PfxProfileArg::Compat => crate::pki::pkcs12::Profile::Compat,
            PfxProfileArg::Modern => crate::pki::pkcs12::Profile::Modern,
        }
    }
}
