"""Airflow settings for running Kawal's DAGs on the embedded defaults (demo, tests).

Everything Airflow writes (metadata SQLite DB, logs, generated passwords) stays under
``$KAWAL_HOME/airflow`` so a fresh clone has one git-ignored output folder. Must be applied to
``os.environ`` *before* ``airflow`` is imported (Airflow reads its config at import).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def repo_root() -> Path:
    """The checkout this package is installed from (editable install)."""
    return Path(__file__).resolve().parents[2]


def embedded_airflow_env(kawal_home: Path) -> dict[str, str]:
    home = kawal_home / "airflow"
    return {
        "KAWAL_HOME": str(kawal_home),
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(repo_root() / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DEFAULT_TIMEZONE": "Asia/Jakarta",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        "AIRFLOW__LOGGING__LOGGING_LEVEL": os.environ.get("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(repo_root() / "plugins"),
        "GX_ANALYTICS_ENABLED": "false",  # no network on these machines (docs/STACK-NOTES.md)
        "KAWAL_RULES_DIR": os.environ.get("KAWAL_RULES_DIR", str(repo_root() / "kpi_rules")),
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
