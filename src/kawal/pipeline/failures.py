"""A failed run tells data engineering (#19): one mail per failed DagRun, through Kawal's outbox.

Airflow calls :func:`kawal.airflow_step.tell_data_engineering` (every Kawal DAG's task-level
``on_failure_callback``) when a task has failed for good (after its retries). Why Kawal's outbox and
not Airflow's ``SmtpNotifier``: the outbox already keeps every mail as a record with its recipients
and Message-ID, sends each exactly once however often a task fails or is re-run (the second failing
task of a run adds nothing), survives an SMTP outage (the
message waits, the next ``send_notifications`` delivers it), and passes every body through the
same guard as the other mails (no secret, no data cell). The mail names the DAG, the run's business
day, the first failed task and the first line of its error. Its key is the DAG and the logical date:
a re-run of the day that fails again tells nobody twice.

A backfilled run (``{"backfill": true}``) records its mail as *held*, like its breach mails: the
``kawal backfill`` output names the failed days; nobody is mailed about last year.

A callback must never fail the task a second time: a problem here is logged and swallowed.
"""

from __future__ import annotations

import logging
from datetime import date, datetime

log = logging.getLogger(__name__)

#: the longest first line of an error a mail carries (the task's log has the rest)
ERROR_CHARS = 300


def first_line(error: BaseException | str | None) -> str:
    text = str(error or "").strip()
    line = text.splitlines()[0] if text else "(no message)"
    return line if len(line) <= ERROR_CHARS else line[: ERROR_CHARS - 1] + "…"


def business_day_of(dag_id: str, logical_date: datetime | None) -> date | None:
    from kawal.periods import business_day_for_daily_run

    if logical_date is None:
        return None
    if dag_id == "kawal_daily_kpis":
        return business_day_for_daily_run(logical_date)
    from kawal.settings import site_tz

    return logical_date.astimezone(site_tz()).date()


def run_failed(
    *,
    dag_id: str,
    run_id: str,
    task_id: str,
    logical_date: datetime | None,
    error: BaseException | str | None,
    try_number: int | None = None,
    backfill: bool = False,
    store_url: str | None = None,
) -> bool:
    """Queue (once per run) and try to deliver the failed-run mail; True if this call queued it."""
    from kawal.notify.outbox import Mail, mail_data_engineering
    from kawal.register import load_register
    from kawal.store import engine_for

    register = load_register()
    engine = engine_for(store_url)
    day = business_day_of(dag_id, logical_date)
    shown_day = day.isoformat() if day else "—"
    line = first_line(error)
    # per DAG and logical date, not per run id: a day re-run (dag.test, kawal backfill, a cleared task)
    # that fails again is the same failure, told once (idempotent like every other mail)
    key = f"run-failed:{dag_id}:{logical_date.isoformat() if logical_date else run_id}"
    return mail_data_engineering(
        engine,
        register,
        key=key,
        kind="run_failed",
        hold=backfill,
        mail=Mail(
            subject=f"[Kawal] Run gagal: {dag_id} {shown_day}, task {task_id}",
            headline=f"{dag_id} untuk {shown_day} gagal di task {task_id}",
            tone="breach",
            greeting="Yth. tim data engineering,",
            intro=(
                f"Run {run_id} dari DAG {dag_id} gagal. Task pertama yang gagal: {task_id}"
                + (f" (percobaan ke-{try_number})." if try_number else ".")
            ),
            facts=[
                ("DAG", dag_id),
                ("Hari data", shown_day),
                ("Task", task_id),
                ("Galat (baris pertama)", line),
            ],
            expected=(
                "Baca log task di Airflow. Masalah data (ekspor hilang atau rusak) juga tercatat sebagai "
                "insiden data dengan nama berkasnya; setelah diperbaiki, jalankan ulang task tersebut: "
                "menjalankan ulang satu hari selalu aman."
            ),
            how_to_act=[f"airflow tasks clear {dag_id} -t '^{task_id}$' --downstream --yes"],
        ),
    )


def on_task_failure(context: dict) -> None:
    """The body of Airflow's ``on_failure_callback`` (see :mod:`kawal.airflow_step`)."""
    try:
        ti = context.get("ti") or context.get("task_instance")
        params = context.get("params") or {}
        run_failed(
            dag_id=str(getattr(ti, "dag_id", None) or context["dag"].dag_id),
            run_id=str(context.get("run_id") or getattr(ti, "run_id", "")),
            task_id=str(getattr(ti, "task_id", "?")),
            logical_date=context.get("logical_date"),
            error=context.get("exception"),
            try_number=getattr(ti, "try_number", None),
            backfill=bool(params.get("backfill", False)),
        )
    except Exception:  # a callback that raises would only hide the task's own failure
        log.warning("kawal: could not queue the failed-run mail", exc_info=True)
