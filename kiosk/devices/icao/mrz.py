"""The machine-readable zone (ICAO 9303 parts 4-6): check digits, TD1/TD2/TD3 parsing, access keys.

Pure functions; any thread; no blocking. Malformed input raises `MrzError` only.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from kiosk.devices.icao.errors import MrzError

_WEIGHTS = (7, 3, 1)
_ALLOWED = re.compile(r"[0-9A-Z<]*")
_BIRTH = re.compile(r"[0-9]{2}(?:[0-9]{2}|<<)(?:[0-9]{2}|<<)")
_EXPIRY = re.compile(r"[0-9]{6}")
FORMATS = {"TD1": (3, 30), "TD2": (2, 36), "TD3": (2, 44)}


def char_value(c: str) -> int:
    if c == "<":
        return 0
    if "0" <= c <= "9":
        return ord(c) - 48
    if "A" <= c <= "Z":
        return ord(c) - 55
    raise MrzError(f"character {c!r} is not allowed in an MRZ")


def check_digit(field: str) -> str:
    """The 7-3-1 check digit of `field` as a character."""
    return str(sum(char_value(c) * _WEIGHTS[i % 3] for i, c in enumerate(field)) % 10)


def _checked(field: str, digit: str, what: str, errors: list[str]) -> None:
    # A field made only of fillers may carry "<" as its check digit (unused optional data).
    if digit == "<" and set(field) <= {"<"}:
        return
    if digit != check_digit(field):
        errors.append(what)


def parse_date(yymmdd: str, today: date, *, past: bool) -> date:
    """YYMMDD to a date. Birth dates (`past`) take the century that puts them not in the future;
    expiry dates take 20YY unless that is more than 50 years ahead. An unknown day or month ("<<")
    becomes 01."""
    if len(yymmdd) != 6:
        raise MrzError("a date must have 6 characters")
    s = yymmdd.replace("<<", "01")
    if not s.isdigit() or not s.isascii():
        raise MrzError("a date must be digits")
    yy, mm, dd = int(s[:2]), int(s[2:4]), int(s[4:])
    year = 2000 + yy
    if not past and year > today.year + 50:
        year -= 100
    try:
        d = date(year, mm, dd)
        if past and d > today:
            d = date(year - 100, mm, dd)
    except ValueError:
        raise MrzError("not a valid date") from None   # the value is personal (a birth date): never in a message
    return d


def _split_name(field: str) -> tuple[str, str]:
    primary, _, secondary = field.strip("<").partition("<<")
    return primary.replace("<", " ").strip(), secondary.replace("<", " ").strip()


@dataclass(frozen=True)
class Mrz:
    """A parsed MRZ. `check_errors` names each field whose check digit failed (empty: all good)."""

    format: str                    # "TD1", "TD2" or "TD3"
    document_code: str             # e.g. "P", "I", "ID"
    issuing_state: str
    surname: str
    given_names: str
    document_number: str
    nationality: str
    birth: str                     # YYMMDD as printed
    sex: str                       # "F", "M" or "X" ("<" in the MRZ)
    expiry: str                    # YYMMDD
    optional_data: str             # TD3: personal number; TD1: both optional fields joined; TD2: optional
    check_errors: tuple[str, ...] = ()

    @property
    def name_latin(self) -> str:
        return f"{self.surname} {self.given_names}".strip()

    @property
    def checks_ok(self) -> bool:
        return not self.check_errors

    def key(self) -> MrzKey:
        return MrzKey(self.document_number, self.birth, self.expiry)


def normalise(text: str) -> list[str]:
    """The MRZ lines of `text` (lines or one run of 88/72/90 characters; spaces ignored)."""
    if not isinstance(text, str):
        raise MrzError("the MRZ must be text")
    raw = [ln.strip().replace(" ", "").upper() for ln in text.replace("\r", "\n").split("\n")]
    lines = [ln for ln in raw if ln]
    if len(lines) == 1:
        one = lines[0]
        for rows, width in FORMATS.values():
            if len(one) == rows * width:
                return [one[i * width:(i + 1) * width] for i in range(rows)]
    return lines


def detect_format(lines: list[str]) -> str:
    for name, (rows, width) in FORMATS.items():
        if len(lines) == rows and all(len(ln) == width for ln in lines):
            return name
    raise MrzError(f"not an MRZ: {len(lines)} line(s) of lengths {[len(ln) for ln in lines]}")


def parse_mrz(text: str, *, strict: bool = False) -> Mrz:
    """Parse an MRZ. With `strict`, a failed check digit raises MrzError; otherwise it is reported
    in `Mrz.check_errors`."""
    lines = normalise(text)
    fmt = detect_format(lines)
    for ln in lines:
        if not _ALLOWED.fullmatch(ln):
            raise MrzError("an MRZ may hold only 0-9, A-Z and <")
    errors: list[str] = []
    if fmt == "TD1":
        l1, l2, l3 = lines
        number, digit, opt1 = l1[5:14], l1[14], l1[15:30]
        if digit == "<" and opt1.strip("<"):    # long document number continues in optional data 1
            ext = opt1.split("<", 1)[0]
            if len(ext) < 2:
                raise MrzError("long document number is malformed")
            number, digit, opt1 = number + ext[:-1], ext[-1], opt1[len(ext):]
        _checked(number, digit, "document number", errors)
        birth, expiry = l2[0:6], l2[8:14]
        _checked(birth, l2[6], "birth date", errors)
        _checked(expiry, l2[14], "expiry date", errors)
        _checked(l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29], l2[29], "composite", errors)
        surname, given = _split_name(l3)
        mrz = Mrz("TD1", l1[0:2].strip("<"), l1[2:5], surname, given, number.strip("<"), l2[15:18], birth,
                  _sex(l2[7]), expiry, (opt1.strip("<") + "<" + l2[18:29].strip("<")).strip("<"), tuple(errors))
    else:
        l1, l2 = lines
        surname, given = _split_name(l1[5:])
        number = l2[0:9]
        _checked(number, l2[9], "document number", errors)
        _checked(l2[13:19], l2[19], "birth date", errors)
        _checked(l2[21:27], l2[27], "expiry date", errors)
        if fmt == "TD3":
            _checked(l2[28:42], l2[42], "personal number", errors)
            _checked(l2[0:10] + l2[13:20] + l2[21:43], l2[43], "composite", errors)
            optional = l2[28:42]
        else:
            _checked(l2[0:10] + l2[13:20] + l2[21:35], l2[35], "composite", errors)
            optional = l2[28:35]
        mrz = Mrz(fmt, l1[0:2].strip("<"), l1[2:5], surname, given, number.strip("<"), l2[10:13], l2[13:19],
                  _sex(l2[20]), l2[21:27], optional.strip("<"), tuple(errors))
    if not _BIRTH.fullmatch(mrz.birth) or not _EXPIRY.fullmatch(mrz.expiry):
        raise MrzError("birth and expiry dates must be YYMMDD")
    if not mrz.document_number:
        raise MrzError("the document number is empty")
    if strict and mrz.check_errors:
        raise MrzError(f"check digit wrong: {', '.join(mrz.check_errors)}")
    return mrz


def _sex(c: str) -> str:
    if c in ("F", "M"):
        return c
    if c in ("<", "X"):
        return "X"
    raise MrzError(f"sex must be F, M or <, got {c!r}")


@dataclass(frozen=True)
class MrzKey:
    """The BAC/PACE password from the MRZ: document number, birth date and expiry date."""

    document_number: str
    birth: str      # YYMMDD
    expiry: str     # YYMMDD

    def __post_init__(self) -> None:
        if not self.document_number or not _ALLOWED.fullmatch(self.document_number.upper()):
            raise MrzError("the document number may hold only 0-9 and A-Z")
        for what, v in (("birth date", self.birth), ("expiry date", self.expiry)):
            if len(v) != 6 or not v.isdigit() or not v.isascii():
                raise MrzError(f"the {what} must be 6 digits, YYMMDD")

    def mrz_information(self) -> str:
        """Document number (padded to 9) + check digit + birth + check digit + expiry + check digit."""
        number = self.document_number.upper()
        if len(number) < 9:
            number = number.ljust(9, "<")
        return number + check_digit(number) + self.birth + check_digit(self.birth) + self.expiry + check_digit(self.expiry)

    def __repr__(self) -> str:   # a key is personal data
        return "MrzKey(***)"


@dataclass(frozen=True)
class CanKey:
    """The 6-digit Card Access Number printed on the document (PACE only)."""

    can: str

    def __post_init__(self) -> None:
        if len(self.can) != 6 or not self.can.isdigit() or not self.can.isascii():
            raise MrzError("the CAN must be 6 digits")

    def __repr__(self) -> str:
        return "CanKey(***)"


AccessKey = MrzKey | CanKey


def format_td3(*, doc_code: str, state: str, surname: str, given: str, number: str, nationality: str,
               birth: str, sex: str, expiry: str, personal: str = "") -> str:
    """Build a valid TD3 MRZ (two lines of 44), used by the virtual card and the tests."""
    name = (surname.replace(" ", "<") + "<<" + given.replace(" ", "<"))[:39].ljust(39, "<")
    l1 = (doc_code.ljust(2, "<") + state + name)[:44]
    num = number.ljust(9, "<")
    pers = personal.ljust(14, "<")
    pcd = check_digit(pers) if personal else "<"
    body = num + check_digit(num) + nationality + birth + check_digit(birth) + (sex if sex in "FM" else "<") + \
        expiry + check_digit(expiry) + pers + pcd
    composite = check_digit(body[0:10] + body[13:20] + body[21:43])
    return l1 + "\n" + body + composite


def format_td1(*, doc_code: str, state: str, surname: str, given: str, number: str, nationality: str,
               birth: str, sex: str, expiry: str, optional1: str = "", optional2: str = "") -> str:
    """Build a valid TD1 MRZ (three lines of 30) with a document number of up to 9 characters."""
    num = number.ljust(9, "<")
    l1 = (doc_code.ljust(2, "<") + state + num + check_digit(num) + optional1.ljust(15, "<"))[:30]
    l2 = birth + check_digit(birth) + (sex if sex in "FM" else "<") + expiry + check_digit(expiry) + nationality + \
        optional2.ljust(11, "<")
    l2 += check_digit(l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29])
    l3 = (surname.replace(" ", "<") + "<<" + given.replace(" ", "<"))[:30].ljust(30, "<")
    return "\n".join((l1, l2, l3))


def format_td2(*, doc_code: str, state: str, surname: str, given: str, number: str, nationality: str,
               birth: str, sex: str, expiry: str, optional: str = "") -> str:
    name = (surname.replace(" ", "<") + "<<" + given.replace(" ", "<"))[:31].ljust(31, "<")
    l1 = doc_code.ljust(2, "<") + state + name
    num = number.ljust(9, "<")
    body = num + check_digit(num) + nationality + birth + check_digit(birth) + (sex if sex in "FM" else "<") + \
        expiry + check_digit(expiry) + optional.ljust(7, "<")
    return l1 + "\n" + body + check_digit(body[0:10] + body[13:20] + body[21:35])
