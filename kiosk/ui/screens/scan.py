"""Scan your receipt to see progress (issue 14 part 3): the camera preview with a frame guide, a
pad to type the application number or check code, and each department's status.

Renders `state.scan` (kiosk/flows/scan.py); the camera worker reads the frames (kiosk/receipt_scan.py),
this screen only shows the newest one. GUI thread only.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLineEdit, QStackedWidget, QVBoxLayout, QWidget

from kiosk.devices.ports import Camera
from kiosk.domain.progress import FROM_BACKOFFICE, ReceiptProgress
from kiosk.domain.text import Text
from kiosk.i18n import tr
from kiosk.flows import events as ev
from kiosk.flows.journey import FlowState, Step
from kiosk.flows.state import ScanMode
from kiosk.ui.scan_strings import AIM, TITLE, TYPE_TITLE
from kiosk.ui.screens.base import Screen, button, button_row, clear_layout, label
from kiosk.ui.theme import EDITED, MUTED, OK, PRIMARY_DARK, WARN

PREVIEW_W, PREVIEW_H = 640, 360
# The pad: digits, Crockford's letters (no I, L, O: never in a check code), then the symbols only its
# last (check) symbol can be (checkcode.py CHECK_ALPHABET: * ~ $ = U).
KEYS = "1234567890ABCDEFGHJKMNPQRSTVWXYZ*~$=U"

TYPE_INSTEAD = tr("输入申请编号或查询码")
LOOK_UP = tr("查询")
DELETE = tr("删除")
CLEAR = tr("清空")
USE_CAMERA = tr("改用扫码")
LOOKING = tr("正在查询，请稍候…")
SCAN_ANOTHER = tr("再查一张")
DONE = tr("完成")
GENUINE = tr("✓ 回执真实有效")
NUMBER = tr("申请编号 {n}")
CODE = tr("核验码 {c}")
DUE = tr("承诺办结 {d}")
DUE_APPROX = tr("预计约 {d} 办结")
AS_OF_BACKOFFICE = tr("状态为后台最新（{t}）")
AS_OF_KIOSK = tr("状态为本机最近同步（{t}）")
NEVER_SYNCED = tr("本机尚未同步过状态")
ASKING = tr("正在向后台查询最新状态…")
HEAD_DEPARTMENT = tr("部门")
HEAD_STATUS = tr("办理状态")
HEAD_DUE = tr("办结日期")
# Done in green, refused in red, the rest in the kiosk's blue; not yet received in grey.
STATUS_COLOURS = {"completed": OK, "approved": OK, "rejected": WARN, "more_materials_needed": EDITED}
NO_CAMERA = tr("摄像头暂时无法使用。请改为输入申请编号或核验码。")


def shown_time(iso: str) -> str:
    """An ISO time (the back office's UTC "...Z", or the kiosk's local time) as local date and minute."""
    try:
        t = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso[:16]
    if t.tzinfo is not None:
        t = t.astimezone().replace(tzinfo=None)
    return t.strftime("%Y-%m-%d %H:%M")


class ScanScreen(Screen):
    def __init__(self, camera: Callable[[], Camera | None]) -> None:
        super().__init__()
        self._camera = camera
        self._last_seq = -1
        self.speaker: Any = None              # the Speaker port (kiosk/devices/ports.py), when voice is on
        self._spoken: tuple[str, str, str] | None = None
        self.title = label("", "title")
        self.pages = QStackedWidget()
        self.pages.addWidget(self._camera_page())
        self.pages.addWidget(self._typing_page())
        self.pages.addWidget(self._result_page())
        self.outer.addWidget(self.title)
        self.outer.addWidget(self.notice)
        self.outer.addWidget(self.pages, 1)
        # The preview pulls the newest frame; the GUI thread never waits on the camera.
        self.timer = QTimer(self)
        self.timer.setInterval(66)
        self.timer.timeout.connect(self._on_timer_timeout)

    # --- pages -------------------------------------------------------------------------------------
    def _camera_page(self) -> QWidget:
        page = QWidget()
        row = QHBoxLayout(page)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(32)
        self.preview = label("", "preview", align=Qt.AlignmentFlag.AlignCenter)
        self.preview.setFixedSize(PREVIEW_W, PREVIEW_H)
        self.aim = label("", "subtitle", wrap=True)
        self.refusal = label("", "notice", wrap=True)
        self.type_button = button("", None)
        self.type_button.setMinimumHeight(84)
        self.type_button.clicked.connect(lambda: self.intent.emit(ev.TypingRequested()))
        side = QVBoxLayout()
        side.setSpacing(20)
        side.addWidget(self.aim)
        side.addWidget(self.refusal)
        side.addStretch(1)
        side.addWidget(self.type_button)
        row.addWidget(self.preview, 0, Qt.AlignmentFlag.AlignTop)
        row.addLayout(side, 1)
        return page

    def _typing_page(self) -> QWidget:
        page = QWidget()
        col = QVBoxLayout(page)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(14)
        self.type_title = label("", "fieldLabel", wrap=True)
        self.typed = QLineEdit()
        self.typed.setObjectName("typed")
        self.typed.setReadOnly(True)        # typed on the pad: no system keyboard on a kiosk
        self.typed.setMaxLength(40)
        self.type_status = label("", "notice", wrap=True)
        grid = QGridLayout()
        grid.setSpacing(10)
        self.keys: dict[str, Any] = {}
        for i, ch in enumerate(KEYS):
            b = button(ch, "choice")
            b.setMinimumSize(84, 72)
            b.clicked.connect(lambda _=False, c=ch: self._on_key_clicked(c))
            grid.addWidget(b, i // 11, i % 11)
            self.keys[ch] = b
        self.dash = button("-", "choice")
        self.dash.setMinimumSize(84, 72)
        self.dash.clicked.connect(lambda: self._on_key_clicked("-"))
        grid.addWidget(self.dash, len(KEYS) // 11, len(KEYS) % 11)
        self.delete = button("", None)
        self.delete.clicked.connect(lambda: self.typed.setText(self.typed.text()[:-1]))
        self.clear = button("", None)
        self.clear.clicked.connect(self.typed.clear)
        self.to_camera = button("", None)
        self.to_camera.clicked.connect(lambda: self.intent.emit(ev.ScanAgainRequested()))
        self.look_up = button("", "primary")
        self.look_up.clicked.connect(lambda: self.intent.emit(ev.CodeTyped(self.typed.text())))
        col.addWidget(self.type_title)
        col.addWidget(self.typed)
        col.addWidget(self.type_status)
        col.addLayout(grid)
        col.addStretch(1)
        row = button_row(self.to_camera, self.delete, self.clear, self.look_up, stretch_first=False)
        row.insertStretch(1, 1)
        col.addLayout(row)
        return page

    def _result_page(self) -> QWidget:
        page = QWidget()
        col = QVBoxLayout(page)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(10)
        self.genuine = label("", "verified")
        self.number = label("", "appNumber", wrap=True)
        self.bundle = label("", "stageTitle", wrap=True)
        self.code = label("", "help")
        card = QFrame()
        card.setObjectName("card")
        self.items_box = QGridLayout(card)
        self.items_box.setContentsMargins(24, 16, 24, 16)
        self.items_box.setHorizontalSpacing(28)
        self.items_box.setVerticalSpacing(12)
        self.as_of = label("", "subtitle", wrap=True)
        self.result_note = label("", "notice", wrap=True)
        self.again = button("", None)
        self.again.clicked.connect(lambda: self.intent.emit(ev.ScanAgainRequested()))
        self.done = button("", "primary")
        self.done.clicked.connect(lambda: self.intent.emit(ev.CancelRequested()))
        for w in (self.genuine, self.number, self.bundle, self.code):
            col.addWidget(w)
        col.addSpacing(6)
        col.addWidget(self.as_of)
        col.addWidget(card)
        col.addWidget(self.result_note)
        col.addStretch(1)
        col.addLayout(button_row(self.again, self.done))
        return page

    # --- rendering ---------------------------------------------------------------------------------
    def render(self, state: FlowState, now: datetime) -> None:  # type: ignore[override]  # see Screen.render
        super().render(state, now)
        scan = state.scan
        self.title.setText(self.t(TITLE))
        if scan is None:
            self.timer.stop()
            return
        camera_on = state.step == Step.SCAN_RECEIPT and scan.mode is ScanMode.CAMERA and scan.progress is None
        if scan.progress is not None:
            self.pages.setCurrentIndex(2)
            self._render_result(scan.progress, scan.looking_up, scan.note)
        elif scan.mode is ScanMode.TYPING:
            self.pages.setCurrentIndex(1)
            self.type_title.setText(self.t(TYPE_TITLE))
            self.look_up.setText(self.t(LOOK_UP))
            self.look_up.setEnabled(not scan.looking_up)
            self.delete.setText(self.t(DELETE))
            self.clear.setText(self.t(CLEAR))
            self.to_camera.setText(self.t(USE_CAMERA))
            status = LOOKING if scan.looking_up else scan.refusal
            self.type_status.setVisible(status is not None)
            self.type_status.setText(self.t(status))
        else:
            self.pages.setCurrentIndex(0)
            self.aim.setText(self.t(AIM))
            self.type_button.setText(self.t(TYPE_INSTEAD))
            self.refusal.setVisible(scan.refusal is not None)
            self.refusal.setText(self.t(scan.refusal))
        if camera_on and not self.timer.isActive():
            self.timer.start()
        elif not camera_on and self.timer.isActive():
            self.timer.stop()
            self.preview.clear()

    def _render_result(self, p: ReceiptProgress, asking: bool, note: Text | None) -> None:
        self.genuine.setText(self.t(GENUINE))
        self.genuine.setVisible(bool(p.check_code))
        self.number.setText(self.t(NUMBER.format(n=p.number)))
        self.bundle.setText(p.bundle_title)
        self.bundle.setVisible(bool(p.bundle_title))
        self.code.setText(self.t(CODE.format(c=p.check_code)) if p.check_code else "")
        clear_layout(self.items_box)
        middle = Qt.AlignmentFlag.AlignVCenter
        for col, heading in enumerate((HEAD_DEPARTMENT, HEAD_STATUS, HEAD_DUE)):
            self.items_box.addWidget(label(self.t(heading), "help"), 0, col, middle)
        for row, item in enumerate(p.items, 1):
            status = label(self.t(item.status_text()), "stageTitle", wrap=True)
            colour = STATUS_COLOURS.get(item.status, PRIMARY_DARK) if item.status else MUTED
            status.setStyleSheet(f"color: {colour}; padding-top: 0;")
            due = label(self.t((DUE_APPROX if item.approximate else DUE).format(d=item.due)), "subtitle", wrap=True)
            self.items_box.addWidget(label(item.department, "fieldLabel", wrap=True), row, 0, middle)
            self.items_box.addWidget(status, row, 1, middle)
            self.items_box.addWidget(due, row, 2, middle)
        self.items_box.setColumnStretch(0, 3)
        self.items_box.setColumnStretch(1, 4)
        self.items_box.setColumnStretch(2, 3)
        if asking:
            as_of = ASKING
        elif p.synced_at is None:
            as_of = NEVER_SYNCED
        elif p.source == FROM_BACKOFFICE:
            as_of = AS_OF_BACKOFFICE.format(t=shown_time(p.synced_at))
        else:
            as_of = AS_OF_KIOSK.format(t=shown_time(p.synced_at))
        self.as_of.setText(self.t(as_of))
        self.result_note.setVisible(note is not None)
        self.result_note.setText(self.t(note))
        self.again.setText(self.t(SCAN_ANOTHER))
        self.done.setText(self.t(DONE))
        self._say(p, asking)

    def _say(self, p: ReceiptProgress, asking: bool) -> None:
        """Say the statuses once they are known (the newest answer), once per answer and language."""
        if self.speaker is None or asking:
            return
        key = (p.number, p.source, self.lang)
        if key == self._spoken:
            return
        self._spoken = key
        try:
            self.speaker.say(p.spoken().get(self.lang), self.lang, interrupt=True)
        except ValueError:
            pass

    def reset(self) -> None:
        self.timer.stop()
        self.preview.clear()
        self.typed.clear()
        clear_layout(self.items_box)
        self._spoken = None

    def hideEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.timer.stop()
        self.preview.clear()
        super().hideEvent(event)

    def _on_key_clicked(self, ch: str) -> None:
        if len(self.typed.text()) < 40:
            self.typed.setText(self.typed.text() + ch)

    def _on_timer_timeout(self) -> None:
        cam = self._camera()
        if cam is not None and cam.error() is not None:
            self.preview.setText(self.t(NO_CAMERA))
            self.preview.setWordWrap(True)
            return
        frame = cam.latest() if cam else None
        if frame is None or frame.seq == self._last_seq:
            return
        self._last_seq = frame.seq
        img = frame.image
        h, w = img.shape[:2]
        # Not mirrored: the citizen reads what they hold up (a mirrored receipt looks wrong).
        qimg = QImage(img.data, w, h, img.strides[0], QImage.Format.Format_BGR888)
        pix = QPixmap.fromImage(qimg).scaled(PREVIEW_W, PREVIEW_H, Qt.AspectRatioMode.KeepAspectRatio,
                                             Qt.TransformationMode.SmoothTransformation)
        painter = QPainter(pix)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        side = pix.height() * 0.8                      # where the QR code should be
        guide = QRectF((pix.width() - side) / 2, (pix.height() - side) / 2, side, side)
        painter.setPen(QPen(QColor(255, 255, 255, 220), 5))
        arm = side * 0.18
        for x, y, dx, dy in ((guide.left(), guide.top(), 1, 1), (guide.right(), guide.top(), -1, 1),
                             (guide.left(), guide.bottom(), 1, -1), (guide.right(), guide.bottom(), -1, -1)):
            painter.drawLine(int(x), int(y), int(x + dx * arm), int(y))
            painter.drawLine(int(x), int(y), int(x), int(y + dy * arm))
        painter.end()
        self.preview.setPixmap(pix)
