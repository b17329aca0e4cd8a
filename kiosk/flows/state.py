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
from kiosk.domain.catalogue import Bundle, Catalogue
from kiosk.domain.form import FormPage, NeededMaterial, form_pages, materials_needed
from kiosk.domain.government import GovernmentData
from kiosk.domain.identity import Identity
from kiosk.domain.text import Text
from kiosk.flows.assist_state import CounterMode, NoCardState, ProxyState
from kiosk.flows.staff_state import StaffState


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
    reference_timeout_seconds: float = 8.0   # how long the reference photo of an ID number may take (no card)


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
    needs_staff: bool = False
    matched: bool = False

    def record(self) -> FaceCheckRecord:
        """What travels with the application: outcome, distance, attempts (never an image)."""
        return FaceCheckRecord(self.matched, self.last_distance, self.attempts)


@dataclass(frozen=True)
class ReceiptState:
    printing: bool = True
    location: str | None = None
    error: Text | None = None


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
    counter: CounterMode | None = None     # a clerk drives the journey from the clerk window (kiosk/flows/assist.py)
    no_card_available: bool = False        # the IdentityService can answer now (never offline)

    def bundle(self) -> Bundle | None:
        if self.session is None or self.session.bundle_id is None:
            return None
        return self.config.catalogue.bundle(self.session.bundle_id)

    def pages(self, now: datetime) -> tuple[FormPage, ...]:
        b = self.bundle()
        if b is None or self.session is None:
            return ()
        return form_pages(self.config.catalogue, b, self.session.answers, now.date())

    def seconds_left(self, now: datetime) -> float | None:
        """Seconds until the inactivity wipe, or None when no timer runs on this step."""
        if self.step in NO_TIMEOUT or self.last_activity is None:
            return None
        return self.config.timeout_seconds - (now - self.last_activity).total_seconds()

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
        """(step number, total) as shown to the citizen: card, face, choose, each form page, review, receipt."""
        n_pages = max(1, len(self.pages(now))) if self.session and self.session.bundle_id else 1
        n_pages += 1 if self.materials(now) else 0   # the materials step counts as a page
        total = 3 + n_pages + 2
        index = {
            Step.ATTRACT: 1, Step.READING_CARD: 1, Step.ACCESS_KEY: 1, Step.FACE_CHECK: 2, Step.CHOOSE_BUNDLE: 3,
            Step.ID_NUMBER: 1, Step.PROXY_PRINCIPAL: 3, Step.PROXY_RELATIONSHIP: 3, Step.PROXY_AUTHORISATION: 3,
            Step.MATERIALS: 3 + n_pages,
            Step.REVIEW: 3 + n_pages + 1, Step.SUBMITTING: 3 + n_pages + 1,
            Step.RECEIPT: total, Step.RATING: total,
        }.get(self.step)
        if index is None:  # FORM
            index = 4 + (self.session.page if self.session else 0)
        return index, total


def initial_state(config: FlowConfig, lang: str = "zh") -> FlowState:
    return FlowState(config=config, lang=lang)
