//! PKCS#10 certificate signing requests for `issue --csr`: read (PEM or
//! DER), the signature checked with the key the request carries, and split
//! into what may be copied into a certificate (the public key, the CN, DNS
//! and IP SANs) and what never is (every other requested extension, every
//! other subject attribute and SAN type), so the command can name each.
//!
//! Which SANs are taken is decided by `--allow-san` patterns
//! ([`SanPattern`]): a DNS name, `*.domain` (any name below the domain), an
//! IP address or a CIDR block.
use std::net::IpAddr;
use std::path::Path;

use x509_parser::certification_request::X509CertificationRequest;
use x509_parser::cri_attributes::ParsedCriAttribute;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::{FromDer, X509Error};

use crate::error::LoadError;
use crate::pki::issue::SanSpec;

/// A request whose signature verifies.
#[derive(Debug)]
pub struct Csr {
    /// The requester's key, as it goes into the certificate.
    pub public_key: rcgen::SubjectPublicKeyInfo,
    /// The SubjectPublicKeyInfo, DER, to compare with what was issued.
    pub spki_der: Vec<u8>,
    /// An RSA key (keyEncipherment is added for TLS 1.2 RSA key exchange).
    pub rsa: bool,
    /// The subject as text, for messages.
    pub subject: String,
    /// The subject's first CN.
    pub cn: Option<String>,
    /// Subject attributes other than the CN, as text: never copied.
    pub other_subject: Vec<String>,
    /// Requested DNS and IP SANs.
    pub sans: Vec<SanSpec>,
    /// Requested SANs of other types (email, URI, …), as text: never copied.
    pub other_sans: Vec<String>,
    /// Requested extensions other than subjectAltName, as
    /// `name (OID[, critical])`: never copied.
    pub extensions: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum CsrError {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error("{path}: not a certificate signing request (PKCS#10, PEM or DER): {reason}")]
    NotACsr { path: String, reason: String },
    #[error(
        "{path}: the CSR's signature does not verify with the key it carries: it was altered, or signed by another key"
    )]
    BadSignature { path: String },
    #[error("{path}: the CSR is signed with an algorithm that cannot be checked here ({alg})")]
    UnsupportedSignature { path: String, alg: String },
    #[error("{path}: the CSR's key cannot go into a certificate made here: {reason}")]
    UnsupportedKey { path: String, reason: String },
    #[error("{path}: the CSR's subjectAltName is malformed: {reason}")]
    BadSan { path: String, reason: String },
}

/// Read and check a CSR file (PEM `CERTIFICATE REQUEST` or DER).
pub fn read(path: &Path) -> Result<Csr, CsrError> {
    let bytes = crate::pki::load::read_limited(path)?;
    parse(&path.display().to_string(), &bytes)
}

/// Parse and check a CSR; `name` names it in errors.
pub fn parse(name: &str, bytes: &[u8]) -> Result<Csr, CsrError> {
    let not_csr = |reason: String| CsrError::NotACsr {
        path: name.to_owned(),
        reason,
    };
    let der = if bytes.windows(11).any(|w| w == b"-----BEGIN ") {
        let blocks = pem::parse_many(bytes).map_err(|e| not_csr(format!("bad PEM: {e}")))?;
        blocks
            .into_iter()
            .find(|b| matches!(b.tag(), "CERTIFICATE REQUEST" | "NEW CERTIFICATE REQUEST"))
            .ok_or_else(|| not_csr("no PEM block `CERTIFICATE REQUEST`".to_owned()))?
            .into_contents()
    } else {
        bytes.to_vec()
    };
    let (rest, req) =
        X509CertificationRequest::from_der(&der).map_err(|e| not_csr(e.to_string()))?;
    if !rest.is_empty() {
        return Err(not_csr(format!("{} bytes after the request", rest.len())));
    }
    match req.verify_signature() {
        Ok(()) => {}
        Err(X509Error::SignatureUnsupportedAlgorithm) => {
            return Err(CsrError::UnsupportedSignature {
                path: name.to_owned(),
                alg: req.signature_algorithm.algorithm.to_id_string(),
            });
        }
        Err(_) => {
            return Err(CsrError::BadSignature {
                path: name.to_owned(),
            });
        }
    }
    from_verified(name, &req)
}

fn from_verified(name: &str, req: &X509CertificationRequest<'_>) -> Result<Csr, CsrError> {
    let info = &req.certification_request_info;
    let spki_der = info.subject_pki.raw.to_vec();
    let public_key =
        rcgen::SubjectPublicKeyInfo::from_der(&spki_der).map_err(|e| CsrError::UnsupportedKey {
            path: name.to_owned(),
            reason: format!(
                "{} ({e})",
                info.subject_pki.algorithm.algorithm.to_id_string()
            ),
        })?;
    let rsa =
        info.subject_pki.algorithm.algorithm == x509_parser::oid_registry::OID_PKCS1_RSAENCRYPTION;
    let mut cn = None;
    let mut other_subject = Vec::new();
    for attr in info.subject.iter_attributes() {
        let text = attr.as_str().map(str::to_owned);
        if attr.attr_type() == &x509_parser::oid_registry::OID_X509_COMMON_NAME && cn.is_none() {
            cn = text.ok();
        } else {
            let label = x509_parser::objects::oid2sn(
                attr.attr_type(),
                x509_parser::objects::oid_registry(),
            )
            .map(str::to_owned)
            .unwrap_or_else(|_| attr.attr_type().to_id_string());
            other_subject.push(format!(
                "{label}={}",
                text.unwrap_or_else(|_| "…".to_owned())
            ));
        }
    }
    let mut csr = Csr {
        public_key,
        spki_der,
        rsa,
        subject: info.subject.to_string(),
        cn,
        other_subject,
        sans: Vec::new(),
        other_sans: Vec::new(),
        extensions: Vec::new(),
    };
    for attr in info.iter_attributes() {
        if let ParsedCriAttribute::ExtensionRequest(req) = attr.parsed_attribute() {
            for ext in &req.extensions {
                csr.take_extension(name, ext)?;
            }
        }
    }
    Ok(csr)
}

impl Csr {
    fn take_extension(
        &mut self,
        name: &str,
        ext: &x509_parser::extensions::X509Extension<'_>,
    ) -> Result<(), CsrError> {
        let bad_san = |reason: String| CsrError::BadSan {
            path: name.to_owned(),
            reason,
        };
        match ext.parsed_extension() {
            ParsedExtension::SubjectAlternativeName(san) => {
                for g in &san.general_names {
                    match g {
                        GeneralName::DNSName(d) => {
                            let s = SanSpec::parse(d).map_err(bad_san)?;
                            if matches!(s, SanSpec::Ip(_)) {
                                return Err(bad_san(format!("DNS name `{d}` is an IP address")));
                            }
                            self.sans.push(s);
                        }
                        GeneralName::IPAddress(b) => {
                            let ip = ip_from(b).ok_or_else(|| {
                                bad_san(format!("an IP address of {} bytes", b.len()))
                            })?;
                            self.sans.push(SanSpec::Ip(ip));
                        }
                        other => self.other_sans.push(other.to_string()),
                    }
                }
                Ok(())
            }
            ParsedExtension::ParseError { error }
                if ext.oid == x509_parser::oid_registry::OID_X509_EXT_SUBJECT_ALT_NAME =>
            {
                Err(bad_san(error.to_string()))
            }
            _ => {
                let label =
                    x509_parser::objects::oid2sn(&ext.oid, x509_parser::objects::oid_registry())
                        .unwrap_or("unknown extension");
                let critical = if ext.critical { ", critical" } else { "" };
                self.extensions
                    .push(format!("{label} ({}{critical})", ext.oid.to_id_string()));
                Ok(())
            }
        }
    }
}

fn ip_from(b: &[u8]) -> Option<IpAddr> {
    match b.len() {
        4 => <[u8; 4]>::try_from(b).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(b).ok().map(IpAddr::from),
        _ => None,
    }
}

/// An `--allow-san` pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SanPattern {
    /// Exactly this DNS name.
    Dns(String),
    /// `*.domain`: any name below the domain (at any depth, wildcards too),
    /// not the domain itself.
    Below(String),
    /// An IP address or a CIDR block.
    Net(IpAddr, u8),
}

impl SanPattern {
    pub fn parse(s: &str) -> Result<SanPattern, String> {
        let t = s.trim();
        if t.contains('/') {
            let (ip, len) = crate::pki::issue::parse_cidr(t)?;
            return Ok(SanPattern::Net(ip, len));
        }
        match SanSpec::parse(t)? {
            SanSpec::Ip(ip) => Ok(SanPattern::Net(ip, if ip.is_ipv4() { 32 } else { 128 })),
            SanSpec::Dns(d) => match d.strip_prefix("*.") {
                Some(domain) => Ok(SanPattern::Below(domain.to_owned())),
                None => Ok(SanPattern::Dns(d)),
            },
        }
    }

    /// Does this pattern cover the SAN?
    pub fn covers(&self, san: &SanSpec) -> bool {
        match (self, san) {
            (SanPattern::Dns(p), SanSpec::Dns(d)) => p == d,
            (SanPattern::Below(p), SanSpec::Dns(d)) => d
                .strip_suffix(p.as_str())
                .is_some_and(|head| head.len() > 1 && head.ends_with('.')),
            (SanPattern::Net(net, len), SanSpec::Ip(ip)) => {
                crate::pki::issue::in_network(*ip, *net, *len)
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn san(s: &str) -> SanSpec {
        SanSpec::parse(s).unwrap()
    }

    #[test]
    fn patterns_cover_what_they_name_and_nothing_more() {
        let below = SanPattern::parse("*.example.com").unwrap();
        for yes in ["a.example.com", "a.b.example.com", "*.example.com"] {
            assert!(below.covers(&san(yes)), "{yes}");
        }
        for no in ["example.com", "aexample.com", "a.example.org", "10.0.0.1"] {
            assert!(!below.covers(&san(no)), "{no}");
        }
        let exact = SanPattern::parse("API.example.com").unwrap();
        assert!(exact.covers(&san("api.example.com")));
        assert!(!exact.covers(&san("x.api.example.com")));
        let net = SanPattern::parse("10.1.0.0/16").unwrap();
        assert!(net.covers(&san("10.1.200.3")));
        assert!(!net.covers(&san("10.2.0.1")));
        assert!(!net.covers(&san("::1")));
        let one = SanPattern::parse("::1").unwrap();
        assert!(one.covers(&san("::1")) && !one.covers(&san("::2")));
        for bad in ["10.0.0.0/33", "*.com", "a b", "10.0.0.1/8"] {
            assert!(SanPattern::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_request_made_by_rcgen_is_read_and_a_flipped_signature_refused() {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["a.example.com".to_owned()]).unwrap();
        params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
        params
            .distinguished_name
            .push(rcgen::DnType::OrganizationName, "Org");
        let csr = params.serialize_request(&key).unwrap();
        let der = csr.der().to_vec();
        let read = parse("t.csr", &der).unwrap();
        assert_eq!(read.sans, vec![san("a.example.com")]);
        assert_eq!(read.other_subject, vec!["organizationName=Org".to_owned()]);
        assert!(read.extensions[0].starts_with("keyUsage (2.5.29.15"));
        assert!(!read.rsa);
        let pem = csr.pem().unwrap();
        assert_eq!(parse("t.csr", pem.as_bytes()).unwrap().sans, read.sans);
        let mut bad = der.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert!(matches!(
            parse("t.csr", &bad),
            Err(CsrError::BadSignature { .. })
        ));
        assert!(matches!(
            parse("t.csr", b"not a request"),
            Err(CsrError::NotACsr { .. })
        ));
    }
}
