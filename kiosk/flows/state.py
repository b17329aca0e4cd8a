"""The journey's state: frozen dataclasses the GUI thread holds and screens render.

Nothing here decides where to go next (that is `kiosk.flows.handlers`); the methods only derive
what a screen shows from the state and the catalogue.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from types import MappingProxyType

from kiosk.domain.application import Application, Draft, FaceCheckRecord
from kiosk.domain.autofill import same_as
from kiosk.domain.catalogue import Bundle, Catalogue, FieldDef
from kiosk.domain.form import FormPage, NeededMaterial, form_pages, materials_needed
from kiosk.domain.government import GovernmentData
from kiosk.domain.identity import Identity
from kiosk.domain.progress import ReceiptProgress
from kiosk.domain.text import Text
from kiosk.flows.assist_state import CounterMode, NoCardState, ProxyState
from kiosk.flows.staff_state import HelpCall, StaffState


class Step(str, Enum):
    ATTRACT = "attract"
    READING_CARD = "reading_card"
    ACCESS_KEY = "access_key"
    FACE_CHECK = "face_check"
    CHOOSE_BUNDLE = "choose_bundle"
    FORM = "form"
    MATERIALS = "materials"
    REVIEW = "review"
    SUBMITTING = "submitting"
    RECEIPT = "receipt"
    RATING = "rating"
    SCAN_RECEIPT = "scan_receipt"      # scan a receipt (or type its number) to see progress; no card
    # issue 12 (kiosk/flows/assist.py): for someone else (代办), and identity without the card (刷脸办)
    PROXY_PRINCIPAL = "proxy_principal"          # the agent's card is off; the principal's goes on
    PROXY_RELATIONSHIP = "proxy_relationship"
    PROXY_AUTHORISATION = "proxy_authorisation"
    ID_NUMBER = "id_number"


# Steps during which the citizen's card must stay in: removing it ends the session.
CARD_BOUND = frozenset({Step.READING_CARD, Step.ACCESS_KEY, Step.FACE_CHECK, Step.CHOOSE_BUNDLE, Step.FORM, Step.MATERIALS, Step.REVIEW,
                        Step.PROXY_RELATIONSHIP, Step.PROXY_AUTHORISATION})
# Steps where inactivity must not end the session (the kiosk itself is busy).
NO_TIMEOUT = frozenset({Step.ATTRACT, Step.SUBMITTING})


@dataclass(frozen=True)
class FlowConfig:
    catalogue: Catalogue
    timeout_seconds: float = 90.0
    warning_seconds: float = 20.0
    max_face_attempts: int = 3
    max_key_attempts: int = 3
    records_timeout_seconds: float = 5.0   # how long the government records lookup may take
    help_wait_seconds: float = 600.0       # the inactivity timeout while a help call waits for staff
    staff_idle_seconds: float = 120.0      # staff mode (and an open staff screen) ends after this long untouched
    reference_timeout_seconds: float = 8.0   # how long the reference photo of an ID number may take (no card)
    language: str = "zh"                   # kiosk.language: every new citizen starts in it
    languages: tuple[str, ...] = ("zh", "en")   # kiosk.languages: what the header's switch offers, in order
    large_timeout_seconds: float = 180.0   # the inactivity timeout in large mode (slower readers)


class Records(str, Enum):
    """Where this session's government records lookup is. Only FOUND prefills or marks anything
    as held; a lookup that fails, or answers after the citizen has started the form, counts as
    UNAVAILABLE: the citizen types and photographs what was not found."""
    PENDING = "pending"
    FOUND = "found"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class FaceState:
    attempts: int = 0
    checking: bool = False
    last_distance: float | None = None
    message: Text | None = None
    needs_staff: bool = False         # failed for good (or cannot run): staff verification is offered
    matched: bool = False
    photo_missing: bool = False       # the card's photo could not be decoded: no automated check at all
    staff_number: str | None = None   # a clerk confirmed identity in person (override)
    override_reason: str | None = None
    # needs_staff because this document failed too many checks today, in any session: staff
    # verify the citizen's identity themselves (the override below).
    locked: bool = False
    checks: tuple[str, ...] = ()

    def record(self) -> FaceCheckRecord:
        """What travels with the application: outcome, distance, attempts, what was checked, and
        the clerk who confirmed identity instead when there was an override (never an image)."""
        return FaceCheckRecord(self.matched, self.last_distance, self.attempts, self.checks,
                               staff_number=self.staff_number, override_reason=self.override_reason)

    @property
    def overridable(self) -> bool:
        """The automated check has failed for good or cannot run: a clerk may confirm identity."""
        return self.needs_staff and not self.checking and not self.matched and self.staff_number is None


@dataclass(frozen=True)
class ReceiptState:
    printing: bool = True
    location: str | None = None
    error: Text | None = None


class ScanMode(str, Enum):
    CAMERA = "camera"      # the preview runs; the scan worker reads frames
    TYPING = "typing"      # the on-screen pad for the number or check code


@dataclass(frozen=True)
class ScanState:
    """The scan-to-check session (kiosk/flows/scan.py). Holds only the public summary."""
    mode: ScanMode = ScanMode.CAMERA
    looking_up: bool = False              # a lookup by number or code is under way
    progress: ReceiptProgress | None = None
    refusal: Text | None = None           # why the receipt was refused, and what to do
    note: Text | None = None              # e.g. "the back office could not be reached"


@dataclass(frozen=True)
class Session:
    identity: Identity | None
    prefilled: Mapping[str, str]
    verified: frozenset[str]
    answers: Mapping[str, str]
    bundle_id: str | None = None
    page: int = 0
    errors: Mapping[str, Text] = field(default_factory=lambda: MappingProxyType({}))
    history: tuple[tuple[Step, int], ...] = ()
    face: FaceState = FaceState()
    consent: bool = False
    attachments: Mapping[str, bytes] = field(default_factory=lambda: MappingProxyType({}))
    capturing: str | None = None      # the material being photographed now
    draft: Draft | None = None        # what the review shows and the store numbers (built on entering it)
    records: Records = Records.PENDING
    government: GovernmentData | None = None   # what the records lookup returned for this citizen
    application: Application | None = None
    receipt: ReceiptState | None = None
    proxy: ProxyState | None = None       # applying for someone else (kiosk/flows/assist.py)
    no_card: NoCardState | None = None    # identity from the ID number and the face, without the card

    def __repr__(self) -> str:  # never print answers into a traceback or log
        return f"Session(bundle={self.bundle_id}, page={self.page}, answers={len(self.answers)})"


@dataclass(frozen=True)
class FlowState:
    config: FlowConfig
    step: Step = Step.ATTRACT
    lang: str = "zh"
    session: Session | None = None
    attempt: int = 0                 # session counter; device results for older attempts are dropped
    last_activity: datetime | None = None
    warning: bool = False            # the inactivity countdown is showing
    notice: Text | None = None       # one message for the current screen
    key_failures: int = 0            # wrong access keys typed for the card on the reader
    intake_closed: tuple[Text, ...] = ()   # why new applications are paused (sync freeze rule), for staff
    sync_backlog: tuple[int, str | None] = (0, None)   # pending for the back office, since when
    staff: StaffState = field(default_factory=StaffState)   # help calls, the staff member signed in, staff screens
    scan: ScanState | None = None    # the scan-to-check session (Step.SCAN_RECEIPT)
    counter: CounterMode | None = None     # a clerk drives the journey from the clerk window (kiosk/flows/assist.py)
    no_card_available: bool = False        # the IdentityService can answer now (never offline)
    large: bool = False              # 长辈版: large text and targets (and voice, which follows this flag)

    def bundle(self) -> Bundle | None:
        if self.session is None or self.session.bundle_id is None:
            return None
        return self.config.catalogue.bundle(self.session.bundle_id)

    def pages(self, now: datetime) -> tuple[FormPage, ...]:
        b = self.bundle()
        if b is None or self.session is None:
            return ()
        return form_pages(self.config.catalogue, b, self.session.answers, now.date())

    def same_as(self, f: FieldDef) -> tuple[Text, str] | None:
        """The words and the value of `f`'s "same as" button (catalogue `same_as:`), or None."""
        if self.session is None:
            return None
        return same_as(self.config.catalogue, f, self.session.identity, self.session.answers)

    def computed(self, field_id: str) -> bool:
        """The field holds the kiosk's own worked-out suggestion (catalogue `computed:`), unchanged."""
        s = self.session
        return s is not None and field_id in s.prefilled and field_id not in s.verified \
            and s.answers.get(field_id) == s.prefilled[field_id]

    def seconds_left(self, now: datetime) -> float | None:
        """Seconds until the inactivity wipe, or None when no timer runs on this step."""
        if self.step in NO_TIMEOUT or self.last_activity is None:
            return None
        timeout = self.timeout_seconds()
        if self.help_call() is not None or self.staff.view is not None:
            # Waiting for staff, or staff at work: the session keeps its place for longer.
            timeout = max(timeout, self.config.help_wait_seconds)
        return timeout - (now - self.last_activity).total_seconds()

    def timeout_seconds(self) -> float:
        """The inactivity timeout for this citizen: longer in large mode."""
        return max(self.config.timeout_seconds, self.config.large_timeout_seconds) if self.large \
            else self.config.timeout_seconds

    def help_call(self) -> HelpCall | None:
        """The open help call of the citizen at the kiosk now (this session's, or the attract
        screen's when there is no session)."""
        return self.staff.call_for(self.help_key())

    def help_key(self) -> int:
        return self.attempt if self.session is not None else 0

    def can_go_back(self) -> bool:
        return self.step in (Step.FORM, Step.MATERIALS, Step.REVIEW)

    def government_holds(self) -> frozenset[str]:
        """The material keys the government holds for this citizen (empty without records)."""
        g = self.session.government if self.session is not None else None
        return g.materials if g is not None else frozenset()

    def materials(self, now: datetime) -> tuple[NeededMaterial, ...]:
        b = self.bundle()
        if b is None or self.session is None:
            return ()
        return materials_needed(self.config.catalogue, b, self.session.answers, now.date(), self.government_holds())

    def progress(self, now: datetime) -> tuple[int, int]:
        """(step number, total) of the fixed six-step journey the citizen sees (JOURNEY_STEPS):
        the total never changes; the form's pages are counted inside step 4 (`form_page`). Step 0
        on a step that is no part of an application (the receipt scan)."""
        return JOURNEY_INDEX.get(self.step, -1) + 1, len(JOURNEY_STEPS)

    def form_page(self, now: datetime) -> tuple[int, int] | None:
        """(page, pages) of the form while the citizen fills it in; None elsewhere."""
        if self.step != Step.FORM or self.session is None:
            return None
        n = len(self.pages(now))
        return (min(self.session.page, max(0, n - 1)) + 1, n) if n else None


# The six steps of the progress bar: 读卡 · 核验 · 选事项 · 填写 · 核对 · 回执.
JOURNEY_STEPS = ("card", "verify", "choose", "fill", "review", "receipt")
JOURNEY_INDEX = MappingProxyType({
    Step.ATTRACT: 0, Step.READING_CARD: 0, Step.ACCESS_KEY: 0, Step.FACE_CHECK: 1, Step.CHOOSE_BUNDLE: 2,
    Step.FORM: 3, Step.MATERIALS: 3, Step.REVIEW: 4, Step.SUBMITTING: 4, Step.RECEIPT: 5, Step.RATING: 5,
    # identity without the card is still step 1 (读卡); applying for someone else happens while choosing
    Step.ID_NUMBER: 0, Step.PROXY_PRINCIPAL: 2, Step.PROXY_RELATIONSHIP: 2, Step.PROXY_AUTHORISATION: 2,
})


def initial_state(config: FlowConfig, lang: str | None = None) -> FlowState:
    """The attract screen in `lang`, or in the configured kiosk language."""
    return FlowState(config=config, lang=lang or config.language)
