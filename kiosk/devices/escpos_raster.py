"""The receipt PDF as one 1-bit raster for an 80 mm ESC/POS thermal printer (576 dots at 203 dpi).

Whatever the receipt layout draws (kiosk/services/receipts) is printed: the PDF is rendered by
poppler's `pdftoppm` at 8 dots/mm (203.2 dpi), cropped to the roll's 72 mm printable width and
thresholded (text and vector art print crisper thresholded than dithered). Two things are fixed
on the raster, without knowing the layout:

* the QR code is re-drawn with every module a whole number of dots, at a whole-dot position, so
  no row or column of modules comes out one dot thinner than the others (the layout places it at
  fractions of a dot);
* large print (`scale` > 1) renders the page that much larger and re-breaks every line that no
  longer fits the roll at its widest gap (between words, or between CJK characters), so the
  receipt grows longer rather than being cut off at the sides.

Printing thread; blocks on the CPU and on `pdftoppm` (bounded by a timeout). Must not import Qt.
"""
from __future__ import annotations

import logging
import subprocess
import time
from dataclasses import dataclass

import numpy as np
from PIL import Image

log = logging.getLogger(__name__)

DOTS_PER_MM = 8                       # 203.2 dpi, the usual thermal head
PRINT_WIDTH = 576                     # dots: the 72 mm an 80 mm printer prints of its roll
LARGE_PRINT_SCALE = 1.5               # devices.escpos_large_print: 8 pt type prints as 12 pt
DARK = 0.33                           # darkness (0 white .. 1 black) from which a dot is printed: keeps
                                      # the thin strokes of 7 pt CJK glyphs that 0.5 would drop


class RasterError(Exception):
    """The receipt could not be turned into a raster (not a PDF, pdftoppm missing or failing)."""


@dataclass(frozen=True)
class Raster:
    """A receipt ready for GS v 0: `image` is mode "1", PRINT_WIDTH wide (black = printed dot)."""

    image: Image.Image
    qr_module_dots: int | None       # the QR's module size in dots, None when no QR was found
    render_seconds: float

    def packed(self) -> bytes:
        """The GS v 0 payload: rows of width/8 bytes, most significant bit first, 1 = dot."""
        return np.packbits(~np.asarray(self.image, dtype=bool), axis=1).tobytes()


def receipt_raster(pdf: bytes, *, scale: float = 1.0, timeout: float = 10.0) -> Raster:
    """The first page of `pdf` as a PRINT_WIDTH-dot raster, `scale` times its drawn size.

    Printing thread; blocks on `pdftoppm` for up to `timeout` s. Raises RasterError."""
    t0 = time.monotonic()
    if not pdf.startswith(b"%PDF-"):
        raise RasterError("the receipt is not a PDF")
    if not 1.0 <= scale <= 3.0:
        raise RasterError(f"scale {scale} outside 1..3")
    dark = render_darkness(pdf, DOTS_PER_MM * 25.4 * scale, timeout)
    dark = _crop_to_print_width(dark, round(PRINT_WIDTH * scale))
    mono = dark >= DARK
    module = snap_qr(dark, mono)
    if scale != 1.0:
        mono = reflow(mono, PRINT_WIDTH, word_gap=round(3 * scale))
    image = Image.fromarray(~mono).convert("1")   # white where no dot (PIL's "1": True = white)
    return Raster(image, module, time.monotonic() - t0)


def render_darkness(pdf: bytes, dpi: float, timeout: float) -> np.ndarray:
    """The first page rendered by `pdftoppm` in grey, as darkness 0..1 (float32, rows x columns).
    The PDF goes on standard input and the image comes back on standard output: nothing on disk."""
    argv = ["pdftoppm", "-r", f"{dpi:.2f}", "-gray", "-f", "1", "-l", "1", "-singlefile", "-"]
    try:
        proc = subprocess.run(argv, input=pdf, capture_output=True, timeout=timeout)
    except FileNotFoundError:
        raise RasterError("pdftoppm is not installed (apt-get install poppler-utils)") from None
    except subprocess.TimeoutExpired:
        raise RasterError(f"pdftoppm took more than {timeout:.1f}s") from None
    if proc.returncode != 0 or not proc.stdout.startswith(b"P5"):
        raise RasterError(f"pdftoppm failed ({proc.returncode}): {proc.stderr.decode('utf-8', 'replace')[:200]}")
    from io import BytesIO
    with Image.open(BytesIO(proc.stdout)) as im:
        grey = np.asarray(im.convert("L"), dtype=np.float32)
    return 1.0 - grey / 255.0


def _crop_to_print_width(dark: np.ndarray, width: int) -> np.ndarray:
    """The centre `width` columns (an 80 mm page has 4 mm of margin each side that the head
    cannot reach); a narrower page is padded with white on both sides."""
    h, w = dark.shape
    if w >= width:
        x = (w - width) // 2
        # one column of slack each side: a rule drawn edge to edge bleeds half a dot over
        lost = max(float(dark[:, :max(0, x - 1)].max(initial=0.0)),
                   float(dark[:, x + width + 1:].max(initial=0.0))) >= DARK
        if lost:
            log.warning("the receipt draws outside the printable %d dots; its edges are cut", width)
        return dark[:, x:x + width]
    out = np.zeros((h, width), dtype=dark.dtype)
    x = (width - w) // 2
    out[:, x:x + w] = dark
    return out


# --- the QR ------------------------------------------------------------------------------------
def snap_qr(dark: np.ndarray, mono: np.ndarray) -> int | None:
    """Find the QR code in the rendered page and re-draw it in `mono` (in place) with modules of a
    whole number of dots at a whole-dot position; return that module size, or None (no QR found,
    `mono` untouched). The QR is found as the tallest square block of dark rows whose top-left
    corner is a finder pattern; modules are read at their centres from the grey render."""
    for r0, r1 in _runs(np.asarray(mono.any(axis=1))):
        if r1 - r0 < 21 * 2:          # shorter than a version-1 QR of 2-dot modules: a text line
            continue
        cols = np.flatnonzero(np.asarray(mono[r0:r1].any(axis=0)))
        c0, c1 = int(cols[0]), int(cols[-1]) + 1
        if not 0.85 < (c1 - c0) / (r1 - r0) < 1.18:
            continue
        found = _read_qr(dark, r0, r1, c0, c1)
        if found is None:
            continue
        modules, top, left, size = found
        n = modules.shape[0]
        m = max(1, round(size / n))
        y = round(top + size / 2 - n * m / 2)
        x = round(left + size / 2 - n * m / 2)
        mono[r0:r1, c0:c1] = False
        if x < 0 or y < 0 or x + n * m > mono.shape[1] or y + n * m > mono.shape[0]:
            return None                # cannot happen for a QR inside the page; refuse rather than clip
        mono[y:y + n * m, x:x + n * m] = np.kron(modules, np.ones((m, m), dtype=bool))
        return m
    return None


def _read_qr(dark: np.ndarray, r0: int, r1: int, c0: int, c1: int) -> tuple[np.ndarray, float, float, float] | None:
    """(modules, top, left, size in dots) of the QR whose dark bounding box is rows r0:r1 and
    columns c0:c1, with sub-dot edges from the anti-aliased border pixels; None if it is not one."""
    block = dark[r0:r1, c0:c1]
    left = c0 + 1 - float(block[:, 0].max())
    right = c1 - 1 + float(block[:, -1].max())
    top = r0 + 1 - float(block[0].max())
    bottom = r1 - 1 + float(block[-1].max())
    size = ((right - left) + (bottom - top)) / 2
    row = dark[int(top + 1.5), c0:c1] >= 0.5          # across the top-left finder pattern's first row
    run = int(np.argmin(row)) if not row.all() else len(row)
    if run < 7:
        return None
    estimate = size / (run / 7)                        # the finder pattern is 7 modules wide
    n = 21 + 4 * max(0, round((estimate - 21) / 4))
    if abs(estimate - n) > 1.5 or n > 177:
        return None
    box = size / n
    centres = (np.arange(n) + 0.5) * box
    ys = np.clip((top + centres).astype(int), 0, dark.shape[0] - 1)
    xs = np.clip((left + centres).astype(int), 0, dark.shape[1] - 1)
    modules = dark[np.ix_(ys, xs)] >= 0.5
    finder = np.ones((7, 7), dtype=bool)
    finder[1:6, 1:6] = False
    finder[2:5, 2:5] = True
    for corner in (modules[:7, :7], modules[:7, -7:], modules[-7:, :7]):
        if not np.array_equal(corner, finder):
            return None
    return modules, top, left, size


# --- large print -------------------------------------------------------------------------------
def reflow(mono: np.ndarray, width: int, word_gap: int) -> np.ndarray:
    """Re-break the lines of `mono` (wider than `width`) so that each fits `width` dots.

    A line is a run of rows with a dot in them. One that fits keeps its indent (or stays centred);
    one that does not is cut at the last gap of at least `word_gap` blank columns that leaves a
    piece at least a third of the width (between words), else at the last blank column (between
    CJK characters), else anywhere, and its pieces are stacked with the line's indent."""
    out: list[np.ndarray] = []
    pos = 0
    for r0, r1 in _runs(np.asarray(mono.any(axis=1))):
        out.append(np.zeros((r0 - pos, width), dtype=bool))
        out.extend(_fit_line(mono[r0:r1], width, word_gap))
        pos = r1
    out.append(np.zeros((mono.shape[0] - pos, width), dtype=bool))
    return np.vstack(out)


def _fit_line(line: np.ndarray, width: int, word_gap: int) -> list[np.ndarray]:
    h, w = line.shape
    ink = np.asarray(line.any(axis=0))
    cols = np.flatnonzero(ink)
    c0, c1 = int(cols[0]), int(cols[-1]) + 1
    left, right = c0, w - c1
    centred = left > 0 and abs(left - right) <= max(3, w // 100)   # the layout centres to the dot
    if h <= 4 and c1 - c0 > width * 0.8:                # a rule across the roll
        x = (w - width) // 2
        return [line[:, x:x + width]]
    indent = 0 if centred else min(left, width // 4)
    avail = width - indent
    word_gap = max(word_gap, round(h * 0.17))      # a space is ~0.25 em, letters stand < 0.1 em apart
    gaps = [(a, b) for a, b in _runs(~ink) if c0 < a and b < c1]
    pieces: list[np.ndarray] = []
    start = c0
    while start < c1:
        end = c1
        nxt = c1
        if c1 - start > avail:
            limit = start + avail
            fitting = [(a, b) for a, b in gaps if start < a <= limit]
            words = [(a, b) for a, b in fitting if b - a >= word_gap and a - start >= avail // 3]
            cut = words[-1] if words else fitting[-1] if fitting else (limit, limit)
            end, nxt = cut
            while nxt < c1 and not ink[nxt]:
                nxt += 1
        piece = line[:, start:end]
        row = np.zeros((h, width), dtype=bool)
        x = (width - piece.shape[1]) // 2 if centred else (indent if c1 - c0 > avail or pieces else min(left, width - piece.shape[1]))
        row[:, x:x + piece.shape[1]] = piece
        if pieces:
            pieces.append(np.zeros((max(2, h // 3), width), dtype=bool))
        pieces.append(row)
        start = nxt
    return pieces


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) of each run of True in a 1-D boolean array."""
    padded = np.concatenate(([False], flags.astype(bool), [False]))
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]

