//! CA rollover: a new intermediate under the same root, or a new root with
//! cross certificates, and the leaf re-issued under the new CA. Built on
//! rcgen and the parameters of [`super::issue`]; every certificate made
//! here is parsed back and its signature checked before it is returned.
//!
//! Cross certificates are named as in RFC 4210 §4.4 (root CA key update):
//! **NewWithOld** holds the new root's subject and public key, signed by the
//! old root's key; a client that trusts only the old root validates new
//! leaves through it. **OldWithNew** holds the old root's subject and public
//! key, signed by the new root's key; a client that trusts only the new root
//! validates leaves still issued under the old root through it.
use ::time::OffsetDateTime;
use rcgen::{CertificateParams, DistinguishedName, DnType, Issuer, KeyIdMethod, KeyPair};
use rustls_pki_types::CertificateDer;

use super::issue::{self, Profile, SanSpec};
use super::keys::{self, KeyType};
use super::load::{Container, Source};
use super::model::{Cert, San};
use super::verify::{self, SigCheck};

/// Why a rollover certificate could not be made. `what` names the
/// certificate ("the new root", "the NewWithOld cross certificate").
#[derive(Debug, thiserror::Error)]
pub enum RolloverError {
    #[error("{what}: {why}")]
    Params { what: &'static str, why: String },
    #[error("{what}: generating a {key} key: {cause}")]
    Key {
        what: &'static str,
        key: String,
        cause: rcgen::Error,
    },
    #[error("{what}: signing failed: {cause}")]
    Sign {
        what: &'static str,
        cause: rcgen::Error,
    },
    #[error("{what}: the certificate made does not verify with its issuer's key")]
    SelfCheck { what: &'static str },
    #[error(
        "{what}: the {field} name could not be written byte for byte as the CA's (repeated or multi-valued attributes, or string types rcgen re-encodes); clients that compare names as bytes would not link it"
    )]
    NameChanged {
        what: &'static str,
        field: &'static str,
    },
    #[error(
        "{what}: the two roots are never valid at the same time, so a cross certificate would be valid for no time"
    )]
    NoOverlap { what: &'static str },
}

/// What a rotated intermediate keeps of the one it replaces: its
/// pathLenConstraint (none stays none), its nameConstraints extension
/// (critical) and its extendedKeyUsage extension (with its criticality),
/// each copied as it was, so a rollover neither widens what the CA's key
/// may sign nor changes what clients that check EKU on CAs accept.
#[derive(Debug, Clone, Default)]
pub struct Carried {
    pub pathlen: Option<u8>,
    pub name_constraints: Option<Vec<u8>>,
    /// The extendedKeyUsage extension's value and whether it was critical.
    pub ext_key_usage: Option<(Vec<u8>, bool)>,
}

impl Carried {
    pub fn from_cert(old: &Cert) -> Result<Carried, RolloverError> {
        let pathlen = old
            .basic_constraints
            .and_then(|b| b.path_len)
            .map(|l| u8::try_from(l).unwrap_or(u8::MAX));
        if !old.has_name_constraints && old.ext_key_usage.is_none() {
            return Ok(Carried {
                pathlen,
                ..Carried::default()
            });
        }
        let what = "the current intermediate";
        let (_, x) =
            x509_parser::parse_x509_certificate(&old.der).map_err(|e| RolloverError::Params {
                what,
                why: e.to_string(),
            })?;
        let extension = |oid: &str| {
            x.extensions()
                .iter()
                .find(|e| e.oid.to_id_string() == oid)
                .map(|e| (e.value.to_vec(), e.critical))
        };
        Ok(Carried {
            pathlen,
            name_constraints: extension("2.5.29.30").map(|(value, _)| value),
            ext_key_usage: extension("2.5.29.37"),
        })
    }
}

/// One certificate made here: its DER, PEM and parsed model.
pub struct Made {
    pub pem: String,
    pub cert: Cert,
}

/// A new CA: its certificate, the parameters it was signed from (to issue
/// below it) and its key.
pub struct NewCa {
    pub made: Made,
    pub params: CertificateParams,
    pub key: keys::Key,
}

/// The old CA that signs: its certificate and key.
pub struct OldCa<'a> {
    pub cert: &'a Cert,
    pub key: &'a KeyPair,
}

/// Validity of one new certificate: (notBefore, notAfter, clamped?).
pub type Period = (OffsetDateTime, OffsetDateTime, bool);

/// The common name of the next generation of a CA: `NAME G2` for `NAME`,
/// `NAME G3` for `NAME G2`.
pub fn next_generation_cn(cn: &str) -> String {
    if let Some((head, tail)) = cn.rsplit_once(" G")
        && let Ok(n) = tail.parse::<u32>()
        && tail.chars().all(|c| c.is_ascii_digit())
    {
        return format!("{head} G{}", n.saturating_add(1));
    }
    format!("{cn} G2")
}

/// The old certificate's subject with its CN replaced by `cn` (attribute
/// order and string types kept).
pub fn renamed_subject(
    old: &Cert,
    cn: &str,
    what: &'static str,
) -> Result<DistinguishedName, RolloverError> {
    let mut dn =
        issue::dn_from_der(&old.subject_raw).map_err(|why| RolloverError::Params { what, why })?;
    dn.remove(DnType::CommonName);
    dn.push(DnType::CommonName, cn);
    Ok(dn)
}

fn new_key(kt: KeyType, what: &'static str) -> Result<keys::Key, RolloverError> {
    keys::generate(kt).map_err(|cause| RolloverError::Key {
        what,
        key: kt.name(),
        cause,
    })
}

fn ca_params(
    profile: Profile,
    dn: DistinguishedName,
    period: Period,
    rsa: bool,
    what: &'static str,
) -> Result<CertificateParams, RolloverError> {
    let mut p = issue::params(
        profile,
        &issue::Subject::default(),
        &[],
        period.0,
        period.1,
        rsa,
    )
    .map_err(|why| RolloverError::Params { what, why })?;
    p.distinguished_name = dn;
    Ok(p)
}

/// Parse what rcgen made and check its signature with the issuer's model.
fn checked(
    cert: rcgen::Certificate,
    issuer: Option<&Cert>,
    what: &'static str,
) -> Result<Made, RolloverError> {
    let name: std::sync::Arc<str> = std::sync::Arc::from(what);
    let parsed = Cert::parse(cert.der(), Source::new(&name, 0, None, Container::Der))
        .map_err(|why| RolloverError::Params { what, why })?;
    let ok = match issuer {
        Some(i) => verify::check(&parsed, i) == SigCheck::Valid,
        None => verify::check(&parsed, &parsed) == SigCheck::Valid,
    };
    if !ok {
        return Err(RolloverError::SelfCheck { what });
    }
    // rcgen rebuilds names from attribute maps: the issuer field must still
    // be the signer's subject byte for byte, or Go and webpki do not link it.
    let issuer_subject = issuer.map_or(&parsed.subject_raw, |i| &i.subject_raw);
    if &parsed.issuer_raw != issuer_subject {
        return Err(RolloverError::NameChanged {
            what,
            field: "issuer",
        });
    }
    Ok(Made {
        pem: cert.pem(),
        cert: parsed,
    })
}

fn is_rsa(kt: KeyType) -> bool {
    matches!(kt, KeyType::Rsa(_))
}

/// A new self-signed root with a new key.
pub fn new_root(
    dn: DistinguishedName,
    kt: KeyType,
    period: Period,
) -> Result<NewCa, RolloverError> {
    const WHAT: &str = "the new root";
    let key = new_key(kt, WHAT)?;
    let params = ca_params(Profile::Root, dn, period, is_rsa(kt), WHAT)?;
    let cert = params
        .self_signed(&*key)
        .map_err(|cause| RolloverError::Sign { what: WHAT, cause })?;
    let made = checked(cert, None, WHAT)?;
    Ok(NewCa { made, params, key })
}

/// A new intermediate (pathLen `pathlen`) with a new key, signed by `issuer`
/// (the parameters and key of a CA made in this run, or an existing CA).
pub fn new_intermediate(
    dn: DistinguishedName,
    kt: KeyType,
    carried: &Carried,
    period: Period,
    issuer: &Signer<'_>,
) -> Result<NewCa, RolloverError> {
    let key = new_key(kt, "the new intermediate")?;
    intermediate_with_key(dn, key, None, carried, period, issuer)
}

/// An intermediate for an existing key (`rotate intermediate --keep-key`):
/// with the old certificate's subjectKeyIdentifier `ski`, leaves issued
/// under the old certificate chain to this one too when the name is kept.
pub fn intermediate_with_key(
    dn: DistinguishedName,
    key: keys::Key,
    ski: Option<Vec<u8>>,
    carried: &Carried,
    period: Period,
    issuer: &Signer<'_>,
) -> Result<NewCa, RolloverError> {
    const WHAT: &str = "the new intermediate";
    let rsa = key.algorithm() == &rcgen::PKCS_RSA_SHA256;
    let pathlen = carried.pathlen.unwrap_or(0);
    let mut params = ca_params(Profile::Intermediate { pathlen }, dn, period, rsa, WHAT)?;
    if carried.pathlen.is_none() {
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    }
    if let Some(nc) = &carried.name_constraints {
        let mut ext = rcgen::CustomExtension::from_oid_content(&[2, 5, 29, 30], nc.clone());
        ext.set_criticality(true);
        params.custom_extensions.push(ext);
    }
    if let Some((eku, critical)) = &carried.ext_key_usage {
        let mut ext = rcgen::CustomExtension::from_oid_content(&[2, 5, 29, 37], eku.clone());
        ext.set_criticality(*critical);
        params.custom_extensions.push(ext);
    }
    if let Some(ski) = ski {
        params.key_identifier_method = KeyIdMethod::PreSpecified(ski);
    }
    let cert = issuer.sign(&params, &key, WHAT)?;
    let made = checked(cert, Some(issuer.cert), WHAT)?;
    Ok(NewCa { made, params, key })
}

/// Who signs: an existing CA (its certificate and key) or one made in this run.
pub struct Signer<'a> {
    pub cert: &'a Cert,
    issuer: Issuer<'a, &'a KeyPair>,
}

impl<'a> Signer<'a> {
    /// An existing CA certificate and its key.
    pub fn existing(ca: &OldCa<'a>) -> Result<Self, RolloverError> {
        let der = CertificateDer::from(ca.cert.der.as_slice());
        let issuer =
            Issuer::from_ca_cert_der(&der, ca.key).map_err(|cause| RolloverError::Sign {
                what: "the current CA",
                cause,
            })?;
        Ok(Signer {
            cert: ca.cert,
            issuer,
        })
    }

    /// A CA made in this run.
    pub fn made(ca: &'a NewCa) -> Self {
        Signer {
            cert: &ca.made.cert,
            issuer: Issuer::from_params(&ca.params, &*ca.key),
        }
    }

    fn sign(
        &self,
        params: &CertificateParams,
        public: &KeyPair,
        what: &'static str,
    ) -> Result<rcgen::Certificate, RolloverError> {
        params
            .signed_by(public, &self.issuer)
            .map_err(|cause| RolloverError::Sign { what, cause })
    }
}

/// A cross certificate: `subject`'s name, key and key identifier, signed by
/// `signer`, as a CA without a path length limit, valid for `period`.
pub fn cross(
    subject: &Cert,
    subject_key: &KeyPair,
    signer: &Signer<'_>,
    period: Period,
    what: &'static str,
) -> Result<Made, RolloverError> {
    let dn = issue::dn_from_der(&subject.subject_raw)
        .map_err(|why| RolloverError::Params { what, why })?;
    let rsa = subject_key.algorithm() == &rcgen::PKCS_RSA_SHA256;
    let mut params = ca_params(Profile::Root, dn, period, rsa, what)?;
    if let Some(ski) = &subject.ski {
        // The same subjectKeyIdentifier as the self-signed form, so clients
        // that match AKI to SKI take either as the issuer.
        params.key_identifier_method = KeyIdMethod::PreSpecified(ski.clone());
    }
    if period.1 <= period.0 {
        return Err(RolloverError::NoOverlap { what });
    }
    let cert = signer.sign(&params, subject_key, what)?;
    let made = checked(cert, Some(signer.cert), what)?;
    // A cross certificate stands in for `subject` only with its exact name.
    if made.cert.subject_raw != subject.subject_raw {
        return Err(RolloverError::NameChanged {
            what,
            field: "subject",
        });
    }
    Ok(made)
}

/// The leaf re-issued under `signer`: the old leaf's subject, its DNS and IP
/// SANs, a new key of type `kt`. Returns the certificate, its key, and the
/// SANs that were not copied (only DNS and IP SANs are).
pub fn reissue_leaf(
    old: &Cert,
    kt: KeyType,
    period: Period,
    signer: &Signer<'_>,
) -> Result<(Made, keys::Key, Vec<String>), RolloverError> {
    const WHAT: &str = "the re-issued server certificate";
    let mut sans = Vec::new();
    let mut dropped = Vec::new();
    for s in &old.sans {
        match s {
            San::Dns(d) => sans.push(SanSpec::Dns(d.clone())),
            San::Ip(ip) => sans.push(SanSpec::Ip(*ip)),
            other => dropped.push(other.to_string()),
        }
    }
    let client_only = old
        .ext_key_usage
        .as_ref()
        .is_some_and(|e| e.client_auth && !e.server_auth);
    let profile = if client_only {
        Profile::Client
    } else {
        Profile::Server
    };
    let key = new_key(kt, WHAT)?;
    let mut params = issue::params(
        profile,
        &issue::Subject::default(),
        &sans,
        period.0,
        period.1,
        is_rsa(kt),
    )
    .map_err(|why| RolloverError::Params { what: WHAT, why })?;
    params.distinguished_name = issue::dn_from_der(&old.subject_raw)
        .map_err(|why| RolloverError::Params { what: WHAT, why })?;
    let cert = signer.sign(&params, &key, WHAT)?;
    let made = checked(cert, Some(signer.cert), WHAT)?;
    Ok((made, key, dropped))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::time::Duration;

    fn period(days: i64) -> Period {
        let now = OffsetDateTime::now_utc();
        (
            now - Duration::minutes(5),
            now + Duration::days(days),
            false,
        )
    }

    fn root(cn: &str) -> NewCa {
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, cn);
        new_root(dn, KeyType::EcP256, period(3650)).unwrap()
    }

    #[test]
    fn generations_count_up() {
        assert_eq!(next_generation_cn("Example Root CA"), "Example Root CA G2");
        assert_eq!(
            next_generation_cn("Example Root CA G2"),
            "Example Root CA G3"
        );
        assert_eq!(next_generation_cn("Root G9"), "Root G10");
        assert_eq!(next_generation_cn("Root G"), "Root G G2");
        assert_eq!(next_generation_cn("Root G2x"), "Root G2x G2");
    }

    #[test]
    fn new_with_old_carries_the_new_roots_name_and_key_under_the_old_root() {
        let old = root("Old Root");
        let new = root("New Root");
        let signer = Signer::made(&old);
        let c = cross(&new.made.cert, &new.key, &signer, period(100), "NewWithOld").unwrap();
        assert_eq!(c.cert.subject_raw, new.made.cert.subject_raw);
        assert_eq!(c.cert.issuer_raw, old.made.cert.subject_raw);
        assert_eq!(c.cert.public_key, new.made.cert.public_key);
        assert_eq!(c.cert.ski, new.made.cert.ski);
        assert_eq!(c.cert.aki, old.made.cert.ski);
        assert!(c.cert.is_ca());
        // The new root's own key does not verify it; the old root's does.
        assert_ne!(verify::check(&c.cert, &new.made.cert), SigCheck::Valid);
    }

    #[test]
    fn a_reissued_leaf_keeps_subject_and_sans_with_a_new_key() {
        let r = root("R");
        let signer = Signer::made(&r);
        let int = new_intermediate(
            renamed_subject(&r.made.cert, "I", "i").unwrap(),
            KeyType::EcP256,
            &Carried {
                pathlen: Some(0),
                ..Carried::default()
            },
            period(1000),
            &signer,
        )
        .unwrap();
        assert_eq!(
            int.made.cert.basic_constraints.and_then(|b| b.path_len),
            Some(0)
        );
        let isig = Signer::made(&int);
        let (leaf, _, dropped) = {
            let mut p = issue::params(
                Profile::Server,
                &issue::Subject {
                    cn: "www.example.com".into(),
                    ..Default::default()
                },
                &issue::parse_sans(&["www.example.com".into(), "10.0.0.1".into()]).unwrap(),
                period(10).0,
                period(10).1,
                false,
            )
            .unwrap();
            p.use_authority_key_identifier_extension = true;
            let k = keys::generate(KeyType::EcP256).unwrap();
            let old = checked(
                isig.sign(&p, &k, "old").unwrap(),
                Some(&int.made.cert),
                "old",
            )
            .unwrap();
            let (m, key, d) = reissue_leaf(&old.cert, KeyType::EcP256, period(5), &isig).unwrap();
            assert_eq!(m.cert.subject_raw, old.cert.subject_raw);
            assert_eq!(m.cert.sans, old.cert.sans);
            assert_ne!(m.cert.public_key, old.cert.public_key);
            assert!(keys::matches(&m.cert, &key));
            (m, key, d)
        };
        assert!(dropped.is_empty());
        assert_eq!(leaf.cert.issuer_raw, int.made.cert.subject_raw);
    }
}
