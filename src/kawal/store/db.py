"""Engines, sessions and automatic, idempotent Alembic migrations for Kawal's store."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session

from kawal.settings import store_url

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    # Two daily runs may write at once (Airflow's LocalExecutor): wait for the lock, don't fail.
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


@cache
def _engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    return engine


def _alembic_config(engine: Engine):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


@cache
def schema_heads() -> frozenset[str]:
    """The newest migrations' revision ids, read from the migration files' ``revision`` and
    ``down_revision`` lines: the question every task asks ("is the store up to date?") then costs one
    SELECT, not Alembic's import and script parsing (0.35 CPU s per task process, issue #21).
    tests/store/test_migrations.py checks it against Alembic's own answer."""
    import re

    revisions, parents = set(), set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        revision = re.search(r'^revision\s*=\s*"([^"]+)"', text, re.MULTILINE)
        down = re.search(r"^down_revision\s*=\s*(.+)$", text, re.MULTILINE)
        if revision:
            revisions.add(revision.group(1))
        if down:
            parents.update(re.findall(r'"([^"]+)"', down.group(1)))
    return frozenset(revisions - parents)


def current_heads(engine: Engine) -> frozenset[str]:
    """The revisions the store is at (none: an empty store)."""
    from sqlalchemy import inspect, text

    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return frozenset()
        return frozenset(r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version")))


def migrate(engine: Engine) -> None:
    """Bring the store to the newest schema; a no-op (no write at all, no Alembic import) when it is
    already there."""
    if current_heads(engine) == schema_heads():
        return
    from alembic import command

    command.upgrade(_alembic_config(engine), "head")


def engine_for(url: str | None = None, *, upgrade: bool = True) -> Engine:
    """The store's engine (cached per URL), migrated to the newest schema unless ``upgrade=False``."""
    from sqlalchemy.exc import ArgumentError, OperationalError

    from kawal.errors import StoreConfigError
    from kawal.settings import shown_url

    url = url or store_url()
    try:
        engine = _engine(url)
        if upgrade:
            migrate(engine)
    except (ArgumentError, ModuleNotFoundError) as exc:
        raise StoreConfigError(f"Kawal's store URL {shown_url(url)!r} is not usable: {exc}") from None
    except OperationalError as exc:  # unreachable server: transient, so a task's retry may succeed
        raise OperationalError(f"Kawal's store at {shown_url(url)} is unreachable", exc.params, exc.orig) from None
    return engine


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: committed on success, rolled back on any error (nothing half-written)."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        yield session
