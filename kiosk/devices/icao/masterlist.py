"""CSCA master lists (ICAO 9303 part 12): a CMS SignedData whose content (id-icao-cscaMasterList)
is a set of CSCA certificates, signed by a Master List Signer whose certificate carries the
extended key usage id-icao-cscaMasterListSigningKey and was issued by a CSCA.

A master list is believed only when its signer chains to a CSCA already in the trust store (added
by the operator after checking its fingerprint out of band): a list that vouches for itself would
let anyone add a CSCA. Pure computation; any thread.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from asn1crypto import cms, core, pem
from asn1crypto import x509 as ax509
from cryptography import x509

from kiosk.devices.icao.errors import TrustStoreError
from kiosk.devices.icao.sod import signer_fields, verify_signature
from kiosk.devices.icao.trust import TrustStore

CSCA_MASTER_LIST_OID = "2.23.136.1.1.2"
MASTER_LIST_SIGNER_EKU = "2.23.136.1.1.3"      # id-icao-cscaMasterListSigningKey


class _Certificates(core.SetOf):
    _child_spec = ax509.Certificate


class CscaMasterList(core.Sequence):
    _fields: ClassVar[list[tuple[Any, ...]]] = [("version", core.Integer), ("cert_list", _Certificates)]


@dataclass(frozen=True)
class _Signed:
    """The fields `verify_signature` reads."""

    econtent: bytes = field(repr=False)
    digest_algorithm: str
    message_digest: bytes | None
    signed_attrs: bytes | None
    signature: bytes
    signature_algorithm: str
    pss_salt: int | None
    pss_hash: str | None


@dataclass(frozen=True)
class MasterList:
    certificates: tuple[x509.Certificate, ...]    # every certificate the list holds, as listed
    signer: x509.Certificate                       # the Master List Signer
    csca: x509.Certificate                         # the trusted CSCA that issued the signer


def looks_like_master_list(raw: bytes) -> bool:
    """Whether `raw` is CMS content of type id-icao-cscaMasterList (no signature checked)."""
    try:
        return _signed_data(raw)["encap_content_info"]["content_type"].dotted == CSCA_MASTER_LIST_OID
    except Exception:  # noqa: BLE001 - asn1crypto raises many types on other data
        return False


def _signed_data(raw: bytes) -> cms.SignedData:
    if pem.detect(raw):
        _kind, _headers, raw = pem.unarmor(raw)
    info = cms.ContentInfo.load(raw, strict=True)
    if info["content_type"].native != "signed_data":
        raise TrustStoreError("not CMS SignedData")
    return info["content"]


def verify_master_list(raw: bytes, trust: TrustStore, when: datetime) -> MasterList:
    """The certificates of a master list whose signer a CSCA of `trust` issued. Raises
    TrustStoreError saying what is wrong (malformed, bad signature, untrusted or revoked signer)."""
    try:
        signed = _signed_data(raw)
        encap = signed["encap_content_info"]
        if encap["content_type"].dotted != CSCA_MASTER_LIST_OID:
            raise TrustStoreError("not a CSCA master list (content type is not id-icao-cscaMasterList)")
        econtent = encap["content"].contents
        listed = CscaMasterList.load(econtent, strict=True)
        certificates = tuple(x509.load_der_x509_certificate(c.dump()) for c in listed["cert_list"])
        infos = signed["signer_infos"]
        if len(infos) != 1:
            raise TrustStoreError(f"a master list has one signer, this one {len(infos)}")
        si = infos[0]
        for attr in si["signed_attrs"]:
            if attr["type"].native == "content_type" and attr["values"][0].dotted != CSCA_MASTER_LIST_OID:
                raise TrustStoreError("the signed content type is not a master list")
        fields = _Signed(econtent, **signer_fields(si))
        signer = _signer(signed, si)
    except TrustStoreError:
        raise
    except Exception as exc:  # noqa: BLE001 - hostile bytes: one clear refusal, whatever asn1crypto raised
        raise TrustStoreError(f"not a well-formed CSCA master list ({type(exc).__name__})") from None
    try:
        verify_signature(fields, signer)
    except Exception as exc:  # noqa: BLE001 - InvalidSignature, ValueError, UnsupportedAlgorithm, SodError
        raise TrustStoreError(f"the master list's signature does not verify ({type(exc).__name__})") from None
    try:
        csca = _trusted_issuer(signer, trust, when)
    except TrustStoreError:
        raise
    except Exception as exc:  # noqa: BLE001 - certificate fields are parsed lazily: hostile ones raise anything
        raise TrustStoreError(f"the master list signer's certificate is malformed ({type(exc).__name__})") from None
    return MasterList(certificates, signer, csca)


def _signer(signed: cms.SignedData, si: cms.SignerInfo) -> x509.Certificate:
    sid = si["sid"]
    for choice in signed["certificates"]:
        cert = choice.chosen
        if not isinstance(cert, ax509.Certificate):
            continue
        if sid.name == "issuer_and_serial_number":
            match = (cert.issuer == sid.chosen["issuer"] and cert.serial_number == sid.chosen["serial_number"].native)
        else:
            match = cert.key_identifier == sid.chosen.native
        if match:
            return x509.load_der_x509_certificate(cert.dump())
    raise TrustStoreError("the master list does not carry its signer's certificate")


def _trusted_issuer(signer: x509.Certificate, trust: TrustStore, when: datetime) -> x509.Certificate:
    try:
        usages = signer.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        may_sign = any(u.dotted_string == MASTER_LIST_SIGNER_EKU for u in usages)
    except x509.ExtensionNotFound:
        may_sign = False
    if not may_sign:
        # otherwise any Document Signer key (there is one in every passport office) could sign a list
        raise TrustStoreError("the master list's signer certificate is not for signing master lists "
                              "(no id-icao-cscaMasterListSigningKey extended key usage)")
    issuers = trust.issuers_of(signer)
    if not issuers:
        raise TrustStoreError(f"the master list was signed under {signer.issuer.rfc4514_string()}, which is not in "
                              f"the trust store: import that CSCA first (checking its fingerprint out of band)")
    for csca in issuers:
        try:
            signer.verify_directly_issued_by(csca)
        except Exception:  # noqa: BLE001, S112 - InvalidSignature, ValueError, TypeError, ...: try the next
            continue
        for cert, what in ((csca, "CSCA"), (signer, "master list signer")):
            if not cert.not_valid_before_utc <= when <= cert.not_valid_after_utc:
                raise TrustStoreError(f"the {what} certificate is outside its validity "
                                      f"({cert.not_valid_before_utc.date()} to {cert.not_valid_after_utc.date()})")
        if trust.revoked(signer, csca):
            raise TrustStoreError("the master list signer's certificate is revoked by its CSCA's CRL")
        return csca
    raise TrustStoreError(f"the master list signer's certificate does not verify under the trust store's "
                          f"{signer.issuer.rfc4514_string()}")
