"""What the flow holds about staff at the kiosk: help calls, the staff member signed in, and which
staff screen (sign-in, override, console) is over the citizen's screen. Frozen; GUI thread.

The staff screens are drawn over the current step: the citizen's session keeps its place (step,
answers, face result) underneath, and closing them shows it again unchanged.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from kiosk.domain.text import Text


class StaffView(str, Enum):
    SIGN_IN = "staff_sign_in"
    OVERRIDE = "override"
    CONSOLE = "staff_console"


class StaffPurpose(str, Enum):
    """What a staff sign-in is for: it decides where a good sign-in leads."""
    OVERRIDE = "override"    # confirm the citizen's identity after a failed automated check
    CONSOLE = "console"      # the staff console (help calls, overrides today, device health)
    HELP = "help"            # answering a help call: the override if one is due, else the console
    EXIT = "exit"            # leave lockdown (a supervisor only)


@dataclass(frozen=True)
class HelpCall:
    number: str          # short, read out across the hall: "H07"
    raised_at: datetime
    attempt: int         # the session it was raised in (0: on the attract screen)


@dataclass(frozen=True)
class OnDuty:
    """The staff member signed in at the kiosk (no name, no PIN: the number and role only)."""
    staff_number: str
    role: str            # "clerk" | "supervisor"
    since: datetime


@dataclass(frozen=True)
class HealthLine:
    """One line of the staff health screen (from the health interface, see runtime_staff.py)."""
    name: str
    ok: bool
    status: str
    detail: str = ""
    action: str = ""


@dataclass(frozen=True)
class OverrideCount:
    staff_number: str
    today: int
    flagged: bool        # above [staff] override_flag_per_day


@dataclass(frozen=True)
class ConsoleData:
    overrides: tuple[OverrideCount, ...] = ()
    health: tuple[HealthLine, ...] = ()
    loading: bool = True


@dataclass(frozen=True)
class StaffState:
    view: StaffView | None = None
    purpose: StaffPurpose | None = None
    on_duty: OnDuty | None = None
    touched: datetime | None = None     # the last staff touch: staff mode and the staff screens end after idle
    busy: bool = False                  # a PIN check or an audit write is under way (buttons disabled)
    message: Text | None = None         # the last answer, in plain words (wrong PIN, attempts left, locked)
    calls: tuple[HelpCall, ...] = ()    # open help calls on this kiosk, oldest first
    call_seq: int = 0                   # the last call number given out
    help_panel: bool = False            # the citizen's "staff are on their way" panel is showing
    console: ConsoleData | None = None
    lockdown_released: bool = False     # a supervisor signed the kiosk out of lockdown (audited)
    # The account whose own ID card was inserted on the sign-in screen: only its PIN is asked.
    card_staff: str | None = None
    card_reading: bool = False          # that card is being read and matched (busy too)

    def call_for(self, attempt: int) -> HelpCall | None:
        """The open help call of session `attempt`, if any."""
        return next((c for c in self.calls if c.attempt == attempt), None)

    def __repr__(self) -> str:
        return f"StaffState(view={self.view}, on_duty={self.on_duty.staff_number if self.on_duty else None})"
