"""Attract screen: invites the citizen to place their ID card."""
from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen, QPixmap

from kiosk.domain.health import HealthReport
from kiosk.domain.text import Text, base_language
from kiosk.i18n import tr
from kiosk.flows import events as ev
from kiosk.flows import messages as msg
from kiosk.flows.journey import FlowState, Step
from kiosk.flows.staff_state import StaffPurpose
from kiosk.ui import assist_strings as A
from kiosk.ui import staff_strings as SS
from kiosk.ui import strings as S
from kiosk.ui.screens.base import Screen, button, button_row, label

# Both languages: the citizen has not chosen one yet (issue 14 part 3).
SCAN_RECEIPT = tr("扫回执查进度  Scan your receipt")


def id_card_picture(width: int = 220) -> QPixmap:
    """A simple drawing of an ID card on a reader (no emoji: kiosk fonts do not have them)."""
    height = int(width * 0.63)
    pix = QPixmap(width + 20, height + 40)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor("#c9d4e5"))
    p.drawRoundedRect(QRectF(0, height + 8, width + 20, 26), 10, 10)          # the reader
    p.setBrush(QColor("#ffffff"))
    p.setPen(QPen(QColor("#0b57d0"), 4))
    p.drawRoundedRect(QRectF(10, 4, width, height), 14, 14)                    # the card
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor("#d4a72c"))
    p.drawRoundedRect(QRectF(30, height * 0.35, width * 0.18, height * 0.28), 5, 5)   # the chip
    p.setBrush(QColor("#9bb5e0"))
    for i in range(3):
        p.drawRoundedRect(QRectF(width * 0.35, height * (0.25 + i * 0.18), width * 0.5, height * 0.08), 4, 4)
    p.end()
    return pix


class AttractScreen(Screen):
    def __init__(self) -> None:
        super().__init__()
        self.hero = label("", "hero", wrap=True, align=Qt.AlignmentFlag.AlignCenter)
        self.hero_other = label("", "heroEn", wrap=True, align=Qt.AlignmentFlag.AlignCenter)
        self.card_icon = label(align=Qt.AlignmentFlag.AlignCenter)
        self.card_icon.setPixmap(id_card_picture())
        self.sub = label("", "subtitle", wrap=True, align=Qt.AlignmentFlag.AlignCenter)
        self.privacy = label("", "help", wrap=True, align=Qt.AlignmentFlag.AlignCenter)
        self.staff = label("", "help", wrap=True, align=Qt.AlignmentFlag.AlignCenter)   # why intake is closed
        self.staff_warnings: tuple[Text, ...] = ()    # from the composition, e.g. an empty CSCA trust store
        self.health_faults: tuple[Text, ...] = ()     # from the newest health report (show_health)
        self._intake_closed: tuple[Text, ...] = ()
        # For staff walking by: applications this kiosk holds that the back office has not got yet.
        self.backlog = label("", "staffNote", wrap=True, align=Qt.AlignmentFlag.AlignCenter)
        # 长辈版 in one touch, before the card goes in (the header has the same switch).
        self._large_on = False
        self.large = button("", "largeAttract")
        self.large.clicked.connect(lambda: self.intent.emit(ev.LargeModeChosen(not self._large_on)))
        self.outer.addStretch(2)
        self.outer.addWidget(self.card_icon)
        self.outer.addWidget(self.hero)
        self.outer.addWidget(self.hero_other)
        self.outer.addSpacing(24)
        self.outer.addWidget(self.sub)
        # Progress without a card: scan the receipt's QR code, or type its number or check code.
        self.scan_button = button("", "scanReceipt")
        self.scan_button.clicked.connect(lambda: self.intent.emit(ev.ScanRequested()))
        self.outer.addSpacing(12)
        # Large mode, voice (kiosk.ui.voice puts its switch after large mode) and the receipt scan
        # side by side: one row keeps the large-mode attract screen within the panel.
        self.choices = button_row(self.large, self.scan_button, stretch_first=True)
        self.choices.addStretch(1)
        self.outer.addLayout(self.choices)
        # Identity without the card (issue 12 part 6): only while the identity service can answer.
        self.no_card = button("", "primary")
        self.no_card.clicked.connect(lambda: self.intent.emit(ev.NoCardRequested()))
        self.outer.addWidget(self.no_card, 0, Qt.AlignmentFlag.AlignHCenter)
        self.outer.addStretch(1)
        self.outer.addWidget(self.notice)
        self.outer.addWidget(self.privacy)
        self.outer.addWidget(self.staff)
        self.outer.addStretch(1)
        self.outer.addWidget(self.backlog)
        # The discreet way in for staff: the console (help calls, overrides, device health).
        self.staff_entry = button("", "staffEntry")
        self.staff_entry.clicked.connect(lambda: self.intent.emit(ev.StaffRequested(StaffPurpose.CONSOLE)))
        self.outer.addWidget(self.staff_entry, 0, Qt.AlignmentFlag.AlignRight)

    def render(self, state: FlowState, now: datetime) -> None:  # type: ignore[override]  # see Screen.render
        super().render(state, now)
        self.hero.setText(self.t(S.ATTRACT_HERO))
        # The invitation is shown in the other language too: the citizen has not chosen yet.
        self.hero_other.setText(S.ATTRACT_HERO.get("en" if base_language(self.lang) == "zh" else "zh"))
        self.sub.setText(self.t(S.ATTRACT_SUB))
        self.privacy.setText(self.t(S.ATTRACT_PRIVACY))
        self.staff_entry.setText(self.t(SS.STAFF_ENTRY))
        self.scan_button.setText(self.t(SCAN_RECEIPT))
        self._large_on = state.large
        self.large.setText(self.t(S.LARGE_OFF if state.large else S.ATTRACT_LARGE))
        self.show_notice(state.notice, ok=state.notice == msg.THANKS)
        pending, since = state.sync_backlog
        self.backlog.setVisible(pending > 0)
        if pending > 0:
            when = (since or "")[:16].replace("T", " ")
            self.backlog.setText(self.t(S.SYNC_BACKLOG.format(n=pending, since=when)))
        closed = bool(state.intake_closed)
        self.no_card.setText(self.t(A.NO_CARD))
        self.no_card.setVisible(state.no_card_available and not closed)
        self.card_icon.setVisible(not closed)
        self.privacy.setVisible(not closed)
        self._intake_closed = state.intake_closed
        self._render_staff()
        if closed:   # the sync freeze rule: tell the citizen where to go, and staff why
            self.hero.setText(self.t(msg.INTAKE_CLOSED))
            self.hero_other.setText(msg.INTAKE_CLOSED.get("en" if base_language(self.lang) == "zh" else "zh"))
            self.sub.setText("")
            if state.notice == msg.INTAKE_CLOSED:
                self.show_notice(None)


    def show_health(self, report: HealthReport) -> None:
        """The newest health report's faults on the staff line (each with what to do); notes are
        not shown here. GUI thread; the report is frozen and is only read."""
        self.health_faults = tuple(tr("{detail} {action}").format(detail=c.detail, action=c.action) if c.action
                                   else c.detail for c in report.faults)
        self._render_staff()

    def _render_staff(self) -> None:
        staff = [self.t(S.FOR_STAFF) + self.t(r)
                 for r in (*self._intake_closed, *self.staff_warnings, *self.health_faults)]
        self.staff.setVisible(bool(staff))
        self.staff.setText("\n".join(staff))


class ReadingCardScreen(Screen):
    def __init__(self) -> None:
        super().__init__()
        self.text = label("", "title", wrap=True, align=Qt.AlignmentFlag.AlignCenter)
        self.outer.addStretch(1)
        self.outer.addWidget(self.text)
        self.outer.addWidget(self.notice)
        self.outer.addStretch(1)

    def render(self, state: FlowState, now: datetime) -> None:  # type: ignore[override]  # see Screen.render
        super().render(state, now)
        self.text.setText(self.t(S.READING))


__all__ = ["AttractScreen", "ReadingCardScreen", "Step"]
