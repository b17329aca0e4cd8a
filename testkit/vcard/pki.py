"""The test PKI of the virtual card: a TEST CSCA, a TEST Document Signer under it and a TEST Active
Authentication key (`python -m testkit.vcard.pki` regenerates them). The card's TEST-ONLY keys live
in testkit/pki/test-card, outside every production path; only the CSCA's certificate lives in
testkit/pki/csca (never a product path: production trust stores start empty).

The CSCA's private key is thrown away after issuing the Document Signer; only the keys the virtual
card needs are kept, in files named TEST-ONLY-*. Also makes, on demand, a Document Signer under an
unknown CSCA (for the "untrusted signer" misbehaviour). Pure computation plus file reads/writes;
any thread.
"""
from __future__ import annotations

import argparse
import functools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID


CSCA_DIR = Path(__file__).resolve().parent.parent / "pki" / "csca"   # the TEST CSCA: the demo and the tests trust it, nothing else
CARD_KEYS_DIR = Path(__file__).resolve().parents[1] / "pki" / "test-card"   # TEST keys of the virtual card
DS_KEY, DS_CERT = "TEST-ONLY-document-signer.key.pem", "TEST-ONLY-document-signer.cert.pem"
AA_KEY, AA_RSA_KEY = "TEST-ONLY-active-auth-ec.key.pem", "TEST-ONLY-active-auth-rsa.key.pem"
CSCA_CERT = "TEST-CSCA-onevisit.cert.pem"


@dataclass(frozen=True)
class CardPki:
    csca_cert: x509.Certificate
    ds_key: ec.EllipticCurvePrivateKey
    ds_cert: x509.Certificate
    aa_key: ec.EllipticCurvePrivateKey
    aa_rsa_key: rsa.RSAPrivateKey


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "OneVisit Kiosk TEST - NOT A REAL AUTHORITY"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _issue(subject: x509.Name, key, issuer: x509.Name, issuer_key, *, ca: bool, days: int,
           start: datetime) -> x509.Certificate:
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
         .serial_number(x509.random_serial_number()).not_valid_before(start)
         .not_valid_after(start + timedelta(days=days))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), critical=True)
         .add_extension(x509.KeyUsage(digital_signature=not ca, content_commitment=False, key_encipherment=False,
                                      data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                                      encipher_only=False, decipher_only=False), critical=True)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False))
    return b.sign(issuer_key, hashes.SHA256())


def generate(cn_suffix: str = "") -> CardPki:
    """A fresh CSCA (valid 20 years from a day ago) with a Document Signer (valid 12 years) and AA keys."""
    start = datetime.now(UTC) - timedelta(days=1)
    csca_key = ec.generate_private_key(ec.SECP384R1())
    csca_name = _name(f"TEST CSCA{cn_suffix}")
    csca = _issue(csca_name, csca_key, csca_name, csca_key, ca=True, days=20 * 365, start=start)
    ds_key = ec.generate_private_key(ec.SECP256R1())
    ds = _issue(_name(f"TEST Document Signer{cn_suffix}"), ds_key, csca_name, csca_key, ca=False, days=12 * 365,
                start=start)
    return CardPki(csca, ds_key, ds, ec.generate_private_key(ec.SECP256R1()),
                   rsa.generate_private_key(public_exponent=65537, key_size=1024))


def _pem_key(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def write(pki: CardPki, csca_dir: Path = CSCA_DIR, cards: Path = CARD_KEYS_DIR) -> None:
    csca_dir.mkdir(parents=True, exist_ok=True)
    cards.mkdir(parents=True, exist_ok=True)
    (csca_dir / CSCA_CERT).write_bytes(pki.csca_cert.public_bytes(serialization.Encoding.PEM))
    (cards / DS_CERT).write_bytes(pki.ds_cert.public_bytes(serialization.Encoding.PEM))
    (cards / DS_KEY).write_bytes(_pem_key(pki.ds_key))
    (cards / AA_KEY).write_bytes(_pem_key(pki.aa_key))
    (cards / AA_RSA_KEY).write_bytes(_pem_key(pki.aa_rsa_key))


def load(csca_dir: Path = CSCA_DIR, cards: Path = CARD_KEYS_DIR) -> CardPki:
    def key(name: str):
        return serialization.load_pem_private_key((cards / name).read_bytes(), None)

    return CardPki(x509.load_pem_x509_certificate((csca_dir / CSCA_CERT).read_bytes()), key(DS_KEY),
                   x509.load_pem_x509_certificate((cards / DS_CERT).read_bytes()), key(AA_KEY), key(AA_RSA_KEY))


@functools.lru_cache(maxsize=1)
def default() -> CardPki:
    """The test PKI in the repository (testkit/pki/csca and testkit/pki/test-card)."""
    return load()


@functools.lru_cache(maxsize=1)
def unknown() -> CardPki:
    """A PKI whose CSCA is in no trust store (made once per process)."""
    return generate(" (UNKNOWN, untrusted)")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Regenerate the virtual card's TEST PKI")
    p.add_argument("--out", type=Path, help="write csca/ and test-card/ under this folder instead "
                   "(default: testkit/pki/csca and testkit/pki/test-card)")
    args = p.parse_args(argv)
    if args.out:
        write(generate(), args.out / "csca", args.out / "test-card")
    else:
        write(generate())
    print(f"wrote the TEST PKI to {args.out or f'{CSCA_DIR} and {CARD_KEYS_DIR}'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
