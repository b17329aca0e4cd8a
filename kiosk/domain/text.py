"""Citizen-facing text. Every string carries Chinese (authoritative) and English; text that came from
a translation catalogue (kiosk.i18n.tr) also remembers its Chinese msgid, so that any further
language (a third one, an "easy read" Chinese) can find its own translation.

No I/O here: the catalogues are loaded by kiosk.i18n, which installs itself as the `Translations`
this module asks (`install_translations`). Pure, thread-safe once installed.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

# A language code: "zh", "en", or any catalogue's name ("zh-easy", "fr", "ug"...). The languages a
# kiosk offers are configured (kiosk.languages) and checked where they enter (kiosk.config).
Lang = str
SOURCE: Lang = "zh"                      # the msgid's language; every other language is a translation
LANGS: tuple[Lang, ...] = ("zh", "en")   # the two every Text carries
LANG_CODE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$")


class Translations(Protocol):
    """What Text asks for languages beyond zh/en (kiosk.i18n.catalogues.Catalogues)."""

    def lookup(self, lang: Lang, msgid: str, context: str | None) -> str | None:
        """The catalogue's translation, or None when it has none (or only a fuzzy one)."""
        ...

    def chain(self, lang: Lang) -> tuple[Lang, ...]:
        """`lang` then its fallbacks, in order, ending in "zh" or "en"."""
        ...


_translations: Translations | None = None


def install_translations(t: Translations | None) -> None:
    """Called by kiosk.i18n when it loads (import time, any thread: a single assignment)."""
    global _translations
    _translations = t


def base_language(lang: Lang) -> Lang:
    """"zh" or "en": which of the two a language falls back to in the end, for what follows the
    script rather than the words (keyboard layout, list separators, voice)."""
    if lang in LANGS:
        return lang
    chain = _translations.chain(lang) if _translations is not None else ()
    return next((x for x in chain if x in LANGS), SOURCE)


def _pick(args: Iterable[tuple[str, object]], lang: Lang) -> dict[str, object]:
    return {k: (v.get(lang) if isinstance(v, Text) else v) for k, v in args}


@dataclass(frozen=True)
class Text:
    """A string in every kiosk language; `zh` is the authoritative one.

    Equality and hashing are by (zh, en) alone. `msgid`/`context` name the catalogue entry the
    text came from and `args` the values it was formatted with, so `get` can translate it into a
    language beyond zh/en; text built otherwise (catalogue data, joined strings) falls back along
    that language's chain."""

    zh: str
    en: str
    msgid: str | None = field(default=None, compare=False, repr=False, kw_only=True)
    context: str | None = field(default=None, compare=False, repr=False, kw_only=True)
    args: tuple[tuple[str, object], ...] = field(default=(), compare=False, repr=False, kw_only=True)

    def get(self, lang: Lang) -> str:
        if lang == "en":
            return self.en
        if lang == "zh":
            return self.zh
        chain = _translations.chain(lang) if _translations is not None else (SOURCE,)
        for step in chain:
            template = None
            if self.msgid is not None:
                template = self.msgid if step == SOURCE else (
                    _translations.lookup(step, self.msgid, self.context) if _translations is not None else None)
            if template is not None:     # Text values filled in are shown in `lang` too, as far as they go
                return template.format(**_pick(self.args, lang)) if self.args else template
            if step in LANGS:
                return self.get(step)
        return self.zh

    def both(self, sep: str = " / ") -> str:
        return self.zh if self.zh == self.en else f"{self.zh}{sep}{self.en}"

    def format(self, **kwargs: object) -> Text:
        """Each {name} filled in; a Text value in the same language as the sentence."""
        return Text(self.zh.format(**_pick(kwargs.items(), "zh")), self.en.format(**_pick(kwargs.items(), "en")),
                    msgid=self.msgid, context=self.context, args=(*self.args, *kwargs.items()))

    def join(self, items: Iterable[Text | str]) -> Text:
        """`items` with this text between them, like str.join, each language with its own
        separator ("、" / ", ") and its own pieces. The result is a template ("{i0}{sep}{i1}")
        with no words of its own, so a further language joins its own pieces as far as it can."""
        parts = tuple(items)
        names = [f"i{k}" for k in range(len(parts))]
        template = "{sep}".join("{" + n + "}" for n in names)
        args: tuple[tuple[str, object], ...] = (("sep", self), *zip(names, parts, strict=True))
        return Text(template.format(**_pick(args, "zh")), template.format(**_pick(args, "en")),
                    msgid=template, args=args)

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
