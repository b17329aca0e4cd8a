"""Signing in to the back office: nothing but the kiosk endpoints and the sign-in page without
a session, argon2id hashes, lockout, session expiry, sign-out, CSRF, and the first admin made
by the command line. In process (FastAPI TestClient) on a real SQLite file."""
from __future__ import annotations

import subprocess
import sys
import warnings

import pytest
from sqlalchemy import text

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from backoffice import audit
from backoffice.app import create_app
from backoffice.web import WebSettings
from backoffice.web.gate import is_kiosk_path, is_public_path
from tests.backoffice_support import PASSWORD, POLICE, csrf_of, deliver, fast_hasher, new_backoffice, sign_in

ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent.parent


class Clock:
    def __init__(self) -> None:
        self.t = 1_800_000_000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def bo(tmp_path):
    b = new_backoffice(tmp_path)
    yield b
    b.engine.dispose()


def client_for(bo, clock, **settings):
    app = create_app(bo, WebSettings(hasher=fast_hasher(), clock=clock, **settings))
    base = "https://testserver" if settings.get("secure") else "http://testserver"
    return app, TestClient(app, base_url=base)


def all_routes(routes):
    """Every route, those of included routers too (FastAPI keeps them nested)."""
    for r in routes:
        if hasattr(r, "original_router"):
            yield from all_routes(r.original_router.routes)
        else:
            yield r


@pytest.fixture
def web(bo, clock):
    app, c = client_for(bo, clock)
    app.state.web.accounts.create("alice", PASSWORD, "official", [POLICE])
    with c:
        yield app, c


def test_every_route_but_the_kiosks_and_the_sign_in_page_needs_a_session(web):
    app, c = web
    checked = 0
    for route in all_routes(app.routes):
        path = getattr(route, "path", "")
        url = path.replace("{number}", "3301060001-000001-20261101100000-1").replace("{item_id}", "hukou") \
                  .replace("{material_id}", "bank_card_photo").replace("{name}", "swagger-ui-bundle.js")
        for method in sorted(getattr(route, "methods", None) or {"GET"}):
            if method == "HEAD":
                continue
            r = c.request(method, url, follow_redirects=False)
            if is_public_path(path):
                assert r.status_code != 401, path
            else:   # kiosk endpoints refuse an unsigned request; everything else wants a session
                assert r.status_code == 401, (method, path, r.status_code)
                checked += 1
    assert checked >= 20
    for path in ("/officials", "/v1/officials/applications", "/docs", "/redoc", "/openapi.json", "/officials/audit"):
        assert not is_kiosk_path(path) and c.get(path).status_code == 401
    # a browser is sent to the sign-in page, and comes back where it wanted to go
    r = c.get("/officials?department=x", headers={"accept": "text/html"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/signin?next=%2Fofficials%3Fdepartment%3Dx"


def test_signing_in_sets_a_strict_httponly_cookie_and_the_password_is_stored_as_argon2id(web, bo):
    _app, c = web
    r = sign_in(c, "alice")
    assert r.status_code == 303 and r.headers["location"] == "/officials"
    cookie = next(v for k, v in r.headers.multi_items() if k == "set-cookie" and v.startswith("ov_session="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert c.get("/officials").status_code == 200
    with bo.engine.connect() as conn:
        stored = conn.execute(text("SELECT password_hash FROM accounts")).scalar_one()
        session_ids = [r for (r,) in conn.execute(text("SELECT id_hash FROM sessions"))]
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    value = cookie.split(";")[0].split("=", 1)[1]
    assert value not in session_ids and len(session_ids) == 1          # only its hash is kept


def test_under_tls_the_cookie_is_secure_and_host_only(bo, clock):
    app, c = client_for(bo, clock, secure=True)
    app.state.web.accounts.create("alice", PASSWORD, "official", [POLICE])
    with c:
        r = sign_in(c, "alice")
        cookie = next(v for k, v in r.headers.multi_items() if k == "set-cookie" and "ov_session" in v)
        assert cookie.startswith("__Host-ov_session=") and "Secure" in cookie and "Domain" not in cookie
        assert c.get("/officials").headers["strict-transport-security"].startswith("max-age=")


def test_five_wrong_passwords_lock_the_account_for_a_while(web, bo, clock):
    _app, c = web
    for _ in range(5):
        r = sign_in(c, "alice", "wrong password!!")
        assert r.status_code == 401 and "Wrong username or password" in r.text
    refused = sign_in(c, "alice")                                        # the right password, while locked
    assert refused.status_code == 401 and refused.text.count("Wrong username") == 1
    unknown = sign_in(c, "nobody", "whatever password")                   # the same answer for a stranger
    assert unknown.status_code == 401 and "Wrong username or password" in unknown.text
    clock.t += 14 * 60
    assert sign_in(c, "alice").status_code == 401
    clock.t += 61
    assert sign_in(c, "alice").status_code == 303
    actions = [(e["actor"], e["action"], e["detail"]) for e in audit.entries(bo.engine)]
    assert ("account:alice", "signin.failed", "locked after repeated failures") in actions
    assert ("account:alice", "signin.locked", "") in actions and ("account:alice", "signin", "") in actions[:1]


def test_a_session_ends_after_30_idle_minutes_and_12_hours_at_most(web, clock):
    _app, c = web
    sign_in(c, "alice")
    clock.t += 29 * 60
    assert c.get("/v1/officials/me").status_code == 200
    clock.t += 30 * 60 + 1
    assert c.get("/v1/officials/me").status_code == 401
    sign_in(c, "alice")
    for _ in range(12 * 3 - 1):              # busy all day: a request every 20 minutes
        clock.t += 20 * 60
        assert c.get("/v1/officials/me").status_code == 200
    clock.t += 20 * 60
    assert c.get("/v1/officials/me").status_code == 401


def test_signing_out_ends_the_session_on_the_server(web):
    _app, c = web
    sign_in(c, "alice")
    stolen = dict(c.cookies)
    r = c.post("/signout", data={"csrf": csrf_of(c)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/signin"
    c.cookies.clear()
    for k, v in stolen.items():
        c.cookies.set(k, v)
    assert c.get("/v1/officials/me").status_code == 401


def test_disabling_an_account_or_changing_its_password_ends_its_sessions(web, bo):
    app, c = web
    sign_in(c, "alice")
    from backoffice.sessions import end_sessions_of
    app.state.web.accounts.set_disabled("alice", True)
    assert c.get("/v1/officials/me").status_code == 401
    assert sign_in(c, "alice").status_code == 401
    app.state.web.accounts.set_disabled("alice", False)
    assert sign_in(c, "alice").status_code == 303
    app.state.web.accounts.set_password("alice", "another long password")
    end_sessions_of(bo.engine, "alice")
    assert c.get("/v1/officials/me").status_code == 401


def test_posts_without_the_session_s_csrf_token_or_from_another_site_are_refused(web, bo):
    app, c = web
    number = deliver(bo)
    app.state.web.accounts.create("bob", PASSWORD, "official", [POLICE])
    with TestClient(app) as other:
        sign_in(other, "bob")
        bobs_token = csrf_of(other)
    sign_in(c, "alice")
    token = csrf_of(c)
    url = f"/officials/items/{number}/hukou/status"
    for data, headers in (({"status": "accepted"}, {}),                                   # no token
                          ({"status": "accepted", "csrf": "x" * 43}, {}),                 # a made-up one
                          ({"status": "accepted", "csrf": bobs_token}, {}),               # another session's
                          ({"status": "accepted", "csrf": token}, {"origin": "https://evil.example"}),
                          ({"status": "accepted", "csrf": token}, {"sec-fetch-site": "cross-site"})):
        r = c.post(url, data=data, headers=headers, follow_redirects=False)
        assert r.status_code == 403, (data, headers)
    r = c.post(f"/v1/officials/items/{number}/hukou/status", json={"status": "accepted"})
    assert r.status_code == 403
    assert bo.status_changes("3301060001", 0, 10)["changes"] == []       # nothing changed
    r = c.post(url, data={"status": "accepted", "csrf": token}, headers={"origin": "http://testserver"},
               follow_redirects=False)
    assert r.status_code == 303 and len(bo.status_changes("3301060001", 0, 10)["changes"]) == 1
    # signing out is a POST too: a link on another site cannot sign an official out
    assert c.post("/signout", follow_redirects=False).status_code == 403


def test_the_sign_in_form_refuses_a_post_without_its_own_token(web):
    _app, c = web
    r = c.post("/signin", data={"username": "alice", "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 403
    r = c.post("/signin", data={"username": "alice", "password": PASSWORD, "csrf": "forged"}, follow_redirects=False)
    assert r.status_code == 403


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:x"])
def test_sign_in_only_returns_to_a_page_of_this_site(web, target):
    _app, c = web
    r = sign_in(c, "alice", next_=target)
    assert r.status_code == 303 and r.headers["location"] == "/officials"


def test_the_first_admin_is_made_by_the_command_line_and_manages_no_citizen_data(tmp_path, clock):
    data = tmp_path / "bo"
    cmd = [sys.executable, "-m", "backoffice", "account"]
    short = subprocess.run(cmd + ["create", "root", "--admin", "--password-stdin", "--data-dir", str(data)],
                           input="short\n", cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert short.returncode == 1 and "12 to 256 characters" in short.stderr
    r = subprocess.run(cmd + ["create", "root", "--admin", "--password-stdin", "--data-dir", str(data)],
                       input=PASSWORD + "\n", cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    r = subprocess.run(cmd + ["create", "olga", "--role", "official", "--department", POLICE, "--password-stdin",
                              "--data-dir", str(data)], input=PASSWORD + "\n", cwd=ROOT, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    listing = subprocess.run(cmd + ["list", "--data-dir", str(data)], cwd=ROOT, capture_output=True, text=True,
                             timeout=60).stdout
    assert "root" in listing and "admin" in listing and POLICE in listing
    bo = new_backoffice(tmp_path)
    _app, c = client_for(bo, clock)
    with c:
        assert sign_in(c, "root").status_code == 303
        assert "Accounts" in c.get("/officials").text
        assert c.get("/v1/officials/applications").status_code == 403
        assert c.get("/officials/audit").status_code == 200
    actions = [(e["action"], e["detail"]) for e in audit.entries(bo.engine)]
    assert ("account.create", "root: role admin") in actions
    bo.engine.dispose()


@pytest.mark.parametrize("kind", ["postgresql"])
def test_accounts_lockout_sessions_and_the_workbench_on_postgresql(tmp_path, clock, kind):
    from tests.backoffice_support import database_url
    with database_url(kind, tmp_path) as url:
        bo = new_backoffice(tmp_path, url)
        app, c = client_for(bo, clock)
        app.state.web.accounts.create("alice", PASSWORD, "official", [POLICE])
        number = deliver(bo)
        with c:
            for _ in range(5):
                assert sign_in(c, "alice", "wrong password!!").status_code == 401
            assert sign_in(c, "alice").status_code == 401
            clock.t += 15 * 60 + 1
            assert sign_in(c, "alice").status_code == 303
            assert [r["item_id"] for r in c.get("/v1/officials/applications").json()["requests"]] == ["hukou"]
            r = c.post(f"/v1/officials/items/{number}/hukou/status", json={"status": "accepted", "note": "n"},
                       headers={"x-csrf-token": csrf_of(c)})
            assert r.status_code == 200
            assert c.get(f"/v1/officials/items/{number}/hukou").json()["history"][0]["note"] == "n"
            clock.t += 31 * 60
            assert c.get("/v1/officials/me").status_code == 401
        bo.engine.dispose()
