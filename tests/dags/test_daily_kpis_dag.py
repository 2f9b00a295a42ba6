"""The daily DAG under real Airflow (dag.test), on SQLite and PostgreSQL stores.

Expected values are recomputed from the same CSVs with the csv module and plain arithmetic (a
different route from the pandas code under test).
"""

from __future__ import annotations

import csv
import hashlib
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from kawal.demo.sources import plan_month, write_demo_month
from kawal.ingest.delivery import day_file
from kawal.periods import daily_run_logical_date
from kawal.sources import SOURCES
from kawal.store import engine_for

DAY = date(2026, 3, 16)  # a Monday
SHORT_ABANDON_S = 5.0  # kpi_rules/register.yaml, KPI scr
INTERACTION_KPIS = ("scr", "rt", "aht")


def _expected_interactions(path: Path) -> dict[tuple[str, str], tuple[float, float]]:
    """(kpi, scope) → (numerator, denominator), by hand from the file."""
    acc: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    with path.open(newline="") as fh:
        for r in csv.DictReader(fh):
            answered = r["outcome"] == "answered"
            short = r["outcome"] == "abandoned" and float(r["wait_s"]) < SHORT_ABANDON_S
            handling = float(r["talk_s"]) + float(r["hold_s"]) + float(r["acw_s"])
            for scope in ("all", f"channel={r['channel']}"):
                acc[("scr", scope)][0] += answered
                acc[("scr", scope)][1] += 0 if short else 1
                if answered:
                    acc[("rt", scope)][0] += float(r["wait_s"])
                    acc[("rt", scope)][1] += 1
                    acc[("aht", scope)][0] += handling
                    acc[("aht", scope)][1] += 1
    return {k: (v[0], v[1]) for k, v in acc.items()}


def _table_digest(url: str) -> str:
    engine = create_engine(url)
    digest = hashlib.sha256()
    with engine.connect() as conn:
        for table in (
            "ingestion_batch",
            "kpi_value",
            "defect_ticket",
            "defect_occurrence",
            "defect_event",
            "recovery_action",
            "notification",
        ):
            for row in conn.execute(text(f"SELECT * FROM {table} ORDER BY id")):
                digest.update(repr(tuple(row)).encode())
    engine.dispose()
    return digest.hexdigest()


def _query(url: str, sql: str, **params):  # type: ignore[no-untyped-def]
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text(sql), params).all()
    engine.dispose()
    return rows


@pytest.fixture
def daily_dag(airflow_db):  # type: ignore[no-untyped-def]
    from airflow.dag_processing.dagbag import DagBag

    from tests.conftest import REPO

    return DagBag(dag_folder=str(REPO / "dags")).get_dag("kawal_daily_kpis")


@pytest.fixture
def run_env(monkeypatch: pytest.MonkeyPatch, landing: Path, store_url: str, mail_sink) -> tuple[Path, str]:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("KAWAL_LANDING_DIR", str(landing))
    monkeypatch.setenv("KAWAL_DB_URL", store_url)
    return landing, store_url


def _task_states(run) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {ti.task_id: str(ti.state) for ti in run.get_task_instances()}


def test_daily_run_stores_values_equal_to_an_independent_computation(daily_dag, run_env) -> None:  # type: ignore[no-untyped-def]
    landing, url = run_env
    write_demo_month(DAY.replace(day=1), landing, seed=11, calls_per_day=600)

    run = daily_dag.test(logical_date=daily_run_logical_date(DAY))

    assert str(run.state) == "success", _task_states(run)
    assert set(_task_states(run)) == {f"{step}_{s}" for s in SOURCES for step in ("ingest", "compute")} | {
        "confirm_sources_loaded",
        "build_data_docs",
        "open_defects",
        "send_notifications",
    }
    expected = _expected_interactions(day_file(landing, "interactions", DAY))
    stored = {
        (r.kpi_id, r.scope): (r.numerator, r.denominator, r.value)
        for r in _query(url, "SELECT * FROM kpi_value WHERE period_type='day' AND period_start=:d", d=DAY)
        if r.kpi_id in INTERACTION_KPIS
    }
    assert set(stored) == set(expected)
    for key, (num, den) in expected.items():
        scale = 100 if key[0] == "scr" else 1
        assert stored[key][0] == pytest.approx(num) and stored[key][1] == pytest.approx(den), key
        assert stored[key][2] == pytest.approx(scale * num / den), key
    # only this day ran: the month-to-date row is that day's components
    (month,) = _query(url, "SELECT numerator, denominator, days_covered FROM kpi_value "
                           "WHERE period_type='month' AND kpi_id='scr' AND scope='all'")  # fmt: skip
    assert (month.numerator, month.denominator, month.days_covered) == (*expected[("scr", "all")], 1)
    # every source was ingested once
    batches = _query(url, "SELECT source, state FROM ingestion_batch ORDER BY source")
    assert sorted(b.source for b in batches) == sorted(SOURCES) and {b.state for b in batches} == {"loaded"}


def test_attrition_month_uses_average_headcount(daily_dag, run_env) -> None:  # type: ignore[no-untyped-def]
    landing, url = run_env
    write_demo_month(DAY.replace(day=1), landing, seed=5, calls_per_day=100)
    days = [DAY, DAY.replace(day=17), DAY.replace(day=18)]
    for day in days:
        assert str(daily_dag.test(logical_date=daily_run_logical_date(day)).state) == "success"
    leavers = headcount = 0.0
    for day in days:
        with day_file(landing, "seats_headcount", day).open(newline="") as fh:
            for r in csv.DictReader(fh):
                leavers += float(r["leavers"])
                headcount += float(r["headcount"])
    (month,) = _query(
        url, "SELECT value FROM kpi_value WHERE kpi_id='attrition' AND period_type='month' AND scope='all'"
    )
    assert month.value == pytest.approx(100 * leavers / (headcount / len(days)))


def test_rerunning_a_day_leaves_the_store_identical_and_sends_nothing(daily_dag, run_env, mail_sink) -> None:  # type: ignore[no-untyped-def]
    landing, url = run_env
    write_demo_month(DAY.replace(day=1), landing, seed=12, calls_per_day=300)
    plan = plan_month(DAY.replace(day=1), 12)
    bad_day = next(d for d, kind in plan.interaction_bad_days.items() if kind == "short_staffed")
    for day in (bad_day, DAY):
        assert str(daily_dag.test(logical_date=daily_run_logical_date(day)).state) == "success"
    before = _table_digest(url)
    mails_before = len(mail_sink.messages())
    assert mails_before >= 1  # the short-staffed day's SCR defect was told
    sqlite_bytes = Path(url.removeprefix("sqlite:///")).read_bytes() if url.startswith("sqlite") else None

    assert str(daily_dag.test(logical_date=daily_run_logical_date(bad_day)).state) == "success"

    assert _table_digest(url) == before
    assert len(mail_sink.messages()) == mails_before
    if sqlite_bytes is not None:  # the embedded store: not one byte written
        assert Path(url.removeprefix("sqlite:///")).read_bytes() == sqlite_bytes


def test_restated_day_supersedes_the_earlier_batch(daily_dag, run_env) -> None:  # type: ignore[no-untyped-def]
    landing, url = run_env
    write_demo_month(DAY.replace(day=1), landing, seed=13, calls_per_day=300)
    assert str(daily_dag.test(logical_date=daily_run_logical_date(DAY)).state) == "success"
    path = day_file(landing, "interactions", DAY)
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:-50]))  # the corrected delivery has 50 rows fewer

    assert str(daily_dag.test(logical_date=daily_run_logical_date(DAY)).state) == "success"

    batches = _query(url, "SELECT state, row_count FROM ingestion_batch WHERE source='interactions' ORDER BY id")
    assert [(b.state, b.row_count) for b in batches] == [
        ("superseded", len(lines) - 1),
        ("loaded", len(lines) - 51),
    ]
    (n,) = _query(url, "SELECT count(*) FROM kpi_value WHERE period_type='day' AND kpi_id IN ('scr', 'rt', 'aht')")
    assert n[0] == 3 * 4  # 3 KPIs × (all + 3 channels): no duplicates from the first delivery


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no interactions file delivered for 2026-03-16"),
        ("", "file is empty"),
        ("interaction_id,channel,queue\n1,voice,gadai\n", "missing required column(s)"),
    ],
    ids=["missing", "empty", "wrong-columns"],
)
def test_bad_input_fails_its_source_with_one_clear_line_and_the_others_go_on(
    daily_dag,
    run_env,
    content,
    message,
    capfd,
    mail_sink,  # type: ignore[no-untyped-def]
) -> None:
    landing, url = run_env
    engine_for(url)  # the store exists and is empty before the run
    write_demo_month(DAY.replace(day=1), landing, seed=14, calls_per_day=100)
    path = day_file(landing, "interactions", DAY)
    if content is None:
        path.unlink()
    else:
        path.write_text(content)

    run = daily_dag.test(logical_date=daily_run_logical_date(DAY))

    assert str(run.state) == "failed"
    states = _task_states(run)
    assert states.pop("ingest_interactions") == "failed"  # at once: no retries for a user mistake
    assert states.pop("compute_interactions") == "upstream_failed"
    assert states.pop("confirm_sources_loaded") == "upstream_failed"  # the run's verdict: failed
    assert set(states.values()) == {"success"}, states  # the other sources, defects and mail went on
    # Airflow 3 logs through structlog to the terminal: the task's error is the one-line message
    out, err = capfd.readouterr()
    error_lines = [line for line in (out + err).splitlines() if "AirflowFailException:" in line]
    assert error_lines and all(message in line for line in error_lines), error_lines
    # nothing of the bad source was computed: its KPIs are not_evaluable for the day, with the reason;
    # a delivered (if bad) file is kept quarantined; the good sources were loaded
    values = _query(url, "SELECT status, value, reason FROM kpi_value WHERE period_type = 'day' "
                         "AND kpi_id IN ('scr', 'rt', 'aht')")  # fmt: skip
    assert len(values) == 3 and {(v.status, v.value) for v in values} == {("not_evaluable", None)}
    assert all(message in v.reason for v in values)
    kept = _query(url, "SELECT state FROM ingestion_batch WHERE source='interactions'")
    assert [k.state for k in kept] == ([] if content is None else ["quarantined"])
    assert _query(url, "SELECT count(*) FROM ingestion_batch WHERE state = 'loaded'")[0][0] == len(SOURCES) - 1
    # a data incident for data engineering, not a KPI defect; its mail went through real SMTP
    tickets = {(t.kind, t.subject) for t in _query(url, "SELECT kind, subject FROM defect_ticket")}
    assert ("data_incident", "interactions") in tickets
    assert not {("kpi_defect", k) for k in INTERACTION_KPIS} & tickets
    (mail,) = [m for m in mail_sink.messages() if "Insiden data" in m["Subject"]]
    assert "Insiden data: interactions 2026-03-16" in mail["Subject"]
    assert "tono.wijaya@kawal-demo.example" in mail["To"]
    assert message in mail.get_body(("plain",)).get_content()
    # #19: the failed run told data engineering once, with the task, the day and the error's first line
    failed = [m for m in mail_sink.messages() if "Run gagal" in m["Subject"]]
    assert len(failed) == 1, [m["Subject"] for m in mail_sink.messages()]
    assert (
        " ".join(failed[0]["Subject"].split())
        == "[Kawal] Run gagal: kawal_daily_kpis 2026-03-16, task ingest_interactions"
    )
    assert "tono.wijaya@kawal-demo.example" in failed[0]["To"]
    assert message in failed[0].get_body(("plain",)).get_content()
    # a re-run of the same day fails again, and tells nobody twice
    again = daily_dag.test(logical_date=daily_run_logical_date(DAY))
    assert str(again.state) == "failed"
    assert len([m for m in mail_sink.messages() if "Run gagal" in m["Subject"]]) == 1


def test_a_backfilled_day_that_fails_records_its_failed_run_mail_as_held(daily_dag, run_env, mail_sink) -> None:  # type: ignore[no-untyped-def]
    landing, url = run_env
    engine_for(url)
    write_demo_month(DAY.replace(day=1), landing, seed=14, calls_per_day=100)
    day_file(landing, "interactions", DAY).unlink()
    run = daily_dag.test(logical_date=daily_run_logical_date(DAY), run_conf={"backfill": True})
    assert str(run.state) == "failed"
    rows = _query(url, "SELECT state, to_addrs FROM notification WHERE kind = 'run_failed'")
    assert [(r.state, r.to_addrs) for r in rows] == [("held", "Tono Wijaya <tono.wijaya@kawal-demo.example>")]
    assert [m for m in mail_sink.messages() if "Run gagal" in m["Subject"]] == []  # kawal backfill names the day


def test_a_late_export_is_waited_for_and_loads_when_it_lands(daily_dag, run_env, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """#19: at 02:00 WIB the day's interactions export is not in; before its cut-off (06:00, site.yaml)
    the ingest task is rescheduled, not failed; the export lands meanwhile and the run succeeds."""
    import shutil

    from airflow.models.taskreschedule import TaskReschedule
    from airflow.utils.session import create_session

    import kawal.pipeline.lateness as lateness

    landing, url = run_env
    write_demo_month(DAY.replace(day=1), landing, seed=14, calls_per_day=100)
    path = day_file(landing, "interactions", DAY)
    held_back = landing.parent / "outbox-of-the-acd" / path.name
    held_back.parent.mkdir()
    shutil.move(path, held_back)
    monkeypatch.setenv("KAWAL_NOW", "2026-03-17T02:00:00+07:00")  # after the 01:00 run started, before 06:00
    monkeypatch.setenv("KAWAL_EXPORT_RECHECK_S", "1")
    checks: list[str] = []
    real_wait = lateness.wait_for_export

    def wait_and_let_it_land(source, day, **kw):  # type: ignore[no-untyped-def]
        checks.append(source)
        try:
            real_wait(source, day, **kw)  # the real decision: before the cut-off, it raises ExportAwaited
        finally:
            # the ACD's transfer finishes right after this check found nothing (write, then rename): the
            # next check, a reschedule later, finds it; no timer, so the count of checks is exact
            if held_back.exists():
                shutil.move(held_back, path)

    monkeypatch.setattr(lateness, "wait_for_export", wait_and_let_it_land)
    run = daily_dag.test(logical_date=daily_run_logical_date(DAY))

    assert str(run.state) == "success", _task_states(run)
    assert checks == ["interactions"]  # looked for once while missing, found at the re-check
    with create_session() as session:
        waits = session.query(TaskReschedule).join(TaskReschedule.task_instance).filter_by(
            dag_id="kawal_daily_kpis", run_id=run.run_id, task_id="ingest_interactions"
        ).count()  # fmt: skip
    assert waits == 1
    tickets = _query(url, "SELECT kind, subject FROM defect_ticket WHERE kind = 'data_incident'")
    assert tickets == []  # waited for, never a data incident
    assert (
        _query(url, "SELECT count(*) FROM ingestion_batch WHERE source = 'interactions' AND state = 'loaded'")[0][0]
        == 1
    )
