"""Government records for prefill: what the government already holds about the citizen signed in
at a kiosk (household register, marriage, social security, housing fund, business registry).

The kiosk's GovernmentRecords port calls POST /v1/records/lookup {"id_number": ...} with its
kiosk signature (kiosk/services/records_client.py) and gets {"found", "values", "held_materials"}:
`values` keyed as the catalogue reads them (`source: gov.<key>`), `held_materials` the material
ids the government holds for this citizen, which the kiosk marks "held by the government" on the
form and the receipt instead of asking for them.

The data comes from a `RecordsSource` adapter. This release has one: `YamlRecordsSource`, a file
of records (the demo's is assets/demo/government-records.yaml, fictional people only), loaded
only when `serve --records-file PATH` names it; with none configured the endpoint answers 503
and kiosks fall back to asking. A real deployment adds an adapter for its registers.

The ID number travels only in the signed request's body (never the URL, so no access log holds
it), each lookup is audited with a keyed hash of the number (`AtRest.id_tag`), and each kiosk may
make `per_minute` lookups a minute.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from pydantic import BaseModel, Field

from backoffice import audit
from backoffice.kiosk_calls import RateLimit, Signed, kiosk_signature, signed_answer
from backoffice.service import Backoffice

ID_NUMBER_RE = re.compile(r"\d{17}[\dX]")
# birth_medical: the medical birth certificates hospitals upload (for the newborn's parents).
REGISTERS = ("household_register", "marriage", "social_security", "housing_fund", "business_registry", "birth_medical")
MAX_FILE = 8 << 20


@dataclass(frozen=True)
class HeldRecords:
    values: Mapping[str, str] = field(default_factory=dict)
    held_materials: tuple[str, ...] = ()


class RecordsSource(Protocol):
    """Looks a citizen up in the government's registers. Called on a server worker thread; may
    block on the registers' own services (the adapter bounds that with its own timeouts)."""

    def lookup(self, id_number: str) -> HeldRecords | None:
        """What is held for this resident ID number, or None when nothing is."""


class YamlRecordsSource:
    """Records from a YAML file: {format: onevisit-government-records, v: 1, citizens: {ID: {
    <register>: {key: value}, held_materials: [ids]}}}. Read once, safely, when constructed."""

    def __init__(self, path: Path) -> None:
        import yaml
        path = Path(path)
        if path.stat().st_size > MAX_FILE:
            raise ValueError(f"{path} is larger than {MAX_FILE} bytes")
        doc = yaml.safe_load(path.read_text("utf-8"))
        if not isinstance(doc, dict) or doc.get("format") != "onevisit-government-records" or doc.get("v") != 1:
            raise ValueError(f"{path} is not a government records file")
        self._by_id: dict[str, HeldRecords] = {}
        for id_number, entry in (doc.get("citizens") or {}).items():
            id_number = str(id_number).upper()
            if not ID_NUMBER_RE.fullmatch(id_number) or not isinstance(entry, dict):
                raise ValueError(f"{path}: a bad entry {id_number[:6]}…")
            values: dict[str, str] = {}
            for register in REGISTERS:
                for k, v in (entry.get(register) or {}).items():
                    values[str(k)] = str(v)
            self._by_id[id_number] = HeldRecords(values, tuple(str(m) for m in entry.get("held_materials") or ()))

    def lookup(self, id_number: str) -> HeldRecords | None:
        return self._by_id.get(id_number)


class Lookup(BaseModel):
    id_number: str = Field(min_length=18, max_length=18, description="the signed-in citizen's resident ID number")


class LookupAnswer(BaseModel):
    found: bool
    values: dict[str, str] = Field(description="keyed as the catalogue's `source: gov.<key>` reads them")
    held_materials: list[str] = Field(description="material ids the government holds for this citizen")


def records_router(bo: Backoffice, source: RecordsSource | None, per_minute: int = 30) -> APIRouter:
    router = APIRouter(tags=["kiosks"])
    limit = RateLimit(per_minute)

    kiosk = kiosk_signature(bo)

    def answer(nonce: str, payload: object, status: int = 200) -> Response:
        return signed_answer(bo, nonce, payload, status)

    @router.post("/v1/records/lookup", response_model=LookupAnswer,
                 responses={401: {"description": "unsigned, wrongly signed, stale or replayed"},
                            403: {"description": "kiosk revoked"}, 422: {"description": "not a resident ID number"},
                            429: {"description": "too many lookups from this kiosk"},
                            503: {"description": "no government records source is configured"}})
    def lookup(body: Lookup, signed: Signed = Depends(kiosk)) -> Response:
        """What the government already holds about the citizen signed in at this kiosk."""
        kiosk_id, nonce = signed.kiosk_id, signed.nonce
        id_number = body.id_number.upper()
        if not ID_NUMBER_RE.fullmatch(id_number):
            return answer(nonce, {"detail": "not a resident ID number"}, 422)
        if not limit.allow(kiosk_id):
            return answer(nonce, {"detail": "too many lookups; try again in a minute"}, 429)
        if source is None:
            return answer(nonce, {"detail": "no government records source is configured"}, 503)
        held = source.lookup(id_number)
        audit.record(bo.engine, f"kiosk:{kiosk_id}", "records.lookup", detail=f"{bo.at_rest.id_tag(id_number)} "
                     + ("found" if held else "not found"))
        if held is None:
            return answer(nonce, {"found": False, "values": {}, "held_materials": []})
        return answer(nonce, {"found": True, "values": dict(held.values), "held_materials": list(held.held_materials)})

    return router


__all__ = ["HeldRecords", "RecordsSource", "YamlRecordsSource", "records_router"]
