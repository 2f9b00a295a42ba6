"""
### Kawal · harian · sumber data → KPI (semua kategori)

**What**: every day at 01:00 site time (kpi_rules/site.yaml `timezone`, WIB by default), for the
day that just ended (derived from the logical date in the site's zone, not from the data
interval), each source of the site (kpi_rules/site.yaml `sources`) runs its own branch:
`ingest_<source>` reads `landing/<source>/<source>_YYYY-MM-DD.csv` (or the source's own export
through its mapping in `mappings/`), validates it with the source's Great Expectations suite
(`great_expectations/`) and the cross-delivery checks (same file again, ids already delivered,
volume against the last 28 days, export cut off before 20:00 site time) and records an ingestion batch;
`build_data_docs` renders the validation results into `$KAWAL_HOME/gx-docs/`;
`compute_<source>` stores that source's KPIs from `kpi_rules/register.yaml` as numerator and
denominator — overall and per breakdown (channel, system, team) — plus the month-to-date roll-up,
in one transaction, each value judged against the register revision in force.
Then `open_defects` opens or updates defect tickets for the breaches (one active ticket per KPI,
the PIC told once), applies the repeat rule and escalations, and `send_notifications` delivers the
outbox through Airflow's SMTP connection (`smtp_default`). A source whose file is missing or bad
is *quarantined* (kept with its validation result), its KPIs are stored `not_evaluable` for the
day with the reason, and a *data incident* goes to data engineering instead of any KPI defect.

**Why one branch per source**: sources come from different systems (ACD, QM tool, NOC, HRIS,
WFM) and fail independently; a late HRIS export must not hold back the Performance KPIs. The
run is *failed* when any source failed, so nobody misses it, but the other sources are stored.

**Owner**: data engineering (`kawal-data-engineering`). Formulas: `docs/kpi-definitions.md`.

**Triage**
- `ingest_<source>` *up for reschedule*: the export has not landed yet; it is looked for again every
  10 minutes until the source's cut-off (kpi_rules/site.yaml `export_cutoff`, 06:00 by default).
- `ingest_<source>` failed with *no <source> file delivered*: the export had not landed by its
  cut-off. Ask the source's owner; once it is in the landing folder, clear the task (re-run the day).
- *missing required column(s)* / *row N, column X*: the export's layout changed or a row is
  broken; the message names file, row and column. Fix the export or its mapping, re-run.
- *GX suite <source>: …* or *same_file_again / ids_already_delivered / volume / freshness: …*: the
  delivery was quarantined; its validation result is in the batch (`kawal` store) and in Data
  Docs (`$KAWAL_HOME/gx-docs/index.html`). Get a corrected export into the landing folder and
  clear the task: the new delivery is validated, loaded and the day recomputed (restatement); the
  quarantined batch stays for audit.
- A register problem names `kpi_rules/…` and the KPI: run `kawal rules check`.
- `send_notifications` failed: the SMTP server refused or was down. Nothing is lost: the messages
  stay in the outbox and are sent by the retry or the next run (or `kawal notify send`).
- Bad input fails at once (retrying cannot fix it); retries are for transient faults such as the
  store being unreachable. Re-running a day is always safe: same file, same store.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import CronTriggerTimetable, Param, dag

from kawal.airflow_step import (
    KawalStep,
    produces,
    tell_data_engineering,
)  # light: the SDK only (its docstring says why not @task)
from kawal.site import load_site  # light: PyYAML only

# kpi_rules/site.yaml: the business day's zone (WIB by default: the center's days start and end there,
# not in UTC), the first day of history, and the sources this site delivers — a branch each, in the
# order of the catalogue (kawal.sources); a source the site does not have has no task at all.
SITE = load_site()
SOURCES = SITE.sources


@dag(
    dag_id="kawal_daily_kpis",
    schedule=CronTriggerTimetable("0 1 * * *", timezone=SITE.timezone),
    start_date=SITE.daily_dag_start,
    catchup=False,
    max_active_runs=4,
    default_args={
        "owner": "kawal-data-engineering",
        "retries": 2,
        "retry_delay": timedelta(minutes=5),
        "on_failure_callback": tell_data_engineering,  # one mail per failed run (#19)
    },
    tags=["kawal", "daily", "kpi"],
    # A run for a past day (kawal backfill, airflow backfill create --dag-run-conf '{"backfill": true}')
    # records its breach mails as held: PICs are not mailed about last year; the tickets are opened.
    params={"backfill": Param(False, type="boolean", description="a past day: hold its breach mails")},
    doc_md=__doc__,
)
def kawal_daily_kpis() -> None:
    ingested, computed = [], []
    for source in SOURCES:
        ingest = KawalStep(
            task_id=f"ingest_{source}",
            step="ingest",
            args={"source": source},
            outlets=produces(f"store/ingestion_batch/{source}", f"home/staged/{source}"),
        )
        compute = KawalStep(
            task_id=f"compute_{source}",
            step="compute",
            args={"source": source},
            pull={"batch_id": ingest.task_id},
            outlets=produces(f"store/kpi_value/{source}"),
        )
        ingest >> compute
        ingested.append(ingest)
        computed.append(compute)
    # The run's verdict: fails (and so fails the run) unless every source was computed.
    computed >> KawalStep(step="confirm_sources_loaded", pull={"results": [t.task_id for t in computed]})
    # all_done: the evidence of a quarantined delivery matters most.
    ingested >> KawalStep(step="build_data_docs", trigger_rule="all_done", outlets=produces("home/gx-docs"))
    # all_done: breaches of the sources that did load count even if another failed, and data
    # incidents of the failed sources must be delivered too.
    open_defects = KawalStep(step="open_defects", trigger_rule="all_done", outlets=produces("store/defect_ticket"))
    (
        computed
        >> open_defects
        >> KawalStep(step="send_notifications", trigger_rule="all_done", outlets=produces("store/notification"))
    )


kawal_daily_kpis()

DEADLINE_DOC = """
### Kawal · pagi · run harian selesai tepat waktu

**What**: every day at `daily_run_due_by` site time (kpi_rules/site.yaml, 08:00 by default), checks that
the daily run finished the day before's every source (loaded, quarantined, or recorded as a data
incident); if not, mails data engineering once, naming the sources (`daily-late:YYYY-MM-DD`).

**Owner**: data engineering (`kawal-data-engineering`).

**Triage**: the mail names the sources: look at that day's `kawal_daily_kpis` run (a task still
running, up for reschedule waiting for its export, queued behind a stopped worker), finish or re-run it.
"""


@dag(
    dag_id="kawal_daily_deadline",
    schedule=CronTriggerTimetable(
        f"{SITE.daily_run_due_by.minute} {SITE.daily_run_due_by.hour} * * *", timezone=SITE.timezone
    ),
    start_date=SITE.daily_dag_start,
    catchup=False,
    default_args={
        "owner": "kawal-data-engineering",
        "retries": 2,
        "retry_delay": timedelta(minutes=5),
        "on_failure_callback": tell_data_engineering,
    },
    tags=["kawal", "daily", "deadline"],
    doc_md=DEADLINE_DOC,
)
def kawal_daily_deadline() -> None:
    KawalStep(step="check_daily_finished")


kawal_daily_deadline()
