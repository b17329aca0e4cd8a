"""The logical data structure (ICAO 9303 part 10): file ids, EF.COM, DG1, DG2, DG11, DG14, DG15.

Pure parsing; any thread; no blocking. Malformed content raises `LdsError`/`TlvError`/`MrzError`
(all `ParseError`).
"""
from __future__ import annotations

from dataclasses import dataclass

from kiosk.devices.icao import tlv
from kiosk.devices.icao.asn1 import ACTIVE_AUTHENTICATION_OID, security_infos
from kiosk.devices.icao.errors import ImageError, LdsError, ParseError
from kiosk.devices.icao.image import CHIP_MAX_SIDE, check_image, image_format
from kiosk.devices.icao.mrz import Mrz, parse_mrz

AID_EMRTD = bytes.fromhex("A0000002471001")
FID_CARD_ACCESS = 0x011C
SFI_CARD_ACCESS = 0x1C
FID_COM, SFI_COM = 0x011E, 0x1E
FID_SOD, SFI_SOD = 0x011D, 0x1D

# data group number -> tag of the file's outer object
DG_TAGS = {1: 0x61, 2: 0x75, 3: 0x63, 4: 0x76, 5: 0x65, 6: 0x66, 7: 0x67, 8: 0x68, 9: 0x69, 10: 0x6A,
           11: 0x6B, 12: 0x6C, 13: 0x6D, 14: 0x6E, 15: 0x6F, 16: 0x70}
TAG_DGS = {t: n for n, t in DG_TAGS.items()}
TAG_COM, TAG_SOD = 0x60, 0x77


def dg_fid(n: int) -> int:
    return 0x0100 + n


def dg_sfi(n: int) -> int:
    return n


@dataclass(frozen=True)
class Com:
    lds_version: str
    unicode_version: str
    data_groups: tuple[int, ...]


def parse_com(data: bytes) -> Com:
    body = tlv.unwrap(data, TAG_COM)
    tags = tlv.require(body, 0x5C, "EF.COM")
    groups = []
    for t in tags:
        if t not in TAG_DGS:
            raise LdsError(f"EF.COM lists unknown tag {t:02X}")
        groups.append(TAG_DGS[t])
    return Com(_ascii(tlv.find(body, 0x5F01) or b""), _ascii(tlv.find(body, 0x5F36) or b""), tuple(groups))


def _ascii(b: bytes) -> str:
    try:
        return b.decode("ascii")
    except UnicodeDecodeError:
        raise LdsError("expected ASCII text") from None


def _utf8(b: bytes) -> str:
    try:
        return b.decode("utf-8")
    except UnicodeDecodeError:
        raise LdsError("expected UTF-8 text") from None


def parse_dg1(data: bytes) -> Mrz:
    body = tlv.unwrap(data, DG_TAGS[1])
    return parse_mrz(_ascii(tlv.require(body, 0x5F1F, "DG1")).replace("\n", ""))


# --- DG2 ---------------------------------------------------------------------------------------
JPEG, JPEG2000 = "jpeg", "jpeg2000"


@dataclass(frozen=True)
class FaceImage:
    image: bytes
    format: str          # "jpeg" or "jpeg2000"
    width: int
    height: int


def parse_dg2(data: bytes) -> FaceImage:
    """The first face image of DG2 (ISO/IEC 19794-5 inside a biometric information template)."""
    body = tlv.unwrap(data, DG_TAGS[2])
    # Read leniently, as reference readers do: some chips leave out the biometric information
    # group template (7F61) and put the one template (7F60) straight into DG2. The file's hash is
    # checked against EF.SOD before this runs, so leniency here lets no unsigned content in.
    group = tlv.find(body, 0x7F61)
    if group is None:
        group = body
    bit = tlv.require(group, 0x7F60, "DG2 biometric information template")
    bdb = tlv.find(bit, 0x5F2E)
    if bdb is None:
        bdb = tlv.find(bit, 0x7F2E)
    if bdb is None:
        raise LdsError("DG2 has no biometric data block")
    return parse_face_record(bdb)


def parse_face_record(bdb: bytes) -> FaceImage:
    """An ISO/IEC 19794-5 (2005) facial record: header, one face, its image. The image is not
    decoded; its header must declare at most CHIP_MAX_SIDE a side and CHIP_MAX_PIXELS (ImageError)."""
    if len(bdb) < 14 or bdb[:4] != b"FAC\x00":
        raise LdsError("not an ISO 19794-5 facial record")
    pos = 14
    if len(bdb) < pos + 20:
        raise LdsError("facial record truncated")
    block_len = int.from_bytes(bdb[pos:pos + 4], "big")
    points = int.from_bytes(bdb[pos + 4:pos + 6], "big")
    info = pos + 20 + 8 * points
    if len(bdb) < info + 12 or block_len < info + 12 - pos:
        raise LdsError("facial record truncated")
    data_type = bdb[info + 1]
    width = int.from_bytes(bdb[info + 2:info + 4], "big")
    height = int.from_bytes(bdb[info + 4:info + 6], "big")
    image = bytes(bdb[info + 12:min(len(bdb), pos + block_len)])
    fmt = image_format(image)
    if fmt not in (JPEG, JPEG2000):
        raise LdsError(f"unknown face image format (type {data_type})")
    if width > CHIP_MAX_SIDE or height > CHIP_MAX_SIDE:
        raise ImageError(f"facial record declares a {width}x{height} image")
    header = check_image(image)      # what a decoder would allocate, checked before one ever sees it
    return FaceImage(image, fmt, header.width, header.height)


def build_face_record(image: bytes, width: int, height: int, jpeg2000: bool) -> bytes:
    """The inverse of `parse_face_record` (used by the virtual card)."""
    info = bytes((1, 1 if jpeg2000 else 0)) + width.to_bytes(2, "big") + height.to_bytes(2, "big") + bytes((1, 2)) + \
        b"\x00\x00" + b"\x00\x00"
    block_len = 20 + 12 + len(image)
    face = block_len.to_bytes(4, "big") + b"\x00\x00" + bytes((0, 0, 0)) + b"\x00\x00\x00" + b"\x00\x00" + b"\x00" * 6
    record = face + info + image
    return b"FAC\x00" + b"010\x00" + (14 + len(record)).to_bytes(4, "big") + b"\x00\x01" + record


# --- DG11 --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PersonalDetails:
    full_name: str | None = None
    personal_number: str | None = None
    birth_date: str | None = None        # YYYYMMDD
    birth_place: str | None = None
    address: str | None = None
    telephone: str | None = None


def _is_cjk(s: str) -> bool:
    return any("\u2e80" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff" for c in s)


def join_name(field: str) -> str:
    """ICAO name field "PRIMARY<<SECONDARY" (fillers '<') to display text; CJK names join with no space."""
    primary, _, secondary = field.partition("<<")
    parts = [p.replace("<", " ").strip() for p in (primary, secondary)]
    parts = [p for p in parts if p]
    return ("" if _is_cjk(field) else " ").join(parts)


def join_fields(field: str) -> str:
    parts = [p.strip() for p in field.split("<") if p.strip()]
    return ("" if _is_cjk(field) else ", ").join(parts)


def parse_dg11(data: bytes) -> PersonalDetails:
    body = tlv.unwrap(data, DG_TAGS[11])

    def text(tag: int) -> str | None:
        v = tlv.find(body, tag)
        return None if v is None else _utf8(v)

    name = text(0x5F0E)
    birth_place = text(0x5F11)
    address = text(0x5F42)
    return PersonalDetails(join_name(name) if name else None, text(0x5F10), text(0x5F2B),
                           join_fields(birth_place) if birth_place else None,
                           join_fields(address) if address else None, text(0x5F12))


# --- DG14 / DG15 -------------------------------------------------------------------------------
def parse_dg14_aa_algorithm(data: bytes) -> str | None:
    """The signature algorithm OID of ActiveAuthenticationInfo in DG14, if there is one."""
    body = tlv.unwrap(data, DG_TAGS[14])
    try:
        rows = security_infos(body)
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
        raise LdsError(f"DG14 is malformed: {exc}") from None
    for oid, _version, alg in rows:
        if oid == ACTIVE_AUTHENTICATION_OID and isinstance(alg, str):
            return alg
    return None


ID_PACE_PREFIX = "0.4.0.127.0.7.2.2.4."      # id-PACE: every PACEInfo protocol OID starts with it


def dg14_offers_pace(data: bytes) -> bool:
    """Whether DG14 (signed, through EF.SOD) lists a PACEInfo, i.e. the chip supports PACE."""
    body = tlv.unwrap(data, DG_TAGS[14])
    try:
        rows = security_infos(body)
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
        raise LdsError(f"DG14 is malformed: {exc}") from None
    return any(oid.startswith(ID_PACE_PREFIX) for oid, _version, _param in rows)


def parse_dg15(data: bytes) -> bytes:
    """The Active Authentication public key (DER SubjectPublicKeyInfo)."""
    return tlv.unwrap(data, DG_TAGS[15])


def dg_number_of(data: bytes) -> int:
    try:
        tag, _ = tlv.read_tag(data, 0)
    except ParseError:
        raise LdsError("empty data group") from None
    if tag not in TAG_DGS:
        raise LdsError(f"not a data group (tag {tag:X})")
    return TAG_DGS[tag]
