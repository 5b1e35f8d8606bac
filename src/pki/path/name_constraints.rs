//! Name constraints (RFC 5280 §4.2.1.10) along a path.
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::{FromDer, X509Certificate};

use super::PathError;
use crate::pki::model::{Cert, label};

/// Name checks one path may do before it is refused (OpenSSL caps the same
/// quadratic work; limbo's nc-dos cases expect a refusal).
const NAME_CONSTRAINT_BUDGET: usize = 1 << 20;

/// Name constraints (RFC 5280 §4.2.1.10) of every CA in `chain`, applied to
/// the names of the certificates below it: DNS names, IP addresses, email
/// addresses (SANs and the subject's emailAddress), URIs (by host) and
/// directory names (the subject and directoryName SANs). A constraint of a
/// form not processed here (otherName, x400Address, ediPartyName,
/// registeredID) rejects the path only if a certificate below has a name of
/// that form, as §4.2.1.10 allows ("process the constraint or reject").
/// Malformed constraints, malformed names under a constraint of their form,
/// an empty extension and the extension in a non-CA certificate reject the
/// path. Self-issued intermediates are not checked (§6.1.3 (b)). Wildcard
/// SANs are judged defensively (CVE-2025-61727): `*.example.com` violates
/// an exclusion of `bar.example.com` and is not inside a permit of
/// `foo.example.com`.
/// Name constraints along a path (target first, anchor last), for callers
/// that built the path themselves (`pki::clients`).
pub fn check_name_constraints(chain: &[&Cert]) -> Result<(), PathError> {
    name_constraints(chain)
}

pub(super) fn name_constraints(chain: &[&Cert]) -> Result<(), PathError> {
    // Each certificate's names are read once, however many CAs above it
    // constrain them.
    let mut names_of: Vec<Option<Names>> = (0..chain.len()).map(|_| None).collect();
    for (k, ca) in chain.iter().enumerate() {
        let Some(nc) = Constraints::of(ca)? else {
            continue;
        };
        if k == 0 {
            if !ca.is_ca() {
                return Err(PathError::NameConstraints {
                    cert: label(ca),
                    why: "name constraints in a certificate that is not a CA".to_owned(),
                });
            }
            continue;
        }
        for (j, child) in chain[..k].iter().enumerate() {
            if j != 0 && child.is_self_issued() {
                continue;
            }
            let names = names_of[j].get_or_insert_with(|| Names::of(child));
            let work = nc.len().saturating_mul(names.len());
            if work > NAME_CONSTRAINT_BUDGET {
                return Err(PathError::NameConstraints {
                    cert: label(ca),
                    why: format!(
                        "checking {} name constraints against {} names is too much work; refused",
                        nc.len(),
                        names.len()
                    ),
                });
            }
            nc.check(names).map_err(|why| PathError::NameRejected {
                cert: label(child),
                ca: label(ca),
                why,
            })?;
        }
    }
    Ok(())
}

/// One name constraint base, parsed and checked for form.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Base {
    Dns(String),
    Ip {
        net: Vec<u8>,
        mask: Vec<u8>,
    },
    Email(String),
    Uri(String),
    Dn(Vec<(String, String)>),
    /// A form this validator does not process, by its name.
    Other(&'static str),
}

/// The name forms a certificate carries, for constraint checks.
#[derive(Debug, Default)]
struct Names {
    dns: Vec<String>,
    /// Raw iPAddress SAN contents (4 or 16 bytes when well formed).
    ip: Vec<Vec<u8>>,
    email: Vec<String>,
    uri: Vec<String>,
    dn: Vec<Vec<(String, String)>>,
    /// Forms not processed here that appear in the certificate.
    other: Vec<&'static str>,
}

impl Names {
    fn of(c: &Cert) -> Names {
        let mut n = Names::default();
        let Ok((_, x)) = X509Certificate::from_der(&c.der) else {
            return n;
        };
        // The subject's emailAddress attributes, as written (a mailbox's
        // local part is case-sensitive), are email names too (§4.2.1.10).
        n.email.extend(
            x.subject()
                .iter_email()
                .filter_map(|a| a.as_str().ok())
                .map(str::to_owned),
        );
        let subject = rdns(x.subject());
        if !subject.is_empty() {
            n.dn.push(subject);
        }
        if let Ok(Some(san)) = x.subject_alternative_name() {
            for g in &san.value.general_names {
                n.add(g);
            }
        }
        n
    }

    fn add(&mut self, g: &GeneralName<'_>) {
        match g {
            GeneralName::DNSName(d) => self.dns.push(d.to_ascii_lowercase()),
            GeneralName::IPAddress(b) => self.ip.push(b.to_vec()),
            GeneralName::RFC822Name(e) => self.email.push((*e).to_owned()),
            GeneralName::URI(u) => self.uri.push((*u).to_owned()),
            GeneralName::DirectoryName(d) => self.dn.push(rdns(d)),
            other => self.other.push(form_name(other)),
        }
    }

    fn len(&self) -> usize {
        self.dns.len()
            + self.ip.len()
            + self.email.len()
            + self.uri.len()
            + self.dn.len()
            + self.other.len()
    }
}

/// A name as (attribute OID, value) pairs, RDN by RDN; string values are
/// compared case-insensitively with surrounding and repeated spaces folded
/// (RFC 5280 §7.1 asks for RFC 4518 matching; this is its common subset).
fn rdns(name: &x509_parser::x509::X509Name<'_>) -> Vec<(String, String)> {
    name.iter_attributes()
        .map(|a| {
            let value = match a.as_str() {
                Ok(s) => s
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
                    .to_lowercase(),
                Err(_) => hex::encode(a.attr_value().data),
            };
            (a.attr_type().to_id_string(), value)
        })
        .collect()
}

fn form_name(g: &GeneralName<'_>) -> &'static str {
    match g {
        GeneralName::OtherName(..) => "otherName",
        GeneralName::RFC822Name(_) => "rfc822Name",
        GeneralName::DNSName(_) => "dNSName",
        GeneralName::X400Address(_) => "x400Address",
        GeneralName::DirectoryName(_) => "directoryName",
        GeneralName::EDIPartyName(_) => "ediPartyName",
        GeneralName::URI(_) => "uniformResourceIdentifier",
        GeneralName::IPAddress(_) => "iPAddress",
        GeneralName::RegisteredID(_) => "registeredID",
        GeneralName::Invalid(..) => "an unreadable name",
    }
}

/// The parsed name constraints of one CA.
struct Constraints {
    permit: Vec<Base>,
    exclude: Vec<Base>,
}

const NAME_CONSTRAINTS_OID: &str = "2.5.29.30";

impl Constraints {
    /// `Ok(None)` without the extension; an error when it is present but
    /// unreadable, empty, or holds a malformed base.
    fn of(c: &Cert) -> Result<Option<Constraints>, PathError> {
        if !c.has_name_constraints {
            return Ok(None);
        }
        let Ok((_, x)) = X509Certificate::from_der(&c.der) else {
            return Ok(None);
        };
        let Some(ext) = x
            .extensions()
            .iter()
            .find(|e| e.oid.to_id_string() == NAME_CONSTRAINTS_OID)
        else {
            return Ok(None);
        };
        let ParsedExtension::NameConstraints(nc) = ext.parsed_extension() else {
            return Err(PathError::NameConstraints {
                cert: label(c),
                why: "unreadable name constraints".to_owned(),
            });
        };
        let bases = |t: &Option<Vec<x509_parser::extensions::GeneralSubtree<'_>>>| {
            t.as_deref()
                .unwrap_or(&[])
                .iter()
                .map(|s| {
                    Base::parse(&s.base).map_err(|why| PathError::NameConstraints {
                        cert: label(c),
                        why,
                    })
                })
                .collect::<Result<Vec<Base>, PathError>>()
        };
        let permit = bases(&nc.permitted_subtrees)?;
        let exclude = bases(&nc.excluded_subtrees)?;
        if permit.is_empty() && exclude.is_empty() {
            return Err(PathError::NameConstraints {
                cert: label(c),
                why: "name constraints with neither permitted nor excluded subtrees".to_owned(),
            });
        }
        Ok(Some(Constraints { permit, exclude }))
    }

    fn len(&self) -> usize {
        self.permit.len() + self.exclude.len()
    }

    /// Does any base, permitted or excluded, satisfy `f`?
    fn has_form(&self, f: impl Fn(&Base) -> bool) -> bool {
        self.permit.iter().chain(&self.exclude).any(f)
    }

    /// Check every name of one certificate: within some permitted base of
    /// its form (when the CA permits any of that form) and in no excluded one.
    fn check(&self, names: &Names) -> Result<(), String> {
        // DNS names.
        if self.has_form(|b| matches!(b, Base::Dns(_))) {
            for n in &names.dns {
                if !dns_name_ok(n) {
                    return Err(format!("malformed DNS name {n} under DNS name constraints"));
                }
                self.one(n, |b| match b {
                    Base::Dns(c) => Some((excluded_hit(n, c), permitted_hit(n, c))),
                    _ => None,
                })?;
            }
        }
        // IP addresses.
        if self.has_form(|b| matches!(b, Base::Ip { .. })) {
            for ip in &names.ip {
                let shown = show_ip(ip);
                if ip.len() != 4 && ip.len() != 16 {
                    return Err(format!(
                        "malformed IP address {shown} under IP name constraints"
                    ));
                }
                self.one(&shown, |b| match b {
                    Base::Ip { net, mask } => {
                        let hit = net.len() == ip.len()
                            && ip
                                .iter()
                                .zip(net)
                                .zip(mask)
                                .all(|((a, n), m)| a & m == n & m);
                        Some((hit, hit))
                    }
                    _ => None,
                })?;
            }
        }
        // Email addresses.
        if self.has_form(|b| matches!(b, Base::Email(_))) {
            for e in &names.email {
                let Some((local, host)) = e
                    .rsplit_once('@')
                    .filter(|(l, h)| !l.is_empty() && !h.is_empty() && !l.contains('@'))
                else {
                    return Err(format!(
                        "malformed email address {e} under email name constraints"
                    ));
                };
                self.one(e, |b| match b {
                    Base::Email(c) => {
                        let hit = email_within(local, host, c);
                        Some((hit, hit))
                    }
                    _ => None,
                })?;
            }
        }
        // URIs, by host.
        if self.has_form(|b| matches!(b, Base::Uri(_))) {
            for u in &names.uri {
                let Some(host) = uri_host(u) else {
                    return Err(format!(
                        "URI {u} has no host to check against URI name constraints"
                    ));
                };
                self.one(u, |b| match b {
                    Base::Uri(c) => {
                        let hit = within(&host, c);
                        Some((hit, hit))
                    }
                    _ => None,
                })?;
            }
        }
        // Directory names.
        if self.has_form(|b| matches!(b, Base::Dn(_))) {
            for dn in &names.dn {
                let shown = dn
                    .iter()
                    .map(|(o, v)| format!("{o}={v}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                self.one(&shown, |b| match b {
                    Base::Dn(c) => {
                        let hit = dn.len() >= c.len() && dn[..c.len()] == c[..];
                        Some((hit, hit))
                    }
                    _ => None,
                })?;
            }
        }
        // Forms not processed here: reject if the certificate has such a name.
        for form in &names.other {
            if self
                .permit
                .iter()
                .chain(&self.exclude)
                .any(|b| *b == Base::Other(form))
            {
                return Err(format!(
                    "name constraints on {form} names, which are not processed"
                ));
            }
        }
        Ok(())
    }

    /// Judge one name against the bases of its form: `hit` gives, for a
    /// base of the name's form, (in the excluded sense, in the permitted
    /// sense), or None for a base of another form.
    fn one(&self, name: &str, hit: impl Fn(&Base) -> Option<(bool, bool)>) -> Result<(), String> {
        if let Some(c) = self.exclude.iter().find(|b| hit(b).is_some_and(|(x, _)| x)) {
            return Err(format!(
                "name {name} is in the excluded subtree {}",
                show_base(c)
            ));
        }
        let mut of_form = self.permit.iter().filter_map(&hit).peekable();
        if of_form.peek().is_some() && !of_form.any(|(_, p)| p) {
            return Err(format!("name {name} is outside the permitted subtrees"));
        }
        Ok(())
    }
}

impl Base {
    fn parse(g: &GeneralName<'_>) -> Result<Base, String> {
        Ok(match g {
            GeneralName::DNSName(d) => {
                let d = d.to_ascii_lowercase();
                if d.starts_with('.') || d.contains('*') || d.contains("..") {
                    return Err(format!("malformed DNS name constraint {d:?}"));
                }
                Base::Dns(d)
            }
            GeneralName::IPAddress(b) => {
                let half = b.len() / 2;
                if b.len() != 8 && b.len() != 32 {
                    return Err(format!(
                        "malformed IP name constraint of {} bytes (CIDR form is 8 or 32)",
                        b.len()
                    ));
                }
                let (net, mask) = b.split_at(half);
                let bits: Vec<bool> = mask
                    .iter()
                    .flat_map(|m| (0..8).rev().map(move |i| m >> i & 1 == 1))
                    .collect();
                if bits.windows(2).any(|w| !w[0] && w[1]) {
                    return Err(format!(
                        "malformed IP name constraint: mask {} is not contiguous",
                        show_ip(mask)
                    ));
                }
                Base::Ip {
                    net: net.to_vec(),
                    mask: mask.to_vec(),
                }
            }
            GeneralName::RFC822Name(e) => {
                if e.matches('@').count() > 1
                    || e.is_empty()
                    || e.starts_with('@')
                    || e.ends_with('@')
                {
                    return Err(format!("malformed email name constraint {e:?}"));
                }
                Base::Email((*e).to_owned())
            }
            GeneralName::URI(u) => {
                if u.contains("://") || u.is_empty() {
                    return Err(format!(
                        "malformed URI name constraint {u:?} (a host or .domain is expected)"
                    ));
                }
                Base::Uri(u.to_ascii_lowercase())
            }
            GeneralName::DirectoryName(d) => Base::Dn(rdns(d)),
            other => Base::Other(form_name(other)),
        })
    }
}

fn show_base(b: &Base) -> String {
    match b {
        Base::Dns(d) => d.clone(),
        Base::Ip { net, mask } => {
            let prefix: u32 = mask.iter().map(|m| m.count_ones()).sum();
            format!("{}/{prefix}", show_ip(net))
        }
        Base::Email(e) | Base::Uri(e) => e.clone(),
        Base::Dn(d) => d
            .iter()
            .map(|(o, v)| format!("{o}={v}"))
            .collect::<Vec<_>>()
            .join(", "),
        Base::Other(f) => (*f).to_owned(),
    }
}

fn show_ip(b: &[u8]) -> String {
    match b.len() {
        4 => std::net::Ipv4Addr::new(b[0], b[1], b[2], b[3]).to_string(),
        16 => {
            let mut a = [0u8; 16];
            a.copy_from_slice(b);
            std::net::Ipv6Addr::from(a).to_string()
        }
        _ => hex::encode(b),
    }
}

/// A DNS SAN that can be judged: no empty labels, no leading or trailing
/// dot, a wildcard only as the whole leftmost label.
fn dns_name_ok(n: &str) -> bool {
    !n.is_empty()
        && n.split('.')
            .enumerate()
            .all(|(i, l)| !l.is_empty() && (l != "*" || i == 0) && (l == "*" || !l.contains('*')))
}

/// RFC 5280 §4.2.1.10 email constraints: `user@host` is one mailbox, `host`
/// every mailbox at that host, `.host` every mailbox at any host below it.
/// An asterisk is a literal character.
fn email_within(local: &str, host: &str, c: &str) -> bool {
    let host = host.to_ascii_lowercase();
    match c.rsplit_once('@') {
        Some((cl, ch)) => cl == local && ch.eq_ignore_ascii_case(&host),
        None => {
            let c = c.to_ascii_lowercase();
            match c.strip_prefix('.') {
                Some(suffix) => host.ends_with(&format!(".{suffix}")),
                None => host == c,
            }
        }
    }
}

/// The host of a URI (`scheme://[user@]host[:port][/...]`), lowercased.
fn uri_host(u: &str) -> Option<String> {
    let rest = u.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = host.strip_prefix('[') {
        v6.split(']').next()?
    } else {
        host.split(':').next()?
    };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// Is DNS name `n` inside the subtree `c` (`example.com` or `.example.com`)?
fn within(n: &str, c: &str) -> bool {
    if c.is_empty() {
        return true;
    }
    match c.strip_prefix('.') {
        Some(suffix) => n.ends_with(&format!(".{suffix}")),
        None => n == c || n.ends_with(&format!(".{c}")),
    }
}

fn excluded_hit(n: &str, c: &str) -> bool {
    match n.strip_prefix("*.") {
        // The wildcard might stand for any name one label below `base`.
        Some(base) => {
            within(base, c)
                || (!c.starts_with('.')
                    && c.split_once('.')
                        .is_some_and(|(l, rest)| !l.is_empty() && rest == base))
        }
        None => within(n, c),
    }
}

fn permitted_hit(n: &str, c: &str) -> bool {
    match n.strip_prefix("*.") {
        // Every name the wildcard stands for must be inside `c`.
        Some(base) => match c.strip_prefix('.') {
            Some(suffix) => base == suffix || base.ends_with(&format!(".{suffix}")),
            None => within(base, c),
        },
        None => within(n, c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_subtrees() {
        assert!(within("a.example.com", "example.com") && within("example.com", "example.com"));
        assert!(!within("badexample.com", "example.com"));
        assert!(within("a.example.com", ".example.com") && !within("example.com", ".example.com"));
    }

    #[test]
    fn wildcards_are_judged_defensively() {
        assert!(excluded_hit("*.example.com", "bar.example.com"));
        assert!(!excluded_hit("*.example.com", "a.bar.example.com"));
        assert!(excluded_hit("*.example.com", "example.com"));
        assert!(!excluded_hit("*.example.org", "example.com"));
        assert!(!permitted_hit("*.example.com", "foo.example.com"));
        assert!(permitted_hit("*.example.com", "example.com"));
        assert!(permitted_hit("*.example.com", ".example.com"));
        assert!(permitted_hit("www.example.com", "example.com"));
    }

    #[test]
    fn email_subtrees_follow_rfc5280() {
        assert!(email_within("user", "example.com", "example.com"));
        assert!(email_within("user", "Example.COM", "example.com"));
        assert!(!email_within("user", "mail.example.com", "example.com"));
        assert!(email_within("user", "mail.example.com", ".example.com"));
        assert!(!email_within("user", "example.com", ".example.com"));
        assert!(email_within("user", "example.com", "user@example.com"));
        assert!(!email_within("other", "example.com", "user@example.com"));
        // An asterisk is a literal character, not a wildcard.
        assert!(!email_within("user", "example.com", "*@example.com"));
        assert!(email_within("*", "example.com", "*@example.com"));
    }

    #[test]
    fn uri_hosts() {
        assert_eq!(
            uri_host("https://User@WWW.Example.com:8443/x?y").as_deref(),
            Some("www.example.com")
        );
        assert_eq!(
            uri_host("ldap://[2001:db8::1]/o=x").as_deref(),
            Some("2001:db8::1")
        );
        assert_eq!(uri_host("urn:isbn:123"), None);
        assert_eq!(uri_host("https:///path"), None);
    }

    #[test]
    fn ip_constraints_need_cidr_form_and_a_contiguous_mask() {
        let ip = |b: &[u8]| Base::parse(&GeneralName::IPAddress(b));
        assert!(ip(&[192, 0, 2, 0, 255, 255, 255, 0]).is_ok());
        assert!(ip(&[192, 0, 2, 0]).is_err(), "an address, not a range");
        assert!(
            ip(&[192, 0, 2, 0, 255, 0, 255, 0]).is_err(),
            "holes in the mask"
        );
        let mut v6 = vec![0x20, 0x01, 0x0d, 0xb8];
        v6.extend([0; 12]);
        v6.extend([0xff; 4]);
        v6.extend([0; 12]);
        assert!(ip(&v6).is_ok());
    }

    #[test]
    fn dns_constraint_and_san_syntax() {
        assert!(Base::parse(&GeneralName::DNSName(".example.com")).is_err());
        assert!(Base::parse(&GeneralName::DNSName("*.example.com")).is_err());
        assert!(
            Base::parse(&GeneralName::DNSName("Example.com"))
                == Ok(Base::Dns("example.com".to_owned()))
        );
        assert!(dns_name_ok("a.example.com") && dns_name_ok("*.example.com"));
        assert!(!dns_name_ok(".example.com") && !dns_name_ok("a..example.com"));
        assert!(!dns_name_ok("a.*.example.com") && !dns_name_ok("f*o.example.com"));
    }
}
