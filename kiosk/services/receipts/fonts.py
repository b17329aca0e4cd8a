"""The receipt's font: finding a TrueType font with Chinese glyphs and registering it with reportlab.

All receipt text is real, extractable text embedded in this one font, so no glyph depends on the
printer. Fonts are registered once per process and reused; a font that cannot be used is
remembered with the reason, so it is not retried on every receipt.

Runs on the printing worker thread (and at start-up, to check the configuration); it blocks only on
reading font files. Must not import Qt.
"""
from __future__ import annotations

import glob
import logging
import os
import threading
from collections.abc import Iterable

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

log = logging.getLogger(__name__)

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


_font_lock = threading.Lock()
_fonts: dict[str, str] = {}          # real path -> registered reportlab font name
_unusable: dict[str, str] = {}       # real path -> why it cannot be used

_CJK_PROBE = "办事回执"


def load_font(path: str) -> str:
    """Register the font at `path` once per process; return its reportlab name.

    Any thread (serialised by a lock); blocks on reading the font file the first time.
    Raises ReceiptError when the file is not a usable TrueType font with Chinese glyphs.
    """
    real = os.path.realpath(path)
    with _font_lock:
        if real in _fonts:
            return _fonts[real]
        if real in _unusable:
            raise ReceiptError(_unusable[real])
        name = f"KioskCJK{len(_fonts)}"
        try:
            font = TTFont(name, real, subfontIndex=0)   # of a collection (.ttc, .otc): its first face
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

    Any thread; blocks on reading font files. Raises ReceiptError telling the operator what to
    install or configure.
    """
    problems: list[str] = []
    if explicit:
        if os.path.isfile(explicit):
            try:
                load_font(explicit)
                return explicit
            except ReceiptError as e:
                problems.append(str(e))
        else:
            problems.append(f"configured receipt.font_path {explicit} does not exist")
        log.warning("receipt font: %s; searching the usual places", problems[-1])
    for path in _candidates():
        try:
            load_font(path)
            return path
        except ReceiptError as e:
            problems.append(str(e))
    detail = ("; ".join(problems) + ". ") if problems else ""
    raise ReceiptError(f"No usable CJK font for the receipt. {detail}{INSTALL_HINT}")
