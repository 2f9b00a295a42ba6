"""Two days running at once (issue #11): they must not interfere.

The daily DAG allows several active runs (``max_active_runs=4``; a backfill runs days in parallel).
Two task processes compute two days of the same month at the same moment — both write their day and
both rewrite the same month-to-date roll-up — and the store must end exactly as if the two days had
run one after the other (compared row by row without surrogate ids and timestamps).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from kawal.demo.sources import write_demo_month
from kawal.store import engine_for
from tests.reliability.conftest import content, query, spawn_worker
from tests.reliability.worker import run_day

pytestmark = pytest.mark.reliability

DAYS = (date(2026, 3, 16), date(2026, 3, 17))
SOURCES = ("interactions", "csi_responses")  # two month roll-ups contended; the others run the same code


def test_two_days_at_once_end_as_if_run_one_after_the_other(
    kawal_env, mail_sink, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    landing, url = kawal_env
    write_demo_month(DAYS[0].replace(day=1), landing, seed=41, calls_per_day=300)
    reference = f"sqlite:///{tmp_path / 'reference.db'}"
    monkeypatch.setenv("KAWAL_DB_URL", reference)
    for day in DAYS:
        assert run_day(day, SOURCES) == []
    monkeypatch.setenv("KAWAL_DB_URL", url)
    engine_for(url)
    barrier = tmp_path / "go"

    workers = [spawn_worker("day", day.isoformat(), str(barrier), *SOURCES, env={}) for day in DAYS]
    barrier.write_text("go")  # both start together
    outputs = [w.communicate(timeout=900)[0].decode() for w in workers]

    assert [w.returncode for w in workers] == [0, 0], [o[-1500:] for o in outputs]
    # The recorded validation summary says which neighbouring days were there to compare with; run
    # side by side, 17 March finds no 16 March yet (reported: the cross-day id check is skipped in a
    # parallel backfill). Everything else must match.
    order_dependent = {"ingestion_batch": {"validation"}}
    assert content(url, order_dependent) == content(reference, order_dependent)
    month = query(url, "SELECT kpi_id, days_covered FROM kpi_value WHERE period_type='month' AND scope='all'")
    assert month and {m.days_covered for m in month} == {2}  # the roll-up holds both days, not the last writer's
