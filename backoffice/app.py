"""The back office's HTTP API (FastAPI; OpenAPI at /openapi.json, browsable at /docs).

Kiosk endpoints (/v1/...) need a signed request (kiosk/services/sync/protocol.py) and answer
with a signed response. Everything else, the officials' workbench (/officials, /v1/officials/...)
and the API docs included, needs a signed-in account (backoffice/web/, mounted at the end).
"""
from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, ValidationError

from backoffice.kiosk_calls import Signed, kiosk_signature, raw_body, signed_answer
from backoffice.feedback import MAX_FEEDBACK_BATCH, Ratings
from backoffice.limits import RequestGuard
from backoffice.service import MAX_BATCH, AuthError, Backoffice
from backoffice.web import WebSettings, mount_web
from backoffice.validation import MAX_CURSOR, Envelope, envelope_problem
from kiosk.domain.rating import REASONS
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

Limits: a body over the route's cap is refused with 413 from its Content-Length (16 MiB for uploads);
the signature headers are checked before the body is read, and the body is parsed only after its
signature verifies. In a batch, each application is checked on its own: a malformed one is
`rejected` with a reason and the others are stored.
"""


class UploadBatch(BaseModel):
    """Parsed after the signature is checked; each application is then checked on its own
    (backoffice/validation.py Envelope), so one malformed application does not refuse the rest."""
    applications: list[Any] = Field(max_length=MAX_BATCH)


def _json_body(schema: dict) -> dict:
    """The OpenAPI request body of a route that reads its body itself (after the signature)."""
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


ENVELOPE_SCHEMA = Envelope.model_json_schema()
BATCH_SCHEMA = {"type": "object", "required": ["applications"], "additionalProperties": False,
                "properties": {"applications": {"type": "array", "maxItems": MAX_BATCH, "items": ENVELOPE_SCHEMA}}}


class FeedbackBatch(BaseModel):
    """Parsed after the signature is checked; each rating is then checked on its own."""
    feedback: list[Any] = Field(max_length=MAX_FEEDBACK_BATCH)


FEEDBACK_SCHEMA = {"type": "object", "required": ["feedback"], "additionalProperties": False, "properties": {
    "feedback": {"type": "array", "maxItems": MAX_FEEDBACK_BATCH, "items": {
        "type": "object", "required": ["number", "rated_at", "callback", "ratings"], "additionalProperties": False,
        "properties": {"number": {"type": "string"}, "rated_at": {"type": "string", "maxLength": 32},
                       "callback": {"type": "boolean", "description": "call back (bad ratings only)"},
                       "ratings": {"type": "array", "maxItems": 31, "items": {
                           "type": "object", "required": ["item_id", "score", "reasons"],
                           "properties": {"item_id": {"type": "string", "description": "\"\" = the whole visit"},
                                          "score": {"type": "integer", "minimum": 1, "maximum": 5},
                                          "reasons": {"type": "array", "maxItems": 6,
                                                      "items": {"enum": list(REASONS)}}}}}}}}}}


class FeedbackResult(BaseModel):
    number: str
    result: Literal["created", "duplicate", "conflict", "not_yet", "rejected"]
    detail: str | None = None


class FeedbackResults(BaseModel):
    results: list[FeedbackResult]


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

    signed_request = kiosk_signature(bo)

    def answer(auth: Signed, payload: Any, status: int = 200) -> Response:
        return signed_answer(bo, auth.nonce, payload, status)

    @app.get("/healthz", tags=["operations"])
    def healthz() -> dict:
        return {"ok": True}

    @app.get("/v1/keys", tags=["operations"])
    def public_keys() -> dict:
        """The back office's public keys. Kiosks pin them at enrolment from a file handed over
        out of band (`python -m backoffice keys --out FILE`); this copy is for checking."""
        return bo.keys.public_document()

    @app.post("/v1/applications/batch", response_model=UploadResults, responses=AUTH_RESPONSES, tags=["kiosks"],
              openapi_extra=_json_body(BATCH_SCHEMA))
    def upload_batch(auth: Signed = Depends(signed_request), body: bytes = Depends(raw_body)) -> Response:
        """Store each sealed application once. Per application: `created`, `duplicate` (same
        number, same content: success), `conflict` (same number, different content: kept for
        review) or `rejected` (malformed, does not decrypt, not this kiosk's, incomplete)."""
        try:
            batch = UploadBatch.model_validate_json(body)
        except ValidationError:
            return answer(auth, {"detail": f'expected {{"applications": [...]}}, at most {MAX_BATCH}'}, 422)
        return answer(auth, {"results": bo.accept(auth.kiosk_id, batch.applications)})

    @app.put("/v1/applications/{number}", response_model=Result, tags=["kiosks"],
             responses={**AUTH_RESPONSES, 200: {"model": Result, "description": "duplicate: already stored"},
                        201: {"model": Result, "description": "created"},
                        409: {"model": Result, "description": "a different application with this number; kept for review"},
                        422: {"model": Result, "description": "rejected"}},
             openapi_extra=_json_body(ENVELOPE_SCHEMA))
    def upload_one(number: str, auth: Signed = Depends(signed_request), body: bytes = Depends(raw_body)) -> Response:
        """One application; the same rules as the batch, as HTTP status codes."""
        try:
            env = json.loads(body)
        except ValueError:
            env = None
        problem = envelope_problem(env)
        if problem is not None:
            return answer(auth, {"number": number[:64], "result": "rejected", "detail": problem[1]}, 422)
        if env["number"] != number:
            return answer(auth, {"number": number[:64], "result": "rejected", "detail": "path and envelope disagree"},
                          422)
        r = bo.accept(auth.kiosk_id, [env])[0]
        return answer(auth, r, {"created": 201, "duplicate": 200, "conflict": 409}.get(r["result"], 422))

    @app.get("/v1/status-changes", response_model=StatusChanges, responses=AUTH_RESPONSES, tags=["kiosks"])
    def status_changes(after: int = Query(0, ge=0, le=MAX_CURSOR), limit: int = Query(500, ge=1, le=1000),
                       auth: Signed = Depends(signed_request)) -> Response:
        """Status changes to this kiosk's applications with an id above `after`, oldest first."""
        return answer(auth, bo.status_changes(auth.kiosk_id, after, limit))

    @app.post("/v1/feedback/batch", response_model=FeedbackResults, responses=AUTH_RESPONSES, tags=["kiosks"],
              openapi_extra=_json_body(FEEDBACK_SCHEMA))
    def feedback_batch(auth: Signed = Depends(signed_request), body: bytes = Depends(raw_body)) -> Response:
        """Citizens' ratings (好差评), each filed once per application (backoffice/feedback.py).
        Per rating: `created`, `duplicate` (the same rating again: success), `conflict` (a
        different rating is on file; the first is kept), `not_yet` (the application has not
        arrived: send again later) or `rejected` (does not pass the rating rules)."""
        try:
            batch = FeedbackBatch.model_validate_json(body)
        except ValidationError:
            return answer(auth, {"detail": f'expected {{"feedback": [...]}}, at most {MAX_FEEDBACK_BATCH}'}, 422)
        return answer(auth, {"results": Ratings(bo).accept(auth.kiosk_id, batch.feedback)})

    @app.get("/v1/catalogue", response_model=CatalogueAnswer, responses=AUTH_RESPONSES, tags=["kiosks"])
    def catalogue(have: int = Query(0, ge=0, le=MAX_CURSOR), auth: Signed = Depends(signed_request)) -> Response:
        """The current signed catalogue if its revision is above `have`."""
        return answer(auth, bo.catalogue_for(have))

    @app.post("/v1/receipt-keys", responses=AUTH_RESPONSES, tags=["kiosks"],
              openapi_extra=_json_body({"type": "object", "required": ["key_id", "public_key"],
                                        "properties": {"key_id": {"type": "string"}, "public_key": {"type": "string"}}}))
    def register_receipt_key(auth: Signed = Depends(signed_request), body: bytes = Depends(raw_body)) -> Response:
        """Register this kiosk's receipt-signing public key (base64url of the raw 32 bytes) under
        its key id (hex of the first 8 bytes of its SHA-256); it then appears in the trust list."""
        try:
            doc = json.loads(body)
            return answer(auth, bo.receipts.register(auth.kiosk_id, str(doc["key_id"]), str(doc["public_key"])))
        except (ValueError, KeyError, TypeError, proto.ProtocolError) as exc:
            return answer(auth, {"detail": str(exc)[:200] or "expected {key_id, public_key}"}, 422)

    @app.get("/v1/receipt-trust-list", responses=AUTH_RESPONSES, tags=["kiosks"])
    def receipt_trust_list(auth: Signed = Depends(signed_request)) -> Response:
        """Every kiosk receipt key with its revocation, signed by the back office (also public at
        /verify/trust-list.json)."""
        return answer(auth, bo.receipts.trust_list())

    # --- the signed-in side: accounts, officials' workbench, records API, docs (backoffice/web/) ---
    mount_web(app, bo, web)
    # --- end of the signed-in side ---

    # --- HTTP limits (backoffice/limits.py, backoffice/connections.py) -------------------------
    # Added last, so that it is the outermost of the app's middleware: it sees every request
    # before any other middleware or route reads a byte of its body. Keep it last.
    app.add_middleware(RequestGuard, precheck=bo.precheck, state=app.state)
    # --- end of HTTP limits ---
    return app
