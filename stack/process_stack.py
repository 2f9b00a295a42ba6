"""The production topology of ``docker-compose.yml``, as processes on this machine.

There is no Docker engine on the project's machines, so ``make stack-test`` proves the same
topology with the same Airflow commands the compose services run: ``api-server``, ``scheduler``,
``dag-processor``, ``triggerer`` and two ``celery worker`` processes (CeleryExecutor), Redis as the
broker, PostgreSQL for Airflow's metadata DB (also Celery's result backend) and, in a *separate*
database, Kawal's store (Airflow 3 forbids task code from touching the metadata DB).

Every run is isolated from other engineers and CI jobs sharing the machine: freshly created
databases with unique names (dropped at the end), a dedicated Redis DB number plus a Celery queue
unique to the run, free ports, and a private ``AIRFLOW_HOME``/``KAWAL_HOME``. Each process is the
leader of its own process group, so stopping a group also stops the Celery pool, the task
supervisors and the log servers they fork: nothing is left behind.

Logins are FAB's, as in production (issue #19): the init steps migrate FAB's tables, create the admin
(``kawal users admin``) and one login per person of ``kpi_rules/people.yaml`` (``kawal users sync``),
plus one login with Airflow's ``Viewer`` role only, which the board must refuse.

Secrets (the JWT signing key, the API secret key, every password) are generated per run and live only
in the processes' environment and files (mode 0600) under the private home; they are never logged.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
STACK_DIR = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent

#: Redis DB reserved for this stack (0 is what most local tools use). Override with KAWAL_STACK_REDIS_DB.
DEFAULT_REDIS_DB = 11
PG_ADMIN_URL = os.environ.get("KAWAL_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("KAWAL_STACK_REDIS", "redis://127.0.0.1:6379")

WORKERS = ("kawal-worker-1", "kawal-worker-2")
#: A login with Airflow's Viewer role and no Kawal role: the board must refuse it (issue #19).
VIEWER_ONLY = "kawal_stack_viewer"
FAB_AUTH_MANAGER = "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"


class StackError(RuntimeError):
    """The stack could not start, answer or stop; the message names the process and its log."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_dsn(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


@dataclass
class Service:
    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    popen: subprocess.Popen[bytes] | None = None


#: seconds between SIGTERMs to a service that has not ended (see ProcessStack._terminate)
SIGTERM_REPEAT_S = 20.0


@dataclass
class ProcessStack:
    """Start with :meth:`up`, stop with :meth:`down` (always, in a ``finally``)."""

    home: Path
    smtp_conn_uri: str
    worker_concurrency: int = 2
    redis_db: int = int(os.environ.get("KAWAL_STACK_REDIS_DB", DEFAULT_REDIS_DB))
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:10])
    echo: Callable[[str], None] = print
    #: KAWAL_NOW for every process (the site clock, kawal.settings.now_site): "now" is the same on every run
    site_now: str = ""
    #: KAWAL_EXPORT_RECHECK_S: how soon a missing export is looked for again (kawal.pipeline.lateness)
    export_recheck_s: float = 600

    def __post_init__(self) -> None:
        self.airflow_db = f"kawal_stack_airflow_{self.run_id}"
        self.store_db = f"kawal_stack_store_{self.run_id}"
        self.queue = f"kawal_stack_{self.run_id}"
        # Celery refuses a second worker of the same hostname on the broker: a name per run lets two
        # stacks (an engineer's and CI's) share the machine's Redis
        self.worker_hostnames = tuple(f"{w}.{self.run_id}" for w in WORKERS)
        self.api_port = free_port()
        self.api_url = f"http://127.0.0.1:{self.api_port}"
        self.airflow_home = self.home / "airflow"
        self.kawal_home = self.home / "kawal"
        self.logs = self.home / "logs"
        self.services: list[Service] = []
        self._admin_password = secrets.token_urlsafe(16)
        self._viewer_password = secrets.token_urlsafe(16)
        #: the first passwords of the people's logins, written by `kawal users sync` (mode 0600)
        self.people_passwords = self.airflow_home / "people-passwords.json"
        self._token: str | None = None
        self._databases_created = False
        self._stopped = False
        #: What a service that would not stop was doing (its threads' stacks, its database sessions),
        #: filled by down() for the reader of a failed stop.
        self.stop_report: dict[str, str] = {}
        self.sigterm_repeats: dict[str, int] = {}  # services that needed SIGTERM more than once

    # ------------------------------------------------------------------ configuration
    @property
    def pg_base(self) -> str:
        return PG_ADMIN_URL.rsplit("/", 1)[0]

    @property
    def store_url(self) -> str:
        """Kawal's store (SQLAlchemy URL), for the test's own read-back."""
        return f"{self.pg_base}/{self.store_db}"

    @property
    def broker_url(self) -> str:
        return f"{REDIS_URL}/{self.redis_db}"

    def base_env(self) -> dict[str, str]:
        """The environment every process shares: the same settings the compose file sets."""
        # Nothing of the caller's Airflow/Kawal settings leaks in (the test session has its own
        # embedded SQLite Airflow in os.environ).
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "_AIRFLOW", "KAWAL_"))}
        airflow_db = f"{self.pg_base}/{self.airflow_db}"
        env.update(
            {
                "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
                # STACK_DIR: the workers' names; src: the stack runs the checkout it lives in, whichever
                # checkout the venv points at.
                "PYTHONPATH": os.pathsep.join([str(STACK_DIR), str(REPO / "src")]),
                "AIRFLOW_HOME": str(self.airflow_home),
                "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
                "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
                "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__CORE__DEFAULT_TIMEZONE": "Asia/Jakarta",
                # As docker-compose.yml: FAB's logins and roles in Airflow's metadata DB (issue #19).
                "AIRFLOW__CORE__AUTH_MANAGER": FAB_AUTH_MANAGER,
                # New DAGs start unpaused but the scheduler creates no runs from their cron
                # schedules: the only runs are the ones the test triggers through the REST API.
                "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
                "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": airflow_db,
                # Airflow derives an asyncpg URL by default; the lock ships psycopg 3, which is
                # async-capable under the same dialect name.
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": airflow_db,
                "AIRFLOW__CELERY__BROKER_URL": self.broker_url,
                "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + airflow_db,
                "AIRFLOW__OPERATORS__DEFAULT_QUEUE": self.queue,
                "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(self.worker_concurrency),
                # Every process must sign and check task tokens with the same key, or the workers'
                # calls to the Execution API are refused.
                "AIRFLOW__API_AUTH__JWT_SECRET": self._jwt_secret,
                "AIRFLOW__API__SECRET_KEY": self._api_secret,
                "AIRFLOW__API__PORT": str(self.api_port),
                "AIRFLOW__API__HOST": "127.0.0.1",
                "AIRFLOW__API__BASE_URL": self.api_url,
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.api_url}/execution/",
                "AIRFLOW__API__WORKERS": "1",  # 2 shared cores
                "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(self.airflow_home / "logs"),
                "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
                "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
                # Kawal: the store in its own database, reached through the Airflow connection
                # kawal_db exactly as in production (.env.example); mail through smtp_default.
                "AIRFLOW_CONN_KAWAL_DB": _pg_dsn(self.store_url),
                "KAWAL_USE_AIRFLOW_CONN": "1",
                "AIRFLOW_CONN_SMTP_DEFAULT": self.smtp_conn_uri,
                "KAWAL_HOME": str(self.kawal_home),
                "KAWAL_RULES_DIR": str(REPO / "kpi_rules"),
                "KAWAL_MAPPINGS_DIR": str(REPO / "mappings"),
                "KAWAL_GX_DIR": str(REPO / "great_expectations"),
                "KAWAL_EXPORT_RECHECK_S": f"{self.export_recheck_s:g}",
                "GX_ANALYTICS_ENABLED": "false",
                # A process that will not stop can be asked where it is: SIGABRT makes Python print
                # every thread's stack into the service's log before it dies (down() does this).
                "PYTHONFAULTHANDLER": "1",
            }
        )
        if self.site_now:
            env["KAWAL_NOW"] = self.site_now
        return env

    # ------------------------------------------------------------------ lifecycle
    def up(self, timeout: float = 300) -> ProcessStack:
        self._jwt_secret = secrets.token_urlsafe(32)
        self._api_secret = secrets.token_urlsafe(32)
        for folder in (self.airflow_home, self.kawal_home, self.logs):
            folder.mkdir(parents=True, exist_ok=True)
        self._create_databases()
        env = self.base_env()
        # Like the compose file's airflow-init service: migrate every database once, before any
        # long-running process starts (two workers must not race to migrate Kawal's store), then the
        # logins: the admin's from the environment, one per person of people.yaml.
        self._run_once("airflow-db-migrate", [str(BIN / "airflow"), "db", "migrate"], env)
        self._run_once("airflow-fab-db-migrate", [str(BIN / "airflow"), "fab-db", "migrate"], env)
        self._run_once("kawal-db-upgrade", [str(BIN / "kawal"), "db", "upgrade"], env)
        admin_env = {**env, "_AIRFLOW_WWW_USER_USERNAME": "admin", "_AIRFLOW_WWW_USER_PASSWORD": self._admin_password}
        self._run_once("kawal-users-admin", [str(BIN / "kawal"), "users", "admin"], admin_env)
        sync = [str(BIN / "kawal"), "users", "sync", "--password-file", str(self.people_passwords)]
        self._run_once("kawal-users-sync", sync, env)
        # Test-only: a login the board must refuse. The password is per run and goes into this short
        # process's argv, never into a log (the command prints the username and role only).
        viewer = ["users", "create", "--role", "Viewer", "--username", VIEWER_ONLY, "--email", "viewer@stack.example"]
        viewer += ["--firstname", "Viewer", "--lastname", "Only", "--password", self._viewer_password]
        self._run_once("airflow-users-create-viewer", [str(BIN / "airflow"), *viewer], env)
        self._start("api-server", ["api-server", "--port", str(self.api_port), "--host", "127.0.0.1"], env)
        self._start("scheduler", ["scheduler"], env)
        self._start("dag-processor", ["dag-processor"], env)
        self._start("triggerer", ["triggerer"], env)
        for name, hostname in zip(WORKERS, self.worker_hostnames, strict=True):
            worker_env = {
                **env,
                "KAWAL_STACK_WORKER_NAME": hostname,
                "AIRFLOW__CORE__HOSTNAME_CALLABLE": "kawal_stack_identity.worker_name",
                # Each worker serves its task logs on its own port (two on one machine).
                "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            }
            argv = ["celery", "worker", "--celery-hostname", hostname, "--queues", self.queue]
            argv += ["--concurrency", str(self.worker_concurrency), "--without-mingle", "--without-gossip"]
            self._start(name, argv, worker_env)
        self.wait_ready(timeout)
        return self

    def _create_databases(self) -> None:
        import psycopg

        with psycopg.connect(_pg_dsn(PG_ADMIN_URL), autocommit=True, connect_timeout=5) as admin:
            for db in (self.airflow_db, self.store_db):
                admin.execute(f'CREATE DATABASE "{db}"')  # unique per run: never someone else's
                # As docs/operations.md asks of production: a session a process left open in a
                # transaction (a process interrupted mid-query by SIGTERM) is ended by the server,
                # so its row locks cannot hold up that process's own shutdown, or anyone's.
                admin.execute(f"ALTER DATABASE \"{db}\" SET idle_in_transaction_session_timeout = '30s'")
        self._databases_created = True

    def _run_once(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        log = self.logs / f"{name}.log"
        with log.open("ab") as out:
            done = subprocess.run(argv, env=env, cwd=REPO, stdout=out, stderr=out, check=False)  # noqa: S603
        if done.returncode != 0:
            raise StackError(f"{name} failed (exit {done.returncode}); see {log}:\n{self.tail(log)}")

    def _start(self, name: str, args: list[str], env: dict[str, str]) -> None:
        log = self.logs / f"{name}.log"
        service = Service(name, [str(BIN / "airflow"), *args], env, log)
        with log.open("ab") as out:
            # start_new_session: the process leads its own group, so down() reaches every child
            # it forks (Celery pool, task supervisors, log servers) with one killpg.
            service.popen = subprocess.Popen(  # noqa: S603 - our own interpreter's airflow
                service.argv, env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.services.append(service)
        self.echo(f"  started {name} (pid {service.popen.pid}), log {log}")

    def check_alive(self) -> None:
        for s in self.services:
            assert s.popen is not None
            if s.popen.poll() is not None:
                raise StackError(f"{s.name} exited with {s.popen.returncode}; see {s.log}:\n{self.tail(s.log)}")

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        waiting_for = "the api-server"
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                health = self.request("GET", "/api/v2/monitor/health", auth=False)
                unhealthy = [k for k, v in health.items() if isinstance(v, dict) and v.get("status") != "healthy"]
                pong = self.ping_workers()
                missing = sorted(set(self.worker_hostnames) - pong)
                if not unhealthy and not missing:
                    self.echo(f"  stack ready: {', '.join(s.name for s in self.services)}")
                    return
                waiting_for = ", ".join(unhealthy + missing)
            except (OSError, StackError) as exc:
                waiting_for = f"the api-server ({exc})"
            time.sleep(3)
        raise StackError(f"stack not ready after {timeout:.0f} s: waiting for {waiting_for} (logs in {self.logs})")

    def ping_workers(self) -> set[str]:
        """Names of the Celery workers that answer a broadcast ping on this run's broker."""
        from celery import Celery

        app = Celery(broker=self.broker_url)
        try:
            replies = app.control.ping(timeout=2.0) or []
        finally:
            app.close()
        return {name.split("@", 1)[-1] for reply in replies for name in reply}

    def down(self, timeout: float = 90) -> list[str]:
        """Stop every process group (SIGTERM, then SIGKILL after ``timeout``); drop the databases.

        Returns the names of services that had to be killed (a clean stop returns ``[]``).
        """
        killed: list[str] = []
        if self._stopped:
            return killed
        self._stopped = True
        # The scheduler first (no new work is queued), the workers next (Celery's warm shutdown
        # lets a running task finish), the api-server last (tasks report their end through it).
        order = ["scheduler", "dag-processor", "triggerer", *WORKERS, "api-server"]
        by_name = {s.name: s for s in self.services}
        for name in order:
            s = by_name.get(name)
            if s is None or s.popen is None:
                continue
            if not self._terminate(s, timeout):
                killed.append(name)
                self.stop_report[name] = self._why_stuck(s)
            # Whatever the leader left behind in its group (a pool process, a log server) goes too.
            if _group_alive(s.popen.pid):
                _signal_group(s.popen.pid, signal.SIGTERM)
                if not _wait_group_gone(s.popen.pid, 20):
                    _signal_group(s.popen.pid, signal.SIGKILL)
                    killed.append(f"{name} (children)")
            if s.popen.poll() is None:
                s.popen.kill()
                s.popen.wait(10)
        self._drop_databases()
        self._clear_broker()
        return killed

    def _terminate(self, s: Service, timeout: float) -> bool:
        """SIGTERM, repeated every :data:`SIGTERM_REPEAT_S` until ``timeout``; True once it has ended.

        Airflow 3.3's dag-processor exits from its SIGTERM handler with ``sys.exit``; once in CI
        (2026-12-01 16:02) it logged "Exiting gracefully upon receiving signal 15" and went on parsing
        for 90 s: the SystemExit was swallowed wherever the main thread was. A second SIGTERM runs the
        handler again — still a graceful stop, which is what a service manager's repeated stop does;
        only a process that outlasts ``timeout`` is killed (and diagnosed)."""
        assert s.popen is not None
        deadline = time.monotonic() + timeout
        while True:
            _signal_group(s.popen.pid, signal.SIGTERM)
            try:
                s.popen.wait(timeout=max(0.0, min(SIGTERM_REPEAT_S, deadline - time.monotonic())))
                return True
            except subprocess.TimeoutExpired:
                if time.monotonic() >= deadline:
                    return False
                self.sigterm_repeats[s.name] = self.sigterm_repeats.get(s.name, 0) + 1

    def _why_stuck(self, s: Service) -> str:
        """Where a process that ignored SIGTERM is: its database sessions, then every thread's stack
        (PYTHONFAULTHANDLER prints them into its log on SIGABRT, which also ends it)."""
        assert s.popen is not None
        sessions = "(could not read pg_stat_activity)"
        try:
            import psycopg

            with psycopg.connect(_pg_dsn(PG_ADMIN_URL), autocommit=True, connect_timeout=5) as admin:
                rows = admin.execute(
                    "SELECT pid, datname, state, wait_event_type, wait_event, left(query, 200) "
                    "FROM pg_stat_activity WHERE datname IN (%s, %s) ORDER BY pid",
                    (self.airflow_db, self.store_db),
                ).fetchall()
            sessions = "\n".join(" | ".join(str(v) for v in row) for row in rows) or "(none)"
        except Exception as exc:  # a diagnostic must not hide the failure it explains
            sessions += f": {exc}"
        size = s.log.stat().st_size if s.log.exists() else 0
        os.kill(s.popen.pid, signal.SIGABRT)
        try:
            s.popen.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
        try:
            with s.log.open("rb") as log:
                log.seek(size)
                stacks = log.read().decode(errors="replace")[-12000:]
        except OSError:
            stacks = "(no log)"
        return f"database sessions:\n{sessions}\nstacks after SIGABRT:\n{stacks}"

    def leftover_processes(self) -> list[str]:
        """Any process still alive in one of the stack's process groups (must be none after down())."""
        alive = []
        for s in self.services:
            if s.popen is not None and _group_alive(s.popen.pid):
                alive.append(f"{s.name} (group {s.popen.pid})")
        return alive

    def _drop_databases(self) -> None:
        if not self._databases_created:
            return
        import psycopg

        with psycopg.connect(_pg_dsn(PG_ADMIN_URL), autocommit=True, connect_timeout=5) as admin:
            for db in (self.airflow_db, self.store_db):
                admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        self._databases_created = False

    def _clear_broker(self) -> None:
        """Remove this run's queue and its bindings from the shared Redis DB (and nothing else)."""
        import redis

        client = redis.Redis.from_url(self.broker_url)
        try:
            keys = [k for k in client.scan_iter(match=f"*{self.queue}*")]
            if keys:
                client.delete(*keys)
        finally:
            client.close()

    def databases_exist(self) -> list[str]:
        import psycopg

        with psycopg.connect(_pg_dsn(PG_ADMIN_URL), autocommit=True, connect_timeout=5) as admin:
            rows = admin.execute(
                "SELECT datname FROM pg_database WHERE datname = ANY(%s)", [[self.airflow_db, self.store_db]]
            ).fetchall()
        return [r[0] for r in rows]

    # ------------------------------------------------------------------ logins (FAB)
    def password_of(self, login: str) -> str:
        """A login's password, from the files the init steps wrote (never printed)."""
        if login == "admin":
            return self._admin_password
        if login == VIEWER_ONLY:
            return self._viewer_password
        return json.loads(self.people_passwords.read_text())[login]

    @contextmanager
    def browser_login(self, login: str, next_path: str = "/kawal/") -> Iterator[Any]:
        """An HTTP client signed in the way a browser is: the board sends it to FAB's login page, it posts
        the form with the page's CSRF token, and keeps the ``_token`` cookie (the Airflow session's JWT)
        that FAB sets on the redirect back. Yields the ``httpx.Client``; closed afterwards."""
        import re

        import httpx

        with httpx.Client(base_url=self.api_url, timeout=30, follow_redirects=False) as client:
            to_login = client.get(next_path)
            if to_login.status_code != 303 or "/auth/login" not in to_login.headers.get("location", ""):
                raise StackError(f"GET {next_path} without a session → {to_login.status_code}, not FAB's login")
            form_url = to_login.headers["location"]
            page = client.get(form_url)
            tags = [t for t in re.findall(r"<input\b[^>]*>", page.text) if 'name="csrf_token"' in t]
            found = re.search(r'value="([^"]+)"', tags[0]) if tags else None
            if page.status_code != 200 or not found:
                raise StackError(f"GET {form_url} → {page.status_code}: no login form with a CSRF token")
            form = {"csrf_token": found.group(1), "username": login, "password": self.password_of(login)}
            done = client.post(form_url, data=form)
            if done.status_code not in (302, 303) or not client.cookies.get("_token"):
                raise StackError(f"login of {login!r} → HTTP {done.status_code} without the _token cookie")
            yield client

    # ------------------------------------------------------------------ REST API (v2)
    def token(self) -> str:
        """A JWT from the auth manager's token endpoint (``POST /auth/token``; FAB's answers 201)."""
        if self._token is None:
            body = self.request(
                "POST", "/auth/token", {"username": "admin", "password": self._admin_password}, auth=False
            )
            self._token = body["access_token"]
        return self._token

    def request(self, method: str, path: str, body: dict | None = None, *, auth: bool = True) -> Any:
        import httpx

        headers = {"Authorization": f"Bearer {self.token()}"} if auth else {}
        try:
            response = httpx.request(method, self.api_url + path, json=body, headers=headers, timeout=30)
        except httpx.TransportError as exc:
            raise StackError(f"{method} {path}: {exc!r}") from None
        if response.status_code >= 400:
            raise StackError(f"{method} {path} → HTTP {response.status_code}: {response.text[:500]}")
        return response.json() if response.content else None

    def trigger(self, dag_id: str, run_id: str, logical_date: str) -> dict:
        return self.request(
            "POST", f"/api/v2/dags/{dag_id}/dagRuns", {"dag_run_id": run_id, "logical_date": logical_date}
        )

    def wait_for_runs(self, runs: list[tuple[str, str]], timeout: float) -> dict[tuple[str, str], str]:
        """Poll until every (dag_id, run_id) has finished; returns their final states."""
        deadline = time.monotonic() + timeout
        states: dict[tuple[str, str], str] = {}
        while time.monotonic() < deadline:
            self.check_alive()
            for dag_id, run_id in runs:
                states[(dag_id, run_id)] = self.request("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}")["state"]
            if all(s in ("success", "failed") for s in states.values()):
                return states
            time.sleep(5)
        raise StackError(f"DAG runs not finished after {timeout:.0f} s: {states} (logs in {self.logs})")

    def wait_for_dags(self, dag_ids: list[str], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            known = {d["dag_id"] for d in self.request("GET", "/api/v2/dags?limit=100")["dags"]}
            if set(dag_ids) <= known:
                return
            time.sleep(3)
        raise StackError(f"DAGs {dag_ids} not parsed after {timeout:.0f} s; see {self.logs / 'dag-processor.log'}")

    def wait_for_task_state(self, dag_id: str, run_id: str, task_id: str, wanted: str, timeout: float) -> str:
        """Poll one task instance until it is in state ``wanted``; a task that ends (success, failed …)
        without passing through it, or the timeout, is a StackError naming the state it was in."""
        deadline = time.monotonic() + timeout
        state = "(not created yet)"
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                state = self.request("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}")["state"]
            except StackError:  # the run's task instances are created a moment after the trigger
                state = "(not created yet)"
            if state == wanted:
                return state
            if state in ("success", "failed", "skipped", "upstream_failed", "removed"):
                break
            time.sleep(2)
        raise StackError(f"{dag_id}/{run_id}/{task_id} never was {wanted}: {state} (logs in {self.logs})")

    def task_instances(self, dag_id: str, run_id: str) -> list[dict]:
        return self.request("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances?limit=100")["task_instances"]

    @staticmethod
    def tail(log: Path, lines: int = 40) -> str:
        try:
            return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _wait_group_gone(pgid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _group_alive(pgid):
            return True
        time.sleep(0.5)
    return False
