//! One certificate, with every fact the linter, `inspect` and the chain
//! builder need, extracted once from x509-parser into owned data.
use std::fmt;
use std::net::IpAddr;

use ::time::OffsetDateTime;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::*;

use super::load::Source;

/// The part a certificate plays, from its own fields (not from a chain).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// A CA whose subject equals its issuer.
    Root,
    /// A CA issued by someone else.
    Intermediate,
    /// An end-entity certificate.
    Leaf,
    /// An end-entity certificate that names itself as issuer.
    SelfSignedLeaf,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Root => "root",
            Role::Intermediate => "intermediate",
            Role::Leaf => "leaf",
            Role::SelfSignedLeaf => "self-signed leaf",
        }
    }
    pub fn is_ca(self) -> bool {
        matches!(self, Role::Root | Role::Intermediate)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hash {
    Md2,
    Md5,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    pub fn is_weak(self) -> bool {
        matches!(self, Hash::Md2 | Hash::Md5 | Hash::Sha1)
    }
    pub fn name(self) -> &'static str {
        match self {
            Hash::Md2 => "MD2",
            Hash::Md5 => "MD5",
            Hash::Sha1 => "SHA-1",
            Hash::Sha224 => "SHA-224",
            Hash::Sha256 => "SHA-256",
            Hash::Sha384 => "SHA-384",
            Hash::Sha512 => "SHA-512",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigKind {
    RsaPkcs1,
    RsaPss,
    Ecdsa,
    Ed25519,
    Ed448,
    Dsa,
    Other,
}

/// The signature algorithm of a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigAlg {
    pub kind: SigKind,
    pub hash: Option<Hash>,
    pub oid: String,
}

impl fmt::Display for SigAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let h = self.hash.map(Hash::name).unwrap_or("?");
        match self.kind {
            SigKind::RsaPkcs1 => write!(f, "RSA PKCS#1 {h}"),
            SigKind::RsaPss => write!(f, "RSA-PSS {h}"),
            SigKind::Ecdsa => write!(f, "ECDSA {h}"),
            SigKind::Ed25519 => f.write_str("Ed25519"),
            SigKind::Ed448 => f.write_str("Ed448"),
            SigKind::Dsa => write!(f, "DSA {h}"),
            SigKind::Other => write!(f, "unknown ({})", self.oid),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curve {
    P256,
    P384,
    P521,
    Other,
}

/// The subject public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyKind {
    Rsa { bits: usize },
    Ec { curve: Curve, bits: usize },
    Ed25519,
    Ed448,
    Dsa { bits: usize },
    Other { oid: String },
}

impl fmt::Display for KeyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyKind::Rsa { bits } => write!(f, "RSA-{bits}"),
            KeyKind::Ec {
                curve: Curve::P256, ..
            } => f.write_str("EC P-256"),
            KeyKind::Ec {
                curve: Curve::P384, ..
            } => f.write_str("EC P-384"),
            KeyKind::Ec {
                curve: Curve::P521, ..
            } => f.write_str("EC P-521"),
            KeyKind::Ec { bits, .. } => write!(f, "EC ({bits} bits, unnamed curve)"),
            KeyKind::Ed25519 => f.write_str("Ed25519"),
            KeyKind::Ed448 => f.write_str("Ed448"),
            KeyKind::Dsa { bits } => write!(f, "DSA-{bits}"),
            KeyKind::Other { oid } => write!(f, "unknown ({oid})"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum San {
    Dns(String),
    Ip(IpAddr),
    Email(String),
    Uri(String),
    Other(String),
}

impl fmt::Display for San {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            San::Dns(d) => write!(f, "DNS:{d}"),
            San::Ip(ip) => write!(f, "IP:{ip}"),
            San::Email(e) => write!(f, "email:{e}"),
            San::Uri(u) => write!(f, "URI:{u}"),
            San::Other(o) => f.write_str(o),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BasicConstraints {
    pub ca: bool,
    pub path_len: Option<u32>,
    pub critical: bool,
}

/// keyUsage bits as in RFC 5280 (bit 0 = digitalSignature).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyUsage {
    pub flags: u16,
    pub critical: bool,
}

impl KeyUsage {
    pub const DIGITAL_SIGNATURE: u16 = 1;
    pub const KEY_ENCIPHERMENT: u16 = 1 << 2;
    pub const KEY_CERT_SIGN: u16 = 1 << 5;
    pub const CRL_SIGN: u16 = 1 << 6;

    /// RFC 5280 names of the keyUsage bits, bit 0 first.
    const NAMES: [&'static str; 9] = [
        "digitalSignature",
        "nonRepudiation",
        "keyEncipherment",
        "dataEncipherment",
        "keyAgreement",
        "keyCertSign",
        "cRLSign",
        "encipherOnly",
        "decipherOnly",
    ];

    pub fn key_cert_sign(&self) -> bool {
        self.flags & Self::KEY_CERT_SIGN != 0
    }
    pub fn names(&self) -> Vec<&'static str> {
        Self::NAMES
            .iter()
            .enumerate()
            .filter(|(i, _)| self.flags & (1 << i) != 0)
            .map(|(_, n)| *n)
            .collect()
    }
    /// The flag of one RFC 5280 keyUsage name (`"keyEncipherment"` is
    /// `1 << 2`), the inverse of [`KeyUsage::names`]; `None` for a name
    /// RFC 5280 does not define.
    pub fn bit(name: &str) -> Option<u16> {
        Self::NAMES.iter().position(|n| *n == name).map(|i| 1 << i)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExtKeyUsage {
    pub any: bool,
    pub server_auth: bool,
    pub client_auth: bool,
    pub other: Vec<String>,
}

impl ExtKeyUsage {
    pub fn names(&self) -> Vec<String> {
        let mut v = Vec::new();
        if self.server_auth {
            v.push("serverAuth".to_owned());
        }
        if self.client_auth {
            v.push("clientAuth".to_owned());
        }
        if self.any {
            v.push("anyExtendedKeyUsage".to_owned());
        }
        v.extend(self.other.iter().cloned());
        v
    }
}

/// A parsed certificate with its source.
#[derive(Debug, Clone)]
pub struct Cert {
    pub der: Vec<u8>,
    pub source: Source,
    pub version: u32,
    pub subject: String,
    pub issuer: String,
    pub subject_raw: Vec<u8>,
    pub issuer_raw: Vec<u8>,
    /// Lower-case hex, no separators.
    pub serial: String,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    pub key: KeyKind,
    /// The full SubjectPublicKeyInfo DER.
    pub spki: Vec<u8>,
    /// The subjectPublicKey BIT STRING content (what verifiers take).
    pub public_key: Vec<u8>,
    pub sig_alg: SigAlg,
    /// Hash named by RSA-PSS parameters, when the algorithm is PSS.
    pub tbs: std::ops::Range<usize>,
    pub signature: Vec<u8>,
    pub sans: Vec<San>,
    pub basic_constraints: Option<BasicConstraints>,
    pub key_usage: Option<KeyUsage>,
    pub ext_key_usage: Option<ExtKeyUsage>,
    pub ski: Option<Vec<u8>>,
    pub aki: Option<Vec<u8>>,
    pub duplicate_extensions: Vec<String>,
    pub unknown_critical_extensions: Vec<String>,
    /// The certificate has a nameConstraints extension (2.5.29.30), readable
    /// or not: the path validator parses it only then.
    pub has_name_constraints: bool,
    pub sha1: [u8; 20],
    pub sha256: [u8; 32],
}

/// A certificate in a message: `` `CN=…` [1a2b3c4d5e6f] ``.
pub fn label(c: &Cert) -> String {
    format!("`{}` [{}]", c.subject, c.short_id())
}

/// A time in a message: `2026-11-22 13:05:00 UTC`.
/// RFC 3339 in UTC (`2030-01-01T00:00:00Z`), as the time flags take it
/// and JSON carries it; [`format_time`] for a time RFC 3339 cannot hold.
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.to_offset(::time::UtcOffset::UTC)
        .format(&::time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| format_time(t))
}

pub fn format_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(::time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

impl Cert {
    /// Parse one DER certificate. The error is x509-parser's reason.
    pub fn parse(der: &[u8], source: Source) -> Result<Cert, String> {
        let (rest, x) = X509Certificate::from_der(der).map_err(|e| describe_parse_error(&e))?;
        if !rest.is_empty() {
            return Err(format!(
                "{} bytes of trailing data after the certificate",
                rest.len()
            ));
        }
        // x509-parser takes any INTEGER here; Go, Python (cryptography) and
        // Java refuse such a certificate, so it is unreadable, not a v4.
        let version = x.version().0;
        if version > 2 {
            return Err(format!(
                "X.509 version field {version} is invalid (only 0, 1 and 2 exist: v1, v2 and v3)"
            ));
        }
        let tbs_raw = x.tbs_certificate.as_ref();
        let tbs_start = offset_in(der, tbs_raw).ok_or("certificate layout not understood")?;
        let subject_raw = name_element(der, x.subject()).to_vec();
        let issuer_raw = name_element(der, x.issuer()).to_vec();
        let der = der.to_vec();

        let spki = x.public_key();
        let key = key_kind(spki);

        let mut sans = Vec::new();
        let mut basic_constraints = None;
        let mut key_usage = None;
        let mut ext_key_usage = None;
        let mut ski = None;
        let mut aki = None;
        let mut seen: Vec<String> = Vec::new();
        let mut duplicate_extensions = Vec::new();
        let mut unknown_critical_extensions = Vec::new();
        for ext in x.extensions() {
            let oid = ext.oid.to_id_string();
            if seen.contains(&oid) {
                if !duplicate_extensions.contains(&oid) {
                    duplicate_extensions.push(oid.clone());
                }
                continue;
            }
            seen.push(oid.clone());
            match ext.parsed_extension() {
                ParsedExtension::BasicConstraints(bc) => {
                    basic_constraints = Some(BasicConstraints {
                        ca: bc.ca,
                        path_len: bc.path_len_constraint,
                        critical: ext.critical,
                    })
                }
                ParsedExtension::KeyUsage(ku) => {
                    key_usage = Some(KeyUsage {
                        flags: ku.flags,
                        critical: ext.critical,
                    })
                }
                ParsedExtension::ExtendedKeyUsage(eku) => {
                    ext_key_usage = Some(ExtKeyUsage {
                        any: eku.any,
                        server_auth: eku.server_auth,
                        client_auth: eku.client_auth,
                        other: eku.other.iter().map(|o| o.to_id_string()).collect(),
                    })
                }
                ParsedExtension::SubjectKeyIdentifier(k) => ski = Some(k.0.to_vec()),
                ParsedExtension::AuthorityKeyIdentifier(a) => {
                    aki = a.key_identifier.as_ref().map(|k| k.0.to_vec())
                }
                ParsedExtension::SubjectAlternativeName(san) => {
                    for gn in &san.general_names {
                        sans.push(match gn {
                            GeneralName::DNSName(d) => San::Dns((*d).to_owned()),
                            GeneralName::IPAddress(b) => match ip_from_bytes(b) {
                                Some(ip) => San::Ip(ip),
                                None => San::Other(format!("IP:<{} bytes>", b.len())),
                            },
                            GeneralName::RFC822Name(e) => San::Email((*e).to_owned()),
                            GeneralName::URI(u) => San::Uri((*u).to_owned()),
                            other => San::Other(format!("{other}")),
                        });
                    }
                }
                ParsedExtension::UnsupportedExtension { .. } if ext.critical => {
                    unknown_critical_extensions.push(oid)
                }
                _ => {}
            }
        }

        let sha1 = digest_array::<20>(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, &der);
        let sha256 = digest_array::<32>(&aws_lc_rs::digest::SHA256, &der);

        Ok(Cert {
            version: version + 1,
            subject: x.subject().to_string(),
            issuer: x.issuer().to_string(),
            subject_raw,
            issuer_raw,
            serial: hex::encode(x.raw_serial()),
            not_before: x.validity().not_before.to_datetime(),
            not_after: x.validity().not_after.to_datetime(),
            key,
            spki: spki.raw.to_vec(),
            public_key: spki.subject_public_key.data.to_vec(),
            sig_alg: sig_alg(&x.signature_algorithm),
            tbs: tbs_start..tbs_start + tbs_raw.len(),
            signature: x.signature_value.data.to_vec(),
            sans,
            basic_constraints,
            key_usage,
            ext_key_usage,
            ski,
            aki,
            duplicate_extensions,
            unknown_critical_extensions,
            has_name_constraints: seen.iter().any(|o| o == "2.5.29.30"),
            sha1,
            sha256,
            source,
            der,
        })
    }

    pub fn tbs_bytes(&self) -> &[u8] {
        &self.der[self.tbs.clone()]
    }

    /// The subject as an RFC 4514 string, as `openssl x509 -noout -subject
    /// -nameopt RFC2253` prints it (see [`name_rfc4514`]). `subject` stays
    /// the display form every human output uses.
    pub fn subject_rfc4514(&self) -> String {
        name_rfc4514(&self.subject_raw).unwrap_or_else(|| self.subject.clone())
    }

    /// The issuer as an RFC 4514 string (see [`Cert::subject_rfc4514`]).
    pub fn issuer_rfc4514(&self) -> String {
        name_rfc4514(&self.issuer_raw).unwrap_or_else(|| self.issuer.clone())
    }

    /// Subject equals issuer (byte for byte, or by normalised name).
    pub fn is_self_issued(&self) -> bool {
        names_match(
            &self.subject_raw,
            &self.subject,
            &self.issuer_raw,
            &self.issuer,
        )
    }

    /// basicConstraints CA:TRUE. A v1 self-issued certificate counts as a CA
    /// too (that is how v1 roots work), but CS312 flags it.
    pub fn is_ca(&self) -> bool {
        match self.basic_constraints {
            Some(bc) => bc.ca,
            None => self.version == 1 && self.is_self_issued(),
        }
    }

    pub fn role(&self) -> Role {
        match (self.is_ca(), self.is_self_issued()) {
            (true, true) => Role::Root,
            (true, false) => Role::Intermediate,
            (false, true) => Role::SelfSignedLeaf,
            (false, false) => Role::Leaf,
        }
    }

    /// The value of the first CN attribute of the subject, if any.
    pub fn common_name(&self) -> Option<String> {
        X509Name::from_der(&self.subject_raw)
            .ok()
            .and_then(|(_, n)| {
                n.iter_common_name()
                    .next()
                    .and_then(|cn| cn.as_str().ok().map(str::to_owned))
            })
    }

    /// A short display name: the CN, or the whole subject.
    pub fn display_name(&self) -> String {
        self.common_name().unwrap_or_else(|| self.subject.clone())
    }

    /// SHA-1 thumbprint in upper-case hex, as Azure shows it.
    pub fn thumbprint(&self) -> String {
        hex::encode_upper(self.sha1)
    }

    pub fn fingerprint(&self) -> String {
        hex::encode(self.sha256)
    }

    /// First 12 hex digits of the SHA-256 fingerprint, for messages.
    pub fn short_id(&self) -> String {
        hex::encode(&self.sha256[..6])
    }

    pub fn dns_sans(&self) -> impl Iterator<Item = &str> {
        self.sans.iter().filter_map(|s| match s {
            San::Dns(d) => Some(d.as_str()),
            _ => None,
        })
    }

    /// Is `host` (a DNS name or an IP address, `[v6]` allowed) covered by
    /// the subjectAltNames? A wildcard covers exactly one leftmost label.
    /// The subject CN is not consulted (RFC 6125); client models that fall
    /// back to it say so (`pki::clients`).
    pub fn matches_host(&self, host: &str) -> bool {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = bare.parse::<std::net::IpAddr>() {
            return self
                .sans
                .iter()
                .any(|s| matches!(s, San::Ip(x) if *x == ip));
        }
        self.dns_sans().any(|d| dns_name_matches(d, host))
    }

    pub fn to_pem(&self) -> String {
        super::encode::pem_block("CERTIFICATE", &self.der)
    }
}

/// Do two names match? Byte-equal DER, or equal after the light
/// normalisation most verifiers apply (case and spacing of the string form).
/// One DNS name (or `*.` wildcard) of a certificate against a host name,
/// case-insensitively, ignoring a final dot.
pub fn dns_name_matches(pattern: &str, host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let d = pattern.trim_end_matches('.').to_ascii_lowercase();
    match d.strip_prefix("*.") {
        Some(suffix) => host
            .split_once('.')
            .is_some_and(|(first, rest)| !first.is_empty() && rest == suffix),
        None => d == host,
    }
}

pub fn names_match(a_raw: &[u8], a: &str, b_raw: &[u8], b: &str) -> bool {
    a_raw == b_raw || (!a.is_empty() && normalised_eq(a, b))
}

/// Names equal after collapsing whitespace runs and lower-casing, without allocating (this runs
/// for every `is_self_issued` call on a non-self-issued certificate).
fn normalised_eq(a: &str, b: &str) -> bool {
    normalised_chars(a).eq(normalised_chars(b))
}

fn normalised_chars(s: &str) -> impl Iterator<Item = char> + '_ {
    let mut words = s.split_whitespace();
    let first = words.next();
    first
        .into_iter()
        .chain(words.flat_map(|w| [" ", w]))
        .flat_map(str::chars)
        .flat_map(char::to_lowercase)
}

/// A DER `Name` as an RFC 4514 string, the way `openssl x509 -noout
/// -subject -nameopt RFC2253` prints it (`X509_NAME_print_ex` with
/// `XN_FLAG_RFC2253`), so the two can be compared with `==`:
///
/// - RDNs last first, `,` between them with no space; the attributes of a
///   multi-valued RDN joined by `+`, also last first (openssl walks the
///   flattened attribute list backwards);
/// - openssl's short name for the attribute types it knows (`CN`, `O`,
///   `street`, `emailAddress`, `serialNumber`, `organizationIdentifier`…,
///   see `attribute_short_name`); any other type as its dotted OID, with
///   the value as `#` and the upper-case hex of its DER (RFC 4514 §2.4);
/// - string values: a backslash before `,` `+` `"` `\` `<` `>` `;`, before
///   a leading `#` and before a leading or trailing space; control
///   characters and every byte of a non-ASCII character's UTF-8 encoding as
///   `\XX` (é is `\C3\A9`), so the string is pure ASCII. PrintableString,
///   IA5String, T61String and the other one-byte types are read as Latin-1,
///   BMPString as UCS-2 and UniversalString as UCS-4, as openssl does;
/// - a value that is not a string type (or a string whose length does not
///   fit its character width) as `#` and the hex of its DER.
///
/// One deliberate difference: a value that is exactly `#` is written `\#`
/// (openssl writes a bare `#`, which an RFC 4514 parser reads as the start
/// of a hex value). None when the DER is not a Name (x509-parser accepted
/// it, so that does not happen for a parsed certificate).
pub fn name_rfc4514(name_der: &[u8]) -> Option<String> {
    use super::der;
    let (seq, _) = der::read(name_der)?;
    if seq.tag != der::SEQUENCE {
        return None;
    }
    // (RDN index, OID content octets, value element with its header)
    let mut attrs: Vec<(usize, &[u8], &[u8])> = Vec::new();
    for (rdn, set) in der::children(seq.value)?.into_iter().enumerate() {
        if set.tag != der::SET {
            return None;
        }
        for atv in der::children(set.value)? {
            if atv.tag != der::SEQUENCE {
                return None;
            }
            let (oid, value) = der::read(atv.value)?;
            if oid.tag != der::OID || value.is_empty() {
                return None;
            }
            attrs.push((rdn, oid.value, value));
        }
    }
    let mut out = String::new();
    let mut prev: Option<usize> = None;
    for &(rdn, oid, value) in attrs.iter().rev() {
        if let Some(p) = prev {
            out.push(if p == rdn { '+' } else { ',' });
        }
        prev = Some(rdn);
        let dotted =
            x509_parser::der_parser::oid::Oid::new(std::borrow::Cow::Borrowed(oid)).to_id_string();
        match attribute_short_name(&dotted) {
            Some(short) => {
                out.push_str(short);
                out.push('=');
                push_value(&mut out, value);
            }
            None => {
                out.push_str(&dotted);
                out.push('=');
                push_der_dump(&mut out, value);
            }
        }
    }
    Some(out)
}

/// `#` and the upper-case hex of a DER element (RFC 4514 §2.4).
fn push_der_dump(out: &mut String, der: &[u8]) {
    out.push('#');
    out.push_str(&hex::encode_upper(der));
}

/// One attribute value (the whole DER element): a string type as escaped
/// text, anything else as a DER dump.
fn push_value(out: &mut String, value: &[u8]) {
    let element = match super::der::read(value) {
        Some((tlv, [])) => tlv,
        _ => return push_der_dump(out, value),
    };
    let data = element.value;
    let chars: Vec<u32> = match element.tag {
        // UTF8String: openssl escapes its bytes one by one; for valid UTF-8
        // that is the same as escaping each character's UTF-8 bytes.
        0x0c => data.iter().map(|&b| u32::from(b)).collect(),
        // Numeric, Printable, T61, Videotex, IA5, UTCTime, GeneralizedTime,
        // Graphic, Visible and General strings: one Latin-1 byte a character.
        0x12..=0x1b => data.iter().map(|&b| u32::from(b)).collect(),
        // BMPString: UCS-2.
        0x1e if data.len() % 2 == 0 => data
            .chunks_exact(2)
            .map(|c| u32::from(u16::from_be_bytes([c[0], c[1]])))
            .collect(),
        // UniversalString: UCS-4.
        0x1c if data.len() % 4 == 0 => data
            .chunks_exact(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
        _ => return push_der_dump(out, value),
    };
    let utf8_bytes = element.tag == 0x0c;
    let n = chars.len();
    for (i, &c) in chars.iter().enumerate() {
        let first = i == 0;
        let last = i + 1 == n;
        if c < 0x80 || utf8_bytes {
            // A byte of a UTF8String at or above 0x80 is escaped as itself.
            push_escaped_byte(out, c as u8, first, last);
        } else if let Some(ch) = char::from_u32(c) {
            let mut buf = [0u8; 4];
            for &b in ch.encode_utf8(&mut buf).as_bytes() {
                push_escaped_byte(out, b, false, false);
            }
        }
        // Surrogates and code points above U+10FFFF have no UTF-8 form;
        // openssl drops them too (its UTF8_putc fails and writes nothing).
    }
}

/// One byte of a value, escaped as openssl's `ASN1_STRFLGS_RFC2253` does.
fn push_escaped_byte(out: &mut String, b: u8, first: bool, last: bool) {
    match b {
        b',' | b'+' | b'"' | b'\\' | b'<' | b'>' | b';' => {
            out.push('\\');
            out.push(char::from(b));
        }
        b'#' if first => out.push_str("\\#"),
        b' ' if first || last => out.push_str("\\ "),
        0x00..=0x1f | 0x7f..=0xff => out.push_str(&format!("\\{b:02X}")),
        _ => out.push(char::from(b)),
    }
}

/// The name openssl 3 prints for an attribute type (`OBJ_nid2sn`), for
/// every type it knows under the arcs names use: X.520 (2.5.4.*), PKCS #9
/// (1.2.840.113549.1.9.*), the RFC 1274 pilot attributes
/// (0.9.2342.19200300.100.1.*), the EV jurisdiction fields, the RFC 3039
/// personal data attributes and the Russian INN/OGRN/SNILS/OGRNIP.
/// Every other type is printed as its dotted OID with the value dumped.
/// `names::escapes_string_types_and_attribute_names_match_openssl`
/// (tests/cli) checks the table against openssl over those whole arcs.
fn attribute_short_name(dotted: &str) -> Option<&'static str> {
    if let Some(n) = dotted.strip_prefix("2.5.4.") {
        let names: &[(&str, &str)] = &[
            ("3", "CN"),
            ("4", "SN"),
            ("5", "serialNumber"),
            ("6", "C"),
            ("7", "L"),
            ("8", "ST"),
            ("9", "street"),
            ("10", "O"),
            ("11", "OU"),
            ("12", "title"),
            ("13", "description"),
            ("14", "searchGuide"),
            ("15", "businessCategory"),
            ("16", "postalAddress"),
            ("17", "postalCode"),
            ("18", "postOfficeBox"),
            ("19", "physicalDeliveryOfficeName"),
            ("20", "telephoneNumber"),
            ("21", "telexNumber"),
            ("22", "teletexTerminalIdentifier"),
            ("23", "facsimileTelephoneNumber"),
            ("24", "x121Address"),
            ("25", "internationaliSDNNumber"),
            ("26", "registeredAddress"),
            ("27", "destinationIndicator"),
            ("28", "preferredDeliveryMethod"),
            ("29", "presentationAddress"),
            ("30", "supportedApplicationContext"),
            ("31", "member"),
            ("32", "owner"),
            ("33", "roleOccupant"),
            ("34", "seeAlso"),
            ("35", "userPassword"),
            ("36", "userCertificate"),
            ("37", "cACertificate"),
            ("38", "authorityRevocationList"),
            ("39", "certificateRevocationList"),
            ("40", "crossCertificatePair"),
            ("41", "name"),
            ("42", "GN"),
            ("43", "initials"),
            ("44", "generationQualifier"),
            ("45", "x500UniqueIdentifier"),
            ("46", "dnQualifier"),
            ("47", "enhancedSearchGuide"),
            ("48", "protocolInformation"),
            ("49", "distinguishedName"),
            ("50", "uniqueMember"),
            ("51", "houseIdentifier"),
            ("52", "supportedAlgorithms"),
            ("53", "deltaRevocationList"),
            ("54", "dmdName"),
            ("65", "pseudonym"),
            ("72", "role"),
            ("97", "organizationIdentifier"),
            ("98", "c3"),
            ("99", "n3"),
            ("100", "dnsName"),
        ];
        return names.iter().find(|(k, _)| *k == n).map(|(_, v)| *v);
    }
    if let Some(n) = dotted.strip_prefix("0.9.2342.19200300.100.1.") {
        let names: &[(&str, &str)] = &[
            ("1", "UID"),
            ("2", "textEncodedORAddress"),
            ("3", "mail"),
            ("4", "info"),
            ("5", "favouriteDrink"),
            ("6", "roomNumber"),
            ("7", "photo"),
            ("8", "userClass"),
            ("9", "host"),
            ("10", "manager"),
            ("11", "documentIdentifier"),
            ("12", "documentTitle"),
            ("13", "documentVersion"),
            ("14", "documentAuthor"),
            ("15", "documentLocation"),
            ("20", "homeTelephoneNumber"),
            ("21", "secretary"),
            ("22", "otherMailbox"),
            ("23", "lastModifiedTime"),
            ("24", "lastModifiedBy"),
            ("25", "DC"),
            ("26", "aRecord"),
            ("27", "pilotAttributeType27"),
            ("28", "mXRecord"),
            ("29", "nSRecord"),
            ("30", "sOARecord"),
            ("31", "cNAMERecord"),
            ("37", "associatedDomain"),
            ("38", "associatedName"),
            ("39", "homePostalAddress"),
            ("40", "personalTitle"),
            ("41", "mobileTelephoneNumber"),
            ("42", "pagerTelephoneNumber"),
            ("43", "friendlyCountryName"),
            ("44", "uid"),
            ("45", "organizationalStatus"),
            ("46", "janetMailbox"),
            ("47", "mailPreferenceOption"),
            ("48", "buildingName"),
            ("49", "dSAQuality"),
            ("50", "singleLevelQuality"),
            ("51", "subtreeMinimumQuality"),
            ("52", "subtreeMaximumQuality"),
            ("53", "personalSignature"),
            ("54", "dITRedirect"),
            ("55", "audio"),
            ("56", "documentPublisher"),
        ];
        return names.iter().find(|(k, _)| *k == n).map(|(_, v)| *v);
    }
    Some(match dotted {
        "1.2.840.113549.1.9.1" => "emailAddress",
        "1.2.840.113549.1.9.2" => "unstructuredName",
        "1.2.840.113549.1.9.3" => "contentType",
        "1.2.840.113549.1.9.4" => "messageDigest",
        "1.2.840.113549.1.9.5" => "signingTime",
        "1.2.840.113549.1.9.6" => "countersignature",
        "1.2.840.113549.1.9.7" => "challengePassword",
        "1.2.840.113549.1.9.8" => "unstructuredAddress",
        "1.2.840.113549.1.9.9" => "extendedCertificateAttributes",
        "1.2.840.113549.1.9.14" => "extReq",
        "1.2.840.113549.1.9.15" => "SMIME-CAPS",
        "1.2.840.113549.1.9.16" => "SMIME",
        "1.2.840.113549.1.9.20" => "friendlyName",
        "1.2.840.113549.1.9.21" => "localKeyID",
        "1.3.6.1.4.1.311.60.2.1.1" => "jurisdictionL",
        "1.3.6.1.4.1.311.60.2.1.2" => "jurisdictionST",
        "1.3.6.1.4.1.311.60.2.1.3" => "jurisdictionC",
        "1.3.6.1.5.5.7.9.1" => "id-pda-dateOfBirth",
        "1.3.6.1.5.5.7.9.2" => "id-pda-placeOfBirth",
        "1.3.6.1.5.5.7.9.3" => "id-pda-gender",
        "1.3.6.1.5.5.7.9.4" => "id-pda-countryOfCitizenship",
        "1.3.6.1.5.5.7.9.5" => "id-pda-countryOfResidence",
        "1.2.643.3.131.1.1" => "INN",
        "1.2.643.100.1" => "OGRN",
        "1.2.643.100.3" => "SNILS",
        "1.2.643.100.5" => "OGRNIP",
        _ => return None,
    })
}

fn describe_parse_error(e: &x509_parser::nom::Err<X509Error>) -> String {
    match e {
        x509_parser::nom::Err::Incomplete(_) => "truncated DER".to_owned(),
        x509_parser::nom::Err::Error(e) | x509_parser::nom::Err::Failure(e) => {
            format!("not a valid X.509 certificate ({e})")
        }
    }
}

/// The whole DER element of a Name inside `cert`. x509-parser's `as_raw`
/// stops before a trailing empty RDN (`31 00`), leaving a slice shorter than
/// its own length field; read the element again from where it starts.
fn name_element<'a>(cert: &'a [u8], name: &X509Name<'a>) -> &'a [u8] {
    let raw = name.as_raw();
    offset_in(cert, raw)
        .and_then(|start| super::der::read(&cert[start..]))
        .map_or(raw, |(tlv, _)| tlv.raw)
}

fn offset_in(outer: &[u8], inner: &[u8]) -> Option<usize> {
    let start = (inner.as_ptr() as usize).checked_sub(outer.as_ptr() as usize)?;
    (start + inner.len() <= outer.len()).then_some(start)
}

fn digest_array<const N: usize>(
    alg: &'static aws_lc_rs::digest::Algorithm,
    data: &[u8],
) -> [u8; N] {
    let d = aws_lc_rs::digest::digest(alg, data);
    let mut out = [0u8; N];
    out.copy_from_slice(&d.as_ref()[..N]);
    out
}

fn ip_from_bytes(b: &[u8]) -> Option<IpAddr> {
    match b.len() {
        4 => Some(IpAddr::from(<[u8; 4]>::try_from(b).ok()?)),
        16 => Some(IpAddr::from(<[u8; 16]>::try_from(b).ok()?)),
        _ => None,
    }
}

const OID_RSA: &str = "1.2.840.113549.1.1.1";
const OID_EC: &str = "1.2.840.10045.2.1";
const OID_DSA: &str = "1.2.840.10040.4.1";
const OID_ED25519: &str = "1.3.101.112";
const OID_ED448: &str = "1.3.101.113";

fn key_kind(spki: &SubjectPublicKeyInfo<'_>) -> KeyKind {
    let oid = spki.algorithm.algorithm.to_id_string();
    match oid.as_str() {
        OID_RSA => KeyKind::Rsa {
            bits: match spki.parsed() {
                Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => rsa.key_size(),
                _ => 0,
            },
        },
        OID_EC => {
            let curve_oid = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|o| o.to_id_string());
            let curve = match curve_oid.as_deref() {
                Some("1.2.840.10045.3.1.7") => Curve::P256,
                Some("1.3.132.0.34") => Curve::P384,
                Some("1.3.132.0.35") => Curve::P521,
                _ => Curve::Other,
            };
            let bits = match curve {
                Curve::P256 => 256,
                Curve::P384 => 384,
                Curve::P521 => 521,
                // Uncompressed point: 04 || X || Y.
                Curve::Other => spki.subject_public_key.data.len().saturating_sub(1) / 2 * 8,
            };
            KeyKind::Ec { curve, bits }
        }
        OID_ED25519 => KeyKind::Ed25519,
        OID_ED448 => KeyKind::Ed448,
        OID_DSA => KeyKind::Dsa {
            bits: dsa_bits(spki).unwrap_or(0),
        },
        _ => KeyKind::Other { oid },
    }
}

/// DSA size: bit length of p in the Dss-Parms.
fn dsa_bits(spki: &SubjectPublicKeyInfo<'_>) -> Option<usize> {
    let params = spki.algorithm.parameters.as_ref()?;
    let (p, _) = super::der::read(params.data)?;
    let p = p.value.iter().skip_while(|b| **b == 0).collect::<Vec<_>>();
    let first = **p.first()?;
    Some((p.len() - 1) * 8 + (8 - first.leading_zeros() as usize))
}

fn sig_alg(alg: &AlgorithmIdentifier<'_>) -> SigAlg {
    let oid = alg.algorithm.to_id_string();
    let (kind, hash) = match oid.as_str() {
        "1.2.840.113549.1.1.2" => (SigKind::RsaPkcs1, Some(Hash::Md2)),
        "1.2.840.113549.1.1.4" => (SigKind::RsaPkcs1, Some(Hash::Md5)),
        "1.2.840.113549.1.1.5" | "1.3.14.3.2.29" => (SigKind::RsaPkcs1, Some(Hash::Sha1)),
        "1.2.840.113549.1.1.14" => (SigKind::RsaPkcs1, Some(Hash::Sha224)),
        "1.2.840.113549.1.1.11" => (SigKind::RsaPkcs1, Some(Hash::Sha256)),
        "1.2.840.113549.1.1.12" => (SigKind::RsaPkcs1, Some(Hash::Sha384)),
        "1.2.840.113549.1.1.13" => (SigKind::RsaPkcs1, Some(Hash::Sha512)),
        "1.2.840.113549.1.1.10" => (SigKind::RsaPss, pss_hash(alg)),
        "1.2.840.10045.4.1" => (SigKind::Ecdsa, Some(Hash::Sha1)),
        "1.2.840.10045.4.3.1" => (SigKind::Ecdsa, Some(Hash::Sha224)),
        "1.2.840.10045.4.3.2" => (SigKind::Ecdsa, Some(Hash::Sha256)),
        "1.2.840.10045.4.3.3" => (SigKind::Ecdsa, Some(Hash::Sha384)),
        "1.2.840.10045.4.3.4" => (SigKind::Ecdsa, Some(Hash::Sha512)),
        "1.3.101.112" => (SigKind::Ed25519, None),
        "1.3.101.113" => (SigKind::Ed448, None),
        "1.2.840.10040.4.3" => (SigKind::Dsa, Some(Hash::Sha1)),
        "2.16.840.1.101.3.4.3.1" => (SigKind::Dsa, Some(Hash::Sha224)),
        "2.16.840.1.101.3.4.3.2" => (SigKind::Dsa, Some(Hash::Sha256)),
        _ => (SigKind::Other, None),
    };
    SigAlg { kind, hash, oid }
}

fn pss_hash(alg: &AlgorithmIdentifier<'_>) -> Option<Hash> {
    let Some(params) = alg.parameters.as_ref() else {
        return Some(Hash::Sha1); // RFC 4055 default
    };
    let params = x509_parser::signature_algorithm::RsaSsaPssParams::try_from(params).ok()?;
    match params.hash_algorithm_oid().to_id_string().as_str() {
        "1.3.14.3.2.26" => Some(Hash::Sha1),
        "2.16.840.1.101.3.4.2.1" => Some(Hash::Sha256),
        "2.16.840.1.101.3.4.2.2" => Some(Hash::Sha384),
        "2.16.840.1.101.3.4.2.3" => Some(Hash::Sha512),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::{KeyUsage, name_rfc4514, names_match};

    /// DER of one AttributeTypeAndValue: `oid` (content octets) and a value
    /// element given whole.
    fn atv(oid: &[u8], value: &[u8]) -> Vec<u8> {
        let mut inner = vec![0x06, oid.len() as u8];
        inner.extend_from_slice(oid);
        inner.extend_from_slice(value);
        tlv(0x30, &inner)
    }

    fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut v = vec![tag, content.len() as u8];
        v.extend_from_slice(content);
        v
    }

    /// A Name from RDNs, each a list of AttributeTypeAndValues.
    fn name(rdns: &[&[Vec<u8>]]) -> Vec<u8> {
        let sets: Vec<u8> = rdns.iter().flat_map(|r| tlv(0x31, &r.concat())).collect();
        tlv(0x30, &sets)
    }

    const CN: &[u8] = &[0x55, 0x04, 0x03];
    const O: &[u8] = &[0x55, 0x04, 0x0a];
    const C: &[u8] = &[0x55, 0x04, 0x06];
    const OU: &[u8] = &[0x55, 0x04, 0x0b];
    const EMAIL: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01];
    const UNKNOWN: &[u8] = &[0x2a, 0x03, 0x04]; // 1.2.3.4

    fn printable(s: &str) -> Vec<u8> {
        tlv(0x13, s.as_bytes())
    }

    #[test]
    fn rdns_last_first_without_spaces_and_commas_escaped() {
        let n = name(&[
            &[atv(C, &printable("US"))],
            &[atv(O, &printable("VeriSign, Inc."))],
            &[atv(CN, &printable("VeriSign Class 3"))],
        ]);
        assert_eq!(
            name_rfc4514(&n).unwrap(),
            "CN=VeriSign Class 3,O=VeriSign\\, Inc.,C=US"
        );
    }

    #[test]
    fn multi_valued_rdn_joined_by_plus_last_first() {
        let n = name(&[
            &[atv(C, &printable("DE"))],
            &[atv(OU, &printable("a")), atv(CN, &printable("b"))],
        ]);
        assert_eq!(name_rfc4514(&n).unwrap(), "CN=b+OU=a,C=DE");
    }

    #[test]
    fn specials_spaces_hash_and_controls_are_escaped() {
        let n = name(&[&[atv(CN, &tlv(0x0c, b" #a+b;c<d>e\"f\\g=h\x01\x7f "))]]);
        assert_eq!(
            name_rfc4514(&n).unwrap(),
            "CN=\\ #a\\+b\\;c\\<d\\>e\\\"f\\\\g=h\\01\\7F\\ "
        );
        let n = name(&[&[atv(CN, &printable("#x"))]]);
        assert_eq!(name_rfc4514(&n).unwrap(), "CN=\\#x");
        // A lone `#` is escaped too (openssl leaves it bare, which reads as
        // an empty hex value).
        let n = name(&[&[atv(CN, &printable("#"))]]);
        assert_eq!(name_rfc4514(&n).unwrap(), "CN=\\#");
        let n = name(&[&[atv(CN, &printable(" "))]]);
        assert_eq!(name_rfc4514(&n).unwrap(), "CN=\\ ");
    }

    #[test]
    fn non_ascii_is_escaped_as_utf8_bytes_whatever_the_string_type() {
        let utf8 = name(&[&[atv(CN, &tlv(0x0c, "é€".as_bytes()))]]);
        assert_eq!(name_rfc4514(&utf8).unwrap(), "CN=\\C3\\A9\\E2\\82\\AC");
        let bmp = name(&[&[atv(CN, &tlv(0x1e, &[0x00, 0xe9, 0x20, 0xac]))]]);
        assert_eq!(name_rfc4514(&bmp).unwrap(), "CN=\\C3\\A9\\E2\\82\\AC");
        let universal = name(&[&[atv(CN, &tlv(0x1c, &[0, 0, 0, 0xe9, 0, 0, 0x20, 0xac]))]]);
        assert_eq!(name_rfc4514(&universal).unwrap(), "CN=\\C3\\A9\\E2\\82\\AC");
        // T61String is read as Latin-1: 0xE9 is é.
        let t61 = name(&[&[atv(CN, &tlv(0x14, &[0x61, 0xe9]))]]);
        assert_eq!(name_rfc4514(&t61).unwrap(), "CN=a\\C3\\A9");
    }

    #[test]
    fn unknown_types_and_non_string_values_are_der_dumps() {
        let n = name(&[
            &[atv(UNKNOWN, &printable("x"))],
            &[atv(EMAIL, &tlv(0x16, b"a@b"))],
        ]);
        assert_eq!(
            name_rfc4514(&n).unwrap(),
            "emailAddress=a@b,1.2.3.4=#130178"
        );
        let n = name(&[&[atv(CN, &tlv(0x30, &[0x02, 0x01, 0x05]))]]);
        assert_eq!(name_rfc4514(&n).unwrap(), "CN=#3003020105");
        // A BMPString of odd length cannot be read as UCS-2.
        let n = name(&[&[atv(CN, &tlv(0x1e, &[0x00, 0x41, 0x00]))]]);
        assert_eq!(name_rfc4514(&n).unwrap(), "CN=#1E03004100");
    }

    #[test]
    fn empty_names_and_empty_rdns() {
        assert_eq!(name_rfc4514(&[0x30, 0x00]).unwrap(), "");
        let n = name(&[&[atv(CN, &printable("a"))], &[], &[atv(O, &printable("b"))]]);
        assert_eq!(name_rfc4514(&n).unwrap(), "O=b,CN=a");
        assert!(name_rfc4514(&[0x31, 0x00]).is_none());
        assert!(name_rfc4514(&[0x30, 0x05, 0x31]).is_none());
    }

    #[test]
    fn a_version_field_above_2_is_refused() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/corpus/pyca/x509/custom-invalid_version.pem");
        let pem = pem::parse(std::fs::read(path).unwrap()).unwrap();
        let src = super::Source::new(&"v.pem".into(), 0, None, crate::pki::load::Container::Der);
        let err = super::Cert::parse(pem.contents(), src).unwrap_err();
        assert!(err.contains("version field 7 is invalid"), "{err}");
    }

    #[test]
    fn key_usage_bits_and_names_are_inverse() {
        assert_eq!(
            KeyUsage::bit("digitalSignature"),
            Some(KeyUsage::DIGITAL_SIGNATURE)
        );
        assert_eq!(
            KeyUsage::bit("keyEncipherment"),
            Some(KeyUsage::KEY_ENCIPHERMENT)
        );
        assert_eq!(KeyUsage::bit("keyCertSign"), Some(KeyUsage::KEY_CERT_SIGN));
        assert_eq!(KeyUsage::bit("cRLSign"), Some(KeyUsage::CRL_SIGN));
        assert_eq!(KeyUsage::bit("decipherOnly"), Some(1 << 8));
        assert_eq!(KeyUsage::bit("serverAuth"), None);
        for flags in [1u16, 1 << 3, 1 << 4, 1 << 7, 0x1ff] {
            let ku = KeyUsage {
                flags,
                critical: false,
            };
            let back = ku
                .names()
                .iter()
                .map(|n| KeyUsage::bit(n).unwrap())
                .fold(0, |a, b| a | b);
            assert_eq!(back, flags);
        }
    }

    #[test]
    fn names_match_ignores_case_and_whitespace_runs() {
        assert!(names_match(
            b"a",
            "CN=Good  CA, O=X",
            b"b",
            "cn=good ca,  o=x"
        ));
        assert!(names_match(b"a", " CN=A ", b"b", "CN=A"));
        assert!(!names_match(b"a", "CN=A", b"b", "CN=B"));
        assert!(!names_match(b"a", "", b"b", ""));
        assert!(names_match(b"same", "", b"same", "x"));
    }
}
