"""The CSCA trust store: the certificates passive authentication trusts, the CRLs those CSCAs
signed, and the checks a production kiosk makes on it before it starts.

A folder (devices.csca_dir): CSCA certificates (*.pem, *.crt, *.cer, *.der; a PEM file may hold
several) and CRLs (*.crl, DER or PEM). `kiosk card trust import` fills it with verified files
(`trust_import`). A CRL counts only once its signature verifies against a CSCA of the folder.

`TrustStore.load` and `production_trust_store` read the folder (at start-up, on whichever thread
builds the reader) and block only on the file system; the rest is pure computation, any thread.
"""
from __future__ import annotations

import logging
import re
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID

from kiosk.devices.icao import messages as msg
from kiosk.devices.icao.errors import TrustStoreError
from kiosk.domain.text import Text

log = logging.getLogger(__name__)

CERT_SUFFIXES = (".pem", ".crt", ".cer", ".der")
CRL_SUFFIXES = (".crl",)
# "TEST" as a word ("TEST CSCA", "OneVisit TEST - NOT A REAL AUTHORITY", "test_ds"), not "CONTEST"
_TEST_WORD = re.compile(r"(?<![a-z0-9])test(?![a-z0-9])", re.IGNORECASE)
_MARKED_ATTRIBUTES = (NameOID.COMMON_NAME, NameOID.ORGANIZATION_NAME, NameOID.ORGANIZATIONAL_UNIT_NAME)


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 of the DER certificate, as lower-case hex (what operators compare out of band)."""
    return cert.fingerprint(hashes.SHA256()).hex()


def is_test_certificate(cert: x509.Certificate) -> bool:
    """Whether the subject's CN, O or OU says TEST (a test PKI's, whose keys are not secret)."""
    return any(_TEST_WORD.search(str(a.value)) for oid in _MARKED_ATTRIBUTES
               for a in cert.subject.get_attributes_for_oid(oid))


def country_of(name: x509.Name) -> str | None:
    attrs = name.get_attributes_for_oid(NameOID.COUNTRY_NAME)
    return str(attrs[0].value).upper() if len(attrs) == 1 else None


def read_certificates(raw: bytes) -> list[x509.Certificate]:
    """Every certificate of a PEM file, or the one of a DER file. Raises ValueError."""
    if b"-----BEGIN CERTIFICATE-----" in raw:
        return x509.load_pem_x509_certificates(raw)
    return [x509.load_der_x509_certificate(raw)]


def read_crl(raw: bytes) -> x509.CertificateRevocationList:
    """A CRL, PEM or DER. Raises ValueError."""
    if b"-----BEGIN X509 CRL-----" in raw:
        return x509.load_pem_x509_crl(raw)
    return x509.load_der_x509_crl(raw)


class TrustStore:
    """CSCA certificates (with the file each came from) and the CRLs each CSCA signed."""

    def __init__(self, certificates: list[x509.Certificate], source: str = "",
                 files: dict[str, str] | None = None) -> None:
        self.certificates = list(certificates)
        self.source = source
        self._files = files or {}                                     # fingerprint -> file name
        self._crls: dict[str, list[x509.CertificateRevocationList]] = {}   # CSCA fingerprint -> its CRLs

    @classmethod
    def load(cls, folder: Path | None) -> TrustStore:
        """Read the folder; None (no trust store configured) gives an empty store."""
        if folder is None:
            return cls([], "")
        store = cls([], str(folder))
        if not folder.is_dir():
            log.warning("trust store folder %s does not exist: no document will be trusted", folder)
            return store
        crls: list[tuple[str, bytes]] = []
        for path in sorted(folder.iterdir()):
            suffix = path.suffix.lower()
            if suffix not in CERT_SUFFIXES + CRL_SUFFIXES:
                continue
            raw = path.read_bytes()
            if suffix in CRL_SUFFIXES or b"-----BEGIN X509 CRL-----" in raw:
                crls.append((path.name, raw))
                continue
            try:
                for cert in read_certificates(raw):
                    store.add_certificate(cert, path.name)
            except (ValueError, x509.InvalidVersion):
                log.warning("trust store: %s is not a certificate; skipped", path.name)
        for name, raw in crls:
            try:
                issuer = store.add_crl(read_crl(raw))
            except (ValueError, x509.InvalidVersion):
                issuer = None
            if issuer is None:
                log.warning("trust store: %s is not a CRL signed by a CSCA of this store; skipped", name)
        return store

    def add_certificate(self, cert: x509.Certificate, file: str = "") -> None:
        self.certificates.append(cert)
        self._files[fingerprint(cert)] = file

    def add_crl(self, crl: x509.CertificateRevocationList) -> x509.Certificate | None:
        """Attach the CRL to the CSCA whose key signed it; that CSCA, or None (nothing attached)."""
        for csca in self.certificates:
            try:
                signed = csca.subject == crl.issuer and crl.is_signature_valid(csca.public_key())  # type: ignore[arg-type]
                signed = signed and bool(crl.last_update_utc)      # fields are parsed lazily: read them now
            except Exception:  # noqa: BLE001 - malformed fields, unsupported keys: not a CRL we can use
                signed = False
            if signed:
                self._crls.setdefault(fingerprint(csca), []).append(crl)
                return csca
        return None

    @property
    def is_empty(self) -> bool:
        return not self.certificates

    def file_of(self, cert: x509.Certificate) -> str:
        return self._files.get(fingerprint(cert), "")

    def issuers_of(self, cert: x509.Certificate) -> list[x509.Certificate]:
        return [c for c in self.certificates if c.subject == cert.issuer]

    def crls_of(self, csca: x509.Certificate) -> list[x509.CertificateRevocationList]:
        return list(self._crls.get(fingerprint(csca), ()))

    def revoked(self, cert: x509.Certificate, csca: x509.Certificate) -> bool:
        """Whether a CRL of `csca` lists `cert`. A CRL past its nextUpdate still counts: a
        revocation is never undone, and an out-of-date list is better than none."""
        return any(crl.get_revoked_certificate_by_serial_number(cert.serial_number) is not None
                   for crl in self.crls_of(csca))

    def stale_crls(self, when: datetime) -> list[tuple[x509.Certificate, datetime]]:
        """(CSCA, nextUpdate) for each CSCA whose newest CRL is past its nextUpdate."""
        stale = []
        for csca in self.certificates:
            crls = self.crls_of(csca)
            if not crls:
                continue
            newest = max(crls, key=lambda c: c.last_update_utc)
            if newest.next_update_utc is not None and newest.next_update_utc < when:
                stale.append((csca, newest.next_update_utc))
        return stale

    def test_certificates(self) -> list[tuple[str, x509.Certificate]]:
        """(file, certificate) of each certificate marked TEST."""
        return [(self.file_of(c), c) for c in self.certificates if is_test_certificate(c)]


def production_trust_store(folder: Path | None, when: datetime) -> tuple[TrustStore, tuple[Text, ...]]:
    """The trust store of a kiosk with a real card reader, and what staff should be told about it.

    Raises TrustStoreError naming the file and subject when the folder holds a TEST certificate:
    whoever holds that test PKI's Document Signer key (it is in this repository) could make a
    forged chip read as genuine. An empty store starts, but with a warning for staff: no document
    can pass, so every citizen would be sent to the counter."""
    store = TrustStore.load(folder)
    marked = store.test_certificates()
    if marked:
        file, cert = marked[0]
        raise TrustStoreError(
            f"the CSCA trust store {store.source} (devices.csca_dir, ONEVISIT_DEVICES_CSCA_DIR) holds a TEST "
            f"certificate, {file}: {cert.subject.rfc4514_string()}. Its keys are public, so forged documents "
            f"would read as genuine. Remove it (and any other TEST certificate) before using a real card reader.")
    warnings: list[Text] = []
    if store.is_empty:
        log.warning("the CSCA trust store %s is empty: no document can be verified", folder or "(not configured)")
        warnings.append(msg.TRUST_STORE_EMPTY)
    for csca, next_update in store.stale_crls(when):
        log.warning("the CRL of %s was due for renewal on %s", csca.subject.rfc4514_string(), next_update.date())
        warnings.append(msg.CRL_OUT_OF_DATE.format(country=country_of(csca.subject) or "?",
                                                   date=next_update.date().isoformat()))
    return store, tuple(warnings)
