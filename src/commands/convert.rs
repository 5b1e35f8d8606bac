//! `convert`: PEM ↔ DER (one `.cer` per certificate), PKCS#7 and PKCS#12 →
//! PEM (optionally with the key), and PEM → PKCS#12 with a chosen profile.
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};

use super::inputs::{Accept, PasswordCache, load_all, load_certs_only};
use crate::ExitStatus;
use crate::cli::GlobalArgs;
use crate::cli::convert::{ConvertArgs, ConvertTo, PfxTarget};
use crate::cli::generate::PfxProfileArg;
use crate::fsio::{Mode, WriteSet};
use crate::pki::chain::PathEnd;
use crate::pki::load::LoadedFile;
use crate::pki::model::KeyKind;
use crate::pki::{Cert, Graph, Verifier, encode, keys, pkcs12};
use crate::report::{Printer, escape, escape_path};
use crate::secret::PasswordSource;

pub fn run(args: ConvertArgs, global: &GlobalArgs) -> anyhow::Result<ExitStatus> {
    let printer = Printer::new(global);
    check_flags(&args)?;
    let mut passwords = PasswordCache::new(args.no_password, args.password.source());
    let accept = Accept {
        key_only: args.with_key,
    };
    let files = load_all(
        &args.inputs,
        &mut passwords,
        args.password.password_stdin,
        accept,
        &printer,
    )?;
    match args.to {
        ConvertTo::Der => to_der(&args, &files, &printer),
        ConvertTo::Pem => to_pem(&args, &files, &printer),
        ConvertTo::Pfx | ConvertTo::KeyvaultPem => {
            to_identity(&args, files, &mut passwords, &printer)
        }
    }
}

/// Options that only make sense for one output format are refused elsewhere.
fn check_flags(args: &ConvertArgs) -> anyhow::Result<()> {
    let identity = matches!(args.to, ConvertTo::Pfx | ConvertTo::KeyvaultPem);
    let stray = [
        (
            args.key.is_some() && !identity,
            "--key",
            "--to pfx or keyvault-pem",
        ),
        (
            !args.chain.is_empty() && !identity,
            "--chain",
            "--to pfx or keyvault-pem",
        ),
        (
            args.name.is_some() && args.to != ConvertTo::Pfx,
            "--name",
            "--to pfx",
        ),
        (
            args.profile.is_some() && args.to != ConvertTo::Pfx,
            "--profile",
            "--to pfx",
        ),
        (
            args.target.is_some() && args.to != ConvertTo::Pfx,
            "--for",
            "--to pfx",
        ),
    ];
    if let Some((_, flag, to)) = stray.iter().find(|(given, ..)| *given) {
        bail!("{flag} only applies to {to}");
    }
    if args.with_key && args.to != ConvertTo::Pem {
        bail!("--with-key only applies to --to pem (a PFX takes the key with --key)");
    }
    if args.out.as_deref().is_some_and(|o| o.as_os_str() == "-") {
        bail!("-o - is not supported: leave out -o to write PEM to standard output");
    }
    Ok(())
}

/// Every certificate of the inputs, in input order, exact duplicates dropped.
fn distinct_certs(files: &[LoadedFile]) -> Vec<&Cert> {
    let mut seen = HashSet::new();
    files
        .iter()
        .flat_map(|f| f.certs.iter())
        .filter(|c| seen.insert(c.sha256))
        .collect()
}

/// `-o` names a directory when it is one, ends with a separator, or has no
/// certificate-file extension; an existing device or FIFO (`/dev/null`,
/// `/dev/stdout`) is a file whatever its name.
fn names_directory(path: &Path) -> bool {
    if std::fs::metadata(path).is_ok_and(|m| !m.is_dir() && !m.is_file()) {
        return false;
    }
    if path.is_dir()
        || path
            .as_os_str()
            .to_string_lossy()
            .ends_with(std::path::MAIN_SEPARATOR)
    {
        return true;
    }
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    !matches!(ext.as_deref(), Some("cer" | "der" | "crt"))
}

fn to_der(
    args: &ConvertArgs,
    files: &[LoadedFile],
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let out = args.out.as_deref().ok_or_else(|| {
        anyhow!("--to der needs -o DIR (one .cer per certificate) or -o FILE.cer (one certificate)")
    })?;
    let certs = distinct_certs(files);
    let mut set = WriteSet::new();
    let mut summary = String::new();
    if names_directory(out) {
        let names = der_file_names(&certs);
        for (c, n) in certs.iter().zip(&names) {
            set.add(out.join(n), c.der.clone(), Mode::Public);
            summary.push_str(&format!(
                "  {n:<40} {} ({})\n",
                escape(&c.subject),
                c.role()
            ));
        }
    } else {
        if certs.len() != 1 {
            bail!(
                "{}: the inputs hold {} certificates and a .cer holds one; give -o a directory to get one file each",
                out.display(),
                certs.len()
            );
        }
        for c in &certs {
            set.add(out, c.der.clone(), Mode::Public);
            summary.push_str(&format!("  {} ({})\n", escape(&c.subject), c.role()));
        }
    }
    set.commit(args.force)?;
    printer.out(&format!(
        "wrote {} DER certificate(s) to {}\n{summary}",
        certs.len(),
        escape_path(out)
    ))?;
    Ok(ExitStatus::Clean)
}

/// `role-CN.cer` for each certificate, e.g. `root-My-Root-CA.cer`. Names
/// that would collide get the start of the SHA-256 fingerprint appended; a
/// suffixed name is itself checked against every name of the run (without
/// regard to case, for case-insensitive file systems) and lengthened until
/// it is unique, so no two certificates ever share a file.
pub fn der_file_names(certs: &[&Cert]) -> Vec<String> {
    let stems: Vec<String> = certs.iter().map(|c| der_stem(c)).collect();
    let key = |n: &str| n.to_ascii_lowercase();
    let mut count: HashMap<String, usize> = HashMap::new();
    for s in &stems {
        *count.entry(key(s)).or_default() += 1;
    }
    // Names taken so far: plain stems that are unique first, so a suffixed
    // name can never take a name another certificate has by right.
    let mut taken: HashSet<String> = stems
        .iter()
        .filter(|s| count[&key(s)] == 1)
        .map(|s| key(&format!("{s}.cer")))
        .collect();
    stems
        .iter()
        .zip(certs)
        .map(|(s, c)| {
            if count[&key(s)] == 1 {
                format!("{s}.cer")
            } else {
                suffixed_name(s, c, &mut taken)
            }
        })
        .collect()
}

/// `role-CN` of one certificate: the CN, else the last attribute of the
/// subject (often OU or O), else the short fingerprint.
fn der_stem(c: &Cert) -> String {
    let role = c.role().as_str().replace(' ', "-");
    let last_rdn = || {
        c.subject
            .rsplit(", ")
            .next()
            .and_then(|rdn| rdn.split_once('='))
            .map(|(_, v)| v.to_owned())
    };
    let cn = c
        .common_name()
        .or_else(last_rdn)
        .map(|cn| sanitize(&cn))
        .filter(|s| !s.is_empty());
    match cn {
        Some(cn) => format!("{role}-{cn}"),
        None => format!("{role}-{}", c.short_id()),
    }
}

/// A colliding stem with 8, then 16, then 64 hex digits of the fingerprint
/// (then a counter), the first that no other name of the run has taken.
fn suffixed_name(stem: &str, c: &Cert, taken: &mut HashSet<String>) -> String {
    let fp = hex::encode(c.sha256);
    // Identical certificates were merged before this, so the whole
    // fingerprint is unique; the counter only guards the impossible.
    let mut candidates = [8, 16, 64]
        .into_iter()
        .map(|len| format!("{stem}-{}.cer", &fp[..len]))
        .chain((2..).map(|n| format!("{stem}-{fp}-{n}.cer")));
    candidates
        .find(|name| taken.insert(name.to_ascii_lowercase()))
        .unwrap_or_else(|| format!("{stem}-{fp}.cer"))
}

/// A file-name-safe form of a common name: letters, digits, `.`, `_` and
/// `-` kept, `*` spelt `wildcard`, anything else one `-`.
fn sanitize(cn: &str) -> String {
    let mut out = String::with_capacity(cn.len());
    for ch in cn.chars() {
        match ch {
            '*' => out.push_str("wildcard"),
            c if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') => out.push(c),
            _ => {
                if !out.ends_with('-') {
                    out.push('-');
                }
            }
        }
    }
    let trimmed = out.trim_matches(|c| c == '-' || c == '.');
    trimmed.chars().take(64).collect()
}

fn to_pem(
    args: &ConvertArgs,
    files: &[LoadedFile],
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let certs = distinct_certs(files);
    let pem = encode::pem_bundle(certs.iter().copied());
    if !args.with_key {
        for k in files.iter().flat_map(|f| f.keys.iter()) {
            printer.info(&format!(
                "{}: holds a private key; it is not written (use --with-key -o FILE)",
                escape(&k.source.location())
            ));
        }
    }
    let Some(out) = args.out.as_deref() else {
        printer.out(&pem)?;
        return Ok(ExitStatus::Clean);
    };
    let mut set = WriteSet::new();
    if !certs.is_empty() {
        set.add(out, pem.into_bytes(), Mode::Public);
    }
    let mut key_note = String::new();
    if args.with_key {
        // A key-only input writes the key to -o itself.
        let key_path = match &args.key_out {
            Some(p) => p.clone(),
            None if certs.is_empty() => out.to_path_buf(),
            None => out.with_extension("key"),
        };
        if key_path == out && !certs.is_empty() {
            bail!(
                "{}: the key would overwrite the certificates; pass --key-out FILE",
                out.display()
            );
        }
        let key_pem = extract_key(files, &certs, printer)?;
        set.add(&key_path, key_pem.as_bytes(), Mode::Secret);
        key_note = format!(" and the private key to {} (0600)", escape_path(&key_path));
    }
    set.commit(args.force)?;
    if certs.is_empty() {
        printer.out(&format!("wrote{}\n", key_note.trim_start_matches(" and")))?;
    } else {
        printer.out(&format!(
            "wrote {} certificate(s) to {}{key_note}\n",
            certs.len(),
            escape_path(out)
        ))?;
    }
    Ok(ExitStatus::Clean)
}

/// The one private key of the inputs as unencrypted PKCS#8 PEM. PKCS#8 keys
/// (all PKCS#12 keys) are written byte for byte as they were stored.
fn extract_key(
    files: &[LoadedFile],
    certs: &[&Cert],
    printer: &Printer,
) -> anyhow::Result<zeroize::Zeroizing<String>> {
    let blocks: Vec<_> = files.iter().flat_map(|f| f.keys.iter()).collect();
    let block = match blocks.as_slice() {
        [one] => *one,
        [] => bail!("--with-key: the inputs hold no private key"),
        many => bail!(
            "--with-key: the inputs hold {} private keys; give one input with one key",
            many.len()
        ),
    };
    let path = PathBuf::from(&*block.source.path);
    let pair = keys::key_from_block(
        &path,
        &block.label,
        &block.der,
        block.encrypted,
        &PasswordSource::default(),
        "the key",
    )?;
    if !certs.iter().any(|c| keys::matches(c, &pair)) && !certs.is_empty() {
        printer.warn(&format!(
            "{}: the private key matches none of the certificates",
            escape(&block.source.path)
        ));
    }
    let der = match block.label.as_str() {
        "PKCS#12 key bag" | "PRIVATE KEY" => zeroize::Zeroizing::new(block.der.to_vec()),
        _ => keys::pkcs8_der(&pair),
    };
    Ok(zeroize::Zeroizing::new(encode::pem_block(
        "PRIVATE KEY",
        &der,
    )))
}

/// A leaf, its key and its chain, resolved from the inputs for a PFX or a
/// Key Vault PEM.
struct Identity {
    key: Option<keys::Key>,
    /// Leaf first, then its issuers as far as the inputs go.
    chain: Vec<Cert>,
    /// Whether the chain ends at a self-signed root.
    to_root: bool,
}

/// `--to pfx` and `--to keyvault-pem`: a file holding a key, never written
/// to standard output. The PFX profile and `--for` are checked before any
/// key is read or password asked for.
fn to_identity(
    args: &ConvertArgs,
    files: Vec<LoadedFile>,
    passwords: &mut PasswordCache,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    if args.to == ConvertTo::KeyvaultPem {
        let out = secret_out(
            args,
            "--to keyvault-pem needs -o FILE.pem (it holds a private key, so never standard output)",
        )?;
        let id = resolve_identity(args, files, passwords, printer)?;
        return write_keyvault_pem(args, out, &id, printer);
    }
    let out = secret_out(
        args,
        "--to pfx needs -o FILE.pfx (a PFX is never written to standard output)",
    )?;
    let profile = pfx_profile(args)?;
    if args.target == Some(PfxTarget::Appservice) && args.no_password {
        bail!(
            "--for appservice: App Service takes only a password-protected PFX; leave out --no-password"
        );
    }
    let id = resolve_identity(args, files, passwords, printer)?;
    if let Some(target) = args.target {
        check_target(target, &id, printer)?;
    }
    let password = passwords.get(&format!("password for {}", out.display()), true)?;
    if args.target == Some(PfxTarget::Appservice) && password.is_empty() {
        bail!(
            "{}: App Service takes only a password-protected PFX; give a password (--password-file, --password-env or --password-stdin)",
            out.display()
        );
    }
    write_pfx(args, out, profile, &id, &password, printer)
}

fn write_pfx(
    args: &ConvertArgs,
    out: &Path,
    profile: pkcs12::Profile,
    id: &Identity,
    password: &str,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let spec = pkcs12::PfxSpec {
        key: id.key.as_deref(),
        certs: &id.chain,
        name: args.name.as_deref(),
        profile,
    };
    let pfx = pkcs12::write(&spec, password).with_context(|| format!("{}", out.display()))?;
    let mode = if id.key.is_some() {
        Mode::Secret
    } else {
        Mode::Public
    };
    let mut set = WriteSet::new();
    set.add(out, pfx, mode);
    set.commit(args.force)?;
    let what = if id.key.is_some() {
        "key + "
    } else {
        "no key, "
    };
    printer.out(&format!(
        "wrote {} ({} profile): {what}{} certificate(s): {}\n",
        escape_path(out),
        profile.name(),
        id.chain.len(),
        chain_names(&id.chain)
    ))?;
    Ok(ExitStatus::Clean)
}

/// The leaf, its issuers, then the unencrypted PKCS#8 key, in one file and
/// nothing else (Key Vault's PEM import).
fn write_keyvault_pem(
    args: &ConvertArgs,
    out: &Path,
    id: &Identity,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    check_target(PfxTarget::Keyvault, id, printer)?;
    let key = id
        .key
        .as_deref()
        .ok_or_else(|| anyhow!("--to keyvault-pem: the inputs hold no private key; give --key"))?;
    let mut pem = zeroize::Zeroizing::new(encode::pem_bundle(id.chain.iter()));
    pem.push_str(&encode::pem_block("PRIVATE KEY", &keys::pkcs8_der(key)));
    let mut set = WriteSet::new();
    set.add(out, pem.as_bytes(), Mode::Secret);
    set.commit(args.force)?;
    printer.out(&format!(
        "wrote {} (Key Vault PEM, 0600): {} certificate(s) then the private key: {}\n",
        escape_path(out),
        id.chain.len(),
        chain_names(&id.chain)
    ))?;
    Ok(ExitStatus::Clean)
}

/// `-o` of a file that is never written to standard output (`missing` says
/// so when it is not given), refused at once if it would clobber.
fn secret_out<'a>(args: &'a ConvertArgs, missing: &'static str) -> anyhow::Result<&'a Path> {
    let out = args.out.as_deref().ok_or_else(|| anyhow!(missing))?;
    refuse_clobber(out, args.force)?;
    Ok(out)
}

/// Refuse to clobber before any prompt or slow work.
fn refuse_clobber(out: &Path, force: bool) -> anyhow::Result<()> {
    let mut planned = WriteSet::new();
    planned.add(out, Vec::new(), Mode::Secret);
    planned.check_clobber(force)?;
    Ok(())
}

fn chain_names(chain: &[Cert]) -> String {
    let names: Vec<String> = chain
        .iter()
        .map(|c| escape(&c.display_name()).into_owned())
        .collect();
    names.join(" <- ")
}

/// The encryption profile: `--profile`, else compat. App Service opens only
/// triple DES, so `--for appservice` refuses `--profile modern`.
fn pfx_profile(args: &ConvertArgs) -> anyhow::Result<pkcs12::Profile> {
    let profile: pkcs12::Profile = args.profile.unwrap_or(PfxProfileArg::Compat).into();
    if args.target == Some(PfxTarget::Appservice) && profile != pkcs12::Profile::Compat {
        bail!(
            "--for appservice writes the compat profile (App Service opens only triple-DES PFX files); leave out --profile {}",
            profile.name()
        );
    }
    Ok(profile)
}

/// What App Service or Key Vault needs from the identity: a key, a key type
/// it takes, and (App Service) the whole chain up to the root.
fn check_target(target: PfxTarget, id: &Identity, printer: &Printer) -> anyhow::Result<()> {
    let (service, flag) = match target {
        PfxTarget::Appservice => ("App Service", "--for appservice"),
        PfxTarget::Keyvault => ("Key Vault", "--for keyvault"),
    };
    let leaf = id
        .chain
        .first()
        .ok_or_else(|| anyhow!("no certificate in the inputs"))?;
    if id.key.is_none() {
        bail!(
            "{flag}: {service} imports a certificate with its private key; give --key (the inputs hold none)"
        );
    }
    match (&leaf.key, target) {
        (KeyKind::Rsa { bits }, _) if *bits < 2048 => bail!(
            "{flag}: the key of {} is RSA-{bits}; {service} needs RSA of at least 2048 bits",
            escape(&leaf.display_name())
        ),
        (KeyKind::Rsa { .. }, _) => {}
        (KeyKind::Ec { .. }, PfxTarget::Appservice) => printer.info(&format!(
            "the key of {} is {}: App Service accepts ECC certificates, but its certificate page documents RSA only",
            escape(&leaf.display_name()),
            leaf.key
        )),
        (KeyKind::Ec { .. }, PfxTarget::Keyvault) => {}
        (other, _) => bail!(
            "{flag}: the key of {} is {other}; {service} takes RSA (2048 bits or more) or ECDSA keys",
            escape(&leaf.display_name())
        ),
    }
    if target == PfxTarget::Appservice && !id.to_root {
        let top = id.chain.last().unwrap_or(leaf);
        bail!(
            "{flag}: App Service wants every intermediate and the root in the PFX, but the chain stops at {} (issuer `{}`); add the issuer with --chain",
            escape(&top.display_name()),
            escape(&top.issuer)
        );
    }
    Ok(())
}

/// The key and the leaf's chain from the inputs, `--key` and `--chain`.
fn resolve_identity(
    args: &ConvertArgs,
    mut files: Vec<LoadedFile>,
    passwords: &mut PasswordCache,
    printer: &Printer,
) -> anyhow::Result<Identity> {
    // Without --key, the one key of the inputs (a PFX being re-encrypted, or
    // PEM with the key inside) goes in; keys in --chain files never do.
    let chain_certs = load_certs_only(
        &args.chain,
        passwords,
        args.password.password_stdin,
        printer,
        "a private key in a --chain file is left out",
    )?;
    let (key, key_origin) = choose_key(args, &files, passwords, printer)?;
    let n_main: usize = files.iter().map(|f| f.certs.len()).sum();
    let mut all: Vec<Cert> = files
        .iter_mut()
        .flat_map(|f| std::mem::take(&mut f.certs))
        .collect();
    all.extend(chain_certs);
    let graph = Graph::build(&all, &Verifier::new());
    let leaf = find_leaf(&all, &graph, n_main, key.as_deref(), &key_origin)?;
    let (path, end) = graph.path_up(leaf);
    let chain: Vec<Cert> = path.iter().map(|&i| all[i].clone()).collect();
    report_left_out(&all, &chain, &all[leaf], printer);
    Ok(Identity {
        key,
        chain,
        to_root: matches!(end, PathEnd::Anchor),
    })
}

/// `--key`, else the one key of the inputs, else none; with where it came from.
fn choose_key(
    args: &ConvertArgs,
    files: &[LoadedFile],
    passwords: &mut PasswordCache,
    printer: &Printer,
) -> anyhow::Result<(Option<keys::Key>, String)> {
    let input_keys: Vec<_> = files.iter().flat_map(|f| f.keys.iter()).collect();
    match (&args.key, input_keys.as_slice()) {
        (Some(p), found) => {
            for k in found {
                printer.warn(&format!(
                    "{}: holds a private key; it is left out (--key {} is used)",
                    escape(&k.source.location()),
                    p.display()
                ));
            }
            // A key file: read up to the key file's limit (1 MiB), not a
            // bundle's, into memory that is wiped after.
            let bytes = zeroize::Zeroizing::new(keys::read_key_file(p)?);
            let loaded =
                crate::pki::load::load_bytes(&p.display().to_string(), &bytes, &Default::default());
            let block = loaded
                .keys
                .first()
                .ok_or_else(|| crate::error::KeyError::NoKey { path: p.clone() })?;
            Ok((Some(pfx_key(p, block, passwords)?), p.display().to_string()))
        }
        (None, []) => Ok((None, String::new())),
        (None, [k]) => {
            printer.info(&format!(
                "using the private key in {}",
                escape(&k.source.location())
            ));
            let path = PathBuf::from(&*k.source.path);
            Ok((Some(pfx_key(&path, k, passwords)?), k.source.location()))
        }
        (None, many) => bail!(
            "the inputs hold {} private keys; choose one with --key",
            many.len()
        ),
    }
}

/// The leaf: the certificate among the first `n_main` that matches the key,
/// else (no key) the bottom of the first chain. A key that matches none is
/// refused.
fn find_leaf(
    all: &[Cert],
    graph: &Graph<'_>,
    n_main: usize,
    key: Option<&rcgen::KeyPair>,
    key_origin: &str,
) -> anyhow::Result<usize> {
    let bottom =
        || leaf_candidate(graph, n_main).ok_or_else(|| anyhow!("no certificate in the inputs"));
    let Some(k) = key else {
        return bottom();
    };
    if let Some(i) = (0..n_main).find(|&i| keys::matches(&all[i], k)) {
        return Ok(i);
    }
    let c = &all[bottom()?];
    bail!(
        "{}: the key does not match the certificate {} ({}); refusing to write a PFX with a mismatched key",
        escape(key_origin),
        escape(&c.display_name()),
        escape(&c.source.location())
    )
}

/// Say which input certificates are not in the chain written.
fn report_left_out(all: &[Cert], chain: &[Cert], leaf: &Cert, printer: &Printer) {
    let on_path: HashSet<[u8; 32]> = chain.iter().map(|c| c.sha256).collect();
    let mut left_out = HashSet::new();
    for c in all {
        if !on_path.contains(&c.sha256) && left_out.insert(c.sha256) {
            printer.info(&format!(
                "left out {} ({}): not in the chain of {}",
                escape(&c.display_name()),
                escape(&c.source.location()),
                escape(&leaf.display_name())
            ));
        }
    }
}

/// The PFX's key from one key block. An encrypted PKCS#8 key is decrypted
/// with the PFX password (the flow after `generate --encrypt-keys`).
fn pfx_key(
    path: &Path,
    block: &crate::pki::load::KeyBlock,
    passwords: &mut PasswordCache,
) -> anyhow::Result<keys::Key> {
    use pkcs8::der::Decode;
    if block.label != "ENCRYPTED PRIVATE KEY" {
        return Ok(keys::key_from_block(
            path,
            &block.label,
            &block.der,
            block.encrypted,
            &PasswordSource::default(),
            "the PFX's private key",
        )?);
    }
    // A costly key derivation is refused before the password is asked for.
    keys::check_encrypted_key(path, &block.der)?;
    let password = passwords.get(&format!("password for {}", path.display()), false)?;
    let info = pkcs8::EncryptedPrivateKeyInfoRef::from_der(&block.der)
        .map_err(|e| anyhow!("{}: not an encrypted PKCS#8 key: {e}", path.display()))?;
    let doc = info.decrypt(password.as_bytes()).map_err(|_| {
        anyhow!(
            "{}: cannot decrypt the key with the PFX password (an encrypted key must use the same password)",
            path.display()
        )
    })?;
    let plain = zeroize::Zeroizing::new(doc.as_bytes().to_vec());
    let der = rustls_pki_types::PrivateKeyDer::Pkcs8(rustls_pki_types::PrivatePkcs8KeyDer::from(
        plain.as_slice(),
    ));
    rcgen::KeyPair::try_from(&der)
        .map(zeroize::Zeroizing::new)
        .map_err(|e| anyhow!("{}: unsupported key: {e}", path.display()))
}

/// The bottom of the first chain among the first `n_main` certificates: the
/// leaf when there is one, else the lowest CA.
fn leaf_candidate(graph: &Graph<'_>, n_main: usize) -> Option<usize> {
    graph
        .chains()
        .into_iter()
        .filter_map(|(path, _)| path.first().copied())
        .find(|&i| i < n_main)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_safe() {
        assert_eq!(sanitize("My Root CA"), "My-Root-CA");
        assert_eq!(sanitize("*.example.com"), "wildcard.example.com");
        assert_eq!(sanitize("../../etc/passwd"), "etc-passwd");
        assert_eq!(sanitize("a/b\\c:d"), "a-b-c-d");
        assert_eq!(sanitize("\u{1b}[31m"), "31m");
        assert_eq!(sanitize("..."), "");
    }

    #[test]
    fn directories_and_files_are_told_apart() {
        assert!(names_directory(Path::new("out")));
        assert!(names_directory(Path::new("out/")));
        assert!(!names_directory(Path::new("root.cer")));
        assert!(!names_directory(Path::new("root.DER")));
    }
}
