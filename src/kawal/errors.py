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


class StoreConfigError(KawalError):
    """Kawal's store URL/connection is unusable."""
