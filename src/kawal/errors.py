"""Errors a user can cause and fix: each carries one line that names the file/entry and the problem.

The CLI prints ``str(error)`` on one line (no traceback); an Airflow task lets it propagate so the
task fails with that same line as its error.
"""


class KawalError(Exception):
    """A user-facing problem: bad input, missing data, bad configuration."""


class SourceFileError(KawalError):
    """A landing file is missing, empty, unreadable or lacks the columns its source requires."""

    def __init__(self, path: object, problem: str) -> None:
        from kawal.redaction import scrub

        self.path = str(path)
        # the final guard (kawal.redaction): this line is printed, logged, stored and mailed
        self.problem = scrub(problem)
        super().__init__(f"{self.path}: {self.problem}")


class NotDelivered(SourceFileError):
    """The day's export is not in the landing folder: waited for until the source's cut-off, then a
    data incident (kawal.pipeline.lateness, issue #19)."""


class ExportAwaited(Exception):
    """The day's export is not in yet and its cut-off (kpi_rules/site.yaml ``export_cutoff``) has not
    passed: not a failure, the ingest task is re-checked at ``recheck_at`` (Airflow's reschedule)."""

    def __init__(self, source: str, day: object, recheck_at: object, cutoff: object) -> None:
        self.source, self.day, self.recheck_at, self.cutoff = source, day, recheck_at, cutoff
        super().__init__(f"no {source} file for {day} yet: waiting until {cutoff} (next check {recheck_at})")


class StoreConfigError(KawalError):
    """Kawal's store URL/connection is unusable."""
