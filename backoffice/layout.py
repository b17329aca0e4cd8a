"""The one owner of the back office's folder layout, and the place that opens a back office.

    <data-dir>/db/backoffice.sqlite3    the default SQLite database (0600; folder 0700)
    <data-dir>/keys/                    signing and sealing keys for kiosks (0700, files 0600)
    <data-dir>/keys/at-rest.keyring     the key-encryption keys (backoffice/at_rest.py)

The keyring sits outside the database's folder, so a copy or backup of `db/` carries no key;
production should go further and keep it on another volume (`--at-rest-key PATH` or
$ONEVISIT_BACKOFFICE_AT_REST_KEY), backed up separately from the database.

Releases before encryption at rest kept the database at <data-dir>/backoffice.sqlite3 in plain
text: `python -m backoffice migrate` moves it into db/ and seals its rows (README, "Upgrading").
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:   # imported inside open_backoffice at run time: the service imports more than a layout needs
    from backoffice.service import Backoffice

log = logging.getLogger(__name__)

ENV_AT_REST_KEY = "ONEVISIT_BACKOFFICE_AT_REST_KEY"


class LegacyDatabase(Exception):
    """A database from before encryption at rest is where the old release kept it."""


@dataclass(frozen=True)
class BackofficeFolder:
    root: Path
    at_rest_key_path: Path | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))

    @property
    def db_dir(self) -> Path:
        return self.root / "db"

    @property
    def db(self) -> Path:
        return self.db_dir / "backoffice.sqlite3"

    @property
    def legacy_db(self) -> Path:
        return self.root / "backoffice.sqlite3"

    @property
    def keys(self) -> Path:
        return self.root / "keys"

    @property
    def keyring(self) -> Path:
        return self.at_rest_key_path or Path(os.environ.get(ENV_AT_REST_KEY) or self.keys / "at-rest.keyring")

    def default_db_url(self) -> str:
        return f"sqlite:///{self.db.resolve()}"


def open_backoffice(folder: BackofficeFolder, db_url: str | None = None, *, seal_plaintext: bool = False,
                    **kw: Any) -> Backoffice:
    """The back office on `db_url` (default: SQLite in the folder) with its keys and keyring.

    `seal_plaintext` (serve, migrate) seals rows stored in plain text by an older release first.
    Caller's thread; blocks on the database. Raises LegacyDatabase when the default SQLite file
    is still at its pre-encryption place."""
    from backoffice.at_rest import AtRest, Keyring
    from backoffice.db import make_engine
    from backoffice.keys import BackofficeKeys
    from backoffice.migrate import seal_plaintext_rows
    from backoffice.service import Backoffice

    folder.root.mkdir(mode=0o700, parents=True, exist_ok=True)
    if db_url is None:
        if folder.legacy_db.exists() and not folder.db.exists():
            raise LegacyDatabase(f"a database from an earlier release is at {folder.legacy_db}: stop the service and "
                                 f"run `python -m backoffice migrate --data-dir {folder.root}` to move it to "
                                 f"{folder.db} and encrypt its records")
        db_url = folder.default_db_url()
    at_rest = AtRest(Keyring(folder.keyring))
    engine = make_engine(db_url)
    bo = Backoffice(engine, BackofficeKeys.load_or_create(folder.keys), at_rest=at_rest, **kw)
    if seal_plaintext:
        n = seal_plaintext_rows(bo)
        if n:
            log.warning("sealed %d row(s) stored in plain text by an earlier release", n)
    return bo


def move_legacy_database(folder: BackofficeFolder) -> bool:
    """Move <data-dir>/backoffice.sqlite3 (with its -wal and -shm) into db/. The service must
    be stopped. Returns whether there was one to move."""
    if not folder.legacy_db.exists() or folder.db.exists():
        return False
    folder.db_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        src = folder.legacy_db.with_name(folder.legacy_db.name + suffix)
        if src.exists():
            os.chmod(src, 0o600)
            os.replace(src, folder.db.with_name(folder.db.name + suffix))
    return True
