"""The IdentityService port and what the kiosk and the back office accept as a reference photo
(issue 12 part 6): bounded, image-shaped, from the configured folder only."""
from __future__ import annotations

import base64
import inspect
from pathlib import Path

import pytest

from backoffice.identity import YamlIdentitySource
from kiosk.devices.identity import (NOT_FOUND, TOO_MANY, IdentityService, IdentityUnavailable, NoIdentityService,
                                    RateLimited, Reference)
from kiosk.devices.sim.citizens import load_citizens
from kiosk.devices.sim.identity import SimIdentityService
from kiosk.domain.reference import MAX_PHOTO_BYTES
from kiosk.services.identity_client import BackofficeIdentityService, parse_reference

ROOT = Path(__file__).resolve().parent.parent.parent
DEMO = ROOT / "assets" / "demo"
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 100


@pytest.mark.parametrize("backend", [NoIdentityService, SimIdentityService, BackofficeIdentityService, RateLimited])
def test_every_backend_has_the_ports_methods(backend):
    for name, member in vars(IdentityService).items():
        if callable(member) and not name.startswith("_"):
            want = [p.name for p in inspect.signature(member).parameters.values()]
            assert [p.name for p in inspect.signature(getattr(backend, name)).parameters.values()] == want


def test_the_kiosk_refuses_reference_answers_out_of_bounds():
    ok = parse_reference({"found": True, "name": "周淑芬", "photo": base64.b64encode(JPEG).decode()})
    assert ok == Reference("周淑芬", JPEG)
    with pytest.raises(IdentityUnavailable) as none:
        parse_reference({"found": False})
    assert none.value.reason == NOT_FOUND
    for bad in ({"found": "yes"}, [], {"found": True, "name": "", "photo": base64.b64encode(JPEG).decode()},
                {"found": True, "name": "x", "photo": "not base64!"},
                {"found": True, "name": "x", "photo": base64.b64encode(b"GIF89a" + b"\0" * 50).decode()},   # not a JPEG
                {"found": True, "name": "x", "photo": base64.b64encode(JPEG + b"\0" * MAX_PHOTO_BYTES).decode()},
                {"found": True, "name": "x" * 65, "photo": base64.b64encode(JPEG).decode()}):
        with pytest.raises(IdentityUnavailable):
            parse_reference(bad)


def test_the_kiosks_own_hourly_limit():
    clock = [0.0]
    sim = SimIdentityService(load_citizens(DEMO / "citizens.yaml"), delay=0)
    limited = RateLimited(sim, per_hour=2, clock=lambda: clock[0])
    assert limited.reference("330106195806120240", 1).name == "周淑芬"
    with pytest.raises(IdentityUnavailable) as unknown:
        limited.reference("11010519491231002X", 1)
    assert unknown.value.reason == NOT_FOUND
    with pytest.raises(IdentityUnavailable) as third:
        limited.reference("330106195806120240", 1)
    assert third.value.reason == TOO_MANY and sim.requests == 2      # refused before the service is asked
    clock[0] += 3601
    assert limited.reference("330106195806120240", 1).photo == (DEMO / "hopper_chip.jpg").read_bytes()


def test_the_back_office_source_reads_only_photos_beside_its_file(tmp_path):
    assert YamlIdentitySource(DEMO / "identity-references.yaml").reference("33010619900821032X")[0] == "林晓雯"
    (tmp_path / "refs").mkdir()
    (tmp_path / "secret.jpg").write_bytes(JPEG)
    index = tmp_path / "refs" / "refs.yaml"
    index.write_text('format: onevisit-identity-references\nv: 1\npeople:\n'
                     '  "330106195806120240": {name: x, photo: ../secret.jpg}\n', "utf-8")
    with pytest.raises(ValueError, match="beside"):
        YamlIdentitySource(index)
    (tmp_path / "refs" / "big.jpg").write_bytes(JPEG + b"\0" * MAX_PHOTO_BYTES)
    index.write_text('format: onevisit-identity-references\nv: 1\npeople:\n'
                     '  "330106195806120240": {name: x, photo: big.jpg}\n', "utf-8")
    assert YamlIdentitySource(index).reference("330106195806120240") is None      # too large: not sent
