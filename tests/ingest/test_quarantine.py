"""Bad deliveries are quarantined, their KPIs not_evaluable, a data incident opened — never a KPI
defect; a corrected re-delivery restates the day and the quarantined batch stays for audit.
On SQLite and on PostgreSQL (the ``store_url`` fixture)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from kawal.errors import SourceFileError
from kawal.pipeline.daily import compute_source_kpis, ingest_source_day, open_defects_for_day

HEADER = "interaction_id,channel,queue,arrived_at,outcome,wait_s,talk_s,hold_s,acw_s\n"
FIRST = date(2026, 10, 1)


def calls(day: date, n: int, *, prefix: str = "", last_hour: int = 21, answered_every: int = 1) -> str:
    """n answered calls (wait 10 s, handling 200 s) spread from 08:00 to ``last_hour``:00 WIB."""
    lines = []
    for i in range(n):
        minute = 8 * 60 + (i * ((last_hour - 8) * 60) // max(n - 1, 1))
        outcome = "answered" if i % answered_every == 0 else "abandoned"
        lines.append(
            f"{prefix}{day:%m%d}-{i},voice,gadai,{day}T{minute // 60:02d}:{minute % 60:02d}:00+07:00,"
            f"{outcome},10,150,20,30\n"
        )
    return HEADER + "".join(lines)


def deliver(landing: Path, day: date, content: str) -> Path:
    path = landing / "interactions" / f"interactions_{day}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
    return path


def load_days(landing: Path, url: str, days: int, rows: int = 20) -> None:
    for k in range(days):
        day = FIRST + timedelta(days=k)
        deliver(landing, day, calls(day, rows))
        compute_source_kpis(
            ingest_source_day("interactions", day, landing=landing, store_url=url).batch_id,
            landing=landing,
            store_url=url,
        )


def query(url: str, sql: str, **params):  # type: ignore[no-untyped-def]
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).all()
    finally:
        engine.dispose()


def test_a_10x_spike_is_quarantined_not_a_defect_and_a_correction_restates_the_day(
    landing: Path, store_url: str
) -> None:
    load_days(landing, store_url, 8)  # a week of history: 20 calls a day
    day = FIRST + timedelta(days=8)
    deliver(landing, day, calls(day, 200, answered_every=2))  # the export ran ten times over, half abandoned

    with pytest.raises(SourceFileError) as err:
        ingest_source_day("interactions", day, landing=landing, store_url=store_url)
    assert "volume: 200 rows against a median of 20 over the last 8 delivered days" in str(err.value)

    values = query(
        store_url,
        "SELECT kpi_id, status, value, reason FROM kpi_value "
        "WHERE period_type = 'day' AND period_start = :d ORDER BY kpi_id",
        d=day,
    )
    assert [(v.kpi_id, v.status, v.value) for v in values] == [
        ("aht", "not_evaluable", None),
        ("rt", "not_evaluable", None),
        ("scr", "not_evaluable", None),
    ]
    assert all("dikarantina" in v.reason and "volume" in v.reason for v in values)
    (batch,) = query(
        store_url, "SELECT id, state, reason, validation FROM ingestion_batch WHERE business_date = :d", d=day
    )
    assert batch.state == "quarantined" and "volume" in batch.reason
    validation = json.loads(batch.validation)
    assert validation["suite"]["suite_success"] is True  # the file itself is well-formed …
    assert [c["check"] for c in validation["checks"] if not c["ok"]] == ["volume"]  # … its volume is not

    open_defects_for_day(day, store_url=store_url)
    tickets = query(store_url, "SELECT kind, subject, responsible FROM defect_ticket")
    assert [tuple(t) for t in tickets] == [("data_incident", "interactions", "data_engineering")]
    # the month leaves the quarantined day out: 8 days of 20 answered calls
    (month,) = query(
        store_url,
        "SELECT numerator, denominator, days_covered FROM kpi_value "
        "WHERE kpi_id = 'scr' AND period_type = 'month' AND scope = 'all'",
    )
    assert tuple(month) == (160.0, 160.0, 8)

    # the corrected re-delivery: validated, loaded, the day recomputed; the bad batch kept for audit
    deliver(landing, day, calls(day, 22, answered_every=2))  # 11 answered of 22
    result = ingest_source_day("interactions", day, landing=landing, store_url=store_url)
    compute_source_kpis(result.batch_id, landing=landing, store_url=store_url)
    states = query(
        store_url,
        "SELECT state, reason IS NOT NULL AS has_reason FROM ingestion_batch WHERE business_date = :d ORDER BY id",
        d=day,
    )
    assert [tuple(s) for s in states] == [("superseded", True), ("loaded", False)]
    (scr,) = query(
        store_url,
        "SELECT status, value FROM kpi_value WHERE kpi_id = 'scr' AND period_type = 'day' "
        "AND scope = 'all' AND period_start = :d",
        d=day,
    )
    assert scr.status == "computed" and scr.value == pytest.approx(100 * 11 / 22)
    (month,) = query(
        store_url,
        "SELECT numerator, denominator, days_covered FROM kpi_value "
        "WHERE kpi_id = 'scr' AND period_type = 'month' AND scope = 'all'",
    )
    assert tuple(month) == (171.0, 182.0, 9)


def test_rerunning_a_quarantined_day_changes_nothing(landing: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'kawal.db'}"
    day = FIRST
    deliver(landing, day, calls(day, 1200, last_hour=13))  # the export job died at 13:00
    for _ in range(2):  # the day's ingest and defects steps, run twice
        with pytest.raises(SourceFileError, match=r"freshness: the last arrived_at is 13:00 WIB"):
            ingest_source_day("interactions", day, landing=landing, store_url=url)
        open_defects_for_day(day, store_url=url)
        snapshot = [
            query(url, f"SELECT * FROM {table} ORDER BY id")  # fixed table names
            for table in ("ingestion_batch", "kpi_value", "defect_ticket", "defect_occurrence", "notification")
        ]
        if _ == 0:
            first = snapshot
    assert snapshot == first
    assert len(first[0]) == 1 and len(first[2]) == 1 and len(first[4]) == 1  # one batch, incident, mail


def test_ids_delivered_the_day_before_are_refused(landing: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'kawal.db'}"
    load_days(landing, url, 1)
    day = FIRST + timedelta(days=1)
    overlapping = calls(day, 20).replace(f"{day:%m%d}-3,", f"{FIRST:%m%d}-3,")  # yesterday's id 3 again
    deliver(landing, day, overlapping)
    with pytest.raises(SourceFileError) as err:
        ingest_source_day("interactions", day, landing=landing, store_url=url)
    assert "ids_already_delivered: 1 interaction_id(s) were already delivered for 2026-10-01 (first on row 5)" in str(
        err.value
    )


def test_the_same_file_for_another_day_is_refused_unless_a_snapshot(landing: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'kawal.db'}"
    files = {
        "csi_responses": "response_id,channel,rating\nR1,voice,5\nR2,chat,4\n",  # events: never twice
        "system_availability": "system,scheduled_s,downtime_s,incidents\nivr,86400,0,0\n",  # a quiet day repeats
    }
    for source, content in files.items():
        for k in range(2):
            path = landing / source / f"{source}_{FIRST + timedelta(days=k)}.csv"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
        first = ingest_source_day(source, FIRST, landing=landing, store_url=url)
        compute_source_kpis(first.batch_id, landing=landing, store_url=url)
    with pytest.raises(SourceFileError, match=r"same_file_again: the same file .* was delivered for 2026-10-01"):
        ingest_source_day("csi_responses", FIRST + timedelta(days=1), landing=landing, store_url=url)
    assert ingest_source_day("system_availability", FIRST + timedelta(days=1), landing=landing, store_url=url).new


def test_committed_gx_suites_state_the_canonical_layouts() -> None:
    """great_expectations/gx/expectations/*.json is what `kawal checks suites` writes from the layouts."""
    from kawal.checks.suites import expectations_for, suites_on_disk
    from kawal.sources import SOURCES

    def snake(name: str) -> str:
        return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")

    def same_numbers(kwargs: dict) -> str:  # GX stores 0 as 0.0
        return json.dumps(
            {k: float(v) if isinstance(v, int) and not isinstance(v, bool) else v for k, v in kwargs.items()},
            sort_keys=True,
        )

    on_disk = suites_on_disk()
    assert set(on_disk) == set(SOURCES)
    for name, spec in SOURCES.items():
        committed = sorted((e["type"], same_numbers(e["kwargs"])) for e in on_disk[name]["expectations"])
        expected = sorted((snake(k), same_numbers(kw)) for k, kw, _ in expectations_for(spec))
        assert committed == expected, f"{name}: run `kawal checks suites` and commit great_expectations/"


def test_data_docs_show_the_quarantined_delivery(landing: Path, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from kawal.checks.suites import build_data_docs

    monkeypatch.setenv("KAWAL_HOME", str(tmp_path / "home"))
    url = f"sqlite:///{tmp_path / 'kawal.db'}"
    bad = "system,scheduled_s,downtime_s,incidents\nivr,86400,0,0\n"
    path = landing / "system_availability" / f"system_availability_{FIRST}.csv"
    path.parent.mkdir(parents=True)
    path.write_text(bad, encoding="utf-8")
    ingest_source_day("system_availability", FIRST, landing=landing, store_url=url)
    index = build_data_docs()
    assert index == tmp_path / "home" / "gx-docs" / "index.html"
    html = index.read_text(encoding="utf-8")
    assert "system_availability" in html
    pages = list((tmp_path / "home" / "gx-docs" / "validations").rglob("*.html"))
    assert pages, "a validation result page per run"


def test_a_month_with_a_quarantined_day_is_judged_once_every_day_is_processed(landing: Path, tmp_path: Path) -> None:
    """February 2026: 27 good NOC deliveries and one broken one. At the month's end the month is judged
    on the 27 days (not "still running"), and says how many days had no valid data."""
    url = f"sqlite:///{tmp_path / 'kawal.db'}"
    broken = date(2026, 2, 10)
    for k in range(28):
        day = date(2026, 2, 1) + timedelta(days=k)
        down = "90000" if day == broken else "864"  # 90 000 s of downtime in a day: a broken export
        path = landing / "system_availability" / f"system_availability_{day}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            f"system,scheduled_s,downtime_s,incidents\nivr,86400,{down},1\ntelephony,86400,0,0\n", encoding="utf-8"
        )
        try:
            result = ingest_source_day("system_availability", day, landing=landing, store_url=url)
        except SourceFileError:
            assert day == broken
            continue
        compute_source_kpis(result.batch_id, landing=landing, store_url=url)
    rows = query(
        url,
        "SELECT kpi_id, days_covered, evaluation, evaluation_note, value FROM kpi_value "
        "WHERE period_type = 'month' AND scope = 'all' AND kpi_id IN ('availability_ivr', 'availability_telephony') "
        "ORDER BY kpi_id",
    )
    assert [r.kpi_id for r in rows] == ["availability_ivr", "availability_telephony"]
    for r in rows:
        assert r.days_covered == 27
        assert r.evaluation in ("met", "breach"), r  # judged, not at_risk
        assert r.evaluation_note == "1 hari tanpa data valid (dikarantina/tidak terkirim)"
    # by hand: IVR down 864 s of 86 400 s on each of 27 days → 99 %; telephony never down → 100 %
    assert [r.value for r in rows] == pytest.approx([99.0, 100.0])
