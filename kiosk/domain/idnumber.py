"""Chinese resident identity numbers (GB 11643-1999) and mobile numbers."""
from __future__ import annotations

import re
from datetime import date

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def resident_id_check_char(first17: str) -> str:
    """The 18th character of a resident ID number for its first 17 digits (ISO 7064 MOD 11-2)."""
    if not re.fullmatch(r"\d{17}", first17):
        raise ValueError("need 17 digits")
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def is_valid_resident_id(number: str, today: date | None = None) -> bool:
    """True if `number` is an 18-character resident ID with a valid date and check character."""
    n = number.strip().upper()
    if not re.fullmatch(r"\d{17}[\dX]", n):
        return False
    try:
        born = date(int(n[6:10]), int(n[10:12]), int(n[12:14]))
    except ValueError:
        return False
    if born.year < 1900 or (today is not None and born > today):
        return False
    return resident_id_check_char(n[:17]) == n[17]


def birth_date_from_resident_id(number: str) -> date:
    n = number.strip()
    return date(int(n[6:10]), int(n[10:12]), int(n[12:14]))


def is_valid_mobile(number: str) -> bool:
    """Mainland China mobile numbers: 11 digits starting 13-19."""
    return re.fullmatch(r"1[3-9]\d{9}", number.strip().replace(" ", "").replace("-", "")) is not None
