"""The one owner of the kiosk's data folder layout: every file the kiosk keeps is named here.

Everything else (the composition root, storage, sync, the command line, the test kit) asks a
`DataFolder` for a path instead of joining names by hand, so moving a file is a one-line change.
The keys are only reachable through `keys`, `storage_key`, `signing_key` and `receipt_key`, and they live
OUTSIDE the data folder (`[paths] keys_dir`; by default the sibling folder <data-dir>.keys): a
copy of the data folder, or an export pointed into it, never carries or reaches them.
kiosk/services/keystore.py moves keys from the old place (<data-dir>/keys) at start.

Pure paths: nothing here touches the disk. Any thread.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class DataFolder:
    """The layout under one kiosk's data folder (`[paths] data_dir`, `--data-dir`), and where
    its keys are (`keys_root`, `[paths] keys_dir`; None: the sibling <data-dir>.keys)."""

    root: Path
    keys_root: Path | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))
        if self.keys_root is not None:
            object.__setattr__(self, "keys_root", Path(self.keys_root))

    @classmethod
    def for_config(cls, config: Any) -> DataFolder:
        """The layout of a kiosk configuration (kiosk.config.Config): its data and keys folders."""
        return cls(config.data_dir, config.keys_dir)

    # --- the store -------------------------------------------------------------------------
    @property
    def db(self) -> Path:
        """The SQLite database (applications, outbox, sync state); its WAL sits beside it."""
        return self.root / "kiosk.sqlite3"

    # --- secrets: keep every key path behind `keys` -----------------------------------------
    @property
    def keys(self) -> Path:
        """The folder of the kiosk's secret keys (0700, files 0600), outside the data folder."""
        if self.keys_root is not None:
            return self.keys_root
        root = self.root if self.root.name else self.root.absolute()
        if not root.name:
            raise ValueError("the data folder cannot be the file system's root")
        return root.with_name(root.name + ".keys")

    @property
    def legacy_keys(self) -> Path:
        """Where keys were kept before they moved out of the data folder (read only to move them)."""
        return self.root / "keys"

    @property
    def storage_key(self) -> Path:
        """The AES key the database's records are encrypted with."""
        return self.keys / "storage.key"

    @property
    def signing_key(self) -> Path:
        """The kiosk's Ed25519 key: signs receipts, sync requests and exports."""
        return self.keys / "kiosk_ed25519.key"

    @property
    def receipt_key(self) -> Path:
        """The kiosk's receipt-signing Ed25519 key: signs only receipt QR codes (not sync), so
        that the back office can publish and revoke it on its own (docs/security.md "Receipt QR")."""
        return self.keys / "kiosk_receipt_ed25519.key"

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

    @property
    def receipt_trust_list(self) -> Path:
        """The last receipt-key trust list the back office signed, exactly the bytes that verified."""
        return self.root / "receipt-trust-list.json"

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
