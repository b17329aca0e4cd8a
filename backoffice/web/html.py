"""The officials' pages' HTML: one layout, every value escaped, no inline script or style (the
Content-Security-Policy allows neither), and the session's CSRF token in every form."""
from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from typing import Any

from fastapi.responses import HTMLResponse

e = html.escape


def text(value: Any, lang: str = "zh") -> str:
    """A bilingual {"zh", "en"} value as "中文 · English", escaped."""
    if isinstance(value, Mapping):
        zh, en = str(value.get("zh", "")), str(value.get("en", ""))
        return e(zh) + (f' <span class="en">{e(en)}</span>' if en and en != zh else "")
    return e("" if value is None else str(value))


def csrf_field(csrf: str) -> str:
    return f'<input type="hidden" name="csrf" value="{e(csrf)}">'


def page(title: str, body: str, *, account: Any = None, csrf: str = "", status: int = 200) -> HTMLResponse:
    nav = ""
    if account is not None:
        links = []
        if account.can("items.read"):
            links.append('<a href="/officials">收件 Items</a>')
            links.append('<a href="/officials/callbacks">回访 Call-backs</a>')
            links.append('<a href="/officials/ratings">评价 Ratings</a>')
        if account.can("audit.read"):
            links.append('<a href="/officials/audit">审计 Audit log</a>')
        if account.can("staff.audit"):
            links.append('<a href="/officials/staff">工作人员 Staff</a>')
        if account.can("accounts.manage") or account.can("accounts.manage_department"):
            links.append('<a href="/officials/accounts">账户 Accounts</a>')
        links.append('<a href="/docs">API</a>')
        nav = (f'<nav>{" · ".join(links)}<span class="who" id="who">{e(account.username)} ({e(account.role)})</span>'
               f'<form method="post" action="/signout" class="inline">{csrf_field(csrf)}'
               f'<button type="submit" id="signout">退出 Sign out</button></form></nav>')
    doc = (f'<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>{e(title)}</title>'
           f'<meta name="viewport" content="width=device-width, initial-scale=1">'
           f'<link rel="stylesheet" href="/static/officials.css"></head>'
           f'<body>{nav}<main><h1>{e(title)}</h1>{body}</main></body></html>')
    return HTMLResponse(doc, status_code=status)


def table(headers: Iterable[str], rows: Iterable[Iterable[str]], *, table_id: str = "") -> str:
    """`rows` hold HTML already escaped by the caller; `table_id` is the table's HTML id."""
    head = "".join(f"<th>{h}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f'<table{f" id={chr(34)}{e(table_id)}{chr(34)}" if table_id else ""}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def options(values: Iterable[str], selected: str | None = None) -> str:
    return "".join(f'<option value="{e(v)}"{" selected" if v == selected else ""}>{e(v)}</option>' for v in values)
