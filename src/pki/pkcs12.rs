//! PKCS#12 (PFX) reading and writing through the `p12-keystore` crate.
use zeroize::Zeroizing;

use super::model::Cert;

/// What a PKCS#12 file holds once decrypted.
pub struct Pkcs12Contents {
    /// Certificate DER, in bag order.
    pub certs: Vec<Vec<u8>>,
    /// PKCS#8 DER of each private key.
    pub keys: Vec<Zeroizing<Vec<u8>>>,
}

#[derive(Debug, thiserror::Error)]
pub enum Pkcs12Error {
    #[error("wrong password, or the MAC does not verify")]
    WrongPassword,
    #[error("not a readable PKCS#12 file: {0}")]
    Malformed(String),
    #[error(
        "refusing to open: {what} of {count} iterations is over the limit of {limit} (a hostile file can make opening it take minutes)"
    )]
    TooManyIterations {
        what: &'static str,
        count: u64,
        limit: u64,
    },
    #[error("the private key does not match the certificate {0}")]
    KeyMismatch(String),
    #[error("a PKCS#12 file needs at least one certificate")]
    NoCertificate,
    #[error("cannot write PKCS#12: {0}")]
    Write(String),
    #[error("the PKCS#12 file just written does not read back correctly: {0}")]
    ReadBack(String),
}

/// Largest MAC iteration count we accept when reading (the limit .NET applies).
pub const MAX_MAC_ITERATIONS: u64 = 300_000;
/// Largest sum of all iteration counts (MAC and every encrypted bag) we accept
/// when reading, so that a crafted file cannot make opening it take minutes.
pub const MAX_TOTAL_ITERATIONS: u64 = 1_000_000;

/// Decrypt and read a PKCS#12 file. Iteration counts are checked against
/// [`MAX_MAC_ITERATIONS`] and [`MAX_TOTAL_ITERATIONS`] before any key derivation.
pub fn read(data: &[u8], password: &str) -> Result<Pkcs12Contents, Pkcs12Error> {
    use p12_keystore::error::Error as E;
    check_iterations(data)?;
    let archive =
        p12_keystore::Pkcs12Archive::from_pkcs12(data, password).map_err(|e| match e {
            E::MacError(_) => Pkcs12Error::WrongPassword,
            E::UnpadError => Pkcs12Error::WrongPassword,
            other => Pkcs12Error::Malformed(other.to_string()),
        })?;
    Ok(Pkcs12Contents {
        certs: archive
            .certs
            .iter()
            .map(|b| b.cert.as_der().to_vec())
            .collect(),
        keys: archive
            .keys
            .iter()
            .map(|b| Zeroizing::new(b.key.as_der().to_vec()))
            .collect(),
    })
}

/// Refuse files whose iteration counts (read from the DER without the
/// password) are over the limits. Files we cannot walk (BER) are left to the
/// crate, which applies its own per-count cap of 1,000,000.
fn check_iterations(data: &[u8]) -> Result<(), Pkcs12Error> {
    match scan(data) {
        Some(found) => within_limits(&found),
        None => Ok(()),
    }
}

fn within_limits(scan: &Scan) -> Result<(), Pkcs12Error> {
    if scan.mac_iterations > MAX_MAC_ITERATIONS {
        return Err(Pkcs12Error::TooManyIterations {
            what: "a MAC",
            count: scan.mac_iterations,
            limit: MAX_MAC_ITERATIONS,
        });
    }
    let total = scan
        .iterations
        .iter()
        .fold(scan.mac_iterations, |acc, n| acc.saturating_add(*n));
    if total > MAX_TOTAL_ITERATIONS {
        return Err(Pkcs12Error::TooManyIterations {
            what: "a total",
            count: total,
            limit: MAX_TOTAL_ITERATIONS,
        });
    }
    Ok(())
}

/// PKCS#12 encryption profiles (see DESIGN.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// PBE-SHA1-3DES key and certificate bags, HMAC-SHA1 MAC, 2048 iterations.
    Compat,
    /// PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC) bags, HMAC-SHA256 MAC.
    Modern,
}

impl Profile {
    pub fn name(self) -> &'static str {
        match self {
            Profile::Compat => "compat",
            Profile::Modern => "modern",
        }
    }

    /// The bag encryption name `encryption_algorithms` reports for this profile.
    fn algorithm_name(self) -> &'static str {
        match self {
            Profile::Compat => "pbeWithSHAAnd3-KeyTripleDES-CBC",
            Profile::Modern => "PBES2/AES-256-CBC",
        }
    }
}

/// Iterations of the `compat` profile (bags and MAC), as Windows and OpenSSL use.
pub const COMPAT_ITERATIONS: u32 = 2048;
/// Iterations of the `modern` profile (PBKDF2 and MAC), as Java's default.
pub const MODERN_ITERATIONS: u32 = 10_000;

/// What goes into a PFX: the leaf first, then its issuers.
pub struct PfxSpec<'a> {
    /// The leaf's private key; None writes a certificate-only PFX.
    pub key: Option<&'a rcgen::KeyPair>,
    /// Leaf first, then issuers.
    pub certs: &'a [Cert],
    /// Friendly name of the key (and of a certificate-only PFX's first certificate).
    pub name: Option<&'a str>,
    pub profile: Profile,
}

/// Write a PFX with `p12-keystore`, then read it back and check it: the same
/// certificates, the key present and matching the leaf, and only the
/// profile's encryption algorithm.
///
/// With a key, the certificates form the key's chain: the key bag carries
/// `name` as its friendlyName and the certificate bags carry their subject DN
/// (the crate names chain bags itself). Without a key, each certificate is a
/// trusted-certificate entry (Java's attribute) named `name` (the first) or
/// its common name; `p12-keystore` stores entries ordered by that name.
pub fn write(spec: &PfxSpec<'_>, password: &str) -> Result<Vec<u8>, Pkcs12Error> {
    use p12_keystore::{
        Certificate, EncryptionAlgorithm, KeyStore, KeyStoreEntry, MacAlgorithm, PrivateKey,
        PrivateKeyChain,
    };
    let leaf = spec.certs.first().ok_or(Pkcs12Error::NoCertificate)?;
    let werr = |e: p12_keystore::error::Error| Pkcs12Error::Write(e.to_string());
    let mut store = KeyStore::new();
    let key_der = spec.key.map(super::keys::pkcs8_der);
    match (spec.key, &key_der) {
        (Some(key), Some(der)) => {
            if !super::keys::matches(leaf, key) {
                return Err(Pkcs12Error::KeyMismatch(leaf.display_name()));
            }
            let certs = spec
                .certs
                .iter()
                .map(|c| Certificate::from_der(&c.der))
                .collect::<Result<Vec<_>, _>>()
                .map_err(werr)?;
            let key = PrivateKey::from_der(der).map_err(werr)?;
            let alias = spec
                .name
                .map(str::to_owned)
                .unwrap_or_else(|| leaf.display_name());
            let chain = PrivateKeyChain::new(leaf.sha1.to_vec(), key, certs);
            store.add_entry(&alias, KeyStoreEntry::PrivateKeyChain(chain));
        }
        _ => {
            for (i, c) in spec.certs.iter().enumerate() {
                let base = match (i, spec.name) {
                    (0, Some(n)) => n.to_owned(),
                    _ => c.display_name(),
                };
                let mut alias = base.clone();
                let mut n = 2;
                while store.entry(&alias).is_some() {
                    alias = format!("{base} ({n})");
                    n += 1;
                }
                let cert = Certificate::from_der(&c.der).map_err(werr)?;
                store.add_entry(&alias, KeyStoreEntry::Certificate(cert));
            }
        }
    }
    let (alg, iterations, mac) = match spec.profile {
        Profile::Compat => (
            EncryptionAlgorithm::PbeWithShaAnd3KeyTripleDesCbc,
            COMPAT_ITERATIONS,
            MacAlgorithm::HmacSha1,
        ),
        Profile::Modern => (
            EncryptionAlgorithm::PbeWithHmacSha256AndAes256,
            MODERN_ITERATIONS,
            MacAlgorithm::HmacSha256,
        ),
    };
    let pfx = store
        .writer(password)
        .encryption_algorithm(alg)
        .encryption_iterations(iterations)
        .mac_algorithm(mac)
        .mac_iterations(iterations)
        .write()
        .map_err(werr)?;
    check_written(spec, &pfx, password)?;
    Ok(pfx)
}

/// Read a freshly written PFX back and compare it with what was asked for.
fn check_written(spec: &PfxSpec<'_>, pfx: &[u8], password: &str) -> Result<(), Pkcs12Error> {
    let back = read(pfx, password).map_err(|e| Pkcs12Error::ReadBack(e.to_string()))?;
    let mut want: Vec<&[u8]> = spec.certs.iter().map(|c| c.der.as_slice()).collect();
    let mut got: Vec<&[u8]> = back.certs.iter().map(Vec::as_slice).collect();
    want.sort();
    got.sort();
    if want != got {
        return Err(Pkcs12Error::ReadBack("the certificates differ".into()));
    }
    match (spec.key, back.keys.as_slice()) {
        (None, []) => {}
        (Some(_), [key]) => {
            let der = rustls_pki_types::PrivatePkcs8KeyDer::from(key.as_slice());
            let pair = rcgen::KeyPair::try_from(&rustls_pki_types::PrivateKeyDer::Pkcs8(der))
                .map_err(|e| Pkcs12Error::ReadBack(format!("the key does not parse: {e}")))?;
            let leaf = spec.certs.first().ok_or(Pkcs12Error::NoCertificate)?;
            if !super::keys::matches(leaf, &pair) {
                return Err(Pkcs12Error::ReadBack(
                    "the key does not match the leaf".into(),
                ));
            }
        }
        (_, keys) => {
            return Err(Pkcs12Error::ReadBack(format!(
                "{} key(s) instead of the one expected",
                keys.len()
            )));
        }
    }
    let algs = encryption_algorithms(pfx);
    if algs.iter().any(|a| a != spec.profile.algorithm_name()) {
        return Err(Pkcs12Error::ReadBack(format!(
            "encrypted with {} instead of the {} profile's {}",
            algs.join(", "),
            spec.profile.name(),
            spec.profile.algorithm_name()
        )));
    }
    Ok(())
}

/// Names of the encryption algorithms a PFX uses (key bags and encrypted
/// certificate bags), read without the password. Unknown ones appear as OIDs.
pub fn encryption_algorithms(pfx: &[u8]) -> Vec<String> {
    let mut out = scan(pfx).map(|s| s.algorithms).unwrap_or_default();
    out.sort();
    out.dedup();
    out
}

const OID_ENCRYPTED_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x06];
const OID_SHROUDED_KEY_BAG: &[u8] = &[
    0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x0a, 0x01, 0x02,
];
const OID_PBES2: &str = "1.2.840.113549.1.5.13";
const OID_PBKDF2: &str = "1.2.840.113549.1.5.12";

/// What can be read from a PFX without its password.
#[derive(Debug, Default)]
struct Scan {
    algorithms: Vec<String>,
    /// Iteration count of each visible encryption (key bags, encrypted safes).
    iterations: Vec<u64>,
    /// MAC iterations (1 when absent, the ASN.1 default; 0 without a MAC).
    mac_iterations: u64,
}

/// The OCTET STRING content of a `[0] EXPLICIT` data ContentInfo value.
fn explicit_octets(value: &[u8]) -> Option<&[u8]> {
    let (inner, _) = super::der::read(value)?;
    (inner.tag == 0x04).then_some(inner.value)
}

/// An unsigned INTEGER's value, saturating at u64::MAX.
fn integer(tlv: &super::der::Tlv<'_>) -> Option<u64> {
    if tlv.tag != super::der::INTEGER {
        return None;
    }
    let digits = tlv
        .value
        .iter()
        .skip_while(|b| **b == 0)
        .collect::<Vec<_>>();
    if digits.len() > 8 {
        return Some(u64::MAX);
    }
    Some(
        digits
            .iter()
            .fold(0u64, |acc, b| (acc << 8) | u64::from(**b)),
    )
}

fn scan(pfx: &[u8]) -> Option<Scan> {
    use super::der::{children, read};
    let mut out = Scan::default();
    let (pfx, _) = read(pfx)?;
    let fields = children(pfx.value)?;
    if let Some(mac_data) = fields.get(2) {
        // MacData ::= SEQUENCE { mac DigestInfo, macSalt OCTET STRING, iterations INTEGER DEFAULT 1 }
        let parts = children(mac_data.value)?;
        out.mac_iterations = match parts.get(2) {
            Some(n) => integer(n)?,
            None => 1,
        };
    }
    let auth_safe = children(fields.get(1)?.value)?;
    let auth_safe_der = explicit_octets(auth_safe.get(1)?.value)?;
    let (seq, _) = read(auth_safe_der)?;
    for ci in children(seq.value)? {
        let parts = children(ci.value)?;
        let oid = parts.first()?;
        let content = parts.get(1)?;
        if oid.value == super::der::OID_DATA {
            let safe_contents = explicit_octets(content.value)?;
            let (bags, _) = read(safe_contents)?;
            for bag in children(bags.value)? {
                let bag_parts = children(bag.value)?;
                if bag_parts.first()?.value == OID_SHROUDED_KEY_BAG {
                    let (epki, _) = read(bag_parts.get(1)?.value)?;
                    let (alg, _) = read(epki.value)?;
                    note_algorithm(alg.value, &mut out)?;
                }
            }
        } else if oid.value == OID_ENCRYPTED_DATA {
            let (ed, _) = read(content.value)?;
            let ed_parts = children(ed.value)?;
            let eci = children(ed_parts.get(1)?.value)?;
            note_algorithm(eci.get(1)?.value, &mut out)?;
        }
    }
    Some(out)
}

/// Record an AlgorithmIdentifier's name and iteration count.
fn note_algorithm(alg: &[u8], out: &mut Scan) -> Option<()> {
    out.algorithms.push(algorithm_name(alg)?);
    if let Some(n) = algorithm_iterations(alg) {
        out.iterations.push(n);
    }
    Some(())
}

/// The iteration count of a PBES1 (PKCS#12 PBE) or PBES2/PBKDF2 algorithm.
fn algorithm_iterations(alg: &[u8]) -> Option<u64> {
    use super::der::{children, read};
    let parts = children(alg)?;
    let oid = oid_string(parts.first()?.value);
    let (params, _) = read(parts.get(1)?.raw)?;
    let p = children(params.value)?;
    if oid == OID_PBES2 {
        // PBES2-params: SEQUENCE { keyDerivationFunc, encryptionScheme }
        let kdf = children(p.first()?.value)?;
        if oid_string(kdf.first()?.value) != OID_PBKDF2 {
            return None;
        }
        // PBKDF2-params: SEQUENCE { salt, iterationCount, keyLength OPTIONAL, prf DEFAULT }
        let kp = children(kdf.get(1)?.value)?;
        return integer(kp.get(1)?);
    }
    // pkcs-12PbeParams: SEQUENCE { salt OCTET STRING, iterations INTEGER }
    integer(p.get(1)?)
}

/// A readable name for an AlgorithmIdentifier's content (OID + params).
fn algorithm_name(alg: &[u8]) -> Option<String> {
    use super::der::{children, read};
    let parts = children(alg)?;
    let oid = oid_string(parts.first()?.value);
    if oid == OID_PBES2 {
        // PBES2-params: SEQUENCE { keyDerivationFunc, encryptionScheme }
        let (params, _) = read(parts.get(1)?.raw)?;
        let p = children(params.value)?;
        let enc = children(p.get(1)?.value)?;
        let cipher = oid_string(enc.first()?.value);
        return Some(format!("PBES2/{}", friendly(&cipher)));
    }
    Some(friendly(&oid).to_owned())
}

fn oid_string(der: &[u8]) -> String {
    x509_parser::der_parser::oid::Oid::new(std::borrow::Cow::Borrowed(der)).to_id_string()
}

fn friendly(oid: &str) -> &str {
    match oid {
        "1.2.840.113549.1.12.1.6" => "pbeWithSHAAnd40BitRC2-CBC",
        "1.2.840.113549.1.12.1.5" => "pbeWithSHAAnd128BitRC2-CBC",
        "1.2.840.113549.1.12.1.3" => "pbeWithSHAAnd3-KeyTripleDES-CBC",
        "1.2.840.113549.1.12.1.1" => "pbeWithSHAAnd128BitRC4",
        "2.16.840.1.101.3.4.1.42" => "AES-256-CBC",
        "2.16.840.1.101.3.4.1.22" => "AES-192-CBC",
        "2.16.840.1.101.3.4.1.2" => "AES-128-CBC",
        "1.2.840.113549.3.7" => "DES-EDE3-CBC",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::load::{Container, Source};

    fn cert_and_key(cn: &str) -> (Cert, rcgen::KeyPair) {
        let key = crate::pki::keys::generate(crate::pki::keys::KeyType::EcP256).unwrap();
        let mut params = rcgen::CertificateParams::new(vec![format!("{cn}.example")]).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, cn);
        let der = params.self_signed(&key).unwrap().der().to_vec();
        let name: std::sync::Arc<str> = std::sync::Arc::from("t");
        let cert = Cert::parse(&der, Source::new(&name, 0, None, Container::Der)).unwrap();
        (cert, key)
    }

    #[test]
    fn both_profiles_round_trip_with_their_algorithms_and_counts() {
        let (cert, key) = cert_and_key("leaf");
        for (profile, alg, n) in [
            (
                Profile::Compat,
                "pbeWithSHAAnd3-KeyTripleDES-CBC",
                COMPAT_ITERATIONS,
            ),
            (Profile::Modern, "PBES2/AES-256-CBC", MODERN_ITERATIONS),
        ] {
            let spec = PfxSpec {
                key: Some(&key),
                certs: std::slice::from_ref(&cert),
                name: Some("n"),
                profile,
            };
            let pfx = write(&spec, "pw").unwrap();
            assert_eq!(encryption_algorithms(&pfx), [alg]);
            let found = scan(&pfx).unwrap();
            assert_eq!(found.mac_iterations, u64::from(n));
            assert_eq!(found.iterations, [u64::from(n), u64::from(n)]);
            let back = read(&pfx, "pw").unwrap();
            assert_eq!(back.certs, std::slice::from_ref(&cert.der));
            assert_eq!(back.keys.len(), 1);
            assert!(matches!(
                read(&pfx, "wrong"),
                Err(Pkcs12Error::WrongPassword)
            ));
        }
    }

    #[test]
    fn a_mismatched_key_and_an_empty_chain_are_refused() {
        let (cert, _) = cert_and_key("leaf");
        let (_, other) = cert_and_key("other");
        let spec = PfxSpec {
            key: Some(&other),
            certs: std::slice::from_ref(&cert),
            name: None,
            profile: Profile::Compat,
        };
        assert!(matches!(
            write(&spec, "pw"),
            Err(Pkcs12Error::KeyMismatch(_))
        ));
        let spec = PfxSpec {
            key: None,
            certs: &[],
            name: None,
            profile: Profile::Compat,
        };
        assert!(matches!(
            write(&spec, "pw"),
            Err(Pkcs12Error::NoCertificate)
        ));
    }

    #[test]
    fn certificate_only_pfx_has_no_key() {
        let (a, _) = cert_and_key("a");
        let (b, _) = cert_and_key("b");
        let certs = [a.clone(), b.clone()];
        let spec = PfxSpec {
            key: None,
            certs: &certs,
            name: Some("a"),
            profile: Profile::Modern,
        };
        let back = read(&write(&spec, "").unwrap(), "").unwrap();
        assert!(back.keys.is_empty());
        let mut got = back.certs;
        got.sort();
        let mut want = vec![a.der, b.der];
        want.sort();
        assert_eq!(got, want);
    }

    #[test]
    fn iteration_limits() {
        let ok = Scan {
            algorithms: vec![],
            iterations: vec![600_000],
            mac_iterations: 300_000,
        };
        assert!(within_limits(&ok).is_ok());
        let mac = Scan {
            mac_iterations: 300_001,
            ..Scan::default()
        };
        assert!(matches!(
            within_limits(&mac),
            Err(Pkcs12Error::TooManyIterations { what: "a MAC", .. })
        ));
        let total = Scan {
            algorithms: vec![],
            iterations: vec![500_000, 500_000],
            mac_iterations: 1,
        };
        assert!(matches!(
            within_limits(&total),
            Err(Pkcs12Error::TooManyIterations {
                what: "a total",
                ..
            })
        ));
        let huge = Scan {
            algorithms: vec![],
            iterations: vec![u64::MAX, u64::MAX],
            mac_iterations: 1,
        };
        assert!(within_limits(&huge).is_err());
    }

    #[test]
    fn hostile_bytes_do_not_panic() {
        for input in [
            &[][..],
            &[0x30, 0x03, 0x02, 0x01, 0x03],
            &[0x30, 0x84, 0xff, 0xff, 0xff, 0xff],
            &[0xff; 40],
        ] {
            let _ = encryption_algorithms(input);
            assert!(read(input, "").is_err());
        }
    }
}
