"""Fewer things to type: the values the kiosk works out itself (a field's `computed:` rule) and
the "same as" buttons (`same_as:`). Prefills from the chip and the government records are in
`kiosk.domain.form.prefill`; this module comes after them.

A computed value is a suggestion the citizen sees filled in and may change: it is kept in the
session's `prefilled` (so the review shows a changed one as changed) but never in `verified`. It is
worked out again whenever the answers it reads change, until the citizen types over it. A rule
that cannot be worked out yet (it reads an unanswered field), fails, or gives a value the field
would refuse, leaves the field to the citizen: never an error, never a crash.

Pure functions of their arguments; the flow calls them on the GUI thread after each page.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from kiosk.domain import rules
from kiosk.domain.catalogue import Catalogue, FieldDef
from kiosk.domain.form import chip_value, typed_names, validate_value
from kiosk.domain.identity import Identity
from kiosk.domain.text import Text
from kiosk.i18n import tr

SAME_AS_ID_ADDRESS = tr("与身份证住址相同")
SAME_AS_ID_CARD = tr("与身份证上的相同")


def computed_fields(catalogue: Catalogue) -> tuple[FieldDef, ...]:
    """The computed fields, each after the computed fields its rule reads (the catalogue check
    refuses circles, so this order exists)."""
    pending = {fid: f for fid, f in catalogue.fields.items() if f.computed}
    reads = {fid: rules.names_in(f.computed or "") & set(pending) for fid, f in pending.items()}
    order: list[FieldDef] = []
    placed: set[str] = set()
    while pending:
        ready = [fid for fid in pending if reads[fid] <= placed]
        if not ready:            # a circle the catalogue check should have refused: leave them out
            break
        for fid in ready:
            order.append(pending.pop(fid))
            placed.add(fid)
    return tuple(order)


def as_answer(result: Any) -> str | None:
    """A rule's result as an answer (dates year-month-day, whole numbers as digits), or None
    when it is no value at all (empty text, None, a yes/no, a fraction, a list)."""
    if isinstance(result, bool) or result is None:
        return None
    if isinstance(result, date):
        return result.isoformat()
    if isinstance(result, int):
        return str(result)
    if isinstance(result, float):
        return str(int(result)) if result.is_integer() else None
    if isinstance(result, str):
        return result.strip() or None
    return None


def compute(catalogue: Catalogue, f: FieldDef, answers: Mapping[str, str], today: date) -> str | None:
    """The value of `f`'s rule on these answers, or None when it cannot be worked out or the
    field would refuse it (the citizen answers it then)."""
    if not f.computed:
        return None
    try:
        result = rules.evaluate(f.computed, typed_names(catalogue, answers, today))
    except (rules.Unknown, rules.RuleError):
        return None
    text = as_answer(result)
    if text is None or validate_value(f, text, today) is not None:
        return None
    return text


def derive(catalogue: Catalogue, answers: Mapping[str, str], prefilled: Mapping[str, str],
           verified: frozenset[str], today: date) -> tuple[dict[str, str], dict[str, str]]:
    """(answers, prefilled) with every computed field worked out again.

    A field keeps what the chip or the records gave (verified and unchanged) and what the citizen
    typed (an answer that is not the kiosk's own suggestion). Otherwise it gets its rule's value; a
    suggestion whose rule no longer gives one (say, the answer it read changed) is taken away, so
    that a stale value never reaches a department."""
    answers, prefilled = dict(answers), dict(prefilled)
    for f in computed_fields(catalogue):
        current = answers.get(f.id, "")
        suggested = f.id in prefilled and current == prefilled[f.id]
        if suggested and f.id in verified:
            continue
        if current and not suggested:
            continue
        value = compute(catalogue, f, answers, today)
        if value is not None:
            answers[f.id] = prefilled[f.id] = value
        elif suggested:
            answers.pop(f.id, None)
            prefilled.pop(f.id, None)
    return answers, prefilled


def same_as(catalogue: Catalogue, f: FieldDef, identity: Identity | None,
            answers: Mapping[str, str]) -> tuple[Text, str] | None:
    """(the button's words, the value it copies) for a field with `same_as`, or None when there is
    nothing to copy (no such attribute on this card, the other field not answered yet)."""
    if not f.same_as:
        return None
    if f.same_as.startswith("identity."):
        attr = f.same_as.removeprefix("identity.")
        value = chip_value(identity, attr) if identity is not None else None
        words = SAME_AS_ID_ADDRESS if attr == "address" else SAME_AS_ID_CARD
    else:
        value = answers.get(f.same_as) or None
        other = catalogue.fields.get(f.same_as)
        if other is None:
            return None
        words = tr("与“{label}”相同").format(label=other.label)
    return (words, value) if value else None
