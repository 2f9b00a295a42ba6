"""Working days at the site: Monday–Friday minus Indonesian public holidays.

The holiday list comes from the maintained ``holidays`` package (``holidays.country_holidays('ID')``)
rather than a hand-kept table; sites that also close on *cuti bersama* days can add them with
``KAWAL_EXTRA_HOLIDAYS`` (comma-separated YYYY-MM-DD).
"""

from __future__ import annotations

import os
from datetime import date, timedelta
from functools import cache


@cache
def _holidays(year: int) -> frozenset[date]:
    import holidays

    from kawal.errors import KawalError

    extra = set()
    for text in os.environ.get("KAWAL_EXTRA_HOLIDAYS", "").split(","):
        if text.strip():
            try:
                extra.add(date.fromisoformat(text.strip()))
            except ValueError:
                raise KawalError(f"KAWAL_EXTRA_HOLIDAYS: {text.strip()!r} is not a date YYYY-MM-DD") from None
    return frozenset(holidays.country_holidays("ID", years=year)) | {d for d in extra if d.year == year}


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


def add_working_days(start: date, n: int) -> date:
    """The ``n``-th working day after ``start`` (``start`` itself when n == 0)."""
    day = start
    while n > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            n -= 1
    return day
