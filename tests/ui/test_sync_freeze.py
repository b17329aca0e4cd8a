"""The sync freeze rule as the citizen and staff see it on the attract screen."""
from __future__ import annotations

from kiosk.flows import messages as msg
from kiosk.flows.journey import Step

WAIT = 10_000


def _enrol_unreachable(data_dir, tmp_path, **settings):
    """Pin a back office that is not there (a refused port) with a long-ago enrolment."""
    from backoffice.keys import BackofficeKeys
    from kiosk.services.sync.settings import SyncSettings, save_sync_settings
    doc = BackofficeKeys.load_or_create(tmp_path / "bo-keys").public_document()
    save_sync_settings(data_dir, SyncSettings(url="http://127.0.0.1:9", backoffice_signing_key=doc["signing_key"],
                                              backoffice_encryption_key=doc["encryption_key"], **settings))


def test_a_frozen_kiosk_sends_citizens_to_the_counter_and_tells_staff_why(qtbot, make_kiosk, tmp_path):
    from PySide6.QtWidgets import QLabel
    _enrol_unreachable(tmp_path / "data", tmp_path, enrolled_at="2020-01-01T00:00:00",
                       request_timeout_seconds=1.0, backoff_base_seconds=30.0)
    parts, ui = make_kiosk()
    qtbot.waitUntil(lambda: bool(ui.controller.state.intake_closed), timeout=WAIT)
    screen = ui.window.screens[Step.ATTRACT]
    shown = "\n".join(w.text() for w in screen.findChildren(QLabel) if w.isVisible())
    assert msg.INTAKE_CLOSED.zh in shown and msg.INTAKE_CLOSED.en in shown      # the citizen, both languages
    assert "工作人员" in shown and "天未与后台同步" in shown                        # staff: why
    assert "请放置身份证件" not in shown
    parts.sim_reader.insert(parts.demo_citizens[0].identity)
    qtbot.waitUntil(lambda: ui.controller.state.notice == msg.INTAKE_CLOSED, timeout=WAIT)
    assert ui.controller.state.step == Step.ATTRACT and ui.controller.state.session is None


def test_an_enrolled_kiosk_within_its_limits_takes_applications(qtbot, make_kiosk, tmp_path):
    from datetime import datetime
    _enrol_unreachable(tmp_path / "data", tmp_path, enrolled_at=datetime.now().replace(microsecond=0).isoformat(),
                       request_timeout_seconds=1.0, backoff_base_seconds=30.0)
    parts, ui = make_kiosk()
    qtbot.waitUntil(lambda: ui.runtime._sync is not None and ui.runtime._sync.snapshot().state == "backing-off",
                    timeout=WAIT)
    assert ui.controller.state.intake_closed == ()
    parts.sim_reader.insert(parts.demo_citizens[0].identity)
    qtbot.waitUntil(lambda: ui.controller.state.step == Step.CHOOSE_BUNDLE, timeout=WAIT)


def test_staff_see_how_many_applications_wait_for_the_back_office_and_since_when(qtbot, make_kiosk, tmp_path):
    from datetime import datetime

    from PySide6.QtWidgets import QLabel

    from testkit.sync_drills import DemoApplications
    _enrol_unreachable(tmp_path / "data", tmp_path, enrolled_at=datetime.now().replace(microsecond=0).isoformat(),
                       request_timeout_seconds=1.0, backoff_base_seconds=30.0)
    parts, ui = make_kiosk()
    store = parts.open_storage()
    try:
        DemoApplications().submit(store, 2)      # stored while the back office is out of reach
    finally:
        store.close()
    ui.runtime._sync.nudge()
    screen = ui.window.screens[Step.ATTRACT]
    qtbot.waitUntil(lambda: screen.backlog.isVisible(), timeout=WAIT)
    assert ui.controller.state.sync_backlog[0] == 2
    assert "2 份申请待同步" in screen.backlog.text() and datetime.now().strftime("%Y-%m-%d") in screen.backlog.text()
    assert "工作人员" in "\n".join(w.text() for w in screen.findChildren(QLabel) if w.isVisible())
