"""Stable department ids, derived in the back office from the catalogue's department names (the
catalogue carries a bilingual name per item, no id): the English name as a slug, e.g. "Public
Security Bureau" -> "public-security-bureau". Two catalogues that spell the Chinese name
differently but share the English one ("人力社保局" / "人力资源和社会保障局") name one
department. A name with no usable English gets "dept-" and a hash of the Chinese name.

Officials' accounts list these ids (`python -m backoffice departments` shows the known ones).
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

DEPARTMENT_ID_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,79}")


def department_id(name: Mapping[str, Any] | str) -> str:
    """The id of a department given as the record's {"zh", "en"} name (or a bare Chinese name)."""
    zh, en = (str(name.get("zh", "")), str(name.get("en", ""))) if isinstance(name, Mapping) else (str(name), "")
    slug = re.sub(r"[^a-z0-9]+", "-", en.lower()).strip("-")[:80].strip("-")
    if slug:
        return slug
    return "dept-" + hashlib.sha256(zh.strip().encode()).hexdigest()[:12]


def is_department_id(text: str) -> bool:
    return bool(DEPARTMENT_ID_RE.fullmatch(text))
