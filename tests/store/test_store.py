"""Kawal's store on SQLite and on PostgreSQL: migrations, natural keys, idempotent upserts."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

from kawal.kpis.rollup import RollupRule, month_rollup
from kawal.kpis.values import KpiValueRow
from kawal.store import IngestionBatch, KpiValue, engine_for, migrate, session_scope
from kawal.store.kpi_values import replace_period_values
from tests.conftest import REPO


def _row(day: date, scope: str, num: float, den: float, batch_id: int | None = None) -> KpiValueRow:
    return KpiValueRow("scr", "day", day, scope, num, den, 100 * num / den, "computed", None, batch_id, 1)


def _all_values(engine) -> list[tuple]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT * FROM kpi_value ORDER BY id"))]


def test_migrations_create_the_tables_and_are_idempotent(store_url: str) -> None:
    engine = engine_for(store_url)
    migrate(engine)  # a second time: nothing to do, no error
    tables = set(inspect(engine).get_table_names())
    assert {
        "kpi_value",
        "ingestion_batch",
        "defect_ticket",
        "defect_occurrence",
        "defect_event",
        "recovery_action",
        "notification",
        "alembic_version",
    } <= tables
    versions = sorted(p.name[:4] for p in (REPO / "src/kawal/store/migrations/versions").glob("0*.py"))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == versions[-1]


def test_upgrade_from_the_first_schema_keeps_the_values(store_url: str) -> None:
    from alembic import command
    from sqlalchemy import create_engine

    from kawal.store.db import _alembic_config

    # a store created by the first release, holding one value
    engine = create_engine(store_url)
    command.upgrade(_alembic_config(engine), "0001")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO kpi_value (kpi_id, period_type, period_start, scope, numerator, denominator, "
                "value, status, days_covered) VALUES ('scr', 'day', '2026-10-01', 'all', 9, 10, 90, "
                "'computed', 1)"
            )
        )
    engine.dispose()
    upgraded = engine_for(store_url)  # the automatic upgrade on first use
    with upgraded.connect() as conn:
        row = conn.execute(text("SELECT value, evaluation FROM kpi_value")).one()
    assert (row.value, row.evaluation) == (90.0, "not_evaluable")


def test_kpi_value_natural_key_is_unique(store_url: str) -> None:
    engine = engine_for(store_url)
    with pytest.raises(IntegrityError), session_scope(engine) as s:
        for _ in range(2):
            s.add(KpiValue(**_row(date(2026, 10, 1), "all", 9, 10).__dict__))
            s.flush()
    assert _all_values(engine) == []  # the failed transaction left nothing behind


def test_replace_period_values_upserts_without_duplicates(store_url: str) -> None:
    engine = engine_for(store_url)
    day = date(2026, 10, 1)
    rows = [_row(day, "all", 95, 100), _row(day, "channel=voice", 60, 70)]
    with session_scope(engine) as s:
        assert replace_period_values(s, ["scr"], "day", day, rows) == 2
    first = _all_values(engine)
    with session_scope(engine) as s:  # same rows again: nothing to write
        assert replace_period_values(s, ["scr"], "day", day, rows) == 0
    assert _all_values(engine) == first
    # a restated day without the voice scope: the value changes, the stale scope goes
    with session_scope(engine) as s:
        assert replace_period_values(s, ["scr"], "day", day, [_row(day, "all", 90, 100)]) == 2
    with session_scope(engine) as s:
        stored = s.scalars(select(KpiValue)).all()
        assert [(v.scope, v.value) for v in stored] == [("all", pytest.approx(90.0))]


def test_month_rollup_is_sum_of_numerators_over_sum_of_denominators(store_url: str) -> None:
    engine = engine_for(store_url)
    # day 1: 90/100 (90 %), day 2: 10/20 (50 %). Mean of ratios would be 70 %; the truth is 100/120.
    with session_scope(engine) as s:
        replace_period_values(s, ["scr"], "day", date(2026, 10, 1), [_row(date(2026, 10, 1), "all", 90, 100)])
        replace_period_values(s, ["scr"], "day", date(2026, 10, 2), [_row(date(2026, 10, 2), "all", 10, 20)])
        (month,) = month_rollup(s, {"scr": RollupRule(100.0)}, date(2026, 10, 1), date(2026, 10, 31))
    assert (month.numerator, month.denominator, month.days_covered) == (100, 120, 2)
    assert month.value == pytest.approx(100 * 100 / 120)


def test_stock_denominator_is_averaged_over_the_days_covered(store_url: str) -> None:
    engine = engine_for(store_url)
    # attrition: 2 leavers on a headcount of 100, then 1 leaver on 98 → 3 / mean(100, 98) = 3/99
    rows = [
        KpiValueRow("attrition", "day", date(2026, 10, 1), "all", 2, 100, 2.0, "computed", None, None, 1),
        KpiValueRow("attrition", "day", date(2026, 10, 2), "all", 1, 98, 100 / 98, "computed", None, None, 1),
    ]
    with session_scope(engine) as s:
        for row in rows:
            replace_period_values(s, ["attrition"], "day", row.period_start, [row])
        (month,) = month_rollup(
            s, {"attrition": RollupRule(100.0, stock_denominator=True)}, date(2026, 10, 1), date(2026, 10, 31)
        )
    assert (month.numerator, month.denominator) == (3, 99)
    assert month.value == pytest.approx(100 * 3 / 99)


def test_ingestion_batch_key_is_source_day_checksum(store_url: str) -> None:
    engine = engine_for(store_url)
    fields = dict(
        source="interactions",
        business_date=date(2026, 10, 1),
        file_name="interactions/interactions_2026-10-01.csv",
        checksum_sha256="a" * 64,
        row_count=3,
        state="loaded",
        received_at=datetime(2026, 10, 2, tzinfo=UTC),
    )
    with session_scope(engine) as s:
        s.add(IngestionBatch(**fields))
    with pytest.raises(IntegrityError), session_scope(engine) as s:
        s.add(IngestionBatch(**fields))
    with session_scope(engine) as s:  # a corrected re-delivery (other checksum) is a new batch
        s.add(IngestionBatch(**{**fields, "checksum_sha256": "b" * 64}))
    with session_scope(engine) as s:
        assert len(s.scalars(select(IngestionBatch)).all()) == 2


def test_the_schema_head_read_from_the_migration_files_is_alembics(store_url: str) -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from kawal.store.db import MIGRATIONS_DIR, current_heads, schema_heads

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert schema_heads() == frozenset(ScriptDirectory.from_config(cfg).get_heads())
    engine = engine_for(store_url, upgrade=False)
    assert current_heads(engine) == frozenset()  # a new store: migrate() will run Alembic
    migrate(engine)
    assert current_heads(engine) == schema_heads()
