"""The one redaction helper: citizen fields reach logs only through here.

A masked value keeps nothing of the value: not its first character (in a Chinese name, the
surname), not its first or last digits (in an ID number, the region or the birth date and the
check character). It is shown as a short keyed hash, so two log lines about the same citizen
can be told to belong together within one run of the kiosk. The key is random per process and
never written anywhere: after the process ends, nobody (not even with the log and a list of
candidate ID numbers) can tell whose the hash was.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping

# Field ids whose values identify a person. Anything not listed is still masked unless it
# is known to be harmless (see SAFE_FIELDS): we prefer over-redaction in logs.
SAFE_FIELDS = frozenset({"bundle_id", "step", "lang", "item_id", "department"})

# Per process, in memory only (see the module's docstring). Not a secret worth more than that.
_KEY = secrets.token_bytes(32)


def mask(value: object) -> str:
    """A personal value fit for a log line: "#" and 8 hex digits of a keyed hash ("" stays "").

    "330106199001011234" -> "#5c0e9a1f" (the same within this process), "张三丰" -> "#…"."""
    s = "" if value is None else str(value)
    if not s:
        return ""
    return "#" + hmac.new(_KEY, s.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:8]


def redact_mapping(values: Mapping[str, object]) -> dict[str, str]:
    """Return a copy fit for a log line: every value masked except SAFE_FIELDS."""
    return {k: (str(v) if k in SAFE_FIELDS else mask(v)) for k, v in values.items()}
