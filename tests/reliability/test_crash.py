"""Crash (issue #11): a task process killed with SIGKILL mid-write; the re-run completes consistently.

The worker (``tests/reliability/worker.py``) is a task process of its own. It is stopped at the
worst moments — inside compute's transaction after every row was written but before COMMIT, and in
the outbox between the SMTP server's acceptance and the record of it — then killed with SIGKILL (no
cleanup, no atexit, no rollback by the client). Nothing partial may remain and the re-run must reach
the state a clean run reaches (ISO 9001 7.5.3: records protected against loss of integrity).
"""

from __future__ import annotations

import os
import signal
from datetime import date, timedelta
from pathlib import Path

import pytest

from kawal.demo.sources import write_demo_month
from kawal.notify.outbox import STALE_CLAIM, Mail, deliver_pending, enqueue
from kawal.register import load_register
from kawal.store import engine_for, session_scope
from tests.conftest import REPO
from tests.reliability.conftest import content, query, row_counts, spawn_worker, wait_for
from tests.reliability.worker import run_day

pytestmark = pytest.mark.reliability

DAY = date(2026, 3, 17)
REGISTER = load_register(REPO / "kpi_rules")


def _kill(proc) -> None:  # type: ignore[no-untyped-def]
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL


def test_sigkill_inside_compute_leaves_no_partial_rows_and_the_rerun_matches_a_clean_run(
    kawal_env, mail_sink, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    landing, url = kawal_env
    write_demo_month(DAY.replace(day=1), landing, seed=21, calls_per_day=150)
    # the reference: the same day run once, cleanly, in a store of its own (SQLite)
    reference = f"sqlite:///{tmp_path / 'reference.db'}"
    monkeypatch.setenv("KAWAL_DB_URL", reference)
    assert run_day(DAY) == []
    reference_mails = len(mail_sink.messages())
    monkeypatch.setenv("KAWAL_DB_URL", url)
    engine_for(url)  # migrated before the worker starts
    marker = tmp_path / "stalled"

    worker = spawn_worker("stall-before-commit", "interactions", DAY.isoformat(), str(marker), env={})
    wait_for(marker, worker)
    written_uncommitted = query(url, "SELECT count(*) FROM kpi_value")[0][0]
    _kill(worker)

    assert written_uncommitted == 0  # the open transaction is invisible to others …
    assert query(url, "SELECT count(*) FROM kpi_value")[0][0] == 0  # … and rolled back after the kill
    (batch,) = query(url, "SELECT source, state FROM ingestion_batch")
    assert (batch.source, batch.state) == ("interactions", "received")  # ingested, never marked loaded
    before_rerun = row_counts(url)

    assert run_day(DAY) == []  # the re-run of the day (every task) completes

    assert content(url) == content(reference)
    assert len(mail_sink.messages()) == 2 * reference_mails  # the re-run told exactly what a clean run tells
    after = row_counts(url)
    assert after["kpi_value"] > 0 and after["ingestion_batch"] == 8
    assert (before_rerun["kpi_value"], before_rerun["ingestion_batch"]) == (0, 1)
    print(f"crash in compute: rows before re-run {before_rerun}, after {after}; mails {reference_mails} per run")


def _queue_three(url: str) -> list[str]:
    engine = engine_for(url)
    with session_scope(engine) as s:
        for i in range(3):
            enqueue(
                s,
                REGISTER,
                key=f"crash-test:{i}",
                kind="test",
                ticket_id=None,
                to=["om"],
                cc=[],
                mail=Mail(f"[Kawal] uji {i}", "Yth.", "uji", [], "-", []),
            )
    return [r.message_id for r in query(url, "SELECT message_id FROM notification ORDER BY id")]


def _age_claims(url: str) -> None:
    """Time passes beyond STALE_CLAIM: the dead sender's claims become abandoned."""
    engine = engine_for(url)
    with session_scope(engine) as s:
        from sqlalchemy import update

        from kawal.store.models import Notification

        for n in s.query(Notification).filter(Notification.state == "sending"):
            s.execute(
                update(Notification)
                .where(Notification.id == n.id)
                .values(claimed_at=n.claimed_at - STALE_CLAIM - timedelta(minutes=1))
            )


def test_sigkill_after_claim_before_smtp_loses_no_message(kawal_env, mail_sink, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _landing, url = kawal_env
    ids = _queue_three(url)
    marker = tmp_path / "stalled"

    worker = spawn_worker("stall-before-smtp", str(marker), env={})
    wait_for(marker, worker)
    _kill(worker)

    assert [r.state for r in query(url, "SELECT state FROM notification")] == ["sending"] * 3
    engine = engine_for(url)
    assert deliver_pending(engine, REGISTER).sent == 0  # a fresh claim may be a live sender: left alone
    _age_claims(url)
    assert deliver_pending(engine, REGISTER).sent == 3
    assert deliver_pending(engine, REGISTER).sent == 0

    assert sorted(m["Message-ID"] for m in mail_sink.messages()) == sorted(ids)  # each exactly once
    assert {r.state for r in query(url, "SELECT state FROM notification")} == {"sent"}


def test_sigkill_between_smtp_and_record_resends_with_the_same_message_id(kawal_env, mail_sink, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The one window an outbox cannot close (outbox.py docstring): the server took the mail, the
    sender died before recording it. The resend carries the same Message-ID, so clients show it once."""
    _landing, url = kawal_env
    ids = _queue_three(url)
    marker = tmp_path / "stalled"

    worker = spawn_worker("stall-after-smtp", str(marker), env={})
    wait_for(marker, worker)
    _kill(worker)

    assert len(mail_sink.messages()) == 3
    engine = engine_for(url)
    _age_claims(url)
    assert deliver_pending(engine, REGISTER).sent == 3
    assert deliver_pending(engine, REGISTER).sent == 0

    received = sorted(m["Message-ID"] for m in mail_sink.messages())
    assert received == sorted(ids * 2)  # 6 transmissions, 3 distinct messages: none lost, none new
    assert {r.state for r in query(url, "SELECT state FROM notification")} == {"sent"}
