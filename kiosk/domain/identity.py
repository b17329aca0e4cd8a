"""The citizen's identity as read from the document chip."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from kiosk.domain.redaction import mask


@dataclass(frozen=True)
class Identity:
    """Data read from an ID document chip. Immutable; never logged except through `redacted()`.

    `photo` is the chip's face image (JPEG or JPEG 2000 bytes); it lives only in memory.
    """

    document_number: str
    name: str                    # in national characters where the chip has them (DG11)
    name_latin: str              # as in the MRZ
    sex: str                     # "F", "M" or "X"
    birth_date: date
    nationality: str = "CHN"
    expiry_date: date | None = None
    personal_number: str | None = None   # the 18-character resident ID number
    address: str | None = None
    photo: bytes = field(default=b"", repr=False, compare=False)
    # What kind of document it came from: "emrtd" (ICAO chip), "resident_id", "foreign_permanent"
    # (foreigner's permanent residence ID card) or "hmt_permit" (residence permit for Hong Kong,
    # Macao and Taiwan residents); the last three are read through a SAM reader.
    card_type: str = "emrtd"
    nation: str | None = None            # ethnic group (GB/T 3304 name), resident ID cards only
    authority: str | None = None         # issuing authority as printed on the card
    valid_from: date | None = None

    def __repr__(self) -> str:  # dataclass repr would print personal data into tracebacks
        return f"Identity({self.redacted()})"

    def redacted(self) -> str:
        """Who, for a log line: a per-process hash of the document number, nothing of the
        person (kiosk/domain/redaction.py)."""
        return f"citizen {mask(self.document_number)}"

    def age_on(self, day: date) -> int:
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years

    def is_expired(self, day: date) -> bool:
        return self.expiry_date is not None and self.expiry_date < day
