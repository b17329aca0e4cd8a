"""A third language is a file: an "easy read" Chinese catalogue dropped into a locale folder and
listed in kiosk.languages shows on the real window, with Chinese for what it does not translate."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from kiosk.flows.journey import Step
from tests.ui.test_journey import step_is, to_bundle_choice, visible_text

LOCALE = Path(__file__).resolve().parent.parent / "fixtures" / "locale"


def click(qtbot, widget) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def test_an_easy_read_catalogue_is_offered_and_shown_with_chinese_for_the_rest(qtbot, make_kiosk):
    parts, ui = make_kiosk(kiosk={"languages": ["zh", "en", "zh-easy"], "locale_dir": str(LOCALE)})
    win = ui.window
    attract = win.screens[Step.ATTRACT]
    assert win.lang_button.text() == "English"             # each press offers the next language, by its own name
    click(qtbot, win.lang_button)
    assert ui.controller.state.lang == "en" and "Please place your ID card" in attract.hero.text()
    assert win.lang_button.text() == "简明中文"
    click(qtbot, win.lang_button)
    assert ui.controller.state.lang == "zh-easy"
    assert attract.hero.text() == "请把身份证放到读卡器上"     # the easy-read catalogue's own text
    shown = visible_text(win)
    assert "您的信息仅用于本次办理" in shown                   # not in it: the Chinese
    assert "一次办好 · 只跑一次" in shown and "未审核" not in shown   # fuzzy: untranslated, so Chinese
    assert "Please place" in attract.hero_other.text()       # the second line is English, as under Chinese
    assert win.lang_button.text() == "中文"                   # and round to the first again

    to_bundle_choice(qtbot, parts, ui)
    shown = visible_text(win)
    assert "您要办什么事？" in shown and "您要办理哪件事？" not in shown
    assert any(f"要找 {n} 个部门" in shown for n in range(2, 9))     # a {placeholder} filled in its own wording
    assert win.end_button.text() == "不办了"
    click(qtbot, win.end_button)
    click(qtbot, win.confirm_end.yes)
    qtbot.waitUntil(step_is(ui, Step.ATTRACT))
    assert ui.controller.state.lang == "zh" and attract.hero.text() == "请放置身份证件"   # the next citizen: kiosk.language
