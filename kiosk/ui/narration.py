"""What the kiosk says aloud for a state: a pure function of the FlowState (no Qt, no I/O).

Every spoken sentence is one of the Text objects the screens show (kiosk/ui/strings.py,
kiosk/flows/messages.py, the catalogue's titles), or a spoken-only Text from strings.py ("SAY_*")
filled in with those, so what is heard cannot drift from what is read. Nothing the citizen typed,
and nothing read from their card, is ever spoken: a loudspeaker in a public hall is not private
(the review screen's answers stay on screen). The application number and the departments'
deadlines are spoken: the receipt carries them too and holds no personal data.

A narration has two parts, each with a key that says when it changed:
- `intro`: what this screen asks of the citizen (changes with the step, the page, the language);
- `messages`: the notice, the form's errors, the face check's verdict or guidance.
The Narrator (kiosk/ui/voice.py) speaks a part when its key changes, never on a re-render.
Any thread; pure.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from types import MappingProxyType

from kiosk.domain.application import Application
from kiosk.domain.text import Text
from kiosk.i18n import LIST_SEPARATOR, tr
from kiosk.flows import messages as msg
from kiosk.flows.journey import FlowState, Step
from kiosk.flows.state import ScanMode
from kiosk.ui import assist_strings as A
from kiosk.ui import scan_strings as SCAN
from kiosk.ui import strings as S

_ZH_DIGITS = "零一二三四五六七八九"
# A month as said inside a date: the Chinese says its number, the English its name.
_MONTHS = (tr("1月", "month"), tr("2月", "month"), tr("3月", "month"), tr("4月", "month"), tr("5月", "month"),
           tr("6月", "month"), tr("7月", "month"), tr("8月", "month"), tr("9月", "month"), tr("10月", "month"),
           tr("11月", "month"), tr("12月", "month"))
PAUSE = tr("，", "a short pause when read aloud")


@dataclass(frozen=True)
class Narration:
    intro: tuple[Text, ...]
    messages: tuple[Text, ...]
    intro_key: tuple[object, ...]
    messages_key: tuple[object, ...]


def spoken_digits(number: str) -> Text:
    """An application number read digit by digit, its dash-separated groups as short pauses
    ("3 3 0 1，0 0 0 7"): a long number is otherwise read as one huge cardinal."""
    groups = [" ".join(g) for g in number.split("-") if g]
    return PAUSE.join(groups)


def spoken_date(d: date, this_year: int | None = None) -> Text:
    """A date as people say it: 二〇二五年3月15日 (the year digit by digit, as Mandarin reads
    years), 15 March 2025; without the year when it is `this_year`."""
    month = _MONTHS[d.month - 1]
    if d.year == this_year:
        return tr("{month}{day}日", "spoken date").format(month=month, day=d.day)
    # The year as each language reads it: digit by digit in Chinese, as a number in English.
    year = Text("".join(_ZH_DIGITS[int(c)] for c in f"{d.year:04d}"), str(d.year))
    return tr("{year}年{month}{day}日", "spoken date").format(year=year, month=month, day=d.day)


def _join(texts: list[Text]) -> Text:
    return LIST_SEPARATOR.join(texts)


def fill(template: Text, **values: Text | int) -> Text:
    """`template` with each {name} filled in by the value in the same language (a Text's zh
    into the zh sentence, its en into the en one; numbers as they are)."""
    return template.format(**values)


def department_deadlines(app: Application) -> tuple[tuple[Text, date], ...]:
    """Each department once, in the order of the receipt, with the day its last item is due."""
    latest: dict[str, tuple[Text, date]] = {}
    for r in app.requests:
        name, due = latest.get(r.department.zh, (r.department, r.due))
        latest[r.department.zh] = (name, max(due, r.due))
    return tuple(latest.values())


def receipt_summary(app: Application) -> tuple[Text, ...]:
    """The receipt spoken: done, the number digit by digit, what happens next, each department's
    deadline (one sentence each, so no utterance runs long), and to take the receipt. Kept short
    (about 50 s in Mandarin for five departments): the printed receipt has each item's details."""
    parts = [S.SUBMITTED, fill(S.SAY_NUMBER, label=S.APP_NUMBER, digits=spoken_digits(app.number)), S.SAY_NEXT]
    for department, due in department_deadlines(app):
        parts.append(fill(S.SAY_DEADLINE, department=department, date=spoken_date(due, app.created_at.year)))
    parts.append(S.TAKE_RECEIPT)
    return tuple(parts)


def countdown_warning(state: FlowState, now: datetime) -> tuple[Text, ...]:
    """"您还在吗？…N 秒后将结束…" as the overlay shows it, and how to stay."""
    seconds = max(0, int(state.seconds_left(now) or 0))
    return (S.STILL_THERE, S.TIMEOUT_BODY.format(s=seconds), S.SAY_TOUCH_TO_STAY)


# --- one intro per step ----------------------------------------------------------------------

def _attract(state: FlowState, now: datetime) -> tuple[Text, ...]:
    return (msg.INTAKE_CLOSED,) if state.intake_closed else (S.ATTRACT_HERO, S.ATTRACT_PRIVACY)


def _face(state: FlowState, now: datetime) -> tuple[Text, ...]:
    face = state.session.face if state.session else None
    # After a verdict the message says it all (and what to do); while checking, the instruction.
    return (S.FACE_TITLE, S.FACE_INSTRUCTION) if face is None or face.checking else ()


def _form(state: FlowState, now: datetime) -> tuple[Text, ...]:
    pages = state.pages(now)
    s, bundle = state.session, state.bundle()
    if s is None or not pages:
        return ()
    index = min(s.page, len(pages) - 1)
    page = pages[index]
    # The title as the screen shows it: "bundle · topic".
    title = fill(tr("{b} · {t}"), b=bundle.title, t=page.topic.title) if bundle else page.topic.title
    return (title, S.PAGE_OF.format(i=index + 1, n=len(pages)),
            fill(S.SAY_FORM_FIELDS, names=_join([f.label for f in page.fields])))


def _materials(state: FlowState, now: datetime) -> tuple[Text, ...]:
    needed = state.materials(now)
    sub = S.MATERIALS_SUB if any(m.held_by_government for m in needed) else S.MATERIALS_SUB_ALL
    bring = [m.title for m in needed if not m.held_by_government]
    said = [S.MATERIALS_TITLE, sub]
    if bring:
        said.append(fill(tr("{h}{n}"), h=S.MATERIALS_BRING, n=_join(bring)))
    return tuple(said)


def _review(state: FlowState, now: datetime) -> tuple[Text, ...]:
    return (S.REVIEW_TITLE, fill(S.SAY_REVIEW, consent=S.CONSENT, submit=S.SUBMIT))


def _receipt(state: FlowState, now: datetime) -> tuple[Text, ...]:
    app = state.session.application if state.session else None
    return receipt_summary(app) if app is not None else (S.SUBMITTED,)


def _principal(state: FlowState, now: datetime) -> tuple[Text, ...]:
    reading = state.session is not None and state.session.proxy is not None and state.session.proxy.reading
    return (A.PRINCIPAL_READING,) if reading else (A.PRINCIPAL_TITLE, A.FOR_SOMEONE_ELSE_HELP)


def _id_number(state: FlowState, now: datetime) -> tuple[Text, ...]:
    nc = state.session.no_card if state.session is not None else None
    return (A.ID_NUMBER_CHECKING,) if nc is not None and nc.fetching else (A.ID_NUMBER_TITLE, A.ID_NUMBER_SUB)


def _scan(state: FlowState, now: datetime) -> tuple[Text, ...]:
    scan = state.scan
    if scan is not None and scan.progress is not None:
        return ()       # the scan screen says the statuses itself, once they are the newest
    if scan is not None and scan.mode is ScanMode.TYPING:
        return (SCAN.TITLE, SCAN.TYPE_TITLE)
    return (SCAN.TITLE, SCAN.AIM)


INTROS: Mapping[Step, Callable[[FlowState, datetime], tuple[Text, ...]]] = MappingProxyType({
    Step.ATTRACT: _attract,
    Step.READING_CARD: lambda state, now: (S.READING,),
    Step.ACCESS_KEY: lambda state, now: (S.KEY_TITLE, S.KEY_CAN),
    Step.FACE_CHECK: _face,
    Step.CHOOSE_BUNDLE: lambda state, now: (S.CHOOSE_TITLE, S.CHOOSE_SUB),
    Step.FORM: _form,
    Step.MATERIALS: _materials,
    Step.REVIEW: _review,
    Step.SUBMITTING: lambda state, now: (S.SUBMITTING,),
    Step.RECEIPT: _receipt,
    Step.RATING: lambda state, now: (S.RATING_TITLE,),
    Step.PROXY_PRINCIPAL: _principal,
    # Not the principal's name the screen shows under it: a hall's loudspeaker is not private.
    Step.PROXY_RELATIONSHIP: lambda state, now: (A.RELATIONSHIP_TITLE,),
    Step.PROXY_AUTHORISATION: lambda state, now: (A.AUTHORISATION_TITLE, A.AUTHORISATION_SUB),
    Step.ID_NUMBER: _id_number,
    Step.SCAN_RECEIPT: _scan,
})


def _messages(state: FlowState, now: datetime) -> tuple[Text, ...]:
    said: list[Text] = [state.notice] if state.notice is not None else []
    s = state.session
    if s is None:
        return tuple(said)
    if state.step == Step.FACE_CHECK and s.face.message is not None:
        said.append(s.face.message)
    if state.step == Step.FORM and s.errors:
        pages = state.pages(now)
        fields = pages[min(s.page, len(pages) - 1)].fields if pages else ()
        # In the order the fields are on the page, each with its label, as the screen shows them.
        for f in fields:
            if (err := s.errors.get(f.id)) is not None:
                said.append(fill(tr("{f}：{e}"), f=f.label, e=err))
    if state.step == Step.RECEIPT and s.receipt is not None and s.receipt.error is not None \
            and s.receipt.error != state.notice:
        said.append(s.receipt.error)
    return tuple(said)


def narrate(state: FlowState, now: datetime) -> Narration:
    """What to say for `state`, in both languages, with the keys that tell when each part changed."""
    # A step added without an entry says only its messages (tests/unit/test_narration.py lists them all).
    intro_of = INTROS.get(state.step)
    intro = intro_of(state, now) if intro_of is not None else ()
    # A notice that is also the screen's text (intake closed) is said once.
    messages = tuple(m for m in _messages(state, now) if m not in intro)
    # The session's attempt number is in both keys: the same screen for the next citizen is new.
    return Narration(intro, messages, (state.attempt, state.step, state.lang, intro),
                     (state.attempt, state.step, state.lang, messages))
