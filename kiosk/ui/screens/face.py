"""Face check: live preview, one clear instruction, the result, retry or ask staff.

While the check runs, the screen's background takes the colour the face check asks for
(kiosk/devices/face/screen_flash.py): a large, bright area lights the citizen's face, and the
check looks for that light on the skin in the next camera frames."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout

from kiosk.devices.face.screen_flash import Colour, ScreenFlash
from kiosk.devices.ports import Camera
from kiosk.i18n import tr
from kiosk.flows import events as ev
from kiosk.flows.journey import FlowState, Step
from kiosk.flows.staff_state import StaffPurpose
from kiosk.ui import strings as S
from kiosk.ui.screens.base import Screen, button, button_row, label, repolish

PREVIEW_W, PREVIEW_H = 640, 480
STAFF_CHECK = tr("请工作人员核验")


class FaceCheckScreen(Screen):
    def __init__(self, camera: Callable[[], Camera | None], flash: ScreenFlash | None = None) -> None:
        super().__init__()
        self._camera = camera
        self._flash = flash
        self._tint: Colour | None = None
        self._last_seq = -1
        self.setObjectName("faceScreen")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.title = label("", "title")
        self.preview = label("", "preview", align=Qt.AlignmentFlag.AlignCenter)
        self.preview.setFixedSize(PREVIEW_W, PREVIEW_H)
        # The one thing to do now ("turn your head to your left") must be readable from a step away.
        self.instruction = label("", "faceInstruction", wrap=True)
        self.status = label("", "faceStatus", wrap=True)
        self.retry = button("", "primary")
        self.retry.clicked.connect(self._on_retry_clicked)
        # Once the check has failed for good (or cannot run): a clerk confirms identity in person.
        self.staff_check = button("", "primary")
        self.staff_check.clicked.connect(lambda: self.intent.emit(ev.StaffRequested(StaffPurpose.OVERRIDE)))
        side = QVBoxLayout()
        side.setSpacing(20)
        side.addWidget(self.instruction)
        side.addWidget(self.status)
        side.addWidget(self.notice)
        side.addStretch(1)
        side.addLayout(button_row(self.retry, self.staff_check))
        row = QHBoxLayout()
        row.setSpacing(32)
        row.addWidget(self.preview)
        row.addLayout(side, 1)
        self.outer.addWidget(self.title)
        self.outer.addLayout(row)
        self.outer.addStretch(1)
        # The preview pulls the newest frame; the GUI thread never waits on the camera.
        self.timer = QTimer(self)
        self.timer.setInterval(33)
        self.timer.timeout.connect(self._on_timer_timeout)

    def render(self, state: FlowState, now: datetime) -> None:  # type: ignore[override]  # see Screen.render
        super().render(state, now)
        face = state.session.face if state.session else None
        self.title.setText(self.t(S.FACE_TITLE))
        self.instruction.setText(self.t(S.FACE_INSTRUCTION))
        if face is None:
            return
        if face.checking:
            # While checking, the verifier's current instruction replaces the general one.
            self.instruction.setText(self.t(face.message) if face.message else self.t(S.FACE_INSTRUCTION))
            self.status.setText(self.t(S.FACE_CHECKING))
        else:
            self.status.setText(self.t(face.message))
        failed = "false" if face.checking else "true"
        if self.status.property("failed") != failed:
            self.status.setProperty("failed", failed)
            repolish(self.status)
        self.retry.setText(self.t(S.FACE_RETRY))
        self.retry.setVisible(not face.checking and not face.needs_staff)
        self.staff_check.setText(self.t(STAFF_CHECK))
        self.staff_check.setVisible(face.overridable)
        active = state.step == Step.FACE_CHECK and face.checking
        if active and not self.timer.isActive():
            self.timer.start()
        elif not active and self.timer.isActive():
            self.timer.stop()
        if not active:
            self._paint_tint(None)

    def _paint_tint(self, colour: Colour | None) -> None:
        """The whole screen's background in `colour` (BGR), or its normal look. GUI thread."""
        if colour == self._tint:
            return
        self._tint = colour
        if colour is None:
            self.setStyleSheet("")
        else:
            b, g, r = colour
            self.setStyleSheet(f"#faceScreen {{ background-color: rgb({r}, {g}, {b}); }}")

    def hideEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.timer.stop()
        self._paint_tint(None)
        self.preview.clear()   # do not keep the citizen's image on a hidden widget
        super().hideEvent(event)

    def _on_retry_clicked(self) -> None:
        self.intent.emit(ev.FaceRetryRequested())

    def _on_timer_timeout(self) -> None:
        if self._flash is not None:
            self._paint_tint(self._flash.current())
        cam = self._camera()
        frame = cam.latest() if cam else None
        if frame is None or frame.seq == self._last_seq:
            return
        self._last_seq = frame.seq
        img = frame.image
        h, w = img.shape[:2]
        # Shown as a mirror, as people expect of a screen that films them: turning to their left
        # moves the picture to their left. The verifier sees the unmirrored frame.
        qimg = QImage(img.data, w, h, img.strides[0], QImage.Format.Format_BGR888).flipped(Qt.Orientation.Horizontal)
        pix = QPixmap.fromImage(qimg).scaled(PREVIEW_W, PREVIEW_H, Qt.AspectRatioMode.KeepAspectRatio,
                                             Qt.TransformationMode.SmoothTransformation)
        painter = QPainter(pix)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(255, 255, 255, 200), 4, Qt.PenStyle.DashLine))
        gw, gh = pix.width() * 0.36, pix.height() * 0.62      # where the face should be
        painter.drawEllipse(int((pix.width() - gw) / 2), int(pix.height() * 0.14), int(gw), int(gh))
        painter.end()
        self.preview.setPixmap(pix)
