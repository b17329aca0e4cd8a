"""What the kiosk says for a state (kiosk/ui/narration.py): pure, so no window is needed."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from kiosk.domain.text import Text
from kiosk.flows import messages as msg
from kiosk.flows.journey import FlowConfig, FlowState, Step
from kiosk.ui import strings as S
from kiosk.domain.application import Application, DepartmentRequest
from kiosk.ui.narration import INTROS, fill, narrate, receipt_summary, spoken_date, spoken_digits


def test_every_step_has_something_to_say():
    assert set(INTROS) == set(Step)


def test_numbers_and_dates_are_said_as_people_say_them():
    d = spoken_digits("3301060001-000007-20261129194903-2")
    assert d.zh.startswith("3 3 0 1 0 6 0 0 0 1，0 0 0 0 0 7，2 0 2 6") and d.zh.endswith("，2")
    assert d.en.startswith("3 3 0 1 0 6 0 0 0 1, 0 0 0 0 0 7, ")
    assert spoken_date(date(2027, 3, 5), this_year=2026) == Text("二零二七年3月5日", "5 March 2027")
    assert spoken_date(date(2026, 3, 5), this_year=2026) == Text("3月5日", "5 March")


def test_fill_puts_each_language_into_its_own_sentence_and_leaves_braces_in_values_alone():
    out = fill(Text("{a}：{b}", "{a}: {b}"), a=Text("甲{x}", "A{x}"), b=3)
    assert out == Text("甲{x}：3", "A{x}: 3")


def test_a_notice_changes_only_the_messages_and_a_language_switch_changes_both():
    state = FlowState(config=FlowConfig(catalogue=None), step=Step.ATTRACT)   # type: ignore[arg-type]
    now = datetime(2026, 11, 23, 10, 0)
    a = narrate(state, now)
    assert [t.zh for t in a.intro] == [S.ATTRACT_HERO.zh, S.ATTRACT_PRIVACY.zh] and a.messages == ()
    b = narrate(replace(state, notice=msg.TIMED_OUT), now)
    assert b.intro_key == a.intro_key and b.messages_key != a.messages_key and b.messages == (msg.TIMED_OUT,)
    c = narrate(replace(state, lang="en"), now)
    assert c.intro_key != a.intro_key and c.messages_key != a.messages_key
    closed = narrate(replace(state, intake_closed=(Text("x", "x"),)), now)
    assert closed.intro == (msg.INTAKE_CLOSED,)


def test_the_receipt_summary_names_each_department_once_with_its_last_date():
    def item(dept: str, due: date) -> DepartmentRequest:
        return DepartmentRequest(dept, Text(dept, dept.upper()), Text("p", "p"), 5, 10, due, True, 0.0, (), ())

    app = Application("3301060001-000007-20261130094903-6", "3301060001", "newborn", Text("新生儿", "Baby"), "1",
                      datetime(2026, 11, 30, 9, 49), (),
                      (item("医保", date(2026, 12, 1)), item("公安", date(2026, 12, 2)), item("医保", date(2027, 1, 4))),
                      (), True)
    zh = [t.zh for t in receipt_summary(app)]
    assert zh[0] == S.SUBMITTED.zh and zh[1].startswith("申请编号：3 3 0 1") and zh[2] == S.SAY_NEXT.zh
    assert zh[3:5] == ["医保：预计 二零二七年1月4日前办结。", "公安：预计 12月2日前办结。"]
    assert zh[-1] == S.TAKE_RECEIPT.zh and len(zh) == 6
    assert [t.en for t in receipt_summary(app)][4] == "公安: by about 2 December."


def test_the_scan_screen_says_how_to_scan_or_what_to_type_and_leaves_the_statuses_to_itself():
    from kiosk.domain.progress import ReceiptProgress
    from kiosk.flows.state import ScanMode, ScanState
    from kiosk.ui import scan_strings as SCAN
    state = FlowState(config=FlowConfig(catalogue=None), step=Step.SCAN_RECEIPT, scan=ScanState())   # type: ignore[arg-type]
    now = datetime(2026, 11, 23, 10, 0)
    assert narrate(state, now).intro == (SCAN.TITLE, SCAN.AIM)
    typing = narrate(replace(state, scan=ScanState(mode=ScanMode.TYPING)), now)
    assert typing.intro == (SCAN.TITLE, SCAN.TYPE_TITLE)
    shown = ReceiptProgress("3301060001-000007-20261129194903-2", "newborn", "", (), None)
    assert narrate(replace(state, scan=ScanState(progress=shown)), now).intro == ()
