"""Screenshots of the on-screen keyboards for the README (docs/screenshots/keyboard_*.png).

    QT_QPA_PLATFORM=offscreen python scripts/keyboard_screenshots.py [--out docs/screenshots] [--large]

Walks a demo citizen to the retirement and newborn forms in the real window (1920×1080, the
reference panel), opens each keyboard by tapping a field, types a little by clicks and grabs the
window. GUI thread; about 10 s.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    ap.add_argument("--large", action="store_true", help="keys at the large-mode scale (×1.5)")
    args = ap.parse_args()

    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest

    from kiosk.compose import build_parts
    from kiosk.config import load_config
    from kiosk.devices.sim.face import SimFaceVerifier
    from kiosk.domain.samples import sample_answer
    from kiosk.flows.journey import Step
    from kiosk.ui import theme
    from kiosk.ui.app import build_ui, ensure_qapplication

    if args.large:
        theme.SCALE = 1.5
    app = ensure_qapplication()
    data = tempfile.mkdtemp(prefix="kbshots-")
    parts = build_parts(load_config(env={}, overrides={"paths": {"data_dir": data}}))
    parts.devices.face = SimFaceVerifier(watch_seconds=0.2)
    ui = build_ui(parts)
    ui.window.resize(1920, 1080)
    ui.window.show()
    state = lambda: ui.controller.state   # noqa: E731

    def wait(pred, seconds: float = 15.0) -> None:
        end = time.monotonic() + seconds
        while not pred():
            if time.monotonic() > end:
                raise SystemExit(f"timed out at {state().step}")
            app.processEvents()
            time.sleep(0.01)

    def click(w) -> None:
        wait(w.isVisible)
        QTest.mouseClick(w, Qt.MouseButton.LeftButton)
        app.processEvents()

    def shoot(name: str) -> None:
        for _ in range(20):
            app.processEvents()
            time.sleep(0.01)
        args.out.mkdir(parents=True, exist_ok=True)
        ui.window.grab().save(str(args.out / f"keyboard_{name}{'_large' if args.large else ''}.png"))

    def to_field(bundle: str, fid: str):
        parts.sim_reader.insert(parts.demo_citizens[0].identity)
        wait(lambda: state().step == Step.CHOOSE_BUNDLE)
        click(ui.window.screens[Step.CHOOSE_BUNDLE].buttons[bundle])
        screen = ui.window.screens[Step.FORM]
        while fid not in screen.fields:
            for w in screen.fields.values():
                if not w.value():
                    w.set_value(sample_answer(w.field, date.today()))
            page = state().session.page
            click(screen.next)
            wait(lambda page=page: state().session.page != page)
        return screen

    def tap_field(screen, fid: str):
        click(screen.fields[fid].edit)
        wait(lambda: screen.keyboard.isVisible())
        return screen.keyboard

    screen = to_field("retirement", "applicant_current_address")
    kb = tap_field(screen, "applicant_phone")
    for d in "1391234":
        click(kb.digits.keys[d])
    shoot("digits")
    kb = tap_field(screen, "applicant_current_address")
    for ch in "hangzhoushixihuqu":
        click(kb.pinyin_pad.keys[ch])
    wait(lambda: bool(kb.bar.items))
    click(kb.bar.buttons[kb.bar.visible().index("杭州市")])
    wait(lambda: "西湖区" in kb.bar.items)
    click(kb.bar.buttons[kb.bar.visible().index("西湖区")])
    for ch in "renminlu":
        click(kb.pinyin_pad.keys[ch])
    wait(lambda: bool(kb.bar.items) and kb.composition == "renminlu")
    shoot("pinyin")
    click(kb.done)
    click(ui.window.end_button)
    parts.sim_reader.remove()
    wait(lambda: state().step == Step.ATTRACT)
    end = time.monotonic() + 2      # the reader notices the removal before the next card
    wait(lambda: time.monotonic() > end)

    screen = to_field("newborn", "child_birth_place")
    kb = tap_field(screen, "child_birth_place")
    click(kb.tabs["handwriting"])
    strokes = json.loads((ROOT / "tests/fixtures/handwriting/strokes.json").read_text("utf-8"))
    k = kb.drawing.width() / strokes["width"]
    for stroke in strokes["characters"]["中"]:
        pts = [QPoint(round(x * k), round(y * k)) for x, y in stroke]
        QTest.mousePress(kb.drawing, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pts[0])
        for p in pts[1:]:
            QTest.mouseMove(kb.drawing, p)
        QTest.mouseRelease(kb.drawing, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pts[-1])
    shoot("handwriting")
    kb = tap_field(screen, "child_birth_date")
    click(kb.date_picker.steps[("m", -1)])
    click(kb.date_picker.steps[("d", -1)])
    shoot("date")
    ui.shutdown(3.0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
