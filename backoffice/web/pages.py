"""The officials' pages: the items of their departments, one item with the answers and materials
it needs, its status update, and (for auditors and admins) the audit log. Plain HTML forms, no
script. Handlers run on the server's worker threads and block on the database."""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from urllib.parse import quote

from backoffice import audit
from backoffice.officials import Forbidden
from backoffice.service import STATUSES, NotFound
from backoffice.web import session_of, web_of
from backoffice.web.html import csrf_field, e, options, page, table, text

router = APIRouter(include_in_schema=False)


def _item_url(number: str, item_id: str) -> str:
    return f"/officials/items/{quote(number, safe='')}/{quote(item_id, safe='')}"


@router.get("/officials")
def officials_home(request: Request, department: str | None = None, status: str | None = None) -> Response:
    session = session_of(request)
    acct = session.account
    if not acct.can("items.read"):
        links = []
        if acct.can("audit.read"):
            links.append('<li><a href="/officials/audit">审计日志 Audit log</a></li>')
        if acct.can("accounts.manage"):
            links.append('<li><a href="/officials/accounts">账户 Accounts</a></li>')
        if acct.can("staff.audit"):
            links.append('<li><a href="/officials/staff">工作人员与终端审计 Staff and kiosk audit trails</a></li>')
        if not links:
            return page("无权限 Not allowed", "<p>This role has no back-office page.</p>", account=acct,
                        csrf=session.csrf, status=403)
        return page("一网通办后台 OneVisit back office", f"<ul>{''.join(links)}</ul>", account=acct, csrf=session.csrf)
    wb = web_of(request).workbench
    summary = wb.summary(acct)
    rows = wb.items(acct, department or None, status or None, limit=500)
    def _counts(s: dict) -> str:
        by_status = ", ".join(f"{k} {v}" for k, v in s["by_status"].items())
        return f'{s["total"]} ({e(by_status)})' if by_status else "0 件 items"
    dept_links = "".join(f'<li><a href="/officials?department={e(s["department_id"])}">{e(s["department"])}</a>: '
                         f'{_counts(s)}</li>' for s in summary)
    filt = (f'<form method="get" action="/officials" class="inline">'
            f'<select name="department"><option value="">全部 all my departments</option>'
            f'{options([s["department_id"] for s in summary], department)}</select> '
            f'<select name="status"><option value="">全部 any status</option>{options(STATUSES, status)}</select> '
            f'<button type="submit">筛选 Filter</button></form>')
    body = table(["部门 Department", "申请编号 Number", "事项 Item", "办理 Procedure", "承诺期限 Due", "状态 Status",
                  "收到 Received (UTC)"],
                 ([e(r["department"]), f'<a href="{_item_url(r["number"], r["item_id"])}">{e(r["number"])}</a>',
                   e(r["item_id"]), e(r["procedure"]), e(r["due"]), f'<span class="status">{e(r["status"])}</span>',
                   e(r["received_at"])] for r in rows), table_id="items")
    return page("收件 Received items", f"<ul id=departments>{dept_links}</ul>{filt}{body}", account=acct, csrf=session.csrf)


@router.get("/officials/items/{number}/{item_id}")
def item_page(request: Request, number: str, item_id: str) -> Response:
    session = session_of(request)
    try:
        it = web_of(request).workbench.item(session.account, number, item_id)
    except (NotFound, Forbidden):
        return page("没有这一项 Not found", "<p>No such item in your departments.</p>", account=session.account,
                    csrf=session.csrf, status=404)
    url = _item_url(number, item_id)
    answers = table(["问题 Question", "回答 Answer", ""],
                    ([text(a["label"]), text(a["shown"]),
                      "核验 verified" if a["verified"] else ("已修改 edited" if a["edited"] else "")]
                     for a in it["answers"]), table_id="answers")
    mats = []
    for m in it["materials"]:
        if m["attached"]:
            shown = f'<img class="material" alt="{e(m["id"])}" src="{url}/materials/{quote(m["id"], safe="")}">'
        elif m["held_by_government"]:
            shown = '<span class="held">政府已有 held by the government</span>'
        else:
            shown = "未提供 not provided"
        mats.append([text(m["title"]), shown])
    history = table(["时间 When (UTC)", "状态 Status", "经办 By", "备注 Note"],
                    ([e(h["changed_at"]), e(h["status"]), e(h["by"]), e(h["note"])] for h in it["history"]),
                    table_id="history")
    face = it["identity_checked"]["face_matched"]
    by_staff = it["identity_checked"].get("checked_by_staff")
    identity = (f'identity checked by staff No. {e(by_staff)} 工作人员人工核验 '
                f'({e(it["identity_checked"].get("override_reason") or "")})' if by_staff else
                f'live face check {"passed" if face else "not recorded" if face is None else "did not pass"}')
    form = (f'<form method="post" action="{url}/status" class="stack" id="status-form">{csrf_field(session.csrf)}'
            f'<label for="status">新状态 New status</label><select id="status" name="status">'
            f'{options(STATUSES, it["status"])}</select>'
            f'<label for="note">备注 Note (shown to colleagues; no personal data)</label>'
            f'<textarea id="note" name="note" maxlength="500" rows="3" cols="60"></textarea>'
            f'<p><button type="submit" id="update">更新 Update</button></p></form>')
    body = (f'<p>{text(it["department"])} · {text(it["procedure"])} · {text(it["bundle_title"])}</p>'
            f'<p>承诺期限 Due {e(it["due"])} · 状态 Status <strong id="current-status">{e(it["status"])}</strong>'
            f' · 收到 Received {e(it["received_at"])}</p>'
            f'<p>身份 Identity: ID card chip read; {identity}</p>'
            f'<h2>回答 Answers</h2>{answers}<h2>材料 Materials</h2>'
            f'{table(["材料 Material", ""], mats, table_id="materials") if mats else "<p>无需材料 No materials needed</p>"}'
            f'<h2>更新状态 Update the status</h2>{form}<h2>经过 History</h2>{history}')
    return page(f"{number} · {item_id}", body, account=session.account, csrf=session.csrf)


@router.post("/officials/items/{number}/{item_id}/status")
def item_status(request: Request, number: str, item_id: str) -> Response:
    session = session_of(request)
    form = request.state.form
    try:
        web_of(request).workbench.update_status(session.account, number, item_id, form.get("status", ""),
                                                form.get("note", "").strip())
    except (NotFound, Forbidden):
        return page("没有这一项 Not found", "<p>No such item in your departments.</p>", account=session.account,
                    csrf=session.csrf, status=404)
    except ValueError as exc:
        return page("无法更新 Not updated", f"<p class=error>{e(str(exc))}</p>", account=session.account,
                    csrf=session.csrf, status=422)
    return RedirectResponse(_item_url(number, item_id), status_code=303)


@router.get("/officials/items/{number}/{item_id}/materials/{material_id}")
def material(request: Request, number: str, item_id: str, material_id: str) -> Response:
    session = session_of(request)
    try:
        data, kind = web_of(request).workbench.material(session.account, number, item_id, material_id)
    except (NotFound, Forbidden):
        return Response(b"not found", status_code=404, media_type="text/plain")
    disposition = "inline" if kind.startswith("image/") else "attachment"
    return Response(data, media_type=kind, headers={"Content-Disposition": f'{disposition}; filename="{material_id}"',
                                                    "Content-Security-Policy": "default-src 'none'; sandbox"})


@router.get("/officials/audit")
def audit_page(request: Request, number: str | None = None, before: int | None = None) -> Response:
    session = session_of(request)
    if not session.account.can("audit.read"):
        return page("无权限 Not allowed", "<p>Only auditors and admins read the audit log.</p>",
                    account=session.account, csrf=session.csrf, status=403)
    rows = audit.entries(web_of(request).bo.engine, number=number or None, before=before, limit=200)
    body = table(["#", "时间 When (UTC)", "谁 Who", "做了什么 Action", "申请 Number", "事项 Item", "详情 Detail"],
                 ([str(r["id"]), e(r["at"]), e(r["actor"]), e(r["action"]), e(r["number"] or ""), e(r["item_id"] or ""),
                   e(r["detail"])] for r in rows), table_id="audit")
    more = f'<p><a href="/officials/audit?before={rows[-1]["id"]}">更早 Older</a></p>' if len(rows) == 200 else ""
    return page("审计日志 Audit log", body + more, account=session.account, csrf=session.csrf)
