"""What the staff status screen and `kiosk sync status` show about sync."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from kiosk.domain.text import Text
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
            return Text(f"未配置后台同步；{c.pending} 份申请保存在本机。",
                        f"No back office configured; {c.pending} applications kept on this kiosk.")
        if c.pending == 0:
            return Text(f"全部 {c.synced} 份申请已送达后台。", f"All {c.synced} applications have reached the back office.")
        since = (c.pending_since or "")[:16].replace("T", " ")
        line = Text(f"{c.pending} 份申请待同步（最早 {since}）。", f"{c.pending} applications pending since {since}.")
        if c.set_aside:
            line = Text(line.zh + f"其中 {c.set_aside} 份被后台多次拒收，已暂停发送，请工作人员处理。",
                        line.en + f" {c.set_aside} of them refused repeatedly by the back office and set aside: "
                                  "staff must look.")
        return line

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
