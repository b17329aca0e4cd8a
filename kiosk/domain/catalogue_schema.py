"""JSON Schema for catalogue files (docs/catalogue.md explains each part)."""
from __future__ import annotations

_TEXT = {
    "oneOf": [
        {"type": "string", "minLength": 1},
        {
            "type": "object",
            "required": ["zh", "en"],
            "properties": {"zh": {"type": "string", "minLength": 1}, "en": {"type": "string", "minLength": 1}},
            "additionalProperties": False,
        },
    ]
}
_ID = {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"}

FIELD_TYPES = ("text", "date", "choice", "phone", "resident_id", "integer", "bank_account", "email")

SCHEMA: dict = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "OneVisit catalogue",
    "type": "object",
    "required": ["version", "life_stages", "topics", "fields", "materials", "bundles"],
    "additionalProperties": False,
    "properties": {
        "version": {"type": "string", "minLength": 1},
        "life_stages": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["id", "title"],
                "additionalProperties": False,
                "properties": {"id": _ID, "title": _TEXT, "icon": {"type": "string"}},
            },
        },
        "topics": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["id", "title"],
                "additionalProperties": False,
                "properties": {"id": _ID, "title": _TEXT},
            },
        },
        "fields": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": _ID,
            "additionalProperties": {
                "type": "object",
                "required": ["topic", "type", "label"],
                "additionalProperties": False,
                "properties": {
                    "topic": _ID,
                    "type": {"enum": list(FIELD_TYPES)},
                    "label": _TEXT,
                    "help": _TEXT,
                    "required": {"type": "boolean"},
                    "source": {"type": "string", "pattern": "^(chip|gov)\\.[a-z_]+$"},
                    "when": {"type": "string", "minLength": 1},
                    "choices": {
                        "type": "array",
                        "minItems": 2,
                        "items": {
                            "type": "object",
                            "required": ["value", "label"],
                            "additionalProperties": False,
                            "properties": {"value": {"type": "string"}, "label": _TEXT},
                        },
                    },
                    "min": {"type": "integer"},
                    "max": {"type": "integer"},
                    "max_length": {"type": "integer", "minimum": 1},
                    "pattern": {"type": "string"},
                    "not_future": {"type": "boolean"},
                },
            },
        },
        "materials": {
            "type": "object",
            "propertyNames": _ID,
            "additionalProperties": {
                "type": "object",
                "required": ["title", "held_by_government"],
                "additionalProperties": False,
                "properties": {
                    "title": _TEXT,
                    "held_by_government": {"type": "boolean"},
                    "government_key": {**_ID, "maxLength": 64},
                    "optional": {"type": "boolean"},
                    "when": {"type": "string", "minLength": 1},
                },
            },
        },
        "checks": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["fields", "rule", "message"],
                "additionalProperties": False,
                "properties": {
                    "fields": {"type": "array", "items": _ID, "minItems": 1},
                    "rule": {"type": "string", "minLength": 1},
                    "message": _TEXT,
                },
            },
        },
        "bundles": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["id", "life_stage", "title", "description", "items"],
                "additionalProperties": False,
                "properties": {
                    "id": _ID,
                    "life_stage": _ID,
                    "title": _TEXT,
                    "description": _TEXT,
                    "items": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "required": ["id", "department", "procedure", "statutory_days", "promised_days", "fields"],
                            "additionalProperties": False,
                            "properties": {
                                "id": _ID,
                                "department": _TEXT,
                                "procedure": _TEXT,
                                "statutory_days": {"type": "integer", "minimum": 0},
                                "promised_days": {"type": "integer", "minimum": 0},
                                "fee": {"type": "number", "minimum": 0},
                                "fields": {"type": "array", "items": _ID},
                                "materials": {"type": "array", "items": _ID},
                                "form_questions": {"type": "integer", "minimum": 0},
                                "when": {"type": "string", "minLength": 1},
                            },
                        },
                    },
                },
            },
        },
    },
}
