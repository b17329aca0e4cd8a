"""The demo's cards are real ICAO chips (virtual) read through the same reader code as PC/SC."""
from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.devices.ports import CardError
from kiosk.devices.sim.citizens import load_citizens
from testkit.chip_reader import SimChipReader
from testkit.vcard import pki

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def citizens():
    return load_citizens(ROOT / "assets" / "demo" / "citizens.yaml")


def test_demo_card_reads_back_the_citizen_with_verdicts(citizens):
    reader = SimChipReader(pki.CSCA_DIR)
    c = citizens[0]
    reader.insert(c.identity)
    assert reader.wait_for_insert(0.1)
    result = reader.read(5.0)
    got = result.identity
    assert result.genuine and result.problem is None and result.apdu_count > 5
    assert (got.name, got.document_number, got.birth_date, got.personal_number) == \
        (c.identity.name, c.identity.document_number, c.identity.birth_date, c.identity.personal_number)
    assert got.photo == c.identity.photo              # DG2 carries the citizen's photo unchanged
    assert got.address and got.address.replace("<", "") == c.identity.address.replace(" ", "")


def test_demo_card_under_an_unknown_csca_is_not_trusted(citizens, tmp_path):
    (tmp_path / "empty").mkdir()
    reader = SimChipReader(tmp_path / "empty")       # no trusted CSCA: the signer cannot be trusted
    reader.insert(citizens[1].identity)
    result = reader.read(5.0)
    assert not result.genuine and "staffed counter" in result.problem.en


def test_no_card_is_a_plain_error(citizens):
    with pytest.raises(CardError):
        SimChipReader(pki.CSCA_DIR).read(1.0)
