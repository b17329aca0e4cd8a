"""The whole citizen journey through the real window, as the citizen sees it."""
from __future__ import annotations

import sqlite3
from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit

from kiosk.domain.samples import sample_answer
from kiosk.flows.journey import Step
from kiosk.flows.state import Records

WAIT = 10_000


def visible_text(widget) -> str:
    return "\n".join(w.text() for w in widget.findChildren(QLabel) if w.isVisible())


def step_is(ui, step):
    return lambda: ui.controller.state.step == step


def dump_threads(ui) -> None:
    """What every thread was doing when a wait timed out (printed with the failure's output)."""
    import gc
    import os
    import sys
    import threading
    import traceback
    print(f"state {ui.controller.state.step} gc enabled {gc.isenabled()} counts {gc.get_count()} "
          f"objects {len(gc.get_objects())} threads {threading.active_count()} "
          f"fds {len(os.listdir('/proc/self/fd'))} face {ui.controller.state.session.face}")
    names = {t.ident: t.name for t in threading.enumerate()}
    for ident, frame in sys._current_frames().items():
        print(f"--- thread {names.get(ident, ident)}")
        print("".join(traceback.format_stack(frame)[-8:]))


def to_bundle_choice(qtbot, parts, ui, citizen: int | str = 0):
    """Insert a demo citizen's card (by index or id) and pass the (simulated) face check."""
    if isinstance(citizen, str):
        citizen = next(i for i, c in enumerate(parts.demo_citizens) if c.id == citizen)
    parts.sim_reader.insert(parts.demo_citizens[citizen].identity)
    qtbot.waitUntil(step_is(ui, Step.FACE_CHECK), timeout=WAIT)
    try:
        qtbot.waitUntil(step_is(ui, Step.CHOOSE_BUNDLE), timeout=WAIT)
    except Exception:
        dump_threads(ui)
        raise
    # The records lookup runs beside the face check; a busy test machine may answer it a little later.
    qtbot.waitUntil(lambda: ui.controller.state.session.records != Records.PENDING, timeout=WAIT)


def fill_form(qtbot, ui, on_page=None):
    screen = ui.window.screens[Step.FORM]
    page = 0
    while ui.controller.state.step == Step.FORM:
        if on_page:
            on_page(page, screen)
        for w in screen.fields.values():
            if not w.value():
                w.set_value(sample_answer(w.field, date.today()))
        before = ui.controller.state
        qtbot.mouseClick(screen.next, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda before=before: ui.controller.state is not before, timeout=WAIT)
        assert not (ui.controller.state.session.errors), dict(ui.controller.state.session.errors)
        page += 1
    return page


def do_materials(qtbot, ui):
    """Photograph every material the government does not hold, then continue to the review."""
    screen = ui.window.screens[Step.MATERIALS]
    if ui.controller.state.step != Step.MATERIALS:
        return
    for mid in list(screen.capture_buttons):
        qtbot.mouseClick(screen.capture_buttons[mid], Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda mid=mid: mid in ui.controller.state.session.attachments, timeout=WAIT)
    qtbot.mouseClick(screen.next, Qt.MouseButton.LeftButton)


def test_whole_journey_from_card_to_rating(qtbot, make_kiosk):
    parts, ui = make_kiosk()
    win = ui.window
    citizen = parts.demo_citizens[0]
    assert "请放置身份证件" in visible_text(win)
    to_bundle_choice(qtbot, parts, ui)
    assert "人脸核验通过" in visible_text(win)
    choose = win.screens[Step.CHOOSE_BUNDLE]
    qtbot.mouseClick(choose.buttons["newborn"], Qt.MouseButton.LeftButton)
    assert ui.controller.state.step == Step.FORM
    seen_prefill = {}

    def check_first_page(page, screen):
        if page == 0:
            for fid, w in screen.fields.items():
                seen_prefill[fid] = (w.value(), w.mark.text())
            assert "第 1 页" in visible_text(win)

    pages = fill_form(qtbot, ui, check_first_page)
    assert ui.controller.state.step == Step.MATERIALS
    assert "政府已有" in visible_text(win)                      # what the citizen need not bring
    do_materials(qtbot, ui)
    name_field = next(fid for fid, f in parts.catalogue.fields.items() if f.source == "chip.name")
    assert seen_prefill[name_field][0] == citizen.identity.name
    assert "已核验" in seen_prefill[name_field][1]
    assert pages >= 2 and ui.controller.state.step == Step.REVIEW
    review = win.screens[Step.REVIEW]
    text = visible_text(win)
    for dept in parts.catalogue.bundle("newborn").departments()[:2]:
        assert dept.zh in text
    qtbot.mouseClick(review.submit, Qt.MouseButton.LeftButton)        # no consent yet
    assert ui.controller.state.step == Step.REVIEW and "请先勾选同意" in visible_text(win)
    review.consent.setChecked(True)
    qtbot.mouseClick(review.submit, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ui.controller.state.step == Step.RECEIPT
                    and not ui.controller.state.session.receipt.printing, timeout=WAIT)
    number = ui.controller.state.session.application.number
    assert number in visible_text(win)
    receipts = list(parts.files.receipts.glob("*.pdf"))
    assert [p.name for p in receipts] == [f"receipt-{number}.pdf"]
    db = sqlite3.connect(parts.files.db)
    assert db.execute("SELECT number FROM applications").fetchall() == [(number,)]   # stored before printing
    receipt = win.screens[Step.RECEIPT]
    qtbot.mouseClick(receipt.cont, Qt.MouseButton.LeftButton)
    rating = win.screens[Step.RATING]
    qtbot.mouseClick(rating.buttons[3], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(rating.send, Qt.MouseButton.LeftButton)
    assert ui.controller.state.step == Step.ATTRACT and "感谢您的评价" in visible_text(win)
    qtbot.waitUntil(lambda: db.execute("SELECT score FROM ratings").fetchall() == [(4,)], timeout=WAIT)
    db.close()


def test_english_switch_on_every_screen(qtbot, make_kiosk):
    parts, ui = make_kiosk()
    win = ui.window
    qtbot.mouseClick(win.lang_button, Qt.MouseButton.LeftButton)
    assert "Please place your ID card on the reader" in win.screens[Step.ATTRACT].hero.text()
    to_bundle_choice(qtbot, parts, ui)
    assert "What would you like to do?" in visible_text(win)
    qtbot.mouseClick(win.screens[Step.CHOOSE_BUNDLE].buttons["newborn"], Qt.MouseButton.LeftButton)
    assert "Page 1 of" in visible_text(win) and win.lang_button.text() == "中文"
    qtbot.mouseClick(win.lang_button, Qt.MouseButton.LeftButton)
    assert "第 1 页" in visible_text(win)


def test_card_removal_mid_form_wipes_everything_shown(qtbot, make_kiosk):
    parts, ui = make_kiosk()
    to_bundle_choice(qtbot, parts, ui)
    qtbot.mouseClick(ui.window.screens[Step.CHOOSE_BUNDLE].buttons["newborn"], Qt.MouseButton.LeftButton)
    name = parts.demo_citizens[0].identity.name
    assert any(e.text() == name for e in ui.window.findChildren(QLineEdit))
    parts.sim_reader.remove()
    qtbot.waitUntil(step_is(ui, Step.ATTRACT), timeout=WAIT)
    assert "证件已取出" in visible_text(ui.window)
    assert ui.controller.state.session is None
    assert not any(name in e.text() for e in ui.window.findChildren(QLineEdit))


def test_back_keeps_what_was_typed(qtbot, make_kiosk):
    parts, ui = make_kiosk()
    to_bundle_choice(qtbot, parts, ui)
    win = ui.window
    qtbot.mouseClick(win.screens[Step.CHOOSE_BUNDLE].buttons["newborn"], Qt.MouseButton.LeftButton)
    form = win.screens[Step.FORM]
    qtbot.mouseClick(form.next, Qt.MouseButton.LeftButton)          # first page is prefilled from the chip
    assert ui.controller.state.session.page == 1
    edits = [w for w in form.fields.values() if w.edit is not None and not w.value()]   # not one the records filled
    assert edits, "second page should have a field to type"
    qtbot.keyClicks(edits[0].edit, "Wang 123")
    qtbot.mouseClick(form.back, Qt.MouseButton.LeftButton)
    assert ui.controller.state.session.page == 0
    qtbot.mouseClick(form.next, Qt.MouseButton.LeftButton)
    assert form.fields[edits[0].field.id].value() == "Wang 123"


def test_inactivity_countdown_then_wipe(qtbot, make_kiosk):
    parts, ui = make_kiosk(session={"timeout_seconds": 4, "warning_seconds": 3})
    to_bundle_choice(qtbot, parts, ui)
    qtbot.waitUntil(lambda: ui.window.overlay.isVisible(), timeout=WAIT)
    assert "您还在吗" in ui.window.overlay.title.text()
    qtbot.waitUntil(step_is(ui, Step.ATTRACT), timeout=WAIT)
    assert "长时间无操作" in visible_text(ui.window) and not ui.window.overlay.isVisible()


def test_printer_out_of_paper_still_shows_the_submitted_number(qtbot, make_kiosk):
    parts, ui = make_kiosk(adjust=lambda p: setattr(p.devices.printer, "out_of_paper", True))
    to_bundle_choice(qtbot, parts, ui)
    qtbot.mouseClick(ui.window.screens[Step.CHOOSE_BUNDLE].buttons["newborn"], Qt.MouseButton.LeftButton)
    fill_form(qtbot, ui)
    do_materials(qtbot, ui)
    review = ui.window.screens[Step.REVIEW]
    review.consent.setChecked(True)
    qtbot.mouseClick(review.submit, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ui.controller.state.step == Step.RECEIPT
                    and ui.controller.state.session.receipt.error is not None, timeout=WAIT)
    text = visible_text(ui.window)
    assert "打印机缺纸" in text and "已提交成功" in text
    assert ui.controller.state.session.application.number in text
    assert ui.window.screens[Step.RECEIPT].reprint.isVisible()


def test_conditional_spouse_page_follows_marital_status(qtbot, make_kiosk):
    """Government data says the citizen is married: the spouse page is asked. Changing the
    answer to 'single' removes that page and drops the 'verified' mark."""
    parts, ui = make_kiosk()
    to_bundle_choice(qtbot, parts, ui, "lin_xiaowen")   # married per government records
    qtbot.mouseClick(ui.window.screens[Step.CHOOSE_BUNDLE].buttons["retirement"], Qt.MouseButton.LeftButton)
    topics = [p.topic.id for p in ui.controller.state.pages(ui.controller.clock())]
    assert "spouse" in topics
    form = ui.window.screens[Step.FORM]
    while "applicant_marital_status" not in form.fields:
        qtbot.mouseClick(form.next, Qt.MouseButton.LeftButton)
        for w in form.fields.values():
            if not w.value():
                w.set_value(sample_answer(w.field, date.today()))
    w = form.fields["applicant_marital_status"]
    assert w.value() == "married" and "已核验" in w.mark.text()
    w.set_value("single")
    assert "已修改" in w.mark.text() or "您已修改" in w.mark.text()
    fill_form(qtbot, ui)
    topics = [p.topic.id for p in ui.controller.state.pages(ui.controller.clock())]
    assert "spouse" not in topics
    assert ui.controller.state.step in (Step.MATERIALS, Step.REVIEW)


def test_material_photo_failure_is_explained_and_can_be_retried(qtbot, make_kiosk):
    parts, ui = make_kiosk()
    to_bundle_choice(qtbot, parts, ui, "lin_xiaowen")
    qtbot.mouseClick(ui.window.screens[Step.CHOOSE_BUNDLE].buttons["newborn"], Qt.MouseButton.LeftButton)
    fill_form(qtbot, ui)
    screen = ui.window.screens[Step.MATERIALS]
    mid = next(iter(screen.capture_buttons))
    parts.devices.documents.fail_next = True
    qtbot.mouseClick(screen.capture_buttons[mid], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ui.controller.state.notice is not None, timeout=WAIT)
    assert "拍照没有成功" in visible_text(ui.window)
    qtbot.mouseClick(screen.next, Qt.MouseButton.LeftButton)       # cannot skip a required photo
    assert ui.controller.state.step == Step.MATERIALS and "请先拍摄" in visible_text(ui.window)
    do_materials(qtbot, ui)
    assert ui.controller.state.step == Step.REVIEW


def test_can_keypad_reads_the_card_after_the_key_is_typed(qtbot, make_kiosk):
    """A chip that needs its CAN: the reader refuses until the key typed on the big keypad
    opens it, then the journey goes on to the face check."""
    from kiosk.devices.ports import AccessKeyRequired
    from testkit.chip_reader import SimChipReader
    from testkit.vcard import pki   # the TEST CSCA the demo chips are signed under

    class CanChipReader(SimChipReader):
        """The demo chip, but with no MRZ scanner: it needs the CAN 123456."""

        def __init__(self, *a, **kw):
            super().__init__(*a, **kw)
            self.key = None

        def set_access_key(self, key):
            self.key = key

        def read(self, timeout):
            if self.key is None or self.key.can != "123456":
                raise AccessKeyRequired(__import__("kiosk.devices.icao.messages", fromlist=["x"]).NEED_KEY,
                                        wrong=self.key is not None)
            return super().read(timeout)

    def use_can_reader(parts):
        reader = CanChipReader(pki.CSCA_DIR)
        parts.devices.card_reader = reader
        parts.sim_reader = reader

    parts, ui = make_kiosk(adjust=use_can_reader)
    parts.sim_reader.insert(parts.demo_citizens[0].identity)
    qtbot.waitUntil(step_is(ui, Step.ACCESS_KEY), timeout=WAIT)
    screen = ui.window.screens[Step.ACCESS_KEY]
    assert "6位" in screen.can_caption.text()
    for digit in "12345":
        qtbot.mouseClick(screen.keys[digit], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(screen.submit, Qt.MouseButton.LeftButton)        # five digits: refused plainly
    assert ui.controller.state.step == Step.ACCESS_KEY and "6位数字码" in visible_text(ui.window)
    for digit in "654321":                                             # a wrong CAN: told, with tries left
        qtbot.mouseClick(screen.keys[digit], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(screen.submit, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ui.controller.state.step == Step.ACCESS_KEY and ui.controller.state.key_failures == 1,
                    timeout=WAIT)
    assert "还可尝试 2 次" in visible_text(ui.window)
    for digit in "123456":
        qtbot.mouseClick(screen.keys[digit], Qt.MouseButton.LeftButton)
    assert screen.can.text() == "123456"
    qtbot.mouseClick(screen.submit, Qt.MouseButton.LeftButton)
    assert screen.can.text() == ""                                     # the key is not kept on screen
    qtbot.waitUntil(step_is(ui, Step.FACE_CHECK), timeout=WAIT)
