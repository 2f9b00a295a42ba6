"""Issue #17 finding 9 (register part): ``kawal rules check`` refuses configurations that parse but
cannot work — a target that is always or never met for its formula's range, two people sharing one
address, a repeat rule that can never fire, severity thresholds out of order, an empty SMTP
connection id, a ``ui_base_url`` that is not an absolute http(s) URL.

Each case copies the shipped ``kpi_rules/`` and plants ONE such mistake; ``kawal rules check`` must
exit 1 with one line naming the file, the entry and the field, and every task that loads the register
(``load_register``) must refuse it with the same line.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from kawal.cli import main
from kawal.errors import KawalError
from kawal.register.check import load_register

pytestmark = pytest.mark.security

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "kpi_rules"

Mutation = Callable[[Any], None]


def _kpi(data: Any, kpi_id: str) -> dict:
    return next(k for k in data["kpis"] if k["id"] == kpi_id)


def _set_kpi(kpi_id: str, **fields: Any) -> Mutation:
    def mutate(data: Any) -> None:
        _kpi(data, kpi_id).update(fields)

    return mutate


def _same_address(data: Any) -> None:
    # the trainer's mail would also reach the IT support person: one address, two people
    data["people"][9]["email"] = data["people"][8]["email"].upper()


def _set(path: str, value: Any) -> Mutation:
    def mutate(data: Any) -> None:
        *parents, last = path.split(".")
        for key in parents:
            data = data[key]
        data[last] = value

    return mutate


def _revision_target(data: Any) -> None:
    # revision 2 moves scr's target to 0 %: "≥ 0 %" is met by every day whatever happens
    data["revisions"][1]["changes"].append({"kpi": "scr", "target": 0.0})


#: case → (file, mutation, substrings that must all be on one output line)
CASES: dict[str, tuple[str, Mutation, tuple[str, ...]]] = {
    "percent target ≥ 0 is always met": (
        "register.yaml",
        _set_kpi("scr", target=0.0, warning=1.0),
        ("register.yaml", "KPI 'scr' field target", "always met", "0–100"),
    ),
    "percent target ≤ 100 is always met": (
        "register.yaml",
        _set_kpi("abandon_rate", target=100.0, warning=4.0),
        ("register.yaml", "KPI 'abandon_rate' field target", "always met"),
    ),
    "rating target ≥ 1 is always met": (
        "register.yaml",
        _set_kpi("csat_mean", target=1.0, warning=4.3),
        ("register.yaml", "KPI 'csat_mean' field target", "always met", "1–5"),
    ),
    "a share in unit score is never 90": (
        "register.yaml",
        _set_kpi("csi", unit="score"),
        ("register.yaml", "KPI 'csi' field target", "never met", "share", "0–1"),
    ),
    "a warning no value can reach": (
        "register.yaml",
        _set_kpi("fcr", unit="score", target=0.7, warning=72.0),
        ("register.yaml", "KPI 'fcr' field warning", "no value", "0–1"),
    ),
    "a revision's target always met": (
        "register.yaml",
        _revision_target,
        ("register.yaml", "revision 2 changes[", "field target", "always met"),
    ),
    "two people with one address": (
        "people.yaml",
        _same_address,
        ("people.yaml", "person 'it_support' field email", "already the address of 'trainer'"),
    ),
    "repeat rule of 8 breaches in 7 days": (
        "procedure.yaml",
        _set("defects.repeat_rule", {"breaches": 8, "periods": 7}),
        ("procedure.yaml", "defects.repeat_rule field breaches", "8", "7"),
    ),
    "critical gap below the major gap": (
        "procedure.yaml",
        _set("defects.severity.critical_gap", 0.03),
        ("procedure.yaml", "defects.severity field critical_gap", "major_gap"),
    ),
    "critical occurrences below the major occurrences": (
        "procedure.yaml",
        _set("defects.severity.critical_occurrences", 2),
        ("procedure.yaml", "defects.severity field critical_occurrences", "major_occurrences"),
    ),
    "empty smtp_conn_id": (
        "procedure.yaml",
        _set("notifications.smtp_conn_id", ""),
        ("procedure.yaml", "notifications field smtp_conn_id", "empty"),
    ),
    "javascript: ui_base_url": (
        "procedure.yaml",
        _set("notifications.ui_base_url", "javascript:alert(document.cookie)//"),
        ("procedure.yaml", "notifications field ui_base_url", "http"),
    ),
    "relative ui_base_url": (
        "procedure.yaml",
        _set("notifications.ui_base_url", "/kawal"),
        ("procedure.yaml", "notifications field ui_base_url", "absolute"),
    ),
}


def _rules_with(tmp_path: Path, file: str, mutate: Mutation) -> Path:
    rules = tmp_path / "rules"
    shutil.copytree(SHIPPED, rules)
    data = yaml.safe_load((rules / file).read_text(encoding="utf-8"))
    mutate(data)
    (rules / file).write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return rules


def _rules_check(monkeypatch: pytest.MonkeyPatch, rules: Path):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("KAWAL_RULES_DIR", str(rules))
    return CliRunner().invoke(main, ["rules", "check"])


@pytest.mark.parametrize("case", list(CASES))
def test_rules_check_refuses_a_register_that_cannot_work(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # arrange
    file, mutate, expected = CASES[case]
    rules = _rules_with(tmp_path, file, mutate)

    # act
    result = _rules_check(monkeypatch, rules)

    # assert: exit 1, one line naming file, entry and field, no traceback
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    matching = [line for line in result.output.splitlines() if all(s in line for s in expected)]
    assert len(matching) == 1, f"no single line holds all of {expected}:\n{result.output}"
    # every task loads the register: it fails loudly with that same line
    with pytest.raises(KawalError) as refused:
        load_register(rules)
    assert all(s in str(refused.value) for s in expected), str(refused.value)
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080/kawal", "https://airflow.example/kawal/", "https://airflow.example"]
)
def test_an_absolute_http_ui_base_url_is_accepted(url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rules = _rules_with(tmp_path, "procedure.yaml", _set("notifications.ui_base_url", url))
    result = _rules_check(monkeypatch, rules)
    assert result.exit_code == 0, result.output
    assert load_register(rules).procedure.notifications.ui_base_url == url


def test_the_shipped_kpi_rules_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    result = _rules_check(monkeypatch, SHIPPED)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("register OK:")
