"""The officials' pages in a real browser (Debian's chromium and chromium-driver through
Selenium, headless) against a real uvicorn server on 127.0.0.1: sign in, see only your
department, update a status, sign out; and a forged cross-site form refused. CI must run these:
without chromium they fail there (they skip only on a developer machine without it)."""
from __future__ import annotations

import http.server
import os
import shutil
import threading
import time

import pytest

from backoffice import audit
from backoffice.app import create_app
from backoffice.web import WebSettings
from kiosk.services.sync import protocol as proto
from tests.backoffice_support import (CITIZEN_NAME, KIOSK, PASSWORD, POLICE, SPOUSE_ID, deliver, enrol_kiosk,
                                      fast_hasher, live_server, new_backoffice)

pytestmark = pytest.mark.e2e

CHROMIUM = os.environ.get("ONEVISIT_CHROMIUM", "/usr/bin/chromium")
DRIVER = os.environ.get("ONEVISIT_CHROMEDRIVER", shutil.which("chromedriver") or "/usr/bin/chromedriver")


@pytest.fixture(scope="module")
def browser():
    missing = [p for p in (CHROMIUM, DRIVER) if not os.path.exists(p)]
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        missing.append("the selenium package (requirements-dev.txt)")
    if missing:
        msg = f"browser tests need {', '.join(missing)}: apt-get install chromium chromium-driver (scripts/setup.sh)"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,1000", "--no-proxy-server", "--disable-extensions"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture
def site(tmp_path):
    bo = new_backoffice(tmp_path)
    app = create_app(bo, WebSettings(hasher=fast_hasher()))
    app.state.web.accounts.create("police", PASSWORD, "official", [POLICE])
    key = enrol_kiosk(bo)
    number = deliver(bo)
    with live_server(app) as url:
        yield bo, url, number, key
    bo.engine.dispose()


def click_and_wait(driver, element):
    """Click something that loads a new page; return when the old page is gone."""
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait
    element.click()
    WebDriverWait(driver, 15).until(ec.staleness_of(element))


def _sign_in(driver, url, username="police", password=PASSWORD):
    from selenium.webdriver.common.by import By
    driver.delete_all_cookies()
    driver.get(url + "/officials")
    assert "/signin" in driver.current_url                       # sent to sign in first
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(password)
    click_and_wait(driver, driver.find_element(By.ID, "submit"))


def test_sign_in_see_only_your_department_update_a_status_and_sign_out(browser, site):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.select import Select
    bo, url, number, _key = site
    _sign_in(browser, url)
    assert browser.current_url == url + "/officials"
    assert browser.find_element(By.ID, "who").text.startswith("police")
    rows = browser.find_elements(By.CSS_SELECTOR, "#items tbody tr")
    assert [r.find_elements(By.TAG_NAME, "td")[2].text for r in rows] == ["hukou"]   # not the other departments'
    assert "ov_session" not in browser.execute_script("return document.cookie")    # HttpOnly: no script reads it
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, number))
    assert CITIZEN_NAME in browser.page_source and SPOUSE_ID not in browser.page_source
    Select(browser.find_element(By.ID, "status")).select_by_value("accepted")
    browser.find_element(By.ID, "note").send_keys("材料齐全")
    click_and_wait(browser, browser.find_element(By.ID, "update"))
    assert browser.find_element(By.ID, "current-status").text == "accepted"
    assert "材料齐全" in browser.find_element(By.ID, "history").text
    changes = bo.status_changes(KIOSK, 0, 10)["changes"]
    assert [(c["number"], c["item_id"], c["status"]) for c in changes] == [(number, "hukou", "accepted")]
    click_and_wait(browser, browser.find_element(By.ID, "signout"))
    assert "/signin" in browser.current_url
    browser.get(url + "/officials")
    assert "/signin" in browser.current_url                       # the session is gone
    browser.get(url + f"/officials/items/{number}/hukou")
    assert CITIZEN_NAME not in browser.page_source


def test_a_wrong_password_is_refused_with_one_message(browser, site):
    from selenium.webdriver.common.by import By
    _bo, url, _number, _key = site
    _sign_in(browser, url, password="not the password")  # noqa: S106 - a wrong password on purpose
    assert "/signin" in browser.current_url
    assert "Wrong username or password" in browser.find_element(By.ID, "error").text


class _EvilPage(http.server.BaseHTTPRequestHandler):
    html = b""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(self.html)

    def log_message(self, *args):
        pass


def test_a_forged_form_on_another_site_cannot_change_a_status(browser, site):
    bo, url, number, _key = site
    _sign_in(browser, url)
    assert browser.current_url == url + "/officials"
    _EvilPage.html = (f'<html><body><form id="f" method="post" action="{url}/officials/items/{number}/hukou/status">'
                      f'<input name="status" value="rejected"><input name="note" value="forged"></form>'
                      f'<script>document.getElementById("f").submit()</script></body></html>').encode()
    evil = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _EvilPage)
    t = threading.Thread(target=evil.serve_forever, name="evil-site", daemon=True)
    t.start()
    try:
        browser.get(f"http://127.0.0.1:{evil.server_address[1]}/")
        end = time.monotonic() + 10
        while not browser.current_url.startswith(url) and time.monotonic() < end:
            time.sleep(0.05)
        assert "refused" in browser.page_source or "CSRF" in browser.page_source
    finally:
        evil.shutdown()
        evil.server_close()
        t.join(5)
    assert bo.status_changes(KIOSK, 0, 10)["changes"] == []           # nothing changed
    assert not [e for e in audit.entries(bo.engine) if e["action"] == "item.status"]
    # the official's own session still works
    browser.get(url + "/officials")
    assert browser.current_url == url + "/officials"


def test_kiosk_endpoints_keep_their_signatures(site):
    import httpx
    _bo, url, _number, key = site
    assert httpx.get(url + "/v1/status-changes", trust_env=False).status_code == 401
    h = proto.sign_request(key, "GET", "/v1/status-changes", KIOSK, b"", int(time.time()))
    assert httpx.get(url + "/v1/status-changes", headers=h, trust_env=False).status_code == 200
