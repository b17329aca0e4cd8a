"""Loads catalogue files (YAML or JSON) and keeps the last good one."""
from __future__ import annotations

import json
from pathlib import Path

import yaml

from kiosk.domain.catalogue import Catalogue, CatalogueError, parse_catalogue

# libyaml's safe loader when PyYAML was built with it: the same documents, ~7x faster (the
# catalogue's YAML took ~0.2 s of every start in pure Python).
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_catalogue(path: Path) -> Catalogue:
    """Read and validate one file. Raises CatalogueError naming the file, the place and the problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogueError(str(path), "", f"cannot read the file: {exc.strerror or exc}") from None
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.load(text, Loader=_SAFE_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise CatalogueError(str(path), where, f"not valid YAML: {exc.problem}") from None
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise CatalogueError(str(path), "", f"not valid {path.suffix.lstrip('.').upper() or 'YAML'}: {exc}") from None
    return parse_catalogue(data, str(path))


class CatalogueStore:
    """Holds the catalogue in use. A bad new file is refused and the last good one stays."""

    def __init__(self, initial: Catalogue) -> None:
        self.current = initial
        self.last_error: CatalogueError | None = None

    def try_replace(self, path: Path) -> bool:
        try:
            self.current = load_catalogue(path)
            self.last_error = None
            return True
        except CatalogueError as exc:
            self.last_error = exc
            return False
