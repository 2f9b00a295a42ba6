"""The runtime install (issue #19): what the image installs, exercised here by the same commands.

There is no Docker engine on these machines, so the Dockerfile's install step is a script
(``stack/install-runtime.sh``) that the Dockerfile runs on the slim Airflow image and this module runs
in a clean virtualenv. That virtualenv must hold no test or demo tool, pass ``pip check``, and run the
real daily DAG for a demo day from its own ``kawal`` (installed from the checkout, not editable).
"""

from __future__ import annotations

import csv
import os
import re
import sqlite3
import subprocess
import tomllib
import venv
from datetime import date
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.airflow

#: What the runtime image must not carry (the issue's list, and the rest of the dev and demo extras).
DEV_ONLY = ("pytest", "playwright", "ruff", "hypothesis", "aiosmtpd", "pyinstrument", "pytest-xdist", "import-linter")
DAY = date(2026, 10, 1)
INSTALLER_SETTINGS = ("PIP_", "UV_", "SSL_CERT_", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


def _pins(lock: Path) -> dict[str, str]:
    pins = {}
    for line in lock.read_text().splitlines():
        if m := re.match(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s;]+)", line):
            pins[m.group(1).lower().replace("_", "-")] = m.group(2)
    return pins


def _name(requirement: str) -> str:
    return re.split(r"[\[=<>!~; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_the_runtime_lock_is_the_dev_lock_without_its_extras() -> None:
    runtime, dev = _pins(REPO / "requirements.lock"), _pins(REPO / "requirements-dev.lock")
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert {_name(r) for r in project["dependencies"]} <= set(runtime)  # every declared runtime dependency
    assert {n: v for n, v in runtime.items() if dev.get(n) != v} == {}  # one resolution: same versions
    extras = {_name(r) for extra in ("dev", "demo") for r in project["optional-dependencies"][extra]}
    assert set(DEV_ONLY) <= extras <= set(dev)
    assert sorted(set(DEV_ONLY) & set(runtime)) == []


def _demo_scr(path: Path) -> float:
    """SCR of a demo interactions file with the csv module (the register's rule: answered over
    offered, abandons shorter than 5 s not offered)."""
    answered = offered = 0
    with path.open(newline="") as fh:
        for r in csv.DictReader(fh):
            answered += r["outcome"] == "answered"
            offered += not (r["outcome"] == "abandoned" and float(r["wait_s"]) < 5)
    return 100 * answered / offered


def _fonts_of_page_1(pdf: Path) -> set[str]:
    """The fonts page 1's characters are drawn in, read back by PDFium (subset names: ``ABCDEF+Name``)."""
    import ctypes

    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    text = pdfium.PdfDocument(pdf)[0].get_textpage()
    names = set()
    for i in range(text.count_chars()):
        buf = ctypes.create_string_buffer(128)
        raw.FPDFText_GetFontInfo(text, i, buf, 128, ctypes.byref(ctypes.c_int()))
        names.add(buf.value.decode())
    return names


def test_a_clean_runtime_virtualenv_runs_the_daily_dag(tmp_path: Path) -> None:
    env_dir = tmp_path / "runtime"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    clean = {"PATH": f"{env_dir / 'bin'}:/usr/bin:/bin", "HOME": os.environ.get("HOME", "/root")}
    # The installer keeps the machine's package-index settings (index, certificates, proxy), as a
    # build's network would; nothing of the dev virtualenv.
    network = {k: v for k, v in os.environ.items() if k.startswith(INSTALLER_SETTINGS) or k.lower().endswith("_proxy")}
    install = subprocess.run(
        ["bash", str(REPO / "stack" / "install-runtime.sh"), str(python), str(REPO)],
        env={**clean, **network},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    assert "No broken requirements found." in install.stdout  # pip check, the Dockerfile's last step

    listed = subprocess.run(
        [str(python), "-m", "pip", "list", "--format=freeze", "--disable-pip-version-check"],
        env=clean,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    installed = {_name(line) for line in listed.splitlines() if "==" in line}
    assert {"apache-airflow", "kawal", "duckdb", "weasyprint", "great-expectations"} <= installed
    assert sorted(set(DEV_ONLY) & installed) == [], "a dev or demo tool is in the runtime install"
    print(f"\nruntime virtualenv: {len(installed)} distributions, none of {', '.join(DEV_ONLY)}")

    home = tmp_path / "home"
    site = {
        **clean,
        "KAWAL_HOME": str(home),
        "KAWAL_RULES_DIR": str(REPO / "kpi_rules"),
        "KAWAL_MAPPINGS_DIR": str(REPO / "mappings"),
        "KAWAL_GX_DIR": str(REPO / "great_expectations"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        # an empty plugins folder: the board must come from the installed package's entry point
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(tmp_path / "no-plugins"),
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "GX_ANALYTICS_ENABLED": "false",
    }
    kawal = str(env_dir / "bin" / "kawal")
    origin = subprocess.run(
        [str(python), "-c", "import kawal; print(kawal.__file__)"], env=site, capture_output=True, text=True
    )
    assert str(env_dir) in origin.stdout, origin.stdout  # installed, not the editable checkout
    subprocess.run(
        [kawal, "demo-data", "--month", f"{DAY:%Y-%m}", "--out", str(home / "landing"), "--calls-per-day", "300"],
        env=site,
        capture_output=True,
        check=True,
        timeout=300,
    )
    run = subprocess.run(
        [kawal, "backfill", "--from", str(DAY), "--to", str(DAY)],
        env=site,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    assert "1 succeeded, 0 failed" in run.stdout

    interactions = home / "landing" / "interactions" / f"interactions_{DAY:%Y-%m-%d}.csv"
    with sqlite3.connect(home / "kawal.db") as db:
        (stored,) = db.execute(
            "SELECT value FROM kpi_value WHERE kpi_id='scr' AND scope='all' AND period_type='day' AND period_start=?",
            (DAY.isoformat(),),
        ).fetchone()
    assert stored == pytest.approx(_demo_scr(interactions))

    # Package data (issue #19): the report renders from the installed wheel's templates, CSS and fonts,
    # with no KAWAL_REPORTS_DIR, and reads back with the month and the day's SCR in it.
    pdf = tmp_path / "out" / "report.pdf"
    render = subprocess.run(
        [kawal, "report", "render", f"{DAY:%Y-%m}", "--out", str(pdf)], env=site, capture_output=True, text=True
    )
    assert render.returncode == 0, (render.stdout + render.stderr)[-3000:]
    assert any(name.endswith("+Kawal-Sans") for name in _fonts_of_page_1(pdf)), "the shipped font is not used"

    # The board is Airflow's plugin through the `airflow.plugins` entry point, with no plugins folder.
    (tmp_path / "no-plugins").mkdir()
    plugins = subprocess.run(
        [str(env_dir / "bin" / "airflow"), "plugins", "--output", "json"],
        env=site,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert plugins.returncode == 0, (plugins.stdout + plugins.stderr)[-3000:]
    assert '"kawal_board"' in plugins.stdout, plugins.stdout[-2000:]
