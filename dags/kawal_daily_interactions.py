"""
### Kawal · harian · interaksi → KPI Performance (SCR, RT, AHT)

**What**: every day at 01:00 WIB, for the day that just ended (derived from the logical date in
Asia/Jakarta, not from the data interval), read `landing/interactions/interactions_YYYY-MM-DD.csv`,
check it, and store Success Call Ratio, Response Time and Average Handling Time as numerator and
denominator — overall and per channel — plus the month-to-date roll-up (Σnum/Σden).
Formulas: `docs/kpi-definitions.md`; targets: `kpi_rules/register.yaml`.

**Owner**: data engineering (`kawal-data-engineering`).

**Triage**
- `ingest_interactions` failed with *no interactions file delivered*: the export has not landed.
  Ask the ACD admin for it; once it is in the landing folder, clear the task (re-run the day).
- Failed with *missing required column(s)* / *row N, column X*: the export's layout changed or a
  row is broken. The message names file, row and column; fix the export or its mapping, re-run.
- Bad input fails at once (no retries: retrying cannot fix it); retries are for transient faults
  such as the store being unreachable. Re-running a day is always safe: same file, same store.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from airflow.sdk import CronTriggerTimetable, dag, task

SITE_TZ = "Asia/Jakarta"  # WIB: the center's days start and end here, not in UTC


@dag(
    dag_id="kawal_daily_interactions",
    schedule=CronTriggerTimetable("0 1 * * *", timezone=SITE_TZ),
    start_date=datetime(2026, 1, 1, tzinfo=ZoneInfo(SITE_TZ)),
    catchup=False,
    max_active_runs=4,
    default_args={"owner": "kawal-data-engineering", "retries": 2, "retry_delay": timedelta(minutes=5)},
    tags=["kawal", "daily", "performance"],
    doc_md=__doc__,
)
def kawal_daily_interactions() -> None:
    @task
    def ingest_interactions(logical_date: datetime | None = None) -> int:
        from kawal.periods import business_day_for_daily_run
        from kawal.pipeline.airflow_glue import fail_fast_on_user_error
        from kawal.pipeline.interactions_daily import ingest_interactions_day

        assert logical_date is not None, "Airflow always passes the run's logical_date"
        with fail_fast_on_user_error():
            return ingest_interactions_day(business_day_for_daily_run(logical_date)).batch_id

    @task
    def compute_performance_kpis(batch_id: int) -> dict:
        from kawal.pipeline.airflow_glue import fail_fast_on_user_error
        from kawal.pipeline.interactions_daily import compute_performance_kpis as compute

        with fail_fast_on_user_error():
            return compute(batch_id)

    compute_performance_kpis(ingest_interactions())


kawal_daily_interactions()
