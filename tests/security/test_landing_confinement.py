"""Landing files stay in the landing folder (issue #17, finding 1; ISO 9001 §7.5.3: the evidence of a
day is the file delivered for it, nothing else).

A symbolic link in ``landing/<source>/`` — to a password file, to another day's export elsewhere — is
refused with one line naming the link, and nothing of its target is read or recorded; so is a FIFO,
a device or a directory under a delivery's name. A mapping whose ``file.pattern`` (or ``folder``)
climbs out of the landing folder is refused when it is loaded, naming the mapping file and the field.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from kawal.errors import KawalError, SourceFileError
from kawal.pipeline.daily import ingest_source_day

pytestmark = pytest.mark.security

DAY = date(2026, 10, 1)
HEADER = "interaction_id,channel,queue,arrived_at,outcome,wait_s,talk_s,hold_s,acw_s\n"
GOOD_DAY = HEADER + "".join(
    f"{i},voice,gadai,2026-10-01T{9 + i % 10:02d}:00:00+07:00,answered,12,180,0,20\n" for i in range(1, 21)
)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    landing = tmp_path / "landing"
    (landing / "interactions").mkdir(parents=True)
    url = f"sqlite:///{tmp_path / 'kawal.db'}"
    monkeypatch.setenv("KAWAL_LANDING_DIR", str(landing))
    monkeypatch.setenv("KAWAL_DB_URL", url)
    monkeypatch.setenv("KAWAL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KAWAL_MAPPINGS_DIR", str(tmp_path / "mappings"))
    from kawal.store import engine_for

    engine_for(url).dispose()  # a migrated store: "no batch" is then a fact, not a missing table
    return landing, url


def _batches(url: str) -> list[tuple]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text("SELECT file_name, checksum_sha256 FROM ingestion_batch"))]
    finally:
        engine.dispose()


def test_a_symlink_to_another_days_export_elsewhere_is_refused_and_nothing_recorded(env, tmp_path) -> None:  # type: ignore[no-untyped-def]
    landing, url = env
    elsewhere = tmp_path / "elsewhere.csv"
    elsewhere.write_text(GOOD_DAY, encoding="utf-8")
    link = landing / "interactions" / "interactions_2026-10-01.csv"
    link.symlink_to(elsewhere)

    with pytest.raises(SourceFileError) as err:
        ingest_source_day("interactions", DAY)
    message = str(err.value)
    assert message.startswith(str(link)) and "\n" not in message
    assert "symbolic link" in message
    assert _batches(url) == []  # the target was neither loaded nor recorded as the day's evidence


def test_a_symlink_to_the_password_file_is_refused_and_never_read(env) -> None:  # type: ignore[no-untyped-def]
    landing, url = env
    link = landing / "interactions" / "interactions_2026-10-01.csv"
    link.symlink_to("/etc/passwd")

    with pytest.raises(SourceFileError) as err:
        ingest_source_day("interactions", DAY)
    message = str(err.value)
    assert "symbolic link" in message and "root:" not in message and "/bin/" not in message
    assert _batches(url) == []


def test_a_source_folder_that_is_a_symlink_is_refused(env, tmp_path) -> None:  # type: ignore[no-untyped-def]
    landing, url = env
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "interactions_2026-10-01.csv").write_text(GOOD_DAY, encoding="utf-8")
    (landing / "interactions").rmdir()
    (landing / "interactions").symlink_to(outside, target_is_directory=True)

    with pytest.raises(SourceFileError, match="symbolic link"):
        ingest_source_day("interactions", DAY)
    assert _batches(url) == []


@pytest.mark.parametrize("kind", ["fifo", "directory"])
def test_a_special_file_under_a_deliverys_name_is_refused_by_name(env, kind: str) -> None:  # type: ignore[no-untyped-def]
    landing, url = env
    path = landing / "interactions" / "interactions_2026-10-01.csv"
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.mkdir()

    with pytest.raises(SourceFileError) as err:
        ingest_source_day("interactions", DAY)
    message = str(err.value)
    assert message.startswith(str(path))
    assert ("a FIFO" if kind == "fifo" else "a directory") in message and "not a regular file" in message
    assert _batches(url) == []


def test_a_symlink_put_in_place_of_an_ingested_file_is_not_computed(env, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The compute task reads the batch's file again when its staged rows are gone: a link swapped in
    for the delivery (same bytes, elsewhere) is refused there too."""
    from kawal.ingest.staged import staged_path
    from kawal.pipeline.daily import compute_source_kpis

    landing, _url = env
    path = landing / "interactions" / "interactions_2026-10-01.csv"
    path.write_text(GOOD_DAY, encoding="utf-8")
    result = ingest_source_day("interactions", DAY)
    elsewhere = tmp_path / "same-bytes.csv"
    elsewhere.write_text(GOOD_DAY, encoding="utf-8")
    path.unlink()
    path.symlink_to(elsewhere)
    for staged in staged_path("interactions", "x").parent.glob("*"):
        staged.unlink()

    with pytest.raises(SourceFileError, match="symbolic link"):
        compute_source_kpis(result.batch_id)


MAPPING = """source: interactions
file: {{pattern: "{pattern}"}}
{folder}columns:
  interaction_id: {{from: Id}}
  channel: {{value: voice}}
  queue: {{from: Queue}}
  arrived_at: {{from: Arrived}}
  outcome: {{from: Result, map: {{ANS: answered, ABN: abandoned}}}}
  wait_s: {{from: Wait}}
  talk_s: {{from: Talk}}
  hold_s: {{value: "0"}}
  acw_s: {{value: "0"}}
"""


@pytest.mark.parametrize(
    ("pattern", "folder", "field"),
    [
        ("../../../../etc/passwd", "", "file.pattern"),
        ("/etc/passwd", "", "file.pattern"),
        ("sub/../../../x_{date:%Y%m%d}.csv", "", "file.pattern"),
        ("x_{date:%Y%m%d}.csv", "folder: ../../etc\n", "folder"),
        ("x_{date:%Y%m%d}.csv", "folder: /etc\n", "folder"),
    ],
    ids=["climbs", "absolute", "climbs-from-a-subfolder", "folder-climbs", "folder-absolute"],
)
def test_a_mapping_that_climbs_out_of_the_landing_folder_is_refused_when_loaded(  # type: ignore[no-untyped-def]
    env, tmp_path, pattern: str, folder: str, field: str
) -> None:
    from kawal.ingest.mapping import load_mapping

    mappings = tmp_path / "mappings"
    mappings.mkdir()
    yaml_file = mappings / "acd.yaml"
    yaml_file.write_text(MAPPING.format(pattern=pattern, folder=folder), encoding="utf-8")

    with pytest.raises(KawalError) as err:
        load_mapping(yaml_file)
    message = str(err.value)
    assert message.startswith(f"{yaml_file}: field {field}:") and "\n" not in message
    assert "landing folder" in message

    # the daily DAG's ingest reads the active mapping: refused before any file is read or recorded
    with pytest.raises(KawalError, match=f"field {field}"):
        ingest_source_day("interactions", DAY)
    assert _batches(env[1]) == []

    # and `kawal sources check` says the same in one line, with a non-zero exit
    from kawal.cli import main

    export = tmp_path / "export.csv"
    export.write_text("Id,Queue,Arrived,Result,Wait,Talk\n", encoding="utf-8")
    out = CliRunner().invoke(main, ["sources", "check", str(yaml_file), str(export)])
    assert out.exit_code != 0
    assert f"field {field}" in out.output and "Traceback" not in out.output

    # `kawal rules check` checks the active mappings the DAG will load
    out = CliRunner().invoke(main, ["rules", "check"])
    assert out.exit_code == 1 and "Traceback" not in out.output
    assert f"{yaml_file}: field {field}:" in out.output


def test_confined_refuses_climbing_absolute_and_symlinked_paths(tmp_path: Path) -> None:
    """The one confinement helper (kawal.paths.confined), as other verbs use it for their folders."""
    from kawal.paths import confined

    folder = tmp_path / "folder"
    (folder / "a").mkdir(parents=True)
    (folder / "a" / "f.csv").write_text("x", encoding="utf-8")
    assert confined(Path("a/f.csv"), folder, "a delivery") == folder / "a" / "f.csv"
    assert confined(folder / "a" / "f.csv", folder, "a delivery") == folder / "a" / "f.csv"
    assert confined(Path("a/new.csv"), folder, "a delivery") == folder / "a" / "new.csv"  # not there yet: fine
    (folder / "link").symlink_to(folder / "a")
    (tmp_path / "outside.csv").write_text("x", encoding="utf-8")
    (folder / "a" / "out.csv").symlink_to(tmp_path / "outside.csv")
    for bad, why in [
        (Path("../outside.csv"), ".."),
        (Path("a/../../outside.csv"), ".."),
        (tmp_path / "outside.csv", "outside"),
        (Path("link/f.csv"), "symbolic link"),
        (Path("a/out.csv"), "symbolic link"),
    ]:
        with pytest.raises(KawalError) as err:
            confined(bad, folder, "a delivery")
        assert why in str(err.value), (bad, str(err.value))
        assert str(err.value).startswith(str(bad if bad.is_absolute() else folder / bad))


def test_a_link_swapped_in_while_the_delivery_is_read_is_refused(env, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The readers open the file by its name: one swapped for a link to other bytes during the read
    (by whoever can write the landing folder) is caught once the read ends, not recorded as loaded."""
    from kawal.ingest import readers

    landing, url = env
    path = landing / "interactions" / "interactions_2026-10-01.csv"
    path.write_text(GOOD_DAY, encoding="utf-8")
    elsewhere = tmp_path / "other-bytes.csv"
    elsewhere.write_text(GOOD_DAY.replace(",12,", ",13,"), encoding="utf-8")
    original = readers.read_csv_strings

    def read_then_swap(*args, **kwargs):  # type: ignore[no-untyped-def]
        frame = original(*args, **kwargs)
        path.unlink()
        path.symlink_to(elsewhere)
        return frame

    monkeypatch.setattr(readers, "read_csv_strings", read_then_swap)
    with pytest.raises(SourceFileError, match="is a symbolic link, not a regular file"):
        ingest_source_day("interactions", DAY)
    assert _batches(url) == []


def test_lies_inside_follows_links_and_dots_as_a_write_would(tmp_path: Path) -> None:
    from kawal.paths import lies_inside

    records = tmp_path / "reports"
    (records / "2026-10").mkdir(parents=True)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "link").symlink_to(records / "2026-10")
    assert lies_inside(records / "2026-10" / "x.pdf", records)
    assert lies_inside(tmp_path / "out" / "link" / "x.pdf", records)  # through a link
    assert lies_inside(tmp_path / "out" / ".." / "reports" / "x.pdf", records)  # through ..
    assert not lies_inside(tmp_path / "out" / "x.pdf", records)
