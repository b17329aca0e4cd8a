"""The files on the virtual eMRTD: EF.CardAccess, EF.COM, DG1, DG2, DG11, DG14, DG15 and an EF.SOD
signed by the TEST Document Signer (CMS built with asn1crypto, signed with `cryptography`).

Pure computation; any thread.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from asn1crypto import cms, core
from asn1crypto import x509 as ax509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from kiosk.devices.icao import tlv
from kiosk.devices.icao.asn1 import (ACTIVE_AUTHENTICATION_OID, LDS_SECURITY_OBJECT_OID, LdsSecurityObject,
                                     SecurityInfo, SecurityInfos)
from kiosk.devices.icao.crypto.pace import ID_PACE_ECDH_GM
from kiosk.devices.icao.lds import (DG_TAGS, SFI_CARD_ACCESS, SFI_COM, SFI_SOD, TAG_COM, TAG_SOD, build_face_record,
                                    dg_sfi)
from kiosk.devices.icao.mrz import format_td1, format_td2, format_td3
from testkit.vcard.pki import CardPki
from kiosk.domain.idnumber import resident_id_check_char

DATA = Path(__file__).parent / "data"
PACE_AES128 = ID_PACE_ECDH_GM + ".2"
BRAINPOOL, NIST_P256 = 13, 12
_PERSONAL17 = "11010119900315002"


@dataclass(frozen=True)
class DocumentProfile:
    """Who the virtual document belongs to. Fictional; the photo is NASA's public-domain portrait."""

    format: str = "TD3"                 # TD3 passport, TD1 ID card, TD2
    doc_code: str = "P"
    state: str = "CHN"
    surname: str = "ZHANG"
    given: str = "XIAOMEI"
    number: str = "EA1234567"
    nationality: str = "CHN"
    birth: str = "900315"
    sex: str = "F"
    expiry: str = "340101"
    national_name: str = "张<<晓梅"      # DG11 full name in national characters
    personal_number: str = _PERSONAL17 + resident_id_check_char(_PERSONAL17)
    address: str = "北京市<东城区<景山前街4号"
    can: str = "123456"
    photo: str = "jpeg"                 # "jpeg" or "jpeg2000"
    photo_jpeg: bytes = field(default=b"", repr=False)   # the holder's own JPEG (demo citizens); overrides `photo`
    with_dg11: bool = True
    with_aa: bool = True
    aa_kind: str = "ec"                 # "ec" (ECDSA P-256, DG14 names the algorithm) or "rsa" (ISO 9796-2)
    pace_oid: str = PACE_AES128
    pace_parameter: int = BRAINPOOL
    pace: bool = True                   # False: no EF.CardAccess (BAC only)

    def mrz(self) -> str:
        common = dict(doc_code=self.doc_code, state=self.state, surname=self.surname, given=self.given,
                      number=self.number, nationality=self.nationality, birth=self.birth, sex=self.sex,
                      expiry=self.expiry)
        if self.format == "TD1":
            return format_td1(**common, optional1="", optional2="")
        if self.format == "TD2":
            return format_td2(**common)
        return format_td3(**common, personal=self.personal_number[:14])


def _photo(kind: str) -> tuple[bytes, int, int]:
    if kind == "jpeg2000":
        return (DATA / "face.jp2").read_bytes(), 360, 480
    return (DATA / "face.jpg").read_bytes(), 360, 480


def card_access(profile: DocumentProfile) -> bytes:
    info = SecurityInfo({"protocol": profile.pace_oid, "required_data": core.Integer(2),
                         "optional_data": core.Integer(profile.pace_parameter)})
    return SecurityInfos([info]).dump()


def _com(groups: list[int]) -> bytes:
    body = tlv.encode(0x5F01, b"0107") + tlv.encode(0x5F36, b"040000") + tlv.encode(0x5C, bytes(DG_TAGS[n] for n in groups))
    return tlv.encode(TAG_COM, body)


def _dg1(profile: DocumentProfile) -> bytes:
    return tlv.encode(DG_TAGS[1], tlv.encode(0x5F1F, profile.mrz().replace("\n", "").encode("ascii")))


def _dg2(profile: DocumentProfile, without_group: bool = False) -> bytes:
    if profile.photo_jpeg:
        import cv2
        import numpy as np
        decoded = cv2.imdecode(np.frombuffer(profile.photo_jpeg, np.uint8), cv2.IMREAD_COLOR)
        if decoded is None:
            raise ValueError("the profile's photo_jpeg is not a JPEG")
        image, (h, w) = profile.photo_jpeg, decoded.shape[:2]
    else:
        image, w, h = _photo(profile.photo)
    bdb = build_face_record(image, w, h, profile.photo == "jpeg2000")
    header = tlv.encode(0xA1, tlv.encode(0x80, b"\x01\x01") + tlv.encode(0x81, b"\x02") + tlv.encode(0x87, b"\x01\x01")
                        + tlv.encode(0x88, b"\x00\x08"))
    bit = tlv.encode(0x7F60, header + tlv.encode(0x5F2E, bdb))
    if without_group:       # seen on some chips: no biometric group template (7F61) around the one template
        return tlv.encode(DG_TAGS[2], bit)
    return tlv.encode(DG_TAGS[2], tlv.encode(0x7F61, tlv.encode(0x02, b"\x01") + bit))


def _dg11(profile: DocumentProfile) -> bytes:
    y = "19" if int(profile.birth[:2]) > 30 else "20"
    items = [(0x5F0E, profile.national_name), (0x5F10, profile.personal_number), (0x5F2B, y + profile.birth),
             (0x5F42, profile.address)]
    taglist = b"".join(tlv.encode_tag(t) for t, _ in items)
    body = tlv.encode(0x5C, taglist) + b"".join(tlv.encode(t, v.encode("utf-8")) for t, v in items)
    return tlv.encode(DG_TAGS[11], body)


def _dg14(profile: DocumentProfile) -> bytes:
    infos = [SecurityInfo({"protocol": ACTIVE_AUTHENTICATION_OID, "required_data": core.Integer(1),
                           "optional_data": core.ObjectIdentifier("1.2.840.10045.4.3.2")})]
    if profile.pace:            # the signed copy of EF.CardAccess's PACEInfo
        infos.append(SecurityInfo({"protocol": profile.pace_oid, "required_data": core.Integer(2),
                                   "optional_data": core.Integer(profile.pace_parameter)}))
    return tlv.encode(DG_TAGS[14], SecurityInfos(infos).dump())


def _dg15(public_key) -> bytes:
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return tlv.encode(DG_TAGS[15], der)


def build_sod(dgs: dict[int, bytes], pki: CardPki) -> bytes:
    """EF.SOD: SHA-256 hashes of `dgs`, signed (ECDSA-SHA256) by the PKI's Document Signer."""
    lso = LdsSecurityObject({
        "version": 0,
        "hash_algorithm": {"algorithm": "sha256"},
        "data_group_hash_values": [{"data_group_number": n, "data_group_hash_value": hashlib.sha256(raw).digest()}
                                   for n, raw in sorted(dgs.items())],
    })
    econtent = lso.dump()
    attrs = cms.CMSAttributes([
        cms.CMSAttribute({"type": "content_type", "values": [LDS_SECURITY_OBJECT_OID]}),
        cms.CMSAttribute({"type": "message_digest", "values": [hashlib.sha256(econtent).digest()]}),
    ])
    signature = pki.ds_key.sign(attrs.dump(), ec.ECDSA(hashes.SHA256()))
    ds = ax509.Certificate.load(pki.ds_cert.public_bytes(serialization.Encoding.DER))
    signer = cms.SignerInfo({
        "version": "v1",
        "sid": cms.SignerIdentifier({"issuer_and_serial_number": cms.IssuerAndSerialNumber(
            {"issuer": ds.issuer, "serial_number": ds.serial_number})}),
        "digest_algorithm": {"algorithm": "sha256"},
        "signed_attrs": attrs,
        "signature_algorithm": {"algorithm": "sha256_ecdsa"},
        "signature": signature,
    })
    signed = cms.SignedData({
        "version": "v3",
        "digest_algorithms": [{"algorithm": "sha256"}],
        "encap_content_info": {"content_type": LDS_SECURITY_OBJECT_OID, "content": lso},
        "certificates": [ds],
        "signer_infos": [signer],
    })
    return tlv.encode(TAG_SOD, cms.ContentInfo({"content_type": "signed_data", "content": signed}).dump())


@dataclass(frozen=True)
class CardFiles:
    by_sfi: dict[int, bytes]           # short file id -> content
    card_access: bytes | None


def build_files(profile: DocumentProfile, pki: CardPki, *, signer: CardPki | None = None,
                corrupt_dg: int | None = None, dg2_without_group: bool = False,
                com_omits: tuple[int, ...] = ()) -> CardFiles:
    """Every file of the document. `signer` signs the SOD (default `pki`); `corrupt_dg` changes one
    byte of that data group after it was hashed; `com_omits` leaves data groups out of EF.COM only."""
    dgs: dict[int, bytes] = {1: _dg1(profile), 2: _dg2(profile, dg2_without_group)}
    if profile.with_dg11:
        dgs[11] = _dg11(profile)
    if profile.with_aa:
        if profile.aa_kind == "ec":
            dgs[14] = _dg14(profile)
            dgs[15] = _dg15(pki.aa_key.public_key())
        else:
            dgs[15] = _dg15(pki.aa_rsa_key.public_key())
    sod = build_sod(dgs, signer or pki)
    if corrupt_dg is not None and corrupt_dg in dgs:
        raw = bytearray(dgs[corrupt_dg])
        raw[-3] ^= 0x01
        dgs[corrupt_dg] = bytes(raw)
    files = {dg_sfi(n): raw for n, raw in dgs.items()}
    files[SFI_COM] = _com([n for n in sorted(dgs) if n not in com_omits])
    files[SFI_SOD] = sod
    access = card_access(profile) if profile.pace else None
    if access is not None:
        files[SFI_CARD_ACCESS] = access
    return CardFiles(files, access)


__all__ = ["DocumentProfile", "CardFiles", "build_files", "build_sod"]
