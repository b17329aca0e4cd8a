"""Scan-to-check benchmark (issue 14 part 3), on the simulated camera holding up a real rendered
receipt (kiosk/devices/sim/receipt_camera.py: 1280x720, tilted 7 degrees, blurred, noisy):

  .venv/bin/python bench/scan_receipt.py [--frames 120] [--runs 5]

1. zxing-cpp decode time per 720p frame (kiosk/services/progress/qr.py decode_qr_texts, QR only),
   on frames with the receipt in view and on frames without one, and verify_receipt_payload's time;
2. the time from the receipt coming into view (ReceiptCamera.appeared_at) to the statuses shown
   in the real window (offscreen): the scan worker's frames, the offline verification, the lookup
   in the kiosk's public summaries, the flow and the screen, with no back office.
Prints a Markdown table for docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from kiosk.devices.sim.receipt_camera import ReceiptCamera  # noqa: E402
from kiosk.services.progress.qr import decode_qr_texts  # noqa: E402
from kiosk.services.receipts.seal import verify_receipt_payload  # noqa: E402
from kiosk.services.receipts.signer import ReceiptSigner  # noqa: E402
from testkit.receipts import receipt_png  # noqa: E402
from testkit.sync_drills import DemoApplications  # noqa: E402


def frames(camera: ReceiptCamera, n: int) -> list:
    """`n` distinct frames from the running camera."""
    out, last = [], -1
    camera.start()
    try:
        while len(out) < n:
            f = camera.latest()
            if f is not None and f.seq != last:
                last = f.seq
                out.append(f.image)
            time.sleep(0.005)
    finally:
        camera.stop()
        camera.join(2.0)
    return out


def pct(values: list[float], p: float) -> float:
    return sorted(values)[min(len(values) - 1, int(len(values) * p))]


def decode_times(png: bytes, n: int) -> dict[str, tuple[float, float, float]]:
    held = frames(ReceiptCamera(lambda: png, empty_seconds=0.0, fps=60), n)
    empty = frames(ReceiptCamera(lambda: None, fps=60), max(10, n // 4))
    out = {}
    for name, images in (("receipt in view", held), ("no receipt", empty)):
        times, found = [], 0
        for image in images:
            t = time.perf_counter()
            texts = decode_qr_texts(image)
            times.append((time.perf_counter() - t) * 1000)
            found += any(x.startswith("OV1:") for x in texts)
        out[name] = (statistics.median(times), pct(times, 0.95), found / len(images))
    return out


def time_to_statuses(runs: int) -> list[float]:
    from kiosk.compose import build_parts
    from kiosk.config import load_config
    from kiosk.flows import events as ev
    from kiosk.receipt_scan import ScanSetup
    from kiosk.services.keystore import load_receipt_key
    from kiosk.services.receipts.trust import kiosk_trust
    from kiosk.ui.app import build_ui, ensure_qapplication
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        parts = build_parts(load_config(env={}, overrides={"paths": {"data_dir": tmp}, "voice": {"enabled": False}}))
        store = parts.open_storage()
        app_ = DemoApplications(kiosk_id=parts.config.kiosk.id).store_one(store, "newborn", when=datetime.now())
        store.close()
        png = receipt_png(app_, load_receipt_key(parts.files))
        cameras: list[ReceiptCamera] = []

        def camera() -> ReceiptCamera:
            cameras.append(ReceiptCamera(lambda: png, empty_seconds=1.0))
            return cameras[-1]
        files = parts.files
        parts.scanning = ScanSetup(camera=camera, trust=lambda: kiosk_trust(files, parts.config.kiosk.id, None))
        qapp = ensure_qapplication()
        ui = build_ui(parts)
        ui.window.show()
        try:
            for _ in range(runs):
                shown: list[float] = []

                def on_state(state, shown=shown) -> None:
                    if state.scan is not None and state.scan.progress is not None and not state.scan.looking_up \
                            and not shown:
                        qapp.processEvents()          # the screen has drawn it
                        shown.append(time.monotonic())
                ui.controller.state_changed.connect(on_state)
                ui.controller.dispatch(ev.ScanRequested())
                end = time.monotonic() + 30
                while not shown and time.monotonic() < end:
                    qapp.processEvents()
                    time.sleep(0.002)
                ui.controller.state_changed.disconnect(on_state)
                appeared = cameras[0].appeared_at
                if shown and appeared is not None:
                    results.append((shown[0] - appeared) * 1000)
                ui.controller.dispatch(ev.CancelRequested())
                qapp.processEvents()
        finally:
            ui.shutdown(3.0)
    return results


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=120)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    from kiosk.domain.application import application_number
    when = datetime.now().replace(microsecond=0)
    key = Ed25519PrivateKey.generate()
    numbered = DemoApplications().draft("newborn", when).numbered(application_number("3301060001", 1, when),
                                                                  "3301060001", when)
    png = receipt_png(numbered, key)
    signer = ReceiptSigner(key)
    qr, _ = signer.seal(numbered, provisional=True)
    trust = {signer.key_id: signer.trusted("3301060001")}
    t = time.perf_counter()
    for _ in range(200):
        verify_receipt_payload(qr, trust)
    verify_ms = (time.perf_counter() - t) / 200 * 1000
    decode = decode_times(png, args.frames)
    shown = time_to_statuses(args.runs)
    print(f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"Payload: {len(qr)} characters\n")
    print("| measure | median | p95 | read |\n| --- | --- | --- | --- |")
    for name, (med, p95, rate) in decode.items():
        print(f"| zxing-cpp decode, 1280x720 frame, {name} | {med:.1f} ms | {p95:.1f} ms | {rate:.0%} |")
    print(f"| verify_receipt_payload (offline) | {verify_ms:.2f} ms | | |")
    if shown:
        print(f"| receipt in view -> statuses shown ({len(shown)} runs) | {statistics.median(shown):.0f} ms | "
              f"{max(shown):.0f} ms (max) | |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
