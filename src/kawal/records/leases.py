"""Leases on a business day's records: disposal never removes a file a task is reading (§7.5.3).

A pipeline task reading a day's delivery (ingest, compute) holds a ``pipeline`` lease on the business
day for as long as it runs (:func:`records_in_use`, or the decorators :func:`uses_records_of_day`
and :func:`uses_records_of_batch` on the task bodies of ``kawal.pipeline.daily``). A disposal takes a
``disposal`` lease on the day of the record it is about to destroy (:func:`disposal_of_day`).

Each side first *writes* its own lease (committed) and only then *looks* for the other's. Whatever
the interleaving, the later of the two writers sees the earlier one's lease, so at least one side
backs off: the disposal leaves the record for its next run, the task stops with one line and its
retry runs once the disposal is done. It works the same on SQLite and PostgreSQL (no row lock).

A task killed without releasing its lease (SIGKILL, a lost worker) blocks the day's disposal until
the lease expires (:data:`LEASE_HOURS`), never longer.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Engine, delete, select

from kawal.errors import KawalError
from kawal.store.db import session_scope
from kawal.store.models import IngestionBatch, RecordLease

LEASE_HOURS = 6
F = TypeVar("F", bound=Callable[..., Any])


def _take(engine: Engine, day: date, kind: str, holder: str) -> int:
    now = datetime.now(UTC)
    with session_scope(engine) as s:
        lease = RecordLease(
            business_date=day,
            kind=kind,
            holder=f"{holder} (pid {os.getpid()})"[:200],
            taken_at=now,
            expires_at=now + timedelta(hours=LEASE_HOURS),
        )
        s.add(lease)
        s.flush()
        return lease.id


def _release(engine: Engine, lease_id: int) -> None:
    with session_scope(engine) as s:
        s.execute(delete(RecordLease).where(RecordLease.id == lease_id))


def _others(engine: Engine, day: date, kind: str, own: int) -> list[RecordLease]:
    with session_scope(engine) as s:
        return list(
            s.scalars(
                select(RecordLease).where(
                    RecordLease.business_date == day,
                    RecordLease.kind == kind,
                    RecordLease.id != own,
                    RecordLease.expires_at > datetime.now(UTC),
                )
            )
        )


@contextmanager
def records_in_use(engine: Engine, day: date, holder: str) -> Iterator[None]:
    """A pipeline task's hold on ``day``'s records; one line if a disposal of the day is under way."""
    own = _take(engine, day, "pipeline", holder)
    try:
        if _others(engine, day, "disposal", own):
            raise KawalError(
                f"{day}: records of the day are being disposed of (kawal records dispose); the task's retry "
                "runs once that is done"
            )
        yield
    finally:
        _release(engine, own)


@contextmanager
def disposal_of_day(engine: Engine, day: date) -> Iterator[bool]:
    """A disposal's hold on ``day``: yields False (dispose of nothing) while a task reads the day."""
    own = _take(engine, day, "disposal", "kawal records dispose")
    try:
        yield not _others(engine, day, "pipeline", own)
    finally:
        _release(engine, own)


def pipeline_holders(engine: Engine, day: date) -> list[str]:
    """Who reads ``day``'s records right now (unexpired pipeline leases)."""
    return [lease.holder for lease in _others(engine, day, "pipeline", -1)]


# --- the hooks on the daily pipeline's task bodies ---------------------------------------------


def uses_records_of_day(fn: F) -> F:
    """``fn(source, day, *, store_url=None, …)`` reads ``day``'s delivery: it runs under a lease."""

    @functools.wraps(fn)
    def wrapper(source: str, day: date, *args: Any, **kwargs: Any) -> Any:
        from kawal.store import engine_for

        with records_in_use(engine_for(kwargs.get("store_url")), day, f"ingest {source}"):
            return fn(source, day, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def uses_records_of_batch(fn: F) -> F:
    """``fn(batch_id, *, store_url=None, …)`` reads the batch's landing file: it runs under a lease."""

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
