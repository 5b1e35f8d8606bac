//! `generate`: a root → intermediate → server chain with every derived file.
//!
//! Resolve → run → emit: [`GeneratePlan::resolve`] checks the arguments,
//! reads the password, refuses existing files and computes the validity
//! periods before any slow key generation; [`sign_chain`] makes the keys and
//! the three certificates; [`files`] lays out every file and [`emit`] writes
//! them at once and prints what each is for.
use std::path::{Path, PathBuf};

use ::time::OffsetDateTime;
use anyhow::{Context, anyhow, bail};
use rcgen::{Certificate, Issuer, KeyPair};

use crate::ExitStatus;
use crate::cli::GlobalArgs;
use crate::cli::generate::{GenerateArgs, PfxProfileArg};
use crate::fsio::{Mode, WriteSet};
use crate::pki::issue::{self, Length, NameConstraintSpec, Profile, SanSpec, Subject};
use crate::pki::keys::{self, KeyType};
use crate::pki::load::{Container, Source};
use crate::pki::{Cert, pkcs12};
use crate::report::Printer;
use crate::secret::Password;

pub fn run(args: GenerateArgs, global: &GlobalArgs) -> anyhow::Result<ExitStatus> {
    let printer = Printer::new(global);
    let plan = GeneratePlan::resolve(&args, &printer)?;
    let chain = sign_chain(&plan, &printer)?;
    let files = files(&plan, &chain)?;
    emit(&plan, files, &printer)
}

/// Every file name `generate` writes, but server.pfx (only with a password).
const FILES: [&str; 10] = [
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

/// A (notBefore, notAfter) pair.
type Validity = (OffsetDateTime, OffsetDateTime);

/// The checked arguments: names, key type, password, validity periods.
struct GeneratePlan {
    sans: Vec<SanSpec>,
    server_cn: String,
    base: Subject,
    root_cn: String,
    intermediate_cn: String,
    pathlen: u8,
    /// nameConstraints of the intermediate.
    constraints: NameConstraintSpec,
    key_type: KeyType,
    root: Validity,
    intermediate: Validity,
    server: Validity,
    /// The password for server.pfx, and for the keys with --encrypt-keys.
    password: Option<Password>,
    encrypt_keys: bool,
    pfx_with_root: bool,
    pfx_profile: pkcs12::Profile,
    out: PathBuf,
    force: bool,
}

impl GeneratePlan {
    fn resolve(args: &GenerateArgs, printer: &Printer) -> anyhow::Result<GeneratePlan> {
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
        let password = password(args)?;
        // Check for existing files before any slow key generation.
        let mut planned = WriteSet::new();
        for n in FILES {
            planned.add(args.out.join(n), Vec::new(), Mode::Public);
        }
        if password.is_some() {
            planned.add(args.out.join("server.pfx"), Vec::new(), Mode::Secret);
        }
        planned.check_clobber(args.force)?;
        let (root, intermediate, server) = validities(args, printer)?;
        Ok(GeneratePlan {
            sans,
            server_cn,
            base: Subject {
                country: args.country.clone(),
                state: args.state.clone(),
                locality: args.locality.clone(),
                org: args.org.clone(),
                org_unit: args.org_unit.clone(),
                cn: String::new(),
            },
            root_cn: args.root_cn.clone(),
            intermediate_cn: args.intermediate_cn.clone(),
            pathlen: args.pathlen,
            constraints: args.constraints.spec(),
            key_type: args.key_type.into(),
            root,
            intermediate,
            server,
            password,
            encrypt_keys: args.encrypt_keys,
            pfx_with_root: args.pfx_with_root,
            pfx_profile: args.pfx_profile.unwrap_or(PfxProfileArg::Compat).into(),
            out: args.out.clone(),
            force: args.force,
        })
    }

    fn subject(&self, cn: &str) -> Subject {
        Subject {
            cn: cn.to_owned(),
            ..self.base.clone()
        }
    }
}

/// The password for server.pfx and `--encrypt-keys`, when one is given.
fn password(args: &GenerateArgs) -> anyhow::Result<Option<Password>> {
    let password = if args.password.given() || args.encrypt_keys {
        Some(args.password
            .source()
            .read("password for the keys and server.pfx", true)?
            .ok_or_else(|| anyhow!("--encrypt-keys needs a password: pass --password-file, --password-env or --password-stdin"))?)
    } else {
        None
    };
    if password.is_none() && (args.pfx_with_root || args.pfx_profile.is_some()) {
        bail!(
            "--pfx-profile and --pfx-with-root shape server.pfx, which needs a password source (--password-file, --password-env or --password-stdin)"
        );
    }
    Ok(password)
}

/// Validity periods before any slow key generation: a period past the last
/// date X.509 can encode is refused here, with nothing written. All three
/// start at `--not-before` (or now); each is clamped to its issuer's, with a
/// warning.
fn validities(
    args: &GenerateArgs,
    printer: &Printer,
) -> anyhow::Result<(Validity, Validity, Validity)> {
    let now = OffsetDateTime::now_utc();
    let start = args.not_before;
    let (nb, na, _) = issue::validity_window(now, start, Length::Days(args.root_days), None)
        .map_err(|e| anyhow!("--root-days {}: {e}", args.root_days))?;
    let root = (nb, na);
    let (nb, na, clamped) = issue::validity_window(
        now,
        start,
        Length::Days(args.intermediate_days),
        Some(root.1),
    )
    .map_err(|e| anyhow!("--intermediate-days {}: {e}", args.intermediate_days))?;
    if clamped {
        printer.warn(&format!(
            "--intermediate-days {} would outlive the root; clamped to the root's notAfter",
            args.intermediate_days
        ));
    }
    let intermediate = (nb, na);
    let (length, flag) = match (args.not_after, &args.validity) {
        (Some(t), _) => (
            Length::Until(t),
            format!("--not-after {}", crate::pki::model::rfc3339(t)),
        ),
        (None, Some(v)) => (Length::For(v.duration), format!("--validity {v}")),
        (None, None) => (
            Length::Days(args.server_days),
            format!("--server-days {}", args.server_days),
        ),
    };
    let (nb, na, clamped) = issue::validity_window(now, start, length, Some(intermediate.1))
        .map_err(|e| anyhow!("{flag}: {e}"))?;
    if clamped {
        printer.warn(&format!(
            "{flag} would outlive the intermediate; clamped to the intermediate's notAfter"
        ));
    }
    if na < now {
        printer.warn(&format!(
            "the server certificate is expired from the start: its notAfter is {}",
            crate::pki::model::rfc3339(na)
        ));
    }
    Ok((root, intermediate, (nb, na)))
}

/// The three keys and certificates.
struct Chain {
    root: (keys::Key, Certificate),
    intermediate: (keys::Key, Certificate),
    server: (keys::Key, Certificate),
}

/// Generate the keys, then sign root → intermediate → server.
fn sign_chain(plan: &GeneratePlan, printer: &Printer) -> anyhow::Result<Chain> {
    let spinner = match plan.key_type {
        KeyType::Rsa(bits) if bits >= 3072 => printer.spinner(&format!(
            "generating three RSA-{bits} keys for root, intermediate and server (this takes a few seconds)"
        )),
        _ => None,
    };
    let [root_key, int_key, server_key] = generate_keys(plan.key_type)?;
    if let Some(s) = spinner {
        s.finish_and_clear();
    }
    let rsa = matches!(plan.key_type, KeyType::Rsa(_));
    let params = |profile, cn: &str, sans: &[SanSpec], (nb, na): Validity| {
        issue::params(profile, &plan.subject(cn), sans, nb, na, rsa).map_err(|e| anyhow!(e))
    };

    let root_params = params(Profile::Root, &plan.root_cn, &[], plan.root)?;
    let root = root_params
        .self_signed(&*root_key)
        .context("signing the root")?;
    let int_profile = Profile::Intermediate {
        pathlen: plan.pathlen,
    };
    let mut int_params = params(int_profile, &plan.intermediate_cn, &[], plan.intermediate)?;
    plan.constraints.apply(&mut int_params);
    let intermediate = int_params
        .signed_by(&*int_key, &Issuer::from_params(&root_params, &*root_key))
        .context("signing the intermediate")?;
    let server_params = params(Profile::Server, &plan.server_cn, &plan.sans, plan.server)?;
    let server = server_params
        .signed_by(&*server_key, &Issuer::from_params(&int_params, &*int_key))
        .context("signing the server certificate")?;
    within_constraints(&server, &intermediate)?;
    Ok(Chain {
        root: (root_key, root),
        intermediate: (int_key, intermediate),
        server: (server_key, server),
    })
}

/// The server's SANs must be inside the intermediate's nameConstraints, or
/// every client would reject the chain: refused, nothing written.
fn within_constraints(server: &Certificate, intermediate: &Certificate) -> anyhow::Result<()> {
    let name: std::sync::Arc<str> = std::sync::Arc::from("generate");
    let parse = |c: &Certificate| {
        Cert::parse(c.der(), Source::new(&name, 0, None, Container::Der))
            .map_err(|e| anyhow!("a new certificate does not parse: {e}"))
    };
    let (leaf, ca) = (parse(server)?, parse(intermediate)?);
    crate::pki::path::check_name_constraints(&[&leaf, &ca]).map_err(|e| {
        anyhow!("--san: outside the intermediate's --permit-*/--exclude-* name constraints: {e}")
    })
}

/// Every file, in memory: certificates, keys, bundles, DER copies, server.pfx.
fn files(plan: &GeneratePlan, chain: &Chain) -> anyhow::Result<WriteSet> {
    let pw = plan
        .password
        .as_ref()
        .filter(|_| plan.encrypt_keys)
        .map(|p| p.as_str());
    let key_pem = |k: &KeyPair| keys::to_pem(k, pw).map_err(|e| anyhow!("encoding a key: {e}"));
    let (root_key, root) = &chain.root;
    let (int_key, intermediate) = &chain.intermediate;
    let (server_key, server) = &chain.server;
    let (root_pem, int_pem, server_pem) = (root.pem(), intermediate.pem(), server.pem());
    let out = plan.out.as_path();
    let mut files = WriteSet::new();
    files.add(out.join("root.crt"), root_pem.clone(), Mode::Public);
    files.add(
        out.join("root.key"),
        key_pem(root_key)?.as_bytes(),
        Mode::Secret,
    );
    files.add(out.join("intermediate.crt"), int_pem.clone(), Mode::Public);
    files.add(
        out.join("intermediate.key"),
        key_pem(int_key)?.as_bytes(),
        Mode::Secret,
    );
    files.add(out.join("server.crt"), server_pem.clone(), Mode::Public);
    files.add(
        out.join("server.key"),
        key_pem(server_key)?.as_bytes(),
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
    if let Some(pw) = &plan.password {
        let mut ders = vec![server.der().to_vec(), intermediate.der().to_vec()];
        if plan.pfx_with_root {
            ders.push(root.der().to_vec());
        }
        let pfx = server_pfx(&ders, server_key, plan.pfx_profile, pw)?;
        files.add(out.join("server.pfx"), pfx, Mode::Secret);
    }
    Ok(files)
}

/// Write every file at once, then say what each is for.
fn emit(plan: &GeneratePlan, files: WriteSet, printer: &Printer) -> anyhow::Result<ExitStatus> {
    files.commit(plan.force)?;
    let mut text = summary(&plan.out);
    if plan.password.is_some() {
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
