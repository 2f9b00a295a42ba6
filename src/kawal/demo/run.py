"""``kawal demo``: a month of demo data through the real daily DAG, as real Airflow DAG runs.

Steps (each prints progress; Airflow's own log lines go to ``$KAWAL_HOME/logs/demo-airflow.log``):
1. generate the month's interaction files into ``$KAWAL_HOME/landing``;
2. migrate Airflow's metadata DB (SQLite under ``$KAWAL_HOME/airflow``) and Kawal's store;
3. run ``kawal_daily_interactions`` once per day with ``dag.test()`` (a DagRun per day in
   Airflow's DB), checking each run's state;
4. print the month's SCR, RT and AHT per day and for the month from the store.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TextIO

from kawal.errors import KawalError


@contextmanager
def _airflow_output_to(log_file: Path) -> Iterator[TextIO]:
    """Send fd 1/2 (Airflow's and the tasks' log lines) to ``log_file``; yield the real terminal."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    terminal = os.fdopen(os.dup(1), "w", buffering=1)
    with log_file.open("ab") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield terminal
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
            terminal.close()


def run_demo(first: date, *, kawal_home: Path, seed: int, calls_per_day: int, echo=print) -> int:  # type: ignore[no-untyped-def]
    from kawal.airflow_env import embedded_airflow_env, migrate_airflow_db

    env = embedded_airflow_env(kawal_home)
    os.environ.update(env)  # before Airflow is imported, so it reads this configuration
    landing = kawal_home / "landing"
    logs = kawal_home / "logs"

    from kawal.demo.interactions import write_month

    echo(f"[1/4] Data demo {first:%Y-%m} → {landing}/interactions (seed {seed})")
    write_month(
        first,
        landing,
        seed=seed,
        calls_per_day=calls_per_day,
        progress=lambda d, n, kind: echo(
            f"      {d}  {n:>6} interaksi" + (f"  (hari buruk: {kind})" if kind else "")
        ),
    )

    echo(f"[2/4] Airflow metadata DB ({env['AIRFLOW_HOME']}/airflow.db) dan store Kawal")
    t0 = time.monotonic()
    migrate_airflow_db(env, logs / "airflow-db-migrate.log")
    from kawal.settings import store_url
    from kawal.store import engine_for

    engine = engine_for()
    echo(f"      siap dalam {time.monotonic() - t0:.1f} s · store: {store_url()}")

    from kawal.periods import daily_run_logical_date, days_of_month

    echo("[3/4] DAG kawal_daily_interactions, satu DagRun per hari (dag.test)")
    failed: list[date] = []
    with _airflow_output_to(logs / "demo-airflow.log") as terminal:
        from airflow.dag_processing.dagbag import DagBag

        bag = DagBag(dag_folder=env["AIRFLOW__CORE__DAGS_FOLDER"])
        if bag.import_errors:
            raise KawalError(f"DAG import errors: {bag.import_errors}")
        dag = bag.get_dag("kawal_daily_interactions")
        for day in days_of_month(first):
            t = time.monotonic()
            run = dag.test(logical_date=daily_run_logical_date(day))
            state = str(run.state)
            if state != "success":
                failed.append(day)
            print(f"      {day}  DagRun {run.run_id}  {state}  {time.monotonic() - t:.1f} s", file=terminal)

    from kawal.kpis.summary import month_table, render_month_table
    from kawal.register import load_register

    echo("[4/4] Hasil (dari store Kawal)")
    kpis = load_register().for_source("interactions")
    echo(render_month_table(month_table(engine, kpis, first)))
    echo(f"Log Airflow: {logs / 'demo-airflow.log'}")
    if failed:
        echo(f"GAGAL: {len(failed)} DagRun tidak sukses: {', '.join(map(str, failed))} (lihat log di atas)")
        return 1
    return 0
