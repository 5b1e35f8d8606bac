//! A certification path validator: "would a client holding these anchors
//! trust this chain?". It takes trust anchors, an unordered pool of
//! intermediates (which may hold decoys, cycles and cross-signs), a target
//! and a validation time, and searches depth-first over alternative issuers
//! with a work budget, so pathological inputs end quickly.
//!
//! Checks on every certificate of a candidate path: validity at the given
//! time, signature, unknown critical and duplicate extensions, weak keys, and
//! the structural rules of RFC 5280 that strict verifiers (OpenSSL
//! `-x509_strict`, rustls-webpki) enforce. Issuers must be CAs
//! (basicConstraints CA:TRUE; criticality is the linter's CS306, as in
//! RFC 5280 §6.1.4 (k) and PKITS 4.6.4), with keyCertSign when keyUsage is
//! present, and their pathLenConstraint must hold (self-issued intermediates
//! do not count, RFC 5280 §6.1.4 (l)). DNS name constraints are applied to
//! the DNS SANs below each constraining CA, with a work cap.
use std::collections::HashMap;

use ::time::OffsetDateTime;
use x509_parser::extensions::ParsedExtension;
use x509_parser::prelude::{FromDer, X509Certificate};

use super::model::{Cert, Curve, KeyKind, KeyUsage};
use super::verify::{self, SigCheck};

/// What the validator is asked for.
#[derive(Debug, Clone)]
pub struct PathOptions {
    pub time: OffsetDateTime,
    /// Most intermediates a path may hold (`None`: the default limit).
    pub max_intermediates: Option<usize>,
    /// Check the target for TLS server use (EKU serverAuth when EKU is present).
    pub server: bool,
    /// keyUsage bits the target must have when it has a keyUsage extension.
    pub required_key_usage: u16,
    /// Signature checks and issuer candidates the search may try in total.
    pub budget: usize,
}

/// Where signature checks come from: a shared cache, or a fresh one.
#[derive(Clone, Copy)]
pub enum Sigs<'v> {
    Fresh,
    Shared(&'v super::chain::Verifier),
}

/// Intermediates allowed when no limit is given (webpki allows 6 sub-CAs;
/// real chains use 1-3).
pub const DEFAULT_MAX_INTERMEDIATES: usize = 8;
/// Candidate steps one validation may take.
pub const DEFAULT_BUDGET: usize = 256;

impl PathOptions {
    pub fn new(time: OffsetDateTime) -> Self {
        PathOptions {
            time,
            max_intermediates: None,
            server: true,
            required_key_usage: 0,
            budget: DEFAULT_BUDGET,
        }
    }
}

/// The answer: trusted or not, the path found (target first, anchor last),
/// and a reason a person can act on.
#[derive(Debug, Clone)]
pub struct Verdict<'a> {
    pub trusted: bool,
    pub path: Vec<&'a Cert>,
    pub reason: String,
}

struct Search<'a, 'o> {
    anchors: &'a [&'a Cert],
    opts: &'o PathOptions,
    by_subject: HashMap<&'a [u8], Vec<(bool, &'a Cert)>>,
    /// Fallback lookup by normalised name (case and spacing, RFC 5280 §7.1).
    by_norm: HashMap<String, Vec<(bool, &'a Cert)>>,
    sigs: HashMap<([u8; 32], [u8; 32]), bool>,
    shared: Sigs<'o>,
    steps: usize,
    /// The failure seen deepest in the search, with its depth.
    best_error: Option<(usize, String)>,
}

/// Find a valid path from `target` to one of `anchors` through `pool`.
pub fn validate<'a>(
    target: &'a Cert,
    pool: &'a [&'a Cert],
    anchors: &'a [&'a Cert],
    opts: &PathOptions,
) -> Verdict<'a> {
    validate_with(target, pool, anchors, opts, Sigs::Fresh)
}

/// `validate`, with signature checks shared with (and cached in) a `Verifier`.
pub fn validate_with<'a, 'o>(
    target: &'a Cert,
    pool: &'a [&'a Cert],
    anchors: &'a [&'a Cert],
    opts: &'o PathOptions,
    sigs: Sigs<'o>,
) -> Verdict<'a> {
    let mut by_subject: HashMap<&'a [u8], Vec<(bool, &'a Cert)>> = HashMap::new();
    let mut by_norm: HashMap<String, Vec<(bool, &'a Cert)>> = HashMap::new();
    let all = anchors.iter().map(|a| (true, *a)).chain(
        pool.iter()
            .filter(|p| !anchors.iter().any(|a| a.sha256 == p.sha256))
            .map(|p| (false, *p)),
    );
    for (anchor, c) in all {
        by_subject
            .entry(c.subject_raw.as_slice())
            .or_default()
            .push((anchor, c));
        by_norm
            .entry(norm(&c.subject))
            .or_default()
            .push((anchor, c));
    }
    let mut s = Search {
        anchors,
        opts,
        by_subject,
        by_norm,
        sigs: HashMap::new(),
        shared: sigs,
        steps: 0,
        best_error: None,
    };
    let fail = |reason: String| Verdict {
        trusted: false,
        path: vec![target],
        reason,
    };
    if let Err(e) = s.check_cert(target, Position::Target) {
        return fail(format!("{}: {e}", label(target)));
    }
    // A target that is itself a trust anchor is trusted directly.
    if s.anchors.iter().any(|a| a.sha256 == target.sha256) {
        return Verdict {
            trusted: true,
            path: vec![target],
            reason: format!("{} is itself a trust anchor", label(target)),
        };
    }
    let mut chain = vec![target];
    if s.extend(&mut chain) {
        let anchor = chain.last().map(|c| label(c)).unwrap_or_default();
        return Verdict {
            trusted: true,
            reason: format!(
                "valid path of {} certificates to the trust anchor {anchor}",
                chain.len()
            ),
            path: chain,
        };
    }
    let reason = s
        .best_error
        .map(|(_, e)| e)
        .unwrap_or_else(|| format!("no issuer of {} was found", label(target)));
    fail(reason)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Position {
    Target,
    /// An issuer with this many non-self-issued intermediates below it.
    Issuer {
        below: usize,
        anchor: bool,
    },
}

/// `2026-11-22 13:05:00 UTC`
fn when(t: OffsetDateTime) -> String {
    let t = t.to_offset(::time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Light RFC 5280 §7.1 name comparison: case-insensitive, internal runs of
/// spaces collapsed, spaces around attribute values ignored.
fn norm(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
        .replace(" ,", ",")
        .replace("= ", "=")
}

fn label(c: &Cert) -> String {
    format!("`{}` [{}]", c.subject, c.short_id())
}

impl<'a> Search<'a, '_> {
    fn note(&mut self, depth: usize, e: String) {
        if self.best_error.as_ref().is_none_or(|(d, _)| depth > *d) {
            self.best_error = Some((depth, e));
        }
    }

    fn signed_by(&mut self, child: &Cert, issuer: &Cert) -> Result<(), String> {
        let key = (child.sha256, issuer.sha256);
        let ok = match self.sigs.get(&key) {
            Some(v) => *v,
            None => {
                let r = match self.shared {
                    Sigs::Shared(v) => v.check(child, issuer),
                    Sigs::Fresh => verify::check(child, issuer),
                };
                let v = r == SigCheck::Valid;
                self.sigs.insert(key, v);
                if let SigCheck::Unsupported(why) = r {
                    return Err(format!(
                        "the signature of {} cannot be checked: {why}",
                        label(child)
                    ));
                }
                v
            }
        };
        if ok {
            Ok(())
        } else {
            Err(format!(
                "the signature of {} does not verify with the key of {}",
                label(child),
                label(issuer)
            ))
        }
    }

    /// Depth-first search upward from the last certificate of `chain`.
    fn extend(&mut self, chain: &mut Vec<&'a Cert>) -> bool {
        let cur = match chain.last() {
            Some(c) => *c,
            None => return false,
        };
        let depth = chain.len();
        let mut cands: Vec<(bool, &'a Cert)> = self
            .by_subject
            .get(cur.issuer_raw.as_slice())
            .or_else(|| self.by_norm.get(&norm(&cur.issuer)))
            .cloned()
            .unwrap_or_default();
        if cands.is_empty() {
            self.note(
                depth,
                format!(
                    "no issuer `{}` of {} is in the chain or the trust store{}",
                    cur.issuer,
                    label(cur),
                    cur.aki
                        .as_ref()
                        .map(|a| format!(" (AKI {})", hex::encode(a)))
                        .unwrap_or_default()
                ),
            );
            return false;
        }
        // Anchors first, then candidates whose SKI matches the AKI.
        cands.sort_by_key(|(anchor, c)| {
            let kid = match (&cur.aki, &c.ski) {
                (Some(a), Some(s)) => a != s,
                _ => false,
            };
            (!*anchor, kid)
        });
        let intermediates_below = chain[1..].iter().filter(|c| !c.is_self_issued()).count();
        for (is_anchor, cand) in cands {
            self.steps += 1;
            if self.steps > self.opts.budget {
                self.note(
                    usize::MAX,
                    "path search gave up: too many candidate issuers (work budget exhausted)"
                        .to_owned(),
                );
                return false;
            }
            if chain.iter().any(|c| {
                c.sha256 == cand.sha256
                    || (c.subject_raw == cand.subject_raw && c.spki == cand.spki)
            }) {
                self.note(
                    depth,
                    format!("issuers of {} loop back into the path", label(cur)),
                );
                continue;
            }
            if let Err(e) = self.signed_by(cur, cand) {
                self.note(depth, e);
                continue;
            }
            let pos = Position::Issuer {
                below: intermediates_below,
                anchor: is_anchor,
            };
            if let Err(e) = self.check_cert(cand, pos) {
                self.note(depth + 1, format!("{}: {e}", label(cand)));
                continue;
            }
            chain.push(cand);
            if is_anchor {
                match name_constraints(chain) {
                    Ok(()) => return true,
                    Err(e) => {
                        self.note(depth + 1, e);
                        chain.pop();
                        continue;
                    }
                }
            }
            let max = self
                .opts
                .max_intermediates
                .unwrap_or(DEFAULT_MAX_INTERMEDIATES);
            // Self-issued intermediates (key rollover) are not logical hops.
            let logical = chain[1..].iter().filter(|c| !c.is_self_issued()).count();
            if logical > max {
                self.note(
                    depth + 1,
                    format!("the path needs more than {max} intermediate certificates"),
                );
                chain.pop();
                continue;
            }
            if self.extend(chain) {
                return true;
            }
            chain.pop();
            if self.steps > self.opts.budget {
                return false;
            }
        }
        false
    }

    fn check_cert(&self, c: &Cert, pos: Position) -> Result<(), String> {
        // Certificate times have whole seconds; so does the comparison.
        let t = self
            .opts
            .time
            .replace_nanosecond(0)
            .unwrap_or(self.opts.time);
        if t < c.not_before {
            return Err(format!("not valid before {}", when(c.not_before)));
        }
        if t > c.not_after {
            return Err(format!("expired on {}", when(c.not_after)));
        }
        if let Some(oid) = c.unknown_critical_extensions.first() {
            return Err(format!("unknown critical extension {oid}"));
        }
        if let Some(oid) = c.duplicate_extensions.first() {
            return Err(format!("extension {oid} appears twice"));
        }
        if c.version != 3 {
            return Err(format!(
                "X.509 version {} certificates are not accepted",
                c.version
            ));
        }
        match &c.key {
            KeyKind::Rsa { bits } if *bits < 2048 || bits % 8 != 0 => {
                return Err(format!("RSA-{bits} key is not accepted"));
            }
            KeyKind::Dsa { .. } => return Err("DSA keys are not accepted".to_owned()),
            KeyKind::Ec {
                curve: Curve::Other,
                ..
            } => {
                return Err("EC key on an unnamed or unsupported curve".to_owned());
            }
            _ => {}
        }
        let bc = c.basic_constraints;
        let ku = c.key_usage;
        if ku.is_some_and(|k| k.key_cert_sign()) && !bc.is_some_and(|b| b.ca) {
            return Err("keyUsage keyCertSign without basicConstraints CA:TRUE".to_owned());
        }
        strict(c, pos, self.shared)?;
        match pos {
            Position::Target => {
                if self.opts.server
                    && let Some(eku) = &c.ext_key_usage
                    && !eku.server_auth
                    && !eku.any
                {
                    return Err("extendedKeyUsage lacks serverAuth".to_owned());
                }
                let need = self.opts.required_key_usage;
                if need != 0 && ku.is_some_and(|k| k.flags & need != need) {
                    let missing = KeyUsage {
                        flags: need,
                        critical: false,
                    }
                    .names()
                    .join(", ");
                    return Err(format!("keyUsage lacks {missing}"));
                }
            }
            Position::Issuer { below, .. } => {
                let Some(bc) = bc else {
                    return Err("issues certificates but has no basicConstraints".to_owned());
                };
                if !bc.ca {
                    return Err("issues certificates but basicConstraints is CA:FALSE".to_owned());
                }
                if ku.is_some_and(|k| !k.key_cert_sign()) {
                    return Err("keyUsage lacks keyCertSign".to_owned());
                }
                if let Some(max) = bc.path_len
                    && below > max as usize
                {
                    return Err(format!(
                        "pathLenConstraint {max} allows {max} intermediate(s) below it, but the path has {below}"
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Structural checks that need the extensions as encoded.
fn strict(c: &Cert, pos: Position, sigs: Sigs<'_>) -> Result<(), String> {
    let Ok((_, x)) = X509Certificate::from_der(&c.der) else {
        return Err("the certificate does not parse".to_owned());
    };
    if x.tbs_certificate.signature != x.signature_algorithm {
        return Err(
            "the signature algorithm inside the certificate differs from the outer one".to_owned(),
        );
    }
    if x.issuer().iter().next().is_none() {
        return Err("the issuer name is empty".to_owned());
    }
    let is_issuer = matches!(pos, Position::Issuer { .. });
    if is_issuer && x.subject().iter().next().is_none() {
        return Err("a CA with an empty subject name".to_owned());
    }
    if let Ok(x509_parser::public_key::PublicKey::RSA(rsa)) = x.public_key().parsed() {
        let m: Vec<u8> = rsa
            .modulus
            .iter()
            .copied()
            .skip_while(|b| *b == 0)
            .collect();
        if let Some(first) = m.first() {
            let bits = (m.len() - 1) * 8 + (8 - first.leading_zeros() as usize);
            if !bits.is_multiple_of(8) {
                return Err(format!(
                    "RSA modulus of {bits} bits (not a whole number of bytes)"
                ));
            }
        }
    }
    let self_signed = c.is_self_issued()
        && match sigs {
            Sigs::Shared(v) => v.check(c, c),
            Sigs::Fresh => verify::check(c, c),
        } == SigCheck::Valid;
    let mut has_aki = false;
    let mut has_ski = false;
    for ext in x.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::AuthorityKeyIdentifier(aki) => {
                has_aki = aki.key_identifier.is_some();
                if ext.critical {
                    return Err("authorityKeyIdentifier is marked critical".to_owned());
                }
                if self_signed
                    && (aki.key_identifier.is_none()
                        || aki.authority_cert_issuer.is_some()
                        || aki.authority_cert_serial.is_some())
                {
                    return Err(
                        "a root's authorityKeyIdentifier must hold only a key identifier"
                            .to_owned(),
                    );
                }
                if self_signed
                    && let (Some(k), Some(s)) = (&aki.key_identifier, &c.ski)
                    && k.0 != s.as_slice()
                {
                    return Err(
                        "a root's authorityKeyIdentifier differs from its subjectKeyIdentifier"
                            .to_owned(),
                    );
                }
            }
            ParsedExtension::SubjectKeyIdentifier(_) => {
                has_ski = true;
                if ext.critical {
                    return Err("subjectKeyIdentifier is marked critical".to_owned());
                }
            }
            ParsedExtension::ParseError { .. } => {
                return Err(format!("extension {} is malformed", ext.oid.to_id_string()));
            }
            _ => {}
        }
    }
    let anchor = matches!(pos, Position::Issuer { anchor: true, .. });
    if !self_signed && !anchor && !has_aki {
        return Err("authorityKeyIdentifier is missing".to_owned());
    }
    if is_issuer && !has_ski {
        return Err("a CA without subjectKeyIdentifier".to_owned());
    }
    Ok(())
}

/// Name checks one path may do before it is refused (OpenSSL caps the same
/// quadratic work; limbo's nc-dos cases expect a refusal).
const NAME_CONSTRAINT_BUDGET: usize = 1 << 20;

/// DNS name constraints (RFC 5280 §4.2.1.10) of every CA in `chain`,
/// applied to the DNS SANs of the certificates below it. Wildcard SANs are
/// judged defensively (CVE-2025-61727): `*.example.com` violates an
/// exclusion of `bar.example.com` and is not inside a permit of
/// `foo.example.com`. Other name forms are not constrained here.
fn name_constraints(chain: &[&Cert]) -> Result<(), String> {
    for (k, ca) in chain.iter().enumerate().skip(1) {
        let Ok((_, x)) = X509Certificate::from_der(&ca.der) else {
            continue;
        };
        for ext in x.extensions() {
            let ParsedExtension::NameConstraints(nc) = ext.parsed_extension() else {
                continue;
            };
            let dns = |subtrees: &Option<Vec<x509_parser::extensions::GeneralSubtree<'_>>>| -> (usize, Vec<String>) {
                let all = subtrees.as_deref().unwrap_or(&[]);
                let names = all
                    .iter()
                    .filter_map(|t| match t.base {
                        x509_parser::extensions::GeneralName::DNSName(d) => Some(d.to_ascii_lowercase()),
                        _ => None,
                    })
                    .collect();
                (all.len(), names)
            };
            let (n_permit, permit) = dns(&nc.permitted_subtrees);
            let (n_exclude, exclude) = dns(&nc.excluded_subtrees);
            for child in &chain[..k] {
                let names: Vec<String> = child.dns_sans().map(|d| d.to_ascii_lowercase()).collect();
                let subject_attrs = X509Certificate::from_der(&child.der)
                    .map(|(_, c)| c.subject().iter_attributes().count())
                    .unwrap_or(0);
                let work = (n_permit + n_exclude).saturating_mul(child.sans.len() + subject_attrs);
                if work > NAME_CONSTRAINT_BUDGET {
                    return Err(format!(
                        "{}: checking {} name constraints against {} names is too much work; refused",
                        label(ca),
                        n_permit + n_exclude,
                        child.sans.len() + subject_attrs
                    ));
                }
                for n in &names {
                    if let Some(c) = exclude.iter().find(|c| excluded_hit(n, c)) {
                        return Err(format!(
                            "{}: name {n} of {} is in the excluded subtree {c}",
                            label(ca),
                            label(child)
                        ));
                    }
                    if !permit.is_empty() && !permit.iter().any(|c| permitted_hit(n, c)) {
                        return Err(format!(
                            "{}: name {n} of {} is outside the permitted subtrees",
                            label(ca),
                            label(child)
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}

/// Is DNS name `n` inside the subtree `c` (`example.com` or `.example.com`)?
fn within(n: &str, c: &str) -> bool {
    if c.is_empty() {
        return true;
    }
    match c.strip_prefix('.') {
        Some(suffix) => n.ends_with(&format!(".{suffix}")),
        None => n == c || n.ends_with(&format!(".{c}")),
    }
}

fn excluded_hit(n: &str, c: &str) -> bool {
    match n.strip_prefix("*.") {
        // The wildcard might stand for any name one label below `base`.
        Some(base) => {
            within(base, c)
                || (!c.starts_with('.')
                    && c.split_once('.')
                        .is_some_and(|(l, rest)| !l.is_empty() && rest == base))
        }
        None => within(n, c),
    }
}

fn permitted_hit(n: &str, c: &str) -> bool {
    match n.strip_prefix("*.") {
        // Every name the wildcard stands for must be inside `c`.
        Some(base) => match c.strip_prefix('.') {
            Some(suffix) => base == suffix || base.ends_with(&format!(".{suffix}")),
            None => within(base, c),
        },
        None => within(n, c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_subtrees() {
        assert!(within("a.example.com", "example.com") && within("example.com", "example.com"));
        assert!(!within("badexample.com", "example.com"));
        assert!(within("a.example.com", ".example.com") && !within("example.com", ".example.com"));
    }

    #[test]
    fn wildcards_are_judged_defensively() {
        assert!(excluded_hit("*.example.com", "bar.example.com"));
        assert!(!excluded_hit("*.example.com", "a.bar.example.com"));
        assert!(excluded_hit("*.example.com", "example.com"));
        assert!(!excluded_hit("*.example.org", "example.com"));
        assert!(!permitted_hit("*.example.com", "foo.example.com"));
        assert!(permitted_hit("*.example.com", "example.com"));
        assert!(permitted_hit("*.example.com", ".example.com"));
        assert!(permitted_hit("www.example.com", "example.com"));
    }
}
