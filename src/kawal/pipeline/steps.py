"""The DAGs' tasks, one function each, as :class:`kawal.airflow_step.KawalStep` calls them.

Each takes plain values (the run's ``logical_date``, upstream results) and returns a JSON-able
result (the task's XCom); each is idempotent for its date. The work itself lives in
:mod:`kawal.pipeline.daily`, :mod:`kawal.pipeline.monthly` and :mod:`kawal.records.disposal`, all
callable without Airflow. Imports stay inside the functions: ``KawalStep`` imports this module
only when a task runs, but tests import it to check the DAGs' wiring.
"""

from __future__ import annotations

from datetime import datetime, timedelta


# --- kawal_daily_kpis ---------------------------------------------------------------------------
def ingest(source: str, logical_date: datetime) -> int | None:
    """Read, validate and record the source's delivery for the business day the run is about (None:
    no delivery is due that day — a monthly table comes on the month's last day)."""
    from kawal.errors import NotDelivered, SourceFileError
    from kawal.periods import business_day_for_daily_run
    from kawal.pipeline import metrics
    from kawal.pipeline.daily import ingest_source_day

    day = business_day_for_daily_run(logical_date)
    known = metrics.last_batch_id()
    try:
        result = ingest_source_day(source, day)
    except NotDelivered:
        from kawal.pipeline.lateness import wait_for_export

        wait_for_export(source, day)  # before the source's cut-off: re-checked later, not a failure (#19)
        raise
    except SourceFileError:
        metrics.quarantined(source)  # kawal.quarantines{source} (kawal.pipeline.metrics, #19)
        raise
    if result.batch_id is not None and result.batch_id > known:  # a re-run of a known delivery adds nothing
        metrics.rows_ingested(source, result.rows)
    return result.batch_id


def build_data_docs(params: dict) -> str:
    """Data Docs from every stored validation result. A backfilled day defers it: rebuilding from all
    results after each of a year's days costs O(days²); ``kawal backfill`` builds them once at its end
    (an ``airflow backfill create`` of the same conf: ``kawal checks docs``)."""
    from kawal.checks.suites import build_data_docs as build

    if params.get("backfill"):
        return "deferred to the end of the backfill"
    return str(build())


def compute(source: str, batch_id: int | None) -> dict:
    from kawal.pipeline.daily import compute_source_kpis

    if batch_id is None:  # no delivery due today (a monthly table): nothing to compute, nothing missing
        return {"source": source, "rows": 0, "due": False}
    return compute_source_kpis(batch_id)


def confirm_sources_loaded(results: list[dict]) -> dict:
    """The run's verdict: every source loaded (this leaf fails the run when one did not)."""
    return {r["source"]: r["rows"] for r in results}


def open_defects(logical_date: datetime, params: dict) -> dict:
    from kawal.periods import business_day_for_daily_run
    from kawal.pipeline import metrics
    from kawal.pipeline.daily import open_defects_for_day

    before = metrics.last_ticket_id()
    out = open_defects_for_day(business_day_for_daily_run(logical_date), hold_mail=bool(params.get("backfill")))
    metrics.count_tickets_opened_since(before)  # kawal.tickets_opened{kind}
    return out


def send_notifications() -> dict:
    from kawal.pipeline import metrics
    from kawal.pipeline.daily import send_notifications as deliver

    try:
        return deliver()
    finally:
        metrics.count_mails_pending()  # kawal.mails_pending, also when delivery failed (alert: > N for 1 h)


# --- kawal_monthly_report, kawal_report_deadline ------------------------------------------------
def assess_completeness(logical_date: datetime) -> dict:
    from kawal.pipeline.monthly import completeness_for_run

    return completeness_for_run(logical_date)


def send_monthly_report(completeness: dict, logical_date: datetime) -> dict:
    """Sends after the completeness was assessed (its statement goes on the report's cover)."""
    from kawal.pipeline.monthly import send_report_for_run

    return send_report_for_run(logical_date)


def check_daily_finished(logical_date: datetime) -> dict:
    """``kawal_daily_deadline`` (the morning after): the day's sources the daily run has not finished."""
    from kawal.pipeline import metrics
    from kawal.pipeline.lateness import alert_if_daily_unfinished
    from kawal.settings import site_tz

    out = alert_if_daily_unfinished(logical_date.astimezone(site_tz()).date() - timedelta(days=1))
    metrics.daily_deadline_missed(out["unfinished"])  # kawal.daily_deadline_missed{source}
    return out


def check_report_delivered(logical_date: datetime) -> dict:
    from kawal.pipeline.monthly import alert_if_report_late

    return alert_if_report_late(logical_date)


# --- kawal_retention ----------------------------------------------------------------------------
def list_expired_records(logical_date: datetime) -> dict:
    from kawal.records.disposal import expired_for_run

    return expired_for_run(logical_date)


def propose_disposal(params: dict, logical_date: datetime) -> dict:
    """The month's list for sign-off, stored with its digest (none on a dry run). §6, ISO 9001 7.5.3.2."""
    from kawal.records.disposal import run_day
    from kawal.records.signoff import propose_disposal as propose
    from kawal.register import load_register
    from kawal.store import engine_for

    if params["dry_run"]:
        return {"dry_run": True, "state": "nothing", "records": []}
    return propose(engine_for(), load_register(), run_day(logical_date))


def await_disposal_signoff(proposal: dict, logical_date: datetime) -> dict:
    """Waits (Airflow reschedule) for the disposers' decision on the stored list, until it times out."""
    from kawal.records.disposal import run_day
    from kawal.records.signoff import await_signoff
    from kawal.store import engine_for

    if proposal.get("dry_run") or proposal["state"] == "nothing":
        return proposal
    return await_signoff(engine_for(), run_day(logical_date).replace(day=1))


def dispose_expired_records(expired: dict, signoff: dict, params: dict, logical_date: datetime) -> dict:
    """Disposes of exactly the approved list (nothing if rejected, timed out, or a dry run)."""
    from kawal.records.disposal import run_day
    from kawal.records.signoff import dispose_signed_off
    from kawal.register import load_register
    from kawal.store import engine_for

    if params["dry_run"]:
        return expired  # dry run: the listing is the result
    return dispose_signed_off(engine_for(), load_register(), run_day(logical_date).replace(day=1))
