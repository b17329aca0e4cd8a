"""Two card readers on one kiosk: whichever card arrives starts the session."""
from __future__ import annotations

import logging
import queue
import time
from dataclasses import replace

import pytest

from kiosk.devices.dual_reader import EitherCardReader
from kiosk.devices.ports import AccessKey, CardError
from kiosk.devices.sim.card_reader import SimCardReader
from kiosk.devices.sim.face import SimFaceVerifier
from kiosk.devices.sim.printer import FolderPrinter
from kiosk.flows import effects as fx
from kiosk.flows import events as ev
from kiosk.runtime import Devices, Runtime, Timeouts
from kiosk.services.crypto import RecordCipher, load_or_create_key
from kiosk.services.storage import Storage


class BrokenReader(SimCardReader):
    """A reader whose driver is gone: every poll raises."""

    name = "Broken reader"

    def __init__(self) -> None:
        super().__init__(read_seconds=0.01)
        self.polls = 0

    def wait_for_insert(self, timeout: float) -> bool:
        self.polls += 1
        raise OSError("device unplugged")


def test_the_second_readers_card_is_found_and_read_there(identity):
    first, second = SimCardReader(read_seconds=0.01), SimCardReader(read_seconds=0.01)
    either = EitherCardReader([first, second])
    assert not either.wait_for_insert(0.1)
    other = replace(identity, name="王二")
    second.insert(other)
    assert either.wait_for_insert(1.0)
    assert either.holder is second
    # the first reader gets a card meanwhile: the session still reads the one that started it
    first.insert(identity)
    assert either.read(1.0).identity.name == "王二"


def test_the_wait_stays_within_its_timeout_with_every_reader_empty():
    either = EitherCardReader([SimCardReader(), SimCardReader(), SimCardReader()])
    t0 = time.monotonic()
    assert not either.wait_for_insert(0.3)
    assert 0.2 <= time.monotonic() - t0 < 0.4
    t0 = time.monotonic()
    assert not either.wait_for_insert(0.06)          # shorter than a slice: each reader a share
    assert time.monotonic() - t0 < 0.2


def test_a_failing_reader_does_not_stop_the_other_and_is_logged_once(identity, caplog):
    broken, good = BrokenReader(), SimCardReader(read_seconds=0.01)
    either = EitherCardReader([broken, good], retry_after=0.2)
    caplog.set_level(logging.INFO, logger="kiosk.devices.dual_reader")
    t0 = time.monotonic()
    assert not either.wait_for_insert(0.5)
    assert time.monotonic() - t0 < 0.65
    good.insert(identity)
    assert either.wait_for_insert(1.0) and either.holder is good
    assert either.read(1.0).identity == identity
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "Broken reader" in warnings[0].getMessage()
    assert 2 <= broken.polls <= 5          # tried again after a rest, not hammered every slice


def test_removal_is_noticed_and_the_next_card_can_come_from_either_reader(identity):
    first, second = SimCardReader(read_seconds=0.01), SimCardReader(read_seconds=0.01)
    either = EitherCardReader([first, second])
    first.insert(identity)
    assert either.wait_for_insert(1.0) and either.holder is first
    assert not either.wait_for_removal(0.05)
    first.remove()
    assert either.wait_for_removal(1.0) and either.holder is None
    with pytest.raises(CardError):
        either.read(0.1)
    second.insert(identity)
    assert either.wait_for_insert(1.0) and either.holder is second


def test_session_end_forgets_the_key_on_every_reader_and_close_closes_all(identity):
    first, second = SimCardReader(), SimCardReader()
    either = EitherCardReader([first, second])
    first.set_access_key(AccessKey(can="111111"))       # left over on the reader nobody is using
    second.insert(identity)
    assert either.wait_for_insert(1.0)
    either.set_access_key(AccessKey(can="123456"))
    assert second._key == AccessKey(can="123456") and first._key == AccessKey(can="111111")
    either.set_access_key(None)
    assert first._key is None and second._key is None
    either.close()
    assert not first.present and not second.present


@pytest.fixture
def runtime(tmp_path, small_catalogue):
    readers = [BrokenReader(), SimCardReader(read_seconds=0.01), SimCardReader(read_seconds=0.01)]
    events: queue.Queue = queue.Queue()
    devices = Devices(EitherCardReader(readers), lambda photo: None, SimFaceVerifier(),  # type: ignore[arg-type]
                      FolderPrinter(tmp_path / "receipts"))
    rt = Runtime(devices=devices, catalogue=lambda: small_catalogue, kiosk_id="3301060001",
                 open_storage=lambda: Storage(tmp_path / "db", RecordCipher(load_or_create_key(tmp_path / "k"))),
                 render_receipt=lambda app: b"%PDF", post=events.put,
                 timeouts=Timeouts(card_read=2, face_check=2, store=5, print=2))
    rt.start()
    yield rt, readers, events
    assert rt.shutdown(3.0)


def next_event(events: queue.Queue, kind: type, timeout: float = 3.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            e = events.get(timeout=0.05)
        except queue.Empty:
            continue
        if isinstance(e, kind):
            return e
    raise AssertionError(f"no {kind.__name__} within {timeout}s")


def test_a_card_on_the_last_reader_starts_a_session_despite_a_broken_first(runtime, identity):
    rt, (_broken, _first, last), events = runtime
    last.insert(identity)
    next_event(events, ev.CardInserted)
    rt.perform(fx.ReadCard(3))
    assert next_event(events, ev.CardRead).identity == identity
    last.remove()
    next_event(events, ev.CardRemoved)


REAL = {"camera": "opencv", "face": "dlib", "printer": "cups", "document_camera": "none", "government_records": "none"}


def _parts(tmp_path, card_reader: str):
    from kiosk.compose import build_parts
    from kiosk.config import load_config
    return build_parts(load_config(env={}, overrides={"paths": {"data_dir": str(tmp_path / "data")},
                                                      "devices": {**REAL, "card_reader": card_reader,
                                                                  "sam_port": "/dev/nonexistent-sam"}}))


def test_a_list_of_readers_composes_into_one_that_waits_on_both(tmp_path):
    from kiosk.devices.icao.pcsc import PcscCardReader
    from kiosk.devices.idcard.sam_reader import SamCardReader
    parts = _parts(tmp_path, "pcsc, sam")
    reader = parts.devices.card_reader
    try:
        assert isinstance(reader, EitherCardReader)
        assert [type(r) for r in reader._readers] == [PcscCardReader, SamCardReader]
        warnings = [w.en for w in parts.staff_warnings]
        # both readers' staff warnings, each once: the empty trust store and the missing photo decoder
        assert any("photo decoder" in w for w in warnings) and len(warnings) == len(set(warnings)) >= 2
        assert parts.demo_citizens == [] and parts.sim_reader is None
    finally:
        reader.close()


@pytest.mark.parametrize("value, why", [("sim,pcsc", "cannot be combined"), ("sam,sam", "each reader once"),
                                        ("pcsc,nfc", "use 'sim'"), ("pcsc,", "use 'sim'")])
def test_a_bad_list_of_readers_is_refused_at_start(tmp_path, value, why):
    from kiosk.compose import ConfigurationProblem
    with pytest.raises(ConfigurationProblem, match=why):
        _parts(tmp_path, value)
