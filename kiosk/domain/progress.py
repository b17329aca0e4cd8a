"""What the scan-to-check screen shows about one application: its public summary and each
department's status (issue 14 part 3). Nothing personal: number, bundle, departments, due dates,
statuses, the check code and when the statuses were last synced.

Plain frozen types and pure helpers; the kiosk's services fill them (from a verified receipt QR,
the kiosk's public summary table, the back office's answer) and the flow holds them. No I/O.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

from kiosk.domain.application import is_valid_application_number
from kiosk.domain.notices import STATUS_TEXT
from kiosk.domain.text import Text
from kiosk.i18n import tr

# Where the statuses shown came from.
FROM_RECEIPT = "receipt"          # only what the QR signs (no status known yet)
FROM_KIOSK = "kiosk"              # the kiosk's copy, as of its last status pull
FROM_BACKOFFICE = "backoffice"    # asked just now

NOT_YET = tr("等待部门接收")

# What verifying a scanned receipt can say (kiosk/services/receipts/seal.py statuses).
GENUINE, FORGED, UNKNOWN_KEY, REVOKED, UNREADABLE = "genuine", "forged", "unknown-key", "revoked", "unreadable"
CHECK_STATUSES = frozenset({GENUINE, FORGED, UNKNOWN_KEY, REVOKED, UNREADABLE})


@dataclass(frozen=True)
class DepartmentProgress:
    item_id: str
    department: str              # as printed (Chinese)
    due: str                     # YYYY-MM-DD
    approximate: bool            # the due date was an estimate when the receipt was printed
    status: str | None           # the back office's status code, None while not received

    def status_text(self) -> Text:
        if self.status is None:
            return NOT_YET
        return STATUS_TEXT.get(self.status, Text(self.status, self.status))


@dataclass(frozen=True)
class ReceiptProgress:
    """One application's public summary with its statuses, as the screen shows it."""

    number: str
    bundle_title: str
    check_code: str
    items: tuple[DepartmentProgress, ...]
    synced_at: str | None        # when these statuses were last synced (ISO), None = never
    source: str = FROM_RECEIPT

    def newer_than(self, other: ReceiptProgress | None) -> bool:
        """Whether this answer should replace `other` on the screen: the back office's answer is
        never replaced by the kiosk's older copy, whichever arrives last."""
        if other is None or other.number != self.number:
            return True
        rank = {FROM_RECEIPT: 0, FROM_KIOSK: 1, FROM_BACKOFFICE: 2}
        return rank.get(self.source, 0) >= rank.get(other.source, 0)

    def merged_with(self, older: ReceiptProgress | None) -> ReceiptProgress:
        """These statuses, keeping the departments and due dates of `older` (the signed receipt)
        when this answer has none for an item: a kiosk that never saw the application (scanned
        at another kiosk) still shows what the receipt promised."""
        if older is None or older.number != self.number or not older.items:
            return self
        mine = {i.item_id: i for i in self.items}
        items = tuple(replace(o, status=mine[o.item_id].status, due=mine[o.item_id].due or o.due)
                      if o.item_id in mine else o for o in older.items)
        extra = tuple(i for i in self.items if i.item_id not in {o.item_id for o in older.items})
        return replace(self, items=items + extra, bundle_title=self.bundle_title or older.bundle_title,
                       check_code=self.check_code or older.check_code)

    def spoken(self) -> Text:
        """A short summary to say aloud: how many departments, how many completed, which wait."""
        n = len(self.items)
        done = sum(1 for i in self.items if i.status == "completed")
        parts_zh = [f"申请{self.bundle_title}，共{n}个部门，已办结{done}个。"]
        parts_en = [f"{n} departments, {done} completed."]
        for k, i in enumerate(self.items, 1):
            t = i.status_text()
            parts_zh.append(f"{i.department}：{t.zh}。")
            parts_en.append(f"Department {k}: {t.en}.")   # the names are Chinese only
        return Text("".join(parts_zh), " ".join(parts_en))


@dataclass(frozen=True)
class ReceiptCheck:
    """The verdict on one scanned receipt QR: `progress` only when it is genuine (a forged
    payload's claims are never shown as if they were the receipt's)."""

    status: str                  # one of CHECK_STATUSES
    progress: ReceiptProgress | None = None

    def __post_init__(self) -> None:
        if self.status not in CHECK_STATUSES:
            raise ValueError(f"unknown receipt check status {self.status!r}")
        if (self.progress is not None) != (self.status == GENUINE):
            raise ValueError("a summary goes with a genuine receipt, and only with one")


_NUMBER_DIGITS = re.compile(r"[0-9]{31}")


def typed_number(text: str) -> str | None:
    """`text` as an application number (hyphens and spaces optional; the Luhn digit must match),
    or None. Pure."""
    digits = "".join(ch for ch in text if ch not in " -")
    if not _NUMBER_DIGITS.fullmatch(digits):
        return None
    number = f"{digits[:10]}-{digits[10:16]}-{digits[16:30]}-{digits[30]}"
    return number if is_valid_application_number(number) else None


def looks_like_check_code(text: str) -> bool:
    """Nine symbols once spaces and hyphens are dropped, the last of which may be one of the
    check symbols * ~ $ = (checkcode.py decides whether it is a code)."""
    raw = "".join(ch for ch in text.strip() if ch not in " -")
    return len(raw) == 9 and raw.isascii() and raw[:8].isalnum() and (raw[8].isalnum() or raw[8] in "*~$=")
