//! `bundle`: any pile of certificates → a clean, ordered, deduplicated,
//! LF-only bundle for a named use. Links are confirmed by signature checks;
//! the output depends only on the set of certificates, not on input order.
use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail};

use super::inputs::{Accept, PasswordCache, load_certs_only};
use crate::ExitStatus;
use crate::cli::GlobalArgs;
use crate::cli::bundle::{BundleArgs, BundleFor};
use crate::fsio::{Mode, WriteSet};
use crate::pki::load::{self, LoadOptions};
use crate::pki::{Cert, Graph, PathEnd, Verifier};
use crate::report::{Printer, escape};

/// At most this many CA certificates for `az aks update --custom-ca-trust-certificates`.
pub const AKS_MAX_CERTS: usize = 10;

/// What to build and where to write it, from the arguments.
pub struct BundlePlan {
    /// `--for` (and `--with-root`): which certificates, in which order.
    pub target: Target,
    /// A missing or broken link is a warning, not an error.
    pub allow_incomplete: bool,
    /// The trust store to append (`--system-roots`).
    pub system_roots: Option<PathBuf>,
    /// `None` is standard output.
    pub out: Option<PathBuf>,
    /// Replace an existing output file.
    pub force: bool,
}

/// What the bundle is for; only a served chain may end with its root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Ca,
    Aks,
    Server { with_root: bool },
}

impl BundlePlan {
    /// Refuse flags that do not apply to the target.
    pub fn resolve(args: &BundleArgs) -> anyhow::Result<Self> {
        if args.with_root && args.target != BundleFor::Server {
            bail!(
                "--with-root only applies to --for server (a CA bundle always ends with its roots)"
            );
        }
        if args.system_roots.is_some() && args.target == BundleFor::Server {
            bail!(
                "--system-roots applies to --for ca and --for aks: a served chain never carries a trust store"
            );
        }
        Ok(BundlePlan {
            target: match args.target {
                BundleFor::Ca => Target::Ca,
                BundleFor::Aks => Target::Aks,
                BundleFor::Server => Target::Server {
                    with_root: args.with_root,
                },
            },
            allow_incomplete: args.allow_incomplete,
            system_roots: args.system_roots.clone(),
            out: args.out.clone(),
            force: args.force,
        })
    }

    fn what(&self) -> &'static str {
        match self.target {
            Target::Ca | Target::Aks => "CA bundle",
            Target::Server { .. } => "server chain",
        }
    }
}

pub fn run(args: BundleArgs, global: &GlobalArgs) -> anyhow::Result<ExitStatus> {
    let printer = Printer::new(global);
    let plan = BundlePlan::resolve(&args)?;
    // Every certificate the bundle may be built from is collected here,
    // before anything is linked.
    let mut certs = load_inputs(&args, &printer)?;
    if args.fetch_aia {
        let fetched = super::probe::fetch_missing_issuers(&certs, args.timeout, &printer)?;
        certs.extend(fetched);
    }
    let system = match &plan.system_roots {
        Some(path) => load_store(path, &printer)?,
        None => Vec::new(),
    };
    let ordered = build(&plan, certs, &system, &printer)?;
    let text = to_text(plan.target, &ordered)?;
    match &plan.out {
        Some(out) => {
            let mut set = WriteSet::new();
            set.add(out, text.into_bytes(), Mode::Public);
            set.commit(plan.force)?;
            printer.info(&format!(
                "wrote {} ({}, {} certificates)",
                out.display(),
                plan.what(),
                ordered.len()
            ));
        }
        None => printer.out(&text)?,
    }
    Ok(ExitStatus::Clean)
}

/// The certificates of every input, in order; private keys are left out
/// with a warning.
fn load_inputs(args: &BundleArgs, printer: &Printer) -> anyhow::Result<Vec<Cert>> {
    let mut passwords = PasswordCache::new(args.no_password, args.password.source());
    load_certs_only(
        &args.inputs,
        &mut passwords,
        args.password.password_stdin,
        printer,
        "a private key is left out of the bundle",
    )
}

/// The trust store of `--system-roots`.
fn load_store(path: &Path, printer: &Printer) -> anyhow::Result<Vec<Cert>> {
    let store = load::load_path(path, &LoadOptions::default())?;
    super::inputs::check(&store, Accept { key_only: false }, printer)?;
    Ok(store.certs)
}

/// Link `inputs` (with the store certificates that may issue them) and
/// order them for the target; the store goes last, whole, in its own order,
/// without repeats.
fn build(
    plan: &BundlePlan,
    inputs: Vec<Cert>,
    system: &[Cert],
    printer: &Printer,
) -> anyhow::Result<Vec<Cert>> {
    let n_inputs = inputs.len();
    let mut all = inputs;
    let issuers = store_issuers(&all, system);
    all.extend(issuers);
    let verifier = Verifier::new();
    let graph = Graph::build(&all, &verifier);
    let linker = Linker {
        graph: &graph,
        verifier: &verifier,
        n_inputs,
        allow_incomplete: plan.allow_incomplete,
        printer,
    };
    let picked = match plan.target {
        Target::Ca | Target::Aks => linker.ca()?,
        Target::Server { with_root } => linker.server(with_root)?,
    };
    let mut ordered: Vec<Cert> = picked.iter().map(|&i| all[i].clone()).collect();
    let mut seen: HashSet<[u8; 32]> = ordered.iter().map(|c| c.sha256).collect();
    for c in system {
        if seen.insert(c.sha256) {
            ordered.push(c.clone());
        }
    }
    Ok(ordered)
}

/// The store certificates that may issue an input (or, in turn, one of
/// those): only these take part in linking; the rest are appended
/// unchecked, as the store is trusted as a whole (verifying 144 roots would
/// double the run time).
fn store_issuers(inputs: &[Cert], system: &[Cert]) -> Vec<Cert> {
    let mut out = Vec::new();
    let mut taken = vec![false; system.len()];
    let mut frontier: Vec<Cert> = inputs.to_vec();
    while !frontier.is_empty() {
        let mut next = Vec::new();
        for (k, s) in system.iter().enumerate() {
            let issues_one = frontier.iter().any(|c| {
                crate::pki::model::names_match(&s.subject_raw, &s.subject, &c.issuer_raw, &c.issuer)
            });
            if !taken[k] && issues_one {
                taken[k] = true;
                next.push(s.clone());
            }
        }
        out.extend(next.iter().cloned());
        frontier = next;
    }
    out
}

/// LF-only PEM; for AKS, blank-line separated and at most [`AKS_MAX_CERTS`].
fn to_text(target: Target, certs: &[Cert]) -> anyhow::Result<String> {
    if target != Target::Aks {
        return Ok(certs.iter().map(|c| c.to_pem()).collect());
    }
    if certs.len() > AKS_MAX_CERTS {
        bail!(
            "AKS takes at most {AKS_MAX_CERTS} CA certificates; this bundle has {}",
            certs.len()
        );
    }
    Ok(certs
        .iter()
        .map(|c| c.to_pem())
        .collect::<Vec<_>>()
        .join("\n"))
}

/// Orders certificates for a target over a linked graph.
struct Linker<'a> {
    graph: &'a Graph<'a>,
    /// Shares the signature cache, so re-linking a subset verifies nothing twice.
    verifier: &'a Verifier,
    n_inputs: usize,
    allow_incomplete: bool,
    printer: &'a Printer,
}

impl Linker<'_> {
    fn cert(&self, i: usize) -> &Cert {
        &self.graph.certs[i]
    }

    /// `NAME (FILE:LINE)`, escaped, for messages.
    fn described(&self, i: usize) -> String {
        let c = self.cert(i);
        format!(
            "{} ({})",
            escape(&c.display_name()),
            escape(&c.source.location())
        )
    }

    /// Distinct input certificates (first copies).
    fn inputs(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.n_inputs).filter(|&i| self.graph.canonical[i] == i)
    }

    /// A missing or broken link: an error, or a warning with --allow-incomplete.
    fn broken(&self, msg: String) -> anyhow::Result<()> {
        if self.allow_incomplete {
            self.printer.warn(&msg);
            Ok(())
        } else {
            Err(anyhow!(
                "{msg}; add the missing certificate, or pass --allow-incomplete"
            ))
        }
    }

    /// Why the walk up from `start` did not reach a root, if it did not.
    fn gap(&self, start: usize) -> Option<String> {
        let (path, end) = self.graph.path_up(start);
        let last = *path.last().unwrap_or(&start);
        let c = self.cert(last);
        let at = escape(&c.source.location()).into_owned();
        let name = escape(&c.display_name()).into_owned();
        match end {
            PathEnd::Anchor => None,
            PathEnd::Missing => Some(format!(
                "{at}: the issuer of {name} is missing: {}",
                escape(&c.issuer)
            )),
            PathEnd::BadSignature { candidate } => Some(format!(
                "{at}: {name} names {} as its issuer ({}), but the signature does not verify with its key",
                escape(&self.cert(candidate).display_name()),
                escape(&self.cert(candidate).source.location())
            )),
            PathEnd::Unverifiable { reason, .. } => Some(format!(
                "{at}: cannot check the issuer of {name}: {}",
                escape(&reason)
            )),
            PathEnd::Cycle { .. } => Some(format!(
                "{at}: the issuers of {name} form a cycle with no root"
            )),
        }
    }

    /// CA certificates of the inputs: intermediates child-first, then roots,
    /// then the system store when it was loaded. End-entity certificates are
    /// left out and listed; their chains must still be complete.
    fn ca(&self) -> anyhow::Result<Vec<usize>> {
        let leaves: Vec<usize> = self.inputs().filter(|&i| !self.cert(i).is_ca()).collect();
        let cas: Vec<usize> = self.inputs().filter(|&i| self.cert(i).is_ca()).collect();
        if cas.is_empty() {
            if let Some(&l) = leaves.first() {
                let c = self.cert(l);
                bail!(
                    "{}: {} is a server certificate; pass its issuing CA files, or use `--for server`",
                    escape(&c.source.location()),
                    escape(&c.display_name())
                );
            }
            bail!("no certificate in the inputs");
        }
        let mut sorted_leaves = leaves.clone();
        sorted_leaves.sort_by_key(|&a| self.cert(a).sha256);
        for &i in sorted_leaves.iter().chain(&cas) {
            if let Some(msg) = self.gap(i) {
                self.broken(msg)?;
            }
        }
        // Order from the CA certificates alone, so that adding or removing a
        // leaf never reorders the bundle. When the pile is nothing but input
        // CAs, the graph at hand is that graph already.
        let (mut body, mut roots) = (Vec::new(), Vec::new());
        let mut place = |g: &Graph<'_>, map: &dyn Fn(usize) -> usize| {
            let mut emitted = HashSet::new();
            for (path, _) in g.chains() {
                for p in path {
                    if emitted.insert(p) {
                        if g.is_self_signed(p) {
                            roots.push(map(p));
                        } else {
                            body.push(map(p));
                        }
                    }
                }
            }
        };
        if leaves.is_empty() && self.graph.certs.len() == self.n_inputs {
            place(self.graph, &|p| p);
        } else {
            let ca_certs: Vec<Cert> = cas.iter().map(|&i| self.cert(i).clone()).collect();
            let sub = Graph::build(&ca_certs, self.verifier);
            place(&sub, &|p| cas[p]);
        }
        body.extend(roots);
        for l in sorted_leaves {
            let what = self.described(l);
            self.printer
                .info(&format!("left out end-entity certificate {what}"));
        }
        Ok(body)
    }

    /// The one end-entity certificate among the inputs, for `--for server`.
    fn the_leaf(&self) -> anyhow::Result<usize> {
        let leaves: Vec<usize> = self.inputs().filter(|&i| !self.cert(i).is_ca()).collect();
        match leaves.as_slice() {
            [one] => Ok(*one),
            [] => bail!(
                "no end-entity (server) certificate in the inputs; --for server needs the leaf (for CA certificates use --for ca)"
            ),
            many => {
                let list: Vec<String> = many.iter().map(|&i| self.described(i)).collect();
                bail!(
                    "{} end-entity certificates in the inputs: {}; give one server certificate",
                    many.len(),
                    list.join(", ")
                );
            }
        }
    }

    /// The served chain: the one leaf, then each issuer; the self-signed root
    /// only with `with_root`. The chain may stop at a CA whose root the
    /// clients hold; a leaf alone with a missing issuer is incomplete.
    fn server(&self, with_root: bool) -> anyhow::Result<Vec<usize>> {
        let leaf = self.the_leaf()?;
        let (mut path, end) = self.graph.path_up(leaf);
        let last = *path.last().unwrap_or(&leaf);
        match &end {
            PathEnd::Anchor => {
                if path.len() > 1 && !with_root {
                    path.pop();
                }
            }
            PathEnd::Missing if path.len() > 1 && self.cert(last).is_ca() => {
                if with_root {
                    self.printer.warn(&format!(
                        "--with-root: the root of {} is not in the inputs",
                        escape(&self.cert(leaf).display_name())
                    ));
                }
            }
            _ => {
                if let Some(msg) = self.gap(leaf) {
                    self.broken(msg)?;
                }
            }
        }
        let used: HashSet<usize> = path.iter().copied().collect();
        for i in self.inputs().filter(|i| !used.contains(i)) {
            if self.graph.is_self_signed(i) && !with_root && self.graph.path_up(leaf).0.contains(&i)
            {
                continue;
            }
            let what = self.described(i);
            self.printer
                .info(&format!("left out {what}: not in the served chain"));
        }
        Ok(path)
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use super::*;
    use crate::cli::{Cli, Command};

    fn plan(argv: &[&str]) -> anyhow::Result<BundlePlan> {
        let full = ["chainsmith", "bundle"].iter().chain(argv);
        match Cli::try_parse_from(full)?.command {
            Command::Bundle(a) => BundlePlan::resolve(&a),
            other => panic!("not bundle: {other:?}"),
        }
    }

    #[test]
    fn flags_that_do_not_fit_the_target_are_refused() {
        let err = plan(&["--with-root", "a.pem"]).err().unwrap();
        assert!(
            err.to_string().contains("--with-root only applies"),
            "{err}"
        );
        let err = plan(&["--for", "server", "--system-roots", "a.pem"])
            .err()
            .unwrap();
        assert!(err.to_string().contains("--system-roots applies"), "{err}");
    }

    #[test]
    fn with_root_belongs_to_the_served_chain() {
        let p = plan(&["--for", "server", "--with-root", "a.pem"]).unwrap();
        assert_eq!(p.target, Target::Server { with_root: true });
        assert_eq!(
            plan(&["--for", "aks", "a.pem"]).unwrap().target,
            Target::Aks
        );
        let p = plan(&["--system-roots", "a.pem"]).unwrap();
        assert_eq!(p.target, Target::Ca);
        assert_eq!(
            p.system_roots.as_deref(),
            Some(Path::new(crate::cli::bundle::DEFAULT_SYSTEM_ROOTS))
        );
    }
}
