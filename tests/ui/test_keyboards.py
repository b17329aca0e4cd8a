"""The on-screen keyboards in the real window, driven only by mouse clicks and drags (a touch
screen with no physical keyboard): Pinyin, handwriting, the digit pad and the date picker."""
from __future__ import annotations

import json
from datetime import date

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtTest import QTest

from kiosk.domain.samples import sample_answer
from kiosk.flows.journey import Step
from kiosk.ui.keyboards.keyboard import DATE, DIGITS, HANDWRITING, PINYIN
from tests.conftest import FIXTURES
from tests.ui.test_journey import WAIT, to_bundle_choice

LEFT = Qt.MouseButton.LeftButton
STROKES = json.loads((FIXTURES / "handwriting" / "strokes.json").read_text("utf-8"))


def tap(qtbot, widget) -> None:
    assert widget.isVisible() and widget.isEnabled(), widget.text() if hasattr(widget, "text") else widget
    qtbot.mouseClick(widget, LEFT)


def to_page_with(qtbot, parts, ui, bundle: str, field_id: str, citizen: int | str = 0):
    """Start `bundle` and go (filling earlier pages as a citizen would have) to the page that asks `field_id`."""
    to_bundle_choice(qtbot, parts, ui, citizen)
    tap(qtbot, ui.window.screens[Step.CHOOSE_BUNDLE].buttons[bundle])
    screen = ui.window.screens[Step.FORM]
    while field_id not in screen.fields:
        for w in screen.fields.values():
            if not w.value():
                w.set_value(sample_answer(w.field, date.today()))
        before = ui.controller.state.session.page
        tap(qtbot, screen.next)
        qtbot.waitUntil(lambda before=before: ui.controller.state.session.page != before, timeout=WAIT)
    return screen


def open_keyboard(qtbot, screen, field_id: str):
    kb = screen.keyboard
    qtbot.waitUntil(screen.fields[field_id].edit.isVisible, timeout=WAIT)    # a new page shows on the next event loop turn
    tap(qtbot, screen.fields[field_id].edit)
    qtbot.waitUntil(lambda: kb.isVisible() and kb.target is screen.fields[field_id].edit, timeout=WAIT)
    return kb


def choose_pinyin(qtbot, kb, letters: str, word: str) -> None:
    """Tap the letters, wait for candidates, page to `word` with the large page keys and tap it."""
    for ch in letters:
        tap(qtbot, kb.pinyin_pad.keys[ch])
    qtbot.waitUntil(lambda: bool(kb.bar.items) and kb.composition == letters, timeout=WAIT)
    while word not in kb.bar.visible():
        assert kb.bar.next.isEnabled(), f"{word} not among {kb.bar.items}"
        tap(qtbot, kb.bar.next)
    tap(qtbot, kb.bar.buttons[kb.bar.visible().index(word)])


def next_page(qtbot, ui, screen) -> None:
    before = ui.controller.state
    tap(qtbot, screen.next)
    qtbot.waitUntil(lambda: ui.controller.state is not before, timeout=WAIT)


def test_chinese_address_typed_with_pinyin_and_phone_with_the_pad(qtbot, make_kiosk):
    parts, ui = make_kiosk()
    screen = to_page_with(qtbot, parts, ui, "retirement", "applicant_current_address")
    kb = open_keyboard(qtbot, screen, "applicant_phone")
    assert kb.mode == DIGITS and not any(t.isVisible() for t in kb.tabs.values())
    assert not kb.digits.keys["X"].isVisible()
    # The records filled in the number social security holds; this citizen has a new one.
    assert screen.fields["applicant_phone"].value() == "13805710376"
    tap(qtbot, kb.clear)
    assert screen.fields["applicant_phone"].value() == ""
    for d in "13912345678":
        tap(qtbot, kb.digits.keys[d])
    tap(qtbot, kb.digits.keys["0"])          # a 12th digit: the field holds 11
    assert screen.fields["applicant_phone"].value() == "13912345678"

    kb = open_keyboard(qtbot, screen, "applicant_current_address")
    assert kb.mode == PINYIN and kb.tabs[PINYIN].isChecked()
    # The whole place typed at once; choosing 杭州市 keeps "xihuqu" for the next choice.
    for ch in "hangzhoushixihuqu":
        tap(qtbot, kb.pinyin_pad.keys[ch])
    qtbot.waitUntil(lambda: bool(kb.bar.items) and kb.composition == "hangzhoushixihuqu", timeout=WAIT)
    while "杭州市" not in kb.bar.visible():
        tap(qtbot, kb.bar.next)
    tap(qtbot, kb.bar.buttons[kb.bar.visible().index("杭州市")])
    assert kb.composition == "xihuqu"
    qtbot.waitUntil(lambda: "西湖区" in kb.bar.items, timeout=WAIT)
    tap(qtbot, kb.bar.buttons[kb.bar.visible().index("西湖区")])
    assert kb.composition == "" and not kb.bar.isVisible()
    choose_pinyin(qtbot, kb, "renminlu", "人民路")
    tap(qtbot, kb.tabs[DIGITS])              # the house number, from the 123 tab
    for d in "18":
        tap(qtbot, kb.digits.keys[d])
    tap(qtbot, kb.tabs[PINYIN])
    choose_pinyin(qtbot, kb, "hao", "号")
    assert screen.fields["applicant_current_address"].value() == "杭州市西湖区人民路18号"
    tap(qtbot, kb.done)
    assert not kb.isVisible()

    next_page(qtbot, ui, screen)
    answers = ui.controller.state.session.answers
    assert not ui.controller.state.session.errors
    assert answers["applicant_current_address"] == "杭州市西湖区人民路18号"
    assert answers["applicant_phone"] == "13912345678"


def test_backspace_edits_the_pinyin_before_the_field_and_clear_empties_both(qtbot, make_kiosk):
    parts, ui = make_kiosk()
    screen = to_page_with(qtbot, parts, ui, "retirement", "applicant_current_address")
    kb = open_keyboard(qtbot, screen, "applicant_current_address")
    choose_pinyin(qtbot, kb, "hangzhou", "杭州")
    for ch in "xihu":
        tap(qtbot, kb.pinyin_pad.keys[ch])
    tap(qtbot, kb.backspace)
    assert kb.composition == "xih" and screen.fields["applicant_current_address"].value() == "杭州"
    for _ in range(3):
        tap(qtbot, kb.backspace)
    tap(qtbot, kb.backspace)                 # nothing left to compose: the field loses a character
    assert kb.composition == "" and screen.fields["applicant_current_address"].value() == "杭"
    for ch in "shi":
        tap(qtbot, kb.pinyin_pad.keys[ch])
    tap(qtbot, kb.clear)
    assert kb.composition == "" and screen.fields["applicant_current_address"].value() == ""


def drag_strokes(qtbot, pad, strokes, side: int) -> None:
    """Replay fixture strokes (drawn on a `side` px square) as mouse press-move-release on the pad."""
    k = pad.width() / side
    for stroke in strokes:
        pts = [QPoint(round(x * k), round(y * k)) for x, y in stroke]
        QTest.mousePress(pad, LEFT, Qt.KeyboardModifier.NoModifier, pts[0])
        for p in pts[1:]:
            QTest.mouseMove(pad, p)
        QTest.mouseRelease(pad, LEFT, Qt.KeyboardModifier.NoModifier, pts[-1])


def test_a_character_written_by_hand_and_a_date_picked_reach_the_flow(qtbot, make_kiosk):
    parts, ui = make_kiosk()
    # 林晓雯's records hold no medical birth certificate: the hospital and the date are hers to enter.
    screen = to_page_with(qtbot, parts, ui, "newborn", "baby_birth_hospital", "lin_xiaowen")
    assert not screen.fields["baby_birth_hospital"].value() and not screen.fields["baby_birth_date"].value()
    kb = open_keyboard(qtbot, screen, "baby_birth_hospital")
    tap(qtbot, kb.tabs[HANDWRITING])
    assert kb.mode == HANDWRITING and kb.drawing.isVisible()
    for char in ("大", "中"):
        drag_strokes(qtbot, kb.drawing, STROKES["characters"][char], STROKES["width"])
        assert len(kb.drawing.strokes) == len(STROKES["characters"][char])
        assert char in kb.bar.items[:5], kb.bar.items
        while char not in kb.bar.visible():
            tap(qtbot, kb.bar.next)
        tap(qtbot, kb.bar.buttons[kb.bar.visible().index(char)])
        assert kb.drawing.strokes == []      # the pad is clear for the next character
    tap(qtbot, kb.tabs[PINYIN])
    choose_pinyin(qtbot, kb, "yiyuan", "医院")
    assert screen.fields["baby_birth_hospital"].value() == "大中医院"

    kb = open_keyboard(qtbot, screen, "baby_birth_date")
    assert kb.mode == DATE and kb.date_picker.isVisible()
    today = date.today()
    assert kb.date_picker.value == today
    assert not kb.date_picker.steps[("y", 1)].isEnabled()      # not in the future
    assert not kb.date_picker.steps[("d", 1)].isEnabled()      # tomorrow is refused: still today
    kb.date_picker.step("d", 1)
    assert kb.date_picker.value == today
    tap(qtbot, kb.date_picker.steps[("y", -1)])
    for _ in range(2):
        tap(qtbot, kb.date_picker.steps[("m", -1)])
    picked = kb.date_picker.value
    assert (picked.year, picked.month) == (today.year - 1 - (today.month <= 2), (today.month - 3) % 12 + 1)
    assert kb.date_picker.text.text().startswith(f"{picked.year}年{picked.month}月{picked.day}日")
    tap(qtbot, kb.done)
    assert screen.fields["baby_birth_date"].value() == picked.isoformat()

    for w in screen.fields.values():
        if not w.value():
            w.set_value(sample_answer(w.field, today))
    next_page(qtbot, ui, screen)
    answers = ui.controller.state.session.answers
    assert not ui.controller.state.session.errors, dict(ui.controller.state.session.errors)
    assert answers["baby_birth_hospital"] == "大中医院" and answers["baby_birth_date"] == picked.isoformat()


def global_rect(w) -> QRect:
    return QRect(w.mapToGlobal(QPoint(0, 0)), w.size())


def test_the_keyboard_never_covers_the_field_being_typed(qtbot, make_kiosk):
    parts, ui = make_kiosk()
    ui.window.resize(1920, 1080)      # the reference panel the kiosk is laid out for (21.5", 1920x1080)
    screen = to_page_with(qtbot, parts, ui, "newborn", "baby_birth_hospital")
    for fid in ("baby_birth_hospital", "baby_birth_date", "child_name", "baby_birth_hospital"):
        kb = open_keyboard(qtbot, screen, fid)
        edit = screen.fields[fid].edit

        def clear_of_keyboard(edit=edit, kb=kb) -> bool:
            r, k = global_rect(edit), global_rect(kb)
            view = global_rect(screen.scroll_area.viewport())
            return not r.intersects(k) and view.contains(r)
        qtbot.waitUntil(clear_of_keyboard, timeout=WAIT)
        assert global_rect(kb).bottom() >= global_rect(screen.next).bottom()   # docked at the bottom


def test_id_numbers_get_the_x_key_and_numbers_in_text_fields_start_on_digits(qtbot, make_kiosk):
    from kiosk.ui.keyboards.keyboard import modes_for
    parts, _ = make_kiosk()
    fields = parts.catalogue.fields
    assert modes_for(fields["deceased_id_number"], "zh") == ((DIGITS,), DIGITS)
    assert modes_for(fields["applicant_social_security_number"], "zh")[1] == DIGITS
    assert modes_for(fields["applicant_name"], "en")[1] != PINYIN


def test_the_autopilot_types_through_the_keyboards(qtbot, make_kiosk):
    from kiosk.ui.autopilot import Autopilot, plan_journeys
    parts, ui = make_kiosk()
    seen: dict[str, str] = {}

    def on_state(state) -> None:
        if state.step == Step.REVIEW and state.session is not None:
            seen.update(state.session.answers)
    ui.controller.state_changed.connect(on_state)
    codes: list[int] = []
    # 林晓雯's records hold no birth certificate, so the baby's hospital and birth date are typed too.
    journeys = plan_journeys(parts.demo_citizens, ["newborn"], 1, citizen_id="lin_xiaowen")
    pilot = Autopilot(ui.window, lambda c: parts.sim_reader.insert(c.identity), parts.sim_reader.remove,
                      codes.append, journeys, step_delay_ms=20)
    pilot.start()
    qtbot.waitUntil(lambda: bool(codes), timeout=90_000)
    assert codes == [0]
    # Chinese came through Pinyin candidates (the typist's spelled answers), dates through the picker;
    # the address by the one touch of "same as the ID card".
    assert seen["applicant_current_address"] == journeys[0].citizen.identity.address
    assert seen["child_name"] in {"王小明", "李思远", "陈嘉怡", "刘子涵", "周雨桐", "吴浩然"}
    assert seen["baby_birth_hospital"] == "西湖区人民医院"
    assert date.fromisoformat(seen["baby_birth_date"]) < date.today()
    assert pilot.typist.touches > 40, pilot.typist.touches


def test_keys_are_at_least_10_mm_and_15_mm_in_large_mode_on_the_reference_panel(qtbot, make_kiosk):
    from PySide6.QtWidgets import QPushButton

    from kiosk.ui import theme
    parts, ui = make_kiosk()
    ui.window.resize(1920, 1080)
    screen = to_page_with(qtbot, parts, ui, "newborn", "baby_birth_hospital")
    for large, least in ((False, 10.0), (True, 15.0)):
        if large:
            tap(qtbot, ui.window.large_button)   # the header's switch: the window sets theme.SCALE
        assert theme.SCALE == (theme.LARGE_SCALE if large else theme.NORMAL_SCALE)
        for fid, modes in (("baby_birth_hospital", (PINYIN, HANDWRITING, DIGITS, "letters")), ("baby_birth_date", (DATE,))):
            kb = open_keyboard(qtbot, screen, fid)
            for mode in modes:
                if mode != kb.mode:
                    tap(qtbot, kb.tabs[mode])
                qtbot.wait(20)
                keys = [b for b in kb.findChildren(QPushButton) if b.isVisible()]
                assert len(keys) >= 6
                smallest = min(min(b.width(), b.height()) for b in keys) * theme.MM_PER_PX
                assert smallest >= least, (mode, large, smallest)
            tap(qtbot, kb.done)


def test_a_scribbling_hand_cannot_grow_the_handwriting_pad_without_end(qtbot):
    from kiosk.ui.keyboards.handwriting_pad import MAX_POINTS, MAX_STROKES, DrawingPad
    pad = DrawingPad(300)
    qtbot.addWidget(pad)
    pad.show()
    finished = []
    pad.stroke_finished.connect(lambda: finished.append(1))
    for i in range(MAX_STROKES + 20):
        QTest.mousePress(pad, LEFT, Qt.KeyboardModifier.NoModifier, QPoint(10, i % 290))
        QTest.mouseRelease(pad, LEFT, Qt.KeyboardModifier.NoModifier, QPoint(200, i % 290))
    assert len(pad.strokes) == MAX_STROKES and len(finished) == MAX_STROKES
    pad.clear()
    QTest.mousePress(pad, LEFT, Qt.KeyboardModifier.NoModifier, QPoint(0, 0))
    for i in range(MAX_POINTS + 500):
        QTest.mouseMove(pad, QPoint(i % 300, (i // 300) % 300))
    QTest.mouseRelease(pad, LEFT, Qt.KeyboardModifier.NoModifier, QPoint(299, 299))
    assert len(pad.strokes) == 1 and len(pad.strokes[0]) <= MAX_POINTS


def test_in_large_mode_the_whole_keyboard_and_the_field_show_on_the_reference_panel(qtbot, make_kiosk):
    """Large mode's keyboard is taller than the room under the six steps: while it is open the
    steps, the demo tray, the page title and the page buttons give way and the screen scrolls to
    show all its keys under the field, with Back/Next still there."""
    parts, ui = make_kiosk()
    win = ui.window
    win.resize(1920, 1080)
    tap(qtbot, win.large_button)
    screen = to_page_with(qtbot, parts, ui, "newborn", "baby_birth_hospital")
    holder = win.holders[Step.FORM]
    for fid in ("baby_birth_hospital", "baby_birth_date"):
        kb = open_keyboard(qtbot, screen, fid)
        edit = screen.fields[fid].edit

        def all_in_view(edit=edit, kb=kb) -> bool:
            # Every key, and the line being typed in (its middle, in both scroll areas).
            view, line = global_rect(holder.viewport()), global_rect(edit).center()
            return view.contains(global_rect(kb)) and view.contains(line) \
                and global_rect(screen.scroll_area.viewport()).contains(line)
        qtbot.waitUntil(all_in_view, timeout=WAIT)
        assert not win.steps.isVisible() and not win.footer.isVisible() and screen.next.isVisible()
        tap(qtbot, kb.done)                     # 完成 gives the room back: steps, tray, title
        qtbot.waitUntil(lambda: win.steps.isVisible() and win.footer.isVisible() and screen.title.isVisible(),
                        timeout=WAIT)


def test_on_the_last_day_of_a_month_tomorrow_is_refused_not_gone_round(qtbot):
    # CI ran on 30 November: "+1 day" on today's date went round to 1 November.
    from kiosk.ui.keyboards.date_picker import DatePicker
    picker = DatePicker()
    qtbot.addWidget(picker)
    last = date(2026, 11, 30)
    picker.configure(last.isoformat(), date(1900, 1, 1), last, last, "zh")
    assert not picker.steps[("d", 1)].isEnabled() and not picker.steps[("m", 1)].isEnabled()
    picker.step("d", 1)
    picker.step("m", 1)
    assert picker.value == last
    picker.step("d", -1)
    assert picker.value == date(2026, 11, 29) and picker.steps[("d", 1)].isEnabled()
    picker.configure("2026-10-31", date(1900, 1, 1), last, last, "zh")
    picker.step("d", 1)                          # inside the range the day still goes round
    assert picker.value == date(2026, 10, 1)
