//! `export apim|apisix|k8s`: read a chain (a `generate` directory or
//! explicit files), check it, and write the artefacts a target needs,
//! atomically and all-or-nothing.
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail};

use crate::ExitStatus;
use crate::cli::GlobalArgs;
use crate::cli::PasswordArgs;
use crate::cli::export::{
    AksArgs, ApimArgs, ApisixArgs, ExportArgs, ExportTarget, K8sArgs, OutArgs, ServedArgs, TierArg,
};
use crate::export::apim::{self, ApimStore, Cloud};
use crate::export::apisix::{self, ClientCa};
use crate::export::{self as build, Body, Export, Served, aks, k8s as kube};
use crate::fsio::WriteSet;
use crate::pki::chain::PathEnd;
use crate::pki::load::{self, LoadOptions};
use crate::pki::{Cert, Graph, Verifier, keys, pkcs12};
use crate::report::{Printer, escape, escape_path};
use crate::secret::PasswordSource;

pub fn run(args: ExportArgs, global: &GlobalArgs) -> anyhow::Result<ExitStatus> {
    let printer = Printer::new(global);
    match args.target {
        ExportTarget::Apim(a) => apim(a, &printer),
        ExportTarget::Apisix(a) => apisix(a, &printer),
        ExportTarget::K8s(a) => k8s(a, &printer),
        ExportTarget::Aks(a) => aks(a, &printer),
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

/// A served chain from `certs` (read from `first` and what follows it) and
/// its key, checked against the leaf.
fn served<'a>(
    certs: &'a [Cert],
    first: &Path,
    key: &Path,
    printer: &Printer,
) -> anyhow::Result<Served<'a>> {
    let chain = served_chain(certs, first, printer)?;
    let key_pem = server_key(key, chain[0])?;
    Ok(Served { chain, key_pem })
}

/// The served certificate's files (leaf first) and its key, from `--from
/// DIR` or `--cert`/`--chain`/`--key`; `None` when neither was given.
fn server_inputs(
    from: Option<&Path>,
    served: &ServedArgs,
) -> anyhow::Result<Option<(Vec<PathBuf>, PathBuf)>> {
    if let Some(dir) = from {
        return Ok(Some((
            vec![need_file(dir, "server-fullchain.crt")?],
            need_file(dir, "server.key")?,
        )));
    }
    match (&served.cert, &served.key) {
        (Some(c), Some(k)) => {
            let mut files = vec![c.clone()];
            files.extend(served.chain.clone());
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

fn summary(out: &Path, files: &[(String, &'static str)]) -> String {
    let mut s = format!("wrote {}/\n", escape_path(out));
    for (f, what) in files {
        s.push_str(&format!("  {f:<30} {what}\n"));
    }
    s
}

// ------------------------------------------------------------ writing

/// Write a target's files once: refuse existing files before anything slow
/// or a prompt, read the PFX password only when a file needs it, then
/// write everything or nothing and print the summary.
fn write(
    export: Export<'_>,
    out: &OutArgs,
    password: Option<&PasswordArgs>,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let dir = out.out.as_path();
    let mut planned = WriteSet::new();
    for f in &export.files {
        planned.add(dir.join(&f.name), Vec::new(), f.mode);
    }
    planned.check_clobber(out.force)?;
    let password = match password {
        Some(p) if export.needs_password() => Some(pfx_password(p)?),
        _ => None,
    };
    let mut files = WriteSet::new();
    for f in export.files {
        let mut bytes = match f.body {
            Body::Bytes(b) => b,
            Body::PfxBody(cert) => {
                let pw = password.as_deref().map(String::as_str).unwrap_or_default();
                let pfx = ca_pfx(cert, pw)?;
                let text =
                    zeroize::Zeroizing::new(build::json_text(&apim::certificate_body(&pfx, pw)));
                zeroize::Zeroizing::new(text.as_bytes().to_vec())
            }
        };
        files.add(dir.join(&f.name), std::mem::take(&mut *bytes), f.mode);
    }
    files.commit(out.force)?;
    let mut text = summary(dir, &export.listed);
    text.push_str(&export.tail);
    printer.out(&text)?;
    Ok(ExitStatus::Clean)
}

/// The password of the certificate-only PFX files in the Certificates API bodies.
fn pfx_password(p: &PasswordArgs) -> anyhow::Result<zeroize::Zeroizing<String>> {
    let password = p
        .source()
        .read("password for the certificate-only PFX files", true)?
        .ok_or_else(|| {
            anyhow!("the Certificates API bodies hold a password-protected PFX: pass --password-file, --password-env or --password-stdin")
        })?;
    if password.is_empty() {
        bail!("the PFX password is empty; APIM needs a non-empty password");
    }
    Ok(password)
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
    check_tier_flags(&args)?;
    let certs = read_all(&inputs)?;
    let order = ca_certs(&certs, printer)?;
    let cloud = Cloud::from(args.cloud);
    if args.tier == TierArg::V2 {
        return apim_v2(&args, &certs, cloud, printer);
    }
    // The limit of the classic CA certificates list; a v2 backend names
    // issuing CAs, not a list.
    if order.len() > apim::APIM_MAX_CA {
        bail!(
            "{} CA certificates: APIM accepts at most {} per instance (lint rule CS402); export fewer",
            order.len(),
            apim::APIM_MAX_CA
        );
    }
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
    let plan = apim::plan(&pairs);
    write(
        apim::classic_files(&plan, cloud),
        &args.out,
        Some(&args.password),
        printer,
    )
}

/// The v2 flags belong to --tier v2, the PFX password to --tier classic.
fn check_tier_flags(args: &ApimArgs) -> anyhow::Result<()> {
    match args.tier {
        TierArg::Classic => {
            if args.backend_url.is_some() || args.backend_id.is_some() || args.server_name.is_some()
            {
                bail!(
                    "--backend-url, --backend-id and --server-name describe a v2 backend entity: add --tier v2"
                );
            }
        }
        TierArg::V2 => {
            if args.password.given() {
                bail!(
                    "--tier v2 writes no PFX and needs no password: leave out --password-file, --password-env and --password-stdin"
                );
            }
        }
    }
    Ok(())
}

/// The host of an `https://` URL, or why it is not one.
fn https_host(url: &str) -> anyhow::Result<&str> {
    let rest = url.strip_prefix("https://").ok_or_else(|| {
        anyhow!(
            "--backend-url {:?}: must start with https:// (the CA is trusted for TLS)",
            escape(url)
        )
    })?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    };
    if host.is_empty() || url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        bail!(
            "--backend-url {:?}: not a URL with a host name",
            escape(url)
        );
    }
    Ok(host)
}

fn apim_v2(
    args: &ApimArgs,
    certs: &[Cert],
    cloud: Cloud,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let url = args.backend_url.clone().unwrap_or_default();
    let host = https_host(&url)?;
    let id = args
        .backend_id
        .clone()
        .unwrap_or_else(|| "chainsmith-backend".to_owned());
    if id.is_empty()
        || id.len() > 80
        || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        || id.starts_with('-')
    {
        bail!(
            "--backend-id {:?}: 1 to 80 letters, digits and '-', not starting with '-'",
            escape(&id)
        );
    }
    let server_name = match (&args.server_name, &args.from) {
        (Some(n), _) => n.clone(),
        (None, Some(dir)) => server_cert_name(&need_file(dir, "server.crt")?)?,
        (None, None) => host.to_owned(),
    };
    if server_name.is_empty() || server_name.chars().any(char::is_control) {
        bail!(
            "--server-name {:?}: not a certificate name",
            escape(&server_name)
        );
    }
    let backend = apim::V2Backend {
        id,
        url: url.clone(),
        server_name,
        issuers: issuing_cas(certs).into_iter().map(|i| &certs[i]).collect(),
        cloud,
    };
    write(apim::v2_files(&backend), &args.out, None, printer)
}

/// The name a v2 backend entity expects on the server certificate: its CN,
/// or its first DNS name when it has no CN.
fn server_cert_name(path: &Path) -> anyhow::Result<String> {
    let certs = read_certs(path)?;
    let leaf = certs.iter().find(|c| !c.is_ca()).ok_or_else(|| {
        anyhow!(
            "{}: no server certificate; pass --server-name",
            path.display()
        )
    })?;
    leaf.common_name()
        .or_else(|| leaf.dns_sans().next().map(str::to_owned))
        .ok_or_else(|| {
            anyhow!(
                "{}: the server certificate has no CN and no DNS name; pass --server-name",
                path.display()
            )
        })
}

/// The CAs that issue end-entity certificates: the lowest CA of each chain.
fn issuing_cas(certs: &[Cert]) -> Vec<usize> {
    let graph = Graph::build(certs, &Verifier::new());
    let mut out: Vec<usize> = Vec::new();
    for (path, _) in graph.chains() {
        if let Some(&low) = path.first()
            && !out.contains(&low)
        {
            out.push(low);
        }
    }
    out
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
    let (cert_files, key_file) = server_inputs(args.from.as_deref(), &args.served)?
        .ok_or_else(|| anyhow!("pass --from DIR, or --cert and --key"))?;
    let certs = read_all(&cert_files)?;
    let main = served(&certs, &cert_files[0], &key_file, printer)?;
    let snis = apisix_snis(&args.sni, main.chain[0])?;

    if args.extra_cert.len() != args.extra_key.len() {
        bail!(
            "--extra-cert and --extra-key go in pairs: {} certificate(s), {} key(s)",
            args.extra_cert.len(),
            args.extra_key.len()
        );
    }
    let extra_certs = args
        .extra_cert
        .iter()
        .map(|p| read_all(std::slice::from_ref(p)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut extra: Vec<Served<'_>> = Vec::new();
    for ((certs, path), key) in extra_certs
        .iter()
        .zip(&args.extra_cert)
        .zip(&args.extra_key)
    {
        let served = extra_served(certs, path, key, &snis, &main, &extra, printer)?;
        extra.push(served);
    }

    let client_certs = match &args.client_ca {
        Some(p) => Some(read_all(std::slice::from_ref(p))?),
        None => None,
    };
    let client = match &client_certs {
        Some(cc) => Some(client_ca(cc, args.client_depth, printer)?),
        None => None,
    };
    let plan = apisix::Plan {
        name: args.name.clone(),
        namespace: args.namespace.clone(),
        snis,
        main,
        extra,
        client,
    };
    write(apisix::files(&plan), &args.out, None, printer)
}

/// The SNIs: `--sni` names, or the certificate's DNS names; each a DNS host
/// name with at most a leading `*.`.
fn apisix_snis(given: &[String], leaf: &Cert) -> anyhow::Result<Vec<String>> {
    let snis: Vec<String> = if given.is_empty() {
        leaf.dns_sans().map(str::to_owned).collect()
    } else {
        given.to_vec()
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
    Ok(snis)
}

/// One `--extra-cert`/`--extra-key` pair, checked: the key matches, the
/// certificate covers every SNI, and its key type differs from the others
/// (APISIX serves one certificate per key type).
fn extra_served<'a>(
    certs: &'a [Cert],
    path: &Path,
    key: &Path,
    snis: &[String],
    main: &Served<'_>,
    others: &[Served<'_>],
    printer: &Printer,
) -> anyhow::Result<Served<'a>> {
    let extra = served(certs, path, key, printer)?;
    let leaf = extra.chain[0];
    let same = std::iter::once(main)
        .chain(others)
        .any(|s| std::mem::discriminant(&s.chain[0].key) == std::mem::discriminant(&leaf.key));
    if same {
        bail!(
            "{}: a {} key, like a certificate before it: APISIX serves one certificate per key type, so this one would never be sent; pass one of another type (RSA beside ECDSA)",
            path.display(),
            leaf.key
        );
    }
    if let Some(s) = snis.iter().find(|s| !leaf.matches_host(s)) {
        bail!(
            "{}: {} does not cover the SNI {}: clients that pick this key type would get a certificate for another name",
            path.display(),
            escape(&leaf.display_name()),
            escape(s)
        );
    }
    Ok(extra)
}

/// The mTLS part: the client CAs in bundle order and the depth, by default
/// the longest chain among them.
fn client_ca<'a>(
    cc: &'a [Cert],
    depth: Option<u32>,
    printer: &Printer,
) -> anyhow::Result<ClientCa<'a>> {
    let order = ca_certs(cc, printer)?;
    let graph = Graph::build(cc, &Verifier::new());
    let longest = graph
        .chains()
        .iter()
        .map(|(p, _)| p.len())
        .max()
        .unwrap_or(1) as u32;
    Ok(ClientCa {
        certs: order.iter().map(|&(i, _)| &cc[i]).collect(),
        depth: depth.unwrap_or(longest.max(1)),
    })
}

// ------------------------------------------------------------ k8s

/// The CA half of `export k8s`, checked before any file is read:
/// (deployment, container, mount path).
fn k8s_ca_flags(args: &K8sArgs, has_ca: bool) -> anyhow::Result<Option<(String, String, String)>> {
    if !has_ca {
        if args.deployment.is_some() || args.container.is_some() {
            bail!(
                "--deployment and --container set up the CA bundle: pass --ca-bundle or --from too"
            );
        }
        return Ok(None);
    }
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
    Ok(Some((
        deployment.clone(),
        container.clone(),
        mount.to_owned(),
    )))
}

/// `--name` and `--namespace` of `export k8s`.
fn k8s_names(args: &K8sArgs) -> anyhow::Result<()> {
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
    Ok(())
}

fn k8s(args: K8sArgs, printer: &Printer) -> anyhow::Result<ExitStatus> {
    k8s_names(&args)?;
    let ca_inputs: Vec<PathBuf> = match &args.from {
        Some(dir) => vec![need_file(dir, "ca-bundle.crt")?],
        None => args.ca_bundle.clone(),
    };
    let server = server_inputs(args.from.as_deref(), &args.served)?;
    let flags = k8s_ca_flags(&args, !ca_inputs.is_empty())?;
    let ca_store = match flags {
        Some(_) => read_all(&ca_inputs)?,
        None => Vec::new(),
    };
    let ca = match flags {
        Some((deployment, container, mount_path)) => {
            let order = ca_certs(&ca_store, printer)?;
            Some(kube::CaTrust {
                deployment,
                container,
                mount_path,
                certs: order.iter().map(|&(i, _)| &ca_store[i]).collect(),
            })
        }
        None => None,
    };
    let tls_store = match &server {
        Some((cert_files, _)) => read_all(cert_files)?,
        None => Vec::new(),
    };
    let tls = match &server {
        Some((cert_files, key_file)) => {
            Some(served(&tls_store, &cert_files[0], key_file, printer)?)
        }
        None => None,
    };
    let plan = kube::Plan {
        name: args.name.clone(),
        namespace: args.namespace.clone(),
        ca,
        tls,
    };
    write(kube::files(&plan, &args.out.out), &args.out, None, printer)
}

// ------------------------------------------------------------ aks

fn aks(args: AksArgs, printer: &Printer) -> anyhow::Result<ExitStatus> {
    let inputs = match &args.from {
        Some(dir) => vec![need_file(dir, "ca-bundle.crt")?],
        None => args.ca_bundle.clone(),
    };
    let certs = read_all(&inputs)?;
    let order = ca_certs(&certs, printer)?;
    if order.len() > aks::MAX_CA {
        bail!(
            "{} CA certificates: AKS custom CA trust takes at most {} (lint rule CS403); export fewer",
            order.len(),
            aks::MAX_CA
        );
    }
    let bundle: Vec<&Cert> = order.iter().map(|&(i, _)| &certs[i]).collect();
    write(aks::files(&bundle, &args.out.out), &args.out, None, printer)
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
