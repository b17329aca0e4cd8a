"""The kiosk window: header (name, clock, language, end), one screen per step, footer, overlay."""
from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QMainWindow, QStackedWidget, QVBoxLayout, QWidget

from kiosk.devices.face.screen_flash import ScreenFlash
from kiosk.devices.ports import Camera
from kiosk.devices.sim.citizens import DemoCitizen
from kiosk.domain.text import Text
from kiosk.flows import events as ev
from kiosk.flows.journey import FlowState, Step
from kiosk.flows.staff_state import StaffPurpose, StaffView
from kiosk.ui import staff_strings as SS
from kiosk.ui import strings as S
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
from kiosk.ui.screens.staff import OverrideScreen, StaffConsoleScreen, StaffSignInScreen
from kiosk.ui.screens.scan import ScanScreen


class TimeoutOverlay(QFrame):
    """The inactivity warning with a countdown, over the whole window."""

    def __init__(self, parent: QWidget, on_stay: Callable[[], None]) -> None:
        super().__init__(parent)
        self.setObjectName("overlay")
        box = QFrame()
        box.setObjectName("overlayBox")
        box.setFixedWidth(720)
        lay = QVBoxLayout(box)
        lay.setContentsMargins(40, 30, 40, 30)
        lay.setSpacing(16)
        self.title = label("", "title", align=Qt.AlignmentFlag.AlignCenter)
        self.count = label("", "countdown", align=Qt.AlignmentFlag.AlignCenter)
        self.body = label("", "subtitle", wrap=True, align=Qt.AlignmentFlag.AlignCenter)
        self.stay = button("", "primary")
        self.stay.clicked.connect(on_stay)
        for w in (self.title, self.count, self.body, self.stay):
            lay.addWidget(w)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(box, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(1)
        self.hide()

    def render(self, lang: str, seconds: int) -> None:  # type: ignore[override]  # see Screen.render
        self.title.setText(S.STILL_THERE.get(lang))
        self.count.setText(str(max(0, seconds)))
        self.body.setText(S.TIMEOUT_BODY.format(s=max(0, seconds)).get(lang))
        self.stay.setText(S.STAY.get(lang))


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
        hl.setContentsMargins(28, 12, 28, 12)
        self.name = label("", "kioskName")
        self.clock = label("", "clock")
        self.lang_button = button("", "headerButton")
        self.lang_button.setObjectName("headerButton")
        self.end_button = button("", "headerButton")
        # On every screen: one touch raises a call staff see (kiosk/flows/staff.py).
        self.help_button = button(SS.HELP_BUTTON, "helpButton")
        self.help_button.clicked.connect(lambda: controller.dispatch(ev.HelpRequested()))
        self.lang_button.clicked.connect(self._on_lang_clicked)
        self.end_button.clicked.connect(lambda: controller.dispatch(ev.CancelRequested()))
        hl.addWidget(self.name, 1)
        hl.addWidget(self.clock)
        hl.addSpacing(20)
        hl.addWidget(self.help_button)
        hl.addWidget(self.lang_button)
        hl.addWidget(self.end_button)
        col.addWidget(header)

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
        for screen in (*self.screens.values(), *self.staff_screens.values()):
            screen.intent.connect(controller.dispatch)
            self.stack.addWidget(screen)
        col.addWidget(self.stack, 1)

        footer = QFrame()
        footer.setObjectName("footer")
        fl = QHBoxLayout(footer)
        fl.setContentsMargins(28, 10, 28, 10)
        self.progress = label("", "progress")
        fl.addWidget(self.progress)
        fl.addStretch(1)
        # Demo tray: stands in for placing a real card on the reader (simulated reader only).
        self.demo_buttons = []
        self.demo_remove = None
        if demo_citizens and on_demo_insert:
            self.demo_caption = label("", "help")
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

        self.overlay = TimeoutOverlay(root, lambda: controller.dispatch(ev.UserActive()))
        self.help_overlay = HelpOverlay(root, controller.dispatch)
        self.on_lockdown_released: Callable[[], object] = self.close
        controller.state_changed.connect(self._on_state_changed)
        self.clock_timer = QTimer(self)
        self.clock_timer.setInterval(1000)
        self.clock_timer.timeout.connect(self._on_clock_timeout)
        self.clock_timer.start()
        self._on_state_changed(controller.state)

    def current_screen(self) -> Screen:
        view = self.controller.state.staff.view
        return self.staff_screens[view] if view is not None else self.screens[self.controller.state.step]

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.overlay.setGeometry(self._root.rect())
        self.help_overlay.setGeometry(self._root.rect())
        super().resizeEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        if self.lockdown.active:   # only a supervisor's sign-in releases it (staff console)
            event.ignore()
            return
        super().closeEvent(event)

    def _on_lang_clicked(self) -> None:
        self.controller.dispatch(ev.LanguageChosen("en" if self.controller.state.lang == "zh" else "zh"))

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
        self.lang_button.setText(S.LANG_SWITCH[lang].get(lang))
        self.end_button.setText(S.END.get(lang))
        self.end_button.setVisible(state.step not in (Step.ATTRACT, Step.SUBMITTING))
        if state.step == Step.ATTRACT:
            for other in (*self.screens.values(), *self.staff_screens.values()):
                if other is not self.staff_screens.get(state.staff.view):   # type: ignore[arg-type]
                    other.reset()   # the session ended: no citizen data may linger on hidden screens
        step_screen = self.screens[state.step]
        step_screen.render(state, now)
        screen = step_screen
        if state.staff.view is not None:
            screen = self.staff_screens[state.staff.view]
            screen.render(state, now)
        self.stack.setCurrentWidget(screen)
        self._render_help(state)
        i, n = state.progress(now)
        self.progress.setText(S.STEP_OF.format(i=i, n=n).get(lang)
                              if state.step not in (Step.ATTRACT, Step.SCAN_RECEIPT) else "")
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
        if state.warning:
            self.overlay.setGeometry(self._root.rect())
            self.overlay.render(lang, int(state.seconds_left(now) or 0))
            self.overlay.show()
            self.overlay.raise_()
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
