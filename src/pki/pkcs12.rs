//! PKCS#12 (PFX): reading with a bounded key-derivation budget, and writing
//! through the `p12-keystore` crate.
//!
//! Reading is done here rather than by `p12-keystore`, which offers no way to
//! bound the work a file asks for (a crafted file could name a derivation of
//! a million iterations in each of many bags) and derives the MAC of an
//! empty password only one way. Every derivation a file names is counted,
//! whatever the bag type, against the limits of [`crate::limits`] before it
//! runs: the MAC, every encrypted safe and every shrouded or secret bag in
//! the clear before the first derivation, and the bags inside an encrypted
//! safe as soon as it is decrypted, before any of them.
use zeroize::Zeroizing;

use super::der::{self, Tlv};
use super::model::Cert;
use crate::limits::{
    self, Kdf, LimitError, MAX_DER_ELEMENTS, MAX_PKCS12_NESTING, MAX_PKCS12_TOTAL_ITERATIONS,
    MAX_SCRYPT_WORK,
};

/// What a PKCS#12 file holds once decrypted.
pub struct Pkcs12Contents {
    /// Certificate DER, in bag order.
    pub certs: Vec<Vec<u8>>,
    /// PKCS#8 DER of each private key.
    pub keys: Vec<Zeroizing<Vec<u8>>>,
    /// The key derivations of the file, those inside encrypted safes included.
    pub kdf: KdfSummary,
}

#[derive(Debug, thiserror::Error)]
pub enum Pkcs12Error {
    #[error("wrong password, or the MAC does not verify")]
    WrongPassword,
    #[error("not a readable PKCS#12 file: {0}")]
    Malformed(String),
    #[error("refusing to open: {0}")]
    Limit(LimitError),
    #[error("the private key does not match the certificate {0}")]
    KeyMismatch(String),
    #[error("a PKCS#12 file needs at least one certificate")]
    NoCertificate,
    #[error("cannot write PKCS#12: {0}")]
    Write(String),
    #[error("the PKCS#12 file just written does not read back correctly: {0}")]
    ReadBack(String),
}

impl From<LimitError> for Pkcs12Error {
    fn from(e: LimitError) -> Self {
        Pkcs12Error::Limit(e)
    }
}

fn malformed(what: &str) -> Pkcs12Error {
    Pkcs12Error::Malformed(what.to_owned())
}

/// The key derivations of a PFX, for rule CS406 (what .NET refuses).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KdfSummary {
    /// The MAC's iterations; None without a MAC.
    pub mac_iterations: Option<u64>,
    /// Iterations of each encrypted safe and each shrouded key bag (the
    /// derivations .NET runs too), in file order.
    pub bag_iterations: Vec<u64>,
    /// Whether the bags inside encrypted safes are included (the file was
    /// opened with its password).
    pub complete: bool,
}

impl KdfSummary {
    /// Why .NET's loader (`Pkcs12LoaderLimits` defaults) would refuse the
    /// file; empty when it would open it.
    pub fn over_dotnet_limits(&self) -> Vec<String> {
        let mut why = Vec::new();
        if let Some(mac) = self
            .mac_iterations
            .filter(|n| *n > limits::DOTNET_MAC_ITERATIONS)
        {
            why.push(format!(
                "the MAC uses {mac} iterations (.NET allows {})",
                limits::DOTNET_MAC_ITERATIONS
            ));
        }
        if let Some(max) = self
            .bag_iterations
            .iter()
            .copied()
            .filter(|n| *n > limits::DOTNET_KDF_ITERATIONS)
            .max()
        {
            why.push(format!(
                "a bag's key derivation uses {max} iterations (.NET allows {} per derivation)",
                limits::DOTNET_KDF_ITERATIONS
            ));
        }
        let total = self
            .bag_iterations
            .iter()
            .fold(0u64, |acc, n| acc.saturating_add(*n));
        if total > limits::DOTNET_TOTAL_KDF_ITERATIONS {
            why.push(format!(
                "the bags' key derivations use {total} iterations in all (.NET allows {})",
                limits::DOTNET_TOTAL_KDF_ITERATIONS
            ));
        }
        why
    }
}

// ------------------------------------------------------------ structure

/// The parts of a PFX, found without the password.
struct Pfx<'a> {
    /// The DER of the AuthenticatedSafe: what the MAC covers.
    auth_safe: &'a [u8],
    mac: Option<MacData<'a>>,
    /// The content of the AuthenticatedSafe SEQUENCE: its ContentInfos,
    /// walked one at a time (see [`Pfx::safes`]).
    content_infos: &'a [u8],
}

impl<'a> Pfx<'a> {
    /// The safes, one at a time: a file of millions of them costs no memory.
    fn safes(&self) -> impl Iterator<Item = Result<Safe<'a>, Pkcs12Error>> + 'a {
        der::elements(self.content_infos).filter_map(|ci| match ci {
            Some(ci) => safe(&ci).transpose(),
            None => Some(Err(not_pfx())),
        })
    }
}

struct MacData<'a> {
    digest_oid: String,
    digest: &'a [u8],
    salt: &'a [u8],
    iterations: u64,
}

enum Safe<'a> {
    /// The DER of a SafeContents in the clear (`data`).
    Plain(&'a [u8]),
    /// `encryptedData`: the algorithm (AlgorithmIdentifier content) and the
    /// ciphertext of a SafeContents.
    Encrypted { alg: &'a [u8], data: &'a [u8] },
}

enum Bag<'a> {
    /// keyBag: PKCS#8 DER.
    Key(&'a [u8]),
    /// pkcs8ShroudedKeyBag: algorithm content and ciphertext.
    Shrouded { alg: &'a [u8], data: &'a [u8] },
    /// certBag holding an X.509 certificate.
    Cert(&'a [u8]),
    /// secretBag: never decrypted (chainsmith has no use for secrets), but
    /// the derivation it names is counted.
    Secret(Option<Kdf>),
    /// safeContentsBag: a nested SafeContents.
    Nested(&'a [u8]),
    /// crlBag and unknown bag types.
    Other,
}

const OID_PBES2: &str = "1.2.840.113549.1.5.13";
const OID_PKCS12_PBE: &str = "1.2.840.113549.1.12.1.";

/// DER content octets of the OIDs matched on every safe and bag: compared
/// as bytes, so a file of millions of bags is walked without formatting OIDs.
const P7: [u8; 8] = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07];
const BAG: [u8; 10] = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x0a, 0x01];
const X509_CERTIFICATE: [u8; 10] = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x16, 0x01];
const PBES2: [u8; 9] = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0d];
const PKCS12_PBE: [u8; 9] = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x01];

/// `prefix` followed by one final arc `last` (< 128).
fn is_oid(bytes: &[u8], prefix: &[u8], last: u8) -> bool {
    bytes.len() == prefix.len() + 1 && bytes.starts_with(prefix) && bytes[prefix.len()] == last
}

/// The content octets of an OBJECT IDENTIFIER element.
fn oid_bytes<'a>(tlv: Option<&Tlv<'a>>) -> Option<&'a [u8]> {
    tlv.filter(|t| t.tag == der::OID).map(|t| t.value)
}

fn oid_of(tlv: Option<&Tlv<'_>>) -> Option<String> {
    tlv.filter(|t| t.tag == der::OID)
        .map(|t| oid_string(t.value))
}

/// The content of a `[0] EXPLICIT` element holding an OCTET STRING.
fn explicit_octets(value: &[u8]) -> Option<&[u8]> {
    let (inner, _) = der::read(value)?;
    (inner.tag == 0x04).then_some(inner.value)
}

/// An unsigned INTEGER's value, saturating at u64::MAX. A negative one (a
/// leading bit set) is read as its magnitude bytes, which only makes it large.
fn integer(tlv: &Tlv<'_>) -> Option<u64> {
    if tlv.tag != der::INTEGER {
        return None;
    }
    let start = tlv
        .value
        .iter()
        .position(|b| *b != 0)
        .unwrap_or(tlv.value.len());
    let digits = &tlv.value[start..];
    if digits.len() > 8 {
        return Some(u64::MAX);
    }
    Some(
        digits
            .iter()
            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b)),
    )
}

fn not_pfx() -> Pkcs12Error {
    malformed("not a DER PFX structure")
}

fn parse(data: &[u8]) -> Result<Pfx<'_>, Pkcs12Error> {
    let (pfx, _) = der::read(data).ok_or_else(not_pfx)?;
    let fields = der::first::<3>(pfx.value).ok_or_else(not_pfx)?;
    match fields.first() {
        Some(v) if v.tag == der::INTEGER && v.value == [3] => {}
        _ => return Err(malformed("not a version 3 PFX")),
    }
    let auth = der::first::<2>(fields.get(1).ok_or_else(not_pfx)?.value).ok_or_else(not_pfx)?;
    match oid_bytes(auth.first()) {
        Some(o) if is_oid(o, &P7, 1) => {}
        Some(o) if is_oid(o, &P7, 2) => {
            return Err(malformed(
                "public-key integrity mode (signedData) is not supported",
            ));
        }
        _ => return Err(not_pfx()),
    }
    let auth_safe = auth
        .get(1)
        .and_then(|c| explicit_octets(c.value))
        .ok_or_else(not_pfx)?;
    let mac = match fields.get(2) {
        Some(m) => Some(parse_mac(m).ok_or_else(|| malformed("the MAC data is malformed"))?),
        None => None,
    };
    let (seq, _) = der::read(auth_safe).ok_or_else(not_pfx)?;
    if seq.tag != der::SEQUENCE {
        return Err(not_pfx());
    }
    Ok(Pfx {
        auth_safe,
        mac,
        content_infos: seq.value,
    })
}

/// One ContentInfo of the AuthenticatedSafe; None for an encrypted safe
/// without content.
fn safe<'a>(ci: &Tlv<'a>) -> Result<Option<Safe<'a>>, Pkcs12Error> {
    let parts = der::first::<2>(ci.value).ok_or_else(not_pfx)?;
    let content = parts.get(1);
    let Some(oid) = oid_bytes(parts.first()) else {
        return Err(not_pfx());
    };
    match oid {
        o if is_oid(o, &P7, 1) => {
            let bytes = content
                .and_then(|c| explicit_octets(c.value))
                .ok_or_else(not_pfx)?;
            Ok(Some(Safe::Plain(bytes)))
        }
        o if is_oid(o, &P7, 6) => {
            let bad = || malformed("an encrypted safe is malformed");
            let (ed, _) = der::read(content.ok_or_else(bad)?.value).ok_or_else(bad)?;
            let ed_parts = der::first::<2>(ed.value).ok_or_else(bad)?;
            let eci = der::first::<3>(ed_parts.get(1).ok_or_else(bad)?.value).ok_or_else(bad)?;
            let alg = eci
                .get(1)
                .filter(|a| a.tag == der::SEQUENCE)
                .ok_or_else(bad)?;
            match eci.get(2) {
                Some(c) if c.tag == 0x80 => Ok(Some(Safe::Encrypted {
                    alg: alg.value,
                    data: c.value,
                })),
                Some(_) => Err(bad()),
                // No content: an empty safe.
                None => Ok(None),
            }
        }
        other => Err(Pkcs12Error::Malformed(format!(
            "unsupported safe content type {}",
            oid_string(other)
        ))),
    }
}

/// MacData ::= SEQUENCE { mac DigestInfo, macSalt OCTET STRING, iterations INTEGER DEFAULT 1 }
fn parse_mac<'a>(m: &Tlv<'a>) -> Option<MacData<'a>> {
    let parts = der::first::<3>(m.value)?;
    let digest_info = der::first::<2>(parts.first()?.value)?;
    let alg = der::first::<1>(digest_info.first()?.value)?;
    let digest = digest_info.get(1).filter(|d| d.tag == 0x04)?;
    let salt = parts.get(1).filter(|s| s.tag == 0x04)?;
    let iterations = match parts.get(2) {
        Some(n) => integer(n)?,
        None => 1,
    };
    Some(MacData {
        digest_oid: oid_of(alg.first())?,
        digest: digest.value,
        salt: salt.value,
        iterations,
    })
}

/// The bags of a SafeContents, one at a time.
fn bags(
    safe_contents: &[u8],
) -> Result<impl Iterator<Item = Result<Bag<'_>, Pkcs12Error>>, Pkcs12Error> {
    let value = if safe_contents.is_empty() {
        safe_contents
    } else {
        let (seq, _) = der::read(safe_contents).ok_or_else(bad_bag)?;
        if seq.tag != der::SEQUENCE {
            return Err(bad_bag());
        }
        seq.value
    };
    Ok(der::elements(value).map(|bag| bag_of(&bag.ok_or_else(bad_bag)?)))
}

fn bad_bag() -> Pkcs12Error {
    malformed("a safe bag is malformed")
}

/// SafeBag ::= SEQUENCE { bagId OID, bagValue [0] EXPLICIT ANY, bagAttributes SET OPTIONAL }
/// (attributes never matter here and are not read).
fn bag_of<'a>(bag: &Tlv<'a>) -> Result<Bag<'a>, Pkcs12Error> {
    let parts = der::first::<2>(bag.value).ok_or_else(bad_bag)?;
    let id = oid_bytes(parts.first()).ok_or_else(bad_bag)?;
    let value = parts.get(1).ok_or_else(bad_bag)?;
    let (inner, _) = der::read(value.value).ok_or_else(bad_bag)?;
    Ok(match id {
        o if is_oid(o, &BAG, 1) => Bag::Key(inner.raw),
        o if is_oid(o, &BAG, 2) => {
            let (alg, data) = epki(&inner).ok_or_else(bad_bag)?;
            Bag::Shrouded { alg, data }
        }
        o if is_oid(o, &BAG, 3) => {
            // CertBag ::= SEQUENCE { certId OID, certValue [0] EXPLICIT OCTET STRING }
            let parts = der::first::<2>(inner.value).ok_or_else(bad_bag)?;
            match oid_bytes(parts.first()) {
                Some(c) if c == X509_CERTIFICATE => Bag::Cert(
                    parts
                        .get(1)
                        .and_then(|c| explicit_octets(c.value))
                        .ok_or_else(bad_bag)?,
                ),
                _ => Bag::Other,
            }
        }
        o if is_oid(o, &BAG, 5) => Bag::Secret(secret_kdf(&inner)),
        o if is_oid(o, &BAG, 6) => Bag::Nested(inner.raw),
        _ => Bag::Other,
    })
}

/// EncryptedPrivateKeyInfo ::= SEQUENCE { encryptionAlgorithm, encryptedData OCTET STRING }
fn epki<'a>(tlv: &Tlv<'a>) -> Option<(&'a [u8], &'a [u8])> {
    let parts = der::first::<2>(tlv.value)?;
    let alg = parts.first().filter(|a| a.tag == der::SEQUENCE)?;
    let data = parts.get(1).filter(|d| d.tag == 0x04)?;
    Some((alg.value, data.value))
}

/// SecretBag ::= SEQUENCE { secretTypeId OID, secretValue [0] EXPLICIT ANY }.
/// Java and `p12-keystore` store an encrypted PKCS#8 in an OCTET STRING
/// there; an EncryptedPrivateKeyInfo in place is counted too.
fn secret_kdf(bag: &Tlv<'_>) -> Option<Kdf> {
    let parts = der::first::<2>(bag.value)?;
    let (value, _) = der::read(parts.get(1)?.value)?;
    let info = match value.tag {
        0x04 => der::read(value.value)?.0,
        _ => value,
    };
    let (alg, _) = epki(&info)?;
    kdf_of_algorithm(alg)
}

/// The key derivation an AlgorithmIdentifier (its content: OID and
/// parameters) names, from the parameters alone. PBES2 parameters are read
/// by the `pkcs5` crate, as the decryption reads them; PKCS#12 PBE, PBES1 and
/// unknown schemes whose parameters are `SEQUENCE { salt OCTET STRING,
/// iterations INTEGER, ... }` give their iteration count. None when no
/// derivation would run (unknown scheme, unreadable parameters).
pub fn kdf_of_algorithm(alg: &[u8]) -> Option<Kdf> {
    use pkcs8::der::Decode;
    let parts = der::first::<2>(alg)?;
    let oid = oid_bytes(parts.first())?;
    let params = parts.get(1)?;
    if oid == PBES2 {
        let p = pkcs5::pbes2::Parameters::from_der(params.raw).ok()?;
        return Some(match &p.kdf {
            pkcs5::pbes2::Kdf::Pbkdf2(k) => Kdf::Pbkdf2 {
                iterations: u64::from(k.iteration_count),
            },
            pkcs5::pbes2::Kdf::Scrypt(s) => Kdf::Scrypt {
                n: s.cost_parameter,
                r: u64::from(s.block_size),
                p: u64::from(s.parallelization),
            },
            // A KDF the `pkcs5` crate may add later: it cannot derive today.
            _ => return None,
        });
    }
    if params.tag != der::SEQUENCE {
        return None;
    }
    let p = der::first::<2>(params.value)?;
    if p.first()?.tag != 0x04 {
        return None;
    }
    let iterations = integer(p.get(1)?)?;
    Some(
        if oid.len() == PKCS12_PBE.len() + 1 && oid.starts_with(&PKCS12_PBE) {
            Kdf::Pkcs12 { iterations }
        } else {
            Kdf::Pbes1 { iterations }
        },
    )
}

// ------------------------------------------------------------ the budget

/// Derivations found, for the budget and for CS406.
#[derive(Default)]
struct Work {
    kdfs: Vec<Kdf>,
    /// Iterations of encrypted safes and shrouded key bags.
    dotnet: Vec<u64>,
    /// Safes and bags walked (with those counted before, for inner safes).
    elements: usize,
}

impl Work {
    /// Count one safe or bag against [`MAX_DER_ELEMENTS`].
    fn element(&mut self) -> Result<(), Pkcs12Error> {
        self.elements += 1;
        if self.elements > MAX_DER_ELEMENTS {
            return Err(LimitError::Pkcs12Elements {
                limit: MAX_DER_ELEMENTS,
            }
            .into());
        }
        Ok(())
    }

    fn safe_or_key(&mut self, kdf: Option<Kdf>) {
        if let Some(k) = kdf {
            self.kdfs.push(k);
            self.dotnet.push(k.iterations());
        }
    }

    /// The derivations named by the bags of a SafeContents in the clear,
    /// nested SafeContents included.
    fn bags(&mut self, safe_contents: &[u8], depth: usize) -> Result<(), Pkcs12Error> {
        if depth > MAX_PKCS12_NESTING {
            return Err(LimitError::Pkcs12Nesting {
                limit: MAX_PKCS12_NESTING,
            }
            .into());
        }
        for bag in bags(safe_contents)? {
            self.element()?;
            match bag? {
                Bag::Shrouded { alg, .. } => self.safe_or_key(kdf_of_algorithm(alg)),
                Bag::Secret(kdf) => self.kdfs.extend(kdf),
                Bag::Nested(inner) => self.bags(inner, depth + 1)?,
                Bag::Key(_) | Bag::Cert(_) | Bag::Other => {}
            }
        }
        Ok(())
    }
}

/// What one file may still spend on key derivation.
struct Budget {
    iterations: u64,
    scrypt_work: u64,
    /// 2 when the password is empty: both encodings of it may be tried with
    /// the PKCS#12 KDF.
    pkcs12_weight: u64,
}

impl Budget {
    /// Count derivations before any of them runs: each against the
    /// per-derivation limits, all of them (with what was counted before)
    /// against the file's total.
    fn charge(&mut self, kdfs: &[Kdf]) -> Result<(), LimitError> {
        for k in kdfs {
            k.check()?;
        }
        for k in kdfs {
            let weight = match k {
                Kdf::Pkcs12 { .. } => self.pkcs12_weight,
                _ => 1,
            };
            self.iterations = self
                .iterations
                .saturating_add(k.iterations().saturating_mul(weight));
            self.scrypt_work = self.scrypt_work.saturating_add(k.scrypt_work());
        }
        if self.iterations > MAX_PKCS12_TOTAL_ITERATIONS {
            return Err(LimitError::TotalIterations {
                count: self.iterations,
                limit: MAX_PKCS12_TOTAL_ITERATIONS,
            });
        }
        if self.scrypt_work > MAX_SCRYPT_WORK {
            return Err(LimitError::ScryptTotalWork {
                work: self.scrypt_work,
                limit: MAX_SCRYPT_WORK,
            });
        }
        Ok(())
    }
}

// ------------------------------------------------------------ passwords and decryption

/// A password in the forms PKCS#12 derivations take.
struct Passwords<'a> {
    /// For PBES2: the UTF-8 bytes.
    utf8: &'a [u8],
    /// For the PKCS#12 KDF: BMPString with two zero bytes at the end; for an
    /// empty password also the zero-length form (a NULL password, as pyca and
    /// OpenSSL write without one, and as they both try).
    bmp: Vec<Zeroizing<Vec<u8>>>,
}

impl<'a> Passwords<'a> {
    fn new(password: &'a str) -> Self {
        let mut encoded = Zeroizing::new(Vec::with_capacity(password.len() * 2 + 2));
        for unit in password.encode_utf16() {
            encoded.extend(unit.to_be_bytes());
        }
        encoded.extend([0, 0]);
        let mut bmp = vec![encoded];
        if password.is_empty() {
            bmp.push(Zeroizing::new(Vec::new()));
        }
        Passwords {
            utf8: password.as_bytes(),
            bmp,
        }
    }

    /// The BMP forms to try: the one the MAC verified with, or all.
    fn candidates(&self, chosen: Option<usize>) -> Vec<&[u8]> {
        match chosen {
            Some(i) => self.bmp.get(i).map(|p| p.as_slice()).into_iter().collect(),
            None => self.bmp.iter().map(|p| p.as_slice()).collect(),
        }
    }
}

/// An HMAC over `$data` keyed from `$password` with `$mac`'s salt and
/// iterations (RFC 7292 appendix B.2); None if HMAC refuses the key.
macro_rules! keyed_mac {
    ($digest:ty, $password:expr, $mac:expr, $data:expr) => {{
        use hmac::{KeyInit, Mac};
        let key = Zeroizing::new(pkcs12::kdf::derive_key::<$digest>(
            $password,
            $mac.salt,
            pkcs12::kdf::Pkcs12KeyType::Mac,
            i32::try_from($mac.iterations).unwrap_or(i32::MAX),
            <$digest as sha2::digest::OutputSizeUser>::output_size(),
        ));
        hmac::Hmac::<$digest>::new_from_slice(&key)
            .ok()
            .map(|mut h| {
                h.update($data);
                h
            })
    }};
}

/// Does `$mac`'s digest verify (in constant time) under `$password`?
macro_rules! mac_verifies {
    ($digest:ty, $password:expr, $mac:expr, $data:expr) => {
        keyed_mac!($digest, $password, $mac, $data)
            .is_some_and(|h| hmac::Mac::verify_slice(h, $mac.digest).is_ok())
    };
}

/// Verify the MAC; returns which BMP form of the password verified it.
fn verify_mac(mac: &MacData<'_>, data: &[u8], pw: &Passwords<'_>) -> Result<usize, Pkcs12Error> {
    for (i, p) in pw.candidates(None).into_iter().enumerate() {
        let ok = match mac.digest_oid.as_str() {
            "1.3.14.3.2.26" => mac_verifies!(sha1::Sha1, p, mac, data),
            "2.16.840.1.101.3.4.2.4" => mac_verifies!(sha2::Sha224, p, mac, data),
            "2.16.840.1.101.3.4.2.1" => mac_verifies!(sha2::Sha256, p, mac, data),
            "2.16.840.1.101.3.4.2.2" => mac_verifies!(sha2::Sha384, p, mac, data),
            "2.16.840.1.101.3.4.2.3" => mac_verifies!(sha2::Sha512, p, mac, data),
            "2.16.840.1.101.3.4.2.5" => mac_verifies!(sha2::Sha512_224, p, mac, data),
            "2.16.840.1.101.3.4.2.6" => mac_verifies!(sha2::Sha512_256, p, mac, data),
            other => {
                return Err(Pkcs12Error::Malformed(format!(
                    "unsupported MAC digest {other}"
                )));
            }
        };
        if ok {
            return Ok(i);
        }
    }
    Err(Pkcs12Error::WrongPassword)
}

/// Decrypt with a PKCS#12 PBE cipher (`pbeWithSHAAnd…`, RFC 7292 appendix C).
fn pbe_decrypt(
    oid: &str,
    salt: &[u8],
    iterations: u64,
    password: &[u8],
    data: &[u8],
) -> Result<Option<Zeroizing<Vec<u8>>>, Pkcs12Error> {
    use cbc::cipher::{BlockModeDecrypt, KeyIvInit, block_padding::Pkcs7};
    use pkcs12::kdf::{Pkcs12KeyType, derive_key};
    let key_len = match oid {
        "1.2.840.113549.1.12.1.3" => 24,
        "1.2.840.113549.1.12.1.4" | "1.2.840.113549.1.12.1.5" => 16,
        "1.2.840.113549.1.12.1.6" => 5,
        other => {
            return Err(Pkcs12Error::Malformed(format!(
                "unsupported encryption {}",
                friendly(other)
            )));
        }
    };
    let rounds = i32::try_from(iterations).unwrap_or(i32::MAX);
    let key = Zeroizing::new(derive_key::<sha1::Sha1>(
        password,
        salt,
        Pkcs12KeyType::EncryptionKey,
        rounds,
        key_len,
    ));
    let iv = derive_key::<sha1::Sha1>(password, salt, Pkcs12KeyType::Iv, rounds, 8);
    let mut buf = Zeroizing::new(data.to_vec());
    let bad_key = || malformed("bad cipher key");
    let plain = match oid {
        "1.2.840.113549.1.12.1.3" => cbc::Decryptor::<des::TdesEde3>::new_from_slices(&key, &iv)
            .map_err(|_| bad_key())?
            .decrypt_padded::<Pkcs7>(&mut buf)
            .ok()
            .map(<[u8]>::len),
        "1.2.840.113549.1.12.1.4" => cbc::Decryptor::<des::TdesEde2>::new_from_slices(&key, &iv)
            .map_err(|_| bad_key())?
            .decrypt_padded::<Pkcs7>(&mut buf)
            .ok()
            .map(<[u8]>::len),
        _ => cbc::Decryptor::<rc2::Rc2>::new_from_slices(&key, &iv)
            .map_err(|_| bad_key())?
            .decrypt_padded::<Pkcs7>(&mut buf)
            .ok()
            .map(<[u8]>::len),
    };
    Ok(plain.map(|n| {
        buf.truncate(n);
        buf
    }))
}

/// Decrypt a safe or a shrouded key. The derivation was counted already.
/// `chosen` is the BMP form of the password the MAC verified with; without
/// a MAC each form is tried until the plaintext is a DER SEQUENCE.
fn decrypt(
    alg: &[u8],
    data: &[u8],
    pw: &Passwords<'_>,
    chosen: Option<usize>,
) -> Result<Zeroizing<Vec<u8>>, Pkcs12Error> {
    use pkcs8::der::Decode;
    let bad = || malformed("an encryption algorithm is malformed");
    let parts = der::first::<2>(alg).ok_or_else(bad)?;
    let oid = oid_of(parts.first()).ok_or_else(bad)?;
    let params = parts.get(1).ok_or_else(bad)?;
    let is_sequence = |b: &[u8]| der::read(b).is_some_and(|(t, _)| t.tag == der::SEQUENCE);
    if oid == OID_PBES2 {
        let p = pkcs5::pbes2::Parameters::from_der(params.raw)
            .map_err(|e| Pkcs12Error::Malformed(format!("PBES2 parameters: {e}")))?;
        return match p.decrypt(pw.utf8, data) {
            Ok(plain) => Ok(Zeroizing::new(plain)),
            Err(pkcs5::Error::DecryptFailed) => Err(Pkcs12Error::WrongPassword),
            Err(e) => Err(Pkcs12Error::Malformed(format!("PBES2: {e}"))),
        };
    }
    if !oid.starts_with(OID_PKCS12_PBE) {
        return Err(Pkcs12Error::Malformed(format!(
            "unsupported encryption {}",
            friendly(&oid)
        )));
    }
    let p = der::first::<2>(params.value).ok_or_else(bad)?;
    let salt = p.first().filter(|s| s.tag == 0x04).ok_or_else(bad)?;
    let iterations = p.get(1).and_then(integer).ok_or_else(bad)?;
    for candidate in pw.candidates(chosen) {
        if let Some(plain) = pbe_decrypt(&oid, salt.value, iterations, candidate, data)?
            && is_sequence(&plain)
        {
            return Ok(plain);
        }
    }
    Err(Pkcs12Error::WrongPassword)
}

// ------------------------------------------------------------ reading

/// Decrypt and read a PKCS#12 file. Key derivations are counted against the
/// limits of [`crate::limits`] before they run: a file over them is refused
/// with [`Pkcs12Error::Limit`]. An empty password is tried in both of its
/// encodings (BMPString `00 00`, and zero bytes: a NULL password).
pub fn read(data: &[u8], password: &str) -> Result<Pkcs12Contents, Pkcs12Error> {
    let pfx = parse(data)?;
    let mut budget = Budget {
        iterations: 0,
        scrypt_work: 0,
        pkcs12_weight: if password.is_empty() { 2 } else { 1 },
    };
    // Everything visible without the password, before the first derivation.
    let mut work = Work::default();
    if let Some(mac) = &pfx.mac {
        work.kdfs.push(Kdf::Pkcs12 {
            iterations: mac.iterations,
        });
    }
    for safe in pfx.safes() {
        work.element()?;
        match safe? {
            Safe::Encrypted { alg, .. } => work.safe_or_key(kdf_of_algorithm(alg)),
            Safe::Plain(bytes) => work.bags(bytes, 0)?,
        }
    }
    budget.charge(&work.kdfs)?;
    let pw = Passwords::new(password);
    let chosen = match &pfx.mac {
        Some(mac) => Some(verify_mac(mac, pfx.auth_safe, &pw)?),
        None => None,
    };
    let mut out = Pkcs12Contents {
        certs: Vec::new(),
        keys: Vec::new(),
        kdf: KdfSummary {
            mac_iterations: pfx.mac.as_ref().map(|m| m.iterations),
            bag_iterations: Vec::new(),
            complete: true,
        },
    };
    let mut dotnet = work.dotnet;
    let mut elements = work.elements;
    let mut reader = Reader {
        pw: &pw,
        chosen,
        out: &mut out,
    };
    for safe in pfx.safes() {
        match safe? {
            Safe::Plain(bytes) => reader.bags(bytes)?,
            Safe::Encrypted { alg, data } => {
                let plain = decrypt(alg, data, &pw, chosen)?;
                // The bags inside, counted before any of them is decrypted.
                let mut inner = Work {
                    elements,
                    ..Work::default()
                };
                inner.bags(&plain, 0)?;
                elements = inner.elements;
                budget.charge(&inner.kdfs)?;
                dotnet.extend(inner.dotnet);
                reader.bags(&plain)?;
            }
        }
    }
    out.kdf.bag_iterations = dotnet;
    Ok(out)
}

struct Reader<'p, 'o> {
    pw: &'p Passwords<'p>,
    chosen: Option<usize>,
    out: &'o mut Pkcs12Contents,
}

impl Reader<'_, '_> {
    /// Read the bags of a SafeContents whose derivations were counted (and
    /// whose nesting was checked) by `Work::bags`.
    fn bags(&mut self, safe_contents: &[u8]) -> Result<(), Pkcs12Error> {
        for bag in bags(safe_contents)? {
            match bag? {
                Bag::Key(der) => self.out.keys.push(Zeroizing::new(der.to_vec())),
                Bag::Cert(der) => self.out.certs.push(der.to_vec()),
                Bag::Shrouded { alg, data } => {
                    let key = decrypt(alg, data, self.pw, self.chosen)?;
                    self.out.keys.push(key);
                }
                Bag::Nested(inner) => self.bags(inner)?,
                Bag::Secret(_) | Bag::Other => {}
            }
        }
        Ok(())
    }
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
    let pfx = drop_empty_safes(pfx, password)?;
    check_written(spec, &pfx, password)?;
    Ok(pfx)
}

/// Remove the empty `data` safes (a SafeContents `30 00`) from a PFX and
/// recompute its MAC with the same digest, salt, iterations and password form.
///
/// `p12-keystore` 0.4 always writes a key safe, empty when the store holds no
/// key, so a certificate-only PFX carries a second ContentInfo whose
/// SafeContents has no bag. OpenSSL, Java and Python skip it; GnuTLS
/// (`certtool --p12-info`, `gnutls_pkcs12_import`) stops at it with
/// "bag_init: The requested data were not available". RFC 7292 allows an
/// AuthenticatedSafe of any number of safes, so the empty one is dropped.
/// A file without such a safe is returned as it is.
fn drop_empty_safes(pfx: Vec<u8>, password: &str) -> Result<Vec<u8>, Pkcs12Error> {
    let bad = || Pkcs12Error::Write("the PFX written has an unexpected structure".into());
    let parsed = parse(&pfx).map_err(|_| bad())?;
    let infos = der::children(parsed.content_infos).ok_or_else(bad)?;
    let is_empty = |ci: &Tlv<'_>| {
        matches!(safe(ci), Ok(Some(Safe::Plain(b)))
            if der::read(b).is_some_and(|(t, rest)| t.tag == der::SEQUENCE && t.value.is_empty() && rest.is_empty()))
    };
    let kept: Vec<&[u8]> = infos
        .iter()
        .filter(|ci| !is_empty(ci))
        .map(|ci| ci.raw)
        .collect();
    if kept.len() == infos.len() {
        return Ok(pfx);
    }
    let mac = parsed.mac.as_ref().ok_or_else(bad)?;
    let pw = Passwords::new(password);
    let form = verify_mac(mac, parsed.auth_safe, &pw).map_err(|_| bad())?;
    let auth_safe = der_tlv(der::SEQUENCE, &kept.concat());
    let digest = compute_mac(
        mac,
        &auth_safe,
        pw.candidates(Some(form)).first().ok_or_else(bad)?,
    )?;
    // Pfx ::= SEQUENCE { version, authSafe ContentInfo, macData MacData }
    let (outer, _) = der::read(&pfx).ok_or_else(bad)?;
    let fields = der::first::<3>(outer.value).ok_or_else(bad)?;
    let version = fields.first().ok_or_else(bad)?.raw;
    let auth = der::first::<1>(fields.get(1).ok_or_else(bad)?.value).ok_or_else(bad)?;
    let data_oid = auth.first().ok_or_else(bad)?.raw;
    let content = der_tlv(0xa0, &der_tlv(0x04, &auth_safe));
    let content_info = der_tlv(der::SEQUENCE, &[data_oid, &content].concat());
    // MacData ::= SEQUENCE { DigestInfo { algorithm, digest }, macSalt, iterations }
    let mac_fields = der::first::<3>(fields.get(2).ok_or_else(bad)?.value).ok_or_else(bad)?;
    let digest_info = der::first::<2>(mac_fields.first().ok_or_else(bad)?.value).ok_or_else(bad)?;
    let new_digest_info = der_tlv(
        der::SEQUENCE,
        &[
            digest_info.first().ok_or_else(bad)?.raw,
            &der_tlv(0x04, &digest),
        ]
        .concat(),
    );
    let rest: Vec<u8> = [mac_fields.get(1), mac_fields.get(2)]
        .into_iter()
        .flatten()
        .flat_map(|t| t.raw.iter().copied())
        .collect();
    let mac_data = der_tlv(der::SEQUENCE, &[new_digest_info, rest].concat());
    Ok(der_tlv(
        der::SEQUENCE,
        &[version, &content_info, &mac_data].concat(),
    ))
}

/// One DER element: tag, definite length, content.
fn der_tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let len = content.len();
    let mut out = vec![tag];
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// The MAC of `$data` under `$password` with `$mac`'s salt and iterations.
macro_rules! mac_of {
    ($digest:ty, $password:expr, $mac:expr, $data:expr) => {
        hmac::Mac::finalize(
            keyed_mac!($digest, $password, $mac, $data)
                .ok_or_else(|| Pkcs12Error::Write("bad MAC key".into()))?,
        )
        .into_bytes()
        .to_vec()
    };
}

/// The MAC of `data` under `mac`'s digest, salt and iterations.
fn compute_mac(mac: &MacData<'_>, data: &[u8], password: &[u8]) -> Result<Vec<u8>, Pkcs12Error> {
    Ok(match mac.digest_oid.as_str() {
        "1.3.14.3.2.26" => mac_of!(sha1::Sha1, password, mac, data),
        "2.16.840.1.101.3.4.2.1" => mac_of!(sha2::Sha256, password, mac, data),
        "2.16.840.1.101.3.4.2.2" => mac_of!(sha2::Sha384, password, mac, data),
        "2.16.840.1.101.3.4.2.3" => mac_of!(sha2::Sha512, password, mac, data),
        other => {
            return Err(Pkcs12Error::Write(format!("unexpected MAC digest {other}")));
        }
    })
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
                .map(zeroize::Zeroizing::new)
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
/// safes), read without the password. Unknown ones appear as OIDs.
pub fn encryption_algorithms(pfx: &[u8]) -> Vec<String> {
    let mut out = scan(pfx).map(|s| s.algorithms).unwrap_or_default();
    out.sort();
    out.dedup();
    out
}

/// The key derivations a PFX names outside its encrypted safes, read without
/// the password; None when the file cannot be walked.
pub fn kdf_summary(pfx: &[u8]) -> Option<KdfSummary> {
    scan(pfx).map(|s| s.summary)
}

/// [`encryption_algorithms`] and [`kdf_summary`] in one walk.
pub fn sniff(pfx: &[u8]) -> (Vec<String>, Option<KdfSummary>) {
    match scan(pfx) {
        Some(mut s) => {
            s.algorithms.sort();
            s.algorithms.dedup();
            (s.algorithms, Some(s.summary))
        }
        None => (Vec::new(), None),
    }
}

/// What can be read from a PFX without its password.
#[derive(Debug)]
struct Scan {
    algorithms: Vec<String>,
    summary: KdfSummary,
}

fn scan(data: &[u8]) -> Option<Scan> {
    let pfx = parse(data).ok()?;
    let mut algorithms = Vec::new();
    let mut work = Work::default();
    for safe in pfx.safes() {
        work.element().ok()?;
        match safe.ok()? {
            Safe::Encrypted { alg, .. } => {
                algorithms.push(algorithm_name(alg)?);
                work.safe_or_key(kdf_of_algorithm(alg));
            }
            Safe::Plain(bytes) => {
                for bag in bags(bytes).ok()? {
                    if let Bag::Shrouded { alg, .. } = bag.ok()? {
                        algorithms.push(algorithm_name(alg)?);
                    }
                }
                work.bags(bytes, 0).ok()?;
            }
        }
    }
    Some(Scan {
        algorithms,
        summary: KdfSummary {
            mac_iterations: pfx.mac.map(|m| m.iterations),
            bag_iterations: work.dotnet,
            complete: false,
        },
    })
}

/// A readable name for an AlgorithmIdentifier's content (OID + params).
fn algorithm_name(alg: &[u8]) -> Option<String> {
    let parts = der::first::<2>(alg)?;
    let oid = oid_string(parts.first()?.value);
    if oid == OID_PBES2 {
        // PBES2-params: SEQUENCE { keyDerivationFunc, encryptionScheme }
        let p = der::first::<2>(parts.get(1)?.value)?;
        let enc = der::first::<1>(p.get(1)?.value)?;
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

    fn cert_and_key(cn: &str) -> (Cert, crate::pki::keys::Key) {
        let key = crate::pki::keys::generate(crate::pki::keys::KeyType::EcP256).unwrap();
        let mut params = rcgen::CertificateParams::new(vec![format!("{cn}.example")]).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, cn);
        let der = params.self_signed(&*key).unwrap().der().to_vec();
        let name: std::sync::Arc<str> = std::sync::Arc::from("t");
        let cert = Cert::parse(&der, Source::new(&name, 0, None, Container::Der)).unwrap();
        (cert, key)
    }

    /// A PFX of `certs` (and `key`) with no friendly name.
    fn pfx_spec<'a>(
        key: Option<&'a rcgen::KeyPair>,
        certs: &'a [Cert],
        profile: Profile,
    ) -> PfxSpec<'a> {
        PfxSpec {
            key,
            certs,
            name: None,
            profile,
        }
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
                name: Some("n"),
                ..pfx_spec(Some(&key), std::slice::from_ref(&cert), profile)
            };
            let pfx = write(&spec, "pw").unwrap();
            assert_eq!(encryption_algorithms(&pfx), [alg]);
            let found = scan(&pfx).unwrap().summary;
            assert_eq!(found.mac_iterations, Some(u64::from(n)));
            assert_eq!(found.bag_iterations, [u64::from(n), u64::from(n)]);
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
        let spec = pfx_spec(Some(&other), std::slice::from_ref(&cert), Profile::Compat);
        assert!(matches!(
            write(&spec, "pw"),
            Err(Pkcs12Error::KeyMismatch(_))
        ));
        let spec = pfx_spec(None, &[], Profile::Compat);
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
            name: Some("a"),
            ..pfx_spec(None, &certs, Profile::Modern)
        };
        let back = read(&write(&spec, "").unwrap(), "").unwrap();
        assert!(back.keys.is_empty());
        let mut got = back.certs;
        got.sort();
        let mut want = vec![a.der, b.der];
        want.sort();
        assert_eq!(got, want);
    }

    /// The safes of a PFX: (is encrypted, SafeContents DER when in the clear).
    fn safe_kinds(data: &[u8]) -> Vec<Option<Vec<u8>>> {
        parse(data)
            .unwrap()
            .safes()
            .map(|s| match s.unwrap() {
                Safe::Plain(b) => Some(b.to_vec()),
                Safe::Encrypted { .. } => None,
            })
            .collect()
    }

    #[test]
    fn no_empty_safe_is_written_and_the_mac_still_verifies() {
        // GnuTLS stops at an empty SafeContents (`30 00`); p12-keystore
        // writes one for the keys of a certificate-only store.
        let (a, key) = cert_and_key("a");
        for profile in [Profile::Compat, Profile::Modern] {
            for password in ["", "pw"] {
                let only = pfx_spec(None, std::slice::from_ref(&a), profile);
                let data = write(&only, password).unwrap();
                assert_eq!(safe_kinds(&data), vec![None], "{profile:?} {password:?}");
                let pfx = parse(&data).unwrap();
                let mac = pfx.mac.as_ref().unwrap();
                verify_mac(mac, pfx.auth_safe, &Passwords::new(password)).unwrap();
                assert!(matches!(
                    read(&data, "other"),
                    Err(Pkcs12Error::WrongPassword)
                ));
                let keyed = PfxSpec {
                    key: Some(&key),
                    ..only
                };
                let kinds = safe_kinds(&write(&keyed, password).unwrap());
                assert_eq!(kinds.len(), 2);
                assert!(kinds.iter().flatten().all(|b| b.as_slice() != [0x30, 0]));
            }
        }
    }

    #[test]
    fn a_pfx_without_empty_safes_is_left_as_it_is() {
        let data = pfx(&[seq(&[oid(OID_DATA), tlv(0xa0, &tlv(0x04, &seq(&[])))])]);
        assert!(
            drop_empty_safes(data.clone(), "").is_err(),
            "no MAC to recompute"
        );
        let (a, _) = cert_and_key("a");
        let spec = pfx_spec(None, std::slice::from_ref(&a), Profile::Compat);
        let written = write(&spec, "pw").unwrap();
        assert_eq!(drop_empty_safes(written.clone(), "pw").unwrap(), written);
    }

    const OID_DATA: &str = "1.2.840.113549.1.7.1";
    const OID_ENCRYPTED_DATA: &str = "1.2.840.113549.1.7.6";
    const OID_SECRET_BAG: &str = "1.2.840.113549.1.12.10.1.5";
    const OID_SAFE_CONTENTS_BAG: &str = "1.2.840.113549.1.12.10.1.6";

    /// DER helpers for hand-made PFX files.
    fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let n = content.len();
        if n < 0x80 {
            out.push(n as u8);
        } else {
            let bytes: Vec<u8> = n
                .to_be_bytes()
                .into_iter()
                .skip_while(|b| *b == 0)
                .collect();
            out.push(0x80 | bytes.len() as u8);
            out.extend(bytes);
        }
        out.extend(content);
        out
    }

    fn seq(parts: &[Vec<u8>]) -> Vec<u8> {
        tlv(0x30, &parts.concat())
    }

    fn oid(dotted: &str) -> Vec<u8> {
        use pkcs8::der::Encode;
        pkcs8::der::asn1::ObjectIdentifier::new_unwrap(dotted)
            .to_der()
            .unwrap()
    }

    /// AlgorithmIdentifier of PBES2 with PBKDF2-SHA256 and AES-256-CBC.
    fn pbes2(iterations: u32) -> (Vec<u8>, pkcs5::pbes2::Parameters) {
        use pkcs8::der::Encode;
        let params = pkcs5::pbes2::Parameters::generate_pbkdf2_sha256_aes256cbc(
            iterations, &[7; 16], [9; 16],
        )
        .unwrap();
        (seq(&[oid(OID_PBES2), params.to_der().unwrap()]), params)
    }

    /// A secret bag holding an encrypted PKCS#8 (Java's and p12-keystore's form).
    fn secret_bag(iterations: u32) -> Vec<u8> {
        let (alg, _) = pbes2(iterations);
        let epki = seq(&[alg, tlv(0x04, &[0u8; 48])]);
        let secret = seq(&[
            oid("1.2.840.113549.1.12.10.1.2"),
            tlv(0xa0, &tlv(0x04, &epki)),
        ]);
        seq(&[oid(OID_SECRET_BAG), tlv(0xa0, &secret)])
    }

    /// A MAC-less PFX of the given safes (ContentInfo DER each).
    fn pfx(safes: &[Vec<u8>]) -> Vec<u8> {
        let auth_safe = seq(safes);
        seq(&[
            tlv(0x02, &[3]),
            seq(&[oid(OID_DATA), tlv(0xa0, &tlv(0x04, &auth_safe))]),
        ])
    }

    fn data_safe(bags: &[Vec<u8>]) -> Vec<u8> {
        seq(&[oid(OID_DATA), tlv(0xa0, &tlv(0x04, &seq(bags)))])
    }

    #[test]
    fn the_budget_counts_each_derivation_and_the_file() {
        let mut b = Budget {
            iterations: 0,
            scrypt_work: 0,
            pkcs12_weight: 1,
        };
        let gnutls = [
            Kdf::Pkcs12 {
                iterations: 600_000,
            },
            Kdf::Pbkdf2 {
                iterations: 600_000,
            },
            Kdf::Pbkdf2 {
                iterations: 600_000,
            },
        ];
        assert!(b.charge(&gnutls).is_ok());
        assert!(matches!(
            b.charge(&[Kdf::Pbkdf2 {
                iterations: 2_000_001
            }]),
            Err(LimitError::KdfIterations { .. })
        ));
        assert!(matches!(
            b.charge(&[
                Kdf::Pbkdf2 {
                    iterations: 1_200_000
                },
                Kdf::Pbkdf2 {
                    iterations: 1_200_000
                }
            ]),
            Err(LimitError::TotalIterations {
                count: 4_200_000,
                ..
            })
        ));
        // An empty password counts the PKCS#12 KDF twice (both encodings).
        let mut empty = Budget {
            iterations: 0,
            scrypt_work: 0,
            pkcs12_weight: 2,
        };
        assert!(
            empty
                .charge(&[Kdf::Pkcs12 {
                    iterations: 2_000_000
                }])
                .is_ok()
        );
        assert!(empty.charge(&[Kdf::Pkcs12 { iterations: 1 }]).is_err());
        let mut scrypt = Budget {
            iterations: 0,
            scrypt_work: 0,
            pkcs12_weight: 1,
        };
        let max = Kdf::Scrypt {
            n: 1 << 16,
            r: 8,
            p: 8,
        };
        assert!(scrypt.charge(&[max]).is_ok());
        assert!(matches!(
            scrypt.charge(&[Kdf::Scrypt { n: 2, r: 1, p: 1 }]),
            Err(LimitError::ScryptTotalWork { .. })
        ));
    }

    /// The KDF of an encoded AlgorithmIdentifier.
    fn kdf_of(alg: &[u8]) -> Option<Kdf> {
        kdf_of_algorithm(der::read(alg).unwrap().0.value)
    }

    #[test]
    fn kdf_parameters_are_read_for_every_scheme() {
        let (alg, _) = pbes2(4_000_000);
        assert_eq!(
            kdf_of(&alg),
            Some(Kdf::Pbkdf2 {
                iterations: 4_000_000
            })
        );
        let pbe = seq(&[
            oid("1.2.840.113549.1.12.1.3"),
            seq(&[
                tlv(0x04, &[1; 8]),
                tlv(0x02, &[0x00, 0xff, 0xff, 0xff, 0xff]),
            ]),
        ]);
        assert_eq!(
            kdf_of(&pbe),
            Some(Kdf::Pkcs12 {
                iterations: 0xffff_ffff
            })
        );
        let pbes1 = seq(&[
            oid("1.2.840.113549.1.5.3"),
            seq(&[tlv(0x04, &[1; 8]), tlv(0x02, &[0x7f; 12])]),
        ]);
        assert_eq!(
            kdf_of(&pbes1),
            Some(Kdf::Pbes1 {
                iterations: u64::MAX
            })
        );
    }

    #[test]
    fn secret_bags_are_counted_whatever_the_bag_type() {
        let bags: Vec<Vec<u8>> = (0..30).map(|_| secret_bag(1_000_000)).collect();
        let file = pfx(&[data_safe(&bags)]);
        let started = std::time::Instant::now();
        assert!(matches!(
            read(&file, "pw"),
            Err(Pkcs12Error::Limit(LimitError::TotalIterations {
                count: 30_000_000,
                ..
            }))
        ));
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        // An EncryptedPrivateKeyInfo directly in the secret value counts too.
        let (alg, _) = pbes2(3_000_000);
        let direct = seq(&[
            oid(OID_SECRET_BAG),
            tlv(
                0xa0,
                &seq(&[
                    oid("1.2.840.113549.1.12.10.1.2"),
                    tlv(0xa0, &seq(&[alg, tlv(0x04, &[0u8; 48])])),
                ]),
            ),
        ]);
        assert!(matches!(
            read(&pfx(&[data_safe(&[direct])]), "pw"),
            Err(Pkcs12Error::Limit(LimitError::KdfIterations {
                count: 3_000_000,
                ..
            }))
        ));
        // A few are fine, and are not decrypted.
        let file = pfx(&[data_safe(&[secret_bag(1000), secret_bag(1000)])]);
        let back = read(&file, "pw").unwrap();
        assert!(back.certs.is_empty() && back.keys.is_empty());
    }

    #[test]
    fn bags_inside_an_encrypted_safe_are_counted_before_they_run() {
        let bags: Vec<Vec<u8>> = (0..5).map(|_| secret_bag(1_000_000)).collect();
        let (alg, params) = pbes2(1000);
        let ciphertext = params.encrypt("pw", &seq(&bags)).unwrap();
        let encrypted = seq(&[
            oid(OID_ENCRYPTED_DATA),
            tlv(
                0xa0,
                &seq(&[
                    tlv(0x02, &[0]),
                    seq(&[oid(OID_DATA), alg, tlv(0x80, &ciphertext)]),
                ]),
            ),
        ]);
        let file = pfx(&[encrypted]);
        // Password-free, only the safe's own derivation shows.
        assert_eq!(kdf_summary(&file).unwrap().bag_iterations, [1000]);
        assert!(matches!(
            read(&file, "pw"),
            Err(Pkcs12Error::Limit(LimitError::TotalIterations {
                count: 5_001_000,
                ..
            }))
        ));
    }

    #[test]
    fn nesting_is_bounded() {
        let mut bag = secret_bag(1);
        for _ in 0..=MAX_PKCS12_NESTING {
            bag = seq(&[oid(OID_SAFE_CONTENTS_BAG), tlv(0xa0, &seq(&[bag]))]);
        }
        assert!(matches!(
            read(&pfx(&[data_safe(&[bag])]), "pw"),
            Err(Pkcs12Error::Limit(LimitError::Pkcs12Nesting { .. }))
        ));
    }

    #[test]
    fn an_empty_password_is_tried_in_both_encodings() {
        // pyca's files made without a password: MAC and bags use the
        // zero-length form (tests/corpus/README.md).
        for (file, certs, keys) in [
            ("no-password.p12", 1, 1),
            ("name-all-no-pwd.p12", 3, 1),
            ("java-truststore.p12", 2, 0),
        ] {
            let bytes = std::fs::read(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("tests/corpus/pyca/pkcs12")
                    .join(file),
            )
            .unwrap();
            let back = read(&bytes, "").unwrap_or_else(|e| panic!("{file}: {e}"));
            assert_eq!((back.certs.len(), back.keys.len()), (certs, keys), "{file}");
            assert!(matches!(read(&bytes, "x"), Err(Pkcs12Error::WrongPassword)));
        }
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
