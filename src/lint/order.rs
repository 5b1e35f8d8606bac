//! CS201-CS203, CS210: what kind of certificates are in the file, and in
//! what order. The three checks the tool exists for.
use super::{Bundle, Context, Finding, Intent, Rule, Severity, name, rule};

rule!(Cs201, "CS201", "leaf-only-ca-bundle", Error,
    summary: "a file meant as CA trust holds only end-entity certificates: the server certificate was uploaded instead of its root and intermediate",
    citation: Some("RFC 5280 §6.1; Azure API Management: CA certificates"),
    explanation: "A CA bundle (SSL_CERT_FILE, curl --cacert, an APIM or APISIX CA upload, a Kubernetes trust Secret) must hold the CAs that issued the server certificate. This file holds only end-entity certificates, so a client that trusts it cannot build a chain: the gateway reports \"The remote certificate is invalid according to the validation procedure\".",
    fix: "upload the issuing CAs (intermediate and root) instead of the server certificate",
);

rule!(Cs202, "CS202", "leaf-in-ca-bundle", Error,
    summary: "a CA bundle also holds an end-entity certificate (a \"full chain\" uploaded as CA)",
    citation: Some("RFC 5280 §4.2.1.9"),
    explanation: "A CA bundle holds CA certificates only. An end-entity (server) certificate in it usually means a full-chain file (`fullchain.pem`) was uploaded as the CA. Trust stores either ignore it or reject the whole upload, and it expires far sooner than the CAs.",
    fix: "remove the end-entity certificate from the CA bundle",
);

rule!(Cs203, "CS203", "wrong-order", Error,
    summary: "a certificate is not followed by its issuer; prints the right order (error in a server chain, warning in a CA bundle)",
    citation: Some("RFC 8446 §4.4.2; RFC 5246 §7.4.2"),
    explanation: "A server must send its leaf first, then the leaf's issuer, then that issuer's issuer (TLS 1.2 requires it; strict clients such as Java, .NET and older OpenSSL fail otherwise). A CA bundle is conventionally ordered intermediates first, then the root; trust stores ignore the order, so there it is only a warning.",
    fix: "reorder the certificates (or run `chainsmith bundle`)",
);

rule!(Cs210, "CS210", "anchor-in-server-chain", Note,
    summary: "a served chain includes the self-signed root",
    citation: Some("RFC 8446 §4.4.2"),
    explanation: "Clients must already hold the root; sending it wastes bytes on every handshake and may confuse clients that build paths from what the server sends. It is allowed, so this is only a note.",
    fix: "leave the root out of the served chain (clients already trust it)",
);

impl Rule for Cs201 {
    fn check(&self, b: &Bundle<'_>, _: &Context<'_>) -> Vec<Finding> {
        if !b.intent.is_trust()
            || b.distinct().next().is_none()
            || b.distinct().any(|i| b.certs[i].is_ca())
        {
            return Vec::new();
        }
        b.distinct()
            .map(|i| {
                let c = &b.certs[i];
                let msg = if c.is_self_issued() {
                    format!("{} is a self-signed server certificate, not a CA; a CA bundle needs CA certificates", name(c))
                } else {
                    format!(
                        "this is the server certificate; upload its issuing CAs instead: {}",
                        c.issuer
                    )
                };
                // Say where the CAs to upload come from: the --trust
                // anchors when they hold the issuer, else nowhere here.
                let issuer_known = b.certs[b.n_file..]
                    .iter()
                    .any(|a| a.subject_raw == c.issuer_raw);
                let fix = if c.is_self_issued() {
                    "issue the server certificate from a CA and upload that CA".to_owned()
                } else if issuer_known {
                    format!(
                        "replace {} with the certificate of `{}` (it is among the --trust anchors) and its root: `chainsmith bundle --for ca` with those files",
                        c.display_name(),
                        c.issuer
                    )
                } else {
                    format!(
                        "replace {} with the certificate of `{}` and its root; neither is in this file (nor in --trust), so get them from the CA that issued the server certificate (or from the server's full chain), then `chainsmith bundle --for ca`",
                        c.display_name(),
                        c.issuer
                    )
                };
                Finding::cert(&Self::META, c, msg).with_fix(fix)
            })
            .collect()
    }
}

impl Rule for Cs202 {
    fn check(&self, b: &Bundle<'_>, _: &Context<'_>) -> Vec<Finding> {
        if !b.intent.is_trust() || !b.distinct().any(|i| b.certs[i].is_ca()) {
            return Vec::new();
        }
        b.leaves()
            .into_iter()
            .map(|i| {
                let c = &b.certs[i];
                let at = c
                    .source
                    .line
                    .map(|l| format!(" (the block at line {l})"))
                    .unwrap_or_default();
                Finding::cert(
                    &Self::META,
                    c,
                    format!(
                        "the CA bundle holds the end-entity certificate {}; remove it",
                        name(c)
                    ),
                )
                .with_fix(format!(
                    "remove {}{at} from the CA bundle",
                    c.display_name()
                ))
            })
            .collect()
    }
}

/// The order a server chain should have: from the first end-entity
/// certificate up through its issuers in the file.
pub fn server_order(b: &Bundle<'_>) -> Vec<usize> {
    let within = |i: usize| -> Vec<usize> {
        let (path, _) = b.graph.path_up(i);
        path.into_iter().take_while(|&j| j < b.n_file).collect()
    };
    if let Some(&leaf) = b.leaves().first() {
        return within(leaf);
    }
    // No end-entity (a "leaf" that is technically a CA): start from the
    // certificate with the longest chain above it in the file.
    let mut best: Vec<usize> = Vec::new();
    for i in b.distinct() {
        let p = within(i);
        if p.len() > best.len() {
            best = p;
        }
    }
    best
}

/// Height of each file certificate: how many file certificates its path up
/// holds (itself included). Issuers have smaller heights than what they issue.
fn heights(b: &Bundle<'_>) -> Vec<usize> {
    let mut h = vec![0; b.n_file];
    for i in b.distinct() {
        let (path, _) = b.graph.path_up(i);
        h[i] = path.iter().take_while(|&&j| j < b.n_file).count();
    }
    h
}

fn render_order(b: &Bundle<'_>, order: &[usize]) -> String {
    const SHOWN: usize = 8;
    let mut parts: Vec<String> = order
        .iter()
        .take(SHOWN)
        .map(|&i| format!("{} [{}]", b.certs[i].display_name(), b.certs[i].short_id()))
        .collect();
    if order.len() > SHOWN {
        parts.push(format!("… ({} more)", order.len() - SHOWN));
    }
    parts.join(" → ")
}

impl Rule for Cs203 {
    fn check(&self, b: &Bundle<'_>, _: &Context<'_>) -> Vec<Finding> {
        match b.intent {
            Intent::ServerChain => server_chain_order(b),
            _ => ca_bundle_order(b),
        }
    }
}

fn server_chain_order(b: &Bundle<'_>) -> Vec<Finding> {
    let ideal = server_order(b);
    if ideal.len() < 2 {
        return Vec::new();
    }
    let seq: Vec<usize> = b.distinct().filter(|i| ideal.contains(i)).collect();
    let Some(k) = (0..ideal.len()).find(|&k| seq.get(k) != ideal.get(k)) else {
        return Vec::new();
    };
    let Some(&got) = seq.get(k) else {
        return Vec::new();
    };
    let want = ideal[k];
    let msg = if k == 0 {
        format!(
            "the served chain starts with {}, but it must start with the leaf {}",
            name(&b.certs[got]),
            name(&b.certs[want])
        )
    } else {
        let prev = seq[k - 1];
        format!(
            "{} is followed by {}, not by its issuer {}",
            name(&b.certs[prev]),
            name(&b.certs[got]),
            name(&b.certs[want])
        )
    };
    let at = if k == 0 { got } else { seq[k - 1] };
    vec![
        Finding::cert(&Cs203::META, &b.certs[at], msg).with_fix(format!(
            "put the chain in this order: {}",
            render_order(b, &ideal)
        )),
    ]
}

fn ca_bundle_order(b: &Bundle<'_>) -> Vec<Finding> {
    let order: Vec<usize> = b.distinct().collect();
    if order.len() < 2 {
        return Vec::new();
    }
    let h = heights(b);
    let mut pos = vec![usize::MAX; b.n_file];
    for (p, &i) in order.iter().enumerate() {
        pos[i] = p;
    }
    for &child in &order {
        let Some(issuer) = b.issuer(child).filter(|&j| j < b.n_file) else {
            continue;
        };
        if pos[issuer] < pos[child] && h[child] > h[issuer] {
            let mut right = order.clone();
            right.sort_by_key(|&i| (std::cmp::Reverse(h[i]), pos[i]));
            let f = Finding::cert(
                &Cs203::META,
                &b.certs[issuer],
                format!(
                    "{} comes before {}, which it issued; a CA bundle lists each certificate before its issuer (intermediates, then the root)",
                    name(&b.certs[issuer]),
                    name(&b.certs[child])
                ),
            )
            .with_severity(Severity::Warning)
            .with_fix(format!("order the bundle: {}", render_order(b, &right)));
            return vec![f];
        }
    }
    Vec::new()
}

impl Rule for Cs210 {
    fn check(&self, b: &Bundle<'_>, _: &Context<'_>) -> Vec<Finding> {
        if b.intent != Intent::ServerChain {
            return Vec::new();
        }
        b.distinct()
            .filter(|&i| b.certs[i].is_ca() && b.graph.is_self_signed(i))
            .map(|i| {
                let c = &b.certs[i];
                Finding::cert(
                    &Self::META,
                    c,
                    format!("the served chain includes the root {}", name(c)),
                )
                .with_fix(format!(
                    "remove the root {} from the served chain",
                    c.display_name()
                ))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;

    #[test]
    fn cs201_leaf_only_by_name_and_by_expect() {
        let x = fixture_finding("leaf-only-ca-bundle.pem", "CS201");
        assert!(
            x.message
                .starts_with("this is the server certificate; upload its issuing CAs instead: ")
        );
        assert!(
            x.message.contains("Fixture Intermediate CA"),
            "{}",
            x.message
        );
        // The fix says the CAs are not here, rather than naming a root to
        // upload as if the file had it...
        assert!(x.fix.contains("neither is in this file"), "{}", x.fix);
        // ...and says where they are when --trust holds the issuer.
        let trust = load_certs("intermediate.crt");
        let f = lint_fixture_trusting("leaf-only-ca-bundle.pem", &trust);
        let x = finding(&f, "CS201");
        assert!(x.fix.contains("among the --trust anchors"), "{}", x.fix);
        assert!(has(&lint_fixture("server.crt", "ca-bundle"), "CS201"));
        assert!(!has(&lint_fixture("server.crt", "auto"), "CS201"));
        assert!(!has(&lint_fixture("ca-bundle.pem", "auto"), "CS201"));
    }

    #[test]
    fn cs202_names_the_leaf() {
        let x = fires_not_on("CS202", "fullchain-as-ca-bundle.pem", "ca-bundle.pem");
        says(&x.message, &["www.example.com"]);
        assert!(!has(&lint_fixture("chain-with-root.pem", "auto"), "CS202"));
    }

    #[test]
    fn cs203_server_chain_is_an_error_with_right_order() {
        let x = fires_not_on("CS203", "reversed-chain.pem", "server-fullchain.pem");
        assert_eq!(x.severity, crate::lint::Severity::Error);
        says(&x.fix, &["www.example.com", "→ Fixture Intermediate CA"]);
    }

    #[test]
    fn cs203_ca_bundle_is_a_warning() {
        let root = std::fs::read(fixture("root.crt")).expect("root");
        let int = std::fs::read(fixture("intermediate.crt")).expect("int");
        let f = lint_bytes("ca-bundle.pem", &[root, int].concat(), "ca-bundle");
        let x = finding(&f, "CS203");
        assert_eq!(x.severity, crate::lint::Severity::Warning);
        assert!(!has(&lint_fixture("ca-bundle.pem", "auto"), "CS203"));
    }

    fires_on! {
        cs210_root_in_served_chain: "CS210" on "chain-with-root.pem" as "auto", not on "server-fullchain.pem";
    }
}
