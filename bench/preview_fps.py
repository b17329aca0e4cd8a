"""Frames the face-check preview really shows per second while the real face check runs.

    .venv/bin/python bench/preview_fps.py [--checks 5]

Builds the real kiosk window (Qt offscreen) on the demo devices with the real face check, places
chen_hao's card, and counts how many new camera frames the face screen's preview draws per second
from the first frame to the decision. Runs it with dlib's encoder in a child process (what the
kiosk does) and, in the same run, in the kiosk process (for comparison). Target: >= 25 fps shown.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QCoreApplication  # noqa: E402

from kiosk.compose import build_parts  # noqa: E402
from kiosk.config import load_config  # noqa: E402
from kiosk.flows.journey import Step  # noqa: E402
from kiosk.ui.app import build_ui, ensure_qapplication  # noqa: E402


def one_check(in_process: bool) -> tuple[float, float]:
    """(preview frames per second, seconds from the first preview frame to the decision)."""
    with tempfile.TemporaryDirectory() as tmp:
        parts = build_parts(load_config(env={}, overrides={"paths": {"data_dir": tmp}}))
        if in_process:
            parts.devices.face.verifier._encoder = None   # encode in this process, as a thread would
        ui = build_ui(parts)
        ui.window.show()
        screen = ui.window.screens[Step.FACE_CHECK]
        chen = next(c for c in parts.demo_citizens if c.id == "chen_hao")
        settle = time.monotonic() + 4.0    # the kiosk loads the face model at start; a citizen comes later
        while time.monotonic() < settle:
            QCoreApplication.processEvents()
            time.sleep(0.01)
        parts.sim_reader.insert(chen.identity)
        shown, first, last_seq = 0, None, -1
        deadline = time.monotonic() + 60
        try:
            while time.monotonic() < deadline:
                QCoreApplication.processEvents()
                state = ui.controller.state
                if state.step == Step.FACE_CHECK and screen._last_seq != last_seq:
                    last_seq = screen._last_seq
                    shown += 1
                    first = first or time.monotonic()
                if first and state.step != Step.FACE_CHECK:
                    break
                time.sleep(0.002)
            end = time.monotonic()
        finally:
            ui.shutdown(5.0)
            ui.window.close()
        if first is None:
            raise SystemExit("the face check never showed a frame")
        return shown / (end - first), end - first


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--checks", type=int, default=5)
    args = ap.parse_args()
    ensure_qapplication()
    rows = []
    for label, in_process in (("encoder in a child process (the kiosk)", False), ("encoder in the kiosk process", True)):
        runs = [one_check(in_process) for _ in range(args.checks)]
        fps = [r[0] for r in runs]
        rows.append((label, min(fps), statistics.median(fps), statistics.median(r[1] for r in runs)))
    print(f"command: .venv/bin/python bench/preview_fps.py --checks {args.checks}\n")
    print("| face encoder | checks | preview fps shown, min | median | check duration median |")
    print("|---|---|---|---|---|")
    for label, lo, med, dur in rows:
        print(f"| {label} | {args.checks} | {lo:.1f} | {med:.1f} | {dur:.2f} s |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
