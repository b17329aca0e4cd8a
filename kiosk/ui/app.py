"""Starts the GUI: QApplication, the bridge, the controller, the runtime threads, the window."""
from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from kiosk.compose import KioskParts


def run_gui(parts: KioskParts, *, autopilot: bool = False, offscreen: bool = False, bundle_id: str | None = None,
            citizen: str | None = None, screenshots: Path | None = None, fullscreen: bool = False) -> int:
    """Run the kiosk until the window closes (or the autopilot finishes). Returns the exit code."""
    if offscreen:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtGui import QFont
    from PySide6.QtWidgets import QApplication

    from kiosk.flows.journey import initial_state
    from kiosk.runtime import Runtime
    from kiosk.ui.bridge import MainThreadBridge
    from kiosk.ui.controller import KioskController
    from kiosk.ui.main_window import KioskWindow
    from kiosk.ui.theme import FONT_FAMILIES, STYLESHEET

    app = QApplication.instance() or QApplication(sys.argv[:1])
    font = QFont()
    font.setFamilies(FONT_FAMILIES)
    app.setFont(font)
    app.setStyleSheet(STYLESHEET)

    bridge = MainThreadBridge()
    controller = KioskController(initial_state(parts.flow_config, parts.config.kiosk.language))
    runtime = Runtime(devices=parts.devices, catalogue=lambda: parts.catalogue, kiosk_id=parts.config.kiosk.id,
                      open_storage=parts.open_storage, render_receipt=parts.render_receipt,
                      post=lambda event: bridge.run_on_main(lambda: controller.dispatch(event)),
                      timeouts=parts.timeouts)
    controller.attach(runtime.perform)
    app.installEventFilter(controller)

    reader = parts.sim_reader
    citizens = parts.demo_citizens
    window = KioskWindow(controller, parts.kiosk_name, runtime.current_camera, citizens,
                         on_demo_insert=(lambda c: reader.insert(c.identity)) if reader else None,
                         on_demo_remove=reader.remove if reader else None)
    window.resize(1280, 860)
    window.showFullScreen() if fullscreen else window.show()
    runtime.start()

    exit_code = {"code": 0}
    if autopilot:
        from kiosk.ui.autopilot import Autopilot

        chosen = next((c for c in citizens if c.id == citizen), citizens[0] if citizens else None)
        if reader is None or chosen is None:
            raise SystemExit("--autopilot needs the simulated card reader and demo citizens")

        def finish(code: int) -> None:
            exit_code["code"] = code
            logging.getLogger(__name__).info("autopilot finished with exit code %d", code)
            app.quit()

        def shoot(name: str) -> None:
            if screenshots is not None:
                screenshots.mkdir(parents=True, exist_ok=True)
                window.grab().save(str(screenshots / f"{name}.png"))

        pilot = Autopilot(window, lambda: reader.insert(chosen.identity), reader.remove, finish,
                          bundle_id=bundle_id, on_step=shoot)
        pilot.start()
    try:
        code = app.exec()
    finally:
        window.close()
        runtime.shutdown(3.0)
    return exit_code["code"] if autopilot else code
