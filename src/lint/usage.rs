//! CS304-CS315: what each certificate may be used for — CA flags, key
//! usage, algorithms, names and extensions.
use std::collections::HashSet;

use super::{Bundle, Context, Finding, Intent, Rule, RuleMeta, Severity, name, rule};
use crate::pki::model::{Cert, Curve, KeyKind};

rule!(Cs304, "CS304", "ca-missing-basic-constraints", Error,
    summary: "a certificate that issues others lacks basicConstraints CA:TRUE",
    citation: Some("RFC 5280 §4.2.1.9, §6.1.4 (k)"),
    explanation: "Only a certificate with basicConstraints CA:TRUE may issue certificates. One that issued another certificate in the file (or asserts keyCertSign) without it makes every chain through it invalid (OpenSSL error 79, \"invalid CA certificate\").",
    fix: "reissue the CA with `basicConstraints = critical, CA:TRUE`",
);

rule!(Cs305, "CS305", "ca-missing-keycertsign", Error,
    summary: "a CA with keyUsage that lacks keyCertSign",
    citation: Some("RFC 5280 §4.2.1.3"),
    explanation: "When a CA certificate has a keyUsage extension, it must include keyCertSign to sign certificates. Without it clients reject every certificate it issued (OpenSSL error 32).",
    fix: "reissue the CA with `keyUsage = critical, keyCertSign, cRLSign`",
);

rule!(Cs306, "CS306", "basic-constraints-not-critical", Warning,
    summary: "a CA's basicConstraints is not critical",
    citation: Some("RFC 5280 §4.2.1.9"),
    explanation: "RFC 5280 requires CAs to mark basicConstraints critical. Strict verifiers (OpenSSL `-x509_strict`, error 89; rustls-webpki) reject the CA.",
    fix: "reissue the CA with `basicConstraints = critical, CA:TRUE`",
);

rule!(Cs307, "CS307", "weak-signature", Error,
    summary: "MD5 or SHA-1 signature on a non-root (a root's self-signature is only a note)",
    citation: Some("RFC 6151; RFC 9155; CA/Browser Forum BR §7.1.3"),
    explanation: "MD2, MD5 and SHA-1 signatures can be forged. OpenSSL-based clients (nginx, APISIX, Python, curl; \"CA signature digest algorithm too weak\"), Go (\"insecure algorithm SHA1-RSA\"), rustls and browsers refuse a SHA-1 signature on a leaf or an intermediate; Java still accepts one under a truststore of your own (its SHA-1 ban covers only chains to the JDK's roots). A root's signature over itself is never checked by clients, so on a root it is only a note. Measured: tests/clients scenarios sha1-leaf, sha1-intermediate, sha1-root.",
    fix: "reissue the certificate with a SHA-256 (or stronger) signature",
);

rule!(Cs308, "CS308", "weak-key", Error,
    summary: "RSA below 2048 bits, EC below 256 bits, DSA",
    citation: Some("NIST SP 800-131A; CA/Browser Forum BR §6.1.5"),
    explanation: "RSA keys under 2048 bits, EC keys under 256 bits and DSA keys are refused by OpenSSL 3 at security level 2 (Debian's and most distributions' default: nginx, APISIX, Python, curl; \"EE certificate key too weak\"), .NET on Linux and browsers. Go and Java still accept RSA-1024. Measured: tests/clients scenarios rsa1024-leaf, rsa1024-intermediate.",
    fix: "issue a new key (RSA-2048+ or EC P-256+) and a new certificate for it",
);

rule!(Cs309, "CS309", "server-missing-san", Error,
    summary: "an end-entity certificate with no subjectAltName (CN-only is rejected by Go, rustls and browsers)",
    citation: Some("RFC 6125 §6.4.4; RFC 9525"),
    explanation: "RFC 9525 clients match the host name against subjectAltName only. Go 1.15+ (\"certificate relies on legacy Common Name field\"), rustls and browsers (Chrome since 58) reject a certificate without one. OpenSSL-based clients (nginx, APISIX, Python ssl, curl 7.88 with OpenSSL 3.0), Java and .NET still fall back to the subject CN when there is no DNS SAN, so the same certificate works for some clients and fails for others. Measured: tests/clients scenario cn-only-leaf.",
    fix: "reissue the certificate with the host names as SANs (`chainsmith issue --san HOST`)",
);

rule!(Cs310, "CS310", "server-missing-serverauth", Error,
    summary: "an end-entity with EKU that lacks serverAuth, in a server chain",
    citation: Some("RFC 5280 §4.2.1.12"),
    explanation: "When extendedKeyUsage is present it limits the key's purposes. A served certificate without serverAuth (for example clientAuth only) is rejected by every TLS client: OpenSSL (\"unsuitable certificate purpose\"), curl, Go (\"incompatible key usage\"), Java and nginx. Measured: tests/clients scenario leaf-eku-clientauth-only.",
    fix: "reissue the certificate with `extendedKeyUsage = serverAuth`",
);

rule!(Cs311, "CS311", "host-mismatch", Error,
    summary: "--host not covered by the leaf's SANs",
    citation: Some("RFC 6125 §6.4; RFC 9525"),
    explanation: "The host name clients connect to is not among the leaf's subjectAltNames (a wildcard covers exactly one label). The handshake fails with a name mismatch.",
    fix: "reissue the leaf with the host as a SAN",
);

rule!(Cs312, "CS312", "v1-ca", Error,
    summary: "a version 1 certificate acting as a CA",
    citation: Some("RFC 5280 §6.1.4 (k)"),
    explanation: "X.509 v1 certificates have no extensions, so nothing says they are CAs or limits their path length. Modern verifiers refuse v1 intermediates and many refuse v1 roots.",
    fix: "replace the v1 CA with a v3 CA certificate (basicConstraints CA:TRUE)",
);

rule!(Cs313, "CS313", "self-signed-leaf", Warning,
    summary: "an end-entity that signs itself: no chain to upload",
    citation: None,
    explanation: "A self-signed end-entity certificate has no CA behind it, so there is no CA bundle to give clients; each client must pin this very certificate, and rotation breaks every client. Gateways such as APIM reject it as a CA.",
    fix: "issue the server certificate from a CA (`chainsmith generate`), and give clients the CA",
);

rule!(Cs314, "CS314", "duplicate-extension", Error,
    summary: "the same extension appears twice in one certificate",
    citation: Some("RFC 5280 §4.2"),
    explanation: "A certificate must not include more than one instance of an extension. OpenSSL, Go and rustls-webpki reject such certificates.",
    fix: "reissue the certificate with each extension once",
);

rule!(Cs315, "CS315", "unknown-critical-extension", Error,
    summary: "a critical extension that clients do not understand",
    citation: Some("RFC 5280 §4.2"),
    explanation: "A client must reject a certificate with a critical extension it does not recognise (OpenSSL error 34, \"unhandled critical extension\").",
    fix: "reissue the certificate without the extension, or mark it non-critical",
);

rule!(Cs316, "CS316", "ca-eku-excludes-serverauth", Error,
    summary: "a CA in a served chain whose extendedKeyUsage excludes serverAuth",
    citation: Some("OpenSSL x509_vfy.c check_purpose; Go crypto/x509 verify.go EKU nesting"),
    explanation: "An extendedKeyUsage on a CA certificate is read by most clients as a limit on everything below it. A CA that lists EKUs without serverAuth (say clientAuth only) makes OpenSSL-based clients (nginx, APISIX, Python, curl: \"unsuitable certificate purpose\"), Go (\"incompatible key usage\"), rustls and .NET reject every server certificate under it. Only Java ignores it. Measured: tests/clients scenario int-eku-clientauth-only.",
    fix: "reissue the CA without extendedKeyUsage, or with serverAuth among its EKUs",
);

/// One finding of `meta` for each distinct certificate of the file that
/// `pick` selects, with the message `say` writes for it.
pub(super) fn per_cert(
    b: &Bundle<'_>,
    meta: &'static RuleMeta,
    pick: impl Fn(usize) -> bool,
    say: impl Fn(&Cert) -> String,
) -> Vec<Finding> {
    b.distinct()
        .filter(|&i| pick(i))
        .map(|i| {
            let c = &b.certs[i];
            Finding::cert(meta, c, say(c))
        })
        .collect()
}

/// A finding for each certificate whose `list` is not empty: its name,
/// `says`, then the list.
fn per_cert_listing(
    b: &Bundle<'_>,
    meta: &'static RuleMeta,
    says: &str,
    list: impl Fn(&Cert) -> &[String],
) -> Vec<Finding> {
    per_cert(
        b,
        meta,
        |i| !list(&b.certs[i]).is_empty(),
        |c| format!("{} {says} {}", name(c), list(c).join(", ")),
    )
}

/// Certificates (first copies in the file) that issued another file certificate.
fn issuers_in_file(b: &Bundle<'_>) -> HashSet<usize> {
    let mut out = b.graph.issuers_of_any(b.distinct());
    out.retain(|&j| j < b.n_file);
    out
}

impl Rule for Cs304 {
    fn check(&self, b: &Bundle<'_>, _: &Context<'_>) -> Vec<Finding> {
        let issuers = issuers_in_file(b);
        b.distinct()
            .filter_map(|i| {
                let c = &b.certs[i];
                if c.version == 1 || c.basic_constraints.is_some_and(|bc| bc.ca) {
                    return None;
                }
                let kcs = c.key_usage.is_some_and(|k| k.key_cert_sign());
                let why = if issuers.contains(&i) {
                    "issued another certificate in this file"
                } else if kcs {
                    "asserts keyUsage keyCertSign"
                } else {
                    return None;
                };
                let bc = match c.basic_constraints {
                    None => "has no basicConstraints",
                    Some(_) => "has basicConstraints CA:FALSE",
                };
                Some(Finding::cert(
                    &Self::META,
                    c,
                    format!("{} {why} but {bc}", name(c)),
                ))
            })
            .collect()
    }
}

impl Rule for Cs305 {
    fn check(&self, b: &Bundle<'_>, _: &Context<'_>) -> Vec<Finding> {
        b.distinct()
            .filter_map(|i| {
                let c = &b.certs[i];
                let ku = c.key_usage?;
                (c.basic_constraints.is_some_and(|bc| bc.ca) && !ku.key_cert_sign()).then(|| {
                    let has = ku.names();
                    let has = if has.is_empty() {
                        "nothing".to_owned()
                    } else {
                        has.join(", ")
                    };
                    Finding::cert(
                        &Self::META,
                        c,
                        format!(
                            "the CA {} has keyUsage without keyCertSign ({has})",
                            name(c)
                        ),
                    )
                })
            })
            .collect()
    }
}

impl Rule for Cs306 {
    fn check(&self, b: &Bundle<'_>, _: &Context<'_>) -> Vec<Finding> {
        per_cert(
            b,
            &Self::META,
            |i| {
                b.certs[i]
                    .basic_constraints
                    .is_some_and(|bc| bc.ca && !bc.critical)
            },
            |c| format!("the basicConstraints of the CA {} is not critical", name(c)),
        )
    }
}

impl Rule for Cs307 {
    fn check(&self, b: &Bundle<'_>, _: &Context<'_>) -> Vec<Finding> {
        b.distinct()
            .filter_map(|i| {
                let c = &b.certs[i];
                let h = c.sig_alg.hash.filter(|h| h.is_weak())?;
                let root = c.is_ca() && c.is_self_issued() && super::links::is_anchor(b, i);
                Some(if root {
                    Finding::cert(
                        &Self::META,
                        c,
                        format!(
                            "the root {} signs itself with {}; clients do not check a root's self-signature",
                            name(c),
                            h.name()
                        ),
                    )
                    .with_severity(Severity::Note)
                    .with_fix("nothing to do now; prefer a root with a SHA-256 self-signature at its next renewal")
                } else {
                    Finding::cert(&Self::META, c, format!("{} is signed with {} ({})", name(c), h.name(), c.sig_alg))
                })
            })
            .collect()
    }
}

/// Why a key is weak, if it is.
pub fn weak_key(k: &KeyKind) -> Option<String> {
    match k {
        KeyKind::Rsa { bits } if *bits < 2048 => Some(format!("an RSA-{bits} key")),
        KeyKind::Ec { bits, .. } if *bits < 256 => Some(format!("an EC key of {bits} bits")),
        KeyKind::Ec {
            curve: Curve::Other,
            bits,
        } => Some(format!("an EC key on an unnamed curve ({bits} bits)")),
        KeyKind::Dsa { bits } => Some(format!("a DSA-{bits} key")),
        _ => None,
    }
}

impl Rule for Cs308 {
    fn check(&self, b: &Bundle<'_>, _: &Context<'_>) -> Vec<Finding> {
        b.distinct()
            .filter_map(|i| {
                let c = &b.certs[i];
                let why = weak_key(&c.key)?;
                Some(Finding::cert(
                    &Self::META,
                    c,
                    format!("{} has {why}", name(c)),
                ))
            })
            .collect()
    }
}

/// Leaves a server presents: those of a served chain, and of an App Service
/// PFX (its TLS binding wants serverAuth, and clients read the SANs).
fn server_leaves(b: &Bundle<'_>) -> Vec<usize> {
    if !matches!(b.intent, Intent::ServerChain | Intent::AppServicePfx) {
        return Vec::new();
    }
    b.leaves()
}

impl Rule for Cs309 {
    fn check(&self, b: &Bundle<'_>, _: &Context<'_>) -> Vec<Finding> {
        server_leaves(b)
            .into_iter()
            .filter(|&i| b.certs[i].sans.is_empty())
            .map(|i| {
                let c = &b.certs[i];
                let cn = c
                    .common_name()
                    .map(|n| format!("; clients ignore its CN `{n}`"))
                    .unwrap_or_default();
                Finding::cert(
                    &Self::META,
                    c,
                    format!("{} has no subjectAltName{cn}", name(c)),
                )
            })
            .collect()
    }
}

impl Rule for Cs310 {
    fn check(&self, b: &Bundle<'_>, _: &Context<'_>) -> Vec<Finding> {
        server_leaves(b)
            .into_iter()
            .filter_map(|i| {
                let c = &b.certs[i];
                let eku = c.ext_key_usage.as_ref()?;
                (!eku.server_auth && !eku.any).then(|| {
                    Finding::cert(
                        &Self::META,
                        c,
                        format!(
                            "{} is served, but its extendedKeyUsage ({}) lacks serverAuth",
                            name(c),
                            eku.names().join(", ")
                        ),
                    )
                })
            })
            .collect()
    }
}

impl Rule for Cs316 {
    fn check(&self, b: &Bundle<'_>, _: &Context<'_>) -> Vec<Finding> {
        if b.intent != Intent::ServerChain {
            return Vec::new();
        }
        // Every CA above a served leaf, in the file or among the anchors.
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for leaf in b.leaves() {
            let mut cur = leaf;
            while let Some(up) = b.issuer(cur) {
                if !seen.insert(up) {
                    break;
                }
                let c = &b.certs[up];
                if up < b.n_file
                    && let Some(eku) = &c.ext_key_usage
                    && !eku.server_auth
                    && !eku.any
                {
                    out.push(Finding::cert(
                        &Self::META,
                        c,
                        format!(
                            "the CA {} limits its extendedKeyUsage to {}: clients reject the server certificates below it",
                            name(c),
                            eku.names().join(", ")
                        ),
                    ));
                }
                cur = up;
            }
        }
        out
    }
}

/// Is `host` covered by the certificate's SANs? Wildcards cover one label.
pub fn host_matches(c: &Cert, host: &str) -> bool {
    c.matches_host(host)
}

impl Rule for Cs311 {
    fn check(&self, b: &Bundle<'_>, ctx: &Context<'_>) -> Vec<Finding> {
        let Some(host) = &ctx.host else {
            return Vec::new();
        };
        let Some(&i) = server_leaves(b).first() else {
            return Vec::new();
        };
        let c = &b.certs[i];
        if host_matches(c, host) {
            return Vec::new();
        }
        let sans: Vec<String> = c.sans.iter().map(ToString::to_string).collect();
        let sans = if sans.is_empty() {
            "none".to_owned()
        } else {
            sans.join(", ")
        };
        vec![
            Finding::cert(
                &Self::META,
                c,
                format!(
                    "`{host}` is not covered by the SANs of {} ({sans})",
                    name(c)
                ),
            )
            .with_fix(format!("reissue the leaf with `--san {host}`")),
        ]
    }
}

impl Rule for Cs312 {
    fn check(&self, b: &Bundle<'_>, _: &Context<'_>) -> Vec<Finding> {
        let issuers = issuers_in_file(b);
        per_cert(
            b,
            &Self::META,
            |i| b.certs[i].version == 1 && (b.certs[i].is_ca() || issuers.contains(&i)),
            |c| format!("{} is an X.509 v1 certificate acting as a CA", name(c)),
        )
    }
}

impl Rule for Cs313 {
    fn check(&self, b: &Bundle<'_>, _: &Context<'_>) -> Vec<Finding> {
        per_cert(
            b,
            &Self::META,
            |i| !b.certs[i].is_ca() && b.certs[i].is_self_issued(),
            |c| format!("{} is a self-signed end-entity certificate", name(c)),
        )
    }
}

impl Rule for Cs314 {
    fn check(&self, b: &Bundle<'_>, _: &Context<'_>) -> Vec<Finding> {
        per_cert_listing(b, &Self::META, "repeats extension(s)", |c| {
            &c.duplicate_extensions
        })
    }
}

impl Rule for Cs315 {
    fn check(&self, b: &Bundle<'_>, _: &Context<'_>) -> Vec<Finding> {
        per_cert_listing(
            b,
            &Self::META,
            "has critical extension(s) clients do not know:",
            |c| &c.unknown_critical_extensions,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;

    #[test]
    fn cs304_keycertsign_without_ca() {
        assert!(has(&lint_corpus("zlint/keyCertSignNotCA.pem"), "CS304"));
        assert!(!has(&lint_corpus("zlint/keyCertSignCA.pem"), "CS304"));
    }

    fires_on! {
        cs305_ca_without_keycertsign: "CS305" on "ca-no-keycertsign.pem" as "auto", not on "ca-bundle.pem";
        cs306_bc_not_critical: "CS306" on "bc-not-critical.pem" as "auto", not on "ca-bundle.pem";
        cs308_weak_key: "CS308" on "weak-rsa1024.pem" as "auto", not on "server-fullchain.pem";
        cs309_no_san: "CS309" on "no-san.pem" as "auto", not on "server-fullchain.pem";
        cs313_self_signed_leaf: "CS313" on "self-signed-leaf.pem" as "auto", not on "server-fullchain.pem";
    }

    #[test]
    fn cs307_sha1_leaf_error_root_note() {
        let x = fires_not_on("CS307", "sha1-leaf.pem", "server-fullchain.pem");
        assert_eq!(x.severity, crate::lint::Severity::Error);
        let root = lint_corpus("cert-chain-resolver/dstrootcax3.pem");
        let r = finding(&root, "CS307");
        assert_eq!(r.severity, crate::lint::Severity::Note);
    }

    #[test]
    fn cs310_no_serverauth() {
        assert!(has(&lint_fixture("no-serverauth.pem", "auto"), "CS310"));
        assert!(!has(&lint_fixture("server-fullchain.pem", "auto"), "CS310"));
        // An App Service PFX is bound to a custom domain: serverAuth matters
        // there too; a Key Vault import may be any kind of certificate.
        assert!(has(
            &lint_fixture("no-serverauth.pem", "appservice-pfx"),
            "CS310"
        ));
        assert!(!has(
            &lint_fixture("no-serverauth.pem", "keyvault-pem"),
            "CS310"
        ));
    }

    #[test]
    fn cs311_host_matching() {
        let bytes = read_fixture("server-fullchain.pem");
        for ok in [
            "www.example.com",
            "api.example.com",
            "127.0.0.1",
            "WWW.EXAMPLE.COM.",
        ] {
            assert!(
                !has(&lint_with("s.pem", &bytes, "auto", &[], Some(ok)), "CS311"),
                "{ok}"
            );
        }
        for bad in [
            "example.com",
            "a.b.example.com",
            "10.0.0.1",
            "www.example.org",
        ] {
            assert!(
                has(&lint_with("s.pem", &bytes, "auto", &[], Some(bad)), "CS311"),
                "{bad}"
            );
        }
    }

    #[test]
    fn cs312_v1_ca() {
        assert!(has(
            &lint_corpus("pyca/x509/verisign_md2_root.pem"),
            "CS312"
        ));
        assert!(!has(&lint_fixture("ca-bundle.pem", "auto"), "CS312"));
    }

    #[test]
    fn cs314_cs315_extensions() {
        assert!(has(
            &lint_corpus("pyca/x509/custom-two_basic_constraints.pem"),
            "CS314"
        ));
        assert!(has(
            &lint_corpus("pyca/x509/custom-unsupported_extension_critical.pem"),
            "CS315"
        ));
        let clean = lint_fixture("chain-with-root.pem", "auto");
        assert!(!has(&clean, "CS314") && !has(&clean, "CS315"));
    }
}
