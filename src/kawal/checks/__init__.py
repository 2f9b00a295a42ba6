"""Checks of a delivery: the Great Expectations suite of its source and the cross-delivery checks."""
