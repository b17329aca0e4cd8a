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
    """Keep the citizen's rating (checked by kiosk/domain/rating.py) for the back office: one
    score for the whole visit (no `items`) or for each department item in `items`, the reasons
    chosen from the fixed list, and whether a bad rating asks for a call back."""
    number: str
    score: int
    items: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    callback: bool = False


@dataclass(frozen=True)
class WipeSession:
    """Drop everything held about the citizen: camera off, face references, caches."""


# --- assisted applications (kiosk/runtime_assist.py) -----------------------------------------

@dataclass(frozen=True)
class FetchReference:
    """Ask the IdentityService for the reference photo of this ID number (no card), off the GUI
    thread; answered with ReferenceFound or ReferenceUnavailable within `timeout` seconds."""
    attempt: int
    id_number: str
    timeout: float

    def __repr__(self) -> str:
        return f"FetchReference({self.attempt})"


@dataclass(frozen=True)
class RecordCounterMode:
    """Audit `counter_mode` (action "start" or "end") on the store thread; a start is answered
    with CounterModeRecorded."""
    staff_number: str
    action: str


Effect = (ReadCard | LookUpRecords | StartFaceCheck | StopFaceCheck | CaptureMaterial | StoreApplication | PrintReceipt | SaveRating | WipeSession
          | FetchReference | RecordCounterMode)
