"""The translation catalogues: gettext .po files, read with Babel, one per language.

Layout: <dir>/<lang>/LC_MESSAGES/kiosk.po, searched in the configured locale folder
(kiosk.locale_dir) first, then the package's kiosk/locale. The msgid is the Chinese text and
msgctxt tells apart one Chinese text that needs two translations. A fuzzy entry counts as
untranslated. A catalogue's header may name the language its missing entries fall back to,
`X-Fallback: zh` (an easy-read Chinese); without one a language falls back to English, and
English to the Chinese msgid.

Reading runs on whichever thread first asks for a language (import time for English, the
composition for the configured ones); a race only reads a file twice, each read replacing
one dict entry whole, so no lock is needed (and kiosk.domain, which reaches this module
through kiosk.i18n, may not import threading).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.pofile import PoFileError, PoFileParser

from kiosk.domain.text import LANGS, SOURCE, Lang

DOMAIN = "kiosk"
PACKAGE_DIR = Path(__file__).resolve().parent.parent / "locale"
MAX_CATALOGUE_BYTES = 4 * 1024 * 1024     # a kiosk's catalogue is ~100 KB; refuse anything absurd
FALLBACK_HEADER = "X-Fallback"

Key = tuple[str | None, str]              # (msgctxt, msgid)


class CatalogueError(ValueError):
    pass


# Headers Babel writes that only churn (dates) or hold its placeholders: left out of our files.
_NOISE = {"report-msgid-bugs-to", "pot-creation-date", "po-revision-date", "last-translator", "language-team",
          "generated-by"}


class KioskCatalog(Catalog):
    """A Babel catalogue that keeps our own headers (X-Fallback), which Babel drops, and writes
    none of the ones that change on every run."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.extra_headers: dict[str, str] = {}
        super().__init__(*args, **kwargs)

    def _get_headers(self) -> list[tuple[str, str]]:
        out = [(k, v) for k, v in Catalog._get_mime_headers(self) if k.lower() not in _NOISE]
        out += list(self.extra_headers.items())
        k, v = out[-1]
        out[-1] = (k, v if v.endswith("\n") else v + "\n")    # gettext's msgfmt wants the header to end in \n
        return out

    def _set_headers(self, headers: Iterable[tuple[str, str]]) -> None:
        headers = list(headers)
        self.extra_headers = {str(k): str(v).strip() for k, v in headers if str(k).lower().startswith("x-")}
        Catalog._set_mime_headers(self, headers)

    mime_headers = property(_get_headers, _set_headers)

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.extra_headers.items() if k.lower() == name.lower()), None)


def parse(data: bytes, where: object) -> KioskCatalog:
    """One .po file's bytes as a catalogue (obsolete entries dropped). Raises CatalogueError."""
    catalog = KioskCatalog(charset="utf-8")
    try:
        PoFileParser(catalog, ignore_obsolete=False, abort_invalid=True).parse(data.splitlines(keepends=True))
    except (PoFileError, UnicodeDecodeError, ValueError) as exc:
        raise CatalogueError(f"{where}: not a readable .po catalogue: {exc}") from None
    return catalog


class Language:
    """One loaded catalogue: its translations and the language it falls back to."""

    def __init__(self, code: Lang, entries: dict[Key, str], fallback: Lang | None, path: Path | None) -> None:
        self.code, self.entries, self.fallback, self.path = code, entries, fallback, path


def catalogue_path(lang: Lang, dirs: Sequence[Path]) -> Path | None:
    """The first <dir>/<lang>/LC_MESSAGES/kiosk.po that exists."""
    for d in dirs:
        p = Path(d) / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
        if p.is_file():
            return p
    return None


def read_catalogue(lang: Lang, path: Path) -> Language:
    """Parse one .po file. Raises CatalogueError for a file that is too big or not a catalogue."""
    with path.open("rb") as f:
        data = f.read(MAX_CATALOGUE_BYTES + 1)
    if len(data) > MAX_CATALOGUE_BYTES:
        raise CatalogueError(f"{path}: larger than {MAX_CATALOGUE_BYTES} bytes")
    catalog = parse(data, path)
    entries: dict[Key, str] = {}
    for m in catalog:
        if m.id and isinstance(m.id, str) and isinstance(m.string, str) and m.string and not m.fuzzy:
            entries[(m.context, m.id)] = m.string
    fallback = catalog.header(FALLBACK_HEADER) or None
    return Language(lang, entries, fallback, path)


class Catalogues:
    """Every language's catalogue, read once each and kept (kiosk.domain.text.Translations)."""

    def __init__(self, dirs: Sequence[Path] = (PACKAGE_DIR,)) -> None:
        self.dirs: tuple[Path, ...] = tuple(dirs)
        self._languages: dict[Lang, Language] = {}

    def language(self, lang: Lang) -> Language:
        """The loaded catalogue; an empty one for the source language or a missing file."""
        got = self._languages.get(lang)
        if got is None:
            path = None if lang == SOURCE else catalogue_path(lang, self.dirs)
            got = read_catalogue(lang, path) if path is not None else Language(lang, {}, None, None)
            self._languages[lang] = got
        return got

    def adopt(self, language: Language) -> None:
        self._languages[language.code] = language

    def available(self, lang: Lang) -> bool:
        return lang == SOURCE or catalogue_path(lang, self.dirs) is not None

    def lookup(self, lang: Lang, msgid: str, context: str | None) -> str | None:
        return self.language(lang).entries.get((context, msgid))

    def chain(self, lang: Lang) -> tuple[Lang, ...]:
        """`lang`, then what its header falls back to, and so on, ending in one of zh/en."""
        out: list[Lang] = []
        while lang not in out:
            out.append(lang)
            if lang in LANGS:
                break
            lang = self.language(lang).fallback or "en"
        if out[-1] not in LANGS:     # a loop in the headers: end where every language ends
            out.append(SOURCE)
        return tuple(out)
