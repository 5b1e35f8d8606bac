//! `bundle`: any pile of certificates → a clean, ordered, deduplicated,
//! LF-only bundle for a named use. Links are confirmed by signature checks;
//! the output depends only on the set of certificates, not on input order.
use std::collections::HashSet;

use anyhow::{anyhow, bail};

use super::inputs::{Accept, PasswordCache, load_all};
use crate::ExitStatus;
use crate::cli::GlobalArgs;
use crate::cli::bundle::{BundleArgs, BundleFor};
use crate::fsio::{Mode, WriteSet};
use crate::pki::load::{self, LoadOptions};
use crate::pki::{Cert, Graph, PathEnd, Verifier};
use crate::report::{Printer, escape};

/// At most this many CA certificates for `az aks update --custom-ca-trust-certificates`.
pub const AKS_MAX_CERTS: usize = 10;

pub fn run(args: BundleArgs, global: &GlobalArgs) -> anyhow::Result<ExitStatus> {
    let printer = Printer::new(global);
    if args.with_root && args.target != BundleFor::Server {
        bail!("--with-root only applies to --for server (a CA bundle always ends with its roots)");
    }
    if args.system_roots.is_some() && args.target == BundleFor::Server {
        bail!(
            "--system-roots applies to --for ca and --for aks: a served chain never carries a trust store"
        );
    }
    let mut passwords = PasswordCache::new(args.no_password, args.password.source());
    let files = load_all(
        &args.inputs,
        &mut passwords,
        args.password.password_stdin,
        Accept { key_only: false },
        &printer,
    )?;
    for k in files.iter().flat_map(|f| f.keys.iter()) {
        printer.warn(&format!(
            "{}: a private key is left out of the bundle",
            escape(&k.source.location())
        ));
    }
    let mut all: Vec<Cert> = files.into_iter().flat_map(|f| f.certs).collect();
    if args.fetch_aia {
        all.extend(super::probe::fetch_missing_issuers(
            &all,
            args.timeout,
            &printer,
        )?);
    }
    let n_inputs = all.len();
    let mut system = Vec::new();
    if let Some(path) = &args.system_roots {
        let store = load::load_path(path, &LoadOptions::default())?;
        super::inputs::check(&store, Accept { key_only: false }, &printer)?;
        system = store.certs;
        // Only store certificates that may issue an input (or, in turn, one
        // of those) take part in linking; the rest are appended unchecked, as
        // the store is trusted as a whole (verifying 144 roots would double
        // the run time).
        let mut taken = vec![false; system.len()];
        let mut frontier: Vec<Cert> = all.clone();
        while !frontier.is_empty() {
            let mut next = Vec::new();
            for (k, s) in system.iter().enumerate() {
                let issues_one = frontier.iter().any(|c| {
                    crate::pki::model::names_match(
                        &s.subject_raw,
                        &s.subject,
                        &c.issuer_raw,
                        &c.issuer,
                    )
                });
                if !taken[k] && issues_one {
                    taken[k] = true;
                    next.push(s.clone());
                }
            }
            all.extend(next.iter().cloned());
            frontier = next;
        }
    }
    let verifier = Verifier::new();
    let graph = Graph::build(&all, &verifier);
    let plan = Plan {
        graph: &graph,
        verifier: &verifier,
        n_inputs,
        allow_incomplete: args.allow_incomplete,
        printer: &printer,
    };
    let (certs, what) = match args.target {
        BundleFor::Ca | BundleFor::Aks => (plan.ca()?, "CA bundle"),
        BundleFor::Server => (plan.server(args.with_root)?, "server chain"),
    };
    // The system store goes last, whole, in its own order, without repeats.
    let mut ordered: Vec<&Cert> = certs.iter().map(|&i| &all[i]).collect();
    let mut seen: HashSet<[u8; 32]> = ordered.iter().map(|c| c.sha256).collect();
    for c in &system {
        if seen.insert(c.sha256) {
            ordered.push(c);
        }
    }
    let text = match args.target {
        BundleFor::Aks => {
            if ordered.len() > AKS_MAX_CERTS {
                bail!(
                    "AKS takes at most {AKS_MAX_CERTS} CA certificates; this bundle has {}",
                    ordered.len()
                );
            }
            ordered
                .iter()
                .map(|c| c.to_pem())
                .collect::<Vec<_>>()
                .join("\n")
        }
        _ => ordered.iter().map(|c| c.to_pem()).collect(),
    };
    match &args.out {
        Some(out) => {
            let mut set = WriteSet::new();
            set.add(out, text.into_bytes(), Mode::Public);
            set.commit(args.force)?;
            printer.info(&format!(
                "wrote {} ({what}, {} certificates)",
                out.display(),
                ordered.len()
            ));
        }
        None => printer.out(&text)?,
    }
    Ok(ExitStatus::Clean)
}

struct Plan<'a> {
    graph: &'a Graph<'a>,
    /// Shares the signature cache, so re-linking a subset verifies nothing twice.
    verifier: &'a Verifier,
    n_inputs: usize,
    allow_incomplete: bool,
    printer: &'a Printer,
}

impl Plan<'_> {
    fn cert(&self, i: usize) -> &Cert {
        &self.graph.certs[i]
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
            let c = self.cert(l);
            self.printer.info(&format!(
                "left out end-entity certificate {} ({})",
                escape(&c.display_name()),
                escape(&c.source.location())
            ));
        }
        Ok(body)
    }

    /// The served chain: the one leaf, then each issuer; the self-signed root
    /// only with `with_root`. The chain may stop at a CA whose root the
    /// clients hold; a leaf alone with a missing issuer is incomplete.
    fn server(&self, with_root: bool) -> anyhow::Result<Vec<usize>> {
        let leaves: Vec<usize> = self.inputs().filter(|&i| !self.cert(i).is_ca()).collect();
        let leaf = match leaves.as_slice() {
            [one] => *one,
            [] => bail!(
                "no end-entity (server) certificate in the inputs; --for server needs the leaf (for CA certificates use --for ca)"
            ),
            many => {
                let list: Vec<String> = many
                    .iter()
                    .map(|&i| {
                        format!(
                            "{} ({})",
                            escape(&self.cert(i).display_name()),
                            escape(&self.cert(i).source.location())
                        )
                    })
                    .collect();
                bail!(
                    "{} end-entity certificates in the inputs: {}; give one server certificate",
                    many.len(),
                    list.join(", ")
                );
            }
        };
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
            let c = self.cert(i);
            self.printer.info(&format!(
                "left out {} ({}): not in the served chain",
                escape(&c.display_name()),
                escape(&c.source.location())
            ));
        }
        Ok(path)
    }
}
