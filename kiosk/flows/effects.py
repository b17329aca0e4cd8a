"""Effects: what the flow asks the outside world to do (imperative names)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kiosk.domain.application import Application, Draft
from kiosk.domain.identity import Identity


@dataclass(frozen=True)
class ReadCard:
    attempt: int
    can: str = ""                  # the access key typed by the citizen, when the chip needs one
    document_number: str = ""
    birth: str = ""
    expiry: str = ""

    def __repr__(self) -> str:
        return f"ReadCard({self.attempt})"


@dataclass(frozen=True)
class LookUpRecords:
    """Ask the government records backend what it holds for this citizen, off the GUI thread;
    answered with RecordsFound or RecordsUnavailable within `timeout` seconds."""
    attempt: int
    identity: Identity
    timeout: float

    def __repr__(self) -> str:
        return f"LookUpRecords({self.attempt})"


@dataclass(frozen=True)
class StartFaceCheck:
    attempt: int
    reference_photo: bytes
    # whose failed checks count against it, across sessions (kiosk/services/face_failures.py)
    document_number: str = ""

    def __repr__(self) -> str:   # never print the number or the photo into a log
        return f"StartFaceCheck(attempt={self.attempt})"


@dataclass(frozen=True)
class StopFaceCheck:
    pass


@dataclass(frozen=True)
class CaptureMaterial:
    attempt: int
    material_id: str


@dataclass(frozen=True)
class StoreApplication:
    """Write the reviewed draft durably; the store only numbers it, inside its transaction."""
    attempt: int
    draft: Draft
    submitted_at: datetime


@dataclass(frozen=True)
class PrintReceipt:
    attempt: int
    application: Application


@dataclass(frozen=True)
class SaveRating:
    number: str
    score: int


@dataclass(frozen=True)
class WipeSession:
    """Drop everything held about the citizen: camera off, face references, caches."""


Effect = ReadCard | LookUpRecords | StartFaceCheck | StopFaceCheck | CaptureMaterial | StoreApplication | PrintReceipt | SaveRating | WipeSession
