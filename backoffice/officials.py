"""The officials' workbench, independent of HTTP: each official sees only their departments' items
of the combined applications, with the answers and materials that item needs (decrypted here,
on the server, and every view written to the audit log), and updates an item's status with a
note; kiosks pull the change (GET /v1/status-changes) and show it to the citizen.

An item of another department answers exactly like one that does not exist (NotFound), so an
official cannot probe which applications other departments hold. Any thread.
"""
from __future__ import annotations

import base64
import json
from typing import Any

from sqlalchemy import and_, func, select

from backoffice import audit, db
from backoffice.accounts import Account
from backoffice.at_rest import note_context, record_context
from backoffice.service import STATUSES, Backoffice, NotFound

IMAGE_TYPES = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"))


class Forbidden(Exception):
    """The account's role does not allow this."""


def _require(account: Account, permission: str) -> None:
    if not account.can(permission):
        raise Forbidden(f"a {account.role} account may not do this")


class Workbench:
    def __init__(self, bo: Backoffice) -> None:
        self.bo = bo

    def summary(self, account: Account) -> list[dict]:
        """Per department of the account: how many items, by status."""
        _require(account, "items.read")
        d = db.department_requests.c
        with self.bo.engine.connect() as conn:
            rows = conn.execute(select(d.department_id, func.min(d.department), d.status, func.count())
                                .where(d.department_id.in_(account.departments))
                                .group_by(d.department_id, d.status).order_by(d.department_id, d.status)).all()
        out: dict[str, dict] = {k: {"department_id": k, "department": k, "total": 0, "by_status": {}}
                                for k in account.departments}
        for dept_id, name, status, n in rows:
            out[dept_id]["department"] = name
            out[dept_id]["total"] += n
            out[dept_id]["by_status"][status] = n
        return list(out.values())

    def items(self, account: Account, department_id: str | None = None, status: str | None = None,
              limit: int = 200, offset: int = 0) -> list[dict]:
        """The account's departments' items, oldest first (no personal data in the list)."""
        _require(account, "items.read")
        depts = [department_id] if department_id else list(account.departments)
        if not set(depts) <= set(account.departments):
            return []
        a, d = db.applications.c, db.department_requests.c
        q = (select(d.department_id, d.department, d.number, a.bundle_id, d.item_id, d.procedure, d.due, d.status,
                    a.received_at, a.source)
             .join_from(db.department_requests, db.applications, a.number == d.number)
             .where(d.department_id.in_(depts)))
        if status:
            q = q.where(d.status == status)
        q = q.order_by(a.received_at, d.number, d.item_id).limit(max(1, min(limit, 1000))).offset(max(0, offset))
        with self.bo.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]

    def item(self, account: Account, number: str, item_id: str) -> dict:
        """One item with the answers and materials it needs. Audited."""
        row, rec = self._open(account, number, item_id, "item.view")
        req = next(r for r in rec["requests"] if str(r["item_id"]) == item_id)
        wanted = set(req.get("fields", []))
        titles = {m[0]: {"title": m[1], "held_by_government": bool(m[2])} for m in rec.get("materials", [])}
        attached = rec.get("attachments", {}) or {}
        face = rec.get("face_check") or {}
        audit.record(self.bo.engine, account.actor, "item.view", number=number, item_id=item_id)
        return {
            "number": number, "item_id": item_id, "department_id": row.department_id, "department": req["department"],
            "procedure": req["procedure"], "due": req["due"], "due_approximate": req.get("due_approximate", False),
            "fee": req.get("fee"), "status": row.status, "bundle_id": rec["bundle_id"],
            "bundle_title": rec.get("bundle_title"), "created_at": rec["created_at"], "received_at": row.received_at,
            "identity_checked": {"chip_read": True, "face_matched": face.get("matched"),
                                 # an override: a clerk compared the person with the document
                                 "checked_by_staff": face.get("staff_number"),
                                 "override_reason": face.get("override_reason")},
            "answers": [{"field_id": x["field_id"], "label": x["label"], "shown": x["shown"], "verified": x["verified"],
                         "edited": x["edited"]} for x in rec.get("answers", []) if x["field_id"] in wanted],
            "materials": [{"id": m, **titles.get(m, {"title": {"zh": m, "en": m}, "held_by_government": False}),
                           "attached": m in attached} for m in req.get("materials", [])],
            "history": self._history(number, item_id),
            # issue 12: who applied in the applicant's place, the counter clerk, how identity was established
            "assisted": {"proxy": rec.get("proxy"), "counter_staff": rec.get("counter_staff"),
                         "identity_source": rec.get("identity_source", "card"),
                         "authorisation_attached": "proxy_authorisation" in attached},
        }

    def material(self, account: Account, number: str, item_id: str, material_id: str) -> tuple[bytes, str]:
        """The photo of one of this item's materials and its media type. Audited."""
        _row, rec = self._open(account, number, item_id, "material.view")
        req = next(r for r in rec["requests"] if str(r["item_id"]) == item_id)
        data = (rec.get("attachments") or {}).get(material_id)
        wanted = [*req.get("materials", []), *(["proxy_authorisation"] if rec.get("proxy") else [])]
        if material_id not in wanted or not isinstance(data, str):
            raise NotFound("no such material")
        raw = base64.b64decode(data)
        audit.record(self.bo.engine, account.actor, "material.view", number=number, item_id=item_id,
                     detail=material_id[:80])
        kind = next((t for magic, t in IMAGE_TYPES if raw.startswith(magic)), "application/octet-stream")
        return raw, kind

    def update_status(self, account: Account, number: str, item_id: str, status: str, note: str = "") -> int:
        """Record the item's new status (kiosks pull it). Audited."""
        _require(account, "items.update")
        if status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}")
        row = self._row(account, number, item_id, "item.status")
        change = self.bo.set_status(number, item_id, status, note, actor=account.actor)
        audit.record(self.bo.engine, account.actor, "item.status", number=number, item_id=item_id,
                     detail=f"{row.status} -> {status}" + (" (with a note)" if note else ""))
        return change

    # --- inside -------------------------------------------------------------------------------
    def _row(self, account: Account, number: str, item_id: str, action: str) -> Any:
        _require(account, "items.read")
        a, d = db.applications.c, db.department_requests.c
        with self.bo.engine.connect() as conn:
            row = conn.execute(select(d.department_id, d.status, a.record, a.received_at)
                               .join_from(db.department_requests, db.applications, a.number == d.number)
                               .where(and_(d.number == number, d.item_id == item_id))).first()
        if row is None or not account.sees_department(row.department_id or ""):
            if row is not None:   # someone else's department: logged, answered like a missing item
                audit.record(self.bo.engine, account.actor, action + ".denied", number=number, item_id=item_id)
            raise NotFound(f"no item {number}/{item_id}")
        return row

    def _open(self, account: Account, number: str, item_id: str, action: str) -> tuple[Any, dict]:
        row = self._row(account, number, item_id, action)
        return row, json.loads(self.bo.at_rest.open(row.record, record_context(number)))

    def _history(self, number: str, item_id: str) -> list[dict]:
        s = db.status_changes.c
        with self.bo.engine.connect() as conn:
            rows = conn.execute(select(s.id, s.status, s.note, s.actor, s.changed_at)
                                .where(and_(s.number == number, s.item_id == item_id)).order_by(s.id)).all()
        ctx = note_context(number, item_id)
        return [{"status": r.status, "changed_at": r.changed_at, "by": (r.actor or "").removeprefix("account:"),
                 "note": self.bo.at_rest.open(r.note, ctx).decode() if r.note else ""} for r in rows]
