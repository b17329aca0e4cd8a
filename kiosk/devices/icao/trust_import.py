"""Adding to the CSCA trust store (what `kiosk card trust import` does): each file is verified,
then copied into the store folder under a name of ours. Refused files leave the store as it was.

- a CSCA certificate (PEM or DER): only with its SHA-256 fingerprint given by the operator, who
  checked it out of band (a certificate cannot vouch for itself);
- a CRL (PEM or DER): only when a CSCA of the store signed it, and not older than the one kept;
- a CSCA master list (ICAO 9303 part 12): only when its signer chains to a CSCA of the store;
  its CA certificates are added.
TEST certificates are refused unless `allow_test` (the demo's and tests' stores).

Runs on the command line's main thread; blocks on the file system only.
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from kiosk.devices.icao.errors import TrustStoreError
from kiosk.devices.icao.masterlist import looks_like_master_list, verify_master_list
from kiosk.devices.icao.trust import (TrustStore, country_of, fingerprint, is_test_certificate, read_certificates,
                                      read_crl)


@dataclass(frozen=True)
class Imported:
    kind: str                      # "CSCA certificate", "CRL" or "master list"
    written: tuple[str, ...]       # file names added to (or replaced in) the store
    notes: tuple[str, ...] = ()    # what was left out, and why


def normalise_fingerprint(text: str) -> str:
    return "".join(c for c in text.lower() if c in "0123456789abcdef")


def import_file(path: Path, store_dir: Path, *, fingerprints: Iterable[str] = (), allow_test: bool = False,
                when: datetime | None = None) -> Imported:
    """Verify `path` and copy what it holds into `store_dir`. Raises TrustStoreError saying why not."""
    when = when or datetime.now(UTC)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise TrustStoreError(f"cannot read it: {exc.strerror}") from None
    store = TrustStore.load(store_dir if store_dir.is_dir() else None)
    try:
        return _import(raw, store_dir, store, fingerprints, allow_test, when)
    except TrustStoreError:
        raise
    except (ValueError, x509.InvalidVersion) as exc:    # e.g. a PEM file whose body is not what its armour says
        raise TrustStoreError(f"malformed: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - cryptography parses fields lazily; hostile ones raise KeyError and more
        raise TrustStoreError(f"malformed ({type(exc).__name__})") from None


def _import(raw: bytes, store_dir: Path, store: TrustStore, fingerprints: Iterable[str], allow_test: bool,
            when: datetime) -> Imported:
    if b"-----BEGIN CERTIFICATE-----" in raw:
        return _certificates(read_certificates(raw), store_dir, store, fingerprints, allow_test, when)
    if b"-----BEGIN X509 CRL-----" in raw:
        return _crl(read_crl(raw), store_dir, store, when)
    try:
        cert = x509.load_der_x509_certificate(raw)
    except (ValueError, x509.InvalidVersion):
        pass
    else:
        return _certificates([cert], store_dir, store, fingerprints, allow_test, when)
    try:
        crl = x509.load_der_x509_crl(raw)
    except (ValueError, x509.InvalidVersion):
        pass
    else:
        return _crl(crl, store_dir, store, when)
    if looks_like_master_list(raw):
        return _master_list(raw, store_dir, store, allow_test, when)
    raise TrustStoreError("not a certificate, a CRL or a CSCA master list")


def _certificates(certs: list[x509.Certificate], store_dir: Path, store: TrustStore, fingerprints: Iterable[str],
                  allow_test: bool, when: datetime) -> Imported:
    wanted = {normalise_fingerprint(f) for f in fingerprints}
    for cert in certs:       # all or nothing: the file is refused as a whole
        fp = fingerprint(cert)
        if fp not in wanted:
            raise TrustStoreError(
                f"{cert.subject.rfc4514_string()} has SHA-256 fingerprint {fp}. Compare it with the one the "
                f"issuing state publishes, then import with --fingerprint {fp}")
        problem = _unusable(cert, allow_test, when)
        if problem:
            raise TrustStoreError(f"{cert.subject.rfc4514_string()}: {problem}")
    written, notes = _add(certs, store_dir, store)
    return Imported("CSCA certificate", written, notes)


def _unusable(cert: x509.Certificate, allow_test: bool, when: datetime) -> str | None:
    if is_test_certificate(cert) and not allow_test:
        return "a TEST certificate (its keys are public); not for a real trust store"
    try:
        if not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
            return "not a CA certificate"
    except x509.ExtensionNotFound:
        return "not a CA certificate (no basic constraints)"
    if not cert.not_valid_before_utc <= when <= cert.not_valid_after_utc:
        return f"outside its validity ({cert.not_valid_before_utc.date()} to {cert.not_valid_after_utc.date()})"
    if country_of(cert.subject) is None:
        return "no country (C) in its subject, so no document could be tied to it"
    return None


def _add(certs: Iterable[x509.Certificate], store_dir: Path, store: TrustStore) -> tuple[tuple[str, ...], tuple[str, ...]]:
    have = {fingerprint(c) for c in store.certificates}
    written, notes = [], []
    for cert in certs:
        fp = fingerprint(cert)
        if fp in have:
            notes.append(f"already in the trust store: {cert.subject.rfc4514_string()}")
            continue
        name = f"CSCA-{country_of(cert.subject) or 'XX'}-{fp[:16]}.pem"
        _write(store_dir / name, cert.public_bytes(serialization.Encoding.PEM))
        have.add(fp)
        written.append(name)
    return tuple(written), tuple(notes)


def _crl(crl: x509.CertificateRevocationList, store_dir: Path, store: TrustStore, when: datetime) -> Imported:
    csca = store.add_crl(crl)
    if csca is None:
        raise TrustStoreError(f"no CSCA in the trust store signed this CRL (issuer {crl.issuer.rfc4514_string()}); "
                              f"import that CSCA first")
    older = [c for c in store.crls_of(csca) if c is not crl and c.last_update_utc > crl.last_update_utc]
    if older:
        raise TrustStoreError(f"older ({crl.last_update_utc.date()}) than the CRL of that CSCA already in the store "
                              f"({older[0].last_update_utc.date()})")
    name = f"CRL-{country_of(csca.subject) or 'XX'}-{fingerprint(csca)[:16]}.crl"
    _write(store_dir / name, crl.public_bytes(serialization.Encoding.DER))
    notes: tuple[str, ...] = ()
    if crl.next_update_utc is not None and crl.next_update_utc < when:
        notes = (f"this CRL was already due for renewal on {crl.next_update_utc.date()}: get a newer one",)
    return Imported("CRL", (name,), notes)


def _master_list(raw: bytes, store_dir: Path, store: TrustStore, allow_test: bool, when: datetime) -> Imported:
    listed = verify_master_list(raw, store, when)
    usable, notes = [], []
    for cert in listed.certificates:
        problem = _unusable(cert, allow_test, when)
        if problem:
            notes.append(f"left out {cert.subject.rfc4514_string()}: {problem}")
        else:
            usable.append(cert)
    written, already = _add(usable, store_dir, store)
    return Imported("master list", written, tuple(notes) + already)


def _write(path: Path, data: bytes) -> None:
    """Whole file or nothing: a reader starting meanwhile never sees half a certificate."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
