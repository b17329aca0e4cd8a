"""What the flow holds for assisted applications (issue 12 parts 4-6): the counter mode a clerk
switched on, an application for someone else under way, and an identity check without the card.
Frozen; GUI thread. The moves are in kiosk/flows/assist.py.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from kiosk.domain.assisted import ProxyRecord
from kiosk.domain.identity import Identity
from kiosk.domain.redaction import mask


@dataclass(frozen=True)
class CounterMode:
    """A clerk drives the journey from the clerk-facing window; the citizen's window mirrors it and
    the citizen gives consent there. `confirmed` once its `counter_mode` audit entry is written:
    until then nothing is done in the clerk's name."""
    staff_number: str
    since: datetime
    confirmed: bool = False


@dataclass(frozen=True)
class ProxyState:
    """An application for someone else: the agent (whose card was read and face checked first),
    then the principal's card, the relationship and the photographed authorisation."""
    agent: Identity
    reading: bool = False                 # the principal's card is being read
    relationship: str | None = None       # a key of kiosk.domain.assisted.RELATIONSHIPS
    authorisation: bytes = field(default=b"", repr=False)   # JPEG, in memory until the store encrypts it
    capturing: bool = False

    def record(self) -> ProxyRecord | None:
        if self.relationship is None:
            return None
        a = self.agent
        return ProxyRecord(a.name or a.name_latin, a.personal_number or a.document_number, self.relationship,
                           bool(self.authorisation))

    def __repr__(self) -> str:
        return f"ProxyState(agent={self.agent.redacted()}, relationship={self.relationship})"


@dataclass(frozen=True)
class NoCardState:
    """The ID number typed instead of the card, and whether its reference photo is being fetched.
    The photo itself is never kept here: it arrives inside the session's Identity and goes with it."""
    id_number: str = ""
    fetching: bool = False

    def __repr__(self) -> str:
        return f"NoCardState({mask(self.id_number) if self.id_number else '-'}, fetching={self.fetching})"
