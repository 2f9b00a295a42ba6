"""docker-compose.yml passes each service only the secrets it uses (issue #19).

No Docker engine runs here, so the file is read as compose reads it (YAML with merge keys) and each
service's environment is checked: no ``env_file`` pushing all of ``.env`` into every container.
"""

from __future__ import annotations

import re

import yaml

from tests.conftest import REPO

AIRFLOW = ("airflow-init", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer",
           "airflow-worker")  # fmt: skip


def _services() -> dict[str, dict]:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]


def _env(service: dict) -> set[str]:
    env = service.get("environment") or {}
    return set(env) if isinstance(env, dict) else {item.split("=", 1)[0] for item in env}


def test_no_service_takes_the_whole_env_file() -> None:
    assert [name for name, s in _services().items() if "env_file" in s] == []


def test_each_secret_reaches_only_the_services_that_use_it() -> None:
    services = _services()
    holders = {var: sorted(n for n, s in services.items() if var in _env(s)) for var in (
        "_AIRFLOW_WWW_USER_PASSWORD", "AIRFLOW_CONN_SMTP_DEFAULT", "AIRFLOW__CORE__FERNET_KEY")}  # fmt: skip
    assert holders["_AIRFLOW_WWW_USER_PASSWORD"] == ["airflow-init"]
    assert holders["AIRFLOW_CONN_SMTP_DEFAULT"] == ["airflow-apiserver", "airflow-worker"]
    assert holders["AIRFLOW__CORE__FERNET_KEY"] == sorted(AIRFLOW)
    for name in ("postgres", "redis", "mailpit"):
        assert not {v for v in _env(services[name]) if v.startswith(("AIRFLOW", "_AIRFLOW"))}, name


def test_every_variable_the_compose_file_reads_is_in_the_env_example() -> None:
    # ${VAR} is filled by compose from .env; $${VAR} is the container's own (a health check's $HOSTNAME)
    used = set(re.findall(r"(?<!\$)\$\{([A-Z_][A-Z0-9_]*)(?::?-[^}]*)?\}", (REPO / "docker-compose.yml").read_text()))
    example = {line.split("=", 1)[0] for line in (REPO / ".env.example").read_text().splitlines() if "=" in line
               and not line.startswith("#")}  # fmt: skip
    assert sorted(used - example - {"KAWAL_IMAGE", "AIRFLOW_PORT"}) == []
