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

// Where the issuing CA key's password comes from (`issue`, `rotate`), beside
// the --password-* of the keys written. A plain comment, for the reason
// given at PasswordArgs.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "CA key password")]
pub struct CaKeyPasswordArgs {
    /// Read the CA key's password from the first line of FILE
    #[arg(long, value_name = "FILE", conflicts_with_all = ["ca_key_password_env", "ca_key_password_stdin"])]
    pub ca_key_password_file: Option<PathBuf>,
    /// Read the CA key's password from the environment variable VAR
    #[arg(long, value_name = "VAR", conflicts_with = "ca_key_password_stdin")]
    pub ca_key_password_env: Option<String>,
    /// Read the CA key's password from standard input
    #[arg(long)]
    pub ca_key_password_stdin: bool,
}

impl CaKeyPasswordArgs {
    pub fn source(&self) -> crate::secret::PasswordSource {
        crate::secret::PasswordSource {
            file: self.ca_key_password_file.clone(),
            env: self.ca_key_password_env.clone(),
            stdin: self.ca_key_password_stdin,
        }
    }
}

// The nameConstraints of a new intermediate (`generate`, `issue --profile
// intermediate`). A plain comment, for the reason given at PasswordArgs.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Name constraints of the intermediate (critical)")]
pub struct NameConstraintArgs {
    /// Names below the intermediate must be in this DNS subtree (example.com: it and every name below); repeat for more
    #[arg(long, value_name = "DOMAIN", value_parser = dns_constraint)]
    pub permit_dns: Vec<String>,
    /// No name below the intermediate may be in this DNS subtree; repeat for more
    #[arg(long, value_name = "DOMAIN", value_parser = dns_constraint)]
    pub exclude_dns: Vec<String>,
    /// IP SANs below the intermediate must be in this block (10.0.0.0/8, fd00::/8); repeat for more
    #[arg(long, value_name = "CIDR", value_parser = parse_cidr)]
    pub permit_ip: Vec<(std::net::IpAddr, u8)>,
    /// No IP SAN below the intermediate may be in this block; repeat for more
    #[arg(long, value_name = "CIDR", value_parser = parse_cidr)]
    pub exclude_ip: Vec<(std::net::IpAddr, u8)>,
    /// Email addresses below the intermediate must match (user@example.com, example.com, .example.com); repeat for more
    #[arg(long, value_name = "MAILBOX|DOMAIN", value_parser = crate::pki::issue::parse_email_constraint)]
    pub permit_email: Vec<String>,
}

/// `--permit-dns` / `--exclude-dns`: a DNS subtree; an IP address is
/// pointed at the flags that take one.
fn dns_constraint(s: &str) -> Result<String, String> {
    crate::pki::issue::parse_dns_constraint(s).map_err(|e| {
        if s.trim().parse::<std::net::IpAddr>().is_ok() {
            format!("{e}; use --permit-ip / --exclude-ip with a CIDR block")
        } else {
            e
        }
    })
}

impl NameConstraintArgs {
    pub fn given(&self) -> bool {
        !self.spec().is_empty()
    }
    pub fn spec(&self) -> crate::pki::issue::NameConstraintSpec {
        crate::pki::issue::NameConstraintSpec {
            permit_dns: self.permit_dns.clone(),
            exclude_dns: self.exclude_dns.clone(),
            permit_ip: self.permit_ip.clone(),
            exclude_ip: self.exclude_ip.clone(),
            permit_email: self.permit_email.clone(),
        }
    }
}

/// `--permit-ip` / `--exclude-ip`: a CIDR block, checked by clap.
pub fn parse_cidr(s: &str) -> Result<(std::net::IpAddr, u8), String> {
    crate::pki::issue::parse_cidr(s)
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

/// `--client`: a client model, or `all`. The names and their help come
/// from the models in `pki::clients`, so a new model is one row there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientArg {
    One(crate::pki::clients::Client),
    All,
}

impl ValueEnum for ClientArg {
    fn value_variants<'a>() -> &'a [Self] {
        use crate::pki::clients::Client;
        const VALUES: [ClientArg; Client::ALL.len() + 1] = {
            let mut v = [ClientArg::All; Client::ALL.len() + 1];
            let mut i = 0;
            while i < Client::ALL.len() {
                v[i] = ClientArg::One(Client::ALL[i]);
                i += 1;
            }
            v
        };
        &VALUES
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        use clap::builder::PossibleValue;
        Some(match self {
            ClientArg::One(c) => PossibleValue::new(c.name()).help(c.model().summary),
            ClientArg::All => PossibleValue::new("all").help("Every client above"),
        })
    }
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
            ClientArg::One(c) => Some(*c),
            ClientArg::All => None,
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// `--at`: an RFC 3339 time, checked by clap so that a bad value is one
/// usage error (exit 2).
/// An RFC 3339 time, in UTC: certificates encode UTC, and a time whose
/// local year differs from its UTC year (2049-12-31T23:30:00-01:00) must
/// not reach the encoder with the wrong one. Years outside 0000-9999 in UTC
/// (what X.509's GeneralizedTime can hold) are refused.
pub fn parse_rfc3339(s: &str) -> Result<::time::OffsetDateTime, String> {
    let t =
        ::time::OffsetDateTime::parse(s.trim(), &::time::format_description::well_known::Rfc3339)
            .map_err(|e| format!("not an RFC 3339 time like 2030-01-01T00:00:00Z: {e}"))?;
    t.checked_to_offset(::time::UtcOffset::UTC)
        .filter(|u| (0..=9999).contains(&u.year()))
        .ok_or_else(|| "the time is outside the years 0000-9999 in UTC".to_owned())
}

/// `--validity`: a length such as `90d`, `12h`, `4w` or `2y`, with the text
/// given, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lifetime {
    pub text: String,
    pub duration: ::time::Duration,
}

impl std::fmt::Display for Lifetime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// The longest `--validity`: nothing past it can end before 9999-12-31,
/// the last date X.509 can encode.
pub const MAX_LIFETIME_YEARS: u64 = 10_000;

/// `--validity`: a positive whole number and a unit, h (hours), d (days),
/// w (weeks) or y (years of 365 days). Zero, signs, fractions, other units
/// and lengths over [`MAX_LIFETIME_YEARS`] are one usage error (exit 2).
pub fn parse_lifetime(s: &str) -> Result<Lifetime, String> {
    let t = s.trim();
    let hint = "a whole number and a unit h, d, w or y, like 90d, 12h, 4w or 2y";
    let split = t.len().saturating_sub(1);
    let (number, unit) = (t.get(..split).unwrap_or(""), t.get(split..).unwrap_or(""));
    let hours_per: u64 = match unit {
        "h" => 1,
        "d" => 24,
        "w" => 24 * 7,
        "y" => 24 * 365,
        _ => return Err(format!("not {hint}")),
    };
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("not {hint}"));
    }
    let max_hours = MAX_LIFETIME_YEARS * 365 * 24;
    let hours = number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(hours_per))
        .filter(|h| *h <= max_hours)
        .ok_or_else(|| format!("longer than {MAX_LIFETIME_YEARS} years"))?;
    if hours == 0 {
        return Err("a certificate must be valid for more than zero time".to_owned());
    }
    let hours =
        i64::try_from(hours).map_err(|_| format!("longer than {MAX_LIFETIME_YEARS} years"))?;
    Ok(Lifetime {
        text: t.to_owned(),
        duration: ::time::Duration::hours(hours),
    })
}

#[cfg(test)]
mod rfc3339_tests {
    use super::parse_rfc3339;

    #[test]
    fn times_are_taken_in_utc_and_kept_inside_the_encodable_years() {
        let t = parse_rfc3339("2049-12-31T23:30:00-01:00").unwrap();
        assert_eq!((t.year(), t.offset().is_utc()), (2050, true));
        let t = parse_rfc3339("1950-01-01T00:30:00+01:00").unwrap();
        assert_eq!(t.year(), 1949);
        assert!(parse_rfc3339("9999-12-31T23:30:00-01:00").is_err());
        assert!(parse_rfc3339("0000-01-01T00:30:00+01:00").is_err());
        assert!(parse_rfc3339("2030-01-01T00:00:00Z").is_ok());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn lifetimes_parse_in_whole_units_and_refuse_the_rest() {
        let hours = |s: &str| parse_lifetime(s).map(|l| l.duration.whole_hours());
        assert_eq!(hours("12h"), Ok(12));
        assert_eq!(hours("90d"), Ok(90 * 24));
        assert_eq!(hours("4w"), Ok(4 * 7 * 24));
        assert_eq!(hours("2y"), Ok(2 * 365 * 24));
        assert_eq!(hours("10000y"), Ok(10_000 * 365 * 24));
        for bad in [
            "",
            "d",
            "0d",
            "0h",
            "-1d",
            "+1d",
            "1.5d",
            "1m",
            "1 d",
            "12",
            "d12",
            "10001y",
            "999999999y",
            "18446744073709551615h",
            "99999999999999999999999d",
            "٣d",
        ] {
            assert!(parse_lifetime(bad).is_err(), "{bad:?}");
        }
    }
}
