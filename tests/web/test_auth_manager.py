"""``kawal users sync`` against a real FAB user database (issue #19): Airflow's metadata DB on a fresh
PostgreSQL database, migrated by ``airflow db migrate`` with the FAB auth manager configured, and the
FAB provider's own security manager doing the writes. The board's side of the same roles (a FAB login
refused, a PIC and the Accountable acting) is proven in tests/stack/test_process_stack.py.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from kawal.cli.users import BOARD_RESOURCE, KAWAL_ACTOR, KAWAL_READER, logins_for
from kawal.register import load_register

pytestmark = [pytest.mark.postgres, pytest.mark.airflow]

REPO = Path(__file__).resolve().parents[2]
KAWAL = Path(sys.executable).with_name("kawal")
AIRFLOW = Path(sys.executable).with_name("airflow")


@dataclass
class FabDb:
    env: dict[str, str]
    dsn: str
    rules: Path
    home: Path


def _run(db: FabDb, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(KAWAL), "users", *args], env=db.env, capture_output=True, text=True, timeout=180, check=False
    )


@pytest.fixture(scope="module")
def fab_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FabDb]:
    from tests.conftest import fresh_postgres_database

    home = tmp_path_factory.mktemp("fab")
    rules = home / "kpi_rules"
    shutil.copytree(REPO / "kpi_rules", rules)  # a copy: one test removes a person from people.yaml
    with fresh_postgres_database("kawal_fab") as url:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "_AIRFLOW", "KAWAL_"))}
        env.update(
            {
                "AIRFLOW_HOME": str(home / "airflow"),
                "AIRFLOW__CORE__AUTH_MANAGER": "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager",
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": url,
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": url,  # psycopg 3, not asyncpg (not in the lock)
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "KAWAL_RULES_DIR": str(rules),
                "KAWAL_HOME": str(home / "kawal"),
            }
        )
        migrated = subprocess.run(
            [str(AIRFLOW), "db", "migrate"], env=env, capture_output=True, text=True, timeout=300, check=False
        )
        assert migrated.returncode == 0, migrated.stdout[-2000:] + migrated.stderr[-2000:]
        yield FabDb(env, url.replace("postgresql+psycopg://", "postgresql://"), rules, home)


def _users(db: FabDb) -> dict[str, tuple]:
    """Every FAB user: (active, sorted role names, changed_on) — what a second sync must not touch."""
    import psycopg

    with psycopg.connect(db.dsn) as conn:
        rows = conn.execute(
            "SELECT u.username, u.active, u.changed_on, u.password, string_agg(r.name, ',' ORDER BY r.name) "
            "FROM ab_user u LEFT JOIN ab_user_role ur ON ur.user_id = u.id LEFT JOIN ab_role r ON r.id = ur.role_id "
            "GROUP BY u.username, u.active, u.changed_on, u.password"
        ).fetchall()
    return {name: (active, roles, changed, password) for name, active, changed, password, roles in rows}


def test_the_board_resource_is_the_one_the_board_asks_about() -> None:
    from kawal.web.auth import BOARD_RESOURCE as ASKED

    assert BOARD_RESOURCE == ASKED


def test_roles_follow_the_raci() -> None:
    register = load_register(REPO / "kpi_rules")
    roles = {login.person_id: login.roles for login in logins_for(register)}
    people = register.people
    assert roles[people.accountable] == ("Viewer", KAWAL_ACTOR)
    for kpi in register.kpis:  # every PIC may act on the tickets of his KPIs
        assert KAWAL_ACTOR in roles[kpi.pic]
    for member in people.data_engineering:  # they re-run days (Airflow User) and close data incidents
        assert roles[member] == ("User", KAWAL_ACTOR)
    consulted = {m for team in people.consulted.values() for m in team}
    assert consulted and all(roles[m] == ("Viewer", KAWAL_READER) for m in consulted)


def test_sync_needs_a_password_file_to_create_logins(fab_db: FabDb) -> None:
    done = _run(fab_db, "sync")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith("kawal: 11 login(s) to create")
    assert "Traceback" not in done.stderr
    assert not any(user != "admin" for user in _users(fab_db))


def test_sync_creates_one_login_per_person_then_changes_nothing(fab_db: FabDb) -> None:
    passwords = fab_db.home / "first-passwords.json"
    done = _run(fab_db, "sync", "--password-file", str(passwords))
    assert done.returncode == 0, done.stderr
    register = load_register(fab_db.rules)
    users = _users(fab_db)
    for login in logins_for(register):
        active, roles, _changed, _hash = users[login.username]
        assert active is True and roles == ",".join(sorted(login.roles)), (login, users[login.username])
    assert passwords.stat().st_mode & 0o777 == 0o600
    written = yaml.safe_load(passwords.read_text())  # JSON is YAML
    assert set(written) == {p.login for p in register.people.people}
    for secret in written.values():  # never printed
        assert secret not in done.stdout + done.stderr
    file_before = passwords.read_bytes()

    again = _run(fab_db, "sync", "--password-file", str(passwords))
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip().splitlines() == ["11 login(s) in line with people.yaml: 0 change(s)"]
    assert _users(fab_db) == users  # roles, activity, passwords, change stamps: all as they were
    assert passwords.read_bytes() == file_before


def test_a_person_removed_from_people_yaml_is_deactivated_not_deleted(fab_db: FabDb) -> None:
    people_file = fab_db.rules / "people.yaml"
    original = people_file.read_text()
    people = yaml.safe_load(original)
    gone = people["consulted"]["operations_team"].pop()
    people["people"] = [p for p in people["people"] if p["id"] != gone]
    people_file.write_text(yaml.safe_dump(people, allow_unicode=True, sort_keys=False))
    try:
        done = _run(fab_db, "sync")  # no --password-file: with every login there, none is needed
        assert done.returncode == 0, done.stderr
        assert f"deactivated {gone}: no longer in people.yaml" in done.stdout
        active, roles, _changed, _hash = _users(fab_db)[gone]
        assert active is False and roles  # the row and its roles stay: tickets and minutes name them
        assert "0 change(s)" in _run(fab_db, "sync").stdout
    finally:
        people_file.write_text(original)
    back = _run(fab_db, "sync")  # back in people.yaml: the same login again, active
    assert f"updated {gone} ({gone}): reactivated" in back.stdout
    assert _users(fab_db)[gone][0] is True


def test_a_password_file_others_can_read_is_refused(fab_db: FabDb) -> None:
    loose = fab_db.home / "loose.json"
    loose.write_text("{}")
    loose.chmod(0o644)
    done = _run(fab_db, "sync", "--password-file", str(loose))
    assert done.returncode == 2
    assert done.stderr.strip() == f"kawal: --password-file {loose}: readable by others (mode 644); chmod 600 it"


def test_the_admin_login_comes_from_the_environment_without_printing_its_password(fab_db: FabDb) -> None:
    secret = "admin-test-password-not-for-production"
    env = {**fab_db.env, "_AIRFLOW_WWW_USER_USERNAME": "admin", "_AIRFLOW_WWW_USER_PASSWORD": secret}
    runs = [
        subprocess.run(
            [str(KAWAL), "users", "admin"], env=env, capture_output=True, text=True, timeout=180, check=False
        )
        for _ in range(2)
    ]
    said = [r.stdout.strip().split(";")[0] for r in runs]  # "; N board permission(s) added" when run alone
    assert said == ["admin login 'admin': created", "admin login 'admin': unchanged"]
    assert all(secret not in r.stdout + r.stderr for r in runs)
    assert _users(fab_db)["admin"][1] == "Admin"
