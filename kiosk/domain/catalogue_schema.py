"""JSON Schema for catalogue files (docs/catalogue.md explains each part).

Every string, number and list has a bound. Ids end up in the back office's database (bundle and
item ids in 80-character columns, backoffice/db.py; an id that does not fit made every upload
batch holding it fail), texts on screens, receipts and officials' lists, and the sizes of lists
multiply the work of every page the kiosk computes. Patterns end in `(?![\\s\\S])` ("nothing
follows") rather than `$`, which also matches before a final line break.
"""
from __future__ import annotations

from typing import Any

from kiosk.domain.rules import MAX_CHARS as MAX_RULE_CHARS

ID_MAX = 80               # = backoffice/db.py's bundle_id and item_id columns; one limit for every id
VERSION_MAX = 80          # = backoffice/db.py's catalogues.version column
_END = "(?![\\s\\S])"


def _text(max_length: int) -> dict[str, Any]:
    """A text a citizen sees: one string, or {zh, en}; each at most max_length characters."""
    one = {"type": "string", "minLength": 1, "maxLength": max_length}
    return {
        "oneOf": [
            one,
            {
                "type": "object",
                "required": ["zh", "en"],
                "properties": {"zh": one, "en": one},
                "additionalProperties": False,
            },
        ]
    }


def _int(low: int, high: int) -> dict[str, Any]:
    return {"type": "integer", "minimum": low, "maximum": high}


def _list(items: dict[str, Any], max_items: int, min_items: int = 0) -> dict[str, Any]:
    return {"type": "array", "items": items, "minItems": min_items, "maxItems": max_items}


_ID = {"type": "string", "pattern": "^[a-z][a-z0-9_]*" + _END, "maxLength": ID_MAX}
_RULE = {"type": "string", "minLength": 1, "maxLength": MAX_RULE_CHARS}
_TITLE = _text(100)

FIELD_TYPES = ("text", "date", "choice", "phone", "resident_id", "integer", "bank_account", "email")

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "OneVisit catalogue",
    "type": "object",
    "required": ["version", "life_stages", "topics", "fields", "materials", "bundles"],
    "additionalProperties": False,
    "properties": {
        "version": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]*" + _END, "maxLength": VERSION_MAX},
        "life_stages": _list({
            "type": "object",
            "required": ["id", "title"],
            "additionalProperties": False,
            "properties": {"id": _ID, "title": _TITLE, "icon": {"type": "string", "maxLength": 8}},
        }, max_items=50, min_items=1),
        "topics": _list({
            "type": "object",
            "required": ["id", "title"],
            "additionalProperties": False,
            "properties": {"id": _ID, "title": _TITLE},
        }, max_items=100, min_items=1),
        "fields": {
            "type": "object",
            "minProperties": 1,
            "maxProperties": 1000,
            "propertyNames": _ID,
            "additionalProperties": {
                "type": "object",
                "required": ["topic", "type", "label"],
                "additionalProperties": False,
                "properties": {
                    "topic": _ID,
                    "type": {"enum": list(FIELD_TYPES)},
                    "label": _text(200),
                    "help": _text(500),
                    "required": {"type": "boolean"},
                    "source": {"type": "string", "pattern": "^(chip|gov)\\.[a-z_]+" + _END, "maxLength": ID_MAX},
                    # Fewer things to type (docs/catalogue.md): a "same as" button, a prefill from the
                    # government records, a value worked out by a rule.
                    "same_as": {"type": "string", "pattern": "^(identity\\.)?[a-z][a-z0-9_]*" + _END, "maxLength": ID_MAX + 9},
                    "prefill_from": {"type": "string", "pattern": "^records\\.[a-z][a-z0-9_]*" + _END, "maxLength": 72},
                    "computed": _RULE,
                    "when": _RULE,
                    "choices": _list({
                        "type": "object",
                        "required": ["value", "label"],
                        "additionalProperties": False,
                        "properties": {
                            "value": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_.-]*" + _END, "maxLength": 40},
                            "label": _text(100),
                        },
                    }, max_items=50, min_items=2),
                    "min": _int(-10**9, 10**9),
                    "max": _int(-10**9, 10**9),
                    "max_length": _int(1, 2000),
                    "pattern": {"type": "string", "maxLength": 200},
                    "not_future": {"type": "boolean"},
                },
            },
        },
        "materials": {
            "type": "object",
            "maxProperties": 500,
            "propertyNames": _ID,
            "additionalProperties": {
                "type": "object",
                "required": ["title", "held_by_government"],
                "additionalProperties": False,
                "properties": {
                    "title": _TITLE,
                    "held_by_government": {"type": "boolean"},
                    "government_key": {**_ID, "maxLength": 64},
                    "optional": {"type": "boolean"},
                    "when": _RULE,
                },
            },
        },
        "checks": _list({
            "type": "object",
            "required": ["fields", "rule", "message"],
            "additionalProperties": False,
            "properties": {
                "fields": _list(_ID, max_items=10, min_items=1),
                "rule": _RULE,
                "message": _text(300),
            },
        }, max_items=200),
        "bundles": _list({
            "type": "object",
            "required": ["id", "life_stage", "title", "description", "items"],
            "additionalProperties": False,
            "properties": {
                "id": _ID,
                "life_stage": _ID,
                "title": _TITLE,
                "description": _text(500),
                # A relative or agent may apply for the citizen (代办); default false (issue 12).
                "proxy_allowed": {"type": "boolean"},
                "items": _list({
                    "type": "object",
                    "required": ["id", "department", "procedure", "statutory_days", "promised_days", "fields"],
                    "additionalProperties": False,
                    "properties": {
                        "id": _ID,
                        "department": _text(200),     # = backoffice/db.py's department_requests.department
                        "procedure": _text(200),      # = ... .procedure
                        "statutory_days": _int(0, 3650),
                        "promised_days": _int(0, 3650),
                        "fee": {"type": "number", "minimum": 0, "maximum": 1_000_000},
                        "fields": _list(_ID, max_items=100),
                        "materials": _list(_ID, max_items=30),
                        "form_questions": _int(0, 1000),
                        "when": _RULE,
                    },
                }, max_items=30, min_items=1),
            },
        }, max_items=200, min_items=1),
    },
}
