"""OnScreenKeyboard: the docked on-screen input for every field type (issue 13).

It watches the form's line edits; a tap on one opens the keyboard below the form for that field:
  date                          the year/month/day picker
  phone, bank_account, integer  the digit pad; resident_id: the digit pad with X
  email                         letters with @ . - _, and 123
  text                          tabs 拼音 / 手写 / 123 / ABC (Pinyin first; ABC in English;
                                123 for account and certificate numbers)
and `opened(field widget)` tells the form to scroll that field into view above it. GUI thread only.
"""
from __future__ import annotations

from datetime import date

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import (QButtonGroup, QFrame, QHBoxLayout, QLabel, QLineEdit, QPushButton, QStackedWidget,
                               QVBoxLayout, QWidget)

from kiosk.devices.input_engines import EngineUnavailable
from kiosk.devices.input_engines.pinyin import MAX_PINYIN, Candidate, normalise
from kiosk.domain.catalogue import FieldDef
from kiosk.domain.text import Text, base_language
from kiosk.ui.keyboards import engines
from kiosk.ui.screens.base import follow_checked
from kiosk.ui.keyboards import strings as S
from kiosk.ui.keyboards.candidates import CandidateBar
from kiosk.ui.keyboards.date_picker import DatePicker, date_range
from kiosk.ui.keyboards.digit_pad import DigitPad, extras_for
from kiosk.ui.keyboards.handwriting_pad import DrawingPad
from kiosk.ui.keyboards.keys import gap_px, key, key_px, stylesheet
from kiosk.ui.keyboards.letters import LettersPad

PINYIN, HANDWRITING, DIGITS, LETTERS, DATE = "pinyin", "handwriting", "digits", "letters", "date"
TEXT_MODES = (PINYIN, HANDWRITING, DIGITS, LETTERS)
NUMERIC_TYPES = ("phone", "bank_account", "integer", "resident_id")
NUMBER_LIKE = ("_number", "_account", "_code")      # text fields that hold account or certificate numbers


def modes_for(f: FieldDef, lang: str) -> tuple[tuple[str, ...], str]:
    """(the modes offered, the one shown first) for a field."""
    if f.type == "date":
        return (DATE,), DATE
    if f.type in NUMERIC_TYPES:
        return (DIGITS,), DIGITS
    if f.type == "email":
        return (LETTERS, DIGITS), LETTERS
    if any(f.id.endswith(s) for s in NUMBER_LIKE):
        return TEXT_MODES, DIGITS
    return TEXT_MODES, (PINYIN if base_language(lang) == "zh" else LETTERS)


def max_chars(f: FieldDef) -> int | None:
    """The most characters the keyboard lets into the field (the field's own limit, or what its
    type can hold: a mobile number has 11 digits, an ID number 18, a bank card at most 19)."""
    if f.max_length:
        return f.max_length
    if f.type == "integer" and f.max is not None:
        return len(str(f.max))
    return {"phone": 11, "resident_id": 18, "bank_account": 19}.get(f.type)


class OnScreenKeyboard(QFrame):
    opened = Signal(object)      # the watched container (or edit) now typed into
    closed = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("keyboard")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.lang = "zh"
        self.today = date.today()
        self.scale = -1.0
        self.target: QLineEdit | None = None
        self.field: FieldDef | None = None
        self._watched: dict[QLineEdit, tuple[FieldDef, QWidget]] = {}
        self.composition = ""                   # pinyin letters typed, not yet turned into characters
        self.pinyin_candidates: list[Candidate] = []
        self.pinyin_failed = False
        self.mode = PINYIN
        self._build()
        self.hide()

    # -- building ------------------------------------------------------------------------------
    def _build(self) -> None:
        gap = gap_px()
        outer = QVBoxLayout(self)
        outer.setContentsMargins(gap, gap, gap, gap)
        outer.setSpacing(gap)
        self.top = QWidget()          # one key high whatever it shows, so the keyboard does not jump
        top = QHBoxLayout(self.top)
        top.setContentsMargins(0, 0, 0, 0)
        top.setSpacing(gap)
        self.compose_label = QLabel("")
        self.compose_label.setObjectName("composition")
        self.hint = QLabel("")
        self.hint.setObjectName("keyboardHint")
        self.hint.setWordWrap(True)
        self.bar = CandidateBar()
        self.bar.chosen.connect(self._on_candidate)
        top.addWidget(self.compose_label)
        top.addWidget(self.bar, 1)
        top.addWidget(self.hint, 1)
        outer.addWidget(self.top)

        row = QHBoxLayout()
        row.setSpacing(gap)
        tabs = QVBoxLayout()
        tabs.setSpacing(gap)
        self.tab_group = QButtonGroup(self)
        self.tabs: dict[str, QPushButton] = {}
        for mode in TEXT_MODES:
            b = key("", "tab")
            follow_checked(b)   # the [checked] rule, so the palette holds the colours shown (ui audit)
            b.setCheckable(True)
            b.clicked.connect(lambda _=False, m=mode: self.set_mode(m))
            self.tab_group.addButton(b)
            self.tabs[mode] = b
            tabs.addWidget(b)
        row.addLayout(tabs)

        self.stack = QStackedWidget()
        self.pinyin_pad = LettersPad(extras="'")
        self.pinyin_pad.pressed.connect(self._on_pinyin_letter)
        self.draw_box = QWidget()
        dl = QHBoxLayout(self.draw_box)
        dl.setContentsMargins(0, 0, 0, 0)
        self.drawing = DrawingPad(4 * key_px() + 3 * gap)
        self.drawing.stroke_finished.connect(self._recognise)
        dl.addStretch(1)
        dl.addWidget(self.drawing)
        dl.addStretch(1)
        self.digits = DigitPad(left="-", right="X")
        self.digits.pressed.connect(self._insert)
        self.digit_box = QWidget()     # a phone-sized pad in the middle, not keys a foot wide
        dig = QHBoxLayout(self.digit_box)
        dig.setContentsMargins(0, 0, 0, 0)
        dig.addStretch(1)
        dig.addWidget(self.digits, 3)
        dig.addStretch(1)
        self.letters = LettersPad(extras="@.-_", shift=True)
        self.letters.pressed.connect(self._insert)
        self.date_picker = DatePicker()
        self.date_picker.changed.connect(self._on_date_changed)
        self.pages = {PINYIN: self.pinyin_pad, HANDWRITING: self.draw_box, DIGITS: self.digit_box,
                      LETTERS: self.letters, DATE: self.date_picker}
        for w in self.pages.values():
            self.stack.addWidget(w)
        row.addWidget(self.stack, 1)

        side = QVBoxLayout()
        side.setSpacing(gap)
        self.backspace = key("", "backspaceKey")
        self.space = key("", "sideKey")
        self.clear = key("", "sideKey")
        self.done = key("", "doneKey")
        self.backspace.clicked.connect(self._on_backspace)
        self.space.clicked.connect(self._on_space)
        self.clear.clicked.connect(self._on_clear)
        self.done.clicked.connect(self._on_done)
        for b in (self.backspace, self.space, self.clear, self.done):
            side.addWidget(b)
        side.addStretch(1)
        row.addLayout(side)
        outer.addLayout(row)
        self.set_lang("zh")

        self.lookup = engines.pinyin()
        self.lookup.results.connect(self._on_pinyin_results)

    def apply_scale(self, scale: float) -> None:
        """Size keys and text for the theme's scale (large mode). Cheap when unchanged."""
        if scale == self.scale:
            return
        self.scale = scale
        self.setStyleSheet(stylesheet(scale))
        self.drawing.set_side(4 * key_px(scale) + 3 * gap_px(scale))
        self.top.setFixedHeight(key_px(scale) + 8)

    def set_lang(self, lang: str) -> None:
        self.lang = lang
        for mode, text in zip(TEXT_MODES, (S.TAB_PINYIN, S.TAB_HANDWRITING, S.TAB_DIGITS, S.TAB_LETTERS), strict=True):
            self.tabs[mode].setText(text.get(lang))
        for b, text in ((self.backspace, S.BACKSPACE), (self.space, S.SPACE), (self.clear, S.CLEAR), (self.done, S.DONE)):
            b.setText(text.get(lang))
        self.bar.set_lang(lang)
        self._show_hint()

    # -- attaching to fields -------------------------------------------------------------------
    def watch(self, edit: QLineEdit, f: FieldDef, container: QWidget | None = None) -> None:
        """Open this keyboard when `edit` is tapped or gets the focus."""
        self._watched[edit] = (f, container or edit)
        edit.installEventFilter(self)
        edit.destroyed.connect(lambda *_: self._forget_edit(edit))

    def unwatch_all(self) -> None:
        self.close_keyboard()
        for edit in list(self._watched):
            try:
                edit.removeEventFilter(self)
            except RuntimeError:
                pass
        self._watched = {}

    def _forget_edit(self, edit: QLineEdit) -> None:
        self._watched.pop(edit, None)
        if self.target is edit:
            self.target = None
            self.hide()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        # Taller now (another tab, large mode): the field must stay in view above the keyboard.
        if self.target is not None and self.isVisible() and self.target in self._watched:
            self.opened.emit(self._watched[self.target][1])

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if isinstance(obj, QLineEdit) and obj in self._watched and event.type() in (QEvent.Type.MouseButtonPress, QEvent.Type.FocusIn):
            if self.target is not obj or not self.isVisible():
                self.open_for(obj)
        return False

    def open_for(self, edit: QLineEdit) -> None:
        from kiosk.ui import theme   # read at each opening: large mode may have changed it

        f, container = self._watched[edit]
        self.apply_scale(theme.SCALE)
        self._reset_input()
        self.target, self.field = edit, f
        modes, first = modes_for(f, self.lang)
        for mode, tab in self.tabs.items():
            tab.setVisible(len(modes) > 1 and mode in modes)
        self.digits.set_extra(*extras_for(f.type))
        if f.type == "date":
            lo, hi = date_range(f.not_future, self.today)
            self.date_picker.configure(edit.text(), lo, hi, self.today, self.lang)
        self.set_mode(first)
        self.show()
        edit.setFocus(Qt.FocusReason.OtherFocusReason)
        self.opened.emit(container)

    def _on_done(self) -> None:
        if self.target is not None and self.field is not None and self.field.type == "date":
            self._set_text(self.date_picker.iso())   # 完成 confirms the date shown
        self.close_keyboard()

    def close_keyboard(self) -> None:
        """Hide the keyboard; what was being composed (pinyin letters, strokes) is dropped."""
        self._reset_input()
        self.target = self.field = None
        if self.isVisible():
            self.hide()
            self.closed.emit()

    def reset(self) -> None:
        """Session end: nothing the citizen typed stays in the keyboard or the engine."""
        self.unwatch_all()
        self.lookup.forget()

    # -- modes ---------------------------------------------------------------------------------
    def set_mode(self, mode: str) -> None:
        if self.composition or self.drawing.strokes:
            self._reset_input()
        self.mode = mode
        self.stack.setCurrentWidget(self.pages[mode])
        if mode in self.tabs:
            self.tabs[mode].setChecked(True)
        composing = mode in (PINYIN, HANDWRITING)
        self.bar.setVisible(composing)
        self.compose_label.setVisible(mode == PINYIN)
        is_date = mode == DATE
        self.backspace.setVisible(not is_date)
        self.space.setVisible(mode in (PINYIN, LETTERS) and self.field is not None and self.field.type == "text")
        self._show_hint()
        if mode == PINYIN:
            self.lookup.warm_up()

    def _show_hint(self) -> None:
        text: Text | None
        if self.mode == DATE:
            text = S.DATE_HINT
        elif self.mode == PINYIN:
            text = S.UNAVAILABLE if self.pinyin_failed else (None if self.composition else S.PINYIN_HINT)
        elif self.mode == HANDWRITING:
            text = None if self.drawing.strokes else S.WRITE_HINT
        else:
            text = None
        self.hint.setText(text.get(self.lang) if text else "")
        self.hint.setVisible(text is not None)
        self.bar.setVisible(self.mode in (PINYIN, HANDWRITING) and text is None)
        self.top.setVisible(self.mode in (PINYIN, HANDWRITING, DATE))

    def _reset_input(self) -> None:
        self.composition = ""
        self.pinyin_candidates = []
        self.compose_label.setText("")
        self.drawing.clear()
        self.bar.set_candidates([])
        self._show_hint()

    # -- typing --------------------------------------------------------------------------------
    def _set_text(self, text: str) -> None:
        if self.target is not None:
            self.target.setText(text)

    def _insert(self, text: str) -> None:
        if self.target is None or self.field is None:
            return
        limit = max_chars(self.field)
        if limit is not None and len(self.target.text()) + len(text) > limit:
            return
        if text == "X" and self.field.type == "resident_id" and len(self.target.text()) != 17:
            return      # X is only ever the 18th, check character
        self.target.insert(text)

    def _on_backspace(self) -> None:
        if self.mode == PINYIN and self.composition:
            self._compose(self.composition[:-1])
        elif self.mode == HANDWRITING and self.drawing.undo():
            self._recognise()
        elif self.target is not None:
            self.target.backspace()

    def _on_space(self) -> None:
        if self.mode == PINYIN and self.composition:
            if self.pinyin_candidates:
                self._on_candidate(0)      # as on every pinyin keyboard: space takes the first
        else:
            self._insert(" ")

    def _on_clear(self) -> None:
        self._reset_input()
        if self.target is not None:
            self.target.clear()

    def _on_date_changed(self, iso: str) -> None:
        self._set_text(iso)

    # -- pinyin --------------------------------------------------------------------------------
    def _on_pinyin_letter(self, ch: str) -> None:
        if ch == "'" and (not self.composition or self.composition.endswith("'")):
            return
        letters = self.composition.replace("'", "")
        if len(letters) < MAX_PINYIN:
            self._compose(self.composition + ch)

    def _compose(self, text: str) -> None:
        self.composition = text
        self.compose_label.setText(text)
        self.pinyin_candidates = []
        self.bar.set_candidates([])
        if text and normalise(text):
            self.lookup.request(text)
        self._show_hint()

    def _on_pinyin_results(self, query: str, found: list[Candidate] | None) -> None:
        if query != self.composition or self.mode != PINYIN:
            return      # an answer to letters since changed
        self.pinyin_failed = found is None
        self.pinyin_candidates = list(found or [])
        self.bar.set_candidates([c.text for c in self.pinyin_candidates])
        self._show_hint()

    def _on_candidate(self, index: int) -> None:
        if self.mode == HANDWRITING:
            self._insert(self.bar.items[index])
            self.drawing.clear()
            self.bar.set_candidates([])
            self._show_hint()
            return
        if index >= len(self.pinyin_candidates):
            return
        c = self.pinyin_candidates[index]
        self._insert(c.text)
        # Keep what the choice did not cover (浙江省 chosen from zhejiangshenghangzhou: hangzhou).
        rest = (normalise(self.composition) or "")[c.consumed:].strip("'")
        self._compose(rest)

    # -- handwriting ---------------------------------------------------------------------------
    def _recognise(self) -> None:
        found: list[str] = []
        failed = False
        if self.drawing.strokes:
            try:
                found = engines.handwriting().recognise(self.drawing.strokes, self.drawing.width(),
                                                        self.drawing.height(), limit=24)
            except (EngineUnavailable, ValueError, OSError):   # say so; the other tabs still work
                failed = True
        self.bar.set_candidates(found)
        self._show_hint()
        if failed:
            self.hint.setText(S.UNAVAILABLE.get(self.lang))
            self.hint.show()
