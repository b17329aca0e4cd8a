"""Navigation as a table: one small handler per step, `HANDLERS[step](state, event, now)`.

Like Electrum's wizard keys its views by name, each step says what its own events do and where
they lead; events that mean the same everywhere are in `kiosk.flows.common`. Every handler is
pure and answers an event it does not expect with the state unchanged and no effects.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from types import MappingProxyType
from typing import Any

from kiosk.domain import rating
from kiosk.domain.drafting import build_draft
from kiosk.domain.assisted import CARD, ID_NUMBER
from kiosk.domain.form import first_invalid_page, form_pages, materials_needed, prefill, validate_page
from kiosk.i18n import LIST_SEPARATOR, tr
from kiosk.flows import effects as fx
from kiosk.flows import events as ev
from kiosk.flows import messages as msg
from kiosk.flows import assist, scan
from kiosk.flows import assist_messages as am
from kiosk.flows.common import Result, back, carry_over, derived, end, frozen, goto, merge, session_of
from kiosk.flows.state import FaceState, FlowState, ReceiptState, Records, Session, Step

Handler = Callable[[FlowState, ev.Event, datetime], Result]


def _to_review(state: FlowState, s: Session, now: datetime, **changes: Any) -> Result:
    """Enter the review with a draft built now from the answers: the one the citizen reviews and
    the store numbers. Photos of materials that no longer apply are left out of it."""
    catalogue, bundle = state.config.catalogue, state.bundle()
    assert bundle is not None, "the review needs a bundle"
    proxy = s.proxy
    draft = build_draft(catalogue, bundle, s.answers, s.verified, s.prefilled, drafted_at=now, lang=state.lang,
                        attachments=s.attachments, face_check=s.face.record(), government_holds=state.government_holds(),
                        proxy=proxy.record() if proxy else None, authorisation=proxy.authorisation if proxy else b"",
                        counter_staff=assist.counter_staff(state),
                        identity_source=ID_NUMBER if s.no_card is not None else CARD)
    return goto(state, Step.REVIEW, now, session=replace(s, draft=draft, **changes), notice=None), []


def _records(state: FlowState, s: Session, event: ev.Event, now: datetime) -> Result | None:
    """The records lookup's answer, taken while the citizen has not started the form yet (later,
    filling fields under their fingers would be a surprise; they type what is missing instead).
    Government values fill only fields with no answer yet (or only the kiosk's own computed
    suggestion), and count as verified; computed fields are then worked out again from them."""
    if s.records is not Records.PENDING:
        return None
    if isinstance(event, ev.RecordsUnavailable):
        return replace(state, session=replace(s, records=Records.UNAVAILABLE)), []
    if not isinstance(event, ev.RecordsFound):
        return None
    found, _ = prefill(state.config.catalogue, None, event.data.values)
    suggested = {k for k, v in s.prefilled.items() if k not in s.verified and s.answers.get(k) == v}
    new = {k: v for k, v in found.items() if k not in s.answers or k in suggested}
    session = replace(s, answers=frozen({**s.answers, **new}), prefilled=frozen({**s.prefilled, **new}),
                      verified=s.verified | frozenset(new), records=Records.FOUND, government=event.data)
    return replace(state, session=derived(state, session, now)), []


def _attract(state: FlowState, event: ev.Event, now: datetime) -> Result:
    if isinstance(event, ev.ScanRequested):
        return scan.start(state, now)
    if isinstance(event, ev.NoCardRequested):
        return assist.start_no_card(state, now)
    if isinstance(event, ev.CardInserted):
        if state.intake_closed:
            return replace(state, notice=msg.INTAKE_CLOSED), []
        staff, staff_effects = carry_over(state)   # a citizen's card ends staff mode
        # The language and mode chosen on the attract screen are this citizen's: they carry on.
        new = FlowState(config=state.config, lang=state.lang, large=state.large, step=Step.READING_CARD,
                        attempt=state.attempt + 1, last_activity=now, intake_closed=state.intake_closed,
                        sync_backlog=state.sync_backlog, staff=staff, counter=state.counter,
                        no_card_available=state.no_card_available)
        return new, [*staff_effects, fx.ReadCard(new.attempt)]
    return state, []


def _reading_card(state: FlowState, event: ev.Event, now: datetime) -> Result:
    if isinstance(event, ev.CardFailed):
        return end(state, event.reason)
    if isinstance(event, ev.AccessKeyNeeded):
        failures = state.key_failures + (1 if event.wrong else 0)
        left = state.config.max_key_attempts - failures
        if left <= 0:
            return end(state, msg.KEY_ASK_STAFF)
        notice = tr("{reason}（还可尝试 {left} 次）").format(reason=event.reason, left=left) if event.wrong else None
        return goto(state, Step.ACCESS_KEY, now, key_failures=failures, notice=notice), []
    if isinstance(event, ev.CardRead):
        ident = event.identity
        if not event.genuine:
            return end(state, event.problem or msg.NOT_GENUINE)
        if ident.is_expired(now.date()):
            return end(state, msg.EXPIRED)
        answers, verified = prefill(state.config.catalogue, ident)
        if event.photo_problem is not None:
            # The card's photo could not be decoded: no automated check can run, so staff verify.
            face = FaceState(message=msg.PHOTO_UNREADABLE, needs_staff=True, photo_missing=True)
            session = Session(identity=replace(ident, photo=b""), prefilled=frozen(answers), verified=verified,
                              answers=frozen(answers), face=face)
            return goto(state, Step.FACE_CHECK, now, session=session, notice=None), \
                [fx.LookUpRecords(state.attempt, ident, state.config.records_timeout_seconds)]
        session = derived(state, Session(identity=ident, prefilled=frozen(answers), verified=verified,
                                         answers=frozen(answers), face=FaceState(checking=True)), now)
        # The records lookup runs while the citizen turns to the camera; it never holds them up.
        return goto(state, Step.FACE_CHECK, now, session=session, notice=None), \
            [fx.StartFaceCheck(state.attempt, ident.photo, ident.document_number),
             fx.LookUpRecords(state.attempt, ident, state.config.records_timeout_seconds)]
    return state, []


def _access_key(state: FlowState, event: ev.Event, now: datetime) -> Result:
    if isinstance(event, ev.AccessKeyEntered):
        can = event.can.strip()
        mrz = (event.document_number.strip().upper(), event.birth.strip(), event.expiry.strip())
        ok_can = len(can) == 6 and can.isdigit()
        ok_mrz = bool(mrz[0]) and all(len(x) == 6 and x.isdigit() for x in mrz[1:])
        if not (ok_can or ok_mrz):
            return goto(state, Step.ACCESS_KEY, now, notice=msg.KEY_FORMAT), []
        effect = fx.ReadCard(state.attempt, can=can) if ok_can else \
            fx.ReadCard(state.attempt, document_number=mrz[0], birth=mrz[1], expiry=mrz[2])
        return goto(state, Step.READING_CARD, now, notice=None), [effect]
    return state, []


def _face_check(state: FlowState, event: ev.Event, now: datetime) -> Result:
    s = session_of(state)
    records = _records(state, s, event, now)
    if records is not None:
        return records
    face = s.face
    if isinstance(event, ev.FaceGuidance) and face.checking:
        # The citizen is following instructions in front of the camera: that is activity.
        return replace(state, session=replace(s, face=replace(face, message=event.instruction)),
                       last_activity=now, warning=False), []
    if isinstance(event, ev.FaceChecked) and face.checking:
        attempts = face.attempts + 1
        if event.matched:
            passed = FaceState(attempts, False, event.distance, None, matched=True, checks=event.checks)
            verified = msg.face_verified(passed.record().summary(in_sentence=True))
            session = replace(s, face=replace(passed, message=verified))
            return goto(state, Step.CHOOSE_BUNDLE, now, session=session, notice=verified), [fx.StopFaceCheck()]
        if event.locked:
            locked = FaceState(attempts, False, event.distance, msg.FACE_LOCKED, needs_staff=True, locked=True)
            return replace(state, session=replace(s, face=locked), last_activity=now, warning=False), [fx.StopFaceCheck()]
        if event.staff_only:
            # The document's photo cannot be compared with anyone: as with a photo the card reader
            # could not decode, staff compare the person with the document.
            unusable = FaceState(attempts, False, None, msg.PHOTO_UNREADABLE, needs_staff=True,
                                 photo_missing=True)
            return replace(state, session=replace(s, face=unusable), last_activity=now, warning=False), \
                [fx.StopFaceCheck()]
        staff = attempts >= state.config.max_face_attempts
        failed = FaceState(attempts, False, event.distance,
                           msg.FACE_ASK_STAFF if staff else (event.reason or msg.FACE_TRY_AGAIN), staff)
        return replace(state, session=replace(s, face=failed), last_activity=now, warning=False), [fx.StopFaceCheck()]
    if isinstance(event, ev.FaceRetryRequested) and not face.checking and not face.needs_staff:
        retry = replace(face, checking=True, message=None)
        return replace(state, session=replace(s, face=retry), last_activity=now, warning=False), \
            [fx.StartFaceCheck(state.attempt, s.identity.photo if s.identity else b"",
                               s.identity.document_number if s.identity else "")]
    return state, []


def _choose_bundle(state: FlowState, event: ev.Event, now: datetime) -> Result:
    s = session_of(state)
    records = _records(state, s, event, now)
    if records is not None:
        return records
    if isinstance(event, ev.ProxyRequested):
        return assist.start_proxy(state, s, now)
    if isinstance(event, ev.BundleChosen):
        try:
            state.config.catalogue.bundle(event.bundle_id)
        except KeyError:
            return state, []
        if assist.proxy_refuses(state, event.bundle_id):   # the screen offers only these; the flow makes sure
            return replace(state, notice=am.PROXY_ONLY_ALLOWED), []
        # From here the form is the citizen's: a records answer that comes later is not used.
        late = Records.UNAVAILABLE if s.records is Records.PENDING else s.records
        session = replace(s, bundle_id=event.bundle_id, page=0, errors=frozen({}), history=((Step.CHOOSE_BUNDLE, 0),),
                          records=late)
        return goto(state, Step.FORM, now, session=session, notice=None), []
    return state, []


def _form(state: FlowState, event: ev.Event, now: datetime) -> Result:
    s = session_of(state)
    if isinstance(event, ev.BackRequested):
        return back(state, merge(s, event.values), now, (Step.CHOOSE_BUNDLE, 0))
    if not isinstance(event, ev.NextRequested):
        return state, []
    catalogue, bundle, today = state.config.catalogue, state.bundle(), now.date()
    assert bundle is not None, "the form needs a bundle"
    s = derived(state, merge(s, event.values), now)
    pages = form_pages(catalogue, bundle, s.answers, today)
    page = min(s.page, len(pages) - 1)
    errors = validate_page(catalogue, pages[page], s.answers, today) if pages else {}
    if errors:
        return goto(state, Step.FORM, now, session=replace(s, page=page, errors=frozen(errors))), []
    # The answers just given may add or remove later pages; recompute before moving on.
    pages = form_pages(catalogue, bundle, s.answers, today)
    history = s.history + ((Step.FORM, page),)
    if page + 1 < len(pages):
        return goto(state, Step.FORM, now, session=replace(s, page=page + 1, errors=frozen({}), history=history)), []
    invalid = first_invalid_page(catalogue, bundle, s.answers, today)
    if invalid is not None:
        back_to, errors = invalid
        return goto(state, Step.FORM, now, session=replace(s, page=back_to, errors=frozen(errors))), []
    if not materials_needed(catalogue, bundle, s.answers, today):
        return _to_review(state, s, now, errors=frozen({}), history=history)
    return goto(state, Step.MATERIALS, now, session=replace(s, errors=frozen({}), history=history), notice=None), []


def _materials(state: FlowState, event: ev.Event, now: datetime) -> Result:
    s = session_of(state)
    if isinstance(event, ev.BackRequested):
        return back(state, s, now, (Step.FORM, 0))
    needed = state.materials(now)
    if isinstance(event, ev.MaterialCaptureRequested) and s.capturing is None:
        if any(m.id == event.material_id and not m.held_by_government for m in needed):
            return goto(state, Step.MATERIALS, now, session=replace(s, capturing=event.material_id), notice=None), \
                [fx.CaptureMaterial(state.attempt, event.material_id)]
        return state, []
    if isinstance(event, ev.MaterialCaptured) and s.capturing == event.material_id:
        attachments = frozen({**s.attachments, event.material_id: event.image})
        return goto(state, Step.MATERIALS, now, session=replace(s, attachments=attachments, capturing=None)), []
    if isinstance(event, ev.MaterialCaptureFailed) and s.capturing == event.material_id:
        return goto(state, Step.MATERIALS, now, session=replace(s, capturing=None), notice=event.reason), []
    if isinstance(event, ev.NextRequested) and s.capturing is None:
        missing = [m for m in needed if not m.held_by_government and not m.optional and m.id not in s.attachments]
        if missing:
            notice = msg.MATERIALS_MISSING.format(names=LIST_SEPARATOR.join(m.title for m in missing))
            return goto(state, Step.MATERIALS, now, notice=notice), []
        return _to_review(state, s, now, history=s.history + ((Step.MATERIALS, 0),))
    return state, []


def _review(state: FlowState, event: ev.Event, now: datetime) -> Result:
    s = session_of(state)
    if isinstance(event, ev.BackRequested):
        # The answers may change now: the draft is built again when the citizen comes back.
        return back(state, replace(s, draft=None), now, (Step.FORM, 0))
    if isinstance(event, ev.SubmitRequested) and s.draft is not None:
        if state.counter is not None:
            # At the counter only the citizen's own screen gives consent (CitizenConsented).
            if not s.consent:
                return goto(state, Step.REVIEW, now, notice=am.COUNTER_CONSENT_WAITING), []
        elif not event.consent:
            return goto(state, Step.REVIEW, now, notice=msg.CONSENT_NEEDED), []
        # Exactly the draft on the screen, with the consent just given and the language in use.
        draft = replace(s.draft, consent=True, lang=state.lang)
        return goto(state, Step.SUBMITTING, now, session=replace(s, consent=True, draft=draft), notice=None), \
            [fx.StoreApplication(state.attempt, draft, now)]
    return state, []


def _submitting(state: FlowState, event: ev.Event, now: datetime) -> Result:
    s = session_of(state)
    if isinstance(event, ev.ApplicationStored):
        session = replace(s, application=event.application, receipt=ReceiptState(printing=True))
        return goto(state, Step.RECEIPT, now, session=session), [fx.PrintReceipt(state.attempt, event.application)]
    if isinstance(event, ev.StoreFailed):
        return goto(state, Step.REVIEW, now, notice=event.reason), []
    return state, []


def _receipt(state: FlowState, event: ev.Event, now: datetime) -> Result:
    s = session_of(state)
    done = s.receipt is not None and not s.receipt.printing
    if isinstance(event, ev.ReceiptPrinted):
        return replace(state, session=replace(s, receipt=ReceiptState(False, event.location, None))), []
    if isinstance(event, ev.PrintFailed):
        reason = tr("{reason} {advice}").format(reason=event.reason, advice=msg.PRINT_PROBLEM)
        return replace(state, session=replace(s, receipt=ReceiptState(False, None, reason))), []
    if isinstance(event, ev.ReprintRequested) and done and s.application:
        return goto(state, Step.RECEIPT, now, session=replace(s, receipt=ReceiptState(True))), \
            [fx.PrintReceipt(state.attempt, s.application)]
    if isinstance(event, ev.ReceiptTaken) and done:
        return goto(state, Step.RATING, now, notice=None), []
    return state, []


def _rating(state: FlowState, event: ev.Event, now: datetime) -> Result:
    s = session_of(state)
    if isinstance(event, ev.Rated):
        effects: list[fx.Effect] = []
        if event.score is not None and s.application is not None and 1 <= event.score <= 5:
            app = s.application
            try:
                fb = rating.make_feedback(app.number, event.score, event.items, event.reasons, event.callback,
                                          [r.item_id for r in app.requests])
                effects.append(fx.SaveRating(app.number, event.score, tuple(r.item_id for r in fb.ratings if r.item_id),
                                             fb.ratings[0].reasons, fb.callback))
            except rating.RatingRefused:
                # The screen offers only what the rules allow; keep the score if the rest slipped.
                effects.append(fx.SaveRating(app.number, event.score))
        new, end_effects = end(state, msg.THANKS if event.score is not None else None)
        return new, effects + end_effects
    return state, []


HANDLERS: Mapping[Step, Handler] = MappingProxyType({
    Step.ATTRACT: _attract,
    Step.READING_CARD: _reading_card,
    Step.ACCESS_KEY: _access_key,
    Step.FACE_CHECK: _face_check,
    Step.CHOOSE_BUNDLE: _choose_bundle,
    Step.FORM: _form,
    Step.MATERIALS: _materials,
    Step.REVIEW: _review,
    Step.SUBMITTING: _submitting,
    Step.RECEIPT: _receipt,
    Step.RATING: _rating,
    Step.SCAN_RECEIPT: lambda state, event, now: scan.handle_scan(state, event, now, _attract),
    **assist.STEP_HANDLERS,
})
assert set(HANDLERS) == set(Step), "every step needs a handler"
