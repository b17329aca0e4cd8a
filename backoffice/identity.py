"""Reference photos for kiosks' identity checks without the card (刷脸办, issue 12 part 6).

A kiosk calls POST /v1/identity/reference {"id_number"} signed with its key (kiosk/services/
identity_client.py) and gets {"found", "name", "photo"} (base64 JPEG) signed for that request;
it compares the live face with the photo and keeps neither. In production this endpoint is the
gateway to the public-security authentication platform: an `IdentitySource` adapter forwards the
number there. This release has `YamlIdentitySource`, a file naming a photo per ID number (the
demo's: assets/demo/identity-references.yaml, the demo citizens' photos), loaded only when
`serve --identity-file PATH` names it; with none configured the endpoint answers 503 and kiosks
do not offer the path.

Like the records lookup: the number only in the signed body, each request audited with a keyed
hash of the number (`AtRest.id_tag`, never the number), and each kiosk may make `per_minute`
requests a minute (the kiosk keeps its own hourly limit too). Photos are never stored here either.
"""
from __future__ import annotations

import base64
from pathlib import Path
from typing import Protocol

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from pydantic import BaseModel, Field

from backoffice import audit
from backoffice.kiosk_calls import RateLimit, Signed, kiosk_signature, signed_answer
from backoffice.records import ID_NUMBER_RE
from backoffice.service import Backoffice

MAX_FILE = 1 << 20
MAX_PHOTO = 512 * 1024          # = kiosk/devices/identity.py MAX_PHOTO_BYTES


class IdentitySource(Protocol):
    """Where reference photos come from. Called on a server worker thread; may block on the
    platform (the adapter bounds that with its own timeouts)."""

    def reference(self, id_number: str) -> tuple[str, bytes] | None:
        """(name, photo bytes) for this resident ID number, or None when there is none."""


class YamlIdentitySource:
    """{format: onevisit-identity-references, v: 1, people: {ID: {name, photo: file beside it}}}.
    The index is read once when constructed; each photo when asked for, bounded in size."""

    def __init__(self, path: Path) -> None:
        import yaml
        path = Path(path)
        if path.stat().st_size > MAX_FILE:
            raise ValueError(f"{path} is larger than {MAX_FILE} bytes")
        doc = yaml.safe_load(path.read_text("utf-8"))
        if not isinstance(doc, dict) or doc.get("format") != "onevisit-identity-references" or doc.get("v") != 1:
            raise ValueError(f"{path} is not an identity references file")
        folder = path.parent.resolve()
        self._people: dict[str, tuple[str, Path]] = {}
        for number, entry in (doc.get("people") or {}).items():
            number = str(number).upper()
            if not ID_NUMBER_RE.fullmatch(number) or not isinstance(entry, dict):
                raise ValueError(f"{path}: a bad entry {number[:6]}…")
            photo = (folder / str(entry.get("photo", ""))).resolve()
            if folder not in photo.parents:
                raise ValueError(f"{path}: photos must be files beside it")
            self._people[number] = (str(entry.get("name", ""))[:64], photo)

    def reference(self, id_number: str) -> tuple[str, bytes] | None:
        found = self._people.get(id_number)
        if found is None:
            return None
        name, photo = found
        if not photo.is_file() or photo.stat().st_size > MAX_PHOTO:
            return None
        return name, photo.read_bytes()


class ReferenceRequest(BaseModel):
    id_number: str = Field(min_length=18, max_length=18, description="the resident ID number the citizen typed")


class ReferenceAnswer(BaseModel):
    found: bool
    name: str = Field("", description="the name registered for the number")
    photo: str = Field("", description="the reference photo, base64 JPEG; compared, never kept")


def identity_router(bo: Backoffice, source: IdentitySource | None, per_minute: int = 6) -> APIRouter:
    router = APIRouter(tags=["kiosks"])
    limit = RateLimit(per_minute)

    kiosk = kiosk_signature(bo)

    def answer(nonce: str, payload: object, status: int = 200) -> Response:
        return signed_answer(bo, nonce, payload, status)

    @router.post("/v1/identity/reference", response_model=ReferenceAnswer,
                 responses={401: {"description": "unsigned, wrongly signed, stale or replayed"},
                            403: {"description": "kiosk revoked"}, 422: {"description": "not a resident ID number"},
                            429: {"description": "too many requests from this kiosk"},
                            503: {"description": "no identity source is configured"}})
    def reference(body: ReferenceRequest, signed: Signed = Depends(kiosk)) -> Response:
        """The reference photo of an ID number, for a kiosk's face check without the card."""
        kiosk_id, nonce = signed.kiosk_id, signed.nonce
        id_number = body.id_number.upper()
        if not ID_NUMBER_RE.fullmatch(id_number):
            return answer(nonce, {"detail": "not a resident ID number"}, 422)
        if not limit.allow(kiosk_id):
            return answer(nonce, {"detail": "too many requests; try again in a minute"}, 429)
        if source is None:
            return answer(nonce, {"detail": "no identity source is configured"}, 503)
        found = source.reference(id_number)
        audit.record(bo.engine, f"kiosk:{kiosk_id}", "identity.reference", detail=f"{bo.at_rest.id_tag(id_number)} "
                     + ("found" if found else "not found"))
        if found is None:
            return answer(nonce, {"found": False, "name": "", "photo": ""})
        name, photo = found
        return answer(nonce, {"found": True, "name": name, "photo": base64.b64encode(photo).decode()})

    return router


__all__ = ["IdentitySource", "YamlIdentitySource", "identity_router"]
