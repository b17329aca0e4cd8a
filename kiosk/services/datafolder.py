"""The one owner of the kiosk's data folder layout: every file the kiosk keeps is named here.

Everything else (the composition root, storage, sync, the command line, the test kit) asks a
`DataFolder` for a path instead of joining names by hand, so moving a file is a one-line change.
The keys in particular are only reachable through `keys`, `storage_key` and `signing_key`: when
they move out of the data folder (so that no export or copy of the folder can carry them), only
`keys` changes.

Pure paths: nothing here touches the disk. Any thread.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class DataFolder:
    """The layout under one kiosk's data folder (`[paths] data_dir`, `--data-dir`)."""

    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))

    # --- the store -------------------------------------------------------------------------
    @property
    def db(self) -> Path:
        """The SQLite database (applications, outbox, sync state); its WAL sits beside it."""
        return self.root / "kiosk.sqlite3"

    # --- secrets: keep every key path behind `keys` -----------------------------------------
    @property
    def keys(self) -> Path:
        """The folder of the kiosk's secret keys (0700, files 0600)."""
        return self.root / "keys"

    @property
    def storage_key(self) -> Path:
        """The AES key the database's records are encrypted with."""
        return self.keys / "storage.key"

    @property
    def signing_key(self) -> Path:
        """The kiosk's Ed25519 key: signs receipts, sync requests and exports."""
        return self.keys / "kiosk_ed25519.key"

    # --- what the kiosk prints ----------------------------------------------------------------
    @property
    def receipts(self) -> Path:
        """Where the simulated printer writes receipt PDFs."""
        return self.root / "receipts"

    # --- catalogues (chosen by kiosk.services.catalogue_store) --------------------------------
    @property
    def last_good_catalogue(self) -> Path:
        """A copy of the last shipped catalogue that loaded, used when the shipped file breaks."""
        return self.root / "catalogue.last-good.yaml"

    @property
    def synced_catalogue(self) -> Path:
        """The newest catalogue the back office signed, exactly the bytes that verified."""
        return self.root / "catalogue.synced.yaml"

    @property
    def synced_catalogue_meta(self) -> Path:
        """Its revision, version and signature (JSON), to verify it again at every start."""
        return self.root / "catalogue.synced.json"

    # --- the back office link -------------------------------------------------------------------
    @property
    def sync_settings(self) -> Path:
        """The enrolment: the back office's URL and pinned public keys (`kiosk sync enrol`)."""
        return self.root / "sync.toml"

    @property
    def demo_backoffice(self) -> Path:
        """The demo's own back office (`--with-backoffice`): its keys and database, in a folder
        beside this one (never inside: the government's data does not sit with the kiosk's). Demo only."""
        root = Path(os.path.abspath(self.root))
        return root.with_name(root.name + "-demo-backoffice")
