//! The chain graph: which certificate in a pile issued which, confirmed by
//! verifying signatures; ordering into chains; missing links, cycles and
//! duplicates. Signature checks are cached by (child, issuer) fingerprint so
//! a scan of many files verifies each pair once, and run on all cores.
use std::collections::HashMap;
use std::sync::Mutex;

use rayon::prelude::*;

use super::model::Cert;
use super::verify::{self, SigCheck};

/// The state of one child → candidate-issuer link.
pub type LinkStatus = SigCheck;

/// A candidate issuer of a certificate (its subject matches the issuer name).
#[derive(Debug, Clone)]
pub struct Link {
    pub issuer: usize,
    pub status: LinkStatus,
    /// Some(true) when AKI and SKI are both present and equal, Some(false)
    /// when both are present and differ, None when one is missing.
    pub key_id_match: Option<bool>,
}

/// (child fingerprint, issuer fingerprint) → outcome.
type PairCache = HashMap<([u8; 32], [u8; 32]), SigCheck>;

/// Shared signature-check cache. One per process is enough.
#[derive(Default)]
pub struct Verifier {
    cache: Mutex<PairCache>,
}

/// Below this many checks, threads cost more than they save.
const PARALLEL_THRESHOLD: usize = 8;

impl Verifier {
    pub fn new() -> Self {
        Self::default()
    }

    fn lookup(&self, key: &([u8; 32], [u8; 32])) -> Option<SigCheck> {
        self.cache.lock().ok().and_then(|c| c.get(key).cloned())
    }

    /// Check one (child, issuer) pair, using and filling the cache.
    pub fn check(&self, child: &Cert, issuer: &Cert) -> SigCheck {
        let key = (child.sha256, issuer.sha256);
        if let Some(r) = self.lookup(&key) {
            return r;
        }
        let r = verify::check(child, issuer);
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(key, r.clone());
        }
        r
    }

    /// Check a batch of (child, issuer) pairs, using and filling the cache.
    pub fn check_pairs(&self, certs: &[Cert], pairs: &[(usize, usize)]) -> Vec<SigCheck> {
        let todo: Vec<usize> = (0..pairs.len())
            .filter(|&k| {
                let (c, i) = pairs[k];
                self.lookup(&(certs[c].sha256, certs[i].sha256)).is_none()
            })
            .collect();
        let fresh: Vec<(usize, SigCheck)> = if todo.len() >= PARALLEL_THRESHOLD {
            todo.par_iter()
                .map(|&k| (k, verify::check(&certs[pairs[k].0], &certs[pairs[k].1])))
                .collect()
        } else {
            todo.iter()
                .map(|&k| (k, verify::check(&certs[pairs[k].0], &certs[pairs[k].1])))
                .collect()
        };
        if let Ok(mut cache) = self.cache.lock() {
            for (k, r) in &fresh {
                let (c, i) = pairs[*k];
                cache.insert((certs[c].sha256, certs[i].sha256), r.clone());
            }
        }
        let mut out: Vec<Option<SigCheck>> = vec![None; pairs.len()];
        for (k, r) in fresh {
            out[k] = Some(r);
        }
        out.into_iter()
            .enumerate()
            .map(|(k, r)| {
                r.or_else(|| {
                    let (c, i) = pairs[k];
                    self.lookup(&(certs[c].sha256, certs[i].sha256))
                })
                .unwrap_or(SigCheck::Unsupported(
                    "signature check failed to run".to_owned(),
                ))
            })
            .collect()
    }
}

/// How the walk up from a certificate ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathEnd {
    /// Reached a self-signed certificate (verified with its own key).
    Anchor,
    /// No certificate in the pile has the issuer's name.
    Missing,
    /// Candidates exist by name, but none verifies (bad signature).
    BadSignature { candidate: usize },
    /// Candidates exist by name, but their algorithm cannot be verified.
    Unverifiable { candidate: usize, reason: String },
    /// The walk came back to a certificate already in the path.
    Cycle { at: usize },
}

/// The issuer graph of a pile of certificates.
pub struct Graph<'a> {
    pub certs: &'a [Cert],
    /// Candidate issuers per certificate, self included when self-issued.
    pub links: Vec<Vec<Link>>,
    /// For each certificate, the index of its first identical copy (itself if first).
    pub canonical: Vec<usize>,
}

impl<'a> Graph<'a> {
    /// Build the graph, verifying every candidate link (cached in `verifier`).
    pub fn build(certs: &'a [Cert], verifier: &Verifier) -> Graph<'a> {
        let mut first_by_fp: HashMap<[u8; 32], usize> = HashMap::with_capacity(certs.len());
        let canonical: Vec<usize> = certs
            .iter()
            .enumerate()
            .map(|(i, c)| *first_by_fp.entry(c.sha256).or_insert(i))
            .collect();
        let mut by_subject: HashMap<&[u8], Vec<usize>> = HashMap::new();
        let mut by_norm_subject: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, c) in certs.iter().enumerate() {
            if canonical[i] == i {
                by_subject
                    .entry(c.subject_raw.as_slice())
                    .or_default()
                    .push(i);
                by_norm_subject.entry(norm(&c.subject)).or_default().push(i);
            }
        }
        let mut pairs: Vec<(usize, usize)> = Vec::new();
        for (i, c) in certs.iter().enumerate() {
            if canonical[i] != i {
                continue;
            }
            let mut cands: Vec<usize> = by_subject
                .get(c.issuer_raw.as_slice())
                .cloned()
                .unwrap_or_default();
            if cands.is_empty() {
                cands = by_norm_subject
                    .get(&norm(&c.issuer))
                    .cloned()
                    .unwrap_or_default();
            }
            for j in cands {
                pairs.push((i, j));
            }
        }
        let results = verifier.check_pairs(certs, &pairs);
        let mut links: Vec<Vec<Link>> = vec![Vec::new(); certs.len()];
        for ((i, j), status) in pairs.into_iter().zip(results) {
            let key_id_match = match (&certs[i].aki, &certs[j].ski) {
                (Some(a), Some(s)) => Some(a == s),
                _ => None,
            };
            links[i].push(Link {
                issuer: j,
                status,
                key_id_match,
            });
        }
        // Duplicates share their first copy's links.
        for i in 0..certs.len() {
            if canonical[i] != i {
                links[i] = links[canonical[i]].clone();
            }
        }
        Graph {
            certs,
            links,
            canonical,
        }
    }

    /// Is certificate `i` self-signed (its own key verifies it)?
    pub fn is_self_signed(&self, i: usize) -> bool {
        let c = self.canonical[i];
        self.links[i]
            .iter()
            .any(|l| l.issuer == c && l.status == SigCheck::Valid)
    }

    /// Verified issuers of `i` other than itself, best first.
    pub fn issuers(&self, i: usize) -> Vec<usize> {
        let c = self.canonical[i];
        let mut v: Vec<&Link> = self.links[i]
            .iter()
            .filter(|l| l.issuer != c && l.status == SigCheck::Valid)
            .collect();
        v.sort_by(|a, b| self.rank(a, b));
        v.into_iter().map(|l| l.issuer).collect()
    }

    /// The best verified issuer of `i` other than itself.
    pub fn issuer(&self, i: usize) -> Option<usize> {
        self.issuers(i).into_iter().next()
    }

    /// Deterministic preference among verified issuers: matching key id,
    /// then a self-signed anchor, then the later notAfter, then fingerprint.
    fn rank(&self, a: &Link, b: &Link) -> std::cmp::Ordering {
        let (ca, cb) = (&self.certs[a.issuer], &self.certs[b.issuer]);
        (b.key_id_match == Some(true))
            .cmp(&(a.key_id_match == Some(true)))
            .then_with(|| {
                self.is_self_signed(b.issuer)
                    .cmp(&self.is_self_signed(a.issuer))
            })
            .then_with(|| cb.not_after.cmp(&ca.not_after))
            .then_with(|| ca.sha256.cmp(&cb.sha256))
    }

    /// Walk up from `start` through best issuers. Returns the path (start
    /// first) and how it ended.
    pub fn path_up(&self, start: usize) -> (Vec<usize>, PathEnd) {
        let mut path = vec![self.canonical[start]];
        loop {
            let cur = *path.last().unwrap_or(&start);
            if self.is_self_signed(cur) {
                return (path, PathEnd::Anchor);
            }
            let next = self.issuers(cur).into_iter().find(|j| !path.contains(j));
            match next {
                Some(j) => path.push(j),
                None => {
                    let others: Vec<&Link> =
                        self.links[cur].iter().filter(|l| l.issuer != cur).collect();
                    let end = if let Some(l) = others.iter().find(|l| l.status == SigCheck::Valid) {
                        PathEnd::Cycle { at: l.issuer }
                    } else if let Some(l) = others
                        .iter()
                        .find(|l| matches!(l.status, SigCheck::Unsupported(_)))
                    {
                        let reason = match &l.status {
                            SigCheck::Unsupported(r) => r.clone(),
                            _ => String::new(),
                        };
                        PathEnd::Unverifiable {
                            candidate: l.issuer,
                            reason,
                        }
                    } else if let Some(l) = others.first() {
                        PathEnd::BadSignature {
                            candidate: l.issuer,
                        }
                    } else {
                        PathEnd::Missing
                    };
                    return (path, end);
                }
            }
        }
    }

    /// Order the pile into chains, each leaf-first (bottom first), covering
    /// every distinct certificate. Bottoms are certificates that issued
    /// nothing else in the pile; certificates only reachable through cycles
    /// start chains of their own. Deterministic for any input order.
    pub fn chains(&self) -> Vec<(Vec<usize>, PathEnd)> {
        let n = self.certs.len();
        // Verified issuers of every first copy, computed once.
        let iss: Vec<Vec<usize>> = (0..n)
            .map(|i| {
                if self.canonical[i] == i {
                    self.issuers(i)
                } else {
                    Vec::new()
                }
            })
            .collect();
        // How many not-yet-shown certificates each certificate issued.
        let mut open_children = vec![0usize; n];
        for (i, list) in iss.iter().enumerate() {
            for &j in list {
                if j != i {
                    open_children[j] += 1;
                }
            }
        }
        let mut covered = vec![false; n];
        let mut out = Vec::new();
        let cover = |path: &[usize], covered: &mut Vec<bool>, open_children: &mut Vec<usize>| {
            for &p in path {
                if !covered[p] {
                    covered[p] = true;
                    for &j in &iss[p] {
                        if j != p {
                            open_children[j] = open_children[j].saturating_sub(1);
                        }
                    }
                }
            }
        };
        let mut bottoms: Vec<usize> = (0..n)
            .filter(|&i| self.canonical[i] == i && open_children[i] == 0)
            .collect();
        bottoms.sort_by(|&a, &b| self.order_key(a).cmp(&self.order_key(b)));
        for b in bottoms {
            let (path, end) = self.path_up(b);
            cover(&path, &mut covered, &mut open_children);
            out.push((path, end));
        }
        let mut rest: Vec<usize> = (0..n)
            .filter(|&i| self.canonical[i] == i && !covered[i])
            .collect();
        rest.sort_by(|&a, &b| self.order_key(a).cmp(&self.order_key(b)));
        // Start each remaining chain at the lowest uncovered certificate (one
        // that issued no other uncovered one), so an issuer is not shown on
        // its own and then again above its child. Only a pure cycle has no
        // such certificate; it starts at the first in sort order.
        loop {
            let mut open = rest.iter().copied().filter(|&r| !covered[r]);
            let Some(first) = open.next() else { break };
            let start = std::iter::once(first)
                .chain(open)
                .find(|&c| open_children[c] == 0)
                .unwrap_or(first);
            let (path, end) = self.path_up(start);
            cover(&path, &mut covered, &mut open_children);
            out.push((path, end));
        }
        out
    }

    /// Sort key that does not depend on input order: role (leaves first),
    /// then subject, then fingerprint.
    fn order_key(&self, i: usize) -> (u8, &str, [u8; 32]) {
        let c = &self.certs[i];
        let rank = if c.is_ca() { 1 } else { 0 };
        (rank, c.subject.as_str(), c.sha256)
    }
}

fn norm(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::load::{Container, Source};
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, PKCS_ECDSA_P256_SHA256,
    };

    fn ca_params(cn: &str) -> CertificateParams {
        let mut p = CertificateParams::default();
        p.distinguished_name.remove(DnType::CommonName);
        p.distinguished_name.push(DnType::CommonName, cn);
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.use_authority_key_identifier_extension = true;
        p
    }

    fn parse(der: &[u8], i: usize) -> Cert {
        Cert::parse(der, Source::new(&"t".into(), i, None, Container::Der)).unwrap()
    }

    /// n CAs where CA i is issued by CA (i+1) mod n: a pure issuer cycle.
    fn cycle(n: usize) -> Vec<Cert> {
        let keys: Vec<KeyPair> = (0..n)
            .map(|_| KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap())
            .collect();
        let params: Vec<CertificateParams> =
            (0..n).map(|i| ca_params(&format!("CA {i}"))).collect();
        (0..n)
            .map(|i| {
                let j = (i + 1) % n;
                let issuer = rcgen::Issuer::from_params(&params[j], &keys[j]);
                let c = params[i].signed_by(&keys[i], &issuer).unwrap();
                parse(c.der(), i)
            })
            .collect()
    }

    #[test]
    fn a_50_certificate_issuer_cycle_terminates_and_is_reported() {
        let certs = cycle(50);
        let verifier = Verifier::new();
        let graph = Graph::build(&certs, &verifier);
        let start = std::time::Instant::now();
        let chains = graph.chains();
        assert!(start.elapsed() < std::time::Duration::from_secs(2));
        // Every certificate is covered exactly once, and the walk ends in a cycle.
        let covered: usize = chains.iter().map(|(p, _)| p.len()).sum();
        assert_eq!(covered, 50);
        assert!(
            chains
                .iter()
                .any(|(_, end)| matches!(end, PathEnd::Cycle { .. }))
        );
        for i in 0..50 {
            assert_eq!(graph.issuers(i), vec![(i + 1) % 50]);
        }
    }

    #[test]
    fn duplicates_share_links_and_chains_ignore_order() {
        let root_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        let root_p = ca_params("Root");
        let root = parse(root_p.self_signed(&root_key).unwrap().der(), 0);
        let int_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        let int_p = ca_params("Int");
        let int = parse(
            int_p
                .signed_by(&int_key, &rcgen::Issuer::from_params(&root_p, &root_key))
                .unwrap()
                .der(),
            1,
        );
        let leaf_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        let mut leaf_p = CertificateParams::new(vec!["a.example.com".to_owned()]).unwrap();
        leaf_p.use_authority_key_identifier_extension = true;
        let leaf = parse(
            leaf_p
                .signed_by(&leaf_key, &rcgen::Issuer::from_params(&int_p, &int_key))
                .unwrap()
                .der(),
            2,
        );

        let orders = [
            vec![leaf.clone(), int.clone(), root.clone()],
            vec![root.clone(), leaf.clone(), int.clone(), leaf.clone()],
            vec![int.clone(), root.clone(), leaf.clone()],
        ];
        let verifier = Verifier::new();
        let mut seen: Option<Vec<[u8; 32]>> = None;
        for pile in &orders {
            let graph = Graph::build(pile, &verifier);
            let chains = graph.chains();
            assert_eq!(chains.len(), 1, "one chain");
            let (path, end) = &chains[0];
            assert_eq!(*end, PathEnd::Anchor);
            let fps: Vec<[u8; 32]> = path.iter().map(|&i| pile[i].sha256).collect();
            assert_eq!(fps, vec![leaf.sha256, int.sha256, root.sha256]);
            if let Some(prev) = &seen {
                assert_eq!(prev, &fps);
            }
            seen = Some(fps);
        }
        // A missing intermediate is reported as such.
        let pile = vec![leaf.clone(), root.clone()];
        let graph = Graph::build(&pile, &verifier);
        let (path, end) = graph.path_up(0);
        assert_eq!(path, vec![0]);
        assert_eq!(end, PathEnd::Missing);
    }

    #[test]
    fn same_name_wrong_key_is_a_bad_signature() {
        let real_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        let forger_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        let p = ca_params("Issuer");
        let real = parse(p.self_signed(&real_key).unwrap().der(), 0);
        let leaf_p = CertificateParams::new(vec!["x.example.com".to_owned()]).unwrap();
        let forged = parse(
            leaf_p
                .signed_by(&forger_key, &rcgen::Issuer::from_params(&p, &forger_key))
                .unwrap()
                .der(),
            1,
        );
        let pile = vec![forged, real];
        let graph = Graph::build(&pile, &Verifier::new());
        let (_, end) = graph.path_up(0);
        assert_eq!(end, PathEnd::BadSignature { candidate: 1 });
    }
}
