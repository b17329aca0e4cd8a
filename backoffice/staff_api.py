"""The kiosk routes of the staff issue (signed kiosk requests, signed answers, like
backoffice/app.py's): GET /v1/staff/credentials, this kiosk's signed staff list, and POST
/v1/audit/batch, the kiosk's audit trail, verified before it is kept (backoffice/kiosk_audit.py).
Handlers run on worker threads."""
from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from pydantic import BaseModel, Field

from backoffice import kiosk_audit
from backoffice.kiosk_calls import Signed, kiosk_signature, signed_answer
from backoffice.service import Backoffice
from backoffice.staff import StaffAccounts

AUTH: dict[int | str, dict[str, Any]] = {401: {"description": "unsigned, wrongly signed, stale or replayed"},
                                         403: {"description": "kiosk revoked"}}


class StaffEntry(BaseModel):
    staff_number: str
    role: str
    pin_hash: str = Field(description="argon2id PHC string of the PIN")
    id_key: str | None = Field(None, description="argon2id of the staff member's own ID number, hex")
    valid_until: str | None = None


class StaffList(BaseModel):
    format: str
    v: int
    kiosk_id: str
    issued: int = Field(description="Unix seconds; the kiosk uses it offline for [staff] offline_days")
    id_salt: str
    staff: list[StaffEntry]
    signature: str = Field(description="Ed25519 by the back office (kiosk/services/staff/credentials.py)")


class AuditAnswer(BaseModel):
    result: str = Field(description="stored | refused")
    stored: int
    head_seq: int = Field(description="the last entry the back office holds for this kiosk")
    head_hash: str
    first_bad: int | None = None
    detail: str | None = None


def staff_router(bo: Backoffice, staff: StaffAccounts) -> APIRouter:
    router = APIRouter(tags=["kiosks"])

    kiosk = kiosk_signature(bo)

    def answer(nonce: str, payload: object, status: int = 200) -> Response:
        return signed_answer(bo, nonce, payload, status)

    @router.get("/v1/staff/credentials", response_model=StaffList, responses=AUTH)
    def credentials(signed: Signed = Depends(kiosk)) -> Response:
        """The staff who may sign in at this kiosk, with PIN hashes, signed; issued afresh each time."""
        kiosk_id, nonce = signed.kiosk_id, signed.nonce
        return answer(nonce, staff.credentials_for(kiosk_id))

    @router.post("/v1/audit/batch", response_model=AuditAnswer, responses=AUTH,
                 openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": {
                     "type": "object", "required": ["entries"],
                     "properties": {"entries": {"type": "array", "maxItems": kiosk_audit.MAX_ENTRIES}}}}}}})
    def audit_batch(signed: Signed = Depends(kiosk)) -> Response:
        """Audit entries in order from the first the back office has not confirmed. Kept up to the
        first entry that breaks the chain; `head_seq` says how far the back office holds it."""
        kiosk_id, nonce, body = signed.kiosk_id, signed.nonce, signed.body
        try:
            doc = json.loads(body)
        except ValueError:
            doc = None
        entries = doc.get("entries") if isinstance(doc, dict) else None
        return answer(nonce, kiosk_audit.receive(bo, kiosk_id, entries))

    return router
