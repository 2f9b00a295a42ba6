"""Steps of the monthly report DAGs: completeness, delivery, and the day-5 deadline check."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from kawal.register import load_register
from kawal.settings import site_tz
from kawal.store import engine_for, session_scope


def report_month_for_run(logical_date: datetime) -> date:
    """The calendar month before the run's date in WIB (a run on 2 November reports October)."""
    if logical_date.tzinfo is None:
        raise ValueError("logical_date must be timezone-aware")
    return (logical_date.astimezone(site_tz()).date().replace(day=1) - timedelta(days=1)).replace(day=1)


def completeness_for_run(logical_date: datetime, store_url: str | None = None) -> dict:
    from kawal.reports.context import build_context

    first = report_month_for_run(logical_date)
    ctx = build_context(engine_for(store_url), load_register(), first)
    return {"month": ctx.month, "complete": ctx.complete, "caveats": ctx.caveats}


def send_report_for_run(logical_date: datetime, store_url: str | None = None) -> dict:
    from kawal.reports.deliver import send_report

    status = send_report(engine_for(store_url), load_register(), report_month_for_run(logical_date))
    if status.state != "sent":  # the outbox keeps it; Airflow's retry delivers it
        raise RuntimeError(f"report {status.month} edition {status.edition} not delivered yet ({status.state})")
    return {
        "month": status.month,
        "edition": status.edition,
        "sha256": status.sha256,
        "new": status.new,
        "message_id": status.message_id,
    }


def alert_if_report_late(logical_date: datetime, store_url: str | None = None) -> dict:
    """On the 5th: if the previous month's report was not delivered, tell the Accountable and data
    engineering (once per month)."""
    from kawal.notify.outbox import Mail, deliver_pending, enqueue
    from kawal.reports.deliver import delivered

    engine = engine_for(store_url)
    register = load_register()
    first = report_month_for_run(logical_date)
    if delivered(engine, first):
        return {"month": first.strftime("%Y-%m"), "delivered": True}
    with session_scope(engine) as s:
        enqueue(
            s,
            register,
            key=f"report-late:{first:%Y-%m}",
            kind="report_late",
            ticket_id=None,
            to=[register.people.accountable, *register.people.data_engineering],
            cc=[],
            mail=Mail(
                subject=f"[Kawal] Laporan Capaian KPI {first:%m/%Y} belum terkirim (batas tanggal 5)",
                greeting="Yth. Manajer Operasional dan tim data engineering,",
                intro=(
                    "Sesuai IK KPI Management §5.4.2 laporan KPI bulanan disampaikan paling lambat tanggal 5. "
                    f"Laporan periode {first:%m/%Y} belum tercatat terkirim."
                ),
                facts=[("Periode", first.strftime("%Y-%m")), ("DAG", "kawal_monthly_report")],
                expected="Periksa run kawal_monthly_report dan kirim laporan hari ini.",
                how_to_act=[f"kawal report send {first:%Y-%m}"],
            ),
        )
    deliver_pending(engine, register)
    return {"month": first.strftime("%Y-%m"), "delivered": False, "alerted": True}
