"""Builds the one draft application the citizen reviews, from the catalogue and the answers.

The flow calls this when the citizen reaches the review (and again whenever they come back to it
with changed answers); the review screen renders the result and the store only numbers it. Screens
may not import this module (an import-linter contract), so there is no second build to disagree
with the first. Pure: no I/O, no clock of its own (`drafted_at` is passed in).
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType

from kiosk.domain.application import AnsweredField, DepartmentRequest, Draft, FaceCheckRecord
from kiosk.domain.assisted import AUTHORISATION, CARD, ProxyRecord
from kiosk.domain.catalogue import Bundle, Catalogue
from kiosk.domain.form import applicable_items, display_value, form_fields, materials_needed
from kiosk.domain.text import Text
from kiosk.domain.workdays import add_workdays


def build_draft(
    catalogue: Catalogue,
    bundle: Bundle,
    answers: Mapping[str, str],
    verified: frozenset[str],
    prefilled: Mapping[str, str],
    *,
    drafted_at: datetime,
    lang: str = "zh",
    attachments: Mapping[str, bytes] | None = None,
    face_check: FaceCheckRecord | None = None,
    government_holds: frozenset[str] = frozenset(),
    proxy: ProxyRecord | None = None,
    authorisation: bytes = b"",
    counter_staff: str | None = None,
    identity_source: str = CARD,
) -> Draft:
    """The draft from the answers to the fields that apply (others are dropped), with each
    department's promised date counted from `drafted_at`'s day. Photos of materials that no
    longer apply are dropped too. `government_holds`: the material keys this citizen's records
    lookup returned; only those materials are marked as held by the government. `proxy` and its
    `authorisation` photo (kept under assisted.AUTHORISATION), `counter_staff` and
    `identity_source`: see kiosk/domain/assisted.py."""
    today = drafted_at.date()
    fields = form_fields(catalogue, bundle, answers, today)
    answered = []
    for f in fields:
        raw = answers.get(f.id, "")
        edited = f.id in prefilled and prefilled[f.id] != raw
        shown = Text(display_value(f, raw, "zh"), display_value(f, raw, "en"))
        answered.append(AnsweredField(f.id, f.label, raw, shown, f.id in verified and not edited, edited))
    asked = {f.id for f in fields}
    requests = []
    for item in applicable_items(catalogue, bundle, answers, today):
        deadline = add_workdays(today, item.promised_days)
        requests.append(DepartmentRequest(
            item.id, item.department, item.procedure, item.promised_days, item.statutory_days,
            deadline.due, deadline.approximate, item.fee,
            tuple(f for f in item.fields if f in asked), item.materials,
        ))
    mats = tuple((m.id, m.title, m.held_by_government) for m in materials_needed(catalogue, bundle, answers, today, government_holds))
    wanted = {m[0] for m in mats}
    kept = {k: v for k, v in (attachments or {}).items() if k in wanted}
    if proxy is not None and authorisation:
        kept[AUTHORISATION] = authorisation
    return Draft(
        bundle_id=bundle.id, bundle_title=bundle.title, catalogue_version=catalogue.version, drafted_at=drafted_at,
        answers=tuple(answered), requests=tuple(requests), materials=mats, lang=lang,
        attachments=MappingProxyType(kept), face_check=face_check,
        proxy=proxy, counter_staff=counter_staff, identity_source=identity_source,
    )
