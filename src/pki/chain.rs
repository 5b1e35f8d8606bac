//! The chain graph: which certificate in a pile issued which, confirmed by
//! verifying signatures; ordering into chains; missing links, cycles and
//! duplicates.
//!
//! The work stays near-linear in the number of certificates that share a
//! name, whatever the pile holds. Candidate issuers are grouped by subject
//! name and public key: every certificate of a group verifies exactly what
//! the others verify, so a child is checked once per group, not once per
//! certificate, and checks are cached by (child fingerprint, issuer key), so
//! a scan of many files verifies each pair once, on all cores. Which groups
//! a certificate is checked against:
//!
//! - one that verifies with its own key (self-signed): its own key only; a
//!   signature that verifies under one key does not verify under another;
//! - otherwise the groups whose key identifiers fit (a member's SKI equals
//!   the certificate's AKI, or one of the two is absent), best first, then
//!   the others (SKI differs from AKI) only when none of those verified;
//! - at most a cap of keys besides its own: [`ISSUER_CHECK_BUDGET`] shared
//!   by the certificates with more than [`MIN_ISSUER_KEYS`] candidate keys,
//!   and never fewer than that many each. [`Graph::capped`] tells which
//!   certificates had candidates left unchecked; a walk that finds no
//!   issuer among the checked ones ends as unverifiable, saying so.
//!
//! A certificate keeps one [`Link`] per checked group and key-id relation
//! (the lowest-index member stands for the others, so "the first link such
//! that..." is the first candidate in input order), its verified groups, and
//! its best issuer, all computed once.
use std::cmp::Reverse;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Mutex;

use rayon::prelude::*;

use super::model::Cert;
use super::verify::{self, SigCheck};

/// The state of one child → candidate-issuer link.
pub type LinkStatus = SigCheck;

/// Issuer keys (groups of same-name certificates) every certificate may be
/// checked against besides its own key, however many certificates need it.
/// Real piles have a handful of same-name CAs (a re-keyed root, cross-signs).
pub const MIN_ISSUER_KEYS: usize = 16;

/// Signature checks shared by the certificates with more than
/// [`MIN_ISSUER_KEYS`] candidate keys: each may use an equal share (about a
/// second of work in all). Without a cap, N certificates without key
/// identifiers naming one of N same-name CAs with distinct keys cost N² checks.
pub const ISSUER_CHECK_BUDGET: usize = 32_768;

/// A candidate issuer of a certificate (its subject matches the issuer name).
#[derive(Debug, Clone)]
pub struct Link {
    /// The candidate: the lowest-index certificate of its group with this
    /// key-id relation to the child (never the child itself, except in the
    /// child's link to its own key).
    pub issuer: usize,
    pub status: LinkStatus,
    /// Some(true) when AKI and SKI are both present and equal, Some(false)
    /// when both are present and differ, None when one is missing.
    pub key_id_match: Option<bool>,
    /// The group of `issuer`: the certificates with its subject and key,
    /// which all have this status ([`Graph::group_members`]).
    pub group: usize,
}

/// (child fingerprint, SHA-256 of the issuer's SubjectPublicKeyInfo) → outcome.
type PairCache = HashMap<([u8; 32], [u8; 32]), SigCheck>;

/// Shared signature-check cache. One per process is enough.
#[derive(Default)]
pub struct Verifier {
    cache: Mutex<PairCache>,
}

/// Below this many checks, threads cost more than they save.
const PARALLEL_THRESHOLD: usize = 8;

/// What identifies an issuer key: the SHA-256 of its SubjectPublicKeyInfo.
pub fn key_digest(c: &Cert) -> [u8; 32] {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &c.spki);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

impl Verifier {
    pub fn new() -> Self {
        Self::default()
    }

    /// How many distinct (child, issuer key) checks were run so far.
    pub fn checks(&self) -> usize {
        self.cache.lock().map_or(0, |c| c.len())
    }

    /// Check one (child, issuer) pair, using and filling the cache.
    pub fn check(&self, child: &Cert, issuer: &Cert) -> SigCheck {
        self.check_key(child, issuer, &key_digest(issuer))
    }

    /// `check`, with the issuer's [`key_digest`] already at hand.
    fn check_key(&self, child: &Cert, issuer: &Cert, key: &[u8; 32]) -> SigCheck {
        let k = (child.sha256, *key);
        if let Some(r) = self.cache.lock().ok().and_then(|c| c.get(&k).cloned()) {
            return r;
        }
        let r = verify::check(child, issuer);
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(k, r.clone());
        }
        r
    }
}

/// `f` over `0..n`, on all cores when there is enough to do.
fn map_indices<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync + Send) -> Vec<T> {
    if n >= PARALLEL_THRESHOLD {
        (0..n).into_par_iter().map(f).collect()
    } else {
        (0..n).map(f).collect()
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

/// The two lowest indices of a set filled in increasing order.
#[derive(Debug, Default, Clone, Copy)]
struct Lowest([Option<usize>; 2]);

impl Lowest {
    fn add(&mut self, i: usize) {
        match self.0 {
            [None, _] => self.0[0] = Some(i),
            [Some(_), None] => self.0[1] = Some(i),
            _ => {}
        }
    }
    /// The lowest index other than `i`.
    fn except(&self, i: usize) -> Option<usize> {
        self.0.into_iter().flatten().find(|&j| j != i)
    }
}

/// Members of a group with one subjectKeyIdentifier value (or none).
#[derive(Debug, Default)]
struct KidSet {
    /// Best issuer first.
    ranked: Vec<usize>,
    lowest: Lowest,
}

/// Distinct certificates with one subject name (byte for byte) and one
/// public key: a signature one of them verifies, they all verify.
#[derive(Debug)]
struct Group<'a> {
    /// Best issuer first: self-signed, then the later notAfter, then fingerprint.
    ranked: Vec<usize>,
    /// Members by subjectKeyIdentifier; None holds those without one.
    by_ski: HashMap<Option<&'a [u8]>, KidSet>,
    /// Each SKI value (or None) with its lowest-index member, by that index.
    ski_order: Vec<(usize, Option<&'a [u8]>)>,
    lowest: Lowest,
    key: [u8; 32],
}

impl Group<'_> {
    /// Does some member's key identifier fit an AKI (equal, or absent)?
    fn fits(&self, aki: &[u8]) -> bool {
        self.by_ski.contains_key(&Some(aki)) || self.by_ski.contains_key(&None)
    }
}

/// The groups that may have issued certificates naming one issuer.
#[derive(Debug, Default)]
struct Bucket<'a> {
    /// Best group first (by its best member).
    ranked: Vec<usize>,
    /// Groups with a member with this SKI, best first.
    by_ski: HashMap<&'a [u8], Vec<usize>>,
    /// Groups with a member without SKI, best first.
    no_ski: Vec<usize>,
    /// Groups by key: a bucket found by normalised name may hold one key
    /// under several spellings of the name.
    by_key: HashMap<[u8; 32], Vec<usize>>,
}

/// The issuer graph of a pile of certificates.
pub struct Graph<'a> {
    pub certs: &'a [Cert],
    /// Candidate issuers per certificate, self included when self-issued:
    /// one link per checked group and key-id relation, by issuer index.
    pub links: Vec<Vec<Link>>,
    /// For each certificate, the index of its first identical copy (itself if first).
    pub canonical: Vec<usize>,
    groups: Vec<Group<'a>>,
    /// Each group's place when all groups are sorted best first.
    group_rank: Vec<usize>,
    group_of: Vec<usize>,
    buckets: Vec<Bucket<'a>>,
    /// The bucket holding the candidate issuers of each first copy.
    issuer_bucket: Vec<Option<usize>>,
    /// The certificate's own group is among its candidates (it is self-issued).
    self_in: Vec<bool>,
    self_status: Vec<Option<SigCheck>>,
    self_signed: Vec<bool>,
    /// Groups that verified each certificate (with a member other than it).
    verified: Vec<Vec<usize>>,
    best: Vec<Option<usize>>,
    capped: Vec<bool>,
    /// Keys each certificate may be checked against besides its own.
    key_cap: usize,
}

fn kid(child: &Cert, issuer: &Cert) -> Option<bool> {
    match (&child.aki, &issuer.ski) {
        (Some(a), Some(s)) => Some(a == s),
        _ => None,
    }
}

/// The groups of `a` and `b` (each best first) merged best first, once each.
fn merged<'b>(
    a: &'b [usize],
    b: &'b [usize],
    rank: &'b [usize],
) -> impl Iterator<Item = usize> + 'b {
    let (mut x, mut y) = (0, 0);
    std::iter::from_fn(move || {
        let next = match (a.get(x), b.get(y)) {
            (Some(&p), Some(&q)) if p == q => {
                x += 1;
                y += 1;
                p
            }
            (Some(&p), Some(&q)) if rank[p] < rank[q] => {
                x += 1;
                p
            }
            (_, Some(&q)) => {
                y += 1;
                q
            }
            (Some(&p), None) => {
                x += 1;
                p
            }
            (None, None) => return None,
        };
        Some(next)
    })
}

impl<'a> Graph<'a> {
    /// Build the graph, verifying the candidate links (cached in `verifier`).
    pub fn build(certs: &'a [Cert], verifier: &Verifier) -> Graph<'a> {
        let n = certs.len();
        let mut first_by_fp: HashMap<[u8; 32], usize> = HashMap::with_capacity(n);
        let canonical: Vec<usize> = certs
            .iter()
            .enumerate()
            .map(|(i, c)| *first_by_fp.entry(c.sha256).or_insert(i))
            .collect();
        let keys: Vec<Option<[u8; 32]>> =
            map_indices(n, |i| (canonical[i] == i).then(|| key_digest(&certs[i])));

        // Groups: one subject name, one key.
        let mut group_ids: HashMap<(&[u8], [u8; 32]), usize> = HashMap::new();
        let mut members: Vec<Vec<usize>> = Vec::new();
        let mut group_of = vec![0usize; n];
        for i in 0..n {
            if let Some(key) = keys[i] {
                let g = *group_ids
                    .entry((certs[i].subject_raw.as_slice(), key))
                    .or_insert_with(|| {
                        members.push(Vec::new());
                        members.len() - 1
                    });
                members[g].push(i);
                group_of[i] = g;
            }
        }
        for i in 0..n {
            group_of[i] = group_of[canonical[i]];
        }

        // Where each certificate's candidate issuers are: the groups with
        // its issuer name byte for byte, else by normalised name.
        let mut raw_ids: HashMap<&[u8], usize> = HashMap::new();
        let mut norm_ids: HashMap<String, usize> = HashMap::new();
        let mut bucket_groups: Vec<Vec<usize>> = Vec::new();
        for (g, m) in members.iter().enumerate() {
            let c = &certs[m[0]];
            let b = *raw_ids.entry(c.subject_raw.as_slice()).or_insert_with(|| {
                bucket_groups.push(Vec::new());
                bucket_groups.len() - 1
            });
            bucket_groups[b].push(g);
        }
        for (g, m) in members.iter().enumerate() {
            let b = *norm_ids
                .entry(norm(&certs[m[0]].subject))
                .or_insert_with(|| {
                    bucket_groups.push(Vec::new());
                    bucket_groups.len() - 1
                });
            bucket_groups[b].push(g);
        }
        let located: Vec<(Option<usize>, bool)> = map_indices(n, |i| {
            if canonical[i] != i {
                return (None, false);
            }
            let c = &certs[i];
            match raw_ids.get(c.issuer_raw.as_slice()) {
                Some(&b) => (Some(b), c.subject_raw == c.issuer_raw),
                None => {
                    let key = norm(&c.issuer);
                    match norm_ids.get(&key) {
                        Some(&b) => (Some(b), norm(&c.subject) == key),
                        None => (None, false),
                    }
                }
            }
        });
        let (issuer_bucket, self_in): (Vec<Option<usize>>, Vec<bool>) = located.into_iter().unzip();

        // Self-signatures first: they rank the candidates.
        let self_status: Vec<Option<SigCheck>> = map_indices(n, |i| {
            let key = keys[i].as_ref()?;
            self_in[i].then(|| verifier.check_key(&certs[i], &certs[i], key))
        });
        let self_signed: Vec<bool> = (0..n)
            .map(|i| self_status[canonical[i]] == Some(SigCheck::Valid))
            .collect();
        let rank_key = |j: usize| {
            (
                !self_signed[j],
                Reverse(certs[j].not_after),
                certs[j].sha256,
            )
        };

        let groups: Vec<Group<'a>> = members
            .into_iter()
            .map(|m| {
                let mut by_ski: HashMap<Option<&'a [u8]>, KidSet> = HashMap::new();
                let mut ski_order = Vec::new();
                let mut lowest = Lowest::default();
                for &j in &m {
                    let ski = certs[j].ski.as_deref();
                    lowest.add(j);
                    let set = by_ski.entry(ski).or_insert_with(|| {
                        ski_order.push((j, ski));
                        KidSet::default()
                    });
                    set.lowest.add(j);
                }
                let key = keys[m[0]].unwrap_or_default();
                let mut ranked = m;
                ranked.sort_by_key(|&j| rank_key(j));
                for &j in &ranked {
                    if let Some(set) = by_ski.get_mut(&certs[j].ski.as_deref()) {
                        set.ranked.push(j);
                    }
                }
                Group {
                    ranked,
                    by_ski,
                    ski_order,
                    lowest,
                    key,
                }
            })
            .collect();
        let mut order: Vec<usize> = (0..groups.len()).collect();
        order.sort_by_key(|&g| rank_key(groups[g].ranked[0]));
        let mut group_rank = vec![0usize; groups.len()];
        for (r, &g) in order.iter().enumerate() {
            group_rank[g] = r;
        }
        let buckets: Vec<Bucket<'a>> = bucket_groups
            .into_iter()
            .map(|mut gs| {
                gs.sort_by_key(|&g| group_rank[g]);
                let mut b = Bucket::default();
                for &g in &gs {
                    let grp = &groups[g];
                    for ski in grp.by_ski.keys() {
                        match ski {
                            Some(s) => b.by_ski.entry(*s).or_default().push(g),
                            None => b.no_ski.push(g),
                        }
                    }
                    b.by_key.entry(grp.key).or_default().push(g);
                }
                b.ranked = gs;
                b
            })
            .collect();

        let mut graph = Graph {
            certs,
            links: Vec::new(),
            canonical,
            groups,
            group_rank,
            group_of,
            buckets,
            issuer_bucket,
            self_in,
            self_status,
            self_signed,
            verified: Vec::new(),
            best: Vec::new(),
            capped: Vec::new(),
            key_cap: usize::MAX,
        };
        let demanding = (0..n)
            .filter(|&i| graph.canonical[i] == i && !graph.self_signed[i])
            .filter_map(|i| graph.issuer_bucket[i].map(|b| (i, b)))
            .filter(|&(i, b)| {
                let others = graph.buckets[b]
                    .ranked
                    .len()
                    .saturating_sub(usize::from(graph.self_in[i]));
                others > MIN_ISSUER_KEYS
            })
            .count();
        if let Some(share) = ISSUER_CHECK_BUDGET.checked_div(demanding) {
            graph.key_cap = share.max(MIN_ISSUER_KEYS);
        }
        let linked: Vec<(Vec<Link>, Vec<usize>, bool)> =
            map_indices(n, |i| graph.link_one(i, verifier));
        let mut links = Vec::with_capacity(n);
        let mut verified = Vec::with_capacity(n);
        let mut capped = Vec::with_capacity(n);
        for (l, v, c) in linked {
            links.push(l);
            verified.push(v);
            capped.push(c);
        }
        // Duplicates share their first copy's links.
        for i in 0..n {
            let c = graph.canonical[i];
            if c != i {
                links[i] = links[c].clone();
                verified[i] = verified[c].clone();
                capped[i] = capped[c];
            }
        }
        graph.links = links;
        graph.verified = verified;
        graph.capped = capped;
        graph.best = (0..n)
            .map(|i| {
                let c = graph.canonical[i];
                graph.next_issuer(c, |j| j == c)
            })
            .collect();
        graph
    }

    /// The links of first copy `i`, its verified groups, and whether the
    /// cap left candidates unchecked.
    fn link_one(&self, i: usize, verifier: &Verifier) -> (Vec<Link>, Vec<usize>, bool) {
        let none = (Vec::new(), Vec::new(), false);
        if self.canonical[i] != i {
            return none;
        }
        let Some(b) = self.issuer_bucket[i] else {
            return none;
        };
        let bucket = &self.buckets[b];
        let c = &self.certs[i];
        let aki = c.aki.as_deref();
        let own = self.self_in[i].then_some(self.group_of[i]);
        let mut checked: Vec<(usize, SigCheck)> = Vec::new();
        let mut capped = false;
        if let Some(g) = own {
            let s = self.self_status[i]
                .clone()
                .unwrap_or_else(|| SigCheck::Unsupported("not checked".to_owned()));
            checked.push((g, s));
        }
        if self.self_signed[i] {
            // Its own key verifies it, so no other key does; the same key
            // under another spelling of the name gives the same answer.
            let key = self.groups[self.group_of[i]].key;
            for &g in bucket.by_key.get(&key).into_iter().flatten() {
                if Some(g) != own {
                    checked.push((g, SigCheck::Valid));
                }
            }
        } else {
            let mut left = self.key_cap;
            let mut any_valid = false;
            let check = |g: usize, checked: &mut Vec<(usize, SigCheck)>| {
                let grp = &self.groups[g];
                let s = verifier.check_key(c, &self.certs[grp.ranked[0]], &grp.key);
                let valid = s == SigCheck::Valid;
                checked.push((g, s));
                valid
            };
            let fitting: Box<dyn Iterator<Item = usize>> = match aki {
                None => Box::new(bucket.ranked.iter().copied()),
                Some(x) => Box::new(merged(
                    bucket.by_ski.get(x).map_or(&[][..], Vec::as_slice),
                    &bucket.no_ski,
                    &self.group_rank,
                )),
            };
            for g in fitting {
                if Some(g) == own {
                    continue;
                }
                if left == 0 {
                    capped = true;
                    break;
                }
                left -= 1;
                any_valid |= check(g, &mut checked);
            }
            if let Some(x) = aki
                && !any_valid
            {
                if left == 0 {
                    capped |= bucket.ranked.len() > checked.len();
                } else {
                    for &g in &bucket.ranked {
                        if Some(g) == own || self.groups[g].fits(x) {
                            continue;
                        }
                        if left == 0 {
                            capped = true;
                            break;
                        }
                        left -= 1;
                        check(g, &mut checked);
                    }
                }
            }
        }
        let mut links = Vec::new();
        let mut verified = Vec::new();
        if let Some(g) = own {
            links.push(Link {
                issuer: i,
                status: checked[0].1.clone(),
                key_id_match: kid(c, c),
                group: g,
            });
        }
        for (g, status) in checked {
            let reps = self.representatives(g, i, aki);
            if status == SigCheck::Valid && !reps.is_empty() {
                verified.push(g);
            }
            for (j, key_id_match) in reps {
                links.push(Link {
                    issuer: j,
                    status: status.clone(),
                    key_id_match,
                    group: g,
                });
            }
        }
        links.sort_by_key(|l| l.issuer);
        (links, verified, capped)
    }

    /// For child `i` with `aki`: the lowest-index member of group `g` other
    /// than `i` for each key-id relation present.
    fn representatives(
        &self,
        g: usize,
        i: usize,
        aki: Option<&[u8]>,
    ) -> Vec<(usize, Option<bool>)> {
        let grp = &self.groups[g];
        let Some(x) = aki else {
            return grp
                .lowest
                .except(i)
                .map(|j| (j, None))
                .into_iter()
                .collect();
        };
        let mut out = Vec::new();
        if let Some(j) = grp.by_ski.get(&Some(x)).and_then(|s| s.lowest.except(i)) {
            out.push((j, Some(true)));
        }
        if let Some(j) = grp.by_ski.get(&None).and_then(|s| s.lowest.except(i)) {
            out.push((j, None));
        }
        let mut other: Option<usize> = None;
        for &(low, ski) in &grp.ski_order {
            if other.is_some_and(|o| low > o) {
                break;
            }
            let Some(s) = ski else { continue };
            if s == x {
                continue;
            }
            if let Some(j) = grp.by_ski.get(&ski).and_then(|k| k.lowest.except(i))
                && other.is_none_or(|o| j < o)
            {
                other = Some(j);
            }
        }
        if let Some(j) = other {
            out.push((j, Some(false)));
        }
        out
    }

    /// Is `a` a better issuer of `child` than `b`? Matching key id, then a
    /// self-signed anchor, then the later notAfter, then fingerprint.
    fn better(&self, child: usize, a: usize, b: usize) -> bool {
        let c = &self.certs[child];
        let key = |j: usize| {
            let x = &self.certs[j];
            (
                kid(c, x) != Some(true),
                !self.self_signed[j],
                Reverse(x.not_after),
                x.sha256,
            )
        };
        key(a) < key(b)
    }

    /// The best verified issuer of first copy `cur` that is not `excluded`.
    fn next_issuer(&self, cur: usize, excluded: impl Fn(usize) -> bool) -> Option<usize> {
        let aki = self.certs[cur].aki.as_deref();
        let mut best: Option<usize> = None;
        for &g in &self.verified[cur] {
            let grp = &self.groups[g];
            let matching = aki
                .and_then(|x| grp.by_ski.get(&Some(x)))
                .map_or(&[][..], |k| k.ranked.as_slice());
            for list in [matching, grp.ranked.as_slice()] {
                if let Some(&j) = list.iter().find(|&&j| j != cur && !excluded(j))
                    && best.is_none_or(|b| self.better(cur, j, b))
                {
                    best = Some(j);
                }
            }
        }
        best
    }

    /// Is certificate `i` self-signed (its own key verifies it)?
    pub fn is_self_signed(&self, i: usize) -> bool {
        self.self_signed[i]
    }

    /// Verified issuers of `i` other than itself, best first. This lists
    /// every member of every verified group; walks use [`Graph::issuer`].
    pub fn issuers(&self, i: usize) -> Vec<usize> {
        let c = self.canonical[i];
        let mut v: Vec<usize> = self.verified[c]
            .iter()
            .flat_map(|&g| self.groups[g].ranked.iter().copied())
            .filter(|&j| j != c)
            .collect();
        v.sort_by(|&a, &b| {
            if self.better(c, a, b) {
                std::cmp::Ordering::Less
            } else if self.better(c, b, a) {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        });
        v
    }

    /// The best verified issuer of `i` other than itself.
    pub fn issuer(&self, i: usize) -> Option<usize> {
        self.best[i]
    }

    /// Did the cap (see [`ISSUER_CHECK_BUDGET`]) leave candidate issuers of `i` unchecked?
    pub fn capped(&self, i: usize) -> bool {
        self.capped[i]
    }

    /// The certificates of group `g` (one subject, one key), best issuer first.
    pub fn group_members(&self, g: usize) -> &[usize] {
        &self.groups[g].ranked
    }

    /// The members of group `g` whose subjectKeyIdentifier is `ski`.
    pub fn group_members_with_ski(&self, g: usize, ski: Option<&'a [u8]>) -> &[usize] {
        self.groups[g]
            .by_ski
            .get(&ski)
            .map_or(&[][..], |k| k.ranked.as_slice())
    }

    /// The certificates whose key verified one of `children` (first copies)
    /// other than themselves: those that issued one of them.
    pub fn issuers_of_any(&self, children: impl Iterator<Item = usize>) -> HashSet<usize> {
        let mut is_child = HashSet::new();
        let mut count: HashMap<usize, usize> = HashMap::new();
        for i in children {
            let c = self.canonical[i];
            if is_child.insert(c) {
                for &g in &self.verified[c] {
                    *count.entry(g).or_default() += 1;
                }
            }
        }
        let mut out = HashSet::new();
        for (&g, &k) in &count {
            for &j in &self.groups[g].ranked {
                // A child verified by its own group counts once for it; it
                // issued something only if another child counts too.
                let own = is_child.contains(&j) && self.verified[j].contains(&g);
                if k > usize::from(own) {
                    out.insert(j);
                }
            }
        }
        out
    }

    /// Walk up from `start` through best issuers. Returns the path (start
    /// first) and how it ended.
    pub fn path_up(&self, start: usize) -> (Vec<usize>, PathEnd) {
        let first = self.canonical[start];
        let mut path = vec![first];
        let mut on_path: HashSet<usize> = HashSet::from([first]);
        loop {
            let cur = *path.last().unwrap_or(&first);
            if self.is_self_signed(cur) {
                return (path, PathEnd::Anchor);
            }
            let next = match self.best[cur] {
                Some(b) if !on_path.contains(&b) => Some(b),
                Some(_) => self.next_issuer(cur, |j| on_path.contains(&j)),
                None => None,
            };
            match next {
                Some(j) => {
                    path.push(j);
                    on_path.insert(j);
                }
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
                    } else if let (true, Some(l)) = (self.capped[cur], others.first()) {
                        let keys =
                            self.issuer_bucket[cur].map_or(0, |b| self.buckets[b].ranked.len());
                        PathEnd::Unverifiable {
                            candidate: l.issuer,
                            reason: format!(
                                "{keys} keys carry the issuer name `{}`; the best {} were checked (the cap per certificate) and none verifies it; an authorityKeyIdentifier would single out the right one",
                                self.certs[cur].issuer, self.key_cap
                            ),
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
    ///
    /// "Issued" is counted per group: a group's count is how many
    /// not-yet-shown certificates it verified, and a member's own count is
    /// that, less one when the member is itself such a certificate.
    pub fn chains(&self) -> Vec<(Vec<usize>, PathEnd)> {
        let n = self.certs.len();
        let firsts = || (0..n).filter(|&i| self.canonical[i] == i);
        let mut count = vec![0usize; self.groups.len()];
        for i in firsts() {
            for &g in &self.verified[i] {
                count[g] += 1;
            }
        }
        let mut covered = vec![false; n];
        let counts_itself = |j: usize| self.verified[j].contains(&self.group_of[j]);
        let open = |j: usize, count: &[usize], covered: &[bool]| {
            let g = self.group_of[j];
            count[g].saturating_sub(usize::from(!covered[j] && counts_itself(j)))
        };
        // Cover a path; returns the groups whose count fell to 1 or 0, the
        // only moments a member's own count can reach 0.
        let cover = |path: &[usize], covered: &mut Vec<bool>, count: &mut Vec<usize>| {
            let mut fell = Vec::new();
            for &p in path {
                if !covered[p] {
                    covered[p] = true;
                    for &g in &self.verified[p] {
                        count[g] = count[g].saturating_sub(1);
                        if count[g] <= 1 {
                            fell.push(g);
                        }
                    }
                }
            }
            fell
        };
        let mut out = Vec::new();
        let mut bottoms: Vec<usize> = firsts()
            .filter(|&i| open(i, &count, &covered) == 0)
            .collect();
        bottoms.sort_by(|&a, &b| self.order_key(a).cmp(&self.order_key(b)));
        for b in bottoms {
            let (path, end) = self.path_up(b);
            cover(&path, &mut covered, &mut count);
            out.push((path, end));
        }
        let mut rest: Vec<usize> = firsts().filter(|&i| !covered[i]).collect();
        rest.sort_by(|&a, &b| self.order_key(a).cmp(&self.order_key(b)));
        let mut place = vec![usize::MAX; n];
        for (k, &r) in rest.iter().enumerate() {
            place[r] = k;
        }
        // Places in `rest` of uncovered certificates that issued no other
        // uncovered one (entries may have been covered since).
        let mut lowest: BTreeSet<usize> = (0..rest.len())
            .filter(|&k| open(rest[k], &count, &covered) == 0)
            .collect();
        // Start each remaining chain at the lowest uncovered certificate (one
        // that issued no other uncovered one), so an issuer is not shown on
        // its own and then again above its child. Only a pure cycle has no
        // such certificate; it starts at the first in sort order.
        let mut cursor = 0;
        loop {
            while cursor < rest.len() && covered[rest[cursor]] {
                cursor += 1;
            }
            if cursor == rest.len() {
                break;
            }
            let start = loop {
                match lowest.first() {
                    Some(&k) if covered[rest[k]] => {
                        lowest.remove(&k);
                    }
                    Some(&k) => break rest[k],
                    None => break rest[cursor],
                }
            };
            let (path, end) = self.path_up(start);
            for g in cover(&path, &mut covered, &mut count) {
                for &j in &self.groups[g].ranked {
                    if place[j] != usize::MAX && !covered[j] && open(j, &count, &covered) == 0 {
                        lowest.insert(place[j]);
                    }
                }
            }
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

    /// `n` CAs named `cn`, self-signed; `key_per_cert` gives each its own
    /// key; `key_ids` adds an AKI and a real SKI (rcgen's default method),
    /// else there is no AKI and the SKI is empty (rcgen always writes one).
    fn same_name_pile(n: usize, cn: &str, key_per_cert: bool, key_ids: bool) -> Vec<Cert> {
        let shared = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        (0..n)
            .map(|i| {
                let mut p = ca_params(cn);
                p.serial_number = Some(rcgen::SerialNumber::from((i + 1) as u64));
                p.use_authority_key_identifier_extension = key_ids;
                if !key_ids {
                    p.key_identifier_method = rcgen::KeyIdMethod::PreSpecified(Vec::new());
                }
                let own;
                let key = if key_per_cert {
                    own = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
                    &own
                } else {
                    &shared
                };
                parse(p.self_signed(key).unwrap().der(), i)
            })
            .collect()
    }

    #[test]
    fn same_name_piles_verify_each_certificate_once_and_are_all_roots() {
        for (key_per_cert, key_ids) in [(false, true), (true, true), (true, false)] {
            let certs = same_name_pile(300, "Same", key_per_cert, key_ids);
            let what = format!("own keys {key_per_cert}, key ids {key_ids}");
            if !key_ids {
                assert!(certs.iter().all(|c| c.aki.is_none()), "{what}");
            }
            let verifier = Verifier::new();
            let graph = Graph::build(&certs, &verifier);
            // One check per certificate: its signature against its own key,
            // shared by every certificate that has that key.
            assert_eq!(verifier.checks(), 300, "{what}");
            let chains = graph.chains();
            assert_eq!(chains.len(), 300, "{what}");
            for (path, end) in &chains {
                assert_eq!((path.len(), end), (1, &PathEnd::Anchor), "{what}");
            }
            for i in 0..300 {
                assert!(graph.is_self_signed(i) && !graph.capped(i), "{what}");
                // A self-signed certificate is never "badly signed" by a
                // same-name certificate with another key.
                assert!(
                    graph.links[i].iter().all(|l| l.status == SigCheck::Valid),
                    "{what}"
                );
            }
            // With one key, every certificate verifies every other.
            let expected = if key_per_cert { 0 } else { 299 };
            assert_eq!(graph.issuers(7).len(), expected, "{what}");
        }
    }

    #[test]
    fn cross_signed_copies_of_one_key_are_one_group_of_issuers() {
        let root_keys: Vec<KeyPair> = (0..3)
            .map(|_| KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap())
            .collect();
        let root_params: Vec<CertificateParams> =
            (0..3).map(|k| ca_params(&format!("Root {k}"))).collect();
        let int_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        let int_p = ca_params("Int");
        let mut pile: Vec<Cert> = Vec::new();
        for k in 0..3 {
            let issuer = rcgen::Issuer::from_params(&root_params[k], &root_keys[k]);
            pile.push(parse(
                root_params[k].self_signed(&root_keys[k]).unwrap().der(),
                pile.len(),
            ));
            pile.push(parse(
                int_p.signed_by(&int_key, &issuer).unwrap().der(),
                pile.len(),
            ));
        }
        let mut leaf_p = CertificateParams::new(vec!["x.example.com".to_owned()]).unwrap();
        leaf_p.use_authority_key_identifier_extension = true;
        let leaf_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        let leaf = leaf_p
            .signed_by(&leaf_key, &rcgen::Issuer::from_params(&int_p, &int_key))
            .unwrap();
        pile.push(parse(leaf.der(), pile.len()));
        let verifier = Verifier::new();
        let graph = Graph::build(&pile, &verifier);
        // The leaf is verified once against the one intermediate key, and
        // all three copies are its issuers.
        let mut issuers = graph.issuers(6);
        issuers.sort();
        assert_eq!(issuers, vec![1, 3, 5]);
        let (path, end) = graph.path_up(6);
        assert_eq!((path.len(), end), (3, PathEnd::Anchor));
        // Each copy leads to its own root; every certificate is shown once.
        let chains = graph.chains();
        let shown: usize = chains.iter().map(|(p, _)| p.len()).sum();
        assert_eq!(shown, 7);
        for k in 0..3 {
            assert_eq!(graph.issuer(2 * k + 1), Some(2 * k));
        }
    }

    #[test]
    fn many_same_name_keys_without_key_ids_are_capped_and_say_so() {
        // 40 self-signed CAs named "X" with distinct keys and no key ids;
        // 1,000 leaves name "X" as issuer, without AKI, signed by the 40th.
        let keys: Vec<KeyPair> = (0..40)
            .map(|_| KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap())
            .collect();
        let mut x = ca_params("X");
        x.use_authority_key_identifier_extension = false;
        x.key_identifier_method = rcgen::KeyIdMethod::PreSpecified(Vec::new());
        let mut pile: Vec<Cert> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| parse(x.self_signed(k).unwrap().der(), i))
            .collect();
        let issuer = rcgen::Issuer::from_params(&x, &keys[39]);
        let leaf_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        for i in 0..1000 {
            let mut p = CertificateParams::new(vec![format!("l{i}.example.com")]).unwrap();
            p.key_identifier_method = rcgen::KeyIdMethod::PreSpecified(Vec::new());
            pile.push(parse(
                p.signed_by(&leaf_key, &issuer).unwrap().der(),
                40 + i,
            ));
        }
        let verifier = Verifier::new();
        let graph = Graph::build(&pile, &verifier);
        // 40 self-checks, then the leaves share the budget: 32 keys each.
        let cap = (ISSUER_CHECK_BUDGET / 1000).max(MIN_ISSUER_KEYS);
        assert!(cap < 40);
        assert_eq!(verifier.checks(), 40 + 1000 * cap);
        let capped: Vec<usize> = (40..1040).filter(|&i| graph.capped(i)).collect();
        assert_eq!(capped.len(), 1000);
        // Leaves whose issuer was among the checked keys are linked; the
        // others end as unverifiable, naming the cap, not as forged.
        let mut found = 0;
        for i in 40..1040 {
            match graph.path_up(i).1 {
                PathEnd::Anchor => found += 1,
                PathEnd::Unverifiable { reason, .. } => {
                    assert!(
                        reason.contains("40 keys") && reason.contains("cap"),
                        "{reason}"
                    )
                }
                other => panic!("{other:?}"),
            }
        }
        assert!(
            found == 0 || found == 1000,
            "one issuer key for all: {found}"
        );
        // A few leaves are within the cap: the budget is shared, not lost.
        let few = Graph::build(&pile[..45], &Verifier::new());
        for i in 40..45 {
            assert!(!few.capped(i));
            assert_eq!(few.path_up(i), (vec![i, 39], PathEnd::Anchor));
        }
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
