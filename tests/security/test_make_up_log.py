"""Issue #17 finding 11: ``make up`` printed every login's password in its log.

``make up`` runs ``python -m kawal.web.up``, which starts ``airflow standalone``; its api-server
runs SimpleAuthManager's ``init()``, which generates a password for every user missing from the
password file and *prints* it, and standalone copies that into the log. Starting the full standalone
(scheduler, dag-processor, triggerer, api-server: minutes on this machine) is not needed to see it:
the test runs ``up`` for real (its environment, its mail sink, its messages) with the standalone
process replaced by exactly the call that prints — ``SimpleAuthManager().init()`` in a child with the
environment ``up`` built — and reads both outputs, as one log, for any password.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

pytestmark = pytest.mark.security

REPO = Path(__file__).resolve().parents[2]
#: what the api-server does with the users at its start (airflow standalone → api-server → init)
API_SERVER_AUTH_INIT = (
    "from airflow.api_fastapi.auth.managers.simple.simple_auth_manager import SimpleAuthManager\n"
    "SimpleAuthManager().init()\n"
)
REAL_POPEN = subprocess.Popen


def _run_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Path]:
    """``up`` with the standalone replaced by the api-server's auth init; (its log, AIRFLOW_HOME)."""
    import kawal.web.up as up_module

    home = tmp_path / "var"
    home.mkdir(exist_ok=True)
    (home / "kawal.db").touch()  # `make demo` ran (up refuses to start without its store)
    monkeypatch.setenv("KAWAL_HOME", str(home))
    monkeypatch.setenv("KAWAL_RULES_DIR", str(REPO / "kpi_rules"))
    monkeypatch.delenv("KAWAL_DB_URL", raising=False)
    child_log = tmp_path / "standalone.log"
    started: list[dict[str, str]] = []

    def standalone_stand_in(args, env, **kwargs):  # type: ignore[no-untyped-def]
        assert Path(args[0]).name == "airflow" and args[1:] == ["standalone"], args
        started.append(env)
        out = child_log.open("wb")
        return REAL_POPEN(
            [sys.executable, "-c", API_SERVER_AUTH_INIT], env=env, stdout=out, stderr=subprocess.STDOUT, **kwargs
        )

    monkeypatch.setattr(up_module.subprocess, "Popen", standalone_stand_in)
    result = CliRunner().invoke(up_module.up, ["--port", "8099"])
    assert result.exit_code == 0, (result.output, child_log.read_text(errors="replace"))
    assert len(started) == 1
    return result.output + child_log.read_text(errors="replace"), Path(started[0]["AIRFLOW_HOME"])


def _passwords_file(airflow_home: Path) -> Path:
    return airflow_home / "simple_auth_manager_passwords.json.generated"


def test_make_up_prints_where_the_passwords_are_never_a_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # act
    log, airflow_home = _run_up(tmp_path, monkeypatch)

    # assert: every login has a password, none of them is in the log, the log says where they are
    passwords = json.loads(_passwords_file(airflow_home).read_text())
    from kawal.register import load_register

    logins = {"admin", *(p.login for p in load_register(REPO / "kpi_rules").people.people)}
    assert set(passwords) == logins
    leaked = sorted(user for user, password in passwords.items() if password in log)
    assert leaked == [], f"passwords of {leaked} are in the log:\n{log}"
    assert "Password for user" not in log
    assert str(_passwords_file(airflow_home)) in log
    # only its owner may read the file (it holds every login's password in the clear)
    assert stat.S_IMODE(os.stat(_passwords_file(airflow_home)).st_mode) == 0o600


def test_a_second_make_up_keeps_the_passwords_and_adds_a_new_login(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # arrange: a first run, then someone's password was changed by hand and a login is missing
    _log, airflow_home = _run_up(tmp_path, monkeypatch)
    path = _passwords_file(airflow_home)
    passwords = json.loads(path.read_text())
    passwords["om"] = "chosen-by-om"
    del passwords["trainer"]
    path.write_text(json.dumps(passwords))

    # act
    log, _home = _run_up(tmp_path, monkeypatch)

    # assert
    again = json.loads(path.read_text())
    assert again["om"] == "chosen-by-om" and again["admin"] == passwords["admin"]
    assert again["trainer"] and again["trainer"] not in log and "chosen-by-om" not in log
