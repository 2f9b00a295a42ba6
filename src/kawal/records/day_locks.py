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

The lock is :func:`kawal.store.locks.named_lock` ``records-YYYY-MM-DD``: a session advisory lock on
PostgreSQL (good across hosts), ``flock`` on ``<db>.locks/records-YYYY-MM-DD.lock`` on SQLite.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import Engine

from kawal.errors import KawalError
from kawal.store.db import session_scope
from kawal.store.locks import named_lock
from kawal.store.models import IngestionBatch

#: how long a pipeline task waits for a disposal of its day to finish before it gives up (one line)
WAIT_SECONDS = 30.0
F = TypeVar("F", bound=Callable[..., Any])


@contextmanager
def _day_lock(engine: Engine, day: date, *, exclusive: bool, wait: float, create: bool = True) -> Iterator[bool]:
    """Yields whether the day's lock (shared or exclusive) was got within ``wait`` seconds
    (kawal.store.locks, the one lock primitive)."""
    with named_lock(engine, f"records-{day.isoformat()}", shared=not exclusive, wait=wait, create=create) as got:
        yield got


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
