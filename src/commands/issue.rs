//! `issue`: one certificate from an existing CA — the rotation path.
use std::path::Path;

use ::time::OffsetDateTime;
use anyhow::{Context, anyhow, bail};
use rcgen::Issuer;
use rustls_pki_types::CertificateDer;

use crate::ExitStatus;
use crate::cli::GlobalArgs;
use crate::cli::issue::{IssueArgs, Profile as ProfileArg};
use crate::error::PASSWORD_FLAGS;
use crate::fsio::{Mode, WriteSet};
use crate::pki::chain::{Graph, Verifier};
use crate::pki::issue::{self, Profile, SanSpec, Subject};
use crate::pki::keys::{self, KeyType};
use crate::pki::load::{self, LoadOptions};
use crate::pki::model::{Cert, San};
use crate::pki::verify::{self, SigCheck};
use crate::report::{Printer, escape, escape_path};
use crate::secret::PasswordSource;

pub fn run(args: IssueArgs, global: &GlobalArgs) -> anyhow::Result<ExitStatus> {
    let printer = Printer::new(global);
    let ca = first_cert(&args.ca)?;
    let profile = match args.profile {
        ProfileArg::Server => Profile::Server,
        ProfileArg::Client => Profile::Client,
        ProfileArg::Intermediate => Profile::Intermediate {
            pathlen: args.pathlen,
        },
    };
    check_ca_can_issue(&args.ca, &ca, profile)?;

    let ca_key_source = PasswordSource {
        file: args.ca_key_password_file.clone(),
        env: args.ca_key_password_env.clone(),
        stdin: args.ca_key_password_stdin,
    };
    if ca_key_source.stdin && args.password.password_stdin {
        bail!("--ca-key-password-stdin and --password-stdin cannot both read standard input");
    }
    let ca_key = keys::read_key(&args.ca_key, &ca_key_source, "the CA key").map_err(|e| {
        e.or_give_password_with(
            "--ca-key-password-file, --ca-key-password-env or --ca-key-password-stdin",
        )
    })?;
    if !keys::matches(&ca, &ca_key) {
        bail!(
            "{}: this key does not match the CA certificate {} (subject {})",
            escape_path(&args.ca_key),
            escape_path(&args.ca),
            escape(&ca.subject)
        );
    }

    // Subject and SANs: from --renew, then --san and --cn on top.
    let mut sans: Vec<SanSpec> = Vec::new();
    let mut renew_dn = None;
    if let Some(old_path) = &args.renew {
        let old = first_cert(old_path)?;
        let issued_by_ca = crate::pki::model::names_match(
            &old.issuer_raw,
            &old.issuer,
            &ca.subject_raw,
            &ca.subject,
        ) && verify::check(&old, &ca) == SigCheck::Valid;
        if !issued_by_ca {
            bail!(
                "{}: was not issued by {} (its issuer is `{}`, and the CA's key does not verify it)",
                escape_path(old_path),
                escape_path(&args.ca),
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
        renew_dn = Some(
            issue::dn_from_der(&old.subject_raw)
                .map_err(|e| anyhow!("{}: {e}", old_path.display()))?,
        );
    }
    for s in issue::parse_sans(&args.sans).map_err(|e| anyhow!(e))? {
        if !sans.contains(&s) {
            sans.push(s);
        }
    }
    if matches!(profile, Profile::Server) && sans.is_empty() {
        bail!("a server certificate needs at least one --san (or --renew OLD.crt to copy them)");
    }
    let cn =
        match (&args.cn, &renew_dn) {
            (Some(cn), _) => Some(cn.clone()),
            (None, Some(_)) => None,
            (None, None) => Some(issue::default_cn(&sans).ok_or_else(|| {
                anyhow!("give --cn or at least one --san to name the certificate")
            })?),
        };

    // The key: kept, or new.
    let (key, new_key) = match &args.key {
        Some(p) => (
            keys::read_key(p, &args.password.source(), "the existing key")
                .map_err(|e| e.or_give_password_with(PASSWORD_FLAGS))?,
            false,
        ),
        None => {
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
            let key =
                keys::generate(kt).map_err(|e| anyhow!("generating a {} key: {e}", kt.name()))?;
            if let Some(s) = spinner {
                s.finish_and_clear();
            }
            (key, true)
        }
    };
    let key_password = if args.encrypt_key {
        Some(
            args.password
                .source()
                .read("password for the new key", true)?
                .ok_or_else(|| anyhow!("--encrypt-key needs a password: pass --password-file, --password-env or --password-stdin"))?,
        )
    } else {
        None
    };

    let default_days = if matches!(profile, Profile::Intermediate { .. }) {
        1825
    } else {
        397
    };
    let days = args.days.unwrap_or(default_days);
    let (nb, na, clamped) = issue::validity(OffsetDateTime::now_utc(), days, Some(ca.not_after))
        .map_err(|e| anyhow!("--days {days}: {e}"))?;
    if clamped {
        printer.warn(&format!(
            "{days} days would outlive the CA; clamped to the CA's notAfter ({})",
            ca.not_after
        ));
    }
    let mut params = issue::params(
        profile,
        &Subject {
            cn: cn.clone().unwrap_or_default(),
            ..Default::default()
        },
        &sans,
        nb,
        na,
        key.algorithm() == &rcgen::PKCS_RSA_SHA256,
    )
    .map_err(|e| anyhow!(e))?;
    if let Some(mut dn) = renew_dn {
        if let Some(cn) = &cn {
            dn.remove(rcgen::DnType::CommonName);
            dn.push(rcgen::DnType::CommonName, cn.as_str());
        }
        params.distinguished_name = dn;
    }
    let ca_der = CertificateDer::from(ca.der.as_slice());
    let issuer = Issuer::from_ca_cert_der(&ca_der, &*ca_key)
        .with_context(|| format!("{}: cannot use as issuer", args.ca.display()))?;
    let cert = params
        .signed_by(&*key, &issuer)
        .context("signing the certificate")?;

    // Check our own work before writing anything.
    let parsed = Cert::parse(
        cert.der(),
        load::Source::new(&"new".into(), 0, None, load::Container::Der),
    )
    .map_err(|e| anyhow!("the new certificate does not parse: {e}"))?;
    if verify::check(&parsed, &ca) != SigCheck::Valid {
        bail!("the new certificate does not verify with the CA's key");
    }

    let chain = ca_chain(&ca, args.ca_chain.as_deref())?;
    let name = args.name.clone().unwrap_or_else(|| default_name(&args));
    let out = args.out.as_path();
    let leaf_pem = cert.pem();
    let mut full = leaf_pem.clone();
    for c in &chain {
        full.push_str(&c.to_pem());
    }
    let mut files = WriteSet::new();
    files.add(out.join(format!("{name}.crt")), leaf_pem, Mode::Public);
    if new_key {
        let pem = keys::to_pem(&key, key_password.as_ref().map(|p| p.as_str()))
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
    let written = files.commit(args.force)?;

    let mut s = format!(
        "issued {} (serial {}), valid until {}\n",
        escape(&parsed.subject),
        parsed.serial,
        parsed.not_after
    );
    for p in written {
        s.push_str(&format!("  wrote {}\n", escape_path(&p)));
    }
    if !new_key {
        s.push_str("  kept the existing key\n");
    }
    printer.out(&s)?;
    Ok(ExitStatus::Clean)
}

fn first_cert(path: &Path) -> anyhow::Result<Cert> {
    let f = load::load_path(path, &LoadOptions::default())?;
    let why = f.first_reason();
    f.certs.into_iter().next().ok_or_else(|| match why {
        Some(r) => anyhow!("{}: no certificate found: {r}", path.display()),
        None => anyhow!("{}: no certificate found", path.display()),
    })
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
    if let Some(stem) = args.renew.as_deref().and_then(Path::file_stem) {
        return stem.to_string_lossy().into_owned();
    }
    match args.profile {
        ProfileArg::Server => "server",
        ProfileArg::Client => "client",
        ProfileArg::Intermediate => "intermediate",
    }
    .to_owned()
}
