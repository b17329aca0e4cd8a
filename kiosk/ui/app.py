"""Starts the GUI: QApplication, the bridge, the controller, the runtime threads, the window."""
from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.compose import KioskParts

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from kiosk.runtime import Runtime
    from kiosk.ui.bridge import MainThreadBridge
    from kiosk.ui.controller import KioskController
    from kiosk.ui.counter import CounterDesk
    from kiosk.ui.gc_guard import GuiThreadCollector
    from kiosk.ui.main_window import KioskWindow
    from kiosk.ui.voice import Narrator, VoiceControls

log = logging.getLogger(__name__)


def ensure_qapplication() -> QApplication:
    """The QApplication with the kiosk's fonts and style (created if there is none yet)."""
    from PySide6.QtGui import QFont
    from PySide6.QtWidgets import QApplication

    from kiosk.ui.startup import spare_pyside_import_hook
    from kiosk.ui.theme import FONT_FAMILIES, STYLESHEET

    spare_pyside_import_hook()

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    # Set once: setting the application's style sheet again re-polishes every widget that still
    # exists, and a process that built a kiosk before (a test session, a restart in place) may hold
    # widgets half torn down: the CI run of 2026-11-29 died with a segfault there.
    if app.styleSheet() != STYLESHEET:
        font = QFont()
        font.setFamilies(FONT_FAMILIES)
        app.setFont(font)
        app.setStyleSheet(STYLESHEET)
    return app


@dataclass
class KioskUi:
    window: KioskWindow
    controller: KioskController
    runtime: Runtime
    bridge: MainThreadBridge
    narrator: Narrator
    voice_controls: VoiceControls
    counter: CounterDesk | None = None     # counter mode's clerk window (kiosk/ui/counter.py)
    collector: GuiThreadCollector | None = None   # cyclic GC on the GUI thread only (kiosk/ui/gc_guard.py)

    def shutdown(self, deadline: float = 3.0) -> bool:
        self.controller.tick.stop()
        if self.collector is not None:
            self.collector.stop()
        if self.counter is not None:
            self.counter.close()
        self.window.close()
        speaker = self.narrator.speaker
        if speaker is not None:
            speaker.close(min(1.0, deadline / 3))   # kills a playing child process; joins its worker
        return self.runtime.shutdown(deadline)


def build_ui(parts: KioskParts, *, start: bool = True) -> KioskUi:
    """Wire the window to the flow and the device threads. GUI thread; a QApplication must exist.
    `start=False` leaves the device threads to `ui.runtime.start()` (run_gui starts them once the
    attract screen is drawn, so loading the face model does not delay it)."""
    from PySide6.QtWidgets import QApplication

    from kiosk.flows.journey import Step, initial_state
    from kiosk.runtime import Runtime
    from kiosk.ui.bridge import MainThreadBridge
    from kiosk.ui.controller import KioskController
    from kiosk.ui.main_window import KioskWindow
    from kiosk.ui.voice import attach_voice

    bridge = MainThreadBridge()
    controller = KioskController(initial_state(parts.flow_config, parts.config.kiosk.language))
    health = None
    if parts.check_health is not None and parts.config.health.interval_seconds > 0:
        from kiosk.services.health import HealthMonitor
        # The report is frozen; the health thread hands it to the GUI thread, where the attract
        # screen (made below, before the thread starts) shows its faults on the staff line.
        health = HealthMonitor(parts.check_health, parts.config.health.interval_seconds,
                               on_report=lambda report: bridge.run_on_main(
                                   lambda: window.screens[Step.ATTRACT].show_health(report)))  # type: ignore[attr-defined]
    runtime = Runtime(devices=parts.devices, catalogue=lambda: parts.catalogue, kiosk_id=parts.config.kiosk.id,
                      open_storage=parts.open_storage, render_receipt=parts.render_receipt,
                      post=lambda event: bridge.run_on_main(lambda: controller.dispatch(event)),
                      timeouts=parts.timeouts, make_sync=parts.make_sync, health=health, open_staff=parts.open_staff,
                      check_health=parts.check_health, override_flag_per_day=parts.config.staff.override_flag_per_day,
                      data_dir=parts.config.data_dir, scanning=parts.scanning,
                      open_face_failures=parts.open_face_failures)
    controller.attach(runtime.perform)
    app = QApplication.instance()
    assert app is not None          # ensure_qapplication() made it
    app.installEventFilter(controller)
    reader = parts.sim_reader
    window = KioskWindow(controller, parts.kiosk_name, runtime.current_camera, parts.demo_citizens,
                         on_demo_insert=(lambda c: reader.insert(c.identity)) if reader else None,
                         on_demo_remove=reader.remove if reader else None, scan_camera=runtime.scan_camera,
                         screen_flash=parts.screen_flash)
    if reader is not None and parts.demo_citizens:
        from kiosk.demo import demo_clerk_card
        from kiosk.ui.demo_tray import add_staff_card_button
        clerk_card = demo_clerk_card()
        add_staff_card_button(window, controller, lambda: reader.insert(clerk_card))
    narrator, voice_controls = attach_voice(window, parts.speaker, parts.config.voice.on_at_start,
                                            attract_idle_s=parts.config.session.timeout_seconds)
    window.screens[Step.SCAN_RECEIPT].speaker = parts.speaker   # type: ignore[attr-defined]
    from kiosk.ui.counter import CounterDesk
    # Counter mode's clerk window (issue 12 part 4): opened while a clerk drives the journey.
    counter = CounterDesk(window, controller, parts.kiosk_name, runtime.current_camera,
                          counter_desk=parts.config.staff.counter_desk)
    attract = window.screens[Step.ATTRACT]
    attract.staff_warnings = parts.staff_warnings   # type: ignore[attr-defined]
    attract.render(controller.state, controller.clock())
    window.resize(1920, 1080)   # the reference panel (21.5", 1920×1080) the theme is measured on
    if start:
        runtime.start()
    from kiosk.ui.gc_guard import GuiThreadCollector
    return KioskUi(window, controller, runtime, bridge, narrator, voice_controls, counter,
                   GuiThreadCollector(window))


def run_gui(parts: KioskParts, *, autopilot: bool = False, offscreen: bool = False, bundle_id: str | None = None,
            citizen: str | None = None, screenshots: Path | None = None, fullscreen: bool = False,
            sessions: int = 1, stats: Path | None = None, step_delay_ms: int = 400,
            scenario: str | None = None, lockdown: bool = False,
            voice_on: bool = False, large: bool = False) -> int:
    """Run the kiosk until the window closes (or the autopilot finishes). Returns the exit code.
    With the autopilot: `sessions` journeys one after the other; `stats` gets a JSON line of
    process figures before the first and after each (bench/soak.py). `scenario` "staff_override":
    a photo-attack citizen, a clerk's override (autopilot_staff.py); "proxy": an agent applies for
    another demo citizen (kiosk/ui/autopilot_proxy.py). `lockdown`: full screen, frameless, quit
    keys ignored until a supervisor signs the kiosk out (kiosk/ui/lockdown.py). `voice_on`: each
    journey first turns voice on at the attract screen, and the run fails if nothing was spoken.
    `large`: the autopilot turns on 长辈版 (large mode) at the start of each journey (which turns
    voice on too)."""
    if offscreen:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from kiosk.ui.startup import start_when_drawn

    app = ensure_qapplication()
    ui = build_ui(parts, start=False)
    start_when_drawn(ui, parts)
    if lockdown:
        ui.window.on_lockdown_released = app.quit   # audited by the flow before this is called
        ui.window.lockdown.engage()
    else:
        ui.window.showFullScreen() if fullscreen else ui.window.show()

    exit_code = {"code": 0}
    if autopilot:
        from kiosk.ui.autopilot import Autopilot, plan_journeys

        reader = parts.sim_reader
        if reader is None or not parts.demo_citizens:
            raise SystemExit("--autopilot needs the simulated card reader and demo citizens")
        staff = None
        if scenario == "staff_override":
            from kiosk.demo import demo_clerk_sign_in
            from kiosk.ui.autopilot_staff import StaffPilot
            # a photo attack, refused by the face check, unless another citizen was asked for
            citizen = citizen or next((c.id for c in parts.demo_citizens if not c.face_genuine), None)
            staff = StaffPilot(ui.window, demo_clerk_sign_in(), lambda name: shoot(name))
        assist = None
        if scenario == "proxy":
            from kiosk.ui.autopilot_proxy import ProxyPilot
            agent, principal = proxy_pair(parts.demo_citizens, citizen)
            citizen = agent.id
            bundle_id = bundle_id or next(b.id for b in parts.catalogue.bundles if b.proxy_allowed)
            assist = ProxyPilot(ui.window, principal, lambda c: reader.insert(c.identity), reader.remove,
                                lambda name: shoot(name))
        if scenario not in (None, "staff_override", "proxy"):
            raise SystemExit(f"unknown --scenario {scenario!r}")
        journeys = plan_journeys(parts.demo_citizens, [b.id for b in parts.catalogue.bundles], sessions,
                                 citizen_id=citizen, bundle_id=bundle_id)

        def finish(code: int) -> None:
            if voice_on or large:   # large mode turns voice on (Narrator.follow_large)
                spoken = ui.narrator.spoken
                print(f"autopilot: voice on, {spoken} utterances spoken", flush=True)
                log.info("autopilot: voice on, %d utterances spoken", spoken)
                if code == 0 and spoken == 0:
                    log.error("autopilot: voice was on but nothing was spoken")
                    code = 1
            exit_code["code"] = code
            log.info("autopilot finished with exit code %d", code)
            app.quit()

        def shoot(name: str) -> None:
            if screenshots is not None:
                screenshots.mkdir(parents=True, exist_ok=True)
                ui.window.grab().save(str(screenshots / f"{name}.png"))

        pilot = Autopilot(ui.window, lambda c: reader.insert(c.identity), reader.remove, finish, journeys,
                          step_delay_ms=step_delay_ms, on_step=shoot, stats=stats, staff=staff,
                          before_journey=_voice_on_switch(ui) if voice_on else None, assist=assist,
                          large=large)
        pilot.start()
    try:
        code = app.exec()
    finally:
        ui.shutdown(3.0)
    return exit_code["code"] if autopilot else code


def _voice_on_switch(ui: KioskUi) -> Callable[[], None]:
    """What the autopilot does first at the attract screen with --voice-on: touch "Read aloud",
    as a citizen would (a session end turns voice off again, so once per journey)."""
    if ui.narrator.speaker is None:
        raise SystemExit("--voice-on needs voice.enabled = true")

    def switch_on() -> None:
        if not ui.narrator.on:
            ui.voice_controls.attract_toggle.click()
    return switch_on
def proxy_pair(citizens: list, agent_id: str | None = None) -> tuple:
    """The proxy scenario's agent (a demo citizen whose face passes, or `agent_id`) and principal
    (the oldest other demo citizen: an elderly parent who cannot come)."""
    agent = next((c for c in citizens if c.id == agent_id), None) or next(c for c in citizens if c.face_genuine)
    others = [c for c in citizens if c.identity.personal_number != agent.identity.personal_number]
    if not others:
        raise SystemExit("--scenario proxy needs two demo citizens")
    return agent, min(others, key=lambda c: c.identity.birth_date)
