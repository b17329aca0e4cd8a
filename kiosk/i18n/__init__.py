"""Interface text from translation catalogues: `tr("中文")` is a Text whose English (and any other
language's text) comes from kiosk/locale/<lang>/LC_MESSAGES/kiosk.po.

The msgid is the Chinese text, written in the code as today; a second positional argument is the
msgctxt, for one Chinese text that needs two different translations: `tr("打印", "verb")`. Keep
both arguments string literals: `scripts/i18n.sh extract` finds them with Babel's extractor.

Importing this module installs the catalogues as kiosk.domain.text's Translations and reads the
English one (tr() fills Text.en at once, so English costs nothing at run time). The composition
calls `configure` with the kiosk's locale folder and languages before building the window.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from kiosk.domain.text import SOURCE, Lang, Text, install_translations
from kiosk.i18n.catalogues import PACKAGE_DIR, CatalogueError, Catalogues

__all__ = ["tr", "configure", "catalogues", "language_name", "LANGUAGE_NAME", "CatalogueError", "LIST_SEPARATOR",
           "CLAUSE_SEPARATOR"]

_catalogues = Catalogues()
install_translations(_catalogues)


def tr(msgid: str, context: str | None = None, /) -> Text:
    """The interface text whose Chinese is `msgid` (any thread; pure after the first call)."""
    en = _catalogues.lookup("en", msgid, context)
    return Text(msgid, msgid if en is None else en, msgid=msgid, context=context)


def catalogues() -> Catalogues:
    return _catalogues


def configure(locale_dir: str | Path | None, languages: Sequence[Lang]) -> Catalogues:
    """Search `locale_dir` (if any) before the package's catalogues and read every language in
    `languages` now, so that a broken catalogue stops the start, not the first citizen who
    switches. Main thread, at composition; reads files. Raises CatalogueError."""
    global _catalogues
    dirs = ([Path(locale_dir)] if locale_dir else []) + [PACKAGE_DIR]
    fresh = Catalogues(dirs)
    fresh.adopt(_catalogues.language("en"))   # Text.en was filled from the package's English at import
    for lang in languages:
        if not fresh.available(lang):
            raise CatalogueError(f"no catalogue for language {lang!r} in " + ", ".join(map(str, dirs)))
        fresh.chain(lang)          # reads the language and each one it falls back to
    _catalogues = fresh
    install_translations(fresh)
    return fresh


# The switch shows each language by its own name: this entry's translation in that language.
LANGUAGE_NAME = tr("中文", "language name")


# Between the items of a list (Text.join): "、" in Chinese, ", " in English; and between clauses.
LIST_SEPARATOR = tr("、", "list separator")
CLAUSE_SEPARATOR = tr("；", "clause separator")


def language_name(lang: Lang) -> str:
    return LANGUAGE_NAME.zh if lang == SOURCE else LANGUAGE_NAME.get(lang)
