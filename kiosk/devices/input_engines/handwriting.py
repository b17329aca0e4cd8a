"""Handwritten characters → candidates with zinnia (Debian libzinnia0) and the tegaki
simplified-Chinese model (Debian tegaki-zinnia-simplified-chinese, 6 763 GB2312 characters).

    rec = HandwritingRecogniser()              # cheap; the model is mapped on the first call
    rec.recognise([[(100, 450), (900, 450)], [(500, 100), (500, 900)]], 1000, 1000)   # ['十', ...]

Strokes are lists of (x, y) points in the order the finger drew them, in a writing box of
`width` × `height` (the pad's pixels; y grows downwards). Where and how large the citizen writes
does not matter: the ink is moved to the middle of a 1000-unit box and scaled (aspect kept) to
half its side, where the model's own training characters sit. Fed as drawn, a character filling
the whole pad came out worse (口 was 11th, 大 6th in tests/fixtures/handwriting; 1st with this).
Among the candidates, the 3 755 common characters (GB2312 level 1) come before the rare ones
(level 2), order kept within each: the model rates the enclosure 囗 above 口 for a large 口.

Bounds (hostile or broken input never reaches C unchecked): at most MAX_STROKES strokes (the
most complex GB2312 characters have ~30), at most MAX_POINTS points per stroke (evenly thinned
beyond that: a slow finger gives hundreds), coordinates clamped into the box, box sides 1-10 000.

Threads: one recogniser is shared; every C call is under its lock (zinnia's classify reads the
model and its own buffers; the lock makes sharing safe whatever zinnia does inside). Any thread;
the handwriting pad calls on the GUI thread: a character takes 2-5 ms, the first call ~10 ms
more to map the 26 MB model. Licences: zinnia BSD-3-Clause, the model LGPL-2.1+ (docs/input.md).
"""
from __future__ import annotations

import ctypes
import threading
from collections.abc import Sequence
from pathlib import Path

from kiosk.devices.input_engines import EngineUnavailable

LIBRARY = "libzinnia.so.0"
MODEL = Path("/usr/share/tegaki/models/zinnia/handwriting-zh_CN.model")
MAX_STROKES = 40
MAX_POINTS = 256
MAX_SIDE = 10_000
MAX_LIMIT = 50
BOX = 1000            # the box zinnia sees
INK = 0.5             # the ink's larger side, as a fraction of BOX

_P = ctypes.c_void_p
Stroke = Sequence[tuple[int, int]]


def _bind(lib: ctypes.CDLL) -> None:
    sig = {
        "zinnia_recognizer_new": (_P, []),
        "zinnia_recognizer_open": (ctypes.c_int, [_P, ctypes.c_char_p]),
        "zinnia_recognizer_strerror": (ctypes.c_char_p, [_P]),
        "zinnia_recognizer_destroy": (None, [_P]),
        "zinnia_recognizer_classify": (_P, [_P, _P, ctypes.c_size_t]),
        "zinnia_character_new": (_P, []),
        "zinnia_character_destroy": (None, [_P]),
        "zinnia_character_set_width": (None, [_P, ctypes.c_size_t]),
        "zinnia_character_set_height": (None, [_P, ctypes.c_size_t]),
        "zinnia_character_add": (ctypes.c_int, [_P, ctypes.c_size_t, ctypes.c_int, ctypes.c_int]),
        "zinnia_result_size": (ctypes.c_size_t, [_P]),
        "zinnia_result_value": (ctypes.c_char_p, [_P, ctypes.c_size_t]),
        "zinnia_result_destroy": (None, [_P]),
    }
    for name, (restype, argtypes) in sig.items():
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = restype, argtypes


def bounded_strokes(strokes: object, width: int, height: int) -> list[list[tuple[int, int]]]:
    """The strokes zinnia will see: empty strokes dropped, at most MAX_STROKES (the first ones),
    each thinned to at most MAX_POINTS points, coordinates made ints inside the box. ValueError
    for input that is not strokes of number pairs. Pure; any thread."""
    if not isinstance(strokes, (list, tuple)):
        raise ValueError("strokes: a list of strokes")
    out: list[list[tuple[int, int]]] = []
    for stroke in strokes[:MAX_STROKES * 4]:
        if not isinstance(stroke, (list, tuple)):
            raise ValueError("a stroke: a list of (x, y) points")
        if len(stroke) > MAX_POINTS:
            step = len(stroke) / MAX_POINTS     # keep the first and last points, evenly between
            stroke = [stroke[min(len(stroke) - 1, round(i * step))] for i in range(MAX_POINTS - 1)] + [stroke[-1]]
        points = []
        for p in stroke:
            if not (isinstance(p, (list, tuple)) and len(p) == 2):
                raise ValueError("a point: (x, y)")
            try:
                x, y = int(p[0]), int(p[1])
            except (TypeError, ValueError, OverflowError):
                raise ValueError("a point's coordinates must be numbers") from None
            points.append((min(max(x, 0), width - 1), min(max(y, 0), height - 1)))
        if points:
            out.append(points)
        if len(out) == MAX_STROKES:
            break
    return out


def centred(strokes: list[list[tuple[int, int]]]) -> list[list[tuple[int, int]]]:
    """The ink moved to the middle of the BOX × BOX box and scaled, aspect kept, so that its
    larger side is INK × BOX (a dot stays a dot, a flat 一 stays flat). Pure."""
    xs = [x for s in strokes for x, _ in s]
    ys = [y for s in strokes for _, y in s]
    k = INK * BOX / max(max(xs) - min(xs), max(ys) - min(ys), 1)
    k = min(k, INK * BOX / 8)   # a tap (a dot) is not blown up into a blob
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    return [[(round(BOX / 2 + (x - cx) * k), round(BOX / 2 + (y - cy) * k)) for x, y in s] for s in strokes]


def _common(char: str) -> bool:
    """True for GB2312 level-1 characters (the 3 755 in common use: rows 16-55)."""
    try:
        b = char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return len(b) == 2 and 0xB0 <= b[0] <= 0xD7


class HandwritingRecogniser:
    """Candidates for what the citizen wrote on the handwriting pad. Any thread, under the lock;
    raises EngineUnavailable when zinnia or the model is missing (first call)."""

    def __init__(self, model: Path = MODEL, library: str = LIBRARY) -> None:
        self._model = Path(model)
        self._library = library
        self._lock = threading.Lock()
        self._lib: ctypes.CDLL | None = None
        self._recognizer: int | None = None

    def recognise(self, strokes: list[list[tuple[int, int]]], width: int, height: int, limit: int = 10) -> list[str]:
        """Up to `limit` (1-50) characters, best first; [] when nothing was drawn. Blocks ~5 ms."""
        if not (isinstance(width, int) and isinstance(height, int) and 0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
            raise ValueError(f"the writing box must be 1-{MAX_SIDE} px each way")
        bounded = bounded_strokes(strokes, width, height)
        if not bounded:
            return []
        limit = max(1, min(int(limit), MAX_LIMIT))
        with self._lock:
            lib, rec = self._ready()
            char = lib.zinnia_character_new()
            if not char:
                raise MemoryError("zinnia_character_new")
            try:
                lib.zinnia_character_set_width(char, BOX)
                lib.zinnia_character_set_height(char, BOX)
                for i, stroke in enumerate(centred(bounded)):
                    for x, y in stroke:
                        lib.zinnia_character_add(char, i, x, y)
                result = lib.zinnia_recognizer_classify(rec, char, limit)
                if not result:
                    return []
                try:
                    n = lib.zinnia_result_size(result)
                    found = [v.decode("utf-8", "replace") for v in (lib.zinnia_result_value(result, i) for i in range(n)) if v]
                    return [c for c in found if _common(c)] + [c for c in found if not _common(c)]
                finally:
                    lib.zinnia_result_destroy(result)
            finally:
                lib.zinnia_character_destroy(char)

    def close(self) -> None:
        """Kiosk shutdown: unmap the model (mapped again if used after)."""
        with self._lock:
            if self._lib is not None and self._recognizer is not None:
                self._lib.zinnia_recognizer_destroy(self._recognizer)
            self._recognizer = None

    def _ready(self) -> tuple[ctypes.CDLL, int]:
        if self._lib is None:
            try:
                lib = ctypes.CDLL(self._library)
                _bind(lib)
            except (OSError, AttributeError) as exc:
                raise EngineUnavailable(f"{self._library}: {exc} (Debian: apt-get install libzinnia0)") from None
            self._lib = lib
        if self._recognizer is None:
            if not self._model.is_file():
                raise EngineUnavailable(f"{self._model}: no handwriting model "
                                        "(Debian: apt-get install tegaki-zinnia-simplified-chinese)")
            rec = self._lib.zinnia_recognizer_new()
            if not self._lib.zinnia_recognizer_open(rec, str(self._model).encode()):
                err = (self._lib.zinnia_recognizer_strerror(rec) or b"").decode("utf-8", "replace")
                self._lib.zinnia_recognizer_destroy(rec)
                raise EngineUnavailable(f"{self._model}: zinnia cannot open it: {err}")
            self._recognizer = rec
        return self._lib, self._recognizer
