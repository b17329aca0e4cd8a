"""ICAO PKI checks beyond the signature: the CSCA must be the issuing state's, CRLs revoke Document
Signers, and master lists add CSCAs only when signed under a CSCA already trusted. Every PKI here
is made in the test (cryptography + asn1crypto); documents are the virtual eMRTD read in-process.
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import cms
from asn1crypto import x509 as ax509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kiosk.cli import main as kiosk_main
from kiosk.devices.icao.mrz import MrzKey
from kiosk.devices.icao.reader import read_document
from kiosk.devices.icao.sod import TrustStore
from testkit.vcard import pki as test_pki
from testkit.vcard.card import VirtualPassport
from testkit.vcard.document import DocumentProfile
from testkit.vcard.transport import InProcessTransport

# ICAO 9303 part 12's object identifiers, written out here so that the code is checked against them
CSCA_MASTER_LIST_OID = "2.23.136.1.1.2"
MASTER_LIST_SIGNER_EKU = "2.23.136.1.1.3"
NOW = datetime.now(UTC)
TODAY = date.today()
KEY = MrzKey("EA1234567", "900315", "340101")


# --- a PKI made here -------------------------------------------------------------------------------
def _name(country: str, cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, country),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, f"Example {country} authority"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(subject, key, issuer, issuer_key, *, ca: bool, eku: str | None = None, days: int = 3650):
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
         .serial_number(x509.random_serial_number()).not_valid_before(NOW - timedelta(days=1))
         .not_valid_after(NOW + timedelta(days=days))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), critical=True))
    if eku:
        b = b.add_extension(x509.ExtendedKeyUsage([x509.ObjectIdentifier(eku)]), critical=False)
    return b.sign(issuer_key, hashes.SHA256())


@dataclass(frozen=True)
class Pki(test_pki.CardPki):
    csca_key: Any = None             # kept here (the shipped TEST PKI threw its away) for CRLs and signers


def make_pki(country: str) -> Pki:
    """A CSCA of `country` with a Document Signer, in the shape the virtual card signs with."""
    csca_key, ds_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    csca_name = _name(country, f"CSCA {country}")
    csca = _cert(csca_name, csca_key, csca_name, csca_key, ca=True)
    ds = _cert(_name(country, f"Document Signer {country}"), ds_key, csca_name, csca_key, ca=False)
    shipped = test_pki.default()
    return Pki(csca, ds_key, ds, shipped.aa_key, shipped.aa_rsa_key, csca_key)


def make_crl(p, revoked_serials=(), *, next_update: timedelta = timedelta(days=30), last_update=None,
             signer_key=None) -> x509.CertificateRevocationList:
    b = (x509.CertificateRevocationListBuilder().issuer_name(p.csca_cert.subject)
         .last_update(last_update or NOW - timedelta(hours=1)).next_update(NOW + next_update))
    for serial in revoked_serials:
        b = b.add_revoked_certificate(x509.RevokedCertificateBuilder().serial_number(serial)
                                      .revocation_date(NOW - timedelta(hours=2)).build())
    return b.sign(signer_key or p.csca_key, hashes.SHA256())


def make_master_list(issuer_pki, certs, *, eku: str | None = MASTER_LIST_SIGNER_EKU, tamper: bool = False) -> bytes:
    """A CSCA master list holding `certs`, signed by a Master List Signer that `issuer_pki`'s CSCA issued."""
    from kiosk.devices.icao.masterlist import CscaMasterList
    key = ec.generate_private_key(ec.SECP256R1())
    country = issuer_pki.csca_cert.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value
    signer = _cert(_name(country, "Master List Signer"), key, issuer_pki.csca_cert.subject, issuer_pki.csca_key,
                   ca=False, eku=eku)
    content = CscaMasterList({"version": 0, "cert_list": [
        ax509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in certs]}).dump()
    attrs = cms.CMSAttributes([
        cms.CMSAttribute({"type": "content_type", "values": [CSCA_MASTER_LIST_OID]}),
        cms.CMSAttribute({"type": "message_digest", "values": [hashlib.sha256(content).digest()]}),
    ])
    signature = key.sign(attrs.dump(), ec.ECDSA(hashes.SHA256()))
    if tamper:       # a certificate slipped in after signing
        extra = make_pki("FR").csca_cert
        content = CscaMasterList({"version": 0, "cert_list": [
            ax509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in (*certs, extra)]}).dump()
    a_signer = ax509.Certificate.load(signer.public_bytes(serialization.Encoding.DER))
    signed = cms.SignedData({
        "version": "v3", "digest_algorithms": [{"algorithm": "sha256"}],
        "encap_content_info": {"content_type": CSCA_MASTER_LIST_OID, "content": cms.ParsableOctetString(content)},
        "certificates": [a_signer],
        "signer_infos": [cms.SignerInfo({
            "version": "v1",
            "sid": cms.SignerIdentifier({"issuer_and_serial_number": cms.IssuerAndSerialNumber(
                {"issuer": a_signer.issuer, "serial_number": a_signer.serial_number})}),
            "digest_algorithm": {"algorithm": "sha256"}, "signed_attrs": attrs,
            "signature_algorithm": {"algorithm": "sha256_ecdsa"}, "signature": signature})],
    })
    return cms.ContentInfo({"content_type": "signed_data", "content": signed}).dump()


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def store_with(folder: Path, *certs: x509.Certificate, crls=()) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i, c in enumerate(certs):
        (folder / f"csca{i}.pem").write_bytes(pem(c))
    for i, crl in enumerate(crls):
        (folder / f"list{i}.crl").write_bytes(crl.public_bytes(serialization.Encoding.DER))
    return folder


def read(folder: Path, p, state: str = "CHN"):
    card = VirtualPassport(DocumentProfile(state=state), pki=p)
    return read_document(InProcessTransport(card), KEY, TrustStore.load(folder), deadline=time.monotonic() + 10,
                         today=TODAY)


@pytest.fixture(scope="module")
def cn():
    return make_pki("CN")


@pytest.fixture(scope="module")
def de():
    return make_pki("DE")


# --- the issuing state must be the CSCA's country ----------------------------------------------------
def test_document_of_another_state_signed_under_a_trusted_csca_is_not_trusted(tmp_path, cn):
    folder = store_with(tmp_path / "store", cn.csca_cert)
    assert read(folder, cn, "CHN").verdicts.genuine
    v = read(folder, cn, "FRA").verdicts        # a French passport signed by China's Document Signer
    assert v.data_integrity and not v.signer_trusted and not v.genuine
    assert any("issued by FRA" in p and "CSCA of CN" in p for p in v.problems)


@pytest.mark.parametrize("state", ["D<<", "DEU"])
def test_germany_is_d_in_the_mrz_and_de_in_certificates(tmp_path, de, state):
    folder = store_with(tmp_path / "store", de.csca_cert)
    assert read(folder, de, state).verdicts.genuine


def test_unknown_issuing_state_code_is_not_trusted(tmp_path, cn):
    v = read(store_with(tmp_path / "store", cn.csca_cert), cn, "UTO").verdicts
    assert not v.signer_trusted and any("not a known ICAO code" in p for p in v.problems)


# --- CRLs --------------------------------------------------------------------------------------------
def test_document_signer_revoked_by_its_csca_is_refused(tmp_path, cn):
    crl = make_crl(cn, [cn.ds_cert.serial_number])
    v = read(store_with(tmp_path / "store", cn.csca_cert, crls=[crl]), cn).verdicts
    assert v.data_integrity and not v.signer_trusted and any("revoked" in p for p in v.problems)


def test_crl_of_other_signers_and_forged_crls_leave_the_signer_trusted(tmp_path, cn):
    from kiosk.devices.icao.trust import TrustStore
    other = make_crl(cn, [cn.ds_cert.serial_number + 1])
    forged = make_crl(cn, [cn.ds_cert.serial_number], signer_key=ec.generate_private_key(ec.SECP256R1()))
    store = TrustStore.load(store_with(tmp_path / "store", cn.csca_cert, crls=[other, forged]))
    assert len(store.crls_of(cn.csca_cert)) == 1            # the forged one is not believed
    assert read(tmp_path / "store", cn).verdicts.genuine


def test_out_of_date_crl_still_revokes_and_staff_are_told(tmp_path, cn):
    from kiosk.devices.icao.trust import production_trust_store
    stale = make_crl(cn, [cn.ds_cert.serial_number], next_update=-timedelta(days=2), last_update=NOW - timedelta(days=40))
    folder = store_with(tmp_path / "store", cn.csca_cert, crls=[stale])
    assert not read(folder, cn).verdicts.signer_trusted
    _store, warnings = production_trust_store(folder, NOW)
    assert len(warnings) == 1 and "CN" in warnings[0].en and "renewal" in warnings[0].en
    stale_empty = make_crl(cn, [], next_update=-timedelta(days=2), last_update=NOW - timedelta(days=40))
    (folder / "list0.crl").write_bytes(stale_empty.public_bytes(serialization.Encoding.DER))
    v = read(folder, cn).verdicts            # nothing revoked, list out of date: trusted, with a note
    assert v.genuine and any("due for renewal" in p for p in v.problems)


# --- importing ---------------------------------------------------------------------------------------
def test_csca_certificate_is_imported_only_with_its_fingerprint(tmp_path, cn):
    from kiosk.devices.icao.errors import TrustStoreError
    from kiosk.devices.icao.trust import fingerprint
    from kiosk.devices.icao.trust_import import import_file
    src, folder = tmp_path / "cn.pem", tmp_path / "store"
    src.write_bytes(pem(cn.csca_cert))
    with pytest.raises(TrustStoreError) as err:
        import_file(src, folder)
    assert fingerprint(cn.csca_cert) in str(err.value) and not folder.exists()
    done = import_file(src, folder, fingerprints=[":".join(fingerprint(cn.csca_cert).upper()[i:i + 2]
                                                           for i in range(0, 64, 2))])
    assert done.kind == "CSCA certificate" and len(done.written) == 1
    assert read(folder, cn).verdicts.genuine


def test_test_certificates_and_non_ca_certificates_are_refused(tmp_path, cn):
    from kiosk.devices.icao.errors import TrustStoreError
    from kiosk.devices.icao.trust import fingerprint
    from kiosk.devices.icao.trust_import import import_file
    shipped = test_pki.default()
    for cert, why in ((shipped.csca_cert, "TEST"), (cn.ds_cert, "not a CA")):
        src = tmp_path / "c.pem"
        src.write_bytes(pem(cert))
        with pytest.raises(TrustStoreError, match=why):
            import_file(src, tmp_path / "store", fingerprints=[fingerprint(cert)])
    src.write_bytes(pem(shipped.csca_cert))
    assert import_file(src, tmp_path / "store", fingerprints=[fingerprint(shipped.csca_cert)], allow_test=True).written


def test_crl_import_needs_its_csca_and_never_goes_backwards(tmp_path, cn):
    from kiosk.devices.icao.errors import TrustStoreError
    from kiosk.devices.icao.trust_import import import_file
    folder = store_with(tmp_path / "store", cn.csca_cert)
    newer = make_crl(cn, [cn.ds_cert.serial_number])
    older = make_crl(cn, [], last_update=NOW - timedelta(days=10))
    forged = make_crl(cn, [], signer_key=ec.generate_private_key(ec.SECP256R1()))
    for crl, name in ((newer, "new.crl"), (older, "old.pem"), (forged, "forged.crl")):
        (tmp_path / name).write_bytes(crl.public_bytes(serialization.Encoding.PEM if name.endswith("pem")
                                                       else serialization.Encoding.DER))
    with pytest.raises(TrustStoreError, match="no CSCA in the trust store signed"):
        import_file(tmp_path / "forged.crl", folder)
    assert import_file(tmp_path / "new.crl", folder).kind == "CRL"
    with pytest.raises(TrustStoreError, match="older"):
        import_file(tmp_path / "old.pem", folder)
    assert not read(folder, cn).verdicts.signer_trusted            # the imported CRL revokes


def test_master_list_signed_under_a_trusted_csca_adds_its_cscas(tmp_path, cn, de):
    from kiosk.devices.icao.trust_import import import_file
    folder = store_with(tmp_path / "store", de.csca_cert)
    ml = tmp_path / "DE_masterlist.ml"
    ml.write_bytes(make_master_list(de, [de.csca_cert, cn.csca_cert]))
    assert not read(folder, cn).verdicts.signer_trusted
    done = import_file(ml, folder)
    assert done.kind == "master list" and len(done.written) == 1 and any("already" in n for n in done.notes)
    assert read(folder, cn).verdicts.genuine


@pytest.mark.parametrize("case, why", [
    ("untrusted", "not in the trust store"),
    ("impostor", "does not verify under the trust store's"),
    ("no_eku", "not for signing master lists"),
    ("tampered", "signature does not verify"),
])
def test_master_lists_that_do_not_verify_are_refused(tmp_path, cn, de, case, why):
    from kiosk.devices.icao.errors import TrustStoreError
    from kiosk.devices.icao.trust_import import import_file
    folder = store_with(tmp_path / "store", de.csca_cert)
    # "impostor": a CSCA named like the trusted one, with another key
    issuer = {"untrusted": make_pki("FR"), "impostor": make_pki("DE")}.get(case, de)
    raw = make_master_list(issuer, [cn.csca_cert], eku=None if case == "no_eku" else MASTER_LIST_SIGNER_EKU,
                           tamper=case == "tampered")
    (tmp_path / "x.ml").write_bytes(raw)
    with pytest.raises(TrustStoreError, match=why):
        import_file(tmp_path / "x.ml", folder)
    assert sorted(p.name for p in folder.iterdir()) == ["csca0.pem"]


def test_cli_imports_what_verifies_and_names_what_it_refuses(tmp_path, cn, de, capsys):
    from kiosk.devices.icao.trust import fingerprint
    folder = tmp_path / "store"
    (tmp_path / "de.pem").write_bytes(pem(de.csca_cert))
    (tmp_path / "de.ml").write_bytes(make_master_list(de, [cn.csca_cert]))
    (tmp_path / "junk.der").write_bytes(b"\x30\x03\x02\x01\x00")
    code = kiosk_main(["card", "trust", "import", "--trust-store", str(folder), "--fingerprint",
                       fingerprint(de.csca_cert), str(tmp_path / "de.pem"), str(tmp_path / "de.ml"),
                       str(tmp_path / "junk.der")])
    out = capsys.readouterr()
    assert code == 1
    assert "REFUSED" in out.err and "junk.der" in out.err and "not a certificate, a CRL or a CSCA master list" in out.err
    assert "de.ml (master list)" in out.out
    assert read(folder, cn).verdicts.genuine
    assert kiosk_main(["card", "trust", "list", "--trust-store", str(folder)]) == 0
    assert "CSCA CN" in capsys.readouterr().out


def test_cli_without_a_configured_trust_store_says_so(capsys, monkeypatch):
    monkeypatch.delenv("ONEVISIT_DEVICES_CSCA_DIR", raising=False)
    assert kiosk_main(["card", "trust", "list"]) == 2
    assert "devices.csca_dir" in capsys.readouterr().err


def test_empty_trust_store_is_a_staff_warning(tmp_path):
    from kiosk.devices.icao import messages as msg
    from kiosk.devices.icao.trust import production_trust_store
    store, warnings = production_trust_store(None, NOW)
    assert store.is_empty and warnings == (msg.TRUST_STORE_EMPTY,)


def test_damaged_master_lists_and_crls_are_refused_with_a_clear_error(tmp_path, cn, de):
    """Whatever the bytes (cut or flipped), an import is refused with TrustStoreError and the store is untouched."""
    import random

    from kiosk.devices.icao.errors import TrustStoreError
    from kiosk.devices.icao.trust import fingerprint
    from kiosk.devices.icao.trust_import import import_file

    folder = store_with(tmp_path / "store", de.csca_cert)
    seeds = [make_master_list(de, [cn.csca_cert]), make_crl(de).public_bytes(serialization.Encoding.DER)]
    rng = random.Random(9303)
    flipped: list[str] = []
    for _ in range(int(__import__("os").environ.get("ICAO_FUZZ_EXAMPLES", "300"))):
        data = bytearray(rng.choice(seeds))
        if rng.random() < 0.5:
            del data[rng.randrange(1, len(data)):]
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        (tmp_path / "x").write_bytes(bytes(data))
        try:
            done = import_file(tmp_path / "x", folder)
        except TrustStoreError:
            continue
        flipped.append(done.kind)
    # a flip in what the signature does not cover (e.g. a CMS version number) may still verify: then
    # exactly what was signed comes in, and nothing else ever does
    signed_in = {"csca0.pem", f"CSCA-CN-{fingerprint(cn.csca_cert)[:16]}.pem", f"CRL-DE-{fingerprint(de.csca_cert)[:16]}.crl"}
    assert {p.name for p in folder.iterdir()} <= signed_in
