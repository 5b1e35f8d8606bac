//! CS1xx: input hygiene. What the loader saw while reading the file.
use super::{Bundle, Context, Finding, Rule, Severity, name, rule};
use crate::pki::load::{Container, Format, Problem};

rule!(Cs101, "CS101", "unreadable-input", Error,
    summary: "no certificate can be read (not PEM, DER, PKCS#7 or PKCS#12)",
    citation: Some("RFC 7468 §5; RFC 5280 §4.1"),
    explanation: "The file holds nothing chainsmith (or a gateway, or openssl) can read as an X.509 certificate: it is not PEM, DER, PKCS#7 or PKCS#12, the DER inside is not a certificate, or a PKCS#12 could not be opened with the password given. Every consumer will reject the file.",
    fix: "export the certificate again as PEM (`openssl x509 -in IN -out OUT.pem`) or DER",
);

rule!(Cs102, "CS102", "malformed-pem", Error,
    summary: "a PEM block is cut, has bad base64, or an END without BEGIN; names the line",
    citation: Some("RFC 7468 §2-3"),
    explanation: "A PEM block must start with `-----BEGIN LABEL-----`, hold valid base64 and end with the matching `-----END LABEL-----`. A block that was cut while copying, edited by hand, or whose DER is not a certificate is skipped by lenient loaders and breaks strict ones (Go, .NET, APIM).",
    fix: "copy the block again from its source; check it with `openssl x509 -in FILE -noout`",
);

rule!(Cs103, "CS103", "text-outside-pem", Note,
    summary: "text before, between or after blocks (openssl `-text` output, \"Bag Attributes\")",
    citation: Some("RFC 7468 §2 (explanatory text)"),
    explanation: "RFC 7468 allows text around PEM blocks, and openssl ignores it, but some loaders (AKS custom CA trust, Java keytool, some gateways) do not. Output of `openssl x509 -text` and `openssl pkcs12` \"Bag Attributes\" are the usual sources.",
    fix: "keep only the PEM blocks: `openssl x509 -in FILE -out FILE.clean` (one certificate) or `chainsmith bundle`",
);

rule!(Cs104, "CS104", "private-key-in-bundle", Error,
    summary: "a PRIVATE KEY block in a certificate file (never print the key)",
    citation: None,
    explanation: "A certificate file is public: it is uploaded to gateways, mounted into pods and committed to git. A private key inside it leaks with it. The key itself is never printed by chainsmith.",
    fix: "move the key to its own file with mode 0600 and remove it from this file; if it was shared, replace the key and the certificate",
);

rule!(Cs105, "CS105", "duplicate-certificate", Warning,
    summary: "the same certificate twice",
    citation: None,
    explanation: "The same certificate (same SHA-256 fingerprint) appears more than once. Servers send it twice and some clients count it against chain-length limits; in a CA bundle it is dead weight and a sign of a hand-made file.",
    fix: "remove the second copy",
);

rule!(Cs106, "CS106", "crlf-line-endings", Note,
    summary: "CRLF line endings (AKS and some loaders care)",
    citation: Some("RFC 7468 §2"),
    explanation: "The file uses Windows line endings. openssl does not mind, but AKS custom CA trust, some Kubernetes tooling and shell scripts that split on `\\n` do.",
    fix: "convert to LF line endings: `dos2unix FILE` or `sed -i 's/\\r$//' FILE`",
);

rule!(Cs107, "CS107", "empty-input", Error,
    summary: "an empty file, or PKCS#7 with no certificates",
    citation: None,
    explanation: "The file is empty, holds only whitespace, or is a PKCS#7 container with no certificates in it. Whatever was meant to be here is missing.",
    fix: "export the certificates again; an empty PKCS#7 usually means the wrong file was exported",
);

rule!(Cs108, "CS108", "pkcs12-not-read", Note,
    summary: "a PKCS#12 file was skipped because no password was given",
    citation: Some("RFC 7292"),
    explanation: "PKCS#12 (.pfx/.p12) files are encrypted, so their certificates cannot be checked without the password. The file was skipped; its encryption algorithms are still checked (CS404, CS405).",
    fix: "give the password with --password-file, --password-env or --password-stdin",
);

/// The fix for a PKCS#12 refused by the key-derivation limits.
const PKCS12_LIMIT_FIX: &str = "the file asks for more key-derivation work than chainsmith allows (docs/robustness.md, Limits): if it comes from a source you trust, re-export it with fewer iterations, e.g. `openssl pkcs12 -in IN -nodes | openssl pkcs12 -export -iter 2048 -out OUT.pfx`";

impl Rule for Cs101 {
    fn check(&self, b: &Bundle<'_>, _: &Context<'_>) -> Vec<Finding> {
        let f = b.file;
        let mut out = Vec::new();
        for p in &f.problems {
            match p {
                Problem::BadCertificate {
                    line: None,
                    reason,
                    index,
                } => {
                    let what = if f.format == Format::Der && *index > 0 {
                        format!("element {} is not a certificate: {reason}", index + 1)
                    } else {
                        reason.clone()
                    };
                    out.push(Finding::file(&Self::META, &f.path, None, what));
                }
                Problem::Pkcs12Unread { reason } if b.password_given => {
                    // A file refused for its key-derivation cost is not a
                    // password or legacy-algorithm problem.
                    let fix = if f.pkcs12_limit.is_some() {
                        PKCS12_LIMIT_FIX
                    } else {
                        "check the password; OpenSSL 3 made files may need `openssl pkcs12 -legacy` to re-export"
                    };
                    out.push(
                        Finding::file(
                            &Self::META,
                            &f.path,
                            None,
                            format!("PKCS#12 cannot be read: {reason}"),
                        )
                        .with_fix(fix),
                    )
                }
                Problem::Truncated { reason } => {
                    out.push(Finding::file(&Self::META, &f.path, None, reason.clone()))
                }
                _ => {}
            }
        }
        let nothing = b.n_file == 0 && f.keys.is_empty();
        let explained = out.iter().any(|x| x.line.is_none())
            || matches!(f.format, Format::Empty | Format::Pkcs12 | Format::Pkcs7Der)
            || f.problems
                .iter()
                .any(|p| matches!(p, Problem::EmptyPkcs7 { .. }));
        if nothing && !explained {
            let blocks: Vec<String> = f
                .other_blocks
                .iter()
                .map(|(l, lab)| format!("{lab} (line {l})"))
                .collect();
            let msg = if blocks.is_empty() {
                "no certificate could be read from this file".to_owned()
            } else {
                format!(
                    "no certificate could be read; the file holds {}",
                    blocks.join(", ")
                )
            };
            out.push(Finding::file(&Self::META, &f.path, None, msg));
        }
        out
    }
}

impl Rule for Cs102 {
    fn check(&self, b: &Bundle<'_>, _: &Context<'_>) -> Vec<Finding> {
        let f = b.file;
        f.problems
            .iter()
            .filter_map(|p| match p {
                Problem::MalformedPem { line, reason } => Some(Finding::file(
                    &Self::META,
                    &f.path,
                    Some(*line),
                    reason.clone(),
                )),
                Problem::BadCertificate {
                    line: Some(line),
                    reason,
                    ..
                } => Some(Finding::file(
                    &Self::META,
                    &f.path,
                    Some(*line),
                    format!(
                        "the PEM block at line {line} does not hold a valid certificate: {reason}"
                    ),
                )),
                _ => None,
            })
            .collect()
    }
}

impl Rule for Cs103 {
    fn check(&self, b: &Bundle<'_>, _: &Context<'_>) -> Vec<Finding> {
        let f = b.file;
        f.problems
            .iter()
            .filter_map(|p| match p {
                Problem::TextOutsidePem { line } => Some(Finding::file(
                    &Self::META,
                    &f.path,
                    Some(*line),
                    format!("text outside any PEM block starts at line {line}"),
                )),
                _ => None,
            })
            .collect()
    }
}

impl Rule for Cs104 {
    fn check(&self, b: &Bundle<'_>, _: &Context<'_>) -> Vec<Finding> {
        // A key inside a PKCS#12 is what PKCS#12 is for; a key beside the
        // certificates is what Key Vault's PEM import is for.
        if b.intent == super::Intent::KeyVaultPem {
            return Vec::new();
        }
        b.file
            .keys
            .iter()
            .filter(|k| k.source.container != Container::Pkcs12)
            .map(|k| {
                let enc = if k.encrypted {
                    "an encrypted"
                } else {
                    "an unencrypted"
                };
                Finding::file(
                    &Self::META,
                    &b.file.path,
                    k.source.line,
                    format!(
                        "{enc} private key (`{}` block) is in this certificate file",
                        k.label
                    ),
                )
            })
            .collect()
    }
}

impl Rule for Cs105 {
    fn check(&self, b: &Bundle<'_>, _: &Context<'_>) -> Vec<Finding> {
        (0..b.n_file)
            .filter(|&i| b.graph.canonical[i] != i)
            .map(|i| {
                let first = &b.certs[b.graph.canonical[i]];
                let c = &b.certs[i];
                let at = first
                    .source
                    .line
                    .map(|l| format!(" at line {l}"))
                    .unwrap_or_default();
                Finding::cert(
                    &Self::META,
                    c,
                    format!("{} is a copy of the certificate{at}", name(c)),
                )
                .with_fix(format!("remove this copy of {}", c.display_name()))
            })
            .collect()
    }
}

impl Rule for Cs106 {
    fn check(&self, b: &Bundle<'_>, _: &Context<'_>) -> Vec<Finding> {
        let f = b.file;
        if f.problems.contains(&Problem::Crlf) {
            vec![Finding::file(
                &Self::META,
                &f.path,
                None,
                "the file has CRLF (Windows) line endings".to_owned(),
            )]
        } else {
            Vec::new()
        }
    }
}

impl Rule for Cs107 {
    fn check(&self, b: &Bundle<'_>, _: &Context<'_>) -> Vec<Finding> {
        let f = b.file;
        let mut out = Vec::new();
        if f.format == Format::Empty {
            out.push(Finding::file(
                &Self::META,
                &f.path,
                None,
                "the file is empty".to_owned(),
            ));
        }
        for p in &f.problems {
            if let Problem::EmptyPkcs7 { line } = p {
                out.push(Finding::file(
                    &Self::META,
                    &f.path,
                    *line,
                    "the PKCS#7 container holds no certificates".to_owned(),
                ));
            }
        }
        out
    }
}

impl Rule for Cs108 {
    fn check(&self, b: &Bundle<'_>, _: &Context<'_>) -> Vec<Finding> {
        if b.password_given {
            return Vec::new();
        }
        b.file
            .problems
            .iter()
            .filter(|p| matches!(p, Problem::Pkcs12Unread { .. }))
            .map(|_| {
                Finding::file(
                    &Self::META,
                    &b.file.path,
                    None,
                    "PKCS#12 file skipped: no password was given, so its certificates were not checked".to_owned(),
                )
                .with_severity(Severity::Note)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;

    #[test]
    fn cs101_unreadable_and_clean() {
        assert!(has(
            &lint_bytes("x.pem", b"\x01\x02 not a certificate", "auto"),
            "CS101"
        ));
        assert!(!has(&lint_fixture("server-fullchain.pem", "auto"), "CS101"));
    }

    #[test]
    fn cs102_malformed_pem_names_line() {
        let f = lint_bytes("cut.pem", b"-----BEGIN CERTIFICATE-----\nMIIB\n", "auto");
        assert!(
            f.iter()
                .any(|x| x.rule.code == "CS102" && x.line == Some(1))
        );
        assert!(!has(&lint_fixture("ca-bundle.pem", "auto"), "CS102"));
    }

    #[test]
    fn cs103_and_cs106_text_and_crlf() {
        let f = lint_fixture("crlf-text.pem", "auto");
        assert!(has(&f, "CS103") && has(&f, "CS106"));
        let clean = lint_fixture("server-fullchain.pem", "auto");
        assert!(!has(&clean, "CS103") && !has(&clean, "CS106"));
    }

    #[test]
    fn cs104_key_is_reported_not_printed() {
        let k = fires_not_on("CS104", "with-private-key.pem", "server-fullchain.pem");
        assert!(!k.message.contains("MII"));
    }

    fires_on! {
        cs105_duplicate: "CS105" on "duplicate.pem" as "auto", not on "chain-with-root.pem";
        cs107_empty: "CS107" on "empty.pem" as "auto", not on "root.der";
    }

    #[test]
    fn cs108_pkcs12_without_password_is_a_note() {
        let bytes = std::fs::read(corpus("pyca/pkcs12/cert-key-aes256cbc.p12")).expect("corpus");
        let f = lint_bytes("c.p12", &bytes, "auto");
        assert!(has(&f, "CS108"));
        assert!(!has(&lint_fixture("root.der", "auto"), "CS108"));
    }
}
