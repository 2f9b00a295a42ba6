"""Locks on a business day's records: disposal never removes a file a task is reading (§7.5.3).

A pipeline task reading a day's delivery (ingest, compute) holds a **shared** lock on the business
day for as long as it runs (:func:`records_in_use`, or the decorators :func:`uses_records_of_day`
and :func:`uses_records_of_batch` on the task bodies of ``kawal.pipeline.daily``); any number of
tasks may hold it at once. A disposal takes the day's **exclusive** lock, without waiting, before it
destroys a record of the day (:func:`disposal_of_day`): while a task reads the day it gets none and
leaves the record for its next run. A task that finds the day being disposed of waits up to
:data:`WAIT_SECONDS` (one record takes milliseconds), then stops with one line; its retry runs later.

Nothing is written to the store (a re-run of a day still writes not one byte, tests/dags), and a
lock dies with its process (SIGKILL, a lost worker): nothing stale to expire.

- PostgreSQL: session advisory locks (``pg_try_advisory_lock[_shared]``), good across hosts;
- SQLite (one host by nature): ``flock`` on ``.kawal-locks/records-YYYY-MM-DD.lock`` beside the store.
"""

from __future__ import annotations

import fcntl
import functools
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, text

from kawal.errors import KawalError
from kawal.store.db import session_scope
from kawal.store.models import IngestionBatch

#: how long a pipeline task waits for a disposal of its day to finish before it gives up (one line)
WAIT_SECONDS = 30.0
#: the advisory-lock namespace of record days on PostgreSQL (first key; the day's ordinal is the second)
PG_NAMESPACE = 0x4B57
F = TypeVar("F", bound=Callable[..., Any])


def _lock_file(engine: Engine, day: date) -> Path:
    database = engine.url.database or ""
    folder = Path(database).resolve().parent / ".kawal-locks"
    return folder / f"records-{day.isoformat()}.lock"


@contextmanager
def _day_lock(engine: Engine, day: date, *, exclusive: bool, wait: float, create: bool = True) -> Iterator[bool]:
    """Yields whether the day's lock (shared or exclusive) was got within ``wait`` seconds."""
    deadline = time.monotonic() + wait
    if engine.dialect.name == "postgresql":
        kind = "" if exclusive else "_shared"
        with engine.connect() as conn:
            while True:
                got = bool(
                    conn.execute(
                        text(f"SELECT pg_try_advisory_lock{kind}(:ns, :day)"),
                        {"ns": PG_NAMESPACE, "day": day.toordinal()},
                    ).scalar()
                )
                conn.commit()  # a session lock: no transaction left open while the task runs
                if got or time.monotonic() >= deadline:
                    break
                time.sleep(0.1)
            try:
                yield got
            finally:
                if got:
                    conn.execute(
                        text(f"SELECT pg_advisory_unlock{kind}(:ns, :day)"),
                        {"ns": PG_NAMESPACE, "day": day.toordinal()},
                    )
                    conn.commit()
        return
    path = _lock_file(engine, day)
    if not create and not path.exists():
        yield True  # nobody ever locked the day here: it is free (and a dry run writes no file)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        while True:
            try:
                fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
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


@contextmanager
def records_in_use(engine: Engine, day: date, holder: str) -> Iterator[None]:
    """A pipeline task's hold on ``day``'s records; one line if a disposal of the day does not end in time."""
    with _day_lock(engine, day, exclusive=False, wait=WAIT_SECONDS) as got:
        if not got:
            raise KawalError(
                f"{day}: records of the day are being disposed of (kawal records dispose); {holder} waited "
                f"{WAIT_SECONDS:g} s, its retry runs once that is done"
            )
        yield


@contextmanager
def disposal_of_day(engine: Engine, day: date) -> Iterator[bool]:
    """A disposal's hold on ``day``: yields False (dispose of nothing of the day) while a task reads it."""
    with _day_lock(engine, day, exclusive=True, wait=0) as got:
        yield got


def day_in_use(engine: Engine, day: date) -> bool:
    """Does a running task read ``day``'s records right now? (a probe: takes and drops the lock, writes nothing)"""
    with _day_lock(engine, day, exclusive=True, wait=0, create=False) as got:
        return not got


# --- the hooks on the daily pipeline's task bodies ---------------------------------------------


def uses_records_of_day(fn: F) -> F:
    """``fn(source, day, *, store_url=None, …)`` reads ``day``'s delivery: it runs under the day's lock."""

    @functools.wraps(fn)
    def wrapper(source: str, day: date, *args: Any, **kwargs: Any) -> Any:
        from kawal.store import engine_for

        with records_in_use(engine_for(kwargs.get("store_url")), day, f"ingest {source}"):
            return fn(source, day, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def uses_records_of_batch(fn: F) -> F:
    """``fn(batch_id, *, store_url=None, …)`` reads the batch's landing file: it runs under its day's lock."""

    @functools.wraps(fn)
    def wrapper(batch_id: int, *args: Any, **kwargs: Any) -> Any:
        from kawal.store import engine_for

        engine = engine_for(kwargs.get("store_url"))
        with session_scope(engine) as s:
            batch = s.get(IngestionBatch, batch_id)
            day = batch.business_date if batch is not None else None
        if day is None:  # the task body says so in its own words
            return fn(batch_id, *args, **kwargs)
        with records_in_use(engine, day, f"compute batch {batch_id}"):
            return fn(batch_id, *args, **kwargs)

    return wrapper  # type: ignore[return-value]
