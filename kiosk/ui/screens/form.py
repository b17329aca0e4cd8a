"""The combined form: one topic per page, prefilled values marked as verified."""
from __future__ import annotations

from datetime import datetime

from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QLineEdit, QPushButton, QVBoxLayout, QWidget

from kiosk.domain.catalogue import FieldDef
from kiosk.flows import events as ev
from kiosk.flows.journey import FlowState
from kiosk.ui import strings as S
from kiosk.ui import theme
from kiosk.ui.keyboards.dock import keep_visible
from kiosk.ui.keyboards.keyboard import OnScreenKeyboard
from kiosk.ui.screens.base import Screen, button, button_row, clear_layout, follow_checked, label, repolish
from kiosk.ui.touch import ScrollPanel


class FieldWidget(QWidget):
    """One question: label, help, the input, the verified mark and the error line."""

    def __init__(self, f: FieldDef, lang: str, value: str, verified: bool, prefilled: str | None, from_gov: bool) -> None:
        super().__init__()
        self.field = f
        self.lang = lang
        self.prefilled = prefilled
        self.verified = verified
        self.from_gov = from_gov
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 4, 0, 4)
        lay.setSpacing(6)
        head = QHBoxLayout()
        head.addWidget(label(f.label.get(lang), "fieldLabel", wrap=True))
        self.mark = label("", "verified")
        head.addWidget(self.mark)
        head.addStretch(1)
        lay.addLayout(head)
        if f.help:
            lay.addWidget(label(f.help.get(lang), "help", wrap=True))
        if f.type == "date":   # shown as text: a placeholder vanishes at the first digit
            lay.addWidget(label(S.DATE_HINT.get(lang), "dateHint", wrap=True))
        self.edit: QLineEdit | None = None
        self.group: QButtonGroup | None = None
        if f.type == "choice":
            row = QHBoxLayout()
            row.setSpacing(16)
            self.group = QButtonGroup(self)
            self.group.setExclusive(True)
            for c in f.choices:
                b = button(c.label.get(lang), "choice")
                b.setCheckable(True)
                b.setProperty("value", c.value)
                follow_checked(b)
                b.setChecked(c.value == value)
                self.group.addButton(b)
                row.addWidget(b)
            row.addStretch(1)
            self.group.buttonClicked.connect(self._on_changed)
            lay.addLayout(row)
        else:
            self.edit = QLineEdit(value)
            self.edit.setObjectName(f"input_{f.id}")
            if f.max_length:
                self.edit.setMaxLength(f.max_length)
            self.edit.textChanged.connect(self._on_changed)   # typed on the on-screen keyboard too
            lay.addWidget(self.edit)
        self.error = label("", "error", wrap=True)
        self.error.hide()
        lay.addWidget(self.error)
        self.same_as_button: QPushButton | None = None
        self.computed_words: str | None = None
        self._on_changed()

    def add_same_as(self, words: str, value: str) -> None:
        """A large button ("与身份证住址相同 / Same as ID address") that copies `value` into the
        field, which stays editable. GUI thread."""
        if self.edit is None or self.same_as_button is not None:
            return
        self.same_as_button = button(words, "choice")   # the large choice style: one touch, like a choice
        self.same_as_button.clicked.connect(lambda: self._on_same_as_clicked(value))
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)
        row = QHBoxLayout()
        row.addWidget(self.same_as_button)
        row.addStretch(1)
        layout.insertLayout(layout.indexOf(self.edit), row)

    def mark_computed(self, words: str) -> None:
        """Say that the value shown is the kiosk's own suggestion (worked out from other answers)
        until the citizen changes it. GUI thread."""
        self.computed_words = words
        self._on_changed()

    def _on_same_as_clicked(self, value: str) -> None:
        self.set_value(value)

    def value(self) -> str:
        if self.edit is not None:
            return self.edit.text().strip()
        checked = self.group.checkedButton() if self.group else None
        return str(checked.property("value")) if checked else ""

    def set_value(self, value: str) -> None:
        if self.edit is not None:
            self.edit.setText(value)
        elif self.group is not None:
            for b in self.group.buttons():
                b.setChecked(b.property("value") == value)
        self._on_changed()

    def set_error(self, text: str | None) -> None:
        self.error.setText(text or "")
        self.error.setVisible(bool(text))
        if self.edit is not None:
            self.edit.setProperty("invalid", "true" if text else "false")
            repolish(self.edit)

    def _on_changed(self, *_: object) -> None:
        # The mark follows what is on screen: editing a verified value drops the mark at once.
        if self.prefilled is None:
            self.mark.setText("")
        elif self.computed_words and self.value() == self.prefilled:
            self.mark.setObjectName("computed")
            self.mark.setText(self.computed_words or "")
        elif self.verified and self.value() == self.prefilled:
            self.mark.setObjectName("verified")
            self.mark.setText((S.VERIFIED_GOV if self.from_gov else S.VERIFIED).get(self.lang))
        else:
            self.mark.setObjectName("edited")
            self.mark.setText(S.EDITED.get(self.lang))
        repolish(self.mark)


class FormScreen(Screen):
    def __init__(self) -> None:
        super().__init__()
        self.title = label("", "title")
        self.page_label = label("", "progress")
        self.page_label.hide()   # the page shows in the progress bar's 填写 step
        self.body = QWidget()
        self.body_layout = QVBoxLayout(self.body)
        self.body_layout.setSpacing(14)
        self.panel = ScrollPanel(self.body)
        self.back = button("")
        self.next = button("", "primary")
        self.back.clicked.connect(self._on_back_clicked)
        self.next.clicked.connect(self._on_next_clicked)
        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.page_label)
        self.outer.addLayout(head)
        self.outer.addWidget(self.notice)
        self.outer.addWidget(self.panel, 1)
        self.outer.addLayout(button_row(self.back, self.next))
        self.scroll_area = self.panel.area    # (QWidget.scroll is a method)
        # Docked under the form, in the layout (never over it): the form shrinks to make room.
        self.keyboard = OnScreenKeyboard()
        self.keyboard.opened.connect(self._on_keyboard_opened)
        self.keyboard.closed.connect(self._show_chrome)
        self.outer.addWidget(self.keyboard)
        self.fields: dict[str, FieldWidget] = {}
        self._key: tuple | None = None

    def reset(self) -> None:
        self.keyboard.reset()
        clear_layout(self.body_layout)
        self.fields = {}
        self._key = None

    def values(self) -> dict[str, str]:
        return {fid: w.value() for fid, w in self.fields.items()}

    def typed_values(self) -> dict[str, str]:
        return self.values()

    def render(self, state: FlowState, now: datetime) -> None:  # type: ignore[override]  # see Screen.render
        super().render(state, now)
        s = state.session
        pages = state.pages(now)
        if s is None or not pages:
            return
        index = min(s.page, len(pages) - 1)
        page = pages[index]
        bundle = state.bundle()
        self.title.setText(f"{self.t(bundle.title)} · {self.t(page.topic.title)}" if bundle else self.t(page.topic.title))
        self.page_label.setText(self.t(S.PAGE_OF.format(i=index + 1, n=len(pages))))
        self.back.setText(self.t(S.BACK))
        self.next.setText(self.t(S.NEXT))
        self.keyboard.set_lang(self.lang)
        self.keyboard.today = now.date()
        self.panel.render(self.lang)
        key = (s.bundle_id, index, tuple(f.id for f in page.fields), self.lang, state.attempt)
        if key != self._key:
            self._key = key
            self.keyboard.unwatch_all()
            clear_layout(self.body_layout)
            self.fields = {}
            for f in page.fields:
                from_gov = bool(f.source and f.source.startswith("gov."))
                w = FieldWidget(f, self.lang, s.answers.get(f.id, ""), f.id in s.verified, s.prefilled.get(f.id), from_gov)
                same = state.same_as(f)
                if same is not None:
                    w.add_same_as(self.t(same[0]), same[1])
                if state.computed(f.id):
                    w.mark_computed(self.t(S.COMPUTED))
                self.fields[f.id] = w
                if w.edit is not None:
                    self.keyboard.watch(w.edit, f, w)
                self.body_layout.addWidget(w)
            self.body_layout.addStretch(1)
        for fid, w in self.fields.items():
            err = s.errors.get(fid)
            w.set_error(self.t(err) if err else None)

    def _on_keyboard_opened(self, field: QWidget) -> None:
        # Large mode: the keyboard, the field and Back/Next need the height of the title and of
        # the page buttons on the reference panel (the field's own label still says what is
        # asked; the form still scrolls by dragging). 完成 brings them back.
        self._show_chrome(theme.SCALE <= theme.NORMAL_SCALE)
        keep_visible(self.scroll_area, field)

    def _show_chrome(self, on: bool = True) -> None:
        for w in (self.title, self.panel.up, self.panel.down):
            w.setVisible(on)

    def _on_next_clicked(self) -> None:
        self.intent.emit(ev.NextRequested(self.values()))

    def _on_back_clicked(self) -> None:
        self.intent.emit(ev.BackRequested(self.values()))


__all__ = ["FormScreen", "FieldWidget", "QPushButton"]
