"""Kawal's own counters over OpenTelemetry, beside Airflow's (issue #19; ISO 9001:2015 9.1.1 monitoring).

| metric | kind | attribute | emitted by (kawal.pipeline.steps) |
|---|---|---|---|
| ``kawal.rows_ingested`` | counter | ``source`` | ``ingest``: rows of a delivery seen the first time (re-runs add 0) |
| ``kawal.quarantines`` | counter | ``source`` | ``ingest``: a delivery quarantined (unreadable or failing validation) |
| ``kawal.tickets_opened`` | counter | ``kind`` | ``open_defects``: tickets opened (``kpi_defect``, ``data_incident``) |
| ``kawal.mails_pending`` | gauge | — | ``send_notifications``: outbox rows still ``pending`` after delivery |
| ``kawal.daily_deadline_missed`` | counter | ``source`` | ``check_daily_finished``: not done by ``daily_run_due_by`` |

No attribute carries personal data: only a source name or a ticket kind (Kawal's own identifiers,
checked against :data:`_IDENTIFIER`); never a person, an address, a subject or a free text.

Why the OpenTelemetry SDK directly rather than Airflow's ``Stats``: a task runs in a process the
supervisor forks and ends with ``os._exit`` (``airflow/sdk/execution_time/supervisor.py``), which skips
the ``atexit`` flush Airflow's OTel logger relies on, and its ``PeriodicExportingMetricReader``
exports every 60 s: a task shorter than that would lose its counts. Here each emission is flushed at
once (one small OTLP/HTTP POST). The settings are Airflow's own: on when ``[metrics] otel_on``, to
``OTEL_EXPORTER_OTLP_METRICS_ENDPOINT`` / ``OTEL_EXPORTER_OTLP_ENDPOINT`` when set (Airflow prefers
them too), else ``http(s)://[metrics] otel_host:otel_port/v1/metrics``. Counters use *delta*
temporality: every task process is a new, short-lived series, so each export carries its increment
and the collector or backend sums them. Names carry no ``airflow.`` prefix (``otel_prefix`` is
Airflow's).

A metric can never fail a task: an emission that cannot be made is logged and dropped.
"""

from __future__ import annotations

import functools
import logging
import os
import re
from collections.abc import Callable
from typing import Any, TypeVar

log = logging.getLogger(__name__)

ROWS_INGESTED = "kawal.rows_ingested"
QUARANTINES = "kawal.quarantines"
TICKETS_OPENED = "kawal.tickets_opened"
MAILS_PENDING = "kawal.mails_pending"
DAILY_DEADLINE_MISSED = "kawal.daily_deadline_missed"
#: attribute values: Kawal's identifiers only (source names, ticket kinds), never people's data
_COUNTERS = (ROWS_INGESTED, QUARANTINES, TICKETS_OPENED, DAILY_DEADLINE_MISSED)
_IDENTIFIER = re.compile(r"[a-z][a-z0-9_]{0,39}")
_ATTRIBUTES = ("source", "kind")
_FLUSH_MS = 5000

_state: dict[str, Any] = {}
F = TypeVar("F", bound=Callable[..., Any])


def _never_fails(fallback: Any) -> Callable[[F], F]:
    """A measurement that cannot be made is logged and dropped: it never fails the task doing the work."""

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except Exception as exc:
                log.warning("kawal metrics: %s failed: %s", fn.__name__, exc)
                return fallback

        return run  # type: ignore[return-value]

    return wrap


def _conf(key: str, fallback: str = "") -> str:
    env = os.environ.get(f"AIRFLOW__METRICS__{key.upper()}")
    if env is not None:
        return env
    try:
        from airflow.sdk.configuration import conf
    except ImportError:  # the CLI outside an Airflow install: environment only
        return fallback
    return str(conf.get("metrics", key, fallback=fallback))


def endpoint() -> str | None:
    """Where metrics go, or None when Airflow's OTel metrics are off (``[metrics] otel_on``)."""
    if _conf("otel_on", "False").strip().lower() not in ("true", "1", "t", "yes"):
        return None
    specific = os.environ.get("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT")
    if specific:
        return specific
    base = os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    if base:
        return base.rstrip("/") + "/v1/metrics"
    host, port = _conf("otel_host"), _conf("otel_port")
    if not host or not port:
        log.warning("[metrics] otel_on is set but neither OTEL_EXPORTER_OTLP_ENDPOINT nor otel_host/otel_port")
        return None
    scheme = "https" if _conf("otel_ssl_active", "False").strip().lower() in ("true", "1") else "http"
    return f"{scheme}://{host}:{port}/v1/metrics"


def _meter():  # type: ignore[no-untyped-def]
    """This process's meter for ``endpoint()`` (rebuilt after a fork or when the endpoint changes)."""
    url = endpoint()
    if url is None:
        return None
    key = (os.getpid(), url)
    if _state.get("key") != key:
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
        from opentelemetry.sdk.metrics import Counter, MeterProvider
        from opentelemetry.sdk.metrics.export import AggregationTemporality, PeriodicExportingMetricReader
        from opentelemetry.sdk.resources import SERVICE_NAME, Resource

        exporter = OTLPMetricExporter(
            endpoint=url, timeout=3, preferred_temporality={Counter: AggregationTemporality.DELTA}
        )  # a collector that is down costs a task seconds, never its run
        # a long interval: each emission is flushed at once (see the module's docstring)
        reader = PeriodicExportingMetricReader(exporter, export_interval_millis=3_600_000)
        # service.name "kawal" whatever OTEL_SERVICE_NAME says: Airflow's own metrics are "airflow"
        provider = MeterProvider(
            resource=Resource.create({SERVICE_NAME: "kawal"}), metric_readers=[reader], shutdown_on_exit=False
        )
        meter = provider.get_meter("kawal")
        _state.update(
            key=key,
            provider=provider,
            counters={n: meter.create_counter(n) for n in _COUNTERS},
            gauges={MAILS_PENDING: meter.create_gauge(MAILS_PENDING)},
        )
    return _state


def _attributes(attributes: dict[str, str]) -> dict[str, str]:
    for key, value in attributes.items():
        if key not in _ATTRIBUTES or not _IDENTIFIER.fullmatch(value):
            raise ValueError(f"metric attribute {key}={value!r}: only {_ATTRIBUTES} with Kawal identifiers")
    return attributes


def _emit(name: str, value: int, attributes: dict[str, str]) -> None:
    try:
        state = _meter()
        if state is None:
            return
        if name in state["counters"]:
            if value:
                state["counters"][name].add(value, _attributes(attributes))
        else:
            state["gauges"][name].set(value, _attributes(attributes))
        state["provider"].force_flush(timeout_millis=_FLUSH_MS)
    except Exception as exc:  # a metric never fails the task that does the work
        log.warning("kawal metrics: could not emit %s: %s", name, exc)


def enabled() -> bool:
    return endpoint() is not None


def rows_ingested(source: str, rows: int) -> None:
    _emit(ROWS_INGESTED, rows, {"source": source})


def quarantined(source: str) -> None:
    _emit(QUARANTINES, 1, {"source": source})


def tickets_opened(by_kind: dict[str, int]) -> None:
    for kind, n in sorted(by_kind.items()):
        _emit(TICKETS_OPENED, n, {"kind": kind})


def mails_pending(count: int) -> None:
    _emit(MAILS_PENDING, count, {})


def daily_deadline_missed(sources: list[str]) -> None:
    for source in sources:
        _emit(DAILY_DEADLINE_MISSED, 1, {"source": source})


# --- what the steps measure in the store (only when metrics are on: two small queries) -----------
@_never_fails(0)
def last_batch_id(store_url: str | None = None) -> int:
    """The highest ingestion batch id now (0 with metrics off): a batch above it is a new delivery."""
    if not enabled():
        return 0
    from sqlalchemy import func, select

    from kawal.store import engine_for, session_scope
    from kawal.store.models import IngestionBatch

    with session_scope(engine_for(store_url)) as s:
        return int(s.scalar(select(func.coalesce(func.max(IngestionBatch.id), 0))))


@_never_fails(0)
def last_ticket_id(store_url: str | None = None) -> int:
    """The highest defect ticket id now (0 with metrics off: nothing is asked of the store)."""
    if not enabled():
        return 0
    from sqlalchemy import func, select

    from kawal.store import engine_for, session_scope
    from kawal.store.models import DefectTicket

    with session_scope(engine_for(store_url)) as s:
        return int(s.scalar(select(func.coalesce(func.max(DefectTicket.id), 0))))


@_never_fails(None)
def count_tickets_opened_since(last_id: int, store_url: str | None = None) -> None:
    if not enabled():
        return
    from sqlalchemy import func, select

    from kawal.store import engine_for, session_scope
    from kawal.store.models import DefectTicket

    with session_scope(engine_for(store_url)) as s:
        found = s.execute(
            select(DefectTicket.kind, func.count()).where(DefectTicket.id > last_id).group_by(DefectTicket.kind)
        ).all()
    tickets_opened({kind: int(n) for kind, n in found})


@_never_fails(None)
def count_mails_pending(store_url: str | None = None) -> None:
    if not enabled():
        return
    from sqlalchemy import func, select

    from kawal.store import engine_for, session_scope
    from kawal.store.models import Notification

    with session_scope(engine_for(store_url)) as s:
        mails_pending(int(s.scalar(select(func.count()).where(Notification.state == "pending"))))
