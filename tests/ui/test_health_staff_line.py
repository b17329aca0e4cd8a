"""Staff walking past see a health fault on the attract screen's staff line (issue 12, part 8):
the running kiosk's "health" thread checks every few minutes and hands the report to the screen."""
from __future__ import annotations

import threading
from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from kiosk.domain.health import HealthReport, fault, note
from kiosk.domain.text import Text


def visible_text(widget) -> str:
    return "\n".join(w.text() for w in widget.findChildren(QLabel) if w.isVisible())


def kiosk_ui(qtbot, tmp_path, **health):
    from kiosk.compose import build_parts
    from kiosk.config import load_config
    from kiosk.ui.app import build_ui, ensure_qapplication

    ensure_qapplication()
    parts = build_parts(load_config(env={}, overrides={"paths": {"data_dir": str(tmp_path / "data")},
                                                       "devices": {"face": "sim"}, "health": health}))
    ui = build_ui(parts)
    qtbot.addWidget(ui.window)
    ui.window.show()
    return ui


def test_a_disk_below_the_threshold_shows_on_the_staff_line_in_both_languages(qtbot, tmp_path):
    from kiosk.flows.journey import Step

    # a real check of the real disk, with a threshold no disk meets
    ui = kiosk_ui(qtbot, tmp_path, interval_seconds=0.2, min_free_disk_mb=1e12)
    try:
        attract = ui.window.screens[Step.ATTRACT]
        qtbot.waitUntil(lambda: "工作人员：数据盘剩余空间不足" in visible_text(ui.window), timeout=10000)
        assert "kiosk sync now" in attract.staff.text()          # what to do, not only what is wrong
        qtbot.mouseClick(ui.window.lang_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "For staff: Low disk space for the data folder" in visible_text(ui.window), timeout=5000)
        # the simulated devices of this kiosk are notes: nothing about them on the staff line
        assert "Simulated" not in attract.staff.text()
    finally:
        assert ui.shutdown(3.0)
    assert not [t for t in threading.enumerate() if t.name == "health"]


def test_the_staff_line_clears_when_the_next_report_has_no_fault(qtbot, tmp_path):
    from kiosk.flows.journey import Step

    ui = kiosk_ui(qtbot, tmp_path, interval_seconds=0)       # no health thread: reports given by hand
    try:
        attract = ui.window.screens[Step.ATTRACT]
        assert not attract.staff.isVisible()
        jam = fault("printer", Text("回执打印机卡纸。", "The receipt printer has a paper jam."),
                    Text("清除卡纸。", "Clear the jam."))
        attract.show_health(HealthReport((jam, note("sync", Text("未登记后台", "No back office enrolled"))), datetime.now()))
        assert attract.staff.isVisible()
        assert attract.staff.text() == "工作人员：回执打印机卡纸。 清除卡纸。"
        attract.show_health(HealthReport((note("sync", Text("未登记后台", "No back office enrolled")),), datetime.now()))
        assert not attract.staff.isVisible()
    finally:
        assert ui.shutdown(3.0)
