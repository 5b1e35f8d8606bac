//! Deployment artefacts for gateways and Kubernetes, built as pure data: one
//! module per target takes certificates (and key PEM) and returns the list
//! of files it writes, with their contents; `commands::export` reads the
//! inputs, checks for existing files, asks for a password when a file needs
//! one and writes the whole list once.
pub mod aks;
pub mod apim;
pub mod apisix;
pub mod k8s;
pub mod yaml;

use base64::Engine;
use serde_json::{Value, json};
use zeroize::Zeroizing;

use crate::fsio::Mode;
use crate::pki::Cert;

pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Pretty JSON with a final newline.
pub fn json_text(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

/// PEM certificates with a blank line between them (LF only), the form
/// AKS custom CA trust and `SSL_CERT_FILE` readers all take (CS403).
pub fn ca_bundle_pem(certs: &[&Cert]) -> String {
    certs
        .iter()
        .map(|c| c.to_pem())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Is `s` an RFC 1123 DNS label (Kubernetes namespaces, container and volume names)?
pub fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// Is `s` an RFC 1123 subdomain (Kubernetes object names)?
pub fn is_dns_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(is_dns_label)
}

/// Kubernetes `metadata` with an optional namespace.
pub(crate) fn metadata(name: &str, namespace: Option<&str>) -> Value {
    match namespace {
        Some(ns) => json!({ "name": name, "namespace": ns }),
        None => json!({ "name": name }),
    }
}

/// One served certificate: the chain (leaf first, without the root) and
/// its key as PKCS#8 PEM.
pub struct Served<'a> {
    pub chain: Vec<&'a Cert>,
    pub key_pem: Zeroizing<String>,
}

// ---------------------------------------------------------------- the file list

/// What goes in one output file.
pub enum Body<'a> {
    /// The bytes, ready.
    Bytes(Zeroizing<Vec<u8>>),
    /// An APIM Certificates API body for this CA certificate: a
    /// certificate-only PFX and its password, made once the password is read.
    PfxBody(&'a Cert),
}

/// One output file, named relative to the output directory.
pub struct OutFile<'a> {
    pub name: String,
    pub mode: Mode,
    pub body: Body<'a>,
}

/// Everything one target writes, and what the command prints about it.
#[derive(Default)]
pub struct Export<'a> {
    pub files: Vec<OutFile<'a>>,
    /// The summary: a file name (or pattern) and what it is for.
    pub listed: Vec<(String, &'static str)>,
    /// Printed after the summary (tables, next steps).
    pub tail: String,
}

impl<'a> Export<'a> {
    pub fn add(&mut self, name: impl Into<String>, bytes: impl Into<Vec<u8>>, mode: Mode) {
        self.files.push(OutFile {
            name: name.into(),
            mode,
            body: Body::Bytes(Zeroizing::new(bytes.into())),
        });
    }

    /// A file holding a secret (key, password): the text is wiped after use.
    pub fn add_secret(&mut self, name: impl Into<String>, text: Zeroizing<String>) {
        self.add(name, text.as_bytes(), Mode::Secret);
    }

    pub fn list(&mut self, name: impl Into<String>, what: &'static str) {
        self.listed.push((name.into(), what));
    }

    /// Does a file wait for a password?
    pub fn needs_password(&self) -> bool {
        self.files
            .iter()
            .any(|f| matches!(f.body, Body::PfxBody(_)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_names() {
        assert!(is_dns_label("chainsmith-ca"));
        assert!(!is_dns_label("Chainsmith"));
        assert!(!is_dns_label("-a"));
        assert!(!is_dns_label(&"a".repeat(64)));
        assert!(is_dns_subdomain("my.app"));
        assert!(!is_dns_subdomain("my..app"));
    }

    #[test]
    fn a_pfx_body_waits_for_the_password() {
        let mut e = Export::default();
        e.add("a.txt", "x", Mode::Public);
        assert!(!e.needs_password());
        let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/root.crt");
        let file = crate::pki::load::load_path(&path, &Default::default()).unwrap();
        e.files.push(OutFile {
            name: "b.json".into(),
            mode: Mode::Secret,
            body: Body::PfxBody(&file.certs[0]),
        });
        assert!(e.needs_password());
    }
}
