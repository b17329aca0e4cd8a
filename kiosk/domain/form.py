"""The combined-form engine: one form for a bundle, each question once, in short topic pages.

Answers are the strings the citizen typed or chose, keyed by field id. Everything here is
a pure function of (catalogue, bundle, answers, today), so the flow can recompute what
applies after every page.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from kiosk.domain import rules
from kiosk.domain.catalogue import Bundle, Catalogue, FieldDef, Item, Material, Topic
from kiosk.domain.idnumber import is_valid_mobile, is_valid_resident_id
from kiosk.domain.identity import Identity
from kiosk.domain.text import Text
from kiosk.i18n import tr


@dataclass(frozen=True)
class FormPage:
    topic: Topic
    fields: tuple[FieldDef, ...]


@dataclass(frozen=True)
class NeededMaterial:
    """A material this citizen's application needs, and whether the government holds it for them
    (so they need not bring or photograph it)."""

    material: Material
    held_by_government: bool

    @property
    def id(self) -> str:
        return self.material.id

    @property
    def title(self) -> Text:
        return self.material.title

    @property
    def optional(self) -> bool:
        return self.material.optional


def parse_date(raw: str) -> date | None:
    m = re.fullmatch(r"\s*(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?\s*", raw or "")
    if not m:
        return None
    try:
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def typed_names(catalogue: Catalogue, answers: Mapping[str, str], today: date) -> dict[str, Any]:
    """Answers as typed values for rules: dates, integers, `<date field>_age`, and `today`."""
    names: dict[str, Any] = {"today": today}
    for fid, raw in answers.items():
        f = catalogue.fields.get(fid)
        if f is None or raw is None or raw == "":
            continue
        if f.type == "date":
            d = parse_date(raw)
            if d is not None:
                names[fid] = d
                names[f"{fid}_age"] = rules.years_between(d, today)
        elif f.type == "integer":
            try:
                names[fid] = int(raw)
            except ValueError:
                pass
        else:
            names[fid] = raw
    return names


def applicable_items(catalogue: Catalogue, bundle: Bundle, answers: Mapping[str, str], today: date) -> tuple[Item, ...]:
    names = typed_names(catalogue, answers, today)
    return tuple(it for it in bundle.items if rules.holds(it.when, names))


def form_fields(catalogue: Catalogue, bundle: Bundle, answers: Mapping[str, str], today: date) -> tuple[FieldDef, ...]:
    """The fields to ask: those the applicable items need, each once, in topic then dictionary order."""
    names = typed_names(catalogue, answers, today)
    wanted: set[str] = set()
    for item in applicable_items(catalogue, bundle, answers, today):
        wanted.update(item.fields)
    order = catalogue.topic_order()
    dict_order = {fid: i for i, fid in enumerate(catalogue.fields)}
    chosen = [catalogue.fields[f] for f in wanted if rules.holds(catalogue.fields[f].when, names)]
    return tuple(sorted(chosen, key=lambda f: (order[f.topic], dict_order[f.id])))


def form_pages(catalogue: Catalogue, bundle: Bundle, answers: Mapping[str, str], today: date) -> tuple[FormPage, ...]:
    pages: list[FormPage] = []
    topics = {t.id: t for t in catalogue.topics}
    for f in form_fields(catalogue, bundle, answers, today):
        if pages and pages[-1].topic.id == f.topic:
            pages[-1] = FormPage(pages[-1].topic, pages[-1].fields + (f,))
        else:
            pages.append(FormPage(topics[f.topic], (f,)))
    return tuple(pages)


def materials_needed(catalogue: Catalogue, bundle: Bundle, answers: Mapping[str, str], today: date,
                     government_holds: frozenset[str] = frozenset()) -> tuple[NeededMaterial, ...]:
    """Each material once, in catalogue order, for the applicable items. A material counts as
    held by the government only when the catalogue says the government may hold it AND this
    citizen's records lookup returned its key (`government_holds`)."""
    names = typed_names(catalogue, answers, today)
    wanted: set[str] = set()
    for item in applicable_items(catalogue, bundle, answers, today):
        wanted.update(item.materials)
    return tuple(NeededMaterial(m, m.government_key is not None and m.government_key in government_holds)
                 for mid, m in catalogue.materials.items() if mid in wanted and rules.holds(m.when, names))


MSG_REQUIRED = tr("请填写此项。")
MSG_DATE = tr("请按“年-月-日”填写日期，例如 2024-03-15。")
MSG_FUTURE = tr("这个日期不能晚于今天。")
MSG_ID = tr("身份证号码不正确：应为18位，请对照证件核对。")
MSG_PHONE = tr("手机号码应为11位数字，以1开头。")
MSG_INT = tr("请填写一个整数。")
MSG_CHOICE = tr("请从选项中选择一项。")
MSG_BANK = tr("银行卡号应为12到19位数字。")
MSG_EMAIL = tr("电子邮箱格式不正确。")
MSG_FORMAT = tr("格式不正确，请核对。")


def validate_value(f: FieldDef, raw: str | None, today: date) -> Text | None:
    """A plain-language error for one answer, or None when it is acceptable."""
    value = (raw or "").strip()
    if not value:
        return MSG_REQUIRED if f.required else None
    if f.max_length and len(value) > f.max_length:
        return tr("最多{n}个字。").format(n=f.max_length)
    if f.type == "date":
        d = parse_date(value)
        if d is None:
            return MSG_DATE
        if f.not_future and d > today:
            return MSG_FUTURE
    elif f.type == "resident_id":
        if not is_valid_resident_id(value, today):
            return MSG_ID
    elif f.type == "phone":
        if not is_valid_mobile(value):
            return MSG_PHONE
    elif f.type == "integer":
        try:
            n = int(value)
        except ValueError:
            return MSG_INT
        if f.min is not None and n < f.min:
            return tr("不能小于{n}。").format(n=f.min)
        if f.max is not None and n > f.max:
            return tr("不能大于{n}。").format(n=f.max)
    elif f.type == "choice":
        if value not in {c.value for c in f.choices}:
            return MSG_CHOICE
    elif f.type == "bank_account":
        if not re.fullmatch(r"\d{12,19}", value.replace(" ", "")):
            return MSG_BANK
    elif f.type == "email":
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
            return MSG_EMAIL
    if f.pattern and not re.fullmatch(f.pattern, value):
        return MSG_FORMAT
    return None


def validate_page(catalogue: Catalogue, page: FormPage, answers: Mapping[str, str], today: date) -> dict[str, Text]:
    """Errors for the page's fields, keyed by field id; cross-field checks included."""
    errors: dict[str, Text] = {}
    for f in page.fields:
        err = validate_value(f, answers.get(f.id), today)
        if err:
            errors[f.id] = err
    on_page = {f.id for f in page.fields}
    names = typed_names(catalogue, answers, today)
    for check in catalogue.checks:
        target = next((fid for fid in check.fields if fid in on_page), None)
        if target is None or target in errors:
            continue
        try:
            ok = bool(rules.evaluate(check.rule, names))
        except rules.Unknown:
            continue  # the other side is not answered yet; it is checked on its own page
        except rules.RuleError:
            continue  # a broken rule must not block the citizen; the catalogue check reports it
        if not ok:
            errors[target] = check.message
    return errors


def first_invalid_page(catalogue: Catalogue, bundle: Bundle, answers: Mapping[str, str],
                       today: date) -> tuple[int, dict[str, Text]] | None:
    """The first page (index, errors) that does not validate with all answers given, or None.

    Later answers can make earlier pages need more (a conditional item that needs a field on
    an earlier topic), so the whole form is checked again before the review.
    """
    for i, page in enumerate(form_pages(catalogue, bundle, answers, today)):
        errors = validate_page(catalogue, page, answers, today)
        if errors:
            return i, errors
    return None


def chip_value(identity: Identity, attr: str) -> str | None:
    value = getattr(identity, attr, None)
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def prefill(catalogue: Catalogue, identity: Identity | None, government: Mapping[str, str] | None = None) -> tuple[dict[str, str], frozenset[str]]:
    """Answers the kiosk already knows, and which of them are verified (chip or government data).
    Government values come only from this citizen's records lookup, never from anywhere else."""
    answers: dict[str, str] = {}
    for f in catalogue.fields.values():
        if not f.source:
            continue
        kind, key = f.source.split(".", 1)
        if kind == "chip":
            value = chip_value(identity, key) if identity is not None else None
        else:
            value = (government or {}).get(key)
        if value is not None:
            answers[f.id] = value
    return answers, frozenset(answers)


def display_value(f: FieldDef, raw: str, lang: str) -> str:
    if f.type == "choice":
        label = f.choice_label(raw)
        return label.get(lang) if label else raw
    return raw
