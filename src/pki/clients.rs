//! "Would **this** client trust this served chain?" — one answer per real
//! client, from one path search.
//!
//! Clients disagree on real chains: OpenSSL (nginx `proxy_ssl_verify`,
//! APISIX, Python `ssl`, `s_client`) needs a self-signed anchor and checks
//! extendedKeyUsage on CAs; curl turns on partial chains; Go and Java take
//! any certificate of the trust store as an anchor; Java does not check an
//! anchor's dates; .NET on Linux (the APIM self-hosted gateway) splits
//! `SSL_CERT_FILE` into self-signed anchors and the rest. Each client is
//! one row of [`MODELS`], and each field of a row names its source in
//! docs/clients.md. The differential tests (`tests/cli/clients.rs`) check
//! every verdict against the real client on loopback.
//!
//! The search runs once: every path from the served leaf upward through the
//! served certificates and the trust store, with each link's signature
//! checked once (through the shared [`Verifier`]). Each client then judges
//! the candidate paths by its own rules.
use std::collections::HashMap;

use ::time::OffsetDateTime;

use super::chain::Verifier;
use super::model::{Cert, Curve, KeyKind, format_time, label};
use super::verify::SigCheck;

/// The clients chainsmith models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Client {
    /// OpenSSL 3 with its defaults: nginx `proxy_ssl_verify`, APISIX
    /// upstreams, Python `ssl`, `openssl s_client`.
    Openssl,
    /// OpenSSL with `X509_V_FLAG_X509_STRICT` (Python 3.13's default).
    OpensslStrict,
    /// curl with OpenSSL: partial chains allowed.
    Curl,
    /// Go `crypto/x509` (and so `crypto/tls`).
    Go,
    /// Java PKIX with a PKCS#12 truststore (SunJSSE).
    Java,
    /// rustls' verifier, rustls-webpki.
    Webpki,
    /// .NET on Linux (the APIM self-hosted gateway): OpenSSL's chain
    /// building behind .NET's own store and policy rules.
    DotnetLinux,
    /// nginx `proxy_ssl_verify on` with its default
    /// `proxy_ssl_verify_depth 1`: OpenSSL, at most one intermediate.
    Nginx,
}

impl Client {
    pub const ALL: [Client; 8] = [
        Client::Openssl,
        Client::OpensslStrict,
        Client::Curl,
        Client::Go,
        Client::Java,
        Client::Webpki,
        Client::DotnetLinux,
        Client::Nginx,
    ];

    pub fn name(self) -> &'static str {
        self.model().name
    }

    pub fn parse(s: &str) -> Option<Client> {
        Client::ALL.into_iter().find(|c| c.name() == s)
    }

    pub fn model(self) -> &'static Model {
        &MODELS[self as usize]
    }
}

/// Which certificates of the trust store end a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnchorRule {
    /// Only a self-signed certificate of the store; other store certificates
    /// are only intermediates (OpenSSL without partial chains, .NET).
    SelfSigned,
    /// Any certificate of the store, the leaf itself included (OpenSSL with
    /// `X509_V_FLAG_PARTIAL_CHAIN`, Go, Java, webpki).
    AnyInStore,
}

/// How a client handles a certificate signed with SHA-1 (below the anchor).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sha1Rule {
    Accept,
    Reject,
}

/// Where a model's behaviour comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evidence {
    /// Every verdict is compared with the real client on loopback.
    Measured,
    /// Read from the client's source and documentation; no runtime here.
    ReadFromSource,
}

/// One client's documented behaviour. docs/clients.md gives the source of
/// each field.
#[derive(Debug)]
pub struct Model {
    pub client: Client,
    pub name: &'static str,
    /// One line for `--client`'s help.
    pub summary: &'static str,
    /// Who runs it, as users know them.
    pub consumers: &'static str,
    pub anchors: AnchorRule,
    /// Does a CA's extendedKeyUsage have to allow serverAuth?
    pub eku_on_cas: bool,
    /// Does an authorityKeyIdentifier that differs from the issuer's
    /// subjectKeyIdentifier break the link (OpenSSL's `X509_check_akid`)?
    pub aki_must_match: bool,
    /// Smallest RSA key accepted below the anchor, in bits.
    pub min_rsa_bits: usize,
    /// Is the anchor's own key held to `min_rsa_bits` too?
    pub anchor_key_checked: bool,
    pub sha1: Sha1Rule,
    /// Is the subject CN used when the leaf has no DNS subjectAltName?
    pub cn_fallback: bool,
    /// Are the anchor's notBefore/notAfter checked?
    pub anchor_dates_checked: bool,
    /// Are version 1 CA certificates accepted as anchors?
    pub v1_anchor: bool,
    /// X.509 strict checks (`X509_V_FLAG_X509_STRICT`): AKI on non-roots,
    /// SKI on CAs, critical basicConstraints on CAs, no v1 CAs.
    pub strict: bool,
    /// Does the client fetch missing issuers from AIA caIssuers by default?
    pub fetches_aia: bool,
    /// Most intermediates a path may hold.
    pub max_intermediates: usize,
    pub evidence: Evidence,
}

/// OpenSSL 3 with its defaults; every other row of [`MODELS`] names only
/// the fields in which its client differs from OpenSSL.
const OPENSSL: Model = Model {
    client: Client::Openssl,
    name: "openssl",
    summary: "OpenSSL 3 defaults: nginx proxy_ssl_verify, APISIX, Python ssl, s_client",
    consumers: "nginx proxy_ssl_verify, APISIX upstreams, Python ssl, openssl s_client",
    anchors: AnchorRule::SelfSigned,
    eku_on_cas: true,
    aki_must_match: true,
    min_rsa_bits: 2048,
    anchor_key_checked: true,
    sha1: Sha1Rule::Reject,
    cn_fallback: true,
    anchor_dates_checked: true,
    v1_anchor: true,
    strict: false,
    fetches_aia: false,
    max_intermediates: 100,
    evidence: Evidence::Measured,
};

/// The models, in [`Client`] order. Sources per field: docs/clients.md.
pub static MODELS: [Model; 8] = [
    OPENSSL,
    Model {
        client: Client::OpensslStrict,
        name: "openssl-strict",
        summary: "OpenSSL with X509_STRICT (Python 3.13's default)",
        consumers: "Python 3.13+ ssl (VERIFY_X509_STRICT by default), OpenSSL with -x509_strict",
        v1_anchor: false,
        strict: true,
        ..OPENSSL
    },
    Model {
        client: Client::Curl,
        name: "curl",
        summary: "curl with OpenSSL (partial chains)",
        consumers: "curl and libcurl built with OpenSSL (partial chains on since 7.68)",
        anchors: AnchorRule::AnyInStore,
        ..OPENSSL
    },
    Model {
        client: Client::Go,
        name: "go",
        summary: "Go crypto/x509",
        consumers: "Go crypto/tls and crypto/x509 (Kubernetes tooling, Prometheus, Traefik)",
        anchors: AnchorRule::AnyInStore,
        aki_must_match: false,
        min_rsa_bits: 1024,
        cn_fallback: false,
        ..OPENSSL
    },
    Model {
        client: Client::Java,
        name: "java",
        summary: "Java PKIX with a PKCS#12 truststore",
        consumers: "Java (SunJSSE PKIX) with a PKCS#12 truststore",
        anchors: AnchorRule::AnyInStore,
        eku_on_cas: false,
        aki_must_match: false,
        min_rsa_bits: 1024,
        anchor_key_checked: false,
        sha1: Sha1Rule::Accept,
        anchor_dates_checked: false,
        ..OPENSSL
    },
    Model {
        client: Client::Webpki,
        name: "webpki",
        summary: "rustls (rustls-webpki)",
        consumers: "rustls (rustls-webpki), e.g. Linkerd, many Rust services",
        anchors: AnchorRule::AnyInStore,
        aki_must_match: false,
        cn_fallback: false,
        anchor_dates_checked: false,
        max_intermediates: 6,
        evidence: Evidence::ReadFromSource,
        ..OPENSSL
    },
    Model {
        client: Client::DotnetLinux,
        name: "dotnet-linux",
        summary: ".NET on Linux: the APIM self-hosted gateway",
        consumers: "APIM self-hosted gateway and other .NET services on Linux (SSL_CERT_FILE / SSL_CERT_DIR)",
        fetches_aia: true,
        evidence: Evidence::ReadFromSource,
        ..OPENSSL
    },
    Model {
        client: Client::Nginx,
        name: "nginx",
        summary: "nginx proxy_ssl_verify with the default proxy_ssl_verify_depth 1",
        consumers: "nginx proxy_pass https:// with proxy_ssl_verify on and the default proxy_ssl_verify_depth 1",
        max_intermediates: 1,
        ..OPENSSL
    },
];

/// One client's answer.
#[derive(Debug, Clone)]
pub struct ClientVerdict<'a> {
    pub client: Client,
    pub trusted: bool,
    /// Why: the path it would use, or the first problem on the best path.
    pub reason: String,
    /// The path (target first, anchor last), or the target alone.
    pub path: Vec<&'a Cert>,
}

/// Bounds of the one search: candidate paths and steps.
const MAX_PATHS: usize = 64;
const MAX_STEPS: usize = 4096;
const MAX_DEPTH: usize = 12;

/// A link of a candidate path: does the child's AKI key id contradict the
/// issuer's SKI?
#[derive(Debug, Clone, Copy)]
struct Link {
    aki_mismatch: bool,
}

/// Everything the search found, shared by every client.
struct Found<'a> {
    certs: Vec<&'a Cert>,
    in_store: Vec<bool>,
    self_issued: Vec<bool>,
    self_signed: Vec<bool>,
    /// Paths as certificate indices, target first; each ends where no
    /// further issuer was found, at a self-signed certificate, or at the
    /// depth bound. Prefixes that end at a store certificate are judged too.
    paths: Vec<Vec<usize>>,
    links: HashMap<(usize, usize), Link>,
    /// The search stopped early (too many paths or steps).
    truncated: bool,
}

/// The verdict of each of `clients` for `served` (the certificates in the
/// order the server sends them: the first is the end entity) against the
/// trust `store`, for `host` at `time`.
pub fn verdicts<'a>(
    served: &[&'a Cert],
    store: &[&'a Cert],
    host: Option<&str>,
    time: OffsetDateTime,
    clients: &[Client],
    verifier: &Verifier,
) -> Vec<ClientVerdict<'a>> {
    let Some(target) = served.first() else {
        return Vec::new();
    };
    let found = search(target, served, store, verifier);
    clients
        .iter()
        .map(|&c| judge(c.model(), &found, host, time))
        .collect()
}

fn search<'a>(
    target: &'a Cert,
    served: &[&'a Cert],
    store: &[&'a Cert],
    verifier: &Verifier,
) -> Found<'a> {
    // Distinct certificates: the target first, then the served ones, then
    // the store (a store copy of a served certificate is the same node).
    let mut certs: Vec<&'a Cert> = Vec::new();
    let mut in_store: Vec<bool> = Vec::new();
    let mut index: HashMap<[u8; 32], usize> = HashMap::new();
    for (c, from_store) in std::iter::once((target, false))
        .chain(served.iter().map(|c| (*c, false)))
        .chain(store.iter().map(|c| (*c, true)))
    {
        match index.get(&c.sha256) {
            Some(&i) => in_store[i] |= from_store,
            None => {
                index.insert(c.sha256, certs.len());
                certs.push(c);
                in_store.push(from_store);
            }
        }
    }
    let mut by_subject: HashMap<&[u8], Vec<usize>> = HashMap::new();
    for (i, c) in certs.iter().enumerate() {
        by_subject
            .entry(c.subject_raw.as_slice())
            .or_default()
            .push(i);
    }
    // Name comparison is not free (case and spacing are folded): once per
    // certificate, not once per client and path.
    let self_issued: Vec<bool> = certs.iter().map(|c| c.is_self_issued()).collect();
    let self_signed: Vec<bool> = certs
        .iter()
        .zip(&self_issued)
        .map(|(c, &si)| si && verifier.check(c, c) == SigCheck::Valid)
        .collect();
    let mut found = Found {
        certs,
        in_store,
        self_issued,
        self_signed,
        paths: Vec::new(),
        links: HashMap::new(),
        truncated: false,
    };
    let mut steps = 0usize;
    let mut path = vec![0usize];
    extend(&mut found, &by_subject, verifier, &mut path, &mut steps);
    found
}

fn extend(
    f: &mut Found<'_>,
    by_subject: &HashMap<&[u8], Vec<usize>>,
    verifier: &Verifier,
    path: &mut Vec<usize>,
    steps: &mut usize,
) {
    if f.paths.len() >= MAX_PATHS || *steps >= MAX_STEPS {
        f.truncated = true;
        return;
    }
    let Some(&cur) = path.last() else { return };
    let child = f.certs[cur];
    let mut issuers: Vec<usize> = Vec::new();
    if !(f.self_signed[cur] && path.len() > 1) && path.len() <= MAX_DEPTH {
        for &cand in by_subject
            .get(child.issuer_raw.as_slice())
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            *steps += 1;
            if cand == cur || path.contains(&cand) {
                continue;
            }
            let issuer = f.certs[cand];
            if verifier.check(child, issuer) != SigCheck::Valid {
                continue;
            }
            let aki_mismatch = matches!((&child.aki, &issuer.ski), (Some(a), Some(s)) if a != s);
            f.links.insert((cur, cand), Link { aki_mismatch });
            issuers.push(cand);
        }
    }
    if issuers.is_empty() {
        f.paths.push(path.clone());
        return;
    }
    // A path may also end here, at a store certificate (partial chains).
    if f.in_store[cur] {
        f.paths.push(path.clone());
    }
    for cand in issuers {
        path.push(cand);
        extend(f, by_subject, verifier, path, steps);
        path.pop();
    }
}

/// The best failure seen, by how far up the path it was found.
struct Best {
    depth: usize,
    reason: String,
    path: Vec<usize>,
}

fn judge<'a>(
    m: &Model,
    f: &Found<'a>,
    host: Option<&str>,
    time: OffsetDateTime,
) -> ClientVerdict<'a> {
    let target = f.certs[0];
    let to_certs = |p: &[usize]| p.iter().map(|&i| f.certs[i]).collect::<Vec<_>>();
    if let Some(h) = host
        && !host_ok(target, h, m.cn_fallback)
    {
        return ClientVerdict {
            client: m.client,
            trusted: false,
            reason: host_reason(target, h, m.cn_fallback),
            path: vec![target],
        };
    }
    let mut best: Option<Best> = None;
    for full in &f.paths {
        // Every prefix that ends at an acceptable anchor is a candidate.
        for end in 1..=full.len() {
            let p = &full[..end];
            let top = p[end - 1];
            let anchor_ok = f.in_store[top]
                && match m.anchors {
                    AnchorRule::AnyInStore => true,
                    AnchorRule::SelfSigned => f.self_signed[top],
                };
            if !anchor_ok {
                continue;
            }
            match check_path(m, f, p, time) {
                Ok(()) => {
                    let path = to_certs(p);
                    let anchor = path.last().map(|c| label(c)).unwrap_or_default();
                    return ClientVerdict {
                        client: m.client,
                        trusted: true,
                        reason: format!(
                            "path of {} certificate{} to the anchor {anchor}",
                            path.len(),
                            if path.len() == 1 { "" } else { "s" }
                        ),
                        path,
                    };
                }
                Err((depth, reason)) => keep(&mut best, depth, reason, p),
            }
        }
    }
    let fallback = || {
        // No path reached an anchor this client accepts: say where it ends.
        let longest = f
            .paths
            .iter()
            .max_by_key(|p| p.len())
            .cloned()
            .unwrap_or_else(|| vec![0]);
        let top = longest.last().copied().unwrap_or(0);
        let c = f.certs[top];
        let reason = if f.in_store[top] && m.anchors == AnchorRule::SelfSigned {
            format!(
                "{} is in the trust store but is not self-signed, and its issuer `{}` is in neither the chain nor the store; {} needs a self-signed root as the anchor (no partial chains)",
                label(c),
                c.issuer,
                m.name
            )
        } else if f.self_signed[top] && longest.len() > 1 {
            format!(
                "the chain ends at the self-signed {}, which is not in the trust store",
                label(c)
            )
        } else if f.self_signed[top] {
            format!("{} is self-signed and not in the trust store", label(c))
        } else {
            let aia = if m.fetches_aia {
                " (it would try the AIA caIssuers URL, if the certificate has one)"
            } else {
                ""
            };
            format!(
                "unable to get the issuer `{}` of {}: it is in neither the chain nor the trust store{aia}",
                c.issuer,
                label(c)
            )
        };
        Best {
            depth: 0,
            reason,
            path: longest,
        }
    };
    let b = best.unwrap_or_else(fallback);
    let truncated = if f.truncated {
        " (the path search stopped at its bound)"
    } else {
        ""
    };
    ClientVerdict {
        client: m.client,
        trusted: false,
        reason: format!("{}{truncated}", b.reason),
        path: to_certs(&b.path),
    }
}

fn keep(best: &mut Option<Best>, depth: usize, reason: String, p: &[usize]) {
    if best.as_ref().is_none_or(|b| depth > b.depth) {
        *best = Some(Best {
            depth,
            reason,
            path: p.to_vec(),
        });
    }
}

/// Check one candidate path (target first, anchor last) by `m`'s rules.
/// The error carries how far up the path it was found, for choosing the
/// most telling failure.
fn check_path(
    m: &Model,
    f: &Found<'_>,
    p: &[usize],
    time: OffsetDateTime,
) -> Result<(), (usize, String)> {
    let t = time.replace_nanosecond(0).unwrap_or(time);
    let n = p.len();
    let certs: Vec<&Cert> = p.iter().map(|&i| f.certs[i]).collect();
    let err =
        |depth: usize, c: &Cert, why: String| Err((depth + 1, format!("{}: {why}", label(c))));
    // Intermediates below each position that count for pathLen (RFC 5280:
    // non-self-issued ones).
    for (depth, c) in certs.iter().enumerate() {
        let is_anchor = depth == n - 1;
        let is_target = depth == 0;
        if !is_anchor || m.anchor_dates_checked {
            if t < c.not_before {
                return err(
                    depth,
                    c,
                    format!("not valid before {}", format_time(c.not_before)),
                );
            }
            if t > c.not_after {
                return err(depth, c, format!("expired on {}", format_time(c.not_after)));
            }
        }
        if let Some(oid) = c.unknown_critical_extensions.first() {
            return err(depth, c, format!("unknown critical extension {oid}"));
        }
        if !is_anchor || m.anchor_key_checked {
            match &c.key {
                KeyKind::Rsa { bits } if *bits < m.min_rsa_bits => {
                    return err(
                        depth,
                        c,
                        format!(
                            "RSA-{bits} key is below the {}-bit minimum of {}",
                            m.min_rsa_bits, m.name
                        ),
                    );
                }
                KeyKind::Dsa { .. } => {
                    return err(depth, c, "DSA keys are not accepted".to_owned());
                }
                KeyKind::Ec {
                    curve: Curve::Other,
                    ..
                } => return err(depth, c, "EC key on an unsupported curve".to_owned()),
                _ => {}
            }
        }
        // The signature on this certificate (the anchor's own is not used).
        if !is_anchor && m.sha1 == Sha1Rule::Reject && c.sig_alg.hash.is_some_and(|h| h.is_weak()) {
            return err(
                depth,
                c,
                format!("signed with {}, which {} rejects", c.sig_alg, m.name),
            );
        }
        if m.strict {
            strict(c, f.self_issued[p[depth]], depth, n)
                .map_err(|why| (depth + 1, format!("{}: {why}", label(c))))?;
        }
        if is_target {
            if let Some(eku) = &c.ext_key_usage
                && !eku.server_auth
                && !eku.any
            {
                return err(
                    depth,
                    c,
                    "extendedKeyUsage does not allow serverAuth".to_owned(),
                );
            }
            continue;
        }
        // An issuer: its link to the certificate below, then CA rules.
        let below = p[depth - 1];
        if let Some(link) = f.links.get(&(below, p[depth]))
            && m.aki_must_match
            && link.aki_mismatch
        {
            return err(
                depth - 1,
                certs[depth - 1],
                format!(
                    "its authorityKeyIdentifier does not match the subjectKeyIdentifier of {}: {} does not take it as the issuer",
                    label(c),
                    m.name
                ),
            );
        }
        let v1_ok = c.version == 1 && is_anchor && m.v1_anchor && f.self_signed[p[depth]];
        if !v1_ok {
            if c.version != 3 {
                return err(
                    depth,
                    c,
                    format!("a version {} certificate cannot act as a CA", c.version),
                );
            }
            match c.basic_constraints {
                Some(bc) if bc.ca => {
                    let below_ca = p[1..depth].iter().filter(|&&x| !f.self_issued[x]).count();
                    if let Some(len) = bc.path_len
                        && below_ca > len as usize
                    {
                        return err(
                            depth,
                            c,
                            format!(
                                "pathLenConstraint {len} allows {len} intermediate(s) below it, the path has {below_ca}"
                            ),
                        );
                    }
                }
                _ => {
                    return err(
                        depth,
                        c,
                        "issues certificates but is not a CA (basicConstraints)".to_owned(),
                    );
                }
            }
            if c.key_usage.is_some_and(|k| !k.key_cert_sign()) {
                return err(depth, c, "keyUsage lacks keyCertSign".to_owned());
            }
        }
        if m.eku_on_cas
            && let Some(eku) = &c.ext_key_usage
            && !eku.server_auth
            && !eku.any
        {
            return err(
                depth,
                c,
                format!(
                    "a CA whose extendedKeyUsage excludes serverAuth; {} applies it to the whole chain",
                    m.name
                ),
            );
        }
    }
    let intermediates = n.saturating_sub(2);
    if intermediates > m.max_intermediates {
        return Err((
            n,
            format!(
                "the path has {intermediates} intermediates, more than {} allows",
                m.name
            ),
        ));
    }
    super::path::check_name_constraints(&certs).map_err(|e| (n, e.to_string()))
}

/// OpenSSL's `X509_V_FLAG_X509_STRICT` checks (crypto/x509/v3_purp.c and
/// x509_vfy.c `check_extensions`).
fn strict(c: &Cert, self_issued: bool, depth: usize, n: usize) -> Result<(), String> {
    let is_ca_position = depth > 0;
    if is_ca_position {
        if c.version != 3 {
            return Err("strict mode: a CA must be version 3".to_owned());
        }
        match c.basic_constraints {
            Some(bc) if bc.ca && !bc.critical => {
                return Err("strict mode: a CA's basicConstraints must be critical".to_owned());
            }
            _ => {}
        }
        if c.ski.is_none() {
            return Err("strict mode: a CA must have a subjectKeyIdentifier".to_owned());
        }
    }
    if !(self_issued && depth == n - 1) && c.aki.is_none() && c.version == 3 {
        return Err("strict mode: authorityKeyIdentifier is missing".to_owned());
    }
    Ok(())
}

/// Host-name check as the client does it: DNS and IP subjectAltNames; the
/// subject CN only with `cn_fallback` and only when there is no DNS SAN.
pub fn host_ok(c: &Cert, host: &str, cn_fallback: bool) -> bool {
    if c.matches_host(host) {
        return true;
    }
    let is_ip = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<std::net::IpAddr>()
        .is_ok();
    cn_fallback
        && !is_ip
        && c.dns_sans().next().is_none()
        && c.common_name()
            .is_some_and(|cn| super::model::dns_name_matches(&cn, host))
}

fn host_reason(c: &Cert, host: &str, cn_fallback: bool) -> String {
    if c.sans.is_empty() && !cn_fallback {
        format!(
            "{} has no subjectAltName, and this client ignores the subject CN: {host} does not match",
            label(c)
        )
    } else {
        format!("{host} is not covered by the names of {}", label(c))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    /// The model table in docs/clients.md says what [`MODELS`] says: a
    /// change to a model that leaves the docs behind fails here.
    #[test]
    fn the_docs_model_table_matches_the_models() {
        let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/clients.md"))
            .unwrap();
        let rows: Vec<Vec<&str>> = docs
            .lines()
            .skip_while(|l| !l.starts_with("| field "))
            .take_while(|l| l.starts_with('|'))
            .filter(|l| !l.starts_with("|--"))
            .map(|l| l.trim_matches('|').split('|').map(str::trim).collect())
            .collect();
        let header: Vec<&str> = MODELS.iter().map(|m| m.name).collect();
        assert_eq!(rows.first().map(|r| &r[1..]), Some(header.as_slice()));
        let row = |label: &str| {
            let row = rows.iter().find(|r| r[0] == label);
            &row.unwrap_or_else(|| panic!("docs/clients.md: no row `{label}`"))[1..]
        };
        let check = |label: &str, want: Vec<String>| {
            assert_eq!(
                row(label),
                want.as_slice(),
                "docs/clients.md, row `{label}`"
            );
        };
        type Flag = fn(&Model) -> bool;
        let yes_no: [(&str, Flag); 8] = [
            ("EKU checked on CAs", |m| m.eku_on_cas),
            ("AKI must match SKI", |m| m.aki_must_match),
            ("anchor key checked", |m| m.anchor_key_checked),
            ("CN fallback", |m| m.cn_fallback),
            ("anchor dates checked", |m| m.anchor_dates_checked),
            ("v1 anchor", |m| m.v1_anchor),
            ("X.509 strict", |m| m.strict),
            ("AIA fetching", |m| m.fetches_aia),
        ];
        for (label, field) in yes_no {
            let word = |m: &Model| if field(m) { "yes" } else { "no" }.to_owned();
            check(label, MODELS.iter().map(word).collect());
        }
        let each = |f: fn(&Model) -> String| MODELS.iter().map(f).collect::<Vec<_>>();
        check("smallest RSA key", each(|m| m.min_rsa_bits.to_string()));
        check("maximum depth", each(|m| m.max_intermediates.to_string()));
        check(
            "trust anchor",
            each(|m| match m.anchors {
                AnchorRule::SelfSigned => "self-signed".into(),
                AnchorRule::AnyInStore => "any".into(),
            }),
        );
        check(
            "SHA-1 below anchor",
            each(|m| format!("{:?}", m.sha1).to_lowercase()),
        );
        check(
            "evidence",
            each(|m| match m.evidence {
                Evidence::Measured => "measured".into(),
                Evidence::ReadFromSource => "source".into(),
            }),
        );
        // Every row of the table was checked: the header and 13 fields.
        assert_eq!(
            rows.len(),
            1 + yes_no.len() + 5,
            "rows of the table: {rows:?}"
        );
    }
}
