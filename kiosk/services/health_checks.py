"""The health checks that are not devices: disk space, clock, key files, catalogue, sync.

Each is `probe(timeout) -> Check` (kiosk/domain/health.py), run by kiosk/services/health.py on a
"health-<name>" thread. They only read: nothing here creates a key, a database or a catalogue
copy (a fresh data folder is reported as such, not set up). The store is opened read-only and
only when it exists; it may block on SQLite's busy timeout while the kiosk writes, which the
runner bounds. Paths come from DataFolder (kiosk/services/datafolder.py).
"""
from __future__ import annotations

import os
import re
import shutil
import sqlite3
import stat
import subprocess
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from kiosk.domain.catalogue import CatalogueError
from kiosk.domain.health import Check, fault, note, ok
from kiosk.i18n import tr
from kiosk.services.catalogue_store import CatalogueRefused, load_catalogue, load_synced
from kiosk.services.datafolder import DataFolder
from kiosk.services.sync.freeze import parse_time
from kiosk.services.sync.protocol import ProtocolError
from kiosk.services.sync.settings import SyncSettings, SyncSettingsError

Probe = Callable[[float], Check]
MB = 1024 * 1024
KEY_BYTES = {"storage.key": 32, "kiosk_ed25519.key": 32}
# The package's own file: its time is when this software was installed, a floor for the clock.
INSTALLED_FILE = Path(__file__).resolve().parents[1] / "defaults.toml"


# --- disk -----------------------------------------------------------------------------------------
def disk_probe(folder: Path, min_free_mb: float) -> Probe:
    """Free space on the data folder's file system (the nearest existing parent when the folder
    is not made yet); a fault below `min_free_mb`."""
    def probe(timeout: float) -> Check:
        where = Path(folder).absolute()
        while not where.exists() and where != where.parent:
            where = where.parent
        usage = shutil.disk_usage(where)
        free_mb = usage.free / MB
        facts = {"free_mb": round(free_mb, 1), "total_mb": round(usage.total / MB, 1), "min_free_mb": min_free_mb}
        if free_mb < min_free_mb:
            return fault("disk", tr("数据盘剩余空间不足：{free_mb:.0f} MB（下限 {min_free_mb:g} MB）。").format(
                             free_mb=free_mb, min_free_mb=min_free_mb),
                         tr("先同步或导出申请（kiosk sync now / export），再清理磁盘；不要删除数据文件夹中的文件。"), **facts)
        return ok("disk", tr("数据盘剩余 {free_mb:.0f} MB。").format(free_mb=free_mb), **facts)
    return probe


# --- clock ----------------------------------------------------------------------------------------
def time_sync_state(timeout: float) -> bool | None:
    """True/False when systemd-timesyncd (timedatectl) or chrony says whether the clock is
    synchronised; None when neither can be asked on this system."""
    for argv, synced in ((["timedatectl", "show", "-p", "NTPSynchronized", "--value"], lambda o: o.strip() == "yes"),
                         (["chronyc", "-n", "tracking"], lambda o: "Leap status     : Normal" in o)):
        try:
            out = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env={**os.environ, "LC_ALL": "C"})
        except (OSError, subprocess.TimeoutExpired):
            continue
        if out.returncode == 0:
            return bool(synced(out.stdout))
    return None


def catalogue_month(version: str) -> datetime | None:
    """"2026.11.1" -> 2026-11-01: a catalogue is not published before the month it is named for."""
    m = re.match(r"(\d{4})[.-](\d{1,2})\b", version or "")
    if not m or not 1 <= int(m.group(2)) <= 12:
        return None
    return datetime(int(m.group(1)), int(m.group(2)), 1)


def clock_probe(now: Callable[[], datetime], floors: Callable[[], dict[str, datetime]],
                sync_state: Callable[[float], bool | None] = time_sync_state) -> Probe:
    """The clock is not before anything the kiosk knows happened (installation, the catalogue's
    month, the last contact with the back office); whether time sync can be checked is a note."""
    def probe(timeout: float) -> Check:
        t = now()
        known = floors()
        late = {what: when for what, when in known.items() if t < when - timedelta(days=1)}
        facts = {"now": t.replace(microsecond=0).isoformat(), **{k: v.isoformat() for k, v in known.items()}}
        if late:
            what, when = max(late.items(), key=lambda kv: kv[1])
            return fault("clock", tr("系统时间 {t:%Y-%m-%d %H:%M} 早于{what}（{when:%Y-%m-%d}）：时间不对。").format(
                             t=t, what=what, when=when),
                         tr("校正系统时间（开启网络对时），否则回执和期限日期会出错。"), **facts)
        synced = sync_state(min(timeout, 2.0))
        if synced is None:
            return note("clock", tr("系统时间 {t:%Y-%m-%d %H:%M}；无法检查是否已网络对时。").format(t=t), **facts)
        if not synced:
            return note("clock", tr("系统时间 {t:%Y-%m-%d %H:%M}，尚未网络对时。").format(t=t),
                        tr("检查网络对时（NTP）。"), **facts)
        return ok("clock", tr("系统时间 {t:%Y-%m-%d %H:%M}，已网络对时。").format(t=t), **facts)
    return probe


# --- keys -----------------------------------------------------------------------------------------
def _key_problem(path: Path, size: int) -> str | None:
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return "missing"
    if stat.S_ISLNK(st.st_mode) or not stat.S_ISREG(st.st_mode):
        return "not a regular file"
    if st.st_mode & 0o077:
        return f"readable by other users (mode {stat.S_IMODE(st.st_mode):o})"
    if st.st_size != size:
        return f"the wrong size ({st.st_size} bytes)"
    try:
        with open(path, "rb", opener=lambda p, f: os.open(p, f | os.O_NOFOLLOW)):
            pass
    except OSError as exc:
        return f"not readable ({exc.strerror})"
    return None


def keys_probe(files: DataFolder) -> Probe:
    """The storage and signing keys: present, regular, readable, the right size, 0600 in a
    folder closed to other users (docs/security.md "Keys"). Never reads what is in them."""
    def probe(timeout: float) -> Check:
        act = tr("从备份恢复存储密钥（kiosk keys restore），权限设为 600（文件夹 700）；不要新建密钥。")
        folder = files.keys
        problems = {}
        try:
            if os.lstat(folder).st_mode & 0o077:
                problems[folder.name] = "open to other users"
        except FileNotFoundError:
            pass
        for path in (files.storage_key, files.signing_key):
            why = _key_problem(path, KEY_BYTES[path.name])
            if why:
                problems[path.name] = why
        fresh = not files.db.exists()
        if fresh and set(problems.values()) == {"missing"}:
            return note("keys", tr("尚未生成密钥：自助终端首次启动时生成。"),
                        folder=str(folder))
        if files.legacy_keys.is_dir() and not problems:
            return note("keys", tr("密钥在旧位置，下次启动时移走。"),
                        folder=str(folder))
        if problems:
            said = "; ".join(f"{k}: {v}" for k, v in problems.items())
            return fault("keys", tr("密钥文件有问题：{problems}").format(problems=said), act,
                         folder=str(folder), problems=problems)
        return ok("keys", tr("密钥文件齐全，权限正确。"), folder=str(folder))
    return probe


# --- catalogue ------------------------------------------------------------------------------------
def catalogue_probe(shipped: Path, files: DataFolder, settings: Callable[[], SyncSettings]) -> Probe:
    """The catalogue the kiosk runs on (catalogue_store's rule, read-only): the back office's
    signed one when it verifies, else the shipped file, else its last good copy."""
    def probe(timeout: float) -> Check:
        fix = tr("改正或重新安装服务目录（kiosk catalogue check 文件）。")
        try:
            version, source, problem = load_catalogue(shipped).version, "shipped", None
        except CatalogueError as exc:
            problem = str(exc)[:300]
            try:
                version, source = load_catalogue(files.last_good_catalogue).version, "last-good"
            except (CatalogueError, OSError):
                return fault("catalogue", tr("没有可用的服务目录：自助终端无法启动。"),
                             fix, problem=problem)
        try:
            s = settings()
        except SyncSettingsError:        # the sync check says so; the shipped catalogue is in force
            s = SyncSettings()
        revision = None
        if s.configured:
            try:
                synced = load_synced(files, s.signing_public())
            except (CatalogueRefused, ProtocolError) as exc:
                return fault("catalogue", tr("后台下发的服务目录被拒绝，正在使用版本 {version}。").format(version=version),
                             tr("通知后台管理员重新发布服务目录。"),
                             version=version, source=source, problem=str(exc)[:300])
            if synced is not None:
                version, source, revision = synced.catalogue.version, "synced", synced.signed.revision
        if problem:
            return fault("catalogue", tr("随机服务目录无效，正在使用上次可用的版本 {version}。").format(version=version),
                         fix, version=version, source=source, problem=problem)
        said = (tr("服务目录版本 {version}（后台修订号 {revision}）。").format(version=version, revision=revision)
                if revision else tr("服务目录版本 {version}。").format(version=version))
        return ok("catalogue", said,
                  version=version, source=source, revision=revision)
    return probe


# --- sync -----------------------------------------------------------------------------------------
def read_store(files: DataFolder) -> dict[str, Any] | None:
    """What the sync check needs from the store, read-only (SQLite's mode=ro): None when there is
    no store yet. Reads no record: only counts and the sync meta rows (no personal data)."""
    if not files.db.exists():
        return None
    db = sqlite3.connect(f"{files.db.absolute().as_uri()}?mode=ro", uri=True, timeout=3.0)
    try:
        pending, since = db.execute("SELECT count(*), min(enqueued_at) FROM outbox").fetchone()
        set_aside = db.execute("SELECT count(*) FROM outbox WHERE set_aside_at IS NOT NULL").fetchone()[0]
        meta = dict(db.execute("SELECT key, value FROM meta WHERE key LIKE 'sync.%'").fetchall())
    finally:
        db.close()
    return {"pending": pending, "pending_since": since, "set_aside": set_aside, "meta": meta}


def sync_probe(files: DataFolder, settings: Callable[[], SyncSettings], offline_fault_days: float,
               now: Callable[[], datetime]) -> Probe:
    """Outbox size and the age of the last contact with the back office (or hand-carry export):
    a fault after `offline_fault_days`, or when the back office refused applications repeatedly.
    No back office enrolled is a note: the kiosk keeps everything and never freezes."""
    def probe(timeout: float) -> Check:
        try:
            s = settings()
        except SyncSettingsError as exc:
            return fault("sync", tr("同步设置文件无法读取：{error}").format(error=str(exc)[:200]),
                         tr("重新登记后台（kiosk sync enrol）。"))
        store = read_store(files)
        pending = store["pending"] if store else 0
        meta = store["meta"] if store else {}
        facts: dict[str, Any] = {"enrolled": s.configured, "pending": pending,
                                 "pending_since": store["pending_since"] if store else None,
                                 "last_contact": meta.get("sync.last_contact_at"),
                                 "last_export": meta.get("sync.last_export_at"), "last_error": meta.get("sync.last_error")}
        if not s.configured:
            return note("sync", tr("未登记后台：{pending} 份申请保存在本机。").format(pending=pending),
                        tr("如需联网上报，运行 kiosk sync enrol。"), **facts)
        refs = [t for t in (parse_time(meta.get("sync.last_contact_at")), parse_time(meta.get("sync.last_export_at")),
                            parse_time(s.enrolled_at)) if t is not None]
        days = (now() - max(refs)).total_seconds() / 86400 if refs else 0.0
        facts["days_offline"] = round(days, 2)
        if store and store["set_aside"]:
            return fault("sync", tr("{set_aside} 份申请被后台多次拒收，已暂停发送。").format(set_aside=store["set_aside"]),
                         tr("联系后台核查原因，然后运行 kiosk sync now --retry-refused。"), **facts)
        if days >= offline_fault_days:
            return fault("sync", tr("已 {days:.1f} 天未与后台同步，{pending} 份申请待上报。").format(days=days, pending=pending),
                         tr("检查网络连接；或导出申请送交后台（kiosk sync export）。"), **facts)
        return ok("sync", tr("后台同步正常，{pending} 份申请待上报。").format(pending=pending), **facts)
    return probe


# --- all of them, for one configuration ------------------------------------------------------------
def clock_floors(files: DataFolder, catalogue_version: Callable[[], str | None]) -> Callable[[], dict[str, datetime]]:
    """What the clock must not be before: this software's installation, the month the catalogue
    in force is named for, and the last contact with the back office this kiosk recorded."""
    def floors() -> dict[str, datetime]:
        known: dict[str, datetime] = {}
        try:
            known["the software's installation"] = datetime.fromtimestamp(INSTALLED_FILE.stat().st_mtime)
        except OSError:
            pass
        month = catalogue_month(catalogue_version() or "")
        if month is not None:
            known["the catalogue's month"] = month
        try:
            store = read_store(files)
        except sqlite3.Error:
            store = None
        contact = parse_time((store or {}).get("meta", {}).get("sync.last_contact_at"))
        if contact is not None:
            known["the last contact with the back office"] = contact.replace(tzinfo=None)
        return known
    return floors


def service_probes(config: Any, *, catalogue_version: str | None = None,
                   now: Callable[[], datetime] = datetime.now) -> list[tuple[str, Probe]]:
    """The disk, clock, keys, catalogue and sync checks of a kiosk configuration
    (kiosk.config.Config). `catalogue_version`: the version the running kiosk uses (saves
    parsing the shipped file again for the clock check). Builds nothing; any thread."""
    from kiosk.services.sync.settings import settings_for

    files = DataFolder.for_config(config)
    shipped = config.asset(config.paths.catalogue)

    def version() -> str | None:
        if catalogue_version is not None:
            return catalogue_version
        try:
            return load_catalogue(shipped).version
        except CatalogueError:
            return None

    def settings() -> SyncSettings:
        return settings_for(config)

    h = config.health
    return [("disk", disk_probe(files.root, h.min_free_disk_mb)),
            ("clock", clock_probe(now, clock_floors(files, version))),
            ("keys", keys_probe(files)),
            ("catalogue", catalogue_probe(shipped, files, settings)),
            ("sync", sync_probe(files, settings, h.offline_fault_days, now))]
