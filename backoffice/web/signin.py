"""Signing in and out. The sign-in form carries a token that must match its own short-lived
cookie (the gate checks it: a page on another site cannot sign a browser in to an account of
its choosing); a successful sign-in starts a new session (a new id, so no fixation). Failed
attempts get one message whatever the reason (wrong name, wrong password, locked, disabled)."""
from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from backoffice.web import session_of, web_of
from backoffice.web.gate import SIGNIN_COOKIE, session_cookie_name
from backoffice.web.html import csrf_field, e, page

router = APIRouter(include_in_schema=False)

REFUSED = "用户名或密码不对，或账户暂时锁定。 Wrong username or password, or the account is locked for a while."


def safe_next(target: str | None) -> str:
    """Only a path on this site: no scheme, no host, no "//" or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/officials"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/officials"
    return target


def _form_page(request: Request, next_: str, error: str = "", status: int = 200) -> Response:
    token = secrets.token_urlsafe(32)
    body = (f'{f"<p class=error id=error>{e(error)}</p>" if error else ""}'
            f'<form method="post" action="/signin" class="stack" id="signin">{csrf_field(token)}'
            f'<input type="hidden" name="next" value="{e(next_)}">'
            f'<label for="username">用户名 Username</label><input id="username" name="username" autocomplete="username" required>'
            f'<label for="password">密码 Password</label>'
            f'<input id="password" name="password" type="password" autocomplete="current-password" required>'
            f'<p><button type="submit" id="submit">登录 Sign in</button></p></form>')
    resp = page("一网通办后台 · Sign in", body, status=status)
    secure = web_of(request).settings.secure
    resp.set_cookie(SIGNIN_COOKIE, token, max_age=900, path="/signin", httponly=True, samesite="strict", secure=secure)
    return resp


@router.get("/signin")
def signin_page(request: Request, next_: Annotated[str | None, Query(alias="next")] = None) -> Response:
    # the query parameter stays `next` (the gate's redirects and bookmarks use it); the name `next_`
    # keeps the builtin next() usable here
    if getattr(request.state, "session", None) is not None:
        return RedirectResponse(safe_next(next_), status_code=303)
    return _form_page(request, safe_next(next_))


@router.post("/signin")
async def signin(request: Request) -> Response:
    web = web_of(request)
    form = request.state.form
    next_ = safe_next(form.get("next"))
    account = await run_in_threadpool(web.accounts.authenticate, form.get("username", ""), form.get("password", ""))
    if account is None:
        return _form_page(request, next_, REFUSED, status=401)
    old = getattr(request.state, "session", None)
    if old is not None:
        await run_in_threadpool(web.sessions.end, old)
    cookie, _session = await run_in_threadpool(web.sessions.start, account)
    resp = RedirectResponse(next_, status_code=303)
    secure = web.settings.secure
    resp.set_cookie(session_cookie_name(secure), cookie, path="/", httponly=True, samesite="strict", secure=secure)
    resp.delete_cookie(SIGNIN_COOKIE, path="/signin", httponly=True, samesite="strict", secure=secure)
    return resp


@router.post("/signout")
async def signout(request: Request) -> Response:
    web = web_of(request)
    session = session_of(request)
    await run_in_threadpool(web.sessions.end, session)
    from backoffice import audit
    await run_in_threadpool(audit.record, web.bo.engine, session.account.actor, "signout")
    resp = RedirectResponse("/signin", status_code=303)
    resp.delete_cookie(session_cookie_name(web.settings.secure), path="/", httponly=True, samesite="strict",
                       secure=web.settings.secure)
    return resp
