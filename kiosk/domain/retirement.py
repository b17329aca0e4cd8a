"""The statutory retirement date, for the catalogue's `computed:` fields (`statutory_retirement(...)`).

The Standing Committee of the National People's Congress decided on 13 September 2024 to raise
the statutory retirement ages gradually from 1 January 2025 (关于实施渐进式延迟法定退休年龄的决定,
with its table of ages by month of birth): men from 60 to 63 and women in managerial or technical
posts from 55 to 58, by one month for every four months of birth; women in worker posts from 50 to
55, by one month for every two months of birth. People who reached the old age before 2025 keep it.

The pension starts in the month after the one in which the citizen reaches the age, so the date
given is the first day of that month. Early or flexible retirement is still possible: a computed
field stays editable. Pure; any thread.
"""
from __future__ import annotations

from datetime import date

# category: (base age in years, the first birth month (year, month) the delay applies to,
#            birth months per added month, the most months added)
CATEGORIES: dict[str, tuple[int, tuple[int, int], int, int]] = {
    "male": (60, (1965, 1), 4, 36),
    "female_cadre": (55, (1970, 1), 4, 36),
    "female_worker": (50, (1975, 1), 2, 60),
}


def retirement_age_months(birth: date, category: str) -> int:
    """The statutory retirement age in months for someone born on `birth`. Raises ValueError
    for an unknown category."""
    if category not in CATEGORIES:
        raise ValueError(f"unknown retirement category {category!r}; one of {sorted(CATEGORIES)}")
    base, (year, month), per, most = CATEGORIES[category]
    since = (birth.year - year) * 12 + (birth.month - month)
    delay = 0 if since < 0 else min(most, since // per + 1)
    return base * 12 + delay


def retirement_date(birth: date, category: str) -> date:
    """The first day of the month after the citizen reaches the statutory retirement age."""
    months = birth.year * 12 + (birth.month - 1) + retirement_age_months(birth, category) + 1
    return date(months // 12, months % 12 + 1, 1)
