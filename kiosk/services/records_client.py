"""Asking the back office what the government already holds about the citizen signed in at the
kiosk (POST /v1/records/lookup, backoffice/records.py), for the GovernmentRecords port to prefill
the form and to mark materials "held by the government" from what this call returned for this
citizen. The request is signed with the kiosk's key and the answer must be signed by the back
office for this very request (kiosk/services/sync/client.py); the ID number travels in the body.

What comes back is bounded and checked before use: at most MAX_VALUES values of at most
MAX_VALUE characters, material ids shaped like the catalogue's. Runs on whichever thread calls it
(the port's worker); blocks for at most the client's timeout.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from kiosk.domain.government import GovernmentData
from kiosk.domain.identity import Identity
from kiosk.services.sync.client import SyncClient, TransientSyncError

PATH = "/v1/records/lookup"
MAX_VALUES = 200
MAX_VALUE = 500
KEY_RE = re.compile(r"[a-z][a-z0-9_]{0,63}")


class RecordsUnavailable(TransientSyncError):
    """No answer to rely on (network, refused, no records source configured, garbled): the kiosk
    asks the citizen instead and marks nothing as held."""


@dataclass(frozen=True)
class GovernmentRecords:
    found: bool
    values: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    held_materials: frozenset[str] = frozenset()


def lookup_government_records(client: SyncClient, id_number: str) -> GovernmentRecords:
    """What the government holds for this resident ID number. Raises RecordsUnavailable."""
    try:
        answer = client.call("POST", PATH, {"id_number": id_number})
    except TransientSyncError as exc:
        raise RecordsUnavailable(str(exc)) from None
    return parse_answer(answer)


def parse_answer(answer: object) -> GovernmentRecords:
    if not isinstance(answer, dict) or not isinstance(answer.get("found"), bool):
        raise RecordsUnavailable("a garbled records answer")
    values, held = answer.get("values", {}), answer.get("held_materials", [])
    if not isinstance(values, dict) or not isinstance(held, list) or len(values) > MAX_VALUES or len(held) > MAX_VALUES:
        raise RecordsUnavailable("a garbled records answer")
    clean: dict[str, str] = {}
    for k, v in values.items():
        if not (isinstance(k, str) and KEY_RE.fullmatch(k) and isinstance(v, str) and len(v) <= MAX_VALUE):
            raise RecordsUnavailable("a records value out of bounds")
        clean[k] = v
    if not all(isinstance(m, str) and KEY_RE.fullmatch(m) for m in held):
        raise RecordsUnavailable("a material id out of bounds")
    if not answer["found"] and (clean or held):
        raise RecordsUnavailable("records for a citizen not found")
    return GovernmentRecords(answer["found"], MappingProxyType(clean), frozenset(held))


class BackofficeGovernmentRecords:
    """The GovernmentRecords port (kiosk/devices/government.py) answered by the back office's
    records API: what comes back for this citizen, and only that, is prefilled and counted as held.

    `make_client(timeout)` gives a fresh signed client (the kiosk's key, the pinned back office
    key); one is made per lookup because the records worker is not the sync thread that owns the
    sync client. Runs on the records worker thread; blocks at most about `timeout` seconds."""

    def __init__(self, make_client: Callable[[float], SyncClient]) -> None:
        self._make_client = make_client

    def lookup(self, identity: Identity, timeout: float) -> GovernmentData:
        number = identity.personal_number or ""
        if not number:          # a passport without a resident ID number: nothing to look up
            return GovernmentData()
        client = self._make_client(timeout)
        try:
            found = lookup_government_records(client, number)
        finally:
            client.close()
        return GovernmentData(found.values, found.held_materials)
