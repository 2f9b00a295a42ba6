from datetime import UTC, date, datetime

import pytest

from kawal.periods import business_day_for_daily_run, daily_run_logical_date, days_of_month, parse_month


def test_daily_run_is_about_the_previous_wib_day() -> None:
    # 2026-10-01 18:00 UTC is 2026-10-02 01:00 WIB: the run processes 1 October
    assert business_day_for_daily_run(datetime(2026, 10, 1, 18, 0, tzinfo=UTC)) == date(2026, 10, 1)
    # 2026-10-01 16:59 UTC is still 23:59 WIB on 1 October: it processes 30 September
    assert business_day_for_daily_run(datetime(2026, 10, 1, 16, 59, tzinfo=UTC)) == date(2026, 9, 30)


def test_logical_date_round_trip() -> None:
    for day in days_of_month(date(2026, 2, 1)):
        assert business_day_for_daily_run(daily_run_logical_date(day)) == day


def test_month_parsing() -> None:
    assert parse_month("2026-10") == date(2026, 10, 1)
    assert len(days_of_month(date(2028, 2, 1))) == 29
    with pytest.raises(ValueError, match="YYYY-MM"):
        parse_month("Oct 2026")


def test_naive_logical_date_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        business_day_for_daily_run(datetime(2026, 10, 1, 18, 0))
