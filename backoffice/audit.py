"""The audit log: who viewed or changed what, and when. Rows name applications by number and
citizens only by `AtRest.id_tag`, never by name or ID number. Any thread."""
from __future__ import annotations

from sqlalchemy import Engine, select

from backoffice import db
from backoffice.service import utcnow


def record(engine: Engine, actor: str, action: str, *, number: str | None = None, item_id: str | None = None,
           detail: str = "") -> None:
    """Write one audit row in its own transaction (an audit row survives a failed action)."""
    with engine.begin() as conn:
        conn.execute(db.audit.insert().values(at=utcnow(), actor=actor[:80], action=action[:40], number=number,
                                              item_id=item_id, detail=detail[:300]))


def entries(engine: Engine, *, number: str | None = None, actor: str | None = None, limit: int = 200,
            before: int | None = None) -> list[dict]:
    """Newest first; `before` pages back by id."""
    a = db.audit.c
    q = select(db.audit).order_by(a.id.desc()).limit(max(1, min(limit, 1000)))
    if number:
        q = q.where(a.number == number)
    if actor:
        q = q.where(a.actor == actor)
    if before:
        q = q.where(a.id < before)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(q)]
