"""Regenerates docs/screenshots/: one PNG of every screen, from the real window, offscreen.

    .venv/bin/python scripts/screenshots.py [OUT_DIR]

The autopilot walks the demo journey and saves each screen; then the states the autopilot
passes too quickly to see (reading the card, submitting) and the error and warning states are
rendered from the same window. Another autopilot run, in large mode, gives large_*.png. A second autopilot run, in its own process, reads a resident ID
demo citizen through the SAM emulator and keeps its face check (resident_id_face_check.png).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = "offscreen"
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kiosk.compose import build_parts  # noqa: E402
from kiosk.config import load_config  # noqa: E402
from kiosk.flows import messages as msg  # noqa: E402
from kiosk.flows.journey import FaceState, Step  # noqa: E402


def _resident_id_session(out: Path, tmp: Path) -> int:
    """The autopilot with the demo's resident ID citizen (read through the SAM emulator), in a
    process of its own (one QApplication per process); its face check screen is kept."""
    shots, data = tmp / "resident_id_shots", tmp / "resident_id_data"
    res = subprocess.run([sys.executable, str(ROOT / "main.py"), "--simulate", "--autopilot", "--offscreen",
                          "--citizen", "zhou_lei", "--data-dir", str(data), "--screenshots", str(shots)],
                         timeout=300, check=False)
    if res.returncode == 0:
        shutil.copy(shots / "face_check.png", out / "resident_id_face_check.png")
    return res.returncode


def _proxy_session(out: Path, tmp: Path) -> int:
    """The autopilot's proxy scenario (an agent applies for another demo citizen), in its own
    process; its relationship and authorisation screens are kept."""
    shots, data = tmp / "proxy_shots", tmp / "proxy_data"
    res = subprocess.run([sys.executable, str(ROOT / "main.py"), "--simulate", "--autopilot", "--offscreen",
                          "--scenario", "proxy", "--data-dir", str(data), "--screenshots", str(shots)],
                         timeout=300, check=False)
    if res.returncode == 0:
        for name in ("proxy_relationship", "proxy_authorisation", "proxy_choose_bundle"):
            shutil.copy(shots / f"{name}.png", out / f"{name}.png")
    return res.returncode


def _no_card_states(shoot, base, now) -> None:  # type: ignore[no-untyped-def]
    """The attract screen offering the no-card path, and its ID number pad (issue 12 part 6)."""
    from kiosk.flows.assist_state import NoCardState
    from kiosk.flows.journey import Session
    shoot("attract_no_card", replace(base, no_card_available=True))
    session = Session(identity=None, prefilled={}, verified=frozenset(), answers={}, no_card=NoCardState())
    shoot("id_number", replace(base, step=Step.ID_NUMBER, attempt=1, session=session, last_activity=now,
                               no_card_available=True), typed="3301061958061202")


def _large_mode_session(out: Path, tmp: Path) -> int:
    """The autopilot in 长辈版 / large mode (`--large`), in its own process; its attract, bundle
    choice, a form page, review and receipt are kept as large_*.png."""
    shots, data = tmp / "large_shots", tmp / "large_data"
    res = subprocess.run([sys.executable, str(ROOT / "main.py"), "--simulate", "--autopilot", "--offscreen", "--large",
                          "--bundle", "retirement", "--data-dir", str(data), "--screenshots", str(shots)],
                         timeout=300, check=False)
    if res.returncode == 0:
        for name in ("attract", "choose_bundle", "form_page_1", "form_page_2", "review", "receipt"):
            shutil.copy(shots / f"{name}.png", out / f"large_{name}.png")
    return res.returncode


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        parts = build_parts(load_config(env={}, overrides={"paths": {"data_dir": tmp},
                                                           "devices": {"government_records": "sim"}}))
        from kiosk.ui.app import run_gui
        code = run_gui(parts, autopilot=True, offscreen=True, screenshots=out, bundle_id="newborn")
        if code != 0:
            print(f"autopilot failed with {code}", file=sys.stderr)
            return code
        code = _resident_id_session(out, Path(tmp))
        if code != 0:
            print(f"resident ID autopilot failed with {code}", file=sys.stderr)
            return code
        code = _proxy_session(out, Path(tmp))
        if code != 0:
            print(f"proxy autopilot failed with {code}", file=sys.stderr)
        code = _large_mode_session(out, Path(tmp))
        if code != 0:
            print(f"large mode autopilot failed with {code}", file=sys.stderr)
            return code
        # Screens that pass too quickly in the journey, and error/warning states.
        from kiosk.ui.app import build_ui, ensure_qapplication
        app = ensure_qapplication()
        parts = build_parts(load_config(env={}, overrides={"paths": {"data_dir": tmp},
                                                           "devices": {"government_records": "sim"}}))
        ui = build_ui(parts)
        ui.window.show()
        win, ctl = ui.window, ui.controller
        citizen = parts.demo_citizens[0]

        def shoot(name, state, typed=""):
            ctl.state = state
            win._on_state_changed(state)
            if typed:
                win.screens[state.step].number.setText(typed)
            if state.warning:
                win.overlay.render(state.lang, int(state.seconds_left(datetime.now()) or 0))
            for _ in range(3):   # a re-render's layout requests post more: let them settle
                app.processEvents()
            win.grab().save(str(out / f"{name}.png"))

        from kiosk.flows.journey import Session, initial_state
        base = initial_state(parts.flow_config)
        session = Session(identity=citizen.identity, prefilled={}, verified=frozenset(), answers={},
                          face=FaceState(checking=True))
        now = datetime.now()
        shoot("reading_card", replace(base, step=Step.READING_CARD, attempt=1, last_activity=now))
        shoot("access_key", replace(base, step=Step.ACCESS_KEY, attempt=1, last_activity=now))
        shoot("face_check_failed", replace(base, step=Step.FACE_CHECK, attempt=1, last_activity=now,
                                           session=replace(session, face=FaceState(1, False, 0.71, msg.FACE_TRY_AGAIN))))
        shoot("face_check_staff", replace(base, step=Step.FACE_CHECK, attempt=1, last_activity=now,
                                          session=replace(session, face=FaceState(3, False, 0.71, msg.FACE_ASK_STAFF, True))))
        shoot("submitting", replace(base, step=Step.SUBMITTING, attempt=1, session=session, last_activity=now))
        shoot("timeout_warning", replace(base, step=Step.CHOOSE_BUNDLE, attempt=1, session=session, warning=True,
                                         last_activity=now - timedelta(seconds=parts.flow_config.timeout_seconds - 12)))
        shoot("card_removed", replace(base, notice=msg.CARD_REMOVED))
        shoot("attract_en", replace(base, lang="en"))
        shoot("choose_bundle_en", replace(base, lang="en", step=Step.CHOOSE_BUNDLE, attempt=1, session=session,
                                          last_activity=now, notice=msg.FACE_VERIFIED))
        _no_card_states(shoot, base, now)
        # "结束办理" asks first: the in-window yes/no, in large mode.
        ctl.state = replace(base, step=Step.CHOOSE_BUNDLE, attempt=1, session=session, last_activity=now, large=True)
        win._on_state_changed(ctl.state)
        for _ in range(3):
            app.processEvents()
        win.end_button.click()
        app.processEvents()
        win.grab().save(str(out / "large_end_confirmation.png"))
        ui.shutdown(3.0)
    print(f"screenshots written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
