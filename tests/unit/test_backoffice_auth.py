"""Who the back office lets in, below HTTP: strict signature headers, the same work for an
unknown kiosk as for a known one, and ASCII-only application numbers and kiosk ids."""
from __future__ import annotations

import time

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from backoffice.service import AuthError
from kiosk.domain.application import KIOSK_ID_RE, is_valid_application_number, luhn_digit
from kiosk.services.sync import protocol as proto

A = "3301060001"


@pytest.fixture
def bo(tmp_path):
    from tests.backoffice_support import new_backoffice
    b = new_backoffice(tmp_path)
    yield b
    b.engine.dispose()


def test_an_unknown_kiosk_costs_a_signature_check_like_a_known_one(bo, monkeypatch):
    """Answering "unknown" before checking the signature lets a caller find enrolled ids by
    timing; the back office verifies against a stand-in key instead."""
    real = proto.verify_request
    calls: list[str] = []

    def counting(public, method, target, kiosk_id, *rest):  # type: ignore[no-untyped-def]
        calls.append(kiosk_id)
        return real(public, method, target, kiosk_id, *rest)

    monkeypatch.setattr(proto, "verify_request", counting)
    key = Ed25519PrivateKey.generate()
    bo.enrol(A, proto.ed25519_public_pem(Ed25519PrivateKey.generate().public_key()))
    details = []
    for kiosk_id in (A, "3301069999"):
        headers = proto.sign_request(key, "GET", "/v1/catalogue", kiosk_id, b"", int(time.time()))
        with pytest.raises(AuthError) as exc:
            bo.authenticate("GET", "/v1/catalogue", headers, b"")
        details.append((exc.value.status, exc.value.detail))
    assert calls == [A, "3301069999"]
    assert details[0] == details[1]


def test_kiosk_ids_and_application_numbers_are_ascii_digits_only():
    body = "3301060001" + "000001" + "20260101120000"
    good = f"{body[:10]}-{body[10:16]}-{body[16:]}-{luhn_digit(body)}"
    assert is_valid_application_number(good) and KIOSK_ID_RE.fullmatch(body[:10])
    for digits in ("０１２３４５６７８９", "٠١٢٣٤٥٦٧٨٩"):
        other = good.translate(str.maketrans("0123456789", digits))
        assert not is_valid_application_number(other)
        assert not KIOSK_ID_RE.fullmatch(other[:10])
