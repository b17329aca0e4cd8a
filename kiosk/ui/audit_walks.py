"""The parts of `kiosk ui audit`'s walk that leave the citizen's application path: the help call,
the staff sign-in, override and console, the receipt scan, the on-screen keyboards and the
rating's details. Each drives the window through the flow's own events, as audit.py does, and
calls `look` on every screen it shows. GUI thread only.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from PySide6.QtWidgets import QApplication

from kiosk.domain import progress as pg
from kiosk.domain.application import application_number
from kiosk.i18n import tr
from kiosk.flows import events as ev
from kiosk.flows.journey import FlowState
from kiosk.flows.staff_state import HealthLine, OverrideCount, StaffPurpose
from kiosk.ui.keyboards.keyboard import TEXT_MODES
from kiosk.ui.screens.form import FormScreen
from kiosk.ui.screens.receipt import RatingScreen

# Demo values only: the walk checks no PIN (no store thread runs), it answers as the store would.
STAFF_NUMBER, ROLE = "1001", "clerk"


class Walk(Protocol):
    @property
    def state(self) -> FlowState: ...
    def send(self, event: ev.Event) -> None: ...
    def look(self, name: str) -> None: ...


def _settle() -> None:
    app = QApplication.instance()
    if app is not None:
        app.processEvents()


def _sign_in(walk: Walk, name: str) -> None:
    """On the sign-in screen: a wrong PIN (its message shown), then the demo clerk's answer."""
    walk.look(f"staff sign-in ({name})")
    walk.send(ev.StaffSignInSubmitted(STAFF_NUMBER, "0000"))
    walk.send(ev.StaffSignInAnswered(False, tr("工号或密码不对，还可试 4 次。"),
                                     attempts_left=4))
    walk.look(f"staff sign-in wrong PIN ({name})")
    walk.send(ev.StaffSignInSubmitted(STAFF_NUMBER, "2468"))
    walk.send(ev.StaffSignInAnswered(True, tr("已登录"), STAFF_NUMBER, ROLE))


def staff_and_help(walk: Walk) -> None:
    """From the attract screen: the help panel, then the staff console through the sign-in."""
    walk.send(ev.HelpRequested())
    walk.look("help panel")
    walk.send(ev.HelpPanelClosed())
    walk.send(ev.StaffRequested(StaffPurpose.CONSOLE))
    _sign_in(walk, "console")
    walk.send(ev.StaffConsoleLoaded(
        overrides=(OverrideCount(STAFF_NUMBER, 2, False), OverrideCount("1002", 7, True)),
        health=(HealthLine("printer", False, "fault", "打印机缺纸 out of paper", "装纸 refill the paper"),
                HealthLine("camera", True, "ok", "camera 0"), HealthLine("sync", True, "ok", "2 pending"))))
    walk.look("staff console")
    walk.send(ev.StaffSignedOut())


def override(walk: Walk, attempt: int, failures: int) -> None:
    """On the face check: `failures` failed checks, then a clerk's override screen."""
    for i in range(failures):
        walk.send(ev.FaceChecked(attempt, matched=False, distance=0.7))
        if i < failures - 1:
            walk.send(ev.FaceRetryRequested())
    walk.look("face check for staff")
    walk.send(ev.StaffRequested(StaffPurpose.OVERRIDE))
    _sign_in(walk, "override")
    walk.look("staff override")
    walk.send(ev.StaffSignedOut())


def scan(walk: Walk, kiosk_id: str) -> None:
    """From the attract screen: the camera page, typing, the statuses found, then leaving."""
    walk.send(ev.ScanRequested())
    walk.look("scan camera")
    walk.send(ev.TypingRequested())
    walk.look("scan typing")
    walk.send(ev.CodeTyped("12"))
    walk.look("scan typing format")
    now = walk.state.last_activity
    assert now is not None
    number = application_number(kiosk_id, 7, now)
    walk.send(ev.CodeTyped(number))
    items = (pg.DepartmentProgress("birth_cert", "卫生健康委", "2026-11-30", False, "approved"),
             pg.DepartmentProgress("hukou", "公安局", "2026-12-04", True, "more_materials_needed"),
             pg.DepartmentProgress("medical", "医保局", "2026-12-04", True, None))
    found = pg.ReceiptProgress(number, "新生儿出生一件事", "7K3M-QX9P-T", items, now.isoformat(), pg.FROM_KIOSK)
    walk.send(ev.ProgressFound(walk.state.attempt, found))
    walk.look("scan statuses")
    walk.send(ev.CancelRequested())


def keyboards(walk: Walk, form: FormScreen, page: str) -> None:
    """Open the on-screen keyboard on the page's first text and date fields, in each of its modes."""
    kb = form.keyboard
    seen: set[str] = set()
    for w in form.fields.values():
        if w.edit is None or w.field.type in seen:
            continue
        seen.add(w.field.type)
        kb.open_for(w.edit)
        _settle()
        shown = [m for m, tab in kb.tabs.items() if tab.isVisibleTo(kb)] or [kb.mode]
        for mode in shown:
            if mode in TEXT_MODES and mode != kb.mode:
                kb.set_mode(mode)
            walk.look(f"{page}, keyboard {mode} on {w.field.type}")
        kb.close_keyboard()
        _settle()


def rating_details(walk: Walk, screen: RatingScreen, pick: Callable[[RatingScreen], None]) -> None:
    """The rating screen after a bad score: departments, reasons and the call back."""
    pick(screen)
    _settle()
    walk.look("rating details")


__all__ = ["keyboards", "override", "rating_details", "scan", "staff_and_help"]
