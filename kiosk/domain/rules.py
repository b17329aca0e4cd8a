"""The catalogue's small, safe expression language (simpleeval; never `eval`).

Expressions such as ``married == 'yes' and applicant_age >= 18`` decide which items, fields and
checks apply. Names are answers (typed: dates as `date`, integers as `int`, the rest as `str`)
and computed values (`today`, `<field>_age` for every date field). Functions: `years(d1, d2)`,
`len`, `int`. An expression that names an answer not given yet is "unknown", which callers
treat as not applicable.
"""
from __future__ import annotations

import ast
from collections.abc import Mapping
from datetime import date
from typing import Any

from simpleeval import EvalWithCompoundTypes, NameNotDefined


class RuleError(ValueError):
    """An expression that cannot be parsed or uses something the language does not offer."""


def years_between(earlier: date, later: date) -> int:
    years = later.year - earlier.year
    if (later.month, later.day) < (earlier.month, earlier.day):
        years -= 1
    return years


FUNCTIONS = {"years": years_between, "len": len, "int": int}


def names_in(expression: str) -> set[str]:
    """The names an expression reads (used by the catalogue check)."""
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError as exc:
        raise RuleError(f"cannot parse {expression!r}: {exc.msg}") from None
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} - set(FUNCTIONS) - {"True", "False", "None"}


class Unknown(Exception):
    """The expression reads an answer that has not been given yet."""


def evaluate(expression: str, names: Mapping[str, Any]) -> Any:
    """Evaluate one expression. Raises Unknown if it needs a missing name, RuleError if broken."""
    evaluator = EvalWithCompoundTypes(functions=FUNCTIONS, names=dict(names))
    try:
        return evaluator.eval(expression)
    except NameNotDefined:
        raise Unknown(expression) from None
    except (SyntaxError, ValueError, TypeError, AttributeError, KeyError, ZeroDivisionError) as exc:
        raise RuleError(f"{expression!r}: {exc}") from None
    except Exception as exc:  # simpleeval's own errors (FeatureNotAvailable, ...)
        raise RuleError(f"{expression!r}: {exc}") from None


def holds(expression: str | None, names: Mapping[str, Any]) -> bool:
    """True when there is no condition or it evaluates truthy; False when it is unknown.

    A rule that fails at run time (say, a date compared with text) also counts as False, so a
    catalogue mistake hides one item instead of stopping the kiosk; `kiosk catalogue check`
    walks every bundle with sample answers to find such rules before they ship.
    """
    if not expression:
        return True
    try:
        return bool(evaluate(expression, names))
    except (Unknown, RuleError):
        return False
