"""The same days backfilled twice at once (issue #17, finding 10).

Before the fix two ``kawal backfill`` of overlapping days on one KAWAL_HOME ran side by side: one
ended in an IntegrityError traceback from Airflow's metadata DB (a DagRun updated under the other's
feet), and both raced on the store's unique keys. Now one backfill runs at a time per embedded
Airflow and per store (kawal.pipeline.backfill.one_backfill_at_a_time): the second says it waits, in
one line, then re-runs its days — which changes nothing the first stored. Real processes, both
databases; two days and one day, overlapping on 6 Oct 2026 (each day costs tens of seconds here).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kawal.demo.sources import write_demo_month
from tests.conftest import REPO
from tests.reliability.conftest import query
from tests.reliability.race_worker import race

pytestmark = pytest.mark.reliability


def test_two_backfills_of_the_same_days_at_once_end_as_one_run_without_a_traceback(
    store_url: str, tmp_path: Path
) -> None:
    from datetime import date

    home = tmp_path / "var"
    write_demo_month(date(2026, 10, 1), home / "landing", seed=42, calls_per_day=60)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "KAWAL_LANDING"))}
    env.update(KAWAL_HOME=str(home), KAWAL_DB_URL=store_url, KAWAL_RULES_DIR=str(REPO / "kpi_rules"))

    results = race(
        tmp_path,
        "backfill",
        {
            "week": ["backfill", "--from", "2026-10-05", "--to", "2026-10-06"],
            "day": ["backfill", "--from", "2026-10-06", "--to", "2026-10-06"],
        },
        at_start=True,
        env=env,
    )

    assert [code for code, _ in results.values()] == [0, 0], {n: out[-12:] for n, (_, out) in results.items()}
    lines = [line for _, out in results.values() for line in out]
    assert not [line for line in lines if "Traceback" in line or "IntegrityError" in line], lines
    waited = [line for line in lines if "waiting for it to finish" in line]
    assert waited == [f"another kawal backfill is running with KAWAL_HOME={home}: waiting for it to finish"], lines
    assert "2 day(s) 2026-10-05 … 2026-10-06: 2 succeeded, 0 failed" in " ".join(results["week"][1])
    assert "1 day(s) 2026-10-06 … 2026-10-06: 1 succeeded, 0 failed" in " ".join(results["day"][1])
    # one batch per source and day, every one computed; the day's KPIs once; the mails held
    batches = query(store_url, "SELECT source, business_date, state FROM ingestion_batch")
    per_day = {(b.source, str(b.business_date)) for b in batches}
    assert len(batches) == len(per_day) and {b.state for b in batches} == {"loaded"}, batches
    assert {d for _, d in per_day} == {"2026-10-05", "2026-10-06"}
    days = query(store_url, "SELECT kpi_id, period_start, scope FROM kpi_value WHERE period_type='day'")
    assert len(days) == len(set(days))
    assert {n.state for n in query(store_url, "SELECT state FROM notification")} <= {"held"}
