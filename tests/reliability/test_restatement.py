"""Restatement (issue #11): a corrected file for a past day changes the values and the tickets it
should, and leaves an audit record of the change (ISO 9001 7.5.3; work instruction §5.3).

Expected values are recomputed from each delivered CSV with the csv module (SCR = answered /
(offered − short abandons < 5 s), kpi_rules/register.yaml), not with the pandas code under test.
"""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest

from kawal.demo.sources import plan_month, write_demo_month
from kawal.ingest.delivery import day_file
from tests.reliability.conftest import query, store_digest
from tests.reliability.worker import run_day

pytestmark = pytest.mark.reliability

MARCH = date(2026, 3, 1)
SOURCES = ("interactions",)


def _scr(path: Path) -> float:
    answered = offered = 0
    with path.open(newline="") as fh:
        for r in csv.DictReader(fh):
            answered += r["outcome"] == "answered"
            offered += not (r["outcome"] == "abandoned" and float(r["wait_s"]) < 5)
    return 100 * answered / offered


def _rewrite(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    with path.open(newline="") as fh:
        reader = csv.DictReader(fh)
        fields, rows = reader.fieldnames, list(reader)
    rows = change(rows)
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def _scr_day(url: str, day: date):  # type: ignore[no-untyped-def]
    (row,) = query(url, "SELECT value, evaluation FROM kpi_value WHERE kpi_id='scr' AND scope='all' "
                        "AND period_type='day' AND period_start=:d", d=day)  # fmt: skip
    return row


def test_corrected_file_restates_values_and_tickets_with_an_audit_trail(kawal_env, mail_sink) -> None:  # type: ignore[no-untyped-def]
    landing, url = kawal_env
    write_demo_month(MARCH, landing, seed=12, calls_per_day=300)
    day = next(d for d, kind in plan_month(MARCH, 12).interaction_bad_days.items() if kind == "short_staffed")
    path = day_file(landing, "interactions", day)
    assert run_day(day, SOURCES) == []
    first = _scr(path)
    assert _scr_day(url, day).value == pytest.approx(first) and _scr_day(url, day).evaluation == "breach"
    (ticket,) = query(url, "SELECT id, state FROM defect_ticket WHERE subject='scr'")
    mails = len(mail_sink.messages())

    # correction 1: the ACD re-export drops 20 answered calls it had double-counted: still a miss
    dropped = iter(range(20))
    _rewrite(path, lambda rows: [r for r in rows if r["outcome"] != "answered" or next(dropped, None) is None])
    second = _scr(path)
    assert second < first
    assert run_day(day, SOURCES) == []

    assert _scr_day(url, day).value == pytest.approx(second)
    (occurrence,) = query(url, "SELECT ticket_id, value, note FROM defect_occurrence WHERE subject='scr'")
    assert (occurrence.ticket_id, occurrence.value, occurrence.note) == (ticket.id, pytest.approx(second), None)

    # correction 2: the abandons were a reporting fault; every call was answered: the day meets its target
    _rewrite(path, lambda rows: [{**r, "outcome": "answered"} for r in rows])
    assert _scr(path) == 100
    assert run_day(day, SOURCES) == []

    assert tuple(_scr_day(url, day)) == (pytest.approx(100), "met")
    (occurrence,) = query(url, "SELECT ticket_id, value, note FROM defect_occurrence WHERE subject='scr'")
    assert occurrence.value == pytest.approx(100) and occurrence.note.startswith("withdrawn")
    (month,) = query(url, "SELECT value FROM kpi_value WHERE kpi_id='scr' AND scope='all' AND period_type='month'")
    assert month.value == pytest.approx(100)  # only this day ran: the month follows the restatement
    # the audit trail: every delivery kept, the superseded ones marked; the ticket's history says what changed
    batches = query(url, "SELECT state FROM ingestion_batch WHERE source='interactions' ORDER BY id")
    assert [b.state for b in batches] == ["superseded", "superseded", "loaded"]
    events = query(url, "SELECT action, details FROM defect_event WHERE ticket_id=:t ORDER BY id", t=ticket.id)
    assert [e.action for e in events] == ["opened", "occurrence_restated", "occurrence_withdrawn"]
    restated, withdrawn = json.loads(events[1].details), json.loads(events[2].details)
    assert (restated["old"], restated["new"]) == (pytest.approx(first), pytest.approx(second))
    assert (withdrawn["old"], withdrawn["new"]) == (pytest.approx(second), pytest.approx(100))
    assert len(query(url, "SELECT id FROM defect_ticket WHERE subject='scr'")) == 1  # no duplicate ticket
    assert len(mail_sink.messages()) == mails  # a restatement is recorded, not mailed again

    digest = store_digest(url)
    assert run_day(day, SOURCES) == []  # re-running the restated day changes nothing more
    assert store_digest(url) == digest
