"""The service catalogue: "one thing" bundles of departmental items, as frozen data.

`parse_catalogue` turns already-loaded data (from YAML/JSON) into the model, checking it
against the JSON Schema and then the cross-references the schema cannot express. Every
problem is reported with the place it was found, e.g. ``bundles[1].items[2].fields[0]``.
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import jsonschema

from kiosk.domain import rules
from kiosk.domain.catalogue_schema import SCHEMA
from kiosk.domain.government import RECORD_KEYS
from kiosk.domain.text import Text

CHIP_SOURCES = frozenset(
    {"name", "name_latin", "sex", "birth_date", "document_number", "nationality", "personal_number", "address"}
)
COMPUTED_NAMES = frozenset({"today"})


class CatalogueError(ValueError):
    """A catalogue that does not meet the schema or refers to things that do not exist."""

    def __init__(self, source: str, place: str, problem: str) -> None:
        self.source, self.place, self.problem = source, place, problem
        super().__init__(f"{source}: {place or '(top level)'}: {problem}")


@dataclass(frozen=True)
class Choice:
    value: str
    label: Text


@dataclass(frozen=True)
class FieldDef:
    id: str
    topic: str
    type: str
    label: Text
    help: Text | None = None
    required: bool = True
    source: str | None = None        # "chip.<attr>" or "gov.<key>" (catalogue `prefill_from: records.<key>`)
    when: str | None = None
    choices: tuple[Choice, ...] = ()
    min: int | None = None
    max: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    not_future: bool = False
    same_as: str | None = None       # "identity.<attr>" or a field id: a button copies that value here
    computed: str | None = None      # a rule whose value fills the field when nothing else has

    @property
    def from_chip(self) -> bool:
        return bool(self.source and self.source.startswith("chip."))

    def choice_label(self, value: str) -> Text | None:
        return next((c.label for c in self.choices if c.value == value), None)


@dataclass(frozen=True)
class Material:
    """A document a department needs. `government_key` says the government MAY hold it, under that
    key of its records (catalogue `held_by_government: true`, key `government_key` or the
    material's id); whether it does for a given citizen only the records lookup can say."""

    id: str
    title: Text
    government_key: str | None = None
    optional: bool = False
    when: str | None = None


@dataclass(frozen=True)
class Topic:
    id: str
    title: Text


@dataclass(frozen=True)
class LifeStage:
    id: str
    title: Text
    icon: str = ""


@dataclass(frozen=True)
class Check:
    """A cross-field rule; the message is shown on the first of `fields` that is on the page."""

    fields: tuple[str, ...]
    rule: str
    message: Text


@dataclass(frozen=True)
class Item:
    """One department's procedure inside a bundle."""

    id: str
    department: Text
    procedure: Text
    statutory_days: int
    promised_days: int
    fields: tuple[str, ...]
    materials: tuple[str, ...] = ()
    fee: float = 0.0
    form_questions: int | None = None   # questions on the department's own separate form
    when: str | None = None


@dataclass(frozen=True)
class Bundle:
    id: str
    life_stage: str
    title: Text
    description: Text
    items: tuple[Item, ...]
    proxy_allowed: bool = False      # someone else may apply for the citizen (代办)

    def departments(self) -> tuple[Text, ...]:
        seen: dict[str, Text] = {}
        for item in self.items:
            seen.setdefault(item.department.zh, item.department)
        return tuple(seen.values())


@dataclass(frozen=True)
class Catalogue:
    version: str
    life_stages: tuple[LifeStage, ...]
    topics: tuple[Topic, ...]
    fields: Mapping[str, FieldDef]
    materials: Mapping[str, Material]
    bundles: tuple[Bundle, ...]
    checks: tuple[Check, ...] = ()

    def bundle(self, bundle_id: str) -> Bundle:
        for b in self.bundles:
            if b.id == bundle_id:
                return b
        raise KeyError(bundle_id)

    def bundles_by_stage(self) -> list[tuple[LifeStage, list[Bundle]]]:
        return [(s, [b for b in self.bundles if b.life_stage == s.id]) for s in self.life_stages
                if any(b.life_stage == s.id for b in self.bundles)]

    def topic_order(self) -> dict[str, int]:
        return {t.id: i for i, t in enumerate(self.topics)}


def _place(path: Any) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def parse_catalogue(data: Any, source: str = "catalogue") -> Catalogue:
    """Validate `data` and build a Catalogue. Raises CatalogueError naming the place and problem."""
    validator = jsonschema.Draft202012Validator(SCHEMA)
    errors = sorted(validator.iter_errors(data), key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path))))
    if errors:
        err = jsonschema.exceptions.best_match(errors)
        # The message quotes the offending value, which may be a whole list: keep it readable.
        message = err.message if len(err.message) <= 300 else f"{err.message[:140]} ... {err.message[-140:]}"
        raise CatalogueError(source, _place(err.absolute_path), message)

    topics = tuple(Topic(t["id"], Text.from_obj(t["title"])) for t in data["topics"])
    topic_ids = {t.id for t in topics}
    stages = tuple(LifeStage(s["id"], Text.from_obj(s["title"]), s.get("icon", "")) for s in data["life_stages"])
    stage_ids = {s.id for s in stages}
    for kind, ids in (("topics", [t.id for t in topics]), ("life_stages", [s.id for s in stages])):
        for i, x in enumerate(ids):
            if x in ids[:i]:
                raise CatalogueError(source, f"{kind}[{i}].id", f"duplicate id {x!r}")

    fields: dict[str, FieldDef] = {}
    for fid, f in data["fields"].items():
        place = f"fields.{fid}"
        if fid in rules.FUNCTIONS:      # a rule could never read it: the name means the function
            raise CatalogueError(source, place, f"{fid!r} is the name of a rule function; choose another id")
        if f["topic"] not in topic_ids:
            raise CatalogueError(source, place + ".topic", f"unknown topic {f['topic']!r}")
        if f["type"] == "choice" and not f.get("choices"):
            raise CatalogueError(source, place, "a choice field needs 'choices'")
        if f["type"] != "choice" and f.get("choices"):
            raise CatalogueError(source, place + ".choices", f"only choice fields have choices (this one is {f['type']})")
        if f.get("min") is not None and f.get("max") is not None and f["min"] > f["max"]:
            raise CatalogueError(source, place + ".min", "min is larger than max")
        if f.get("pattern"):
            try:
                re.compile(f["pattern"])
            except re.error as exc:
                raise CatalogueError(source, place + ".pattern", f"not a valid regular expression: {exc}") from None
            if nested_repeat(f["pattern"]):
                # e.g. (a+)+ or (a|aa)*: catastrophic backtracking on a crafted answer would freeze
                # the GUI thread, where answers are checked as the citizen types.
                raise CatalogueError(source, place + ".pattern", "a repetition inside a repetition (or an "
                                     "alternation under a repetition) can make checking an answer take forever")
        src = f.get("source")
        if src and src.startswith("chip.") and src[5:] not in CHIP_SOURCES:
            raise CatalogueError(source, place + ".source", f"the chip has no {src[5:]!r}; one of {sorted(CHIP_SOURCES)}")
        if "prefill_from" in f:
            if src:
                raise CatalogueError(source, place + ".prefill_from", "a field takes its prefill from one place: "
                                     "'source' or 'prefill_from', not both")
            src = "gov." + f["prefill_from"].removeprefix("records.")
        if src and src.startswith("gov.") and src[4:] not in RECORD_KEYS:
            where = place + (".prefill_from" if "prefill_from" in f else ".source")
            raise CatalogueError(source, where, f"the government records hold no {src[4:]!r}; "
                                 "their keys are listed in docs/catalogue.md")
        fields[fid] = FieldDef(
            id=fid, topic=f["topic"], type=f["type"], label=Text.from_obj(f["label"]),
            help=Text.from_obj(f["help"]) if "help" in f else None, required=f.get("required", True),
            source=src, when=f.get("when"),
            choices=tuple(Choice(c["value"], Text.from_obj(c["label"])) for c in f.get("choices", ())),
            min=f.get("min"), max=f.get("max"), max_length=f.get("max_length"), pattern=f.get("pattern"),
            not_future=f.get("not_future", False), same_as=f.get("same_as"), computed=f.get("computed"),
        )

    known_names = set(fields) | COMPUTED_NAMES | {f"{fid}_age" for fid, f in fields.items() if f.type == "date"}

    def check_expr(expr: str | None, place: str) -> None:
        if not expr:
            return
        try:
            unknown = rules.names_in(expr) - known_names
        except rules.RuleError as exc:
            raise CatalogueError(source, place, str(exc)) from None
        if unknown:
            raise CatalogueError(source, place, f"unknown name(s) {sorted(unknown)} in {expr!r}")

    for fid, f in fields.items():
        check_expr(f.when, f"fields.{fid}.when")
        check_expr(f.computed, f"fields.{fid}.computed")
        _check_same_as(source, fields, f)
    _check_computed_cycles(source, fields)

    materials: dict[str, Material] = {}
    for mid, m in data["materials"].items():
        if mid == "proxy_authorisation":   # = kiosk/domain/assisted.py AUTHORISATION, a proxy's attachment
            raise CatalogueError(source, f"materials.{mid}", "this id is reserved for a proxy's authorisation photo")
        check_expr(m.get("when"), f"materials.{mid}.when")
        if "government_key" in m and not m["held_by_government"]:
            raise CatalogueError(source, f"materials.{mid}.government_key",
                                 "a government_key needs held_by_government: true")
        key = m.get("government_key", mid) if m["held_by_government"] else None
        materials[mid] = Material(mid, Text.from_obj(m["title"]), key, m.get("optional", False), m.get("when"))

    checks = []
    for i, c in enumerate(data.get("checks", ())):
        for j, fid in enumerate(c["fields"]):
            if fid not in fields:
                raise CatalogueError(source, f"checks[{i}].fields[{j}]", f"unknown field {fid!r}")
        check_expr(c["rule"], f"checks[{i}].rule")
        checks.append(Check(tuple(c["fields"]), c["rule"], Text.from_obj(c["message"])))

    bundles = []
    seen_bundles: set[str] = set()
    for bi, b in enumerate(data["bundles"]):
        bplace = f"bundles[{bi}]"
        if b["id"] in seen_bundles:
            raise CatalogueError(source, bplace + ".id", f"duplicate bundle id {b['id']!r}")
        seen_bundles.add(b["id"])
        if b["life_stage"] not in stage_ids:
            raise CatalogueError(source, bplace + ".life_stage", f"unknown life stage {b['life_stage']!r}")
        items = []
        seen_items: set[str] = set()
        for ii, it in enumerate(b["items"]):
            iplace = f"{bplace}.items[{ii}]"
            if it["id"] in seen_items:
                raise CatalogueError(source, iplace + ".id", f"duplicate item id {it['id']!r}")
            seen_items.add(it["id"])
            if not math.isfinite(it.get("fee", 0)):     # YAML's .nan passes the schema's bounds
                raise CatalogueError(source, iplace + ".fee", "the fee must be a number of yuan")
            if it["promised_days"] > it["statutory_days"]:
                raise CatalogueError(source, iplace + ".promised_days",
                                     "the promised time cannot be longer than the statutory time")
            for fi, fid in enumerate(it["fields"]):
                if fid not in fields:
                    raise CatalogueError(source, f"{iplace}.fields[{fi}]", f"unknown field {fid!r}")
            for mi, mid in enumerate(it.get("materials", ())):
                if mid not in materials:
                    raise CatalogueError(source, f"{iplace}.materials[{mi}]", f"unknown material {mid!r}")
            check_expr(it.get("when"), iplace + ".when")
            items.append(Item(
                id=it["id"], department=Text.from_obj(it["department"]), procedure=Text.from_obj(it["procedure"]),
                statutory_days=it["statutory_days"], promised_days=it["promised_days"], fields=tuple(it["fields"]),
                materials=tuple(it.get("materials", ())), fee=float(it.get("fee", 0)),
                form_questions=it.get("form_questions"), when=it.get("when"),
            ))
        bundles.append(Bundle(b["id"], b["life_stage"], Text.from_obj(b["title"]), Text.from_obj(b["description"]), tuple(items),
                              proxy_allowed=b.get("proxy_allowed", False)))

    catalogue = Catalogue(
        version=data["version"], life_stages=stages, topics=topics,
        fields=MappingProxyType(fields), materials=MappingProxyType(materials),
        bundles=tuple(bundles), checks=tuple(checks),
    )
    # Imported here: the audit's sample answers are built from this module's FieldDef.
    from kiosk.domain.rule_audit import rule_problems
    for place, problem in rule_problems(catalogue):
        raise CatalogueError(source, place, problem)
    return catalogue


def _check_same_as(source: str, fields: Mapping[str, FieldDef], f: FieldDef) -> None:
    """`same_as` names a chip attribute (`identity.address`) or another field of the same type."""
    if not f.same_as:
        return
    place = f"fields.{f.id}.same_as"
    if f.type == "choice":
        raise CatalogueError(source, place, "a choice is one touch already; 'same_as' is for fields that are typed")
    if f.same_as.startswith("identity."):
        if f.same_as[9:] not in CHIP_SOURCES:
            raise CatalogueError(source, place, f"the ID card has no {f.same_as[9:]!r}; one of {sorted(CHIP_SOURCES)}")
        return
    other = fields.get(f.same_as)
    if other is None:
        raise CatalogueError(source, place, f"unknown field {f.same_as!r}")
    if other.id == f.id:
        raise CatalogueError(source, place, "a field cannot be the same as itself")
    if other.type != f.type:
        raise CatalogueError(source, place, f"{f.same_as!r} is a {other.type} field and this one is {f.type}")


def _check_computed_cycles(source: str, fields: Mapping[str, FieldDef]) -> None:
    """Refuse computed fields that depend on themselves, directly or through other computed fields
    (kiosk.domain.autofill works them out in dependency order)."""
    reads = {fid: rules.names_in(f.computed) & set(fields) for fid, f in fields.items() if f.computed}
    done: set[str] = set()
    for start in reads:
        if start in done:
            continue
        path: list[str] = []
        stack = [(start, iter(sorted(reads[start])))]
        on_path = {start}
        path.append(start)
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                on_path.discard(path.pop())
                done.add(node)
                continue
            if child in on_path:
                cycle = path[path.index(child):] + [child]
                raise CatalogueError(source, f"fields.{start}.computed", "computed fields depend on each other in a "
                                     f"circle: {' -> '.join(cycle)}")
            if child in reads and child not in done:
                stack.append((child, iter(sorted(reads[child]))))
                on_path.add(child)
                path.append(child)


def nested_repeat(pattern: str) -> bool:
    """True when a repeated part of `pattern` itself repeats or alternates: the shapes that make
    Python's backtracking matcher exponential ((a+)+, (a|a)*, (\\w+\\s?)*). Pure; any thread."""
    import importlib
    sre: Any = importlib.import_module("re._parser")   # the stdlib's own parser of pattern syntax (untyped)

    def walk(items: Any, inside_repeat: bool) -> bool:
        for op, arg in items:
            name = str(op)
            if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
                _low, high, body = arg
                repeats = high is sre.MAXREPEAT or high > 1
                if repeats and inside_repeat:
                    return True
                if walk(body, inside_repeat or (repeats and name != "POSSESSIVE_REPEAT")):
                    return True
            elif name == "BRANCH":
                if inside_repeat:
                    return True
                if any(walk(branch, inside_repeat) for branch in arg[1]):
                    return True
            elif name in ("SUBPATTERN", "ATOMIC_GROUP"):
                body = arg[-1] if name == "SUBPATTERN" else arg
                if walk(body, inside_repeat):
                    return True
            elif name in ("ASSERT", "ASSERT_NOT"):
                if walk(arg[1], inside_repeat):
                    return True
        return False

    return walk(sre.parse(pattern), False)

