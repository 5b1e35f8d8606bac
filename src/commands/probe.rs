//! `probe`: capture the chains TLS servers send and lint each as a server
//! chain. Targets come from the command line and `--targets FILE`, and are
//! probed at most `--jobs` at a time, each within its own `--timeout`; one
//! report covers them all. A target that fails (unreachable, not TLS, an
//! alert) is that target's error, exit 2, and the others still run.
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use ::time::OffsetDateTime;
use anyhow::{Context as _, anyhow, bail};
use rayon::prelude::*;

use crate::ExitStatus;
use crate::alerts::{self, AlertContext};
use crate::cli::GlobalArgs;
use crate::cli::lint::FormatArg;
use crate::cli::probe::ProbeArgs;
use crate::limits::{MAX_PROBE_TARGETS, MAX_TARGETS_FILE_BYTES};
use crate::lint::config::Overrides;
use crate::lint::engine::{self, EngineOptions, FileResult, Input};
use crate::lint::{Context, Expect, Severity};
use crate::pki::aia;
use crate::pki::chain::{Graph, PathEnd, Verifier};
use crate::pki::clients::Client;
use crate::pki::encode;
use crate::pki::keys;
use crate::pki::load::{self, LoadOptions};
use crate::pki::model::{Cert, name_rfc4514, names_match};
use crate::report::inspect::{Entry, Link, View};
use crate::report::probe::{
    AlertReport, CauseReport, ClientAuth, Completion, ProbeTarget, ServedCert,
};
use crate::report::{self, Format, IoFailure, LintReport, Printer, escape};
use crate::tls::{self, AlertStage, ClientAuthRequest, ClientIdentity, ProbeError};

use super::inputs::{Accept, PasswordCache};

/// One target to probe.
#[derive(Debug, Clone)]
struct Target {
    /// As given.
    given: String,
    host: String,
    port: u16,
    /// The server name to send (an IP address sends none).
    sni: String,
}

/// The client certificate `--cert` gave, for the handshake and the report.
struct Identity {
    tls: ClientIdentity,
    /// The leaf first, then the rest of the file.
    chain: Vec<Cert>,
}

/// Everything a probe run needs, resolved from the arguments: the targets,
/// the anchors and client certificate, and how to report.
struct ProbePlan {
    targets: Vec<Target>,
    now: OffsetDateTime,
    warn_days: u32,
    /// `--ca-bundle`, and whether it was given at all.
    trust: Vec<Cert>,
    trust_given: bool,
    clients: Vec<Client>,
    overrides: Overrides,
    /// `--cert`/`--key` (or a PFX).
    identity: Option<Identity>,
    /// Chain completion: `--intermediates DIR` and `--fetch-aia`.
    local_pool: Vec<Cert>,
    complete: bool,
    fetch_aia: bool,
    timeout: Duration,
    jobs: usize,
    /// Human output is built per target, as the targets finish.
    human: bool,
    color: bool,
    format: Format,
    fail_on: Severity,
    exit_zero: bool,
}

impl ProbePlan {
    fn resolve(args: &ProbeArgs, printer: &Printer) -> anyhow::Result<Self> {
        if !(args.timeout.is_finite() && args.timeout > 0.0 && args.timeout <= 3600.0) {
            bail!("--timeout must be a number of seconds between 0 and 3600");
        }
        let targets = targets_of(args)?;
        let now = args.at.unwrap_or_else(OffsetDateTime::now_utc);
        let trust = match &args.ca_bundle {
            Some(p) => super::inputs::load_trust(&[p.display().to_string()])?,
            None => Vec::new(),
        };
        Ok(ProbePlan {
            jobs: usize::from(args.jobs).min(targets.len()).max(1),
            targets,
            now,
            warn_days: args.warn_days,
            trust,
            trust_given: args.ca_bundle.is_some(),
            clients: crate::cli::clients_of(&args.client),
            overrides: Overrides::build(&[])?,
            identity: load_identity(args, printer)?,
            local_pool: local_pool(args, printer)?,
            complete: args.fetch_aia || args.intermediates.is_some(),
            fetch_aia: args.fetch_aia,
            timeout: Duration::from_secs_f64(args.timeout),
            human: args.format == FormatArg::Human,
            color: printer.color,
            format: args.format.into(),
            fail_on: args.fail_on.into(),
            exit_zero: args.exit_zero,
        })
    }
}

pub fn run(args: ProbeArgs, global: &GlobalArgs) -> anyhow::Result<ExitStatus> {
    let printer = Printer::new(global);
    let plan = ProbePlan::resolve(&args, &printer)?;
    let outcomes = plan.probe_all()?;
    let mut files: Vec<FileResult> = Vec::new();
    let mut io_errors: Vec<IoFailure> = Vec::new();
    let mut records: Vec<ProbeTarget> = Vec::new();
    let mut human = String::new();
    for o in outcomes {
        files.extend(o.files);
        io_errors.extend(o.errors);
        records.push(o.record);
        human.push_str(&o.human);
        if let Some(d) = o.debug {
            printer.debug(&d);
        }
    }
    if !human.is_empty() {
        printer.out(&human)?;
    }
    for e in &io_errors {
        printer.error(&e.message);
    }
    let rep =
        LintReport::new(&files, &io_errors, plan.fail_on, plan.exit_zero).with_probe(&records);
    report::emit(plan.format, &rep, &printer)
}

/// `--intermediates DIR`: the local pool chains are completed from.
fn local_pool(args: &ProbeArgs, printer: &Printer) -> anyhow::Result<Vec<Cert>> {
    let Some(dir) = &args.intermediates else {
        return Ok(Vec::new());
    };
    let (certs, notes) = aia::read_pool(dir).map_err(|e| {
        anyhow!(
            "--intermediates {}: cannot read the directory: {e}",
            escape(&dir.display().to_string())
        )
    })?;
    for n in notes {
        printer.warn(&format!("--intermediates: {n}"));
    }
    Ok(certs)
}

/// One target's share of the report.
#[derive(Default)]
struct Outcome {
    record: ProbeTarget,
    files: Vec<FileResult>,
    errors: Vec<IoFailure>,
    human: String,
    debug: Option<String>,
}

impl ProbePlan {
    /// Every target, at most `--jobs` at a time, in the order given.
    fn probe_all(&self) -> anyhow::Result<Vec<Outcome>> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(self.jobs)
            .build()
            .context("cannot start the probe threads")?;
        let labels = labels_of(&self.targets);
        Ok(pool.install(|| {
            self.targets
                .par_iter()
                .zip(labels.into_par_iter())
                .map(|(t, label)| self.probe_one(t, label))
                .collect()
        }))
    }

    /// Probe one target, complete and lint its chain: runs on the `--jobs` pool.
    fn probe_one(&self, t: &Target, label: String) -> Outcome {
        let mut record = ProbeTarget {
            target: t.given.clone(),
            address: format!("{}:{}", t.host, t.port),
            file: label.clone(),
            ..ProbeTarget::default()
        };
        let identity = self.identity.as_ref().map(|i| Arc::clone(&i.tls));
        let captured = match tls::capture_with(&t.host, t.port, &t.sni, self.timeout, identity) {
            Ok(c) => c,
            Err(e) => return self.failed(t, record, &e),
        };
        self.describe(&mut record, &captured, t);
        let pem: String = captured
            .chain
            .iter()
            .map(|der| encode::pem_block("CERTIFICATE", der))
            .collect();
        // One cache: the engine below reuses the signature checks of the display graph.
        let verifier = Verifier::new();
        let served = load::load_bytes(&label, pem.as_bytes(), &LoadOptions::default());
        record.chain = served_records(&served.certs, self.now);
        record.days_left = record.chain.first().map(|c| c.days_left);
        if self.complete {
            let pool = &self.local_pool;
            complete(
                &mut record,
                &served.certs,
                &verifier,
                pool,
                self.fetch_aia,
                self.timeout,
            );
        }
        let mut out = Outcome::default();
        if self.human {
            out.human = self.human_text(t, &captured, &record, &served.certs, &verifier);
        }
        if let Some(e) = incomplete_handshake(t, &captured, &mut record) {
            out.errors.push(e);
        }
        out.files = self.lint(t, &label, pem.into_bytes(), &verifier);
        out.debug = Some(format!(
            "{}: probe took {:.1} ms",
            t.given,
            captured.elapsed.as_secs_f64() * 1000.0
        ));
        out.record = record;
        out
    }

    /// A target whose handshake failed before its chain could be read: its
    /// error, and the alert and client-certificate request when there were.
    fn failed(&self, t: &Target, mut record: ProbeTarget, e: &ProbeError) -> Outcome {
        if let ProbeError::Alert {
            code,
            sni_sent,
            client_auth,
            ..
        } = e
        {
            record.sni = sni_sent.then(|| t.sni.clone());
            let identity = self.identity.as_ref();
            record.client_auth = client_auth
                .as_ref()
                .map(|r| client_auth_record(r, identity));
            record.alert = Some(alert_record(
                *code,
                AlertStage::BeforeCertificate,
                record.sni.as_deref(),
                client_auth.as_ref(),
                identity.is_some(),
            ));
        }
        let message = e.to_string();
        record.error = Some(message.clone());
        let mut out = Outcome::default();
        if self.human {
            out.human = format!(
                "failed: {}\n{}\n",
                crate::report::escape_text(&message),
                report::probe::human(&record, self.color)
            );
        }
        out.errors.push(IoFailure {
            path: t.given.clone(),
            message,
        });
        out.record = record;
        out
    }

    /// What the handshake said: SNI, peer, protocol, time, the server's
    /// request for a client certificate, and its alert.
    fn describe(&self, record: &mut ProbeTarget, captured: &tls::Captured, t: &Target) {
        let identity = self.identity.as_ref();
        record.sni = captured.sni_sent.then(|| t.sni.clone());
        record.peer = Some(captured.peer.to_string());
        record.protocol = captured.protocol.clone();
        record.elapsed_ms = u64::try_from(captured.elapsed.as_millis()).unwrap_or(u64::MAX);
        record.client_auth = captured
            .client_auth
            .as_ref()
            .map(|r| client_auth_record(r, identity));
        record.alert = captured.alert.map(|a| {
            alert_record(
                a.code,
                a.stage,
                record.sni.as_deref(),
                captured.client_auth.as_ref(),
                identity.is_some(),
            )
        });
    }

    /// The human section of one target: the served chain as a tree, then
    /// what `report::probe` says of the handshake and completion.
    fn human_text(
        &self,
        t: &Target,
        captured: &tls::Captured,
        record: &ProbeTarget,
        served: &[Cert],
        verifier: &Verifier,
    ) -> String {
        let graph = Graph::build(served, verifier);
        let n = captured.chain.len();
        let mut text = format!(
            "{} ({}) sent {n} certificate{} over {}, {}; in the order sent:\n",
            escape(&t.given),
            captured.peer,
            if n == 1 { "" } else { "s" },
            captured.protocol.as_deref().unwrap_or("TLS"),
            match &record.sni {
                Some(s) => format!("SNI {}", escape(s)),
                None => "no SNI (an IP address)".to_owned(),
            },
        );
        let view = View::Chains(vec![served_entries(&graph)]);
        text.push_str(&report::inspect::human(&view, self.now, self.color));
        text.push_str(&report::probe::human(record, self.color));
        text.push('\n');
        text
    }

    /// Lint the served chain as a server chain for the target's name.
    fn lint(&self, t: &Target, label: &str, pem: Vec<u8>, verifier: &Verifier) -> Vec<FileResult> {
        let ctx = Context {
            now: self.now,
            warn_days: self.warn_days,
            host: Some(t.sni.clone()),
            trust: &self.trust,
            trust_given: self.trust_given,
            clients: &self.clients,
            keys: &[],
            verifier,
            deployed: &[],
        };
        let input = Input {
            path: Arc::from(label),
            expect: Expect::ServerChain,
            expect_source: "probe",
            bytes: pem,
        };
        engine::run(
            vec![input],
            &ctx,
            &EngineOptions::default(),
            &self.overrides,
        )
    }
}

/// The error of a handshake that did not complete after the server sent
/// its chain (an alert such as `certificate_required`), recorded on the
/// target too.
fn incomplete_handshake(
    t: &Target,
    captured: &tls::Captured,
    record: &mut ProbeTarget,
) -> Option<IoFailure> {
    let e = captured.handshake_error.as_ref()?;
    let message = format!(
        "{}: the handshake did not complete after the server sent its chain: {}",
        t.given,
        match &record.alert {
            Some(a) => format!("the server sent the alert {}", a.name),
            None => e.clone(),
        }
    );
    record.error = Some(message.clone());
    Some(IoFailure {
        path: t.given.clone(),
        message,
    })
}

/// Subject, issuer and days left of each served certificate.
fn served_records(certs: &[Cert], now: OffsetDateTime) -> Vec<ServedCert> {
    certs
        .iter()
        .map(|c| ServedCert {
            subject: c.subject.clone(),
            issuer: c.issuer.clone(),
            sha256_prefix: c.short_id(),
            not_after: crate::pki::model::format_time(c.not_after),
            days_left: days_between(now, c.not_after),
        })
        .collect()
}

/// Add the missing issuers above the served chain (from the pool, then
/// through AIA), each confirmed by its signature over the one below.
fn complete(
    record: &mut ProbeTarget,
    served: &[Cert],
    verifier: &Verifier,
    pool: &[Cert],
    fetch: bool,
    timeout: Duration,
) {
    if served.is_empty() {
        return;
    }
    let graph = Graph::build(served, verifier);
    let (path, end) = graph.path_up(0);
    if !matches!(end, PathEnd::Missing | PathEnd::BadSignature { .. }) {
        return;
    }
    let Some(&top) = path.last() else { return };
    let (added, notes) = aia::complete(
        &served[top],
        &aia::Options {
            fetch,
            pool,
            deadline: std::time::Instant::now() + timeout,
        },
    );
    record.completed = added
        .into_iter()
        .map(|a| Completion {
            subject: a.cert.subject.clone(),
            sha256_prefix: a.cert.short_id(),
            source: a.source,
            from: a.from,
            issued: a.issued,
        })
        .collect();
    record.completion_notes = notes;
}

/// `bundle --fetch-aia`: the issuers missing from `pile`, fetched through
/// AIA and confirmed by signature; each is announced with its URL, and each
/// problem is a warning.
pub fn fetch_missing_issuers(
    pile: &[Cert],
    timeout_secs: f64,
    printer: &Printer,
) -> anyhow::Result<Vec<Cert>> {
    if !(timeout_secs.is_finite() && timeout_secs > 0.0 && timeout_secs <= 3600.0) {
        bail!("--timeout must be a number of seconds between 0 and 3600");
    }
    let deadline = std::time::Instant::now() + Duration::from_secs_f64(timeout_secs);
    let (added, notes) = aia::complete_pile(pile, deadline);
    for n in notes {
        printer.warn(&format!("--fetch-aia: {n}"));
    }
    Ok(added
        .into_iter()
        .map(|a| {
            printer.info(&format!(
                "fetched {} [{}] from {} (issuer of {}, signature verified)",
                escape(&a.cert.subject),
                a.cert.short_id(),
                escape(&a.from),
                escape(&a.issued)
            ));
            a.cert
        })
        .collect())
}

/// Whole days from `now` to `t` (negative once expired).
fn days_between(now: OffsetDateTime, t: OffsetDateTime) -> i64 {
    (t - now).whole_days()
}

fn alert_record(
    code: u8,
    stage: AlertStage,
    sni: Option<&str>,
    client_auth: Option<&ClientAuthRequest>,
    identity_given: bool,
) -> AlertReport {
    let name = tls::alert_name(code);
    let causes = alerts::causes(&AlertContext {
        alert: &name,
        stage,
        sni,
        client_auth,
        identity_given,
    });
    AlertReport {
        name,
        code,
        stage: stage.as_str(),
        causes: causes
            .into_iter()
            .map(|c| CauseReport {
                cause: c.cause,
                fix: c.fix,
            })
            .collect(),
    }
}

fn client_auth_record(req: &ClientAuthRequest, identity: Option<&Identity>) -> ClientAuth {
    let names: Vec<(Vec<u8>, String)> = req
        .acceptable_cas
        .iter()
        .map(|der| {
            let text = name_rfc4514(der).unwrap_or_else(|| format!("#{}", hex::encode(der)));
            (der.clone(), text)
        })
        .collect();
    let issuer_listed = identity
        .filter(|_| req.sent && !names.is_empty())
        .map(|id| {
            id.chain.iter().any(|c| {
                names.iter().any(|(raw, text)| {
                    names_match(&c.issuer_raw, &c.issuer_rfc4514(), raw, text)
                        || names_match(&c.subject_raw, &c.subject_rfc4514(), raw, text)
                })
            })
        });
    ClientAuth {
        acceptable_cas: names.into_iter().map(|(_, t)| t).collect(),
        sent: req.sent,
        certificate: identity
            .and_then(|i| i.chain.first())
            .map(|c| c.subject.clone()),
        issuer_listed,
    }
}

/// The `file` label of each target's findings: `HOST:PORT (served chain)`,
/// with the SNI when two targets share an address.
fn labels_of(targets: &[Target]) -> Vec<String> {
    targets
        .iter()
        .map(|t| {
            let shared = targets
                .iter()
                .filter(|o| o.host == t.host && o.port == t.port)
                .count()
                > 1;
            if shared {
                format!("{}:{} SNI {} (served chain)", t.host, t.port, t.sni)
            } else {
                format!("{}:{} (served chain)", t.host, t.port)
            }
        })
        .collect()
}

/// The targets of the command line, then those of `--targets FILE`.
fn targets_of(args: &ProbeArgs) -> anyhow::Result<Vec<Target>> {
    let mut out = Vec::new();
    for given in &args.target {
        out.push(target(given, args.sni.as_deref()).map_err(|e| anyhow!(e))?);
    }
    if let Some(path) = &args.targets {
        out.extend(read_targets(path, args.sni.as_deref())?);
    }
    if out.is_empty() {
        bail!("no target: give HOST[:PORT] or a --targets file with at least one line");
    }
    if out.len() > MAX_PROBE_TARGETS {
        bail!(
            "{} targets: at most {MAX_PROBE_TARGETS} are probed in one run",
            out.len()
        );
    }
    Ok(out)
}

fn target(given: &str, sni: Option<&str>) -> Result<Target, String> {
    let (host, port) = tls::split_target(given)?;
    let sni = sni.map(str::to_owned).unwrap_or_else(|| host.clone());
    Ok(Target {
        given: given.to_owned(),
        host,
        port,
        sni,
    })
}

/// A targets file: `HOST[:PORT] [SNI]` per line, `#` comments, blank lines.
fn read_targets(path: &Path, default_sni: Option<&str>) -> anyhow::Result<Vec<Target>> {
    let name = escape(&path.display().to_string()).into_owned();
    let bytes = load::read_limited_to(path, MAX_TARGETS_FILE_BYTES).map_err(|e| match e {
        crate::error::LoadError::TooLarge { .. } => {
            anyhow!("{name}: the targets file is larger than {MAX_TARGETS_FILE_BYTES} bytes")
        }
        other => anyhow!("{name}: cannot read the targets file: {other}"),
    })?;
    let text =
        String::from_utf8(bytes).map_err(|_| anyhow!("{name}: the targets file is not UTF-8"))?;
    parse_targets(&text, default_sni).map_err(|e| anyhow!("{name}:{e}"))
}

/// Parse the text of a targets file; errors are `LINE: reason`.
fn parse_targets(text: &str, default_sni: Option<&str>) -> Result<Vec<Target>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line
            .split_once('#')
            .map_or(line, |(before, _)| before)
            .trim();
        if line.is_empty() {
            continue;
        }
        let mut words = line.split_whitespace();
        let (Some(addr), sni, None) = (words.next(), words.next(), words.next()) else {
            return Err(format!(
                "{}: expected `HOST[:PORT] [SNI]`, found `{}`",
                i + 1,
                escape(line)
            ));
        };
        let t =
            target(addr, sni.or(default_sni)).map_err(|e| format!("{}: {}", i + 1, escape(&e)))?;
        out.push(t);
        if out.len() > MAX_PROBE_TARGETS {
            return Err(format!("{}: more than {MAX_PROBE_TARGETS} targets", i + 1));
        }
    }
    Ok(out)
}

/// The client certificate and key of `--cert` (with `--key`, or the key in
/// a PFX or PEM given as `--cert`).
fn load_identity(args: &ProbeArgs, printer: &Printer) -> anyhow::Result<Option<Identity>> {
    let Some(cert_path) = &args.cert else {
        return Ok(None);
    };
    let mut passwords = PasswordCache::new(args.no_password, args.password.source());
    let file = super::inputs::load_one(
        cert_path,
        &mut passwords,
        Accept { key_only: false },
        printer,
    )
    .context("--cert")?;
    let key = match &args.key {
        Some(k) => keys::read_key(k, &args.password.source(), "the client key")?,
        None => {
            let block = file.keys.first().ok_or_else(|| {
                anyhow!(
                    "{}: holds no private key; give the client key with --key FILE",
                    escape(&cert_path.display().to_string())
                )
            })?;
            keys::key_from_block(
                cert_path,
                &block.label,
                &block.der,
                block.encrypted,
                &args.password.source(),
                "the client key",
            )?
        }
    };
    let leaf = file
        .certs
        .iter()
        .position(|c| keys::matches(c, &key))
        .ok_or_else(|| {
            anyhow!(
                "{}: no certificate in it belongs to the client key",
                escape(&cert_path.display().to_string())
            )
        })?;
    let mut chain = file.certs;
    let leaf_cert = chain.remove(leaf);
    chain.insert(0, leaf_cert);
    let pkcs8 = keys::pkcs8_der(&key);
    let tls = tls::identity(chain.iter().map(|c| c.der.clone()).collect(), &pkcs8)
        .map_err(|e| anyhow!("{}: {e}", escape(&cert_path.display().to_string())))?;
    Ok(Some(Identity { tls, chain }))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_file_lines_comments_and_sni() {
        let text = "# fleet\n\napi.example.com:8443 api.example.com\n10.0.0.5  # no sni\n[::1]:9443 svc.local # ipv6\n";
        let t = parse_targets(text, None).unwrap();
        assert_eq!(t.len(), 3);
        assert_eq!(
            (t[0].host.as_str(), t[0].port, t[0].sni.as_str()),
            ("api.example.com", 8443, "api.example.com")
        );
        assert_eq!(
            (t[1].host.as_str(), t[1].port, t[1].sni.as_str()),
            ("10.0.0.5", 443, "10.0.0.5")
        );
        assert_eq!(
            (t[2].host.as_str(), t[2].port, t[2].sni.as_str()),
            ("::1", 9443, "svc.local")
        );
        let with_default =
            parse_targets("a.example:1\nb.example:2 own.example\n", Some("d.example")).unwrap();
        assert_eq!(with_default[0].sni, "d.example");
        assert_eq!(with_default[1].sni, "own.example");
    }

    #[test]
    fn targets_file_errors_name_the_line() {
        let e = parse_targets("ok.example\nhost:notaport\n", None).unwrap_err();
        assert!(e.starts_with("2: "), "{e}");
        let e = parse_targets("a b c\n", None).unwrap_err();
        assert!(e.starts_with("1: expected"), "{e}");
    }

    #[test]
    fn labels_carry_the_sni_only_when_an_address_repeats() {
        let ts = vec![
            target("h:1", Some("a")).unwrap(),
            target("h:1", Some("b")).unwrap(),
            target("g:2", None).unwrap(),
        ];
        let l = labels_of(&ts);
        assert_eq!(l[0], "h:1 SNI a (served chain)");
        assert_eq!(l[1], "h:1 SNI b (served chain)");
        assert_eq!(l[2], "g:2 (served chain)");
    }
}
