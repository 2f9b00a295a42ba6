"""The thin edge between Kawal's steps and Airflow's task runtime."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from kawal.errors import ExportAwaited, KawalError


@contextmanager
def fail_fast_on_user_error() -> Iterator[None]:
    """A user mistake (bad or missing input) fails the task at once, with its one-line message.

    Retrying cannot fix a malformed export, so it becomes ``AirflowFailException`` (no retries);
    any other exception keeps Airflow's retries, which are meant for transient faults. An export not
    in yet before its cut-off becomes ``AirflowRescheduleException``: the task is checked again later
    (kawal.pipeline.lateness).
    """
    try:
        yield
    except ExportAwaited as wait:  # an export not in yet, before its cut-off: re-check, like a sensor (#19)
        from airflow.sdk.exceptions import AirflowRescheduleException

        raise AirflowRescheduleException(wait.recheck_at) from None
    except KawalError as exc:
        from airflow.sdk.exceptions import AirflowFailException

        raise AirflowFailException(str(exc)) from None
