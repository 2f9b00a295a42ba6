"""A task process for the crash and concurrency scenarios, run as ``python -m tests.reliability.worker``.

It runs the daily DAG's task bodies (the functions the DAG's tasks call, ``kawal.pipeline.daily``)
for one day, in its own process, with the store and landing folder from the environment:

- ``day DATE BARRIER [SOURCE ...]``: the whole day — every source (or those named) ingested and
  computed, then defects and notifications — after waiting for the file BARRIER to exist (two
  workers start at the same moment).
- ``stall-before-commit SOURCE DATE MARKER``: ingest and compute SOURCE but stop inside compute's
  transaction, after its rows were written and before COMMIT; write MARKER and wait to be killed.
- ``stall-after-smtp MARKER``: deliver the outbox, stop after the SMTP server accepted the mails and
  before they are recorded as sent; write MARKER and wait to be killed.
- ``stall-before-smtp MARKER``: deliver the outbox, stop after the messages were claimed and before
  anything was sent; write MARKER and wait to be killed.
"""

from __future__ import annotations

import sys
import time
from datetime import date
from pathlib import Path


def run_day(day: date, sources: tuple[str, ...] | None = None) -> list[str]:
    """The daily DAG's tasks for ``day`` in DAG order (every source unless ``sources`` names some); a
    failed task is noted and the run goes on, as in the DAG."""
    from kawal.errors import KawalError
    from kawal.pipeline.daily import compute_source_kpis, ingest_source_day, open_defects_for_day, send_notifications
    from kawal.sources import SOURCES

    failed = []
    for source in sources or tuple(SOURCES):
        try:
            compute_source_kpis(ingest_source_day(source, day).batch_id)
        except KawalError as exc:
            failed.append(f"{source}: {exc}")  # the DAG's ingest/compute task fails; the other sources go on
    open_defects_for_day(day)
    send_notifications()
    return failed


def _stall(marker: Path) -> None:
    marker.write_text("stalled")
    while True:  # until SIGKILL
        time.sleep(1)


def main(argv: list[str]) -> None:
    mode = argv[0]
    if mode == "day":
        if len(argv) > 2:
            barrier = Path(argv[2])
            while not barrier.exists():
                time.sleep(0.01)
        failed = run_day(date.fromisoformat(argv[1]), tuple(argv[3:]) or None)
        if failed:
            raise SystemExit("; ".join(failed))
    elif mode == "stall-before-commit":
        from sqlalchemy import event
        from sqlalchemy.orm import Session

        from kawal.pipeline.daily import compute_source_kpis, ingest_source_day

        source, day, marker = argv[1], date.fromisoformat(argv[2]), Path(argv[3])
        batch_id = ingest_source_day(source, day).batch_id

        @event.listens_for(Session, "before_commit")
        def _killed_here(session: Session) -> None:
            session.flush()  # every row of the transaction is written, none committed
            _stall(marker)

        compute_source_kpis(batch_id)
    elif mode in ("stall-after-smtp", "stall-before-smtp"):
        import kawal.notify.outbox as outbox
        from kawal.register import load_register
        from kawal.store import engine_for

        marker = Path(argv[1])
        real_send = outbox._smtp_send

        def send_then_stall(conn_id, messages):  # type: ignore[no-untyped-def]
            if mode == "stall-after-smtp":
                real_send(conn_id, messages)
            _stall(marker)

        outbox._smtp_send = send_then_stall
        outbox.deliver_pending(engine_for(), load_register())
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
