"""Who may destroy records, on which day, and when not (issue #17 finding 3; ISO 9001 §7.5.3.2).

- a real disposal and the release of a legal hold belong to the Accountable (or whoever
  ``kpi_rules/retention.yaml: disposal_by`` names); anyone else gets one line and nothing changes;
- a real run judges expiry no later than today on the site clock (``KAWAL_NOW``); a dry run may look ahead;
- a file a pending task (a batch still ``received``) or a running task (its lease on the business day)
  uses is not disposed of; a disposal under way makes the day's pipeline task stop with one line;
- the disposal log is append-only (the store refuses UPDATE/DELETE) and a hash chain: ``kawal records
  verify-log`` names the first row that was changed or the row after one that was removed.

On SQLite and PostgreSQL; the lock and the two disposals with real processes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import REPO

pytestmark = pytest.mark.security

OLD_DAYS = ("2023-03-01", "2023-03-02")  # objective evidence: 2 years from year end → expired on 2026-01-01
RECENT_DAY = "2026-11-30"


def kawal(*args: str):  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from kawal.cli import main

    return CliRunner().invoke(main, list(args))


def _sql(url: str, sql: str, **params):  # type: ignore[no-untyped-def]
    engine = create_engine(url)
    with engine.begin() as conn:
        result = conn.execute(text(sql), params)
        rows = result.all() if result.returns_rows else []
    engine.dispose()
    return rows


@pytest.fixture
def site(store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    """A landing folder with two expired and one recent interactions file, a store, the site clock on 2026-12-01."""
    from kawal.store import engine_for

    landing = tmp_path / "landing" / "interactions"
    landing.mkdir(parents=True)
    for day in (*OLD_DAYS, RECENT_DAY):
        (landing / f"interactions_{day}.csv").write_text(f"interaction_id\n{day}\n")
    rules = tmp_path / "rules"
    rules.mkdir()
    for p in (REPO / "kpi_rules").iterdir():
        if p.is_file():
            (rules / p.name).write_bytes(p.read_bytes())
    monkeypatch.setenv("KAWAL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KAWAL_LANDING_DIR", str(tmp_path / "landing"))
    monkeypatch.setenv("KAWAL_RULES_DIR", str(rules))
    monkeypatch.setenv("KAWAL_MAPPINGS_DIR", str(tmp_path / "no-mappings"))
    monkeypatch.setenv("KAWAL_DB_URL", store_url)
    monkeypatch.setenv("KAWAL_NOW", "2026-12-01T09:00:00+07:00")
    engine_for(store_url)
    return {"landing": landing, "rules": rules, "url": store_url}


def _files(landing: Path) -> list[str]:
    return sorted(p.name for p in landing.iterdir())


def test_a_trainer_can_neither_release_a_hold_nor_dispose(site: dict) -> None:
    assert kawal("records", "hold", "--type", "*", "--ref", "*", "--reason", "audit", "--as", "trainer").exit_code == 0
    (hold,) = _sql(site["url"], "SELECT id FROM legal_hold")

    released = kawal("records", "release", str(hold.id), "--as", "trainer")

    assert released.exit_code == 2
    assert released.output.strip() == (
        "kawal: --as trainer may not release a legal hold: that belongs to om "
        "(kpi_rules/retention.yaml disposal_by; default the Accountable)"
    )
    assert _sql(site["url"], "SELECT released_at FROM legal_hold")[0].released_at is None
    assert kawal("records", "release", str(hold.id), "--as", "om").exit_code == 0

    disposed = kawal("records", "dispose", "--as", "trainer")

    assert disposed.exit_code == 2 and disposed.output.count("\n") == 1
    assert "--as trainer may not dispose of records for real: that belongs to om" in disposed.output
    assert _files(site["landing"]) == [f"interactions_{d}.csv" for d in (*OLD_DAYS, RECENT_DAY)]
    assert _sql(site["url"], "SELECT count(*) AS n FROM disposal_log")[0].n == 0

    ok = kawal("records", "dispose", "--as", "om")

    assert ok.exit_code == 0, ok.output
    assert _files(site["landing"]) == [f"interactions_{RECENT_DAY}.csv"]
    assert {r.actor for r in _sql(site["url"], "SELECT actor FROM disposal_log")} == {"om"}


def test_the_retention_table_names_who_disposes(site: dict) -> None:
    path = site["rules"] / "retention.yaml"
    path.write_text(path.read_text() + "disposal_by: [data_engineer]\n")

    assert "may not dispose" in kawal("records", "dispose", "--as", "om").output
    assert kawal("records", "dispose", "--as", "data_engineer").exit_code == 0
    assert _files(site["landing"]) == [f"interactions_{RECENT_DAY}.csv"]

    path.write_text(path.read_text().replace("[data_engineer]", "[ghost]"))
    bad = kawal("records", "dispose", "--dry-run")
    assert bad.exit_code == 2 and "field disposal_by: 'ghost' is not among the people" in bad.output


def test_a_real_disposal_cannot_judge_a_day_after_today(site: dict) -> None:
    ahead = kawal("records", "dispose", "--as-of", "2031-01-01", "--as", "om")

    assert ahead.exit_code == 2
    assert ahead.output.strip() == (
        "kawal: --as-of 2031-01-01 is after today (2026-12-01, site time): a real disposal judges expiry on "
        "today at the latest; look ahead with --dry-run"
    )
    assert len(_files(site["landing"])) == 3

    looked = kawal("records", "dispose", "--as-of", "2031-01-01", "--dry-run", "--format", "json")

    assert looked.exit_code == 0 and '"to_dispose": 3' in looked.output
    assert len(_files(site["landing"])) == 3


def _received_batch(url: str, day: str) -> None:
    _sql(
        url,
        "INSERT INTO ingestion_batch (source, business_date, file_name, checksum_sha256, row_count, state, "
        "received_at) VALUES ('interactions', :d, :f, :c, 1, 'received', :t)",
        d=date.fromisoformat(day),
        f=f"interactions/interactions_{day}.csv",
        c=hashlib.sha256(day.encode()).hexdigest(),
        t=datetime(2026, 12, 1, tzinfo=UTC),
    )


def test_a_file_a_pending_task_will_read_is_not_disposed_of(site: dict) -> None:
    _received_batch(site["url"], OLD_DAYS[0])  # ingested, its KPIs not yet computed

    result = kawal("records", "dispose", "--as", "om", "--format", "json")

    assert result.exit_code == 0, result.output
    assert '"in_use": 1' in result.output
    assert _files(site["landing"]) == [f"interactions_{OLD_DAYS[0]}.csv", f"interactions_{RECENT_DAY}.csv"]


_HOLDER = """
import sys, time
from datetime import date
from kawal.records.day_locks import records_in_use
from kawal.store import engine_for
with records_in_use(engine_for(), date.fromisoformat(sys.argv[1]), "ingest interactions"):
    print("holding", flush=True)
    sys.stdin.readline()
"""


def test_a_running_task_keeps_its_days_files_and_a_disposal_under_way_stops_the_task(
    site: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, OLD_DAYS[1]],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    try:
        assert holder.stdout.readline().strip() == "holding"  # type: ignore[union-attr]

        result = kawal("records", "dispose", "--as", "om", "--format", "json")

        assert result.exit_code == 0, result.output
        assert '"in_use": 1' in result.output
        assert f"interactions_{OLD_DAYS[1]}.csv" in _files(site["landing"])
        assert f"interactions_{OLD_DAYS[0]}.csv" not in _files(site["landing"])
    finally:
        holder.communicate("done\n", timeout=60)
    assert holder.returncode == 0
    assert kawal("records", "dispose", "--as", "om").exit_code == 0
    assert _files(site["landing"]) == [f"interactions_{RECENT_DAY}.csv"]

    # the other way round: while a disposal holds a day, the day's ingest waits, then stops with one line
    from kawal.errors import KawalError
    from kawal.pipeline.daily import ingest_source_day
    from kawal.records import day_locks
    from kawal.records.day_locks import disposal_of_day
    from kawal.store import engine_for

    monkeypatch.setattr(day_locks, "WAIT_SECONDS", 0.3)
    with disposal_of_day(engine_for(), date(2023, 3, 1)) as free:
        assert free
        with pytest.raises(KawalError, match="2023-03-01: records of the day are being disposed of"):
            ingest_source_day("interactions", date(2023, 3, 1))


def _dispose_two(site: dict) -> None:
    assert kawal("records", "dispose", "--as", "om").exit_code == 0
    path = site["landing"] / f"interactions_{OLD_DAYS[0]}.csv"
    path.write_text("interaction_id\nagain\n")  # a second delivery of the day, disposed of on a later run
    assert kawal("records", "dispose", "--as", "om").exit_code == 0
    assert _sql(site["url"], "SELECT count(*) AS n FROM disposal_log")[0].n == 3


def _drop_guard(url: str) -> None:
    """What an intruder with the store's owner rights would do first."""
    if url.startswith("sqlite"):
        _sql(url, "DROP TRIGGER disposal_log_no_update")
        _sql(url, "DROP TRIGGER disposal_log_no_delete")
    else:
        _sql(url, "ALTER TABLE disposal_log DISABLE TRIGGER USER")


def test_the_disposal_log_is_append_only_and_verify_log_names_the_first_broken_row(site: dict) -> None:
    from sqlalchemy.exc import DBAPIError

    _dispose_two(site)
    ok = kawal("records", "verify-log")
    assert ok.exit_code == 0 and ok.output.strip() == "disposal log OK: 3 rows, hash chain intact"

    with pytest.raises(DBAPIError, match="append-only"):
        _sql(site["url"], "UPDATE disposal_log SET actor='nobody' WHERE id=2")
    with pytest.raises(DBAPIError, match="append-only"):
        _sql(site["url"], "DELETE FROM disposal_log WHERE id=2")

    _drop_guard(site["url"])
    _sql(site["url"], "UPDATE disposal_log SET reason='dimusnahkan atas permintaan' WHERE id=2")

    changed = kawal("records", "verify-log")

    assert changed.exit_code == 1
    assert (
        changed.output.strip()
        == "disposal log row 2: its content does not match its hash (changed after it was written)"
    )

    _sql(site["url"], "DELETE FROM disposal_log WHERE id=2")

    removed = kawal("records", "verify-log")

    assert removed.exit_code == 1
    assert removed.output.strip() == (
        "disposal log row 3: does not follow row 1 (a row before it was removed or inserted)"
    )


def test_log_rows_written_before_the_chain_join_it_on_upgrade(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alembic import command

    from kawal.store import engine_for
    from kawal.store.db import _alembic_config

    engine = create_engine(store_url)
    command.upgrade(_alembic_config(engine), "0006")
    for ref in ("interactions/a_2023-01-01.csv", "interactions/b_2023-01-02.csv"):
        _sql(
            store_url,
            "INSERT INTO disposal_log (record_type, ref, record_date, retain_until, disposed_at, reason, "
            "checksum_sha256, details, actor) VALUES ('source_file', :r, :d, :u, :t, 'masa simpan', :c, '{}', 'om')",
            r=ref,
            d=date(2023, 1, 1),
            u=date(2026, 1, 1),
            t=datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
            c=hashlib.sha256(ref.encode()).hexdigest(),
        )
    engine.dispose()
    engine_for(store_url)  # the automatic upgrade on first use
    monkeypatch.setenv("KAWAL_DB_URL", store_url)
    monkeypatch.setenv("KAWAL_RULES_DIR", str(REPO / "kpi_rules"))
    monkeypatch.setenv("KAWAL_HOME", str(tmp_path / "home"))

    result = kawal("records", "verify-log")

    assert result.exit_code == 0 and result.output.strip() == "disposal log OK: 2 rows, hash chain intact"


def test_two_disposals_at_once_dispose_of_each_record_once_and_keep_one_chain(site: dict) -> None:
    days = [date(2023, 1, 1).toordinal() + i for i in range(40)]
    for n in days:
        day = date.fromordinal(n).isoformat()
        (site["landing"] / f"interactions_{day}.csv").write_text(f"interaction_id\n{day}\n")
    expired = len(days) + len(OLD_DAYS)
    go = site["landing"].parent.parent / "go"
    # both imported and migrated first, then released together: their plans and disposals overlap
    start = (
        "import os, sys, time\nfrom kawal.cli import main\nimport kawal.records.disposal\n"
        f"while not os.path.exists({str(go)!r}): time.sleep(0.005)\nmain()"
    )
    cli = [sys.executable, "-c", start, "records", "dispose", "--as", "om"]
    runs = [subprocess.Popen(cli, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    time.sleep(3)
    go.touch()
    outs = [run.communicate(timeout=300) for run in runs]

    for run, (_out, err) in zip(runs, outs, strict=True):
        assert run.returncode == 0 and "Traceback" not in err, err
    refs = [r.ref for r in _sql(site["url"], "SELECT ref FROM disposal_log")]
    assert len(refs) == len(set(refs)) == expired  # each record once, by one of the two
    assert _files(site["landing"]) == [f"interactions_{RECENT_DAY}.csv"]
    assert kawal("records", "verify-log").output.strip() == f"disposal log OK: {expired} rows, hash chain intact"
