"""Staff mode's clock: it ends by itself after `idle_seconds` without a touch. Pure timing logic
(no I/O, no clock of its own): the caller passes `now` (time.monotonic() on the GUI thread's
timer, or any clock in tests), so it runs on any thread and never blocks.

    mode = StaffMode.start(member, now, policy.idle_seconds)
    mode = mode.touched(now)            # on every touch while staff mode is on
    if mode.expired(now): ...           # end it: StaffAuthenticator.end_staff_mode(member, "idle")
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from kiosk.services.staff.credentials import StaffMember


@dataclass(frozen=True)
class StaffMode:
    member: StaffMember
    started: float
    last_touch: float
    idle_seconds: float

    @classmethod
    def start(cls, member: StaffMember, now: float, idle_seconds: float) -> StaffMode:
        if idle_seconds <= 0:
            raise ValueError("staff mode needs a positive idle time")
        return cls(member, now, now, idle_seconds)

    def touched(self, now: float) -> StaffMode:
        """Staff did something: the idle time counts again from `now` (never backwards)."""
        return replace(self, last_touch=max(self.last_touch, now))

    def seconds_left(self, now: float) -> float:
        return max(0.0, self.last_touch + self.idle_seconds - now)

    def expired(self, now: float) -> bool:
        return now >= self.last_touch + self.idle_seconds

    @property
    def is_supervisor(self) -> bool:
        return self.member.role == "supervisor"
