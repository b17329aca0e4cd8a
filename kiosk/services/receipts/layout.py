"""The receipt's drawing: its content laid out on a PDF page sized for an 80 mm thermal roll.

`draw_receipt` lays the receipt out in two passes -- measure every block, then draw them on
a page exactly as tall as the content -- so the printer neither feeds a long blank tail nor
cuts anything off. All text is real, extractable text in the embedded CJK font the caller
registered (fonts.py); every word comes from the ReceiptContent (content.py).

Runs on the printing worker thread, blocking on the CPU only. Must not import Qt.
"""
from __future__ import annotations

import itertools
import math
import re
import threading
from collections.abc import Callable, Sequence
from io import BytesIO

import segno
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from kiosk.domain.text import Text
from kiosk.services.receipts.content import (EDITED_HEADING, HELD_HEADING, HOTLINE, KEEP_IT, MATERIALS_HEADING,
                                             NUMBER_LABEL, PROVIDED_HEADING, SCAN_HINT, SERVICE_LABEL, TITLE,
                                             ReceiptContent)

PAGE_WIDTH = 80 * mm
MARGIN = 4 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN      # 72 mm
# The receipt is printed as one raster 576 dots wide (an 80 mm thermal head at 203 dpi; the
# ESC/POS backend and `pdftoppm -scale-to-x 576` render the page at that width), so one dot is
# 1/576 of the page. The QR's modules are a whole number of dots and start on a dot, so every
# module prints the same size (docs/printing.md "Receipt QR").
DOTS = 576
DOT = PAGE_WIDTH / DOTS
QR_MAX_DOTS = 360               # the symbol at most 50 mm wide, leaving the quiet zone on the paper
QR_MAX_MODULE_DOTS = 5
QR_QUIET_MODULES = 4            # the quiet zone the QR standard asks for, on every side


def qr_geometry(payload: str) -> tuple[segno.QRCode, int]:
    """The QR code for `payload` (alphanumeric mode when every character allows it, level M)
    and its module size in dots: the largest whole number that keeps it within QR_MAX_DOTS."""
    qr = segno.make_qr(payload, error="M", boost_error=False)
    modules = qr.symbol_size(border=0)[0]
    return qr, max(2, min(QR_MAX_MODULE_DOTS, QR_MAX_DOTS // int(modules)))

_render_lock = threading.Lock()      # reportlab's per-font subset state is not thread-safe


# --------------------------------------------------------------------------- wrapping

_CJK = "\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\u3000-\u303f"
_TOKEN_RE = re.compile(rf"\s+|[{_CJK}]|[^\s{_CJK}]+?(?:[-/]|(?=[\s{_CJK}])|$)")
# Chinese line-breaking rules: a line must not start with closing punctuation, nor end with
# an opening bracket or quote.
_NO_LINE_START = frozenset("，。、；：！？）》」』】〕〉”’…—,.;:!?)]}%")
_NO_LINE_END = frozenset("（《「『【〔〈“‘([{")


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Break `text` into lines no wider than `width` (CJK breaks anywhere, Latin at spaces/-//)."""
    fits = lambda parts: pdfmetrics.stringWidth("".join(parts), font, size) <= width  # noqa: E731
    lines: list[str] = []

    def flush(line: list[str], final: bool = False) -> None:
        """Move `line` into `lines`, in place; an opening bracket at its end starts the next line instead."""
        while line and line[-1].isspace():
            line.pop()
        keep = line.pop() if not final and len(line) > 1 and line[-1] in _NO_LINE_END else None
        while line and line[-1].isspace():
            line.pop()
        lines.append("".join(line))
        line[:] = [keep] if keep else []

    for para in text.split("\n"):
        line: list[str] = []
        for tok in _TOKEN_RE.findall(para):
            if tok.isspace():
                if line:
                    line.append(" ")
                continue
            if fits(line + [tok]):
                line.append(tok)
                continue
            if tok[0] in _NO_LINE_START and len(line) > 1 and not line[-1].isspace():
                carry = line.pop()              # take a character along with the punctuation
                flush(line)
                line.append(carry)
            elif line:
                flush(line)
            if fits(line + [tok]):
                line.append(tok)
                continue
            for ch in tok:                      # a word longer than the line: break anywhere
                if line and not fits(line + [ch]):
                    flush(line)
                line.append(ch)
        flush(line, final=True)
    return lines


# --------------------------------------------------------------------------- layout

Draw = Callable[[Canvas, float], None]   # (canvas, y of the block's top edge)


class _Layout:
    """Blocks measured first (height), drawn later top-down on a page exactly that tall."""

    def __init__(self, font: str) -> None:
        self.font = font
        self.blocks: list[tuple[float, Draw]] = []

    @property
    def height(self) -> float:
        return sum(h for h, _ in self.blocks)

    def space(self, h: float) -> None:
        self.blocks.append((h, lambda c, y: None))

    def text(self, s: str, size: float, *, align: str = "left", bold: bool = False,
             indent: float = 0.0, leading: float = 1.3) -> None:
        if not s.strip():
            return
        width = CONTENT_WIDTH - indent
        for line in _wrap(s, self.font, size, width):
            self.blocks.append((size * leading, self._line(line, size, align, bold, indent, leading)))

    def mark(self, s: str, size: float, *, x: float, bold: bool = False) -> None:
        """A list marker at `x` beside the next line of the same size (takes no height)."""
        self.blocks.append((0.0, self._line(s, size, "left", bold, x, 1.3)))

    def _line(self, line: str, size: float, align: str, bold: bool, indent: float, leading: float) -> Draw:
        font = self.font

        def draw(c: Canvas, top: float) -> None:
            w = pdfmetrics.stringWidth(line, font, size)
            x = MARGIN + indent
            if align == "center":
                x = MARGIN + (CONTENT_WIDTH - w) / 2
            elif align == "right":
                x = MARGIN + CONTENT_WIDTH - w
            # baseline: leave the extra leading split above and below the em box
            baseline = top - size * (leading - 1) / 2 - size * 0.86
            c.saveState()   # the text render mode outlives BT/ET; q/Q scopes it to this line
            t = c.beginText(x, baseline)
            t.setFont(font, size)
            if bold:  # the CJK fonts have no bold face: fill + stroke thickens the glyphs
                t.setTextRenderMode(2)
                c.setLineWidth(size * 0.035)
            t.textOut(line)
            c.drawText(t)
            c.restoreState()
        return draw

    def bi(self, text: Text, size: float, *, en_size: float | None = None, align: str = "left",
           bold: bool = False, indent: float = 0.0) -> None:
        """Chinese first, English below in a smaller size (once if both are the same)."""
        self.text(text.zh, size, align=align, bold=bold, indent=indent)
        if text.en and text.en != text.zh:
            self.text(text.en, en_size or max(6.8, round(size * 0.78, 1)), align=align, indent=indent,
                      leading=1.25)

    def rule(self, dashed: bool = True, pad: float = 1.6 * mm) -> None:
        def draw(c: Canvas, top: float) -> None:
            c.saveState()
            c.setLineWidth(0.6)
            if dashed:
                c.setDash(2, 2)
            y = top - pad
            c.line(MARGIN, y, MARGIN + CONTENT_WIDTH, y)
            c.restoreState()
        self.blocks.append((2 * pad, draw))

    def qr(self, payload: str) -> None:
        qr, k = qr_geometry(payload)
        modules = [[bool(m) for m in row] for row in qr.matrix]
        n = len(modules)
        box = k * DOT
        x0 = math.floor((DOTS - n * k) / 2) * DOT          # centred, on a dot
        quiet = QR_QUIET_MODULES * box

        # Drawn as filled rectangles straight on the canvas (no extra font on the page), one per
        # horizontal run of dark modules, each edge on the dot grid.
        def draw(c: Canvas, top: float) -> None:
            page_h = self.height + 2 * MARGIN       # the page is exactly as tall as the content
            y0 = page_h - math.ceil(round((page_h - top + quiet) / DOT, 6)) * DOT   # first row, on a dot
            c.saveState()
            c.setFillColorRGB(0, 0, 0)
            for r, row in enumerate(modules):
                col = 0
                for dark, run in itertools.groupby(row):
                    count = len(list(run))
                    if dark:
                        c.rect(x0 + col * box, y0 - (r + 1) * box, count * box, box, stroke=0, fill=1)
                    col += count
            c.restoreState()
        self.blocks.append((n * box + 2 * quiet + DOT, draw))

    def render(self) -> bytes:
        height = self.height + 2 * MARGIN
        buf = BytesIO()
        # initialFontName: otherwise the page references an unembedded Helvetica it never uses
        c = Canvas(buf, pagesize=(PAGE_WIDTH, height), pageCompression=1,
                   initialFontName=self.font)  # type: ignore[arg-type]  # a font name; types-reportlab says float
        c.setTitle("办事回执 / Application receipt")
        c.setCreator("OneVisit Kiosk")
        y = height - MARGIN
        for h, draw in self.blocks:
            draw(c, y)
            y -= h
        c.showPage()
        c.save()
        return buf.getvalue()


# --------------------------------------------------------------------------- the receipt

def _build(content: ReceiptContent, font: str) -> _Layout:
    L = _Layout(font)

    L.bi(content.kiosk_name, 8, en_size=6.8, align="center")
    L.space(1.5 * mm)
    L.bi(TITLE, 15, en_size=9.5, align="center", bold=True)
    L.rule()

    L.bi(NUMBER_LABEL, 7.5, en_size=6.8)
    L.text(content.number, 13, bold=True, align="center", leading=1.35)
    L.space(1 * mm)
    L.bi(content.submitted, 8.5)
    L.space(1 * mm)
    L.bi(SERVICE_LABEL, 7.5, en_size=6.8)
    L.bi(content.service, 10.5, en_size=8.5, bold=True)
    L.space(1.2 * mm)
    L.bi(content.status, 9, en_size=7.5, bold=True)
    L.bi(content.catalogue, 7.5, en_size=6.8)
    if content.identity is not None:
        L.bi(content.identity, 7.5, en_size=6.8)
    for line in content.assisted:      # a proxy's relationship, the counter clerk (issue 12)
        L.bi(line, 7.5, en_size=6.8)
    L.rule()

    L.bi(content.departments_heading, 9.5, en_size=7.5, bold=True)
    if content.pending_note is not None:
        L.space(0.6 * mm)
        L.bi(content.pending_note, 8, en_size=6.8, bold=True)
    L.space(1 * mm)
    indent = 4.2 * mm
    n = len(content.departments)
    for i, item in enumerate(content.departments, 1):
        mark = f"{i}."
        num_w = pdfmetrics.stringWidth(mark, font, 9)
        L.mark(mark, 9, x=(indent - num_w) / 2 - 0.3 * mm, bold=True)
        L.bi(item.department, 9, en_size=7.2, bold=True, indent=indent)
        L.bi(item.procedure, 8.5, en_size=7.2, indent=indent)
        L.bi(item.due, 8.5, en_size=7.2, indent=indent)
        L.bi(item.fee, 8.5, en_size=7.2, indent=indent)
        if i < n:
            L.space(1.8 * mm)

    if content.materials_held or content.materials_provided:
        L.rule()
        L.bi(MATERIALS_HEADING, 9.5, en_size=7.5, bold=True)
    if content.materials_held:
        L.space(0.8 * mm)
        L.bi(HELD_HEADING, 8, en_size=6.8)
        _bullets(L, content.materials_held)
    if content.materials_provided:
        L.space(0.8 * mm)
        L.bi(PROVIDED_HEADING, 8, en_size=6.8)
        _bullets(L, content.materials_provided)

    if content.edited_fields:
        L.rule()
        L.bi(EDITED_HEADING, 8.5, en_size=7.2, bold=True)
        _bullets(L, content.edited_fields)

    L.rule()
    L.qr(content.qr_payload)
    if content.code_line:
        L.text(content.code_line, 9.5, align="center", bold=True)
    L.space(0.5 * mm)
    L.bi(SCAN_HINT, 8.5, en_size=7.2, align="center")
    L.bi(content.verify_at, 7.5, en_size=6.8, align="center")
    L.rule()
    L.bi(HOTLINE, 9, en_size=7.2, align="center", bold=True)
    L.space(0.8 * mm)
    L.bi(KEEP_IT, 8, en_size=6.8, align="center")
    return L


def _bullets(L: _Layout, items: Sequence[Text]) -> None:
    indent = 3.2 * mm
    for t in items:
        L.mark("•", 8, x=0.8 * mm)
        L.bi(t, 8, en_size=6.8, indent=indent)


def draw_receipt(content: ReceiptContent, font: str) -> bytes:
    """`content` as PDF bytes in the registered reportlab font `font`: one page, 80 mm wide, as tall
    as the content. Printing worker thread (any thread; renders are serialised)."""
    with _render_lock:
        return _build(content, font).render()
