"""Promised deadlines in Chinese working days (statutory holidays and make-up workdays).

Uses the maintained `chinese_calendar` package, whose data covers 2004 up to the last year the
State Council has published (2026 in version 1.11). Past its coverage we count Monday to
Friday and mark the deadline as approximate, so the receipt never shows a false precision.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import chinese_calendar


@dataclass(frozen=True)
class Deadline:
    due: date
    approximate: bool   # True when the holiday calendar did not cover every day counted


def is_workday(day: date) -> tuple[bool, bool]:
    """(is it a working day, is that known from the official calendar)."""
    try:
        return chinese_calendar.is_workday(day), True
    except NotImplementedError:
        return day.weekday() < 5, False


def add_workdays(start: date, days: int) -> Deadline:
    """The date `days` working days after `start` (the day of submission does not count).
    A same-day item (`days` 0) submitted on a rest day is done on the next working day, not
    "today": no department works on a Sunday or a holiday."""
    day, counted, exact = start, 0, True
    if days == 0:
        work, exact = is_workday(day)
        while not work:
            day += timedelta(days=1)
            work, known = is_workday(day)
            exact = exact and known
        return Deadline(day, not exact)
    while counted < days:
        day += timedelta(days=1)
        work, known = is_workday(day)
        exact = exact and known
        if work:
            counted += 1
    return Deadline(day, not exact)
