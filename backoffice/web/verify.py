"""Checking receipts at the back office (issue 14).

Public, no sign-in (backoffice/web/gate.py lets /verify and /verify/... through):
  GET  /verify                   a form: paste the QR text, or upload the receipt (PDF, PNG, JPEG)
  POST /verify                   genuine or not, the signed summary and each department's status
  GET  /verify/trust-list.json   the signed trust list of kiosk receipt keys (as kiosks pull it)
Signed in (items.read):
  GET  /officials/receipts?code=CODE        find a receipt by its check code
  GET  /v1/officials/receipts/{code}        the same as JSON

The public page shows no personal data: the receipt's QR carries none, and the statuses come from
the department items (number, department, due date, status). It is rate-limited per client
address; an upload is capped by the HTTP guard (HttpLimits.verify_bytes) and decoded only within
the image and PDF caps of kiosk/services/receipts/reading.py; at most VERIFY_AT_ONCE checks run
at a time, so uploads cannot take every worker thread. Handlers run on worker threads.
"""
from __future__ import annotations

import threading
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from backoffice.kiosk_calls import RateLimit
from backoffice.web import require, session_of, web_of
from backoffice.web.html import e, page, table
from kiosk.services.receipts.checkcode import normalize_check_code
from kiosk.services.receipts.reading import printed_mismatches, read_receipt
from kiosk.services.receipts.seal import FORGED, UNREADABLE, ReceiptVerdict, UnreadablePayload, verify_receipt_payload

VERIFY_AT_ONCE = 2
LABELS = {"genuine": "真实 Genuine", "forged": "伪造或被改动 Not genuine (forged or altered)",
          "unknown-key": "未知密钥 Not genuine (unknown key)", "revoked": "密钥已吊销 Not genuine (revoked key)",
          "unreadable": "无法读取 Unreadable"}

FORM = ('<form method="post" action="/verify" enctype="multipart/form-data" class="stack" id="verify-form">'
        '<label for="payload">回执二维码内容 The receipt QR code\'s text (OV1:...)</label>'
        '<textarea id="payload" name="payload" rows="4" cols="60"></textarea>'
        '<label for="file">或上传回执 Or upload the receipt (PDF, PNG, JPEG)</label>'
        '<input type="file" id="file" name="file" accept=".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg">'
        '<p><button type="submit" id="check">核验 Check</button></p></form>')


def verify_router(per_minute: int = 20) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    limit = RateLimit(per_minute)
    busy = threading.BoundedSemaphore(VERIFY_AT_ONCE)

    @router.get("/verify")
    def verify_form() -> Response:
        return page("回执核验 Check a receipt", "<p>核验自助终端打印的办事回执是否真实，并查看办理进度。"
                    " Check that a kiosk receipt is genuine and see its progress.</p>" + FORM)

    @router.get("/verify/trust-list.json")
    def trust_list(request: Request) -> Response:
        return JSONResponse(web_of(request).bo.receipts.trust_list())

    @router.post("/verify")
    async def verify(request: Request) -> Response:
        client = request.client.host if request.client else "?"
        if not limit.allow(client):
            return page("请稍后再试 Too many checks", "<p>Too many checks from your address; try again in a minute.</p>",
                        status=429)
        if not busy.acquire(blocking=False):
            return page("请稍后再试 Busy", "<p>Too many checks at once; try again shortly.</p>", status=503)
        try:
            body = await request.body()          # already read and capped by the HTTP guard
            verdict, statuses = await run_in_threadpool(_check, request, body)
        finally:
            busy.release()
        return page("回执核验 Check a receipt", _result(verdict, statuses) + FORM,
                    status=200 if verdict.status != UNREADABLE else 422)

    @router.get("/officials/receipts")
    def lookup_page(request: Request, code: str = "") -> Response:
        session = session_of(request)
        form = (f'<form method="get" action="/officials/receipts" class="inline"><label for="code">核验码 Check code'
                f'</label> <input id="code" name="code" value="{e(code[:20])}" maxlength="20"> '
                f'<button type="submit" id="find">查找 Find</button></form>')
        if not session.account.can("items.read"):
            return page("无权限 Not allowed", "<p>This role cannot look up receipts.</p>", account=session.account,
                        csrf=session.csrf, status=403)
        body = form
        if code:
            found = _lookup(request, code)
            if found is None:
                body += '<p class="error" id="not-found">没有这个核验码 No receipt with this check code.</p>'
            else:
                rows = ([f'<a href="/officials/items/{quote(found["number"], safe="")}/{quote(i["item_id"], safe="")}">'
                         f'{e(i["item_id"])}</a>', e(i["department"]), e(i["due"]), e(i["status"])]
                        for i in found["items"])
                body += (f'<p>申请编号 Application <strong id="number">{e(found["number"])}</strong> · '
                         f'{e(found["check_code"])}</p>'
                         + table(["事项 Item", "部门 Department", "期限 Due", "状态 Status"], rows, table_id="items"))
        return page("按核验码查找 Find a receipt", body, account=session.account, csrf=session.csrf)

    @router.get("/v1/officials/receipts/{code}")
    def lookup_api(request: Request, code: str) -> dict[str, Any]:
        require(request, "items.read")
        found = _lookup(request, code)
        if found is None:
            raise HTTPException(404, "no receipt with this check code")
        return found

    return router


def _lookup(request: Request, code: str) -> dict[str, Any] | None:
    receipts = web_of(request).bo.receipts
    canonical = normalize_check_code(code[:20])
    number = receipts.number_for_code(canonical) if canonical else None
    if number is None:
        return None
    return {"number": number, "check_code": canonical, "items": receipts.public_status(number)}


def _form_parts(request: Request, body: bytes) -> tuple[str, bytes]:
    """(the pasted text, the uploaded file's bytes) of a urlencoded or multipart form."""
    kind = request.headers.get("content-type", "")
    if kind.startswith("application/x-www-form-urlencoded"):
        fields = parse_qs(body.decode("utf-8", "replace"), max_num_fields=10)
        return (fields.get("payload") or [""])[0], b""
    if not kind.startswith("multipart/form-data"):
        return "", b""
    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + kind.encode("latin-1") + b"\r\n\r\n" + body)
    text, data = "", b""
    for part in message.iter_parts() if message.is_multipart() else []:
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        if name == "payload":
            text = payload.decode("utf-8", "replace")
        elif name == "file":
            data = payload
    return text, data


def _check(request: Request, body: bytes) -> tuple[ReceiptVerdict, list[dict]]:
    """On a worker thread: decode, verify, compare, and look up the statuses."""
    text, data = _form_parts(request, body)
    receipts = web_of(request).bo.receipts
    printed = None
    try:
        if text.strip():
            payload = text.strip()
        elif data:
            payload, printed = read_receipt(data)
        else:
            return ReceiptVerdict(UNREADABLE, "paste the QR code's text or choose a file"), []
    except UnreadablePayload as exc:
        return ReceiptVerdict(UNREADABLE, str(exc)), []
    verdict = verify_receipt_payload(payload, receipts.trust())
    if verdict.summary is not None and verdict.genuine and printed is not None:
        differences = printed_mismatches(verdict.summary, printed)
        if differences:
            verdict = ReceiptVerdict(FORGED, "the printed text differs from what the QR code signs: "
                                     + "; ".join(differences), verdict.summary, verdict.key)
    statuses = receipts.public_status(verdict.summary.number) if verdict.summary is not None else []
    return verdict, statuses


def _result(verdict: ReceiptVerdict, statuses: list[dict]) -> str:
    out = (f'<p id="verdict" class="verdict {e(verdict.status)}"><strong>{e(LABELS[verdict.status])}</strong></p>'
           f'<p id="reason">{e(verdict.reason)}</p>')
    s = verdict.summary
    if s is None:
        return out
    status_of = {r["item_id"]: r["status"] for r in statuses}
    rows = ([e(i.department), e(("约 " if i.approximate else "") + i.due.isoformat()), f"{i.fee_fen / 100:.2f}",
             e(status_of.get(i.item_id, "未收到 not yet received"))] for i in s.items)
    out += (f'<h2>二维码签名的内容 What the QR code signs</h2>'
            f'<p>申请编号 Application <strong id="number">{e(s.number)}</strong> · 核验码 Check code {e(s.check_code)}'
            f' · {e(s.bundle_title)} · 终端 Kiosk {e(s.kiosk_id)} · {s.issued_at:%Y-%m-%d %H:%M}'
            f' · 目录 Catalogue {e(s.catalogue_version)}</p>')
    if s.provisional:
        out += "<p>打印时尚未送达部门：各部门时限自收到申请起计。 Printed before the departments had it: each clock starts on receipt.</p>"
    return out + table(["部门 Department", "期限 Due", "费用 Fee (元)", "状态 Status"], rows, table_id="departments")
