"""The citizen journey: a pure state machine, unit-tested without Qt.

    handle(state, event, now) -> (new_state, effects)

Only the GUI thread calls `handle`; device workers post events back through the UI bridge.
Screens are bound to `Step` names, render the state, and emit events; they never decide where
to go next.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import Enum
from types import MappingProxyType

from kiosk.domain.application import Application, FaceCheckRecord
from kiosk.domain.catalogue import Bundle, Catalogue, Material
from kiosk.domain.form import (FormPage, first_invalid_page, form_pages, materials_needed, prefill,
                               validate_page)
from kiosk.domain.identity import Identity
from kiosk.domain.text import Text
from kiosk.flows import effects as fx
from kiosk.flows import events as ev
from kiosk.flows import messages as msg


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


# Steps during which the citizen's card must stay in: removing it ends the session.
CARD_BOUND = frozenset({Step.READING_CARD, Step.ACCESS_KEY, Step.FACE_CHECK, Step.CHOOSE_BUNDLE, Step.FORM, Step.MATERIALS, Step.REVIEW})
# Steps where inactivity must not end the session (the kiosk itself is busy).
NO_TIMEOUT = frozenset({Step.ATTRACT, Step.SUBMITTING})


@dataclass(frozen=True)
class FlowConfig:
    catalogue: Catalogue
    timeout_seconds: float = 90.0
    warning_seconds: float = 20.0
    max_face_attempts: int = 3
    max_key_attempts: int = 3
    government: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: MappingProxyType({}))
    # government: data the government already holds, by personal number (a local stand-in for
    # the data-sharing service until a real backend is wired).


@dataclass(frozen=True)
class FaceState:
    attempts: int = 0
    checking: bool = False
    last_distance: float | None = None
    message: Text | None = None
    needs_staff: bool = False
    matched: bool = False


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
    application: Application | None = None
    receipt: ReceiptState | None = None

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

    def materials(self, now: datetime) -> tuple[Material, ...]:
        b = self.bundle()
        if b is None or self.session is None:
            return ()
        return materials_needed(self.config.catalogue, b, self.session.answers, now.date())

    def progress(self, now: datetime) -> tuple[int, int]:
        """(step number, total) as shown to the citizen: card, face, choose, each form page, review, receipt."""
        n_pages = max(1, len(self.pages(now))) if self.session and self.session.bundle_id else 1
        n_pages += 1 if self.materials(now) else 0   # the materials step counts as a page
        total = 3 + n_pages + 2
        index = {
            Step.ATTRACT: 1, Step.READING_CARD: 1, Step.ACCESS_KEY: 1, Step.FACE_CHECK: 2, Step.CHOOSE_BUNDLE: 3,
            Step.MATERIALS: 3 + n_pages,
            Step.REVIEW: 3 + n_pages + 1, Step.SUBMITTING: 3 + n_pages + 1,
            Step.RECEIPT: total, Step.RATING: total,
        }.get(self.step)
        if index is None:  # FORM
            index = 4 + (self.session.page if self.session else 0)
        return index, total


Result = tuple[FlowState, list[fx.Effect]]


def initial_state(config: FlowConfig, lang: str = "zh") -> FlowState:
    return FlowState(config=config, lang=lang)


def _frozen(d: Mapping[str, object]) -> MappingProxyType:
    return MappingProxyType(dict(d))


def _end(state: FlowState, notice: Text | None) -> Result:
    """Wipe the session and go back to the attract screen."""
    effects: list[fx.Effect] = []
    if state.step == Step.FACE_CHECK:
        effects.append(fx.StopFaceCheck())
    effects.append(fx.WipeSession())
    return FlowState(config=state.config, lang=state.lang, attempt=state.attempt, notice=notice,
                     intake_closed=state.intake_closed, sync_backlog=state.sync_backlog), effects


def _goto(state: FlowState, step: Step, now: datetime, **changes: object) -> FlowState:
    return replace(state, step=step, last_activity=now, warning=False, **changes)


def _merge(session: Session, values: Mapping[str, str]) -> Session:
    answers = dict(session.answers)
    answers.update({k: str(v) for k, v in values.items()})
    return replace(session, answers=_frozen(answers))


def _back(state: FlowState, s: Session, now: datetime, default: tuple[Step, int]) -> Result:
    """Go to where the citizen came from (the history), keeping every answer and photo."""
    prev_step, prev_page = s.history[-1] if s.history else default
    session = replace(s, page=prev_page, errors=_frozen({}), history=s.history[:-1], capturing=None)
    return _goto(state, prev_step, now, session=session, notice=None), []


def handle(state: FlowState, event: ev.Event, now: datetime) -> Result:
    """Apply one event. Pure: the same inputs give the same outputs; nothing is mutated."""
    # Events that mean the same thing on every step.
    if isinstance(event, ev.LanguageChosen):
        return replace(state, lang=event.lang if event.lang in ("zh", "en") else "zh", last_activity=now, warning=False), []
    if isinstance(event, ev.UserActive):
        if state.step in NO_TIMEOUT:
            return state, []
        return replace(state, last_activity=now, warning=False), []
    if isinstance(event, ev.Tick):
        left = state.seconds_left(now)
        if left is None:
            return state, []
        if left <= 0:
            return _end(state, msg.TIMED_OUT)
        warn = left <= state.config.warning_seconds
        return (replace(state, warning=warn), []) if warn != state.warning else (state, [])
    if isinstance(event, ev.SyncBacklogChanged):
        return replace(state, sync_backlog=(event.pending, event.since)), []
    if isinstance(event, ev.IntakeChanged):
        # A session under way finishes; the rule only stops new ones (on the attract screen).
        return replace(state, intake_closed=tuple(event.reasons)), []
    if isinstance(event, ev.CancelRequested):
        if state.step in (Step.ATTRACT, Step.SUBMITTING):
            return state, []
        return _end(state, msg.ENDED)
    if isinstance(event, ev.CardRemoved):
        if state.step in CARD_BOUND:
            return _end(state, msg.CARD_REMOVED)
        if state.session is not None and state.session.identity is not None:
            # Already submitted: the application is safe; forget who the citizen is right away.
            s = replace(state.session, identity=None, prefilled=_frozen({}))
            return replace(state, session=s, notice=msg.CARD_REMOVED_AFTER_SUBMIT if state.step != Step.SUBMITTING else None), []
        return state, []
    # Results that belong to a session that has ended are dropped.
    attempt = getattr(event, "attempt", None)
    if attempt is not None and attempt != state.attempt:
        return state, []

    step = state.step
    s = state.session

    if step == Step.ATTRACT:
        if isinstance(event, ev.CardInserted):
            if state.intake_closed:
                return replace(state, notice=msg.INTAKE_CLOSED), []
            new = FlowState(config=state.config, lang=state.lang, step=Step.READING_CARD,
                            attempt=state.attempt + 1, last_activity=now, intake_closed=state.intake_closed,
                            sync_backlog=state.sync_backlog)
            return new, [fx.ReadCard(new.attempt)]
        return state, []

    if step == Step.READING_CARD:
        if isinstance(event, ev.CardFailed):
            return _end(state, event.reason)
        if isinstance(event, ev.AccessKeyNeeded):
            failures = state.key_failures + (1 if event.wrong else 0)
            if failures >= state.config.max_key_attempts:
                return _end(state, msg.KEY_ASK_STAFF)
            notice = event.reason if event.wrong else None
            if event.wrong:
                notice = Text(f"{event.reason.zh}（还可尝试 {state.config.max_key_attempts - failures} 次）",
                              f"{event.reason.en} ({state.config.max_key_attempts - failures} tries left)")
            return _goto(state, Step.ACCESS_KEY, now, key_failures=failures, notice=notice), []
        if isinstance(event, ev.CardRead):
            ident = event.identity
            if not event.genuine:
                return _end(state, event.problem or msg.NOT_GENUINE)
            if ident.is_expired(now.date()):
                return _end(state, msg.EXPIRED)
            gov = state.config.government.get(ident.personal_number or "", {})
            answers, verified = prefill(state.config.catalogue, ident, gov)
            session = Session(identity=ident, prefilled=_frozen(answers), verified=verified, answers=_frozen(answers),
                              face=FaceState(checking=True))
            return _goto(state, Step.FACE_CHECK, now, session=session, notice=None), \
                [fx.StartFaceCheck(state.attempt, ident.photo)]
        return state, []

    if step == Step.ACCESS_KEY:
        if isinstance(event, ev.AccessKeyEntered):
            can = event.can.strip()
            mrz = (event.document_number.strip().upper(), event.birth.strip(), event.expiry.strip())
            ok_can = len(can) == 6 and can.isdigit()
            ok_mrz = bool(mrz[0]) and all(len(x) == 6 and x.isdigit() for x in mrz[1:])
            if not (ok_can or ok_mrz):
                return _goto(state, Step.ACCESS_KEY, now, notice=msg.KEY_FORMAT), []
            effect = fx.ReadCard(state.attempt, can=can) if ok_can else \
                fx.ReadCard(state.attempt, document_number=mrz[0], birth=mrz[1], expiry=mrz[2])
            return _goto(state, Step.READING_CARD, now, notice=None), [effect]
        return state, []

    assert s is not None, f"step {step} without a session"

    if step == Step.FACE_CHECK:
        if isinstance(event, ev.FaceGuidance) and s.face.checking:
            # The citizen is following instructions in front of the camera: that is activity.
            return replace(state, session=replace(s, face=replace(s.face, message=event.instruction)),
                           last_activity=now, warning=False), []
        if isinstance(event, ev.FaceChecked) and s.face.checking:
            if event.matched:
                session = replace(s, face=FaceState(s.face.attempts + 1, False, event.distance, msg.FACE_VERIFIED, matched=True))
                return _goto(state, Step.CHOOSE_BUNDLE, now, session=session, notice=msg.FACE_VERIFIED), [fx.StopFaceCheck()]
            attempts = s.face.attempts + 1
            staff = attempts >= state.config.max_face_attempts
            face = FaceState(attempts, False, event.distance,
                             msg.FACE_ASK_STAFF if staff else (event.reason or msg.FACE_TRY_AGAIN), staff)
            return replace(state, session=replace(s, face=face), last_activity=now, warning=False), [fx.StopFaceCheck()]
        if isinstance(event, ev.FaceRetryRequested) and not s.face.checking and not s.face.needs_staff:
            face = replace(s.face, checking=True, message=None)
            return replace(state, session=replace(s, face=face), last_activity=now, warning=False), \
                [fx.StartFaceCheck(state.attempt, s.identity.photo if s.identity else b"")]
        return state, []

    if step == Step.CHOOSE_BUNDLE:
        if isinstance(event, ev.BundleChosen):
            try:
                state.config.catalogue.bundle(event.bundle_id)
            except KeyError:
                return state, []
            session = replace(s, bundle_id=event.bundle_id, page=0, errors=_frozen({}),
                              history=((Step.CHOOSE_BUNDLE, 0),))
            return _goto(state, Step.FORM, now, session=session, notice=None), []
        return state, []

    if step == Step.FORM:
        if isinstance(event, ev.BackRequested):
            return _back(state, _merge(s, event.values), now, (Step.CHOOSE_BUNDLE, 0))
        if isinstance(event, ev.NextRequested):
            s = _merge(s, event.values)
            pages = form_pages(state.config.catalogue, state.bundle(), s.answers, now.date())
            page = min(s.page, len(pages) - 1)
            errors = validate_page(state.config.catalogue, pages[page], s.answers, now.date()) if pages else {}
            if errors:
                return _goto(state, Step.FORM, now, session=replace(s, page=page, errors=_frozen(errors))), []
            # The answers just given may add or remove later pages; recompute before moving on.
            pages = form_pages(state.config.catalogue, state.bundle(), s.answers, now.date())
            history = s.history + ((Step.FORM, page),)
            if page + 1 < len(pages):
                return _goto(state, Step.FORM, now, session=replace(s, page=page + 1, errors=_frozen({}), history=history)), []
            invalid = first_invalid_page(state.config.catalogue, state.bundle(), s.answers, now.date())
            if invalid is not None:
                back_to, errors = invalid
                return _goto(state, Step.FORM, now, session=replace(s, page=back_to, errors=_frozen(errors),
                                                                     history=s.history)), []
            nxt = Step.MATERIALS if materials_needed(state.config.catalogue, state.bundle(), s.answers, now.date()) \
                else Step.REVIEW
            return _goto(state, nxt, now, session=replace(s, errors=_frozen({}), history=history), notice=None), []
        return state, []

    if step == Step.MATERIALS:
        needed = state.materials(now)
        if isinstance(event, ev.BackRequested):
            return _back(state, s, now, (Step.FORM, 0))
        if isinstance(event, ev.MaterialCaptureRequested) and s.capturing is None:
            if any(m.id == event.material_id and not m.held_by_government for m in needed):
                return _goto(state, Step.MATERIALS, now, session=replace(s, capturing=event.material_id), notice=None), \
                    [fx.CaptureMaterial(state.attempt, event.material_id)]
            return state, []
        if isinstance(event, ev.MaterialCaptured) and s.capturing == event.material_id:
            attachments = dict(s.attachments)
            attachments[event.material_id] = event.image
            return _goto(state, Step.MATERIALS, now, session=replace(s, attachments=_frozen(attachments), capturing=None)), []
        if isinstance(event, ev.MaterialCaptureFailed) and s.capturing == event.material_id:
            return _goto(state, Step.MATERIALS, now, session=replace(s, capturing=None), notice=event.reason), []
        if isinstance(event, ev.NextRequested) and s.capturing is None:
            missing = [m for m in needed if not m.held_by_government and not m.optional and m.id not in s.attachments]
            if missing:
                notice = Text(msg.MATERIALS_MISSING.zh.format(names="、".join(m.title.zh for m in missing)),
                              msg.MATERIALS_MISSING.en.format(names=", ".join(m.title.en for m in missing)))
                return _goto(state, Step.MATERIALS, now, notice=notice), []
            return _goto(state, Step.REVIEW, now, session=replace(s, history=s.history + ((Step.MATERIALS, 0),)),
                         notice=None), []
        return state, []

    if step == Step.REVIEW:
        if isinstance(event, ev.BackRequested):
            return _back(state, s, now, (Step.FORM, 0))
        if isinstance(event, ev.SubmitRequested):
            if not event.consent:
                return _goto(state, Step.REVIEW, now, notice=msg.CONSENT_NEEDED), []
            # Only the answers to fields that still apply are kept (build_application drops the rest).
            wanted = {m.id for m in state.materials(now)}
            effect = fx.StoreApplication(state.attempt, s.bundle_id or "", s.answers, s.verified, s.prefilled,
                                         True, state.lang, now,
                                         _frozen({k: v for k, v in s.attachments.items() if k in wanted}),
                                         FaceCheckRecord(s.face.matched, s.face.last_distance, s.face.attempts))
            return _goto(state, Step.SUBMITTING, now, session=replace(s, consent=True), notice=None), [effect]
        return state, []

    if step == Step.SUBMITTING:
        if isinstance(event, ev.ApplicationStored):
            session = replace(s, application=event.application, receipt=ReceiptState(printing=True))
            return _goto(state, Step.RECEIPT, now, session=session), [fx.PrintReceipt(state.attempt, event.application)]
        if isinstance(event, ev.StoreFailed):
            return _goto(state, Step.REVIEW, now, notice=event.reason), []
        return state, []

    if step == Step.RECEIPT:
        if isinstance(event, ev.ReceiptPrinted):
            return replace(state, session=replace(s, receipt=ReceiptState(False, event.location, None))), []
        if isinstance(event, ev.PrintFailed):
            reason = Text(f"{event.reason.zh} {msg.PRINT_PROBLEM.zh}", f"{event.reason.en} {msg.PRINT_PROBLEM.en}")
            return replace(state, session=replace(s, receipt=ReceiptState(False, None, reason))), []
        if isinstance(event, ev.ReprintRequested) and s.receipt and not s.receipt.printing and s.application:
            return _goto(state, Step.RECEIPT, now, session=replace(s, receipt=ReceiptState(True))), \
                [fx.PrintReceipt(state.attempt, s.application)]
        if isinstance(event, ev.ReceiptTaken) and s.receipt and not s.receipt.printing:
            return _goto(state, Step.RATING, now, notice=None), []
        return state, []

    if step == Step.RATING:
        if isinstance(event, ev.Rated):
            effects: list[fx.Effect] = []
            if event.score is not None and s.application is not None and 1 <= event.score <= 5:
                effects.append(fx.SaveRating(s.application.number, event.score))
            new, end_effects = _end(state, msg.THANKS if event.score is not None else None)
            return new, effects + end_effects
        return state, []

    return state, []
