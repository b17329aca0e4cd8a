"""Plausible valid answers, generated from a field's definition: for the autopilot demo,
screenshots and property tests. Deterministic for a given seed."""
from __future__ import annotations

import random
from datetime import date, timedelta

from kiosk.domain.catalogue import FieldDef
from kiosk.domain.idnumber import resident_id_check_char

_NAMES = ["王小明", "李思远", "陈嘉怡", "刘子涵", "周雨桐", "吴浩然"]


def resident_id(birth: date, rng: random.Random, division: str = "330106") -> str:
    first17 = f"{division}{birth:%Y%m%d}{rng.randrange(0, 1000):03d}"
    return first17 + resident_id_check_char(first17)


def sample_answer(f: FieldDef, today: date, rng: random.Random | None = None) -> str:
    rng = rng or random.Random(f.id)  # noqa: S311 - demo answers, reproducible per field; no secret
    if f.type == "choice":
        return f.choices[0].value
    if f.type == "date":
        # Recent past: fits "not in the future" and "after the applicant's birth" rules alike.
        return (today - timedelta(days=rng.randrange(20, 90))).isoformat()
    if f.type == "phone":
        return f"13{rng.randrange(0, 10)}{rng.randrange(0, 10**8):08d}"
    if f.type == "resident_id":
        return resident_id(date(1988, 1, 1) + timedelta(days=rng.randrange(0, 3000)), rng)
    if f.type == "integer":
        lo = f.min if f.min is not None else 1
        hi = f.max if f.max is not None else lo + 10
        return str(rng.randint(lo, max(lo, min(hi, lo + 10))))
    if f.type == "bank_account":
        return "6222" + "".join(str(rng.randrange(10)) for _ in range(15))
    if f.type == "email":
        return f"citizen{rng.randrange(100, 999)}@example.com"
    text = _NAMES[rng.randrange(len(_NAMES))] if "name" in f.id else f"{f.label.zh}（示例）"
    return text[: f.max_length] if f.max_length else text
