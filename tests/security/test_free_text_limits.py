"""People's free text is bounded (issue #17, finding 11): a 1 MB recovery action made the monthly report
take 15 s. Every free-text field of the defect workflow and the review — analysis, recommendation,
recovery action, notes, discussion, decision — holds at most FREE_TEXT_MAX (2,000) characters; a longer
one is refused with one line naming the field and its length (never the text), and nothing is written.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from kawal.cli import main
from kawal.defects.lifecycle import PlannedAction
from kawal.defects.workflow import analyse, decide
from kawal.free_text import FREE_TEXT_MAX, TextTooLong
from kawal.register import load_register
from kawal.store import engine_for, session_scope
from kawal.store.models import DefectEvent, Notification, RecoveryAction
from tests.defects.test_defects import open_for, scr_day

pytestmark = pytest.mark.security

REPO = Path(__file__).resolve().parents[2]
REGISTER = load_register(REPO / "kpi_rules")
HUGE = "A" * (1 << 20)  # the 1 MB recovery action of the finding


def kawal(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args))


def written(engine) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        return tuple(s.scalar(select(func.count()).select_from(m)) for m in (DefectEvent, RecoveryAction, Notification))


def test_a_megabyte_of_free_text_is_refused_with_one_line_naming_the_field(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAWAL_DB_URL", store_url)
    monkeypatch.setenv("KAWAL_RULES_DIR", str(REPO / "kpi_rules"))
    engine = engine_for(store_url)
    (tid,) = open_for(engine, [scr_day(date(2026, 10, 13), 86.6, "breach")], date(2026, 10, 14))
    before = written(engine)
    huge = kawal(
        "defects", "analyse", str(tid), "--as", "pic_performance", "--root-cause", "r", "--recommendation", HUGE
    )
    assert huge.exit_code == 2
    assert huge.output.strip().splitlines() == [
        "kawal: refused: the recommendation is 1,048,576 characters long; at most 2,000 are kept (shorten it, or "
        "put the details in a document and refer to it)"
    ]
    assert "AAAA" not in huge.output and written(engine) == before
    fits = "B" * FREE_TEXT_MAX  # exactly the limit is kept
    with session_scope(engine) as s:
        analyse(s, REGISTER, tid, "pic_performance", root_cause=fits, coordinated_with="", recommendation="y")
    with pytest.raises(TextTooLong, match=r"the description of action 1 is 1,048,576 characters"):
        with session_scope(engine) as s:
            decide(
                s,
                REGISTER,
                tid,
                "om",
                [PlannedAction("curative", HUGE, "tl_voice", date(2099, 1, 1))],
                date(2026, 12, 1),
            )
    cli = kawal("defects", "decide", str(tid), "--as", "om", "--action", f"{'C' * 2001}|tl_voice|2099-01-31")
    assert cli.exit_code == 2 and "the description of action 1 is 2,001 characters long" in cli.output
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(RecoveryAction)) == 0
    note = kawal("defects", "decide", str(tid), "--as", "om", "--action", "ok|tl_voice|2099-01-31")
    assert note.exit_code == 0, note.output
    long_note = kawal("defects", "verify", str(tid), "--as", "om", "--note", HUGE)
    assert long_note.exit_code == 2 and "the note is 1,048,576 characters long" in long_note.output


def test_review_discussion_and_actions_are_bounded(store_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("KAWAL_DB_URL", store_url)
    monkeypatch.setenv("KAWAL_RULES_DIR", str(REPO / "kpi_rules"))
    monkeypatch.setenv("KAWAL_HOME", str(tmp_path / "home"))
    engine_for(store_url)
    assert kawal("review", "new", "2026-10", "--as", "om", "--meeting-date", "2026-11-05").exit_code == 0
    for args, field in (
        (("item", "--title", "Topik", "--discussion", HUGE), "--discussion"),
        (("item", "--title", HUGE), "--title"),
        (("action", "--kind", "preventive", "--what", HUGE, "--owner", "tl_voice", "--due", "2026-12-01",
          "--kpi", "scr"), "--what"),
    ):  # fmt: skip
        result = kawal("review", args[0], "2026-10", "--as", "om", *args[1:])
        assert result.exit_code == 2, result.output
        assert result.output.strip().splitlines() == [
            f"kawal: refused: {field} is 1,048,576 characters long; at most 2,000 are kept (shorten it, or put the "
            "details in a document and refer to it)"
        ]
    shown = kawal("review", "show", "2026-10", "--format", "json")
    (doc,) = json.loads(shown.output)["documents"]
    assert (doc["items"], doc["actions"]) == ([], [])  # nothing of the refused edits was written
