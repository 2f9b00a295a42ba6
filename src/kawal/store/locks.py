"""A named lock shared by every process using one store: one month's report send, one day's run.

Two ``kawal report send`` at once both found no delivery, both rendered edition 1 and one died on the
unique key of ``report_delivery`` (issue #17) — after overwriting the other's archived PDF. Work that
reads, produces files and then records must run one at a time per key; the loser waits, then finds
what the winner recorded and behaves as a re-run does.

- PostgreSQL: a session-level advisory lock (``pg_advisory_lock``) on a connection of its own, keyed
  by the first 8 bytes of SHA-256 of the name — held across the work's own transactions;
- SQLite (one host by nature): ``flock`` on a file beside the database, ``<db>.locks/<name>.lock``, so
  the database's own write lock is not held while PDFs render.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text


def _key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextmanager
def named_lock(engine: Engine, name: str) -> Iterator[None]:
    """Hold the store-wide lock ``name`` (waiting for it) for the duration of the block."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _key(name)})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _key(name)})
                conn.commit()
        return
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield  # a private in-memory store has one user
        return
    import fcntl

    folder = Path(database).resolve().with_name(Path(database).name + ".locks")
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / (re.sub(r"[^A-Za-z0-9_.-]", "_", name) + ".lock")).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
