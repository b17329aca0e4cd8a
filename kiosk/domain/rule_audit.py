"""Every rule of a catalogue, run on sample answers before the catalogue is accepted.

The structural bounds in kiosk.domain.rules make each evaluation cheap; this audit is the second
line: it evaluates every `when` and check rule on the answers kiosk.domain.samples makes (each
choice of the choice fields the rule reads, an integer's sample, minimum and maximum), with a time
limit per evaluation and the evaluator's node budget, and names the first rule that fails, is too
costly or raises (say, a date compared with a text, which at run time would silently hide an item).
"""
from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from datetime import date

from kiosk.domain import rules
from kiosk.domain.catalogue import Catalogue, FieldDef
from kiosk.domain.form import typed_names
from kiosk.domain.samples import sample_answer

# A fixed day, so that whether a catalogue passes never depends on the day it is checked.
AUDIT_DAY = date(2026, 1, 15)
# Per evaluation, in CPU seconds of the checking thread (time.thread_time), not wall-clock time:
# a rule the structural bounds admit takes tens of microseconds, so this only catches what slips
# past them, and a kiosk starting on a loaded machine (other processes, the thread descheduled for
# seconds) must never refuse a good catalogue over a wall-clock blip. A wall clock here refused the
# shipped catalogue on a machine at load 15 ("use_fund_loan == 'yes'": took too long).
TIME_LIMIT_S = 1.0
MAX_VARIANTS = 64          # answer sets per rule
MAX_EVALUATIONS = 20_000   # per catalogue, so a catalogue with very many rules is still audited quickly


def rules_of(catalogue: Catalogue) -> Iterator[tuple[str, str]]:
    """(place, rule) for every rule, places named as the catalogue check names them."""
    for fid, f in catalogue.fields.items():
        if f.when:
            yield f"fields.{fid}.when", f.when
        if f.computed:
            yield f"fields.{fid}.computed", f.computed
    for mid, m in catalogue.materials.items():
        if m.when:
            yield f"materials.{mid}.when", m.when
    for i, c in enumerate(catalogue.checks):
        yield f"checks[{i}].rule", c.rule
    for bi, b in enumerate(catalogue.bundles):
        for ii, it in enumerate(b.items):
            if it.when:
                yield f"bundles[{bi}].items[{ii}].when", it.when


def _values_to_try(f: FieldDef, sample: str) -> list[str]:
    if f.type == "choice":
        return [c.value for c in f.choices]
    if f.type == "integer":
        return list(dict.fromkeys(str(v) for v in (int(sample), f.min, f.max) if v is not None))
    return [sample]


def rule_problems(catalogue: Catalogue, *, clock: Callable[[], float] = time.thread_time) -> Iterator[tuple[str, str]]:
    """(place, problem) for each rule that raises or is too costly on some sample answers.

    Pure apart from reading `clock`; runs on the caller's thread and takes at most about
    MAX_EVALUATIONS x (TIME_LIMIT_S at worst, tens of microseconds in practice)."""
    found = list(rules_of(catalogue))
    if not found:
        return
    answers = {fid: sample_answer(f, AUDIT_DAY) for fid, f in catalogue.fields.items()}
    base = typed_names(catalogue, answers, AUDIT_DAY)
    per_rule = max(1, min(MAX_VARIANTS, MAX_EVALUATIONS // len(found)))
    for place, expression in found:
        try:
            read = sorted(n for n in rules.names_in(expression) if n in catalogue.fields)
        except rules.RuleError as exc:
            yield place, str(exc)
            continue
        axes = [[(n, v) for v in _values_to_try(catalogue.fields[n], answers[n])] for n in read]
        for variant in itertools.islice(itertools.product(*axes), per_rule):
            names = {**base, **typed_names(catalogue, dict(variant), AUDIT_DAY)}
            try:
                rules.evaluate(expression, names, deadline=clock() + TIME_LIMIT_S, clock=clock)
            except rules.Unknown:
                continue
            except rules.RuleTooCostly as exc:
                yield place, f"too costly on sample answers ({exc})"
                break
            except rules.RuleError as exc:
                shown = ", ".join(f"{n}={v!r}" for n, v in variant) or "the sample answers"
                yield place, f"fails on {shown}: {exc}"
                break
