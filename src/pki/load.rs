//! Read any certificate input: PEM with many blocks (and text around them),
//! DER, concatenated DER, PKCS#7 (PEM or DER) and PKCS#12. Every certificate
//! remembers where it came from. Hostile bytes give problems, never panics.
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use zeroize::Zeroizing;

use super::der;
use super::model::Cert;
use crate::error::LoadError;

pub use crate::limits::{MAX_DER_ELEMENTS, MAX_INPUT_BYTES, MAX_PEM_BLOCKS};

/// Where a certificate or key came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The path as given (or `-` / a label for non-file inputs).
    pub path: Arc<str>,
    /// 0-based index of the PEM block or DER element in the file.
    pub index: usize,
    /// 1-based line of the PEM BEGIN line; None for binary inputs.
    pub line: Option<usize>,
    /// Position inside a container (PKCS#7 or PKCS#12), 0-based.
    pub inner: Option<usize>,
    pub container: Container,
}

impl Source {
    pub fn new(path: &Arc<str>, index: usize, line: Option<usize>, container: Container) -> Self {
        Source {
            path: Arc::clone(path),
            index,
            line,
            inner: None,
            container,
        }
    }

    /// `path:line` (or `path` for binary inputs), for messages.
    pub fn location(&self) -> String {
        match self.line {
            Some(l) => format!("{}:{l}", self.path),
            None => self.path.to_string(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    Pem,
    Der,
    Pkcs7,
    Pkcs12,
}

/// The overall format of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Pem,
    Der,
    Pkcs7Der,
    Pkcs12,
    Empty,
    Unknown,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Pem => "PEM",
            Format::Der => "DER",
            Format::Pkcs7Der => "PKCS#7 (DER)",
            Format::Pkcs12 => "PKCS#12",
            Format::Empty => "empty",
            Format::Unknown => "unknown",
        }
    }
}

/// A private key block found in an input. The bytes are never printed.
pub struct KeyBlock {
    pub source: Source,
    /// The PEM label (`PRIVATE KEY`, `RSA PRIVATE KEY`, ...), or `PKCS#12 key bag`.
    pub label: String,
    /// The DER inside the block (PKCS#8, PKCS#1, SEC1 or encrypted PKCS#8).
    pub der: Zeroizing<Vec<u8>>,
    pub encrypted: bool,
}

impl std::fmt::Debug for KeyBlock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyBlock")
            .field("source", &self.source)
            .field("label", &self.label)
            .field("encrypted", &self.encrypted)
            .finish_non_exhaustive()
    }
}

/// Something wrong or notable found while reading, for the linter to report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A PEM block is cut, has bad base64, or an END has no BEGIN.
    MalformedPem { line: usize, reason: String },
    /// Non-PEM text before, between or after blocks; `line` is where a run starts.
    TextOutsidePem { line: usize },
    /// A block decoded, but the DER is not an X.509 certificate.
    BadCertificate {
        index: usize,
        line: Option<usize>,
        reason: String,
    },
    /// CRLF line endings.
    Crlf,
    /// A PKCS#7 with no certificates.
    EmptyPkcs7 { line: Option<usize> },
    /// PKCS#12 that could not be opened (no password given, wrong password...).
    Pkcs12Unread { reason: String },
    /// Reading stopped early (too many blocks).
    Truncated { reason: String },
}

/// Everything read from one input.
#[derive(Debug)]
pub struct LoadedFile {
    pub path: Arc<str>,
    pub format: Format,
    pub certs: Vec<Cert>,
    pub keys: Vec<KeyBlock>,
    pub problems: Vec<Problem>,
    /// Labels of PEM blocks that are neither certificates nor keys (CRLs, parameters).
    pub other_blocks: Vec<(usize, String)>,
    /// The encryption OIDs seen in a PKCS#12 file, for the CS4xx rules.
    pub pkcs12_algorithms: Vec<String>,
    /// The key derivations of a PKCS#12 file (those inside encrypted safes
    /// too when it was opened), for CS406.
    pub pkcs12_kdf: Option<super::pkcs12::KdfSummary>,
    /// Set when a PKCS#12 file was refused for asking too much key-derivation
    /// work (the reason is also a `Pkcs12Unread` problem).
    pub pkcs12_limit: Option<crate::limits::LimitError>,
}

impl LoadedFile {
    fn new(path: Arc<str>, format: Format) -> Self {
        LoadedFile {
            path,
            format,
            certs: Vec::new(),
            keys: Vec::new(),
            problems: Vec::new(),
            other_blocks: Vec::new(),
            pkcs12_algorithms: Vec::new(),
            pkcs12_kdf: None,
            pkcs12_limit: None,
        }
    }

    /// The first reason the file gave no certificate: a block that did not
    /// decode or parse, an empty PKCS#7, or a PKCS#12 that could not be opened.
    /// Callers frame it ("FILE: no certificate found: REASON").
    pub fn first_reason(&self) -> Option<String> {
        self.problems.iter().find_map(|p| match p {
            Problem::MalformedPem { line, reason } => Some(format!("line {line}: {reason}")),
            Problem::BadCertificate { reason, .. } => Some(reason.clone()),
            Problem::EmptyPkcs7 { .. } => Some("the PKCS#7 holds no certificate".to_owned()),
            Problem::Pkcs12Unread { reason } => Some(reason.clone()),
            _ => None,
        })
    }
}

/// Options for reading.
#[derive(Default)]
pub struct LoadOptions<'a> {
    /// Password for PKCS#12 inputs; without one they are skipped with a problem.
    pub pkcs12_password: Option<&'a str>,
}

/// Read a file (or `-` for standard input) and load it.
pub fn load_path(path: &Path, opts: &LoadOptions<'_>) -> Result<LoadedFile, LoadError> {
    let name = path.display().to_string();
    let bytes = read_limited(path)?;
    Ok(load_bytes(&name, &bytes, opts))
}

/// Read a file's bytes with the size limit applied (`-` is standard input).
pub fn read_limited(path: &Path) -> Result<Vec<u8>, LoadError> {
    read_limited_to(path, MAX_INPUT_BYTES)
}

/// Read a file's bytes, refusing more than `limit` (`-` is standard input).
/// A regular file over the limit is refused before it is read; a stream (a
/// FIFO, `/dev/zero`) is read up to one byte past the limit and no further.
pub fn read_limited_to(path: &Path, limit: u64) -> Result<Vec<u8>, LoadError> {
    let name = path.display().to_string();
    if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .lock()
            .take(limit.saturating_add(1))
            .read_to_end(&mut buf)
            .map_err(|cause| LoadError::Io {
                path: name.clone(),
                cause,
            })?;
        return within_limit(buf, name, limit);
    }
    let file = std::fs::File::open(path).map_err(|cause| LoadError::Io {
        path: name.clone(),
        cause,
    })?;
    read_open_file_to(file, &name, limit)
}

/// Read an already-open file (one opened relative to a directory handle,
/// say, when its path is too long to open by name) with the same size limit
/// as [`read_limited`]; `name` is how errors show it.
pub fn read_open_file(file: std::fs::File, name: &str) -> Result<Vec<u8>, LoadError> {
    read_open_file_to(file, name, MAX_INPUT_BYTES)
}

fn read_open_file_to(file: std::fs::File, name: &str, limit: u64) -> Result<Vec<u8>, LoadError> {
    let io = |cause| LoadError::Io {
        path: name.to_owned(),
        cause,
    };
    let meta = file.metadata().map_err(io)?;
    if meta.is_dir() {
        return Err(io(std::io::Error::other("is a directory")));
    }
    if meta.len() > limit {
        return Err(LoadError::TooLarge {
            path: name.to_owned(),
            size: meta.len(),
            limit,
        });
    }
    // Size the buffer from the metadata: `Take` gives `read_to_end` no
    // size hint, and it would otherwise probe with 32-byte reads and
    // grow from there (14 reads for a 200 KB store). One more byte
    // leaves room to see the end of the file (or growth since stat).
    let mut buf = Vec::new();
    buf.reserve_exact(meta.len().min(limit).saturating_add(1) as usize);
    file.take(limit.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(io)?;
    within_limit(buf, name.to_owned(), limit)
}

/// The limit again after reading: a pipe has no size, a file can grow.
fn within_limit(buf: Vec<u8>, path: String, limit: u64) -> Result<Vec<u8>, LoadError> {
    if buf.len() as u64 > limit {
        return Err(LoadError::TooLarge {
            path,
            size: buf.len() as u64,
            limit,
        });
    }
    Ok(buf)
}

/// Load certificates and keys from bytes. Never fails: what cannot be read
/// becomes a `Problem`, and a file with nothing readable has no certificates.
pub fn load_bytes(name: &str, bytes: &[u8], opts: &LoadOptions<'_>) -> LoadedFile {
    let path: Arc<str> = Arc::from(name);
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return LoadedFile::new(path, Format::Empty);
    }
    if memfind(bytes, b"-----BEGIN ").is_some() || memfind(bytes, b"-----END ").is_some() {
        return load_pem(path, bytes);
    }
    if bytes.first() == Some(&der::SEQUENCE) {
        if der::looks_like_pkcs12(bytes) {
            return load_pkcs12(path, bytes, opts);
        }
        if let Some(mut certs) = der::pkcs7_certificates(bytes) {
            let mut out = LoadedFile::new(path.clone(), Format::Pkcs7Der);
            if certs.is_empty() {
                out.problems.push(Problem::EmptyPkcs7 { line: None });
            }
            cut_pkcs7(&mut out, &mut certs);
            for (i, c) in certs.iter().enumerate() {
                let mut src = Source::new(&path, 0, None, Container::Pkcs7);
                src.inner = Some(i);
                push_cert(&mut out, c, src);
            }
            return out;
        }
        return load_der(path, bytes);
    }
    let mut out = LoadedFile::new(path, Format::Unknown);
    out.problems.push(Problem::BadCertificate {
        index: 0,
        line: None,
        reason: "not PEM, DER, PKCS#7 or PKCS#12".to_owned(),
    });
    out
}

fn push_cert(out: &mut LoadedFile, der_bytes: &[u8], source: Source) {
    let (index, line) = (source.index, source.line);
    match Cert::parse(der_bytes, source) {
        Ok(c) => out.certs.push(c),
        Err(reason) => out.problems.push(Problem::BadCertificate {
            index,
            line,
            reason,
        }),
    }
}

/// Keep at most [`MAX_DER_ELEMENTS`] certificates of a PKCS#7 set, and say
/// when the rest was not read.
fn cut_pkcs7(out: &mut LoadedFile, certs: &mut Vec<&[u8]>) {
    if certs.len() > MAX_DER_ELEMENTS {
        certs.truncate(MAX_DER_ELEMENTS);
        out.problems.push(Problem::Truncated {
            reason: format!(
                "more than {MAX_DER_ELEMENTS} certificates in the PKCS#7; the rest was not read"
            ),
        });
    }
}

/// One DER certificate, or several concatenated.
fn load_der(path: Arc<str>, bytes: &[u8]) -> LoadedFile {
    let mut out = LoadedFile::new(path.clone(), Format::Der);
    let mut rest = bytes;
    let mut index = 0;
    while !rest.is_empty() {
        if index >= MAX_DER_ELEMENTS {
            out.problems.push(Problem::Truncated {
                reason: format!("more than {MAX_DER_ELEMENTS} DER elements; the rest was not read"),
            });
            break;
        }
        match der::read(rest) {
            Some((tlv, after)) if tlv.tag == der::SEQUENCE => {
                push_cert(
                    &mut out,
                    tlv.raw,
                    Source::new(&path, index, None, Container::Der),
                );
                rest = after;
                index += 1;
            }
            _ => {
                // Not a full DER element: either junk or a truncated certificate.
                let reason = if index == 0 {
                    "not PEM, DER, PKCS#7 or PKCS#12 (truncated or malformed DER)".to_owned()
                } else {
                    format!(
                        "{} bytes of trailing data after {index} certificate(s)",
                        rest.len()
                    )
                };
                out.problems.push(Problem::BadCertificate {
                    index,
                    line: None,
                    reason,
                });
                break;
            }
        }
    }
    out
}

fn load_pkcs12(path: Arc<str>, bytes: &[u8], opts: &LoadOptions<'_>) -> LoadedFile {
    let mut out = LoadedFile::new(path.clone(), Format::Pkcs12);
    (out.pkcs12_algorithms, out.pkcs12_kdf) = super::pkcs12::sniff(bytes);
    let Some(password) = opts.pkcs12_password else {
        out.problems.push(Problem::Pkcs12Unread {
            reason: "an encrypted PKCS#12 file, and no password was given to open it".to_owned(),
        });
        return out;
    };
    match super::pkcs12::read(bytes, password) {
        Ok(contents) => {
            if contents.certs.is_empty() && contents.keys.is_empty() {
                // Opened, but nothing chainsmith reads is inside (only secret
                // or CRL bags): say so rather than "not PEM, DER, ...".
                out.problems.push(Problem::BadCertificate {
                    index: 0,
                    line: None,
                    reason: "the PKCS#12 file holds no certificate and no private key".to_owned(),
                });
            }
            out.pkcs12_kdf = Some(contents.kdf.clone());
            for (i, c) in contents.certs.iter().enumerate() {
                let mut src = Source::new(&path, 0, None, Container::Pkcs12);
                src.inner = Some(i);
                push_cert(&mut out, c, src);
            }
            for (i, k) in contents.keys.into_iter().enumerate() {
                let mut src = Source::new(&path, 0, None, Container::Pkcs12);
                src.inner = Some(i);
                out.keys.push(KeyBlock {
                    source: src,
                    label: "PKCS#12 key bag".to_owned(),
                    der: k,
                    encrypted: false,
                });
            }
        }
        Err(e) => {
            if let super::pkcs12::Pkcs12Error::Limit(limit) = &e {
                out.pkcs12_limit = Some(limit.clone());
            }
            out.problems.push(Problem::Pkcs12Unread {
                reason: e.to_string(),
            });
        }
    }
    out
}

fn memfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Labels whose DER is a certificate.
fn is_cert_label(label: &str) -> bool {
    matches!(
        label,
        "CERTIFICATE" | "TRUSTED CERTIFICATE" | "X509 CERTIFICATE"
    )
}

fn is_key_label(label: &str) -> bool {
    label.ends_with("PRIVATE KEY")
}

struct OpenBlock {
    label: String,
    begin_line: usize,
    text: String,
}

impl OpenBlock {
    /// The block did not close properly: `why` follows "PEM block `LABEL` ".
    fn broken(&self, why: String) -> Problem {
        Problem::MalformedPem {
            line: self.begin_line,
            reason: format!("PEM block `{}` {why}", self.label),
        }
    }
}

fn load_pem(path: Arc<str>, bytes: &[u8]) -> LoadedFile {
    let mut out = LoadedFile::new(path.clone(), Format::Pem);
    let text = String::from_utf8_lossy(bytes);
    if bytes.windows(2).any(|w| w == b"\r\n") {
        out.problems.push(Problem::Crlf);
    }
    let mut open: Option<OpenBlock> = None;
    // Complete blocks are decoded and parsed after the scan, in parallel.
    let mut complete: Vec<(usize, OpenBlock)> = Vec::new();
    let mut index = 0usize;
    let mut in_text_run = false;
    for (n, raw_line) in text.split('\n').enumerate() {
        let line_no = n + 1;
        let line = raw_line.trim();
        if index >= MAX_PEM_BLOCKS {
            out.problems.push(Problem::Truncated {
                reason: format!("more than {MAX_PEM_BLOCKS} PEM blocks; the rest was not read"),
            });
            finish_blocks(&mut out, &path, complete);
            return out;
        }
        let begin = line
            .strip_prefix("-----BEGIN ")
            .and_then(|l| l.strip_suffix("-----"));
        let end = line
            .strip_prefix("-----END ")
            .and_then(|l| l.strip_suffix("-----"));
        if let Some(label) = begin {
            if let Some(b) = open.take() {
                out.problems.push(b.broken(format!(
                    "starting here is cut: a new BEGIN comes at line {line_no} before its END"
                )));
                index += 1;
            }
            open = Some(OpenBlock {
                label: label.to_owned(),
                begin_line: line_no,
                text: format!("{line}\n"),
            });
            in_text_run = false;
            continue;
        }
        if let Some(label) = end {
            match open.take() {
                Some(mut b) if b.label == label => {
                    b.text.push_str(line);
                    b.text.push('\n');
                    complete.push((index, b));
                    index += 1;
                }
                Some(b) => {
                    out.problems.push(b.broken(format!(
                        "ends with a mismatched `END {label}` at line {line_no}"
                    )));
                    index += 1;
                }
                None => out.problems.push(Problem::MalformedPem {
                    line: line_no,
                    reason: format!("`END {label}` without a matching BEGIN"),
                }),
            }
            in_text_run = false;
            continue;
        }
        match open.as_mut() {
            Some(b) => {
                b.text.push_str(line);
                b.text.push('\n');
            }
            None => {
                if line.is_empty() {
                    continue;
                }
                if !in_text_run {
                    out.problems.push(Problem::TextOutsidePem { line: line_no });
                    in_text_run = true;
                }
            }
        }
    }
    if let Some(b) = open {
        out.problems
            .push(b.broken("is cut: no END line before the end of the file".to_owned()));
    }
    finish_blocks(&mut out, &path, complete);
    out
}

/// Decode and parse complete PEM blocks, in parallel for large files, and
/// add the results in block order.
fn finish_blocks(out: &mut LoadedFile, path: &Arc<str>, blocks: Vec<(usize, OpenBlock)>) {
    use rayon::prelude::*;
    const PARALLEL_BLOCKS: usize = 32;
    if blocks.len() < PARALLEL_BLOCKS {
        for (index, b) in blocks {
            finish_block(out, path, index, b);
        }
        return;
    }
    let parts: Vec<LoadedFile> = blocks
        .into_par_iter()
        .map(|(index, b)| {
            let mut part = LoadedFile::new(Arc::clone(path), Format::Pem);
            finish_block(&mut part, path, index, b);
            part
        })
        .collect();
    for p in parts {
        out.certs.extend(p.certs);
        out.keys.extend(p.keys);
        out.problems.extend(p.problems);
        out.other_blocks.extend(p.other_blocks);
    }
}

/// The DER of a certificate block whose body is nothing but base64 lines
/// (no headers, blank lines, spaces or other characters): the common case,
/// decoded without the `pem` crate's character-by-character copy. Anything
/// else returns None and goes through `pem::parse`, which gives the same
/// bytes for such a body and the error messages for a bad one.
fn decode_plain_body(text: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let mut lines = text.lines();
    lines.next()?; // BEGIN
    let mut body: Vec<&str> = lines.collect();
    body.pop()?; // END
    let mut data = String::with_capacity(text.len());
    for line in body {
        let plain = !line.is_empty()
            && line
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'='));
        if !plain {
            return None;
        }
        data.push_str(line);
    }
    base64::engine::general_purpose::STANDARD.decode(data).ok()
}

/// A certificate block's DER; TRUSTED CERTIFICATE carries OpenSSL's
/// auxiliary trust data after the certificate.
fn push_cert_block(out: &mut LoadedFile, label: &str, contents: &[u8], source: Source) {
    let cert_der = match (label, der::read(contents)) {
        ("TRUSTED CERTIFICATE", Some((tlv, _))) => tlv.raw,
        _ => contents,
    };
    push_cert(out, cert_der, source);
}

fn finish_block(out: &mut LoadedFile, path: &Arc<str>, index: usize, b: OpenBlock) {
    if is_cert_label(&b.label)
        && let Some(contents) = decode_plain_body(&b.text)
    {
        let source = Source::new(path, index, Some(b.begin_line), Container::Pem);
        push_cert_block(out, &b.label, &contents, source);
        return;
    }
    let parsed = match pem::parse(b.text.as_bytes()) {
        Ok(p) => p,
        Err(e) => {
            out.problems.push(Problem::MalformedPem {
                line: b.begin_line,
                reason: format!(
                    "PEM block `{}` does not decode: {}",
                    b.label,
                    pem_reason(&e)
                ),
            });
            return;
        }
    };
    let source = Source::new(path, index, Some(b.begin_line), Container::Pem);
    let label = b.label.as_str();
    if is_cert_label(label) {
        push_cert_block(out, label, parsed.contents(), source);
    } else if label == "PKCS7" || label == "CERTIFICATE CHAIN" {
        match der::pkcs7_certificates(parsed.contents()) {
            Some(mut certs) => {
                if certs.is_empty() {
                    out.problems.push(Problem::EmptyPkcs7 {
                        line: Some(b.begin_line),
                    });
                }
                cut_pkcs7(out, &mut certs);
                for (i, c) in certs.iter().enumerate() {
                    let mut src = source.clone();
                    src.container = Container::Pkcs7;
                    src.inner = Some(i);
                    push_cert(out, c, src);
                }
            }
            None => out.problems.push(Problem::BadCertificate {
                index,
                line: Some(b.begin_line),
                reason: "PKCS7 block is not a PKCS#7 SignedData with certificates".to_owned(),
            }),
        }
    } else if is_key_label(label) {
        let encrypted = label.starts_with("ENCRYPTED")
            || parsed
                .headers()
                .get("Proc-Type")
                .is_some_and(|v| v.contains("ENCRYPTED"));
        out.keys.push(KeyBlock {
            source,
            label: b.label.clone(),
            der: Zeroizing::new(parsed.into_contents()),
            encrypted,
        });
    } else {
        out.other_blocks.push((b.begin_line, b.label));
    }
}

fn pem_reason(e: &pem::PemError) -> String {
    match e {
        pem::PemError::InvalidData(_) => "bad base64".to_owned(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(s: &str) -> LoadedFile {
        load_bytes("t.pem", s.as_bytes(), &LoadOptions::default())
    }

    #[test]
    fn an_open_file_is_read_with_the_same_limit_as_a_path() {
        let dir = tempfile::tempdir().unwrap();
        let small = dir.path().join("small.pem");
        std::fs::write(&small, b"abc").unwrap();
        let f = std::fs::File::open(&small).unwrap();
        assert_eq!(read_open_file(f, "shown").unwrap(), b"abc");

        // Sparse: no disk used, but one byte over the limit.
        let big = dir.path().join("big.pem");
        std::fs::File::create(&big)
            .unwrap()
            .set_len(MAX_INPUT_BYTES + 1)
            .unwrap();
        let f = std::fs::File::open(&big).unwrap();
        let err = read_open_file(f, "shown").unwrap_err();
        assert!(
            matches!(err, LoadError::TooLarge { ref path, size, .. } if path == "shown" && size == MAX_INPUT_BYTES + 1),
            "{err}"
        );
        assert!(matches!(
            read_limited(&big),
            Err(LoadError::TooLarge { .. })
        ));

        let f = std::fs::File::open(dir.path()).unwrap();
        let err = read_open_file(f, "a-dir").unwrap_err();
        assert_eq!(err.to_string(), "a-dir: cannot read: is a directory");
    }

    #[test]
    fn plain_body_decodes_as_the_pem_crate_does() {
        let text = include_str!("../../fixtures/server-fullchain.pem");
        let first_end = text.find("-----END CERTIFICATE-----\n").unwrap() + 26;
        let block = &text[..first_end];
        let fast = decode_plain_body(block).unwrap();
        assert_eq!(fast, pem::parse(block).unwrap().contents());
        // Headers, blank lines, spaces and bad base64 go the slow way.
        for odd in [
            "-----BEGIN CERTIFICATE-----\nProc-Type: 4,ENCRYPTED\n\nMIIB\n-----END CERTIFICATE-----\n",
            "-----BEGIN CERTIFICATE-----\nMII B\n-----END CERTIFICATE-----\n",
            "-----BEGIN CERTIFICATE-----\n\n-----END CERTIFICATE-----\n",
            "-----BEGIN CERTIFICATE-----\nMIIB=A\n-----END CERTIFICATE-----\n",
        ] {
            assert_eq!(decode_plain_body(odd), None, "{odd}");
        }
    }

    #[test]
    fn empty_and_whitespace_are_empty() {
        assert_eq!(load("").format, Format::Empty);
        assert_eq!(load(" \n\n").format, Format::Empty);
    }

    #[test]
    fn cut_block_is_malformed_with_its_line() {
        let f = load("junk\n-----BEGIN CERTIFICATE-----\nMIIB\n");
        assert!(f.problems.contains(&Problem::TextOutsidePem { line: 1 }));
        assert!(
            f.problems
                .iter()
                .any(|p| matches!(p, Problem::MalformedPem { line: 2, .. }))
        );
    }

    #[test]
    fn end_without_begin_is_reported() {
        let f = load("-----END CERTIFICATE-----\n");
        assert!(matches!(
            f.problems[0],
            Problem::MalformedPem { line: 1, .. }
        ));
    }

    #[test]
    fn key_blocks_are_detected_not_echoed() {
        let f = load("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        assert_eq!(f.keys.len(), 1);
        let dbg = format!("{:?}", f.keys[0]);
        assert!(!dbg.contains("AAAA") && !dbg.contains("[0, 0, 0]"));
    }

    #[test]
    fn hostile_bytes_do_not_panic() {
        for input in [
            &[0x30u8, 0x84, 0xff, 0xff, 0xff, 0xff][..],
            &[0x30, 0x80, 0x00],
            &[0xff; 64],
        ] {
            let f = load_bytes("x", input, &LoadOptions::default());
            assert!(f.certs.is_empty());
        }
    }
}
