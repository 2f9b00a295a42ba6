"""Test helper: hand-written rows as the frame ``read_source`` returns for a canonical source."""

from __future__ import annotations

import pandas as pd

from kawal.ingest.sources import SOURCES


def frame(source: str, rows: list[tuple]) -> pd.DataFrame:
    """A day file of ``source`` as ``read_source`` returns it: every column, numbers as float64, text as str."""
    spec = SOURCES[source]
    df = pd.DataFrame(rows, columns=list(spec.column_names))
    for col in spec.columns:
        df[col.name] = df[col.name].astype(str) if col.kind == "text" else df[col.name].astype("float64")
    return df
