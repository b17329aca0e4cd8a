"""Chips the kiosk must read although they bend ICAO 9303 (issue 11), through the in-process
transport (no pcscd): short-file reads refused, DG2 without its group template, DG15 left out of
EF.COM, and a PACE document that ends up on BAC."""
from __future__ import annotations

import time
from datetime import date

import pytest

from kiosk.devices.icao import messages as msg
from kiosk.devices.icao.identity import decode_face, to_identity
from kiosk.devices.icao.mrz import MrzKey
from kiosk.devices.icao.pcsc import PcscCardReader
from kiosk.devices.icao.reader import ReadOptions, read_document
from kiosk.devices.icao.sod import TrustStore
from testkit.vcard import pki
from testkit.vcard.card import Misbehaviour, VirtualPassport
from testkit.vcard.document import DocumentProfile
from testkit.vcard.transport import InProcessTransport

KEY = MrzKey("EA1234567", "900315", "340101")
TODAY = date(2026, 11, 23)


@pytest.fixture(scope="module")
def trust() -> TrustStore:
    return TrustStore.load(pki.CSCA_DIR)


def read(trust, profile=DocumentProfile(), mis=Misbehaviour(), options=ReadOptions()):
    card = VirtualPassport(profile, mis)
    return read_document(InProcessTransport(card), KEY, trust, deadline=time.monotonic() + 10, options=options,
                         today=TODAY)


@pytest.mark.parametrize("sw", [0x6A82, 0x6A86, 0x6D00, 0x6E00], ids=lambda sw: f"{sw:04X}")
def test_chip_refusing_short_file_reads_is_read_by_file_id(trust, sw):
    r = read(trust, mis=Misbehaviour(refuse_sfi=sw))
    assert r.access_control.startswith("PACE-ECDH-GM")       # EF.CardAccess, too, was found by its file id
    assert r.read_mode == "extended+select"
    assert r.data_groups == (1, 2, 11, 14, 15) and r.verdicts.genuine and r.verdicts.chip_genuine is True
    ident = to_identity(r, TODAY)
    assert ident.document_number == "EA1234567" and decode_face(ident.photo).shape == (480, 360, 3)


@pytest.mark.parametrize("profile", [DocumentProfile(), DocumentProfile(with_dg11=False, with_aa=False),
                                     DocumentProfile(pace=False)])
def test_the_way_that_works_is_remembered_so_a_refusing_chip_costs_few_extra_apdus(trust, profile):
    plain = read(trust, profile)
    refusing = read(trust, profile, Misbehaviour(refuse_sfi=0x6A82))
    files = len(refusing.data_groups) + 2                     # + EF.COM and EF.SOD
    # one refused read of the first file, then SELECT + READ BINARY instead of READ BINARY per file
    # (EF.CardAccess included when it is there); without the memory it would be two more per file
    extra = files + (1 if profile.pace else 0) + 1
    assert refusing.verdicts.genuine and refusing.apdu_count <= plain.apdu_count + extra, \
        (plain.apdu_count, refusing.apdu_count)


def test_refused_short_file_reads_with_short_apdus_only(trust):
    r = read(trust, mis=Misbehaviour(refuse_sfi=0x6D00, extended_in_atr=False))
    assert r.read_mode == "short-223+select" and r.verdicts.genuine


def test_dg2_without_its_group_template_still_gives_the_face(trust):
    r = read(trust, mis=Misbehaviour(dg2_without_group=True))
    assert r.verdicts.genuine and r.face is not None
    assert decode_face(to_identity(r, TODAY).photo).shape == (480, 360, 3)


def test_dg15_missing_from_ef_com_does_not_skip_the_clone_check(trust):
    r = read(trust, mis=Misbehaviour(com_omits=(14, 15), clone=True))
    assert r.verdicts.chip_genuine is False and not r.verdicts.genuine
    r = read(trust, mis=Misbehaviour(com_omits=(15,)))
    assert r.verdicts.chip_genuine is True and r.verdicts.genuine and 15 in r.data_groups


def test_pace_document_read_over_bac_is_flagged_as_a_downgrade(trust):
    r = read(trust, mis=Misbehaviour(refuse_pace=True))
    assert r.access_control == "BAC"
    v = r.verdicts
    assert v.data_integrity and v.signer_trusted and v.chip_genuine is True
    assert v.downgraded and not v.genuine and any("PACE" in p for p in v.problems)


def test_bac_only_document_is_no_downgrade(trust):
    r = read(trust, DocumentProfile(pace=False))
    assert r.access_control == "BAC" and not r.verdicts.downgraded and r.verdicts.genuine


def test_downgrade_tells_the_citizen_to_see_staff(trust, caplog):
    reader = PcscCardReader("none", trust_store=trust, today=lambda: TODAY)
    card = VirtualPassport(misbehaviour=Misbehaviour(refuse_pace=True))
    result = reader._result(reader._read_chip(InProcessTransport(card), KEY, time.monotonic() + 10))
    assert not result.genuine and result.problem == msg.DOWNGRADED
    assert result.problem.zh and result.problem.en and "STAFF ALERT" in caplog.text
    assert "EA1234567" not in caplog.text


def test_hidden_ef_card_access_is_caught_by_the_signed_dg14(trust):
    r = read(trust, mis=Misbehaviour(hide_card_access=True))
    assert r.access_control == "BAC" and r.verdicts.data_integrity and r.verdicts.chip_genuine is True
    assert r.verdicts.downgraded and not r.verdicts.genuine


def test_kiosk_configured_for_bac_is_not_the_documents_fault(trust):
    r = read(trust, options=ReadOptions(prefer_pace=False))
    assert r.access_control == "BAC" and not r.verdicts.downgraded and r.verdicts.genuine


def test_chip_refusing_256_byte_reads_still_gets_pace(trust):
    # EF.CardAccess used to be read once with Le=256; a chip refusing that went silently to BAC
    r = read(trust, mis=Misbehaviour(refuse_extended=True, max_le=160))
    assert r.access_control.startswith("PACE-ECDH-GM") and r.read_mode == "short-160" and r.verdicts.genuine
