"""
### Kawal · bulanan · masa simpan rekaman (retention, §6)

**What**: on day 1 of each month at 03:00 site time (WIB by default), judged on the run's logical date
in the site's zone:
`list_expired_records` lists every record past its retention period (`kpi_rules/retention.yaml`:
reports and delivery proofs, minutes, closed defect tickets with their history and register
revisions 3 years; source files, validation results and quarantined batches 2 years);
`propose_disposal` stores the list of those to dispose of, with the SHA-256 of each record's evidence
and the list's digest, and mails the disposers (`retention.yaml` `disposal_by`, default the
Accountable) for their sign-off (issue #19, ISO 9001 §7.5.3.2); `await_disposal_signoff` waits for
`kawal records approve-disposal YYYY-MM --as PERSON` (or `reject-disposal`), re-checking every hour
(*up for reschedule*) until `signoff_days` (14) have passed: then it times out;
`dispose_expired_records` disposes of exactly the approved records still expired, not held, not in
use and unchanged — one transaction and one disposal-log entry each (what, when, why, SHA-256 of what
was destroyed, the sign-off), leaving records under a legal hold and the types marked `dispose:
false` alone, and any record a daily task still uses (listed `in_use`). Rejected or timed out:
nothing is disposed of. A record that expired after the proposal waits for next month's sign-off.
Each log entry extends the log's hash chain (`kawal records verify-log`). Trigger with
`{"dry_run": true}` to list only (no proposal). A re-run of the month keeps its proposal and disposes
of nothing twice.

**Owner**: data engineering (`kawal-data-engineering`); the retention table is the Accountable's.

**Triage**
- `kpi_rules/retention.yaml` invalid: the task fails at once with the file, entry and field; fix the
  file, clear the task.
- `await_disposal_signoff` *up for reschedule* for days: the list awaits its sign-off; `kawal records
  signoff YYYY-MM` shows the list, its digest and its deadline.
- Something must not be disposed of (audit, dispute): `kawal records hold --type T --ref PATTERN
  --reason … --as PERSON` before the run; `kawal records dispose --dry-run --as-of YYYY-MM-DD` shows
  what a run would do; `kawal records log` shows what was done, `kawal records verify-log` that the
  log is intact. Releasing a hold, or disposing by hand, is the Accountable's (or `disposal_by` in
  `retention.yaml`), and judges expiry on today at the latest.
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

SITE = load_site()  # kpi_rules/site.yaml: the business day's zone, the start of history


@dag(
    dag_id="kawal_retention",
    schedule=CronTriggerTimetable("0 3 1 * *", timezone=SITE.timezone),
    start_date=SITE.dag_start,
    catchup=False,
    max_active_runs=1,
    default_args={
        "owner": "kawal-data-engineering",
        "retries": 2,
        "retry_delay": timedelta(minutes=10),
        "on_failure_callback": tell_data_engineering,  # one mail per failed run (#19)
    },
    tags=["kawal", "monthly", "records"],
    params={"dry_run": Param(False, type="boolean", description="list the expired records only; dispose of none")},
    doc_md=__doc__,
)
def kawal_retention() -> None:
    expired = KawalStep(step="list_expired_records")
    proposal = KawalStep(step="propose_disposal", outlets=produces("store/disposal_signoff"))
    signoff = KawalStep(step="await_disposal_signoff", pull={"proposal": proposal.task_id})
    dispose = KawalStep(
        step="dispose_expired_records",
        pull={"expired": expired.task_id, "signoff": signoff.task_id},
        outlets=produces("store/disposal_log"),
    )
    expired >> proposal >> signoff >> dispose
    expired >> dispose  # a dry run's result is the listing (results are pulled from direct upstreams only)


kawal_retention()
