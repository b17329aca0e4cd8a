"""The `sam` backend end to end: pyserial on a pseudo-terminal, a SAM reader emulator on the other
side, and each way a real reader misbehaves."""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import date

import pytest

from kiosk.devices.idcard import messages as msg
from kiosk.devices.idcard.sam_reader import SamCardReader
from kiosk.devices.ports import CardError, CardReader
from testkit.idcard_text import foreigner_text, permit_text, resident_text
from testkit.sam_emulator import SamEmulator

pytestmark = pytest.mark.e2e


@pytest.fixture
def rig(request: pytest.FixtureRequest) -> Iterator[tuple[SamEmulator, SamCardReader]]:
    kwargs = getattr(request, "param", {})
    emulator = SamEmulator(**kwargs)
    reader = SamCardReader(emulator.port, command_timeout=0.3, read_timeout=0.6, poll_interval=0.05)
    try:
        yield emulator, reader
    finally:
        reader.close()
        emulator.close()


def _param(**kwargs: object) -> object:
    return pytest.param(kwargs, id=str(kwargs.get("misbehaviour") or "good"))


def test_is_a_card_reader(rig: tuple[SamEmulator, SamCardReader]) -> None:
    assert isinstance(rig[1], CardReader)


@pytest.mark.parametrize("rig", [_param(), _param(misbehaviour="split_frames"), _param(misbehaviour="garbage"),
                                 _param(misbehaviour="bad_checksum"), _param(misbehaviour="partial_frame")],
                         indirect=True)
def test_reads_the_citizen_despite_a_noisy_line(rig: tuple[SamEmulator, SamCardReader]) -> None:
    emulator, reader = rig
    assert reader.wait_for_insert(2.0)
    result = reader.read(5.0)
    ident = result.identity
    assert (ident.name, ident.nation, ident.card_type) == ("林晓梅", "汉族", "resident_id")
    assert ident.birth_date == date(1985, 3, 17) and ident.expiry_date == date(2040, 1, 1)
    assert ident.photo == b""          # WLT is not decoded: no photo is pretended
    if emulator.misbehaviour in ("bad_checksum", "partial_frame"):
        assert emulator.commands.count((0x30, 0x01)) == 2      # the one retry
    else:
        assert emulator.commands.count((0x30, 0x01)) == 1


@pytest.mark.parametrize("rig", [_param(text=permit_text()), _param(text=foreigner_text())], indirect=True)
def test_reads_the_other_two_card_types(rig: tuple[SamEmulator, SamCardReader]) -> None:
    ident = rig[1].read(3.0).identity
    assert ident.card_type in ("hmt_permit", "foreign_permanent")
    assert ident.name in ("陈家明", "亚历克斯")


@pytest.mark.parametrize("rig", [_param(text=resident_text(start="20000101", end="20200101"))], indirect=True)
def test_expired_card_reads_as_expired_for_the_flow_to_refuse(rig: tuple[SamEmulator, SamCardReader]) -> None:
    assert rig[1].read(3.0).identity.is_expired(date(2026, 11, 29))


@pytest.mark.parametrize("rig", [_param(text=resident_text(number="330106198503170021"))], indirect=True)
def test_a_card_whose_number_fails_its_check_is_refused(rig: tuple[SamEmulator, SamCardReader]) -> None:
    with pytest.raises(CardError) as err:
        rig[1].read(3.0)
    assert err.value.reason == msg.INVALID and "330106" not in str(err.value.detail)


@pytest.mark.parametrize("rig", [_param(misbehaviour="no_card")], indirect=True)
def test_no_card_waits_out_the_timeout(rig: tuple[SamEmulator, SamCardReader]) -> None:
    emulator, reader = rig
    t0 = time.monotonic()
    assert not reader.wait_for_insert(0.5)
    assert 0.4 < time.monotonic() - t0 < 1.5
    assert reader.wait_for_removal(0.5)
    emulator.place()
    assert reader.wait_for_insert(1.0)


@pytest.mark.parametrize("rig", [_param(misbehaviour="late_card")], indirect=True)
def test_card_placed_late_is_found_by_polling(rig: tuple[SamEmulator, SamCardReader]) -> None:
    emulator, reader = rig
    assert reader.wait_for_insert(3.0)
    assert emulator.commands.count((0x20, 0x01)) == 4
    assert reader.read(3.0).identity.name == "林晓梅"


@pytest.mark.parametrize("rig", [_param(misbehaviour="removed_mid_read")], indirect=True)
def test_card_removed_mid_read_says_so(rig: tuple[SamEmulator, SamCardReader]) -> None:
    _emulator, reader = rig
    with pytest.raises(CardError) as err:
        reader.read(5.0)
    assert err.value.reason == msg.REMOVED
    assert reader.wait_for_removal(1.0)


def test_removal_is_noticed_while_polling(rig: tuple[SamEmulator, SamCardReader]) -> None:
    emulator, reader = rig
    assert not reader.wait_for_removal(0.3)
    threading.Timer(0.3, emulator.remove).start()
    assert reader.wait_for_removal(3.0)


@pytest.mark.parametrize("rig", [_param(misbehaviour="silent")], indirect=True)
def test_a_silent_sam_fails_within_the_deadline(rig: tuple[SamEmulator, SamCardReader]) -> None:
    _emulator, reader = rig
    t0 = time.monotonic()
    assert not reader.wait_for_insert(1.0)
    with pytest.raises(CardError) as err:
        reader.read(2.0)
    assert err.value.reason in (msg.UNREADABLE, msg.TIMEOUT)
    assert time.monotonic() - t0 < 3.5


def test_close_ends_a_wait_and_later_calls_fail_fast(rig: tuple[SamEmulator, SamCardReader]) -> None:
    emulator, reader = rig
    emulator.remove()
    threading.Timer(0.2, reader.close).start()
    t0 = time.monotonic()
    assert not reader.wait_for_insert(5.0)
    assert time.monotonic() - t0 < 1.5
    with pytest.raises(CardError):
        reader.read(1.0)


def test_a_missing_port_is_no_reader() -> None:
    reader = SamCardReader("/dev/nonexistent-sam", command_timeout=0.1)
    with pytest.raises(CardError) as err:
        reader.read(0.5)
    assert err.value.reason == msg.NO_READER
    assert not reader.wait_for_insert(0.2)


def test_without_a_photo_decoder_the_card_is_read_and_the_photo_problem_said() -> None:
    """A kiosk with no licensed WLT decoder cannot check the face: the card's data comes back
    with no photo and the plain "please ask the staff" reason, for the flow's staff check."""
    from kiosk.devices.idcard.photo import NoPhotoDecoder
    emulator = SamEmulator()
    reader = SamCardReader(emulator.port, command_timeout=0.3, read_timeout=0.6, poll_interval=0.05,
                           photo_decoder=NoPhotoDecoder())
    try:
        assert reader.wait_for_insert(2.0)
        result = reader.read(5.0)
        assert result.identity.name == "林晓梅" and result.identity.photo == b""
        assert result.photo_problem is not None and "staff" in result.photo_problem.en and result.photo_problem.zh
    finally:
        reader.close()
        emulator.close()


def test_a_card_whose_photo_bytes_are_corrupt_is_read_with_its_photo_problem() -> None:
    """The demo encoding's marker and a JPEG start, then garbage: the decoder refuses the photo;
    the read does not fail but says so (CardReadResult.photo_problem)."""
    from kiosk.devices.idcard.photo import DECODE_FAILED, DEMO_MARK, DemoPhotoDecoder
    corrupt = (DEMO_MARK + b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4)[:1024]
    emulator = SamEmulator(photo=corrupt)
    reader = SamCardReader(emulator.port, command_timeout=0.3, read_timeout=0.6, poll_interval=0.05,
                           photo_decoder=DemoPhotoDecoder())
    try:
        assert reader.wait_for_insert(2.0)
        result = reader.read(5.0)
        assert result.identity.name == "林晓梅" and result.genuine
        assert result.identity.photo == b"" and result.photo_problem == DECODE_FAILED
        assert reader.last_photo == corrupt
    finally:
        reader.close()
        emulator.close()


def test_a_decoded_photo_becomes_the_face_checks_reference() -> None:
    class EchoDecoder:
        def decode(self, wlt: bytes, timeout: float) -> bytes:
            assert len(wlt) == 1024
            return b"PNG-of-" + wlt[:4]
    emulator = SamEmulator()
    reader = SamCardReader(emulator.port, command_timeout=0.3, read_timeout=0.6, poll_interval=0.05,
                           photo_decoder=EchoDecoder())
    try:
        assert reader.wait_for_insert(2.0)
        assert reader.read(5.0).identity.photo.startswith(b"PNG-of-")
    finally:
        reader.close()
        emulator.close()


def test_a_slow_sam_polled_as_the_kiosk_does_gets_each_answer_matched_to_its_command() -> None:
    # Regression: a find-card cut short by the poll's deadline left its late answer on the line,
    # and every later command took the previous one's answer ("find card: success").
    with SamEmulator(misbehaviour="late_card", late_after=1, answer_delay=0.1) as emu:
        reader = SamCardReader(emu.port, poll_interval=0.2)
        try:
            deadline = time.monotonic() + 5
            while not reader.wait_for_insert(0.35):
                assert time.monotonic() < deadline
            assert reader.read(5.0).identity.name == "林晓梅"
        finally:
            reader.close()
