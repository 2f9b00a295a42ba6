"""Two people act on one ticket at the same moment (issue #17, finding 4): one wins, one is told.

Two ``kawal defects analyse`` (``decide``, ``verify``) on one ticket, each in its own process, both
past the state check before either writes (tests/reliability/race_worker.py makes the overlap
certain). Before the fix both succeeded: two ``analysed`` events, two recovery plans, the mail
carrying the analysis that was not kept. Now the state moves in one conditional UPDATE (state and
version checked, kawal.defects.lifecycle.record): the loser exits 2 with one line ("ticket #N is
already analysed …") and leaves nothing — no event, no action, no mail. On SQLite and PostgreSQL,
several trials on the same ticket (reopened by a breach during monitoring between trials).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from kawal.store import engine_for, session_scope
from kawal.store.models import DefectEvent, DefectTicket, Notification, RecoveryAction, ReviewItem
from tests.conftest import REPO
from tests.defects.test_defects import open_for, scr_day
from tests.reliability.race_worker import race

pytestmark = pytest.mark.reliability

TRIALS = 3


def winner_and_loser(results: dict[str, tuple[int, list[str]]], tid: int, state: str) -> str:
    """The one racer that succeeded; the other refused with one line naming the ticket and its state."""
    codes = sorted(code for code, _ in results.values())
    assert codes == [0, 2], results
    (winner,) = [name for name, (code, _) in results.items() if code == 0]
    (loser_lines,) = [lines for code, lines in results.values() if code == 2]
    assert len(loser_lines) == 1, loser_lines
    assert loser_lines[0].startswith(f"kawal: refused: ticket #{tid} is already {state}"), loser_lines
    assert "Traceback" not in loser_lines[0]
    return winner


def counts(engine, tid: int) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        events = dict(
            s.execute(
                select(DefectEvent.action, func.count())
                .where(DefectEvent.ticket_id == tid)
                .group_by(DefectEvent.action)
            ).all()
        )
        events["recovery_actions"] = s.scalar(
            select(func.count()).select_from(RecoveryAction).where(RecoveryAction.ticket_id == tid)
        )
        return events


def test_two_people_acting_on_one_ticket_at_once_one_wins_the_other_is_told(
    store_url: str, mail_sink, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("KAWAL_DB_URL", store_url)
    monkeypatch.setenv("KAWAL_RULES_DIR", str(REPO / "kpi_rules"))
    monkeypatch.setenv("KAWAL_HOME", str(tmp_path / "home"))
    engine = engine_for(store_url)
    (tid,) = open_for(engine, [scr_day(date(2026, 10, 13), 86.6, "breach")], date(2026, 10, 14))

    for trial in range(TRIALS):
        texts = {name: f"akar masalah {name} percobaan {trial}" for name in ("a", "b")}
        analysed = race(
            tmp_path,
            f"analyse-{trial}",
            {
                name: [
                    *("defects", "analyse", str(tid), "--as", "pic_performance"),
                    *("--root-cause", text, "--recommendation", f"rekomendasi {name}"),
                ]
                for name, text in texts.items()
            },
        )
        kept = winner_and_loser(analysed, tid, "analysed")
        with session_scope(engine) as s:
            t = s.get(DefectTicket, tid)
            assert (t.state, t.root_cause, t.recommendation) == ("analysed", texts[kept], f"rekomendasi {kept}")
            mails = s.scalars(
                select(Notification.body_text).where(
                    Notification.ticket_id == tid, Notification.kind == "analysis_submitted"
                )
            ).all()
        assert len(mails) == trial + 1 and texts[kept] in mails[-1]  # the mail says what the ticket keeps

        decided = race(
            tmp_path,
            f"decide-{trial}",
            {
                name: ["defects", "decide", str(tid), "--as", "om", "--action", f"langkah {name}|tl_voice|2099-01-31"]
                for name in ("a", "b")
            },
        )
        winner_and_loser(decided, tid, "plan_decided")

        verified = race(
            tmp_path,
            f"verify-{trial}",
            {
                name: ["defects", "verify", str(tid), "--as", who, "--done-on", "2026-12-01", "--note", name]
                for name, who in (("a", "pic_performance"), ("b", "om"))
            },
        )
        winner_and_loser(verified, tid, "monitoring")

        # exactly one of each step per episode: nothing of the losers was written
        done = counts(engine, tid)
        assert [done.get(k) for k in ("analysed", "plan_decided", "verified", "recovery_actions")] == [trial + 1] * 4
        # a breach during monitoring reopens the ticket for the next trial
        breach = date(2026, 12, 1 + trial)
        open_for(engine, [scr_day(breach, 80.0, "breach")], breach + timedelta(days=1))
        with session_scope(engine) as s:
            assert s.get(DefectTicket, tid).state == "reopened"


def test_finalizing_minutes_while_an_item_is_written_never_freezes_a_hash_that_does_not_match(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """``review finalize`` racing ``review item`` (finding 4): before the fix both succeeded and the final
    minutes no longer matched their frozen SHA-256. Now one wins; the document always verifies."""
    from click.testing import CliRunner

    from kawal.cli import main
    from kawal.review.minutes import documents, verify_frozen

    monkeypatch.setenv("KAWAL_DB_URL", store_url)
    monkeypatch.setenv("KAWAL_RULES_DIR", str(REPO / "kpi_rules"))
    monkeypatch.setenv("KAWAL_HOME", str(tmp_path / "home"))
    engine = engine_for(store_url)

    def kawal(*args: str) -> None:
        result = CliRunner().invoke(main, list(args))
        assert result.exit_code == 0, result.output

    for trial, month in enumerate(("2026-07", "2026-08", "2026-09")[:TRIALS]):
        kawal("review", "new", month, "--as", "om", "--meeting-date", "2026-10-05")
        kawal("review", "attendees", month, "--as", "om", "om", "pic_performance")
        kawal("review", "item", month, "--as", "om", "--title", "Topik", "--discussion", "awal")
        results = race(
            tmp_path,
            f"minutes-{trial}",
            {
                "finalize": ["review", "finalize", month, "--as", "om"],
                "item": ["review", "item", month, "--as", "om", "--item", "1", "--discussion", "diubah"],
            },
        )
        assert sorted(code for code, _ in results.values()) == [0, 2], results
        (loser,) = [name for name, (code, _) in results.items() if code == 2]
        (line,) = results[loser][1]
        assert line.startswith("kawal: KWL/RR/"), line
        with session_scope(engine) as s:
            (doc,) = documents(s, date.fromisoformat(f"{month}-01"))
            discussion = s.scalars(select(func.max(ReviewItem.discussion)).where(ReviewItem.minutes_id == doc.id)).one()
            if loser == "item":  # frozen first: the late edit was refused
                assert doc.state == "final" and verify_frozen(s, doc) and discussion == "awal"
                assert "finalized a moment ago" in line
            else:  # edited first: the finalize saw another version and froze nothing
                assert doc.state == "draft" and doc.content_sha256 is None and discussion == "diubah"
                assert "changed a moment ago" in line
