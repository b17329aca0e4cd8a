"""A real kiosk window (offscreen) wired to the simulated devices and a temp data folder."""
from __future__ import annotations

import pytest

from kiosk.config import load_config


@pytest.fixture
def make_kiosk(qtbot, tmp_path):
    from kiosk.compose import build_parts
    from kiosk.ui.app import build_ui, ensure_qapplication

    made = []

    def make(session: dict | None = None, adjust=None, face: str = "sim", records: str = "sim",
             kiosk: dict | None = None):
        """A kiosk on the demo devices. `face="sim"` (scripted verdicts) keeps journey tests fast;
        tests of the face check itself pass `face="dlib"`, the real matcher and liveness.
        `records`: the demo citizens' government records ("sim", as `--simulate`) or "none"."""
        ensure_qapplication()
        overrides = {"paths": {"data_dir": str(tmp_path / "data")},
                     "devices": {"face": face, "government_records": records}}
        if session:
            overrides["session"] = session
        if kiosk:
            overrides["kiosk"] = kiosk
        parts = build_parts(load_config(env={}, overrides=overrides))
        if face == "sim":   # every demo citizen passes: these tests are about what comes after
            from kiosk.devices.sim.face import SimFaceVerifier
            parts.devices.face = SimFaceVerifier(watch_seconds=0.3)
        if adjust:
            adjust(parts)
        ui = build_ui(parts)
        qtbot.addWidget(ui.window)
        ui.window.show()
        made.append(ui)
        return parts, ui

    yield make
    for ui in made:
        assert ui.shutdown(3.0), "device threads did not stop in time"
