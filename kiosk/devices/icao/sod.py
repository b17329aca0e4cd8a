"""Passive authentication (ICAO 9303 part 11 §5.1): parse EF.SOD (CMS SignedData, with asn1crypto),
compare data-group hashes, verify the Document Signer's signature and its chain to a CSCA of the
trust store (`trust`), that CSCA's country against the document's issuing state, and the CSCA's
CRLs for the Document Signer.

`parse_sod`, `verify_signature` and `verify_passive` are pure computation (any thread).
"""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from asn1crypto import cms
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from kiosk.devices.icao import tlv
from kiosk.devices.icao.asn1 import LDS_SECURITY_OBJECT_OID, LdsSecurityObject
from kiosk.devices.icao.errors import ParseError, SodError
from kiosk.devices.icao.countries import certificate_country
from kiosk.devices.icao.lds import TAG_SOD
from kiosk.devices.icao.trust import TrustStore, country_of

log = logging.getLogger(__name__)

HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {
          "sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256, "sha384": hashes.SHA384,
          "sha512": hashes.SHA512}


@dataclass(frozen=True)
class Sod:
    """What passive authentication needs from EF.SOD."""

    hash_algorithm: str                      # e.g. "sha256"
    dg_hashes: Mapping[int, bytes]
    econtent: bytes = field(repr=False)      # DER of the LdsSecurityObject (what messageDigest covers)
    digest_algorithm: str = "sha256"         # of the signer info
    message_digest: bytes | None = field(default=None, repr=False)
    signed_attrs: bytes | None = field(default=None, repr=False)   # DER, re-tagged as SET, as signed
    signature: bytes = field(default=b"", repr=False)
    signature_algorithm: str = ""            # asn1crypto name: "ecdsa", "rsassa_pkcs1v15", "rsassa_pss"
    pss_salt: int | None = None
    pss_hash: str | None = None
    certificates: tuple[bytes, ...] = field(default=(), repr=False)   # DER certs carried in the SOD


def hash_of(algorithm: str, data: bytes) -> bytes:
    if algorithm not in HASHES:
        raise SodError(f"unsupported hash algorithm {algorithm}")
    return hashlib.new(algorithm, data).digest()


def parse_sod(data: bytes) -> Sod:
    """Parse EF.SOD. Raises SodError (only) when it is not a well-formed eMRTD security object."""
    try:
        return _parse(bytes(data))
    except SodError:
        raise
    except ParseError as exc:
        raise SodError(f"EF.SOD: {exc}") from None
    except Exception as exc:   # noqa: BLE001 - asn1crypto raises many types on malformed input
        raise SodError(f"EF.SOD is malformed: {type(exc).__name__}") from None


def _parse(data: bytes) -> Sod:
    content_info = cms.ContentInfo.load(tlv.unwrap(data, TAG_SOD), strict=True)
    if content_info["content_type"].native != "signed_data":
        raise SodError("EF.SOD is not CMS SignedData")
    signed = content_info["content"]
    encap = signed["encap_content_info"]
    if encap["content_type"].dotted != LDS_SECURITY_OBJECT_OID:
        raise SodError("EF.SOD does not hold an LDS security object")
    econtent = encap["content"].contents            # the OCTET STRING's value
    lso = LdsSecurityObject.load(econtent, strict=True)
    algorithm = lso["hash_algorithm"]["algorithm"].native
    if algorithm not in HASHES:
        raise SodError(f"unsupported hash algorithm {algorithm}")
    dg_hashes: dict[int, bytes] = {}
    for item in lso["data_group_hash_values"]:
        n = item["data_group_number"].native
        if not isinstance(n, int) or not 1 <= n <= 16 or n in dg_hashes:
            raise SodError("bad data group number in EF.SOD")
        dg_hashes[n] = item["data_group_hash_value"].native
    infos = signed["signer_infos"]
    if len(infos) != 1:
        raise SodError(f"EF.SOD has {len(infos)} signer infos, expected 1")
    fields = signer_fields(infos[0])
    certs = tuple(c.chosen.dump() for c in signed["certificates"]) if signed["certificates"].native else ()
    return Sod(algorithm, dg_hashes, econtent, certificates=certs, **fields)


def signer_fields(si: cms.SignerInfo) -> dict[str, Any]:
    """What `verify_signature` needs from a CMS SignerInfo, as keyword arguments of `Sod`."""
    sig_alg = si["signature_algorithm"]
    sig_name = sig_alg.signature_algo
    pss_salt = pss_hash = None
    if sig_name == "rsassa_pss":
        params = sig_alg["parameters"]
        pss_hash = params["hash_algorithm"]["algorithm"].native
        pss_salt = int(params["salt_length"].native)
    message_digest = None
    signed_attrs = None
    if si["signed_attrs"].native is not None and len(si["signed_attrs"]):
        for attr in si["signed_attrs"]:
            if attr["type"].native == "message_digest":
                message_digest = attr["values"][0].native
        raw = si["signed_attrs"].dump()
        signed_attrs = b"\x31" + raw[1:]      # signed as a SET, stored [0] IMPLICIT
    return dict(digest_algorithm=si["digest_algorithm"]["algorithm"].native, message_digest=message_digest,
                signed_attrs=signed_attrs, signature=si["signature"].native, signature_algorithm=sig_name,
                pss_salt=pss_salt, pss_hash=pss_hash)


@dataclass(frozen=True)
class PassiveAuthResult:
    data_integrity: bool                      # every read DG matches its hash, and the SOD's signature holds
    signer_trusted: bool                      # the Document Signer chains to a trusted CSCA, in validity
    mismatched: tuple[int, ...] = ()          # DGs whose hash differs
    unlisted: tuple[int, ...] = ()            # DGs read but absent from the SOD
    signer: str = ""                          # the DS certificate's subject
    csca: str = ""                            # the CSCA it chains to
    problems: tuple[str, ...] = ()            # for the operator log (no personal data)


class SignedAttributes(Protocol):
    """A CMS signer's signature over signed attributes, and the content they cover. Read-only, so
    that frozen dataclasses (Sod, a master list's signer) provide it."""

    @property
    def econtent(self) -> bytes: ...
    @property
    def digest_algorithm(self) -> str: ...
    @property
    def message_digest(self) -> bytes | None: ...
    @property
    def signed_attrs(self) -> bytes | None: ...
    @property
    def signature(self) -> bytes: ...
    @property
    def signature_algorithm(self) -> str: ...
    @property
    def pss_salt(self) -> int | None: ...
    @property
    def pss_hash(self) -> str | None: ...


def verify_signature(sod: SignedAttributes, cert: x509.Certificate) -> None:
    """Check a CMS signature over signed attributes (an EF.SOD's, or a master list's, in the same
    fields). Raises InvalidSignature/ValueError/UnsupportedAlgorithm/SodError when it fails."""
    if sod.signed_attrs is None or sod.message_digest is None:
        raise SodError("the CMS signer has no signed attributes")
    if hash_of(sod.digest_algorithm, sod.econtent) != sod.message_digest:
        raise InvalidSignature("messageDigest does not match the signed content")
    key = cert.public_key()
    h = HASHES.get(sod.digest_algorithm)
    if h is None:
        raise SodError("unsupported digest")
    if isinstance(key, ec.EllipticCurvePublicKey):
        key.verify(sod.signature, sod.signed_attrs, ec.ECDSA(h()))
    elif isinstance(key, rsa.RSAPublicKey):
        if sod.signature_algorithm == "rsassa_pss":
            ph = HASHES[sod.pss_hash or sod.digest_algorithm]
            key.verify(sod.signature, sod.signed_attrs,
                       padding.PSS(padding.MGF1(ph()), sod.pss_salt if sod.pss_salt is not None else ph().digest_size), ph())
        else:
            key.verify(sod.signature, sod.signed_attrs, padding.PKCS1v15(), h())
    else:
        raise SodError("unsupported Document Signer key type")


def _in_validity(cert: x509.Certificate, when: datetime) -> bool:
    try:
        return cert.not_valid_before_utc <= when <= cert.not_valid_after_utc
    except ValueError:
        return False


def verify_passive(sod: Sod, files: Mapping[int, bytes], trust: TrustStore, *, issuing_state: str,
                   when: datetime | None = None) -> PassiveAuthResult:
    """Check each read data group against the SOD, the SOD signature, and the signer's chain: a
    CSCA of the trust store, of the document's issuing state (DG1's, e.g. "CHN" or "D<<"), that
    has not revoked the Document Signer in a CRL."""
    when = when or datetime.now(UTC)
    problems: list[str] = []
    mismatched = tuple(sorted(n for n, raw in files.items() if n in sod.dg_hashes
                              and hash_of(sod.hash_algorithm, raw) != sod.dg_hashes[n]))
    unlisted = tuple(sorted(n for n in files if n not in sod.dg_hashes))
    if mismatched:
        problems.append(f"hash mismatch in DG{', DG'.join(map(str, mismatched))}")
    if unlisted:
        problems.append(f"DG{', DG'.join(map(str, unlisted))} not in EF.SOD")
    signer = csca_name = ""
    signature_ok = trusted = False
    ds: x509.Certificate | None = None
    if not sod.certificates:
        problems.append("EF.SOD carries no Document Signer certificate")
    else:
        try:
            ds = x509.load_der_x509_certificate(sod.certificates[0])
            signer = ds.subject.rfc4514_string()
            verify_signature(sod, ds)
            signature_ok = True
        except Exception as exc:  # noqa: BLE001 - hostile certificate/signature bytes must give a verdict, not a crash
            problems.append(f"SOD signature does not verify ({type(exc).__name__})")
    if ds is not None and signature_ok:
        try:
            csca_name = _trusted_csca(ds, trust, issuing_state, when, problems)
        except Exception as exc:  # noqa: BLE001 - certificate fields are parsed lazily: hostile ones raise anything
            problems.append(f"Document Signer certificate is malformed ({type(exc).__name__})")
        trusted = bool(csca_name)
    integrity = signature_ok and not mismatched and not unlisted
    return PassiveAuthResult(integrity, trusted, mismatched, unlisted, signer, csca_name, tuple(problems))


def _trusted_csca(ds: x509.Certificate, trust: TrustStore, issuing_state: str, when: datetime,
                  problems: list[str]) -> str:
    """The subject of the CSCA that vouches for `ds`, or "" (each reason why not in `problems`)."""
    issuers = trust.issuers_of(ds)
    if not issuers:
        problems.append(f"no CSCA in the trust store for issuer {ds.issuer.rfc4514_string()}")
    for csca in issuers:
        problem = _chain_problem(ds, csca, trust, issuing_state, when)
        if problem:
            problems.append(problem)
            continue
        # still trusted (an old list beats none), but the operator should know
        problems += [f"the CSCA's CRL was due for renewal on {due.date()}" for c, due in trust.stale_crls(when)
                     if c == csca]
        return csca.subject.rfc4514_string()
    return ""


def _chain_problem(ds: x509.Certificate, csca: x509.Certificate, trust: TrustStore, issuing_state: str,
                   when: datetime) -> str | None:
    """Why `csca` does not vouch for `ds` on a document of `issuing_state` (None: it does)."""
    try:
        ds.verify_directly_issued_by(csca)
    except Exception:  # noqa: BLE001 - InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm, ...
        return "DS certificate not signed by the CSCA of that name"
    if not _in_validity(csca, when):
        return "CSCA certificate outside its validity"
    if not _in_validity(ds, when):
        return "Document Signer certificate outside its validity"
    # A country's CSCA vouches for that country's documents only: without this, any trusted
    # country's (or a compromised small issuer's) Document Signer could sign anyone's passport.
    expected = certificate_country(issuing_state)
    csca_country = country_of(csca.subject)
    if expected is None:
        return f"issuing state {issuing_state.strip('<')!r} is not a known ICAO code"
    if csca_country != expected:
        return f"document issued by {issuing_state.strip('<')} but signed under the CSCA of {csca_country or '(no country)'}"
    if country_of(ds.subject) not in (None, expected):
        return f"Document Signer's country {country_of(ds.subject)} is not the issuing state's"
    if trust.revoked(ds, csca):
        return f"Document Signer certificate (serial {ds.serial_number:X}) revoked by its CSCA's CRL"
    return None
