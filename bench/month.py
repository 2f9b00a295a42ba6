"""The demo month through the daily pipeline's steps (no Airflow): the store the report benchmark renders.

``python -m bench.month LANDING YYYY-MM-01 STORE_URL``. The same steps as the daily DAG's tasks, in
one process; the register is loaded once (it is read-only here) so building the fixture takes
minutes less. Not measured: only the report rendered from it is.
"""

from __future__ import annotations

import sys
from datetime import date
from functools import cache
from pathlib import Path


def main(landing: Path, first: date, store_url: str) -> None:
    import kawal.pipeline.daily as daily
    from kawal.demo.sources import write_demo_month
    from kawal.errors import SourceFileError
    from kawal.periods import days_of_month
    from kawal.sources import SOURCES

    daily.load_register = cache(daily.load_register)  # type: ignore[method-assign]
    write_demo_month(first, landing, seed=42)
    for day in days_of_month(first):
        for source in SOURCES:
            try:
                batch = daily.ingest_source_day(source, day, landing=landing, store_url=store_url)
                daily.compute_source_kpis(batch.batch_id, landing=landing, store_url=store_url)
            except SourceFileError as exc:  # the demo's planted broken-data day: quarantined, as in the DAG
                print(f"  {day} {source}: {exc}", flush=True)
        daily.open_defects_for_day(day, store_url=store_url)


if __name__ == "__main__":
    main(Path(sys.argv[1]), date.fromisoformat(sys.argv[2]), sys.argv[3])
