"""The officials' call-back cases and ratings report (backoffice/feedback.py): pages under
/officials/callbacks and /officials/ratings, and the same as JSON under /v1/officials/. The
department rules are the items' rules: an official sees the cases and ratings of their
departments; a case of another department answers like one that does not exist. Handlers run
on the server's worker threads and block on the database."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from backoffice.feedback import CASE_STATES, NEXT_STATES, Forbidden, Ratings
from backoffice.service import NotFound
from backoffice.web import session_of, web_of
from backoffice.web.html import csrf_field, e, options, page, table

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/v1/officials", tags=["officials"])

STATE_TEXT = {"open": "待回访 open", "called": "已回电 called", "closed": "已办结 closed"}
ACTION_TEXT = {"called": "已回电 Mark as called", "closed": "办结 Close the case"}


def _ratings(request: Request) -> Ratings:
    return Ratings(web_of(request).bo)


def _not_found(session: Any) -> Response:
    return page("没有这个回访 Not found", "<p>No such case in your departments.</p>", account=session.account,
                csrf=session.csrf, status=404)


@router.get("/officials/callbacks")
def callbacks_page(request: Request, state: str | None = None) -> Response:
    session = session_of(request)
    try:
        rows = _ratings(request).cases(session.account, state or None, limit=500)
    except Forbidden:
        return page("无权限 Not allowed", "<p>This role has no call-back cases.</p>", account=session.account,
                    csrf=session.csrf, status=403)
    filt = (f'<form method="get" action="/officials/callbacks" class="inline"><select name="state">'
            f'<option value="">全部 any state</option>{options(CASE_STATES, state)}</select> '
            f'<button type="submit">筛选 Filter</button></form>')
    body = table(["#", "申请编号 Number", "状态 State", "提出 Opened (UTC)", "回电 Called", "办结 Closed"],
                 ([f'<a href="/officials/callbacks/{r["id"]}">{r["id"]}</a>', e(r["number"]),
                   f'<span class="status">{e(STATE_TEXT.get(r["state"], r["state"]))}</span>', e(r["opened_at"]),
                   e(f'{r["called_at"] or ""} {r["called_by"] or ""}'), e(f'{r["closed_at"] or ""} {r["closed_by"] or ""}')]
                  for r in rows), table_id="callbacks")
    return page("差评回访 Call-back requests", filt + body, account=session.account, csrf=session.csrf)


@router.get("/officials/callbacks/{case_id}")
def callback_page(request: Request, case_id: int) -> Response:
    session = session_of(request)
    try:
        c = _ratings(request).case(session.account, case_id)
    except (NotFound, Forbidden):
        return _not_found(session)
    ratings = table(["部门 Department", "评分 Score", "原因 Reasons"],
                    ([e(r["department"]), e(str(r["score"])), e("、".join(r["reasons"]))] for r in c["ratings"]),
                    table_id="case-ratings")
    buttons = "".join(f'<button type="submit" name="state" value="{s}" id="to-{s}">{e(ACTION_TEXT[s])}</button> '
                      for s in NEXT_STATES.get(c["state"], ()))
    form = (f'<form method="post" action="/officials/callbacks/{case_id}/state" class="stack" id="case-form">'
            f'{csrf_field(session.csrf)}<p>{buttons}</p></form>') if buttons else ""
    called = f' · 回电 called {e(c["called_at"])} by {e(c["called_by"])}' if c["called_at"] else ""
    closed = f' · 办结 closed {e(c["closed_at"])} by {e(c["closed_by"])}' if c["closed_at"] else ""
    body = (f'<p>申请 Application {e(c["number"])} · {e(c["bundle_id"])} · 终端 kiosk {e(c["kiosk_id"])}</p>'
            f'<p>状态 State <strong id="case-state">{e(STATE_TEXT.get(c["state"], c["state"]))}</strong>'
            f' · 提出 opened {e(c["opened_at"])}{called}{closed}</p>'
            f'<p>回电号码 Phone to call (the citizen consented): <strong id="phone">{e(c["phone"])}</strong>'
            f' · 语言 language {e(c["lang"])}</p><h2>评价 Ratings</h2>{ratings}{form}')
    return page(f"回访 Call-back #{case_id}", body, account=session.account, csrf=session.csrf)


@router.post("/officials/callbacks/{case_id}/state")
def callback_state(request: Request, case_id: int) -> Response:
    session = session_of(request)
    try:
        _ratings(request).advance(session.account, case_id, request.state.form.get("state", ""))
    except (NotFound, Forbidden):
        return _not_found(session)
    except ValueError as exc:
        return page("无法更新 Not updated", f"<p class=error>{e(str(exc))}</p>", account=session.account,
                    csrf=session.csrf, status=422)
    return RedirectResponse(f"/officials/callbacks/{case_id}", status_code=303)


def _pct(x: float) -> str:
    return f"{x * 100:.0f}%"


@router.get("/officials/ratings")
def ratings_page(request: Request) -> Response:
    session = session_of(request)
    try:
        rep = _ratings(request).report(session.account)
    except Forbidden:
        return page("无权限 Not allowed", "<p>This role has no ratings report.</p>", account=session.account,
                    csrf=session.csrf, status=403)
    head = ["评价数 Ratings", "好评 Good", "差评 Bad", "平均 Average"]
    parts = []
    for key, title in (("departments", "按部门 By department"), ("bundles", "按事项 By bundle"),
                       ("kiosks", "按终端 By kiosk")):
        parts.append(f"<h2>{title}</h2>" + table(
            ["", *head], ([e(str(r["name"])), str(r["count"]), f'{r["good"]} ({_pct(r["good_share"])})',
                           f'{r["bad"]} ({_pct(r["bad_share"])})', f'{r["average"]:.2f}'] for r in rep[key]),
            table_id=f"by-{key[:-1]}"))
    parts.append("<h2>原因 Reasons</h2>" + table(["原因 Reason", "次数 Times"],
                                               ([e(f'{r["zh"]} {r["en"]}'), str(r["count"])] for r in rep["reasons"]),
                                               table_id="reasons"))
    return page("好差评 Ratings", "".join(parts), account=session.account, csrf=session.csrf)


# --- JSON -------------------------------------------------------------------------------------
class CaseUpdate(BaseModel):
    state: str = Field(description="called | closed")


@api.get("/callbacks")
def callbacks_json(request: Request, state: str | None = None, limit: int = Query(200, ge=1, le=1000)) -> dict:
    """Your departments' call-back cases (no personal data in the list)."""
    try:
        return {"cases": _ratings(request).cases(session_of(request).account, state, limit)}
    except Forbidden as exc:
        raise HTTPException(403, str(exc)) from None


@api.get("/callbacks/{case_id}")
def callback_json(request: Request, case_id: int) -> dict:
    """One case with the phone number to call (audited)."""
    try:
        return _ratings(request).case(session_of(request).account, case_id)
    except (NotFound, Forbidden):
        raise HTTPException(404, "no such case in your departments") from None


@api.post("/callbacks/{case_id}/state")
def callback_state_json(request: Request, case_id: int, body: CaseUpdate) -> dict:
    """Move the case on: open -> called -> closed (or open -> closed)."""
    try:
        _ratings(request).advance(session_of(request).account, case_id, body.state)
    except (NotFound, Forbidden):
        raise HTTPException(404, "no such case in your departments") from None
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    return {"state": body.state}


@api.get("/ratings")
def ratings_json(request: Request) -> dict:
    """Ratings per department, bundle and kiosk, and the reasons given, for your departments."""
    try:
        return _ratings(request).report(session_of(request).account)
    except Forbidden as exc:
        raise HTTPException(403, str(exc)) from None
