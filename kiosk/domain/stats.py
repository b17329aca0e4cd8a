"""How much the combined form saves a citizen, per bundle (`kiosk catalogue stats`).

Counted with every item applying (the longest form a citizen can meet):
- questions: distinct fields our combined form contains, versus the sum of the questions on
  each department's own form (`form_questions`, or the item's field count when not given);
- prefilled: of those, fields that come from the ID chip or from government data (`source`,
  `prefill_from`; for a citizen whose records lookup holds the value);
- computed: fields the kiosk works out from other answers (`computed:`), and not prefilled;
- same_as: fields a "same as" button fills in one touch (`same_as:`), none of the above;
- choice: fields answered by touching one of their choices, none of the above;
- typed: what the citizen may still have to type (none of the above; a computed field whose rule
  cannot be worked out for a citizen, or a prefill their records lack, is typed too, so these are
  the fewest typed fields; the autopilot's journeys, bench/touches.py, count a real path);
- materials: distinct materials to photograph here, versus the sum over the separate items of
  all materials they ask (held by the government or not). "Held" counts the materials the
  catalogue says the government may hold: whether it does is known per citizen, from the
  records lookup, so for a citizen without records they are photographed too.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from kiosk.domain.catalogue import Bundle, Catalogue, FieldDef


@dataclass(frozen=True)
class BundleStats:
    bundle_id: str
    life_stage: str
    items: int
    departments: int
    combined_questions: int
    separate_questions: int
    prefilled: int
    typed: int
    materials_to_provide: int
    materials_held: int
    separate_materials: int
    computed: int = 0
    same_as: int = 0
    choice: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def bundle_stats(catalogue: Catalogue, bundle: Bundle) -> BundleStats:
    fields: set[str] = set()
    materials: set[str] = set()
    separate_q = separate_m = 0
    for item in bundle.items:
        fields.update(item.fields)
        materials.update(item.materials)
        separate_q += item.form_questions if item.form_questions is not None else len(item.fields)
        separate_m += len(item.materials)
    kinds = [field_kind(catalogue.fields[f]) for f in fields]
    held = sum(1 for m in materials if catalogue.materials[m].government_key is not None)
    return BundleStats(bundle.id, bundle.life_stage, len(bundle.items), len(bundle.departments()), len(fields),
                       separate_q, kinds.count("prefilled"), kinds.count("typed"), len(materials) - held, held,
                       separate_m, kinds.count("computed"), kinds.count("same_as"), kinds.count("choice"))


def field_kind(f: FieldDef) -> str:
    """How a field gets its answer at best: prefilled, computed, same_as, choice or typed."""
    if f.source:
        return "prefilled"
    if f.computed:
        return "computed"
    if f.same_as:
        return "same_as"
    return "choice" if f.type == "choice" else "typed"


def catalogue_stats(catalogue: Catalogue) -> list[BundleStats]:
    return [bundle_stats(catalogue, b) for b in catalogue.bundles]
