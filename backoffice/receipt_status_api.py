"""A kiosk's question about one receipt's progress (issue 14 part 3): GET /v1/receipt-status.

The kiosk's scan-to-check screen asks it, signed like every kiosk request, for the newest
statuses of the application on a scanned receipt, or of a typed number or check code; the answer
is signed for that request. It says only what the public /verify page shows (number, check code,
each department's item, due date and status; backoffice/receipts.py `public_status`), never
anything personal.

  ?code=CHECK_CODE   any kiosk's application, by the check code printed on (and signed into) it
  ?number=NUMBER     only the asking kiosk's own applications: a number alone is easier to guess
                     than a check code (its parts are a station, a sequence and a time), so it
                     reaches no further than what that kiosk already holds

Always 200 with {"found": false} when there is nothing to show (so that "not found" is signed
too). Handlers run on worker threads; each blocks on two small database reads.
"""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from backoffice.kiosk_calls import Signed, kiosk_signature, signed_answer
from backoffice.service import Backoffice
from kiosk.domain.application import is_valid_application_number
from kiosk.services.receipts.checkcode import normalize_check_code

AUTH: dict[int | str, dict[str, Any]] = {401: {"description": "unsigned, wrongly signed, stale or replayed"},
                                         403: {"description": "kiosk revoked"}}


def receipt_status_router(bo: Backoffice) -> APIRouter:
    router = APIRouter(tags=["kiosks"])

    kiosk = kiosk_signature(bo)

    def answer(nonce: str, payload: object, status: int = 200) -> Response:
        return signed_answer(bo, nonce, payload, status)

    @router.get("/v1/receipt-status", responses=AUTH)
    def receipt_status(code: str = Query("", max_length=20), number: str = Query("", max_length=40),
                       signed: Signed = Depends(kiosk)) -> Response:
        """The newest public statuses of one application, by check code (any kiosk's) or by
        number (the asking kiosk's own only)."""
        kiosk_id, nonce = signed.kiosk_id, signed.nonce
        receipts = bo.receipts
        found: str | None = None
        canonical: str | None = None
        if code:
            canonical = normalize_check_code(code)
            found = receipts.number_for_code(canonical) if canonical else None
        elif number and is_valid_application_number(number) and number[:10] == kiosk_id:
            found = number
            canonical = receipts.code_for_number(number)
        items = receipts.public_status(found) if found else []
        if not items:
            return answer(nonce, {"found": False})
        return answer(nonce, {"found": True, "number": found, "check_code": canonical or "", "items": items,
                              "as_of": datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")})

    return router
