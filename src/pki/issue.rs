//! Certificate parameters for rcgen: subjects, SANs, profiles, serials and
//! validity clamping. Signing itself is rcgen's.
use std::net::IpAddr;

use super::model::rfc3339;
use ::time::{Duration, OffsetDateTime};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyUsagePurpose, SanType, SerialNumber,
};

/// Subject attributes, all optional but the CN.
#[derive(Debug, Clone, Default)]
pub struct Subject {
    pub country: Option<String>,
    pub state: Option<String>,
    pub locality: Option<String>,
    pub org: Option<String>,
    pub org_unit: Option<String>,
    pub cn: String,
}

impl Subject {
    pub fn to_dn(&self) -> DistinguishedName {
        let mut dn = DistinguishedName::new();
        let attrs = [
            (DnType::CountryName, &self.country),
            (DnType::StateOrProvinceName, &self.state),
            (DnType::LocalityName, &self.locality),
            (DnType::OrganizationName, &self.org),
            (DnType::OrganizationalUnitName, &self.org_unit),
        ];
        for (ty, v) in attrs {
            if let Some(v) = v {
                dn.push(ty, v.as_str());
            }
        }
        dn.push(DnType::CommonName, self.cn.as_str());
        dn
    }
}

/// What kind of certificate to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    Root,
    Intermediate { pathlen: u8 },
    Server,
    Client,
}

/// A SAN as given on the command line: IPv4/IPv6 literals become IP SANs,
/// everything else a DNS name (wildcards included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SanSpec {
    Dns(String),
    Ip(IpAddr),
}

impl SanSpec {
    pub fn parse(s: &str) -> Result<SanSpec, String> {
        let t = s.trim();
        let unbracketed = t
            .strip_prefix('[')
            .and_then(|x| x.strip_suffix(']'))
            .unwrap_or(t);
        if let Ok(ip) = unbracketed.parse::<IpAddr>() {
            return Ok(SanSpec::Ip(ip));
        }
        let dns = t
            .strip_prefix("DNS:")
            .unwrap_or(t)
            .trim_end_matches('.')
            .to_ascii_lowercase();
        validate_dns(&dns).map_err(|why| format!("invalid SAN `{s}`: {why}"))?;
        Ok(SanSpec::Dns(dns))
    }

    fn to_rcgen(&self) -> Result<SanType, String> {
        Ok(match self {
            SanSpec::Ip(ip) => SanType::IpAddress(*ip),
            SanSpec::Dns(d) => SanType::DnsName(
                d.as_str()
                    .try_into()
                    .map_err(|_| format!("invalid SAN `{d}`: not ASCII"))?,
            ),
        })
    }
}

impl std::fmt::Display for SanSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SanSpec::Dns(d) => f.write_str(d),
            SanSpec::Ip(ip) => write!(f, "{ip}"),
        }
    }
}

fn validate_dns(d: &str) -> Result<(), &'static str> {
    if d.is_empty() {
        return Err("empty name");
    }
    if d.len() > 253 {
        return Err("longer than 253 characters");
    }
    for (i, label) in d.split('.').enumerate() {
        if label == "*" && i == 0 {
            continue;
        }
        if label.is_empty() || label.len() > 63 {
            return Err("a label is empty or longer than 63 characters");
        }
        if !label
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(
                "only letters, digits, '-', '_' and a leading '*.' are allowed (use punycode for IDNs)",
            );
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err("a label starts or ends with '-'");
        }
    }
    if d.starts_with("*.") && d.matches('.').count() < 2 {
        return Err("a wildcard needs at least two labels after '*.'");
    }
    Ok(())
}

/// `ADDRESS/LENGTH`, an IPv4 or IPv6 block with no bits set past the prefix.
pub fn parse_cidr(s: &str) -> Result<(IpAddr, u8), String> {
    let bad = |why: &str| format!("`{s}` is not a CIDR block like 10.0.0.0/8 or fd00::/8: {why}");
    let (addr, len) = s.trim().split_once('/').ok_or_else(|| bad("no /LENGTH"))?;
    let ip: IpAddr = addr.parse().map_err(|_| bad("not an IP address"))?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let len: u8 = len
        .parse()
        .ok()
        .filter(|l| *l <= max)
        .ok_or_else(|| bad("the length is not 0 to 32 (IPv4) or 0 to 128 (IPv6)"))?;
    if mask(ip, len) != ip {
        return Err(bad("bits are set past the prefix length"));
    }
    Ok((ip, len))
}

/// `ip` with every bit past the first `len` cleared.
fn mask(ip: IpAddr, len: u8) -> IpAddr {
    match ip {
        IpAddr::V4(v) => {
            let m = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
            IpAddr::V4(std::net::Ipv4Addr::from(u32::from(v) & m))
        }
        IpAddr::V6(v) => {
            let m = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
            IpAddr::V6(std::net::Ipv6Addr::from(u128::from(v) & m))
        }
    }
}

/// Is `ip` in the block `net/len` (same family)?
pub fn in_network(ip: IpAddr, net: IpAddr, len: u8) -> bool {
    ip.is_ipv4() == net.is_ipv4() && mask(ip, len) == mask(net, len)
}

/// The nameConstraints of a new CA (RFC 5280 §4.2.1.10): the subtrees the
/// names below it must fall in (permitted) or must not (excluded). Written
/// critical, as the CA/Browser Forum Baseline Requirements ask.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NameConstraintSpec {
    /// DNS subtrees: `example.com` is the name and every name below it.
    pub permit_dns: Vec<String>,
    pub exclude_dns: Vec<String>,
    /// IP blocks (address, prefix length).
    pub permit_ip: Vec<(IpAddr, u8)>,
    pub exclude_ip: Vec<(IpAddr, u8)>,
    /// Mailboxes (`user@example.com`), a host (`example.com`) or a domain
    /// (`.example.com`).
    pub permit_email: Vec<String>,
}

impl NameConstraintSpec {
    pub fn is_empty(&self) -> bool {
        self == &NameConstraintSpec::default()
    }

    pub fn to_rcgen(&self) -> rcgen::NameConstraints {
        use rcgen::{CidrSubnet, GeneralSubtree};
        fn dns(v: &[String]) -> impl Iterator<Item = GeneralSubtree> + '_ {
            v.iter().map(|d| GeneralSubtree::DnsName(d.clone()))
        }
        fn ip(v: &[(IpAddr, u8)]) -> impl Iterator<Item = GeneralSubtree> + '_ {
            v.iter()
                .map(|(a, l)| GeneralSubtree::IpAddress(CidrSubnet::from_addr_prefix(*a, *l)))
        }
        let email = self
            .permit_email
            .iter()
            .map(|e| GeneralSubtree::Rfc822Name(e.clone()));
        rcgen::NameConstraints {
            permitted_subtrees: dns(&self.permit_dns)
                .chain(ip(&self.permit_ip))
                .chain(email)
                .collect(),
            excluded_subtrees: dns(&self.exclude_dns).chain(ip(&self.exclude_ip)).collect(),
        }
    }

    /// Put the constraints on CA parameters (nothing when there are none).
    pub fn apply(&self, params: &mut CertificateParams) {
        if !self.is_empty() {
            params.name_constraints = Some(self.to_rcgen());
        }
    }
}

/// A DNS name constraint: `example.com` or `.example.com`, no wildcard.
pub fn parse_dns_constraint(s: &str) -> Result<String, String> {
    let t = s.trim().trim_end_matches('.').to_ascii_lowercase();
    let (dot, name) = match t.strip_prefix('.') {
        Some(rest) => (".", rest),
        None => ("", t.as_str()),
    };
    if name.contains('*') {
        return Err(format!(
            "`{s}`: a DNS constraint is a domain (example.com), not a wildcard"
        ));
    }
    if name.parse::<IpAddr>().is_ok() {
        return Err(format!("`{s}`: an IP address, not a domain"));
    }
    validate_dns(name).map_err(|why| format!("`{s}`: {why}"))?;
    Ok(format!("{dot}{name}"))
}

/// An email constraint: `user@example.com`, `example.com` or `.example.com`.
pub fn parse_email_constraint(s: &str) -> Result<String, String> {
    let t = s.trim();
    let host = match t.rsplit_once('@') {
        Some((local, host)) => {
            if local.is_empty() || !local.bytes().all(|b| b.is_ascii_graphic() && b != b'@') {
                return Err(format!("`{s}`: not a mailbox like user@example.com"));
            }
            host
        }
        None => t,
    };
    parse_dns_constraint(host)?;
    Ok(t.to_ascii_lowercase())
}

/// Parse and deduplicate SANs, keeping their order.
pub fn parse_sans(sans: &[String]) -> Result<Vec<SanSpec>, String> {
    let mut out: Vec<SanSpec> = Vec::new();
    for s in sans {
        let spec = SanSpec::parse(s)?;
        if !out.contains(&spec) {
            out.push(spec);
        }
    }
    Ok(out)
}

/// The default CN: the first DNS SAN, else the first IP.
pub fn default_cn(sans: &[SanSpec]) -> Option<String> {
    sans.iter()
        .find_map(|s| match s {
            SanSpec::Dns(d) => Some(d.clone()),
            SanSpec::Ip(_) => None,
        })
        .or_else(|| sans.first().map(|s| s.to_string()))
}

/// A random positive serial of 128 bits (RFC 5280 allows up to 20 octets).
pub fn random_serial() -> Result<SerialNumber, String> {
    let mut b = [0u8; 16];
    aws_lc_rs::rand::fill(&mut b).map_err(|_| "random number generator failed".to_owned())?;
    b[0] &= 0x7f; // positive
    b[0] |= 0x40; // and a full 16 octets, never zero
    Ok(SerialNumber::from_slice(&b))
}

/// How far back notBefore is set, to tolerate clock skew between hosts.
pub const BACKDATE: Duration = Duration::minutes(5);

/// The last instant a certificate can encode: GeneralizedTime has four
/// year digits (RFC 5280 §4.1.2.5.2).
pub const LAST_ENCODABLE: OffsetDateTime = ::time::macros::datetime!(9999-12-31 23:59:59 UTC);

/// A validity that would end after [`LAST_ENCODABLE`], with nothing to clamp it to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the certificate would end after 9999-12-31, the last date X.509 can encode")]
pub struct PastLastDate;

/// The validity of a new certificate: `days` from now, clamped so it never
/// outlives its issuer. Returns (notBefore, notAfter, clamped?). Past the
/// last encodable date it is clamped to the issuer when there is one (the
/// issuer ends before that date), and refused when there is none.
pub fn validity(
    now: OffsetDateTime,
    days: u32,
    issuer_not_after: Option<OffsetDateTime>,
) -> Result<(OffsetDateTime, OffsetDateTime, bool), PastLastDate> {
    let now = now.replace_nanosecond(0).unwrap_or(now);
    let not_before = now.checked_sub(BACKDATE).unwrap_or(now);
    let wanted = now
        .checked_add(Duration::days(i64::from(days)))
        .filter(|t| *t <= LAST_ENCODABLE);
    match (wanted, issuer_not_after) {
        (Some(w), Some(limit)) if w > limit => Ok((not_before, limit, true)),
        (Some(w), _) => Ok((not_before, w, false)),
        (None, Some(limit)) => Ok((not_before, limit, true)),
        (None, None) => Err(PastLastDate),
    }
}

/// How long a new certificate lasts: from its notBefore, or until a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Length {
    /// `--days N`.
    Days(u32),
    /// `--validity 90d|12h|4w|2y`.
    For(Duration),
    /// `--not-after TIME`.
    Until(OffsetDateTime),
}

/// A validity period that cannot be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ValidityError {
    #[error(transparent)]
    PastLastDate(#[from] PastLastDate),
    #[error(
        "notAfter {} is not after notBefore {}",
        rfc3339(*not_after),
        rfc3339(*not_before)
    )]
    Empty {
        not_before: OffsetDateTime,
        not_after: OffsetDateTime,
    },
}

/// The validity of a new certificate from explicit choices: it starts at
/// `start` (or [`BACKDATE`] before `now`), lasts `length` from that start
/// (from `now` when there is no start), and never outlives its issuer.
/// Returns (notBefore, notAfter, clamped?), as [`validity`] does.
pub fn validity_window(
    now: OffsetDateTime,
    start: Option<OffsetDateTime>,
    length: Length,
    issuer_not_after: Option<OffsetDateTime>,
) -> Result<(OffsetDateTime, OffsetDateTime, bool), ValidityError> {
    let drop_ns = |t: OffsetDateTime| t.replace_nanosecond(0).unwrap_or(t);
    let now = drop_ns(now);
    let (not_before, from) = match start {
        Some(s) => (drop_ns(s), drop_ns(s)),
        None => (now.checked_sub(BACKDATE).unwrap_or(now), now),
    };
    let wanted = match length {
        Length::Days(d) => from.checked_add(Duration::days(i64::from(d))),
        Length::For(d) => from.checked_add(d),
        Length::Until(t) => Some(drop_ns(t)),
    }
    .filter(|t| *t <= LAST_ENCODABLE);
    let (not_after, clamped) = match (wanted, issuer_not_after) {
        (Some(w), Some(limit)) if w > limit => (limit, true),
        (Some(w), _) => (w, false),
        (None, Some(limit)) => (limit, true),
        (None, None) => return Err(PastLastDate.into()),
    };
    if not_after <= not_before {
        return Err(ValidityError::Empty {
            not_before,
            not_after,
        });
    }
    Ok((not_before, not_after, clamped))
}

/// Parameters for one certificate.
pub fn params(
    profile: Profile,
    subject: &Subject,
    sans: &[SanSpec],
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
    rsa_key: bool,
) -> Result<CertificateParams, String> {
    let mut p = CertificateParams::default();
    p.distinguished_name = subject.to_dn();
    p.not_before = not_before;
    p.not_after = not_after;
    p.serial_number = Some(random_serial()?);
    p.use_authority_key_identifier_extension = true;
    p.subject_alt_names = sans
        .iter()
        .map(SanSpec::to_rcgen)
        .collect::<Result<_, _>>()?;
    match profile {
        Profile::Root => {
            p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        }
        Profile::Intermediate { pathlen } => {
            p.is_ca = IsCa::Ca(BasicConstraints::Constrained(pathlen));
            p.key_usages = vec![
                KeyUsagePurpose::DigitalSignature,
                KeyUsagePurpose::KeyCertSign,
                KeyUsagePurpose::CrlSign,
            ];
        }
        Profile::Server | Profile::Client => {
            p.is_ca = IsCa::ExplicitNoCa;
            p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
            if rsa_key {
                // RSA key transport (TLS 1.2 RSA kx); meaningless for EC and EdDSA keys.
                p.key_usages.push(KeyUsagePurpose::KeyEncipherment);
            }
            p.extended_key_usages = vec![if profile == Profile::Server {
                ExtendedKeyUsagePurpose::ServerAuth
            } else {
                ExtendedKeyUsagePurpose::ClientAuth
            }];
        }
    }
    Ok(p)
}

/// Copy a subject DN (DER) into rcgen's form, keeping attribute order and
/// PrintableString/UTF8String types, so a renewed certificate has the same
/// subject bytes as the old one.
pub fn dn_from_der(name_der: &[u8]) -> Result<DistinguishedName, String> {
    use x509_parser::prelude::FromDer;
    let (_, name) =
        x509_parser::x509::X509Name::from_der(name_der).map_err(|e| format!("subject: {e}"))?;
    let mut dn = DistinguishedName::new();
    for attr in name.iter_attributes() {
        let arcs: Vec<u64> = attr
            .attr_type()
            .iter()
            .ok_or("subject attribute OID too large")?
            .collect();
        let value = attr
            .as_str()
            .map_err(|_| "subject attribute is not a string".to_owned())?;
        let v = if attr.attr_value().tag() == x509_parser::der_parser::asn1_rs::Tag::PrintableString
        {
            rcgen::string::PrintableString::try_from(value)
                .map(rcgen::DnValue::PrintableString)
                .unwrap_or_else(|_| rcgen::DnValue::Utf8String(value.to_owned()))
        } else {
            rcgen::DnValue::Utf8String(value.to_owned())
        };
        dn.push(DnType::from_oid(&arcs), v);
    }
    Ok(dn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sans_are_detected() {
        assert_eq!(
            SanSpec::parse("10.0.0.1").unwrap(),
            SanSpec::Ip("10.0.0.1".parse().unwrap())
        );
        assert_eq!(
            SanSpec::parse("::1").unwrap(),
            SanSpec::Ip("::1".parse().unwrap())
        );
        assert_eq!(
            SanSpec::parse("[::1]").unwrap(),
            SanSpec::Ip("::1".parse().unwrap())
        );
        assert_eq!(
            SanSpec::parse("*.Example.com").unwrap(),
            SanSpec::Dns("*.example.com".into())
        );
        assert!(SanSpec::parse("*.com").is_err());
        assert!(SanSpec::parse("a..b").is_err());
        assert!(SanSpec::parse("bad name").is_err());
        assert!(SanSpec::parse("").is_err());
    }

    /// A certificate of `profile` valid for the first day of 1970.
    fn one_day_params(profile: Profile) -> rcgen::CertificateParams {
        params(
            profile,
            &Subject::default(),
            &[],
            OffsetDateTime::UNIX_EPOCH,
            OffsetDateTime::UNIX_EPOCH + Duration::days(1),
            false,
        )
        .unwrap()
    }

    #[test]
    fn name_constraints_are_parsed_strictly_and_written_critical() {
        assert_eq!(parse_dns_constraint("Example.COM.").unwrap(), "example.com");
        assert_eq!(
            parse_dns_constraint(".example.com").unwrap(),
            ".example.com"
        );
        for bad in ["*.example.com", "10.0.0.1", "", "a..b", "bad name"] {
            assert!(parse_dns_constraint(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_email_constraint("Ops@Example.com").unwrap(),
            "ops@example.com"
        );
        assert!(parse_email_constraint(".example.com").is_ok());
        for bad in [
            "@example.com",
            "a b@example.com",
            "ops@",
            "ops@*.example.com",
        ] {
            assert!(parse_email_constraint(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_cidr("10.0.0.0/8").unwrap(),
            ("10.0.0.0".parse().unwrap(), 8)
        );
        assert_eq!(
            parse_cidr("fd00::/8").unwrap(),
            ("fd00::".parse().unwrap(), 8)
        );
        assert!(parse_cidr("0.0.0.0/0").is_ok());
        for bad in ["10.0.0.1/8", "10.0.0.0/33", "10.0.0.0", "x/8", "::/129"] {
            assert!(parse_cidr(bad).is_err(), "{bad}");
        }
        let spec = NameConstraintSpec {
            permit_dns: vec!["example.com".into()],
            exclude_ip: vec![("10.9.0.0".parse().unwrap(), 16)],
            ..Default::default()
        };
        let mut p = one_day_params(Profile::Intermediate { pathlen: 0 });
        spec.apply(&mut p);
        let key = rcgen::KeyPair::generate().unwrap();
        let der = p.self_signed(&key).unwrap().der().to_vec();
        use x509_parser::prelude::FromDer;
        let (_, cert) = x509_parser::certificate::X509Certificate::from_der(&der).unwrap();
        let nc = cert
            .extensions()
            .iter()
            .find(|e| e.oid == x509_parser::oid_registry::OID_X509_EXT_NAME_CONSTRAINTS)
            .unwrap();
        assert!(nc.critical);
        let mut none = one_day_params(Profile::Root);
        NameConstraintSpec::default().apply(&mut none);
        assert!(none.name_constraints.is_none());
    }

    #[test]
    fn serial_is_positive_and_16_octets() {
        for _ in 0..32 {
            let s = random_serial().unwrap().to_bytes();
            assert_eq!(s.len(), 16);
            assert!(s[0] & 0x80 == 0 && s[0] != 0);
        }
    }

    #[test]
    fn validity_is_clamped_to_issuer() {
        let now = OffsetDateTime::UNIX_EPOCH + Duration::days(1000);
        let limit = now + Duration::days(10);
        let (_, na, clamped) = validity(now, 397, Some(limit)).unwrap();
        assert!(clamped);
        assert_eq!(na, limit);
        let (nb, na, clamped) = validity(now, 5, Some(limit)).unwrap();
        assert!(!clamped && na < limit && nb < now);
    }

    #[test]
    fn validity_window_starts_and_ends_where_asked() {
        use ::time::macros::datetime;
        let now = datetime!(2026-11-22 13:05:00.5 UTC);
        let start = datetime!(2030-01-01 0:00 UTC);
        let limit = datetime!(2031-01-01 0:00 UTC);
        // From an explicit start: no backdating, the length counts from it.
        assert_eq!(
            validity_window(
                now,
                Some(start),
                Length::For(Duration::hours(12)),
                Some(limit)
            ),
            Ok((start, datetime!(2030-01-01 12:00 UTC), false))
        );
        assert_eq!(
            validity_window(now, Some(start), Length::Days(397), Some(limit)),
            Ok((start, limit, true))
        );
        // From now: backdated five minutes, nanoseconds dropped.
        let (nb, na, clamped) = validity_window(now, None, Length::Days(1), None).unwrap();
        assert_eq!(nb, datetime!(2026-11-22 13:00:00 UTC));
        assert_eq!(na, datetime!(2026-11-23 13:05:00 UTC));
        assert!(!clamped);
        // An explicit end before the start is refused, not swapped.
        assert!(matches!(
            validity_window(now, Some(start), Length::Until(start), None),
            Err(ValidityError::Empty { .. })
        ));
        // A CA that ended before the start leaves nothing.
        assert!(matches!(
            validity_window(now, Some(limit), Length::Days(1), Some(start)),
            Err(ValidityError::Empty { .. })
        ));
        assert_eq!(
            validity_window(now, None, Length::For(Duration::days(3_000_000)), None),
            Err(ValidityError::PastLastDate(PastLastDate))
        );
    }

    #[test]
    fn validity_past_9999_is_clamped_to_the_issuer_or_refused() {
        let now = ::time::macros::datetime!(2026-11-22 13:05:00 UTC);
        // 9999-12-31 is 2,912,117 days after 2026-11-22 (Python's
        // `date(9999, 12, 31) - date(2026, 11, 22)`).
        let (_, na, clamped) = validity(now, 2_912_117, None).unwrap();
        assert!(!clamped && na == ::time::macros::datetime!(9999-12-31 13:05:00 UTC));
        for days in [2_912_118, 2_932_897, u32::MAX] {
            assert_eq!(validity(now, days, None), Err(PastLastDate), "{days}");
            let limit = now + Duration::days(3650);
            assert_eq!(validity(now, days, Some(limit)).unwrap().1, limit);
        }
        // notBefore is backdated without underflow at the first instant.
        let first = ::time::macros::datetime!(-9999-01-01 0:00 UTC);
        assert_eq!(validity(first, 1, None).unwrap().0, first);
    }
}
