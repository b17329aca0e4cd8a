"""Sync settings: where the back office is, its pinned public keys, batch size, back-off and the
freeze limits. Read from the [sync] section of the kiosk configuration, then the enrolment in
the data folder's sync settings file (written by `kiosk sync enrol`), then ONEVISIT_SYNC_<KEY>
environment variables."""
from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from kiosk.services.atomic import atomic_write
from kiosk.services.datafolder import DataFolder
from kiosk.services.sync import protocol as proto

ENV_PREFIX = "ONEVISIT_SYNC_"
ENROLMENT_KEYS = ("url", "backoffice_signing_key", "backoffice_encryption_key", "enrolled_at")


@dataclass(frozen=True)
class SyncSettings:
    url: str = ""                            # the back office, e.g. http://127.0.0.1:8750
    backoffice_signing_key: str = ""         # its Ed25519 public key (base64): answers, catalogues
    backoffice_encryption_key: str = ""      # its X25519 public key (base64): sealed applications
    enrolled_at: str = ""                    # when `kiosk sync enrol` ran (ISO time)
    batch_size: int = 100                    # applications per upload request ...
    batch_max_bytes: int = 1_000_000         # ... and at most about this many bytes of records (photos)
    interval_seconds: float = 60.0           # idle poll for status changes and catalogue
    backoff_base_seconds: float = 2.0        # first retry after a network error ...
    backoff_max_seconds: float = 300.0       # ... doubling up to this, with jitter
    request_timeout_seconds: float = 20.0    # every HTTP call
    freeze_after_days: float = 7.0           # no contact (nor export) for this long: freeze
    freeze_after_pending: int = 500          # more than this many neither sent nor exported: freeze
    retention_days: float = 30.0             # delete what the back office confirmed this long ago

    @property
    def configured(self) -> bool:
        return bool(self.url and self.backoffice_signing_key and self.backoffice_encryption_key)

    def signing_public(self) -> Ed25519PublicKey:
        return proto.ed25519_public_from_text(self.backoffice_signing_key)

    def encryption_public(self) -> X25519PublicKey:
        return proto.x25519_public_from_text(self.backoffice_encryption_key)


class SyncSettingsError(ValueError):
    pass


def _coerce(name: str, value: Any, like: Any) -> Any:
    try:
        if isinstance(like, int) and not isinstance(like, bool):
            return int(value)
        if isinstance(like, float):
            return float(value)
    except (TypeError, ValueError):
        raise SyncSettingsError(f"sync.{name}: expected a number, got {value!r}") from None
    return str(value)


def load_sync_settings(data_dir: Path, env: Mapping[str, str] | None = None,
                       base: SyncSettings | None = None) -> SyncSettings:
    """`base` (the [sync] section of the kiosk configuration; the defaults without one), then
    the enrolment in the data folder's sync.toml, then ONEVISIT_SYNC_<KEY> environment variables.
    Unknown keys are errors. Any thread; reads one small file."""
    env = os.environ if env is None else env
    defaults = base or SyncSettings()
    known = {f.name: getattr(defaults, f.name) for f in fields(SyncSettings)}
    values: dict[str, Any] = {}
    path = DataFolder(data_dir).sync_settings
    if path.exists():
        try:
            raw = tomllib.loads(path.read_text("utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise SyncSettingsError(f"{path}: not valid TOML: {exc}") from None
        for k, v in raw.items():
            if k not in known:
                raise SyncSettingsError(f"{path}: unknown key {k!r}")
            values[k] = _coerce(k, v, known[k])
    for k in known:
        if ENV_PREFIX + k.upper() in env:
            values[k] = _coerce(k, env[ENV_PREFIX + k.upper()], known[k])
    settings = replace(defaults, **values)
    if settings.batch_size < 1 or settings.backoff_base_seconds <= 0 or settings.request_timeout_seconds <= 0:
        raise SyncSettingsError("sync: batch_size, backoff_base_seconds and request_timeout_seconds must be positive")
    if settings.retention_days < 0:
        raise SyncSettingsError("sync: retention_days must be 0 or more")
    return settings


def settings_for(config: Any, env: Mapping[str, str] | None = None) -> SyncSettings:
    """The sync settings of a kiosk configuration (kiosk.config.Config): its [sync] section and
    the enrolment in its data folder."""
    base = replace(SyncSettings(), **{f.name: getattr(config.sync, f.name) for f in fields(config.sync)})
    return load_sync_settings(config.data_dir, env, base)


def save_sync_settings(data_dir: Path, settings: SyncSettings) -> Path:
    """Write the enrolment (the back office's URL and pinned public keys: nothing secret), and
    any other setting that differs from the defaults, to the data folder's sync.toml atomically."""
    path = DataFolder(data_dir).sync_settings
    path.parent.mkdir(parents=True, exist_ok=True)
    defaults = asdict(SyncSettings())
    lines = ["# The back office this kiosk sends to: written by `kiosk sync enrol` (README \"Sync and the back office\")."]
    for k, v in asdict(settings).items():
        if k in ENROLMENT_KEYS or v != defaults[k]:
            lines.append(f"{k} = {json.dumps(v)}")
    atomic_write(path, ("\n".join(lines) + "\n").encode())
    return path
