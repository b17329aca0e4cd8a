"""Ratings (好差评) from kiosks, the call-back cases bad ratings open, and the ratings report.

Kiosks send ratings with POST /v1/feedback/batch (signed like every kiosk request). Each rating
is checked on its own against kiosk/domain/rating.py (scores 1..5, reasons from the fixed list
and of the score's polarity, items of that very application, a call back only with a bad
rating, every list and text bounded) and filed once per application number: a resend of the same
rating is "duplicate", a different one "conflict" (the first is kept), a rating for an
application the back office does not hold yet "not_yet" (the kiosk tries again later). The
department of a rated item is taken from the application the back office holds, never from the
kiosk's message.

A call back (the citizen consented to be called at the form's phone number) opens one case per
application, seen by the officials of the departments rated badly (all of the application's
departments when the whole visit was rated badly), with the same department rules as their items.
The phone number is read from the sealed application when an official opens the case, and that
view is audited. A case goes open -> called -> closed (or straight to closed), each step with
who and when. Any thread; each call blocks on the database.
"""
from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from backoffice import audit, db
from backoffice.accounts import Account
from backoffice.at_rest import record_context
from backoffice.service import Backoffice, NotFound, utcnow
from kiosk.domain.application import is_valid_application_number
from kiosk.domain.notices import PHONE_FIELD
from kiosk.domain.rating import OVERALL, REASONS, RatingRefused, check, feedback_from_wire, is_bad
from kiosk.services.sync import protocol as proto

MAX_FEEDBACK_BATCH = 100
CASE_STATES = ("open", "called", "closed")
NEXT_STATES = {"open": ("called", "closed"), "called": ("closed",), "closed": ()}
WHOLE_VISIT = "整体 whole visit"


class Forbidden(Exception):
    """The account's role does not allow this."""


def _echo(obj: Any) -> str:
    number = obj.get("number") if isinstance(obj, dict) else None
    return number if isinstance(number, str) and len(number) <= 64 else ""


class Ratings:
    def __init__(self, bo: Backoffice) -> None:
        self.bo = bo

    # --- from kiosks --------------------------------------------------------------------------
    def accept(self, kiosk_id: str, items: list[Any]) -> list[dict]:
        """File each rating once; one result per rating, in order."""
        return [self._accept_one(kiosk_id, obj) for obj in items[:MAX_FEEDBACK_BATCH]]

    def _accept_one(self, kiosk_id: str, obj: Any) -> dict:
        echo = _echo(obj)
        try:
            fb = feedback_from_wire(obj)
            if not is_valid_application_number(fb.number):
                raise RatingRefused("not an application number")
            if fb.number[:10] != kiosk_id:
                raise RatingRefused("another kiosk's application")
            rated_at = obj.get("rated_at")
            if not isinstance(rated_at, str) or len(rated_at) > 32 or not rated_at.isascii():
                raise RatingRefused("rated_at: an ISO date and time expected")
            try:
                datetime.fromisoformat(rated_at)
            except ValueError:
                raise RatingRefused("rated_at: an ISO date and time expected") from None
            if set(obj) != {"number", "rated_at", "callback", "ratings"}:
                raise RatingRefused("unexpected fields")
        except RatingRefused as exc:
            return {"number": echo, "result": "rejected", "detail": str(exc)}
        a, d = db.applications.c, db.department_requests.c
        with self.bo.engine.connect() as conn:
            app = conn.execute(select(a.bundle_id).where(a.number == fb.number)).first()
            items = {r.item_id: (r.department_id or "", r.department)
                     for r in conn.execute(select(d.item_id, d.department_id, d.department).where(d.number == fb.number))}
        if app is None:
            return {"number": fb.number, "result": "not_yet", "detail": "the application has not arrived yet"}
        try:
            check(fb, items)
        except RatingRefused as exc:
            return {"number": fb.number, "result": "rejected", "detail": str(exc)}
        digest = proto.record_digest(fb.to_wire(rated_at))
        depts = sorted({items[r.item_id][0] for r in fb.ratings if r.item_id != OVERALL and is_bad(r.score)})
        if any(r.item_id == OVERALL and is_bad(r.score) for r in fb.ratings):
            depts = sorted({dep for dep, _ in items.values()})
        now = utcnow()
        try:
            with self.bo.engine.begin() as conn:
                have = conn.execute(select(db.feedback.c.digest).where(db.feedback.c.number == fb.number)).scalar()
                if have is not None:
                    return {"number": fb.number, "result": "duplicate" if have == digest else "conflict",
                            **({} if have == digest else {"detail": "a different rating is on file; the first is kept"})}
                conn.execute(db.feedback.insert().values(number=fb.number, kiosk_id=kiosk_id, bundle_id=app.bundle_id,
                                                         rated_at=rated_at, received_at=now, digest=digest,
                                                         callback=fb.callback))
                conn.execute(db.ratings.insert(), [
                    {"number": fb.number, "item_id": r.item_id, "department_id": items[r.item_id][0] if r.item_id else "",
                     "department": items[r.item_id][1] if r.item_id else "", "score": r.score,
                     "reasons": ",".join(r.reasons)} for r in fb.ratings])
                if fb.callback and depts:
                    conn.execute(db.callbacks.insert().values(number=fb.number, kiosk_id=kiosk_id, state="open",
                                                              departments="," + ",".join(depts) + ",", opened_at=now))
        except IntegrityError:      # the same rating, filed by a concurrent request meanwhile
            return {"number": fb.number, "result": "duplicate"}
        return {"number": fb.number, "result": "created"}

    # --- call-back cases ----------------------------------------------------------------------
    def _visible(self, account: Account) -> Any:
        if not account.can("items.read"):
            raise Forbidden(f"a {account.role} account may not do this")
        c = db.callbacks.c
        return or_(*[c.departments.contains(f",{dep},", autoescape=True) for dep in account.departments]) \
            if account.departments else c.id < 0

    def cases(self, account: Account, state: str | None = None, limit: int = 200) -> list[dict]:
        """The account's departments' call-back cases, open ones first, oldest first (no personal data)."""
        c = db.callbacks.c
        q = select(c.id, c.number, c.kiosk_id, c.state, c.opened_at, c.called_at, c.called_by, c.closed_at,
                   c.closed_by).where(self._visible(account))
        if state in CASE_STATES:
            q = q.where(c.state == state)
        q = q.order_by(case((c.state == "open", 0), (c.state == "called", 1), else_=2), c.opened_at, c.id)
        with self.bo.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(q.limit(max(1, min(limit, 1000))))]

    def case(self, account: Account, case_id: int) -> dict:
        """One case with the phone number to call (from the sealed application) and the ratings
        given. Audited. NotFound for a case outside the account's departments."""
        c, a = db.callbacks.c, db.applications.c
        with self.bo.engine.connect() as conn:
            row = conn.execute(select(db.callbacks, a.record, a.bundle_id).join_from(
                db.callbacks, db.applications, a.number == c.number).where(
                    and_(c.id == case_id, self._visible(account)))).first()
            if row is None:
                raise NotFound(f"no case {case_id}")
            r = db.ratings.c
            ratings = [dict(x._mapping) for x in conn.execute(
                select(r.item_id, r.department, r.score, r.reasons).where(r.number == row.number).order_by(r.item_id))]
        rec = json.loads(self.bo.at_rest.open(row.record, record_context(row.number)))
        phone = next((str(x.get("value", "")) for x in rec.get("answers", []) if x.get("field_id") == PHONE_FIELD), "")
        audit.record(self.bo.engine, account.actor, "callback.view", number=row.number, detail=f"case {case_id}")
        return {"id": row.id, "number": row.number, "kiosk_id": row.kiosk_id, "bundle_id": row.bundle_id,
                "state": row.state, "opened_at": row.opened_at, "called_at": row.called_at, "called_by": row.called_by,
                "closed_at": row.closed_at, "closed_by": row.closed_by, "phone": phone, "lang": rec.get("lang", "zh"),
                "ratings": [{**x, "department": x["department"] or WHOLE_VISIT,
                             "reasons": [REASONS[i].zh + " " + REASONS[i].en for i in x["reasons"].split(",") if i in REASONS]}
                            for x in ratings]}

    def advance(self, account: Account, case_id: int, state: str) -> None:
        """Move a case on (open -> called -> closed, or open -> closed); who and when are kept.
        ValueError for a step the case cannot take; NotFound outside the account's departments."""
        if not account.can("items.update"):
            raise Forbidden(f"a {account.role} account may not do this")
        c = db.callbacks.c
        with self.bo.engine.begin() as conn:
            row = conn.execute(select(c.number, c.state).where(and_(c.id == case_id, self._visible(account)))).first()
            if row is None:
                raise NotFound(f"no case {case_id}")
            if state not in NEXT_STATES.get(row.state, ()):
                raise ValueError(f"a case that is {row.state} cannot become {state}")
            who = {f"{state}_at": utcnow(), f"{state}_by": account.actor.removeprefix("account:")}
            done = conn.execute(update(db.callbacks).where(and_(c.id == case_id, c.state == row.state))
                                .values(state=state, **who)).rowcount
            if done != 1:
                raise ValueError("the case changed meanwhile; reload it")
        audit.record(self.bo.engine, account.actor, f"callback.{state}", number=row.number, detail=f"case {case_id}")

    # --- the report ---------------------------------------------------------------------------
    def report(self, account: Account) -> dict:
        """Ratings per department, bundle and kiosk (counts, good and bad shares) and the reasons
        given, over the ratings of the account's departments and the whole-visit ratings of the
        applications that involved them. No personal data."""
        if not account.can("items.read"):
            raise Forbidden(f"a {account.role} account may not do this")
        r, f, d = db.ratings.c, db.feedback.c, db.department_requests.c
        depts = list(account.departments)
        visible = or_(r.department_id.in_(depts),
                      and_(r.item_id == OVERALL, r.number.in_(select(d.number).where(d.department_id.in_(depts)))))
        good = func.sum(case((r.score >= 4, 1), else_=0))
        bad = func.sum(case((r.score <= 2, 1), else_=0))
        out: dict[str, Any] = {}
        with self.bo.engine.connect() as conn:
            for name, key in (("departments", r.department), ("bundles", f.bundle_id), ("kiosks", f.kiosk_id)):
                rows = conn.execute(select(key, func.count(), good, bad, func.avg(r.score))
                                    .join_from(db.ratings, db.feedback, f.number == r.number)
                                    .where(visible).group_by(key).order_by(key)).all()
                out[name] = [{"name": (k or WHOLE_VISIT) if name == "departments" else k, "count": n,
                              "good": int(g or 0), "bad": int(b or 0), "good_share": round((g or 0) / n, 3),
                              "bad_share": round((b or 0) / n, 3), "average": round(float(avg or 0), 2)}
                             for k, n, g, b, avg in rows]
            reasons: Counter[str] = Counter()
            for (text,) in conn.execute(select(r.reasons).where(and_(visible, r.reasons != ""))):
                reasons.update(i for i in text.split(",") if i in REASONS)
        out["reasons"] = [{"id": k, "zh": REASONS[k].zh, "en": REASONS[k].en, "count": n} for k, n in reasons.most_common()]
        return out
