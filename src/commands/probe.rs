//! `probe`: capture the chain a TLS server sends and lint it as a server chain.
use std::sync::Arc;
use std::time::Duration;

use ::time::OffsetDateTime;
use anyhow::{anyhow, bail};

use crate::ExitStatus;
use crate::cli::GlobalArgs;
use crate::cli::lint::FormatArg;
use crate::cli::probe::ProbeArgs;
use crate::lint::config::Overrides;
use crate::lint::engine::{self, EngineOptions, Input};
use crate::lint::{Context, Expect};
use crate::pki::chain::{Graph, PathEnd, Verifier};
use crate::pki::encode;
use crate::pki::load::{self, LoadOptions};
use crate::report::inspect::{Entry, Link, View};
use crate::report::{self, LintReport, Printer, escape};
use crate::tls;

pub fn run(args: ProbeArgs, global: &GlobalArgs) -> anyhow::Result<ExitStatus> {
    let printer = Printer::new(global);
    let (host, port) = tls::split_target(&args.target).map_err(|e| anyhow!(e))?;
    let sni = args.sni.clone().unwrap_or_else(|| host.clone());
    if !(args.timeout.is_finite() && args.timeout > 0.0 && args.timeout <= 3600.0) {
        bail!("--timeout must be a number of seconds between 0 and 3600");
    }
    let now = args.at.unwrap_or_else(OffsetDateTime::now_utc);
    let trust = match &args.ca_bundle {
        Some(p) => super::inputs::load_trust(&[p.display().to_string()])?,
        None => Vec::new(),
    };

    let captured = tls::capture(&host, port, &sni, Duration::from_secs_f64(args.timeout))?;
    if let Some(e) = &captured.handshake_error {
        printer.warn(&format!(
            "{}: the handshake did not complete after the server sent its chain: {}",
            args.target,
            escape(e)
        ));
    }
    let label = format!("{}:{port} (served chain)", host);
    let pem: String = captured
        .chain
        .iter()
        .map(|der| encode::pem_block("CERTIFICATE", der))
        .collect();

    // One cache: the engine below reuses the signature checks of the display graph.
    let verifier = Verifier::new();
    if args.format == FormatArg::Human {
        let served = load::load_bytes(&label, pem.as_bytes(), &LoadOptions::default());
        let graph = Graph::build(&served.certs, &verifier);
        let entries = served_entries(&graph);
        let mut head = format!(
            "{} ({}) sent {} certificate{} over {}, SNI {}; in the order sent:\n",
            escape(&args.target),
            captured.peer,
            captured.chain.len(),
            if captured.chain.len() == 1 { "" } else { "s" },
            captured.protocol.as_deref().unwrap_or("TLS"),
            escape(&sni),
        );
        head.push_str(&report::inspect::human(
            &View::Chains(vec![entries]),
            now,
            printer.color,
        ));
        printer.out(&head)?;
    }

    let clients = crate::cli::clients_of(&args.client);
    let ctx = Context {
        now,
        warn_days: args.warn_days,
        host: Some(sni.clone()),
        trust: &trust,
        trust_given: args.ca_bundle.is_some(),
        clients: &clients,
        keys: &[],
        verifier: &verifier,
        deployed: &[],
    };
    let input = Input {
        path: Arc::from(label.as_str()),
        expect: Expect::ServerChain,
        expect_source: "probe",
        bytes: pem.into_bytes(),
    };
    let overrides = Overrides::build(&[])?;
    let results = engine::run(vec![input], &ctx, &EngineOptions::default(), &overrides);
    let rep = LintReport::new(&results, &[], args.fail_on.into(), args.exit_zero);
    let exit = report::emit(args.format.into(), &rep, &printer)?;
    printer.debug(&format!(
        "probe took {:.1} ms",
        captured.elapsed.as_secs_f64() * 1000.0
    ));
    Ok(exit)
}

/// The served certificates in the order sent, each with its link to an issuer.
fn served_entries<'a>(graph: &Graph<'a>) -> Vec<Entry<'a>> {
    (0..graph.certs.len())
        .map(|i| {
            let link = if graph.is_self_signed(i) {
                Link::SelfSigned
            } else if let Some(j) = graph.issuer(i) {
                Link::Verified {
                    issuer: &graph.certs[j],
                }
            } else {
                match graph.path_up(i).1 {
                    PathEnd::BadSignature { candidate } => Link::BadSignature {
                        candidate: &graph.certs[candidate],
                    },
                    PathEnd::Unverifiable { candidate, reason } => Link::Unverifiable {
                        candidate: &graph.certs[candidate],
                        reason,
                    },
                    _ => Link::Missing,
                }
            };
            Entry {
                cert: &graph.certs[i],
                locations: super::inspect::locations(graph, i),
                link,
            }
        })
        .collect()
}
