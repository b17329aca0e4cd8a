"""Review: what each department will receive, the materials, and consent.

Renders the flow's draft (`session.draft`) and nothing else: the store numbers that same draft,
so the dates shown here are the ones stored and printed.
"""
from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QCheckBox, QFrame, QHBoxLayout, QVBoxLayout, QWidget

from kiosk.domain.application import Draft
from kiosk.domain.assisted import ID_NUMBER, ID_NUMBER_LINE, counter_line
from kiosk.domain.text import Text
from kiosk.flows import events as ev
from kiosk.flows.journey import FlowState
from kiosk.i18n import CLAUSE_SEPARATOR, LIST_SEPARATOR
from kiosk.ui import strings as S
from kiosk.ui.screens.base import Screen, button, button_row, clear_layout, label, repolish
from kiosk.ui.touch import ScrollPanel


class ConsentRow(QFrame):
    """The consent checkbox with its sentence beside it, wrapped, as ONE large touch target: a
    touch anywhere on the row ticks or unticks it. GUI thread only."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("consentRow")
        self.setProperty("touchTarget", True)     # what `kiosk ui audit` measures as one target
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.box = QCheckBox()
        self.box.setObjectName("consent")
        self.text = label("", "consentText", wrap=True)
        self.text.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(20, 12, 20, 12)
        lay.setSpacing(16)
        lay.addWidget(self.box, 0, Qt.AlignmentFlag.AlignVCenter)
        lay.addWidget(self.text, 1)
        self.box.toggled.connect(self._on_box_toggled)
        self._on_box_toggled(False)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(event.position().toPoint()):
            self.box.toggle()
        super().mouseReleaseEvent(event)

    def _on_box_toggled(self, on: bool) -> None:
        self.setProperty("checked", "true" if on else "false")
        repolish(self)


class ReviewScreen(Screen):
    def __init__(self) -> None:
        super().__init__()
        self.title = label("", "title", wrap=True)
        self.body = QWidget()
        self.body_layout = QVBoxLayout(self.body)
        self.body_layout.setSpacing(14)
        self.panel = ScrollPanel(self.body)
        self.consent_row = ConsentRow()
        self.consent = self.consent_row.box
        self.back = button("")
        self.submit = button("", "primary")
        self.back.clicked.connect(lambda: self.intent.emit(ev.BackRequested()))
        self.submit.clicked.connect(self._on_submit_clicked)
        self.outer.addWidget(self.title)
        self.outer.addWidget(self.panel, 1)
        self.outer.addWidget(self.notice)
        self.outer.addWidget(self.consent_row)
        self.outer.addLayout(button_row(self.back, self.submit))
        self._shown: tuple[Draft, str] | None = None

    def reset(self) -> None:
        clear_layout(self.body_layout)
        self.consent.setChecked(False)
        self._shown = None

    def render(self, state: FlowState, now: datetime) -> None:  # type: ignore[override]  # see Screen.render
        super().render(state, now)
        s = state.session
        self.title.setText(self.t(S.REVIEW_TITLE))
        self.back.setText(self.t(S.BACK))
        self.submit.setText(self.t(S.SUBMIT))
        self.consent_row.text.setText(self.t(S.CONSENT))
        self.panel.render(self.lang)
        draft = s.draft if s is not None else None
        if s is None or draft is None:
            return
        if self._shown is not None and self._shown[0] is draft and self._shown[1] == self.lang:
            return
        if self._shown is None or self._shown[0] is not draft:
            self.consent.setChecked(s.consent)   # a new draft; a language switch keeps the tick
        self._shown = (draft, self.lang)
        clear_layout(self.body_layout)
        for line in assisted_lines(draft):   # who applied, who entered it (issue 12)
            self.body_layout.addWidget(label(self.t(line), "verified", wrap=True))
        for r in draft.requests:
            box = QFrame()
            box.setObjectName("card")
            lay = QVBoxLayout(box)
            lay.setContentsMargins(20, 14, 20, 14)
            lay.addWidget(label(f"{self.t(r.department)} · {self.t(r.procedure)}", "fieldLabel", wrap=True))
            due = self.t(S.PROMISED.format(d=r.promised_days, date=r.due.isoformat()))
            fee = self.t(S.FREE) if r.fee == 0 else self.t(S.FEE.format(fee=f"{r.fee:g}"))
            lay.addWidget(label(f"{due} · {fee}", "help", wrap=True))
            shown = []
            for fid in r.fields:
                a = draft.answer(fid)
                # An optional question left unanswered sends the department nothing: not shown.
                if a is not None and a.value:
                    mark = " ✓" if a.verified else (" ✎" if a.edited else "")
                    shown.append(self.t(S.ANSWER_LINE).format(label=self.t(a.label), value=self.t(a.shown)) + mark)
            lay.addWidget(label(self.t(CLAUSE_SEPARATOR).join(shown), wrap=True))
            self.body_layout.addWidget(box)
        held = [self.t(t) for _, t, h in draft.materials if h]
        bring = [self.t(t) for _, t, h in draft.materials if not h]
        sep = self.t(LIST_SEPARATOR)
        if held:
            self.body_layout.addWidget(label(self.t(S.MATERIALS_HELD) + sep.join(held), "verified", wrap=True))
        if bring:
            self.body_layout.addWidget(label(self.t(S.MATERIALS_BRING) + sep.join(bring), "help", wrap=True))
        summary = draft.face_check.identity_line() if draft.face_check is not None else None
        if summary is not None:   # how identity was established: the face check, or a clerk's override
            self.body_layout.addWidget(label(self.t(summary), "verified", wrap=True))
        self.body_layout.addStretch(1)

    def _on_submit_clicked(self) -> None:
        self.intent.emit(ev.SubmitRequested(self.consent.isChecked()))


def assisted_lines(draft: Draft) -> list[Text]:
    """The review's lines for an assisted application: the agent, the counter clerk, no card."""
    lines = []
    if draft.identity_source == ID_NUMBER:
        lines.append(ID_NUMBER_LINE)
    if draft.proxy is not None:
        lines.append(draft.proxy.shown())
    if draft.counter_staff is not None:
        lines.append(counter_line(draft.counter_staff))
    return lines
