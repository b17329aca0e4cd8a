"""`kiosk ui audit`: walks every screen of the kiosk window in normal and in large mode, on the
reference panel (a 1920×1080 window, offscreen, simulated devices), and measures the live widgets
(kiosk.ui.measure). GUI thread only; needs a QApplication (`ensure_qapplication`).

The walk drives a real window through the flow's own events, with no device threads: the card,
face, records, store and printer answers are posted as the devices would post them. Each form
page of every bundle is shown, each scroll panel is paged through to its end, and the overlays
(inactivity countdown, end confirmation, help panel) are measured on their own, as the citizen
sees them. Voice is on, so its header buttons are measured too; the help call, staff sign-in,
override and console, the receipt scan, the on-screen keyboards and the rating's details are
walked by kiosk.ui.audit_walks.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from PySide6.QtWidgets import QApplication, QWidget

from kiosk.compose import KioskParts
from kiosk.domain.application import application_number
from kiosk.domain.samples import sample_answer
from kiosk.i18n import tr
from kiosk.flows import events as ev
from kiosk.flows.journey import Step, initial_state
from kiosk.ui import audit_walks
from kiosk.ui.controller import KioskController
from kiosk.ui.main_window import KioskWindow
from kiosk.ui.measure import FIGURES, Figures, measure
from kiosk.ui.screens.form import FormScreen
from kiosk.ui.screens.receipt import RatingScreen
from kiosk.ui.theme import MM_PER_PX
from kiosk.ui.touch import ScrollPanel
from kiosk.ui.voice import attach_voice

PANEL = (1920, 1080)
# Exit non-zero below these (issue 13). Gaps: 3 mm in both modes; line spacing: 1.3 in large mode.
THRESHOLDS = {
    "normal": {"min_text_px": 22.0, "min_target_mm": 10.0, "min_contrast": 4.5, "min_gap_mm": 3.0},
    "large": {"min_text_px": 32.0, "min_target_mm": 15.0, "min_contrast": 7.0, "min_gap_mm": 3.0,
              "min_line_spacing": 1.3},
}


class _Walk:
    def __init__(self, parts: KioskParts, large: bool) -> None:
        self.parts = parts
        self.large = large
        self.now = datetime.now().replace(microsecond=0)
        self.controller = KioskController(initial_state(parts.flow_config), clock=lambda: self.now)
        citizens = parts.demo_citizens
        self.window = KioskWindow(self.controller, parts.kiosk_name, lambda: None, citizens,
                                  on_demo_insert=(lambda c: None) if citizens else None,
                                  on_demo_remove=(lambda: None) if citizens else None)
        attract = self.window.screens[Step.ATTRACT]
        attract.staff_warnings = parts.staff_warnings   # type: ignore[attr-defined]
        self.narrator, _ = attach_voice(self.window, parts.speaker)
        self.window.resize(*PANEL)
        self.window.show()
        self.figures = {"normal": Figures(), "large": Figures()}
        self.oversize: list[str] = []
        self.scrolling: set[str] = set()   # screens taller than the panel (they scroll as a whole)

    def send(self, event: ev.Event) -> None:
        self.controller.dispatch(event)

    @property
    def state(self):
        return self.controller.state

    def look(self, name: str) -> None:
        """Measure what the window shows now, paging through any scroll panel on the screen."""
        app = QApplication.instance()
        assert app is not None
        if self.narrator.available() and not self.narrator.on:
            self.narrator.set_voice(True)   # Repeat and headset show only while voice is on
        for _ in range(3):   # a re-render posts layout requests that post more: let them settle
            app.processEvents()
        # A screen is measured in the mode it is shown in (the thank-you after a large-mode
        # session is already in normal mode: the next citizen's).
        mode = "large" if self.state.large else "normal"
        figures = self.figures[mode]
        size = self.window.size()
        if size.width() > PANEL[0] or size.height() > PANEL[1]:
            self.oversize.append(f"{mode}/{name}: {size.width()}×{size.height()}")
        screen = f"{mode}/{name}"
        for overlay in (self.window.confirm_end, self.window.overlay, self.window.help_overlay):
            if overlay.isVisible():
                measure(self.window, screen, figures, [overlay])
                return
        holder = self.window.current_holder()
        outer_bar = holder.verticalScrollBar()
        if outer_bar.maximum() > 0:
            self.scrolling.add(f"{mode}/{self.state.step.value}")
        layers: list[QWidget] = [self.window]
        while True:
            measure(self.window, screen, figures, layers)
            for panel in [p for p in holder.findChildren(ScrollPanel) if p.isVisible()]:
                bar = panel.area.verticalScrollBar()
                while bar.value() < bar.maximum():
                    panel.page(1)
                    app.processEvents()
                    measure(self.window, f"{screen} (scrolled)", figures, layers)
                bar.setValue(0)
            if outer_bar.value() >= outer_bar.maximum():
                break
            outer_bar.setValue(outer_bar.value() + holder.viewport().height() * 3 // 4)
            app.processEvents()
            screen = f"{mode}/{name} (screen scrolled)"
        outer_bar.setValue(0)

    def run(self) -> None:
        if self.large:
            self.send(ev.LargeModeChosen(True))
        self.send(ev.SyncBacklogChanged(2, self.now.isoformat()))
        self.look("attract")
        audit_walks.staff_and_help(self)
        self.large_again()
        audit_walks.scan(self, self.parts.config.kiosk.id)
        bundles = [b.id for b in self.parts.catalogue.bundles]
        for i, bundle_id in enumerate(bundles):
            self.journey(bundle_id, full=i == 0)
        self.large_again()
        self.send(ev.CardInserted())
        self.send(ev.CardRead(self.state.attempt, self.parts.demo_citizens[0].identity))
        audit_walks.override(self, self.state.attempt, self.parts.flow_config.max_face_attempts)
        self.send(ev.CancelRequested())

    def large_again(self) -> None:
        """A session end returns to normal mode: the large-mode walk's next citizen turns it on."""
        if self.large and not self.state.large:
            self.send(ev.LargeModeChosen(True))

    def journey(self, bundle_id: str, full: bool) -> None:
        """One citizen's session; `full`: every screen and state, else only the form pages."""
        citizen = self.parts.demo_citizens[0]
        self.large_again()
        self.send(ev.CardInserted())
        a = self.state.attempt
        if full:
            self.look("reading_card")
            self.send(ev.AccessKeyNeeded(a, tr("请输入证件上的数字"), wrong=True))
            self.look("access_key")
            self.send(ev.AccessKeyEntered(can="123456"))
        self.send(ev.CardRead(a, citizen.identity))
        if full:
            self.send(ev.FaceGuidance(a, tr("请向左转头")))
            self.look("face_check")
            self.send(ev.FaceChecked(a, matched=False, distance=0.7))
            self.look("face_check_failed")
            self.send(ev.FaceRetryRequested())
        self.send(ev.FaceChecked(a, matched=True, distance=0.3))
        self.send(ev.RecordsUnavailable(a))
        if full:
            self.look("choose_bundle")
            self.now += timedelta(seconds=self.state.timeout_seconds() - 10)
            self.send(ev.Tick())
            self.look("timeout_warning")
            self.send(ev.UserActive())
            self.window.end_button.click()
            self.look("end_confirmation")
            self.window.confirm_end.no.click()
        self.send(ev.BundleChosen(bundle_id))
        form = self.window.screens[Step.FORM]
        assert isinstance(form, FormScreen)
        pages = 0
        while self.state.step == Step.FORM and pages < 40:
            pages += 1
            self.look(f"form {bundle_id} page {pages}")
            if full:
                audit_walks.keyboards(self, form, f"form {bundle_id} page {pages}")
            for w in form.fields.values():
                if not w.value():
                    w.set_value(sample_answer(w.field, self.now.date()))
            if full and pages == 1 and self.state.session and not self.state.session.errors:
                self.send(ev.NextRequested({fid: "" for fid in form.fields}))   # show the errors
                self.look(f"form {bundle_id} errors")
            self.send(ev.NextRequested(form.values()))
        if self.state.step == Step.MATERIALS:
            self.look(f"materials {bundle_id}")
            for m in self.state.materials(self.now):
                if not m.held_by_government:
                    self.send(ev.MaterialCaptureRequested(m.id))
                    self.send(ev.MaterialCaptured(a, m.id, b"\xff\xd8demo"))
            if full:
                self.look(f"materials {bundle_id} photographed")
            self.send(ev.NextRequested())
        if self.state.step != Step.REVIEW:
            raise RuntimeError(f"the audit's walk of {bundle_id} stopped at {self.state.step.value}")
        self.look(f"review {bundle_id}")
        if not full:
            self.send(ev.CancelRequested())
            return
        self.send(ev.SubmitRequested(False))
        self.look("review consent needed")
        self.send(ev.SubmitRequested(True))
        self.look("submitting")
        s = self.state.session
        assert s is not None and s.draft is not None
        app = s.draft.numbered(application_number(self.parts.config.kiosk.id, 1, self.now),
                               self.parts.config.kiosk.id, self.now)
        self.send(ev.ApplicationStored(a, app))
        self.look("receipt printing")
        self.send(ev.PrintFailed(a, tr("打印机缺纸。")))
        self.look("receipt print failed")
        self.send(ev.ReprintRequested())
        self.send(ev.ReceiptPrinted(a, "receipt.pdf"))
        self.look("receipt")
        self.send(ev.ReceiptTaken())
        self.look("rating")
        rating = self.window.screens[Step.RATING]
        assert isinstance(rating, RatingScreen)
        audit_walks.rating_details(self, rating, lambda screen: screen.buttons[0].click())
        self.send(ev.Rated(5))
        self.look("thanks")
        self.send(ev.CancelRequested())

    def close(self) -> None:
        self.window.close()
        self.window.deleteLater()


def audit(parts: KioskParts, progress: Callable[[str], None] = lambda line: None) -> dict:
    """Walk both modes; the figures per mode, the worst widget per figure, and the failures."""
    result: dict = {"panel": {"px": list(PANEL), "mm_per_px": MM_PER_PX}, "modes": {}, "failures": []}
    walks: list[_Walk] = []
    for mode in ("normal", "large"):
        progress(f"walking every screen in {mode} mode")
        walk = _Walk(parts, large=mode == "large")
        try:
            walk.run()
        finally:
            walk.close()
        walks.append(walk)
    for mode in ("normal", "large"):
        merged = Figures()
        for walk in walks:
            for k, value in walk.figures[mode].values.items():
                merged.see(k, value, walk.figures[mode].worst[k])
        v = merged.values
        figures = {k: round(v[k], 2) for k in FIGURES if k in v}
        figures["min_text_mm"] = round(v["min_text_px"] * MM_PER_PX, 2)
        result["modes"][mode] = {**figures, "worst": dict(merged.worst),
                                 "screens_taller_than_panel": sorted({s for w in walks for s in w.scrolling
                                                                      if s.startswith(mode + "/")})}
        for figure, floor in THRESHOLDS[mode].items():
            if figure in v and v[figure] < floor:
                result["failures"].append(f"{mode}: {figure} {v[figure]:.2f} < {floor} ({merged.worst[figure]})")
    for walk in walks:
        result["failures"].extend(f"window larger than the panel at {o}" for o in walk.oversize[:5])
    return result


__all__ = ["THRESHOLDS", "audit"]
