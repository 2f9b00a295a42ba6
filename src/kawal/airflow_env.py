"""Airflow settings for running Kawal's DAGs on the embedded defaults (demo, tests).

Everything Airflow writes (metadata SQLite DB, logs, generated passwords) stays under
``$KAWAL_HOME/airflow`` so a fresh clone has one git-ignored output folder. Must be applied to
``os.environ`` *before* ``airflow`` is imported (Airflow reads its config at import).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO


def repo_root() -> Path:
    """The checkout this package is installed from (editable install)."""
    return Path(__file__).resolve().parents[2]


def _folder(airflow_setting: str, default: Path) -> str:
    """Airflow's own folder setting when the environment gives one (a runtime install outside the
    checkout: the image, tests/stack/test_runtime_lock.py), else the checkout's folder."""
    return os.environ.get(airflow_setting) or str(default)


def embedded_airflow_env(kawal_home: Path) -> dict[str, str]:
    from kawal.site import load_site

    home = kawal_home / "airflow"
    rules = os.environ.get("KAWAL_RULES_DIR", str(repo_root() / "kpi_rules"))
    return {
        "KAWAL_HOME": str(kawal_home),
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": _folder("AIRFLOW__CORE__DAGS_FOLDER", repo_root() / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DEFAULT_TIMEZONE": load_site(Path(rules)).timezone,  # site.yaml
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        "AIRFLOW__LOGGING__LOGGING_LEVEL": os.environ.get("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": _folder("AIRFLOW__CORE__PLUGINS_FOLDER", repo_root() / "plugins"),
        "GX_ANALYTICS_ENABLED": "false",  # no network on these machines (docs/STACK-NOTES.md)
        "KAWAL_RULES_DIR": rules,
        "KAWAL_MAPPINGS_DIR": os.environ.get("KAWAL_MAPPINGS_DIR", str(repo_root() / "mappings")),
    }


def migrate_airflow_db(env: dict[str, str], log_file: Path) -> None:
    """``airflow db migrate`` in a child process, its output to ``log_file`` (idempotent)."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    airflow_bin = Path(sys.executable).with_name("airflow")
    with log_file.open("ab") as log:
        subprocess.run(  # noqa: S603 - fixed command, our own interpreter's airflow
            [str(airflow_bin), "db", "migrate"], env={**os.environ, **env}, stdout=log, stderr=log, check=True
        )


@contextmanager
def airflow_output_to(log_file: Path) -> Iterator[TextIO]:
    """Send fd 1/2 (Airflow's and the tasks' log lines) to ``log_file``; yield the real terminal."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    terminal = os.fdopen(os.dup(1), "w", buffering=1)
    with log_file.open("ab") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield terminal
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
            terminal.close()
