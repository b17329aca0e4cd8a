"""Finding Text("中文", "English") pairs written in Python: what scripts/i18n_codemod.py turns into
tr("中文") + an en.po entry, and what tests/unit/test_i18n_catalogues.py allows no more of; and
pairs built from pieces (f-strings), which a tr("…{name}…").format(name=…) template replaces.
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


def _text_calls(tree: ast.Module) -> list[tuple[ast.Call, ast.expr, ast.expr]]:
    """Every call of a Text alias or wrapper with its (zh, en) arguments (positional, or zh=/en=)."""
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
        out.append((node, zh_node, en_node))
    out.sort(key=lambda c: (c[0].lineno, c[0].col_offset))
    return out


def literal_pairs(source: str) -> list[Pair]:
    """Every call of a Text alias or wrapper with two string literals (positional, or zh=/en=),
    implicit concatenation included, in source order."""
    out = []
    for node, zh_node, en_node in _text_calls(ast.parse(source)):
        zh, en = _literal(zh_node), _literal(en_node)
        if zh is not None and en is not None:
            out.append(Pair(zh, en, node, zh_node))
    return out


def _words_and_pieces(node: ast.expr) -> bool:
    """An f-string, or a `+` with a string literal or an f-string on either side: a sentence
    written in the code with values put into it."""
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return any(_literal(side) is not None or _words_and_pieces(side) for side in (node.left, node.right))
    return False


def built_pairs(source: str) -> list[ast.Call]:
    """Every Text call whose Chinese and English are both sentences built in the code from pieces
    (Text(f"共 {n} 份", f"{n} in all"), Text("打印机：" + x.zh, "Printer: " + x.en)): what a
    tr("共 {n} 份").format(n=n) template says instead, so that a further language translates it."""
    return [node for node, zh_node, en_node in _text_calls(ast.parse(source))
            if _words_and_pieces(zh_node) and _words_and_pieces(en_node)]
