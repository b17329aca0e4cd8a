"""How much the combined form saves a citizen, per bundle (`kiosk catalogue stats`).

Counted with every item applying (the longest form a citizen can meet):
- questions: distinct fields our combined form contains, versus the sum of the questions on
  each department's own form (`form_questions`, or the item's field count when not given);
- prefilled: of those, fields that come from the ID chip or from government data;
- typed: what the citizen still types or chooses;
- materials: distinct materials to photograph here, versus the sum over the separate items of
  all materials they ask (held by the government or not). "Held" counts the materials the
  catalogue says the government may hold: whether it does is known per citizen, from the
  records lookup, so for a citizen without records they are photographed too.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from kiosk.domain.catalogue import Bundle, Catalogue


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
    prefilled = sum(1 for f in fields if catalogue.fields[f].source)
    held = sum(1 for m in materials if catalogue.materials[m].government_key is not None)
    return BundleStats(bundle.id, bundle.life_stage, len(bundle.items), len(bundle.departments()), len(fields),
                       separate_q, prefilled, len(fields) - prefilled, len(materials) - held, held, separate_m)


def catalogue_stats(catalogue: Catalogue) -> list[BundleStats]:
    return [bundle_stats(catalogue, b) for b in catalogue.bundles]
