"""The opt-in KPIs every center reports (issue #16): service level in its three variants, abandon
rate, mean CSAT, first-contact resolution — each on rows written here, expected values by hand; and
opting in through kpi_rules/site.yaml."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from kawal.kpis.day import kpi_day_rows
from kawal.register import check_register, load_register
from tests.frames import frame

NAN = float("nan")
T = "2026-10-01T09:00:00+07:00"
# id, channel, queue, arrived_at, outcome, wait_s, talk_s, hold_s, acw_s, calls, short_abandon, first_contact_resolved
CALLS = [
    ("a", "voice", "q", T, "answered", 5, 100, 0, 0, 1, NAN, 1),  # within 20 s, resolved
    ("b", "voice", "q", T, "answered", 20, 100, 0, 0, 1, NAN, 0),  # within (≤ 20 s), not resolved
    ("c", "voice", "q", T, "answered", 45, 100, 0, 0, 1, NAN, NAN),  # late, resolution unknown
    ("d", "voice", "q", T, "answered", NAN, 100, 0, 0, 1, NAN, 1),  # wait unknown: out of SL
    ("e", "voice", "q", T, "abandoned", 2, 0, 0, 0, 1, NAN, NAN),  # short abandon
    ("f", "voice", "q", T, "abandoned", 60, 0, 0, 0, 1, NAN, NAN),  # abandon
    ("g", "voice", "q", T, "abandoned", NAN, 0, 0, 0, 1, NAN, NAN),  # abandon, wait unknown: not short
]
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def opted_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    rules = tmp_path / "kpi_rules"
    shutil.copytree(REPO / "kpi_rules", rules)
    site = (rules / "site.yaml").read_text(encoding="utf-8")
    ids = ["sl_offered", "sl_answered", "sl_offered_minus_short", "abandon_rate", "csat_mean", "fcr"]
    (rules / "site.yaml").write_text(site.replace("opt_in_kpis: []", f"opt_in_kpis: [{', '.join(ids)}]"), "utf-8")
    monkeypatch.setenv("KAWAL_RULES_DIR", str(rules))
    return load_register(rules)


def values(register, source: str, rows) -> dict[str, tuple[float, float]]:  # type: ignore[no-untyped-def]
    out = kpi_day_rows(register.for_source(source), frame(source, rows), date(2026, 10, 1), None)
    return {r.kpi_id: (r.numerator, r.denominator) for r in out if r.scope == "all"}


def test_opt_in_kpis_are_off_until_the_site_lists_them() -> None:
    register = load_register()
    assert not {"sl_offered", "csat_mean", "fcr"} & {k.id for k in register.kpis}
    assert {"sl_offered", "csat_mean", "fcr"} <= {k.id for k in register.not_applicable}


def test_service_level_variants_abandon_rate_and_fcr_by_hand(opted_in) -> None:  # type: ignore[no-untyped-def]
    got = values(opted_in, "interactions", CALLS)
    # within 20 s: a, b. Known: a, b, c answered (d's wait unknown: out of both sides); e, f, g abandoned.
    assert got["sl_offered"] == (2.0, 6.0)  # ÷ offered with a known answer wait: a b c e f g
    assert got["sl_answered"] == (2.0, 3.0)  # ÷ a b c
    assert got["sl_offered_minus_short"] == (2.0, 5.0)  # ÷ a b c f g (e is short)
    assert got["abandon_rate"] == (2.0, 6.0)  # f, g ÷ offered less short (a b c d f g)
    assert got["fcr"] == (2.0, 3.0)  # resolved a, d ÷ answered with a known flag a, b, d
    assert got["scr"] == (4.0, 6.0)  # unchanged by opting in


def test_mean_csat_on_the_rating_scale(opted_in) -> None:  # type: ignore[no-untyped-def]
    ratings = [("r1", "voice", 5), ("r2", "voice", 4), ("r3", "chat", 2)]
    got = values(opted_in, "csi_responses", ratings)
    assert got["csat_mean"] == (11.0, 3.0)  # (5 + 4 + 2) / 3 = 3.67 points
    assert got["csi"] == (2.0, 3.0)


def test_opting_in_an_unknown_or_always_on_kpi_is_named(tmp_path: Path) -> None:
    rules = tmp_path / "kpi_rules"
    shutil.copytree(REPO / "kpi_rules", rules)
    site = (rules / "site.yaml").read_text(encoding="utf-8")
    (rules / "site.yaml").write_text(site.replace("opt_in_kpis: []", "opt_in_kpis: [sl_offerd, scr]"), "utf-8")
    register, problems = check_register(rules)
    assert register is None
    shown = [str(p) for p in problems]
    assert len(shown) == 2, shown
    assert "site.yaml: opt_in_kpis: 'sl_offerd' is not a KPI of" in shown[0] and "register.yaml" in shown[0]
    assert shown[1].endswith("site.yaml: opt_in_kpis: 'scr' is not opt-in: it is always reported")
