"""A named lock shared by every process using one store: one month's report send, one day's run.

Two ``kawal report send`` at once both found no delivery, both rendered edition 1 and one died on the
unique key of ``report_delivery`` (issue #17) — after overwriting the other's archived PDF. Work that
reads, produces files and then records must run one at a time per key; the loser waits, then finds
what the winner recorded and behaves as a re-run does.

- PostgreSQL: a session-level advisory lock (``pg_advisory_lock``) on a connection of its own, keyed
  by the first 8 bytes of SHA-256 of the name — held across the work's own transactions;
- SQLite (one host by nature): ``flock`` on a file beside the database, ``<db>.locks/<name>.lock``, so
  the database's own write lock is not held while PDFs render.

Exclusive (a send, a day's run) or shared (the readers of a day's records, against a disposal), waiting
or trying: the one lock primitive of Kawal; a lock dies with its process (SIGKILL, a lost worker) and
writes nothing to the store.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text


def _key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextmanager
def named_lock(
    engine: Engine, name: str, *, shared: bool = False, wait: float | None = None, create: bool = True
) -> Iterator[bool]:
    """Hold the store-wide lock ``name`` for the duration of the block; yields whether it was got.

    Exclusive by default; ``shared`` lets any number of holders in at once and keeps an exclusive one
    out (the records of a day being read, kawal.records.day_locks). ``wait=None`` waits as long as it
    takes (then always True); a number tries for that many seconds (0: once). ``create=False`` on
    SQLite answers True without writing a lock file when nobody ever took the lock (a dry run)."""
    if engine.dialect.name == "postgresql":
        kind = "_shared" if shared else ""
        key = {"key": _key(name)}
        with engine.connect() as conn:
            if wait is None:
                conn.execute(text(f"SELECT pg_advisory_lock{kind}(:key)"), key)
                got = True
            else:
                deadline = time.monotonic() + wait
                while True:
                    got = bool(conn.execute(text(f"SELECT pg_try_advisory_lock{kind}(:key)"), key).scalar())
                    if got or time.monotonic() >= deadline:
                        break
                    time.sleep(0.1)
            conn.commit()  # a session lock: no transaction left open while the work runs
            try:
                yield got
            finally:
                if got:
                    conn.execute(text(f"SELECT pg_advisory_unlock{kind}(:key)"), key)
                    conn.commit()
        return
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield True  # a private in-memory store has one user
        return
    import fcntl

    folder = Path(database).resolve().with_name(Path(database).name + ".locks")
    path = folder / (re.sub(r"[^A-Za-z0-9_.-]", "_", name) + ".lock")
    if not create and not path.exists():
        yield True  # nobody ever took it here: free, and nothing written
        return
    folder.mkdir(parents=True, exist_ok=True)
    mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if wait is None:
            fcntl.flock(fd, mode)
            got = True
        else:
            deadline = time.monotonic() + wait
            while True:
                try:
                    fcntl.flock(fd, mode | fcntl.LOCK_NB)
                    got = True
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        got = False
                        break
                    time.sleep(0.1)
        yield got
    finally:
        os.close(fd)  # releases the flock
