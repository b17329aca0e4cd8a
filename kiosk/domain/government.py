"""What the government's records hold for one citizen, as the records lookup returned it.

The records come from outside the kiosk (a data-sharing service, or the demo's stand-in), so
they are bounded here before anything uses them. Nothing in the kiosk counts as "held by the
government" or comes prefilled from government data unless a lookup for this citizen said so.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

MAX_KEYS = 200          # values and materials each; far more than any catalogue reads
MAX_KEY_LENGTH = 64
MAX_VALUE_LENGTH = 500


def _check_key(key: object) -> str:
    if not isinstance(key, str) or not 0 < len(key) <= MAX_KEY_LENGTH:
        raise ValueError("a government record key must be a short string")
    return key


@dataclass(frozen=True)
class GovernmentData:
    """values: by the key the catalogue reads (a field's `source: gov.<key>`);
    materials: the keys of the materials the government holds for this person (a material's
    `government_key`). Raises ValueError for data out of bounds (treat it as no answer)."""

    values: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    materials: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if len(self.values) > MAX_KEYS or len(self.materials) > MAX_KEYS:
            raise ValueError("too many government records")
        values = {}
        for key, value in self.values.items():
            if not isinstance(value, str) or len(value) > MAX_VALUE_LENGTH:
                raise ValueError("a government record value must be a string of bounded length")
            values[_check_key(key)] = value
        object.__setattr__(self, "values", MappingProxyType(values))
        object.__setattr__(self, "materials", frozenset(_check_key(k) for k in self.materials))

    @staticmethod
    def of(values: Mapping[str, object], materials: Iterable[str] = ()) -> GovernmentData:
        """From loosely typed data (numbers and dates as text)."""
        return GovernmentData({str(k): str(v) for k, v in values.items()}, frozenset(materials))

    def __repr__(self) -> str:  # personal data: never into a log or a traceback
        return f"GovernmentData({len(self.values)} values, {len(self.materials)} materials)"
