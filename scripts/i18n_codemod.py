#!/usr/bin/env python3
"""Turn every Text("中文", "English") written in Python into tr("中文") and put the English into
kiosk/locale/en/LC_MESSAGES/kiosk.po (issue 13 part 7: translations are files, not code).

    /work/main/.venv/bin/python scripts/i18n_codemod.py [--dry-run] [PATH ...]     (default: kiosk/)

Re-runnable: code already converted has no pairs left; a new pair is appended to en.po, an
existing entry is kept. When the Chinese is already in en.po with a different English, the
new one gets a msgctxt (the module's dotted name), so that both translations live on; review
those (grep msgctxt in the diff) and rename the context if a better word fits. Afterwards the
template (kiosk.pot) is rewritten and merged into every language (scripts/i18n.sh update).
Files: Text aliases (T = Text) and wrappers (def _t(zh, en): return Text(zh, en)) count as
Text; an alias, wrapper or `Text` import left unused is removed.
"""
from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from babel.messages.catalog import Catalog  # noqa: E402

from kiosk.i18n import tools  # noqa: E402
from kiosk.i18n.catalogues import KioskCatalog  # noqa: E402
from kiosk.i18n.pairs import TEXT_MODULE, literal_pairs, text_aliases  # noqa: E402

EN_PO = tools.PACKAGE_DIR / "en" / "LC_MESSAGES" / f"{tools.DOMAIN}.po"
SKIP = {"kiosk/domain/text.py"}
IMPORT = "from kiosk.i18n import tr"


def load_en() -> Catalog:
    if EN_PO.exists():
        return tools.read(EN_PO)
    cat = KioskCatalog(locale="en", project="OneVisit Kiosk", version="1", charset="utf-8", fuzzy=False)
    cat.extra_headers["X-Fallback"] = "zh"
    return cat


def context_for(cat: Catalog, zh: str, en: str, module: str) -> str | None:
    """The msgctxt under which `zh` translates to `en`, adding the entry if it is new."""
    same = [m for m in cat if m.id == zh]
    for m in sorted(same, key=lambda m: m.context is not None):
        if m.string == en:
            return m.context
    ctx = None if not same else module
    n = 2
    while ctx is not None and cat.get(zh, ctx) is not None:
        ctx, n = f"{module} {n}", n + 1
    cat.add(zh, en, context=ctx)
    return ctx


def _offsets(data: bytes) -> list[int]:
    starts = [0]
    for i, b in enumerate(data):
        if b == 0x0A:
            starts.append(i + 1)
    return starts


def _span(starts: list[int], node: ast.AST) -> tuple[int, int]:
    return (starts[node.lineno - 1] + node.col_offset,            # type: ignore[attr-defined]
            starts[node.end_lineno - 1] + node.end_col_offset)    # type: ignore[attr-defined]


def _names_loaded(tree: ast.Module) -> dict[str, int]:
    counts: dict[str, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            counts[node.id] = counts.get(node.id, 0) + 1
    return counts


def _tidy(source: str) -> str:
    """Drop Text aliases, wrappers and the Text import once nothing uses them; import tr."""
    tree = ast.parse(source)
    data = source.encode()
    starts = _offsets(data)
    aliases, wrappers = text_aliases(tree)
    used = _names_loaded(tree)
    cuts: list[tuple[int, int, bytes]] = []
    whole_lines = lambda n: (starts[n.lineno - 1], starts[n.end_lineno] if n.end_lineno < len(starts) else len(data))  # noqa: E731
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in wrappers and not used.get(node.name):
            first = node.decorator_list[0] if node.decorator_list else node
            a, b = whole_lines(node)
            cuts.append((starts[first.lineno - 1], b, b""))
            called = node.body[0].value.func.id  # type: ignore[attr-defined]  # text_aliases checked the shape
            used[called] -= 1
        elif (isinstance(node, ast.Assign) and isinstance(node.value, ast.Name) and node.value.id in aliases
              and isinstance(node.targets[0], ast.Name) and not used.get(node.targets[0].id)):
            cuts.append((*whole_lines(node), b""))
            used[node.value.id] -= 1
    need_tr = used.get("tr") and not any(
        isinstance(n, ast.ImportFrom) and n.module == "kiosk.i18n" and any(a.name == "tr" for a in n.names)
        for n in ast.walk(tree))
    imports = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == TEXT_MODULE:
            keep = [a for a in node.names if a.name != "Text" or used.get(a.asname or a.name)]
            if len(keep) == len(node.names):
                continue
            a, b = whole_lines(node)
            indent = data[a:starts[node.lineno - 1] + node.col_offset]
            text = b"" if not keep else indent + (f"from {TEXT_MODULE} import "
                                                   + ", ".join(x.name + (f" as {x.asname}" if x.asname else "")
                                                               for x in keep) + "\n").encode()
            if need_tr and node in tree.body:
                text += f"{IMPORT}\n".encode()
                need_tr = False
            cuts.append((a, b, text))
    if need_tr:
        anchor = next((n for n in imports if isinstance(n, ast.ImportFrom) and n.module == TEXT_MODULE),
                      imports[-1] if imports else None)
        at = whole_lines(anchor)[1] if anchor is not None else 0
        cuts.append((at, at, f"{IMPORT}\n".encode()))
    for a, b, text in sorted(cuts, key=lambda c: c[0], reverse=True):
        data = data[:a] + text + data[b:]
    return data.decode()


def convert(path: Path, cat: Catalog) -> int:
    """Rewrite one file; returns how many pairs it had."""
    source = path.read_text("utf-8")
    pairs = literal_pairs(source)
    if not pairs:
        return 0
    module = ".".join(path.relative_to(ROOT / "kiosk").with_suffix("").parts)
    data = source.encode()
    starts = _offsets(data)
    edits = []
    for p in pairs:
        ctx = context_for(cat, p.zh, p.en, module)
        a, b = _span(starts, p.zh_node)
        call = b"tr(" + data[a:b] + (f', "{ctx}"'.encode() if ctx else b"") + b")"
        edits.append((*_span(starts, p.node), call))
    for a, b, text in sorted(edits, reverse=True):
        data = data[:a] + text + data[b:]
    path.write_text(_tidy(data.decode()), "utf-8")
    return len(pairs)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("paths", nargs="*", type=Path, default=[ROOT / "kiosk"])
    ap.add_argument("--dry-run", action="store_true", help="list the pairs, change nothing")
    args = ap.parse_args(argv)
    files = sorted({f.resolve() for p in args.paths for f in ([p] if p.is_file() else p.rglob("*.py"))})
    cat = load_en()
    total = 0
    for f in files:
        rel = f.relative_to(ROOT).as_posix()
        if rel in SKIP:
            continue
        if args.dry_run:
            for p in literal_pairs(f.read_text("utf-8")):
                print(f"{rel}:{p.node.lineno}: {p.zh!r} -> {p.en!r}")
                total += 1
            continue
        n = convert(f, cat)
        if n:
            print(f"{rel}: {n}")
            total += n
    if not args.dry_run:
        tools.write(cat, EN_PO)
        tools.update()
    print(f"{total} pairs{' found' if args.dry_run else ' converted'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
