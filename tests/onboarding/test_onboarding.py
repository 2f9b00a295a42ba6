"""A new site onboards by configuration alone (issue #16): its exports, as a user brings them, go
from file to stored KPIs and a rendered monthly report through ``kawal import`` and
``kawal backfill`` — run as a user runs them (the ``kawal`` command, its own process, its own
embedded Airflow with real DAG runs). SCR is checked against an independent computation (the csv
module / plain arithmetic on the generator's rows), to 4 significant digits.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

from tests.conftest import REPO
from tests.onboarding.exports import (
    AGENCY_MAPPING,
    BANK_MAPPING,
    TRAINING_CALLS,
    TRAINING_RATINGS,
    agency_monthly_csv,
    agency_scr_by_hand,
    bank_month_tsv,
    bank_scr_by_hand,
    training_by_hand,
    training_quarter_rows,
    training_quarter_xlsx,
)

KAWAL = str(Path(sys.executable).with_name("kawal"))


def site(tmp: Path, sources: list[str], mappings: dict[str, str], history_starts: str = "") -> dict[str, str]:
    """A site's folders: a copy of the register with its own site.yaml, its mappings, its home."""
    rules = tmp / "kpi_rules"
    shutil.copytree(REPO / "kpi_rules", rules)
    text = (rules / "site.yaml").read_text(encoding="utf-8")
    head, rest = text.split("sources:\n", 1)
    rest = rest[rest.index("# The first business day") :]
    listed = "".join(f"  - {s}\n" for s in sources)
    (rules / "site.yaml").write_text(
        head.replace("Contact Center Pegadaian (demo)", "Bank Nusantara CC") + "sources:\n" + listed + rest,
        encoding="utf-8",
    )
    if history_starts:  # a site with older history: its own baseline revision, in force from then
        text = (rules / "site.yaml").read_text(encoding="utf-8")
        (rules / "site.yaml").write_text(
            text.replace("history_starts: 2026-01-01", f"history_starts: {history_starts}")
        )
        register = (rules / "register.yaml").read_text(encoding="utf-8")
        (rules / "register.yaml").write_text(
            register.replace("effective_from: 2026-01-01", f"effective_from: {history_starts}", 1)
        )
    (tmp / "mappings").mkdir()
    for name, body in mappings.items():
        (tmp / "mappings" / f"{name}.yaml").write_text(body, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "KAWAL_DB_URL", "KAWAL_LANDING"))}
    env.update(
        KAWAL_HOME=str(tmp / "var"),
        KAWAL_RULES_DIR=str(rules),
        KAWAL_MAPPINGS_DIR=str(tmp / "mappings"),
        KAWAL_PII_KEY="onboarding-test-key-long-enough",
    )
    return env


def kawal(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([KAWAL, *args], env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"kawal {' '.join(args)}: {done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def stored(env: dict[str, str], sql: str, *params: object) -> list[tuple]:
    with sqlite3.connect(Path(env["KAWAL_HOME"]) / "kawal.db") as db:
        return db.execute(sql, params).fetchall()


def month_components(env: dict[str, str], kpi: str, month: date) -> tuple[float, float]:
    ((num, den),) = stored(
        env,
        "SELECT numerator, denominator FROM kpi_value WHERE kpi_id=? AND period_type='month' AND scope='all' "
        "AND period_start=?",
        kpi,
        month.isoformat(),
    )
    return num, den


def four_digits(x: float) -> str:
    return f"{x:.4g}"


def report_text(pdf: Path) -> str:
    import pypdfium2

    doc = pypdfium2.PdfDocument(pdf)
    return "\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))


def test_a_bank_month_of_tab_separated_calls_on_an_interactions_only_site(tmp_path: Path) -> None:
    """Date and time in two columns (dd/mm/yy), an id unique only with site and date, IVR hang-ups to
    drop by a condition over two columns, blank waits — and a site that has only the ACD."""
    env = site(tmp_path, ["interactions"], {"bank": BANK_MAPPING})
    export = bank_month_tsv(tmp_path / "bank-2026-10.tsv", date(2026, 10, 1), date(2026, 10, 31), calls_per_day=40)

    out = kawal(env, "import", str(tmp_path / "mappings" / "bank.yaml"), str(export))
    assert "31 day file(s) for interactions (mapping bank), 2026-10-01 … 2026-10-31: 31 written" in out
    again = kawal(env, "import", str(tmp_path / "mappings" / "bank.yaml"), str(export))
    assert "31 unchanged" in again  # idempotent: the deliveries are records, never rewritten

    out = kawal(env, "backfill", "--from", "2026-10-01", "--to", "2026-10-31")
    assert "31 day(s) 2026-10-01 … 2026-10-31: 31 succeeded, 0 failed" in out  # green every day

    answered, denominator = bank_scr_by_hand(export)
    num, den = month_components(env, "scr", date(2026, 10, 1))
    assert (num, den) == (answered, denominator)
    assert four_digits(100 * num / den) == four_digits(100 * answered / denominator)
    # only the site's sources: no data incident, no value of another source's KPI
    assert stored(env, "SELECT count(*) FROM defect_ticket WHERE kind='data_incident'") == [(0,)]
    assert {k for (k,) in stored(env, "SELECT DISTINCT kpi_id FROM kpi_value")} == {"scr", "rt", "aht"}
    assert stored(env, "SELECT count(*) FROM notification WHERE state NOT IN ('held')") == [(0,)]  # PICs not mailed

    pdf = Path(env["KAWAL_HOME"]) / "reports" / "2026-10" / "draf-laporan-kpi-2026-10-id.pdf"
    assert f"report 2026-10: {pdf}" in out
    text = report_text(pdf)
    assert "Bank Nusantara CC" in text and "Success Call Ratio" in text
    assert "Kategori: Performance" in text and "Kategori: Quality" not in text  # only its KPIs' sections
    assert "/ 3 KPI tercapai" in text
    # the KPIs of the sources it lacks are named once, as not applicable: 14 always-on + csat_mean (opt-in)
    assert "Tidak berlaku di situs ini (15)" in text


def test_a_quarter_workbook_feeds_calls_and_ratings_from_the_same_rows(tmp_path: Path) -> None:
    """A typed xlsx of a quarter: abandoned calls have blank waits, ratings sit on the call rows. Two
    mappings read one landing folder; the quarter is imported, its last month backfilled."""
    env = site(
        tmp_path,
        ["interactions", "csi_responses"],
        {"training-calls": TRAINING_CALLS, "training-ratings": TRAINING_RATINGS},
    )
    rows = training_quarter_rows(date(2026, 7, 1), date(2026, 9, 30))
    export = training_quarter_xlsx(tmp_path / "training-q3.xlsx", rows)

    out = kawal(env, "import", str(tmp_path / "mappings" / "training-calls.yaml"), str(export))
    assert "92 day file(s) for interactions (mapping training-calls), 2026-07-01 … 2026-09-30: 92 written" in out

    out = kawal(env, "backfill", "--from", "2026-09-01", "--to", "2026-09-30")
    assert "30 day(s) 2026-09-01 … 2026-09-30: 30 succeeded, 0 failed" in out

    expected = training_by_hand(rows, date(2026, 9, 1), date(2026, 9, 30))
    for kpi in ("scr", "csi"):
        num, den = month_components(env, kpi, date(2026, 9, 1))
        assert (num, den) == expected[kpi], kpi
        assert four_digits(num / den) == four_digits(expected[kpi][0] / expected[kpi][1]), kpi
    # every abandon counted (their waits are unknown): SCR is below 100 %
    assert month_components(env, "scr", date(2026, 9, 1))[0] < month_components(env, "scr", date(2026, 9, 1))[1]
    assert (Path(env["KAWAL_HOME"]) / "reports" / "2026-09" / "draf-laporan-kpi-2026-09-id.pdf").is_file()


def test_a_range_the_dag_would_not_run_is_refused_with_why(tmp_path: Path) -> None:
    env = site(tmp_path, ["interactions"], {"bank": BANK_MAPPING})
    done = subprocess.run(
        [KAWAL, "backfill", "--from", "2025-12-30", "--to", "2026-01-02"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 2
    assert "2025-12-30 is before the site's history_starts (2026-01-01, kpi_rules/site.yaml)" in done.stderr
    assert "Traceback" not in done.stderr
    done = subprocess.run(
        [KAWAL, "backfill", "--from", "2026-11-20", "--to", "2026-12-01"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 2 and "--to 2026-12-01: the day has not ended yet" in done.stderr


def test_a_multi_year_monthly_aggregate_table_with_inconsistent_months(tmp_path: Path) -> None:
    """26 months of a public agency's statistics (one row a month, its own published abandonment
    rate); two months' rates disagree with their counts. Imported whole; its last two months
    backfilled: January judged as a month, February's delivery flagged with both figures."""
    env = site(tmp_path, ["interactions"], {"agency": AGENCY_MAPPING}, history_starts="2024-01-01")
    months = [(2024 + (m // 12), m % 12 + 1) for m in range(26)]  # 2024-01 … 2026-02
    export = agency_monthly_csv(tmp_path / "agency.csv", months, wrong={(2025, 6), (2026, 2)})

    out = kawal(env, "import", str(tmp_path / "mappings" / "agency.yaml"), str(export))
    assert "26 day file(s) for interactions (mapping agency), 2024-01-31 … 2026-02-28: 26 written" in out
    # both inconsistent months are flagged at import, with the figures the data incident will give
    assert "2 delivery(ies) the daily DAG will refuse (quarantine, data incident): 2025-06-30, 2026-02-28" in out
    assert "FLAGGED 2025-06-30: row 2 (period 2025-06): the export's abandon_rate" in out

    done = subprocess.run(
        [KAWAL, "backfill", "--from", "2026-01-01", "--to", "2026-02-28"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 1, done.stdout + done.stderr  # February's delivery is refused: the run says so
    assert "59 day(s) 2026-01-01 … 2026-02-28: 58 succeeded, 1 failed" in done.stdout
    assert "2026-02-28 failed: compute_interactions, confirm_sources_loaded, ingest_interactions" in done.stdout

    answered, offered = agency_scr_by_hand(export, "2026-01")
    assert month_components(env, "scr", date(2026, 1, 1)) == (answered, offered)
    assert four_digits(100 * answered / offered) == four_digits(
        100 * month_components(env, "scr", date(2026, 1, 1))[0] / offered
    )
    ((status, final),) = stored(
        env,
        "SELECT evaluation, final FROM kpi_value WHERE kpi_id='scr' AND period_type='month' AND scope='all' "
        "AND period_start='2026-01-01'",
    )
    assert final == 1 and status in ("met", "at_risk", "breach")  # judged: the month is complete
    # never judged as a day (its day row holds the month's totals)
    assert stored(env, "SELECT DISTINCT evaluation FROM kpi_value WHERE period_type='day'") == [("not_evaluable",)]
    ((incident,),) = stored(env, "SELECT count(*) FROM defect_ticket WHERE kind='data_incident'")
    assert incident == 1
    (reason,) = stored(env, "SELECT reason FROM ingestion_batch WHERE state='quarantined'")[0]
    assert "period 2026-02)" in reason and "abandon_rate" in reason and "disagrees with its own counts" in reason
    text = report_text(Path(env["KAWAL_HOME"]) / "reports" / "2026-01" / "draf-laporan-kpi-2026-01-id.pdf")
    assert "Data bulan ini lengkap untuk semua sumber" in text  # the one monthly delivery covers January
