"""The PhotoDecoder port's pure backends: none configured, the demo's own encoding, BMP bounds.
(The vendor-library backend is tested against a real C library in tests/e2e/test_vendor_sdk.py.)"""
from __future__ import annotations

import struct

import pytest

from kiosk.devices.icao.image import check_image
from kiosk.devices.idcard.photo import (DECODE_FAILED, DEMO_MARK, NO_DECODER, DemoPhotoDecoder, NoPhotoDecoder,
                                        PhotoDecoder, PhotoUnavailable, bmp_to_png, demo_bmp)

DEMO_WLT = DEMO_MARK + bytes(range(256)) * 3 + bytes(246)


def test_no_decoder_says_so_in_both_languages():
    decoder = NoPhotoDecoder()
    assert isinstance(decoder, PhotoDecoder)
    with pytest.raises(PhotoUnavailable) as err:
        decoder.decode(DEMO_WLT, 1.0)
    assert err.value.reason == NO_DECODER
    assert err.value.reason.en == "no decoder configured: please ask the staff"
    assert "工作人员" in err.value.reason.zh


def test_demo_decoder_turns_the_demo_encoding_into_a_small_png():
    png = DemoPhotoDecoder().decode(DEMO_WLT, 1.0)
    header = check_image(png)
    assert (header.format, header.width, header.height) == ("png", 102, 126)
    other = DemoPhotoDecoder().decode(DEMO_MARK + bytes(1014), 1.0)
    assert other != png            # the photo follows the encoded data


@pytest.mark.parametrize("wlt", [bytes(1024), b"WLfM" + DEMO_WLT[4:], DEMO_WLT[:-1], DEMO_WLT + b"\x00"])
def test_demo_decoder_refuses_anything_but_its_own_marked_encoding(wlt):
    with pytest.raises(PhotoUnavailable) as err:
        DemoPhotoDecoder().decode(wlt, 1.0)
    assert err.value.reason == DECODE_FAILED


def _bmp_header(width: int, height: int, size: int, bits: int = 24) -> bytes:
    return b"BM" + struct.pack("<IHHI", size, 0, 0, 54) + struct.pack(
        "<IiiHHIIiiII", 40, width, height, 1, bits, 0, 0, 0, 0, 0, 0)


@pytest.mark.parametrize("data", [
    b"GIF89a" + bytes(100),                                         # not a BMP at all
    _bmp_header(20000, 20000, 38862) + bytes(38808),                # a pixel bomb
    _bmp_header(102, 126, 10_000_000) + bytes(38808),               # declares more than it holds
    _bmp_header(102, -126, 38862, bits=1) + bytes(38808),           # a depth no decoder returns
])
def test_a_decoders_bmp_is_bounded_before_pillow_sees_it(data):
    with pytest.raises(PhotoUnavailable) as err:
        bmp_to_png(data)
    assert err.value.reason == DECODE_FAILED


def test_a_well_formed_bmp_becomes_png():
    assert check_image(bmp_to_png(demo_bmp(DEMO_WLT))).width == 102
