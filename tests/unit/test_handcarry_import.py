"""Hand-carried exports are hostile input (issue "A back office officials can trust", hole 2):
the back office reads each file once, bounded, verifies those bytes and imports exactly them;
links, FIFOs, devices and oversized files are refused; one bad file never stops the good ones;
file names are never printed raw."""
from __future__ import annotations

import errno
import logging
import os
import threading
from datetime import datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from backoffice import db
from backoffice.service import Backoffice
from kiosk.services.crypto import RecordCipher, load_or_create_key
from kiosk.services.storage import Storage
from kiosk.services.sync import protocol as proto
from kiosk.services.sync.export import export_pending
from kiosk.services.sync.settings import SyncSettings
from testkit.sync_drills import DemoApplications

KIOSK = "3301060001"


@pytest.fixture
def bo(tmp_path):
    """The back office `python -m backoffice import --data-dir DIR` opens (same keys, same
    database), so the command-line test below sees what the others see."""
    from backoffice.cli import _backoffice, build_parser
    b = _backoffice(build_parser().parse_args(["import", "-", "--data-dir", str(tmp_path / "bo")]))
    yield b
    b.engine.dispose()


@pytest.fixture
def kiosk_key(bo):
    key = Ed25519PrivateKey.generate()
    bo.enrol(KIOSK, proto.ed25519_public_pem(key.public_key()))
    return key


class Kiosk:
    """A kiosk store with applications, exporting the way `kiosk sync export` does."""

    def __init__(self, bo: Backoffice, key: Ed25519PrivateKey, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.store = Storage(folder / "kiosk.sqlite3", RecordCipher(load_or_create_key(folder / "storage.key")))
        self.key = key
        self.settings = SyncSettings(backoffice_encryption_key=proto.b64e(proto.public_bytes(
            bo.keys.encryption.public_key())))
        self.apps = DemoApplications(kiosk_id=KIOSK)

    def export(self, n: int, usb: Path) -> tuple[Path, list[str]]:
        numbers = [self.apps.store_one(self.store).number for _ in range(n)]
        report = export_pending(self.store, usb, self.settings, KIOSK, self.key)
        assert report.path is not None and report.count == n
        return report.path, numbers

    def close(self) -> None:
        self.store.close()


@pytest.fixture
def kiosk(bo, kiosk_key, tmp_path):
    k = Kiosk(bo, kiosk_key, tmp_path / "kiosk")
    yield k
    k.close()


def forged_after(genuine: bytes, bo: Backoffice, tmp_path: Path) -> tuple[bytes, str]:
    """What an attacker serves on the second read: the genuine header, then an application they
    made up in the real kiosk's name (anyone can seal to the back office's public key)."""
    store = Storage(tmp_path / "forger.sqlite3", RecordCipher(load_or_create_key(tmp_path / "forger.key")))
    try:
        app = DemoApplications(kiosk_id=KIOSK).store_one(store, when=datetime(2026, 1, 2, 3, 4, 5))
        [rec] = store.records_for([app.number])
    finally:
        store.close()
    envelope = proto.seal_envelope(bo.keys.encryption.public_key(), rec.number, rec.record)
    lines = genuine.splitlines(keepends=True)
    return lines[0] + proto.canonical_json(envelope) + b"\n" + lines[-1], rec.number


def stored_numbers(bo: Backoffice) -> set[str]:
    with bo.engine.connect() as conn:
        return {r[0] for r in conn.execute(select(db.applications.c.number))}


class FifoServer(threading.Thread):
    """The malicious stick: a FIFO that serves the genuine export to the first reader and the
    forged one to every later reader. Never blocks the test: it opens without blocking and
    gives up when told to stop."""

    def __init__(self, path: Path, first: bytes, later: bytes) -> None:
        super().__init__(name="fifo-attacker", daemon=True)
        self.path, self.first, self.later = path, first, later
        self.served = 0
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as exc:
                if exc.errno != errno.ENXIO:       # ENXIO: no reader has it open yet
                    raise
                self.halt.wait(0.002)
                continue
            try:
                os.set_blocking(fd, True)
                data = self.first if self.served == 0 else self.later
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
                self.served += 1
            except BrokenPipeError:
                pass
            finally:
                os.close(fd)
            # Let the reader see end-of-file and finish this pass before serving the next one.
            self.halt.wait(0.2)


def test_a_fifo_that_serves_a_forgery_on_the_second_read_imports_nothing(bo, kiosk, tmp_path):
    staging, usb = tmp_path / "staging", tmp_path / "usb"
    path, _ = kiosk.export(2, staging)
    genuine = path.read_bytes()
    forged, forged_number = forged_after(genuine, bo, tmp_path)
    usb.mkdir()
    fifo = usb / path.name
    os.mkfifo(fifo)
    server = FifoServer(fifo, genuine, forged)
    server.start()
    try:
        report = bo.import_path(usb)
    finally:
        server.halt.set()
        server.join(5)
    assert forged_number not in stored_numbers(bo), "a forged application was imported under a real kiosk's name"
    assert report.created == 0 and len(report.refused_files) == 1
    assert "not a regular file" in report.refused_files[0]


def test_a_symbolic_link_is_refused_and_the_real_files_beside_it_imported(bo, kiosk, tmp_path):
    usb, elsewhere = tmp_path / "usb", tmp_path / "elsewhere"
    linked, linked_numbers = kiosk.export(2, elsewhere)
    _, real_numbers = kiosk.export(1, usb)
    (usb / ("a-link" + proto.EXPORT_SUFFIX)).symlink_to(linked)
    report = bo.import_path(usb)
    assert stored_numbers(bo) == set(real_numbers)
    assert report.files == 1 and report.created == 1
    assert len(report.refused_files) == 1 and "link" in report.refused_files[0]
    # A link given as the path itself is refused too: nothing is read through it.
    report = bo.import_path(usb / ("a-link" + proto.EXPORT_SUFFIX))
    assert report.created == 0 and report.refused_files and not set(linked_numbers) & stored_numbers(bo)


def test_an_oversized_file_is_refused_without_reading_it(bo, kiosk, tmp_path):
    from backoffice.handcarry import MAX_EXPORT_BYTES
    usb = tmp_path / "usb"
    _, numbers = kiosk.export(1, usb)
    huge = usb / ("huge" + proto.EXPORT_SUFFIX)
    with open(huge, "wb") as f:                       # sparse: costs no disk, would cost memory
        f.truncate(MAX_EXPORT_BYTES + 1)
    report = bo.import_path(usb)
    assert stored_numbers(bo) == set(numbers)
    assert len(report.refused_files) == 1 and "larger than" in report.refused_files[0]
    # The cap can be lowered (`python -m backoffice import --max-mb`): the genuine file is then refused too.
    small = bo.import_path(usb, max_bytes=100)
    assert small.files == 0 and len(small.refused_files) == 2


def test_one_bad_file_does_not_stop_the_good_ones(bo, kiosk, tmp_path):
    usb = tmp_path / "usb"
    _, first = kiosk.export(2, usb)
    _, second = kiosk.export(3, usb)
    usb.joinpath("0-not-an-object" + proto.EXPORT_SUFFIX).write_bytes(b"[1, 2]\n")
    usb.joinpath("1-not-json" + proto.EXPORT_SUFFIX).write_bytes(b"\xff\xfe garbage\n")
    report = bo.import_path(usb)
    assert stored_numbers(bo) == set(first + second)
    assert (report.files, report.created, len(report.refused_files)) == (2, 5, 2)


def test_a_device_node_is_refused(bo, tmp_path):
    usb = tmp_path / "usb"
    usb.mkdir()
    (usb / ("null" + proto.EXPORT_SUFFIX)).symlink_to("/dev/null")   # through a link, or ...
    report = bo.import_path(Path("/dev/null"))                       # ... named directly
    assert report.created == 0 and "not a regular file" in report.refused_files[0]
    report = bo.import_path(usb)
    assert report.created == 0 and len(report.refused_files) == 1


def test_file_names_with_control_characters_are_printed_escaped(bo, kiosk, tmp_path, capsys, caplog):
    from backoffice.cli import main
    usb = tmp_path / "usb"
    kiosk.export(1, usb)
    evil = "\x1b]0;pwned\x07\x1b[2J\rREFUSED nothing" + proto.EXPORT_SUFFIX
    (usb / evil).write_bytes(b"not an export\n")
    caplog.set_level(logging.INFO)
    code = main(["import", str(usb), "--data-dir", str(tmp_path / "bo")])
    out, err = capsys.readouterr()
    assert code == 1                              # something was refused
    shown = out + err + caplog.text
    assert "\x1b" not in shown and "\x07" not in shown and "\r" not in shown
    assert "\\x1b]0;pwned" in err                 # the operator still sees which file it was
