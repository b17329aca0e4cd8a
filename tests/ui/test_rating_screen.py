"""The rating screen (好差评) under pytest-qt: a score opens the department choice and the reasons
of its kind; a bad score offers a call back when the form has a phone number; one button sends
it all to the flow; touch targets stay large."""
from __future__ import annotations

from datetime import datetime
from types import MappingProxyType

import pytest
from PySide6.QtCore import Qt

from kiosk.flows import events as ev
from kiosk.flows.state import FlowConfig, FlowState, Session, Step
from kiosk.ui.screens.receipt import RatingScreen
from kiosk.ui.theme import STYLESHEET
from testkit.sync_drills import DemoApplications

NOW = datetime(2026, 11, 23, 10, 0)


def state_for(small_catalogue, phone: str = "13800138000", lang: str = "zh") -> FlowState:
    app = DemoApplications().application("newborn", 1, NOW)
    if not phone:
        from dataclasses import replace
        app = replace(app, answers=tuple(a for a in app.answers if a.field_id != "applicant_phone"))
    session = Session(None, MappingProxyType({}), frozenset(), MappingProxyType({}), application=app)
    return FlowState(FlowConfig(small_catalogue), Step.RATING, lang, session)


@pytest.fixture
def screen(qtbot):
    s = RatingScreen()
    s.setStyleSheet(STYLESHEET)
    s.resize(1280, 800)
    qtbot.addWidget(s)
    s.show()
    return s


def click(qtbot, b) -> None:
    qtbot.mouseClick(b, Qt.MouseButton.LeftButton)


def test_a_bad_score_with_a_department_reasons_and_a_call_back(qtbot, screen, small_catalogue):
    screen.render(state_for(small_catalogue), NOW)
    assert not screen.details.isVisible() and not screen.send.isEnabled()
    click(qtbot, screen.buttons[0])
    assert screen.details.isVisible() and screen.callback.isVisible()
    assert [t for t, b in screen.reason_buttons.items() if b.isVisible()][:2] == ["long_wait", "hard_to_use"]
    assert not screen.reason_buttons["fast"].isVisible()
    assert sorted(screen.department_buttons) == ["birth_certificate", "hukou", "spouse_consent"]
    assert screen.department_buttons["hukou"].text() == "公安局"
    click(qtbot, screen.department_buttons["hukou"])
    click(qtbot, screen.reason_buttons["long_wait"])
    click(qtbot, screen.callback)
    with qtbot.waitSignal(screen.intent) as sent:
        click(qtbot, screen.send)
    assert sent.args == [ev.Rated(1, ("hukou",), ("long_wait",), True)]


def test_a_good_score_offers_praise_and_no_call_back(qtbot, screen, small_catalogue):
    screen.render(state_for(small_catalogue, lang="en"), NOW)
    click(qtbot, screen.buttons[0])
    click(qtbot, screen.callback)
    click(qtbot, screen.reason_buttons["long_wait"])
    click(qtbot, screen.buttons[4])                      # changed their mind: excellent
    assert not screen.callback.isVisible() and screen.reason_buttons["fast"].text() == "Quick"
    with qtbot.waitSignal(screen.intent) as sent:
        click(qtbot, screen.send)
    assert sent.args == [ev.Rated(5, (), (), False)]     # the hidden complaint and call back are not sent


def test_no_call_back_without_a_phone_number(qtbot, screen, small_catalogue):
    screen.render(state_for(small_catalogue, phone=""), NOW)
    click(qtbot, screen.buttons[1])
    assert screen.details.isVisible() and not screen.callback.isVisible()


def test_the_next_citizen_starts_from_nothing(qtbot, screen, small_catalogue):
    screen.render(state_for(small_catalogue), NOW)
    click(qtbot, screen.buttons[0])
    click(qtbot, screen.callback)
    screen.reset()
    screen.render(state_for(small_catalogue), NOW)
    assert not screen.details.isVisible() and not screen.callback.isChecked() and screen.score is None


def test_touch_targets_are_large(qtbot, screen, small_catalogue):
    screen.render(state_for(small_catalogue), NOW)
    click(qtbot, screen.buttons[0])
    targets = [*screen.buttons, screen.callback, screen.send, screen.skip, *screen.department_buttons.values(),
               *(b for b in screen.reason_buttons.values() if b.isVisible())]
    assert min(b.height() for b in targets) >= 60, [(b.text(), b.height()) for b in targets]
