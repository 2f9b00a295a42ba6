"""``kawal users``: one Airflow login per person of ``kpi_rules/people.yaml``, in the FAB auth manager's
user database (issue #19), through the FAB provider's own security manager (the API ``airflow users``
uses), never SQL into ``ab_user``.

Roles, from the register's RACI (docs/operations.md "Users"):

- every person: the Airflow role ``Viewer`` (DAG runs, task logs, read only), data engineering ``User``
  (they re-run and clear days after a corrected export);
- the board: ``Kawal Actor`` (FAB permissions ``can_read`` and ``can_create`` on the resource
  ``Kawal KPI``) for those the defect lifecycle lets act — the Accountable, every KPI's PIC, data
  engineering —, ``Kawal Reader`` (``can_read`` only) for everyone else. The board still checks the
  ticket's own RACI on every step (``kawal.defects.lifecycle``): the FAB role is the outer gate.

Re-running changes nothing. A person no longer in people.yaml is *deactivated*, never deleted (their
name stays on the tickets and minutes they signed). Passwords are never printed or logged: a new
login's first password comes from, or is written to, the 0600 JSON file given as ``--password-file``.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import stat
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from kawal.errors import KawalError

#: The FAB resource the board asks the auth manager about (kawal.web.auth.BOARD_RESOURCE); the name of
#: the board's entry in Airflow's navigation.
BOARD_RESOURCE = "Kawal KPI"
READ, WRITE = "can_read", "can_create"  # FAB's actions for GET and POST (get_fab_action_from_method_map)
KAWAL_READER, KAWAL_ACTOR = "Kawal Reader", "Kawal Actor"
BOARD_ROLES = {KAWAL_READER: (READ,), KAWAL_ACTOR: (READ, WRITE)}
#: The roles this command hands out and therefore manages; any other role given by hand (Op, Admin) is kept.
MANAGED_ROLES = frozenset({"Viewer", "User", KAWAL_READER, KAWAL_ACTOR})
#: Like SimpleAuthManager's generated passwords (kawal.web.up): no 0/O, 1/l/I look-alikes.
_ALPHABET = "abcdefghkmnpqrstuvwxyzABCDEFGHKMNPQRSTUVWXYZ23456789"


@dataclass(frozen=True)
class Login:
    """The Airflow login a person of the register should have."""

    username: str
    person_id: str
    first_name: str
    last_name: str
    email: str
    roles: tuple[str, ...]


def logins_for(register: Any) -> list[Login]:
    """Every person's login and roles, from people.yaml and the KPIs' PICs (pure: no Airflow)."""
    people = register.people
    actors = {people.accountable, *people.data_engineering, *(k.pic for k in register.kpis)}
    out = []
    for p in people.people:
        first, _, last = p.name.partition(" ")
        airflow_role = "User" if p.id in people.data_engineering else "Viewer"
        board_role = KAWAL_ACTOR if p.id in actors else KAWAL_READER
        out.append(Login(p.login, p.id, first, last, p.email, (airflow_role, board_role)))
    seen: dict[str, str] = {}
    for login in out:
        key = login.username.lower()  # FAB finds users case-insensitively
        if key in seen:
            raise KawalError(f"people.yaml: {seen[key]} and {login.person_id} both have the Airflow login {key!r}")
        seen[key] = login.person_id
    return out


# --- passwords: a file only the operator reads ----------------------------------------------------
def read_password_file(path: Path) -> dict[str, str]:
    """The login → password object of ``path`` ({} when it does not exist). A file that others may read
    is refused: it holds passwords."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return {}
    if not stat.S_ISREG(info.st_mode):
        raise KawalError(f"--password-file {path}: not a regular file")
    if info.st_mode & 0o077:
        raise KawalError(f"--password-file {path}: readable by others (mode {info.st_mode & 0o777:o}); chmod 600 it")
    try:
        data = json.loads(path.read_text(encoding="utf-8") or "{}")
    except ValueError:
        raise KawalError(f"--password-file {path}: not a JSON object of login → password") from None
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise KawalError(f"--password-file {path}: not a JSON object of login → password")
    return data


def write_password_file(path: Path, passwords: dict[str, str]) -> None:
    """Written whole (temporary file, then rename), mode 0600 from its creation: never readable by others."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.unlink(missing_ok=True)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(json.dumps(passwords, indent=2, sort_keys=True) + "\n")
    os.replace(temporary, path)


def new_password() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(20))


# --- the FAB security manager -----------------------------------------------------------------------
@contextmanager
def security_manager() -> Iterator[Any]:
    """FAB's security manager on Airflow's metadata DB, as ``airflow users …`` gets it. Refused with one
    line when the configured auth manager is not FAB (``make up`` keeps SimpleAuthManager)."""
    from airflow.configuration import conf

    manager = conf.get("core", "auth_manager", fallback="")
    if not manager.endswith("FabAuthManager"):
        raise KawalError(
            f"Airflow's auth manager is {manager or '(unset)'}, not FabAuthManager: `kawal users` manages FAB "
            'logins only (set AIRFLOW__CORE__AUTH_MANAGER, docs/operations.md "Users")'
        )
    # FAB logs every step at INFO and warns about its Flask setup: the command prints its own lines.
    logging.disable(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from airflow.providers.fab.auth_manager.cli_commands.utils import get_application_builder

            try:
                with get_application_builder() as appbuilder:
                    yield appbuilder.sm
            except KawalError:
                raise
            except Exception as exc:  # e.g. the FAB tables are missing: one line, never a traceback
                first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
                missing = "ab_" in first and ("does not exist" in first or "no such table" in first)
                hint = " (run `airflow db migrate` and `airflow fab-db migrate` first)" if missing else ""
                raise KawalError(f"Airflow's user database: {first}{hint}") from None
    finally:
        logging.disable(logging.NOTSET)


def ensure_board_roles(sm: Any) -> list[str]:
    """The permissions on ``Kawal KPI``, the two Kawal roles, and read access for ``Admin``; returns what
    was added (nothing the second time)."""
    changes = []
    perms = {}
    for action in (READ, WRITE):
        perms[action] = sm.get_permission(action, BOARD_RESOURCE)
        if perms[action] is None:
            perms[action] = sm.create_permission(action, BOARD_RESOURCE)
            changes.append(f"permission {action} on {BOARD_RESOURCE!r}")
    grants = {**BOARD_ROLES, "Admin": (READ,)}  # an admin reads the board; Kawal's RACI lets them act on nothing
    for name, actions in grants.items():
        role = sm.find_role(name)
        if role is None:
            role = sm.add_role(name)
            changes.append(f"role {name!r}")
        for action in actions:
            if perms[action] not in role.permissions:
                sm.add_permission_to_role(role, perms[action])
                changes.append(f"{action} on {BOARD_RESOURCE!r} for role {name!r}")
    return changes


def sync_logins(sm: Any, logins: list[Login], passwords: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """Bring FAB's users in line with ``logins``. Returns the change lines (no password in them) and the
    passwords generated for logins created now (to be written to the operator's file)."""
    changes = ensure_board_roles(sm)
    roles = {name: sm.find_role(name) for name in {r for login in logins for r in login.roles}}
    missing = sorted(name for name, role in roles.items() if role is None)
    if missing:
        raise KawalError(f"FAB has no role {', '.join(missing)}: start the api-server once, or `airflow sync-perm`")
    generated: dict[str, str] = {}
    wanted = {login.username.lower() for login in logins}
    for login in logins:
        user = sm.find_user(username=login.username)
        if user is None:
            password = passwords.get(login.username) or generated.setdefault(login.username, new_password())
            try:
                sm.add_user(
                    login.username,
                    login.first_name,
                    login.last_name,
                    login.email,
                    [roles[r] for r in login.roles],
                    password,
                )
            except Exception:  # FAB rolled back; its log line may name the row, ours names the person
                raise KawalError(
                    f"could not create the Airflow login {login.username!r} of {login.person_id} "
                    f"(is {login.email} already another login's e-mail?)"
                ) from None
            changes.append(f"created {login.username} ({login.person_id}): {', '.join(login.roles)}")
            continue
        what = []
        kept = [r for r in user.roles if r.name not in MANAGED_ROLES]  # roles given by hand stay
        new_roles = kept + [roles[r] for r in login.roles]
        if {r.name for r in user.roles} != {r.name for r in new_roles}:
            what.append(f"roles {', '.join(sorted(r.name for r in new_roles))}")
            user.roles = new_roles
        for field, value in (("email", login.email), ("first_name", login.first_name), ("last_name", login.last_name)):
            if getattr(user, field) != value:
                what.append(field)
                setattr(user, field, value)
        if not user.active:
            what.append("reactivated")
            user.active = True
        if what:
            if not sm.update_user(user):
                raise KawalError(f"could not update the Airflow login {login.username!r} of {login.person_id}")
            changes.append(f"updated {login.username} ({login.person_id}): {', '.join(what)}")
    for user in sm.get_all_users():
        # Kawal's logins are those carrying a Kawal role; an admin or a service account is not ours to touch.
        ours = any(r.name in BOARD_ROLES for r in user.roles)
        if ours and user.active and user.username.lower() not in wanted:
            user.active = False  # records keep naming them: deactivate, never delete
            if not sm.update_user(user):
                raise KawalError(f"could not deactivate the Airflow login {user.username!r}")
            changes.append(f"deactivated {user.username}: no longer in people.yaml")
    return changes, generated


# --- the commands ---------------------------------------------------------------------------------------
@click.group("users")
def users() -> None:
    """Airflow logins (FAB auth manager) for the people of kpi_rules/people.yaml."""


@users.command("sync")
@click.option(
    "--password-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="JSON login → password (mode 0600): first passwords of new logins are taken from it, or generated "
    "into it; needed only when a login is created",
)
@click.option("--dry-run", is_flag=True, help="list the logins and roles people.yaml asks for; change nothing")
def sync(password_file: Path | None, dry_run: bool) -> None:
    """One Airflow login per person (their airflow_user, or their id), roles from the RACI; idempotent."""
    from kawal.register import load_register

    logins = logins_for(load_register())
    if dry_run:
        for login in logins:
            click.echo(f"{login.username:<24} {login.person_id:<20} {', '.join(login.roles)}")
        return
    passwords = read_password_file(password_file) if password_file else {}
    if password_file and not password_file.parent.is_dir():
        raise KawalError(f"--password-file {password_file}: folder {password_file.parent} does not exist")
    with security_manager() as sm:
        to_create = [login.username for login in logins if sm.find_user(username=login.username) is None]
        if to_create and password_file is None:
            raise KawalError(
                f"{len(to_create)} login(s) to create ({', '.join(to_create)}): give --password-file FILE "
                "(their first passwords are read from it, or written to it, mode 0600)"
            )
        changes, generated = sync_logins(sm, logins, passwords)
    if generated:
        assert password_file is not None
        write_password_file(password_file, {**passwords, **generated})
    for line in changes:
        click.echo(line)
    new = f"; first password(s) of {', '.join(generated)} written to {password_file} (mode 0600)" if generated else ""
    click.echo(f"{len(logins)} login(s) in line with people.yaml: {len(changes)} change(s){new}")


@users.command("admin")
def admin() -> None:
    """The admin login from the environment (_AIRFLOW_WWW_USER_USERNAME, _AIRFLOW_WWW_USER_PASSWORD):
    created with role Admin, or its password set again when it changed; idempotent."""
    username = os.environ.get("_AIRFLOW_WWW_USER_USERNAME", "")
    password = os.environ.get("_AIRFLOW_WWW_USER_PASSWORD", "")
    if not username or not password:
        raise KawalError("set _AIRFLOW_WWW_USER_USERNAME and _AIRFLOW_WWW_USER_PASSWORD (.env) for the admin login")
    from werkzeug.security import check_password_hash

    with security_manager() as sm:
        changes = ensure_board_roles(sm)
        user = sm.find_user(username=username)
        if user is None:
            role = sm.find_role("Admin")
            if role is None:
                raise KawalError("FAB has no role Admin: start the api-server once, or `airflow sync-perm`")
            email = os.environ.get("_AIRFLOW_WWW_USER_EMAIL", f"{username}@localhost")
            try:
                sm.add_user(username, username, "admin", email, role, password)
            except Exception:
                raise KawalError(f"could not create the admin login {username!r}") from None
            state = "created"
        elif not check_password_hash(user.password or "", password):
            if not sm.reset_password(user.id, password):
                raise KawalError(f"could not set the admin login's password ({username!r})")
            state = "password set from the environment"
        else:
            state = "unchanged"
    added = f"; {len(changes)} board permission(s) added" if changes else ""
    click.echo(f"admin login {username!r}: {state}{added}")
