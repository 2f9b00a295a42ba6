"""KPI formulas: pure functions from a source's canonical rows to (numerator, denominator)."""
