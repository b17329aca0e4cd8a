"""Scan your receipt to see progress (issue 14 part 3), in the real window: a simulated camera
holds up a real rendered receipt (tilted, blurred, noisy); the kiosk reads its QR from the frames,
verifies it offline and shows each department's status as last synced. Forged receipts and
unknown keys are refused in plain words; a typed check code finds the same statuses."""
from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PySide6.QtCore import Qt

from kiosk.devices.sim.receipt_camera import ReceiptCamera
from kiosk.devices.sim.speaker import SimSpeaker
from kiosk.flows import messages as msg
from kiosk.flows.journey import Step
from kiosk.receipt_scan import ScanSetup
from kiosk.services.keystore import load_receipt_key
from kiosk.services.receipts.checkcode import CHECK_ALPHABET
from kiosk.services.receipts.signer import ReceiptSigner
from kiosk.services.receipts.trust import kiosk_trust
from testkit.receipts import altered_payload, receipt_png
from testkit.sync_drills import DemoApplications

pytestmark = pytest.mark.skipif(not shutil.which("pdftoppm"), reason="needs poppler-utils")
WAIT = 20_000
PULLED = "2026-11-23T09:30:00"


@pytest.fixture
def kiosk_with_receipt(make_kiosk, tmp_path):
    """A kiosk that stored one application (two of its three departments have a status), and
    `show(png)`: what its scan camera is held up to next."""
    shown: dict[str, Path] = {}

    def adjust(parts):
        files = parts.files
        parts.scanning = ScanSetup(camera=lambda: ReceiptCamera(lambda: shown["png"].read_bytes()),
                                   trust=lambda: kiosk_trust(files, parts.config.kiosk.id, None))
        parts.speaker = SimSpeaker()

    parts, ui = make_kiosk(adjust=adjust)
    store = parts.open_storage()
    try:
        app = DemoApplications(kiosk_id=parts.config.kiosk.id).store_one(store, "newborn",
                                                                         when=datetime(2026, 11, 20, 10, 0))
        items = [r.item_id for r in app.requests]
        store.apply_status_changes([(app.number, items[0], "completed", "2026-11-22T15:00:00", 1),
                                    (app.number, items[1], "in_progress", "2026-11-22T16:00:00", 2)], 2)
        store.set_meta("sync.status_pulled_at", PULLED)
    finally:
        store.close()
    key = load_receipt_key(parts.files)

    def show(png: bytes) -> None:
        path = tmp_path / f"held-{len(shown)}.png"
        path.write_bytes(png)
        shown["png"] = path
    return parts, ui, app, key, show


def start_scan(qtbot, ui):
    attract = ui.window.screens[Step.ATTRACT]
    assert attract.scan_button.isVisible() and "Scan your receipt" in attract.scan_button.text()
    qtbot.mouseClick(attract.scan_button, Qt.MouseButton.LeftButton)
    assert ui.controller.state.step == Step.SCAN_RECEIPT
    return ui.window.screens[Step.SCAN_RECEIPT]


def statuses_shown(screen) -> list[str]:
    """Each department's row as shown: department | status | due date (the heading row left out)."""
    grid = screen.items_box
    return [" | ".join(grid.itemAtPosition(r, c).widget().text() for c in range(3)) for r in range(1, grid.rowCount())
            if grid.itemAtPosition(r, 0) is not None]


def test_the_kiosk_reads_a_held_up_receipt_and_shows_each_department_status(qtbot, kiosk_with_receipt):
    parts, ui, app, key, show = kiosk_with_receipt
    show(receipt_png(app, key))
    screen = start_scan(qtbot, ui)
    qtbot.waitUntil(lambda: screen.preview.pixmap() is not None and not screen.preview.pixmap().isNull(), timeout=WAIT)
    qtbot.waitUntil(lambda: ui.controller.state.scan.progress is not None
                    and not ui.controller.state.scan.looking_up, timeout=WAIT)
    assert screen.pages.currentIndex() == 2 and screen.number.isVisible()
    assert app.number in screen.number.text() and screen.genuine.isVisible()
    rows = statuses_shown(screen)
    assert len(rows) == 3
    assert "已办结" in rows[0] and "办理中" in rows[1] and "等待部门接收" in rows[2]
    assert app.requests[0].department.zh in rows[0] and app.requests[0].due.isoformat() in rows[0]
    assert "2026-11-23 09:30" in screen.as_of.text()                   # when the statuses were last synced
    assert ReceiptSigner(key).check_code(app.number) in screen.code.text()
    # Said aloud, briefly: how many departments, how many done.
    assert parts.speaker.wait_idle(5.0)
    assert any("共3个部门，已办结1个" in u.text for u in parts.speaker.utterances)
    assert ui.runtime.scan_camera() is None                            # the camera is off again
    qtbot.mouseClick(screen.done, Qt.MouseButton.LeftButton)
    assert ui.controller.state.step == Step.ATTRACT and ui.controller.state.scan is None


def test_a_receipt_with_altered_content_is_refused(qtbot, kiosk_with_receipt):
    _parts, ui, app, key, show = kiosk_with_receipt
    genuine, _ = ReceiptSigner(key).seal(app, provisional=True)
    show(receipt_png(app, key, qr_text=altered_payload(genuine)))
    screen = start_scan(qtbot, ui)
    qtbot.waitUntil(lambda: ui.controller.state.scan.refusal is not None, timeout=WAIT)
    assert ui.controller.state.scan.refusal == msg.RECEIPT_FORGED
    assert screen.refusal.isVisible() and "伪造" in screen.refusal.text() and "12345" in screen.refusal.text()
    assert ui.controller.state.scan.progress is None and screen.pages.currentIndex() == 0
    assert ui.runtime.scan_camera() is not None                        # still looking for a genuine one


def test_a_receipt_signed_by_an_unknown_key_is_refused(qtbot, kiosk_with_receipt):
    _parts, ui, app, _key, show = kiosk_with_receipt
    show(receipt_png(app, Ed25519PrivateKey.generate()))
    screen = start_scan(qtbot, ui)
    qtbot.waitUntil(lambda: ui.controller.state.scan.refusal is not None, timeout=WAIT)
    assert ui.controller.state.scan.refusal == msg.RECEIPT_UNKNOWN_KEY
    assert "核验码" in screen.refusal.text()                          # what to do: type the check code


def test_typing_the_check_code_on_the_pad_shows_the_statuses(qtbot, kiosk_with_receipt):
    _parts, ui, app, key, show = kiosk_with_receipt
    show(receipt_png(app, key))
    screen = start_scan(qtbot, ui)
    qtbot.mouseClick(screen.type_button, Qt.MouseButton.LeftButton)
    assert screen.pages.currentIndex() == 1 and ui.runtime.scan_camera() is None
    # Every symbol a check code can hold has a key, its check symbols (* ~ $ = U) too.
    assert set(CHECK_ALPHABET) <= set(screen.keys)
    code = ReceiptSigner(key).check_code(app.number)
    for ch in code.lower().replace("-", ""):     # typed without hyphens; the pad has capitals only
        qtbot.mouseClick(screen.keys[ch.upper()], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(screen.look_up, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ui.controller.state.scan.progress is not None
                    and not ui.controller.state.scan.looking_up, timeout=WAIT)
    assert app.number in screen.number.text() and "已办结" in statuses_shown(screen)[0]


def test_a_mistyped_check_code_is_refused_with_what_to_type(qtbot, kiosk_with_receipt):
    _parts, ui, app, key, show = kiosk_with_receipt
    show(receipt_png(app, key))
    screen = start_scan(qtbot, ui)
    qtbot.mouseClick(screen.type_button, Qt.MouseButton.LeftButton)
    code = ReceiptSigner(key).check_code(app.number).replace("-", "")
    wrong = code[:3] + ("0" if code[3] != "0" else "1") + code[4:]    # one symbol wrong: the check symbol catches it
    for ch in wrong:
        qtbot.mouseClick(screen.keys[ch], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(screen.look_up, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ui.controller.state.scan.refusal is not None, timeout=WAIT)
    assert screen.type_status.isVisible() and ui.controller.state.scan.progress is None
