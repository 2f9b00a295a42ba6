"""Hypothesis profiles: the same examples on every CI run, fresh ones in ``make fuzz``.

A property test that draws new random examples on every run can turn the same commit red on one run
and green on the next; then a red CI no longer means "this commit broke something" (issue: CI that
can be trusted). So:

- ``ci`` (selected when ``CI=true``): derandomized — examples derive from the test's own code, so the
  same commit draws the same examples on every machine and every run — and no example database, so
  nothing a previous run found changes what this run draws.
- ``dev`` (the default elsewhere): like ``ci``, so a developer's ``make test`` gives CI's verdict.
- ``fuzz`` (``make fuzz``): fresh randomness, ten times the budget, and the local example database
  (``.hypothesis/``) so a failure found once replays until fixed. What it finds becomes an explicit
  ``@example`` on the test, and a fix, so the deterministic run keeps it for good.

Each test states its budget with :func:`budget` (the number of examples in ``ci``/``dev``); the
profile scales it. ``HYPOTHESIS_PROFILE`` overrides the choice.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

#: how many times a test's stated budget the fuzz profile draws
FUZZ_FACTOR = 10

settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True)
settings.register_profile("dev", derandomize=True, database=None, deadline=None, print_blob=True)
settings.register_profile("fuzz", derandomize=False, deadline=None, print_blob=True)

PROFILE = os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
if PROFILE not in ("ci", "dev", "fuzz"):
    raise RuntimeError(f"HYPOTHESIS_PROFILE={PROFILE!r}: expected ci, dev or fuzz")
settings.load_profile(PROFILE)


def budget(examples: int, *, all_health_checks_off: bool = False, slow_ok: bool = False) -> settings:
    """Settings for one property test: ``examples`` draws (×:data:`FUZZ_FACTOR` under ``fuzz``)."""
    suppressed: list[HealthCheck] = []
    if all_health_checks_off:
        suppressed = list(HealthCheck)
    elif slow_ok:
        suppressed = [HealthCheck.too_slow, HealthCheck.data_too_large]
    n = examples * FUZZ_FACTOR if PROFILE == "fuzz" else examples
    return settings(max_examples=n, suppress_health_check=suppressed)
