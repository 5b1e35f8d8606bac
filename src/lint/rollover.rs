//! CS215-CS217: CA rollover. With `--deployed-bundle` (one per CA bundle
//! that clients hold right now), each served chain is judged against each
//! bundle separately, for every client of `--client`: a rollover is safe
//! only when every deployed bundle trusts what servers send.
use std::collections::HashSet;

use super::{Bundle, Context, Deployed, Finding, Intent, Rule, RuleMeta, name, rule};
use crate::pki::clients::{self, ClientVerdict};
use crate::pki::model::Cert;

rule!(Cs215, "CS215", "deployed-bundle-untrusted", Error,
    summary: "with --deployed-bundle: clients holding one of the deployed CA bundles would not trust this served chain",
    citation: Some("RFC 5280 §6.1; docs/rotation.md"),
    explanation: "During a CA rollover clients hold different bundles at once: the old one, the transition bundle, later the new one. Every one of them must trust what the servers send, or the clients that hold it fail. Each --deployed-bundle is judged on its own (unlike --trust, which merges its files into one store), for every client of --client, the way CS213 judges one store. The message names the bundle, the clients that reject the chain and why.",
    fix: "deploy a bundle with the new CA to those clients first, or send a chain that carries a cross certificate to the CA they hold (`chainsmith rotate`)",
);

rule!(Cs216, "CS216", "deployed-bundle-lacks-new-ca", Warning,
    summary: "with --deployed-bundle: a deployed bundle lacks the new root that this served chain names and another deployed bundle holds",
    citation: Some("docs/rotation.md"),
    explanation: "A root that some deployed bundles hold and others lack, and that the served chain names (a certificate in it is issued by that root, or is a cross certificate with its name), is the new root of a rollover. A bundle without it may still work while servers send a chain with a cross certificate to the old root, but its clients fail as soon as servers send the chain that ends at the new root. Distribute the new root (the transition bundle) to every client before the leaf switches. Roots that only the older bundles hold (the old root in phase 3) are not named by the new chain, so they raise nothing.",
    fix: "replace this bundle with the transition bundle (old and new roots) before servers switch to the new chain",
);

rule!(Cs217, "CS217", "deployed-path-expires-before-leaf", Warning,
    summary: "with --deployed-bundle: the path a deployed bundle's clients take to the leaf goes through a CA that expires before the leaf",
    citation: Some("RFC 5280 §6.1.3 (a)(2)"),
    explanation: "A client trusts a leaf only while every certificate on its path is valid. When the path to a deployed bundle's root goes through a CA, a cross certificate or an anchor that expires before the leaf, the clients holding that bundle stop trusting the leaf on that earlier date, whatever the leaf's own notAfter says. In a root rollover this is the old root (and the NewWithOld cross certificate): its clients must have the new root before it expires.",
    fix: "move these clients to a bundle with a root that outlives the leaf, or re-issue the leaf to end before the CA",
);

/// The served chain of a server-chain file, in the order sent.
fn served<'a>(b: &'a Bundle<'_>) -> Option<Vec<&'a Cert>> {
    (b.intent == Intent::ServerChain && b.n_file > 0).then(|| b.certs[..b.n_file].iter().collect())
}

/// Each client's verdict for `served` against one deployed bundle at `time`.
fn verdicts<'a>(
    served: &[&'a Cert],
    d: &'a Deployed,
    ctx: &Context<'_>,
    time: ::time::OffsetDateTime,
) -> Vec<ClientVerdict<'a>> {
    let store: Vec<&Cert> = d.certs.iter().collect();
    clients::verdicts(
        served,
        &store,
        ctx.host.as_deref(),
        time,
        ctx.clients,
        ctx.verifier,
    )
}

impl Rule for Cs215 {
    fn check(&self, b: &Bundle<'_>, ctx: &Context<'_>) -> Vec<Finding> {
        let Some(served) = served(b) else {
            return Vec::new();
        };
        per_bundle(&Self::META, served[0], ctx, |d| {
            let rejecting: Vec<String> = verdicts(&served, d, ctx, ctx.now)
                .iter()
                .filter(|v| !v.trusted)
                .map(|v| format!("{} ({})", v.client.name(), v.reason))
                .collect();
            (!rejecting.is_empty()).then(|| {
                format!(
                    "clients holding the deployed bundle {} would not trust {}: {}",
                    d.path,
                    name(served[0]),
                    rejecting.join("; ")
                )
            })
        })
    }
}

/// A finding on the served leaf for each deployed bundle `message` has
/// something to say about, in the order the bundles were given.
fn per_bundle(
    meta: &'static RuleMeta,
    leaf: &Cert,
    ctx: &Context<'_>,
    mut message: impl FnMut(&Deployed) -> Option<String>,
) -> Vec<Finding> {
    ctx.deployed
        .iter()
        .filter_map(|d| message(d).map(|m| Finding::cert(meta, leaf, m)))
        .collect()
}

/// A root's identity: its name and key (a re-issued root is the same CA).
fn identity(c: &Cert) -> (&[u8], &[u8]) {
    (&c.subject_raw, &c.public_key)
}

fn roots(d: &Deployed) -> Vec<&Cert> {
    d.certs
        .iter()
        .filter(|c| c.is_ca() && c.is_self_issued())
        .collect()
}

/// The new roots of a rollover for `served`: held by some deployed bundles
/// but not by all, and named by the served chain (as the issuer of one of
/// its certificates, or as the subject of a cross certificate in it).
pub fn new_roots<'a>(deployed: &'a [Deployed], served: &[&Cert]) -> Vec<&'a Cert> {
    let per: Vec<HashSet<(&[u8], &[u8])>> = deployed
        .iter()
        .map(|d| roots(d).into_iter().map(identity).collect())
        .collect();
    let named = |r: &Cert| {
        served.iter().any(|c| {
            c.issuer_raw == r.subject_raw || (c.subject_raw == r.subject_raw && !c.is_self_issued())
        })
    };
    let mut seen = HashSet::new();
    deployed
        .iter()
        .flat_map(roots)
        .filter(|r| !per.iter().all(|s| s.contains(&identity(r))))
        .filter(|r| named(r) && seen.insert(identity(r)))
        .collect()
}

impl Rule for Cs216 {
    fn check(&self, b: &Bundle<'_>, ctx: &Context<'_>) -> Vec<Finding> {
        let Some(served) = served(b) else {
            return Vec::new();
        };
        let new = new_roots(ctx.deployed, &served);
        per_bundle(&Self::META, served[0], ctx, |d| {
            let held: HashSet<_> = roots(d).into_iter().map(identity).collect();
            let lacking: Vec<String> = new
                .iter()
                .filter(|r| !held.contains(&identity(r)))
                .map(|r| name(r))
                .collect();
            (!lacking.is_empty()).then(|| {
                format!(
                    "the deployed bundle {} lacks the new root {} that another deployed bundle holds: its clients fail once servers send a chain that ends at it",
                    d.path,
                    lacking.join(", ")
                )
            })
        })
    }
}

impl Rule for Cs217 {
    fn check(&self, b: &Bundle<'_>, ctx: &Context<'_>) -> Vec<Finding> {
        let Some(served) = served(b) else {
            return Vec::new();
        };
        let leaf = served[0];
        // Just before the leaf ends: a client that trusts it now but not
        // then has no path that lasts as long as the leaf.
        let end = leaf.not_after - ::time::Duration::minutes(1);
        if end <= ctx.now {
            return Vec::new();
        }
        per_bundle(&Self::META, leaf, ctx, |d| {
            let now = verdicts(&served, d, ctx, ctx.now);
            let then = verdicts(&served, d, ctx, end);
            let dying: Vec<&ClientVerdict<'_>> = now
                .iter()
                .zip(&then)
                .filter(|(n, t)| n.trusted && !t.trusted)
                .map(|(n, _)| n)
                .collect();
            let first = dying
                .iter()
                .flat_map(|v| v.path.iter().skip(1))
                .filter(|c| c.not_after < leaf.not_after)
                .min_by_key(|c| c.not_after)?;
            let names: Vec<&str> = dying.iter().map(|v| v.client.name()).collect();
            Some(format!(
                "clients holding the deployed bundle {} ({}) trust {} only until {}, when {} on their path expires; the leaf is valid until {}",
                d.path,
                names.join(", "),
                name(leaf),
                super::validity::day(first.not_after),
                name(first),
                super::validity::day(leaf.not_after)
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;

    fn codes(f: &[Finding], code: &str) -> usize {
        f.iter().filter(|x| x.rule.code == code).count()
    }

    #[test]
    fn each_deployed_bundle_is_judged_on_its_own() {
        let chain = load_certs("chain-with-root.pem");
        let served = read_fixture("chain-with-root.pem");
        let root = chain.last().unwrap().clone();
        let good = Deployed::new("good.pem", vec![root]);
        // A bundle of only the leaf's own certificate: no anchor for the chain.
        let bad = Deployed::new("bad.pem", vec![chain[0].clone()]);
        let f = lint_deployed("served.pem", &served, std::slice::from_ref(&good));
        assert_eq!(codes(&f, "CS215"), 0, "{f:?}");
        assert_eq!(codes(&f, "CS217"), 0, "{f:?}");
        let f = lint_deployed("served.pem", &served, &[good, bad]);
        assert_eq!(codes(&f, "CS215"), 1, "{f:?}");
        assert!(f.iter().any(|x| x.message.contains("bad.pem")));
    }

    #[test]
    fn a_bundle_without_the_new_root_the_chain_names_is_named() {
        let chain = load_certs("chain-with-root.pem");
        let served = read_fixture("server-fullchain.pem");
        // The root the served chain names is the "new" one; another root
        // (the same certificate under another name) plays the old one.
        let named = chain.last().unwrap().clone();
        let mut other = named.clone();
        other.subject_raw.push(0);
        other.issuer_raw = other.subject_raw.clone();
        let old = Deployed::new("old.pem", vec![other.clone()]);
        let both = Deployed::new("transition.pem", vec![other.clone(), named.clone()]);
        let f = lint_deployed("served.pem", &served, &[old, both.clone()]);
        assert_eq!(codes(&f, "CS216"), 1, "{f:?}");
        assert!(
            f.iter()
                .any(|x| x.rule.code == "CS216" && x.message.contains("old.pem"))
        );
        // Phase 3: the new bundle lacks only the root the chain does not name.
        let new = Deployed::new("new.pem", vec![named]);
        let f = lint_deployed("served.pem", &served, &[both.clone(), new]);
        assert_eq!(codes(&f, "CS216"), 0, "{f:?}");
        let f = lint_deployed("served.pem", &served, &[both.clone(), both]);
        assert_eq!(codes(&f, "CS216"), 0, "{f:?}");
    }

    #[test]
    fn an_anchor_that_expires_before_the_leaf_is_named() {
        let chain = load_certs("chain-with-root.pem");
        let served = read_fixture("server-fullchain.pem");
        let mut root = chain.last().unwrap().clone();
        // Still valid at the pinned time, but gone before the leaf.
        root.not_after = chain[0].not_after - ::time::Duration::days(30);
        let f = lint_deployed(
            "served.pem",
            &served,
            &[Deployed::new("short.pem", vec![root])],
        );
        assert_eq!(codes(&f, "CS217"), 1, "{f:?}");
        assert_eq!(codes(&f, "CS215"), 0, "{f:?}");
        let f = lint_deployed(
            "served.pem",
            &served,
            &[Deployed::new(
                "long.pem",
                vec![chain.last().unwrap().clone()],
            )],
        );
        assert_eq!(codes(&f, "CS217"), 0, "{f:?}");
    }
}
