"""Sign-off before disposal (issue #19, ISO 9001 §7.5.3.2) without Airflow: who may decide, what a
time-out, a changed record and a mistyped digest do. The DAG path: test_retention_dag.py."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from kawal.cli import main
from kawal.register import load_register
from kawal.store import engine_for

AS_OF = date(2026, 2, 1)
MONTH = date(2026, 2, 1)


@pytest.fixture
def proposed(store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    from kawal.records.signoff import propose_disposal

    landing = tmp_path / "landing" / "interactions"
    landing.mkdir(parents=True)
    for day in ("2023-03-01", "2023-12-31"):
        (landing / f"interactions_{day}.csv").write_text(f"interaction_id\n{day}\n")
    monkeypatch.setenv("KAWAL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KAWAL_LANDING_DIR", str(tmp_path / "landing"))
    monkeypatch.setenv("KAWAL_DB_URL", store_url)
    engine = engine_for(store_url)
    out = propose_disposal(engine, load_register(), AS_OF)
    return engine, landing, out


def _state(engine) -> str:  # type: ignore[no-untyped-def]
    from kawal.records.signoff import DisposalSignoff

    with Session(engine) as s:
        return s.scalars(select(DisposalSignoff.state)).one()


def test_the_proposal_is_stored_once_with_its_digest(proposed) -> None:  # type: ignore[no-untyped-def]
    from kawal.records.signoff import list_digest, propose_disposal

    engine, landing, out = proposed
    (landing / "interactions_2023-06-01.csv").write_text("interaction_id\n")  # expired after the proposal

    again = propose_disposal(engine, load_register(), AS_OF)  # a re-run of the month: the same list

    assert again == out and out["state"] == "proposed" and out["record_count"] == 2
    assert out["digest"] == list_digest(MONTH, AS_OF, out["records"])
    assert [r["ref"] for r in out["records"]] == [
        "interactions/interactions_2023-03-01.csv",
        "interactions/interactions_2023-12-31.csv",
    ]


def test_a_person_who_may_not_dispose_cannot_approve(proposed) -> None:  # type: ignore[no-untyped-def]
    engine, landing, _out = proposed

    result = CliRunner().invoke(main, ["records", "approve-disposal", "2026-02", "--as", "trainer"])

    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "kawal: --as trainer may not approve or reject a disposal: that belongs to om "
        "(kpi_rules/retention.yaml disposal_by; default the Accountable)"
    ]
    assert _state(engine) == "proposed" and len(list(landing.iterdir())) == 2


def test_a_mistyped_digest_is_refused_and_the_right_one_approves(proposed) -> None:  # type: ignore[no-untyped-def]
    engine, _landing, out = proposed
    runner = CliRunner()

    wrong = runner.invoke(main, ["records", "approve-disposal", "2026-02", "--as", "om", "--digest", "deadbeef00"])
    right = runner.invoke(
        main, ["records", "approve-disposal", "2026-02", "--as", "om", "--digest", out["digest"][:12]]
    )
    twice = runner.invoke(main, ["records", "approve-disposal", "2026-02", "--as", "om"])

    assert wrong.exit_code == 2 and "--digest deadbeef00: the list of 2026-02 has digest" in wrong.output
    assert right.exit_code == 0, right.output
    assert twice.exit_code == 2 and "already approved by om: nothing changed" in twice.output
    assert _state(engine) == "approved"


def test_an_unanswered_list_times_out_and_nothing_is_disposed_of(proposed, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from kawal.records.signoff import SignoffAwaited, await_signoff, dispose_signed_off

    engine, landing, _out = proposed
    with pytest.raises(SignoffAwaited):
        await_signoff(engine, MONTH)  # KAWAL_NOW (2026-12-01 09:00 WIB) is within the 14 days
    monkeypatch.setenv("KAWAL_NOW", "2026-12-15T09:00:01+07:00")

    done = await_signoff(engine, MONTH)
    late = CliRunner().invoke(main, ["records", "approve-disposal", "2026-02", "--as", "om"])
    result = dispose_signed_off(engine, load_register(), MONTH)

    assert done["state"] == "timed_out" and result["disposed"] == []
    assert late.exit_code == 2 and "already timed_out" in late.output
    assert len(list(landing.iterdir())) == 2


def test_a_record_changed_after_approval_is_kept(proposed) -> None:  # type: ignore[no-untyped-def]
    from kawal.records.signoff import decide, dispose_signed_off

    engine, landing, _out = proposed
    decide(engine, load_register(), MONTH, "om", approve=True)
    (landing / "interactions_2023-12-31.csv").write_text("interaction_id\nreplaced\n")  # not what was approved

    result = dispose_signed_off(engine, load_register(), MONTH)

    assert result["disposed_records"] == ["source_file:interactions/interactions_2023-03-01.csv"]
    assert [p.name for p in landing.iterdir()] == ["interactions_2023-12-31.csv"]
    assert result["signoff"]["state"] == "disposed" and "(changed)" in result["signoff"]["note"]
    from kawal.store.models import DisposalLog

    with Session(engine) as s:
        details = [json.loads(d) for d in s.scalars(select(DisposalLog.details))]
    assert [d["signoff"]["approved_by"] for d in details] == ["om"]
