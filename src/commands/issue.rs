//! `issue`: one certificate from an existing CA — the rotation path.
//!
//! Resolve → run → emit: [`IssuePlan::resolve`] turns the arguments into a
//! loaded CA, a subject, a key and a validity (every error a user can cause
//! is found here); [`sign`] makes the certificate and checks it with the
//! CA's key; [`emit`] writes the files at once and prints the summary.
use std::path::{Path, PathBuf};

use ::time::OffsetDateTime;
use anyhow::{Context, anyhow, bail};
use rcgen::{DistinguishedName, Issuer};
use rustls_pki_types::CertificateDer;

use crate::ExitStatus;
use crate::cli::GlobalArgs;
use crate::cli::issue::IssueArgs;
use crate::error::PASSWORD_FLAGS;
use crate::fsio::{Mode, WriteSet};
use crate::pki::chain::{Graph, Verifier};
use crate::pki::csr::{self, Csr};
use crate::pki::issue::{self, Length, NameConstraintSpec, Profile, SanSpec, Subject};
use crate::pki::keys::{self, KeyType};
use crate::pki::load::{self, LoadOptions};
use crate::pki::model::{Cert, San};
use crate::pki::verify::{self, SigCheck};
use crate::report::{Printer, escape, escape_path};
use crate::secret::Password;

pub fn run(args: IssueArgs, global: &GlobalArgs) -> anyhow::Result<ExitStatus> {
    let printer = Printer::new(global);
    let plan = IssuePlan::resolve(&args, &printer)?;
    let issued = sign(&plan)?;
    emit(&plan, &issued, &printer)
}

/// Everything `issue` needs, checked, before anything is signed or written.
struct IssuePlan {
    ca: Ca,
    profile: Profile,
    /// nameConstraints of a new intermediate.
    constraints: NameConstraintSpec,
    names: Names,
    key: KeyPlan,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
    out: PathBuf,
    name: String,
    force: bool,
}

/// The issuing CA: its certificate, its key, and its chain up to the root.
struct Ca {
    path: PathBuf,
    cert: Cert,
    key: keys::Key,
    chain: Vec<Cert>,
}

/// The new certificate's subject and SANs.
struct Names {
    sans: Vec<SanSpec>,
    /// The old certificate's subject, with `--renew`.
    renew_dn: Option<DistinguishedName>,
    /// `--cn`, or the default CN when there is no renewed subject.
    cn: Option<String>,
}

/// The new certificate's key.
enum KeyPlan {
    /// `--key`: kept, not written.
    Existing(keys::Key),
    /// A new key, written (encrypted with the password, if any).
    New {
        key: keys::Key,
        password: Option<Password>,
    },
    /// `--csr`: the requester's public key; no key is written.
    Csr(Box<Csr>),
}

impl KeyPlan {
    fn is_rsa(&self) -> bool {
        match self {
            KeyPlan::Existing(key) | KeyPlan::New { key, .. } => {
                key.algorithm() == &rcgen::PKCS_RSA_SHA256
            }
            KeyPlan::Csr(csr) => csr.rsa,
        }
    }
}

impl IssuePlan {
    fn resolve(args: &IssueArgs, printer: &Printer) -> anyhow::Result<IssuePlan> {
        let profile = args.profile();
        if args.constraints.given() && !matches!(profile, Profile::Intermediate { .. }) {
            bail!(
                "--permit-* and --exclude-* put nameConstraints on a CA: use them with --profile intermediate"
            );
        }
        let mut ca = Ca::load(args, profile)?;
        let (names, key) = match &args.csr {
            Some(path) => {
                let csr = csr::read(path)?;
                let names = Names::from_csr(args, path, &csr, profile, printer)?;
                (names, KeyPlan::Csr(Box::new(csr)))
            }
            None => (
                Names::resolve(args, &ca, profile, printer)?,
                KeyPlan::resolve(args, &ca.cert, printer)?,
            ),
        };
        let (not_before, not_after) = validity(args, profile, &ca.cert, printer)?;
        ca.chain = ca_chain(&ca.cert, args.ca_chain.as_deref())?;
        Ok(IssuePlan {
            ca,
            profile,
            constraints: args.constraints.spec(),
            names,
            key,
            not_before,
            not_after,
            out: args.out.clone(),
            name: args.name.clone().unwrap_or_else(|| default_name(args)),
            force: args.force,
        })
    }
}

impl Ca {
    /// The CA certificate and its key: able to issue this profile, and a pair.
    fn load(args: &IssueArgs, profile: Profile) -> anyhow::Result<Ca> {
        let cert = super::inputs::first_cert(&args.ca, "the issuing CA")?;
        check_ca_can_issue(&args.ca, &cert, profile)?;
        let source = args.ca_key_password.source();
        if source.stdin && args.password.password_stdin {
            bail!("--ca-key-password-stdin and --password-stdin cannot both read standard input");
        }
        if source.stdin && args.csr.as_deref().is_some_and(|p| p.as_os_str() == "-") {
            bail!("--ca-key-password-stdin and --csr - cannot both read standard input");
        }
        let key = keys::read_key(&args.ca_key, &source, "the CA key").map_err(|e| {
            e.or_give_password_with(
                "--ca-key-password-file, --ca-key-password-env or --ca-key-password-stdin",
            )
        })?;
        if !keys::matches(&cert, &key) {
            bail!(
                "{}: this key does not match the CA certificate {} (subject {})",
                escape_path(&args.ca_key),
                escape_path(&args.ca),
                escape(&cert.subject)
            );
        }
        Ok(Ca {
            path: args.ca.clone(),
            cert,
            key,
            chain: Vec::new(),
        })
    }
}

impl Names {
    /// Subject and SANs: from `--renew`, then `--san` and `--cn` on top.
    fn resolve(
        args: &IssueArgs,
        ca: &Ca,
        profile: Profile,
        printer: &Printer,
    ) -> anyhow::Result<Names> {
        let mut sans: Vec<SanSpec> = Vec::new();
        let mut renew_dn = None;
        if let Some(old_path) = &args.renew {
            renew_dn = Some(renewed(old_path, ca, &mut sans, printer)?);
        }
        for s in issue::parse_sans(&args.sans).map_err(|e| anyhow!(e))? {
            if !sans.contains(&s) {
                sans.push(s);
            }
        }
        if matches!(profile, Profile::Server) && sans.is_empty() {
            bail!(
                "a server certificate needs at least one --san (or --renew OLD.crt to copy them)"
            );
        }
        let cn = match (&args.cn, &renew_dn) {
            (Some(cn), _) => Some(cn.clone()),
            (None, Some(_)) => None,
            (None, None) => Some(issue::default_cn(&sans).ok_or_else(|| {
                anyhow!("give --cn or at least one --san to name the certificate")
            })?),
        };
        Ok(Names { sans, renew_dn, cn })
    }

    /// Subject and SANs from a CSR, only where `--san`, `--allow-san` and
    /// `--cn` allow; every part not copied is named in a warning.
    fn from_csr(
        args: &IssueArgs,
        path: &Path,
        csr: &Csr,
        profile: Profile,
        printer: &Printer,
    ) -> anyhow::Result<Names> {
        let p = escape_path(path);
        let sans = if args.sans.is_empty() {
            csr_sans(args, &p, csr)?
        } else {
            let sans = issue::parse_sans(&args.sans).map_err(|e| anyhow!(e))?;
            let asked = csr
                .sans
                .iter()
                .filter(|s| !sans.contains(s))
                .map(|s| s.to_string());
            for s in asked.chain(csr.other_sans.iter().cloned()) {
                printer.warn(&format!(
                    "{p}: requested SAN `{}` is not copied: --san sets the SANs",
                    escape(&s)
                ));
            }
            sans
        };
        if matches!(profile, Profile::Server) && sans.is_empty() {
            bail!("{p}: the CSR asks for no SAN, and a server certificate needs one: give --san");
        }
        let taken = |cn: &String| {
            SanSpec::parse(cn)
                .is_ok_and(|s| sans.contains(&s) || args.allow_san.iter().any(|a| a.covers(&s)))
        };
        let cn = match (&args.cn, &csr.cn) {
            (Some(cn), _) => cn.clone(),
            (None, Some(cn)) if taken(cn) => cn.clone(),
            (None, asked) => {
                if let Some(cn) = asked {
                    printer.warn(&format!("{p}: subject CN `{}` is not copied: it is not one of the SANs and no --allow-san covers it", escape(cn)));
                }
                issue::default_cn(&sans)
                    .ok_or_else(|| anyhow!("{p}: give --cn to name the certificate"))?
            }
        };
        if !csr.other_subject.is_empty() {
            printer.warn(&format!(
                "{p}: subject attributes not copied (only the CN is): {}",
                escape(&csr.other_subject.join(", "))
            ));
        }
        for e in &csr.extensions {
            printer.warn(&format!(
                "{p}: requested extension {e} is not copied: --profile sets the extensions"
            ));
        }
        Ok(Names {
            sans,
            renew_dn: None,
            cn: Some(cn),
        })
    }

    /// The subject DN: the renewed one with `--cn` replacing its CN, or just the CN.
    fn dn(&self) -> DistinguishedName {
        match &self.renew_dn {
            Some(dn) => {
                let mut dn = dn.clone();
                if let Some(cn) = &self.cn {
                    dn.remove(rcgen::DnType::CommonName);
                    dn.push(rcgen::DnType::CommonName, cn.as_str());
                }
                dn
            }
            None => Subject {
                cn: self.cn.clone().unwrap_or_default(),
                ..Default::default()
            }
            .to_dn(),
        }
    }
}

/// The CSR's SANs without `--san`: each must be a DNS or IP SAN that an
/// `--allow-san` pattern covers, else nothing is issued.
fn csr_sans(args: &IssueArgs, p: &str, csr: &Csr) -> anyhow::Result<Vec<SanSpec>> {
    if let Some(other) = csr.other_sans.first() {
        bail!(
            "{p}: the CSR asks for SAN `{}`, and only DNS and IP SANs are issued; set the SANs with --san",
            escape(other)
        );
    }
    let refused: Vec<String> = csr
        .sans
        .iter()
        .filter(|s| !args.allow_san.iter().any(|a| a.covers(s)))
        .map(|s| format!("`{s}`"))
        .collect();
    if !refused.is_empty() {
        let how = if args.allow_san.is_empty() {
            "copy them with --allow-san PATTERN (a name, *.domain, an IP or a CIDR block), or set the SANs with --san"
        } else {
            "no --allow-san covers it"
        };
        bail!(
            "{p}: the CSR asks for SAN {}; {how}",
            escape(&refused.join(", "))
        );
    }
    let mut sans: Vec<SanSpec> = Vec::new();
    for s in &csr.sans {
        if !sans.contains(s) {
            sans.push(s.clone());
        }
    }
    Ok(sans)
}

/// `--renew OLD`: OLD must be the CA's; its DNS and IP SANs go into `sans`
/// and its subject is returned.
fn renewed(
    old_path: &Path,
    ca: &Ca,
    sans: &mut Vec<SanSpec>,
    printer: &Printer,
) -> anyhow::Result<DistinguishedName> {
    let old = super::inputs::first_cert(old_path, "the certificate to renew")?;
    let issued_by_ca = crate::pki::model::names_match(
        &old.issuer_raw,
        &old.issuer,
        &ca.cert.subject_raw,
        &ca.cert.subject,
    ) && verify::check(&old, &ca.cert) == SigCheck::Valid;
    if !issued_by_ca {
        bail!(
            "{}: was not issued by {} (its issuer is `{}`, and the CA's key does not verify it)",
            escape_path(old_path),
            escape_path(&ca.path),
            escape(&old.issuer)
        );
    }
    for s in &old.sans {
        match s {
            San::Dns(d) => sans.push(SanSpec::Dns(d.clone())),
            San::Ip(ip) => sans.push(SanSpec::Ip(*ip)),
            _ => printer.warn(&format!(
                "{}: SAN `{}` is not copied (only DNS and IP SANs are)",
                escape_path(old_path),
                escape(&s.to_string())
            )),
        }
    }
    issue::dn_from_der(&old.subject_raw).map_err(|e| anyhow!("{}: {e}", old_path.display()))
}

impl KeyPlan {
    /// The key: `--key` kept, or a new one (of `--key-type`, else like the CA's).
    fn resolve(args: &IssueArgs, ca: &Cert, printer: &Printer) -> anyhow::Result<KeyPlan> {
        if let Some(p) = &args.key {
            let key = keys::read_key(p, &args.password.source(), "the existing key")
                .map_err(|e| e.or_give_password_with(PASSWORD_FLAGS))?;
            return Ok(KeyPlan::Existing(key));
        }
        if args.password.given() && !args.encrypt_key {
            // A password with nothing to open or encrypt would be read and
            // dropped; say so rather than write an unencrypted key.
            bail!(
                "--password-file, --password-env and --password-stdin are for --key (an encrypted key) or --encrypt-key (the new key); add --encrypt-key to encrypt the new key"
            );
        }
        let kt = match args.key_type {
            Some(k) => k.into(),
            None => KeyType::like(&ca.key).unwrap_or(KeyType::EcP256),
        };
        let spinner = match kt {
            KeyType::Rsa(bits) if bits >= 3072 => printer.spinner(&format!(
                "generating an RSA-{bits} key (this takes a few seconds)"
            )),
            _ => None,
        };
        let key = keys::generate(kt).map_err(|e| anyhow!("generating a {} key: {e}", kt.name()))?;
        if let Some(s) = spinner {
            s.finish_and_clear();
        }
        let password = if args.encrypt_key {
            Some(
                args.password
                    .source()
                    .read("password for the new key", true)?
                    .ok_or_else(|| anyhow!("--encrypt-key needs a password: pass --password-file, --password-env or --password-stdin"))?,
            )
        } else {
            None
        };
        Ok(KeyPlan::New { key, password })
    }
}

/// notBefore and notAfter from `--not-before` and one of `--not-after`,
/// `--validity` or `--days`, clamped to the CA's notAfter with a warning.
fn validity(
    args: &IssueArgs,
    profile: Profile,
    ca: &Cert,
    printer: &Printer,
) -> anyhow::Result<(OffsetDateTime, OffsetDateTime)> {
    let default_days = if matches!(profile, Profile::Intermediate { .. }) {
        1825
    } else {
        397
    };
    let (length, flag, wanted) = match (args.not_after, &args.validity, args.days) {
        (Some(t), _, _) => (
            Length::Until(t),
            format!("--not-after {}", crate::pki::model::rfc3339(t)),
            format!("--not-after {}", crate::pki::model::rfc3339(t)),
        ),
        (None, Some(v), _) => (
            Length::For(v.duration),
            format!("--validity {v}"),
            format!("--validity {v}"),
        ),
        (None, None, days) => {
            let days = days.unwrap_or(default_days);
            (
                Length::Days(days),
                format!("--days {days}"),
                format!("{days} days"),
            )
        }
    };
    let now = OffsetDateTime::now_utc();
    let (nb, na, clamped) =
        issue::validity_window(now, args.not_before, length, Some(ca.not_after))
            .map_err(|e| anyhow!("{flag}: {e}"))?;
    if clamped {
        printer.warn(&format!(
            "{wanted} would outlive the CA; clamped to the CA's notAfter ({})",
            ca.not_after
        ));
    }
    if na < now {
        printer.warn(&format!(
            "the certificate is expired from the start: its notAfter is {}",
            crate::pki::model::rfc3339(na)
        ));
    }
    Ok((nb, na))
}

/// The signed certificate, parsed back.
struct Issued {
    pem: String,
    cert: Cert,
}

/// Sign the certificate, then check our own work before anything is written.
fn sign(plan: &IssuePlan) -> anyhow::Result<Issued> {
    let mut params = issue::params(
        plan.profile,
        &Subject::default(),
        &plan.names.sans,
        plan.not_before,
        plan.not_after,
        plan.key.is_rsa(),
    )
    .map_err(|e| anyhow!(e))?;
    params.distinguished_name = plan.names.dn();
    plan.constraints.apply(&mut params);
    let ca_der = CertificateDer::from(plan.ca.cert.der.as_slice());
    let issuer = Issuer::from_ca_cert_der(&ca_der, &*plan.ca.key)
        .with_context(|| format!("{}: cannot use as issuer", plan.ca.path.display()))?;
    let signed = match &plan.key {
        KeyPlan::Existing(key) | KeyPlan::New { key, .. } => params.signed_by(&**key, &issuer),
        KeyPlan::Csr(csr) => params.signed_by(&csr.public_key, &issuer),
    }
    .context("signing the certificate")?;
    let cert = Cert::parse(
        signed.der(),
        load::Source::new(&"new".into(), 0, None, load::Container::Der),
    )
    .map_err(|e| anyhow!("the new certificate does not parse: {e}"))?;
    if verify::check(&cert, &plan.ca.cert) != SigCheck::Valid {
        bail!("the new certificate does not verify with the CA's key");
    }
    if let KeyPlan::Csr(csr) = &plan.key
        && cert.spki != csr.spki_der
    {
        bail!("the new certificate does not carry the CSR's public key");
    }
    // A CA with nameConstraints, or one above it in --ca-chain: a name
    // outside them would be rejected by every client, so nothing is written.
    let mut path = vec![&cert, &plan.ca.cert];
    path.extend(
        plan.ca
            .chain
            .iter()
            .filter(|c| c.sha256 != plan.ca.cert.sha256),
    );
    crate::pki::path::check_name_constraints(&path).map_err(|e| {
        anyhow!(
            "{}: the CA's nameConstraints forbid the new certificate's names: {e}",
            escape_path(&plan.ca.path)
        )
    })?;
    Ok(Issued {
        pem: signed.pem(),
        cert,
    })
}

/// Write NAME.crt, NAME.key (a new key only) and NAME-fullchain.crt at once,
/// then say what was written.
fn emit(plan: &IssuePlan, issued: &Issued, printer: &Printer) -> anyhow::Result<ExitStatus> {
    let out = plan.out.as_path();
    let name = &plan.name;
    let mut full = issued.pem.clone();
    for c in &plan.ca.chain {
        full.push_str(&c.to_pem());
    }
    let mut files = WriteSet::new();
    files.add(
        out.join(format!("{name}.crt")),
        issued.pem.clone(),
        Mode::Public,
    );
    if let KeyPlan::New { key, password } = &plan.key {
        let pem = keys::to_pem(key, password.as_ref().map(|p| p.as_str()))
            .map_err(|e| anyhow!("encoding the key: {e}"))?;
        files.add(
            out.join(format!("{name}.key")),
            pem.as_bytes(),
            Mode::Secret,
        );
    }
    files.add(
        out.join(format!("{name}-fullchain.crt")),
        full,
        Mode::Public,
    );
    let written = files.commit(plan.force)?;

    let mut s = format!(
        "issued {} (serial {}), valid until {}\n",
        escape(&issued.cert.subject),
        issued.cert.serial,
        issued.cert.not_after
    );
    for p in written {
        s.push_str(&format!("  wrote {}\n", escape_path(&p)));
    }
    match plan.key {
        KeyPlan::Existing(_) => s.push_str("  kept the existing key\n"),
        KeyPlan::Csr(_) => s.push_str("  no key written: the requester holds it\n"),
        KeyPlan::New { .. } => {}
    }
    printer.out(&s)?;
    Ok(ExitStatus::Clean)
}

fn check_ca_can_issue(path: &Path, ca: &Cert, profile: Profile) -> anyhow::Result<()> {
    let p = escape_path(path);
    match ca.basic_constraints {
        Some(bc) if bc.ca => {}
        _ => bail!(
            "{p}: `{}` is not a CA (no basicConstraints CA:TRUE), so it cannot issue certificates; pass the intermediate or root CA with --ca",
            escape(&ca.subject)
        ),
    }
    if let Some(ku) = ca.key_usage
        && !ku.key_cert_sign()
    {
        bail!(
            "{p}: the CA's keyUsage lacks keyCertSign, so certificates it signs are rejected by verifiers"
        );
    }
    if let (Profile::Intermediate { pathlen }, Some(limit)) =
        (profile, ca.basic_constraints.and_then(|bc| bc.path_len))
    {
        if limit == 0 {
            bail!(
                "{p}: the CA's pathLenConstraint is 0, which forbids another intermediate below it"
            );
        }
        if u32::from(pathlen) >= limit {
            bail!(
                "{p}: the CA's pathLenConstraint is {limit}, so a new intermediate may have --pathlen {} at most",
                limit - 1
            );
        }
    }
    Ok(())
}

/// The CA and its issuers up to (not including) a self-signed root.
fn ca_chain(ca: &Cert, bundle: Option<&Path>) -> anyhow::Result<Vec<Cert>> {
    let mut pile = vec![ca.clone()];
    if let Some(b) = bundle {
        let f = load::load_path(b, &LoadOptions::default())?;
        if f.certs.is_empty() {
            bail!("{}: no certificate found in --ca-chain", b.display());
        }
        pile.extend(f.certs);
    }
    let verifier = Verifier::new();
    let graph = Graph::build(&pile, &verifier);
    let (path, _) = graph.path_up(0);
    Ok(path
        .into_iter()
        .filter(|&i| !graph.is_self_signed(i))
        .map(|i| pile[i].clone())
        .collect())
}

fn default_name(args: &IssueArgs) -> String {
    let from_file = args.csr.as_deref().filter(|p| p.as_os_str() != "-");
    let named_after = args.renew.as_deref().or(from_file);
    if let Some(stem) = named_after.and_then(Path::file_stem) {
        return stem.to_string_lossy().into_owned();
    }
    args.profile.file_name().to_owned()
}
