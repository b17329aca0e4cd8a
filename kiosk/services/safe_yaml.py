"""Reads catalogue files (YAML or JSON) with limits, so a hostile or broken file is refused
quickly with a CatalogueError instead of taking the kiosk's memory, time or stack.

Limits, all checked before the data is used: the file's size (before parsing), how deeply it
nests (while composing, before Python's own recursion limit could be hit), and how many values it
holds once YAML aliases are expanded (a few anchors referring to each other, the "billion laughs",
would otherwise make the schema check walk billions of values). Aliases stay allowed within that
bound: the catalogue reuses choice lists with them.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from kiosk.domain.catalogue import CatalogueError

MAX_BYTES = 1 << 20       # 1 MiB; the shipped catalogue is about 90 KB
MAX_DEPTH = 32            # the shipped catalogue nests 8 deep
MAX_VALUES = 50_000       # scalars, lists and mappings after expanding aliases; the shipped one has about 7,000


class _TooBig(Exception):
    """args: (problem, the YAML mark where it was found)."""


class _Limits(Composer):
    """PyYAML's composer recurses once per nesting level: stop before Python's stack does, and
    stop composing (the slow, Python part of loading) at MAX_VALUES nodes."""

    _depth = 0
    _count = 0
    peek_event: Callable[[], Any]      # from the parser it is mixed with

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        self._count += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _TooBig(f"nested more than {MAX_DEPTH} levels deep", self.peek_event().start_mark)
            if self._count > MAX_VALUES:
                raise _TooBig(f"more than {MAX_VALUES:,} values", self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _PureLoader(_Limits, yaml.SafeLoader):
    """Safe types only, pure Python."""


if getattr(yaml, "__with_libyaml__", False):
    from yaml._yaml import CParser

    class _FastLoader(_Limits, CParser, SafeConstructor, Resolver):
        """libyaml's scanner and parser (several times faster), with PyYAML's Python composer on
        top so the limits apply; libyaml's own composer has none."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            Composer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)

    LOADERS: tuple[type, ...] = (_FastLoader, _PureLoader)
else:  # pragma: no cover - every supported platform ships libyaml with PyYAML's wheels
    LOADERS = (_PureLoader,)


def _check_shape(data: Any, source: str) -> None:
    """Walk the data as the schema check will, stopping at MAX_VALUES (so an alias bomb or a
    self-referring alias costs at most MAX_VALUES steps here)."""
    count, todo = 0, [(data, 1)]
    while todo:
        value, depth = todo.pop()
        count += 1
        if count > MAX_VALUES:
            raise CatalogueError(source, "", f"more than {MAX_VALUES:,} values (counting what YAML aliases repeat)")
        if depth > MAX_DEPTH:
            raise CatalogueError(source, "", f"nested more than {MAX_DEPTH} levels deep")
        if isinstance(value, dict):
            todo.extend((v, depth + 1) for kv in value.items() for v in kv)
        elif isinstance(value, list):
            todo.extend((v, depth + 1) for v in value)


def parse_text(content: bytes | str, source: str, *, is_json: bool = False, loader: type | None = None) -> Any:
    """Parse a catalogue's text (YAML unless is_json) within the limits; the data, not yet validated.

    Runs on the caller's thread; CPU only, bounded by MAX_BYTES. Raises CatalogueError."""
    if len(content) > MAX_BYTES:
        raise CatalogueError(source, "", f"the file is larger than {MAX_BYTES:,} bytes")
    try:
        text = content.decode("utf-8") if isinstance(content, bytes) else content
    except UnicodeDecodeError as exc:
        raise CatalogueError(source, "", f"not UTF-8 text (byte {exc.start})") from None
    if is_json:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CatalogueError(source, f"line {exc.lineno}, column {exc.colno}", f"not valid JSON: {exc.msg}") from None
        except RecursionError:
            raise CatalogueError(source, "", f"nested more than {MAX_DEPTH} levels deep") from None
    else:
        data = _load_yaml(text, source, loader or LOADERS[0])
    _check_shape(data, source)
    return data


def _where(mark: Any) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""


def _load_yaml(text: str, source: str, loader_class: type) -> Any:
    loader = loader_class(text)
    try:
        return loader.get_single_data()
    except _TooBig as exc:
        raise CatalogueError(source, _where(exc.args[1]), exc.args[0]) from None
    except yaml.MarkedYAMLError as exc:
        raise CatalogueError(source, _where(exc.problem_mark), f"not valid YAML: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise CatalogueError(source, "", f"not valid YAML: {exc}") from None
    except (ValueError, TypeError, OverflowError) as exc:
        # The safe constructor's own conversions: a timestamp such as 2026-13-45, an integer of
        # more than 4,300 digits, an unhashable mapping key.
        raise CatalogueError(source, "", f"not valid YAML: {type(exc).__name__}: {str(exc)[:200]}") from None
    finally:
        loader.dispose()


def read_bytes(path: Path) -> bytes:
    """A catalogue file's bytes, reading no more than MAX_BYTES + 1 (enough to refuse a bigger
    one). Runs on the caller's thread; blocks on the read. Raises CatalogueError naming the file."""
    try:
        with Path(path).open("rb") as f:
            return f.read(MAX_BYTES + 1)
    except OSError as exc:
        raise CatalogueError(str(path), "", f"cannot read the file: {exc.strerror or exc}") from None


def read_file(path: Path) -> Any:
    """Read and parse one catalogue file (JSON when it ends in .json) within the limits.

    Runs on the caller's thread (start-up, the CLI, the catalogue store). Raises CatalogueError."""
    path = Path(path)
    return parse_text(read_bytes(path), str(path), is_json=path.suffix.lower() == ".json")
