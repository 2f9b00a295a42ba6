"""A missing export is waited for, until its source's cut-off (issue #19).

The daily run starts at 01:00 site time; an export that lands at 01:20 used to fail its ingest task at
once and needed a manual clear. Now an export not yet in the landing folder before its source's
cut-off (``kpi_rules/site.yaml`` ``export_cutoff``: the time of the day after the business day,
``default`` 06:00) is not a failure: the ingest task is re-checked every :data:`RECHECK` (Airflow's
*reschedule*: the task gives its worker slot back between checks, like a sensor in reschedule mode).
Once the cut-off has passed, the missing export is what it always was: the task fails with its one
line and the defects step opens the data incident (§5.3).

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
