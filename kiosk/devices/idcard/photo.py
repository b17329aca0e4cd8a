"""The resident ID card photo: WLT in, a PNG the face check can use out.

The card stores the face as 1024 bytes of WLT, a proprietary compression that only the licensed
decoder library reader vendors ship can expand. So decoding is a port with three backends:

- `LibraryPhotoDecoder`: the vendor's decoder, loaded with ctypes from a configured path. The
  common signature (the same shape in every SDK wrapper found, kiosk/devices/idcard/vendor_sdk.py
  lists the sources) is `int unpack(const char *wlt, char *bmp, int save_file)`: 1024 bytes in,
  a 102x126 24-bit BMP (38862 bytes) out, 1 on success. The symbol is configurable because
  vendors name it differently (`unpack`, `wlt2bmp`, `WltGetBMP`).
- `NoPhotoDecoder`: none configured. It says so every time; the kiosk never skips the face check
  and never pretends a photo exists.
- `DemoPhotoDecoder`: the demo's own resident ID cards only. It accepts only the demo's marked
  encoding, which no real card carries, and is composed only by the demo (kiosk/demo.py), never
  with a real reader. The encoding is "OVDEMOWLT1" followed by either a small JPEG of the demo
  citizen's face (its SOI marker first, zero padding after its EOI; what the SAM emulator's demo
  cards carry, so the face check can match the demo camera) or grey levels (what the vendor-SDK
  C test double understands; see testkit/termb_double/wlt_double.c).

Whatever a decoder returns is bounded before use: the BMP header is checked before Pillow sees it,
and the PNG again with kiosk/devices/icao/image.py check_image.
"""
from __future__ import annotations

import ctypes
import io
import struct
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, runtime_checkable

from kiosk.devices.icao.errors import ImageError
from kiosk.devices.icao.image import CHIP_MAX_PIXELS, CHIP_MAX_SIDE, check_image
from kiosk.domain.text import Text
from kiosk.i18n import tr

WLT_LEN = 1024
DEMO_MARK = b"OVDEMOWLT1"
BMP_WIDTH, BMP_HEIGHT = 102, 126
BMP_LEN = 54 + 308 * BMP_HEIGHT            # 38862: rows of 102 * 3 bytes padded to 308
# Room for a decoder that writes more than it should; anything beyond BMP_LEN is refused anyway.
_OUT_BUFFER = 4 * BMP_LEN
_JPEG_SOI = b"\xff\xd8\xff"

NO_DECODER = tr("本机未配置照片解码器，无法核对人脸，请联系工作人员。")
DECODE_FAILED = tr("无法读取身份证上的照片，请联系工作人员。")
DECODE_TIMEOUT = tr("读取身份证照片超时，请联系工作人员。")


class PhotoUnavailable(Exception):
    """No usable photo; `reason` is what the citizen is told, `detail` is for the operator log."""

    def __init__(self, reason: Text, detail: str = "") -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(detail or reason.en)


@runtime_checkable
class PhotoDecoder(Protocol):
    name: str

    def decode(self, wlt: bytes, timeout: float) -> bytes:
        """The photo as PNG bytes within `timeout` s. Card thread; blocks on the decoder (the CPU).
        Raises PhotoUnavailable with a citizen-facing reason."""


class NoPhotoDecoder:
    """No decoder configured: every photo is unavailable, and the kiosk says why."""

    name = "none"

    def decode(self, wlt: bytes, timeout: float) -> bytes:
        raise PhotoUnavailable(NO_DECODER, "no WLT decoder library configured")


class DemoPhotoDecoder:
    """The demo's resident ID cards only: the marked encoding, never a real card's WLT."""

    name = "demo"

    def decode(self, wlt: bytes, timeout: float) -> bytes:
        """Any thread; pure CPU for a few ms."""
        wlt = bytes(wlt)
        if len(wlt) != WLT_LEN or not wlt.startswith(DEMO_MARK):
            raise PhotoUnavailable(DECODE_FAILED, "not the demo's photo encoding")
        body = wlt[len(DEMO_MARK):]
        if body.startswith(_JPEG_SOI):
            return demo_jpeg_to_png(body)
        return bmp_to_png(demo_bmp(wlt))


class LibraryPhotoDecoder:
    """The vendor's licensed WLT decoder, loaded with ctypes from `path`.

    The library is loaded on first use (card thread). Calls are serialised: vendor decoders keep
    global state. Each decode runs on a helper thread so that `timeout` bounds the wait; a call
    that overruns is abandoned (C cannot be interrupted) and the decoder refuses further work."""

    def __init__(self, path: str | Path, symbol: str = "unpack") -> None:
        self.name = f"library:{Path(path).name}"
        self._path = str(path)
        self._symbol = symbol
        self._lock = threading.Lock()
        self._fn: Callable[..., int] | None = None
        self._stuck = False

    def _load(self) -> Callable[..., int]:
        if self._fn is None:
            try:
                fn = getattr(ctypes.CDLL(self._path), self._symbol)
            except (OSError, AttributeError) as exc:
                raise PhotoUnavailable(NO_DECODER, f"decoder library unusable: {exc}") from None
            fn.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int]
            fn.restype = ctypes.c_int
            self._fn = fn
        return self._fn

    def decode(self, wlt: bytes, timeout: float) -> bytes:
        """Card thread; blocks up to `timeout` s on the decoder."""
        wlt = bytes(wlt)
        if len(wlt) != WLT_LEN:
            raise PhotoUnavailable(DECODE_FAILED, f"WLT of {len(wlt)} bytes, not {WLT_LEN}")
        if self._stuck:
            raise PhotoUnavailable(DECODE_TIMEOUT, "decoder did not return from an earlier call")
        fn = self._load()
        src = ctypes.create_string_buffer(wlt, WLT_LEN)
        out = ctypes.create_string_buffer(_OUT_BUFFER)
        result: list[int] = []

        def call() -> None:
            with self._lock:
                result.append(fn(src, out, 0))

        worker = threading.Thread(target=call, name="wlt-decoder", daemon=True)
        worker.start()
        worker.join(timeout)
        if worker.is_alive():
            self._stuck = True
            raise PhotoUnavailable(DECODE_TIMEOUT, f"decoder took longer than {timeout:.1f} s")
        if not result or result[0] != 1:
            raise PhotoUnavailable(DECODE_FAILED, f"decoder returned {result[0] if result else None}")
        return bmp_to_png(out.raw)


def demo_bmp(wlt: bytes) -> bytes:
    """The BMP the demo encoding stands for (the C test double computes the same)."""
    levels = wlt[len(DEMO_MARK):]
    row_pad = b"\x00" * (308 - BMP_WIDTH * 3)
    rows = []
    for y in range(BMP_HEIGHT):
        start = (y * BMP_WIDTH) % len(levels)
        grey = (levels * 2)[start:start + BMP_WIDTH]
        rows.append(b"".join(bytes((g, g, g)) for g in grey) + row_pad)
    pixels = b"".join(reversed(rows))      # BMP stores the bottom row first
    header = b"BM" + struct.pack("<IHHI", 54 + len(pixels), 0, 0, 54) + struct.pack(
        "<IiiHHIIiiII", 40, BMP_WIDTH, BMP_HEIGHT, 1, 24, 0, len(pixels), 0, 0, 0, 0)
    return header + pixels


def bmp_to_png(data: bytes) -> bytes:
    """PNG of a decoder's BMP, once its header is known to be small and consistent. Any thread."""
    if len(data) < 54 or data[:2] != b"BM":
        raise PhotoUnavailable(DECODE_FAILED, "decoder output is not a BMP")
    size, offset = struct.unpack_from("<I4xI", data, 2)
    width, height, _planes, bits = struct.unpack_from("<iiHH", data, 18)
    height = abs(height)
    if not (0 < width <= CHIP_MAX_SIDE and 0 < height <= CHIP_MAX_SIDE
            and width * height <= CHIP_MAX_PIXELS and bits in (8, 24, 32)):
        raise PhotoUnavailable(DECODE_FAILED, f"decoder output declares {width}x{height}x{bits}")
    if not (54 <= offset <= size <= min(len(data), BMP_LEN)):
        raise PhotoUnavailable(DECODE_FAILED, f"decoder output declares {size} bytes")
    from PIL import Image   # Pillow only when a photo is decoded; it costs start-up time
    try:
        with Image.open(io.BytesIO(data[:size]), formats=["BMP"]) as img:
            img.load()
            out = io.BytesIO()
            img.convert("RGB").save(out, format="PNG")
        png = out.getvalue()
        check_image(png)
    except (OSError, ValueError, ImageError) as exc:
        raise PhotoUnavailable(DECODE_FAILED, f"decoder output unreadable: {exc}") from None
    return png


def demo_jpeg_to_png(jpeg: bytes) -> bytes:
    """PNG of the JPEG inside a demo encoding, bounded like a decoder's BMP (at most the card's
    102x126). Any thread; pure CPU."""
    from PIL import Image
    try:
        with Image.open(io.BytesIO(jpeg), formats=["JPEG"]) as img:
            if img.width > BMP_WIDTH or img.height > BMP_HEIGHT:
                raise PhotoUnavailable(DECODE_FAILED, f"demo photo declares {img.width}x{img.height}")
            img.load()
            out = io.BytesIO()
            img.convert("RGB").save(out, format="PNG")
        png = out.getvalue()
        check_image(png)
    except (OSError, ValueError, ImageError) as exc:
        raise PhotoUnavailable(DECODE_FAILED, f"demo photo unreadable: {exc}") from None
    return png
