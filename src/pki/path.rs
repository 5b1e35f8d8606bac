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
//! do not count, RFC 5280 §6.1.4 (l)). Name constraints (DNS, IP, email,
//! URI host, directory name) are applied to the names below each
//! constraining CA, with a work cap; see `name_constraints`.
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use ::time::OffsetDateTime;
use x509_parser::extensions::{GeneralName, ParsedExtension};
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

/// Candidate issuers, each with "is a trust anchor", in the order tried.
type Candidates<'a> = Rc<[(bool, &'a Cert)]>;

struct Search<'a, 'o> {
    opts: &'o PathOptions,
    by_subject: HashMap<&'a [u8], Vec<(bool, &'a Cert)>>,
    /// Fallback lookup by normalised name (case and spacing, RFC 5280 §7.1).
    by_norm: HashMap<String, Vec<(bool, &'a Cert)>>,
    sigs: HashMap<([u8; 32], [u8; 32]), bool>,
    /// Candidate issuers per (issuer name, AKI), sorted once: a pile of
    /// same-name certificates is looked up and ordered once, not per step.
    cands: HashMap<(&'a [u8], Option<&'a [u8]>), Candidates<'a>>,
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
    let anchor_fps: HashSet<[u8; 32]> = anchors.iter().map(|a| a.sha256).collect();
    let all = anchors.iter().map(|a| (true, *a)).chain(
        pool.iter()
            .filter(|p| !anchor_fps.contains(&p.sha256))
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
        opts,
        by_subject,
        by_norm,
        sigs: HashMap::new(),
        cands: HashMap::new(),
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
    if anchor_fps.contains(&target.sha256) {
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

    /// The certificates that may have issued `cur`, anchors first, then
    /// those whose SKI matches its AKI (stable otherwise); computed once per
    /// (issuer name, AKI).
    fn candidates(&mut self, cur: &'a Cert) -> Candidates<'a> {
        let key = (cur.issuer_raw.as_slice(), cur.aki.as_deref());
        if let Some(c) = self.cands.get(&key) {
            return Rc::clone(c);
        }
        let mut cands: Vec<(bool, &'a Cert)> = self
            .by_subject
            .get(cur.issuer_raw.as_slice())
            .or_else(|| self.by_norm.get(&norm(&cur.issuer)))
            .cloned()
            .unwrap_or_default();
        cands.sort_by_key(|(anchor, c)| {
            let kid = match (&cur.aki, &c.ski) {
                (Some(a), Some(s)) => a != s,
                _ => false,
            };
            (!*anchor, kid)
        });
        let cands: Candidates<'a> = cands.into();
        self.cands.insert(key, Rc::clone(&cands));
        cands
    }

    /// Depth-first search upward from the last certificate of `chain`.
    fn extend(&mut self, chain: &mut Vec<&'a Cert>) -> bool {
        let cur = match chain.last() {
            Some(c) => *c,
            None => return false,
        };
        let depth = chain.len();
        let cands = self.candidates(cur);
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
        let intermediates_below = chain[1..].iter().filter(|c| !c.is_self_issued()).count();
        for &(is_anchor, cand) in cands.iter() {
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

/// Name constraints (RFC 5280 §4.2.1.10) of every CA in `chain`, applied to
/// the names of the certificates below it: DNS names, IP addresses, email
/// addresses (SANs and the subject's emailAddress), URIs (by host) and
/// directory names (the subject and directoryName SANs). A constraint of a
/// form not processed here (otherName, x400Address, ediPartyName,
/// registeredID) rejects the path only if a certificate below has a name of
/// that form, as §4.2.1.10 allows ("process the constraint or reject").
/// Malformed constraints, malformed names under a constraint of their form,
/// an empty extension and the extension in a non-CA certificate reject the
/// path. Self-issued intermediates are not checked (§6.1.3 (b)). Wildcard
/// SANs are judged defensively (CVE-2025-61727): `*.example.com` violates
/// an exclusion of `bar.example.com` and is not inside a permit of
/// `foo.example.com`.
/// Name constraints along a path (target first, anchor last), for callers
/// that built the path themselves (`pki::clients`).
pub fn check_name_constraints(chain: &[&Cert]) -> Result<(), String> {
    name_constraints(chain)
}

fn name_constraints(chain: &[&Cert]) -> Result<(), String> {
    // Each certificate's names are read once, however many CAs above it
    // constrain them.
    let mut names_of: Vec<Option<Names>> = (0..chain.len()).map(|_| None).collect();
    for (k, ca) in chain.iter().enumerate() {
        let Some(nc) = Constraints::of(ca)? else {
            continue;
        };
        if k == 0 {
            if !ca.is_ca() {
                return Err(format!(
                    "{}: name constraints in a certificate that is not a CA",
                    label(ca)
                ));
            }
            continue;
        }
        for (j, child) in chain[..k].iter().enumerate() {
            if j != 0 && child.is_self_issued() {
                continue;
            }
            let names = names_of[j].get_or_insert_with(|| Names::of(child));
            let work = nc.len().saturating_mul(names.len());
            if work > NAME_CONSTRAINT_BUDGET {
                return Err(format!(
                    "{}: checking {} name constraints against {} names is too much work; refused",
                    label(ca),
                    nc.len(),
                    names.len()
                ));
            }
            nc.check(names).map_err(|e| {
                format!(
                    "{}: the nameConstraints of {} reject it: {e}",
                    label(child),
                    label(ca)
                )
            })?;
        }
    }
    Ok(())
}

/// One name constraint base, parsed and checked for form.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Base {
    Dns(String),
    Ip {
        net: Vec<u8>,
        mask: Vec<u8>,
    },
    Email(String),
    Uri(String),
    Dn(Vec<(String, String)>),
    /// A form this validator does not process, by its name.
    Other(&'static str),
}

/// The name forms a certificate carries, for constraint checks.
#[derive(Debug, Default)]
struct Names {
    dns: Vec<String>,
    /// Raw iPAddress SAN contents (4 or 16 bytes when well formed).
    ip: Vec<Vec<u8>>,
    email: Vec<String>,
    uri: Vec<String>,
    dn: Vec<Vec<(String, String)>>,
    /// Forms not processed here that appear in the certificate.
    other: Vec<&'static str>,
}

impl Names {
    fn of(c: &Cert) -> Names {
        let mut n = Names::default();
        let Ok((_, x)) = X509Certificate::from_der(&c.der) else {
            return n;
        };
        // The subject's emailAddress attributes, as written (a mailbox's
        // local part is case-sensitive), are email names too (§4.2.1.10).
        n.email.extend(
            x.subject()
                .iter_email()
                .filter_map(|a| a.as_str().ok())
                .map(str::to_owned),
        );
        let subject = rdns(x.subject());
        if !subject.is_empty() {
            n.dn.push(subject);
        }
        if let Ok(Some(san)) = x.subject_alternative_name() {
            for g in &san.value.general_names {
                n.add(g);
            }
        }
        n
    }

    fn add(&mut self, g: &GeneralName<'_>) {
        match g {
            GeneralName::DNSName(d) => self.dns.push(d.to_ascii_lowercase()),
            GeneralName::IPAddress(b) => self.ip.push(b.to_vec()),
            GeneralName::RFC822Name(e) => self.email.push((*e).to_owned()),
            GeneralName::URI(u) => self.uri.push((*u).to_owned()),
            GeneralName::DirectoryName(d) => self.dn.push(rdns(d)),
            other => self.other.push(form_name(other)),
        }
    }

    fn len(&self) -> usize {
        self.dns.len()
            + self.ip.len()
            + self.email.len()
            + self.uri.len()
            + self.dn.len()
            + self.other.len()
    }
}

/// A name as (attribute OID, value) pairs, RDN by RDN; string values are
/// compared case-insensitively with surrounding and repeated spaces folded
/// (RFC 5280 §7.1 asks for RFC 4518 matching; this is its common subset).
fn rdns(name: &x509_parser::x509::X509Name<'_>) -> Vec<(String, String)> {
    name.iter_attributes()
        .map(|a| {
            let value = match a.as_str() {
                Ok(s) => s
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
                    .to_lowercase(),
                Err(_) => hex::encode(a.attr_value().data),
            };
            (a.attr_type().to_id_string(), value)
        })
        .collect()
}

fn form_name(g: &GeneralName<'_>) -> &'static str {
    match g {
        GeneralName::OtherName(..) => "otherName",
        GeneralName::RFC822Name(_) => "rfc822Name",
        GeneralName::DNSName(_) => "dNSName",
        GeneralName::X400Address(_) => "x400Address",
        GeneralName::DirectoryName(_) => "directoryName",
        GeneralName::EDIPartyName(_) => "ediPartyName",
        GeneralName::URI(_) => "uniformResourceIdentifier",
        GeneralName::IPAddress(_) => "iPAddress",
        GeneralName::RegisteredID(_) => "registeredID",
        GeneralName::Invalid(..) => "an unreadable name",
    }
}

/// The parsed name constraints of one CA.
struct Constraints {
    permit: Vec<Base>,
    exclude: Vec<Base>,
}

const NAME_CONSTRAINTS_OID: &str = "2.5.29.30";

impl Constraints {
    /// `Ok(None)` without the extension; an error when it is present but
    /// unreadable, empty, or holds a malformed base.
    fn of(c: &Cert) -> Result<Option<Constraints>, String> {
        if !c.has_name_constraints {
            return Ok(None);
        }
        let Ok((_, x)) = X509Certificate::from_der(&c.der) else {
            return Ok(None);
        };
        let Some(ext) = x
            .extensions()
            .iter()
            .find(|e| e.oid.to_id_string() == NAME_CONSTRAINTS_OID)
        else {
            return Ok(None);
        };
        let ParsedExtension::NameConstraints(nc) = ext.parsed_extension() else {
            return Err(format!("{}: unreadable name constraints", label(c)));
        };
        let bases = |t: &Option<Vec<x509_parser::extensions::GeneralSubtree<'_>>>| {
            t.as_deref()
                .unwrap_or(&[])
                .iter()
                .map(|s| Base::parse(&s.base).map_err(|e| format!("{}: {e}", label(c))))
                .collect::<Result<Vec<Base>, String>>()
        };
        let permit = bases(&nc.permitted_subtrees)?;
        let exclude = bases(&nc.excluded_subtrees)?;
        if permit.is_empty() && exclude.is_empty() {
            return Err(format!(
                "{}: name constraints with neither permitted nor excluded subtrees",
                label(c)
            ));
        }
        Ok(Some(Constraints { permit, exclude }))
    }

    fn len(&self) -> usize {
        self.permit.len() + self.exclude.len()
    }

    /// Does any base, permitted or excluded, satisfy `f`?
    fn has_form(&self, f: impl Fn(&Base) -> bool) -> bool {
        self.permit.iter().chain(&self.exclude).any(f)
    }

    /// Check every name of one certificate: within some permitted base of
    /// its form (when the CA permits any of that form) and in no excluded one.
    fn check(&self, names: &Names) -> Result<(), String> {
        // DNS names.
        if self.has_form(|b| matches!(b, Base::Dns(_))) {
            for n in &names.dns {
                if !dns_name_ok(n) {
                    return Err(format!("malformed DNS name {n} under DNS name constraints"));
                }
                self.one(n, |b| match b {
                    Base::Dns(c) => Some((excluded_hit(n, c), permitted_hit(n, c))),
                    _ => None,
                })?;
            }
        }
        // IP addresses.
        if self.has_form(|b| matches!(b, Base::Ip { .. })) {
            for ip in &names.ip {
                let shown = show_ip(ip);
                if ip.len() != 4 && ip.len() != 16 {
                    return Err(format!(
                        "malformed IP address {shown} under IP name constraints"
                    ));
                }
                self.one(&shown, |b| match b {
                    Base::Ip { net, mask } => {
                        let hit = net.len() == ip.len()
                            && ip
                                .iter()
                                .zip(net)
                                .zip(mask)
                                .all(|((a, n), m)| a & m == n & m);
                        Some((hit, hit))
                    }
                    _ => None,
                })?;
            }
        }
        // Email addresses.
        if self.has_form(|b| matches!(b, Base::Email(_))) {
            for e in &names.email {
                let Some((local, host)) = e
                    .rsplit_once('@')
                    .filter(|(l, h)| !l.is_empty() && !h.is_empty() && !l.contains('@'))
                else {
                    return Err(format!(
                        "malformed email address {e} under email name constraints"
                    ));
                };
                self.one(e, |b| match b {
                    Base::Email(c) => {
                        let hit = email_within(local, host, c);
                        Some((hit, hit))
                    }
                    _ => None,
                })?;
            }
        }
        // URIs, by host.
        if self.has_form(|b| matches!(b, Base::Uri(_))) {
            for u in &names.uri {
                let Some(host) = uri_host(u) else {
                    return Err(format!(
                        "URI {u} has no host to check against URI name constraints"
                    ));
                };
                self.one(u, |b| match b {
                    Base::Uri(c) => {
                        let hit = within(&host, c);
                        Some((hit, hit))
                    }
                    _ => None,
                })?;
            }
        }
        // Directory names.
        if self.has_form(|b| matches!(b, Base::Dn(_))) {
            for dn in &names.dn {
                let shown = dn
                    .iter()
                    .map(|(o, v)| format!("{o}={v}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                self.one(&shown, |b| match b {
                    Base::Dn(c) => {
                        let hit = dn.len() >= c.len() && dn[..c.len()] == c[..];
                        Some((hit, hit))
                    }
                    _ => None,
                })?;
            }
        }
        // Forms not processed here: reject if the certificate has such a name.
        for form in &names.other {
            if self
                .permit
                .iter()
                .chain(&self.exclude)
                .any(|b| *b == Base::Other(form))
            {
                return Err(format!(
                    "name constraints on {form} names, which are not processed"
                ));
            }
        }
        Ok(())
    }

    /// Judge one name against the bases of its form: `hit` gives, for a
    /// base of the name's form, (in the excluded sense, in the permitted
    /// sense), or None for a base of another form.
    fn one(&self, name: &str, hit: impl Fn(&Base) -> Option<(bool, bool)>) -> Result<(), String> {
        if let Some(c) = self.exclude.iter().find(|b| hit(b).is_some_and(|(x, _)| x)) {
            return Err(format!(
                "name {name} is in the excluded subtree {}",
                show_base(c)
            ));
        }
        let mut of_form = self.permit.iter().filter_map(&hit).peekable();
        if of_form.peek().is_some() && !of_form.any(|(_, p)| p) {
            return Err(format!("name {name} is outside the permitted subtrees"));
        }
        Ok(())
    }
}

impl Base {
    fn parse(g: &GeneralName<'_>) -> Result<Base, String> {
        Ok(match g {
            GeneralName::DNSName(d) => {
                let d = d.to_ascii_lowercase();
                if d.starts_with('.') || d.contains('*') || d.contains("..") {
                    return Err(format!("malformed DNS name constraint {d:?}"));
                }
                Base::Dns(d)
            }
            GeneralName::IPAddress(b) => {
                let half = b.len() / 2;
                if b.len() != 8 && b.len() != 32 {
                    return Err(format!(
                        "malformed IP name constraint of {} bytes (CIDR form is 8 or 32)",
                        b.len()
                    ));
                }
                let (net, mask) = b.split_at(half);
                let bits: Vec<bool> = mask
                    .iter()
                    .flat_map(|m| (0..8).rev().map(move |i| m >> i & 1 == 1))
                    .collect();
                if bits.windows(2).any(|w| !w[0] && w[1]) {
                    return Err(format!(
                        "malformed IP name constraint: mask {} is not contiguous",
                        show_ip(mask)
                    ));
                }
                Base::Ip {
                    net: net.to_vec(),
                    mask: mask.to_vec(),
                }
            }
            GeneralName::RFC822Name(e) => {
                if e.matches('@').count() > 1
                    || e.is_empty()
                    || e.starts_with('@')
                    || e.ends_with('@')
                {
                    return Err(format!("malformed email name constraint {e:?}"));
                }
                Base::Email((*e).to_owned())
            }
            GeneralName::URI(u) => {
                if u.contains("://") || u.is_empty() {
                    return Err(format!(
                        "malformed URI name constraint {u:?} (a host or .domain is expected)"
                    ));
                }
                Base::Uri(u.to_ascii_lowercase())
            }
            GeneralName::DirectoryName(d) => Base::Dn(rdns(d)),
            other => Base::Other(form_name(other)),
        })
    }
}

fn show_base(b: &Base) -> String {
    match b {
        Base::Dns(d) => d.clone(),
        Base::Ip { net, mask } => {
            let prefix: u32 = mask.iter().map(|m| m.count_ones()).sum();
            format!("{}/{prefix}", show_ip(net))
        }
        Base::Email(e) | Base::Uri(e) => e.clone(),
        Base::Dn(d) => d
            .iter()
            .map(|(o, v)| format!("{o}={v}"))
            .collect::<Vec<_>>()
            .join(", "),
        Base::Other(f) => (*f).to_owned(),
    }
}

fn show_ip(b: &[u8]) -> String {
    match b.len() {
        4 => std::net::Ipv4Addr::new(b[0], b[1], b[2], b[3]).to_string(),
        16 => {
            let mut a = [0u8; 16];
            a.copy_from_slice(b);
            std::net::Ipv6Addr::from(a).to_string()
        }
        _ => hex::encode(b),
    }
}

/// A DNS SAN that can be judged: no empty labels, no leading or trailing
/// dot, a wildcard only as the whole leftmost label.
fn dns_name_ok(n: &str) -> bool {
    !n.is_empty()
        && n.split('.')
            .enumerate()
            .all(|(i, l)| !l.is_empty() && (l != "*" || i == 0) && (l == "*" || !l.contains('*')))
}

/// RFC 5280 §4.2.1.10 email constraints: `user@host` is one mailbox, `host`
/// every mailbox at that host, `.host` every mailbox at any host below it.
/// An asterisk is a literal character.
fn email_within(local: &str, host: &str, c: &str) -> bool {
    let host = host.to_ascii_lowercase();
    match c.rsplit_once('@') {
        Some((cl, ch)) => cl == local && ch.eq_ignore_ascii_case(&host),
        None => {
            let c = c.to_ascii_lowercase();
            match c.strip_prefix('.') {
                Some(suffix) => host.ends_with(&format!(".{suffix}")),
                None => host == c,
            }
        }
    }
}

/// The host of a URI (`scheme://[user@]host[:port][/...]`), lowercased.
fn uri_host(u: &str) -> Option<String> {
    let rest = u.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = host.strip_prefix('[') {
        v6.split(']').next()?
    } else {
        host.split(':').next()?
    };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
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

    #[test]
    fn email_subtrees_follow_rfc5280() {
        assert!(email_within("user", "example.com", "example.com"));
        assert!(email_within("user", "Example.COM", "example.com"));
        assert!(!email_within("user", "mail.example.com", "example.com"));
        assert!(email_within("user", "mail.example.com", ".example.com"));
        assert!(!email_within("user", "example.com", ".example.com"));
        assert!(email_within("user", "example.com", "user@example.com"));
        assert!(!email_within("other", "example.com", "user@example.com"));
        // An asterisk is a literal character, not a wildcard.
        assert!(!email_within("user", "example.com", "*@example.com"));
        assert!(email_within("*", "example.com", "*@example.com"));
    }

    #[test]
    fn uri_hosts() {
        assert_eq!(
            uri_host("https://User@WWW.Example.com:8443/x?y").as_deref(),
            Some("www.example.com")
        );
        assert_eq!(
            uri_host("ldap://[2001:db8::1]/o=x").as_deref(),
            Some("2001:db8::1")
        );
        assert_eq!(uri_host("urn:isbn:123"), None);
        assert_eq!(uri_host("https:///path"), None);
    }

    #[test]
    fn ip_constraints_need_cidr_form_and_a_contiguous_mask() {
        let ip = |b: &[u8]| Base::parse(&GeneralName::IPAddress(b));
        assert!(ip(&[192, 0, 2, 0, 255, 255, 255, 0]).is_ok());
        assert!(ip(&[192, 0, 2, 0]).is_err(), "an address, not a range");
        assert!(
            ip(&[192, 0, 2, 0, 255, 0, 255, 0]).is_err(),
            "holes in the mask"
        );
        let mut v6 = vec![0x20, 0x01, 0x0d, 0xb8];
        v6.extend([0; 12]);
        v6.extend([0xff; 4]);
        v6.extend([0; 12]);
        assert!(ip(&v6).is_ok());
    }

    #[test]
    fn dns_constraint_and_san_syntax() {
        assert!(Base::parse(&GeneralName::DNSName(".example.com")).is_err());
        assert!(Base::parse(&GeneralName::DNSName("*.example.com")).is_err());
        assert!(
            Base::parse(&GeneralName::DNSName("Example.com"))
                == Ok(Base::Dns("example.com".to_owned()))
        );
        assert!(dns_name_ok("a.example.com") && dns_name_ok("*.example.com"));
        assert!(!dns_name_ok(".example.com") && !dns_name_ok("a..example.com"));
        assert!(!dns_name_ok("a.*.example.com") && !dns_name_ok("f*o.example.com"));
    }
}
