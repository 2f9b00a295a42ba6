"""What each benchmark measures, run in a child process so every repetition starts clean.

``python -m bench.steps kawal LANDING DAY STORE_URL [--profile HTML]`` prints one result line: the
seconds of Kawal's daily processing of the day's interactions (ingest + compute, the real GX suite,
the store on SQLite), the child's peak RSS, and the stored SCR/RT/AHT (checked against DuckDB's by
the runner). Imports and the GX context are loaded before the clock starts: a daily task pays them
once per process, and the issue asks for the processing "without interpreter start-up".
"""

from __future__ import annotations

import json
import resource
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _previous_day_batch(store_url: str, landing: Path, day: date) -> None:
    """Record the previous day's delivery as loaded, so the cross-delivery check ``ids_already_delivered``
    reads its ids as in production (the day before was ingested by yesterday's run)."""
    from kawal.ingest.delivery import day_file, sha256_of
    from kawal.store import IngestionBatch, engine_for, session_scope

    previous = day - timedelta(days=1)
    path = day_file(landing, "interactions", previous)
    with session_scope(engine_for(store_url)) as session:
        session.add(
            IngestionBatch(
                source="interactions",
                business_date=previous,
                file_name=path.relative_to(landing).as_posix(),
                checksum_sha256=sha256_of(path),
                row_count=0,
                state="loaded",
                received_at=datetime.now(UTC),
            )
        )


def kawal(landing: Path, day: date, store_url: str, profile: Path | None = None) -> dict:
    from sqlalchemy import select

    from kawal.checks.suites import gx_context
    from kawal.pipeline.daily import compute_source_kpis, ingest_source_day
    from kawal.store import engine_for, session_scope
    from kawal.store.models import KpiValue

    with gx_context():  # GX's import and project load (~5 s): paid once per worker process
        pass
    _previous_day_batch(store_url, landing, day)
    rss_before = _peak_rss_mb()
    profiler = None
    if profile is not None:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.005)
        profiler.start()
    t0, c0 = time.perf_counter(), time.process_time()
    batch = ingest_source_day("interactions", day, landing=landing, store_url=store_url)
    t1 = time.perf_counter()
    result = compute_source_kpis(batch.batch_id, landing=landing, store_url=store_url)
    t2, c2 = time.perf_counter(), time.process_time()
    if profiler is not None:
        profiler.stop()
        profile.write_text(profiler.output_html(), encoding="utf-8")
        profile.with_suffix(".txt").write_text(profiler.output_text(unicode=True, show_all=False), encoding="utf-8")
    with session_scope(engine_for(store_url)) as session:
        stored = {
            f"{v.kpi_id}|{v.scope}": v.value
            for v in session.scalars(
                select(KpiValue).where(
                    KpiValue.period_type == "day",
                    KpiValue.period_start == day,
                    KpiValue.kpi_id.in_(("scr", "rt", "aht")),
                )
            )
        }
    return {
        "kawal_s": t2 - t0,
        "kawal_cpu_s": c2 - c0,
        "ingest_s": t1 - t0,
        "compute_s": t2 - t1,
        "rows": result["rows"],
        "rss_before_mb": rss_before,
        "peak_rss_mb": _peak_rss_mb(),
        "values": stored,
    }


TRIVIAL_DAG = """from airflow.sdk import dag


@dag(schedule=None)
def trivial():
    pass


trivial()
"""


#: Airflow's own price of a TaskFlow DAG on a cron schedule: one ``@task`` (loads the standard
#: provider's Python operator) and a ``CronTriggerTimetable`` (loads croniter). The issue's trivial
#: file has neither; this second baseline tells Airflow's share from Kawal's.
TASKFLOW_CRON_DAG = """from datetime import datetime
from zoneinfo import ZoneInfo

from airflow.sdk import CronTriggerTimetable, dag, task


@task
def one():
    pass


@dag(schedule=CronTriggerTimetable("0 1 * * *", timezone=ZoneInfo("Asia/Jakarta")), start_date=datetime(2026, 1, 1))
def taskflow_cron():
    one()


taskflow_cron()
"""


def dag_parse(path: Path) -> dict:
    """Seconds to import one DAG file, in this fresh interpreter, after ``airflow.sdk`` is imported: the
    dag-processor's parsing process already has Airflow loaded, so what a file adds is what it costs."""
    import importlib.util

    t0 = time.perf_counter()
    import airflow.sdk  # noqa: F401 - what every DAG file (and the trivial one) shares

    sdk_s = time.perf_counter() - t0
    spec = importlib.util.spec_from_file_location(f"bench_dag_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    t0, c0 = time.perf_counter(), time.process_time()
    spec.loader.exec_module(module)
    return {"import_s": time.perf_counter() - t0, "import_cpu_s": time.process_time() - c0, "airflow_sdk_s": sdk_s}


def report(month: date, store_url: str, reps: int) -> dict:
    """The month's PDF (context from the store → HTML → PDF), as ``kawal report`` renders it: the first
    render (fonts and templates loaded) and the median of ``reps`` more."""
    from statistics import median

    from kawal.register import load_register
    from kawal.rendering import html_to_pdf as render_pdf
    from kawal.reports.context import build_context
    from kawal.reports.render import render_html
    from kawal.store import engine_for

    engine, register = engine_for(store_url), load_register()
    times, cpu, pages = [], [], 0
    for _ in range(reps + 1):
        t0, c0 = time.perf_counter(), time.process_time()
        pdf = render_pdf(render_html(build_context(engine, register, month, "id").as_dict()))
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    import pypdfium2

    pages = len(pypdfium2.PdfDocument(pdf))
    return {
        "first_s": times[0],
        "report_pdf_s": median(times[1:]),
        "report_pdf_cpu_s": median(cpu[1:]),
        "runs_s": times[1:],
        "pages": pages,
    }


def dag_wall(home: Path, day: date, store_url: str) -> dict:
    """One ``dag.test()`` of ``kawal_daily_kpis`` for ``day`` (the Airflow DB under ``home`` is migrated
    by the runner); its state must be success, or the figure would time a failure."""
    import os

    from kawal.airflow_env import embedded_airflow_env
    from kawal.notify.mailsink import MailSink

    env = embedded_airflow_env(home)
    sink = MailSink(home / "mail").start()
    env["AIRFLOW_CONN_SMTP_DEFAULT"] = sink.connection_uri
    env["KAWAL_DB_URL"] = store_url
    os.environ.update(env)  # before Airflow is imported (it reads its configuration at import)
    try:
        _previous_day_batch(store_url, home / "landing", day)
        from airflow.dag_processing.dagbag import DagBag

        from kawal.periods import daily_run_logical_date

        t0 = time.perf_counter()
        bag = DagBag(dag_folder=env["AIRFLOW__CORE__DAGS_FOLDER"])
        dag = bag.get_dag("kawal_daily_kpis")
        t1 = time.perf_counter()
        run = dag.test(logical_date=daily_run_logical_date(day))
        t2 = time.perf_counter()
        failed = sorted(ti.task_id for ti in run.get_task_instances() if str(ti.state) != "success")
    finally:
        sink.stop()
    return {"dag_wall_s": t2 - t1, "dagbag_s": t1 - t0, "state": str(run.state), "failed_tasks": failed}


def main(argv: list[str]) -> None:
    what = argv[0]
    if what == "kawal":
        profile = Path(argv[argv.index("--profile") + 1]) if "--profile" in argv else None
        out = kawal(Path(argv[1]), date.fromisoformat(argv[2]), argv[3], profile)
    elif what == "dag-parse":
        out = dag_parse(Path(argv[1]))
    elif what == "report":
        out = report(date.fromisoformat(argv[1]), argv[2], int(argv[3]))
    elif what == "dag-wall":
        out = dag_wall(Path(argv[1]), date.fromisoformat(argv[2]), argv[3])
    else:
        raise SystemExit(f"unknown step {what!r}")
    print("BENCH-RESULT " + json.dumps(out), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
