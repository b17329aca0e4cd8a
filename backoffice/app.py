"""The back office's HTTP API (FastAPI; OpenAPI at /openapi.json, browsable at /docs).

Kiosk endpoints (/v1/...) need a signed request (kiosk/services/sync/protocol.py) and answer
with a signed response. The officials' page (/officials) and its JSON (/v1/officials/...) list
received applications per department; they show no personal data, and in production sit behind
the government network's single sign-on (the service binds 127.0.0.1 unless told otherwise).
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field

from backoffice.service import MAX_BATCH, AuthError, Backoffice
from kiosk.services.sync import protocol as proto

DESCRIPTION = """Receives applications from enrolled OneVisit kiosks exactly once.

Every `/v1/` kiosk request carries `X-OneVisit-Kiosk`, `X-OneVisit-Timestamp`, `X-OneVisit-Nonce` and
`X-OneVisit-Signature` (Ed25519 over method, path, kiosk id, timestamp, nonce and the body's SHA-256);
unsigned, wrongly signed, stale or replayed requests get 401, a revoked kiosk 403. Answers carry
`X-OneVisit-Response-Signature` (the back office's Ed25519 over the request nonce, status and body hash).
Applications travel sealed for the back office (X25519 + AES-256-GCM, the number as associated data).
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


def create_app(bo: Backoffice) -> FastAPI:
    app = FastAPI(title="OneVisit back office", version="1.0", description=DESCRIPTION)

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

    @app.get("/v1/officials/applications", tags=["officials"])
    def official_list(department: str | None = None, limit: int = Query(200, ge=1, le=10000),
                      offset: int = Query(0, ge=0)) -> dict:
        """Received department requests, optionally for one department (no personal data)."""
        return {"summary": bo.department_summary(), "requests": bo.list_applications(department, limit, offset)}

    @app.get("/officials", response_class=HTMLResponse, tags=["officials"])
    def official_page(department: str | None = None) -> HTMLResponse:
        """A minimal page: per department, what arrived, when it is due, and its status."""
        return HTMLResponse(render_official_page(bo, department))

    return app


def render_official_page(bo: Backoffice, department: str | None) -> str:
    e = html.escape
    summary = bo.department_summary()
    rows = bo.list_applications(department, limit=500)
    counts = bo.counts()
    links = "".join(
        f'<li><a href="?department={e(s["department"])}">{e(s["department"])}</a>: {s["total"]} '
        f'({", ".join(f"{e(k)} {v}" for k, v in s["by_status"].items())})</li>' for s in summary)
    body = "".join(
        f"<tr><td>{e(r['department'])}</td><td>{e(r['number'])}</td><td>{e(r['bundle_id'])}</td>"
        f"<td>{e(r['procedure'])}</td><td>{e(r['due'])}</td><td>{e(r['status'])}</td><td>{e(r['received_at'])}</td>"
        f"<td>{e(r['source'])}</td></tr>" for r in rows)
    title = f"收件 · {e(department)}" if department else "收件 · 全部部门"
    return f"""<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}td,th{{border:1px solid #bbb;padding:4px 8px}}</style>
</head><body><h1>{title} <small>Received applications</small></h1>
<p>{counts['applications']} applications, {counts['department_requests']} department requests,
{counts['conflicts']} conflicts kept for review. <a href="/officials">all departments</a></p>
<ul>{links}</ul>
<table><thead><tr><th>部门 Department</th><th>申请编号 Number</th><th>事项 Bundle</th><th>办理 Procedure</th>
<th>承诺期限 Due</th><th>状态 Status</th><th>收到 Received (UTC)</th><th>来源 Source</th></tr></thead>
<tbody>{body}</tbody></table></body></html>"""
