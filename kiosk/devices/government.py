"""The government records port: what the government already holds for a citizen.

One lookup per session, right after the card read, on the kiosk's `records` worker thread (it is
network I/O for a real back office). Its answer prefills fields whose catalogue says
`prefill_from: records.<key>` (or `source: gov.<key>`; the keys are RECORD_KEYS in
kiosk/domain/government.py) and marks the materials it returns as "held by the government". Without an answer
the citizen simply types and photographs what was not found: a lookup never blocks the journey.

Backends: `NoGovernmentRecords` (the default until a real data-sharing backend is wired),
`kiosk.devices.sim.government.SimGovernmentRecords` (the demo citizens' records).
"""
from __future__ import annotations

from typing import Protocol, runtime_checkable

from kiosk.domain.government import GovernmentData
from kiosk.domain.identity import Identity


class RecordsError(Exception):
    """The records backend could not answer (network, refusal, malformed reply). The message is
    for the operator log and never holds personal data."""


@runtime_checkable
class GovernmentRecords(Protocol):
    def lookup(self, identity: Identity, timeout: float) -> GovernmentData:
        """What the government holds for this citizen (empty when it holds nothing).

        Runs on the records worker thread; blocks at most `timeout` seconds; raises RecordsError
        or TimeoutError when it cannot answer."""
        ...


class NoGovernmentRecords:
    """No records backend: nothing is prefilled from government data, nothing is held."""

    def lookup(self, identity: Identity, timeout: float) -> GovernmentData:
        """Any thread; never blocks."""
        return GovernmentData()
