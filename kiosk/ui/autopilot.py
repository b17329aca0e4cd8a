"""Autopilot: walks the whole journey by itself, through the real widgets (trade-fair demos,
smoke tests, screenshots, the soak benchmark's N sessions in one process, and bench/touches.py's
count of what a citizen types and touches). GUI thread only; every wait is bounded by a
per-session deadline.

It answers as a citizen in a hurry would: it leaves what the kiosk filled in, skips optional
questions and optional photos, presses a "same as" button where there is one, touches a choice,
and types only what is left. Per journey it counts (JourneyMetrics) the fields it had to type and
its touches from the card to the printed receipt: every button, choice and checkbox it clicks, plus
one touch per typed field (to put the cursor there; the keystrokes are the keyboard's business)."""
from __future__ import annotations

import gc
import json
import logging
import os
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QAbstractButton

from kiosk.devices.sim.citizens import DemoCitizen
from kiosk.domain.samples import sample_answer
from kiosk.flows.journey import FlowState, Step
from kiosk.ui.autopilot_staff import StaffPilot
from kiosk.ui.keyboards.typist import Typist
from kiosk.ui.autopilot_proxy import ProxyPilot
from kiosk.ui.main_window import KioskWindow
from kiosk.ui.screens.choose import ChooseBundleScreen
from kiosk.ui.screens.face import FaceCheckScreen
from kiosk.ui.screens.form import FormScreen
from kiosk.ui.screens.materials import MaterialsScreen
from kiosk.ui.screens.receipt import RatingScreen, ReceiptScreen
from kiosk.ui.screens.review import ReviewScreen

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Journey:
    """One session the autopilot walks: whose card it places and which bundle it applies for."""

    citizen: DemoCitizen
    bundle_id: str


def plan_journeys(citizens: Sequence[DemoCitizen], bundle_ids: Sequence[str], sessions: int,
                  citizen_id: str | None = None, bundle_id: str | None = None) -> list[Journey]:
    """`sessions` journeys cycling through the demo citizens whose face passes the check (the
    others are photo attacks, refused by design, or have a card photo too poor to match, whom staff
    verify) and through every bundle; a given citizen or
    bundle is used for every session. Raises ValueError when there is nobody to use."""
    if citizen_id is not None:
        people = [c for c in citizens if c.id == citizen_id] or list(citizens[:1])
    else:
        people = [c for c in citizens if c.face_genuine and not c.face_needs_staff] or list(citizens[:1])
    bundles = [bundle_id] if bundle_id else list(bundle_ids)
    if not people or not bundles:
        raise ValueError("the autopilot needs a demo citizen and a bundle")
    return [Journey(people[i % len(people)], bundles[i % len(bundles)]) for i in range(max(1, sessions))]


@dataclass
class JourneyMetrics:
    """What one journey cost the citizen: `typed` the ids of the fields typed (ids only: never
    answers), `touches` from the card to the printed receipt, `pages` the form pages passed,
    `after_receipt` the touches for taking the receipt and rating."""

    bundle_id: str
    citizen_id: str
    typed: list[str]
    touches: int = 0
    pages: int = 0
    after_receipt: int = 0

    def as_dict(self) -> dict[str, object]:
        return {"bundle": self.bundle_id, "citizen": self.citizen_id, "typed_fields": len(self.typed),
                "typed": list(self.typed), "touches": self.touches, "pages": self.pages,
                "after_receipt_touches": self.after_receipt}


def _status_kb(pid: str, keys: tuple[str, ...]) -> dict[str, int]:
    out: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in keys:
            out[key] = int(value.split()[0])
    return out


def _pss_kb(pid: str) -> int:
    """Proportional set size: resident memory with pages shared between processes (libraries,
    the page cache) divided among them; the fair share of one process in a family."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0


def process_sample() -> dict[str, int]:
    """This process's resident memory (kB: VmRSS, of which RssAnon and RssFile, PSS, and the
    peak VmHWM), threads, open file descriptors, the reference counts of None, True and False,
    the number of objects the garbage collector tracks, and its child processes' (the face
    encoder's) resident and proportional memory, from /proc (Linux; nearly empty elsewhere).
    GUI thread (a full collection first, then gc.get_objects walks every object: ~0.1 s)."""
    out: dict[str, int] = {}
    # Collection runs from a GUI timer (gc_guard.py), so between two samples the garbage of a
    # journey may or may not be collected yet: collect now, so that the counts are live objects
    # and two journeys compare (None's count swung by 17 % between two samples without this).
    gc.collect()
    try:
        status = _status_kb("self", ("VmRSS", "RssAnon", "RssFile", "VmHWM", "Threads"))
        out = {k.lower() + "_kb": v for k, v in status.items() if k != "Threads"}
        out["threads"] = status["Threads"]
        out["pss_kb"] = _pss_kb("self")
        # A C extension that drops references it does not own shows as these falling steadily
        # (PySide6 6.12.0 on Python 3.11 did, until None was freed and the process aborted).
        out["none_refs"], out["true_refs"], out["false_refs"] = (sys.getrefcount(x) for x in (None, True, False))
        out["py_objects"] = len(gc.get_objects())   # objects the garbage collector tracks (~10 ms)
        out["fds"] = len(os.listdir("/proc/self/fd"))
        out["children_rss_kb"] = out["children_pss_kb"] = 0
        for task in os.listdir("/proc/self/task"):
            for pid in Path(f"/proc/self/task/{task}/children").read_text().split():
                try:
                    out["children_rss_kb"] += _status_kb(pid, ("VmRSS",)).get("VmRSS", 0)
                    out["children_pss_kb"] += _pss_kb(pid)
                except OSError:   # the child ended meanwhile
                    continue
    except (OSError, KeyError):
        pass
    return out


class Autopilot(QObject):
    """Drives `window` from attract to rating once per journey, one after the other, then calls
    `finish(0)` if every journey ended with a printed receipt and a rating (1 or 2 otherwise:
    the first failure or timeout ends the run)."""

    def __init__(self, window: KioskWindow, insert_card: Callable[[DemoCitizen], None], remove_card: Callable[[], None],
                 finish: Callable[[int], None], journeys: Sequence[Journey], deadline_s: float = 120.0,
                 step_delay_ms: int = 400, on_step: Callable[[str], None] | None = None,
                 stats: Path | None = None, staff: StaffPilot | None = None,
                 type_on_keyboards: bool = True,
                 before_journey: Callable[[], None] | None = None, assist: ProxyPilot | None = None,
                 large: bool = False) -> None:
        """`deadline_s` bounds each journey; `stats`, when given, is a file that gets one JSON line
        before the first journey and one after each (process_sample() plus the number of journeys
        done and the last one's seconds); it is opened only to append each line.
        `type_on_keyboards`: answer by tapping the on-screen keyboards and choice buttons (the
        default: touch counts are then real; ~1-3 s more a journey); False sets the answers
        directly (the fast path, for soak runs where typing is not what is measured).
        `before_journey` is called on the attract screen before each card goes in (e.g. voice on).
        `large`: each journey first turns on 长辈版 on the attract screen, as a citizen would."""
        super().__init__(window)
        self.window = window
        self.insert_card, self.remove_card = insert_card, remove_card
        self.finish = finish
        self.journeys = list(journeys)
        self.delay = step_delay_ms
        self.on_step = on_step or (lambda name: None)
        self.stats = stats
        self.staff = staff            # the staff_override scenario's clerk (autopilot_staff.py)
        self.before_journey = before_journey
        self.assist = assist          # the proxy scenario's agent (autopilot_proxy.py)
        self.large = large
        self.session = 0              # index of the journey under way
        self.completed = 0
        self.started = False          # the current journey's card has been placed
        self.left_attract = False     # ... and the kiosk has moved on from the attract screen
        self.receipt_location: str | None = None
        self.face_retries = 0          # face checks a genuine citizen had to try again (the soak reports them)
        self._session_started_at = 0.0
        self._done = False
        self._pending = False
        self._rng = random.Random(7)  # noqa: S311 - plausible demo answers, repeatable, not secrets
        self.type_on_keyboards = type_on_keyboards
        form = window.screens[Step.FORM]
        assert isinstance(form, FormScreen)
        self.typist = Typist(form.keyboard, parent=self)
        self.metrics: list[JourneyMetrics] = []     # one per journey begun, the current one last
        self._receipt_reached = False
        window.controller.state_changed.connect(self._on_state_changed)
        self._deadline = QTimer(self)
        self._deadline.setSingleShot(True)
        self._deadline.setInterval(int(deadline_s * 1000))
        self._deadline.timeout.connect(self._on_deadline)

    def start(self) -> None:
        self._write_stats(0, None)
        QTimer.singleShot(self.delay, self._act)

    def _on_state_changed(self, state: FlowState) -> None:
        if self.started and state.step != Step.ATTRACT:
            self.left_attract = True
        if not self._pending:
            self._pending = True
            QTimer.singleShot(self.delay, self._act)

    def _end(self, code: int) -> None:
        if not self._done:
            self._done = True
            self._deadline.stop()
            self.finish(code)

    def _on_deadline(self) -> None:
        log.error("autopilot: journey %d did not finish in time (stuck at %s)", self.session + 1,
                  self.window.controller.state.step.value)
        self._end(2)

    def _write_stats(self, sessions_done: int, seconds: float | None) -> None:
        if self.stats is not None:
            row: dict[str, object] = {"sessions": sessions_done, "seconds": seconds, "t": time.monotonic(), "face_retries": self.face_retries,
                   **process_sample()}
            if sessions_done and self.metrics:
                row.update(self.metrics[-1].as_dict())
            with open(self.stats, "a", encoding="utf-8") as f:
                f.write(json.dumps(row) + "\n")

    def _begin_journey(self) -> None:
        journey = self.journeys[self.session]
        self.started, self.left_attract, self.receipt_location = True, False, None
        self._session_started_at = time.monotonic()
        self.metrics.append(JourneyMetrics(journey.bundle_id, journey.citizen.id, []))
        self._receipt_reached = False
        self._deadline.start()
        self.insert_card(journey.citizen)

    def _touch(self, target: QAbstractButton) -> None:
        """Click `target` as the citizen's finger would, and count it."""
        m = self.metrics[-1]
        if self._receipt_reached:
            m.after_receipt += 1
        else:
            m.touches += 1
        target.click()

    def _answer(self, screen: FormScreen, today: date) -> list:
        """Answer the empty required fields on the form page by a "same as" button or a choice;
        returns the fields left to type (each counted as typed, with the tap into the field)."""
        m = self.metrics[-1]
        to_type = []
        for w in screen.fields.values():
            if w.value() or not w.field.required:
                continue
            if w.same_as_button is not None:
                self._touch(w.same_as_button)
                if w.value():
                    continue
            answer = sample_answer(w.field, today, self._rng)
            if w.group is not None:
                button = next((b for b in w.group.buttons() if b.property("value") == answer), None)
                if button is not None:
                    self._touch(button)
                    continue
            m.touches += 1          # the tap that puts the cursor in the field
            m.typed.append(w.field.id)
            to_type.append(w)
        return to_type

    def _journey_done(self) -> None:
        m = self.metrics[-1]
        log.info("autopilot: journey %d (%s): %d typed fields, %d touches from card to receipt, %d form pages",
                 self.session + 1, m.bundle_id, len(m.typed), m.touches, m.pages)
        self.completed += 1
        self._write_stats(self.completed, time.monotonic() - self._session_started_at)
        self.session += 1
        self.started = False
        if self.session >= len(self.journeys):
            self._end(0)
        else:
            self._pending = True
            QTimer.singleShot(self.delay, self._act)

    def _shoot(self, name: str) -> None:
        if self.session == 0:   # screenshots of the first journey only; later ones would overwrite them
            self.on_step(name)

    def _typed(self, screen: FormScreen, fields: list, page: int, ok: bool) -> None:
        """The typist finished a page (GUI thread). Fields it could not fill (an input engine
        unavailable) get their answers directly, so the demo still completes; it says so."""
        if self._done or self.window.controller.state.step != Step.FORM:
            return
        if not ok:
            log.warning("autopilot: typing on the on-screen keyboard failed on page %d; filling it directly", page)
        screen.keyboard.close_keyboard()
        for w in fields:
            try:
                if not ok or not w.value():
                    w.set_value(sample_answer(w.field, datetime.now().date(), self._rng))
            except RuntimeError:    # the page was rebuilt meanwhile
                return
        self._shoot(f"form_page_{page}")
        self.metrics[-1].pages += 1
        self._touch(screen.next)

    def _act(self) -> None:
        self._pending = False
        if self._done:
            return
        state = self.window.controller.state
        step = state.step
        now = datetime.now()
        if state.staff.view is not None:
            if self.staff is None or not self.staff.act(state):
                if not state.staff.busy:
                    log.error("autopilot: stuck on a staff screen (%s)", state.staff.view.value)
                    self._end(1)
            return
        if step != Step.FORM and self.typist.busy:
            self.typist.stop()      # the session moved on (timeout, End): stop typing into it
        if self.assist is not None and self.assist.act(state):
            return
        if step == Step.ATTRACT:
            if not self.started:
                if self.large and not state.large:
                    self.window.screens[Step.ATTRACT].large.click()   # type: ignore[attr-defined]
                    return
                if self.before_journey is not None:
                    self.before_journey()
                self._shoot("attract")
                self._begin_journey()
            elif self.receipt_location:
                self._shoot("thanks")
                self._journey_done()
            elif self.left_attract:
                log.error("autopilot: session %d ended early: %s", self.session + 1,
                          state.notice.en if state.notice else "no notice")
                self._end(1)
            return
        if step == Step.FACE_CHECK:
            face = state.session.face if state.session else None
            if face and not face.checking and not face.needs_staff:
                # A live person whose check failed presses "try again", as the screen asks; only a
                # check that ends with "ask the staff" fails the journey.
                self.face_retries += 1
                log.warning("autopilot: face check attempt %d failed (%s); trying again", face.attempts,
                            face.message.en if face.message else "")
                face_screen = self.window.screens[Step.FACE_CHECK]
                assert isinstance(face_screen, FaceCheckScreen)
                self._touch(face_screen.retry)
            elif face and not face.checking and self.staff is not None and self.staff.face_failed_for_good(state):
                return
            elif face and not face.checking:
                log.error("autopilot: face check failed: %s", face.message.en if face.message else "")
                self._end(1)
            else:
                self._shoot("face_check")
        elif step == Step.CHOOSE_BUNDLE:
            self._shoot("choose_bundle")
            choose = self.window.screens[Step.CHOOSE_BUNDLE]
            assert isinstance(choose, ChooseBundleScreen)
            self._touch(choose.buttons[self.journeys[self.session].bundle_id])
        elif step == Step.FORM:
            screen = self.window.screens[Step.FORM]
            assert isinstance(screen, FormScreen)
            s = state.session
            if s and s.errors:
                log.error("autopilot: a generated answer was refused on page %d", s.page + 1)
                self._end(1)
                return
            if self.typist.busy:
                return      # still typing this page; it clicks Next when done
            page = (s.page if s else 0) + 1
            to_type = self._answer(screen, now.date())
            if self.type_on_keyboards and to_type:
                steps = []
                for w in to_type:
                    steps += self.typist.plan_field(w, sample_answer(w.field, now.date(), self._rng), state.lang, self._rng)
                form: FormScreen = screen
                self.typist.run(steps, lambda ok: self._typed(form, to_type, page, ok))
                return
            for w in to_type:
                w.set_value(sample_answer(w.field, now.date(), self._rng))
            self._shoot(f"form_page_{page}")
            self.metrics[-1].pages += 1
            self._touch(screen.next)
        elif step == Step.MATERIALS:
            s = state.session
            materials = self.window.screens[Step.MATERIALS]
            assert isinstance(materials, MaterialsScreen)
            if s is None or s.capturing is not None:
                return
            todo = [m for m in state.materials(now)
                    if not m.held_by_government and not m.optional and m.id not in s.attachments]
            if todo:
                self._touch(materials.capture_buttons[todo[0].id])
            else:
                self._shoot("materials")
                self._touch(materials.next)
        elif step == Step.REVIEW:
            screen = self.window.screens[Step.REVIEW]
            assert isinstance(screen, ReviewScreen)
            if not screen.consent.isChecked():
                self._touch(screen.consent)
            self._shoot("review")
            self._touch(screen.submit)
        elif step == Step.RECEIPT:
            screen = self.window.screens[Step.RECEIPT]
            assert isinstance(screen, ReceiptScreen)
            r = state.session.receipt if state.session else None
            if r is None or r.printing:
                self._pending = True
                QTimer.singleShot(self.delay, self._act)
                return
            if r.error:
                log.error("autopilot: printing failed: %s", r.error.en)
                self._end(1)
                return
            self.receipt_location = r.location
            self._receipt_reached = True     # what follows is after the receipt: counted apart
            self._shoot("receipt")
            self.remove_card()   # the citizen takes the card back with the receipt
            self._touch(screen.cont)
        elif step == Step.RATING:
            screen = self.window.screens[Step.RATING]
            assert isinstance(screen, RatingScreen)
            self._touch(screen.buttons[4])
            self._shoot("rating")          # with the choices a score opens
            self._touch(screen.send)
