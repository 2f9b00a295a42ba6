"""Test helper: hand-written rows as the frame ``read_source`` returns for a canonical source."""

from __future__ import annotations

import pandas as pd

from kawal.sources import SOURCES


def frame(source: str, rows: list[tuple]) -> pd.DataFrame:
    """A day file of ``source`` as ``read_source`` returns it: every column, numbers as float64, text as str.
    Rows may leave out the trailing optional columns (``calls``, ``short_abandon``, ``customer_ref``):
    their defaults fill in (an unknown-when-blank column: unknown)."""
    spec = SOURCES[source]
    names = list(spec.column_names)
    width = max((len(r) for r in rows), default=len(names))
    df = pd.DataFrame(rows, columns=names[:width])
    for col in spec.columns:
        if col.name not in df.columns:
            df[col.name] = float("nan") if col.unknown_when_blank and col.default == "" else col.default
    for col in spec.columns:
        df[col.name] = df[col.name].astype(str) if col.kind == "text" else df[col.name].astype("float64")
    return df
