//! CS317-CS319 and CS407: a certificate with its key for an Azure App
//! Service upload (`--expect appservice-pfx`) or a Key Vault import
//! (`--expect keyvault-pfx`, `--expect keyvault-pem`). Sources are in
//! docs/appservice-keyvault.md.
use super::{Bundle, Context, Finding, Intent, Rule, Severity, name, rule};
use crate::pki::load::{Format, Problem};
use crate::pki::model::{Curve, KeyKind};

rule!(Cs317, "CS317", "import-without-key", Error,
    summary: "with --expect appservice-pfx, keyvault-pfx or keyvault-pem: the file holds no private key, or more than one",
    citation: Some("https://learn.microsoft.com/azure/app-service/configure-ssl-certificate#private-certificate-requirements; https://learn.microsoft.com/rest/api/keyvault/certificates/import-certificate/import-certificate"),
    explanation: "App Service's private-certificate upload and Key Vault's certificate import both take the certificate together with its private key: a PFX holding the key, or (Key Vault) a PEM file with the certificates and the key. A file without the key is refused; with several keys the service cannot tell which certificate is meant. A PFX opened without its password cannot be checked.",
    fix: "write the file with the leaf's key: `chainsmith convert --to pfx --for appservice CERT --key KEY --chain CA-BUNDLE` or `chainsmith convert --to keyvault-pem CERT --key KEY --chain CA-BUNDLE`",
);

rule!(Cs318, "CS318", "import-key-type", Error,
    summary: "with --expect appservice-pfx or keyvault-*: a leaf key the service does not take (RSA under 2048 bits; for Key Vault anything but RSA and ECDSA P-256/P-384/P-521); ECC for App Service is a note",
    citation: Some("https://learn.microsoft.com/azure/app-service/configure-ssl-certificate#private-certificate-requirements; https://learn.microsoft.com/azure/key-vault/keys/about-keys-details"),
    explanation: "App Service requires a private key of at least 2048 bits, and says ECC certificates work but are not covered by its page (a note). Key Vault certificates hold RSA keys of 2048, 3072 or 4096 bits or EC keys on P-256, P-256K, P-384 or P-521; Ed25519, Ed448 and DSA keys are not Key Vault key types (for App Service they are only warned about: its page does not name them).",
    fix: "issue the certificate for an RSA key of 2048 bits or more (`chainsmith generate --key-type rsa-2048`) or, for Key Vault, an ECDSA P-256/P-384 key",
);

rule!(Cs319, "CS319", "appservice-chain-incomplete", Error,
    summary: "with --expect appservice-pfx: the chain from the leaf does not reach a root in the file",
    citation: Some("https://learn.microsoft.com/azure/app-service/configure-ssl-certificate#private-certificate-requirements"),
    explanation: "App Service's private-certificate requirements ask for a PFX that contains all intermediate certificates and the root certificate in the chain. A PFX whose chain stops at an intermediate (or at the leaf) does not meet them.",
    fix: "add the missing issuers: `chainsmith convert --to pfx --for appservice CERT --key KEY --chain intermediate.crt --chain root.crt`",
);

rule!(Cs407, "CS407", "import-file-format", Error,
    summary: "with --expect appservice-pfx, keyvault-pfx or keyvault-pem: not the file form the import takes (App Service: a triple-DES PFX; Key Vault PEM: certificates and an unencrypted PKCS#8 key, nothing else)",
    citation: Some("https://learn.microsoft.com/azure/app-service/configure-ssl-certificate#private-certificate-requirements; https://learn.microsoft.com/azure/key-vault/certificates/certificate-scenarios#formats-of-import-we-support"),
    explanation: "App Service takes a password-protected PFX encrypted with triple DES (OpenSSL 3's AES default must be overridden with `-keypbe PBE-SHA1-3DES -certpbe PBE-SHA1-3DES -macalg SHA1`). Key Vault imports a PFX, or a PEM file with the certificates and a PKCS#8 `PRIVATE KEY` that is not encrypted, with no other metadata in the file (no `Bag Attributes` text as `openssl pkcs12` prints, no PKCS#1 `RSA PRIVATE KEY` or SEC1 `EC PRIVATE KEY`).",
    fix: "write the file with `chainsmith convert --to pfx --for appservice` (or `--for keyvault`), or `chainsmith convert --to keyvault-pem`",
);

/// The certificate the import is for: the first end entity, else the first.
fn leaf(b: &Bundle<'_>) -> Option<usize> {
    b.leaves().first().copied().or_else(|| b.distinct().next())
}

/// Was a PKCS#12 file left unopened (no or a wrong password)?
fn unopened(b: &Bundle<'_>) -> bool {
    b.file.format == Format::Pkcs12
        && b.file
            .problems
            .iter()
            .any(|p| matches!(p, Problem::Pkcs12Unread { .. }))
}

fn service(intent: Intent) -> &'static str {
    match intent {
        Intent::AppServicePfx => "App Service",
        _ => "Key Vault",
    }
}

impl Rule for Cs317 {
    fn check(&self, b: &Bundle<'_>, _: &Context<'_>) -> Vec<Finding> {
        if !b.intent.is_import() || unopened(b) {
            return Vec::new();
        }
        let n = b.file.keys.len();
        let msg = match n {
            1 => return Vec::new(),
            0 => format!(
                "the file holds no private key; {} imports the certificate with its key",
                service(b.intent)
            ),
            _ => format!(
                "the file holds {n} private keys; {} takes one certificate with its one key",
                service(b.intent)
            ),
        };
        vec![Finding::file(&Self::META, &b.file.path, None, msg)]
    }
}

impl Rule for Cs318 {
    fn check(&self, b: &Bundle<'_>, _: &Context<'_>) -> Vec<Finding> {
        if !b.intent.is_import() {
            return Vec::new();
        }
        let Some(i) = leaf(b) else {
            return Vec::new();
        };
        let c = &b.certs[i];
        let app = b.intent == Intent::AppServicePfx;
        let (severity, why) = match &c.key {
            KeyKind::Rsa { bits } if *bits < 2048 => (
                Severity::Error,
                format!("RSA-{bits}; {} needs at least 2048 bits", service(b.intent)),
            ),
            KeyKind::Rsa { .. } => return Vec::new(),
            KeyKind::Ec {
                curve: Curve::P256 | Curve::P384 | Curve::P521,
                ..
            } if !app => return Vec::new(),
            KeyKind::Ec { .. } if app => (
                Severity::Note,
                format!(
                    "{}; App Service says ECC certificates work but its page documents RSA only",
                    c.key
                ),
            ),
            other if app => (
                Severity::Warning,
                format!("{other}; App Service documents RSA keys (and ECC) only"),
            ),
            other => (
                Severity::Error,
                format!(
                    "{other}; Key Vault certificates hold RSA or ECDSA (P-256, P-256K, P-384, P-521) keys"
                ),
            ),
        };
        vec![
            Finding::cert(&Self::META, c, format!("the key of {} is {why}", name(c)))
                .with_severity(severity),
        ]
    }
}

impl Rule for Cs319 {
    fn check(&self, b: &Bundle<'_>, _: &Context<'_>) -> Vec<Finding> {
        if b.intent != Intent::AppServicePfx {
            return Vec::new();
        }
        let Some(i) = leaf(b) else {
            return Vec::new();
        };
        let (path, _) = b.graph.path_up(i);
        let top = path.last().copied().unwrap_or(i);
        if top < b.n_file && b.graph.is_self_signed(top) {
            return Vec::new();
        }
        let c = &b.certs[top];
        vec![Finding::cert(
            &Self::META,
            c,
            format!(
                "the chain of {} stops at {} (issuer `{}`); App Service wants every intermediate and the root in the PFX",
                name(&b.certs[i]),
                name(c),
                c.issuer
            ),
        )]
    }
}

impl Rule for Cs407 {
    fn check(&self, b: &Bundle<'_>, _: &Context<'_>) -> Vec<Finding> {
        let problems = match b.intent {
            Intent::AppServicePfx => appservice_format(b),
            Intent::KeyVaultPfx if b.file.format != Format::Pkcs12 => vec![format!(
                "the file is {}; Key Vault's PFX import takes PKCS#12",
                b.file.format.name()
            )],
            Intent::KeyVaultPem => keyvault_pem_format(b),
            _ => Vec::new(),
        };
        problems
            .into_iter()
            .map(|m| Finding::file(&Self::META, &b.file.path, None, m))
            .collect()
    }
}

fn appservice_format(b: &Bundle<'_>) -> Vec<String> {
    if b.file.format != Format::Pkcs12 {
        return vec![format!(
            "the file is {}; App Service takes a password-protected PFX",
            b.file.format.name()
        )];
    }
    let other: Vec<&str> = b
        .file
        .pkcs12_algorithms
        .iter()
        .map(String::as_str)
        .filter(|a| *a != "pbeWithSHAAnd3-KeyTripleDES-CBC")
        .collect();
    if other.is_empty() {
        return Vec::new();
    }
    vec![format!(
        "the PFX is encrypted with {}; App Service opens only triple-DES (pbeWithSHAAnd3-KeyTripleDES-CBC) PFX files",
        other.join(", ")
    )]
}

fn keyvault_pem_format(b: &Bundle<'_>) -> Vec<String> {
    if b.file.format != Format::Pem {
        return vec![format!(
            "the file is {}; Key Vault's PEM import takes PEM text",
            b.file.format.name()
        )];
    }
    let mut out = Vec::new();
    if let Some(line) = b.file.problems.iter().find_map(|p| match p {
        Problem::TextOutsidePem { line } => Some(*line),
        _ => None,
    }) {
        out.push(format!(
            "text outside the PEM blocks at line {line}; Key Vault wants no other metadata in the file"
        ));
    }
    for (line, label) in &b.file.other_blocks {
        out.push(format!(
            "a `{label}` block at line {line}; Key Vault's PEM holds only certificates and the key"
        ));
    }
    for k in b.file.keys.iter().filter(|k| k.label != "PRIVATE KEY") {
        let what = if k.encrypted {
            "an encrypted key"
        } else {
            "not PKCS#8"
        };
        out.push(format!(
            "the key block `{}` at {} is {what}; Key Vault takes only an unencrypted PKCS#8 `PRIVATE KEY`",
            k.label,
            k.source.location()
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use crate::lint::Severity;
    use crate::pki::keys::{KeyType, generate, pkcs8_der};
    use crate::pki::pkcs12::{PfxSpec, Profile, write};

    /// A chain (root, intermediate, leaf) with the leaf's key, from rcgen.
    struct Chain {
        root: Vec<u8>,
        int: Vec<u8>,
        leaf: Vec<u8>,
        key: crate::pki::keys::Key,
    }

    fn chain(kt: KeyType) -> Chain {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer};
        let ca = |cn: &str| {
            let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
            p.distinguished_name.push(DnType::CommonName, cn);
            p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            p
        };
        let root_key = generate(KeyType::EcP256).unwrap();
        let root = ca("Import Root").self_signed(&*root_key).unwrap();
        let root_issuer = Issuer::new(ca("Import Root"), &*root_key);
        let int_key = generate(KeyType::EcP256).unwrap();
        let int = ca("Import Int").signed_by(&*int_key, &root_issuer).unwrap();
        let int_issuer = Issuer::new(ca("Import Int"), &*int_key);
        let key = generate(kt).unwrap();
        let mut lp = CertificateParams::new(vec!["app.example.com".to_owned()]).unwrap();
        lp.distinguished_name
            .push(DnType::CommonName, "app.example.com");
        let leaf = lp.signed_by(&*key, &int_issuer).unwrap();
        Chain {
            root: root.der().to_vec(),
            int: int.der().to_vec(),
            leaf: leaf.der().to_vec(),
            key,
        }
    }

    fn pem(der: &[u8], label: &str) -> Vec<u8> {
        crate::pki::encode::pem_block(label, der).into_bytes()
    }

    fn certs(ders: &[&[u8]]) -> Vec<crate::pki::model::Cert> {
        ders.iter()
            .map(|d| {
                let name: std::sync::Arc<str> = std::sync::Arc::from("t");
                let src =
                    crate::pki::load::Source::new(&name, 0, None, crate::pki::load::Container::Der);
                crate::pki::model::Cert::parse(d, src).unwrap()
            })
            .collect()
    }

    fn pfx(c: &Chain, with_root: bool, profile: Profile) -> Vec<u8> {
        let mut ders: Vec<&[u8]> = vec![&c.leaf, &c.int];
        if with_root {
            ders.push(&c.root);
        }
        let list = certs(&ders);
        let spec = PfxSpec {
            key: Some(&c.key),
            certs: &list,
            name: None,
            profile,
        };
        write(&spec, "pw").unwrap()
    }

    /// Does rule `code` fire on a Compat PFX of `c` linted as `expect`?
    fn fires(c: &Chain, with_root: bool, expect: &str, code: &str) -> bool {
        has(&lint_pfx(c, with_root, Profile::Compat, expect), code)
    }

    /// Lint the PFX of `c` (see [`pfx`]) opened with its password ("pw"),
    /// at the fixtures' time.
    fn lint_pfx(
        c: &Chain,
        with_root: bool,
        profile: Profile,
        expect: &str,
    ) -> Vec<crate::lint::Finding> {
        let data = pfx(c, with_root, profile);
        let opts = crate::lint::engine::EngineOptions {
            pkcs12_password: Some("pw"),
        };
        let mut out = run_engine(
            vec![input("app.pfx", &data, expect)],
            time(AT),
            30,
            &[],
            None,
            &opts,
        );
        out.pop().unwrap().findings
    }

    #[test]
    fn cs317_an_import_needs_exactly_one_key() {
        let c = chain(KeyType::Rsa(2048));
        let bundle = [pem(&c.leaf, "CERTIFICATE"), pem(&c.int, "CERTIFICATE")].concat();
        let with_key = [bundle.clone(), pem(&pkcs8_der(&c.key), "PRIVATE KEY")].concat();
        assert!(has(&lint_bytes("kv.pem", &bundle, "keyvault-pem"), "CS317"));
        let good = lint_bytes("kv.pem", &with_key, "keyvault-pem");
        assert!(!has(&good, "CS317"));
        // The key beside the certificates is the point of the file, not CS104.
        assert!(!has(&good, "CS104"));
        assert!(has(
            &lint_bytes("kv.pem", &with_key, "server-chain"),
            "CS104"
        ));
        let two = [with_key.clone(), pem(&pkcs8_der(&c.key), "PRIVATE KEY")].concat();
        assert!(has(&lint_bytes("kv.pem", &two, "keyvault-pem"), "CS317"));
        // Not an import: a key-less server chain is fine.
        assert!(!has(
            &lint_bytes("kv.pem", &bundle, "server-chain"),
            "CS317"
        ));
        assert!(!fires(&c, true, "appservice-pfx", "CS317"));
    }

    #[test]
    fn cs318_key_types_each_service_takes() {
        let rsa = chain(KeyType::Rsa(2048));
        assert!(!fires(&rsa, true, "appservice-pfx", "CS318"));
        let ec = chain(KeyType::EcP256);
        let app = lint_pfx(&ec, true, Profile::Compat, "appservice-pfx");
        let f = finding(&app, "CS318");
        assert_eq!(f.severity, Severity::Note);
        assert!(!fires(&ec, true, "keyvault-pfx", "CS318"));
        let ed = chain(KeyType::Ed25519);
        let kv = lint_pfx(&ed, true, Profile::Compat, "keyvault-pfx");
        let f = finding(&kv, "CS318");
        assert_eq!(f.severity, Severity::Error);
        // An RSA-1024 leaf from the openssl-made fixtures.
        let weak = read_fixture("weak-rsa1024.pem");
        let g = lint_bytes("kv.pem", &weak, "keyvault-pem");
        let f = finding(&g, "CS318");
        assert!(f.message.contains("RSA-1024"), "{}", f.message);
    }

    #[test]
    fn cs319_app_service_wants_the_root() {
        let c = chain(KeyType::Rsa(2048));
        assert!(fires(&c, false, "appservice-pfx", "CS319"));
        assert!(!fires(&c, true, "appservice-pfx", "CS319"));
        // Key Vault does not ask for the root, and the missing issuer of
        // the top CA is CS319's business for App Service, not CS204's.
        let kv = lint_pfx(&c, false, Profile::Compat, "keyvault-pfx");
        assert!(!has(&kv, "CS204"), "{kv:?}");
        let app = lint_pfx(&c, false, Profile::Compat, "appservice-pfx");
        assert!(!has(&app, "CS204"), "{app:?}");
        assert!(!fires(&c, false, "keyvault-pfx", "CS319"));
    }

    #[test]
    fn cs407_the_file_form_of_each_import() {
        let c = chain(KeyType::Rsa(2048));
        assert!(!fires(&c, true, "appservice-pfx", "CS407"));
        let aes = lint_pfx(&c, true, Profile::Modern, "appservice-pfx");
        assert!(has(&aes, "CS407"));
        assert!(!has(
            &lint_pfx(&c, true, Profile::Modern, "keyvault-pfx"),
            "CS407"
        ));
        let certs = [pem(&c.leaf, "CERTIFICATE"), pem(&c.int, "CERTIFICATE")].concat();
        let good = [certs.clone(), pem(&pkcs8_der(&c.key), "PRIVATE KEY")].concat();
        assert!(!has(&lint_bytes("kv.pem", &good, "keyvault-pem"), "CS407"));
        assert!(has(
            &lint_bytes("kv.pfx", &pfx(&c, true, Profile::Compat), "keyvault-pem"),
            "CS407"
        ));
        let bag_text = [
            b"Bag Attributes\n    friendlyName: app\n".to_vec(),
            good.clone(),
        ]
        .concat();
        assert!(has(
            &lint_bytes("kv.pem", &bag_text, "keyvault-pem"),
            "CS407"
        ));
        let encrypted = crate::pki::keys::to_pem(&c.key, Some("pw")).unwrap();
        let locked = [certs, encrypted.as_bytes().to_vec()].concat();
        assert!(has(&lint_bytes("kv.pem", &locked, "keyvault-pem"), "CS407"));
    }
}
