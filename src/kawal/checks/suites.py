"""Great Expectations suites of the canonical sources: written from the layouts, run after mapping.

The suites are the canonical layouts of :mod:`kawal.sources` stated as expectations, kept as
committed, reviewable JSON in the GX file context under ``great_expectations/gx/`` (one suite, one
validation definition per source; ``kawal checks suites`` regenerates them and a test keeps them in
step with the layouts). The row-by-row reader in :mod:`kawal.sources` already names the
first bad row; GX is the second, independent statement of the same contract, and its validation
results and Data Docs are the objective evidence of each delivery's check (ISO 9001:2015 7.5, 9.1;
work instruction §6 keeps them 2 years).

Run-time output never goes into the repository: ``great_expectations.yml`` points the validation
results store at ``${KAWAL_HOME}/gx/validations`` and Data Docs at ``${KAWAL_HOME}/gx-docs``.
GX's file stores are not safe for concurrent writers on one host, so every use of the context takes
an exclusive file lock (the daily DAG validates its sources in parallel).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kawal.ingest.readers import PSEUDONYM
from kawal.redaction import cell, header_cell
from kawal.settings import kawal_home
from kawal.sources import SOURCES, SourceSpec

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

DATASOURCE = "kawal_canonical_sources"
BATCH = "whole_delivery"
ISO_WITH_OFFSET = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[+-]\d{2}:\d{2}|Z)$"


def gx_root() -> Path:
    """The committed GX project: ``KAWAL_GX_DIR``, else ``great_expectations/`` in the working
    directory, else the one beside the package's source tree (an editable install run elsewhere,
    e.g. by a Celery worker)."""
    if os.environ.get("KAWAL_GX_DIR"):
        return Path(os.environ["KAWAL_GX_DIR"]).resolve()
    here = Path.cwd() / "great_expectations"
    if (here / "gx").is_dir():
        return here.resolve()
    return Path(__file__).resolve().parents[3] / "great_expectations"


def data_docs_dir() -> Path:
    return kawal_home() / "gx-docs"


def expectations_for(spec: SourceSpec) -> list[tuple[str, dict[str, Any], str]]:
    """(expectation class, its arguments, why) for one canonical layout."""
    out: list[tuple[str, dict[str, Any], str]] = [
        ("ExpectTableColumnsToMatchSet", {"column_set": list(spec.column_names)}, "the layout (exact match)"),
    ]
    if not spec.empty_day_ok:
        out.append(("ExpectTableRowCountToBeBetween", {"min_value": 1}, "a log/snapshot source has rows every day"))
    # The reader already refuses over-long cells and formula injection in every text column, row by
    # row; the suite states the domain: keys present, codes known, numbers in range. GX's cost is per
    # expectation (~0.1 s each, whatever the rows), so the suite says each thing once.
    keys = {c for c in (spec.unique, spec.timestamp) if c}
    for col in spec.columns:
        if col.name in keys:
            out.append(("ExpectColumnValuesToNotBeNull", {"column": col.name}, "a key is always present"))
        if col.pseudonym:
            out.append(
                (
                    "ExpectColumnValuesToMatchRegex",
                    {"column": col.name, "regex": f"^(?:{PSEUDONYM})?$"},
                    "a keyed hash or empty: customer identifiers never in the clear",
                )
            )
        elif col.allowed is not None:
            out.append(("ExpectColumnValuesToBeInSet", {"column": col.name, "value_set": sorted(col.allowed)}, "codes"))
        elif col.kind == "flag":
            out.append(("ExpectColumnValuesToBeInSet", {"column": col.name, "value_set": [0, 1]}, "a 0/1 flag"))
        elif col.kind in ("number", "count"):
            # a weighted row (an interval aggregate) sums its events: per-event maxima are checked by the reader
            maximum = None if spec.weight and col.name != spec.weight else col.maximum
            bounds = {k: v for k, v in (("min_value", col.minimum), ("max_value", maximum)) if v is not None}
            if bounds:
                out.append(("ExpectColumnValuesToBeBetween", {"column": col.name, **bounds}, col.description))
    if spec.unique:
        out.append(("ExpectColumnValuesToBeUnique", {"column": spec.unique}, "one row per id in a delivery"))
    if spec.timestamp:
        out.append(
            (
                "ExpectColumnValuesToMatchRegex",
                {"column": spec.timestamp, "regex": ISO_WITH_OFFSET},
                "ISO 8601 with a UTC offset, so its day is not ambiguous",
            )
        )
    for small, large in spec.at_most:
        out.append(
            (
                "ExpectColumnPairValuesAToBeGreaterThanB",
                {"column_A": large, "column_B": small, "or_equal": True},
                f"{small} ≤ {large} (internal consistency)",
            )
        )
    return out


_CONTEXTS: dict[tuple[str, str], Any] = {}


@contextlib.contextmanager
def gx_context() -> Iterator[Any]:
    """The committed file context, locked against concurrent writers on this host."""
    home = kawal_home()
    home.mkdir(parents=True, exist_ok=True)
    os.environ["KAWAL_HOME"] = str(home)  # great_expectations.yml substitutes ${KAWAL_HOME}
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("TQDM_DISABLE", "1")  # GX's progress bars would flood task logs
    import great_expectations as gx

    with (home / ".gx.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            key = (str(gx_root()), str(home))
            if key not in _CONTEXTS:  # loading the project costs ~2 s; one process runs many tasks under dag.test
                _CONTEXTS.clear()
                _CONTEXTS[key] = gx.get_context(mode="file", project_root_dir=key[0])
            yield _CONTEXTS[key]
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def write_suites() -> list[str]:
    """(Re)write every source's suite, dataframe asset and validation definition into the committed
    context (``kawal checks suites``). Returns the suite names."""
    import great_expectations.expectations as gxe

    import great_expectations as gx

    with gx_context() as ctx:
        try:
            datasource = ctx.data_sources.get(DATASOURCE)
        except (KeyError, ValueError, gx.exceptions.DataContextError):
            datasource = ctx.data_sources.add_pandas(DATASOURCE)
        for spec in SOURCES.values():
            suite = gx.ExpectationSuite(
                name=spec.name,
                meta={"source": spec.name, "description": spec.description, "written_by": "kawal checks suites"},
            )
            for kind, kwargs, why in expectations_for(spec):
                suite.add_expectation(getattr(gxe, kind)(**kwargs, meta={"why": why}))
            suite = ctx.suites.add_or_update(suite)
            try:
                asset = datasource.get_asset(spec.name)
            except LookupError:
                asset = datasource.add_dataframe_asset(spec.name)
            try:
                batch = asset.get_batch_definition(BATCH)
            except (KeyError, ValueError, LookupError):
                batch = asset.add_batch_definition_whole_dataframe(BATCH)
            ctx.validation_definitions.add_or_update(gx.ValidationDefinition(name=spec.name, data=batch, suite=suite))
        return list(SOURCES)


@dataclass(frozen=True)
class SuiteResult:
    success: bool
    evaluated: int
    failed: list[dict[str, Any]]

    def summary(self) -> dict[str, Any]:
        return {"suite_success": self.success, "expectations": self.evaluated, "failed": self.failed}

    def problem(self) -> str:
        first = self.failed[0]
        where = f"column {first['column']}: " if first.get("column") else ""
        rows = f" (rows {', '.join(map(str, first['rows']))})" if first.get("rows") else ""
        return (
            f"GX suite {first['suite']}: {where}{first['expectation']} failed for {first['unexpected']} value(s){rows}"
        )


@contextlib.contextmanager
def delivery_fingerprint(checksum_sha256: str) -> Iterator[None]:
    """GX's pandas engine fingerprints each batch by hashing every cell (``hash_pandas_object``:
    0.4 CPU s per million rows, skipped silently above ~6.7M rows). The delivery's SHA-256 is a
    better fingerprint, already computed: it is what the validation result's batch markers record
    (``pandas_data_fingerprint``). tests/checks/test_gx_fingerprint.py fails if a GX upgrade moves
    that mechanism, rather than letting the hash come back unnoticed."""
    from great_expectations.execution_engine import pandas_execution_engine as engine

    original = engine.hash_pandas_dataframe
    engine.hash_pandas_dataframe = lambda df: checksum_sha256
    try:
        yield
    finally:
        engine.hash_pandas_dataframe = original


#: The keys of a GX expectation result that carry cell values (a failing row's raw value).
_VALUE_LISTS = ("partial_unexpected_list", "unexpected_list")


def _values_by_shape(result: dict[str, Any]) -> None:
    """A GX expectation result with its cell values replaced by their shapes (kawal.redaction), its
    counts and row positions kept: what the validation results store, Data Docs and the audit pack
    keep of a failing delivery names no customer (issue #17)."""
    for key in _VALUE_LISTS:
        if isinstance(result.get(key), list):
            result[key] = [cell(v) for v in result[key]]
    if isinstance(result.get("partial_unexpected_counts"), list):
        result["partial_unexpected_counts"] = [
            {**c, "value": cell(c.get("value"))} if isinstance(c, dict) else cell(c)
            for c in result["partial_unexpected_counts"]
        ]
    observed = result.get("observed_value")
    if isinstance(observed, list):  # a table's columns (ExpectTableColumnsToMatchSet): header cells
        result["observed_value"] = [header_cell(v) for v in observed]
    elif isinstance(observed, str):
        result["observed_value"] = cell(observed)
    mismatched = (result.get("details") or {}).get("mismatched")
    if isinstance(mismatched, dict):
        for key, names in mismatched.items():
            if isinstance(names, list):
                mismatched[key] = [header_cell(v) for v in names]


@contextlib.contextmanager
def cell_values_kept_out() -> Iterator[None]:
    """GX stores each validation result as it runs (``ValidationDefinition.run``): its stored form
    passes through :func:`_values_by_shape` first. Restored on exit, like :func:`delivery_fingerprint`;
    tests/security/test_redaction.py fails if a GX upgrade stores results another way."""
    from great_expectations.data_context.store.validation_results_store import ValidationResultsStore

    original = ValidationResultsStore.store_validation_results

    def store_by_shape(self, suite_validation_result, *args, **kwargs):  # type: ignore[no-untyped-def]
        for r in suite_validation_result.results:
            if isinstance(r.result, dict):
                _values_by_shape(r.result)
        return original(self, suite_validation_result, *args, **kwargs)

    ValidationResultsStore.store_validation_results = store_by_shape  # type: ignore[method-assign]
    try:
        yield
    finally:
        ValidationResultsStore.store_validation_results = original  # type: ignore[method-assign]


def validate_delivery(source: str, rows: pd.DataFrame, checksum_sha256: str) -> SuiteResult:
    """Run the source's committed suite on a mapped, typed delivery; the result is kept in the
    validation results store (for Data Docs and the audit pack), fingerprinted by the delivery's
    SHA-256."""
    frame = rows.reset_index(drop=True)
    with gx_context() as ctx, delivery_fingerprint(checksum_sha256), cell_values_kept_out():
        definition = ctx.validation_definitions.get(source)
        # the verdict alone first (GX then skips collecting unexpected rows: a third of its time on a
        # million rows); a failing delivery is validated again for its details (counts, rows)
        result = definition.run(batch_parameters={"dataframe": frame}, result_format={"result_format": "BOOLEAN_ONLY"})
        if not result.success:
            result = definition.run(batch_parameters={"dataframe": frame}, result_format={"result_format": "SUMMARY"})
    failed = []
    for r in result.results:
        if r.success:
            continue
        kwargs = r.expectation_config.kwargs
        index = r.result.get("partial_unexpected_index_list") or []
        failed.append(
            {
                "suite": source,
                "expectation": r.expectation_config.type,
                "column": kwargs.get("column") or kwargs.get("column_A"),
                "unexpected": r.result.get("unexpected_count", 0),
                # rows as file lines (header = 1); cell values are not kept: they may hold personal data
                "rows": [int(rows.index[i]) + 2 for i in index[:5] if isinstance(i, int) and i < len(rows)],
            }
        )
    return SuiteResult(bool(result.success), len(result.results), failed)


def merged(results: list[SuiteResult]) -> SuiteResult:
    """The suite's verdict on a delivery validated in chunks (kawal.ingest.stream): met when met on
    every chunk, its failures in row order. Whole-day expectations hold per chunk; the one that does
    not — ids unique — the stream checks over the whole day."""
    failed = [f for r in results for f in r.failed]
    return SuiteResult(all(r.success for r in results), max((r.evaluated for r in results), default=0), failed)


def build_data_docs() -> Path:
    """Render Data Docs into ``$KAWAL_HOME/gx-docs``: the pages of the validation results stored
    since the last build, and the index of them all. Rendering every result again on every run
    grows with history (a year: hundreds of pages a day, issue #21); a results list beside the
    pages (``.kawal-rendered.json``) says which are done. The first build, or one after the docs
    folder was removed, renders everything (the suites' pages too)."""
    done_file = data_docs_dir() / ".kawal-rendered.json"
    with gx_context() as ctx:
        keys = ctx.validation_results_store.list_keys()
        done = None
        if done_file.is_file() and (data_docs_dir() / "index.html").is_file():
            with contextlib.suppress(ValueError):
                done = set(json.loads(done_file.read_text(encoding="utf-8")))
        if done is None:
            ctx.build_data_docs()
        else:
            new = [k for k in keys if repr(k.to_tuple()) not in done]
            if new:
                ctx.build_data_docs(resource_identifiers=new)
        tmp = done_file.with_name(done_file.name + ".tmp")
        tmp.write_text(json.dumps(sorted(repr(k.to_tuple()) for k in keys)), encoding="utf-8")
        os.replace(tmp, done_file)
    index = data_docs_dir() / "index.html"
    log.info("Data Docs: %s", index)
    return index


def suites_on_disk() -> dict[str, Any]:
    """The committed suites as JSON (the test compares them with a fresh :func:`write_suites`)."""
    folder = gx_root() / "gx" / "expectations"
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))}
