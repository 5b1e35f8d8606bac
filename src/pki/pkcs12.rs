//! PKCS#12 (PFX) reading and writing through the `p12-keystore` crate.
use zeroize::Zeroizing;

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
}

/// Decrypt and read a PKCS#12 file.
pub fn read(data: &[u8], password: &str) -> Result<Pkcs12Contents, Pkcs12Error> {
    use p12_keystore::error::Error as E;
    let archive = p12_keystore::Pkcs12Archive::from_pkcs12(data, password).map_err(|e| match e {
        E::MacError(_) => Pkcs12Error::WrongPassword,
        E::UnpadError => Pkcs12Error::WrongPassword,
        other => Pkcs12Error::Malformed(other.to_string()),
    })?;
    Ok(Pkcs12Contents {
        certs: archive.certs.iter().map(|b| b.cert.as_der().to_vec()).collect(),
        keys: archive
            .keys
            .iter()
            .map(|b| Zeroizing::new(b.key.as_der().to_vec()))
            .collect(),
    })
}

/// Names of the encryption algorithms a PFX uses (key bags and encrypted
/// certificate bags), read without the password. Unknown ones appear as OIDs.
pub fn encryption_algorithms(pfx: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let _ = collect_algorithms(pfx, &mut out);
    out.sort();
    out.dedup();
    out
}

const OID_ENCRYPTED_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x06];
const OID_SHROUDED_KEY_BAG: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x0a, 0x01, 0x02];
const OID_PBES2: &str = "1.2.840.113549.1.5.13";

/// The OCTET STRING content of a `[0] EXPLICIT` data ContentInfo value.
fn explicit_octets(value: &[u8]) -> Option<&[u8]> {
    let (inner, _) = super::der::read(value)?;
    (inner.tag == 0x04).then_some(inner.value)
}

fn collect_algorithms(pfx: &[u8], out: &mut Vec<String>) -> Option<()> {
    use super::der::{children, read};
    let (pfx, _) = read(pfx)?;
    let fields = children(pfx.value)?;
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
                    out.push(algorithm_name(alg.value)?);
                }
            }
        } else if oid.value == OID_ENCRYPTED_DATA {
            let (ed, _) = read(content.value)?;
            let ed_parts = children(ed.value)?;
            let eci = children(ed_parts.get(1)?.value)?;
            out.push(algorithm_name(eci.get(1)?.value)?);
        }
    }
    Some(())
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
