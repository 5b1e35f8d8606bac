//! Depth-first search for a trusted path, and the checks on each
//! certificate of a candidate path.
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use x509_parser::extensions::ParsedExtension;
use x509_parser::prelude::{FromDer, X509Certificate};

use super::name_constraints::name_constraints;
use super::{DEFAULT_MAX_INTERMEDIATES, PathError, PathOptions, Position, Sigs, Verdict, norm};
use crate::pki::model::{Cert, Curve, KeyKind, KeyUsage, label};
use crate::pki::verify::{self, SigCheck};

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
    best_error: Option<(usize, PathError)>,
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
        return fail(PathError::of(target, e).to_string());
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
        .map(|(_, e)| e.to_string())
        .unwrap_or_else(|| format!("no issuer of {} was found", label(target)));
    fail(reason)
}

impl<'a> Search<'a, '_> {
    fn note(&mut self, depth: usize, e: PathError) {
        if self.best_error.as_ref().is_none_or(|(d, _)| depth > *d) {
            self.best_error = Some((depth, e));
        }
    }

    fn signed_by(&mut self, child: &Cert, issuer: &Cert) -> Result<(), PathError> {
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
                    return Err(PathError::SignatureUnchecked {
                        cert: label(child),
                        why: why.to_string(),
                    });
                }
                v
            }
        };
        if ok {
            Ok(())
        } else {
            Err(PathError::BadSignature {
                cert: label(child),
                issuer: label(issuer),
            })
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
                PathError::NoIssuer {
                    issuer: cur.issuer.clone(),
                    cert: label(cur),
                    aki: cur
                        .aki
                        .as_ref()
                        .map(|a| format!(" (AKI {})", hex::encode(a)))
                        .unwrap_or_default(),
                },
            );
            return false;
        }
        let intermediates_below = chain[1..].iter().filter(|c| !c.is_self_issued()).count();
        for &(is_anchor, cand) in cands.iter() {
            self.steps += 1;
            if self.steps > self.opts.budget {
                self.note(usize::MAX, PathError::BudgetExhausted);
                return false;
            }
            if chain.iter().any(|c| {
                c.sha256 == cand.sha256
                    || (c.subject_raw == cand.subject_raw && c.spki == cand.spki)
            }) {
                self.note(depth, PathError::Loop(label(cur)));
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
                self.note(depth + 1, PathError::of(cand, e));
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
                self.note(depth + 1, PathError::TooLong(max));
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

    fn check_cert(&self, c: &Cert, pos: Position) -> Result<(), PathError> {
        // Certificate times have whole seconds; so does the comparison.
        let t = self
            .opts
            .time
            .replace_nanosecond(0)
            .unwrap_or(self.opts.time);
        if t < c.not_before {
            return Err(PathError::NotYetValid(c.not_before));
        }
        if t > c.not_after {
            return Err(PathError::Expired(c.not_after));
        }
        if let Some(oid) = c.unknown_critical_extensions.first() {
            return Err(PathError::Refused(format!(
                "unknown critical extension {oid}"
            )));
        }
        if let Some(oid) = c.duplicate_extensions.first() {
            return Err(PathError::Refused(format!("extension {oid} appears twice")));
        }
        if c.version != 3 {
            return Err(PathError::Refused(format!(
                "X.509 version {} certificates are not accepted",
                c.version
            )));
        }
        match &c.key {
            KeyKind::Rsa { bits } if *bits < 2048 || bits % 8 != 0 => {
                return Err(PathError::Refused(format!(
                    "RSA-{bits} key is not accepted"
                )));
            }
            KeyKind::Dsa { .. } => return Err("DSA keys are not accepted".into()),
            KeyKind::Ec {
                curve: Curve::Other,
                ..
            } => {
                return Err("EC key on an unnamed or unsupported curve".into());
            }
            _ => {}
        }
        let bc = c.basic_constraints;
        let ku = c.key_usage;
        if ku.is_some_and(|k| k.key_cert_sign()) && !bc.is_some_and(|b| b.ca) {
            return Err("keyUsage keyCertSign without basicConstraints CA:TRUE".into());
        }
        strict(c, pos, self.shared)?;
        match pos {
            Position::Target => {
                if self.opts.server
                    && let Some(eku) = &c.ext_key_usage
                    && !eku.server_auth
                    && !eku.any
                {
                    return Err("extendedKeyUsage lacks serverAuth".into());
                }
                let need = self.opts.required_key_usage;
                if need != 0 && ku.is_some_and(|k| k.flags & need != need) {
                    let missing = KeyUsage {
                        flags: need,
                        critical: false,
                    }
                    .names()
                    .join(", ");
                    return Err(PathError::Refused(format!("keyUsage lacks {missing}")));
                }
            }
            Position::Issuer { below, .. } => {
                let Some(bc) = bc else {
                    return Err("issues certificates but has no basicConstraints".into());
                };
                if !bc.ca {
                    return Err("issues certificates but basicConstraints is CA:FALSE".into());
                }
                if ku.is_some_and(|k| !k.key_cert_sign()) {
                    return Err("keyUsage lacks keyCertSign".into());
                }
                if let Some(max) = bc.path_len
                    && below > max as usize
                {
                    return Err(PathError::Refused(format!(
                        "pathLenConstraint {max} allows {max} intermediate(s) below it, but the path has {below}"
                    )));
                }
            }
        }
        Ok(())
    }
}

/// Structural checks that need the extensions as encoded.
fn strict(c: &Cert, pos: Position, sigs: Sigs<'_>) -> Result<(), PathError> {
    let Ok((_, x)) = X509Certificate::from_der(&c.der) else {
        return Err("the certificate does not parse".into());
    };
    if x.tbs_certificate.signature != x.signature_algorithm {
        return Err(
            "the signature algorithm inside the certificate differs from the outer one".into(),
        );
    }
    if x.issuer().iter().next().is_none() {
        return Err("the issuer name is empty".into());
    }
    let is_issuer = matches!(pos, Position::Issuer { .. });
    if is_issuer && x.subject().iter().next().is_none() {
        return Err("a CA with an empty subject name".into());
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
                return Err(PathError::Refused(format!(
                    "RSA modulus of {bits} bits (not a whole number of bytes)"
                )));
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
                    return Err("authorityKeyIdentifier is marked critical".into());
                }
                if self_signed
                    && (aki.key_identifier.is_none()
                        || aki.authority_cert_issuer.is_some()
                        || aki.authority_cert_serial.is_some())
                {
                    return Err(
                        "a root's authorityKeyIdentifier must hold only a key identifier".into(),
                    );
                }
                if self_signed
                    && let (Some(k), Some(s)) = (&aki.key_identifier, &c.ski)
                    && k.0 != s.as_slice()
                {
                    return Err(
                        "a root's authorityKeyIdentifier differs from its subjectKeyIdentifier"
                            .into(),
                    );
                }
            }
            ParsedExtension::SubjectKeyIdentifier(_) => {
                has_ski = true;
                if ext.critical {
                    return Err("subjectKeyIdentifier is marked critical".into());
                }
            }
            ParsedExtension::ParseError { .. } => {
                return Err(PathError::Refused(format!(
                    "extension {} is malformed",
                    ext.oid.to_id_string()
                )));
            }
            _ => {}
        }
    }
    let anchor = matches!(pos, Position::Issuer { anchor: true, .. });
    if !self_signed && !anchor && !has_aki {
        return Err("authorityKeyIdentifier is missing".into());
    }
    if is_issuer && !has_ski {
        return Err("a CA without subjectKeyIdentifier".into());
    }
    Ok(())
}
