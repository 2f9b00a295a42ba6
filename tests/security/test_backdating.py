"""The effectiveness check cannot be back-dated (issue #17, finding 6).

Before the fix ``kawal defects verify --done-on`` took any past day: seven weeks before the plan was
decided, so the ticket was "on target" for weeks of data from before the fix and could be closed at
once. Now the curative actions are done neither before the plan was decided nor after today (the site
clock, pinned by KAWAL_NOW in the suite); a plan is decided ``--on`` a day neither before the defect
began nor after today. Each refusal is one line; nothing is written. CLI and workflow (the board calls
the workflow) alike, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from kawal.cli import main
from kawal.defects.lifecycle import Refused
from kawal.defects.workflow import verify
from kawal.register import load_register
from kawal.store import engine_for, session_scope
from kawal.store.models import DefectEvent, DefectTicket
from tests.defects.test_defects import open_for, scr_day, store_days

pytestmark = pytest.mark.security

REPO = Path(__file__).resolve().parents[2]
REGISTER = load_register(REPO / "kpi_rules")


def kawal(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def decided(store_url: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """A ticket opened for 13 Oct 2026, analysed, its plan decided today (1 Dec 2026, KAWAL_NOW)."""
    monkeypatch.setenv("KAWAL_DB_URL", store_url)
    monkeypatch.setenv("KAWAL_RULES_DIR", str(REPO / "kpi_rules"))
    engine = engine_for(store_url)
    (tid,) = open_for(engine, [scr_day(date(2026, 10, 13), 86.6, "breach")], date(2026, 10, 14))
    for args in (
        ("analyse", str(tid), "--as", "pic_performance", "--root-cause", "r", "--recommendation", "y"),
        ("decide", str(tid), "--as", "om", "--action", "Tambah agen|tl_voice|2099-01-31"),
    ):
        result = kawal("defects", *args)
        assert result.exit_code == 0, result.output
    # October's good days, before the plan existed: they must not count towards closing
    store_days(engine, [scr_day(date(2026, 10, d), 97.0, "met") for d in range(14, 31)])
    return engine, tid


def events(engine, tid: int) -> int:  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        return s.scalar(select(func.count()).select_from(DefectEvent).where(DefectEvent.ticket_id == tid))


def test_done_on_seven_weeks_before_the_plan_was_decided_is_refused_and_the_ticket_cannot_be_closed(
    decided,
) -> None:  # type: ignore[no-untyped-def]
    engine, tid = decided
    before = events(engine, tid)
    back = kawal("defects", "verify", str(tid), "--as", "pic_performance", "--done-on", "2026-10-13")
    assert back.exit_code == 2, back.output
    assert back.output.strip().splitlines() == [
        "kawal: refused: --done-on 2026-10-13 is before the recovery plan was decided (2026-12-01): the "
        "effectiveness check starts once the decided actions are done (ISO 9001 10.2)"
    ]
    closed = kawal("defects", "close", str(tid), "--as", "om")
    assert closed.exit_code == 2 and "is plan_decided: cannot close it" in closed.output
    with session_scope(engine) as s:
        t = s.get(DefectTicket, tid)
        assert (t.state, t.monitoring_since) == ("plan_decided", None)
    assert events(engine, tid) == before  # nothing written


def test_done_on_in_the_future_is_refused_in_the_workflow_too(decided) -> None:  # type: ignore[no-untyped-def]
    engine, tid = decided
    cli = kawal("defects", "verify", str(tid), "--as", "om", "--done-on", "2026-12-02")
    assert cli.exit_code == 2 and "--done-on 2026-12-02 is in the future (today is 2026-12-01)" in cli.output
    # the board calls the workflow with the form's date and the site clock
    with (
        pytest.raises(Refused, match=r"2026-12-08 is in the future \(today is 2026-12-07\)"),
        session_scope(engine) as s,
    ):
        verify(s, REGISTER, tid, "om", date(2026, 12, 8), "", today=date(2026, 12, 7))
    ok = kawal("defects", "verify", str(tid), "--as", "om", "--done-on", "2026-12-01", "--lang", "en")
    assert ok.exit_code == 0 and f"ticket #{tid} is now monitoring" in ok.output


def test_a_plan_decided_on_a_past_day_replays_history_but_not_before_the_defect_nor_in_the_future(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAWAL_DB_URL", store_url)
    monkeypatch.setenv("KAWAL_RULES_DIR", str(REPO / "kpi_rules"))
    engine = engine_for(store_url)
    (tid,) = open_for(engine, [scr_day(date(2026, 10, 13), 86.6, "breach")], date(2026, 10, 14))
    assert kawal("defects", "analyse", str(tid), "--as", "pic_performance", "--root-cause", "r",
                 "--recommendation", "y").exit_code == 0  # fmt: skip
    plan = ("decide", str(tid), "--as", "om", "--action", "Tambah agen|tl_voice|2099-01-31")
    early = kawal("defects", *plan, "--on", "2026-10-12")
    assert early.exit_code == 2 and "--on 2026-10-12 is before the defect began (2026-10-13)" in early.output
    future = kawal("defects", *plan, "--on", "2026-12-02")
    assert future.exit_code == 2 and "--on 2026-12-02 is in the future (today is 2026-12-01" in future.output
    assert kawal("defects", *plan, "--on", "2026-10-15").exit_code == 0
    before = kawal("defects", "verify", str(tid), "--as", "om", "--done-on", "2026-10-14")
    assert before.exit_code == 2 and "before the recovery plan was decided (2026-10-15)" in before.output
    assert kawal("defects", "verify", str(tid), "--as", "om", "--done-on", "2026-10-16").exit_code == 0
