"""Sync with the back office: every application the citizen got a receipt for reaches the back
office exactly once, and the citizen never waits for it.

Pieces (no Qt here; the GUI only calls `SyncWorker.start/stop/sync_now/snapshot` and
`freeze_state`):

  SyncSettings   where the back office is, its pinned public keys, batch size, back-off and the
                 freeze limits; read from <data-dir>/sync.toml (written by `kiosk sync enrol`)
                 and ONEVISIT_SYNC_<KEY> environment variables.
  SyncClient     signed HTTP requests (kiosk/services/sync_protocol.py) with a timeout on every
                 call; an answer counts only if the back office signed it for this request.
  Syncer         one step at a time on one Storage connection: upload a batch of pending
                 applications (sealed for the back office), pull status changes and the newest
                 signed catalogue, export pending applications to a hand-carry folder.
  SyncWorker     the "sync" thread: opens its OWN Storage, uploads until nothing is pending,
                 backs off exponentially with jitter on network errors, wakes on `sync_now`,
                 and stops within `stop(deadline)`.

Exactly once: the outbox row of an application is deleted only in the transaction that records
the back office's answer, so a crash anywhere leaves it pending and it is sent again; the back
office answers a resend of the same content "duplicate", which counts as success here.
"""
from __future__ import annotations

import json
import logging
import os
import random
import threading
import time
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from kiosk.domain.text import Text
from kiosk.services import sync_protocol as proto
from kiosk.services.storage import Storage, SyncCounts

log = logging.getLogger(__name__)

SETTINGS_FILE = "sync.toml"
SYNCED_CATALOGUE = "catalogue.synced.yaml"
SYNCED_CATALOGUE_META = "catalogue.synced.json"
ENV_PREFIX = "ONEVISIT_SYNC_"
THREAD_NAME = "sync"


# --- settings -------------------------------------------------------------------------------
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


ENROLMENT_KEYS = ("url", "backoffice_signing_key", "backoffice_encryption_key", "enrolled_at")


def load_sync_settings(data_dir: Path, env: Mapping[str, str] | None = None,
                       base: SyncSettings | None = None) -> SyncSettings:
    """`base` (the [sync] section of the kiosk configuration; the defaults without one), then
    the enrolment in <data-dir>/sync.toml, then ONEVISIT_SYNC_<KEY> environment variables.
    Unknown keys are errors. Any thread; reads one small file."""
    env = os.environ if env is None else env
    defaults = base or SyncSettings()
    known = {f.name: getattr(defaults, f.name) for f in fields(SyncSettings)}
    values: dict[str, Any] = {}
    path = Path(data_dir) / SETTINGS_FILE
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
    return settings


def settings_for(config: Any, env: Mapping[str, str] | None = None) -> SyncSettings:
    """The sync settings of a kiosk configuration (kiosk.config.Config): its [sync] section and
    the enrolment in its data folder."""
    base = replace(SyncSettings(), **{f.name: getattr(config.sync, f.name) for f in fields(config.sync)})
    return load_sync_settings(config.data_dir, env, base)


def save_sync_settings(data_dir: Path, settings: SyncSettings) -> Path:
    """Write the enrolment (the back office's URL and pinned public keys: nothing secret), and
    any other setting that differs from the defaults, to <data-dir>/sync.toml atomically."""
    path = Path(data_dir) / SETTINGS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    defaults = asdict(SyncSettings())
    lines = ["# The back office this kiosk sends to: written by `kiosk sync enrol` (README \"Sync and the back office\")."]
    for k, v in asdict(settings).items():
        if k in ENROLMENT_KEYS or v != defaults[k]:
            lines.append(f"{k} = {json.dumps(v)}")
    _atomic_write(path, ("\n".join(lines) + "\n").encode())
    return path


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# --- freeze rules (MOSIP-like) ----------------------------------------------------------------
@dataclass(frozen=True)
class FreezeState:
    frozen: bool
    reasons: tuple[Text, ...] = ()


FROZEN_DAYS = Text("已有 {days} 天未与后台同步（上限 {limit} 天），暂停受理新申请。请恢复网络连接，或用“kiosk sync export”导出待同步申请送交后台。",
                   "Nothing has reached the back office for {days} days (limit {limit}); new applications are "
                   "paused. Restore the connection, or hand-carry an export (kiosk sync export).")
FROZEN_PENDING = Text("有 {n} 份申请尚未送达后台（上限 {limit} 份），暂停受理新申请，直到它们上传或导出。",
                      "{n} applications have not reached the back office (limit {limit}); new applications are "
                      "paused until they are uploaded or exported.")


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def freeze_check(counts: SyncCounts, settings: SyncSettings, *, last_contact: datetime | None,
                 last_export: datetime | None, now: datetime) -> FreezeState:
    """Pure rule. Frozen when no contact with the back office and no hand-carry export for
    `freeze_after_days`, or when more than `freeze_after_pending` applications are neither sent
    nor exported. A kiosk with no back office configured (the demo) is never frozen."""
    if not settings.configured:
        return FreezeState(False)
    reasons = []
    refs = [t for t in (last_contact, last_export, _parse_time(settings.enrolled_at)) if t is not None]
    if refs and settings.freeze_after_days > 0:
        days = (now - max(refs)).total_seconds() / 86400
        if days >= settings.freeze_after_days:
            reasons.append(FROZEN_DAYS.format(days=int(days), limit=f"{settings.freeze_after_days:g}"))
    if settings.freeze_after_pending >= 0 and counts.not_exported > settings.freeze_after_pending:
        reasons.append(FROZEN_PENDING.format(n=counts.not_exported, limit=settings.freeze_after_pending))
    return FreezeState(bool(reasons), tuple(reasons))


def freeze_state(storage: Storage, settings: SyncSettings, now: datetime | None = None) -> FreezeState:
    """The freeze rule on the store's current numbers. Call before starting a new session."""
    return freeze_check(storage.sync_counts(), settings,
                        last_contact=_parse_time(storage.get_meta("sync.last_contact_at")),
                        last_export=_parse_time(storage.get_meta("sync.last_export_at")),
                        now=now or datetime.now())


# --- back-off ---------------------------------------------------------------------------------
def backoff_delay(failures: int, base: float, cap: float, rng: random.Random) -> float:
    """Exponential back-off with "equal jitter": in [d/2, d] where d = min(cap, base * 2^(n-1))."""
    if failures <= 0:
        return 0.0
    d = min(cap, base * (2 ** min(failures - 1, 30)))
    return rng.uniform(d / 2, d)


# --- the HTTP client ----------------------------------------------------------------------------
class TransientSyncError(Exception):
    """Network error, timeout, 5xx, garbage, or an answer the back office did not sign: retry later."""


class RefusedSyncError(TransientSyncError):
    """The back office refused the kiosk (401/403): enrolment, key or clock. Staff must look;
    the worker keeps retrying with back-off."""


class CatalogueRefused(Exception):
    """A catalogue from the back office that does not verify or does not parse; the old one stays."""


class SyncClient:
    """Signed requests to the back office. One thread at a time (the sync thread)."""

    def __init__(self, base_url: str, kiosk_id: str, signing_key: Ed25519PrivateKey,
                 backoffice_key: Ed25519PublicKey, timeout: float = 20.0,
                 wall_clock: Callable[[], float] = time.time) -> None:
        self.kiosk_id = kiosk_id
        self._key = signing_key
        self._backoffice = backoffice_key
        self._clock = wall_clock
        self._http = httpx.Client(base_url=base_url.rstrip("/"), trust_env=False,
                                  timeout=httpx.Timeout(timeout, connect=min(5.0, timeout)))

    def close(self) -> None:
        self._http.close()

    def call(self, method: str, target: str, payload: Any = None) -> Any:
        body = proto.canonical_json(payload) if payload is not None else b""
        headers = proto.sign_request(self._key, method, target, self.kiosk_id, body, int(self._clock()))
        if payload is not None:
            headers["Content-Type"] = "application/json"
        try:
            r = self._http.request(method, target, content=body, headers=headers)
        except httpx.HTTPError as exc:   # connect refused, reset, timeout, not HTTP at all
            raise TransientSyncError(f"network: {type(exc).__name__}") from None
        if r.status_code in (401, 403):
            raise RefusedSyncError(f"refused by the back office (HTTP {r.status_code}): {_detail(r)}")
        if not 200 <= r.status_code < 300:
            raise TransientSyncError(f"HTTP {r.status_code}")
        signature = r.headers.get(proto.H_RESPONSE_SIGNATURE, "")
        if not proto.verify_response(self._backoffice, headers[proto.H_NONCE], r.status_code, r.content, signature):
            raise TransientSyncError("an answer not signed by the back office")
        try:
            return json.loads(r.content)
        except ValueError:
            raise TransientSyncError("a garbled answer") from None


def _detail(r: httpx.Response) -> str:
    try:
        return str(r.json().get("detail", ""))[:120]
    except Exception:  # noqa: BLE001 - any unparsable body
        return ""


# --- one step at a time ---------------------------------------------------------------------
@dataclass
class BatchReport:
    sent: int = 0
    created: int = 0
    duplicate: int = 0
    conflict: int = 0
    rejected: int = 0
    more: bool = False           # a full batch went: there may be more due now

    @property
    def acknowledged(self) -> int:
        return self.created + self.duplicate + self.conflict


@dataclass
class DrainReport:
    batches: int = 0
    created: int = 0
    duplicate: int = 0
    conflict: int = 0
    rejected: int = 0
    errors: int = 0
    remaining: int = 0
    last_error: str | None = None
    seconds: float = 0.0

    def add(self, b: BatchReport) -> None:
        self.batches += 1
        self.created += b.created
        self.duplicate += b.duplicate
        self.conflict += b.conflict
        self.rejected += b.rejected

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class ExportReport:
    path: Path | None
    count: int


class Syncer:
    """The sync steps on one Storage connection. Every method runs on the thread that opened that
    connection (the "sync" thread, or the main thread of `kiosk sync now`) and may block on
    SQLite (its busy timeout) and on one HTTP call at a time (`request_timeout_seconds`)."""

    def __init__(self, storage: Storage, client: SyncClient, settings: SyncSettings, *, data_dir: Path | None = None,
                 clock: Callable[[], datetime] = datetime.now, rng: random.Random | None = None,
                 on_catalogue: Callable[[Path, Any], None] | None = None,
                 on_progress: Callable[[str, int], None] | None = None) -> None:
        self.storage = storage
        self.client = client
        self.settings = settings
        self.data_dir = Path(data_dir) if data_dir else None
        self._clock = clock
        self._rng = rng or random.Random()
        self._recipient = settings.encryption_public()
        self._backoffice = settings.signing_public()
        self._on_catalogue = on_catalogue
        self._on_progress = on_progress or (lambda stage, n: None)   # ("sending", n), ("recorded", n)
        self._error_recorded = True    # unknown at start: look once

    # uploads -------------------------------------------------------------------------------
    def upload_batch(self) -> BatchReport:
        """Send one batch of due applications; record each answer. Raises TransientSyncError
        (nothing recorded then: the batch stays pending and is sent again)."""
        now = self._clock()
        pending = self.storage.pending_records(self.settings.batch_size, now)
        more = len(pending) >= self.settings.batch_size
        size = 0
        for i, p in enumerate(pending):          # keep each request (and the kiosk's memory) small
            size += len(p.record)
            if i and size > self.settings.batch_max_bytes:
                del pending[i:]
                more = True
                break
        report = BatchReport(sent=len(pending), more=more)
        if not pending:
            return report
        envelopes = [proto.seal_envelope(self._recipient, p.number, p.record) for p in pending]
        del pending[:]   # plaintext records: drop them as soon as they are sealed
        self._on_progress("sending", len(envelopes))
        answer = self.client.call("POST", "/v1/applications/batch", {"applications": envelopes})
        results = answer.get("results") if isinstance(answer, dict) else None
        if not isinstance(results, list):
            raise TransientSyncError("an answer without results")
        by_number = {r.get("number"): r for r in results if isinstance(r, dict)}
        done: list[tuple[str, str]] = []
        rejected: dict[str, str] = {}
        for env in envelopes:
            r = by_number.get(env["number"])
            outcome = r.get("result") if r else None
            if outcome in ("created", "duplicate", "conflict"):
                done.append((env["number"], outcome))
                setattr(report, outcome, getattr(report, outcome) + 1)
            else:
                rejected[env["number"]] = str((r or {}).get("detail") or "no answer for this application")[:200]
        when = self._clock()
        if done:
            self.storage.mark_synced(done, when)     # also records the contact time
            self._on_progress("recorded", len(done))
        if rejected:
            report.rejected = len(rejected)
            log.warning("back office refused %d application(s), e.g. %s", len(rejected), next(iter(rejected.values())))
            # Each refused application waits by its own back-off so it cannot block the rest.
            for attempts, group in _group_by_attempts(self.storage, list(rejected)).items():
                delay = backoff_delay(attempts + 1, self.settings.backoff_base_seconds,
                                      self.settings.backoff_max_seconds, self._rng)
                self.storage.mark_attempt_failed(group, "refused: " + rejected[group[0]], when + timedelta(seconds=delay))
        if report.conflict:
            log.warning("%d application(s) differ from the back office's copy; kept there for review", report.conflict)
        return report

    def drain(self, deadline: float, stop: threading.Event | None = None) -> DrainReport:
        """Upload until nothing is due or `deadline` (monotonic) passes, backing off on errors."""
        t0 = time.monotonic()
        report = DrainReport()
        failures = 0
        stop = stop or threading.Event()
        while time.monotonic() < deadline and not stop.is_set():
            try:
                b = self.upload_batch()
            except TransientSyncError as exc:
                failures += 1
                report.errors += 1
                report.last_error = str(exc)
                self.record_error(str(exc))
                delay = backoff_delay(failures, self.settings.backoff_base_seconds, self.settings.backoff_max_seconds,
                                      self._rng)
                stop.wait(max(0.0, min(delay, deadline - time.monotonic())))
                continue
            failures = 0
            report.add(b)
            if not b.more:
                break
        self.clear_error()
        report.remaining = self.storage.sync_counts().pending
        report.seconds = time.monotonic() - t0
        return report

    def record_error(self, message: str) -> None:
        self.storage.set_meta("sync.last_error", f"{self._clock().replace(microsecond=0).isoformat()} {message}"[:240])
        self._error_recorded = True

    def clear_error(self) -> None:
        if self._error_recorded and self.storage.get_meta("sync.last_error") is not None:
            self.storage.set_meta("sync.last_error", None)
        self._error_recorded = False

    # pulls ----------------------------------------------------------------------------------
    def pull_status(self, page: int = 500, max_pages: int = 20) -> int:
        """Fetch status changes for this kiosk's applications since the stored cursor."""
        cursor = int(self.storage.get_meta("sync.status_cursor") or 0)
        total = 0
        for _ in range(max_pages):
            answer = self.client.call("GET", f"/v1/status-changes?after={cursor}&limit={page}")
            try:
                changes = [(str(c["number"]), str(c["item_id"]), str(c["status"]), str(c["changed_at"]), int(c["id"]))
                           for c in answer["changes"]]
                nxt = int(answer["next"])
            except (KeyError, TypeError, ValueError):
                raise TransientSyncError("a garbled status answer") from None
            if nxt < cursor:
                raise TransientSyncError("the status cursor went backwards")
            if changes or nxt != cursor:
                self.storage.apply_status_changes(changes, nxt)
            self.storage.set_meta("sync.last_contact_at", self._clock().isoformat())
            total += len(changes)
            cursor = nxt
            if len(changes) < page:
                break
        return total

    def pull_catalogue(self) -> int | None:
        """Fetch the back office's current catalogue if it is newer than ours; verify its
        signature, that it parses, and keep it as <data-dir>/catalogue.synced.yaml. Returns the
        new revision, None if unchanged; raises CatalogueRefused for a bad one (ours stays)."""
        have = int(self.storage.get_meta("sync.catalogue_revision") or 0)
        answer = self.client.call("GET", f"/v1/catalogue?have={have}")
        self.storage.set_meta("sync.last_contact_at", self._clock().isoformat())
        if not isinstance(answer, dict) or answer.get("unchanged"):
            return None
        try:
            revision, version, signature = int(answer["revision"]), str(answer["version"]), str(answer["signature"])
            content = str(answer["content"]).encode()
        except (KeyError, TypeError, ValueError):
            raise CatalogueRefused("malformed catalogue answer") from None
        if revision <= have:
            raise CatalogueRefused(f"revision {revision} is not newer than ours ({have})")
        if not proto.verify_catalogue(self._backoffice, revision, version, content, signature):
            self.storage.set_meta("sync.catalogue_error", f"revision {revision}: bad signature")
            raise CatalogueRefused(f"catalogue revision {revision}: the signature does not verify")
        catalogue = _parse_catalogue_bytes(content, f"back office catalogue revision {revision}", version)
        if self.data_dir is not None:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            _atomic_write(self.data_dir / SYNCED_CATALOGUE, content)
            _atomic_write(self.data_dir / SYNCED_CATALOGUE_META, proto.canonical_json(
                {"revision": revision, "version": version, "signature": signature}))
        self.storage.set_meta("sync.catalogue_revision", str(revision))
        self.storage.set_meta("sync.catalogue_error", None)
        log.info("catalogue revision %d (version %s) received and verified", revision, version)
        if self._on_catalogue is not None and self.data_dir is not None:
            self._on_catalogue(self.data_dir / SYNCED_CATALOGUE, catalogue)
        return revision


def _group_by_attempts(storage: Storage, numbers: list[str]) -> dict[int, list[str]]:
    groups: dict[int, list[str]] = {}
    for number, attempts in storage.outbox_attempts(numbers):
        groups.setdefault(attempts, []).append(number)
    return groups


def _parse_catalogue_bytes(content: bytes, source: str, version: str) -> Any:
    import yaml

    from kiosk.domain.catalogue import CatalogueError, parse_catalogue
    try:
        catalogue = parse_catalogue(yaml.safe_load(content.decode("utf-8")), source)
    except (CatalogueError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise CatalogueRefused(f"{source} does not parse: {exc}") from None
    if catalogue.version != version:
        raise CatalogueRefused(f"{source}: says version {catalogue.version!r}, signed as {version!r}")
    return catalogue


def load_synced_catalogue(data_dir: Path, settings: SyncSettings) -> tuple[Any, int] | None:
    """The catalogue last received from the back office, re-verified against its signature;
    None when there is none or it does not verify (then use the configured one)."""
    data_dir = Path(data_dir)
    content_path, meta_path = data_dir / SYNCED_CATALOGUE, data_dir / SYNCED_CATALOGUE_META
    if not settings.configured or not content_path.exists() or not meta_path.exists():
        return None
    try:
        meta = json.loads(meta_path.read_bytes())
        content = content_path.read_bytes()
        if not proto.verify_catalogue(settings.signing_public(), int(meta["revision"]), str(meta["version"]),
                                      content, str(meta["signature"])):
            log.error("the synced catalogue does not verify; using the configured one")
            return None
        return _parse_catalogue_bytes(content, str(content_path), str(meta["version"])), int(meta["revision"])
    except (OSError, ValueError, KeyError, TypeError, CatalogueRefused, proto.ProtocolError) as exc:
        log.error("the synced catalogue is unusable (%s); using the configured one", type(exc).__name__)
        return None


# --- hand-carry export ------------------------------------------------------------------------
def export_pending(storage: Storage, folder: Path, settings: SyncSettings, kiosk_id: str,
                   signing_key: Ed25519PrivateKey, *, include_exported: bool = False,
                   clock: Callable[[], datetime] = datetime.now, chunk: int = 200) -> ExportReport:
    """Write the pending applications, each sealed for the back office, into one signed file in
    `folder` (a USB stick): <folder>/onevisit-<kiosk>-<time>.export.jsonl. The file is written
    to a temporary name, fsynced and renamed, then the applications are marked exported (they
    stay pending until the back office acknowledges them online; a re-import is harmless)."""
    recipient = settings.encryption_public()
    numbers = storage.pending_numbers(exported=None if include_exported else False)
    if not numbers:
        return ExportReport(None, 0)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    now = clock().replace(microsecond=0)
    name = f"onevisit-{kiosk_id}-{now:%Y%m%d%H%M%S}{proto.EXPORT_SUFFIX}"
    final = folder / name
    n = 1
    while final.exists():
        final = folder / name.replace(proto.EXPORT_SUFFIX, f"-{n}{proto.EXPORT_SUFFIX}")
        n += 1
    tmp = folder / f".{final.name}.tmp"
    import hashlib
    digest = hashlib.sha256()
    with open(tmp, "wb") as f:
        def put(obj: Any) -> None:
            line = proto.canonical_json(obj) + b"\n"
            digest.update(line)
            f.write(line)

        put({"format": proto.EXPORT_FORMAT, "v": 1, "kiosk_id": kiosk_id, "created_at": now.isoformat(),
             "count": len(numbers)})
        for i in range(0, len(numbers), chunk):
            for rec in storage.records_for(numbers[i:i + chunk]):
                put(proto.seal_envelope(recipient, rec.number, rec.record))
        sha = digest.hexdigest()
        f.write(proto.canonical_json({"trailer": True, "count": len(numbers), "sha256": sha,
                                      "signature": proto.b64e(signing_key.sign(proto.export_message(kiosk_id, sha, len(numbers))))})
                + b"\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, final)
    _fsync_dir(folder)
    storage.mark_exported(numbers, clock())
    log.info("exported %d pending application(s) to %s", len(numbers), final.name)
    return ExportReport(final, len(numbers))


# --- the thread -------------------------------------------------------------------------------
@dataclass(frozen=True)
class SyncSnapshot:
    state: str                    # "starting" | "idle" | "uploading" | "backing-off" | "stopped" | "not-configured"
    consecutive_failures: int = 0
    last_error: str | None = None
    last_success: float | None = None     # time.time() of the last acknowledged batch or pull
    uploaded: int = 0                     # acknowledged by the back office since start
    catalogue_error: str | None = None


@dataclass
class _Shared:
    state: str = "starting"
    failures: int = 0
    last_error: str | None = None
    last_success: float | None = None
    uploaded: int = 0
    catalogue_error: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


class SyncWorker:
    """The sync thread. `start`, `sync_now`, `nudge`, `snapshot` and `stop` may be called from
    any thread and never block (except `stop`, which joins within its deadline).

    The thread (named "sync") opens its own Storage connection, uploads while anything is due,
    pulls status changes and the catalogue every `interval_seconds`, and after a network error
    waits `backoff_delay(...)` before the next try. After every round it re-evaluates the
    freeze rule and calls `on_freeze(FreezeState)` when the answer changed (on the sync thread:
    the listener must hand it on, e.g. to the GUI thread, and return at once). Every wait is an
    Event wait with a timeout; an HTTP call in flight ends within the request timeout."""

    def __init__(self, *, open_storage: Callable[[], Storage], make_client: Callable[[], SyncClient],
                 settings: SyncSettings, data_dir: Path | None = None, clock: Callable[[], datetime] = datetime.now,
                 rng: random.Random | None = None, on_catalogue: Callable[[Path, Any], None] | None = None,
                 on_change: Callable[[SyncSnapshot], None] | None = None,
                 on_progress: Callable[[str, int], None] | None = None,
                 on_freeze: Callable[[FreezeState], None] | None = None,
                 on_backlog: Callable[[int, str | None], None] | None = None) -> None:
        self._open_storage = open_storage
        self._make_client = make_client
        self.settings = settings
        self._data_dir = data_dir
        self._clock = clock
        self._rng = rng or random.Random()
        self._on_catalogue = on_catalogue
        self._on_change = on_change
        self._on_progress = on_progress
        self._on_freeze = on_freeze
        self._last_freeze: FreezeState | None = None
        self._on_backlog = on_backlog          # (pending, oldest enqueued_at) for the staff line
        self._last_backlog: tuple[int, str | None] | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._force = threading.Event()      # sync_now: try at once even while backing off
        self._shared = _Shared()
        self._thread = threading.Thread(target=self._run, name=THREAD_NAME, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def sync_now(self) -> None:
        """Try at once (resets the back-off). Never blocks."""
        with self._shared.lock:
            self._shared.failures = 0
        self._force.set()
        self._wake.set()

    def nudge(self) -> None:
        """Something new is pending (a citizen just submitted): upload soon unless the worker is
        backing off after errors, and re-check the freeze rule. Never blocks."""
        self._wake.set()

    def stop(self, deadline: float = 5.0) -> bool:
        """Ask the thread to stop and join it within `deadline` seconds. True if it ended.
        An HTTP call in flight ends within the request timeout at the latest."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(max(0.0, deadline))
        return not self._thread.is_alive()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def snapshot(self) -> SyncSnapshot:
        s = self._shared
        with s.lock:
            return SyncSnapshot(s.state, s.failures, s.last_error, s.last_success, s.uploaded, s.catalogue_error)

    def _set(self, **kw: Any) -> None:
        with self._shared.lock:
            for k, v in kw.items():
                setattr(self._shared, k, v)
        if self._on_change is not None:
            try:
                self._on_change(self.snapshot())
            except Exception:  # noqa: BLE001 - a broken listener must not stop sync
                log.exception("sync listener failed")

    def _run(self) -> None:
        try:
            storage = self._open_storage()     # this thread's own connection
        except Exception:  # noqa: BLE001
            log.exception("sync: cannot open the store")
            self._set(state="stopped", last_error="cannot open the store")
            return
        client = None
        try:
            self._check_freeze(storage)        # before the first (possibly slow) network call
            client = self._make_client()
            syncer = Syncer(storage, client, self.settings, data_dir=self._data_dir, clock=self._clock,
                            rng=self._rng, on_catalogue=self._on_catalogue, on_progress=self._on_progress)
            self._loop(syncer)
        except Exception:  # noqa: BLE001 - never let the thread die silently
            log.exception("sync thread failed")
            self._set(last_error="internal error (see log)")
        finally:
            if client is not None:
                client.close()
            storage.close()
            self._set(state="stopped")

    def _check_freeze(self, storage: Storage) -> None:
        if self._on_backlog is not None:
            counts = storage.sync_counts()
            backlog = (counts.pending, counts.pending_since)
            if backlog != self._last_backlog:
                self._last_backlog = backlog
                try:
                    self._on_backlog(*backlog)
                except Exception:  # noqa: BLE001 - a broken listener must not stop sync
                    log.exception("backlog listener failed")
        if self._on_freeze is None:
            return
        state = freeze_state(storage, self.settings, self._clock())
        if state != self._last_freeze:
            self._last_freeze = state
            if state.frozen:
                log.warning("sync: new applications paused: %s", "; ".join(r.en for r in state.reasons))
            try:
                self._on_freeze(state)
            except Exception:  # noqa: BLE001 - a broken listener must not stop sync
                log.exception("freeze listener failed")

    def _loop(self, syncer: Syncer) -> None:
        next_pull = 0.0      # monotonic time of the next status/catalogue pull
        next_try = 0.0       # monotonic time of the next upload attempt (back-off or idle poll)
        backing_off = False
        while not self._stop.is_set():
            if time.monotonic() >= next_try:
                try:
                    self._set(state="uploading")
                    b = syncer.upload_batch()
                    if b.acknowledged:
                        with self._shared.lock:
                            self._shared.uploaded += b.acknowledged
                    if b.more:
                        self._succeeded(syncer)
                        self._check_freeze(syncer.storage)
                        continue                     # more is due now: no wait
                    if time.monotonic() >= next_pull:
                        syncer.pull_status()
                        try:
                            syncer.pull_catalogue()
                            self._set(catalogue_error=None)
                        except CatalogueRefused as exc:
                            log.error("catalogue refused: %s", exc)
                            self._set(catalogue_error=str(exc))
                        next_pull = time.monotonic() + self.settings.interval_seconds
                    self._succeeded(syncer)
                    self._set(state="idle")
                    backing_off = False
                    next_try = time.monotonic() + self.settings.interval_seconds
                except TransientSyncError as exc:
                    with self._shared.lock:
                        self._shared.failures += 1
                        failures = self._shared.failures
                    wait = backoff_delay(failures, self.settings.backoff_base_seconds,
                                         self.settings.backoff_max_seconds, self._rng)
                    log.warning("sync failed (%s); retry in %.1fs", exc, wait)
                    syncer.record_error(str(exc))
                    self._set(state="backing-off", last_error=str(exc))
                    backing_off = True
                    next_try = time.monotonic() + wait
            self._check_freeze(syncer.storage)
            self._wake.wait(max(0.01, next_try - time.monotonic()))
            if self._wake.is_set():
                self._wake.clear()
                if self._force.is_set() or not backing_off:   # sync_now, or a nudge while healthy
                    self._force.clear()
                    next_try = 0.0

    def _succeeded(self, syncer: Syncer) -> None:
        if self._shared.failures or self._shared.last_error:
            syncer.clear_error()
        self._set(failures=0, last_error=None, last_success=time.time())


# --- wiring helpers for the composition root and the command line -------------------------------
@dataclass(frozen=True)
class KioskFiles:
    data_dir: Path

    @property
    def db(self) -> Path:
        return self.data_dir / "kiosk.sqlite3"

    @property
    def storage_key(self) -> Path:
        return self.data_dir / "keys" / "storage.key"

    @property
    def signing_key(self) -> Path:
        return self.data_dir / "keys" / "kiosk_ed25519.key"


def make_worker(data_dir: Path, kiosk_id: str, settings: SyncSettings | None = None,
                open_storage: Callable[[], Storage] | None = None, **kw: Any) -> SyncWorker | None:
    """A SyncWorker for the kiosk in `data_dir` (None when no back office is configured)."""
    from kiosk.services.crypto import RecordCipher, load_or_create_key
    from kiosk.services.signing import load_or_create_signing_key

    files = KioskFiles(Path(data_dir))
    settings = settings or load_sync_settings(files.data_dir)
    if not settings.configured:
        return None
    key = load_or_create_signing_key(files.signing_key)
    backoffice = settings.signing_public()
    if open_storage is None:
        def open_storage() -> Storage:
            return Storage(files.db, RecordCipher(load_or_create_key(files.storage_key)))

    def make_client() -> SyncClient:
        return SyncClient(settings.url, kiosk_id, key, backoffice, timeout=settings.request_timeout_seconds)

    return SyncWorker(open_storage=open_storage, make_client=make_client, settings=settings, data_dir=files.data_dir, **kw)


# --- what the status screen and `kiosk sync status` show ------------------------------------------
@dataclass(frozen=True)
class SyncStatus:
    configured: bool
    url: str
    counts: SyncCounts
    freeze: FreezeState
    last_contact: str | None
    last_export: str | None
    catalogue_revision: int
    catalogue_error: str | None

    def summary(self) -> Text:
        """One line for the staff status screen."""
        c = self.counts
        if not self.configured:
            return Text(f"未配置后台同步；{c.pending} 份申请保存在本机。",
                        f"No back office configured; {c.pending} applications kept on this kiosk.")
        if c.pending == 0:
            return Text(f"全部 {c.synced} 份申请已送达后台。", f"All {c.synced} applications have reached the back office.")
        since = (c.pending_since or "")[:16].replace("T", " ")
        return Text(f"{c.pending} 份申请待同步（最早 {since}）。", f"{c.pending} applications pending since {since}.")

    def as_dict(self) -> dict:
        d = asdict(self)
        d["freeze"] = {"frozen": self.freeze.frozen, "reasons": [{"zh": r.zh, "en": r.en} for r in self.freeze.reasons]}
        d["summary"] = {"zh": self.summary().zh, "en": self.summary().en}
        return d


def sync_status(storage: Storage, settings: SyncSettings, now: datetime | None = None) -> SyncStatus:
    return SyncStatus(configured=settings.configured, url=settings.url, counts=storage.sync_counts(),
                      freeze=freeze_state(storage, settings, now),
                      last_contact=storage.get_meta("sync.last_contact_at"),
                      last_export=storage.get_meta("sync.last_export_at"),
                      catalogue_revision=int(storage.get_meta("sync.catalogue_revision") or 0),
                      catalogue_error=storage.get_meta("sync.catalogue_error"))
