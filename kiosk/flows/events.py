"""Events: things that happened (past tense), fed to the flow by the UI and by device workers.

Device results carry the `attempt` (session number) they were started for, so a late result
from a session that has already ended is ignored instead of leaking into the next citizen's.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from kiosk.domain.application import Application
from kiosk.domain.government import GovernmentData
from kiosk.domain.identity import Identity
from kiosk.domain.progress import ReceiptCheck, ReceiptProgress
from kiosk.domain.text import Text
from kiosk.flows.staff_state import HealthLine, OverrideCount, StaffPurpose


def _frozen(values: Mapping[str, str] | None) -> Mapping[str, str]:
    return MappingProxyType(dict(values or {}))


@dataclass(frozen=True)
class CardInserted:
    pass


@dataclass(frozen=True)
class CardRead:
    attempt: int
    identity: Identity
    genuine: bool = True           # passive authentication verdict (issue 3 fills it for real)
    problem: Text | None = None    # why the data cannot be trusted, when genuine is False
    # The card was read but its photo could not be decoded (e.g. a resident ID card's WLT photo):
    # no automated face check can run, so the citizen is offered staff verification.
    photo_problem: Text | None = None


@dataclass(frozen=True)
class CardFailed:
    attempt: int
    reason: Text


@dataclass(frozen=True)
class AccessKeyNeeded:
    """The chip needs the CAN or MRZ details; `wrong` when the last key did not open it."""
    attempt: int
    reason: Text
    wrong: bool = False


@dataclass(frozen=True)
class AccessKeyEntered:
    """The citizen typed the 6-digit CAN, or the document number with birth and expiry dates."""
    can: str = ""
    document_number: str = ""
    birth: str = ""       # YYMMDD
    expiry: str = ""      # YYMMDD

    def __repr__(self) -> str:
        return "AccessKeyEntered(...)"


@dataclass(frozen=True)
class CardRemoved:
    pass


@dataclass(frozen=True)
class RecordsFound:
    """The government records backend answered for this session's citizen."""
    attempt: int
    data: GovernmentData


@dataclass(frozen=True)
class RecordsUnavailable:
    """The records lookup failed, timed out, or there is no records backend: nothing is prefilled
    from government data and nothing counts as held; the citizen types what was not found."""
    attempt: int


@dataclass(frozen=True)
class FaceChecked:
    attempt: int
    matched: bool
    distance: float | None = None
    reason: Text | None = None     # what to do next when it did not match
    # This document has failed too many checks (across sessions): staff must verify the citizen.
    locked: bool = False
    checks: tuple[str, ...] = ()   # what a match established ("match", "moves:3", "flash")
    # The document's photo cannot serve as a reference at all: staff verify the citizen.
    staff_only: bool = False


@dataclass(frozen=True)
class FaceGuidance:
    """What the citizen should do now during a face check ("come closer", "blink")."""
    attempt: int
    instruction: Text


@dataclass(frozen=True)
class FaceRetryRequested:
    pass


@dataclass(frozen=True)
class BundleChosen:
    bundle_id: str


@dataclass(frozen=True)
class NextRequested:
    """Next on a form page, with what the citizen has typed on it."""
    values: Mapping[str, str] = field(default_factory=lambda: _frozen(None))

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", _frozen(self.values))


@dataclass(frozen=True)
class BackRequested:
    """Back, with what the citizen has typed on the current page so nothing is lost."""
    values: Mapping[str, str] = field(default_factory=lambda: _frozen(None))

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", _frozen(self.values))


@dataclass(frozen=True)
class MaterialCaptureRequested:
    """The citizen pressed "take photo" for a material."""
    material_id: str


@dataclass(frozen=True)
class MaterialCaptured:
    attempt: int
    material_id: str
    image: bytes = field(repr=False)   # JPEG, kept in memory until the store encrypts it


@dataclass(frozen=True)
class MaterialCaptureFailed:
    attempt: int
    material_id: str
    reason: Text


@dataclass(frozen=True)
class SubmitRequested:
    consent: bool


@dataclass(frozen=True)
class ApplicationStored:
    attempt: int
    application: Application


@dataclass(frozen=True)
class StoreFailed:
    attempt: int
    reason: Text


@dataclass(frozen=True)
class ReceiptPrinted:
    attempt: int
    location: str


@dataclass(frozen=True)
class PrintFailed:
    attempt: int
    reason: Text


@dataclass(frozen=True)
class ReprintRequested:
    pass


@dataclass(frozen=True)
class ReceiptTaken:
    """The citizen confirms they have the receipt and moves on to the rating."""


@dataclass(frozen=True)
class Rated:
    score: int | None   # 1..5, or None when skipped
    items: tuple[str, ...] = ()       # department items the score is about; () = the whole visit
    reasons: tuple[str, ...] = ()     # ids from kiosk/domain/rating.py REASONS
    callback: bool = False            # a bad rating: call me back at the form's phone number


@dataclass(frozen=True)
class LanguageChosen:
    """The citizen switched language; `values` is what they have typed on the form page and not
    yet sent with Next, kept so the switch loses nothing."""
    lang: str
    values: Mapping[str, str] = field(default_factory=lambda: _frozen(None))

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", _frozen(self.values))


@dataclass(frozen=True)
class LargeModeChosen:
    """The citizen turned 长辈版 (large mode) on or off, from the attract screen or the header."""
    on: bool


@dataclass(frozen=True)
class UserActive:
    """Any touch or key press: resets the inactivity timer."""


@dataclass(frozen=True)
class Tick:
    """Periodic clock tick (about once a second) that drives the inactivity timer."""


@dataclass(frozen=True)
class CancelRequested:
    """The citizen pressed 'End' (or staff ended the session)."""


@dataclass(frozen=True)
class IntakeChanged:
    """The sync freeze rule changed its answer: `reasons` (for staff, why new applications are
    paused) is empty when the kiosk takes new applications again."""
    reasons: tuple[Text, ...] = ()


@dataclass(frozen=True)
class SyncBacklogChanged:
    """Applications stored here that the back office does not have yet, and the time the oldest
    was stored (ISO text), for the staff line on the attract screen."""
    pending: int
    since: str | None = None


# --- staff at the kiosk (kiosk/flows/staff.py) ---------------------------------------------------

@dataclass(frozen=True)
class HelpRequested:
    """The citizen pressed "Ask staff" in the header."""


@dataclass(frozen=True)
class HelpPanelClosed:
    """The citizen closed the "staff are on their way" panel (the call stays open)."""


@dataclass(frozen=True)
class StaffRequested:
    """Open the staff sign-in for `purpose` (override, console, answering a call, leaving lockdown)."""
    purpose: StaffPurpose


@dataclass(frozen=True)
class StaffSignInSubmitted:
    staff_number: str
    pin: str = field(repr=False)

    def __repr__(self) -> str:
        return "StaffSignInSubmitted(...)"


@dataclass(frozen=True)
class StaffSignInAnswered:
    """The store thread checked a PIN. `message` says what happened in plain words."""
    ok: bool
    message: Text
    staff_number: str | None = None
    role: str | None = None
    attempts_left: int | None = None
    locked: bool = False


@dataclass(frozen=True)
class StaffCardRead:
    """A card inserted on the staff sign-in screen was read and looked up (ReadStaffCard):
    `staff_number` of the account whose own ID card it is, or None with `message` saying why not
    (only "not a staff card", or that it could not be read: nothing about a citizen's card)."""
    staff_number: str | None
    message: Text | None = None


@dataclass(frozen=True)
class StaffScreenClosed:
    """Staff closed their screen: back to the citizen's (staff stay signed in until idle)."""


@dataclass(frozen=True)
class StaffSignedOut:
    """Staff pressed "sign out"."""


@dataclass(frozen=True)
class OverrideConfirmed:
    """A signed-in clerk compared the person with the document and picked a reason."""
    reason: str
    note: str = ""


@dataclass(frozen=True)
class OverrideRecorded:
    """The store thread wrote (or could not write) the override's audit entry."""
    attempt: int
    ok: bool
    flagged: bool = False
    problem: Text | None = None


@dataclass(frozen=True)
class HelpCallAnswered:
    """Staff marked a help call as dealt with (on the console)."""
    number: str


@dataclass(frozen=True)
class StaffConsoleLoaded:
    overrides: tuple[OverrideCount, ...] = ()
    health: tuple[HealthLine, ...] = ()


@dataclass(frozen=True)
class LockdownExitRecorded:
    """The supervisor's `lockdown_exit` is in the audit trail (or could not be written)."""
    ok: bool
# --- scanning a receipt to see progress (kiosk/flows/scan.py) --------------------------------------
@dataclass(frozen=True)
class ScanRequested:
    """"Scan your receipt" on the attract screen: a session that needs no card."""


@dataclass(frozen=True)
class TypingRequested:
    """The citizen wants to type the application number or check code instead of scanning."""


@dataclass(frozen=True)
class ScanAgainRequested:
    """Back to the camera, for another receipt (or another try)."""


@dataclass(frozen=True)
class CodeTyped:
    """What the citizen typed on the pad: an application number or a check code."""
    text: str


@dataclass(frozen=True)
class ReceiptScanned:
    """The scan worker read a receipt QR from the camera and verified it offline."""
    attempt: int
    check: ReceiptCheck


@dataclass(frozen=True)
class ProgressFound:
    """Statuses for the application on screen: the kiosk's copy, or the back office's newest.
    `final` is False when the back office's answer is still to come."""
    attempt: int
    progress: ReceiptProgress
    final: bool = True


@dataclass(frozen=True)
class ProgressNotFound:
    """A typed number or code this kiosk does not know (and the back office did not either)."""
    attempt: int
    reason: Text


@dataclass(frozen=True)
class ProgressOffline:
    """The back office could not be asked for the newest statuses; what the kiosk has stays."""
    attempt: int
# --- assisted applications (kiosk/flows/assist.py) ---------------------------------------------

@dataclass(frozen=True)
class ProxyRequested:
    """"For someone else" on the choose screen: the agent (whose card was just read) applies for
    another person, whose card goes on the reader next."""


@dataclass(frozen=True)
class RelationshipChosen:
    relationship: str          # a key of kiosk.domain.assisted.RELATIONSHIPS


@dataclass(frozen=True)
class NoCardRequested:
    """"Forgot your card?" on the attract screen: identity from the ID number and the face."""


@dataclass(frozen=True)
class IdNumberEntered:
    number: str = field(repr=False)

    def __repr__(self) -> str:
        return "IdNumberEntered(...)"


@dataclass(frozen=True)
class ReferenceFound:
    """The IdentityService answered with the reference photo (inside `identity`) of the number."""
    attempt: int
    identity: Identity


@dataclass(frozen=True)
class ReferenceUnavailable:
    """No reference photo: not found, refused, too many requests, or offline (`offline`)."""
    attempt: int
    reason: Text
    offline: bool = False


@dataclass(frozen=True)
class IdentityServiceChanged:
    """Whether the no-card path can be offered now (the IdentityService is configured and online)."""
    available: bool


@dataclass(frozen=True)
class CounterModeRequested:
    """A signed-in clerk switches the kiosk to counter mode (staff console, or the clerk window)."""


@dataclass(frozen=True)
class CounterModeRecorded:
    """The `counter_mode` audit entry for starting counter mode is written (or could not be)."""
    ok: bool


@dataclass(frozen=True)
class CounterModeEnded:
    """The clerk ends counter mode (between citizens)."""


@dataclass(frozen=True)
class CitizenConsented:
    """In counter mode, the citizen confirmed consent on their own screen."""


Event = (CardInserted | CardRead | CardFailed | AccessKeyNeeded | AccessKeyEntered | CardRemoved
         | RecordsFound | RecordsUnavailable | FaceChecked | FaceGuidance | FaceRetryRequested | BundleChosen
         | NextRequested | BackRequested | MaterialCaptureRequested | MaterialCaptured | MaterialCaptureFailed
         | SubmitRequested | ApplicationStored | StoreFailed | ReceiptPrinted
         | PrintFailed | ReprintRequested | ReceiptTaken | Rated | LanguageChosen | LargeModeChosen | UserActive | Tick
         | CancelRequested | IntakeChanged | SyncBacklogChanged
         | HelpRequested | HelpPanelClosed | StaffRequested | StaffSignInSubmitted | StaffSignInAnswered
         | StaffScreenClosed | StaffCardRead | StaffSignedOut | OverrideConfirmed | OverrideRecorded | HelpCallAnswered
         | StaffConsoleLoaded | LockdownExitRecorded
         | ScanRequested | TypingRequested | ScanAgainRequested | CodeTyped | ReceiptScanned | ProgressFound
         | ProgressNotFound | ProgressOffline
         | ProxyRequested | RelationshipChosen | NoCardRequested | IdNumberEntered | ReferenceFound | ReferenceUnavailable
         | IdentityServiceChanged | CounterModeRequested | CounterModeRecorded | CounterModeEnded | CitizenConsented)
