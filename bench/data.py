"""A fast seeded writer of one day's interactions export, in the layout of ``kawal.demo.interactions``.

The demo generator builds every row in Python (a ``datetime`` per call): fine for 4,000 calls a
day, minutes for 1,000,000. This writer draws the same model (channel shares, two-peak arrival
curve, waits growing with occupancy, patience-driven abandonment, log-normal handling) with numpy
and writes it with pyarrow, in chunks of consecutive arrivals, so 10,000,000 rows need no more
memory than 1,000,000. Same seed, day and rows → byte-identical file.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np

from kawal.demo.interactions import CHANNELS, COLUMNS, NORMAL_DAY
from kawal.ingest.delivery import day_file

CHUNK_ROWS = 1_000_000


def _arrival_seconds(rng: np.random.Generator, n: int) -> np.ndarray:
    """Whole seconds after midnight WIB, sorted: peaks around 10:00 and 14:30 over a 24-hour floor."""
    component = rng.choice(3, size=n, p=[0.45, 0.43, 0.12])
    hours = np.where(
        component == 0,
        rng.normal(10.0, 1.6, n),
        np.where(component == 1, rng.normal(14.5, 2.0, n), rng.uniform(0, 24, n)),
    )
    # the day's last arrivals must reach 20:00 WIB, or the freshness check calls the export cut off
    hours[-1] = 23.5
    return np.sort(np.clip(hours, 0, 23.9997) * 3600.0).round().astype(np.int64)


def write_interactions_day(landing: Path, day: date, rows: int, *, seed: int = 42) -> Path:
    """Write ``landing/interactions/interactions_<day>.csv`` with ``rows`` interactions; returns its path."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    rng = np.random.default_rng([seed, day.toordinal(), rows])
    arrived = _arrival_seconds(rng, rows)
    channel_of = rng.choice(len(CHANNELS), size=rows, p=[c.share for c in CHANNELS]).astype(np.int8)
    occupancy, base_wait, _talk = NORMAL_DAY
    patience_mean = np.array([c.patience_mean_s for c in CHANNELS])
    talk_median = np.array([c.talk_median_s for c in CHANNELS])
    hold_share = np.array([c.hold_share for c in CHANNELS])
    acw_median = np.array([c.acw_median_s for c in CHANNELS])
    queues = sorted({(c.name, q) for c in CHANNELS for q in c.queues})
    queue_names = pa.array([q for _c, q in queues])
    queue_choices = [np.array([i for i, (c, _q) in enumerate(queues) if c == ch.name]) for ch in CHANNELS]
    channel_names = pa.array([c.name for c in CHANNELS])
    midnight = np.datetime64(day.isoformat(), "s")
    stamp = "%Y-%m-%dT%H:%M:%S+07:00"  # whole seconds in WIB, as datetime.isoformat() writes them

    path = day_file(landing, "interactions", day)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".csv.part")
    schema = pa.schema([(name, pa.string()) for name in COLUMNS])
    options = pacsv.WriteOptions(include_header=False, quoting_style="none")
    with tmp.open("wb") as fh, pacsv.CSVWriter(fh, schema, write_options=options) as writer:
        fh.write((",".join(COLUMNS) + "\n").encode())  # pyarrow would quote the header's names
        fh.flush()
        for start in range(0, rows, CHUNK_ROWS):
            stop = min(rows, start + CHUNK_ROWS)
            n = stop - start
            ch = channel_of[start:stop]
            rho = np.clip(rng.normal(occupancy, 0.02, n), 0.3, 0.985)
            wait_if_served = rng.exponential(base_wait * rho / (1 - rho))
            patience = rng.exponential(patience_mean[ch])
            instant = rng.random(n) < 0.015  # misdials and instant hang-ups: the "short abandons"
            patience[instant] = rng.uniform(0, 4.5, int(instant.sum()))
            abandoned = patience < wait_if_served
            wait = np.where(abandoned, patience, wait_if_served).round().astype(np.int64)
            talk = np.where(abandoned, 0, rng.lognormal(np.log(talk_median[ch]), 0.55)).round().astype(np.int64)
            held = rng.random(n) < hold_share[ch]
            hold = np.where(held & ~abandoned, rng.lognormal(np.log(45), 0.6, n), 0).round().astype(np.int64)
            acw = np.where(abandoned, 0, rng.lognormal(np.log(acw_median[ch]), 0.5)).round().astype(np.int64)
            queue = np.empty(n, dtype=np.int32)
            for i, choices in enumerate(queue_choices):
                mine = ch == i
                queue[mine] = rng.choice(choices, size=int(mine.sum()))
            agent = rng.integers(1, 121, n)
            phone = rng.integers(10**9, 10**10, n)

            def stamps(seconds: np.ndarray) -> pa.Array:
                return pc.strftime(pa.array(midnight + seconds.astype("timedelta64[s]")), format=stamp)

            t0 = arrived[start:stop]
            empty = pa.scalar("", pa.string())
            ids = pc.binary_join_element_wise(
                f"{day:%Y%m%d}", pc.utf8_lpad(pa.array(np.arange(start + 1, stop + 1)).cast(pa.string()), 6, "0"), "-"
            )
            answered_at = pc.if_else(pa.array(abandoned), empty, stamps(t0 + wait))
            agent_id = pc.if_else(
                pa.array(abandoned),
                empty,
                pc.binary_join_element_wise("AG", pc.utf8_lpad(pa.array(agent).cast(pa.string()), 3, "0"), ""),
            )
            batch = pa.record_batch(
                [
                    ids,
                    pa.DictionaryArray.from_arrays(pa.array(ch), channel_names).cast(pa.string()),
                    pa.DictionaryArray.from_arrays(pa.array(queue), queue_names).cast(pa.string()),
                    stamps(t0),
                    answered_at,
                    stamps(t0 + wait + talk + hold),
                    pc.if_else(pa.array(abandoned), "abandoned", "answered"),
                    pa.array(wait).cast(pa.string()),
                    pa.array(talk).cast(pa.string()),
                    pa.array(hold).cast(pa.string()),
                    pa.array(acw).cast(pa.string()),
                    agent_id,
                    pc.binary_join_element_wise("08", pa.array(phone).cast(pa.string()), ""),
                ],
                schema=schema,
            )
            writer.write_batch(batch)
    tmp.replace(path)  # a reader never sees half a file
    return path
