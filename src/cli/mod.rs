//! Command-line definitions (clap derive). Each subcommand's arguments live
//! in a file of their own; shared groups live here.
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub mod bundle;
pub mod completions;
pub mod convert;
pub mod export;
pub mod generate;
pub mod inspect;
pub mod issue;
pub mod lint;
pub mod probe;
pub mod rotate;
pub mod rules;

pub const EXIT_CODES: &str = "EXIT CODES:\n  0  success (lint: nothing at or above --fail-on)\n  1  lint findings at or above --fail-on\n  2  usage, I/O or configuration error, or failed work (nothing is left half-written)";

#[derive(Debug, Parser)]
#[command(
    name = "chainsmith",
    version = concat!(env!("CARGO_PKG_VERSION"), " (crypto: aws-lc-rs)"),
    about = "Prepare and check X.509 CA chains for the gateways, servers and pods that consume them",
    propagate_version = true,
    help_expected = true,
    after_help = EXIT_CODES,
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Each subcommand's arguments are built only when that subcommand is used
/// (`defer`): a run pays for one command's definitions, not all eleven.
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum Command {
    /// Generate a root -> intermediate -> server chain with every derived file
    Generate(generate::GenerateArgs),
    /// Issue one certificate from an existing CA (the rotation path)
    Issue(issue::IssueArgs),
    /// Convert between PEM, DER (.cer), PKCS#7 (.p7b) and PKCS#12 (.pfx)
    Convert(convert::ConvertArgs),
    /// Order any pile of certificates into a clean bundle for a named use
    Bundle(bundle::BundleArgs),
    /// Show the chain(s) in files as a tree: roles, validity, links, SHA-1 thumbprints
    Inspect(inspect::InspectArgs),
    /// Deployment artefacts for a target: apim, apisix, k8s
    Export(export::ExportArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish)
    Completions(completions::CompletionsArgs),
    /// Print the man page, or write every page into a directory
    Man(completions::ManArgs),
    /// Check certificate files against the rule catalogue
    Lint(lint::LintArgs),
    /// List the lint rules, or explain one
    Rules(rules::RulesArgs),
    /// Connect to a TLS server, capture the chain it sends, and lint it
    Probe(probe::ProbeArgs),
    /// Roll a root or intermediate over: new CA, cross certificates, bundles, dated plan
    Rotate(rotate::RotateArgs),
}

impl Command {
    /// Does this command read or make private keys or passwords? Those run
    /// with core dumps off (see `no_core_dumps` in lib.rs).
    pub fn may_hold_secrets(&self) -> bool {
        !matches!(
            self,
            Command::Completions(_) | Command::Man(_) | Command::Rules(_)
        )
    }
}

/// Options every command takes. They are listed last under "Options" in
/// every command's help (`display_order`): deferred subcommands receive the
/// global arguments before their own, so a heading of their own would land
/// between a command's "Options" and its other sections.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Print nothing but errors and requested output
    #[arg(
        short,
        long,
        global = true,
        conflicts_with = "verbose",
        display_order = 900
    )]
    pub quiet: bool,
    /// Say more about what is being done (repeat for more)
    #[arg(short, long, global = true, action = clap::ArgAction::Count, display_order = 901)]
    pub verbose: u8,
    /// When to use colour (NO_COLOR is honoured with auto)
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, display_order = 902)]
    pub color: ColorChoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

// Where a password comes from. Never a plain argument. (A plain comment:
// a doc comment here would become the `about` of every command that
// flattens this group once subcommands are deferred.)
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Password (never a plain argument)")]
pub struct PasswordArgs {
    /// Read the password from the first line of FILE
    #[arg(long, value_name = "FILE", conflicts_with_all = ["password_env", "password_stdin"])]
    pub password_file: Option<PathBuf>,
    /// Read the password from the environment variable VAR
    #[arg(long, value_name = "VAR", conflicts_with = "password_stdin")]
    pub password_env: Option<String>,
    /// Read the password from the first line of standard input
    #[arg(long)]
    pub password_stdin: bool,
}

impl PasswordArgs {
    pub fn source(&self) -> crate::secret::PasswordSource {
        crate::secret::PasswordSource {
            file: self.password_file.clone(),
            env: self.password_env.clone(),
            stdin: self.password_stdin,
        }
    }
    pub fn given(&self) -> bool {
        self.password_file.is_some() || self.password_env.is_some() || self.password_stdin
    }
}

/// Key algorithms `generate` and `issue` can create.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KeyTypeArg {
    #[value(name = "ec-p256")]
    EcP256,
    #[value(name = "ec-p384")]
    EcP384,
    #[value(name = "ed25519")]
    Ed25519,
    #[value(name = "rsa-2048")]
    Rsa2048,
    #[value(name = "rsa-3072")]
    Rsa3072,
    #[value(name = "rsa-4096")]
    Rsa4096,
}

impl From<KeyTypeArg> for crate::pki::keys::KeyType {
    fn from(k: KeyTypeArg) -> Self {
        use crate::pki::keys::KeyType;
        match k {
            KeyTypeArg::EcP256 => KeyType::EcP256,
            KeyTypeArg::EcP384 => KeyType::EcP384,
            KeyTypeArg::Ed25519 => KeyType::Ed25519,
            KeyTypeArg::Rsa2048 => KeyType::Rsa(2048),
            KeyTypeArg::Rsa3072 => KeyType::Rsa(3072),
            KeyTypeArg::Rsa4096 => KeyType::Rsa(4096),
        }
    }
}

/// `--client`: a client model, or `all`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ClientArg {
    /// OpenSSL 3 defaults: nginx proxy_ssl_verify, APISIX, Python ssl, s_client
    Openssl,
    /// OpenSSL with X509_STRICT (Python 3.13's default)
    OpensslStrict,
    /// curl with OpenSSL (partial chains)
    Curl,
    /// Go crypto/x509
    Go,
    /// Java PKIX with a PKCS#12 truststore
    Java,
    /// rustls (rustls-webpki)
    Webpki,
    /// .NET on Linux: the APIM self-hosted gateway
    DotnetLinux,
    /// nginx proxy_ssl_verify with the default proxy_ssl_verify_depth 1
    Nginx,
    /// Every client above
    All,
}

/// The clients named by `--client` (none named: every client).
pub fn clients_of(args: &[ClientArg]) -> Vec<crate::pki::clients::Client> {
    use crate::pki::clients::Client;
    if args.is_empty() || args.contains(&ClientArg::All) {
        return Client::ALL.to_vec();
    }
    let mut out: Vec<Client> = args
        .iter()
        .filter_map(|a| match a {
            ClientArg::Openssl => Some(Client::Openssl),
            ClientArg::OpensslStrict => Some(Client::OpensslStrict),
            ClientArg::Curl => Some(Client::Curl),
            ClientArg::Go => Some(Client::Go),
            ClientArg::Java => Some(Client::Java),
            ClientArg::Webpki => Some(Client::Webpki),
            ClientArg::DotnetLinux => Some(Client::DotnetLinux),
            ClientArg::Nginx => Some(Client::Nginx),
            ClientArg::All => None,
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// `--at`: an RFC 3339 time, checked by clap so that a bad value is one
/// usage error (exit 2).
pub fn parse_rfc3339(s: &str) -> Result<::time::OffsetDateTime, String> {
    ::time::OffsetDateTime::parse(s.trim(), &::time::format_description::well_known::Rfc3339)
        .map_err(|e| format!("not an RFC 3339 time like 2030-01-01T00:00:00Z: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
