"""GX's pandas engine hashes every cell of a batch for its fingerprint; Kawal gives it the
delivery's SHA-256 instead (kawal.checks.suites.delivery_fingerprint, issue #21). These tests fail
if a GX upgrade moves that mechanism — the hash would silently come back, or the fingerprint go."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from kawal.checks.suites import validate_delivery
from kawal.settings import kawal_home
from tests.frames import frame

ROWS = [("fp-1", "voice", "gadai", "2026-10-01T09:00:00+07:00", "answered", 10, 100, 0, 0)]


def stored_results_with(fingerprint: str) -> list[dict]:
    out = []
    for path in (kawal_home() / "gx" / "validations" / "interactions").rglob("*.json"):
        result = json.loads(path.read_text(encoding="utf-8"))
        if result["meta"].get("batch_markers", {}).get("pandas_data_fingerprint") == fingerprint:
            out.append(result)
    return out


def test_the_validation_result_is_fingerprinted_by_the_delivery_checksum(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("GX hashed the frame's cells for its fingerprint")

    monkeypatch.setattr(pd.util, "hash_pandas_object", refuse)
    checksum = "f1" * 32
    result = validate_delivery("interactions", frame("interactions", ROWS), checksum)
    assert result.success
    (stored,) = stored_results_with(checksum)
    assert stored["success"] is True


def test_gx_still_fingerprints_a_batch_through_the_hook_kawal_replaces() -> None:
    from great_expectations.execution_engine import pandas_execution_engine as engine

    # the hook exists and, left alone, is GX's cell hash (what delivery_fingerprint replaces)
    df = pd.DataFrame({"a": [1, 2]})
    assert engine.hash_pandas_dataframe(df) == engine.hash_pandas_dataframe(df.copy())
    assert engine.hash_pandas_dataframe(df) != engine.hash_pandas_dataframe(pd.DataFrame({"a": [1, 3]}))
    validate_delivery("interactions", frame("interactions", ROWS), "e2" * 32)
    assert engine.hash_pandas_dataframe(df) != "e2" * 32  # restored after the validation
