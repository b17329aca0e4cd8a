"""The vendor-SDK reader against a real shared library: the termb C test double, loaded with ctypes.

testkit/termb_double/build.sh builds it (scripts/setup.sh runs it; the fixture here runs it again,
which rebuilds only when the C source changed), so this never skips where gcc exists, as in CI.
"""
from __future__ import annotations

import ctypes
import subprocess
import threading
import time
from datetime import date
from pathlib import Path

import pytest

from kiosk.devices.icao.image import check_image
from kiosk.devices.idcard.photo import (DECODE_FAILED, DECODE_TIMEOUT, NO_DECODER, DemoPhotoDecoder,
                                        LibraryPhotoDecoder, NoPhotoDecoder, PhotoUnavailable)
from kiosk.devices.idcard.vendor_sdk import (BAD_CONTENT, CARD_REMOVED, READ_FAILED, READER_UNAVAILABLE,
                                             VendorSdkCardReader)
from kiosk.devices.ports import CardError, CardReader

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def libs() -> Path:
    out = subprocess.run([str(ROOT / "testkit/termb_double/build.sh")], check=True, capture_output=True,
                         text=True, timeout=120).stdout.strip()
    return ROOT / out


@pytest.fixture
def double(libs, monkeypatch):
    """The double's control functions; the card is on the reader and no fault is set."""
    monkeypatch.delenv("TERMB_DOUBLE_FAULT", raising=False)
    lib = ctypes.CDLL(str(libs / "libtermb_double.so"))
    lib.termb_double_set_fault.argtypes = [ctypes.c_char_p]
    lib.termb_double_reset()
    yield lib
    lib.termb_double_reset()


def reader(libs, **kwargs) -> VendorSdkCardReader:
    kwargs.setdefault("photo_decoder", LibraryPhotoDecoder(libs / "libwlt_double.so"))
    return VendorSdkCardReader(libs / "libtermb_double.so", **kwargs)


def test_reads_the_demo_card_with_its_photo(libs, double):
    r = reader(libs)
    assert isinstance(r, CardReader)
    assert r.wait_for_insert(1.0)
    result = r.read(5.0)
    who = result.identity
    assert (who.name, who.sex, who.birth_date) == ("王演示", "M", date(1990, 3, 7))
    assert who.personal_number == who.document_number == "110101199003071233"
    assert who.address == "北京市东城区演示路1号" and who.expiry_date == date(2040, 1, 1)
    assert result.genuine and result.problem is None
    assert who.photo.startswith(b"\x89PNG")
    # the vendor decoder and the demo's own decoder agree on the demo encoding
    assert who.photo == DemoPhotoDecoder().decode(_demo_wlt(double), 1.0)
    assert "王" not in repr(who)
    r.close()


def test_without_a_decoder_the_card_is_read_and_the_photo_problem_said(libs, double):
    """No decoder: the card's data comes back with an empty photo and the reason, so the flow
    sends the citizen to a clerk's check instead of ending the visit."""
    r = reader(libs, photo_decoder=NoPhotoDecoder())
    result = r.read(5.0)
    assert result.identity.personal_number == "110101199003071233" and result.identity.photo == b""
    assert result.photo_problem is not None
    assert result.photo_problem.en == "no decoder configured: please ask the staff"
    r.close()


def test_a_card_whose_photo_bytes_are_corrupt_is_read_with_its_photo_problem(libs, double):
    """The library's decoder refuses the card's photo: the read still succeeds, with no photo and
    the decoder's reason (the flow then offers staff verification)."""
    double.termb_double_set_fault(b"bad_photo")
    r = reader(libs)
    result = r.read(5.0)
    assert (result.identity.name, result.identity.personal_number) == ("王演示", "110101199003071233")
    assert result.identity.photo == b"" and result.photo_problem == DECODE_FAILED
    assert result.genuine and result.problem is None
    r.close()


def test_a_reader_library_that_does_not_hand_over_the_photo_is_said(libs, double):
    r = reader(libs, wlt_symbol="GetPhotoWlt")     # a name the double does not export
    result = r.read(5.0)
    assert result.identity.photo == b"" and "does not provide the photo" in result.photo_problem.en
    r.close()


def test_no_card(libs, double):
    double.termb_double_set_fault(b"no_card")
    r = reader(libs)
    started = time.monotonic()
    assert not r.wait_for_insert(0.3)
    assert 0.25 <= time.monotonic() - started < 1.0
    assert r.wait_for_removal(0.3)
    r.close()


def test_port_that_does_not_open(libs, double, monkeypatch):
    monkeypatch.setenv("TERMB_DOUBLE_FAULT", "port")    # the environment switch, read by the C code
    r = reader(libs)
    started = time.monotonic()
    assert not r.wait_for_insert(0.3)
    assert time.monotonic() - started < 1.0
    with pytest.raises(CardError) as err:
        r.read(2.0)
    assert err.value.reason == READER_UNAVAILABLE and "InitComm" in err.value.detail
    r.close()


def test_read_failure_keeps_the_card(libs, double):
    double.termb_double_set_fault(b"read")
    r = reader(libs)
    assert r.wait_for_insert(1.0)
    with pytest.raises(CardError) as err:
        r.read(2.0)
    assert err.value.reason == READ_FAILED
    assert not r.wait_for_removal(0.2)
    r.close()


def test_card_pulled_out_during_the_read(libs, double):
    double.termb_double_set_fault(b"removed")
    r = reader(libs)
    assert r.wait_for_insert(1.0)
    with pytest.raises(CardError) as err:
        r.read(2.0)
    assert err.value.reason == CARD_REMOVED
    assert r.wait_for_removal(0.5)


def test_removal_is_noticed_while_waiting_and_close_ends_a_wait(libs, double):
    r = reader(libs)
    assert r.wait_for_insert(1.0) and not r.wait_for_removal(0.2)
    threading.Timer(0.2, double.termb_double_set_card, args=(0,)).start()
    assert r.wait_for_removal(3.0)
    threading.Timer(0.2, r.close).start()
    started = time.monotonic()
    assert not r.wait_for_insert(5.0)
    assert time.monotonic() - started < 2.0


def test_a_library_that_is_not_termb_is_unavailable_not_a_crash(libs, double):
    r = VendorSdkCardReader(libs / "libwlt_double.so")
    assert not r.wait_for_insert(0.2)
    with pytest.raises(CardError) as err:
        r.read(1.0)
    assert err.value.reason == READER_UNAVAILABLE


def test_the_cvr_prefix_is_configurable(libs, double):
    r = reader(libs, prefix="CVR_")      # the double exports the unprefixed names only
    with pytest.raises(CardError) as err:
        r.read(1.0)
    assert err.value.reason == READER_UNAVAILABLE and "CVR_InitComm" in err.value.detail


@pytest.mark.parametrize("fault", [b"bad_id", b"ctrl_name"])
def test_card_details_that_do_not_add_up_are_refused(libs, double, fault):
    double.termb_double_set_fault(fault)
    with pytest.raises(CardError) as err:
        reader(libs).read(2.0)
    assert err.value.reason == BAD_CONTENT


def test_wrong_text_encoding_is_refused(libs, double):
    r = reader(libs, encoding="ascii")
    with pytest.raises(CardError) as err:
        r.read(2.0)
    assert err.value.reason == BAD_CONTENT


def _demo_wlt(double) -> bytes:
    """The demo card's photo as the double hands it over, read straight through its C API."""
    assert double.InitComm(1001) == 1 and double.Authenticate() == 1 and double.Read_Content(1) == 1
    buf = ctypes.create_string_buffer(1024)
    length = ctypes.c_int(1024)
    assert double.GetPeopleWlt(buf, ctypes.byref(length)) == 1
    return buf.raw[:length.value]


# --- the vendor WLT decoder, loaded with ctypes -----------------------------------------------------
def test_library_decoder_decodes_only_the_demo_encoding(libs, double):
    decoder = LibraryPhotoDecoder(libs / "libwlt_double.so")
    png = decoder.decode(_demo_wlt(double), 2.0)
    assert check_image(png).width == 102 and check_image(png).height == 126
    with pytest.raises(PhotoUnavailable) as err:
        decoder.decode(b"WLfM" + bytes(1020), 2.0)     # not the demo's encoding
    assert err.value.reason == DECODE_FAILED
    with pytest.raises(PhotoUnavailable):
        decoder.decode(_demo_wlt(double)[:1000], 2.0)  # a truncated photo never reaches the library


def test_library_decoder_output_is_bounded_before_decoding(libs):
    decoder = LibraryPhotoDecoder(libs / "libwlt_double.so")
    with pytest.raises(PhotoUnavailable) as err:
        decoder.decode(b"BOMBWLT" + bytes(1017), 2.0)
    assert err.value.reason == DECODE_FAILED and "20000x20000" in err.value.detail


def test_a_hung_library_decoder_is_bounded_by_the_timeout(libs):
    decoder = LibraryPhotoDecoder(libs / "libwlt_double.so")
    started = time.monotonic()
    with pytest.raises(PhotoUnavailable) as err:
        decoder.decode(b"SLOWWLT" + bytes(1017), 0.3)
    assert err.value.reason == DECODE_TIMEOUT and time.monotonic() - started < 1.0
    with pytest.raises(PhotoUnavailable) as err:      # it is still inside the library: no second call
        decoder.decode(b"OVDEMOWLT1" + bytes(1014), 2.0)
    assert err.value.reason == DECODE_TIMEOUT


def test_a_missing_decoder_library_says_no_decoder(libs, tmp_path):
    for decoder in (LibraryPhotoDecoder(tmp_path / "libnothere.so"),
                    LibraryPhotoDecoder(libs / "libwlt_double.so", symbol="WltGetBMP")):
        with pytest.raises(PhotoUnavailable) as err:
            decoder.decode(b"OVDEMOWLT1" + bytes(1014), 1.0)
        assert err.value.reason == NO_DECODER
