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


# --- staff (run on the store thread by kiosk/runtime_staff.py; each is an audit entry) ----------

@dataclass(frozen=True)
class RecordHelpCall:
    """Audit a help call (`answered_by`: the staff number when staff marked it dealt with)."""
    number: str
    attempt: int
    answered_by: str | None = None


@dataclass(frozen=True)
class SignInStaff:
    """Check a staff number and PIN off the GUI thread; answered with StaffSignInAnswered.
    `method`: "staff_number" (typed) or "id_card" (the account the staff member's own ID card
    matched, ReadStaffCard); it goes into the audit entry."""
    staff_number: str
    pin: str
    method: str = "staff_number"

    def __repr__(self) -> str:
        return "SignInStaff(...)"


@dataclass(frozen=True)
class RecordOverride:
    """Audit a clerk's override (flagged above the daily rate); answered with OverrideRecorded."""
    attempt: int
    staff_number: str
    reason: str
    note: str = ""
    attempts: int = 0          # failed automated checks before it


@dataclass(frozen=True)
class EndStaffMode:
    staff_number: str
    reason: str                # "sign_out" | "idle" | "session_end"
    attempt: int = 0


@dataclass(frozen=True)
class LoadStaffConsole:
    """Overrides today per clerk and each device's health; answered with StaffConsoleLoaded."""


@dataclass(frozen=True)
class RecordLockdownExit:
    staff_number: str


@dataclass(frozen=True)
class ReadStaffCard:
    """The staff sign-in screen is open and a card was inserted: read it on the card thread and
    find the staff account whose ID card it is (store thread); answered with StaffCardRead. The
    card's data is dropped there: only the matched account's staff number comes back."""


STAFF_EFFECTS = (RecordHelpCall, SignInStaff, RecordOverride, EndStaffMode, LoadStaffConsole, RecordLockdownExit)


@dataclass(frozen=True)
class StartReceiptScan:
    """Camera on; the scan worker reads receipt QRs from its frames and verifies them offline,
    answering with ReceiptScanned (kiosk/receipt_scan.py)."""
    attempt: int


@dataclass(frozen=True)
class StopReceiptScan:
    """Camera off; the scan worker stops reading frames."""


@dataclass(frozen=True)
class LookUpProgress:
    """Find the statuses of one application: the kiosk's public summary (by `number` or
    `check_code`, or whatever `typed` turns out to be), then, when online, the back office's
    newest. Answered with ProgressFound (once or twice), ProgressNotFound or ProgressOffline."""
    attempt: int
    number: str | None = None
    check_code: str | None = None
    typed: str | None = None


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
    with CounterModeRecorded. `reason` of an end other than the clerk's own touch: "sign_out"
    (staff signed out) or "idle" (staff idle timeout)."""
    staff_number: str
    action: str
    reason: str = ""


Effect = (ReadCard | LookUpRecords | StartFaceCheck | StopFaceCheck | CaptureMaterial | StoreApplication | PrintReceipt
          | SaveRating | WipeSession | RecordHelpCall | SignInStaff | RecordOverride | EndStaffMode | LoadStaffConsole
          | RecordLockdownExit | StartReceiptScan | StopReceiptScan | LookUpProgress | FetchReference | RecordCounterMode
          | ReadStaffCard)
