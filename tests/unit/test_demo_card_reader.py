"""The demo tray's resident ID citizens are read through the SAM frames, ICAO citizens through their chip."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from kiosk.config import load_config
from kiosk.demo import demo_card_reader
from kiosk.devices.idcard import frames
from kiosk.devices.idcard.photo import DEMO_MARK, DemoPhotoDecoder, PhotoUnavailable
from kiosk.devices.sim.citizens import load_citizens
from testkit.demo_wlt import demo_wlt
from testkit.sam_emulator import DEMO_ONLY_PHOTO

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture(scope="module")
def citizens():
    return {c.id: c for c in load_citizens(ROOT / "assets" / "demo" / "citizens.yaml")}


@pytest.fixture
def reader():
    r = demo_card_reader(load_config(env={}))
    yield r
    r.close()


def test_the_autopilot_default_stays_chen_hao_on_his_icao_chip(citizens):
    first = next(iter(citizens.values()))
    assert first.id == "chen_hao" and first.identity.card_type == "emrtd"
    assert any(c.identity.card_type == "resident_id" for c in citizens.values())


def test_a_resident_id_citizen_is_read_through_the_sam_frames_with_the_demo_photo(citizens, reader):
    c = citizens["zhou_lei"]
    reader.insert(c.identity)
    assert reader.wait_for_insert(0.1)
    result = reader.read(5.0)
    got = result.identity
    assert frames.CMD_READ_BASE in reader.emulator.commands     # the SAM protocol carried the card
    assert result.genuine and got.card_type == "resident_id"
    assert (got.name, got.personal_number, got.birth_date, got.sex) == \
        (c.identity.name, c.identity.personal_number, c.identity.birth_date, c.identity.sex)
    with Image.open(io.BytesIO(got.photo)) as img:             # the citizen's face, at the card's size
        assert img.format == "PNG" and img.height == 126
    reader.remove()
    assert reader.wait_for_removal(0.1)


def test_an_icao_citizen_is_not_read_through_the_sam(citizens, reader):
    reader.insert(citizens["chen_hao"].identity)
    result = reader.read(5.0)
    assert result.identity.photo == citizens["chen_hao"].identity.photo and result.apdu_count > 5
    assert frames.CMD_READ_BASE not in reader.emulator.commands


def test_the_demo_decoder_refuses_what_is_not_the_demo_encoding():
    with pytest.raises(PhotoUnavailable):
        DemoPhotoDecoder().decode(DEMO_ONLY_PHOTO, 1.0)
    # a marked JPEG larger than a card photo is refused, not decoded
    big = io.BytesIO()
    Image.new("L", (103, 200)).save(big, format="JPEG", quality=5, optimize=True)
    assert len(big.getvalue()) < 1014
    with pytest.raises(PhotoUnavailable):
        DemoPhotoDecoder().decode(DEMO_MARK + big.getvalue() + bytes(1014 - len(big.getvalue())), 1.0)


def test_the_demo_encoding_fits_the_card_and_round_trips(citizens):
    wlt = demo_wlt(citizens["zhou_lei"].identity.photo)
    assert len(wlt) == 1024 and wlt.startswith(DEMO_MARK)
    with Image.open(io.BytesIO(DemoPhotoDecoder().decode(wlt, 1.0))) as img:
        assert img.size[0] <= 102 and img.size[1] == 126
