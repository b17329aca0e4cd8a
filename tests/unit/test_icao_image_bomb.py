"""Chip photo bombs: a ~120-byte JPEG 2000 in DG2 can declare 20000x20000 pixels, which costs ~6 GB
and ~45 s to decode. The header is checked before any decoder sees the bytes, and only the photo of
a document that passed passive authentication is handed on at all.
"""
from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.devices.icao import messages as msg
from kiosk.devices.icao import tlv
from kiosk.devices.icao.errors import ParseError
from kiosk.devices.icao.identity import to_identity
from kiosk.devices.icao.lds import DG_TAGS, SFI_SOD, build_face_record, dg_sfi
from kiosk.devices.icao.mrz import MrzKey
from kiosk.devices.icao.pcsc import PcscCardReader
from kiosk.devices.icao.reader import read_document
from kiosk.devices.icao.sod import TrustStore
from kiosk.devices.ports import CardError
from testkit.vcard import pki
from testkit.vcard.card import Misbehaviour, VirtualPassport
from testkit.vcard.document import DATA, build_sod
from testkit.vcard.transport import InProcessTransport

ROOT = Path(__file__).resolve().parents[2]
KEY = MrzKey("EA1234567", "900315", "340101")


def j2k_bomb(width: int = 20000, height: int = 20000, components: int = 3, levels: int = 5) -> bytes:
    """A valid JPEG 2000 codestream of empty packets: decodes to width x height grey pixels."""
    def seg(marker: int, body: bytes) -> bytes:
        return struct.pack(">HH", marker, len(body) + 2) + body
    siz = struct.pack(">HIIIIIIIIH", 0, width, height, 0, 0, width, height, 0, 0, components) + b"\x07\x01\x01" * components
    cod = b"\x00\x00\x00\x01\x00" + bytes((levels, 4, 4, 0, 1))          # LRCP, 1 layer, 5/3 reversible
    qcd = b"\x40" + b"\x48" * (3 * levels + 1)                              # no quantisation
    packets = b"\x00" * ((levels + 1) * components)                         # every packet empty
    sot = seg(0xFF90, struct.pack(">HIBB", 0, 12 + 2 + len(packets), 0, 1))
    return b"\xff\x4f" + seg(0xFF51, siz) + seg(0xFF52, cod) + seg(0xFF5C, qcd) + sot + b"\xff\x93" + packets + b"\xff\xd9"


def jp2_bomb() -> bytes:
    """The same in a JP2 file, whose ihdr box claims a small image."""
    def box(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body) + 8) + kind + body
    ihdr = box(b"ihdr", struct.pack(">IIHBBBB", 480, 360, 3, 7, 7, 0, 0))
    return (b"\x00\x00\x00\x0cjP  \r\n\x87\n" + box(b"ftyp", b"jp2 \x00\x00\x00\x00jp2 ")
            + box(b"jp2h", ihdr + box(b"colr", b"\x01\x00\x00\x00\x00\x00\x10")) + box(b"jp2c", j2k_bomb()))


def jpeg_bomb() -> bytes:
    """A real 16x16 JPEG whose frame header now says 20000x20000 (libjpeg fills in the rest)."""
    _, small = cv2.imencode(".jpg", np.full((16, 16, 3), 128, np.uint8))
    data = bytearray(small.tobytes())
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", 20000, 20000)
    return bytes(data)


def card_with_photo(image: bytes) -> VirtualPassport:
    """The virtual passport with `image` in DG2, and an EF.SOD (TEST Document Signer) that signs it."""
    card = VirtualPassport()
    bdb = build_face_record(image, 360, 480, jpeg2000=not image.startswith(b"\xff\xd8"))
    bit = tlv.encode(0x7F60, tlv.encode(0xA1, tlv.encode(0x80, b"\x01\x01")) + tlv.encode(0x5F2E, bdb))
    card.files[dg_sfi(2)] = tlv.encode(DG_TAGS[2], tlv.encode(0x7F61, tlv.encode(0x02, b"\x01") + bit))
    dgs = {n: card.files[dg_sfi(n)] for n in (1, 2, 11, 14, 15)}
    card.files[SFI_SOD] = build_sod(dgs, pki.default())
    return card


@pytest.fixture(scope="module")
def trust() -> TrustStore:
    return TrustStore.load(pki.CSCA_DIR)


@pytest.mark.parametrize("make, fmt", [(j2k_bomb, "jpeg2000"), (jp2_bomb, "jpeg2000"), (jpeg_bomb, "jpeg")])
def test_header_gives_the_declared_size_without_decoding(make, fmt):
    from kiosk.devices.icao.errors import ImageError
    from kiosk.devices.icao.image import read_header
    data = make()
    if make is jp2_bomb:      # the ihdr box and the codestream disagree: refused outright
        with pytest.raises(ImageError, match=r"480x360|360x480"):
            read_header(data)
        return
    h = read_header(data)
    assert (h.format, h.width, h.height) == (fmt, 20000, 20000) and len(data) < 700


@pytest.mark.parametrize("name, fmt", [("face.jpg", "jpeg"), ("face.jp2", "jpeg2000")])
def test_real_chip_photos_pass_the_header_check(name, fmt):
    from kiosk.devices.icao.image import read_header
    h = read_header((DATA / name).read_bytes())
    assert (h.format, h.width, h.height) == (fmt, 360, 480)


@pytest.mark.parametrize("make", [j2k_bomb, jpeg_bomb])
def test_genuine_chip_with_a_bomb_photo_is_refused_before_any_decoding(trust, make):
    reader = PcscCardReader("none", trust_store=trust)
    started = time.monotonic()
    with pytest.raises(CardError) as err:
        reader._read_chip(InProcessTransport(card_with_photo(make())), KEY, time.monotonic() + 10)
    assert err.value.reason == msg.UNREADABLE and "20000x20000" in err.value.detail
    assert time.monotonic() - started < 5


def test_photo_of_a_document_failing_passive_authentication_is_not_handed_on(trust):
    for mis in (Misbehaviour(unknown_csca=True), Misbehaviour(corrupt_dg=2)):
        chip = read_document(InProcessTransport(VirtualPassport(misbehaviour=mis)), KEY, trust,
                             deadline=time.monotonic() + 10)
        assert not chip.verdicts.genuine and chip.face is None
        assert to_identity(chip).photo == b""        # nothing for the face check to decode


_DECODE = """
import json, resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))   # if the check fails, fail without eating the machine
data = open(sys.argv[1], "rb").read()
from kiosk.devices.icao.identity import decode_face
from kiosk.devices.face.quality import decode_image
errors = []
for decode in (decode_face, decode_image):
    t = time.monotonic()
    try:
        decode(data)
        errors.append("decoded")
    except Exception as exc:
        errors.append(f"{type(exc).__name__}: {exc} ({time.monotonic() - t:.2f}s)")
# VmHWM, not ru_maxrss: Linux carries the parent's (pytest's) peak across fork and exec into ru_maxrss
peak_kb = next(int(ln.split()[1]) for ln in open("/proc/self/status") if ln.startswith("VmHWM:"))
print(json.dumps({"errors": errors, "peak_mb": peak_kb // 1024}))
"""


@pytest.mark.parametrize("make", [j2k_bomb, jpeg_bomb])
def test_decoders_refuse_a_bomb_in_bounded_memory(tmp_path, make):
    (tmp_path / "bomb").write_bytes(make())
    out = subprocess.run([sys.executable, "-c", _DECODE, str(tmp_path / "bomb")], cwd=ROOT, capture_output=True,
                         text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert all(e.startswith("ImageError") and "20000x20000" in e for e in result["errors"]), result
    assert result["peak_mb"] < 400, result


@settings(max_examples=int(os.environ.get("ICAO_FUZZ_EXAMPLES", "300")), deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(prefix=st.sampled_from([b"\xff\xd8", b"\xff\x4f\xff\x51", b"\x00\x00\x00\x0cjP  \r\n\x87\n", b"\x89PNG\r\n\x1a\n"]),
       body=st.binary(max_size=200))
def test_header_reader_raises_only_parse_errors(prefix, body):
    from kiosk.devices.icao.image import read_header
    try:
        h = read_header(prefix + body)
    except ParseError:
        return
    assert h.width > 0 and h.height > 0
