"""Catalogue upkeep for developers and translators (scripts/i18n.sh): extract every tr() call into
kiosk/locale/kiosk.pot, merge the template into each language's .po, check them. Not used by the
running kiosk. Runs on the caller's thread; reads and writes the catalogue files.
"""
from __future__ import annotations

import string
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import write_po

from kiosk.i18n.catalogues import DOMAIN, PACKAGE_DIR, KioskCatalog, parse

# tr(msgid) and tr(msgid, context): the msgid first, the msgctxt second.
KEYWORDS: dict[str, Any] = {"tr": {1: (1,), 2: (1, (2, "c"))}}
SOURCE_DIR = PACKAGE_DIR.parent            # kiosk/
TEMPLATE = PACKAGE_DIR / f"{DOMAIN}.pot"
TEMPLATE_COMMENT = """\
# The OneVisit Kiosk's interface text, extracted from the code's tr("中文") calls by
# scripts/i18n.sh extract: do not edit by hand. Each language's kiosk.po is merged from it.
#"""
WIDTH = 0                                   # no wrapping: one line per text diffs and greps well


@dataclass(frozen=True)
class Found:
    context: str | None
    msgid: str
    where: str                              # "kiosk/ui/strings.py:12"


def extract(source_dir: Path = SOURCE_DIR) -> Iterator[Found]:
    """Every tr() call with literal arguments under `source_dir`, in file and line order."""
    root = source_dir.parent
    for filename, lineno, message, _comments, context in extract_from_dir(
            source_dir, method_map=[("**.py", "python")], keywords=KEYWORDS, comment_tags=(),
            strip_comment_tags=True):
        if isinstance(message, str):
            where = (source_dir / filename).relative_to(root).as_posix()
            yield Found(context, message, f"{where}:{lineno}")


def template(source_dir: Path = SOURCE_DIR) -> Catalog:
    cat = KioskCatalog(project="OneVisit Kiosk", version="1", charset="utf-8", fuzzy=False,
                       header_comment=TEMPLATE_COMMENT)
    for f in extract(source_dir):
        path, line = f.where.rsplit(":", 1)
        cat.add(f.msgid, locations=[(path, int(line))], context=f.context)
    return cat


def write(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        write_po(out, catalog, width=WIDTH, no_location=True, omit_header=False, ignore_obsolete=True,
                 sort_output=False)


def read(path: Path) -> KioskCatalog:
    return parse(path.read_bytes(), path)


def po_files(locale_dir: Path = PACKAGE_DIR) -> list[Path]:
    return sorted(locale_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def update(locale_dir: Path = PACKAGE_DIR, source_dir: Path = SOURCE_DIR) -> list[Path]:
    """Write the template and merge it into every language: new texts come in untranslated
    (or fuzzy, guessed from a similar old one, which counts as untranslated until a
    translator clears the flag), texts no longer in the code go."""
    tpl = template(source_dir)
    write(tpl, locale_dir / f"{DOMAIN}.pot")
    done = []
    for po in po_files(locale_dir):
        cat = read(po)
        cat.update(tpl, no_fuzzy_matching=False, update_header_comment=False, keep_user_comments=True)
        cat.obsolete.clear()
        write(cat, po)
        done.append(po)
    return done


def placeholders(s: str) -> set[str]:
    """The str.format fields of `s` ("{n}", "{since:%Y}" -> n, since:%Y; "{{" is a brace); a text
    that str.format cannot parse gives {"<malformed>"}."""
    try:
        return {f"{name}:{spec}" if spec else name for _lit, name, spec, _conv in string.Formatter().parse(s)
                if name is not None}
    except ValueError:
        return {"<malformed>"}


def problems(locale_dir: Path = PACKAGE_DIR, source_dir: Path = SOURCE_DIR, complete: tuple[str, ...] = ("en",)
             ) -> list[str]:
    """What is wrong with the catalogues: for the `complete` languages a text of the code with no
    (or only a fuzzy) translation; for every language an entry the code no longer has, an obsolete
    entry, or a translation whose {placeholders} differ from its msgid's."""
    wanted = {(f.context, f.msgid): f.where for f in extract(source_dir)}
    out: list[str] = []
    for po in po_files(locale_dir):
        lang = po.parent.parent.name
        cat = read(po)
        have = {(m.context, m.id): m for m in cat if m.id and isinstance(m.id, str)}   # no plurals: str keys
        for key, msg in have.items():
            if key not in wanted:
                out.append(f"{lang}: not in the code (run scripts/i18n.sh update): {key[1]!r} ctx={key[0]!r}")
            elif msg.string and isinstance(msg.string, str) and placeholders(msg.string) != placeholders(key[1]):
                out.append(f"{lang}: placeholders differ from the msgid: {key[1]!r} -> {msg.string!r}")
        if cat.obsolete:
            out.append(f"{lang}: {len(cat.obsolete)} obsolete entries (#~): run scripts/i18n.sh update")
        if lang in complete:
            for key, where in wanted.items():
                m = have.get(key)
                if m is None or not m.string or m.fuzzy:
                    out.append(f"{lang}: untranslated{' (fuzzy)' if m is not None and m.fuzzy else ''}: "
                               f"{key[1]!r} ctx={key[0]!r} at {where}")
    return out
