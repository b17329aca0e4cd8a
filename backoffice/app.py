"""The back office's HTTP API (FastAPI; OpenAPI at /openapi.json, browsable at /docs).

Kiosk endpoints (/v1/...) need a signed request (kiosk/services/sync/protocol.py) and answer
with a signed response. Everything else, the officials' workbench (/officials, /v1/officials/...)
and the API docs included, needs a signed-in account (backoffice/web/, mounted at the end).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from backoffice.service import MAX_BATCH, AuthError, Backoffice
from backoffice.web import WebSettings, mount_web
from kiosk.services.sync import protocol as proto

DESCRIPTION = """Receives applications from enrolled OneVisit kiosks exactly once.

Every `/v1/` kiosk request carries `X-OneVisit-Kiosk`, `X-OneVisit-Timestamp`, `X-OneVisit-Nonce` and
`X-OneVisit-Signature` (Ed25519 over method, path, kiosk id, timestamp, nonce and the body's SHA-256);
unsigned, wrongly signed, stale or replayed requests get 401, a revoked kiosk 403. Answers carry
`X-OneVisit-Response-Signature` (the back office's Ed25519 over the request nonce, status and body hash).
Applications travel sealed for the back office (X25519 + AES-256-GCM, the number as associated data).

Officials' endpoints (`/v1/officials/...`), these docs and `/openapi.json` need a signed-in account
(`POST /signin`, then the session cookie); every POST also carries the session's `X-CSRF-Token`
(`GET /v1/officials/me` tells it).
"""


class Envelope(BaseModel):
    v: Literal[1]
    alg: str = Field(examples=[proto.ENVELOPE_ALG])
    number: str = Field(description="application number; its first 10 digits are the sending kiosk's id")
    epk: str = Field(description="ephemeral X25519 public key, base64url")
    nonce: str = Field(description="AES-GCM nonce, base64url")
    ct: str = Field(description="AES-256-GCM ciphertext of the record's JSON, base64url")


class UploadBatch(BaseModel):
    applications: list[Envelope] = Field(max_length=MAX_BATCH)


class Result(BaseModel):
    number: str
    result: Literal["created", "duplicate", "conflict", "rejected"]
    detail: str | None = None


class UploadResults(BaseModel):
    results: list[Result]


class StatusChange(BaseModel):
    id: int
    number: str
    item_id: str
    status: str
    changed_at: str


class StatusChanges(BaseModel):
    changes: list[StatusChange]
    next: int = Field(description="pass as `after` next time")


class CatalogueAnswer(BaseModel):
    unchanged: bool
    revision: int
    version: str | None = None
    content: str | None = Field(None, description="the catalogue file (YAML)")
    signature: str | None = Field(None, description="Ed25519 over revision, version and the content's SHA-256")


class Problem(BaseModel):
    detail: str


@dataclass(frozen=True)
class Signed:
    kiosk_id: str
    nonce: str


AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "unsigned, wrongly signed, stale, replayed, or unknown kiosk"},
    403: {"model": Problem, "description": "kiosk revoked"},
}


def create_app(bo: Backoffice, web: WebSettings | None = None) -> FastAPI:
    # docs_url/redoc_url off: backoffice/web/docs.py serves them behind sign-in, from local files
    app = FastAPI(title="OneVisit back office", version="1.0", description=DESCRIPTION, docs_url=None, redoc_url=None)

    @app.exception_handler(AuthError)
    async def _auth_error(_request: Request, exc: AuthError) -> JSONResponse:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status)

    async def raw_body(request: Request) -> bytes:
        return await request.body()

    def signed_request(request: Request, body: bytes = Depends(raw_body)) -> Signed:
        qs = request.scope.get("query_string", b"")
        target = request.scope.get("raw_path", request.url.path.encode()).decode("latin-1")
        if qs:
            target += "?" + qs.decode("latin-1")
        kiosk_id = bo.authenticate(request.method, target, request.headers, body)
        return Signed(kiosk_id, request.headers[proto.H_NONCE])

    def answer(auth: Signed, payload: Any, status: int = 200) -> Response:
        body = proto.canonical_json(payload)
        return Response(body, status_code=status, media_type="application/json",
                        headers={proto.H_RESPONSE_SIGNATURE: bo.keys.sign_response(auth.nonce, status, body)})

    @app.get("/healthz", tags=["operations"])
    def healthz() -> dict:
        return {"ok": True}

    @app.get("/v1/keys", tags=["operations"])
    def public_keys() -> dict:
        """The back office's public keys. Kiosks pin them at enrolment from a file handed over
        out of band (`python -m backoffice keys --out FILE`); this copy is for checking."""
        return bo.keys.public_document()

    @app.post("/v1/applications/batch", response_model=UploadResults, responses=AUTH_RESPONSES, tags=["kiosks"])
    def upload_batch(batch: UploadBatch, auth: Signed = Depends(signed_request)) -> Response:
        """Store each sealed application once. Per application: `created`, `duplicate` (same
        number, same content: success), `conflict` (same number, different content: kept for
        review) or `rejected` (does not decrypt, not this kiosk's, incomplete)."""
        results = bo.accept(auth.kiosk_id, [e.model_dump() for e in batch.applications])
        return answer(auth, {"results": results})

    @app.put("/v1/applications/{number}", response_model=Result, tags=["kiosks"],
             responses={**AUTH_RESPONSES, 200: {"model": Result, "description": "duplicate: already stored"},
                        201: {"model": Result, "description": "created"},
                        409: {"model": Result, "description": "a different application with this number; kept for review"},
                        422: {"model": Result, "description": "rejected"}})
    def upload_one(number: str, envelope: Envelope, auth: Signed = Depends(signed_request)) -> Response:
        """One application; the same rules as the batch, as HTTP status codes."""
        env = envelope.model_dump()
        if env["number"] != number:
            return answer(auth, {"number": number, "result": "rejected", "detail": "path and envelope disagree"}, 422)
        r = bo.accept(auth.kiosk_id, [env])[0]
        return answer(auth, r, {"created": 201, "duplicate": 200, "conflict": 409}.get(r["result"], 422))

    @app.get("/v1/status-changes", response_model=StatusChanges, responses=AUTH_RESPONSES, tags=["kiosks"])
    def status_changes(after: int = Query(0, ge=0), limit: int = Query(500, ge=1, le=1000),
                       auth: Signed = Depends(signed_request)) -> Response:
        """Status changes to this kiosk's applications with an id above `after`, oldest first."""
        return answer(auth, bo.status_changes(auth.kiosk_id, after, limit))

    @app.get("/v1/catalogue", response_model=CatalogueAnswer, responses=AUTH_RESPONSES, tags=["kiosks"])
    def catalogue(have: int = Query(0, ge=0), auth: Signed = Depends(signed_request)) -> Response:
        """The current signed catalogue if its revision is above `have`."""
        return answer(auth, bo.catalogue_for(have))

    # --- the signed-in side: accounts, officials' workbench, records API, docs (backoffice/web/) ---
    mount_web(app, bo, web)
    # --- end of the signed-in side ---
    return app
