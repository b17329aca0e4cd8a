"""Shared fixtures. Tests never touch ../shared; data they need is under tests/fixtures."""
from __future__ import annotations

import os
import threading
from datetime import date, datetime
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).parent.parent


@pytest.fixture
def small_catalogue():
    from kiosk.services.catalogue_store import load_catalogue
    return load_catalogue(FIXTURES / "catalogue_small.yaml")


@pytest.fixture
def real_catalogue():
    from kiosk.services.catalogue_store import load_catalogue
    return load_catalogue(ROOT / "assets" / "catalogue" / "catalogue.yaml")


@pytest.fixture
def identity():
    from kiosk.domain.identity import Identity
    from kiosk.domain.idnumber import resident_id_check_char
    first17 = "33010619620315123"
    return Identity(document_number="E12345678", name="李秀英", name_latin="LI XIUYING", sex="F",
                    birth_date=date(1962, 3, 15), expiry_date=date(2036, 1, 1),
                    personal_number=first17 + resident_id_check_char(first17),
                    address="浙江省杭州市西湖区文三路100号", photo=b"\xff\xd8fake-jpeg")


@pytest.fixture
def now():
    return datetime(2026, 11, 23, 10, 0, 0)   # a Monday


@pytest.fixture(autouse=True)
def no_leaked_threads():
    """Fail a test that leaves a thread of ours running (devices must be shut down)."""
    before = {t.ident for t in threading.enumerate()}
    yield
    import time
    deadline = time.monotonic() + 3.0
    while True:
        leaked = [t for t in threading.enumerate() if t.ident not in before and t.is_alive()
                  and (t.name.startswith("worker-") or t.name in ("card", "camera", "sync", "health"))]
        if not leaked or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not leaked, f"threads leaked: {[t.name for t in leaked]}"
