"""``kawal rules check`` and friends on broken and shipped registers.

Every folder under ``tests/fixtures/registers/`` (except ``_people.yaml``) is one broken register with ONE
planted problem; its ``expect.txt`` lists substrings that must all appear on the same output line (file,
entry, field and what is wrong). A folder without its own ``people.yaml`` is checked with the shared
``_people.yaml``.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from kawal.cli import main
from kawal.kpis.day import kpi_day_rows
from kawal.register.check import check_register, load_register
from kawal.register.docs import kpi_definitions_markdown

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "kpi_rules"
FIXTURES = REPO / "tests" / "fixtures" / "registers"
SHARED_PEOPLE = FIXTURES / "_people.yaml"
CASES = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir() and not p.name.startswith("_"))
PEOPLE_CASES = [c for c in CASES if (FIXTURES / c / "people.yaml").is_file()]


def _rules_from_case(case: str, tmp_path: Path) -> Path:
    """The case's folder copied to tmp_path/rules, with the shared people file when it has none."""
    rules = tmp_path / "rules"
    shutil.copytree(FIXTURES / case, rules)
    (rules / "expect.txt").unlink()
    if not (rules / "people.yaml").exists():
        shutil.copyfile(SHARED_PEOPLE, rules / "people.yaml")
    return rules


def _rules(monkeypatch: pytest.MonkeyPatch, rules: Path, *args: str):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("KAWAL_RULES_DIR", str(rules))
    return CliRunner().invoke(main, ["rules", *args])


# --- broken registers -------------------------------------------------------------------------


def test_there_are_enough_broken_register_cases() -> None:
    assert len(CASES) >= 12, CASES
    for case in CASES:
        assert (FIXTURES / case / "register.yaml").is_file(), case
        assert [line for line in (FIXTURES / case / "expect.txt").read_text().splitlines() if line], case


@pytest.mark.parametrize("case", CASES)
def test_broken_register_is_reported_on_one_line(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # arrange
    rules = _rules_from_case(case, tmp_path)
    expected = [s for s in (FIXTURES / case / "expect.txt").read_text(encoding="utf-8").splitlines() if s]

    # act
    result = _rules(monkeypatch, rules, "check")

    # assert
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    matching = [line for line in result.output.splitlines() if all(s in line for s in expected)]
    assert matching, f"no output line contains all of {expected}:\n{result.output}"


@pytest.mark.parametrize("case", PEOPLE_CASES)
def test_people_cases_break_only_people_yaml(case: str, tmp_path: Path) -> None:
    """The register of a people case is valid with the shared people file, and the shared file itself is
    valid: the problem reported for the case really comes from its own people.yaml."""
    # arrange
    rules = _rules_from_case(case, tmp_path)
    shutil.copyfile(SHARED_PEOPLE, rules / "people.yaml")

    # act
    register, problems = check_register(rules)

    # assert
    assert problems == []
    assert register is not None


# --- the shipped register ---------------------------------------------------------------------


def test_shipped_register_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    result = _rules(monkeypatch, SHIPPED, "check")

    assert result.exit_code == 0, result.output
    assert "register OK: 17 KPIs in 5 categories" in result.output


@pytest.mark.parametrize(
    ("on", "target", "warning", "revision"),
    [("2026-10-20", 280, 265, 2), ("2026-10-16", 280, 265, 2), ("2026-10-01", 300, 285, 1)],
)
def test_rules_list_json_gives_the_target_in_force(
    monkeypatch: pytest.MonkeyPatch, on: str, target: float, warning: float, revision: int
) -> None:
    # act
    result = _rules(monkeypatch, SHIPPED, "list", "--format", "json", "--on", on)

    # assert
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["as_of"] == on
    assert doc["revision"] == revision
    assert len(doc["kpis"]) == 17
    aht = next(k for k in doc["kpis"] if k["id"] == "aht")
    assert aht["target_in_force"] == {"target": target, "warning": warning, "revision": revision}
    assert aht["target"] == 300  # the entry keeps revision 1's target: history is never edited


def test_rules_history_lists_the_revisions_and_the_aht_change(monkeypatch: pytest.MonkeyPatch) -> None:
    result = _rules(monkeypatch, SHIPPED, "history")

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(line.startswith("rev 1  berlaku 2026-01-01") for line in lines), result.output
    assert any(line.startswith("rev 2  berlaku 2026-10-16") for line in lines), result.output
    assert any("- aht: target → 280, warning → 265" in line for line in lines), result.output


def test_kpi_definitions_doc_is_in_step_with_the_register() -> None:
    committed = (REPO / "docs" / "kpi-definitions.md").read_text(encoding="utf-8")

    generated = kpi_definitions_markdown(load_register(SHIPPED))

    assert committed == generated, "stale: run `kawal rules docs --out docs/kpi-definitions.md`"


# --- extensibility: a new KPI of an existing formula kind is a register entry only ------------

ABANDON_RATE = """
  - id: abandon_share
    name_id: Abandon Rate
    name_en: Abandon rate
    category: performance
    scope: internal
    source: interactions
    formula: {kind: share, params: {condition: [{column: outcome, op: "==", value: abandoned}]}}
    breakdowns: [channel]
    unit: percent
    direction: lower_is_better
    period: daily
    target: 5
    warning: 4
    pic: pic_performance
    definition:
      in_words: Share of the interactions that entered a queue and were abandoned before an agent answered.
      numerator: interactions abandoned (short abandons included)
      denominator: interactions offered
"""


def _interactions(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    """Canonical interactions rows from (channel, outcome, wait_s); other durations are fixed."""
    return pd.DataFrame(
        [
            {
                "interaction_id": f"i{i}",
                "channel": channel,
                "queue": f"{channel}_general",
                "arrived_at": f"2026-10-20T08:{i:02d}:00+07:00",
                "outcome": outcome,
                "wait_s": wait_s,
                "talk_s": 120.0 if outcome == "answered" else 0.0,
                "hold_s": 0.0,
                "acw_s": 15.0 if outcome == "answered" else 0.0,
            }
            for i, (channel, outcome, wait_s) in enumerate(rows)
        ]
    )


def test_new_kpi_of_an_existing_kind_is_a_register_entry_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # arrange: the shipped register plus one entry of the existing kind `share`
    rules = tmp_path / "rules"
    shutil.copytree(SHIPPED, rules)
    with (rules / "register.yaml").open("a", encoding="utf-8") as f:
        f.write("\n" + ABANDON_RATE)
    interactions = _interactions(
        [
            ("voice", "answered", 12.0),
            ("voice", "abandoned", 45.0),
            ("voice", "answered", 3.0),
            ("voice", "abandoned", 2.0),  # a short abandon: still abandoned for this KPI
            ("voice", "answered", 30.0),
            ("chat", "answered", 8.0),
            ("chat", "abandoned", 60.0),
            ("chat", "answered", 20.0),
        ]
    )

    # act
    result = _rules(monkeypatch, rules, "check")
    register = load_register(rules)
    rows = kpi_day_rows(register.for_source("interactions"), interactions, date(2026, 10, 20), None)

    # assert
    assert result.exit_code == 0, result.output
    assert "register OK: 18 KPIs in 5 categories" in result.output
    got = {r.scope: (r.numerator, r.denominator, r.value) for r in rows if r.kpi_id == "abandon_share"}
    # all:   3 abandoned (2 voice + 1 chat) of 8 offered → 100 × 3 / 8 = 37.5 %
    # voice: 2 abandoned of 5 offered                    → 100 × 2 / 5 = 40 %
    # chat:  1 abandoned of 3 offered                    → 100 × 1 / 3 = 33.33… %
    assert set(got) == {"all", "channel=voice", "channel=chat"}
    assert got["all"] == (3.0, 8.0, pytest.approx(37.5))
    assert got["channel=voice"] == (2.0, 5.0, pytest.approx(40.0))
    assert got["channel=chat"] == (1.0, 3.0, pytest.approx(100 / 3))
    assert register.target_on("abandon_share", date(2026, 10, 20)).value == 5
