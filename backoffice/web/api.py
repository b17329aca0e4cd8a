"""The officials' JSON API (/v1/officials/...): the same rules as the pages. Sign in with
POST /signin (form), then send the session cookie; POSTs carry the session's CSRF token in
`X-CSRF-Token` (GET /v1/officials/me tells it). Handlers run on worker threads."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, Field

from backoffice import audit
from backoffice.officials import Forbidden
from backoffice.service import STATUSES, NotFound
from backoffice.validation import MAX_OFFSET
from backoffice.web import require, session_of, web_of

router = APIRouter(prefix="/v1/officials", tags=["officials"])

SIGNED_IN: dict[int | str, dict[str, Any]] = {401: {"description": "not signed in"}, 403: {"description": "the role may not, or no CSRF token"}}


class Me(BaseModel):
    username: str
    role: str
    departments: list[str]
    csrf_token: str = Field(description="send as X-CSRF-Token with every POST")


class StatusUpdate(BaseModel):
    status: str = Field(description=" | ".join(STATUSES))
    note: str = Field("", max_length=500, description="for colleagues; no personal data")


class StatusUpdated(BaseModel):
    change_id: int


@router.get("/me", response_model=Me, responses=SIGNED_IN)
def me(request: Request) -> dict:
    s = session_of(request)
    return {"username": s.account.username, "role": s.account.role, "departments": list(s.account.departments),
            "csrf_token": s.csrf}


@router.get("/applications", responses=SIGNED_IN)
def applications(request: Request, department: str | None = None, status: str | None = None,
                 limit: int = Query(200, ge=1, le=1000), offset: int = Query(0, ge=0, le=MAX_OFFSET)) -> dict:
    """Your departments' items of received applications (no personal data), with a summary."""
    _s, acct = require(request, "items.read")
    wb = web_of(request).workbench
    return {"summary": wb.summary(acct), "requests": wb.items(acct, department, status, limit, offset)}


@router.get("/items/{number}/{item_id}", responses={**SIGNED_IN, 404: {"description": "not in your departments"}})
def item(request: Request, number: str, item_id: str) -> dict[str, Any]:
    """One item with the answers and materials it needs (decrypted; the view is audited).
    Material photos: GET /officials/items/{number}/{item_id}/materials/{material_id}."""
    _s, acct = require(request, "items.read")
    try:
        return web_of(request).workbench.item(acct, number, item_id)
    except (NotFound, Forbidden):
        raise HTTPException(404, "no such item in your departments") from None


@router.post("/items/{number}/{item_id}/status", response_model=StatusUpdated,
             responses={**SIGNED_IN, 404: {"description": "not in your departments"}})
def update_status(request: Request, number: str, item_id: str, body: StatusUpdate) -> dict:
    """Set the item's status with a note; kiosks pull it through GET /v1/status-changes."""
    _s, acct = require(request, "items.update")
    try:
        return {"change_id": web_of(request).workbench.update_status(acct, number, item_id, body.status, body.note)}
    except (NotFound, Forbidden):
        raise HTTPException(404, "no such item in your departments") from None
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None


@router.get("/audit", responses=SIGNED_IN)
def audit_log(request: Request, number: str | None = None, before: int | None = None,
              limit: int = Query(200, ge=1, le=1000)) -> dict:
    """Who viewed or changed what, newest first (auditors and admins)."""
    require(request, "audit.read")
    return {"entries": audit.entries(web_of(request).bo.engine, number=number, before=before, limit=limit)}
