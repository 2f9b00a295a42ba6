"""A real ``airflow api-server`` with Kawal's plugin, on a free port, over a seeded store; a headless
Chromium from Debian's packages driven by Playwright; mail through a real SMTP sink.

The server runs as Airflow runs in production: SimpleAuthManager with the users of
``[core] simple_auth_manager_users`` and a known password file (dummy passwords, test only).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.web.seed import seed_store

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "var" / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
# Debian's Chromium, never a downloaded browser; quiet flags: no network calls of its own here
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Airflow logins → register persons by id (kpi_rules/people.yaml); guest is mapped to nobody
PASSWORDS = {"om": "om-test-pw", "pic_performance": "perf-test-pw", "pic_quality": "qa-test-pw", "guest": "guest-pw"}
USERS = "om:user,pic_performance:user,pic_quality:user,guest:viewer"


@dataclass
class Board:
    base: str  # http://127.0.0.1:PORT
    store_url: str
    tickets: dict[str, int]
    sink: object
    log: Path


def _free_port() -> int:
    from kawal.notify.mailsink import free_port

    return free_port()


def _wait_healthy(proc: subprocess.Popen, base: str, log: Path, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"airflow api-server exited ({proc.returncode}); log {log}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{base}/api/v2/monitor/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    pytest.fail(f"airflow api-server not healthy after {timeout:.0f} s; log {log}:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def board_store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The board's store: SQLite (embedded) and a fresh database on the local PostgreSQL (production);
    without PostgreSQL skipped locally, failed under CI (as tests/conftest.py's postgres_url)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('board-store') / 'kawal.db'}"
        return
    from tests.conftest import fresh_postgres_database

    with fresh_postgres_database("kawal_web") as url:
        yield url


@pytest.fixture(scope="module")
def board(airflow_db: Path, board_store: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Board]:
    from kawal.notify.mailsink import MailSink
    from kawal.register import load_register

    home = tmp_path_factory.mktemp("board")
    store_url = board_store
    tickets = seed_store(store_url, load_register(REPO / "kpi_rules"))
    passwords = home / "passwords.json"
    passwords.write_text(json.dumps(PASSWORDS))
    sink = MailSink(home / "mail").start()
    port = _free_port()
    env = {
        **os.environ,
        "KAWAL_DB_URL": store_url,
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": USERS,
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
        "AIRFLOW__API_AUTH__JWT_SECRET": "kawal-test-jwt-secret-not-for-production",
        "AIRFLOW_CONN_SMTP_DEFAULT": sink.connection_uri,
    }
    log = home / "api-server.log"
    airflow = Path(sys.executable).with_name("airflow")
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(airflow), "api-server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(proc, base, log)
        yield Board(base, store_url, tickets, sink, log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        sink.stop()


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing: `make install` installs Debian's chromium"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def login(browser, base: str, username: str, **context_args):  # type: ignore[no-untyped-def]
    """A fresh browser context signed in through Airflow's real login page; returns its page."""
    context = browser.new_context(**context_args)
    page = context.new_page()
    page.goto(f"{base}/kawal/")
    page.wait_for_url("**/auth/login**")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORDS[username])
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/kawal/**")
    return page


def shot(page, name: str) -> Path:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"web-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


TEST_USER_HEADER = "x-kawal-test-user"  # read only by the test double of auth.airflow_username below


@dataclass
class BoardClient:
    """The board's FastAPI app in-process (Starlette's TestClient) over the seeded store, as a given
    Airflow login: the pages exactly as the plugin renders them, without starting an api-server. Only
    the questions "who is signed in" and "does Airflow's auth manager let them in" are answered here
    (kawal.web.auth's own checks are tested against the real api-server in test_board_browser.py and
    tests/security; the FAB auth manager's verdict in test_auth_manager.py and the stack test)."""

    store_url: str
    tickets: dict[str, int]
    as_user: object  # (username) -> TestClient


@pytest.fixture
def board_client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[BoardClient]:
    from fastapi.testclient import TestClient

    from kawal.register import load_register
    from kawal.web import auth
    from kawal.web.app import app

    store_url = f"sqlite:///{tmp_path / 'kawal.db'}"
    tickets = seed_store(store_url, load_register(REPO / "kpi_rules"))
    monkeypatch.setenv("KAWAL_DB_URL", store_url)
    monkeypatch.setenv("KAWAL_RULES_DIR", str(REPO / "kpi_rules"))
    monkeypatch.setenv("AIRFLOW__API_AUTH__JWT_SECRET", "kawal-test-jwt-secret-not-for-production")
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", "smtp://127.0.0.1:9")  # nothing listens: mail stays queued

    async def signed_in(request: object) -> str | None:  # each client says whom it signs in as
        return request.headers.get(TEST_USER_HEADER)  # type: ignore[attr-defined]

    async def auth_manager_allows(request: object, username: str) -> None:  # its verdict is tested elsewhere
        return None

    monkeypatch.setattr(auth, "airflow_username", signed_in)
    monkeypatch.setattr(auth, "board_refusal", auth_manager_allows)
    clients: list[TestClient] = []

    def as_user(username: str) -> TestClient:
        client = TestClient(app, follow_redirects=False, headers={TEST_USER_HEADER: username})
        clients.append(client)
        return client

    yield BoardClient(store_url, tickets, as_user)
    for client in clients:
        client.close()
