"""The freeze rule (as MOSIP's registration client has it): a kiosk that has not reached its
back office for too long, or holds too many applications that have not, stops taking new ones
until it syncs or staff hand-carry an export. Pure rule plus one read of the store."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kiosk.domain.text import Text
from kiosk.i18n import tr
from kiosk.services.storage import Storage, SyncCounts
from kiosk.services.sync.settings import SyncSettings


@dataclass(frozen=True)
class FreezeState:
    frozen: bool
    reasons: tuple[Text, ...] = ()


FROZEN_DAYS = tr("已有 {days} 天未与后台同步（上限 {limit} 天），暂停受理新申请。请恢复网络连接，或用“kiosk sync export”导出待同步申请送交后台。")
FROZEN_PENDING = tr("有 {n} 份申请尚未送达后台（上限 {limit} 份），暂停受理新申请，直到它们上传或导出。")


def parse_time(value: str | None) -> datetime | None:
    """An ISO time kept in the store's meta table; None when absent or unreadable."""
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
    refs = [t for t in (last_contact, last_export, parse_time(settings.enrolled_at)) if t is not None]
    if refs and settings.freeze_after_days > 0:
        days = (now - max(refs)).total_seconds() / 86400
        if days >= settings.freeze_after_days:
            reasons.append(FROZEN_DAYS.format(days=int(days), limit=f"{settings.freeze_after_days:g}"))
    if settings.freeze_after_pending >= 0 and counts.not_exported > settings.freeze_after_pending:
        reasons.append(FROZEN_PENDING.format(n=counts.not_exported, limit=settings.freeze_after_pending))
    return FreezeState(bool(reasons), tuple(reasons))


def freeze_state(storage: Storage, settings: SyncSettings, now: datetime | None = None) -> FreezeState:
    """The freeze rule on the store's current numbers. Call before starting a new session; runs
    on the thread that owns `storage` and may block on its busy timeout."""
    return freeze_check(storage.sync_counts(), settings,
                        last_contact=parse_time(storage.get_meta("sync.last_contact_at")),
                        last_export=parse_time(storage.get_meta("sync.last_export_at")),
                        now=now or datetime.now())
