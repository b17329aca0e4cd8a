"""The review shows one draft; the store numbers that same draft; the receipt prints it.

Submitting just after midnight must not move the promised dates the citizen reviewed, even when
the night crosses into or out of a public holiday (the dates count working days).
"""
from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date, datetime

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from kiosk.domain.samples import sample_answer
from kiosk.domain.workdays import add_workdays
from kiosk.flows.journey import Step

WAIT = 10_000


def visible_text(widget) -> str:
    return "\n".join(w.text() for w in widget.findChildren(QLabel) if w.isVisible())


def pdf_text(path) -> str:
    if shutil.which("pdftotext"):
        return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                              check=True, timeout=30).stdout
    from pypdf import PdfReader
    return "\n".join(page.extract_text() for page in PdfReader(str(path)).pages)


def walk_to_review(qtbot, parts, ui, today: date) -> None:
    """Card, face, the newborn bundle, every page answered for `today`, every photo taken."""
    parts.sim_reader.insert(parts.demo_citizens[0].identity)
    qtbot.waitUntil(lambda: ui.controller.state.step == Step.CHOOSE_BUNDLE, timeout=WAIT)
    qtbot.mouseClick(ui.window.screens[Step.CHOOSE_BUNDLE].buttons["newborn"], Qt.MouseButton.LeftButton)
    form = ui.window.screens[Step.FORM]
    while ui.controller.state.step == Step.FORM:
        for w in form.fields.values():
            if not w.value():
                w.set_value(sample_answer(w.field, today))
        before = ui.controller.state
        qtbot.mouseClick(form.next, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda before=before: ui.controller.state is not before, timeout=WAIT)
        assert not ui.controller.state.session.errors, dict(ui.controller.state.session.errors)
    if ui.controller.state.step == Step.MATERIALS:
        screen = ui.window.screens[Step.MATERIALS]
        for mid in list(screen.capture_buttons):
            qtbot.mouseClick(screen.capture_buttons[mid], Qt.MouseButton.LeftButton)
            qtbot.waitUntil(lambda mid=mid: mid in ui.controller.state.session.attachments, timeout=WAIT)
        qtbot.mouseClick(screen.next, Qt.MouseButton.LeftButton)
    assert ui.controller.state.step == Step.REVIEW


@pytest.mark.parametrize("reviewed_at, submitted_at, dates_would_move", [
    # The eve of National Day: both days count from the same first working day after the holiday.
    (datetime(2026, 9, 30, 23, 59, 50), datetime(2026, 10, 1, 0, 0, 10), False),
    # The holiday's last night: counted from the next day, every promised date would be a day later.
    (datetime(2026, 10, 7, 23, 59, 50), datetime(2026, 10, 8, 0, 0, 10), True),
])
def test_dates_reviewed_before_midnight_are_the_ones_stored_and_printed(qtbot, make_kiosk, reviewed_at,
                                                                       submitted_at, dates_would_move):
    clock = {"now": reviewed_at}
    parts, ui = make_kiosk()
    ui.controller.clock = lambda: clock["now"]
    walk_to_review(qtbot, parts, ui, reviewed_at.date())

    shown = re.findall(r"（(\d{4}-\d{2}-\d{2})前）", visible_text(ui.window))
    draft = ui.controller.state.session.draft
    assert shown == [r.due.isoformat() for r in draft.requests] and shown
    counted_from_submission = [add_workdays(submitted_at.date(), r.promised_days).due.isoformat()
                               for r in draft.requests]
    assert (counted_from_submission != shown) == dates_would_move

    clock["now"] = submitted_at                       # the citizen ticks consent and submits after midnight
    review = ui.window.screens[Step.REVIEW]
    review.consent.setChecked(True)
    qtbot.mouseClick(review.submit, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ui.controller.state.step == Step.RECEIPT
                    and not ui.controller.state.session.receipt.printing, timeout=WAIT)

    app = ui.controller.state.session.application
    assert app.created_at == submitted_at and f"-{submitted_at:%Y%m%d%H%M%S}-" in app.number
    store = parts.open_storage()
    try:
        stored = store.load(app.number)
    finally:
        store.close()
    assert [r.due.isoformat() for r in stored.requests] == shown
    printed = pdf_text(parts.files.receipts / f"receipt-{app.number}.pdf")
    # printed before sync: each date is an estimate counted from the kiosk's day (issue 14 part 6)
    assert re.findall(r"预计约\s+(\d{4}-\d{2}-\d{2})", printed) == shown


def test_the_review_in_english_reads_as_english_and_leaves_out_what_was_not_answered(qtbot, make_kiosk):
    parts, ui = make_kiosk()
    parts.sim_reader.insert(parts.demo_citizens[0].identity)
    qtbot.waitUntil(lambda: ui.controller.state.step == Step.CHOOSE_BUNDLE, timeout=WAIT)
    qtbot.mouseClick(ui.window.screens[Step.CHOOSE_BUNDLE].buttons["newborn"], Qt.MouseButton.LeftButton)
    form = ui.window.screens[Step.FORM]
    while ui.controller.state.step == Step.FORM:
        for fid, w in form.fields.items():
            if not w.value() and fid != "sms_consent":      # an optional question left unanswered
                w.set_value(sample_answer(w.field, date.today()))
        before = ui.controller.state
        qtbot.mouseClick(form.next, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda before=before: ui.controller.state is not before, timeout=WAIT)
    if ui.controller.state.step == Step.MATERIALS:
        screen = ui.window.screens[Step.MATERIALS]
        for mid in list(screen.capture_buttons):
            qtbot.mouseClick(screen.capture_buttons[mid], Qt.MouseButton.LeftButton)
            qtbot.waitUntil(lambda mid=mid: mid in ui.controller.state.session.attachments, timeout=WAIT)
        qtbot.mouseClick(screen.next, Qt.MouseButton.LeftButton)
    assert ui.controller.state.step == Step.REVIEW
    qtbot.mouseClick(ui.window.lang_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Full name" in visible_text(ui.window.screens[Step.REVIEW]), timeout=WAIT)
    text = visible_text(ui.window.screens[Step.REVIEW])
    assert "Full name: " in text and "：" not in text and "；" not in text
    assert "Shall we text you" not in text           # not answered: nothing goes to the department
