//! `generate`: a root → intermediate → server chain with every derived file.
use std::path::Path;

use ::time::OffsetDateTime;
use anyhow::{Context, anyhow, bail};
use rcgen::{Issuer, KeyPair};

use crate::ExitStatus;
use crate::cli::GlobalArgs;
use crate::cli::generate::{GenerateArgs, PfxProfileArg};
use crate::fsio::{Mode, WriteSet};
use crate::pki::issue::{self, Profile, Subject};
use crate::pki::keys::{self, KeyType};
use crate::pki::load::{Container, Source};
use crate::pki::{Cert, pkcs12};
use crate::report::Printer;

pub fn run(args: GenerateArgs, global: &GlobalArgs) -> anyhow::Result<ExitStatus> {
    let printer = Printer::new(global);
    let sans = issue::parse_sans(&args.sans).map_err(|e| anyhow!(e))?;
    if sans.is_empty() {
        bail!("at least one --san is required");
    }
    let server_cn = match &args.cn {
        Some(cn) => cn.clone(),
        None => {
            issue::default_cn(&sans).ok_or_else(|| anyhow!("at least one --san is required"))?
        }
    };
    let key_type: KeyType = args.key_type.into();
    let out = args.out.as_path();

    let password = if args.password.given() || args.encrypt_keys {
        args.password
            .source()
            .read("password for the keys and server.pfx", true)?
            .ok_or_else(|| anyhow!("--encrypt-keys needs a password: pass --password-file, --password-env or --password-stdin"))?
            .into()
    } else {
        None
    };

    if password.is_none() && (args.pfx_with_root || args.pfx_profile.is_some()) {
        bail!(
            "--pfx-profile and --pfx-with-root shape server.pfx, which needs a password source (--password-file, --password-env or --password-stdin)"
        );
    }

    // Check for existing files before any slow key generation.
    let names = [
        "root.crt",
        "root.key",
        "intermediate.crt",
        "intermediate.key",
        "server.crt",
        "server.key",
        "server-fullchain.crt",
        "ca-bundle.crt",
        "root.cer",
        "intermediate.cer",
    ];
    let mut planned = WriteSet::new();
    for n in names {
        planned.add(out.join(n), Vec::new(), Mode::Public);
    }
    if password.is_some() {
        planned.add(out.join("server.pfx"), Vec::new(), Mode::Secret);
    }
    planned.check_clobber(args.force)?;

    // Validity periods before any slow key generation: a period past the
    // last date X.509 can encode is refused here, with nothing written.
    let now = OffsetDateTime::now_utc();
    let root_validity = issue::validity(now, args.root_days, None)
        .map_err(|e| anyhow!("--root-days {}: {e}", args.root_days))?;
    let int_validity = issue::validity(now, args.intermediate_days, Some(root_validity.1))
        .map_err(|e| anyhow!("--intermediate-days {}: {e}", args.intermediate_days))?;
    let server_validity = issue::validity(now, args.server_days, Some(int_validity.1))
        .map_err(|e| anyhow!("--server-days {}: {e}", args.server_days))?;

    let spinner = match key_type {
        KeyType::Rsa(bits) if bits >= 3072 => printer.spinner(&format!(
            "generating three RSA-{bits} keys for root, intermediate and server (this takes a few seconds)"
        )),
        _ => None,
    };
    let [root_key, int_key, server_key] = generate_keys(key_type)?;
    if let Some(s) = spinner {
        s.finish_and_clear();
    }

    let base = Subject {
        country: args.country.clone(),
        state: args.state.clone(),
        locality: args.locality.clone(),
        org: args.org.clone(),
        org_unit: args.org_unit.clone(),
        cn: String::new(),
    };
    let rsa = matches!(key_type, KeyType::Rsa(_));

    let (nb, na, _) = root_validity;
    let root_subject = Subject {
        cn: args.root_cn.clone(),
        ..base.clone()
    };
    let root_params =
        issue::params(Profile::Root, &root_subject, &[], nb, na, rsa).map_err(|e| anyhow!(e))?;
    let root = root_params
        .self_signed(&*root_key)
        .context("signing the root")?;

    let (nb, na, clamped) = int_validity;
    if clamped {
        printer.warn(&format!(
            "--intermediate-days {} would outlive the root; clamped to the root's notAfter",
            args.intermediate_days
        ));
    }
    let int_subject = Subject {
        cn: args.intermediate_cn.clone(),
        ..base.clone()
    };
    let int_params = issue::params(
        Profile::Intermediate {
            pathlen: args.pathlen,
        },
        &int_subject,
        &[],
        nb,
        na,
        rsa,
    )
    .map_err(|e| anyhow!(e))?;
    let root_issuer = Issuer::from_params(&root_params, &*root_key);
    let intermediate = int_params
        .signed_by(&*int_key, &root_issuer)
        .context("signing the intermediate")?;

    let (nb, na, clamped) = server_validity;
    if clamped {
        printer.warn(&format!(
            "--server-days {} would outlive the intermediate; clamped to the intermediate's notAfter",
            args.server_days
        ));
    }
    let server_subject = Subject {
        cn: server_cn,
        ..base
    };
    let server_params = issue::params(Profile::Server, &server_subject, &sans, nb, na, rsa)
        .map_err(|e| anyhow!(e))?;
    let int_issuer = Issuer::from_params(&int_params, &*int_key);
    let server = server_params
        .signed_by(&*server_key, &int_issuer)
        .context("signing the server certificate")?;

    let pw = password
        .as_ref()
        .filter(|_| args.encrypt_keys)
        .map(|p: &crate::secret::Password| p.as_str());
    let key_pem = |k: &KeyPair| keys::to_pem(k, pw).map_err(|e| anyhow!("encoding a key: {e}"));

    let (root_pem, int_pem, server_pem) = (root.pem(), intermediate.pem(), server.pem());
    let mut files = WriteSet::new();
    files.add(out.join("root.crt"), root_pem.clone(), Mode::Public);
    files.add(
        out.join("root.key"),
        key_pem(&root_key)?.as_bytes(),
        Mode::Secret,
    );
    files.add(out.join("intermediate.crt"), int_pem.clone(), Mode::Public);
    files.add(
        out.join("intermediate.key"),
        key_pem(&int_key)?.as_bytes(),
        Mode::Secret,
    );
    files.add(out.join("server.crt"), server_pem.clone(), Mode::Public);
    files.add(
        out.join("server.key"),
        key_pem(&server_key)?.as_bytes(),
        Mode::Secret,
    );
    files.add(
        out.join("server-fullchain.crt"),
        format!("{server_pem}{int_pem}"),
        Mode::Public,
    );
    files.add(
        out.join("ca-bundle.crt"),
        format!("{int_pem}{root_pem}"),
        Mode::Public,
    );
    files.add(out.join("root.cer"), root.der().to_vec(), Mode::Public);
    files.add(
        out.join("intermediate.cer"),
        intermediate.der().to_vec(),
        Mode::Public,
    );
    if let Some(pw) = &password {
        let mut chain = vec![server.der().to_vec(), intermediate.der().to_vec()];
        if args.pfx_with_root {
            chain.push(root.der().to_vec());
        }
        let profile = args.pfx_profile.unwrap_or(PfxProfileArg::Compat).into();
        let pfx = server_pfx(&chain, &server_key, profile, pw)?;
        files.add(out.join("server.pfx"), pfx, Mode::Secret);
    }
    files.commit(args.force)?;

    let mut text = summary(out);
    if password.is_some() {
        text.push_str("  server.pfx             key + server + intermediate (0600): App Service, APIM custom domain, Windows\n");
    }
    printer.out(&text)?;
    Ok(ExitStatus::Clean)
}

/// server.pfx: the server key and its chain (leaf first), read back and checked.
fn server_pfx(
    chain_der: &[Vec<u8>],
    key: &KeyPair,
    profile: pkcs12::Profile,
    password: &str,
) -> anyhow::Result<Vec<u8>> {
    let name: std::sync::Arc<str> = std::sync::Arc::from("server.pfx");
    let certs = chain_der
        .iter()
        .enumerate()
        .map(|(i, der)| Cert::parse(der, Source::new(&name, i, None, Container::Der)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow!("server.pfx: {e}"))?;
    let spec = pkcs12::PfxSpec {
        key: Some(key),
        certs: &certs,
        name: None,
        profile,
    };
    pkcs12::write(&spec, password).context("server.pfx")
}

/// Generate the three keys; RSA keys in parallel, as they take long.
fn generate_keys(kt: KeyType) -> anyhow::Result<[keys::Key; 3]> {
    let gen_one = || keys::generate(kt).map_err(|e| anyhow!("generating a {} key: {e}", kt.name()));
    if !matches!(kt, KeyType::Rsa(_)) {
        return Ok([gen_one()?, gen_one()?, gen_one()?]);
    }
    std::thread::scope(|s| {
        let a = s.spawn(gen_one);
        let b = s.spawn(gen_one);
        let c = gen_one()?;
        let join = |h: std::thread::ScopedJoinHandle<'_, anyhow::Result<keys::Key>>| {
            h.join()
                .map_err(|_| anyhow!("key generation thread failed"))?
        };
        Ok([join(a)?, join(b)?, c])
    })
}

fn summary(out: &Path) -> String {
    let rows = [
        (
            "root.crt",
            "root CA: upload to APIM CA certificates (store: Root); clients trust it",
        ),
        ("root.cer", "root CA in DER (.cer) for the APIM upload page"),
        ("root.key", "root key (0600): keep it offline"),
        (
            "intermediate.crt",
            "intermediate CA: signs server certificates (`chainsmith issue`)",
        ),
        (
            "intermediate.cer",
            "intermediate in DER for APIM (store: CertificateAuthority)",
        ),
        ("intermediate.key", "intermediate key (0600)"),
        ("server.crt", "the backend's certificate"),
        ("server.key", "the backend's key (0600)"),
        (
            "server-fullchain.crt",
            "server + intermediate: nginx ssl_certificate, APISIX cert",
        ),
        (
            "ca-bundle.crt",
            "intermediate + root: SSL_CERT_FILE, curl --cacert, k8s Secret",
        ),
    ];
    let mut s = format!("wrote {}/\n", crate::report::escape_path(out));
    for (f, what) in rows {
        s.push_str(&format!("  {f:<22} {what}\n"));
    }
    s
}
