"""The printed receipt: a bilingual PDF sized for an 80 mm thermal roll.

`render_receipt` lays the receipt out in two passes -- measure every block, then draw them on
a page exactly as tall as the content -- so the printer neither feeds a long blank tail nor
cuts anything off. All text is real, extractable text in an embedded CJK TrueType font.

Receipts get left behind at kiosks, so they carry no personal data: no ID number, no address,
no values the citizen typed. The only answer-derived content is the *labels* of fields the
citizen changed after they were prefilled (so staff know what to check).

This module must not import Qt: it runs on the printing worker thread.
"""
from __future__ import annotations

import glob
import itertools
import logging
import os
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from io import BytesIO
from urllib.parse import quote

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from kiosk.domain.application import Application
from kiosk.domain.text import Text

log = logging.getLogger(__name__)

__all__ = [
    "FONT_CANDIDATES", "PAGE_WIDTH", "ReceiptError", "ReceiptOptions",
    "find_cjk_font", "qr_payload", "render_receipt",
]

PAGE_WIDTH = 80 * mm
MARGIN = 4 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN      # 72 mm
QR_SIZE = 30 * mm

# Searched in order when no usable font is configured. Globs are allowed. Fonts with
# PostScript (CFF) outlines, such as the stock Noto Sans CJK .ttc, cannot be embedded by
# reportlab and are skipped when found.
FONT_CANDIDATES: tuple[str, ...] = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK*.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK*.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansSC*.ttf",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/arphic/ukai.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",      # Fedora / RHEL layout
    "/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc",
)

INSTALL_HINT = (
    "Install a CJK font (on Debian: `apt-get install fonts-wqy-microhei`) or set the config key "
    "`receipt.font_path` to a TrueType font (.ttf/.ttc) that has Chinese glyphs."
)


class ReceiptError(Exception):
    """The receipt cannot be produced (e.g. no usable CJK font); the message says what to fix."""


@dataclass(frozen=True)
class ReceiptOptions:
    kiosk_name: Text
    verify_url: str                 # the QR encodes f"{verify_url}?n={number}&c={code}"
    font_path: str | None = None    # a TTF/TTC with CJK glyphs; None -> find_cjk_font()
    sync_pending: bool = True
    verify_code: str = ""           # printed under the QR and put in it


# --------------------------------------------------------------------------- fonts

_font_lock = threading.Lock()
_fonts: dict[str, str] = {}          # real path -> registered reportlab font name
_unusable: dict[str, str] = {}       # real path -> why it cannot be used
_render_lock = threading.Lock()      # reportlab's per-font subset state is not thread-safe

_CJK_PROBE = "办事回执"


def _load_font(path: str) -> str:
    """Register the font at `path` once per process; return its reportlab name."""
    real = os.path.realpath(path)
    with _font_lock:
        if real in _fonts:
            return _fonts[real]
        if real in _unusable:
            raise ReceiptError(_unusable[real])
        name = f"KioskCJK{len(_fonts)}"
        try:
            kw = {"subfontIndex": 0} if real.lower().endswith((".ttc", ".otc")) else {}
            font = TTFont(name, real, **kw)
        except Exception as e:  # reportlab raises TTFError, struct.error, OSError ...
            why = f"cannot use font {path}: {e}"
            _unusable[real] = why
            raise ReceiptError(why) from e
        cmap = font.face.charToGlyph
        if not all(ord(ch) in cmap for ch in _CJK_PROBE):
            why = f"font {path} has no Chinese glyphs"
            _unusable[real] = why
            raise ReceiptError(why)
        pdfmetrics.registerFont(font)
        _fonts[real] = name
        return name


def _candidates() -> Iterable[str]:
    for pattern in FONT_CANDIDATES:
        if glob.has_magic(pattern):
            yield from sorted(glob.glob(pattern))
        elif os.path.isfile(pattern):
            yield pattern


def find_cjk_font(explicit: str | None = None) -> str:
    """The path of a usable CJK font: `explicit` if it exists and works, else the first known one.

    Raises ReceiptError telling the operator what to install or configure.
    """
    problems: list[str] = []
    if explicit:
        if os.path.isfile(explicit):
            try:
                _load_font(explicit)
                return explicit
            except ReceiptError as e:
                problems.append(str(e))
        else:
            problems.append(f"configured receipt.font_path {explicit} does not exist")
        log.warning("receipt font: %s; searching the usual places", problems[-1])
    for path in _candidates():
        try:
            _load_font(path)
            return path
        except ReceiptError as e:
            problems.append(str(e))
    detail = ("; ".join(problems) + ". ") if problems else ""
    raise ReceiptError(f"No usable CJK font for the receipt. {detail}{INSTALL_HINT}")


# --------------------------------------------------------------------------- content helpers

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _date_zh(d: date) -> str:
    return f"{d:%Y-%m-%d}"


def _date_en(d: date) -> str:
    return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"


def _fee(fee: float) -> Text:
    if not fee:
        return Text("免费", "Free")
    return Text(f"{fee:.2f} 元", f"¥{fee:.2f}")


def qr_payload(app: Application, options: ReceiptOptions) -> str:
    """What the receipt's QR code encodes: the verify URL with the number and verify code."""
    sep = "&" if "?" in options.verify_url else "?"
    payload = f"{options.verify_url}{sep}n={quote(app.number, safe='-')}"
    if options.verify_code:
        payload += f"&c={quote(options.verify_code, safe='')}"
    return payload


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
    for para in text.split("\n"):
        line: list[str] = []

        def flush(final: bool = False) -> None:
            while line and line[-1].isspace():
                line.pop()
            keep = line.pop() if not final and len(line) > 1 and line[-1] in _NO_LINE_END else None
            while line and line[-1].isspace():
                line.pop()
            lines.append("".join(line))
            line[:] = [keep] if keep else []

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
                flush()
                line.append(carry)
            elif line:
                flush()
            if fits(line + [tok]):
                line.append(tok)
                continue
            for ch in tok:                      # a word longer than the line: break anywhere
                if line and not fits(line + [ch]):
                    flush()
                line.append(ch)
        flush(final=True)
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

    def qr(self, payload: str, size: float) -> None:
        border = 2   # modules of quiet zone inside the square; the page margin adds more
        widget = QrCodeWidget(payload, barLevel="M", barWidth=size, barHeight=size, barBorder=border)
        widget.qr.make()
        modules = [[bool(m) for m in row] for row in widget.qr.modules]

        # Drawn as filled rectangles straight on the canvas (renderPDF would add an unembedded
        # Helvetica to the page), one rectangle per horizontal run of dark modules.
        def draw(c: Canvas, top: float) -> None:
            box = size / (len(modules) + 2 * border)
            x0 = MARGIN + (CONTENT_WIDTH - size) / 2 + border * box
            y0 = top - border * box
            c.saveState()
            c.setFillColorRGB(0, 0, 0)
            for r, row in enumerate(modules):
                col = 0
                for dark, run in itertools.groupby(row):
                    n = len(list(run))
                    if dark:
                        c.rect(x0 + col * box, y0 - (r + 1) * box, n * box, box, stroke=0, fill=1)
                    col += n
            c.restoreState()
        self.blocks.append((size, draw))

    def render(self) -> bytes:
        height = self.height + 2 * MARGIN
        buf = BytesIO()
        # initialFontName: otherwise the page references an unembedded Helvetica it never uses
        c = Canvas(buf, pagesize=(PAGE_WIDTH, height), pageCompression=1, initialFontName=self.font)
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

def _build(app: Application, options: ReceiptOptions, font: str) -> _Layout:
    L = _Layout(font)
    created = app.created_at

    L.bi(options.kiosk_name, 8, en_size=6.8, align="center")
    L.space(1.5 * mm)
    L.bi(Text("办事回执", "Application receipt"), 15, en_size=9.5, align="center", bold=True)
    L.rule()

    L.bi(Text("受理编号", "Application no."), 7.5, en_size=6.8)
    L.text(app.number, 13, bold=True, align="center", leading=1.35)
    L.space(1 * mm)
    L.bi(Text(f"提交时间  {created:%Y-%m-%d %H:%M}",
              f"Submitted  {_date_en(created.date())} {created:%H:%M}"), 8.5)
    L.space(1 * mm)
    L.bi(Text("办理事项", "Service"), 7.5, en_size=6.8)
    L.bi(app.bundle_title, 10.5, en_size=8.5, bold=True)
    L.space(1.2 * mm)
    status = (Text("已提交 — 待同步", "Submitted — pending sync") if options.sync_pending
              else Text("已提交", "Submitted"))
    L.bi(Text(f"状态：{status.zh}", f"Status: {status.en}"), 9, en_size=7.5, bold=True)
    if app.face_check is not None and app.face_check.matched:
        # Tells the back office and the citizen how identity was established at the kiosk.
        L.bi(Text("身份核验：证件芯片读取 + 人脸比对（活体）通过",
                  "Identity: ID chip read + live face check passed"), 7.5, en_size=6.8)
    L.rule()

    n = len(app.requests)
    L.bi(Text(f"办理部门（共 {n} 项）", f"Departments ({n})"), 9.5, en_size=7.5, bold=True)
    L.space(1 * mm)
    indent = 4.2 * mm
    for i, r in enumerate(app.requests, 1):
        mark = f"{i}."
        num_w = pdfmetrics.stringWidth(mark, font, 9)
        L.mark(mark, 9, x=(indent - num_w) / 2 - 0.3 * mm, bold=True)
        L.bi(r.department, 9, en_size=7.2, bold=True, indent=indent)
        L.bi(r.procedure, 8.5, en_size=7.2, indent=indent)
        approx_zh, approx_en = ("约 ", "approx. ") if r.due_approximate else ("", "")
        L.bi(Text(f"时限 {r.promised_days} 个工作日，承诺办结 {approx_zh}{_date_zh(r.due)}",
                  f"{r.promised_days} working days; promised by {approx_en}{_date_en(r.due)}"),
             8.5, en_size=7.2, indent=indent)
        fee = _fee(r.fee)
        L.bi(Text(f"费用：{fee.zh}", f"Fee: {fee.en}"), 8.5, en_size=7.2, indent=indent)
        if i < n:
            L.space(1.8 * mm)

    held = [title for _, title, gov in app.materials if gov]
    provided = [title for _, title, gov in app.materials if not gov]
    if held or provided:
        L.rule()
        L.bi(Text("材料", "Materials"), 9.5, en_size=7.5, bold=True)
    if held:
        L.space(0.8 * mm)
        L.bi(Text("政府已掌握，无需您提供：", "Already held by government — you need not bring:"),
             8, en_size=6.8)
        _bullets(L, held)
    if provided:
        L.space(0.8 * mm)
        L.bi(Text("您已提供：", "Provided by you:"), 8, en_size=6.8)
        _bullets(L, provided)

    edited = [a.label for a in app.answers if a.edited]
    if edited:
        L.rule()
        L.bi(Text("以下信息由您修改，待人工核对：", "You changed these details; staff will check them:"),
             8.5, en_size=7.2, bold=True)
        _bullets(L, edited)

    L.rule()
    L.space(1 * mm)
    L.qr(qr_payload(app, options), QR_SIZE)
    code = options.verify_code
    if code:
        # The QR carries the whole signature; people read out only its first 8 characters
        # (the back office finds the receipt by number and compares them).
        short = code if len(code) <= 16 else f"{code[:4]}-{code[4:8]}"
        L.space(0.5 * mm)
        L.text(f"验证码 / Code  {short}", 9, align="center", bold=True)
    L.space(0.5 * mm)
    L.bi(Text("扫码查询办理进度", "Scan to check progress"), 8.5, en_size=7.2, align="center")
    L.rule()
    L.bi(Text("政务服务热线 12345", "Government service hotline 12345"), 9, en_size=7.2, align="center",
         bold=True)
    L.space(0.8 * mm)
    L.bi(Text("请妥善保管本回执", "Please keep this receipt"), 8, en_size=6.8, align="center")
    return L


def _bullets(L: _Layout, items: Sequence[Text]) -> None:
    indent = 3.2 * mm
    for t in items:
        L.mark("•", 8, x=0.8 * mm)
        L.bi(t, 8, en_size=6.8, indent=indent)


def render_receipt(app: Application, options: ReceiptOptions) -> bytes:
    """The receipt for `app` as PDF bytes: one page, 80 mm wide, as tall as its content."""
    path = find_cjk_font(options.font_path)
    font = _load_font(path)
    with _render_lock:
        return _build(app, options, font).render()
