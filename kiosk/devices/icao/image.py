"""An image's size from its header (JPEG, JPEG 2000, PNG) without decoding it.

A decoder allocates what the header declares, not what the file holds: a 120-byte JPEG 2000
codestream declaring 20000×20000 pixels costs about 6 GB and 45 s to decode. So every chip face
image is checked here, against a cap, before any decoder sees it. ICAO 9303 portraits are a few
hundred pixels a side (ISO/IEC 19794-5 token images are 240×320 or 480×640), so the chip cap
leaves room for generous issuers and nothing near a bomb.

Pure; any thread; no blocking. Malformed or oversized headers raise `ImageError` (a ParseError).
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

from kiosk.devices.icao.errors import ImageError

# The chip face image: ~13x the area of a 480x640 portrait; decoding it costs at most ~100 MB.
CHIP_MAX_SIDE = 2000
CHIP_MAX_PIXELS = 2_000_000
# Any other photo decoded on the kiosk (the CLI's, a document camera's): a 24-megapixel camera picture.
PHOTO_MAX_SIDE = 8000
PHOTO_MAX_PIXELS = 24_000_000
MAX_COMPONENTS = 4              # grey, RGB, CMYK; a JPEG 2000 header may declare 16384
MAX_TILES = 4096                # OpenJPEG allocates per tile: 1x1 tiles make a bomb of a small image

JP2_SIGNATURE = b"\x00\x00\x00\x0cjP  \r\n\x87\n"
J2K_START = b"\xff\x4f\xff\x51"
JPEG_START = b"\xff\xd8"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# JPEG start-of-frame markers (C4 DHT, C8 JPG and CC DAC share the range but are not frames)
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


@dataclass(frozen=True)
class ImageHeader:
    format: str          # "jpeg", "jpeg2000" or "png"
    width: int
    height: int
    components: int

    @property
    def pixels(self) -> int:
        return self.width * self.height


def image_format(data: bytes) -> str | None:
    """"jpeg", "jpeg2000", "png", or None for anything else."""
    if data.startswith(JPEG_START):
        return "jpeg"
    if data.startswith((J2K_START, JP2_SIGNATURE)):
        return "jpeg2000"
    if data.startswith(PNG_SIGNATURE):
        return "png"
    return None


def read_header(data: bytes) -> ImageHeader:
    """The size the image declares. Raises ImageError for an unknown format or a malformed header."""
    data = bytes(data)
    fmt = image_format(data)
    try:
        if fmt == "jpeg":
            return _jpeg(data)
        if fmt == "jpeg2000":
            return _jp2(data) if data.startswith(JP2_SIGNATURE) else _siz(data, 0)
        if fmt == "png":
            if len(data) < 33 or data[12:16] != b"IHDR":
                raise ImageError("PNG header truncated")
            width, height = struct.unpack(">II", data[16:24])
            return _sane(ImageHeader("png", width, height, {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}.get(data[25], 4)))
    except (struct.error, IndexError):
        raise ImageError(f"{fmt} header truncated") from None
    raise ImageError("not a JPEG, JPEG 2000 or PNG image")


def check_image(data: bytes, *, max_side: int = CHIP_MAX_SIDE, max_pixels: int = CHIP_MAX_PIXELS) -> ImageHeader:
    """The header, once it is known to be within the caps. Raises ImageError naming the size."""
    header = read_header(data)
    if header.width > max_side or header.height > max_side or header.pixels > max_pixels:
        raise ImageError(f"{header.format} image declares {header.width}x{header.height} pixels, more than the "
                         f"{max_side} a side / {max_pixels} pixels allowed")
    return header


def _sane(h: ImageHeader) -> ImageHeader:
    if h.width <= 0 or h.height <= 0:
        raise ImageError(f"{h.format} image declares no size ({h.width}x{h.height})")
    if not 1 <= h.components <= MAX_COMPONENTS:
        raise ImageError(f"{h.format} image declares {h.components} colour components")
    return h


def _jpeg(data: bytes) -> ImageHeader:
    """The first start-of-frame segment (what libjpeg allocates from), read before the first scan."""
    pos = 2
    while pos < len(data):
        if data[pos] != 0xFF:
            raise ImageError("JPEG marker expected")
        while pos < len(data) and data[pos] == 0xFF:    # fill bytes
            pos += 1
        marker = data[pos]
        pos += 1
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:    # no length
            continue
        if marker in (0xD8, 0xD9, 0xDA):
            raise ImageError("JPEG has no frame header before its image data")
        length = struct.unpack(">H", data[pos:pos + 2])[0]
        if length < 2:
            raise ImageError("JPEG segment length is wrong")
        if marker in _SOF:
            _p, height, width, components = struct.unpack(">BHHB", data[pos + 2:pos + 8])
            return _sane(ImageHeader("jpeg", width, height, components))
        pos += length
    raise ImageError("JPEG header truncated")


def _siz(data: bytes, start: int) -> ImageHeader:
    """The SIZ segment that follows SOC at `start` of a JPEG 2000 codestream."""
    if data[start:start + 4] != J2K_START:
        raise ImageError("JPEG 2000 codestream does not start with SOC and SIZ")
    (_lsiz, _rsiz, xsiz, ysiz, xo, yo, xt, yt, xto, yto, comps) = struct.unpack(">HHIIIIIIIIH", data[start + 4:start + 42])
    header = _sane(ImageHeader("jpeg2000", xsiz - xo, ysiz - yo, comps))
    if xt == 0 or yt == 0 or xto > xo or yto > yo:
        raise ImageError("JPEG 2000 tiling is malformed")
    tiles = -(-(xsiz - xto) // xt) * -(-(ysiz - yto) // yt)
    if tiles > MAX_TILES:
        raise ImageError(f"JPEG 2000 image declares {tiles} tiles")
    for i in range(comps):     # sub-sampling 0 is invalid (a decoder would divide by it)
        if len(data) < start + 45 + 3 * i or 0 in data[start + 43 + 3 * i:start + 45 + 3 * i]:
            raise ImageError("JPEG 2000 component sub-sampling is malformed")
    return header


def _jp2(data: bytes) -> ImageHeader:
    """A JP2 file: the codestream's SIZ (what the decoder uses), and the ihdr box must not declare more."""
    pos, ihdr = 0, None
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        head = 8
        if length == 1:
            length, head = struct.unpack(">Q", data[pos + 8:pos + 16])[0], 16
        elif length == 0:
            length = len(data) - pos
        if length < head:
            raise ImageError("JP2 box length is wrong")
        if kind == b"jp2h":
            inner = data[pos + head:pos + length]
            if inner[4:8] == b"ihdr":
                ih, iw, nc = struct.unpack(">IIH", inner[8:18])
                ihdr = _sane(ImageHeader("jpeg2000", iw, ih, nc))
        elif kind == b"jp2c":
            siz = _siz(data, pos + head)
            if ihdr is not None and (ihdr.width, ihdr.height) != (siz.width, siz.height):
                raise ImageError(f"JP2 header says {ihdr.width}x{ihdr.height}, its codestream {siz.width}x{siz.height}")
            return siz
        pos += length
    raise ImageError("JP2 file has no codestream")
