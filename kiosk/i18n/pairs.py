"""Finding Text("中文", "English") pairs written in Python: what scripts/i18n_codemod.py turns into
tr("中文") + an en.po entry, and what tests/unit/test_i18n_catalogues.py allows no more of.
Pure: parses source text it is given.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass

TEXT_MODULE = "kiosk.domain.text"


@dataclass(frozen=True)
class Pair:
    zh: str
    en: str
    node: ast.Call                  # the whole call, to replace
    zh_node: ast.expr               # its Chinese argument, whose source is kept as written


def text_aliases(tree: ast.Module) -> tuple[set[str], set[str]]:
    """Names that build a Text from (zh, en) in this module: ("Text", "T", ...) and wrapper
    functions `def _t(zh, en): return Text(zh, en)`. Returns (aliases, wrappers)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == TEXT_MODULE:
            names |= {a.asname or a.name for a in node.names if a.name == "Text"}
    changed = True
    while changed:                       # T = Text, and chains of such
        changed = False
        for node in tree.body:
            if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Name) and node.value.id in names
                    and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                    and node.targets[0].id not in names):
                names.add(node.targets[0].id)
                changed = True
    wrappers = set()
    for node in tree.body:
        if (isinstance(node, ast.FunctionDef) and len(node.body) == 1 and isinstance(node.body[0], ast.Return)
                and isinstance(call := node.body[0].value, ast.Call) and isinstance(call.func, ast.Name)
                and call.func.id in names and len(node.args.args) == 2 and not call.keywords
                and [a.id for a in call.args if isinstance(a, ast.Name)] == [a.arg for a in node.args.args]):
            wrappers.add(node.name)
    return names, wrappers


def _literal(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def literal_pairs(source: str) -> list[Pair]:
    """Every call of a Text alias or wrapper with two string literals (positional, or zh=/en=),
    implicit concatenation included, in source order."""
    tree = ast.parse(source)
    aliases, wrappers = text_aliases(tree)
    callees = aliases | wrappers
    out = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in callees):
            continue
        kw = {k.arg: k.value for k in node.keywords}
        if len(node.args) == 2 and not kw:
            zh_node, en_node = node.args
        elif len(node.args) == 1 and set(kw) == {"en"}:
            zh_node, en_node = node.args[0], kw["en"]
        elif not node.args and set(kw) == {"zh", "en"}:
            zh_node, en_node = kw["zh"], kw["en"]
        else:
            continue
        zh, en = _literal(zh_node), _literal(en_node)
        if zh is not None and en is not None:
            out.append(Pair(zh, en, node, zh_node))
    out.sort(key=lambda p: (p.node.lineno, p.node.col_offset))
    return out
