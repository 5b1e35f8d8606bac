//! `export apim|apisix|k8s`: read a chain (a `generate` directory or
//! explicit files), check it, and write the artefacts a target needs,
//! atomically and all-or-nothing.
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail};

use crate::ExitStatus;
use crate::cli::GlobalArgs;
use crate::cli::export::{ApimArgs, ApisixArgs, CloudArg, ExportArgs, ExportTarget, K8sArgs};
use crate::export::{self as build, ApimStore, ClientCa, Cloud, yaml};
use crate::fsio::{Mode, WriteSet};
use crate::pki::chain::PathEnd;
use crate::pki::load::{self, LoadOptions};
use crate::pki::{Cert, Graph, Verifier, keys, pkcs12};
use crate::report::{Printer, escape, escape_path, escape_text};
use crate::secret::PasswordSource;

pub fn run(args: ExportArgs, global: &GlobalArgs) -> anyhow::Result<ExitStatus> {
    let printer = Printer::new(global);
    match args.target {
        ExportTarget::Apim(a) => apim(a, &printer),
        ExportTarget::Apisix(a) => apisix(a, &printer),
        ExportTarget::K8s(a) => k8s(a, &printer),
    }
}

/// A certificate-only PKCS#12 for the APIM Certificates API: 3DES bags and
/// HMAC-SHA1 (the `compat` profile), which every Windows and OpenSSL 3 opens.
fn ca_pfx(cert: &Cert, password: &str) -> anyhow::Result<Vec<u8>> {
    // The shared writer reads the file back and checks its contents.
    let spec = pkcs12::PfxSpec {
        key: None,
        certs: std::slice::from_ref(cert),
        name: None,
        profile: pkcs12::Profile::Compat,
    };
    pkcs12::write(&spec, password)
        .map_err(|e| anyhow!("writing the PFX for {}: {e}", escape(&cert.subject)))
}

// ------------------------------------------------------------ inputs

/// Every certificate in a file; a file without one is an error naming it.
fn read_certs(path: &Path) -> anyhow::Result<Vec<Cert>> {
    let file = load::load_path(path, &LoadOptions::default()).map_err(|e| anyhow!("{e}"))?;
    if file.certs.is_empty() {
        let pkcs12 = file
            .problems
            .iter()
            .any(|p| matches!(p, load::Problem::Pkcs12Unread { .. }));
        let why = if pkcs12 {
            Some("a PKCS#12 file: convert it to PEM first".to_owned())
        } else {
            file.first_reason()
        }
        .unwrap_or_else(|| {
            if file.keys.is_empty() {
                "not PEM, DER or PKCS#7".to_owned()
            } else {
                "it holds a private key, not a certificate".to_owned()
            }
        });
        bail!("{}: no certificate found: {why}", path.display());
    }
    Ok(file.certs)
}

/// Distinct certificates from several files, first copy wins.
fn read_all(paths: &[PathBuf]) -> anyhow::Result<Vec<Cert>> {
    let mut out: Vec<Cert> = Vec::new();
    for p in paths {
        for c in read_certs(p)? {
            if !out.iter().any(|o| o.sha256 == c.sha256) {
                out.push(c);
            }
        }
    }
    Ok(out)
}

fn need_file(dir: &Path, name: &str) -> anyhow::Result<PathBuf> {
    let p = dir.join(name);
    if !p.is_file() {
        bail!(
            "{}: not found; --from expects a directory written by `chainsmith generate`",
            p.display()
        );
    }
    Ok(p)
}

/// CA certificates, checked: no end-entity certificate, ordered each lowest
/// CA first up to its root (the order of `ca-bundle.crt`). Returns the
/// certificates with whether each is a self-signed root.
fn ca_certs(certs: &[Cert], printer: &Printer) -> anyhow::Result<Vec<(usize, bool)>> {
    if let Some(leaf) = certs.iter().find(|c| !c.is_ca()) {
        bail!(
            "{}: {} is an end-entity certificate: this is the server certificate; pass its issuing CAs (the root and intermediate, e.g. ca-bundle.crt) instead (lint rule CS201/CS202)",
            escape(&leaf.source.location()),
            escape(&leaf.subject)
        );
    }
    let graph = Graph::build(certs, &Verifier::new());
    let mut order: Vec<(usize, bool)> = Vec::new();
    for (path, end) in graph.chains() {
        match &end {
            PathEnd::Anchor => {}
            PathEnd::Missing => {
                if let Some(&top) = path.last() {
                    printer.warn(&format!(
                        "the issuer of {} ({}) is not among the inputs: clients also need it to trust this chain",
                        escape(&certs[top].subject),
                        escape(&certs[top].issuer)
                    ));
                }
            }
            PathEnd::BadSignature { .. } => {
                if let Some(&top) = path.last() {
                    bail!(
                        "{}: the signature of {} does not verify with its issuer's key (lint rule CS206)",
                        escape(&certs[top].source.location()),
                        escape(&certs[top].subject)
                    );
                }
            }
            PathEnd::Unverifiable { reason, .. } => {
                if let Some(&top) = path.last() {
                    printer.warn(&format!(
                        "cannot check the signature of {}: {}",
                        escape(&certs[top].subject),
                        escape(reason)
                    ));
                }
            }
            PathEnd::Cycle { .. } => {}
        }
        for i in path {
            if !order.iter().any(|(j, _)| *j == i) {
                order.push((i, graph.is_self_signed(i)));
            }
        }
    }
    Ok(order)
}

/// The chain a server sends: the one end-entity certificate first, then its
/// issuers found among `certs`, without the self-signed root.
fn served_chain<'a>(
    certs: &'a [Cert],
    what: &Path,
    printer: &Printer,
) -> anyhow::Result<Vec<&'a Cert>> {
    let leaves: Vec<usize> = (0..certs.len()).filter(|&i| !certs[i].is_ca()).collect();
    let leaf = match leaves.as_slice() {
        [one] => *one,
        [] => bail!(
            "{}: no server (end-entity) certificate: these are CA certificates; pass the server certificate with --cert",
            what.display()
        ),
        _ => bail!(
            "{}: {} end-entity certificates; pass one server certificate and its intermediates",
            what.display(),
            leaves.len()
        ),
    };
    let graph = Graph::build(certs, &Verifier::new());
    let (path, end) = graph.path_up(leaf);
    if let PathEnd::BadSignature { .. } = end {
        bail!(
            "{}: a certificate in the chain of {} does not verify with its issuer's key (lint rule CS206)",
            what.display(),
            escape(&certs[leaf].subject)
        );
    }
    let mut chain: Vec<&Cert> = Vec::new();
    for &i in &path {
        if i != leaf && graph.is_self_signed(i) {
            printer.info(&format!(
                "left the root {} out of the served chain: clients hold it already",
                escape(&certs[i].display_name())
            ));
            continue;
        }
        chain.push(&certs[i]);
    }
    for (i, c) in certs.iter().enumerate() {
        if !path.contains(&graph.canonical[i]) {
            printer.warn(&format!(
                "{}: {} is not in the chain of {}; left out",
                escape(&c.source.location()),
                escape(&c.subject),
                escape(&certs[leaf].display_name())
            ));
        }
    }
    if chain.len() == 1 && end == PathEnd::Missing {
        printer.warn(&format!(
            "the chain is {} alone: clients that do not hold its intermediate will fail (lint rule CS204); pass the full chain or --chain",
            escape(&certs[leaf].display_name())
        ));
    }
    Ok(chain)
}

/// The server key, checked against the leaf, as PKCS#8 PEM.
fn server_key(path: &Path, leaf: &Cert) -> anyhow::Result<zeroize::Zeroizing<String>> {
    let key = keys::read_key(path, &PasswordSource::default(), "the server key").map_err(|e| {
        e.or_give_password_with(
            "no flag here: the targets store the key unencrypted, so decrypt it first (`openssl pkey -in KEY -out KEY.plain`)",
        )
    })?;
    if !keys::matches(leaf, &key) {
        bail!(
            "{}: this key does not match the server certificate {} (the gateway would accept it and fail every handshake)",
            path.display(),
            escape(&leaf.subject)
        );
    }
    keys::to_pem(&key, None).map_err(|e| anyhow!("{}: encoding the key: {e}", path.display()))
}

fn server_inputs(
    from: Option<&Path>,
    cert: Option<&Path>,
    chain: Option<&Path>,
    key: Option<&Path>,
) -> anyhow::Result<Option<(Vec<PathBuf>, PathBuf)>> {
    if let Some(dir) = from {
        return Ok(Some((
            vec![need_file(dir, "server-fullchain.crt")?],
            need_file(dir, "server.key")?,
        )));
    }
    match (cert, key) {
        (Some(c), Some(k)) => {
            let mut files = vec![c.to_path_buf()];
            files.extend(chain.map(Path::to_path_buf));
            Ok(Some((files, k.to_path_buf())))
        }
        (None, None) => Ok(None),
        _ => bail!("--cert and --key go together"),
    }
}

fn check_names(names: &[(&str, &str)], labels: &[(&str, &str)]) -> anyhow::Result<()> {
    for (flag, v) in names {
        if !build::is_dns_subdomain(v) {
            bail!(
                "{flag} {v:?}: Kubernetes names are lower-case letters, digits, '-' and '.' (RFC 1123)"
            );
        }
    }
    for (flag, v) in labels {
        if !build::is_dns_label(v) {
            bail!(
                "{flag} {v:?}: must be an RFC 1123 label: lower-case letters, digits and '-', at most 63"
            );
        }
    }
    Ok(())
}

fn summary(out: &Path, files: &[(String, &str)]) -> String {
    let mut s = format!("wrote {}/\n", escape_path(out));
    for (f, what) in files {
        s.push_str(&format!("  {f:<30} {what}\n"));
    }
    s
}

// ------------------------------------------------------------ apim

fn apim(args: ApimArgs, printer: &Printer) -> anyhow::Result<ExitStatus> {
    let inputs = match &args.from {
        Some(dir) => vec![need_file(dir, "ca-bundle.crt")?],
        None => args.ca_bundle.clone(),
    };
    if args.password.password_stdin && inputs.iter().any(|p| p.as_os_str() == "-") {
        bail!("--password-stdin cannot be used when a CA bundle is read from standard input (-)");
    }
    let certs = read_all(&inputs)?;
    let order = ca_certs(&certs, printer)?;
    if order.len() > build::APIM_MAX_CA {
        bail!(
            "{} CA certificates: APIM accepts at most {} per instance (lint rule CS402); export fewer",
            order.len(),
            build::APIM_MAX_CA
        );
    }
    let cloud = match args.cloud {
        CloudArg::Public => Cloud::Public,
        CloudArg::China => Cloud::China,
    };
    let out = args.out.out.as_path();
    let pairs: Vec<(&Cert, ApimStore)> = order
        .iter()
        .map(|&(i, root)| {
            let store = if root {
                ApimStore::Root
            } else {
                ApimStore::CertificateAuthority
            };
            (&certs[i], store)
        })
        .collect();
    let plan = build::apim_plan(&pairs);

    // Fail on existing files before asking for a password.
    let mut planned = WriteSet::new();
    for ca in &plan {
        for name in [
            ca.cer_file(),
            ca.gateway_ca_body_file(),
            ca.certificate_body_file(),
        ] {
            planned.add(out.join(name), Vec::new(), Mode::Public);
        }
    }
    for name in ["README.txt", "manifest.json", "apim-upload.sh"] {
        planned.add(out.join(name), Vec::new(), Mode::Public);
    }
    planned.check_clobber(args.out.force)?;

    let password = args
        .password
        .source()
        .read("password for the certificate-only PFX files", true)?
        .ok_or_else(|| {
            anyhow!("the Certificates API bodies hold a password-protected PFX: pass --password-file, --password-env or --password-stdin")
        })?;
    if password.is_empty() {
        bail!("the PFX password is empty; APIM needs a non-empty password");
    }
    let mut files = WriteSet::new();
    for ca in &plan {
        files.add(out.join(ca.cer_file()), ca.cert.der.clone(), Mode::Public);
        files.add(
            out.join(ca.gateway_ca_body_file()),
            build::json_text(&build::apim_gateway_ca_body(ca.store)),
            Mode::Public,
        );
        let pfx = ca_pfx(ca.cert, &password)?;
        let body = zeroize::Zeroizing::new(build::json_text(&build::apim_certificate_body(
            &pfx, &password,
        )));
        files.add(
            out.join(ca.certificate_body_file()),
            body.as_bytes(),
            Mode::Secret,
        );
    }
    files.add(
        out.join("README.txt"),
        build::apim_readme(&plan, cloud),
        Mode::Public,
    );
    files.add(
        out.join("manifest.json"),
        build::json_text(&build::apim_manifest(&plan, cloud)),
        Mode::Public,
    );
    files.add(
        out.join("apim-upload.sh"),
        build::apim_script(&plan, cloud),
        Mode::Public,
    );
    files.commit(args.out.force)?;

    let listed: Vec<(String, &str)> = vec![
        (
            "*.cer".to_owned(),
            "upload on the CA certificates page, store as below",
        ),
        (
            "certificate-*.json".to_owned(),
            "Certificates API bodies (PFX + password, 0600)",
        ),
        (
            "gateway-ca-*.json".to_owned(),
            "gateway Certificate Authority API bodies",
        ),
        (
            "apim-upload.sh".to_owned(),
            "bash apim-upload.sh SUBSCRIPTION_ID RESOURCE_GROUP SERVICE_NAME GATEWAY_NAME",
        ),
        (
            "README.txt, manifest.json".to_owned(),
            "the same, for people and scripts",
        ),
    ];
    let mut text = summary(out, &listed);
    text.push('\n');
    text.push_str(&build::apim_table(&plan));
    printer.out(&text)?;
    Ok(ExitStatus::Clean)
}

// ------------------------------------------------------------ apisix

fn apisix(args: ApisixArgs, printer: &Printer) -> anyhow::Result<ExitStatus> {
    check_names(
        &[("--name", &args.name)],
        &[("--namespace", &args.namespace)],
    )?;
    if args.name.len() > 40 {
        bail!("--name: at most 40 characters (the Secrets add -client-ca)");
    }
    let (cert_files, key_file) = server_inputs(
        args.from.as_deref(),
        args.cert.as_deref(),
        args.chain.as_deref(),
        args.key.as_deref(),
    )?
    .ok_or_else(|| anyhow!("pass --from DIR, or --cert and --key"))?;
    let certs = read_all(&cert_files)?;
    let chain = served_chain(&certs, &cert_files[0], printer)?;
    let leaf = chain[0];
    let key_pem = server_key(&key_file, leaf)?;

    let snis: Vec<String> = if args.sni.is_empty() {
        leaf.dns_sans().map(str::to_owned).collect()
    } else {
        args.sni.clone()
    };
    if snis.is_empty() {
        bail!(
            "{} has no DNS subjectAltName: pass the host names with --sni",
            escape(&leaf.subject)
        );
    }
    for s in &snis {
        let host = s.strip_prefix("*.").unwrap_or(s);
        if host.is_empty()
            || !host.split('.').all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            })
        {
            bail!(
                "--sni {:?}: not a DNS host name (a leading *. is allowed)",
                escape(s)
            );
        }
    }

    let client_certs = match &args.client_ca {
        Some(p) => Some(read_all(std::slice::from_ref(p))?),
        None => None,
    };
    let client = match &client_certs {
        Some(cc) => {
            let order = ca_certs(cc, printer)?;
            let graph = Graph::build(cc, &Verifier::new());
            let longest = graph
                .chains()
                .iter()
                .map(|(p, _)| p.len())
                .max()
                .unwrap_or(1) as u32;
            Some(ClientCa {
                certs: order.iter().map(|&(i, _)| &cc[i]).collect(),
                depth: args.client_depth.unwrap_or(longest.max(1)),
            })
        }
        None => None,
    };

    let ns = args.namespace.as_str();
    let tls_secret = format!("{}-tls", args.name);
    let ca_secret = format!("{}-client-ca", args.name);
    let out = args.out.out.as_path();
    let mut files = WriteSet::new();
    let ssl = build::apisix_ssl(&snis, &chain, &key_pem, client.as_ref());
    files.add(
        out.join("apisix-ssl.json"),
        zeroize::Zeroizing::new(build::json_text(&ssl)).as_bytes(),
        Mode::Secret,
    );
    files.add(
        out.join("apisix-tls.yaml"),
        yaml::document(&build::apisix_tls(
            &args.name,
            ns,
            &snis,
            &tls_secret,
            client.as_ref().map(|c| (ca_secret.as_str(), c.depth)),
        )),
        Mode::Public,
    );
    files.add(
        out.join("apisix-secret.yaml"),
        zeroize::Zeroizing::new(yaml::document(&build::apisix_secret(
            &tls_secret,
            ns,
            &chain,
            &key_pem,
        )))
        .as_bytes(),
        Mode::Secret,
    );
    let mut listed = vec![
        (
            "apisix-ssl.json".to_owned(),
            "Admin API SSL object (0600): PUT /apisix/admin/ssls/{id}",
        ),
        (
            "apisix-tls.yaml".to_owned(),
            "ApisixTls for the ingress controller",
        ),
        (
            "apisix-secret.yaml".to_owned(),
            "Secret with cert and key (0600)",
        ),
    ];
    if let Some(c) = &client {
        files.add(
            out.join("apisix-client-ca-secret.yaml"),
            yaml::document(&build::apisix_client_ca_secret(&ca_secret, ns, &c.certs)),
            Mode::Public,
        );
        listed.push((
            "apisix-client-ca-secret.yaml".to_owned(),
            "Secret with the client CA (mTLS)",
        ));
    }
    files.commit(args.out.force)?;
    let mut text = summary(out, &listed);
    let shown: Vec<String> = snis.iter().map(|s| escape(s).into_owned()).collect();
    text.push_str(&format!("  snis: {}\n", shown.join(", ")));
    if let Some(c) = &client {
        text.push_str(&format!(
            "  mTLS: {} client CA certificate(s), depth {}\n",
            c.certs.len(),
            c.depth
        ));
    }
    printer.out(&text)?;
    Ok(ExitStatus::Clean)
}

// ------------------------------------------------------------ k8s

fn k8s(args: K8sArgs, printer: &Printer) -> anyhow::Result<ExitStatus> {
    check_names(
        &[("--name", &args.name)],
        &args
            .namespace
            .iter()
            .map(|n| ("--namespace", n.as_str()))
            .collect::<Vec<_>>(),
    )?;
    if args.name.len() > 59 || !build::is_dns_label(&format!("{}-ca", args.name)) {
        bail!(
            "--name {:?}: must be an RFC 1123 label of at most 59 characters (the volume is NAME-ca)",
            args.name
        );
    }
    let ca_inputs: Vec<PathBuf> = match &args.from {
        Some(dir) => vec![need_file(dir, "ca-bundle.crt")?],
        None => args.ca_bundle.clone(),
    };
    let server = server_inputs(
        args.from.as_deref(),
        args.cert.as_deref(),
        args.chain.as_deref(),
        args.key.as_deref(),
    )?;
    let ns = args.namespace.as_deref();
    let out = args.out.out.as_path();
    let mut files = WriteSet::new();
    let mut listed: Vec<(String, &str)> = Vec::new();
    let mut hints: Vec<String> = Vec::new();
    let ns_flag = ns.map(|n| format!(" --namespace {n}")).unwrap_or_default();

    if ca_inputs.is_empty() {
        if args.deployment.is_some() || args.container.is_some() {
            bail!(
                "--deployment and --container set up the CA bundle: pass --ca-bundle or --from too"
            );
        }
    } else {
        let (Some(deployment), Some(container)) = (&args.deployment, &args.container) else {
            bail!(
                "the Deployment patch needs --deployment NAME and --container NAME (the container that gets SSL_CERT_FILE)"
            );
        };
        check_names(
            &[("--deployment", deployment)],
            &[("--container", container)],
        )?;
        let mount = args.mount_path.trim_end_matches('/');
        if !mount.starts_with('/')
            || mount.split('/').any(|p| p == ".." || p == ".")
            || mount.contains(':')
            || mount.chars().any(char::is_control)
        {
            bail!(
                "--mount-path {:?}: must be an absolute path without . or .. parts",
                escape(&args.mount_path)
            );
        }
        let certs = read_all(&ca_inputs)?;
        let order = ca_certs(&certs, printer)?;
        let bundle_certs: Vec<&Cert> = order.iter().map(|&(i, _)| &certs[i]).collect();
        let secret = format!("{}-ca", args.name);
        files.add(
            out.join("ca-secret.yaml"),
            yaml::document(&build::k8s_ca_secret(
                &secret,
                ns,
                &build::ca_bundle_pem(&bundle_certs),
            )),
            Mode::Public,
        );
        files.add(
            out.join("deployment-patch.yaml"),
            yaml::document(&build::k8s_deployment_patch(
                deployment, ns, container, &secret, &secret, mount,
            )),
            Mode::Public,
        );
        listed.push((
            "ca-secret.yaml".to_owned(),
            "Opaque Secret holding ca-bundle.crt",
        ));
        listed.push((
            "deployment-patch.yaml".to_owned(),
            "mounts it (no subPath) and sets SSL_CERT_FILE",
        ));
        hints.push(format!(
            "kubectl apply{ns_flag} -f {}",
            out.join("ca-secret.yaml").display()
        ));
        hints.push(format!(
            "kubectl patch deployment {deployment}{ns_flag} --patch-file {}",
            out.join("deployment-patch.yaml").display()
        ));
        hints.push(format!(
            "SSL_CERT_FILE={} in container {container}",
            build::k8s_ssl_cert_file(mount)
        ));
    }
    if let Some((cert_files, key_file)) = server {
        let certs = read_all(&cert_files)?;
        let chain = served_chain(&certs, &cert_files[0], printer)?;
        let key_pem = server_key(&key_file, chain[0])?;
        let secret = format!("{}-tls", args.name);
        files.add(
            out.join("tls-secret.yaml"),
            zeroize::Zeroizing::new(yaml::document(&build::k8s_tls_secret(
                &secret, ns, &chain, &key_pem,
            )))
            .as_bytes(),
            Mode::Secret,
        );
        listed.push((
            "tls-secret.yaml".to_owned(),
            "kubernetes.io/tls Secret (0600)",
        ));
        hints.push(format!(
            "kubectl apply{ns_flag} -f {}",
            out.join("tls-secret.yaml").display()
        ));
    }
    files.commit(args.out.force)?;
    let mut text = summary(out, &listed);
    text.push_str("next:\n");
    for h in hints {
        text.push_str(&format!("  {}\n", escape_text(&h)));
    }
    printer.out(&text)?;
    Ok(ExitStatus::Clean)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ca_pfx_holds_the_certificate_alone() {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/root.crt");
        let cert = read_certs(&path).unwrap().remove(0);
        let pfx = ca_pfx(&cert, "pw").unwrap();
        let back = crate::pki::pkcs12::read(&pfx, "pw").unwrap();
        assert_eq!(back.certs, vec![cert.der.clone()]);
        assert!(crate::pki::pkcs12::read(&pfx, "other").is_err());
        let algs = crate::pki::pkcs12::encryption_algorithms(&pfx);
        assert!(
            algs.iter().all(|a| a == "pbeWithSHAAnd3-KeyTripleDES-CBC"),
            "{algs:?}"
        );
    }
}
