"""Typist: the autopilot's fingers. It fills form fields by tapping the on-screen keyboards, one
tap per timer tick, as a citizen would (so touch counts measured with the autopilot are honest):
digits on the pad, dates with the picker's steppers, Chinese through Pinyin candidates, choices
by their buttons. GUI thread only; every wait is bounded.
"""
from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from datetime import date
from functools import partial

from PySide6.QtCore import QEvent, QObject, QPointF, Qt, QTimer
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QPushButton, QWidget

from kiosk.ui.keyboards.date_picker import parse_iso
from kiosk.ui.keyboards.keyboard import DIGITS, LETTERS, PINYIN, OnScreenKeyboard, modes_for

log = logging.getLogger(__name__)

Step = Callable[[], bool]       # True: done, go on; False: call again on the next tick

# Demo answers the autopilot can spell in pinyin (one syllable per character).
NAMES = [("王小明", "wang xiao ming"), ("李思远", "li si yuan"), ("陈嘉怡", "chen jia yi"),
         ("刘子涵", "liu zi han"), ("周雨桐", "zhou yu tong"), ("吴浩然", "wu hao ran")]
ADDRESS = ("杭州市西湖区人民路", "hang zhou shi xi hu qu ren min lu")
PLACE = ("西湖区人民医院", "xi hu qu ren min yi yuan")
RELATION = ("父子", "fu zi")
CITY = ("杭州", "hang zhou")
OTHER = ("示例", "shi li")


def chinese_answer(field_id: str, rng: random.Random) -> tuple[str, list[str]]:
    """A plausible Chinese answer for a text field and its pinyin, syllable by character."""
    if "name" in field_id and not field_id.endswith("bank_name") and "company" not in field_id:
        text, py = NAMES[rng.randrange(len(NAMES))]
    elif "address" in field_id:
        text, py = ADDRESS
    elif "place" in field_id or "hospital" in field_id or "employer" in field_id:
        text, py = PLACE
    elif "relation" in field_id:
        text, py = RELATION
    elif "city" in field_id:
        text, py = CITY
    else:
        text, py = OTHER
    return text, py.split()


def tap(widget: QWidget) -> None:
    """A touch: press and release in the middle of the widget (a button is clicked)."""
    if isinstance(widget, QPushButton):
        widget.click()
        return
    centre = QPointF(widget.width() / 2, widget.height() / 2)
    glob = QPointF(widget.mapToGlobal(centre.toPoint()))
    for kind in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease):
        buttons = Qt.MouseButton.LeftButton if kind == QEvent.Type.MouseButtonPress else Qt.MouseButton.NoButton
        QApplication.sendEvent(widget, QMouseEvent(kind, centre, glob, Qt.MouseButton.LeftButton, buttons,
                                                   Qt.KeyboardModifier.NoModifier))


class Typist(QObject):
    """Runs one plan of steps at a time; `done(ok)` at the end. `touches` counts every tap."""

    WAIT_S = 5.0    # the longest one step may wait (for candidates from the Pinyin helper)

    def __init__(self, keyboard: OnScreenKeyboard, interval_ms: int = 5, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.kb = keyboard
        self.touches = 0
        self._steps: list[Step] = []
        self._done: Callable[[bool], None] | None = None
        self._since = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)

    @property
    def busy(self) -> bool:
        return self._timer.isActive()

    def run(self, steps: list[Step], done: Callable[[bool], None]) -> None:
        self._steps, self._done, self._since = list(steps), done, time.monotonic()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        self._steps = []

    def _tap(self, w: QWidget) -> bool:
        self.touches += 1
        tap(w)
        return True

    def _tick(self) -> None:
        try:
            while self._steps and self._steps[0]():
                self._steps.pop(0)
                self._since = time.monotonic()
                return      # one action a tick, like a finger
            if not self._steps:
                self._finish(True)
            elif time.monotonic() - self._since > self.WAIT_S:
                log.warning("typist: a step waited more than %.0f s; giving up on this field", self.WAIT_S)
                self._finish(False)
        except (RuntimeError, ValueError, KeyError) as exc:    # a widget went away (page changed, session ended)
            log.warning("typist: %s", type(exc).__name__)
            self._finish(False)

    def _finish(self, ok: bool) -> None:
        self._timer.stop()
        self._steps = []
        done, self._done = self._done, None
        if done:
            done(ok)

    # -- plans -----------------------------------------------------------------------------------
    def plan_field(self, widget, answer: str, lang: str, rng: random.Random) -> list[Step]:
        """The steps that fill one FieldWidget (its `field`, `edit`, `group`) with `answer`
        (for Chinese text a demo answer the typist can spell replaces it)."""
        f = widget.field
        if f.type == "choice":
            button = next(b for b in widget.group.buttons() if b.property("value") == answer)
            return [lambda: self._tap(button)]
        edit = widget.edit
        steps: list[Step] = [lambda: self._tap(edit), lambda: self.kb.isVisible() and self.kb.target is edit]
        modes, first = modes_for(f, lang)
        if f.type == "date":
            target = parse_iso(answer)
            assert target is not None
            steps.append(lambda: self._steer_date(target))
        elif first == DIGITS:
            digits = answer if f.type != "text" else "3301" + "".join(str(rng.randrange(10)) for _ in range(8))
            steps += [partial(self._digit, ch) for ch in digits[: f.max_length or None]]
        elif f.type == "text" and PINYIN in modes:
            text, syllables = chinese_answer(f.id, rng)
            if f.max_length:
                text, syllables = text[: f.max_length], syllables[: f.max_length]
            steps.append(partial(self._to_mode, PINYIN))
            steps.append(self._pinyin_stepper(edit, text, syllables))
        else:
            for ch in answer:
                steps.append(partial(self._letter, ch))
        steps.append(lambda: self._tap(self.kb.done))
        return steps

    def _digit(self, ch: str) -> bool:
        return self._tap(self.kb.digits.keys[ch])

    def _to_mode(self, mode: str) -> bool:
        if self.kb.mode == mode:
            return True
        self._tap(self.kb.tabs[mode])
        return False

    def _letter(self, ch: str) -> bool:
        pad_mode = DIGITS if ch.isdigit() else LETTERS
        if self.kb.mode != pad_mode:
            self._tap(self.kb.tabs[pad_mode])
            return False
        keys = self.kb.digits.keys if pad_mode == DIGITS else self.kb.letters.keys
        self._tap(keys[ch.lower()])
        return True

    def _steer_date(self, target: date) -> bool:
        """One stepper tap toward `target` (years by ten first), True once the picker shows it."""
        v = self.kb.date_picker.value
        steps = self.kb.date_picker.steps
        if v.year != target.year:
            gap = target.year - v.year
            self._tap(steps[("y", (10 if gap > 0 else -10) if abs(gap) >= 10 else (1 if gap > 0 else -1))])
        elif v.month != target.month:
            self._tap(steps[("m", 1 if target.month > v.month else -1)])
        elif v.day != target.day:
            self._tap(steps[("d", 1 if target.day > v.day else -1)])
        else:
            return True
        return False

    def _pinyin_stepper(self, edit, text: str, syllables: list[str]) -> Step:
        letters: list[str] = []

        def step() -> bool:
            typed = edit.text()
            if typed == text:
                return True
            if not text.startswith(typed):
                raise ValueError("the field holds something else")
            if letters:
                self._tap(self.kb.pinyin_pad.keys[letters.pop(0)])
                return False
            kb = self.kb
            if not kb.composition:
                letters.extend("".join(syllables[len(typed):]))
                return False
            if kb.bar.items == [] or [c.text for c in kb.pinyin_candidates] != kb.bar.items:
                return False        # the helper's answer for these letters has not come yet
            rest = text[len(typed):]
            best = max((i for i, c in enumerate(kb.pinyin_candidates) if rest.startswith(c.text)),
                       key=lambda i: len(kb.pinyin_candidates[i].text), default=None)
            if best is None:
                raise ValueError("no candidate fits")
            page = best // kb.bar.per_page
            if page != kb.bar.page:
                self._tap(kb.bar.next if page > kb.bar.page else kb.bar.prev)
            else:
                self._tap(kb.bar.buttons[best % kb.bar.per_page])
            return False
        return step
