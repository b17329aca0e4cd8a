"""The ICAO protocol against the virtual eMRTD through the in-process transport (no pcscd)."""
from __future__ import annotations

import time
from datetime import date

import pytest

from kiosk.devices.icao import messages as msg
from kiosk.devices.icao.errors import AccessDenied, CardRemoved, SecureMessagingError
from kiosk.devices.icao.identity import decode_face, to_identity
from kiosk.devices.icao.mrz import CanKey, MrzKey
from kiosk.devices.icao.pcsc import PcscCardReader
from kiosk.devices.icao.reader import ReadOptions, read_document
from kiosk.devices.icao.sod import TrustStore
from kiosk.devices.ports import CardError
from testkit.vcard import pki
from testkit.vcard.card import Misbehaviour, VirtualPassport
from testkit.vcard.document import NIST_P256, DocumentProfile
from testkit.vcard.transport import InProcessTransport

KEY = MrzKey("EA1234567", "900315", "340101")
TODAY = date(2026, 11, 23)


@pytest.fixture(scope="module")
def trust() -> TrustStore:
    return TrustStore.load(pki.CSCA_DIR)


def read(trust, key=KEY, profile=DocumentProfile(), mis=Misbehaviour(), options=ReadOptions(), today=TODAY):
    card = VirtualPassport(profile, mis)
    return read_document(InProcessTransport(card), key, trust, deadline=time.monotonic() + 10, options=options,
                         today=today)


def test_pace_with_the_mrz_reads_everything_and_all_checks_pass(trust):
    r = read(trust)
    assert r.access_control == "PACE-ECDH-GM AES-128 brainpoolP256r1 (MRZ)"
    assert r.read_mode == "extended" and r.apdu_count < 40
    assert r.data_groups == (1, 2, 11, 14, 15)
    v = r.verdicts
    assert (v.data_integrity, v.signer_trusted, v.chip_genuine, v.expired, v.genuine) == (True, True, True, False, True)
    ident = to_identity(r, TODAY)
    assert (ident.document_number, ident.name, ident.name_latin, ident.sex) == ("EA1234567", "张晓梅", "ZHANG XIAOMEI", "F")
    assert (ident.birth_date, ident.expiry_date, ident.nationality) == (date(1990, 3, 15), date(2034, 1, 1), "CHN")
    assert ident.personal_number == "11010119900315002X" and ident.address == "北京市东城区景山前街4号"
    assert ident.photo.startswith(b"\xff\xd8") and decode_face(ident.photo).shape == (480, 360, 3)


def test_pace_with_the_can_on_nist_p256_and_rsa_active_authentication(trust):
    r = read(trust, CanKey("123456"), DocumentProfile(pace_parameter=NIST_P256, aa_kind="rsa"))
    assert r.access_control == "PACE-ECDH-GM AES-128 secp256r1 (CAN)"
    assert r.verdicts.genuine and r.verdicts.chip_genuine is True and 14 not in r.data_groups


def test_pace_3des_session(trust):
    r = read(trust, profile=DocumentProfile(pace_oid="0.4.0.127.0.7.2.2.4.2.1"))
    assert r.access_control.startswith("PACE-ECDH-GM 3DES") and r.verdicts.genuine


def test_bac_when_the_chip_has_no_card_access(trust):
    r = read(trust, profile=DocumentProfile(pace=False))
    assert r.access_control == "BAC" and r.verdicts.genuine


def test_can_cannot_open_a_bac_only_document(trust):
    with pytest.raises(AccessDenied):
        read(trust, CanKey("123456"), DocumentProfile(pace=False))


@pytest.mark.parametrize("profile, key", [
    (DocumentProfile(), MrzKey("EA1234567", "900316", "340101")),
    (DocumentProfile(), CanKey("654321")),
    (DocumentProfile(pace=False), MrzKey("EA1234567", "900316", "340101")),
])
def test_wrong_access_key_is_access_denied(trust, profile, key):
    with pytest.raises(AccessDenied):
        read(trust, key, profile)


def test_td1_id_card_with_jpeg2000_face_and_no_dg11(trust):
    profile = DocumentProfile(format="TD1", doc_code="ID", number="C01X00T47", photo="jpeg2000", with_dg11=False)
    r = read(trust, MrzKey("C01X00T47", "900315", "340101"), profile)
    assert r.mrz.format == "TD1" and r.details is None and r.face is not None and r.face.format == "jpeg2000"
    ident = to_identity(r, TODAY)
    assert ident.name == "ZHANG XIAOMEI" and decode_face(ident.photo).shape == (480, 360, 3)


def test_td2_document(trust):
    profile = DocumentProfile(format="TD2", doc_code="I", number="D1234567")
    r = read(trust, MrzKey("D1234567", "900315", "340101"), profile)
    assert r.mrz.format == "TD2" and r.verdicts.genuine


def test_corrupted_data_group_fails_integrity_only(trust):
    v = read(trust, mis=Misbehaviour(corrupt_dg=2)).verdicts
    assert (v.data_integrity, v.signer_trusted, v.chip_genuine, v.genuine) == (False, True, True, False)
    assert any("DG2" in p for p in v.problems)


def test_sod_from_an_unknown_csca_is_not_trusted(trust):
    v = read(trust, mis=Misbehaviour(unknown_csca=True)).verdicts
    assert (v.data_integrity, v.signer_trusted, v.genuine) == (True, False, False)


def test_cloned_chip_fails_active_authentication(trust):
    v = read(trust, mis=Misbehaviour(clone=True)).verdicts
    assert (v.data_integrity, v.signer_trusted, v.chip_genuine, v.genuine) == (True, True, False, False)


def test_expired_document_is_reported(trust):
    r = read(trust, profile=DocumentProfile(expiry="240101"), key=MrzKey("EA1234567", "900315", "240101"))
    assert r.verdicts.expired and r.verdicts.genuine


def test_empty_trust_store_trusts_nobody(tmp_path):
    v = read(TrustStore.load(tmp_path)).verdicts
    assert v.data_integrity and not v.signer_trusted


def test_extended_refused_falls_back_to_223_then_160(trust):
    r = read(trust, mis=Misbehaviour(refuse_extended=True))
    assert r.read_mode == "short-223" and r.verdicts.genuine
    r = read(trust, mis=Misbehaviour(refuse_extended=True, max_le=160))
    assert r.read_mode == "short-160" and r.verdicts.genuine


def test_reader_that_cannot_carry_extended_apdus_falls_back(trust):
    card = VirtualPassport()
    r = read_document(InProcessTransport(card, reader_extended=False), KEY, trust, deadline=time.monotonic() + 10)
    assert r.read_mode == "short-223" and r.verdicts.genuine


def test_no_extended_length_in_the_atr_means_short_reads(trust):
    r = read(trust, mis=Misbehaviour(extended_in_atr=False))
    assert r.read_mode == "short-223" and 80 < r.apdu_count < 140


def test_card_removed_mid_read(trust):
    with pytest.raises(CardRemoved):
        read(trust, mis=Misbehaviour(remove_after=9))


def test_response_with_a_wrong_mac_is_rejected(trust):
    with pytest.raises(SecureMessagingError):
        read(trust, mis=Misbehaviour(bad_mac_at=8))


def test_deadline_between_apdus(trust):
    with pytest.raises(TimeoutError):
        card = VirtualPassport(misbehaviour=Misbehaviour(apdu_delay=0.05))
        read_document(InProcessTransport(card), KEY, trust, deadline=time.monotonic() + 0.2)


def test_chip_rejects_unprotected_reads_after_bac_and_tampered_commands():
    card = VirtualPassport(DocumentProfile(pace=False))
    t = InProcessTransport(card)
    assert t.transmit(bytes.fromhex("00A4040C07A0000002471001"))[-2:] == b"\x90\x00"
    assert t.transmit(bytes.fromhex("00B0810000"))[-2:] == b"\x69\x82"     # BAC enforced
    assert t.transmit(bytes.fromhex("0CB081000E970100") + bytes.fromhex("8E080102030405060708") + b"\x00")[-2:] in (
        b"\x69\x88", b"\x69\x82")


# --- the PcscCardReader's mapping of outcomes to citizen messages (no PC/SC needed) ---------------
def _reader(trust) -> PcscCardReader:
    return PcscCardReader("none", trust_store=trust, today=lambda: TODAY)


@pytest.mark.parametrize("mis, key, reason", [
    (Misbehaviour(), MrzKey("EA1234567", "900315", "340102"), msg.WRONG_KEY),
    (Misbehaviour(remove_after=12), KEY, msg.REMOVED),
    (Misbehaviour(bad_mac_at=10), KEY, msg.UNREADABLE),
])
def test_reader_errors_tell_the_citizen_what_to_do(trust, mis, key, reason):
    reader = _reader(trust)
    with pytest.raises(CardError) as err:
        reader._read_chip(InProcessTransport(VirtualPassport(misbehaviour=mis)), key, time.monotonic() + 10)
    assert err.value.reason == reason


@pytest.mark.parametrize("mis, genuine", [(Misbehaviour(), True), (Misbehaviour(clone=True), False),
                                          (Misbehaviour(unknown_csca=True), False), (Misbehaviour(corrupt_dg=1), False)])
def test_reader_result_flags_forgeries_for_staff(trust, mis, genuine, caplog):
    reader = _reader(trust)
    chip = reader._read_chip(InProcessTransport(VirtualPassport(misbehaviour=mis)), KEY, time.monotonic() + 10)
    result = reader._result(chip)
    assert result.genuine is genuine and result.apdu_count == chip.apdu_count
    assert (result.problem == msg.NOT_GENUINE) is (not genuine)
    assert ("STAFF ALERT" in caplog.text) is (not genuine)
    assert "EA1234567" not in caplog.text and "张晓梅" not in caplog.text


def test_reader_explains_an_expired_document(trust):
    reader = _reader(trust)
    key = MrzKey("EA1234567", "900315", "240101")
    chip = reader._read_chip(InProcessTransport(VirtualPassport(DocumentProfile(expiry="240101"))), key,
                             time.monotonic() + 10)
    result = reader._result(chip)
    assert result.genuine and result.problem is not None and "2024-01-01" in result.problem.en
    assert result.identity.is_expired(TODAY)
