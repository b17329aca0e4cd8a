"""Kiosk staff in the browser: the kiosks' audit trails per clerk, each kiosk's chain verified
again on display (/officials/staff, /officials/staff/{staff number}); admins create clerk and
supervisor accounts here and on the accounts page. Admins and auditors see every kiosk; a
supervisor sees the kiosks of their own stations. Handlers run on worker threads."""
from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from backoffice import audit, kiosk_audit
from backoffice.accounts import Account, AccountError
from backoffice.web import session_of, web_of
from backoffice.web.html import csrf_field, e, options, page, table

router = APIRouter(include_in_schema=False)
NOTICE_RE = re.compile(r"created staff [A-Z0-9]{4,16}|ID card (set|removed) for [A-Z0-9]{4,16}")


def staff_form(csrf: str) -> str:
    """The new-staff form (admins): posted to /officials/staff."""
    return (f'<form method="post" action="/officials/staff" class="stack" id="create-staff">{csrf_field(csrf)}'
            f'<label for="s-username">用户名 Username</label><input id="s-username" name="username" required>'
            f'<label for="s-name">姓名 Name</label><input id="s-name" name="name" required>'
            f'<label for="s-number">工号 Staff number</label><input id="s-number" name="staff_number" required>'
            f'<label for="s-role">角色 Role</label><select id="s-role" name="role">{options(("clerk", "supervisor"))}</select>'
            f'<label for="s-stations">服务终端 Stations (kiosk ids, comma-separated)</label>'
            f'<input id="s-stations" name="stations" required>'
            f'<label for="s-pin">终端密码 Kiosk PIN (6-12 digits)</label>'
            f'<input id="s-pin" name="pin" type="password" inputmode="numeric" autocomplete="new-password" required>'
            f'<label for="s-id">本人身份证号 Own ID card number (optional, for card sign-in; only a slow hash is kept)</label>'
            f'<input id="s-id" name="id_number" autocomplete="off">'
            f'<label for="s-until">有效期至 Valid until (optional, YYYY-MM-DD)</label><input id="s-until" name="valid_until">'
            f'<p><button type="submit">创建工作人员 Create staff account</button></p></form>')


def id_card_form(csrf: str, staff_number: str) -> str:
    """Set or remove a staff member's own ID card number (admins): only its slow hash is kept."""
    n = e(staff_number)
    return (f'<form method="post" action="/officials/staff/{n}/id-card" class="stack" id="id-card">{csrf_field(csrf)}'
            f'<label for="c-id">本人身份证号 Own ID card number (for card sign-in; only a slow hash is kept)</label>'
            f'<input id="c-id" name="id_number" autocomplete="off">'
            f'<p><button type="submit" name="action" value="set">保存 Set</button> '
            f'<button type="submit" name="action" value="remove">取消证件登录 Remove card sign-in</button></p></form>')


def _visible_kiosks(request: Request, acct: Account) -> list[str] | None:
    """None: every kiosk (admins, auditors); a supervisor: their stations."""
    if acct.role == "supervisor":
        return web_of(request).staff.stations_of(acct.username)
    return None


def _guard(request: Request) -> tuple | Response:
    session = session_of(request)
    acct = session.account
    if not acct.can("staff.audit"):
        return page("无权限 Not allowed", "<p>Only supervisors, auditors and admins see the kiosks' audit trails.</p>",
                    account=acct, csrf=session.csrf, status=403)
    return session, acct


@router.get("/officials/staff")
def staff_page(request: Request, notice: str = "") -> Response:
    guarded = _guard(request)
    if isinstance(guarded, Response):
        return guarded
    session, acct = guarded
    web = web_of(request)
    kiosks = _visible_kiosks(request, acct)
    members = [m for m in web.staff.members() if kiosks is None or set(m["stations"]) & set(kiosks)]
    counts = kiosk_audit.per_staff(web.bo.engine, kiosks)
    listing = table(["工号 Staff no.", "姓名 Name", "角色 Role", "服务终端 Stations", "状态 State", "证件登录 ID card",
                     "登录 Sign-ins", "失败 Failed", "人工核验 Overrides", "代办 Proxies"],
                    ([f'<a href="/officials/staff/{e(m["staff_number"])}">{e(m["staff_number"])}</a>', e(m["name"]),
                      e(m["role"]), e(", ".join(m["stations"])), "disabled" if m["disabled"] else "active",
                      "✓" if m["id_card"] else "",
                      str(counts.get(m["staff_number"], {}).get("staff_sign_in", 0)),
                      str(counts.get(m["staff_number"], {}).get("staff_sign_in_failed", 0)),
                      str(counts.get(m["staff_number"], {}).get("override", 0)),
                      str(counts.get(m["staff_number"], {}).get("proxy", 0))] for m in members), table_id="staff")
    chains = []
    for kiosk_id in kiosk_audit.kiosks_with_trails(web.bo.engine):
        if kiosks is not None and kiosk_id not in kiosks:
            continue
        try:
            r = kiosk_audit.verify_stored(web.bo, kiosk_id)
            verdict = f"intact, {r.count} entries" if r.ok else f"BROKEN at entry {r.first_bad}: {r.reason}"
        except LookupError as exc:
            verdict = str(exc)
        chains.append([e(kiosk_id), e(verdict)])
    body = (f'<p class="notice" id="notice">{e(notice)}</p>' if NOTICE_RE.fullmatch(notice) else "") + listing
    body += "<h2>终端审计链 Kiosk audit trails</h2>" + table(["终端 Kiosk", "校验 Chain"], chains, table_id="chains")
    if acct.can("accounts.manage"):
        body += "<h2>新工作人员 New staff account</h2>" + staff_form(session.csrf)
    return page("工作人员 Staff", body, account=acct, csrf=session.csrf)


@router.get("/officials/staff/{staff_number}")
def staff_trail(request: Request, staff_number: str) -> Response:
    guarded = _guard(request)
    if isinstance(guarded, Response):
        return guarded
    session, acct = guarded
    web = web_of(request)
    rows = kiosk_audit.entries(web.bo.engine, staff=staff_number.upper()[:16], kiosks=_visible_kiosks(request, acct))
    listing = table(["时间 Time (UTC)", "终端 Kiosk", "序号 Entry", "类型 Type", "业务 Reference", "详情 Details"],
                    ([e(r["at"]), e(r["kiosk_id"]), str(r["seq"]), e(r["type"]), e(r["ref"] or ""),
                      e(", ".join(f"{k}={v}" for k, v in sorted(r["details"].items())))] for r in rows),
                    table_id="trail")
    body = listing
    member = web.staff.member(staff_number[:16])
    if acct.can("accounts.manage") and member is not None:
        state = "已设置 set" if member["id_card"] else "未设置 not set"
        body += (f"<h2>证件登录 ID card sign-in: {state}</h2>" + id_card_form(session.csrf, member["staff_number"]))
    return page(f"工作人员 Staff {staff_number.upper()[:16]}", body + '<p><a href="/officials/staff">返回 Back</a></p>',
                account=acct, csrf=session.csrf)


@router.post("/officials/staff/{staff_number}/id-card")
def set_id_card(request: Request, staff_number: str) -> Response:
    session = session_of(request)
    acct = session.account
    if not acct.can("accounts.manage"):
        return _back("only admins change staff accounts", 403, request)
    f = request.state.form
    web = web_of(request)
    remove = f.get("action") == "remove"
    try:
        number = staff_number.strip().upper()[:16]
        web.staff.set_id_number(number, None if remove else (f.get("id_number") or "").strip() or None)
    except AccountError as exc:
        return _back(str(exc), 422, request)
    done = "removed" if remove or not f.get("id_number") else "set"
    audit.record(web.bo.engine, acct.actor, "staff.id_card", detail=f"{number}: ID card sign-in {done}")
    return RedirectResponse(f"/officials/staff?notice=ID+card+{done}+for+{number}", status_code=303)


@router.post("/officials/staff")
def create_staff(request: Request) -> Response:
    session = session_of(request)
    acct = session.account
    if not acct.can("accounts.manage"):
        return _back("only admins create staff accounts", 403, request)
    f = request.state.form
    web = web_of(request)
    try:
        m = web.staff.create(f.get("username", ""), f.get("name", ""), f.get("staff_number", ""), f.get("role", ""),
                             f.get("stations", "").split(","), f.get("pin", ""), id_number=f.get("id_number") or None,
                             valid_until=f.get("valid_until") or None)
    except AccountError as exc:
        return _back(str(exc), 422, request)
    audit.record(web.bo.engine, acct.actor, "staff.create",
                 detail=f"{m['username']}: {m['role']} {m['staff_number']}; stations {','.join(m['stations'])}")
    return RedirectResponse(f"/officials/staff?notice=created+staff+{m['staff_number']}", status_code=303)


def _back(message: str, status: int, request: Request) -> Response:
    session = session_of(request)
    return page("工作人员 Staff", f'<p class="error" id="error">{e(message)}</p><p><a href="/officials/staff">'
                f'返回 Back</a></p>', account=session.account, csrf=session.csrf, status=status)
