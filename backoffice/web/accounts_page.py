"""Account management in the browser: an admin manages every account; a department admin creates
and manages official accounts within their own departments only. The same rules as the command
line (backoffice/accounts.py); every change is audited and ends the account's sessions when it
changes who may do what. Handlers run on worker threads."""
from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from backoffice import audit
from backoffice.accounts import ROLES, Account, AccountError
from backoffice.sessions import end_sessions_of
from backoffice.web import session_of, web_of
from backoffice.web.html import csrf_field, e, options, page, table

router = APIRouter(include_in_schema=False)
NOTICE_RE = re.compile(r"(created|disable|enable|unlock|password) [a-z0-9._-]{2,64}")


def _may_manage(actor: Account, target: dict) -> bool:
    if actor.can("accounts.manage"):
        return target["username"] != actor.username          # not oneself: no locking oneself out
    return (actor.can("accounts.manage_department") and target["role"] == "official"
            and set(target["departments"]) <= set(actor.departments))


def _guard(request: Request) -> tuple | Response:
    session = session_of(request)
    acct = session.account
    if not (acct.can("accounts.manage") or acct.can("accounts.manage_department")):
        return page("无权限 Not allowed", "<p>Only admins and department admins manage accounts.</p>", account=acct,
                    csrf=session.csrf, status=403)
    return session, acct


@router.get("/officials/accounts")
def accounts_page(request: Request, notice: str = "") -> Response:
    guarded = _guard(request)
    if isinstance(guarded, Response):
        return guarded
    session, acct = guarded
    rows = [r for r in web_of(request).accounts.all() if acct.can("accounts.manage") or _may_manage(acct, r)]
    tok = csrf_field(session.csrf)

    def actions(r: dict) -> str:
        if not _may_manage(acct, r):
            return ""
        u = e(r["username"])
        out = [f'<form method="post" action="/officials/accounts/{u}" class="inline">{tok}'
               f'<button name="action" value="{a}">{a}</button></form>'
               for a in (("enable",) if r["disabled"] else ("disable",)) + (("unlock",) if r["locked"] else ())]
        out.append(f'<form method="post" action="/officials/accounts/{u}" class="inline">{tok}'
                   f'<input type="password" name="password" placeholder="new password" autocomplete="new-password">'
                   f'<button name="action" value="password">set password</button></form>')
        return " ".join(out)

    listing = table(["用户 User", "角色 Role", "部门 Departments", "状态 State", ""],
                    ([e(r["username"]), e(r["role"]), e(", ".join(r["departments"])),
                      "disabled" if r["disabled"] else ("locked" if r["locked"] else "active"), actions(r)]
                     for r in rows), table_id="accounts")
    roles = ROLES if acct.can("accounts.manage") else ("official",)
    depts = ('<input id="departments" name="departments" placeholder="public-security-bureau, ...">'
             if acct.can("accounts.manage") else
             f'<select id="departments" name="departments">{options(acct.departments)}</select>')
    create = (f'<form method="post" action="/officials/accounts" class="stack" id="create">{tok}'
              f'<label for="username">用户名 Username</label><input id="username" name="username" required>'
              f'<label for="role">角色 Role</label><select id="role" name="role">{options(roles, "official")}</select>'
              f'<label for="departments">部门 Departments (ids, comma-separated)</label>{depts}'
              f'<label for="password">初始密码 Initial password (12+ characters)</label>'
              f'<input id="password" name="password" type="password" autocomplete="new-password" required>'
              f'<p><button type="submit">创建 Create</button></p></form>')
    # only our own redirects' notices: a crafted link cannot put words on this page
    note = f'<p class="notice" id="notice">{e(notice)}</p>' if NOTICE_RE.fullmatch(notice) else ""
    if acct.can("accounts.manage"):     # kiosk staff: clerks and supervisors (backoffice/web/staff_page.py)
        from backoffice.web.staff_page import staff_form
        create += "<h2>新工作人员 New kiosk staff account</h2>" + staff_form(session.csrf)
    return page("账户 Accounts", note + listing + "<h2>新账户 New account</h2>" + create, account=acct,
                csrf=session.csrf)


@router.post("/officials/accounts")
def create_account(request: Request) -> Response:
    guarded = _guard(request)
    if isinstance(guarded, Response):
        return guarded
    _session, acct = guarded
    form = request.state.form
    role = form.get("role", "")
    depts = [d.strip() for d in form.get("departments", "").split(",") if d.strip()]
    if not acct.can("accounts.manage") and (role != "official" or not depts or not set(depts) <= set(acct.departments)):
        return _back("a department admin creates official accounts of their own departments only", 403, request)
    try:
        created = web_of(request).accounts.create(form.get("username", ""), form.get("password", ""), role, depts)
    except AccountError as exc:
        return _back(str(exc), 422, request)
    audit.record(web_of(request).bo.engine, acct.actor, "account.create",
                 detail=f"{created.username}: role {role}" + (f"; departments {','.join(created.departments)}" if depts else ""))
    return RedirectResponse(f"/officials/accounts?notice=created+{created.username}", status_code=303)


@router.post("/officials/accounts/{username}")
def change_account(request: Request, username: str) -> Response:
    guarded = _guard(request)
    if isinstance(guarded, Response):
        return guarded
    _session, acct = guarded
    web = web_of(request)
    target = next((r for r in web.accounts.all() if r["username"] == username), None)
    if target is None or not _may_manage(acct, target):
        return _back("no such account that you manage", 404, request)
    action = request.state.form.get("action", "")
    try:
        if action in ("disable", "enable"):
            web.accounts.set_disabled(username, action == "disable")
        elif action == "unlock":
            web.accounts.unlock(username)
        elif action == "password":
            web.accounts.set_password(username, request.state.form.get("password", ""))
        else:
            return _back("unknown action", 422, request)
    except AccountError as exc:
        return _back(str(exc), 422, request)
    if action in ("disable", "password"):
        end_sessions_of(web.bo.engine, username)
    audit.record(web.bo.engine, acct.actor, f"account.{action}", detail=username)
    return RedirectResponse(f"/officials/accounts?notice={action}+{username}", status_code=303)


def _back(message: str, status: int, request: Request) -> Response:
    session = session_of(request)
    return page("账户 Accounts", f'<p class="error" id="error">{e(message)}</p><p><a href="/officials/accounts">'
                f'返回 Back</a></p>', account=session.account, csrf=session.csrf, status=status)
