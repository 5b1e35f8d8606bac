//! CS204-CS209, CS211-CS213: the links between certificates — missing
//! issuers, anchors, signatures, key identifiers, path length, keys, trust.
use std::collections::HashSet;

use super::order::server_order;
use super::{Bundle, Context, Finding, Intent, Rule, name, rule};
use crate::pki::keys;
use crate::pki::verify::SigCheck;
use crate::secret::PasswordSource;

rule!(Cs204, "CS204", "missing-issuer", Error,
    summary: "a certificate's issuer is in neither the file nor --trust, and it is not a self-signed anchor (incomplete chain)",
    citation: Some("RFC 5280 §6.1; RFC 8446 §4.4.2"),
    explanation: "Every certificate needs its issuer, up to a root the client holds. A server chain may stop at an intermediate whose issuer is the root the clients hold (servers need not send the root), but a served leaf alone is incomplete unless --trust shows its issuer is itself an anchor. Browsers and .NET (so both APIM gateways) fetch a missing issuer from the certificate's AIA caIssuers URL by default, which can hide the mistake; but .NET on Linux cannot read a `.p7c` (PKCS#7) response, and a slow AIA server stalls the handshake for the download timeout. OpenSSL (nginx, APISIX, Python), curl, Go and Java (by default) never fetch: for them the chain is simply incomplete. With --trust, a certificate whose name and key are those of a trusted anchor (a cross-certificate of a trusted root) needs no issuer. See docs/clients.md.",
    fix: "add the missing issuer's certificate",
);

rule!(Cs205, "CS205", "no-trust-anchor", Error,
    summary: "a CA bundle has no self-signed root",
    citation: Some("RFC 5280 §6.1.1 (d)"),
    explanation: "A client that trusts only this bundle needs a trust anchor. OpenSSL (without `-partial_chain`), Java and .NET need the self-signed root in the store; a bundle of intermediates alone makes them fail with \"unable to get issuer certificate\".",
    fix: "add the self-signed root CA to the bundle",
);

rule!(Cs206, "CS206", "bad-signature", Error,
    summary: "name (and key id) match an issuer in the file but the signature does not verify with its key",
    citation: Some("RFC 5280 §6.1.3 (a)(1)"),
    explanation: "A certificate names an issuer that is in the file (same subject, and same key identifier when present), but its signature does not verify with that issuer's key. Either the issuer was re-keyed and this is the old or new one, or the certificate is forged. Clients reject the chain.",
    fix: "replace the issuer with the CA certificate whose key actually signed this certificate",
);

rule!(Cs207, "CS207", "key-id-mismatch", Error,
    summary: "AKI of a certificate differs from the SKI of the issuer whose key verifies it",
    citation: Some("RFC 5280 §4.2.1.1; OpenSSL v3_purp.c X509_check_akid"),
    explanation: "The authorityKeyIdentifier must equal the issuer's subjectKeyIdentifier. OpenSSL only takes a certificate as the issuer when they match (X509_check_akid), so OpenSSL-based clients (nginx, APISIX, Python, curl) and .NET on Linux cannot build the path even though the signature verifies (\"unable to get local issuer certificate\"); Windows CryptoAPI and NSS also match on key identifiers. Go and Java accept the chain. Measured: tests/clients scenario aki-mismatch.",
    fix: "reissue the certificate so its AKI matches the issuer's SKI",
);

rule!(Cs208, "CS208", "unrelated-certificate", Warning,
    summary: "a certificate shares no chain with the others in the file",
    citation: None,
    explanation: "The certificate neither issued nor was issued by any other certificate in the file. In a served chain it is noise a client may trip over; in a CA bundle it usually means a file was pasted into the wrong place. A store with three or more independent roots (a system store, a root pool) is fine and does not fire.",
    fix: "remove the unrelated certificate, or move it to the file it belongs to",
);

rule!(Cs209, "CS209", "pathlen-exceeded", Error,
    summary: "more CA certificates below an issuer than its pathLenConstraint allows",
    citation: Some("RFC 5280 §4.2.1.9, §6.1.4 (l)-(m)"),
    explanation: "pathLenConstraint caps how many non-self-issued intermediate CAs may follow a CA in a path. A chain with more fails in every conforming client (OpenSSL error 25, \"path length constraint exceeded\").",
    fix: "issue the lower CA from a CA with room in its pathLenConstraint, or reissue the constraining CA",
);

rule!(Cs214, "CS214", "name-constraints-violated", Error,
    summary: "a name in a certificate is outside the nameConstraints of a CA above it in the file",
    citation: Some("RFC 5280 §4.2.1.10, §6.1.3 (b)-(c)"),
    explanation: "A CA's nameConstraints limit the names every certificate below it may carry (DNS names, IP ranges, email addresses, URIs, directory names). A certificate with a name outside them is rejected by every client that builds the path through that CA: OpenSSL, curl, Go, Java, rustls and .NET. This is found from the file alone; --trust adds the anchors' constraints to the per-client verdicts (CS213). Measured: tests/clients scenario name-constraints-violated.",
    fix: "reissue the certificate with names inside the permitted subtrees, or issue it from a CA without those constraints",
);

rule!(Cs211, "CS211", "outlives-issuer", Warning,
    summary: "notAfter later than the issuer's notAfter",
    citation: Some("CA/Browser Forum BR §6.3.2"),
    explanation: "A certificate that outlives its issuer stops working when the issuer expires, earlier than its own notAfter says. Rotation reminders based on the leaf's date will be late.",
    fix: "reissue the certificate so it expires before its issuer, or renew the issuer first",
);

rule!(Cs212, "CS212", "key-mismatch", Error,
    summary: "a private key given with (or inside) the file does not match the leaf",
    citation: None,
    explanation: "The private key does not belong to the certificate it is deployed with. The server will fail at start-up (nginx: \"key values mismatch\") or the TLS handshake will fail.",
    fix: "pair the certificate with the key it was issued for (compare `openssl x509 -pubkey` and `openssl pkey -pubout`)",
);

rule!(Cs213, "CS213", "untrusted-chain", Error,
    summary: "with --trust: a client holding those anchors would not trust this served chain; names which clients and why",
    citation: Some("RFC 5280 §6.1; docs/clients.md"),
    explanation: "The served chain was judged the way each client of --client (default: all) judges it: from the first certificate the server sends, through the served certificates and the store, to an anchor that client accepts, with that client's rules on partial chains, key identifiers, EKU on CAs, key sizes, SHA-1, the subject CN, strict X.509 checks, dates, pathLen, name constraints and critical extensions (docs/clients.md). At least one client found no valid path; the message names each such client and the first problem on its most promising path.",
    fix: "add the missing intermediate, replace the failing certificate, or give the client the right CA bundle",
);

/// Does certificate `i` have a candidate issuer other than itself (verified,
/// unverifiable, or failing with a matching key id)?
fn has_issuer_candidate(b: &Bundle<'_>, i: usize) -> bool {
    let me = b.graph.canonical[i];
    b.graph.links[i].iter().any(|l| {
        l.issuer != me
            && match l.status {
                SigCheck::Valid | SigCheck::Unsupported(_) => true,
                SigCheck::Invalid => l.key_id_match != Some(false),
            }
    })
}

/// A self-issued certificate whose own key verifies it (or whose algorithm
/// we cannot verify): a trust anchor.
pub fn is_anchor(b: &Bundle<'_>, i: usize) -> bool {
    let me = b.graph.canonical[i];
    b.certs[i].is_self_issued()
        && b.graph.links[i].iter().any(|l| {
            l.issuer == me && matches!(l.status, SigCheck::Valid | SigCheck::Unsupported(_))
        })
}

fn hex_colon(b: &[u8]) -> String {
    b.iter()
        .map(|x| format!("{x:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

impl Rule for Cs204 {
    fn check(&self, b: &Bundle<'_>, ctx: &Context<'_>) -> Vec<Finding> {
        // A served chain, or an identity for App Service (CS319 asks for
        // the root there) or Key Vault, need not hold the root.
        let identity = b.intent == Intent::ServerChain || b.intent.is_import();
        let top = if identity {
            server_order(b).last().copied()
        } else {
            None
        };
        // With --trust: the name and key of a trusted anchor (a cross
        // certificate of a trusted root) end the path there; no issuer is
        // missing.
        let anchors = &b.certs[b.n_file..];
        let is_trusted_key = |i: usize| {
            let c = &b.certs[i];
            ctx.trust_given
                && (anchors
                    .iter()
                    .any(|a| a.subject_raw == c.subject_raw && a.spki == c.spki)
                    || ctx
                        .trust
                        .iter()
                        .any(|a| a.subject_raw == c.subject_raw && a.spki == c.spki))
        };
        b.distinct()
            .filter(|&i| !is_anchor(b, i) && !has_issuer_candidate(b, i))
            .filter(|&i| !is_trusted_key(i))
            // In trust material an end-entity certificate is CS201/CS202's business.
            .filter(|&i| !b.intent.is_trust() || b.certs[i].is_ca())
            .filter(|&i| {
                // Servers need not send the root: the last CA of a served
                // chain may be issued by a root the clients hold.
                !(identity && !ctx.trust_given && b.certs[i].is_ca() && top == Some(i))
            })
            .map(|i| {
                let c = &b.certs[i];
                let aki = c
                    .aki
                    .as_ref()
                    .map(|a| format!(" (AKI {})", hex_colon(a)))
                    .unwrap_or_else(|| " (no AKI)".to_owned());
                let where_ = if ctx.trust_given {
                    "this file or --trust"
                } else {
                    "this file"
                };
                let fix = match b.intent {
                    Intent::ServerChain => format!(
                        "add the certificate of `{}` right after {}",
                        c.issuer,
                        c.display_name()
                    ),
                    _ => format!("add the CA certificate `{}` to the bundle", c.issuer),
                };
                Finding::cert(
                    &Self::META,
                    c,
                    format!(
                        "the issuer of {} is missing from {where_}: `{}`{aki}",
                        name(c),
                        c.issuer
                    ),
                )
                .with_fix(fix)
            })
            .collect()
    }
}

impl Rule for Cs205 {
    fn check(&self, b: &Bundle<'_>, _: &Context<'_>) -> Vec<Finding> {
        if !b.intent.is_trust() {
            return Vec::new();
        }
        let cas: Vec<usize> = b.distinct().filter(|&i| b.certs[i].is_ca()).collect();
        if cas.is_empty() || cas.iter().any(|&i| is_anchor(b, i)) {
            return Vec::new();
        }
        // Chains that reach an anchor given with --trust are anchored there.
        if cas
            .iter()
            .any(|&i| b.graph.path_up(i).0.iter().any(|&j| b.is_anchor(j)))
        {
            return Vec::new();
        }
        let first = &b.certs[cas[0]];
        let tops: Vec<String> = cas
            .iter()
            .filter_map(|&i| {
                let (path, _) = b.graph.path_up(i);
                path.last().map(|&t| b.certs[t].issuer.clone())
            })
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut f = Finding::file(
            &Self::META,
            &b.file.path,
            first.source.line,
            format!(
                "the CA bundle has no self-signed root; its chains end at `{}`",
                tops.join("`, `")
            ),
        );
        if let Some(t) = tops.first() {
            f = f.with_fix(format!("add the self-signed root `{t}` to the bundle"));
        }
        vec![f]
    }
}

impl Rule for Cs206 {
    fn check(&self, b: &Bundle<'_>, _: &Context<'_>) -> Vec<Finding> {
        let mut out = Vec::new();
        for i in b.distinct() {
            let me = b.graph.canonical[i];
            let links = &b.graph.links[i];
            let others_ok = links
                .iter()
                .any(|l| l.issuer != me && l.status != SigCheck::Invalid);
            if others_ok {
                continue;
            }
            let c = &b.certs[i];
            if let Some(l) = links.iter().find(|l| {
                l.issuer != me && l.status == SigCheck::Invalid && l.key_id_match != Some(false)
            }) {
                let iss = &b.certs[l.issuer];
                let kid = if l.key_id_match == Some(true) {
                    " and key id"
                } else {
                    ""
                };
                out.push(
                    Finding::cert(
                        &Self::META,
                        c,
                        format!(
                            "the signature of {} does not verify with the key of {}, whose name{kid} match its issuer",
                            name(c),
                            name(iss)
                        ),
                    )
                    .with_fix(format!(
                        "replace {} with the CA certificate whose key signed {}, or reissue {}",
                        iss.display_name(),
                        c.display_name(),
                        c.display_name()
                    )),
                );
            } else if c.is_self_issued()
                && links
                    .iter()
                    .any(|l| l.issuer == me && l.status == SigCheck::Invalid)
                && !links.iter().any(|l| l.issuer != me)
                && c.is_ca()
            {
                out.push(Finding::cert(
                    &Self::META,
                    c,
                    format!(
                        "{} names itself as issuer, but its self-signature does not verify",
                        name(c)
                    ),
                ));
            }
        }
        out
    }
}

impl Rule for Cs207 {
    fn check(&self, b: &Bundle<'_>, _: &Context<'_>) -> Vec<Finding> {
        let mut out = Vec::new();
        for i in b.distinct() {
            let Some(j) = b.issuer(i) else { continue };
            let c = &b.certs[i];
            let iss = &b.certs[j];
            if let (Some(aki), Some(ski)) = (&c.aki, &iss.ski)
                && aki != ski
            {
                out.push(Finding::cert(
                    &Self::META,
                    c,
                    format!(
                        "the AKI of {} ({}) differs from the SKI of its issuer {} ({})",
                        name(c),
                        hex_colon(aki),
                        name(iss),
                        hex_colon(ski)
                    ),
                ));
            }
        }
        out
    }
}

/// Union-find over file certificates and anchors, joined by verified links.
/// A link stands for its whole group (same subject, same key): a verified
/// group is joined whole, once, not member by member for every child.
fn components(b: &Bundle<'_>) -> Vec<usize> {
    let n = b.certs.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    fn join(p: &mut [usize], x: usize, y: usize) {
        let (a, c) = (find(p, x), find(p, y));
        if a != c {
            p[a] = c;
        }
    }
    let mut joined: HashSet<(usize, Option<&[u8]>)> = HashSet::new();
    for i in 0..n {
        if b.graph.canonical[i] != i {
            continue;
        }
        for l in &b.graph.links[i] {
            if l.issuer == i {
                continue;
            }
            // A failing signature under a matching name and key id still
            // relates the two (CS206 reports it); a mere name clash does not.
            let peers = if l.status == SigCheck::Valid {
                (l.group, None)
            } else if l.key_id_match == Some(true) {
                (l.group, b.certs[i].aki.as_deref())
            } else {
                continue;
            };
            join(&mut parent, i, l.issuer);
            if joined.insert(peers) {
                let members = match peers.1 {
                    None => b.graph.group_members(l.group),
                    ski => b.graph.group_members_with_ski(l.group, ski),
                };
                for &m in members {
                    join(&mut parent, l.issuer, m);
                }
            }
        }
    }
    (0..n).map(|i| find(&mut parent, i)).collect()
}

impl Rule for Cs208 {
    fn check(&self, b: &Bundle<'_>, _: &Context<'_>) -> Vec<Finding> {
        let ids: Vec<usize> = b.distinct().collect();
        if ids.len() < 2 {
            return Vec::new();
        }
        let comp = components(b);
        let mut sizes: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
        for &i in &ids {
            *sizes.entry(comp[i]).or_default() += 1;
        }
        if sizes.len() < 2 {
            return Vec::new();
        }
        let main = if b.intent == Intent::ServerChain {
            let start = b.leaves().first().copied().unwrap_or(ids[0]);
            comp[start]
        } else {
            // A store of several independent roots (the system store, a
            // root pool) is not a mistake: with three or more separately
            // anchored groups, nothing is "the" chain.
            let anchored: HashSet<usize> = ids
                .iter()
                .filter(|&&i| is_anchor(b, i))
                .map(|&i| comp[i])
                .collect();
            if anchored.len() >= 3 {
                return Vec::new();
            }
            let best = sizes.values().copied().max().unwrap_or(1);
            ids.iter()
                .map(|&i| comp[i])
                .find(|c| sizes.get(c) == Some(&best))
                .unwrap_or(comp[ids[0]])
        };
        ids.iter()
            .filter(|&&i| comp[i] != main)
            .map(|&i| {
                let c = &b.certs[i];
                Finding::cert(
                    &Self::META,
                    c,
                    format!(
                        "{} shares no chain with the other certificates in this file",
                        name(c)
                    ),
                )
                .with_fix(format!(
                    "remove {} or move it to the file it belongs to",
                    c.display_name()
                ))
            })
            .collect()
    }
}

impl Rule for Cs209 {
    fn check(&self, b: &Bundle<'_>, _: &Context<'_>) -> Vec<Finding> {
        let mut seen: HashSet<usize> = HashSet::new();
        let mut out = Vec::new();
        // The first certificate a server sends is the end entity, whatever
        // its CA flag: RFC 5280 counts only the intermediates above it.
        let served_first = (b.intent == Intent::ServerChain)
            .then(|| b.distinct().next())
            .flatten();
        for i in b.distinct() {
            let (path, _) = b.graph.path_up(i);
            for p in 1..path.len() {
                let k = path[p];
                if k >= b.n_file || seen.contains(&k) {
                    continue;
                }
                let Some(max) = b.certs[k].basic_constraints.and_then(|bc| bc.path_len) else {
                    continue;
                };
                let below: Vec<usize> = path[..p]
                    .iter()
                    .copied()
                    .filter(|&j| Some(j) != served_first)
                    .filter(|&j| b.certs[j].is_ca() && !b.certs[j].is_self_issued())
                    .collect();
                if below.len() > max as usize {
                    seen.insert(k);
                    let c = &b.certs[k];
                    let names: Vec<String> = below.iter().map(|&j| name(&b.certs[j])).collect();
                    out.push(
                        Finding::cert(
                            &Self::META,
                            c,
                            format!(
                                "{} has pathLenConstraint {max}, but {} CA certificate(s) are below it: {}",
                                name(c),
                                below.len(),
                                names.join(", ")
                            ),
                        )
                        .with_fix(format!(
                            "issue {} from a CA with a larger pathLenConstraint, or reissue {} with pathlen:{}",
                            b.certs[below[0]].display_name(),
                            c.display_name(),
                            below.len()
                        )),
                    );
                }
            }
        }
        out
    }
}

impl Rule for Cs211 {
    fn check(&self, b: &Bundle<'_>, _: &Context<'_>) -> Vec<Finding> {
        b.distinct()
            .filter_map(|i| {
                let j = b.issuer(i)?;
                let (c, iss) = (&b.certs[i], &b.certs[j]);
                (c.not_after > iss.not_after).then(|| {
                    Finding::cert(
                        &Self::META,
                        c,
                        format!(
                            "{} is valid until {}, after its issuer {} expires ({})",
                            name(c),
                            super::validity::day(c.not_after),
                            name(iss),
                            super::validity::day(iss.not_after)
                        ),
                    )
                })
            })
            .collect()
    }
}

impl Rule for Cs212 {
    fn check(&self, b: &Bundle<'_>, ctx: &Context<'_>) -> Vec<Finding> {
        let mut out = Vec::new();
        let file_certs = &b.certs[..b.n_file];
        let none = PasswordSource::default();
        let path = std::path::Path::new(&*b.file.path);
        for k in b.file.keys.iter().filter(|k| !k.encrypted) {
            let Ok(pair) = keys::key_from_block(path, &k.label, &k.der, false, &none, "key") else {
                continue;
            };
            let public = pair.public_key_raw();
            if !file_certs.is_empty()
                && !file_certs.iter().any(|c| c.public_key.as_slice() == public)
            {
                let leaf = b.leaves().first().copied().unwrap_or(0);
                let mut f = Finding::file(
                    &Self::META,
                    &b.file.path,
                    k.source.line,
                    format!(
                        "the private key (`{}`) in this file matches no certificate in it (leaf: {})",
                        k.label,
                        name(&file_certs[leaf])
                    ),
                );
                f.inner = k.source.inner;
                out.push(f);
            }
        }
        let leaf = b.leaves().first().copied().or_else(|| b.distinct().next());
        if let Some(leaf) = leaf {
            let c = &b.certs[leaf];
            for k in ctx.keys {
                if k.public_key != c.public_key {
                    out.push(Finding::cert(
                        &Self::META,
                        c,
                        format!(
                            "the private key {} does not match the leaf {}",
                            k.path,
                            name(c)
                        ),
                    ));
                }
            }
        }
        out
    }
}

impl Rule for Cs213 {
    fn check(&self, b: &Bundle<'_>, _: &Context<'_>) -> Vec<Finding> {
        match &b.trust {
            Some(v) if !v.trusted => {
                let leaf = b.leaves().first().copied().or_else(|| b.distinct().next());
                let why: Vec<String> = v
                    .rejecting()
                    .map(|c| format!("{}: {}", c.client.name(), c.reason))
                    .collect();
                let msg = format!(
                    "{} of {} clients holding the --trust anchors would reject this chain; {}",
                    why.len(),
                    v.clients.len(),
                    why.join("; ")
                );
                match leaf {
                    Some(i) => vec![Finding::cert(&Self::META, &b.certs[i], msg)],
                    None => vec![Finding::file(&Self::META, &b.file.path, None, msg)],
                }
            }
            _ => Vec::new(),
        }
    }
}

impl Rule for Cs214 {
    fn check(&self, b: &Bundle<'_>, _: &Context<'_>) -> Vec<Finding> {
        // Only paths under a CA of the file that has constraints.
        if !b.certs[..b.n_file].iter().any(|c| c.has_name_constraints) {
            return Vec::new();
        }
        let mut out = Vec::new();
        let mut reported: HashSet<usize> = HashSet::new();
        for i in b.distinct() {
            let (path, _) = b.graph.path_up(i);
            if path.len() < 2 || reported.contains(&path[0]) {
                continue;
            }
            let certs: Vec<&crate::pki::model::Cert> = path.iter().map(|&k| &b.certs[k]).collect();
            if let Err(why) = crate::pki::path::check_name_constraints(&certs) {
                reported.insert(path[0]);
                out.push(Finding::cert(
                    &Self::META,
                    &b.certs[path[0]],
                    why.to_string(),
                ));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;

    #[test]
    fn cs204_missing_intermediate_names_dn_and_aki() {
        let x = fires_not_on("CS204", "missing-intermediate.pem", "server-fullchain.pem");
        says(&x.message, &["Fixture Intermediate CA", "AKI "]);
    }

    #[test]
    fn cs204_leaf_alone_fires_unless_trust_has_its_issuer() {
        assert!(has(&lint_fixture("server.crt", "auto"), "CS204"));
        let int = load_certs("intermediate.crt");
        let f = lint_fixture_trusting("server.crt", &int);
        assert!(!has(&f, "CS204"));
    }

    fires_on! {
        cs205_bundle_without_root: "CS205" on "intermediate.crt" as "ca-bundle", not on "ca-bundle.pem";
    }

    #[test]
    fn cs206_forged_issuer() {
        let x = fires_not_on("CS206", "forged-issuer.pem", "chain-with-root.pem");
        says(&x.message, &["forged.example.com"]);
    }

    #[test]
    fn cs206_not_for_self_signed_roots_that_share_a_name() {
        // cfssl's root store holds two re-keyed pairs (TWCA Root
        // Certification Authority; Taiwan's Government Root Certification
        // Authority): same names, different keys, and openssl
        // (`verify -check_ss_sig`) accepts each self-signature. Neither
        // root was "badly signed" by its namesake.
        let f = lint_corpus("cfssl/bundler/ca-bundle.pem");
        assert!(
            !has(&f, "CS206"),
            "{:?}",
            f.iter().find(|x| x.rule.code == "CS206")
        );
        // The same with rcgen: two self-signed CAs, one name, two keys.
        let (_, _, a) = rcgen_ca("Twin CA", &[]);
        let (_, _, b) = rcgen_ca("Twin CA", &[]);
        let both = [pem_of(&a), pem_of(&b)].concat();
        assert!(!has(&lint_bytes("twins.pem", &both, "ca-bundle"), "CS206"));
        // A forged child of a real issuer is still caught.
        assert!(has(&lint_fixture("forged-issuer.pem", "auto"), "CS206"));
    }

    #[test]
    fn cs207_aki_differs_from_the_verifying_issuers_ski() {
        let (ca_params, ca_key, ca_der) = rcgen_ca("Key Id CA", &[1, 2, 3, 4]);
        // Sign with the same key and name, but announce another key id.
        let mut liar = ca_params.clone();
        liar.key_identifier_method = rcgen::KeyIdMethod::PreSpecified(vec![9, 9, 9, 9]);
        let issuer = rcgen::Issuer::new(liar, &ca_key);
        let mut leaf = rcgen::CertificateParams::new(vec!["kid.example.com".to_owned()]).unwrap();
        leaf.use_authority_key_identifier_extension = true;
        let leaf_key = rcgen::KeyPair::generate().unwrap();
        let leaf_der = leaf.signed_by(&leaf_key, &issuer).unwrap().der().to_vec();
        let bad = [pem_of(&leaf_der), pem_of(&ca_der)].concat();
        let f = lint_bytes("kid.pem", &bad, "auto");
        let x = finding(&f, "CS207");
        assert!(
            x.message.contains("09:09:09:09") && x.message.contains("01:02:03:04"),
            "{}",
            x.message
        );
        // The honest issuer: no finding.
        let good_issuer = rcgen::Issuer::new(ca_params, &ca_key);
        let good = leaf
            .signed_by(&leaf_key, &good_issuer)
            .unwrap()
            .der()
            .to_vec();
        let ok = [pem_of(&good), pem_of(&ca_der)].concat();
        assert!(!has(&lint_bytes("kid.pem", &ok, "auto"), "CS207"));
    }

    #[test]
    fn cs207_mismatch_only_when_ids_differ() {
        // Every fixture has matching key ids.
        assert!(!has(&lint_fixture("chain-with-root.pem", "auto"), "CS207"));
        let f = lint_corpus("cfssl/bundler/inter-L2.pem");
        let l1 = lint_corpus("cfssl/bundler/inter-L1.pem");
        assert!(!has(&f, "CS207") && !has(&l1, "CS207"));
    }

    #[test]
    fn cs208_foreign_root() {
        let x = fires_not_on("CS208", "foreign-root-bundle.pem", "ca-bundle.pem");
        says(&x.message, &["Foreign Root CA"]);
        // A root store (cfssl's 348 roots) is not "unrelated certificates".
        assert!(!has(&lint_corpus("cfssl/bundler/ca-bundle.pem"), "CS208"));
    }

    #[test]
    fn cs209_pathlen() {
        let x = fires_not_on("CS209", "pathlen-violation.pem", "chain-with-root.pem");
        says(&x.message, &["Fixture Intermediate CA", "Sub CA"]);
    }

    #[test]
    fn cs211_outlives_issuer() {
        // The openssl-made chain nests lifetimes; a reissued intermediate
        // that outlives the root does not.
        assert!(!has(&lint_fixture("chain-with-root.pem", "auto"), "CS211"));
        let f = lint_corpus("cfssl/bundler/inter-L1.pem");
        let ca = lint_corpus("cfssl/bundler/ca.pem");
        assert!(!has(&ca, "CS211"));
        // inter-L1 (valid to 2116) outlives ca.pem (2035) when both are present.
        let both = [
            read_corpus("cfssl/bundler/inter-L1.pem"),
            read_corpus("cfssl/bundler/ca.pem"),
        ]
        .concat();
        assert!(has(&lint_bytes("b.pem", &both, "ca-bundle"), "CS211"));
        assert!(!has(&f, "CS211"));
    }

    #[test]
    fn cs212_key_mismatch() {
        assert!(!has(&lint_fixture("with-private-key.pem", "auto"), "CS212"));
        let other = [read_fixture("server.crt"), read_fixture("intermediate.key")].concat();
        assert!(has(&lint_bytes("s.pem", &other, "auto"), "CS212"));
    }

    #[test]
    fn cs213_trust_verdict() {
        let root = load_certs("root.crt");
        let good = lint_fixture_trusting("server-fullchain.pem", &root);
        assert!(!has(&good, "CS213"), "{good:?}");
        let bad = lint_fixture_trusting("missing-intermediate.pem", &root);
        assert!(has(&bad, "CS213"));
    }
}
