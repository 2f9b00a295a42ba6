"""Change control (§7): every register revision names its author; `kawal rules history` shows it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from kawal.cli import main
from kawal.register import load_register

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "kpi_rules"
    shutil.copytree(REPO / "kpi_rules", folder)
    monkeypatch.setenv("KAWAL_RULES_DIR", str(folder))
    return folder


def test_history_states_number_date_author_and_description(rules: Path) -> None:
    register = load_register(rules)

    result = CliRunner().invoke(main, ["rules", "history"])

    assert result.exit_code == 0, result.output
    for rev in register.revisions:
        author = register.people.person(rev.author)
        assert f"rev {rev.rev}  berlaku {rev.effective_from}  oleh {author.name}" in result.output
        assert rev.description in result.output


@pytest.mark.parametrize(
    ("author_line", "message"),
    [
        ("", "revision 2 field author: Field required"),
        ("    author: ghost\n", "revision 2 field author: 'ghost' is not among the people"),
    ],
    ids=["missing", "unknown-person"],
)
def test_a_revision_without_a_known_author_is_refused_with_one_line(
    rules: Path, author_line: str, message: str
) -> None:
    path = rules / "register.yaml"
    text = path.read_text()
    assert "  - rev: 2\n    effective_from: 2026-10-16\n    author: om\n" in text
    path.write_text(
        text.replace(
            "    effective_from: 2026-10-16\n    author: om\n", "    effective_from: 2026-10-16\n" + author_line
        )
    )

    result = CliRunner().invoke(main, ["rules", "check"])

    assert result.exit_code == 1
    assert f"{path}: {message}" in result.output
