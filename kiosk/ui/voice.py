"""Voice in the window (issue 13): the Narrator speaks what each state asks of the citizen, and
VoiceControls are its buttons (再听一遍 / Repeat, headset, voice on/off). GUI thread only.

What is said comes from kiosk/ui/narration.py (pure). The Narrator speaks a part only when its key
changes, so re-renders (every touch, every tick) say nothing, and a new screen interrupts the old
one. `Speaker.say` only queues (the speaker's own worker renders and plays), so nothing here
waits on audio. Voice is per citizen: every session end stops speech and forgets the last
utterance (`Speaker.clear`, so the next citizen cannot replay the previous one's receipt), and
the next session starts with voice as `[voice] on_at_start` says (off by default); large mode
turns it on through `follow_large`.
"""
from __future__ import annotations

import logging
import math
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QBoxLayout, QWidget

from kiosk.devices.ports import Speaker
from kiosk.domain.text import Text, base_language
from kiosk.flows.journey import FlowState, Step
from kiosk.ui import strings as S
from kiosk.ui.narration import countdown_warning, narrate
from kiosk.ui.screens.base import button
from kiosk.ui.theme import MM_PER_PX

if TYPE_CHECKING:
    from kiosk.ui.main_window import KioskWindow

log = logging.getLogger(__name__)

REPEAT_MM = {False: 12.0, True: 16.0}   # ≥10 mm, and ≥15 mm in large mode, with a margin


def mm(millimetres: float) -> int:
    """Pixels for at least `millimetres` on the reference panel."""
    return math.ceil(millimetres / MM_PER_PX)


class Narrator(QObject):
    """Speaks the narration of each new state. GUI thread only; every method returns at once."""

    voice_changed = Signal(bool)
    large_changed = Signal(bool)   # follow_large saw large mode change: the buttons resize

    def __init__(self, speaker: Speaker | None, clock: Callable[[], datetime] = datetime.now,
                 on_at_start: bool = False, attract_idle_s: float = 90.0, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.speaker = speaker
        self.clock = clock
        self.on_at_start = on_at_start and speaker is not None
        self._on = self.on_at_start
        self._large = False
        self._on_by_large = False      # voice was off until large mode turned it on
        self._state: FlowState | None = None
        self._keys: tuple[object, object] | None = None
        self.spoken = 0                # utterances asked for since start (the autopilot reports it)
        # Someone turned voice on at the attract screen and walked away without a card: the next
        # person starts as configured again.
        self._idle = QTimer(self)
        self._idle.setSingleShot(True)
        self._idle.setInterval(int(attract_idle_s * 1000))
        self._idle.timeout.connect(self._on_idle_timeout)

    @property
    def on(self) -> bool:
        return self._on

    def available(self) -> bool:
        return self.speaker is not None

    def set_voice(self, on: bool) -> None:
        """Turn voice on (and say the current screen at once) or off (and stop speaking)."""
        on = bool(on) and self.speaker is not None
        if on == self._on:
            return
        self._on = on
        if on:
            self.repeat()
        elif self.speaker is not None:
            self.speaker.stop()
        self._watch_attract()
        self.voice_changed.emit(on)

    def follow_large(self, large: bool) -> None:
        """Large mode (长辈版) turns voice on; leaving it turns voice off again if large mode was
        what turned it on. Call with the state's large-mode flag on every state change."""
        if large and not self._large:
            self._on_by_large = not self._on
            self.set_voice(True)
        elif not large and self._large and self._on_by_large:
            self._on_by_large = False
            self.set_voice(False)
        if large != self._large:
            self._large = large
            self.large_changed.emit(large)

    def on_state(self, state: FlowState) -> None:
        """The controller's state_changed: speak what changed (if voice is on)."""
        previous = self._state
        if previous is not None and previous.step != Step.ATTRACT and state.step == Step.ATTRACT:
            self._end_session()
        now = self.clock()
        n = narrate(state, now)
        keys = (n.intro_key, n.messages_key)
        old_keys = self._keys
        self._state, self._keys = state, keys
        self._watch_attract()
        if not self._on:
            return
        if state.warning and not (previous is not None and previous.warning):
            self._say(countdown_warning(state, now), state.lang)
        elif old_keys is None or keys[0] != old_keys[0]:
            self._say((*n.messages, *n.intro), state.lang)
        elif keys[1] != old_keys[1]:
            self._say(n.messages, state.lang)

    def repeat(self) -> None:
        """再听一遍: the current screen's messages and instruction again (or the countdown
        warning while it shows), in place of whatever is playing. Nothing with voice off."""
        state = self._state
        if not self._on or state is None:
            return
        now = self.clock()
        if state.warning:
            self._say(countdown_warning(state, now), state.lang)
        else:
            n = narrate(state, now)
            self._say((*n.messages, *n.intro), state.lang)

    def _say(self, texts: tuple[Text, ...], lang: str) -> None:
        if self.speaker is None:
            return
        first = True
        for text in texts:
            words = text.get(lang)
            if not words:
                continue
            try:
                self.speaker.say(words, base_language(lang), interrupt=first)   # the voice reads the script
            except Exception:   # a speech fault must never take the window down; never log the text
                log.exception("speaker.say failed")
                return
            first = False
            self.spoken += 1

    def _end_session(self) -> None:
        if self.speaker is not None:
            self.speaker.clear()
            self.speaker.set_headset(False)
        self._on_by_large = False
        if self._large:
            self._large = False
            self.large_changed.emit(False)
        if self._on != self.on_at_start:
            self._on = self.on_at_start
            self.voice_changed.emit(self._on)

    def _watch_attract(self) -> None:
        at_attract = self._state is not None and self._state.step == Step.ATTRACT
        if at_attract and self._on != self.on_at_start:
            self._idle.start()   # (re)started by every change while someone is there
        else:
            self._idle.stop()

    def _on_idle_timeout(self) -> None:
        if self._state is not None and self._state.step == Step.ATTRACT and self._on != self.on_at_start:
            if self.speaker is not None:
                self.speaker.clear()
            self._on = self.on_at_start
            self.voice_changed.emit(self._on)


class VoiceControls(QObject):
    """The voice buttons: Repeat, headset and the voice switch in the header (Repeat and headset
    only while voice is on; headset only when one is configured), and the attract screen's large
    "Read aloud" switch. GUI thread only."""

    def __init__(self, narrator: Narrator, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.narrator = narrator
        self.lang = "zh"
        self.step = Step.ATTRACT
        self.large = False
        self.repeat = button("", "headerButton")
        self.repeat.setObjectName("headerButton")
        self.repeat.setProperty("voice", "repeat")
        self.headset = button("", "headerButton")
        self.headset.setObjectName("headerButton")
        self.headset.setCheckable(True)
        self.toggle = button("", "headerButton")
        self.toggle.setObjectName("headerButton")
        self.attract_toggle = button("", "primary")
        self.attract_toggle.setMinimumHeight(mm(16))   # the first thing a citizen who cannot read needs
        self.repeat.clicked.connect(self._on_repeat_clicked)
        self.headset.toggled.connect(self._on_headset_toggled)
        self.toggle.clicked.connect(self._on_toggle_clicked)
        self.attract_toggle.clicked.connect(self._on_toggle_clicked)
        narrator.voice_changed.connect(self._on_voice_changed)
        narrator.large_changed.connect(self.set_large)
        self.set_large(False)

    def add_to_attract(self, layout: QBoxLayout, after: QWidget) -> None:
        """Put the large voice switch into the attract screen's row of choices, after `after`."""
        layout.insertWidget(layout.indexOf(after) + 1, self.attract_toggle, 0, Qt.AlignmentFlag.AlignHCenter)

    def set_large(self, large: bool) -> None:
        """Size the Repeat button for normal or large mode (≥10 mm / ≥15 mm on the reference panel)."""
        self.large = large
        self.repeat.setMinimumSize(mm(REPEAT_MM[large]) * 3, mm(REPEAT_MM[large]))
        self.headset.setMinimumHeight(mm(REPEAT_MM[large]))
        self.toggle.setMinimumHeight(mm(REPEAT_MM[large]))

    def on_state(self, state: FlowState) -> None:
        self.lang, self.step = state.lang, state.step
        self._refresh()

    def _refresh(self) -> None:
        n = self.narrator
        on = n.on and n.available()
        t = lambda text: text.get(self.lang)  # noqa: E731 - short and local
        self.repeat.setText(t(S.REPEAT))
        self.headset.setText(t(S.HEADSET))
        self.toggle.setText(t(S.VOICE_OFF if on else S.VOICE_ON))
        # Before anyone has chosen a language the invitation is in both, like the attract hero.
        self.attract_toggle.setText(t(S.VOICE_OFF) if on else S.VOICE_ON.both())
        self.repeat.setVisible(on)
        self.headset.setVisible(on and n.speaker is not None and n.speaker.headset_available())
        # The attract screen has its own, larger switch.
        self.toggle.setVisible(n.available() and self.step != Step.ATTRACT)
        self.attract_toggle.setVisible(n.available())
        if (not on or self.step == Step.ATTRACT) and self.headset.isChecked():
            self.headset.setChecked(False)   # each citizen starts on the loudspeaker

    def _on_voice_changed(self, on: bool) -> None:
        if not on:
            self.headset.setChecked(False)
        self._refresh()

    def _on_repeat_clicked(self) -> None:
        self.narrator.repeat()

    def _on_toggle_clicked(self) -> None:
        self.narrator.set_voice(not self.narrator.on)

    def _on_headset_toggled(self, on: bool) -> None:
        speaker = self.narrator.speaker
        if speaker is not None:
            in_use = speaker.set_headset(on)
            if in_use != on:
                self.headset.setChecked(in_use)


def attach_voice(window: KioskWindow, speaker: Speaker | None, on_at_start: bool = False,
                 attract_idle_s: float = 90.0) -> tuple[Narrator, VoiceControls]:
    """Give `window` a voice: its buttons in the header and on the attract screen, and a Narrator
    that follows the controller's state. Without a speaker (voice.enabled = false) the buttons
    stay hidden and nothing is said. GUI thread, once, after the window is built."""
    controller = window.controller
    narrator = Narrator(speaker, controller.clock, on_at_start, attract_idle_s, parent=window)
    controls = VoiceControls(narrator, parent=window)
    for w in (controls.repeat, controls.headset, controls.toggle):
        window.add_header_button(w)   # after "Ask staff", left of large mode / language / End
    attract = window.screens[Step.ATTRACT]
    controls.add_to_attract(attract.choices, attract.large)   # type: ignore[attr-defined]
    # Large mode turns voice on (and off again if it was what turned it on): before on_state, so
    # the first screen in large mode is already said.
    controller.state_changed.connect(lambda s: narrator.follow_large(s.large))
    controller.state_changed.connect(narrator.on_state)
    controller.state_changed.connect(controls.on_state)
    narrator.follow_large(controller.state.large)
    narrator.on_state(controller.state)
    controls.on_state(controller.state)
    return narrator, controls
