"""The handwriting pad: a square the citizen writes one character in with a finger (mouse or
touch events, which Qt turns into mouse events for a touch screen); each finished stroke asks the
recogniser for candidates. GUI thread."""
from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from kiosk.ui import theme


MAX_STROKES = 60       # more than any character has; a scribbling hand cannot grow the list without end
MAX_POINTS = 2000      # a stroke's points; the recogniser thins them further


class DrawingPad(QWidget):
    """Collects strokes as lists of (x, y) pad pixels and draws the ink. `stroke_finished` after
    each finger lift. At most MAX_STROKES strokes of MAX_POINTS points are kept."""

    stroke_finished = Signal()

    def __init__(self, side: int) -> None:
        super().__init__()
        self.setObjectName("drawingPad")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setAttribute(Qt.WidgetAttribute.WA_AcceptTouchEvents, False)   # Qt synthesises mouse events
        self.setFixedSize(side, side)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.strokes: list[list[tuple[int, int]]] = []
        self._current: list[tuple[int, int]] | None = None

    def set_side(self, side: int) -> None:
        self.setFixedSize(side, side)
        self.clear()

    def clear(self) -> None:
        self.strokes, self._current = [], None
        self.update()

    def undo(self) -> bool:
        """Remove the last stroke; False when there was none."""
        if not self.strokes:
            return False
        self.strokes.pop()
        self.update()
        return True

    def _point(self, e: QMouseEvent) -> tuple[int, int]:
        p = e.position().toPoint()
        return min(max(p.x(), 0), self.width() - 1), min(max(p.y(), 0), self.height() - 1)

    def mousePressEvent(self, e: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if e.button() == Qt.MouseButton.LeftButton and len(self.strokes) < MAX_STROKES:
            self._current = [self._point(e)]
            self.strokes.append(self._current)
            self.update()

    def mouseMoveEvent(self, e: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if self._current is not None and len(self._current) < MAX_POINTS:
            pt = self._point(e)
            if pt != self._current[-1]:
                self._current.append(pt)
                self.update()

    def mouseReleaseEvent(self, e: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if self._current is not None and e.button() == Qt.MouseButton.LeftButton:
            pt = self._point(e)
            if pt != self._current[-1] and len(self._current) < MAX_POINTS:
                self._current.append(pt)
            self._current = None
            self.update()
            self.stroke_finished.emit()

    def paintEvent(self, e: QPaintEvent) -> None:  # noqa: N802 - Qt override
        super().paintEvent(e)
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        w, h = self.width(), self.height()
        # 米字格 guides, as on the squared paper Chinese children learn to write on.
        p.setPen(QPen(QColor("#c9d4e5"), 2, Qt.PenStyle.DashLine))
        p.drawLine(w // 2, 8, w // 2, h - 8)
        p.drawLine(8, h // 2, w - 8, h // 2)
        p.drawLine(8, 8, w - 8, h - 8)
        p.drawLine(w - 8, 8, 8, h - 8)
        p.setPen(QPen(QColor(theme.INK), max(6, w // 45), Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                      Qt.PenJoinStyle.RoundJoin))
        for stroke in self.strokes:
            pts = [QPoint(x, y) for x, y in stroke]
            if len(pts) == 1:
                p.drawPoint(pts[0])
            else:
                p.drawPolyline(pts)
        p.end()
