"""Loads catalogue files (YAML or JSON) and keeps the last good one."""
from __future__ import annotations

from pathlib import Path

from kiosk.domain.catalogue import Catalogue, CatalogueError, parse_catalogue
from kiosk.services import safe_yaml


def load_catalogue(path: Path) -> Catalogue:
    """Read and validate one file. Raises CatalogueError naming the file, the place and the problem."""
    return parse_catalogue(safe_yaml.read_file(Path(path)), str(path))


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
