"""A missing export is waited for, until its source's cut-off (issue #19).

The daily run starts at 01:00 site time; an export that lands at 01:20 used to fail its ingest task at
once and needed a manual clear. Now an export not yet in the landing folder before its source's
cut-off (``kpi_rules/site.yaml`` ``export_cutoff``: the time of the day after the business day,
``default`` 06:00) is not a failure: the ingest task is re-checked every :data:`RECHECK` (Airflow's
*reschedule*: the task gives its worker slot back between checks, like a sensor in reschedule mode).
Once the cut-off has passed, the missing export is what it always was: the task fails with its one
line and the defects step opens the data incident (§5.3).

By ``daily_run_due_by`` (site.yaml, 08:00 by default) every source of the day must be finished: its
delivery loaded or quarantined, or its missing export recorded as a data incident.
:func:`alert_if_daily_unfinished` (the DAG ``kawal_daily_deadline``) tells data engineering once per day
which sources are not, whatever held them up (a stuck worker, a scheduler down, an export still awaited).

The cut-off is judged on the site clock (``KAWAL_NOW`` pins it in tests); the next check is a real
moment for Airflow's scheduler. A past day (a backfill, a re-run next week) is long past its cut-off:
it never waits.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta

from kawal.errors import ExportAwaited


def recheck_interval() -> timedelta:
    """How often a missing export is looked for again (``KAWAL_EXPORT_RECHECK_S``, default 10 minutes)."""
    return timedelta(seconds=float(os.environ.get("KAWAL_EXPORT_RECHECK_S", 600)))


def wait_for_export(source: str, day: date, *, now: datetime | None = None) -> None:
    """Raise :class:`ExportAwaited` while ``source``'s export of ``day`` may still arrive; return once
    its cut-off has passed (the caller then reports it missing)."""
    from kawal.settings import now_site
    from kawal.site import load_site

    cutoff = load_site().export_cutoff_for(source, day)
    now = now or now_site()
    if now < cutoff:
        recheck = datetime.now(UTC) + recheck_interval()
        raise ExportAwaited(source, day, min(recheck, cutoff.astimezone(UTC)), cutoff)


def unfinished_sources(day: date, *, store_url: str | None = None) -> list[str]:
    """The site's sources whose ``day`` is not finished: no loaded or quarantined batch, and no data
    incident for a missing export (a monthly table counts on its month's last day only)."""
    from sqlalchemy import select

    from kawal.ingest.mapping import monthly_delivery
    from kawal.periods import month_end
    from kawal.site import load_site
    from kawal.store import engine_for, session_scope
    from kawal.store.models import DefectOccurrence, IngestionBatch

    with session_scope(engine_for(store_url)) as session:
        done = set(
            session.scalars(
                select(IngestionBatch.source).where(
                    IngestionBatch.business_date == day, IngestionBatch.state.in_(("loaded", "quarantined"))
                )
            )
        )
        done |= set(
            session.scalars(
                select(DefectOccurrence.subject).where(
                    DefectOccurrence.kind == "data_incident", DefectOccurrence.period_start == day
                )
            )
        )
    due = [s for s in load_site().sources if not monthly_delivery(s) or day == month_end(day)]
    return [s for s in due if s not in done]


def alert_if_daily_unfinished(day: date, *, store_url: str | None = None) -> dict:
    """Tell data engineering (once per day) which sources of ``day`` the daily run has not finished."""
    from kawal.notify.outbox import Mail, mail_data_engineering
    from kawal.register import load_register
    from kawal.site import load_site
    from kawal.store import engine_for

    late = unfinished_sources(day, store_url=store_url)
    if not late:
        return {"business_date": day.isoformat(), "unfinished": [], "alerted": False}
    register = load_register()
    due = load_site().daily_run_due_by
    engine = engine_for(store_url)
    queued = mail_data_engineering(
        engine,
        register,
        key=f"daily-late:{day.isoformat()}",
        kind="daily_late",
        mail=Mail(
            subject=f"[Kawal] Run harian {day.isoformat()} belum selesai pukul {due:%H:%M}: {', '.join(late)}",
            headline=f"Data {day.isoformat()} belum selesai diproses: {', '.join(late)}",
            tone="at_risk",
            greeting="Yth. tim data engineering,",
            intro=(
                f"Pukul {due:%H:%M} (kpi_rules/site.yaml daily_run_due_by) sumber berikut untuk {day.isoformat()} "
                "belum dimuat, belum dikarantina, dan belum tercatat sebagai insiden data."
            ),
            facts=[("Hari data", day.isoformat()), ("Sumber", ", ".join(late))],
            expected=(
                "Periksa run kawal_daily_kpis hari itu di Airflow (task yang masih berjalan, menunggu "
                "ekspor, atau tertahan), lalu selesaikan atau jalankan ulang."
            ),
            how_to_act=[f"airflow dags list-runs kawal_daily_kpis --start-date {day.isoformat()}"],
        ),
    )
    return {"business_date": day.isoformat(), "unfinished": late, "alerted": queued}
