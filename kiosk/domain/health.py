"""What a health check found, as plain data: each check's verdict and what staff should do.

The types live in the domain, not in kiosk/services/health.py, because both the device probes
(kiosk/devices/health.py) and the service checks (kiosk/services/health.py) build them, and the
import contracts keep devices and services apart. Pure and frozen: a report is handed from the
thread that made it to the GUI thread as it is, never changed.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from kiosk.domain.text import Text

Status = Literal["ok", "fault", "note"]
# ok:    works as it should
# fault: staff must act now (exit 1 of `kiosk health`; shown on the attract screen's staff line)
# note:  worth knowing, nothing to do now (a simulated device, no back office enrolled, a time
#        sync that cannot be checked)


@dataclass(frozen=True)
class Check:
    """One check: `name` is stable ("printer", "card_reader.pcsc", "disk"...), `detail` says in
    plain words what was found and `action` what staff should do (None when nothing)."""

    name: str
    status: Status
    detail: Text
    action: Text | None = None
    facts: tuple[tuple[str, Any], ...] = ()    # numbers for scripts (free bytes, days offline...)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status,
                "detail": {"zh": self.detail.zh, "en": self.detail.en},
                "action": {"zh": self.action.zh, "en": self.action.en} if self.action else None,
                "facts": dict(self.facts)}


def ok(name: str, detail: Text, /, **facts: Any) -> Check:
    return Check(name, "ok", detail, None, tuple(facts.items()))


def note(name: str, detail: Text, action: Text | None = None, /, **facts: Any) -> Check:
    return Check(name, "note", detail, action, tuple(facts.items()))


def fault(name: str, detail: Text, action: Text, /, **facts: Any) -> Check:
    return Check(name, "fault", detail, action, tuple(facts.items()))


@dataclass(frozen=True)
class HealthReport:
    """Every check of one run, in a fixed order. A fault anywhere makes the whole a fault."""

    checks: tuple[Check, ...]
    checked_at: datetime
    kiosk_id: str = ""

    @property
    def status(self) -> Status:
        return "fault" if self.faults else "ok"

    @property
    def faults(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.status == "fault")

    @property
    def notes(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.status == "note")

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "kiosk_id": self.kiosk_id,
                "checked_at": self.checked_at.replace(microsecond=0).isoformat(),
                "faults": len(self.faults), "notes": len(self.notes),
                "checks": [c.as_dict() for c in self.checks]}
