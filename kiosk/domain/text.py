"""Bilingual text. Every citizen-facing string carries Chinese and English."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")


@dataclass(frozen=True)
class Text:
    """A string in both kiosk languages; `zh` is the authoritative one."""

    zh: str
    en: str

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh

    def both(self, sep: str = " / ") -> str:
        return self.zh if self.zh == self.en else f"{self.zh}{sep}{self.en}"

    def format(self, **kwargs: object) -> Text:
        return Text(self.zh.format(**kwargs), self.en.format(**kwargs))

    @staticmethod
    def from_obj(obj: object) -> Text:
        """Build from a catalogue value: {"zh": ..., "en": ...} or a plain string."""
        if isinstance(obj, Text):
            return obj
        if isinstance(obj, str):
            return Text(obj, obj)
        if isinstance(obj, dict):
            zh = str(obj.get("zh", obj.get("en", "")))
            return Text(zh, str(obj.get("en", zh)))
        raise TypeError(f"not a text: {obj!r}")
