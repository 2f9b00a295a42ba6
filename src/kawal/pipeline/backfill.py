"""``kawal backfill --from DAY --to DAY``: past days through the real daily DAG on the embedded
default, then the month-end steps of every complete month (issue #16, "History in").

The same tasks as the scheduler's runs, the same store, real DAG runs recorded in Airflow's metadata
DB (``dag.test()``, one DagRun per day, as ``kawal demo`` does). What differs, and why:
- each run has ``{"backfill": true}`` in its conf: the breach mails it queues are *held* (kept in
  the outbox, never sent) — PICs are not mailed about last year; the tickets are opened as they
  would have been, for the monthly review and the records;
- the month-end report of a complete month is rendered as a draft PDF, not emailed; with
  ``send_reports`` the real monthly DAG runs for it and delivers it (once, as always);
- Data Docs are built once at the end, not after every day (``build_data_docs`` defers).

Refused before anything runs, with the reason (a run that would execute no task is never silent):
a day before the site's ``history_starts`` (the daily DAG's start), a day with no register revision
in force, a day not yet ended, a DAG file that does not import; and a DagRun that ran no task stops
the backfill with an error. Pausing does not apply here: ``dag.test()`` runs the DAG itself, and
the embedded metadata DB registers every DAG paused. In production, ``airflow backfill create``
is the scheduler's: unpause the DAG first (``airflow dags unpause kawal_daily_kpis``).

Production runs the same thing through the scheduler (docs/onboarding-a-source.md)::

    airflow backfill create --dag-id kawal_daily_kpis --from-date 2025-01-02 --to-date 2026-01-01 \\
        --dag-run-conf '{"backfill": true}' --max-active-runs 1

(the logical dates are the *run* dates, the day after each business day, 01:00 site time).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TextIO

from kawal.errors import KawalError

DAG_ID = "kawal_daily_kpis"


@dataclass
class BackfillSummary:
    days: int = 0
    succeeded: list[date] = field(default_factory=list)
    failed: dict[date, list[str]] = field(default_factory=dict)  # day → tasks not successful
    reports: dict[str, str] = field(default_factory=dict)  # month → PDF path or delivery state
    seconds: float = 0.0
    data_docs: str = ""


def check_range(first: date, last: date) -> None:
    """Refuse a range the daily DAG would not run, saying why (before Airflow is touched)."""
    from kawal.register import load_register
    from kawal.settings import now_site

    if first > last:
        raise KawalError(f"--from {first} is after --to {last}")
    register = load_register()
    site = register.site
    if first < site.history_starts:
        raise KawalError(
            f"{first} is before the site's history_starts ({site.history_starts}, kpi_rules/site.yaml): the daily "
            "DAG starts there, so a run for that day would execute no task. Set history_starts earlier (and give "
            "the register a revision in force by then) to compute it"
        )
    first_revision = min(r.effective_from for r in register.revisions)
    if first < first_revision:
        raise KawalError(
            f"{first}: no register revision is in force before {first_revision} (kpi_rules/register.yaml): its "
            "values could not be judged. Give the register a baseline revision effective on or before that day"
        )
    today = now_site().date()
    if last >= today:
        raise KawalError(f"--to {last}: the day has not ended yet (today is {today}, site time)")


@contextmanager
def one_backfill_at_a_time(kawal_home: Path, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """One ``kawal backfill`` at a time per embedded Airflow (``KAWAL_HOME``) and per store.

    Two backfills of the same days at once collided in Airflow's metadata DB (a DagRun updated under
    the other's feet: an IntegrityError traceback) and raced on the store's unique keys (issue #17).
    The second waits — saying so in one line — and then re-runs its days, which changes nothing a
    first run stored (re-runs are idempotent): the store ends as one run leaves it.
    """
    import fcntl

    from kawal.store import engine_for
    from kawal.store.locks import named_lock

    folder = kawal_home / "airflow"
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "kawal-backfill.lock").open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait(f"another kawal backfill is running with KAWAL_HOME={kawal_home}: waiting for it to finish")
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            with named_lock(engine_for(), "kawal-backfill"):  # another KAWAL_HOME on the same store
                yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def run_backfill(
    first: date,
    last: date,
    *,
    kawal_home: Path,
    send_reports: bool = False,
    on_day: Callable[[date, str, float, TextIO], None] | None = None,
    log_name: str = "backfill-airflow.log",
    on_wait: Callable[[str], None] | None = None,
) -> BackfillSummary:
    check_range(first, last)
    with one_backfill_at_a_time(kawal_home, on_wait):
        return _run_backfill(first, last, kawal_home=kawal_home, send_reports=send_reports, on_day=on_day,
                             log_name=log_name)  # fmt: skip


def _run_backfill(
    first: date,
    last: date,
    *,
    kawal_home: Path,
    send_reports: bool,
    on_day: Callable[[date, str, float, TextIO], None] | None,
    log_name: str,
) -> BackfillSummary:
    from kawal.airflow_env import airflow_output_to, embedded_airflow_env, migrate_airflow_db

    env = embedded_airflow_env(kawal_home)
    os.environ.update(env)  # before Airflow is imported, so it reads this configuration
    logs = kawal_home / "logs"
    migrate_airflow_db(env, logs / "airflow-db-migrate.log")
    summary = BackfillSummary()
    t0 = time.monotonic()
    with airflow_output_to(logs / log_name) as terminal:
        from airflow.dag_processing.dagbag import DagBag

        from kawal.periods import daily_run_logical_date

        bag = DagBag(dag_folder=env["AIRFLOW__CORE__DAGS_FOLDER"])
        if bag.import_errors:
            raise KawalError(
                f"DAG file(s) do not import: {'; '.join(f'{k}: {v}' for k, v in bag.import_errors.items())}"
            )
        dag = bag.get_dag(DAG_ID)
        if dag is None:
            raise KawalError(f"DAG {DAG_ID} is not in the DAG folder {env['AIRFLOW__CORE__DAGS_FOLDER']}")
        day = first
        while day <= last:
            t = time.monotonic()
            run = dag.test(logical_date=daily_run_logical_date(day), run_conf={"backfill": True})
            state = str(run.state)
            tasks = run.get_task_instances()
            if not tasks:  # never a silent run of nothing
                raise KawalError(f"the DagRun for {day} executed no task: is {day} inside the DAG's schedule?")
            summary.days += 1
            if state == "success":
                summary.succeeded.append(day)
            else:
                summary.failed[day] = sorted(ti.task_id for ti in tasks if str(ti.state) != "success")
            if on_day is not None:
                on_day(day, state, time.monotonic() - t, terminal)
            day += timedelta(days=1)
        summary.reports = _month_ends(first, last, bag, send_reports)
        from kawal.checks.suites import build_data_docs

        summary.data_docs = str(build_data_docs())  # once, for every day (the daily task deferred it)
    summary.seconds = time.monotonic() - t0
    return summary


def complete_months(first: date, last: date) -> list[date]:
    """First days of the months wholly inside [first, last]."""
    from kawal.periods import month_end

    months = []
    m = first.replace(day=1)
    while m <= last:
        if m >= first and month_end(m) <= last:
            months.append(m)
        m = month_end(m) + timedelta(days=1)
    return months


def _month_ends(first: date, last: date, bag, send_reports: bool) -> dict[str, str]:  # type: ignore[no-untyped-def]
    from kawal.periods import monthly_report_logical_date
    from kawal.register import load_register
    from kawal.reports.deliver import produce
    from kawal.store import engine_for

    out: dict[str, str] = {}
    for month in complete_months(first, last):
        key = f"{month:%Y-%m}"
        if send_reports:  # the monthly DAG's own run, as scheduled on day 2 of the next month
            run = bag.get_dag("kawal_monthly_report").test(logical_date=monthly_report_logical_date(month))
            out[key] = f"kawal_monthly_report {run.state}"
        else:
            produced = produce(engine_for(), load_register(), month, stem=f"draf-laporan-kpi-{month:%Y-%m}-id")
            out[key] = str(produced.pdf)
    return out
