"""Schema upgrades and the work of encryption at rest on existing rows.

`upgrade_schema` adds the columns and indexes of later releases to an older database (both
SQLite and PostgreSQL); `seal_plaintext_rows` seals what an older release stored in plain text
and then compacts the database so the plaintext does not linger in free pages; `rewrap_rows`
re-wraps every sealed row under the keyring's current key (key rotation); `keys_in_use` tells
which keys rows still need. All run on the caller's thread and block on the database.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from sqlalchemy import Engine, Index, Row, inspect, select, text, update

from backoffice import db
from backoffice.at_rest import conflict_context, note_context, record_context
from backoffice.departments import department_id

log = logging.getLogger(__name__)

BATCH = 200


def upgrade_schema(engine: Engine) -> None:
    insp = inspect(engine)    # read before writing: SQLite's write lock would block the inspector's connection
    ddl: list[str] = []
    for table in db.metadata.sorted_tables:
        have = {c["name"] for c in insp.get_columns(table.name)}
        ddl += [f"ALTER TABLE {table.name} ADD COLUMN {col.name} {col.type.compile(dialect=engine.dialect)}"
                for col in table.columns if col.name not in have]
    if engine.dialect.name == "postgresql":
        note = next(c for c in insp.get_columns("status_changes") if c["name"] == "note")
        if "VARCHAR" in str(note["type"]).upper():   # sealed notes outgrow the old 500
            ddl.append("ALTER TABLE status_changes ALTER COLUMN note TYPE TEXT")
    if ddl:
        with engine.begin() as conn:
            for statement in ddl:
                conn.execute(text(statement))
                log.info("schema: %s", statement)
    for table in db.metadata.sorted_tables:
        idx: Index
        for idx in table.indexes:
            idx.create(engine, checkfirst=True)


def _batches(engine: Engine, table: Any, key: Any, where: Any,
             cols: list[Any]) -> Iterator[Sequence[Row[*tuple[Any, ...]]]]:
    """Rows matching `where`, `BATCH` at a time, walking the primary key."""
    last = None
    while True:
        q = select(key, *cols).where(where).order_by(key).limit(BATCH)
        if last is not None:
            q = q.where(key > last)
        with engine.connect() as conn:
            rows = conn.execute(q).all()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def seal_plaintext_rows(bo: Any) -> int:
    """Seal records, conflicting copies and notes stored in plain text; fill the department ids
    and request counts they imply. Idempotent. Returns how many rows it sealed."""
    engine: Engine = bo.engine
    seal = bo.at_rest.seal
    a, d, c, s = db.applications.c, db.department_requests.c, db.conflicts.c, db.status_changes.c
    n = 0
    for rows in _batches(engine, db.applications, a.number, a.kek_id.is_(None), [a.record]):
        with engine.begin() as conn:
            for number, record in rows:
                rec = json.loads(record)
                sealed, kid = seal(record.encode(), record_context(number))
                conn.execute(update(db.applications).where(a.number == number)
                             .values(record=sealed, kek_id=kid, requests=len(rec.get("requests", []))))
                for r in rec.get("requests", []):
                    conn.execute(update(db.department_requests)
                                 .where((d.number == number) & (d.item_id == str(r["item_id"])))
                                 .values(department_id=department_id(r["department"])))
                n += 1
    for rows in _batches(engine, db.conflicts, c.id, c.kek_id.is_(None), [c.number, c.digest, c.record]):
        with engine.begin() as conn:
            for cid, number, digest, record in rows:
                sealed, kid = seal(record.encode(), conflict_context(number, digest))
                conn.execute(update(db.conflicts).where(c.id == cid).values(record=sealed, kek_id=kid))
                n += 1
    for rows in _batches(engine, db.status_changes, s.id, s.kek_id.is_(None) & (s.note != ""),
                         [s.number, s.item_id, s.note]):
        with engine.begin() as conn:
            for sid, number, item_id, note in rows:
                sealed, kid = seal(note.encode(), note_context(number, item_id))
                conn.execute(update(db.status_changes).where(s.id == sid).values(note=sealed, kek_id=kid))
                n += 1
    with engine.begin() as conn:   # rows whose record was gone: the Chinese name is all there is
        for number, item_id, dept in conn.execute(select(d.number, d.item_id, d.department)
                                                  .where(d.department_id.is_(None))).all():
            conn.execute(update(db.department_requests).where((d.number == number) & (d.item_id == item_id))
                         .values(department_id=department_id(dept)))
    if n:
        compact(engine)
    return n


def compact(engine: Engine) -> None:
    """Drop old row versions so replaced plaintext is not left in the database's files."""
    if engine.dialect.name == "sqlite":
        raw = engine.raw_connection()
        try:
            cur = raw.cursor()
            cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            cur.execute("VACUUM")
            cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            cur.close()
        finally:
            raw.close()
    else:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for t in ("applications", "conflicts", "status_changes"):
                conn.execute(text(f"VACUUM FULL {t}"))


SEALED: list[tuple[Any, Any, list[str], Callable[..., str], str]] = [
    # table, primary key (a row's first column), context columns, context, sealed column
    (db.applications, db.applications.c.number, [], lambda r: record_context(r[0]), "record"),
    (db.conflicts, db.conflicts.c.id, ["number", "digest"], lambda r: conflict_context(r.number, r.digest), "record"),
    (db.status_changes, db.status_changes.c.id, ["number", "item_id"], lambda r: note_context(r.number, r.item_id),
     "note"),
]


def rewrap_rows(bo: Any, *, reencrypt: bool = False) -> int:
    """Re-wrap every sealed row not under the current key (all of them with `reencrypt`)."""
    engine: Engine = bo.engine
    n = 0
    for table, key, ctx_cols, ctx, col in SEALED:
        current = bo.at_rest.current_key_id
        where = table.c.kek_id.is_not(None)
        if not reencrypt:
            where = where & (table.c.kek_id != current)
        cols = [table.c[c] for c in ctx_cols] + [table.c[col], table.c.kek_id]
        for rows in _batches(engine, table, key, where, cols):
            with engine.begin() as conn:
                for r in rows:
                    sealed, kid = bo.at_rest.rewrap(getattr(r, col), ctx(r), reencrypt=reencrypt)
                    # only if no one changed the row meanwhile
                    conn.execute(update(table).where((key == r[0]) & (table.c.kek_id == r.kek_id))
                                 .values({col: sealed, "kek_id": kid}))
                    n += 1
    if reencrypt and n:
        compact(engine)
    return n


def keys_in_use(engine: Engine) -> set[str]:
    out: set[str] = set()
    with engine.connect() as conn:
        for table, *_ in SEALED:
            out |= {k for (k,) in conn.execute(select(table.c.kek_id).where(table.c.kek_id.is_not(None)).distinct())}
    return out
