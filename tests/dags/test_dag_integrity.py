"""DAG integrity: every DAG file imports cleanly and follows the project's policies."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DAG_FILES = sorted((REPO / "dags").glob("*.py"))
#: Imports the scheduler must not pay for every 30 s (docs/STYLE.md practice 2): they go inside tasks.
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


#: The modules of Kawal a DAG file may import when parsed: the task operator (the SDK only) and the
#: site settings (PyYAML only).
LIGHT_KAWAL_MODULES = {"kawal.airflow_step", "kawal.site"}


@pytest.mark.parametrize("path", DAG_FILES, ids=lambda p: p.name)
def test_no_heavy_top_level_imports(path: Path) -> None:
    tree = ast.parse(path.read_text())
    top_level = []
    for node in tree.body:  # only module-level statements: imports inside tasks are the point
        if isinstance(node, ast.Import):
            top_level += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            top_level.append(node.module)
    heavy = {m for m in top_level if m.split(".")[0] in HEAVY_MODULES and m not in LIGHT_KAWAL_MODULES}
    assert not heavy, f"{path.name} imports {heavy} at top level"


def test_the_task_operator_module_loads_nothing_heavy() -> None:
    """What a DAG file may import of Kawal must not pull pandas, SQLAlchemy, GX... in behind it."""
    import subprocess
    import sys

    # Beyond what the SDK itself loads (the dag-processor has it loaded before any DAG file).
    heavy = sorted(HEAVY_MODULES - {"kawal"})
    probe = (
        "import sys; from airflow.sdk import BaseOperator, dag; before = set(sys.modules); "
        "import kawal.airflow_step, kawal.site; kawal.site.load_site(); "
        f"print(sorted({{m.split('.')[0] for m in set(sys.modules) - before}} & set({heavy!r})))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", f"kawal.airflow_step loads {out.strip()}"


def test_every_step_exists_and_gets_its_arguments(dag_bag) -> None:  # type: ignore[no-untyped-def]
    """Each KawalStep names a function of kawal.pipeline.steps and supplies every parameter it has
    (fixed args, upstream results, or the run's context): a typo fails here, not at 01:00 WIB."""
    import inspect

    from kawal.airflow_step import CONTEXT_ARGS, KawalStep
    from kawal.pipeline import steps

    seen = 0
    for dag_id, dag in dag_bag.dags.items():
        for task in dag.tasks:
            assert isinstance(task, KawalStep), f"{dag_id}.{task.task_id} is a {type(task).__name__}"
            function = getattr(steps, task.step, None)
            assert callable(function), f"{dag_id}.{task.task_id}: no step {task.step!r} in kawal.pipeline.steps"
            wanted = set(inspect.signature(function).parameters)
            given = set(task.step_args) | set(task.pull) | (wanted & set(CONTEXT_ARGS))
            assert wanted == given, f"{dag_id}.{task.task_id}: {task.step} wants {wanted}, gets {given}"
            for ids in task.pull.values():  # results are pulled from upstream tasks only
                assert set([ids] if isinstance(ids, str) else ids) <= task.upstream_task_ids, task.task_id
            seen += 1
    assert seen >= 20


def test_every_dag_has_owner_tags_retries_and_docs(dag_bag) -> None:  # type: ignore[no-untyped-def]
    for dag_id, dag in dag_bag.dags.items():
        assert "kawal" in dag.tags, dag_id
        assert dag.doc_md and "Owner" in dag.doc_md and "Triage" in dag.doc_md, dag_id
        assert dag.timezone.name == "Asia/Jakarta", dag_id
        for task in dag.tasks:
            assert task.owner not in ("", "airflow"), f"{dag_id}.{task.task_id} has no owner"
            assert task.retries >= 2, f"{dag_id}.{task.task_id} retries={task.retries}"


def test_every_task_that_writes_a_record_declares_it_as_an_asset_and_fails_loudly(dag_bag) -> None:  # type: ignore[no-untyped-def]
    """#19: lineage tools see what each task produces (its outlets), and every task of every DAG tells
    data engineering when it fails for good (kawal.pipeline.failures)."""
    from kawal.airflow_step import tell_data_engineering

    daily = dag_bag.dags["kawal_daily_kpis"]
    outlets = {t.task_id: sorted(a.uri for a in t.outlets) for t in daily.tasks}
    assert outlets["ingest_interactions"] == [
        "kawal://home/staged/interactions",
        "kawal://store/ingestion_batch/interactions",
    ]
    assert outlets["compute_interactions"] == ["kawal://store/kpi_value/interactions"]
    assert outlets["open_defects"] == ["kawal://store/defect_ticket"]
    monthly = dag_bag.dags["kawal_monthly_report"]
    assert [a.uri for a in monthly.get_task("send_monthly_report").outlets] == [
        "kawal://store/report_delivery",
        "kawal://home/reports",
    ]
    for dag_id, dag in dag_bag.dags.items():
        for task in dag.tasks:
            callbacks = (
                task.on_failure_callback if isinstance(task.on_failure_callback, list) else [task.on_failure_callback]
            )
            assert tell_data_engineering in callbacks, f"{dag_id}.{task.task_id}"


def test_dag_sources_are_the_sites() -> None:
    """The daily DAG has a branch for each source of kpi_rules/site.yaml (the demo site: all of the
    catalogue), in the catalogue's order."""
    import importlib.util

    from kawal.sources import SOURCES

    spec = importlib.util.spec_from_file_location("kawal_daily_kpis_file", REPO / "dags" / "kawal_daily_kpis.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert tuple(module.SOURCES) == tuple(SOURCES)
