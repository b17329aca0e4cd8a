"""The kiosk window: header (name, clock, extra buttons, large mode, language, end), the six-step
progress bar, one screen per step, footer (demo tray), overlays (countdown, end confirmation)."""
from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QTimer
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (QFrame, QHBoxLayout, QMainWindow, QPushButton, QScrollArea, QStackedWidget, QVBoxLayout,
                               QWidget)

from kiosk.devices.face.screen_flash import ScreenFlash
from kiosk.devices.ports import Camera
from kiosk.devices.sim.citizens import DemoCitizen
from kiosk.domain.text import Text
from kiosk.flows import events as ev
from kiosk.flows.common import next_language
from kiosk.flows.journey import FlowState, Step
from kiosk.flows.staff_state import StaffPurpose, StaffView
from kiosk.i18n import language_name
from kiosk.ui import staff_strings as SS
from kiosk.ui import strings as S
from kiosk.ui import theme
from kiosk.ui.controller import KioskController
from kiosk.ui.help_overlay import HelpOverlay
from kiosk.ui.lockdown import Lockdown
from kiosk.ui.screens.access_key import AccessKeyScreen
from kiosk.ui.screens.assist import AuthorisationScreen, IdNumberScreen, ProxyPrincipalScreen, RelationshipScreen
from kiosk.ui.screens.attract import AttractScreen, ReadingCardScreen
from kiosk.ui.screens.base import Screen, button, label
from kiosk.ui.screens.choose import ChooseBundleScreen
from kiosk.ui.screens.face import FaceCheckScreen
from kiosk.ui.screens.form import FormScreen
from kiosk.ui.screens.materials import MaterialsScreen
from kiosk.ui.screens.receipt import RatingScreen, ReceiptScreen, SubmittingScreen
from kiosk.ui.screens.review import ReviewScreen
from kiosk.ui.screens.scan import ScanScreen
from kiosk.ui.screens.staff import OverrideScreen, StaffConsoleScreen, StaffSignInScreen
from kiosk.ui.overlays import ConfirmEndOverlay, TimeoutOverlay
from kiosk.ui.progress import StepsBar
from kiosk.ui.scaling import apply_scale
from kiosk.ui.theme import LARGE_SCALE, NORMAL_SCALE, stylesheet
from kiosk.ui.touch import kinetic


class KioskWindow(QMainWindow):
    def __init__(self, controller: KioskController, kiosk_name: Text, camera: Callable[[], Camera | None],
                 demo_citizens: Sequence[DemoCitizen] = (), on_demo_insert: Callable[[DemoCitizen], None] | None = None,
                 on_demo_remove: Callable[[], None] | None = None,
                 scan_camera: Callable[[], Camera | None] | None = None,
                 screen_flash: ScreenFlash | None = None) -> None:
        super().__init__()
        self.controller = controller
        self.kiosk_name = kiosk_name
        self.setWindowTitle("OneVisit Kiosk")
        root = QWidget()
        root.setObjectName("root")
        self.setCentralWidget(root)
        self._root = root   # the overlay covers it
        col = QVBoxLayout(root)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(0)

        header = QFrame()
        header.setObjectName("header")
        hl = QHBoxLayout(header)
        hl.setContentsMargins(28, 8, 28, 8)
        hl.setSpacing(16)
        self.name = label("", "kioskName", wrap=True)
        self.clock = label("", "clock")
        # Other features put their header buttons here (add_header_button), left of the three below.
        self.header_buttons = QHBoxLayout()
        self.header_buttons.setContentsMargins(0, 0, 0, 0)
        self.large_button = button("", "headerButton")
        self.lang_button = button("", "headerButton")
        self.end_button = button("", "headerButton")
        # On every screen: one touch raises a call staff see (kiosk/flows/staff.py).
        self.help_button = button(SS.HELP_BUTTON, "helpButton")
        self.help_button.clicked.connect(lambda: controller.dispatch(ev.HelpRequested()))
        self.large_button.clicked.connect(self._on_large_clicked)
        self.lang_button.clicked.connect(self._on_lang_clicked)
        self.end_button.clicked.connect(self._on_end_clicked)
        # The name above the clock: in large mode the header's buttons leave too little width for
        # both side by side (the name would wrap into a column of single words).
        title = QVBoxLayout()
        title.setContentsMargins(0, 0, 0, 0)
        title.setSpacing(0)
        title.addWidget(self.name)
        title.addWidget(self.clock)
        hl.addLayout(title, 1)
        hl.addSpacing(8)
        hl.addLayout(self.header_buttons)
        self.add_header_button(self.help_button)   # first in the slot: voice's buttons follow it
        hl.addWidget(self.large_button)
        hl.addWidget(self.lang_button)
        hl.addWidget(self.end_button)
        col.addWidget(header)
        self.steps = StepsBar()
        self._in_journey = False
        col.addWidget(self.steps)

        self.stack = QStackedWidget()
        self.screens: dict[Step, Screen] = {
            Step.ATTRACT: AttractScreen(),
            Step.READING_CARD: ReadingCardScreen(),
            Step.ACCESS_KEY: AccessKeyScreen(),
            Step.FACE_CHECK: FaceCheckScreen(camera, screen_flash),
            Step.CHOOSE_BUNDLE: ChooseBundleScreen(),
            Step.FORM: FormScreen(),
            Step.MATERIALS: MaterialsScreen(),
            Step.REVIEW: ReviewScreen(),
            Step.SUBMITTING: SubmittingScreen(),
            Step.RECEIPT: ReceiptScreen(),
            Step.RATING: RatingScreen(),
            Step.SCAN_RECEIPT: ScanScreen(scan_camera or (lambda: None)),
            Step.PROXY_PRINCIPAL: ProxyPrincipalScreen(),
            Step.PROXY_RELATIONSHIP: RelationshipScreen(),
            Step.PROXY_AUTHORISATION: AuthorisationScreen(),
            Step.ID_NUMBER: IdNumberScreen(),
        }
        self.lockdown = Lockdown(self)
        # Staff screens go over the citizen's step, which keeps its place underneath.
        self.staff_screens: dict[StaffView, Screen] = {
            StaffView.SIGN_IN: StaffSignInScreen(),
            StaffView.OVERRIDE: OverrideScreen(),
            StaffView.CONSOLE: StaffConsoleScreen(lambda: self.lockdown.active),
        }
        # Each screen sits in a kinetic scroll area: a screen taller than the panel (large mode
        # on a small display) scrolls by dragging instead of pushing the window off the screen.
        self.holders: dict[Step, QScrollArea] = {}
        self.staff_holders: dict[StaffView, QScrollArea] = {}
        keyed: list[tuple[Step | StaffView, Screen]] = [*self.screens.items(), *self.staff_screens.items()]
        for key, screen in keyed:
            screen.intent.connect(controller.dispatch)
            holder = QScrollArea()
            holder.setObjectName("screenHolder")
            holder.setWidgetResizable(True)
            holder.setWidget(screen)
            kinetic(holder)
            if isinstance(key, StaffView):
                self.staff_holders[key] = holder
            else:
                self.holders[key] = holder
            self.stack.addWidget(holder)
        col.addWidget(self.stack, 1)

        footer = QFrame()
        footer.setObjectName("footer")
        fl = QHBoxLayout(footer)
        fl.setContentsMargins(28, 6, 28, 6)
        fl.addStretch(1)
        # Demo tray: stands in for placing a real card on the reader (simulated reader only).
        self.demo_buttons = []
        self.demo_remove = None
        if demo_citizens and on_demo_insert:
            self.demo_caption = label("", "staffNote")
            fl.addWidget(self.demo_caption)
            for c in demo_citizens:
                # The presenter needs to know which demo card shows a photo attack at the camera.
                b = button(c.identity.name if c.face_genuine else f"{c.identity.name} · 照片攻击 photo attack", "demoButton")
                b.setObjectName("demoButton")
                b.setProperty("citizen", c.id)
                b.clicked.connect(lambda _=False, cit=c: on_demo_insert(cit))
                self.demo_buttons.append(b)
                fl.addWidget(b)
        if on_demo_remove:
            self.demo_remove = button("", "demoButton")
            self.demo_remove.setObjectName("demoButton")
            self.demo_remove.clicked.connect(on_demo_remove)
            fl.addWidget(self.demo_remove)
        col.addWidget(footer)
        self.footer = footer
        self._has_tray = bool(self.demo_buttons) or self.demo_remove is not None
        footer.setVisible(self._has_tray)

        form = self.screens[Step.FORM]
        assert isinstance(form, FormScreen)
        form.keyboard.opened.connect(lambda _field: self._show_steps())
        form.keyboard.closed.connect(lambda: self._show_steps())
        self.overlay = TimeoutOverlay(root, lambda: controller.dispatch(ev.UserActive()))
        self.help_overlay = HelpOverlay(root, controller.dispatch)
        self.on_lockdown_released: Callable[[], object] = self.close
        self.confirm_end = ConfirmEndOverlay(root, lambda: controller.dispatch(ev.CancelRequested()))
        self.scale: float | None = None
        controller.state_changed.connect(self._on_state_changed)
        self.clock_timer = QTimer(self)
        self.clock_timer.setInterval(1000)
        self.clock_timer.timeout.connect(self._on_clock_timeout)
        self.clock_timer.start()
        self._on_state_changed(controller.state)

    def _show_steps(self, in_journey: bool | None = None) -> None:
        """The six steps (and the demo tray), except while an on-screen keyboard is open in large
        mode: the keyboard needs their height (the form is otherwise taller than the panel), and
        the screen scrolls so that the whole keyboard shows under the field."""
        if in_journey is None:
            in_journey = self._in_journey
        self._in_journey = in_journey
        form = self.screens[Step.FORM]
        # Only large mode needs it: at the normal scale the keyboard fits under the steps.
        typing = isinstance(form, FormScreen) and form.keyboard.isVisible() and theme.SCALE > NORMAL_SCALE
        self.steps.setVisible(in_journey and not typing)
        self.footer.setVisible(self._has_tray and not typing)
        if typing and isinstance(form, FormScreen):
            holder = self.holders[Step.FORM]
            QTimer.singleShot(0, lambda: holder.ensureWidgetVisible(form.keyboard, 0, 0))

    def current_screen(self) -> Screen:
        view = self.controller.state.staff.view
        return self.staff_screens[view] if view is not None else self.screens[self.controller.state.step]

    def current_holder(self) -> QScrollArea:
        """The scroll area of the screen shown now (a staff screen over the step, or the step's)."""
        view = self.controller.state.staff.view
        return self.staff_holders[view] if view is not None else self.holders[self.controller.state.step]

    def add_header_button(self, widget: QPushButton) -> None:
        """Add a button to the header, left of large mode / language / end (e.g. "Ask staff").
        It gets the header's style if it has no object name of its own."""
        if not widget.objectName():
            widget.setObjectName("headerButton")
        self.header_buttons.addWidget(widget)

    def apply_mode(self, large: bool) -> None:
        """Switch the theme to large (×LARGE_SCALE) or normal mode; layouts made since the last
        call are scaled too. GUI thread."""
        scale = LARGE_SCALE if large else NORMAL_SCALE
        theme.SCALE = scale   # the on-screen keyboards read it each time they open
        if scale != self.scale:
            self.scale = scale
            self.setStyleSheet(stylesheet(scale))
        apply_scale(self, scale)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        for overlay in (self.overlay, self.confirm_end, self.help_overlay):
            overlay.setGeometry(self._root.rect())
        super().resizeEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        if self.lockdown.active:   # only a supervisor's sign-in releases it (staff console)
            event.ignore()
            return
        super().closeEvent(event)

    def _on_large_clicked(self) -> None:
        self.controller.dispatch(ev.LargeModeChosen(not self.controller.state.large))

    def _on_lang_clicked(self) -> None:
        # What is typed on the page and not yet sent with Next goes along, so nothing is lost.
        typed = self.current_screen().typed_values()
        self.controller.dispatch(ev.LanguageChosen(next_language(self.controller.state), typed))

    def _on_end_clicked(self) -> None:
        self.confirm_end.ask(self.controller.state.lang)

    def _on_clock_timeout(self) -> None:
        now = self.controller.clock()
        self.clock.setText(now.strftime("%Y-%m-%d  %H:%M"))
        state = self.controller.state
        if state.warning:
            self.overlay.render(state.lang, int(state.seconds_left(now) or 0))

    def _on_state_changed(self, state: FlowState) -> None:
        now = self.controller.clock()
        lang = state.lang
        self.name.setText(self.kiosk_name.get(lang))
        self.clock.setText(now.strftime("%Y-%m-%d  %H:%M"))
        self.lang_button.setText(language_name(next_language(state)))   # each language by its own name
        self.large_button.setText((S.LARGE_OFF if state.large else S.LARGE_ON).get(lang))
        self.end_button.setText(S.END.get(lang))
        self.end_button.setVisible(state.step not in (Step.ATTRACT, Step.SUBMITTING))
        if state.step in (Step.ATTRACT, Step.SUBMITTING):
            self.confirm_end.hide()   # the session ended (or is being stored): nothing left to confirm
        if state.step == Step.ATTRACT:
            for other in (*self.screens.values(), *self.staff_screens.values()):
                if other is not self.staff_screens.get(state.staff.view):   # type: ignore[arg-type]
                    other.reset()   # the session ended: no citizen data may linger on hidden screens
        # Before rendering: what screens size from theme.SCALE (keyboards, pads) reads it then.
        theme.SCALE = LARGE_SCALE if state.large else NORMAL_SCALE
        step_screen = self.screens[state.step]
        step_screen.render(state, now)
        screen = step_screen
        if state.staff.view is not None:
            screen = self.staff_screens[state.staff.view]
            screen.render(state, now)
        self.stack.setCurrentWidget(self.current_holder())
        self._render_help(state)
        # The six steps are the citizen's application: not the attract screen, the receipt
        # scan (no application) or staff screens (not the citizen's).
        in_journey = state.step not in (Step.ATTRACT, Step.SCAN_RECEIPT) and state.staff.view is None
        if in_journey:
            self.steps.render(state, now)
        self._show_steps(in_journey)
        self.apply_mode(state.large)   # layouts the render made (a form page, a bundle grid)
        at_rest = state.step == Step.ATTRACT
        for b in self.demo_buttons:
            b.setVisible(at_rest)
        if self.demo_buttons:
            self.demo_caption.setText(S.DEMO_TRAY.get(lang) if at_rest else "")
        if self.demo_remove is not None:
            self.demo_remove.setText(S.DEMO_REMOVE.get(lang))
            self.demo_remove.setVisible(not at_rest and state.step != Step.SCAN_RECEIPT)   # no card in a scan
        if state.staff.lockdown_released and self.lockdown.active:
            self.lockdown.release()
            QTimer.singleShot(0, self.on_lockdown_released)
        if self.confirm_end.isVisible():
            self.confirm_end.ask(lang)   # in the language now chosen
        if state.warning:
            self.overlay.render(lang, int(state.seconds_left(now) or 0))
            self.overlay.cover()
        else:
            self.overlay.hide()

    def _render_help(self, state: FlowState) -> None:
        st = state.staff
        call = state.help_call()
        self.help_button.setText(SS.HELP_CALLED.format(n=call.number) if call else SS.HELP_BUTTON)
        self.help_button.setVisible(st.view is None)   # staff at work need no button to call themselves
        if st.help_panel and st.view is None:
            self.help_overlay.setGeometry(self._root.rect())
            self.help_overlay.render(state)
            self.help_overlay.show()
            self.help_overlay.raise_()
        else:
            self.help_overlay.hide()

    def open_staff_console(self) -> None:
        """The discreet staff entry (the attract screen's staff button)."""
        self.controller.dispatch(ev.StaffRequested(StaffPurpose.CONSOLE))
