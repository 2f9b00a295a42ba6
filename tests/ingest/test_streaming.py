"""A large canonical day is read in one streaming pass (kawal.ingest.stream): record batches checked
one by one, staged as Parquet, GX on the typed rows in chunks as they come — and it stores what the
whole-file route stores. Its bad input is named word for word as the whole-file route names it.

The stream starts at 32 MiB; here the thresholds are lowered (a 4 KiB block, GX chunks of 7 rows)
so that a small day crosses many batches and chunks."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from kawal.errors import SourceFileError
from kawal.ingest import readers, stream
from kawal.ingest.staged import staged_path
from kawal.pipeline.daily import compute_source_kpis, ingest_source_day
from tests.ingest.test_quarantine import HEADER, calls, deliver, query

DAY = date(2026, 10, 21)


@pytest.fixture
def small_stream(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Stream every delivery, in 4 KiB blocks; GX 7 rows at a time. Returns the columns of each
    batch the row checks saw (a spy)."""
    monkeypatch.setattr(stream, "STREAM_FROM_BYTES", 0)
    monkeypatch.setattr(stream, "BLOCK_BYTES", 4096)
    monkeypatch.setattr(stream, "GX_CHUNK_ROWS", 7)
    seen: list[list[str]] = []
    original = readers.check_rows

    def spy(spec, rows, path, day=None, *, whole_day=True):  # type: ignore[no-untyped-def]
        seen.append([str(c) for c in rows.columns] if not whole_day else ["(whole file)"])
        return original(spec, rows, path, day, whole_day=whole_day)

    monkeypatch.setattr(readers, "check_rows", spy)
    return seen


def with_phone_column(content: str) -> str:
    """The export with a column Kawal does not read (a customer's phone): it must never be loaded."""
    lines = content.splitlines()
    return (
        "\n".join([lines[0] + ",nomor_hp"] + [f"{line},0812345678{n % 10}" for n, line in enumerate(lines[1:])]) + "\n"
    )


def stored(url: str) -> list[tuple]:
    return [
        tuple(r)
        for r in query(
            url,
            "SELECT kpi_id, period_type, scope, numerator, denominator, value, status FROM kpi_value "
            "ORDER BY kpi_id, period_type, scope",
        )
    ]


def test_a_streamed_day_stores_what_the_whole_file_route_stores(
    landing: Path, tmp_path: Path, small_stream: list[list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    content = with_phone_column(calls(DAY, 400, prefix="sm1-", answered_every=3))
    deliver(landing, DAY, content)
    streamed_url = f"sqlite:///{tmp_path / 'streamed.db'}"
    batch = ingest_source_day("interactions", DAY, landing=landing, store_url=streamed_url).batch_id
    assert len(small_stream) > 5 and all("nomor_hp" not in columns for columns in small_stream)
    checksum = query(streamed_url, "SELECT checksum_sha256 FROM ingestion_batch WHERE id = :b", b=batch)[0][0]
    streamed_rows = pq.read_table(staged_path("interactions", checksum)).to_pylist()
    compute_source_kpis(batch, landing=landing, store_url=streamed_url)
    gx_chunks = query(streamed_url, "SELECT validation FROM ingestion_batch WHERE id = :b", b=batch)[0][0]
    assert '"suite_success": true' in gx_chunks

    monkeypatch.setattr(stream, "STREAM_FROM_BYTES", 1 << 40)  # the whole-file route
    whole_url = f"sqlite:///{tmp_path / 'whole.db'}"
    small_stream.clear()
    batch = ingest_source_day("interactions", DAY, landing=landing, store_url=whole_url).batch_id
    assert small_stream == [["(whole file)"]]
    assert query(whole_url, "SELECT checksum_sha256 FROM ingestion_batch")[0][0] == checksum  # same SHA-256
    assert pq.read_table(staged_path("interactions", checksum)).to_pylist() == streamed_rows
    compute_source_kpis(batch, landing=landing, store_url=whole_url)
    assert stored(streamed_url) == stored(whole_url)
    # by hand: 400 calls, every third answered (134), abandons after 10 s are not short → SCR 33.5 %
    scr = {r[2]: r[5] for r in stored(streamed_url) if r[0] == "scr" and r[1] == "day"}
    assert scr["all"] == pytest.approx(100 * 134 / 400)


def bad_number_rows(content: str, lines: list[int]) -> str:
    out = content.splitlines()
    for line in lines:  # file line (header = 1): its wait becomes text
        out[line - 1] = out[line - 1].replace(",10,150,", ",sepuluh,150,")
    return "\n".join(out) + "\n"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda c: bad_number_rows(c, [250, 390]),
            "row 250, column wait_s: 'xxxxxxx' is not a number from 0 to 86400 (2 bad row(s) in all)",
        ),
        (
            lambda c: c.replace(f"sm2-{DAY:%m%d}-300,", f"sm2-{DAY:%m%d}-12,"),
            "row 302, column interaction_id: 'xx#-####-##' appears again (first on row 14)",
        ),
        # pyarrow refuses the short row; the whole-file route reads it padded and names the blank
        (lambda c: c + "x,voice\n", "row 402, column outcome: '' is not one of abandoned, answered"),
    ],
    ids=["bad-numbers-in-two-batches", "id-repeated-across-batches", "short-last-row"],
)
def test_a_streamed_days_bad_input_is_named_as_the_whole_file_route_names_it(
    landing: Path, tmp_path: Path, small_stream: list[list[str]], edit, message: str
) -> None:  # type: ignore[no-untyped-def]
    path = deliver(landing, DAY, edit(calls(DAY, 400, prefix="sm2-")))
    url = f"sqlite:///{tmp_path / 'kawal.db'}"
    with pytest.raises(SourceFileError) as err:
        ingest_source_day("interactions", DAY, landing=landing, store_url=url)
    assert message in str(err.value)
    assert str(path) in str(err.value) or path.name in str(err.value)
    assert query(url, "SELECT state FROM ingestion_batch")[0][0] == "quarantined"
    assert not list((staged_path("interactions", "x").parent).glob(".*streaming*"))  # no staged leftovers


def test_a_header_only_streamed_day_is_named_as_before(landing: Path, tmp_path: Path, small_stream) -> None:  # type: ignore[no-untyped-def]
    deliver(landing, DAY, HEADER)
    with pytest.raises(SourceFileError, match="header only, no interactions rows"):
        ingest_source_day("interactions", DAY, landing=landing, store_url=f"sqlite:///{tmp_path / 'k.db'}")


@pytest.mark.parametrize("yesterday_staged", [True, False], ids=["from-staged-rows", "from-landing-file"])
def test_a_streamed_day_with_yesterdays_ids_is_refused_naming_the_first_row(
    landing: Path, tmp_path: Path, small_stream, yesterday_staged: bool
) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    yesterday = DAY - timedelta(days=1)
    url = f"sqlite:///{tmp_path / 'kawal.db'}"
    deliver(landing, yesterday, calls(yesterday, 300, prefix="sm3-"))
    batch = ingest_source_day("interactions", yesterday, landing=landing, store_url=url).batch_id
    if not yesterday_staged:
        checksum = query(url, "SELECT checksum_sha256 FROM ingestion_batch WHERE id = :b", b=batch)[0][0]
        staged_path("interactions", checksum).unlink()
    content = calls(DAY, 300, prefix="sm3-")
    for n in (40, 250):  # two of yesterday's calls again, the first on file line 42
        content = content.replace(f"sm3-{DAY:%m%d}-{n},", f"sm3-{yesterday:%m%d}-{n},")
    deliver(landing, DAY, content)
    with pytest.raises(SourceFileError) as err:
        ingest_source_day("interactions", DAY, landing=landing, store_url=url)
    assert (
        f"ids_already_delivered: 2 interaction_id(s) were already delivered for {yesterday} (first on row 42)"
        in str(err.value)
    )
    assert len(small_stream) > 5 and ["(whole file)"] not in small_stream  # both days were streamed
