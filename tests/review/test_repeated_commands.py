"""A command typed twice records one thing (no duplicate actions or items in the minutes)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from kawal.errors import KawalError
from kawal.register import load_register
from kawal.review.minutes import add_action, draft_minutes, record_item
from kawal.store import engine_for, session_scope
from kawal.store.models import ReviewAction, ReviewItem

REGISTER = load_register(Path(__file__).resolve().parents[2] / "kpi_rules")
FIRST = date(2026, 7, 1)


def test_the_same_action_twice_is_one_action_and_a_repeated_item_title_is_refused(tmp_path: Path) -> None:
    engine = engine_for(f"sqlite:///{tmp_path / 'kawal.db'}")
    with session_scope(engine) as s:
        draft_minutes(s, REGISTER, FIRST, "om", date(2026, 8, 4))
        record_item(s, REGISTER, FIRST, "om", numbers=[], title="Kapasitas", kpi_id="scr")
    decided = {
        "kind": "curative", "description": "Coaching", "owner": "tl_voice", "due": date(2026, 8, 31), "kpi_id": "scr",
    }  # fmt: skip

    for _ in range(2):
        with session_scope(engine) as s:
            add_action(s, REGISTER, FIRST, "om", **decided)
    with session_scope(engine) as s, pytest.raises(KawalError, match="item 1 already has this title"):
        record_item(s, REGISTER, FIRST, "om", numbers=[], title="Kapasitas", kpi_id="scr")
    with session_scope(engine) as s:
        add_action(s, REGISTER, FIRST, "om", **{**decided, "due": date(2026, 9, 30)})  # a different action

    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(ReviewAction)) == 2
        assert s.scalar(select(func.count()).select_from(ReviewItem)) == 1
