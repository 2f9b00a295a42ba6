"""Which calendar day or month a DAG run is about.

Airflow 3 cron schedules use ``CronTriggerTimetable``: the logical date is the trigger time and the
data interval is not a calendar period (docs/STACK-NOTES.md "Airflow 3"). So each DAG derives its period
from the logical date in the site's timezone (WIB) instead of from the data interval.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta

from kawal.settings import site_tz


def business_day_for_daily_run(logical_date: datetime) -> date:
    """The daily DAG fires shortly after midnight WIB and processes the day that just ended."""
    if logical_date.tzinfo is None:
        raise ValueError("logical_date must be timezone-aware")
    return logical_date.astimezone(site_tz()).date() - timedelta(days=1)


def daily_run_logical_date(day: date, hour: int = 1) -> datetime:
    """Inverse of :func:`business_day_for_daily_run`: the trigger time of the run that processes ``day``."""
    nxt = day + timedelta(days=1)
    return datetime(nxt.year, nxt.month, nxt.day, hour, 0, tzinfo=site_tz())


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    """The last day of ``day``'s month."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def monthly_report_logical_date(first: date) -> datetime:
    """The trigger time of the ``kawal_monthly_report`` run that reports the month starting ``first``:
    day 2 of the next month, 07:00 site time (§5.4; inverse of pipeline.monthly.report_month_for_run)."""
    nxt = month_end(first) + timedelta(days=1)
    return datetime(nxt.year, nxt.month, 2, 7, 0, tzinfo=site_tz())


def parse_month(text: str) -> date:
    """``YYYY-MM`` → first day of that month; a clear error otherwise."""
    try:
        return datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise ValueError(f"month {text!r} is not in the form YYYY-MM (e.g. 2026-10)") from None


def is_complete_month(period_start: date, days_covered: int) -> bool:
    """A month's value is final once every one of its days has been delivered."""
    return days_covered >= calendar.monthrange(period_start.year, period_start.month)[1]


def days_of_month(first: date) -> list[date]:
    n = calendar.monthrange(first.year, first.month)[1]
    return [first.replace(day=d) for d in range(1, n + 1)]
