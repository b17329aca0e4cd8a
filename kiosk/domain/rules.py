"""The catalogue's small, safe expression language (simpleeval; never `eval`).

Expressions such as ``married == 'yes' and applicant_age >= 18`` decide which items, fields and
checks apply. Names are answers (typed: dates as `date`, integers as `int`, the rest as `str`)
and computed values (`today`, `<field>_age` for every date field). Functions: `years(d1, d2)`,
`len`, `int`, `statutory_retirement(birth_date, category)` (kiosk/domain/retirement.py). An
expression that names an answer not given yet is "unknown", which callers treat as not applicable.

The language is bounded by its structure, so that no rule can be expensive (a catalogue once
held rules that allocated 1-2 GB or ran for 78 s, and froze a kiosk's screen): an expression is
at most MAX_CHARS characters, MAX_NODES syntax nodes and MAX_DEPTH deep; it has no loops
(comprehensions), no `**`, shifts, attributes, subscripts or keyword arguments; its constants are
small; `*`, `-`, `/`, `//` and `%` take numbers only (no text repetition, no `%` formatting);
`+` joins at most MAX_TEXT characters of text and integers never exceed MAX_INT_BITS bits. Each
node is evaluated at most once and each step costs at most a copy of a bounded value, so one
evaluation costs O(MAX_NODES x the longest answer): microseconds, whatever the catalogue says.
"""
from __future__ import annotations

import ast
import operator as op
import time
from collections.abc import Callable, Mapping
from datetime import date
from functools import lru_cache
from typing import Any

from simpleeval import NameNotDefined, SimpleEval

from kiosk.domain import retirement

MAX_CHARS = 300          # the longest shipped rule is about 60 characters
MAX_NODES = 100          # syntax nodes, counting names, constants and operators
MAX_DEPTH = 16           # nesting of syntax nodes
MAX_INT = 10**9          # the largest number literal
MAX_LITERAL_TEXT = 200   # the longest text literal
MAX_TEXT = 10_000        # the longest text `+` may build
MAX_INT_BITS = 256       # the largest integer arithmetic may build (about 77 digits)
MAX_INT_TEXT = 30        # the longest text `int()` converts


class RuleError(ValueError):
    """An expression that cannot be parsed or uses something the language does not offer."""


class Unknown(Exception):
    """The expression reads an answer that has not been given yet."""


def years_between(earlier: date, later: date) -> int:
    if not (isinstance(earlier, date) and isinstance(later, date)):
        raise RuleError("years() takes two dates")
    years = later.year - earlier.year
    if (later.month, later.day) < (earlier.month, earlier.day):
        years -= 1
    return years


def _int(value: Any) -> int:
    if isinstance(value, str) and len(value.strip()) > MAX_INT_TEXT:
        raise RuleError(f"int() converts at most {MAX_INT_TEXT} characters")
    if not isinstance(value, (str, int, float)):
        raise RuleError("int() takes a text or a number")
    return int(value)


def _statutory_retirement(birth: Any, category: Any) -> date:
    if not (isinstance(birth, date) and isinstance(category, str)):
        raise RuleError("statutory_retirement() takes a date and a retirement category")
    try:
        return retirement.retirement_date(birth, category)
    except ValueError as exc:
        raise RuleError(str(exc)) from None


def _size(value: Any) -> int:
    if not isinstance(value, (str, tuple, list, set, frozenset)):
        raise RuleError("len() takes a text or a list")
    return len(value)


FUNCTIONS: Mapping[str, Callable[..., Any]] = {"years": years_between, "len": _size, "int": _int,
                                               "statutory_retirement": _statutory_retirement}


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float))


def _checked_int(result: Any) -> Any:
    if isinstance(result, int) and result.bit_length() > MAX_INT_BITS:
        raise RuleError(f"a number larger than {MAX_INT_BITS} bits")
    return result


def _numeric(name: str, fn: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def apply(a: Any, b: Any) -> Any:
        if not (_is_number(a) and _is_number(b)):
            raise RuleError(f"{name} takes numbers only")
        return _checked_int(fn(a, b))
    return apply


def _mul(a: Any, b: Any) -> Any:
    # Checked before multiplying: the product of two big integers is what costs time and memory.
    if isinstance(a, int) and isinstance(b, int) and a.bit_length() + b.bit_length() > MAX_INT_BITS + 1:
        raise RuleError(f"a number larger than {MAX_INT_BITS} bits")
    return _numeric("*", op.mul)(a, b)


def _add(a: Any, b: Any) -> Any:
    if isinstance(a, str) and isinstance(b, str):
        if len(a) + len(b) > MAX_TEXT:
            raise RuleError(f"a text longer than {MAX_TEXT} characters")
        return a + b
    if _is_number(a) and _is_number(b):
        return _checked_int(a + b)
    raise RuleError("+ takes two numbers or two texts")


OPERATORS: Mapping[type, Callable[..., Any]] = {
    ast.Add: _add, ast.Sub: _numeric("-", op.sub), ast.Mult: _mul,
    ast.Div: _numeric("/", op.truediv), ast.FloorDiv: _numeric("//", op.floordiv), ast.Mod: _numeric("%", op.mod),
    ast.Not: op.not_, ast.USub: lambda a: _checked_int(-a), ast.UAdd: op.pos,
    ast.Eq: op.eq, ast.NotEq: op.ne, ast.Lt: op.lt, ast.LtE: op.le, ast.Gt: op.gt, ast.GtE: op.ge,
    ast.In: lambda x, y: op.contains(y, x), ast.NotIn: lambda x, y: not op.contains(y, x),
}
_CONTAINERS = (ast.Tuple, ast.List, ast.Set)
_NODES = (ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.BinOp, ast.UnaryOp, ast.Compare, ast.IfExp,
          ast.Call, ast.Name, ast.Load, ast.Constant, *_CONTAINERS, *OPERATORS)
_WHY_NOT = {
    ast.Pow: "`**` is not offered (powers can be huge)", ast.LShift: "`<<` is not offered",
    ast.ListComp: "loops (for ... in ...) are not offered", ast.GeneratorExp: "loops (for ... in ...) are not offered",
    ast.SetComp: "loops (for ... in ...) are not offered", ast.DictComp: "loops (for ... in ...) are not offered",
    ast.Attribute: "attributes (x.y) are not offered", ast.Subscript: "indexing (x[...]) is not offered",
    ast.Lambda: "lambda is not offered", ast.Dict: "dictionaries are not offered",
}


def _check_node(node: ast.AST) -> None:
    if not isinstance(node, _NODES):
        raise RuleError(_WHY_NOT.get(type(node), f"{type(node).__name__} is not offered"))
    if isinstance(node, ast.Constant):
        v = node.value
        if isinstance(v, bool) or v is None:
            return
        if (isinstance(v, int) and abs(v) <= MAX_INT) or (isinstance(v, float) and abs(v) <= MAX_INT):
            return
        if isinstance(v, str) and len(v) <= MAX_LITERAL_TEXT:
            return
        raise RuleError(f"constants are numbers up to {MAX_INT:,} and texts up to {MAX_LITERAL_TEXT} characters")
    if isinstance(node, ast.Call):
        if not (isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS) or node.keywords:
            raise RuleError(f"only {', '.join(f'{f}(...)' for f in FUNCTIONS)} can be called, without keywords")
        if any(isinstance(a, ast.Starred) for a in node.args):
            raise RuleError("*arguments are not offered")
    if isinstance(node, _CONTAINERS) and any(isinstance(e, ast.Starred) for e in node.elts):
        raise RuleError("*arguments are not offered")
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        for side in (node.left, node.right):
            if (isinstance(side, ast.Constant) and isinstance(side.value, str)) or isinstance(side, _CONTAINERS):
                raise RuleError("`*` multiplies numbers only (texts and lists cannot be repeated)")


@lru_cache(maxsize=1024)
def _compile(expression: str) -> ast.expr:
    """Parse and check the structure once per expression; the flow asks the same rules again and again."""
    if not isinstance(expression, str):
        raise RuleError("a rule must be a text")
    if len(expression) > MAX_CHARS:
        raise RuleError(f"the rule is {len(expression)} characters long; at most {MAX_CHARS}")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
        raise RuleError(f"cannot parse {expression!r}: {getattr(exc, 'msg', exc)}") from None
    todo: list[tuple[ast.AST, int]] = [(tree, 1)]
    count = 0
    while todo:                                 # iterative: the depth is what we are checking
        node, depth = todo.pop()
        count += 1
        if count > MAX_NODES:
            raise RuleError(f"the rule has more than {MAX_NODES} parts; split it or simplify it")
        if depth > MAX_DEPTH:
            raise RuleError(f"the rule is nested more than {MAX_DEPTH} levels deep")
        _check_node(node)
        todo.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    calls = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    for n in ast.walk(tree):
        if isinstance(n, ast.Name) and n.id in FUNCTIONS and id(n) not in calls:
            raise RuleError(f"{n.id} is a function; call it as {n.id}(...)")
    return tree.body


def check(expression: str) -> None:
    """Raise RuleError if the expression cannot be parsed or breaks the language's bounds."""
    _compile(expression)


def names_in(expression: str) -> set[str]:
    """The names an expression reads (used by the catalogue check). Checks the structure too."""
    body = _compile(expression)
    return {n.id for n in ast.walk(body) if isinstance(n, ast.Name)} - set(FUNCTIONS)


class RuleTooCostly(RuleError):
    """The evaluation ran out of its node budget or its time (only the catalogue audit sets a time)."""


class _BoundedEval(SimpleEval):  # type: ignore[misc]  # simpleeval ships no types: its base is Any
    """simpleeval with our operators, functions and nodes only, counting every node it evaluates."""

    def __init__(self, names: Mapping[str, Any], deadline: float | None, clock: Callable[[], float]) -> None:
        super().__init__(operators=dict(OPERATORS), functions=dict(FUNCTIONS), names=dict(names))
        self.nodes: dict[type, Callable[[Any], Any]] = {k: v for k, v in self.nodes.items() if k in _NODES}
        self.nodes.update({ast.Tuple: self._eval_seq, ast.List: self._eval_seq, ast.Set: self._eval_seq})
        self.budget, self.deadline, self.clock = MAX_NODES, deadline, clock

    def _eval_seq(self, node: ast.Tuple | ast.List | ast.Set) -> Any:
        values = [self._eval(e) for e in node.elts]
        return set(values) if isinstance(node, ast.Set) else tuple(values)

    def _eval(self, node: ast.AST) -> Any:
        self.budget -= 1
        if self.budget < 0:
            raise RuleTooCostly(f"more than {MAX_NODES} evaluation steps")
        if self.deadline is not None and self.clock() > self.deadline:
            raise RuleTooCostly("took too long")
        return super()._eval(node)


def evaluate(expression: str, names: Mapping[str, Any], *, deadline: float | None = None,
             clock: Callable[[], float] = time.monotonic) -> Any:
    """Evaluate one expression. Raises Unknown if it needs a missing name, RuleError if broken.

    Runs on the caller's thread; the flow calls it on the GUI thread, many times per page.
    There is no clock there on purpose: the structural bounds above make every evaluation cost
    microseconds, and a deadline would let the same answers show or hide an item depending on
    how busy the machine is. The node budget is the cheap per-evaluation guard that holds even
    if a future change let a loop into the language. `deadline` (a `clock()` value) is for the
    catalogue audit, which runs every rule on sample answers before a catalogue is accepted.
    """
    body = _compile(expression)
    evaluator = _BoundedEval(names, deadline, clock)
    try:
        return evaluator.eval(expression, previously_parsed=body)
    except NameNotDefined:
        raise Unknown(expression) from None
    except RuleTooCostly as exc:
        raise RuleTooCostly(f"{expression!r}: {exc}") from None
    except RuleError as exc:
        raise RuleError(f"{expression!r}: {exc}") from None
    except (ArithmeticError, ValueError, TypeError, AttributeError, KeyError) as exc:
        raise RuleError(f"{expression!r}: {type(exc).__name__}: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - simpleeval's own errors (FeatureNotAvailable, ...)
        raise RuleError(f"{expression!r}: {exc}") from None


def holds(expression: str | None, names: Mapping[str, Any]) -> bool:
    """True when there is no condition or it evaluates truthy; False when it is unknown.

    A rule that fails at run time (say, a date compared with text) also counts as False, so a
    catalogue mistake hides one item instead of stopping the kiosk; the catalogue audit
    (kiosk.domain.rule_audit) runs every rule on sample answers to find such rules before they ship.
    """
    if not expression:
        return True
    try:
        return bool(evaluate(expression, names))
    except (Unknown, RuleError):
        return False
