"""The scan-to-check screens for docs/screenshots/ (issue 14 part 3), from the real window, offscreen:

    .venv/bin/python scripts/scan_screenshots.py [OUT_DIR]

A kiosk with one stored application (two of its three departments have a status) is shown its
rendered receipt by the simulated camera; saved: the camera with the receipt in view
(scan_camera.png), the statuses (scan_to_check.png, scan_to_check_en.png) and the typing pad
(scan_typing.png).
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = "offscreen"
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kiosk.compose import build_parts  # noqa: E402
from kiosk.config import load_config  # noqa: E402
from kiosk.devices.sim.receipt_camera import ReceiptCamera  # noqa: E402
from kiosk.flows import events as ev  # noqa: E402
from kiosk.flows.journey import Step  # noqa: E402
from kiosk.receipt_scan import ScanSetup  # noqa: E402
from kiosk.services.keystore import load_receipt_key  # noqa: E402
from kiosk.services.receipts.trust import kiosk_trust  # noqa: E402
from testkit.receipts import receipt_png  # noqa: E402
from testkit.sync_drills import DemoApplications  # noqa: E402


def wait(app, condition, seconds: float = 20.0) -> None:
    end = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > end:
            raise SystemExit("timed out")
        app.processEvents()
        time.sleep(0.02)


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        parts = build_parts(load_config(env={}, overrides={"paths": {"data_dir": tmp}, "voice": {"enabled": False}}))
        store = parts.open_storage()
        application = DemoApplications(kiosk_id=parts.config.kiosk.id).store_one(
            store, "newborn", when=datetime(2026, 11, 20, 10, 0))
        ids = [r.item_id for r in application.requests]
        store.apply_status_changes([(application.number, ids[0], "completed", "2026-11-22T15:00:00", 1),
                                    (application.number, ids[1], "in_progress", "2026-11-22T16:00:00", 2)], 2)
        store.set_meta("sync.status_pulled_at", "2026-11-23T09:30:00")
        store.close()
        png = receipt_png(application, load_receipt_key(parts.files))
        files = parts.files
        parts.scanning = ScanSetup(camera=lambda: ReceiptCamera(lambda: png, empty_seconds=0.0),
                                   trust=lambda: kiosk_trust(files, parts.config.kiosk.id, None))
        from kiosk.ui.app import build_ui, ensure_qapplication
        app = ensure_qapplication()
        ui = build_ui(parts)
        ui.window.show()
        try:
            screen = ui.window.screens[Step.SCAN_RECEIPT]
            ui.controller.dispatch(ev.ScanRequested())
            # The camera page, the receipt in view: shown before the worker reads it (a pause).
            ui.runtime._scanner._scan_worker.submit(lambda: time.sleep(1.5), lambda r, e: None, 5.0)
            wait(app, lambda: screen.preview.pixmap() is not None and not screen.preview.pixmap().isNull())
            ui.window.grab().save(str(out / "scan_camera.png"))
            wait(app, lambda: ui.controller.state.scan.progress is not None and not ui.controller.state.scan.looking_up)
            app.processEvents()
            ui.window.grab().save(str(out / "scan_to_check.png"))
            ui.controller.dispatch(ev.LanguageChosen("en"))
            app.processEvents()
            ui.window.grab().save(str(out / "scan_to_check_en.png"))
            ui.controller.dispatch(ev.LanguageChosen("zh"))
            ui.controller.dispatch(ev.TypingRequested())
            for ch in "B14K7WP4":
                screen.keys[ch].click()
            app.processEvents()
            ui.window.grab().save(str(out / "scan_typing.png"))
        finally:
            ui.shutdown(3.0)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
