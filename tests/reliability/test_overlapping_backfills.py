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


def test_one_day_run_twice_at_once_by_the_task_bodies_ends_as_one_run(
    kawal_env, mail_sink, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """Below the backfill: the daily DAG's task bodies for the *same* day in two processes at once (two
    DagRuns of one day, e.g. a manual run during the scheduler's). Each (source, day) and the defects
    step run one at a time (kawal.pipeline.daily): both processes succeed, the store is one run's."""
    from datetime import date

    from kawal.store import engine_for
    from tests.reliability.conftest import content, spawn_worker
    from tests.reliability.worker import run_day

    landing, url = kawal_env
    day, sources = date(2026, 3, 16), ("interactions", "csi_responses")
    write_demo_month(day.replace(day=1), landing, seed=41, calls_per_day=300)
    reference = f"sqlite:///{tmp_path / 'reference.db'}"
    monkeypatch.setenv("KAWAL_DB_URL", reference)
    assert run_day(day, sources) == []
    monkeypatch.setenv("KAWAL_DB_URL", url)
    engine_for(url)
    barrier = tmp_path / "go"
    workers = [spawn_worker("day", day.isoformat(), str(barrier), *sources, env={}) for _ in range(2)]
    barrier.write_text("go")
    outputs = [w.communicate(timeout=900)[0].decode() for w in workers]
    assert [w.returncode for w in workers] == [0, 0], [o[-2500:] for o in outputs]
    volatile = {"ingestion_batch": {"validation"}, "notification": {"state", "attempts", "last_error"}}
    assert content(url, volatile) == content(reference, volatile)
