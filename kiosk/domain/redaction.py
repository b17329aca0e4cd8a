"""The one redaction helper: citizen fields reach logs only through here."""
from __future__ import annotations

import re
from collections.abc import Mapping

# Field ids whose values identify a person. Anything not listed is still masked unless it
# is known to be harmless (see SAFE_FIELDS): we prefer over-redaction in logs.
SAFE_FIELDS = frozenset({"bundle_id", "step", "lang", "item_id", "department"})


def mask(value: object) -> str:
    """Mask a personal value, keeping just enough to tell two log lines apart.

    "330106199001011234" -> "33**************34", "张三丰" -> "张**", "" -> "".
    """
    s = "" if value is None else str(value)
    if len(s) <= 1:
        return "*" * len(s)
    if len(s) <= 4:
        return s[0] + "*" * (len(s) - 1)
    if re.fullmatch(r"[0-9Xx\- ]+", s):
        return s[:2] + "*" * (len(s) - 4) + s[-2:]
    return s[0] + "*" * (len(s) - 1)


def redact_mapping(values: Mapping[str, object]) -> dict[str, str]:
    """Return a copy fit for a log line: every value masked except SAFE_FIELDS."""
    return {k: (str(v) if k in SAFE_FIELDS else mask(v)) for k, v in values.items()}
