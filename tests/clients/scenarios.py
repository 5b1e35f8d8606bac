#!/usr/bin/env python3
"""Write the differential-client scenarios: one directory per scenario.

    python3 tests/clients/scenarios.py OUTDIR

Each OUTDIR/NN-ID/ holds
  served.pem     the chain the server sends, in that order (the leaf first:
                 TLS puts the certificate whose key signs the handshake first,
                 and no server can send anything else)
  key.pem        the leaf's private key (PKCS#8, unencrypted)
  trust.pem      the client's CA bundle
  scenario.json  {"id", "description", "host", "at": null}

Everything is built here with pyca/cryptography, never by chainsmith. Keys
are random; names, serial numbers and validity windows are fixed, so every
run yields the same verdicts. Valid certificates run 2020-01-01..2120-01-01;
expired ones ended in 2021, years before any run; the not-yet-valid leaf
starts in 2100. "at": null means "now": the real clients use the real clock.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import json
import os
import sys
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

HOST = "www.example.test"
VALID_FROM = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)
VALID_TO = dt.datetime(2120, 1, 1, tzinfo=dt.timezone.utc)
EXPIRED_FROM = dt.datetime(2010, 1, 1, tzinfo=dt.timezone.utc)
EXPIRED_TO = dt.datetime(2021, 1, 1, tzinfo=dt.timezone.utc)
FUTURE_FROM = dt.datetime(2100, 1, 1, tzinfo=dt.timezone.utc)
# An OID under the "example" arc nobody implements: the unknown critical extension.
UNKNOWN_OID = x509.ObjectIdentifier("1.3.6.1.4.1.55555.1.1")


def rsa_key(bits: int = 2048):
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def ec_key():
    return ec.generate_private_key(ec.SECP256R1())


def name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "chainsmith client scenarios"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


_serial = [0x5C0000]


def next_serial() -> int:
    _serial[0] += 1
    return _serial[0]


@dataclass
class Cert:
    cert: x509.Certificate
    key: object

    @property
    def subject(self) -> x509.Name:
        return self.cert.subject

    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)


@dataclass
class Spec:
    """What a certificate looks like; the defaults are a clean v3 profile."""

    ca: bool | None = False  # None: no basicConstraints at all
    path_len: int | None = None
    # "default" (CA: keyCertSign+cRLSign; leaf: digitalSignature, plus
    # keyEncipherment for RSA), "no-certsign" (CA: digitalSignature+cRLSign),
    # "signature" (digitalSignature only), None (absent)
    key_usage: str | None = "default"
    eku: list | None | str = "default"  # list of OIDs, None (absent), "default"
    san: list | None = None
    aki: bool | bytes = True  # True: the issuer's key id; bytes: that id; False: absent
    ski: bool = True
    not_before: dt.datetime = VALID_FROM
    not_after: dt.datetime = VALID_TO
    hash: object = field(default_factory=hashes.SHA256)
    name_constraints: x509.NameConstraints | None = None
    unknown_critical: bool = False


def issue(subject: x509.Name, key, issuer: Cert | None, spec: Spec) -> Cert:
    """A v3 certificate for `key`, signed by `issuer` (None: self-signed)."""
    signer_key = key if issuer is None else issuer.key
    issuer_name = subject if issuer is None else issuer.subject
    pub = key.public_key()
    b = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(pub)
        .serial_number(next_serial())
        .not_valid_before(spec.not_before)
        .not_valid_after(spec.not_after)
    )
    if spec.ca is not None:
        b = b.add_extension(
            x509.BasicConstraints(ca=spec.ca, path_length=spec.path_len if spec.ca else None),
            critical=True,
        )
    if spec.key_usage is not None:
        certsign = spec.ca and spec.key_usage == "default"
        b = b.add_extension(
            x509.KeyUsage(
                digital_signature=not certsign,
                key_cert_sign=certsign,
                crl_sign=bool(spec.ca) and spec.key_usage != "signature",
                content_commitment=False,
                key_encipherment=(
                    not spec.ca
                    and spec.key_usage == "default"
                    and isinstance(pub, rsa.RSAPublicKey)
                ),
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    eku = spec.eku
    if eku == "default":
        eku = None if spec.ca else [ExtendedKeyUsageOID.SERVER_AUTH]
    if eku is not None:
        b = b.add_extension(x509.ExtendedKeyUsage(eku), critical=False)
    if spec.san is not None:
        b = b.add_extension(x509.SubjectAlternativeName(spec.san), critical=False)
    if spec.ski:
        b = b.add_extension(x509.SubjectKeyIdentifier.from_public_key(pub), critical=False)
    if spec.aki is not False and issuer is not None:
        if spec.aki is True:
            aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key())
        else:
            aki = x509.AuthorityKeyIdentifier(spec.aki, None, None)
        b = b.add_extension(aki, critical=False)
    if spec.name_constraints is not None:
        b = b.add_extension(spec.name_constraints, critical=True)
    if spec.unknown_critical:
        b = b.add_extension(x509.UnrecognizedExtension(UNKNOWN_OID, b"\x05\x00"), critical=True)
    if isinstance(spec.hash, hashes.SHA1):
        # cryptography refuses to sign certificates with SHA-1 any more.
        cert = b.sign(signer_key, hashes.SHA256())
        return Cert(resign_sha1(cert, signer_key), key)
    return Cert(b.sign(signer_key, spec.hash), key)


# --- X.509 v1 certificates, which cryptography's builder cannot make -------


def _der(tag: int, body: bytes) -> bytes:
    n = len(body)
    if n < 0x80:
        length = bytes([n])
    else:
        raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(raw)]) + raw
    return bytes([tag]) + length + body


def _der_int(v: int) -> bytes:
    raw = v.to_bytes(v.bit_length() // 8 + 1, "big")  # a leading 0 keeps it positive
    while len(raw) > 1 and raw[0] == 0 and raw[1] < 0x80:
        raw = raw[1:]
    return _der(0x02, raw)


def _der_time(t: dt.datetime) -> bytes:
    if t.year < 2050:
        return _der(0x17, t.strftime("%y%m%d%H%M%SZ").encode())
    return _der(0x18, t.strftime("%Y%m%d%H%M%SZ").encode())


SHA256_RSA = bytes.fromhex("300d06092a864886f70d01010b0500")
SHA1_RSA = bytes.fromhex("300d06092a864886f70d0101050500")
SHA256_ECDSA = bytes.fromhex("300a06082a8648ce3d040302")


def resign_sha1(cert: x509.Certificate, signer) -> x509.Certificate:
    """The same certificate signed with sha1WithRSAEncryption: swap the
    (same-length) algorithm identifier inside the TBS and sign again."""
    assert isinstance(signer, rsa.RSAPrivateKey)
    tbs = cert.tbs_certificate_bytes
    assert tbs.count(SHA256_RSA) == 1
    tbs = tbs.replace(SHA256_RSA, SHA1_RSA)
    sig = signer.sign(tbs, padding.PKCS1v15(), hashes.SHA1())
    der = _der(0x30, tbs + SHA1_RSA + _der(0x03, b"\x00" + sig))
    out = x509.load_der_x509_certificate(der)
    assert out.signature_algorithm_oid.dotted_string == "1.2.840.113549.1.1.5"
    return out


def issue_v1(subject: x509.Name, key, issuer: Cert | None) -> Cert:
    """An X.509 v1 certificate (no version field, no extensions), by hand:
    TBSCertificate fields per RFC 5280 4.1, signed with SHA-256."""
    signer = key if issuer is None else issuer.key
    issuer_name = subject if issuer is None else issuer.subject
    alg = SHA256_RSA if isinstance(signer, rsa.RSAPrivateKey) else SHA256_ECDSA
    spki = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    tbs = _der(
        0x30,
        _der_int(next_serial())
        + alg
        + issuer_name.public_bytes()
        + _der(0x30, _der_time(VALID_FROM) + _der_time(VALID_TO))
        + subject.public_bytes()
        + spki,
    )
    if isinstance(signer, rsa.RSAPrivateKey):
        sig = signer.sign(tbs, padding.PKCS1v15(), hashes.SHA256())
    else:
        sig = signer.sign(tbs, ec.ECDSA(hashes.SHA256()))
    der = _der(0x30, tbs + alg + _der(0x03, b"\x00" + sig))
    cert = x509.load_der_x509_certificate(der)
    assert cert.version == x509.Version.v1
    return Cert(cert, key)


# --- the PKI every scenario starts from -------------------------------------


def ca(cn: str, issuer: Cert | None, key=None, **kw) -> Cert:
    return issue(name(cn), key or ec_key(), issuer, Spec(ca=True, **kw))


def leaf(issuer: Cert, host: str = HOST, key=None, san=None, **kw) -> Cert:
    if san is None:
        san = [x509.DNSName(host)]
    return issue(name(host), key or ec_key(), issuer, Spec(ca=False, san=san, **kw))


def scenarios():
    """Yield (id, description, host, served [Cert], trust [Cert])."""
    root = ca("Scenario Root CA", None, key=rsa_key())
    inter = ca("Scenario Intermediate CA", root, key=rsa_key(), path_len=0)
    lf = leaf(inter)
    other_root = ca("Unrelated Root CA", None)
    other = ca("Unrelated Intermediate CA", other_root)

    yield "good-chain", "leaf and intermediate served, root trusted", HOST, [lf, inter], [root]
    yield (
        "rsa-leaf",
        "an RSA-2048 leaf (the other leaves are ECDSA P-256), chain served, root trusted",
        HOST,
        [leaf(inter, key=rsa_key()), inter],
        [root],
    )
    yield "bundle-intermediate-only", "chain served, the bundle holds only the intermediate", HOST, [lf, inter], [inter]
    yield "bundle-root-and-intermediate", "chain served, the bundle holds root and intermediate", HOST, [lf, inter], [root, inter]
    yield "missing-intermediate", "only the leaf served, only the root trusted", HOST, [lf], [root]
    yield "leaf-only-intermediate-trusted", "only the leaf served, the bundle holds only the intermediate", HOST, [lf], [inter]
    yield "leaf-only-bundle-root-and-intermediate", "only the leaf served, the bundle holds root and intermediate", HOST, [lf], [root, inter]
    yield "bundle-is-server-cert", "chain served, the 'CA bundle' is the server's own leaf", HOST, [lf, inter], [lf]
    ss = issue(name(HOST), ec_key(), None, Spec(ca=False, san=[x509.DNSName(HOST)]))
    yield "self-signed-leaf-pinned", "a self-signed leaf (CA:FALSE) served, the same certificate trusted", HOST, [ss], [ss]
    yield "root-served", "leaf, intermediate and root served, root trusted", HOST, [lf, inter, root], [root]
    yield "unrelated-extra-cert", "leaf, intermediate and an unrelated CA certificate served", HOST, [lf, inter, other], [root]
    yield "duplicate-intermediate", "leaf and the intermediate twice served", HOST, [lf, inter, inter], [root]
    yield "unrelated-root-trusted", "chain served, the bundle holds only an unrelated root", HOST, [lf, inter], [other_root]

    # Two intermediates: root -> upper -> lower -> leaf.
    upper = ca("Scenario Upper Intermediate CA", root)
    lower = ca("Scenario Lower Intermediate CA", upper, path_len=0)
    lf2 = leaf(lower)
    yield "two-intermediates", "leaf, lower and upper intermediate served in order, root trusted", HOST, [lf2, lower, upper], [root]
    yield "wrong-order", "leaf, then the upper intermediate before the lower one", HOST, [lf2, upper, lower], [root]
    yield "reversed-chain", "leaf, then root, upper, lower: the issuers top-down", HOST, [lf2, root, upper, lower], [root]

    i1 = ca("Deep Intermediate 1", root)
    i2 = ca("Deep Intermediate 2", i1)
    i3 = ca("Deep Intermediate 3", i2)
    yield "deep-3-intermediates", "three intermediates served in order, root trusted", HOST, [leaf(i3), i3, i2, i1], [root]

    # Host names.
    yield "host-mismatch", "the leaf names www.example.test, the client asks for other.example.test", "other.example.test", [lf, inter], [root]
    wild = leaf(inter, host="*.example.test")
    yield "wildcard-match", "SAN *.example.test, client asks for www.example.test", HOST, [wild, inter], [root]
    yield "wildcard-two-labels", "SAN *.example.test, client asks for a.b.example.test", "a.b.example.test", [wild, inter], [root]
    ipl = leaf(inter, host="127.0.0.1", san=[x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    yield "ip-san", "SAN IP:127.0.0.1 only, client connects to 127.0.0.1 by address", "127.0.0.1", [ipl, inter], [root]
    cn_only = issue(name(HOST), ec_key(), inter, Spec(ca=False, san=None))
    yield "cn-only-leaf", "leaf with CN=www.example.test and no subjectAltName", HOST, [cn_only, inter], [root]

    # Cross-signing: a new root, also certified by an old root.
    old_root = ca("Old Root CA", None, key=rsa_key())
    new_key = ec_key()
    new_root = ca("New Root CA", None, key=new_key)
    cross = ca("New Root CA", old_root, key=new_key)
    cross_expired = ca("New Root CA", old_root, key=new_key, not_before=EXPIRED_FROM, not_after=EXPIRED_TO)
    ni = ca("New Intermediate CA", new_root, path_len=0)
    nl = leaf(ni)
    yield "cross-trust-old-root", "leaf, intermediate, new root cross-signed by the old root served; old root trusted", HOST, [nl, ni, cross], [old_root]
    yield "cross-trust-new-root", "leaf, intermediate, cross certificate served; new root trusted", HOST, [nl, ni, cross], [new_root]
    yield "cross-expired-trust-new-root", "the served cross certificate expired in 2021; new root trusted", HOST, [nl, ni, cross_expired], [new_root]
    yield "cross-expired-trust-old-root", "the served cross certificate expired in 2021; only the old root trusted", HOST, [nl, ni, cross_expired], [old_root]
    yield "cross-expired-trust-both", "the served cross certificate expired in 2021; old and new root trusted", HOST, [nl, ni, cross_expired], [old_root, new_root]

    # Self-issued rollover: same root name, new key; OldWithNew = new key
    # signed by the old key (RFC 4210 5.3.13).
    rname = name("Rollover Root CA")
    rold = issue(rname, rsa_key(), None, Spec(ca=True))
    rnew_key = ec_key()
    rnew = issue(rname, rnew_key, None, Spec(ca=True))
    old_with_new = issue(rname, rnew_key, rold, Spec(ca=True))
    ri = ca("Rollover Intermediate CA", rnew, path_len=0)
    rl = leaf(ri)
    yield "rollover-trust-old-root", "leaf, intermediate and the self-issued old-with-new certificate served; old root trusted", HOST, [rl, ri, old_with_new], [rold]
    yield "rollover-trust-new-root", "leaf, intermediate and the self-issued old-with-new certificate served; new root trusted", HOST, [rl, ri, old_with_new], [rnew]

    # Extended key usage.
    ic = ca("ClientAuth-only Intermediate CA", root, eku=[ExtendedKeyUsageOID.CLIENT_AUTH])
    yield "int-eku-clientauth-only", "the intermediate's EKU is clientAuth only", HOST, [leaf(ic), ic], [root]
    isv = ca("ServerAuth Intermediate CA", root, eku=[ExtendedKeyUsageOID.SERVER_AUTH])
    yield "int-eku-serverauth", "the intermediate's EKU is serverAuth", HOST, [leaf(isv), isv], [root]
    yield "leaf-eku-clientauth-only", "the leaf's EKU is clientAuth only", HOST, [leaf(inter, eku=[ExtendedKeyUsageOID.CLIENT_AUTH]), inter], [root]
    yield "leaf-no-eku", "the leaf has no extendedKeyUsage extension", HOST, [leaf(inter, eku=None), inter], [root]

    # Key identifiers.
    yield "aki-mismatch", "the leaf's authorityKeyIdentifier is not the intermediate's subjectKeyIdentifier", HOST, [leaf(inter, aki=hashlib.sha1(b"not the issuer").digest()), inter], [root]
    nroot = ca("No-KeyId Root CA", None, ski=False, aki=False)
    nint = ca("No-KeyId Intermediate CA", nroot, ski=False, aki=False)
    yield "no-aki-ski", "no certificate has an authority or subject key identifier", HOST, [leaf(nint, ski=False, aki=False), nint], [nroot]

    # Version 1 certificates.
    v1root = issue_v1(name("Version 1 Root CA"), rsa_key(), None)
    v1i = ca("Intermediate under a v1 Root", v1root)
    yield "v1-root", "the trusted root is an X.509 v1 certificate", HOST, [leaf(v1i), v1i], [v1root]
    v1int = issue_v1(name("Version 1 Intermediate CA"), ec_key(), root)
    yield "v1-intermediate", "the intermediate is an X.509 v1 certificate", HOST, [leaf(v1int), v1int], [root]

    # Path constraints.
    p0 = ca("PathLen 0 Intermediate CA", root, path_len=0)
    p0sub = ca("Below PathLen 0 Intermediate CA", p0)
    yield "pathlen0-violated", "an intermediate with pathLen 0 issued a second intermediate", HOST, [leaf(p0sub), p0sub, p0], [root]
    nc = x509.NameConstraints(permitted_subtrees=[x509.DNSName("example.test")], excluded_subtrees=None)
    ncint = ca("Constrained Intermediate CA", root, name_constraints=nc)
    yield "name-constraints-violated", "the intermediate permits example.test only; the leaf is www.other.test", "www.other.test", [leaf(ncint, host="www.other.test"), ncint], [root]
    yield "name-constraints-satisfied", "the intermediate permits example.test only; the leaf is www.example.test", HOST, [leaf(ncint), ncint], [root]

    # Weak algorithms.
    yield "sha1-leaf", "the leaf is signed with sha1WithRSAEncryption", HOST, [leaf(inter, hash=hashes.SHA1()), inter], [root]
    sha1int = ca("SHA-1 Intermediate CA", root, hash=hashes.SHA1())
    yield "sha1-intermediate", "the intermediate is signed with sha1WithRSAEncryption", HOST, [leaf(sha1int), sha1int], [root]
    sha1root = ca("SHA-1 Root CA", None, key=rsa_key(), hash=hashes.SHA1())
    sha1rooti = ca("Intermediate under a SHA-1 Root", sha1root)
    yield "sha1-root", "the trusted root's self-signature is SHA-1 (the rest SHA-256)", HOST, [leaf(sha1rooti), sha1rooti], [sha1root]
    yield "rsa1024-leaf", "the leaf's key is RSA-1024", HOST, [leaf(inter, key=rsa_key(1024)), inter], [root]
    weak = ca("RSA-1024 Intermediate CA", root, key=rsa_key(1024))
    yield "rsa1024-intermediate", "the intermediate's key is RSA-1024", HOST, [leaf(weak), weak], [root]

    # Validity (the clients use the real clock).
    xroot = ca("Expired Root CA", None, not_before=EXPIRED_FROM, not_after=EXPIRED_TO)
    xrooti = ca("Intermediate under an expired Root", xroot)
    yield "expired-root", "the trusted root expired in 2021", HOST, [leaf(xrooti), xrooti], [xroot]
    xint = ca("Expired Intermediate CA", root, not_before=EXPIRED_FROM, not_after=EXPIRED_TO)
    yield "expired-intermediate", "the intermediate expired in 2021", HOST, [leaf(xint), xint], [root]
    yield "expired-leaf", "the leaf expired in 2021", HOST, [leaf(inter, not_before=EXPIRED_FROM, not_after=EXPIRED_TO), inter], [root]
    yield "not-yet-valid-leaf", "the leaf is valid from 2100", HOST, [leaf(inter, not_before=FUTURE_FROM), inter], [root]

    # Basic constraints, key usage, critical extensions.
    yield "leaf-ca-true", "the leaf says CA:TRUE (and keyUsage digitalSignature)", HOST, [issue(name(HOST), ec_key(), inter, Spec(ca=True, key_usage="signature", eku=[ExtendedKeyUsageOID.SERVER_AUTH], san=[x509.DNSName(HOST)])), inter], [root]
    nks = ca("No-keyCertSign Intermediate CA", root, key_usage="no-certsign")
    yield "int-no-keycertsign", "the intermediate's keyUsage lacks keyCertSign", HOST, [leaf(nks), nks], [root]
    nbc = issue(name("No-BasicConstraints Intermediate CA"), ec_key(), root, Spec(ca=None, key_usage=None, eku=None))
    # key_usage=None above: a v3 "CA" with neither basicConstraints nor keyUsage.
    yield "int-no-basicconstraints", "the intermediate (v3) has no basicConstraints", HOST, [leaf(nbc), nbc], [root]
    yield "leaf-unknown-critical-ext", "the leaf carries an unknown critical extension", HOST, [leaf(inter, unknown_critical=True), inter], [root]


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = argv[1]
    os.makedirs(out, exist_ok=True)
    seen = set()
    for n, (sid, desc, host, served, trust) in enumerate(scenarios(), start=1):
        assert sid not in seen, sid
        seen.add(sid)
        d = os.path.join(out, f"{n:02d}-{sid}")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "served.pem"), "wb") as f:
            f.write(b"".join(c.pem() for c in served))
        with open(os.path.join(d, "trust.pem"), "wb") as f:
            f.write(b"".join(c.pem() for c in trust))
        key = served[0].key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        fd = os.open(os.path.join(d, "key.pem"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(key)
        meta = {"id": sid, "description": desc, "host": host, "at": None}
        with open(os.path.join(d, "scenario.json"), "w", encoding="utf-8") as f:
            json.dump(meta, f, indent=2)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
