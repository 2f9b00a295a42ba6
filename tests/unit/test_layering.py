"""The import contracts of .importlinter (docs/architecture.md) fail when a forbidden import is added.

`make test` runs `lint-imports` on the tree as it is; here the same contracts run on a copy of the
package with one forbidden import planted, so a contract that could never fail would show.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _lint(tmp_path: Path, plant: dict[str, str]) -> subprocess.CompletedProcess[str]:
    src = tmp_path / "src"
    shutil.copytree(REPO / "src" / "kawal", src / "kawal", ignore=shutil.ignore_patterns("__pycache__"))
    for module, line in plant.items():
        path = src / (module.replace(".", "/") + ".py")
        path.write_text(path.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")
    shutil.copy(REPO / ".importlinter", tmp_path / ".importlinter")
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )


def test_the_tree_keeps_every_contract(tmp_path: Path) -> None:
    result = _lint(tmp_path, {})
    assert result.returncode == 0, result.stdout[-3000:]
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("kawal.store.kpi_values", "import kawal.kpis.values", "store keeps persistence only"),
        ("kawal.kpis.values", "import kawal.defects.tickets", "kpis computes and judges values"),
        ("kawal.register.model", "import kawal.pipeline.daily", "no import cycle"),
        ("kawal.ingest.mapping", "import kawal.ingest.delivery", "no import cycle"),
    ],
)
def test_a_planted_forbidden_import_breaks_its_contract(tmp_path: Path, module: str, line: str, contract: str) -> None:
    result = _lint(tmp_path, {module: line})
    assert result.returncode != 0
    broken = result.stdout.split("Broken contracts", 1)[-1]
    assert contract in broken, result.stdout[-3000:]
