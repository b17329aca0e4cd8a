"""Government records through the real window: the demo's records prefill and spare photos; a
kiosk without a records backend prefills nothing from the demo file and holds nothing."""
from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from kiosk.domain.samples import sample_answer
from kiosk.flows.journey import Step
from kiosk.flows.state import Records

WAIT = 10_000


def visible_text(widget) -> str:
    return "\n".join(w.text() for w in widget.findChildren(QLabel) if w.isVisible())


def newborn_form_for(qtbot, parts, ui, citizen_id: str) -> dict[str, tuple[str, str]]:
    """Insert the citizen's card, choose the newborn bundle and walk the form; returns what each
    field showed when its page first appeared (value, mark), before anything was typed."""
    citizen = next(c for c in parts.demo_citizens if c.id == citizen_id)
    parts.sim_reader.insert(citizen.identity)
    qtbot.waitUntil(lambda: ui.controller.state.step == Step.CHOOSE_BUNDLE, timeout=WAIT)
    qtbot.waitUntil(lambda: ui.controller.state.session.records != Records.PENDING, timeout=WAIT)
    qtbot.mouseClick(ui.window.screens[Step.CHOOSE_BUNDLE].buttons["newborn"], Qt.MouseButton.LeftButton)
    form, seen = ui.window.screens[Step.FORM], {}
    while ui.controller.state.step == Step.FORM:
        for fid, w in form.fields.items():
            seen.setdefault(fid, (w.value(), w.mark.text()))
            if not w.value():
                w.set_value(sample_answer(w.field, date.today()))
        before = ui.controller.state
        qtbot.mouseClick(form.next, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda before=before: ui.controller.state is not before, timeout=WAIT)
        assert not ui.controller.state.session.errors, dict(ui.controller.state.session.errors)
    assert ui.controller.state.step == Step.MATERIALS
    return seen


def test_demo_records_prefill_and_spare_the_materials_the_government_holds(qtbot, make_kiosk):
    parts, ui = make_kiosk(records="sim")
    seen = newborn_form_for(qtbot, parts, ui, "lin_xiaowen")
    value, mark = seen["applicant_hukou_address"]
    assert value == "浙江省杭州市西湖区文新街道文三路399号2幢1802室" and "已核验" in mark
    assert "政府已有" in visible_text(ui.window)
    screen = ui.window.screens[Step.MATERIALS]
    assert "hukou_booklet" not in screen.capture_buttons and "marriage_certificate" not in screen.capture_buttons


def test_without_a_records_backend_nothing_comes_from_the_demo_file_and_nothing_is_held(qtbot, make_kiosk):
    parts, ui = make_kiosk(records="none")
    seen = newborn_form_for(qtbot, parts, ui, "lin_xiaowen")
    gov_fields = {fid for fid, f in parts.catalogue.fields.items() if f.source and f.source.startswith("gov.")
                  and not f.computed}        # a computed fallback (the SSN is the ID number) is no records value
    asked = gov_fields & set(seen)
    assert asked, "the newborn form should ask a field the government could have given"
    for fid in asked:                                  # asked empty, for the citizen to type
        assert not seen[fid][0] and "已核验" not in seen[fid][1], fid
    session = ui.controller.state.session
    assert not (session.verified & gov_fields) and session.government is not None and not session.government.values
    screen = ui.window.screens[Step.MATERIALS]
    assert "政府已有" not in visible_text(ui.window)             # neither a "held" mark nor the hint about it
    assert {"hukou_booklet", "birth_medical_certificate", "id_card"} <= set(screen.capture_buttons)
    for mid in list(screen.capture_buttons):           # everything is photographed here instead
        qtbot.mouseClick(screen.capture_buttons[mid], Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda mid=mid: mid in ui.controller.state.session.attachments, timeout=WAIT)
    qtbot.mouseClick(screen.next, Qt.MouseButton.LeftButton)
    assert ui.controller.state.step == Step.REVIEW
    draft = ui.controller.state.session.draft
    assert draft.materials and not any(held for _, _, held in draft.materials)
    assert "政府已有" not in visible_text(ui.window)
