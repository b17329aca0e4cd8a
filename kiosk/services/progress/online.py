"""Asking the back office for the newest statuses of one receipt (GET /v1/receipt-status,
backoffice/receipt_status_api.py), signed with the kiosk's key; the answer must be signed by the
back office for this very request (kiosk/services/sync/client.py).

The answer is bounded and checked before use (at most MAX_ITEMS items, short strings, known
shapes); anything else counts as no answer. Runs on the scan's network worker; blocks for at most
the client's timeout.
"""
from __future__ import annotations

import re
from urllib.parse import quote

from kiosk.domain.progress import FROM_BACKOFFICE, DepartmentProgress, ReceiptProgress
from kiosk.services.sync.client import SyncClient, TransientSyncError

PATH = "/v1/receipt-status"
MAX_ITEMS = 50
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class ProgressUnavailable(TransientSyncError):
    """No usable answer (network, refused, garbled): the kiosk shows what it has."""


def _short(v: object, limit: int) -> str:
    if not isinstance(v, str) or len(v) > limit:
        raise ProgressUnavailable("a garbled receipt-status answer")
    return v


def parse_status_answer(answer: object) -> ReceiptProgress | None:
    """The answer as progress, None for {"found": false}; ProgressUnavailable when malformed."""
    if not isinstance(answer, dict) or not isinstance(answer.get("found"), bool):
        raise ProgressUnavailable("a garbled receipt-status answer")
    if not answer["found"]:
        return None
    items = answer.get("items")
    if not isinstance(items, list) or not 0 < len(items) <= MAX_ITEMS:
        raise ProgressUnavailable("a receipt-status answer without items")
    parsed = []
    for i in items:
        if not isinstance(i, dict):
            raise ProgressUnavailable("a garbled receipt-status item")
        due = _short(i.get("due"), 10)
        if not _DATE.fullmatch(due):
            raise ProgressUnavailable("a garbled due date")
        parsed.append(DepartmentProgress(_short(i.get("item_id"), 80), _short(i.get("department"), 200), due, False,
                                         _short(i.get("status"), 32)))
    return ReceiptProgress(_short(answer.get("number"), 40), "", _short(answer.get("check_code", ""), 16),
                           tuple(parsed), _short(answer.get("as_of"), 32), FROM_BACKOFFICE)


def fetch_progress(client: SyncClient, *, number: str | None = None, check_code: str | None = None) -> ReceiptProgress | None:
    """The back office's newest statuses by check code (preferred: works for any kiosk's receipt)
    or by this kiosk's own application number; None when it has nothing to show."""
    if check_code:
        target = f"{PATH}?code={quote(check_code, safe='-')}"
    elif number:
        target = f"{PATH}?number={quote(number, safe='-')}"
    else:
        return None
    try:
        return parse_status_answer(client.call("GET", target))
    except ProgressUnavailable:
        raise
    except TransientSyncError as exc:
        raise ProgressUnavailable(str(exc)) from None
