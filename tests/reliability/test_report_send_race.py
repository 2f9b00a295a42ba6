"""Two ``kawal report send`` of one month at once (issue #17, finding 10).

Before the fix both found no delivery, both rendered edition 1 to the same archived file and one died
with an IntegrityError traceback on ``report_delivery`` — after overwriting the PDF the other had
recorded. Now a month's send holds a store-wide lock (kawal.store.locks): the second waits, finds the
delivery and says so in its usual line. The store ends as one send leaves it: one delivery, one mail,
the archived PDF the one whose SHA-256 is recorded. On SQLite and PostgreSQL, real processes.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.reliability.conftest import query
from tests.reliability.race_worker import race

pytestmark = pytest.mark.reliability


def test_two_report_sends_at_once_deliver_one_edition_and_neither_shows_a_traceback(
    store_url: str, mail_sink, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from kawal.store import engine_for

    home = tmp_path / "home"
    monkeypatch.setenv("KAWAL_DB_URL", store_url)
    monkeypatch.setenv("KAWAL_RULES_DIR", str(REPO / "kpi_rules"))
    monkeypatch.setenv("KAWAL_HOME", str(home))
    engine = engine_for(store_url)  # migrated before the race: the race is about the send
    # one stored day of October: a month without any KPI value is refused before any send (#18)
    from datetime import date

    from kawal.kpis.values import KpiValueRow
    from kawal.store import session_scope
    from kawal.store.kpi_values import replace_period_values

    row = KpiValueRow(
        "scr", "day", date(2026, 10, 1), "all", 96.0, 100.0, 96.0, "computed", None, None, 1, "met", 95.0, 96.0, 1, None
    )
    with session_scope(engine) as s:
        replace_period_values(s, ["scr"], "day", row.period_start, [row])

    results = race(tmp_path, "send", {n: ["report", "send", "2026-10"] for n in ("a", "b")}, at_start=True)

    assert [code for code, _ in results.values()] == [0, 0], results
    lines = [line for _, out in results.values() for line in out]
    assert not [line for line in lines if "Traceback" in line or "Error" in line], lines
    already = [line for line in lines if "was already delivered: nothing sent" in line]
    assert already == ["2026-10 edition 1 was already delivered: nothing sent (use --force to re-send)"], lines
    (delivery,) = query(store_url, "SELECT edition, pdf_path, pdf_sha256 FROM report_delivery")
    assert delivery.edition == 1
    assert hashlib.sha256((home / delivery.pdf_path).read_bytes()).hexdigest() == delivery.pdf_sha256
    assert [r.kind for r in query(store_url, "SELECT kind FROM notification")] == ["monthly_report"]
    assert len(mail_sink.messages()) == 1
