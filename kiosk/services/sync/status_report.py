"""What the staff status screen and `kiosk sync status` show about sync."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from kiosk.domain.text import Text
from kiosk.i18n import tr
from kiosk.services.storage import Storage, SyncCounts
from kiosk.services.sync.freeze import FreezeState, freeze_state
from kiosk.services.sync.settings import SyncSettings


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
            return tr("未配置后台同步；{pending} 份申请保存在本机。").format(pending=c.pending)
        if c.pending == 0:
            return tr("全部 {synced} 份申请已送达后台。").format(synced=c.synced)
        since = (c.pending_since or "")[:16].replace("T", " ")
        if c.set_aside:
            return tr("{pending} 份申请待同步（最早 {since}）。其中 {set_aside} 份被后台多次拒收，已暂停发送，请工作人员处理。"
                      ).format(pending=c.pending, since=since, set_aside=c.set_aside)
        return tr("{pending} 份申请待同步（最早 {since}）。").format(pending=c.pending, since=since)

    def as_dict(self) -> dict:
        d = asdict(self)
        d["freeze"] = {"frozen": self.freeze.frozen, "reasons": [{"zh": r.zh, "en": r.en} for r in self.freeze.reasons]}
        d["summary"] = {"zh": self.summary().zh, "en": self.summary().en}
        return d


def sync_status(storage: Storage, settings: SyncSettings, now: datetime | None = None) -> SyncStatus:
    """The store's sync numbers and state. Runs on the thread that owns `storage`."""
    return SyncStatus(configured=settings.configured, url=settings.url, counts=storage.sync_counts(),
                      freeze=freeze_state(storage, settings, now),
                      last_contact=storage.get_meta("sync.last_contact_at"),
                      last_export=storage.get_meta("sync.last_export_at"),
                      catalogue_revision=int(storage.get_meta("sync.catalogue_revision") or 0),
                      catalogue_error=storage.get_meta("sync.catalogue_error"))
