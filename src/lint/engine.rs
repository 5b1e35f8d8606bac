//! Run the rules over a set of files. Files are read and parsed in
//! parallel; one `Verifier` is shared, so an issuer/child pair that appears
//! in many files is verified once.
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use rayon::prelude::*;

use super::config::Overrides;
use super::{
    Bundle, CertRef, ClientTrust, Context, Expect, Finding, Intent, Status, TrustVerdict, registry,
};
use crate::pki::chain::Graph;
use crate::pki::clients;
use crate::pki::load::{self, LoadOptions, LoadedFile};
use crate::pki::model::Cert;

/// One input: its display path, the intent asked for, and its bytes.
pub struct Input {
    pub path: Arc<str>,
    pub expect: Expect,
    /// Where a non-auto `expect` came from ("--expect" or "config").
    pub expect_source: &'static str,
    pub bytes: Vec<u8>,
}

/// The outcome for one file.
#[derive(Debug)]
pub struct FileResult {
    pub path: Arc<str>,
    pub intent: Option<Intent>,
    pub intent_reason: &'static str,
    pub certificates: usize,
    pub findings: Vec<Finding>,
    pub trust: Option<TrustVerdict>,
}

/// Options that shape how files are read.
#[derive(Default)]
pub struct EngineOptions<'a> {
    pub pkcs12_password: Option<&'a str>,
}

struct Prepared {
    file: LoadedFile,
    bytes: Vec<u8>,
    certs: Vec<Cert>,
    n_file: usize,
    intent: Option<Intent>,
    reason: &'static str,
}

/// File-name hints for CA trust, from the words of the name (split at
/// anything that is not a letter or digit), never from substrings: `cafe.pem`
/// and `cafalse.pem` hint at nothing. Weak: a word such as `ca`, `bundle`,
/// `trust`, `truststore`, `cacert`. Strong, enough to call a leaf-first file
/// trust material: an explicit CA-bundle phrase (`ca-bundle`, `cabundle`,
/// `ca-chain`, `cacert(s)`, `ca-cert(s)`) or a name that is just `ca`.
fn name_hint(path: &str) -> (bool, bool) {
    let stem = std::path::Path::new(path)
        .file_stem()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let words: Vec<&str> = stem
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    const WEAK: &[&str] = &[
        "ca",
        "cas",
        "bundle",
        "trust",
        "truststore",
        "trusted",
        "anchors",
        "cacert",
        "cacerts",
        "cabundle",
        "cachain",
    ];
    const STRONG: &[&str] = &["cabundle", "cachain", "cacert", "cacerts"];
    let weak = words.iter().any(|w| WEAK.contains(w));
    let pair = words.windows(2).any(|p| {
        p[0] == "ca" && matches!(p[1], "bundle" | "chain" | "cert" | "certs" | "certificates")
    });
    let strong = pair || words.iter().any(|w| STRONG.contains(w)) || words == ["ca"];
    (weak, strong)
}

/// Decide what a file is meant to be.
pub fn resolve_intent(
    path: &str,
    certs: &[Cert],
    expect: Expect,
    source: &'static str,
) -> (Option<Intent>, &'static str) {
    match expect {
        Expect::CaBundle => return (Some(Intent::CaBundle), source),
        Expect::ServerChain => return (Some(Intent::ServerChain), source),
        Expect::ApimCa => return (Some(Intent::ApimCa), source),
        Expect::Aks => return (Some(Intent::Aks), source),
        Expect::AppservicePfx => return (Some(Intent::AppServicePfx), source),
        Expect::KeyvaultPfx => return (Some(Intent::KeyVaultPfx), source),
        Expect::KeyvaultPem => return (Some(Intent::KeyVaultPem), source),
        Expect::Auto => {}
    }
    let Some(first) = certs.first() else {
        return (None, "no certificates");
    };
    let (weak, strong) = name_hint(path);
    let any_ca = certs.iter().any(Cert::is_ca);
    let any_ee = certs.iter().any(|c| !c.is_ca());
    let intent = match (any_ca, any_ee) {
        (false, _) if weak => (Intent::CaBundle, "file name (only end-entity certificates)"),
        (false, _) => (Intent::ServerChain, "content (end-entity certificates)"),
        (true, false) => (Intent::CaBundle, "content (only CA certificates)"),
        (true, true) if !first.is_ca() && strong => (Intent::CaBundle, "file name"),
        (true, true) if !first.is_ca() => (
            Intent::ServerChain,
            "content (first certificate is an end-entity)",
        ),
        (true, true) if weak => (
            Intent::CaBundle,
            "file name and content (first certificate is a CA)",
        ),
        (true, true) => (
            Intent::ServerChain,
            "content (holds an end-entity certificate)",
        ),
    };
    (Some(intent.0), intent.1)
}

/// The `--trust` anchors indexed by subject (raw DER, and normalised).
pub struct TrustIndex {
    by_raw: HashMap<Vec<u8>, Vec<usize>>,
    by_norm: HashMap<String, Vec<usize>>,
}

fn norm_name(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

impl TrustIndex {
    pub fn new(trust: &[Cert]) -> Self {
        let mut by_raw: HashMap<Vec<u8>, Vec<usize>> = HashMap::new();
        let mut by_norm: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, t) in trust.iter().enumerate() {
            by_raw.entry(t.subject_raw.clone()).or_default().push(i);
            by_norm.entry(norm_name(&t.subject)).or_default().push(i);
        }
        TrustIndex { by_raw, by_norm }
    }

    /// Anchors (indices into the trust list) that may have issued one of `certs`.
    /// Each anchor once, in the order first named (a set, not a scan of the
    /// list so far: a file of many same-name certificates against a store of
    /// many same-name anchors stays linear).
    fn issuers_of(&self, certs: &[Cert]) -> Vec<usize> {
        let mut out: Vec<usize> = Vec::new();
        let mut seen: HashSet<usize> = HashSet::new();
        let mut names: HashSet<&[u8]> = HashSet::new();
        for c in certs {
            if !names.insert(c.issuer_raw.as_slice()) {
                continue;
            }
            let hits = self
                .by_raw
                .get(&c.issuer_raw)
                .or_else(|| self.by_norm.get(&norm_name(&c.issuer)));
            for &h in hits.into_iter().flatten() {
                if seen.insert(h) {
                    out.push(h);
                }
            }
        }
        out
    }
}

fn prepare(
    input: Input,
    ctx: &Context<'_>,
    index: &TrustIndex,
    opts: &EngineOptions<'_>,
) -> Prepared {
    let lopts = LoadOptions {
        pkcs12_password: opts.pkcs12_password,
    };
    let mut file = load::load_bytes(&input.path, &input.bytes, &lopts);
    let mut certs = std::mem::take(&mut file.certs);
    let n_file = certs.len();
    let (intent, reason) = resolve_intent(&input.path, &certs, input.expect, input.expect_source);
    let anchors = if ctx.trust_given {
        index.issuers_of(&certs)
    } else {
        Vec::new()
    };
    // The graph gets the anchors that are not already in the file.
    let have: HashSet<[u8; 32]> = certs.iter().map(|c| c.sha256).collect();
    let extra: Vec<Cert> = anchors
        .iter()
        .map(|&a| &ctx.trust[a])
        .filter(|t| !have.contains(&t.sha256))
        .cloned()
        .collect();
    certs.extend(extra);
    Prepared {
        file,
        bytes: input.bytes,
        certs,
        n_file,
        intent,
        reason,
    }
}

fn verdict(p: &Prepared, ctx: &Context<'_>, now: ::time::OffsetDateTime) -> Option<TrustVerdict> {
    if !ctx.trust_given || p.intent != Some(Intent::ServerChain) {
        return None;
    }
    // What the server sends, in its order: clients take the first
    // certificate as the end entity, whatever it is.
    let served: Vec<&Cert> = p.certs[..p.n_file].iter().collect();
    let store: Vec<&Cert> = ctx.trust.iter().collect();
    let found = clients::verdicts(
        &served,
        &store,
        ctx.host.as_deref(),
        now,
        ctx.clients,
        ctx.verifier,
    );
    // The clients' paths share their certificates: describe each once (an
    // RFC 4514 name is not free, and this runs for every file of a scan).
    let described: std::cell::RefCell<HashMap<[u8; 32], Arc<CertRef>>> = Default::default();
    let refs = |path: &[&Cert]| {
        let mut memo = described.borrow_mut();
        path.iter()
            .map(|c| {
                Arc::clone(
                    memo.entry(c.sha256)
                        .or_insert_with(|| Arc::new(CertRef::of(c))),
                )
            })
            .collect::<Vec<_>>()
    };
    let per: Vec<ClientTrust> = found
        .iter()
        .map(|v| ClientTrust {
            client: v.client,
            trusted: v.trusted,
            reason: v.reason.clone(),
            path: refs(&v.path),
        })
        .collect();
    let trusted = !per.is_empty() && per.iter().all(|c| c.trusted);
    let rejecting: Vec<&str> = per
        .iter()
        .filter(|c| !c.trusted)
        .map(|c| c.client.name())
        .collect();
    let reason = match (trusted, found.first()) {
        (true, Some(v)) => format!(
            "trusted by every client checked ({}); {}",
            per.iter()
                .map(|c| c.client.name())
                .collect::<Vec<_>>()
                .join(", "),
            v.reason
        ),
        (false, _) if rejecting.len() == per.len() => {
            format!(
                "rejected by every client checked ({})",
                rejecting.join(", ")
            )
        }
        (false, _) => format!(
            "rejected by {} of {} clients ({})",
            rejecting.len(),
            per.len(),
            rejecting.join(", ")
        ),
        (true, None) => String::new(),
    };
    let path = found
        .iter()
        .find(|v| v.trusted)
        .or_else(|| found.first())
        .map(|v| refs(&v.path))
        .unwrap_or_default();
    Some(TrustVerdict {
        trusted,
        reason,
        path,
        clients: per,
    })
}

/// Lint every input. Results come back in input order.
pub fn run(
    inputs: Vec<Input>,
    ctx: &Context<'_>,
    opts: &EngineOptions<'_>,
    overrides: &Overrides,
) -> Vec<FileResult> {
    let index = TrustIndex::new(ctx.trust);
    let prepared: Vec<Prepared> = inputs
        .into_par_iter()
        .map(|i| prepare(i, ctx, &index, opts))
        .collect();
    let password_given = opts.pkcs12_password.is_some();
    let bundles: Vec<Bundle<'_>> = prepared
        .par_iter()
        .map(|p| Bundle {
            file: &p.file,
            bytes: &p.bytes,
            intent: p.intent.unwrap_or(Intent::ServerChain),
            intent_reason: p.reason,
            certs: &p.certs,
            n_file: p.n_file,
            graph: Graph::build(&p.certs, ctx.verifier),
            password_given,
            trust: verdict(p, ctx, ctx.now),
        })
        .collect();
    let mut per_file: Vec<Vec<Finding>> = bundles
        .par_iter()
        .map(|b| {
            // Rules are independent and pure: run them side by side too
            // (a single large bundle is then spread over all cores).
            registry::rules()
                .par_iter()
                .filter(|r| r.meta().status == Status::Active)
                .flat_map_iter(|r| r.check(b, ctx))
                .filter_map(|f| overrides.apply(f))
                .collect()
        })
        .collect();
    let refs: Vec<&Bundle<'_>> = bundles.iter().collect();
    for r in registry::rules()
        .iter()
        .filter(|r| r.meta().status == Status::Active)
    {
        for f in r.check_run(&refs, ctx) {
            if let Some(f) = overrides.apply(f)
                && let Some(k) = bundles.iter().position(|b| b.file.path == f.path)
            {
                per_file[k].push(f);
            }
        }
    }
    bundles
        .iter()
        .zip(prepared.iter())
        .zip(per_file)
        .map(|((b, p), mut findings)| {
            findings.sort_by(|x, y| {
                (x.line.unwrap_or(0), x.inner.unwrap_or(0), x.rule.code).cmp(&(
                    y.line.unwrap_or(0),
                    y.inner.unwrap_or(0),
                    y.rule.code,
                ))
            });
            FileResult {
                path: Arc::clone(&b.file.path),
                intent: p.intent,
                intent_reason: p.reason,
                certificates: p.n_file,
                findings,
                trust: b.trust.clone(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;

    #[test]
    fn intent_inference() {
        let chain = load_certs("chain-with-root.pem");
        let (leaf, rest) = chain.split_at(1);
        let intent =
            |name: &str, certs: &[Cert]| resolve_intent(name, certs, Expect::Auto, "auto").0;
        assert_eq!(intent("server.pem", &chain), Some(Intent::ServerChain));
        assert_eq!(intent("ca-bundle.pem", &chain), Some(Intent::CaBundle));
        assert_eq!(intent("x.pem", rest), Some(Intent::CaBundle));
        assert_eq!(intent("x.pem", leaf), Some(Intent::ServerChain));
        for hint in ["ca.pem", "my-bundle.crt", "truststore.pem", "cacert.pem"] {
            assert_eq!(intent(hint, leaf), Some(Intent::CaBundle), "{hint}");
        }
        // A weak hint does not turn a leaf-first chain into trust material.
        assert_eq!(intent("ssl-bundle.crt", &chain), Some(Intent::ServerChain));
        assert_eq!(intent("trust.pem", &chain), Some(Intent::ServerChain));
        // Words, not substrings: these names say nothing about CAs.
        for name in [
            "cafe.pem",
            "cafalse.pem",
            "local.pem",
            "decay.pem",
            "distrust-me.pem",
        ] {
            assert_eq!(intent(name, leaf), Some(Intent::ServerChain), "{name}");
            assert_eq!(intent(name, &chain), Some(Intent::ServerChain), "{name}");
        }
        for name in [
            "CA_Bundle.PEM",
            "my-ca-chain.crt",
            "caBundle.pem",
            "trusted-cas.pem",
        ] {
            assert_eq!(intent(name, leaf), Some(Intent::CaBundle), "{name}");
        }
        assert_eq!(intent("x.pem", &[]), None);
        let forced = resolve_intent("x.pem", leaf, Expect::Aks, "--expect");
        assert_eq!(forced, (Some(Intent::Aks), "--expect"));
    }

    #[test]
    fn mutated_inputs_never_panic() {
        let der = read_fixture("intermediate.der");
        let pem = read_fixture("chain-with-root.pem");
        for i in (0..der.len()).step_by(3) {
            let mut m = der.clone();
            m[i] ^= 0x5a;
            let _ = lint_bytes("m.der", &m, "auto");
            let _ = lint_bytes("m.der", &der[..i], "auto");
        }
        for i in (0..pem.len()).step_by(17) {
            let mut m = pem.clone();
            m[i] = b'#';
            let _ = lint_bytes("m.pem", &m, "server-chain");
        }
    }
}
