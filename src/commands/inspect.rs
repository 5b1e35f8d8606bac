//! `inspect`: a tree view of the chain(s) in some files, or the one
//! certificate with a given thumbprint.
use std::path::{Path, PathBuf};

use ::time::OffsetDateTime;
use anyhow::{anyhow, bail};

use crate::ExitStatus;
use crate::cli::GlobalArgs;
use crate::cli::inspect::{InspectArgs, InspectFormat};
use crate::commands::inputs::PasswordCache;
use crate::pki::chain::PathEnd;
use crate::pki::load::{self, LoadOptions, LoadedFile, Problem};
use crate::pki::{Cert, Graph, Verifier, der};
use crate::report::inspect::{self as render, Entry, Link, View};
use crate::report::{Printer, escape, escape_text};
use crate::secret::Password;

/// What to show and how, from the arguments.
pub struct InspectPlan {
    /// Days left are counted from here (`--at`, default: now).
    pub at: OffsetDateTime,
    /// `--thumbprint`, normalised to lower-case hex.
    pub query: Option<String>,
    pub format: InspectFormat,
}

impl InspectPlan {
    /// Normalise the thumbprint and refuse a second reader of standard input.
    pub fn resolve(args: &InspectArgs) -> anyhow::Result<Self> {
        let at = args.at.unwrap_or_else(OffsetDateTime::now_utc);
        let query = args.thumbprint.as_deref().map(normalise_hex).transpose()?;
        let stdin_inputs = args.files.iter().filter(|p| p.as_os_str() == "-").count();
        if stdin_inputs > 1 {
            bail!("- (standard input) can be given only once");
        }
        if stdin_inputs == 1 && args.password.password_stdin {
            bail!(
                "--password-stdin cannot be used when a certificate is read from standard input (-)"
            );
        }
        Ok(InspectPlan {
            at,
            query,
            format: args.format,
        })
    }
}

pub fn run(args: InspectArgs, global: &GlobalArgs) -> anyhow::Result<ExitStatus> {
    let printer = Printer::new(global);
    let plan = InspectPlan::resolve(&args)?;
    let files = load_all(
        &args.files,
        &mut PasswordCache::new(args.no_password, args.password.source()),
        &printer,
    )?;
    let certs: Vec<Cert> = files.into_iter().flat_map(|f| f.certs).collect();
    let graph = Graph::build(&certs, &Verifier::new());
    let view = match &plan.query {
        None => View::Chains(
            graph
                .chains()
                .iter()
                .map(|(path, end)| chain_entries(&graph, path, end))
                .collect(),
        ),
        Some(hex) => found(&graph, hex),
    };
    let mut exit = ExitStatus::Clean;
    if let View::Found { query, entries } = &view
        && entries.is_empty()
    {
        printer.warn(&format!(
            "no certificate with thumbprint {query} among the {} certificate{} read from {} input{}",
            certs.len(),
            if certs.len() == 1 { "" } else { "s" },
            args.files.len(),
            if args.files.len() == 1 { "" } else { "s" },
        ));
        if plan.format == InspectFormat::Human {
            return Ok(ExitStatus::Findings);
        }
        exit = ExitStatus::Findings;
    }
    let text = match plan.format {
        InspectFormat::Human => render::human(&view, plan.at, printer.color),
        InspectFormat::Json => render::json(&view, plan.at),
    };
    printer.out(&text)?;
    Ok(exit)
}

/// `--thumbprint`: the distinct certificates with that hash, each with the
/// link to its issuer.
fn found<'a>(graph: &Graph<'a>, hex: &str) -> View<'a> {
    let certs = graph.certs;
    let entries = (0..certs.len())
        .filter(|&i| graph.canonical[i] == i && matches_hash(&certs[i], hex))
        .map(|i| {
            let (path, end) = graph.path_up(i);
            Entry {
                cert: &certs[i],
                locations: locations(graph, i),
                link: link_of(graph, &path, 0, &end),
            }
        })
        .collect();
    View::Found {
        query: hex.to_owned(),
        entries,
    }
}

/// Load every input; a PKCS#12 input asks for the password once. An input
/// that cannot be read, or holds no certificate, is an error naming it.
fn load_all(
    paths: &[PathBuf],
    passwords: &mut PasswordCache,
    printer: &Printer,
) -> anyhow::Result<Vec<LoadedFile>> {
    let mut password: Option<Password> = None;
    let mut out = Vec::with_capacity(paths.len());
    for path in paths {
        let name = path.display().to_string();
        // One line: the I/O error's text already names the cause.
        let bytes = load::read_limited(path).map_err(|e| anyhow!("{e}"))?;
        if der::looks_like_pkcs12(&bytes) && password.is_none() {
            password =
                Some(passwords.get(&format!("{name}: a PKCS#12 file needs a password"), false)?);
        }
        let opts = LoadOptions {
            pkcs12_password: password.as_ref().map(|p| p.as_str()),
        };
        let file = load::load_bytes(&name, &bytes, &opts);
        if file.certs.is_empty() {
            bail!("{}", no_certificate(path, &file));
        }
        for p in &file.problems {
            if let Some(msg) = describe(&name, p) {
                printer.warn(&msg);
            }
        }
        out.push(file);
    }
    Ok(out)
}

fn no_certificate(path: &Path, file: &LoadedFile) -> String {
    let name = path.display();
    let reason = file.first_reason();
    match (reason, file.keys.is_empty()) {
        (Some(r), _) => format!("{name}: no certificate found: {r}"),
        (None, false) => {
            format!("{name}: no certificate found (the file holds a private key only)")
        }
        (None, true) if file.format == load::Format::Empty => format!("{name}: the file is empty"),
        (None, true) => format!("{name}: no certificate found (not PEM, DER, PKCS#7 or PKCS#12)"),
    }
}

/// A warning for problems worth telling while inspecting (not text around
/// blocks or CRLF: those are for `lint`).
fn describe(name: &str, p: &Problem) -> Option<String> {
    match p {
        Problem::MalformedPem { line, reason } => Some(format!("{name}:{line}: {reason}")),
        Problem::BadCertificate { line, reason, .. } => Some(match line {
            Some(l) => format!("{name}:{l}: skipped a block that is not a certificate: {reason}"),
            None => format!("{name}: skipped data that is not a certificate: {reason}"),
        }),
        Problem::Pkcs12Unread { reason } => Some(format!("{name}: {reason}")),
        Problem::Truncated { reason } => Some(format!("{name}: {reason}")),
        Problem::EmptyPkcs7 { .. } | Problem::TextOutsidePem { .. } | Problem::Crlf => None,
    }
    .map(|m| escape_text(&m).into_owned())
}

fn chain_entries<'a>(graph: &Graph<'a>, path: &[usize], end: &PathEnd) -> Vec<Entry<'a>> {
    path.iter()
        .enumerate()
        .map(|(k, &i)| Entry {
            cert: &graph.certs[i],
            locations: locations(graph, i),
            link: link_of(graph, path, k, end),
        })
        .collect()
}

/// The link from `path[k]` to its issuer: the next certificate in the path,
/// or, for the last one, how the walk ended.
fn link_of<'a>(graph: &Graph<'a>, path: &[usize], k: usize, end: &PathEnd) -> Link<'a> {
    let certs = graph.certs;
    if let Some(&next) = path.get(k + 1) {
        return Link::Verified {
            issuer: &certs[next],
        };
    }
    match end {
        PathEnd::Anchor => Link::SelfSigned,
        PathEnd::Missing => Link::Missing,
        PathEnd::BadSignature { candidate } => Link::BadSignature {
            candidate: &certs[*candidate],
        },
        PathEnd::Unverifiable { candidate, reason } => Link::Unverifiable {
            candidate: &certs[*candidate],
            reason: reason.clone(),
        },
        PathEnd::Cycle { at } => Link::Cycle { to: &certs[*at] },
    }
}

/// Where every copy of certificate `i` was found.
pub(crate) fn locations(graph: &Graph<'_>, i: usize) -> Vec<String> {
    let c = graph.canonical[i];
    (0..graph.certs.len())
        .filter(|&j| graph.canonical[j] == c)
        .map(|j| {
            let s = &graph.certs[j].source;
            match s.inner {
                Some(n) if s.line.is_none() => format!("{} (certificate {})", s.path, n + 1),
                _ => s.location(),
            }
        })
        .collect()
}

/// `62:BF:1c fa…` → `62bf1cfa…`; must be 40 (SHA-1) or 64 (SHA-256) hex digits.
pub fn normalise_hex(input: &str) -> anyhow::Result<String> {
    let hex: String = input
        .chars()
        .filter(|c| !matches!(c, ':' | ' ' | '\t' | '-'))
        .collect::<String>()
        .to_ascii_lowercase();
    if let Some(bad) = hex.chars().find(|c| !c.is_ascii_hexdigit()) {
        return Err(anyhow!(
            "--thumbprint: {:?} is not a hex digit",
            escape(&bad.to_string())
        ));
    }
    match hex.len() {
        40 | 64 => Ok(hex),
        n => Err(anyhow!(
            "--thumbprint: {n} hex digits; expected 40 (SHA-1 thumbprint) or 64 (SHA-256 fingerprint)"
        )),
    }
}

fn matches_hash(cert: &Cert, hex: &str) -> bool {
    match hex.len() {
        40 => hex::encode(cert.sha1) == hex,
        _ => cert.fingerprint() == hex,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbprints_normalise() {
        let t = "62:bf:1C:FA 00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff";
        assert_eq!(
            normalise_hex(t).unwrap(),
            "62bf1cfa00112233445566778899aabbccddeeff"
        );
        assert!(normalise_hex("62BF").is_err());
        assert!(normalise_hex(&"zz".repeat(20)).is_err());
        assert_eq!(normalise_hex(&"AB".repeat(32)).unwrap(), "ab".repeat(32));
    }
}
