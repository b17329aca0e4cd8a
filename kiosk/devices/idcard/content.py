"""The 256-byte text block a SAM reader returns, for the three cards that share these readers.

Pure and Qt-free; any thread; never blocks. Fields are fixed-width UCS-2 (little-endian), padded
with spaces. Layouts (byte offsets), checked against the csdn "身份证识别器" field table, a public C
header declaring all three structs (t_idcardinfor / t_idforeigner, found by `find_string`) and a
public C# reader using offsets 188/204/220/238 for the residence permit; they agree:

    resident ID   name 0:30  sex 30:32  nation 32:36  birth 36:52  address 52:122  number 122:158
                  authority 158:188  valid 188:204 / 204:220  reserved 220:256
    HMT permit    as resident, but 32:36 reserved, pass number 220:238, issue count 238:242,
    ('J' at 248)  reserved 242:248, type 248:250
    foreigner     English name 0:120  sex 120:122  permit number 122:152  nationality 152:158
    2017 ('I')    Chinese name 158:188  valid 188:204 / 204:220  birth 220:236  version 236:240
                  authority code 240:248  type 248:250

The 2023 foreigner's card (type 'Y') has yet another layout; it is refused as unsupported.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from kiosk.devices.idcard.nations import nation_name
from kiosk.domain.identity import Identity
from kiosk.domain.idnumber import birth_date_from_resident_id, is_valid_resident_id

TEXT_LEN = 256
NO_EXPIRY = "长期"
_SEX = {"1": "M", "2": "F", "0": "X", "9": "X"}   # GB/T 2261.1

RESIDENT, FOREIGN_PERMANENT, HMT_PERMIT = "resident_id", "foreign_permanent", "hmt_permit"


class ContentError(ValueError):
    """The text block is malformed or fails a check. `unsupported` marks a card type we do not
    read yet. The message never contains the card's data."""

    def __init__(self, problem: str, unsupported: bool = False) -> None:
        super().__init__(problem)
        self.unsupported = unsupported


@dataclass(frozen=True, repr=False)
class CardContent:
    card_type: str
    name: str                 # Chinese name (a foreigner's may be empty)
    name_latin: str           # foreigner's English name; "" otherwise
    sex: str                  # "M", "F" or "X"
    birth_date: date
    number: str               # resident ID / permit number
    valid_from: date
    valid_until: date | None  # None: 长期 (no expiry)
    nation: str | None = None
    address: str | None = None
    authority: str | None = None
    nationality: str = "CHN"
    pass_number: str | None = None
    issue_count: int | None = None
    card_version: str | None = None

    def __repr__(self) -> str:   # personal data must not reach a traceback
        return f"CardContent({self.card_type})"


def _field(block: bytes, start: int, end: int, what: str) -> str:
    try:
        s = block[start:end].decode("utf-16-le")
    except UnicodeDecodeError:
        raise ContentError(f"{what}: not UCS-2") from None
    s = s.rstrip(" \0").strip()
    # control or format characters could forge lines in a receipt or a log; no card has them
    if any(unicodedata.category(c)[0] == "C" for c in s):
        raise ContentError(f"{what}: control characters")
    return s


def _date(text: str, what: str) -> date:
    if not re.fullmatch(r"\d{8}", text):
        raise ContentError(f"{what}: not YYYYMMDD")
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise ContentError(f"{what}: no such date") from None


def _validity(block: bytes) -> tuple[date, date | None]:
    start = _date(_field(block, 188, 204, "valid from"), "valid from")
    end_text = _field(block, 204, 220, "valid until")
    end = None if end_text == NO_EXPIRY else _date(end_text, "valid until")
    if end is not None and end < start:
        raise ContentError("validity ends before it starts")
    return start, end


def _sex(code: str) -> str:
    if code not in _SEX:
        raise ContentError("sex code not in GB/T 2261.1")
    return _SEX[code]


def parse_text(block: bytes) -> CardContent:
    """Decode and check a text block. Raises ContentError."""
    if len(block) != TEXT_LEN:
        raise ContentError("text block is not 256 bytes")
    marker = _field(block, 248, 250, "card type")
    if marker == "I":
        return _foreigner(block)
    if marker in ("J", ""):
        return _resident_or_permit(block, marker == "J")
    raise ContentError(f"card type {marker!r} not supported", unsupported=True)


def _resident_or_permit(block: bytes, permit: bool) -> CardContent:
    number = _field(block, 122, 158, "number").upper()
    if not is_valid_resident_id(number):
        raise ContentError("number fails GB 11643")
    birth = _date(_field(block, 36, 52, "birth"), "birth")
    if birth != birth_date_from_resident_id(number):
        raise ContentError("birth date does not match the number")
    name = _field(block, 0, 30, "name")
    if not name:
        raise ContentError("no name")
    start, end = _validity(block)
    common = dict(name=name, name_latin="", sex=_sex(_field(block, 30, 32, "sex")), birth_date=birth, number=number,
                  valid_from=start, valid_until=end, address=_field(block, 52, 122, "address") or None,
                  authority=_field(block, 158, 188, "authority") or None)
    if not permit:
        nation = nation_name(_field(block, 32, 36, "nation"))
        if nation is None:
            raise ContentError("nation code not in GB/T 3304")
        return CardContent(RESIDENT, nation=nation, **common)  # type: ignore[arg-type]
    if number[:2] not in ("81", "82", "83"):
        raise ContentError("residence permit number is not a Hong Kong, Macao or Taiwan one")
    issues = _field(block, 238, 242, "issue count")
    if not issues.isdigit():
        raise ContentError("issue count not a number")
    return CardContent(HMT_PERMIT, pass_number=_field(block, 220, 238, "pass number") or None,
                       issue_count=int(issues), **common)  # type: ignore[arg-type]


def _foreigner(block: bytes) -> CardContent:
    number = _field(block, 122, 152, "number").upper()
    # 2017 layout: three letters (ISO 3166-1 alpha-3 of the nationality) and twelve digits
    if not re.fullmatch(r"[A-Z]{3}\d{12}", number):
        raise ContentError("permit number not in the 2017 form")
    nationality = _field(block, 152, 158, "nationality")
    if not re.fullmatch(r"[A-Z]{3}", nationality):
        raise ContentError("nationality not an ISO 3166 alpha-3 code")
    # where the birth date sits inside the 12 digits differs between the sources we found, so it
    # is not cross-checked
    birth = _date(_field(block, 220, 236, "birth"), "birth")
    name_latin = _field(block, 0, 120, "English name")
    if not name_latin:
        raise ContentError("no name")
    start, end = _validity(block)
    return CardContent(FOREIGN_PERMANENT, name=_field(block, 158, 188, "Chinese name"), name_latin=name_latin,
                       sex=_sex(_field(block, 120, 122, "sex")), birth_date=birth, number=number, valid_from=start,
                       valid_until=end, nationality=nationality, authority=_field(block, 240, 248, "authority") or None,
                       card_version=_field(block, 236, 240, "version") or None)


def to_identity(content: CardContent, photo: bytes = b"") -> Identity:
    """The domain identity. `photo` stays b"" until a WLT decoder exists: the SAM gives WLT, which
    no face matcher can read, and pretending otherwise would fail the face check confusingly."""
    return Identity(
        document_number=content.number, name=content.name or content.name_latin, name_latin=content.name_latin,
        sex=content.sex, birth_date=content.birth_date, nationality=content.nationality,
        expiry_date=content.valid_until,
        personal_number=content.number if content.card_type != FOREIGN_PERMANENT else None,
        address=content.address, photo=photo, card_type=content.card_type, nation=content.nation,
        authority=content.authority, valid_from=content.valid_from)
