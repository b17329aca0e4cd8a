"""End to end through the real PC/SC stack: pyscard -> pcscd -> vpcd -> our virtual eMRTD.

The session fixture starts pcscd (scripts/pcsc.sh) when the vpcd reader is not visible, and FAILS
(never skips) when it cannot: CI must run these tests.
"""
from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from kiosk.devices.icao import messages as msg
from kiosk.devices.icao.identity import decode_face
from kiosk.devices.icao.mrz import CanKey, MrzKey
from kiosk.devices.icao.pcsc import PcscCardReader, list_readers
from kiosk.devices.icao.reader import ReadOptions
from kiosk.devices.ports import CardError
from testkit.vcard import pki
from testkit.vcard.card import Misbehaviour, VirtualPassport
from testkit.vcard.document import DocumentProfile
from testkit.vcard.vpcd import VpcdCard

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
READER = "Virtual PCD 00 00"
KEY = MrzKey("EA1234567", "900315", "340101")
MRZ = DocumentProfile().mrz()


@pytest.fixture(scope="session")
def pcsc() -> str:
    if READER not in list_readers():
        proc = subprocess.run(["bash", "-c", "source scripts/pcsc.sh && start_pcsc"], cwd=ROOT,
                              capture_output=True, text=True, timeout=60,
                              env={**os.environ, "PCSC_PYTHON": sys.executable})
        if proc.returncode != 0 or READER not in list_readers():
            pytest.fail(f"could not start pcscd with the vpcd reader: {proc.stdout}{proc.stderr}", pytrace=False)
    return READER


def _wait_reader(present: bool, timeout: float = 10.0) -> None:
    """Block until pcscd sees the reader's slot in the wanted state (bounded)."""
    from smartcard import scard
    hr, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    try:
        state = scard.SCARD_STATE_UNAWARE
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            hr, states = scard.SCardGetStatusChange(ctx, 0 if state == scard.SCARD_STATE_UNAWARE else 500,
                                                    [(READER, state)])
            if hr == scard.SCARD_S_SUCCESS:
                state = states[0][1] & ~scard.SCARD_STATE_CHANGED
                if bool(state & scard.SCARD_STATE_PRESENT) == present:
                    return
        raise AssertionError(f"reader never became {'present' if present else 'empty'}")
    finally:
        scard.SCardReleaseContext(ctx)


@pytest.fixture
def insert(pcsc) -> Iterator:
    """insert(profile=..., misbehaviour=...) puts a virtual document on the reader; removed at teardown."""
    cards: list[VpcdCard] = []
    _wait_reader(False)

    def _insert(profile: DocumentProfile = DocumentProfile(), misbehaviour: Misbehaviour = Misbehaviour()) -> VpcdCard:
        card = VpcdCard(VirtualPassport(profile, misbehaviour))
        card.insert()
        cards.append(card)
        _wait_reader(True)
        return card

    yield _insert
    for card in cards:
        card.remove()
    _wait_reader(False)


@pytest.fixture
def reader(pcsc) -> Iterator[PcscCardReader]:
    r = PcscCardReader(pcsc, trust_store=pki.CSCA_DIR)
    r.set_access_key(KEY)
    yield r
    r.close()


def test_lists_the_vpcd_reader(pcsc):
    assert READER in list_readers()


def test_waits_for_insertion_and_removal_with_timeouts(reader, insert):
    t0 = time.monotonic()
    assert reader.wait_for_insert(0.3) is False
    assert 0.25 < time.monotonic() - t0 < 1.5
    card = insert()
    assert reader.wait_for_insert(5.0) is True
    assert reader.wait_for_removal(0.3) is False
    card.remove()
    assert reader.wait_for_removal(5.0) is True


def test_full_read_with_pace_and_every_check(reader, insert):
    insert()
    assert reader.wait_for_insert(5.0)
    result = reader.read(10.0)
    chip = reader.last_read
    assert result.genuine and result.problem is None
    assert chip is not None and chip.access_control.startswith("PACE-ECDH-GM AES-128 brainpoolP256r1")
    assert chip.read_mode == "extended" and result.apdu_count == chip.apdu_count < 40
    ident = result.identity
    assert (ident.document_number, ident.name, ident.name_latin) == ("EA1234567", "张晓梅", "ZHANG XIAOMEI")
    assert ident.personal_number == "11010119900315002X" and ident.address == "北京市东城区景山前街4号"
    assert decode_face(ident.photo).shape == (480, 360, 3)


def test_can_and_bac_only_documents(reader, insert):
    reader.set_access_key(CanKey("123456"))
    card = insert()
    assert reader.wait_for_insert(5.0) and reader.read(10.0).genuine
    card.remove()
    assert reader.wait_for_removal(5.0)
    reader.set_access_key(KEY)
    insert(DocumentProfile(pace=False, photo="jpeg2000"))
    assert reader.wait_for_insert(5.0)
    result = reader.read(10.0)
    assert result.genuine and reader.last_read is not None and reader.last_read.access_control == "BAC"
    assert decode_face(result.identity.photo).shape == (480, 360, 3)


def test_wrong_mrz_tells_the_citizen_to_check(reader, insert):
    reader.set_access_key(MrzKey("EA1234567", "900315", "340102"))
    insert()
    assert reader.wait_for_insert(5.0)
    with pytest.raises(CardError) as err:
        reader.read(10.0)
    assert err.value.reason == msg.WRONG_KEY
    assert err.value.reason.en == "The details don't match the document, check and try again."


def test_card_pulled_mid_read_ends_cleanly(reader, insert):
    insert(misbehaviour=Misbehaviour(remove_after=10))
    assert reader.wait_for_insert(5.0)
    with pytest.raises(CardError) as err:
        reader.read(10.0)
    assert err.value.reason == msg.REMOVED
    assert reader.wait_for_removal(5.0)


@pytest.mark.parametrize("misbehaviour, verdicts", [
    (Misbehaviour(corrupt_dg=2), (False, True, True)),
    (Misbehaviour(unknown_csca=True), (True, False, True)),
    (Misbehaviour(clone=True), (True, True, False)),
])
def test_forged_untrusted_or_cloned_documents_stop_with_a_staff_alert(reader, insert, misbehaviour, verdicts, caplog):
    insert(misbehaviour=misbehaviour)
    assert reader.wait_for_insert(5.0)
    result = reader.read(10.0)
    v = reader.last_read.verdicts if reader.last_read else None
    assert v is not None and (v.data_integrity, v.signer_trusted, v.chip_genuine) == verdicts
    assert not result.genuine and result.problem == msg.NOT_GENUINE
    assert "STAFF ALERT" in caplog.text


def test_forged_secure_messaging_response_is_refused(reader, insert, caplog):
    insert(misbehaviour=Misbehaviour(bad_mac_at=9))
    assert reader.wait_for_insert(5.0)
    with pytest.raises(CardError) as err:
        reader.read(10.0)
    assert err.value.reason == msg.UNREADABLE and "MAC" in err.value.detail
    assert "STAFF ALERT" in caplog.text


def test_expired_document_is_explained(reader, insert):
    reader.set_access_key(MrzKey("EA1234567", "900315", "240101"))
    insert(DocumentProfile(expiry="240101"))
    assert reader.wait_for_insert(5.0)
    result = reader.read(10.0)
    assert result.genuine and result.identity.is_expired(date.today())
    assert result.problem is not None and "2024-01-01" in result.problem.en


def test_chip_refusing_extended_length_falls_back(reader, insert):
    insert(misbehaviour=Misbehaviour(refuse_extended=True))
    assert reader.wait_for_insert(5.0)
    assert reader.read(10.0).genuine
    assert reader.last_read is not None and reader.last_read.read_mode == "short-223"


@pytest.mark.parametrize("extended, limit, max_apdus", [(True, 1.0, 40), (False, 2.5, 200)])
def test_read_with_15ms_per_apdu_meets_the_targets(pcsc, insert, extended, limit, max_apdus):
    reader = PcscCardReader(pcsc, trust_store=pki.CSCA_DIR, options=ReadOptions(extended_length=extended))
    reader.set_access_key(KEY)
    try:
        insert(misbehaviour=Misbehaviour(apdu_delay=0.015))
        assert reader.wait_for_insert(5.0)
        result = reader.read(10.0)
    finally:
        reader.close()
    assert result.genuine and result.apdu_count < max_apdus and result.seconds <= limit, \
        (result.apdu_count, result.seconds)


def test_cli_reads_and_writes_the_photo_only_when_asked(pcsc, insert, tmp_path):
    insert()
    photo = tmp_path / "face.jpg"
    cmd = [sys.executable, "-m", "kiosk.cli.card", "read", "--reader", pcsc, "--mrz", MRZ, "--json",
           "--trust-store", str(pki.CSCA_DIR)]
    out = subprocess.run(cmd + ["--photo-out", str(photo)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["dg1"]["document_number"] == "EA1234567" and data["dg1"]["check_digits_ok"]
    assert data["verdicts"] == {"data_integrity": True, "signer_trusted": True, "chip_genuine": True,
                                "expired": False, "genuine": True, "problems": []}
    assert data["apdu_count"] < 40 and set(data["timings"]) >= {"access_control", "read_files", "passive_auth"}
    assert photo.read_bytes().startswith(b"\xff\xd8") and data["photo"]["written_to"] == str(photo)
    before = set(tmp_path.iterdir())
    out = subprocess.run([sys.executable, "-m", "kiosk.cli.card", "read", "--reader", pcsc, "--doc-number",
                          "EA1234567", "--birth", "900315", "--expiry", "340102", "--json"],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 1 and "don't match" in json.loads(out.stdout)["error"]
    assert set(tmp_path.iterdir()) == before


def test_cli_trusts_no_test_csca_unless_told_to(pcsc, insert):
    """`kiosk card read` on a real reader uses the configured trust store (empty as shipped), not the
    demo's TEST CSCA, whose Document Signer key is public: a chip signed under it is not genuine."""
    insert()
    env = {k: v for k, v in os.environ.items() if k != "ONEVISIT_DEVICES_CSCA_DIR"}
    out = subprocess.run([sys.executable, "-m", "kiosk.cli.card", "read", "--reader", pcsc, "--mrz", MRZ, "--json"],
                         cwd=ROOT, capture_output=True, text=True, timeout=60, env=env)
    assert out.returncode == 3, out.stderr
    assert json.loads(out.stdout)["verdicts"]["signer_trusted"] is False
    assert "trust store is empty" in out.stderr
    out = subprocess.run([sys.executable, "-m", "kiosk.cli.card", "read", "--reader", pcsc, "--mrz", MRZ, "--json"],
                         cwd=ROOT, capture_output=True, text=True, timeout=60,
                         env={**env, "ONEVISIT_DEVICES_CSCA_DIR": str(pki.CSCA_DIR)})
    assert out.returncode == 0 and "holds a TEST certificate" in out.stderr


def test_runtime_card_thread_reads_through_pcsc(pcsc, insert, tmp_path):
    """The kiosk's card thread with the real backend: insert -> CardInserted, ReadCard -> CardRead."""
    from kiosk.devices.sim.face import SimFaceVerifier
    from kiosk.devices.sim.printer import FolderPrinter
    from kiosk.flows import effects as fx
    from kiosk.flows import events as ev
    from kiosk.runtime import Devices, Runtime

    reader = PcscCardReader(pcsc, trust_store=pki.CSCA_DIR)
    reader.set_access_key(KEY)
    posted: queue.Queue = queue.Queue()
    rt = Runtime(devices=Devices(card_reader=reader, camera_for=lambda _p: None, face=SimFaceVerifier(),  # type: ignore[arg-type]
                                 printer=FolderPrinter(tmp_path)),
                 catalogue=lambda: None, kiosk_id="3301060001", open_storage=lambda: None,  # type: ignore[arg-type]
                 render_receipt=lambda _a: b"", post=posted.put)
    rt.start()
    try:
        card = insert()
        assert isinstance(posted.get(timeout=5), ev.CardInserted)
        rt.perform(fx.ReadCard(7))
        read = posted.get(timeout=10)
        assert isinstance(read, ev.CardRead) and read.attempt == 7 and read.genuine
        assert read.identity.name == "张晓梅"
        card.remove()
        assert isinstance(posted.get(timeout=5), ev.CardRemoved)
    finally:
        assert rt.shutdown(5.0)


def test_kiosk_asks_for_the_can_then_reads_through_pcscd(pcsc, insert, tmp_path):
    """The kiosk's card thread on the real PC/SC stack: no key -> AccessKeyNeeded; a wrong CAN ->
    AccessKeyNeeded(wrong); the right CAN -> CardRead with a trusted identity."""
    from kiosk.devices.sim.face import SimFaceVerifier
    from kiosk.devices.sim.printer import FolderPrinter
    from kiosk.flows import effects as fx
    from kiosk.flows import events as ev
    from kiosk.runtime import Devices, Runtime, Timeouts

    events: queue.Queue = queue.Queue()
    reader = PcscCardReader(pcsc, trust_store=pki.CSCA_DIR)
    rt = Runtime(devices=Devices(reader, lambda photo: None, SimFaceVerifier(), FolderPrinter(tmp_path)),
                 catalogue=lambda: None, kiosk_id="3301060001", open_storage=lambda: None,
                 render_receipt=lambda app: b"", post=events.put, timeouts=Timeouts(card_read=10))

    def next_event(kind, timeout=15.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                e = events.get(timeout=0.1)
            except queue.Empty:
                continue
            if isinstance(e, kind):
                return e
        raise AssertionError(f"no {kind.__name__}")

    rt.start()
    try:
        profile = DocumentProfile()
        insert(profile)
        next_event(ev.CardInserted)
        rt.perform(fx.ReadCard(1))
        assert not next_event(ev.AccessKeyNeeded).wrong
        rt.perform(fx.ReadCard(1, can="000000" if profile.can != "000000" else "111111"))
        assert next_event(ev.AccessKeyNeeded).wrong
        rt.perform(fx.ReadCard(1, can=profile.can))
        read = next_event(ev.CardRead)
        assert read.genuine and read.identity.document_number == profile.number
    finally:
        assert rt.shutdown(5.0)


# --- chips that bend ICAO 9303 (issue 11) ---------------------------------------------------------
@pytest.mark.parametrize("sw", [0x6A82, 0x6D00], ids=lambda sw: f"{sw:04X}")
def test_chip_refusing_short_file_reads_is_read_by_file_id(reader, insert, sw):
    insert(misbehaviour=Misbehaviour(refuse_sfi=sw))
    assert reader.wait_for_insert(5.0)
    result = reader.read(10.0)
    chip = reader.last_read
    assert result.genuine and result.problem is None
    assert chip is not None and chip.read_mode == "extended+select" and chip.access_control.startswith("PACE")
    assert chip.data_groups == (1, 2, 11, 14, 15) and result.apdu_count < 30
    assert decode_face(result.identity.photo).shape == (480, 360, 3)


def test_dg2_without_its_group_template_gives_the_face(reader, insert):
    insert(misbehaviour=Misbehaviour(dg2_without_group=True))
    assert reader.wait_for_insert(5.0)
    result = reader.read(10.0)
    assert result.genuine and decode_face(result.identity.photo).shape == (480, 360, 3)


def test_cloned_chip_hiding_dg15_from_ef_com_is_caught(reader, insert, caplog):
    insert(misbehaviour=Misbehaviour(com_omits=(14, 15), clone=True))
    assert reader.wait_for_insert(5.0)
    result = reader.read(10.0)
    assert reader.last_read is not None and reader.last_read.verdicts.chip_genuine is False
    assert not result.genuine and result.problem == msg.NOT_GENUINE and "STAFF ALERT" in caplog.text


@pytest.mark.parametrize("misbehaviour", [Misbehaviour(refuse_pace=True), Misbehaviour(hide_card_access=True)],
                         ids=["pace-refused", "card-access-hidden"])
def test_pace_document_that_only_opens_bac_is_a_downgrade(reader, insert, caplog, misbehaviour):
    insert(misbehaviour=misbehaviour)
    assert reader.wait_for_insert(5.0)
    result = reader.read(10.0)
    assert reader.last_read is not None and reader.last_read.access_control == "BAC"
    assert reader.last_read.verdicts.downgraded
    assert not result.genuine and result.problem == msg.DOWNGRADED and "STAFF ALERT" in caplog.text


def test_refusing_chip_with_15ms_per_apdu_meets_the_target(pcsc, insert):
    insert(misbehaviour=Misbehaviour(refuse_sfi=0x6A82, apdu_delay=0.015))
    r = PcscCardReader(pcsc, trust_store=pki.CSCA_DIR)
    r.set_access_key(KEY)
    try:
        assert r.wait_for_insert(5.0)
        result = r.read(10.0)
    finally:
        r.close()
    assert result.genuine and result.apdu_count < 30 and result.seconds <= 1.0, (result.apdu_count, result.seconds)
