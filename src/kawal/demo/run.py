"""``kawal demo``: a month of demo data through the real daily DAG, as real Airflow DAG runs.

Steps (each prints progress; Airflow's own log lines go to ``$KAWAL_HOME/logs/demo-airflow.log``):
1. generate the month's files of every canonical source into ``$KAWAL_HOME/landing``;
2. migrate Airflow's metadata DB (SQLite under ``$KAWAL_HOME/airflow``) and Kawal's store;
3. run ``kawal_daily_kpis`` once per day with ``dag.test()`` (a DagRun per day in Airflow's DB),
   checking each run's state;
4. print SCR, RT and AHT per day and for the month, then the month's attainment of every KPI by
   category, from the store.
"""

from __future__ import annotations

import os
import time
from datetime import date
from pathlib import Path

from kawal.errors import KawalError

#: what the planted bad-data day must fail, and only that: the interactions branch and the run's verdict
PLANTED_FAULT_TASKS = {"ingest_interactions", "compute_interactions", "confirm_sources_loaded"}


def run_demo(first: date, *, kawal_home: Path, seed: int, calls_per_day: int, echo=print) -> int:  # type: ignore[no-untyped-def]
    from kawal.airflow_env import embedded_airflow_env
    from kawal.notify.mailsink import MailSink

    env = embedded_airflow_env(kawal_home)
    # The demo's notifications go through Airflow's SMTP connection to a local SMTP sink that keeps
    # each mail as var/mail/NNNN.eml: the real delivery path, with nothing to install.
    sink = MailSink(kawal_home / "mail").start()
    env["AIRFLOW_CONN_SMTP_DEFAULT"] = sink.connection_uri
    os.environ.update(env)  # before Airflow is imported, so it reads this configuration
    try:
        return _run(first, kawal_home, env, sink, seed=seed, calls_per_day=calls_per_day, echo=echo)
    finally:
        sink.stop()


def _run(first: date, kawal_home: Path, env: dict, sink, *, seed: int, calls_per_day: int, echo) -> int:  # type: ignore[no-untyped-def]
    from kawal.airflow_env import airflow_output_to, migrate_airflow_db

    landing = kawal_home / "landing"
    logs = kawal_home / "logs"

    from kawal.demo.sources import DATA_FAULT_CUTOFF_HOUR, plan_month, write_demo_month

    echo(f"[1/4] Data demo {first:%Y-%m} → {landing}/<sumber>/ (seed {seed})")
    plan = plan_month(first, seed)
    totals: dict[str, int] = {}

    def progress(source: str, day: date, n: int) -> None:
        totals[source] = totals.get(source, 0) + n
        if source == "interactions":
            kind = plan.interaction_kind(day)
            note = f"  (hari buruk: {kind})" if kind else ""
            if day == plan.data_fault_day:
                note = f"  (data rusak: ekspor ACD terhenti pukul {DATA_FAULT_CUTOFF_HOUR}:00 WIB)"
            echo(f"      {day}  {n:>6} interaksi" + note)

    write_demo_month(first, landing, seed=seed, calls_per_day=calls_per_day, progress=progress)
    echo("      " + ", ".join(f"{source} {n:,}" for source, n in totals.items()) + " baris")

    echo(f"[2/4] Airflow metadata DB ({env['AIRFLOW_HOME']}/airflow.db) dan store Kawal")
    t0 = time.monotonic()
    migrate_airflow_db(env, logs / "airflow-db-migrate.log")
    from kawal.settings import shown_url, store_url
    from kawal.store import engine_for

    engine = engine_for()
    echo(f"      siap dalam {time.monotonic() - t0:.1f} s · store: {shown_url(store_url())}")

    from kawal.periods import daily_run_logical_date, days_of_month

    echo("[3/4] DAG kawal_daily_kpis, satu DagRun per hari (dag.test), 8 sumber per run")
    failed: list[date] = []
    with airflow_output_to(logs / "demo-airflow.log") as terminal:
        from airflow.dag_processing.dagbag import DagBag

        bag = DagBag(dag_folder=env["AIRFLOW__CORE__DAGS_FOLDER"])
        if bag.import_errors:
            raise KawalError(f"DAG import errors: {bag.import_errors}")
        dag = bag.get_dag("kawal_daily_kpis")
        for day in days_of_month(first):
            t = time.monotonic()
            run = dag.test(logical_date=daily_run_logical_date(day))
            state = str(run.state)
            if state != "success":
                bad = sorted(ti.task_id for ti in run.get_task_instances() if str(ti.state) != "success")
                state += f" ({', '.join(bad)})"
                if day == plan.data_fault_day and set(bad) == PLANTED_FAULT_TASKS:
                    state += " — sesuai rencana: data interactions dikarantina"
                else:
                    failed.append(day)
            print(f"      {day}  {state}  {time.monotonic() - t:.1f} s", file=terminal)

        # §5.4: the monthly DAG's own run, as scheduled on day 2 of the next month at 07:00 WIB
        from kawal.periods import monthly_report_logical_date

        logical = monthly_report_logical_date(first)
        nxt = logical.date()
        t = time.monotonic()
        report_run = bag.get_dag("kawal_monthly_report").test(logical_date=logical)
        print(
            f"      laporan bulanan (kawal_monthly_report, {nxt} 07:00 WIB)  {report_run.state}  "
            f"{time.monotonic() - t:.1f} s",
            file=terminal,
        )
        if str(report_run.state) != "success":
            failed.append(nxt)

    from kawal.kpis.summary import month_attainment, render_attainment, render_daily_table
    from kawal.register import load_register

    echo("[4/4] Hasil (dari store Kawal)")
    register = load_register()
    echo(render_daily_table(engine, register, "interactions", first))
    echo("")
    echo(render_attainment(month_attainment(engine, register, first), register, first))
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from kawal.store.models import DefectOccurrence, DefectTicket, Notification

    echo("")
    with Session(engine) as session:
        tickets = session.scalars(select(DefectTicket).order_by(DefectTicket.id)).all()
        occurrences = dict(
            session.execute(select(DefectOccurrence.ticket_id, func.count()).group_by(DefectOccurrence.ticket_id)).all()
        )
        sent = session.scalar(select(func.count()).select_from(Notification).where(Notification.state == "sent"))
        pending = session.scalar(select(func.count()).select_from(Notification).where(Notification.state != "sent"))
    echo(f"Tiket defect & insiden data: {len(tickets)}")
    for t in tickets:
        subject = register.kpi(t.subject).name_id if register.has_kpi(t.subject) else f"data {t.subject}"
        echo(
            f"  #{t.id:<3} {subject[:44]:<44} {t.state:<9} {t.severity:<8} dibuka {t.opened_on} "
            f"{occurrences.get(t.id, 0)}× PIC {t.responsible}{' ↻ berulang' if t.repeat_flag else ''}"
        )
    if plan.data_fault_day is not None:
        echo(
            f"Hari data rusak {plan.data_fault_day}: ekspor interactions dikarantina; "
            "SCR/RT/AHT not_evaluable hari itu, insiden data untuk data engineering (bukan defect KPI). Data Docs GX: "
            f"{kawal_home / 'gx-docs' / 'index.html'}"
        )
    echo(f"Email: {sent} terkirim lewat SMTP ke {sink.folder} (berkas .eml), {pending} tertunda")
    from kawal.reports.deliver import send_report

    status = send_report(engine, register, first)  # already delivered by the DAG: reads the record only
    echo(f"Laporan Capaian KPI Bulanan: {kawal_home / status.pdf}")
    echo(
        f"  email {status.state} {status.sent_at or ''} To {status.to.split(' <')[0]} + Cc "
        f"{len(status.cc.split('>, '))} orang, Message-ID {status.message_id}, ke {sink.folder}"
    )
    echo("Langkah berikut: .venv/bin/kawal defects show 1 · kawal defects analyse 1 --as <PIC> …")
    echo(f"Log Airflow: {logs / 'demo-airflow.log'}")
    if failed:
        echo(f"GAGAL: {len(failed)} DagRun tidak sukses: {', '.join(map(str, failed))} (lihat log di atas)")
        return 1
    return 0
