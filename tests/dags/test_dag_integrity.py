"""DAG integrity: every DAG file imports cleanly and follows the project's policies."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DAG_FILES = sorted((REPO / "dags").glob("*.py"))
#: Imports the scheduler must not pay for every 30 s (STYLE.md practice 2): they go inside tasks.
HEAVY_MODULES = {
    "pandas",
    "numpy",
    "great_expectations",
    "weasyprint",
    "sqlalchemy",
    "matplotlib",
    "pyarrow",
    "duckdb",
    "kawal",
    "psycopg",
    "alembic",
}


@pytest.fixture(scope="module")
def dag_bag():  # type: ignore[no-untyped-def]
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(REPO / "dags"))


def test_there_are_dag_files() -> None:
    assert DAG_FILES, "dags/ holds no DAG file"


def test_no_import_errors(dag_bag) -> None:  # type: ignore[no-untyped-def]
    assert dag_bag.import_errors == {}
    assert len(dag_bag.dags) >= len(DAG_FILES)


@pytest.mark.parametrize("path", DAG_FILES, ids=lambda p: p.name)
def test_no_heavy_top_level_imports(path: Path) -> None:
    tree = ast.parse(path.read_text())
    top_level = []
    for node in tree.body:  # only module-level statements: imports inside tasks are the point
        if isinstance(node, ast.Import):
            top_level += [a.name.split(".")[0] for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            top_level.append(node.module.split(".")[0])
    assert not HEAVY_MODULES & set(top_level), f"{path.name} imports {HEAVY_MODULES & set(top_level)} at top level"


def test_every_dag_has_owner_tags_retries_and_docs(dag_bag) -> None:  # type: ignore[no-untyped-def]
    for dag_id, dag in dag_bag.dags.items():
        assert "kawal" in dag.tags, dag_id
        assert dag.doc_md and "Owner" in dag.doc_md and "Triage" in dag.doc_md, dag_id
        assert dag.timezone.name == "Asia/Jakarta", dag_id
        for task in dag.tasks:
            assert task.owner not in ("", "airflow"), f"{dag_id}.{task.task_id} has no owner"
            assert task.retries >= 2, f"{dag_id}.{task.task_id} retries={task.retries}"


def test_dag_sources_match_the_catalogue() -> None:
    """The daily DAG spells its sources out (no Kawal import at parse time): keep them in step."""
    import importlib.util

    from kawal.ingest.sources import SOURCES

    spec = importlib.util.spec_from_file_location("kawal_daily_kpis_file", REPO / "dags" / "kawal_daily_kpis.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert tuple(module.SOURCES) == tuple(SOURCES)
