"""Staff walking past see, on the attract screen, when the kiosk cannot verify any document."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from kiosk.devices.icao import messages as msg


def visible_text(widget) -> str:
    return "\n".join(w.text() for w in widget.findChildren(QLabel) if w.isVisible())


def test_empty_trust_store_is_shown_to_staff_on_the_attract_screen(qtbot, tmp_path):
    from kiosk.compose import build_parts
    from kiosk.config import load_config
    from testkit.chip_reader import SimChipReader
    from testkit.vcard import pki
    from kiosk.flows.journey import Step
    from kiosk.ui.app import build_ui, ensure_qapplication

    ensure_qapplication()
    # A real card reader with the shipped (empty) trust store...
    parts = build_parts(load_config(env={}, overrides={"paths": {"data_dir": str(tmp_path / "data")},
                                                       "devices": {"card_reader": "pcsc", "face": "sim"}}))
    # ...whose device is swapped for the demo's, so this test needs no pcscd
    parts.devices.card_reader = SimChipReader(pki.CSCA_DIR)
    ui = build_ui(parts)
    qtbot.addWidget(ui.window)
    ui.window.show()
    try:
        attract = ui.window.screens[Step.ATTRACT]
        qtbot.waitUntil(lambda: attract.staff.isVisible(), timeout=5000)
        assert "工作人员：" + msg.TRUST_STORE_EMPTY.zh in visible_text(ui.window)
        qtbot.mouseClick(ui.window.lang_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "For staff: " + msg.TRUST_STORE_EMPTY.en in visible_text(ui.window), timeout=5000)
        assert attract.card_icon.isVisible()       # the kiosk still invites citizens (they go to the counter)
    finally:
        assert ui.shutdown(3.0)
