"""长辈版 / large mode, touch scrolling, the six-step progress, End confirmation and the language
switch, through the real window (offscreen) as a citizen would use them."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QLineEdit

from kiosk.domain.samples import sample_answer
from kiosk.flows.journey import Step
from tests.ui.test_journey import WAIT, do_materials, step_is, to_bundle_choice, visible_text

ROOT = Path(__file__).resolve().parent.parent.parent


def font_px(widget) -> int:
    return widget.font().pixelSize()


def click(qtbot, widget) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def test_large_mode_scales_text_and_targets_by_half_again(qtbot, make_kiosk):
    _parts, ui = make_kiosk()
    win = ui.window
    attract = win.screens[Step.ATTRACT]
    hero, header_button = attract.hero, win.lang_button
    qtbot.waitUntil(lambda: header_button.height() > 0)
    before = (font_px(hero), font_px(header_button), header_button.height(), attract.large.height())
    click(qtbot, attract.large)          # one touch on the attract screen
    assert ui.controller.state.large
    qtbot.waitUntil(lambda: header_button.height() > before[2])
    after = (font_px(hero), font_px(header_button), header_button.height(), attract.large.height())
    assert after[0] >= 1.5 * before[0] and after[1] >= 1.5 * before[1]
    assert after[2] >= 1.4 * before[2] and after[3] >= 1.4 * before[3]
    assert header_button.height() * 0.248 >= 15   # 15 mm on the reference panel
    click(qtbot, win.large_button)       # and one touch in the header turns it off again
    assert not ui.controller.state.large
    qtbot.waitUntil(lambda: header_button.height() == before[2])
    assert font_px(hero) == before[0]


def test_every_new_citizen_starts_in_the_kiosk_language_and_normal_mode(qtbot, make_kiosk):
    parts, ui = make_kiosk()
    win = ui.window
    click(qtbot, win.lang_button)                        # English, large: chosen before the card
    click(qtbot, win.screens[Step.ATTRACT].large)
    to_bundle_choice(qtbot, parts, ui)
    assert ui.controller.state.lang == "en" and ui.controller.state.large   # this citizen keeps them
    assert "What would you like to do?" in visible_text(win)
    click(qtbot, win.end_button)
    click(qtbot, win.confirm_end.yes)
    state = ui.controller.state
    assert state.step == Step.ATTRACT and state.lang == "zh" and not state.large
    assert "请放置身份证件" in visible_text(win)
    assert font_px(win.screens[Step.ATTRACT].hero) == 54


def test_end_asks_before_wiping_the_session(qtbot, make_kiosk):
    parts, ui = make_kiosk()
    win = ui.window
    to_bundle_choice(qtbot, parts, ui)
    click(qtbot, win.screens[Step.CHOOSE_BUNDLE].buttons["newborn"])
    session = ui.controller.state.session
    click(qtbot, win.end_button)
    assert win.confirm_end.isVisible() and "结束办理吗" in win.confirm_end.title.text()
    assert win.confirm_end.yes.height() * 0.248 >= 15 and win.confirm_end.no.height() * 0.248 >= 15
    assert ui.controller.state.step == Step.FORM and ui.controller.state.session is session
    click(qtbot, win.confirm_end.no)                      # "No, continue": nothing lost
    assert not win.confirm_end.isVisible() and ui.controller.state.session is session
    click(qtbot, win.end_button)
    click(qtbot, win.confirm_end.yes)
    assert ui.controller.state.step == Step.ATTRACT and ui.controller.state.session is None
    assert not win.confirm_end.isVisible()


def test_language_switch_keeps_what_was_typed_but_not_yet_sent(qtbot, make_kiosk):
    parts, ui = make_kiosk()
    win = ui.window
    to_bundle_choice(qtbot, parts, ui)
    click(qtbot, win.screens[Step.CHOOSE_BUNDLE].buttons["newborn"])
    form = win.screens[Step.FORM]
    fid = next(fid for fid, w in form.fields.items() if w.edit is not None and w.field.type == "text")
    typed = "Wang Xiaoming"   # QTest types ASCII only
    form.fields[fid].edit.clear()
    form.fields[fid].edit.setFocus()
    qtbot.keyClicks(form.fields[fid].edit, typed)
    assert ui.controller.state.session.answers.get(fid) != typed   # typed, not yet sent with Next
    click(qtbot, win.lang_button)                         # to English, before pressing Next
    assert ui.controller.state.lang == "en"
    assert form.fields[fid].value() == typed               # a new widget, same text
    assert form.findChild(QLineEdit, f"input_{fid}").text() == typed
    click(qtbot, win.lang_button)                         # and back
    assert form.fields[fid].value() == typed


def test_dragging_the_bundle_list_scrolls_it(qtbot, make_kiosk):
    parts, ui = make_kiosk()
    win = ui.window
    to_bundle_choice(qtbot, parts, ui)
    choose = win.screens[Step.CHOOSE_BUNDLE]
    area = choose.panel.area
    bar = area.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0, timeout=WAIT)
    assert bar.value() == 0 and not choose.panel.up.isEnabled() and choose.panel.down.isEnabled()
    viewport = area.viewport()
    start = QPoint(viewport.width() // 2, viewport.height() - 20)   # on a bundle tile, as a finger would be
    target = QApplication.widgetAt(viewport.mapToGlobal(start)) or viewport

    def send(kind, y: int, buttons) -> None:
        local = QPointF(target.mapFrom(viewport, QPoint(start.x(), y)))
        glob = QPointF(viewport.mapToGlobal(QPoint(start.x(), y)))
        button = Qt.MouseButton.LeftButton if kind != QMouseEvent.Type.MouseMove else Qt.MouseButton.NoButton
        QApplication.sendEvent(target, QMouseEvent(kind, local, glob, button, buttons, Qt.KeyboardModifier.NoModifier))

    send(QMouseEvent.Type.MouseButtonPress, start.y(), Qt.MouseButton.LeftButton)
    for step in range(1, 21):
        qtbot.wait(15)
        send(QMouseEvent.Type.MouseMove, start.y() - step * 20, Qt.MouseButton.LeftButton)
    send(QMouseEvent.Type.MouseButtonRelease, start.y() - 400, Qt.MouseButton.NoButton)
    qtbot.waitUntil(lambda: bar.value() > 100, timeout=WAIT)
    assert ui.controller.state.step == Step.CHOOSE_BUNDLE   # a drag is not a tap on the tile
    assert choose.panel.up.isEnabled()
    value = bar.value()
    click(qtbot, choose.panel.up)                          # the page button goes back up
    assert bar.value() < value


def test_frequently_used_row_and_descriptions_are_on_the_screen(qtbot, make_kiosk):
    parts, ui = make_kiosk()
    to_bundle_choice(qtbot, parts, ui)
    choose = ui.window.screens[Step.CHOOSE_BUNDLE]
    assert list(choose.frequent) == ["retirement", "elderly_care"]
    tile = choose.frequent["retirement"]
    bundle = parts.catalogue.bundle("retirement")
    assert [lab.text() for lab in tile.lines][:2] == [bundle.title.zh, bundle.description.zh]
    assert not tile.toolTip()
    top = choose.panel.area.viewport().rect()
    assert top.contains(tile.mapTo(choose.panel.area.viewport(), tile.rect().center()))   # above the fold
    click(qtbot, tile)
    assert ui.controller.state.session.bundle_id == "retirement"


def test_the_progress_bar_has_six_steps_all_the_way(qtbot, make_kiosk):
    parts, ui = make_kiosk()
    win = ui.window
    seen: list[tuple[int, int, str]] = []

    def record(state) -> None:
        if state.step != Step.ATTRACT:
            i, n = state.progress(datetime.now())
            seen.append((i, n, win.steps.pages[3].text() if win.steps.pages[3].isVisible() else ""))
            assert len(win.steps.names) == 6

    ui.controller.state_changed.connect(record)
    try:
        walk_to_receipt(qtbot, parts, ui)
    finally:
        ui.controller.state_changed.disconnect(record)
    assert {n for _, n, _ in seen} == {6}
    steps = [i for i, _, _ in seen]
    assert steps == sorted(steps) and steps[-1] == 6 and set(steps) >= {1, 2, 3, 4, 5, 6}
    pages = [p for i, _, p in seen if i == 4 and p.startswith("第")]
    # The pages show inside step 4 (their number may grow with the answers; the six steps do not).
    assert pages[0].startswith("第 1 页") and len(pages) >= 4


def walk_to_receipt(qtbot, parts, ui) -> None:
    win = ui.window
    to_bundle_choice(qtbot, parts, ui)
    click(qtbot, win.screens[Step.CHOOSE_BUNDLE].buttons["newborn"])
    screen = win.screens[Step.FORM]
    while ui.controller.state.step == Step.FORM:
        for w in screen.fields.values():
            if not w.value():
                w.set_value(sample_answer(w.field, date.today()))
        before = ui.controller.state
        click(qtbot, screen.next)
        qtbot.waitUntil(lambda before=before: ui.controller.state is not before, timeout=WAIT)
    do_materials(qtbot, ui)
    qtbot.waitUntil(step_is(ui, Step.REVIEW), timeout=WAIT)
    click(qtbot, win.screens[Step.REVIEW].consent_row)     # the whole row ticks the box
    assert win.screens[Step.REVIEW].consent.isChecked()
    click(qtbot, win.screens[Step.REVIEW].submit)
    qtbot.waitUntil(step_is(ui, Step.RECEIPT), timeout=WAIT)


def test_ui_audit_passes_on_the_reference_panel(tmp_path):
    """`kiosk ui audit --json` as CI runs it: both modes, every screen, within the thresholds."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    res = subprocess.run([sys.executable, "-m", "kiosk", "ui", "audit", "--json", "--data-dir", str(tmp_path)],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    report = json.loads(res.stdout)
    assert res.returncode == 0, report["failures"]
    normal, large = report["modes"]["normal"], report["modes"]["large"]
    assert normal["min_text_px"] >= 22 and normal["min_target_mm"] >= 10 and normal["min_contrast"] >= 4.5
    assert large["min_text_px"] >= 32 and large["min_target_mm"] >= 15 and large["min_contrast"] >= 7
    assert normal["min_gap_mm"] >= 3 and large["min_gap_mm"] >= 3 and large["min_line_spacing"] >= 1.3
    assert set(normal["worst"]) >= {"min_text_px", "min_target_mm", "min_gap_mm", "min_contrast"}
