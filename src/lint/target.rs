//! CS401-CS406: what particular targets accept (Azure API Management, AKS
//! custom CA trust, Windows and App Service for PKCS#12).
use super::{Bundle, Context, Finding, Intent, Rule, RuleMeta, name, rule};
use crate::pki::load::Format;

rule!(Cs401, "CS401", "apim-unsupported-file", Error,
    summary: "with --expect apim-ca: not a .cer (DER) or .pfx file, or more than one certificate per file",
    citation: Some("Azure API Management: add a CA certificate"),
    explanation: "The API Management portal's CA certificate upload accepts `.cer` and `.pfx` files only (\"allowed file extensions - cer,pfx\"), and takes one certificate per upload: a `.crt`, a PEM bundle or a `.p7b` is refused or only its first certificate is used.",
    fix: "write each CA as its own DER file: `chainsmith convert --to der` (or `openssl x509 -outform der -out CA.cer`)",
);

rule!(Cs402, "CS402", "apim-too-many-ca", Error,
    summary: "more than 10 CA certificates for one APIM instance",
    citation: Some("Azure API Management service limits"),
    explanation: "An API Management instance holds at most 10 CA certificates. Uploads past the limit fail.",
    fix: "upload only the CAs your backends chain to (intermediate and root of each)",
);

rule!(Cs403, "CS403", "aks-bad-format", Error,
    summary: "with --expect aks: not LF-only PEM with certificates separated by a blank line, or more than 10",
    citation: Some("AKS custom certificate authority trust"),
    explanation: "AKS custom CA trust takes a base64 string of PEM certificates with LF line endings, separated by an empty line, and at most 10 certificates. Anything else is rejected by the API or silently ignored on the nodes.",
    fix: "write the bundle as LF-only PEM with a blank line between certificates (`chainsmith bundle --for aks`)",
);

rule!(Cs404, "CS404", "pfx-rc2", Warning,
    summary: "a PKCS#12 encrypted with RC2-40 (OpenSSL 3, Node 17+ refuse it)",
    citation: Some("RFC 7292 Appendix C"),
    explanation: "RC2-40 is the legacy default of old OpenSSL and Java exports. OpenSSL 3 and Node 17+ cannot open it without the legacy provider (\"unsupported algorithm RC2-40-CBC\").",
    fix: "re-export with 3DES or AES: `chainsmith convert --to pfx --profile compat`",
);

rule!(Cs405, "CS405", "pfx-aes-old-windows", Note,
    summary: "a PKCS#12 with AES/PBES2 (Windows Server 2016 and App Service refuse it)",
    citation: Some("RFC 8018 (PBES2)"),
    explanation: "OpenSSL 3 encrypts PKCS#12 with PBES2/AES-256 by default. Windows Server 2016 and older, Azure App Service and APIM's older tiers cannot import it (\"The specified network password is not correct\").",
    fix: "for Windows targets, re-export with the compat profile (3DES): `chainsmith convert --to pfx --profile compat`",
);

rule!(Cs406, "CS406", "pfx-iterations-over-dotnet-limit", Warning,
    summary: "a PKCS#12 whose MAC or key derivations use more iterations than .NET accepts (300,000 each, 1,000,000 for all bags)",
    citation: Some(".NET Pkcs12LoaderLimits (X509CertificateLoader)"),
    explanation: ".NET's PKCS#12 loader (X509CertificateLoader, .NET 9 and later, with its default Pkcs12LoaderLimits) refuses a file whose MAC uses more than 300,000 iterations, whose encrypted safes or key bags use more than 300,000 each, or more than 1,000,000 together. .NET, Azure API Management and App Service will refuse to open it. GnuTLS's `certtool --to-p12` writes 600,000 iterations by default. Without the password only the derivations outside encrypted safes are counted.",
    fix: "re-export with fewer iterations: `chainsmith convert --to pfx` (2,048 or 10,000) or `openssl pkcs12 -export -iter 2048`",
);

fn extension(path: &str) -> String {
    std::path::Path::new(path)
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

impl Rule for Cs401 {
    fn check(&self, b: &Bundle<'_>, _: &Context<'_>) -> Vec<Finding> {
        if b.intent != Intent::ApimCa {
            return Vec::new();
        }
        let path = &b.file.path;
        let ext = extension(path);
        let mut out = Vec::new();
        match ext.as_str() {
            "cer" => {
                if b.file.format != Format::Der {
                    out.push(Finding::file(
                        &Self::META,
                        path,
                        None,
                        format!(
                            "the .cer file is {}, but APIM expects DER in a .cer",
                            b.file.format.name()
                        ),
                    ));
                }
                if b.n_file > 1 {
                    out.push(Finding::file(
                        &Self::META,
                        path,
                        None,
                        format!("the file holds {} certificates; APIM takes one CA certificate per file", b.n_file),
                    ));
                }
            }
            "pfx" => {}
            _ => out.push(Finding::file(
                &Self::META,
                path,
                None,
                format!(
                    "APIM accepts only .cer and .pfx CA uploads, not `.{}`",
                    if ext.is_empty() {
                        "<none>"
                    } else {
                        ext.as_str()
                    }
                ),
            )),
        }
        out
    }
}

impl Rule for Cs402 {
    fn check(&self, _: &Bundle<'_>, _: &Context<'_>) -> Vec<Finding> {
        Vec::new()
    }
    fn check_run(&self, bundles: &[&Bundle<'_>], _: &Context<'_>) -> Vec<Finding> {
        let mut seen: std::collections::HashSet<[u8; 32]> = std::collections::HashSet::new();
        let mut out = Vec::new();
        for b in bundles.iter().filter(|b| b.intent == Intent::ApimCa) {
            for i in b.distinct() {
                let c = &b.certs[i];
                if c.is_ca() && seen.insert(c.sha256) && seen.len() == 11 {
                    out.push(Finding::cert(
                        &Self::META,
                        c,
                        format!(
                            "{} is CA certificate number 11 for one APIM instance; the limit is 10",
                            name(c)
                        ),
                    ));
                }
            }
        }
        out
    }
}

impl Rule for Cs403 {
    fn check(&self, b: &Bundle<'_>, _: &Context<'_>) -> Vec<Finding> {
        if b.intent != Intent::Aks {
            return Vec::new();
        }
        let path = &b.file.path;
        let mut out = Vec::new();
        if b.file.format != Format::Pem {
            out.push(Finding::file(
                &Self::META,
                path,
                None,
                format!("the file is {}; AKS needs PEM", b.file.format.name()),
            ));
            return out;
        }
        if b.bytes.contains(&b'\r') {
            out.push(Finding::file(
                &Self::META,
                path,
                None,
                "the file has CR characters; AKS needs LF-only PEM".to_owned(),
            ));
        }
        let text = String::from_utf8_lossy(b.bytes);
        let lines: Vec<&str> = text.split('\n').map(|l| l.trim_end_matches('\r')).collect();
        for (n, l) in lines.iter().enumerate() {
            if n > 0 && l.starts_with("-----BEGIN ") && lines[n - 1].starts_with("-----END ") {
                out.push(Finding::file(
                    &Self::META,
                    path,
                    Some(n + 1),
                    format!(
                        "the PEM block at line {} follows the previous one without a blank line",
                        n + 1
                    ),
                ));
                break;
            }
        }
        if b.n_file > 10 {
            out.push(Finding::file(
                &Self::META,
                path,
                None,
                format!(
                    "the file holds {} certificates; AKS accepts at most 10",
                    b.n_file
                ),
            ));
        }
        out
    }
}

fn pkcs12_findings(
    b: &Bundle<'_>,
    meta: &'static RuleMeta,
    pred: fn(&str) -> bool,
    what: &str,
) -> Vec<Finding> {
    if b.file.format != Format::Pkcs12 {
        return Vec::new();
    }
    let hits: Vec<&String> = b
        .file
        .pkcs12_algorithms
        .iter()
        .filter(|a| pred(a))
        .collect();
    if hits.is_empty() {
        return Vec::new();
    }
    let names: Vec<&str> = hits.iter().map(|s| s.as_str()).collect();
    vec![Finding::file(
        meta,
        &b.file.path,
        None,
        format!(
            "the PKCS#12 file is encrypted with {} ({what})",
            names.join(", ")
        ),
    )]
}

impl Rule for Cs404 {
    fn check(&self, b: &Bundle<'_>, _: &Context<'_>) -> Vec<Finding> {
        pkcs12_findings(
            b,
            &Self::META,
            |a| a.contains("RC2"),
            "OpenSSL 3 and Node 17+ refuse RC2",
        )
    }
}

impl Rule for Cs405 {
    fn check(&self, b: &Bundle<'_>, _: &Context<'_>) -> Vec<Finding> {
        pkcs12_findings(
            b,
            &Self::META,
            |a| a.starts_with("PBES2") || a.contains("AES"),
            "Windows Server 2016 and App Service refuse AES",
        )
    }
}

impl Rule for Cs406 {
    fn check(&self, b: &Bundle<'_>, _: &Context<'_>) -> Vec<Finding> {
        if b.file.format != Format::Pkcs12 {
            return Vec::new();
        }
        let Some(kdf) = &b.file.pkcs12_kdf else {
            return Vec::new();
        };
        let why = kdf.over_dotnet_limits();
        if why.is_empty() {
            return Vec::new();
        }
        vec![Finding::file(
            &Self::META,
            &b.file.path,
            None,
            format!(
                "{}: .NET, APIM and App Service will refuse to open it",
                why.join("; ")
            ),
        )]
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;

    #[test]
    fn cs401_apim_wants_single_der_cer() {
        assert!(has(
            &lint_bytes("ca.crt", &read_fixture("root.crt"), "apim-ca"),
            "CS401"
        ));
        assert!(has(
            &lint_bytes("ca.cer", &read_fixture("ca-bundle.pem"), "apim-ca"),
            "CS401"
        ));
        assert!(!has(
            &lint_bytes("root.cer", &read_fixture("root.der"), "apim-ca"),
            "CS401"
        ));
    }

    #[test]
    fn cs402_more_than_ten_ca_for_one_apim_instance() {
        let run = |n: usize| {
            let inputs = (0..n)
                .map(|i| {
                    let der = rcgen_ca(&format!("APIM CA {i}"), &[i as u8 + 1]).2;
                    input(&format!("ca{i}.cer"), &der, "apim-ca")
                })
                .collect();
            run_engine(
                inputs,
                ::time::OffsetDateTime::now_utc(),
                30,
                &[],
                None,
                &Default::default(),
            )
            .iter()
            .flat_map(|f| f.findings.iter().map(|x| x.rule.code))
            .filter(|c| *c == "CS402")
            .count()
        };
        assert_eq!(run(10), 0);
        assert_eq!(run(11), 1);
    }

    #[test]
    fn cs403_aks_format() {
        let root = read_fixture("root.crt");
        let int = read_fixture("intermediate.crt");
        let joined = [int.clone(), root.clone()].concat();
        assert!(has(&lint_bytes("aks.pem", &joined, "aks"), "CS403"));
        let spaced = [int, b"\n".to_vec(), root].concat();
        assert!(!has(&lint_bytes("aks.pem", &spaced, "aks"), "CS403"));
    }

    #[test]
    fn cs406_iterations_over_the_dotnet_limits() {
        use crate::pki::pkcs12::KdfSummary;
        let over = |mac: Option<u64>, bags: &[u64]| {
            !KdfSummary {
                mac_iterations: mac,
                bag_iterations: bags.to_vec(),
                complete: true,
            }
            .over_dotnet_limits()
            .is_empty()
        };
        // .NET's defaults: 300,000 per MAC and per bag, 1,000,000 for the bags.
        assert!(!over(Some(300_000), &[300_000, 300_000, 300_000]));
        assert!(over(Some(300_001), &[]));
        assert!(over(Some(2048), &[300_001]));
        assert!(over(None, &[300_000, 300_000, 300_000, 100_001]));
        // The corpus files stay quiet (2048 iterations and fewer).
        for f in [
            "pyca/pkcs12/cert-key-aes256cbc.p12",
            "pyca/pkcs12/cert-rc2-key-3des.p12",
        ] {
            assert!(
                !has(&lint_bytes("c.p12", &read_corpus(f), "auto"), "CS406"),
                "{f}"
            );
        }
    }

    #[test]
    fn cs404_cs405_pkcs12_algorithms() {
        let rc2 = read_corpus("pyca/pkcs12/cert-rc2-key-3des.p12");
        let aes = read_corpus("pyca/pkcs12/cert-key-aes256cbc.p12");
        let f = lint_bytes("a.p12", &rc2, "auto");
        assert!(has(&f, "CS404") && !has(&f, "CS405"));
        let g = lint_bytes("b.p12", &aes, "auto");
        assert!(has(&g, "CS405") && !has(&g, "CS404"));
    }
}
