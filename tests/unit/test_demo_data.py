"""The demo generator: repeatable, realistic enough, with planted misses."""

from __future__ import annotations

import csv
import hashlib
from datetime import date
from pathlib import Path

from kawal.demo.interactions import BAD_DAY_KINDS, COLUMNS, planted_bad_days
from kawal.demo.interactions import write_interactions_month as write_month
from kawal.periods import days_of_month

MONTH = date(2026, 2, 1)


def _digests(paths: list[Path]) -> list[str]:
    return [hashlib.sha256(p.read_bytes()).hexdigest() for p in paths]


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    a = write_month(MONTH, tmp_path / "a", seed=7, calls_per_day=300)
    b = write_month(MONTH, tmp_path / "b", seed=7, calls_per_day=300)
    c = write_month(MONTH, tmp_path / "c", seed=8, calls_per_day=300)
    assert len(a) == 28
    assert _digests(a) == _digests(b)
    assert _digests(a) != _digests(c)


def test_every_bad_day_kind_is_planted_once() -> None:
    bad = planted_bad_days(days_of_month(MONTH), seed=42)
    assert sorted(bad.values()) == sorted(BAD_DAY_KINDS)


def _abandon_rate(path: Path) -> float:
    with path.open() as fh:
        rows = list(csv.DictReader(fh))
    return sum(r["outcome"] == "abandoned" for r in rows) / len(rows)


def test_files_have_all_channels_and_abandonment_grows_on_bad_days(tmp_path: Path) -> None:
    paths = write_month(MONTH, tmp_path, seed=42, calls_per_day=1500)
    bad = planted_bad_days(days_of_month(MONTH), seed=42)
    with paths[0].open() as fh:
        reader = csv.DictReader(fh)
        assert tuple(reader.fieldnames or ()) == COLUMNS
        rows = list(reader)
    assert {r["channel"] for r in rows} == {"voice", "chat", "whatsapp"}
    assert all(r["arrived_at"].startswith(days_of_month(MONTH)[0].isoformat()) for r in rows)
    by_day = {p.stem.split("_")[1]: _abandon_rate(p) for p in paths}
    normal = [rate for day, rate in by_day.items() if date.fromisoformat(day) not in bad]
    staffed = next(d for d, k in bad.items() if k == "short_staffed")
    # long waits on the short-staffed day make more customers give up
    assert by_day[staffed.isoformat()] > 2 * max(normal)
