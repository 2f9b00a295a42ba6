"""
### Kawal · bulanan · Laporan Capaian KPI Bulanan

**What**: on day 2 of each month at 07:00 site time (WIB by default), for the *previous calendar month*
(derived from the logical date in the site's zone, not from the data interval): `assess_completeness` states which
sources and days are missing; `send_monthly_report` renders the PDF (WeasyPrint, archived with its
context under `var/reports/YYYY-MM/`) and emails it To the Accountable, Cc the Operations Team and
the Operations Support Team (§4.6, §5.4: no later than the 5th). Delivery is recorded (recipients,
time, Message-ID, SHA-256 of the PDF). A re-run never sends again; `kawal report send MONTH
--force --as PERSON` re-sends on purpose.

**Owner**: data engineering (`kawal-data-engineering`); the report is the PICs' to the Accountable.

**Triage**
- `send_monthly_report` failed on SMTP: the PDF is archived and the mail waits in the outbox; the
  retries, or `kawal notify send`, deliver it once the server answers.
- An incomplete month still produces the report, with the missing days stated on the cover and in
  the data-quality appendix; re-deliver the data and `kawal report send MONTH --force` if needed.
- `kawal_report_deadline` (day 5, 09:00 site time) tells the Accountable and data engineering if no
  report went out for the month.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import CronTriggerTimetable, dag

from kawal.airflow_step import (
    KawalStep,
    produces,
    tell_data_engineering,
)  # light: the SDK only (its docstring says why not @task)
from kawal.site import load_site  # light: PyYAML only

SITE = load_site()  # kpi_rules/site.yaml: the business day's zone, the start of history

DEADLINE_DOC = """
### Kawal · tanggal 5 · batas pengiriman laporan KPI bulanan (§5.4.2)

**What**: on day 5 at 09:00 site time, checks that the previous month's report was delivered; if not,
emails the Accountable and data engineering once (`report-late:YYYY-MM`).

**Owner**: data engineering (`kawal-data-engineering`).

**Triage**: an alert means `kawal_monthly_report` did not deliver: look at its run, fix, then
`kawal report send YYYY-MM`.
"""


@dag(
    dag_id="kawal_monthly_report",
    schedule=CronTriggerTimetable("0 7 2 * *", timezone=SITE.timezone),
    start_date=SITE.dag_start,
    catchup=False,
    max_active_runs=1,
    default_args={
        "owner": "kawal-data-engineering",
        "retries": 3,
        "retry_delay": timedelta(minutes=15),
        "on_failure_callback": tell_data_engineering,  # one mail per failed run (#19)
    },
    tags=["kawal", "monthly", "report"],
    doc_md=__doc__,
)
def kawal_monthly_report() -> None:
    completeness = KawalStep(step="assess_completeness")
    completeness >> KawalStep(
        step="send_monthly_report",
        pull={"completeness": completeness.task_id},
        outlets=produces("store/report_delivery", "home/reports"),
    )


@dag(
    dag_id="kawal_report_deadline",
    schedule=CronTriggerTimetable("0 9 5 * *", timezone=SITE.timezone),
    start_date=SITE.dag_start,
    catchup=False,
    default_args={
        "owner": "kawal-data-engineering",
        "retries": 2,
        "retry_delay": timedelta(minutes=10),
        "on_failure_callback": tell_data_engineering,  # one mail per failed run (#19)
    },
    tags=["kawal", "monthly", "report"],
    doc_md=DEADLINE_DOC,
)
def kawal_report_deadline() -> None:
    KawalStep(step="check_report_delivered")


kawal_monthly_report()
kawal_report_deadline()
