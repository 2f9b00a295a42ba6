"""A large canonical delivery read in one streaming pass, at a memory that does not grow with the day.

From :data:`STREAM_FROM_BYTES` up, a canonical CSV (no mapping) is read by pyarrow in record
batches of :data:`BLOCK_BYTES`: only the canonical columns are materialised (any other column of
the file never reaches memory), the SHA-256 is computed from the same bytes as they are read, every
batch is checked by the reader's own row checks (:func:`kawal.ingest.readers.check_rows`, rows named
by their file line) and written, typed, to the staged Parquet file (:mod:`kawal.ingest.staged`) under
a temporary name. What needs the whole day — ids unique across batches, the latest timestamp — is
computed over the stream (the latest) or in DuckDB over the staged file (uniqueness, under a memory
limit). GX validates the typed rows as they come, :data:`GX_CHUNK_ROWS` at a time (one stored result
per chunk; :func:`kawal.checks.suites.merged`), so its memory is one chunk's.

**Bad input is named exactly as before**: on the first problem of any kind the stream is dropped and
the delivery is read again by the whole-file route (``read_source``), whose one-line message — the
row, the column, "(n bad row(s) in all)" — the bad-input corpus pins word for word. A bad 10M-row
file so costs the old route's memory once; a good one never does. A row with fewer or more fields
than the header is such a problem (pyarrow's parser refuses it; issue #17): the whole-file route
names its row, never the stream a half day.

Below :data:`STREAM_FROM_BYTES` (a few hundred thousand rows), and for every mapped export, the
whole-file route reads the delivery: it is as fast there, and a vendor's workbook has no streaming
reader anyway.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kawal.errors import SourceFileError
from kawal.sources import SourceSpec

if TYPE_CHECKING:
    import pandas as pd

    from kawal.ingest.staged import StagedFile

#: deliveries of this size and more stream (smaller ones are read whole: as fast, simpler)
STREAM_FROM_BYTES = int(os.environ.get("KAWAL_STREAM_FROM_BYTES", 32 << 20))
#: bytes of CSV per record batch (pyarrow's block size)
BLOCK_BYTES = 4 << 20
#: rows per GX validation of the staged rows (GX's cost is per expectation and per call)
GX_CHUNK_ROWS = 1_000_000


class _HashingReader:
    """A binary file whose bytes are hashed as pyarrow reads them: the checksum costs no second pass."""

    def __init__(self, path: Path) -> None:
        self._fh = path.open("rb")
        self.digest = hashlib.sha256()
        self.closed = False

    def read(self, size: int = -1) -> bytes:
        block = self._fh.read(size)
        self.digest.update(block)
        return block

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def finish(self) -> str:
        for block in iter(lambda: self._fh.read(1 << 20), b""):  # whatever the reader left unread
            self.digest.update(block)
        self.close()
        return self.digest.hexdigest()

    def close(self) -> None:
        if not self.closed:
            self._fh.close()
            self.closed = True


@dataclass
class StreamedDelivery:
    """A delivery read by the stream: its checksum, the facts the cross-delivery checks need, and
    its typed rows staged under a temporary name until :meth:`keep`."""

    source: str
    path: Path
    checksum_sha256: str
    n_rows: int
    latest: datetime | None  # the day's last event (site time); None for a source without timestamps
    staged_tmp: Path
    rows: pd.DataFrame = field(repr=False)  # no column, one index entry per row: what len() checks read
    suites: list[Any] = field(default_factory=list, repr=False)  # GX's result per chunk of rows

    def __len__(self) -> int:
        return self.n_rows

    def repeated_ids(self, column: str, previous: Path | Any) -> tuple[int, int | None]:
        """(how many, the first row's 0-based position) of this day's ``column`` values found in the
        previous day's: ``previous`` is its staged file, or its ids as an Arrow array. In DuckDB
        under its memory limit (a hash join spills to disk): no id of either day is held in Python."""
        from kawal.formulas import quoted
        from kawal.rows_sql import connect

        con = connect()
        col = quoted(column)
        if isinstance(previous, Path):
            before, params = "read_parquet(?)", [str(previous)]
        else:
            con.register("previous_ids", __import__("pyarrow").table({column: previous}))
            before, params = "previous_ids", []
        try:
            ((n, first),) = con.execute(
                f"SELECT count(*), min(t.file_row_number) FROM read_parquet(?, file_row_number = true) t "  # noqa: S608 - a layout column
                f"WHERE t.{col} IN (SELECT {col} FROM {before})",
                [str(self.staged_tmp), *params],
            ).fetchall()
        finally:
            if not isinstance(previous, Path):
                con.unregister("previous_ids")
        return int(n), (int(first) if first is not None else None)

    def keep(self) -> StagedFile:
        """Move the staged rows to their key's name (the delivery passed every check)."""
        from kawal.ingest.delivery import sha256_of
        from kawal.ingest.staged import StagedFile, staged_path

        final = staged_path(self.source, self.checksum_sha256)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.staged_tmp, final)
        return StagedFile(final, sha256_of(final), self.n_rows)

    def discard(self) -> None:
        self.staged_tmp.unlink(missing_ok=True)


def stream_delivery(
    spec: SourceSpec, path: Path, day: date, validate: Callable[[pd.DataFrame, str], Any]
) -> StreamedDelivery | None:
    """The delivery read by the stream, or None when it is not for the stream (small, not plain, or
    bad in any way: the whole-file route then reads it and names the problem).

    ``validate(rows, checksum)`` runs the source's GX suite on a chunk of typed rows (index = row
    position); its results are kept in :attr:`StreamedDelivery.suites`."""
    try:
        if path.stat().st_size < STREAM_FROM_BYTES:
            return None
    except OSError:
        return None
    from kawal.ingest.readers import plain_header

    header = plain_header(path)
    if header is None or any(c not in header for c in spec.required_columns):
        return None
    try:
        return _stream(spec, path, day, [c for c in spec.column_names if c in header], validate)
    except SourceFileError:
        return None


def _stream(
    spec: SourceSpec, path: Path, day: date, present: list[str], validate: Callable[[pd.DataFrame, str], Any]
) -> StreamedDelivery | None:
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    from kawal.ingest.readers import check_rows
    from kawal.ingest.staged import staged_path

    # numbers parsed by the reader itself (the text route's cast, in C++): the row checks then
    # judge float64 columns; text columns stay text
    numeric = [c.name for c in spec.columns if c.name in present and c.kind != "text" and not c.pseudonym]
    # The checksum first, in a plain byte pass (page cache: ~1 GB/s): GX's results carry it as the
    # batch fingerprint as the chunks are validated. The bytes parsed are hashed again as they are
    # read, so a file that changes under the reader is refused, not half-loaded.
    from kawal.ingest.delivery import sha256_of

    expected = sha256_of(path)
    reader_file = _HashingReader(path)
    tmp = staged_path(spec.name, "streaming").with_name(f".{path.name}.{os.getpid()}.streaming.parquet")
    tmp.parent.mkdir(parents=True, exist_ok=True)
    writer = None
    n_rows, latest = 0, None
    stream = None
    pending: list[pd.DataFrame] = []  # typed rows not yet validated by GX
    suites: list[Any] = []
    try:
        stream = pacsv.open_csv(
            pa.PythonFile(reader_file, mode="r"),
            read_options=pacsv.ReadOptions(block_size=BLOCK_BYTES),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                include_columns=present,
                column_types={c: pa.float64() if c in numeric else pa.string() for c in present},
                null_values=[""],  # a blank number: unknown or bad, as check_rows decides; "NA" is no number
                strings_can_be_null=False,
            ),
        )
        for batch in stream:
            if any(pc.any(pc.is_nan(batch.column(c))).as_py() for c in numeric):
                return _drop(writer, tmp, reader_file)  # "nan" written in a cell: the whole-file route names it
            frame = batch.to_pandas()
            frame.index = pd.RangeIndex(n_rows, n_rows + len(frame))
            typed = check_rows(spec, frame, path, day, whole_day=False)
            if spec.timestamp:
                latest = _later(latest, _latest_of(typed[spec.timestamp], day))
            table = pa.Table.from_pandas(typed, preserve_index=False)
            if writer is None:  # the first batch's types are the day's (a later all-blank column stays double)
                writer = pq.ParquetWriter(tmp, table.schema, compression="lz4")
            else:
                table = table.cast(writer.schema)
            writer.write_table(table, row_group_size=1 << 20)
            n_rows += len(frame)
            pending.append(typed)
            if sum(map(len, pending)) >= GX_CHUNK_ROWS:
                suites.append(validate(pd.concat(pending), expected))
                pending = []
        if pending:
            suites.append(validate(pd.concat(pending), expected))
            pending = []
        checksum = reader_file.finish()
        if checksum != expected:
            raise SourceFileError(path, "changed while it was read")
    except (pa.ArrowException, SourceFileError, ValueError, OSError):
        return _drop(writer, tmp, reader_file)
    except BaseException:  # a bug, not bad input: the reader closed before the error goes on
        _drop(writer, tmp, reader_file)
        raise
    finally:
        if stream is not None:
            stream.close()
    if writer is None or n_rows == 0:  # header only: the whole-file route words it
        tmp.unlink(missing_ok=True)
        return None
    from kawal.ingest.staged import KEY

    writer.add_key_value_metadata({KEY: checksum, "kawal.source": spec.name})  # known once the bytes are read
    writer.close()
    if spec.unique and not _unique(tmp, spec.unique, n_rows):  # the whole-file route names the repeat
        tmp.unlink(missing_ok=True)
        return None
    return StreamedDelivery(
        spec.name, path, checksum, n_rows, latest, tmp, pd.DataFrame(index=pd.RangeIndex(n_rows)), suites
    )


def _drop(writer: Any, tmp: Path, reader_file: _HashingReader) -> None:
    """Leave the stream: nothing of it is kept (the whole-file route reads the delivery instead)."""
    if writer is not None:
        writer.close()
    tmp.unlink(missing_ok=True)
    reader_file.close()


def _unique(path: Path, column: str, n_rows: int) -> bool:
    from kawal.formulas import quoted
    from kawal.rows_sql import connect

    query = f"SELECT count(DISTINCT {quoted(column)}) FROM read_parquet(?)"  # noqa: S608 - a layout column
    ((distinct,),) = connect().execute(query, [str(path)]).fetchall()
    return int(distinct) == n_rows


def _latest_of(texts: pd.Series, day: date) -> datetime | None:
    from kawal.ingest.readers import latest_moment

    return latest_moment(texts, day) if len(texts) else None


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)
