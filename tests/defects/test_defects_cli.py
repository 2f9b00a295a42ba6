"""Walking one ticket through the CLI as the people of kpi_rules/people.yaml would."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from kawal.cli import main
from kawal.store import engine_for
from tests.defects.test_defects import open_for, scr_day, store_days

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def cli_env(store_url: str, mail_sink, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("KAWAL_DB_URL", store_url)
    monkeypatch.setenv("KAWAL_RULES_DIR", str(REPO / "kpi_rules"))
    engine = engine_for(store_url)
    open_for(engine, [scr_day(date(2026, 10, 13), 86.6, "breach")], date(2026, 10, 14))
    return engine, mail_sink


def kawal(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args))


def test_walk_analyse_decide_verify_close(cli_env) -> None:  # type: ignore[no-untyped-def]
    engine, sink = cli_env
    listed = json.loads(kawal("defects", "list", "--format", "json").output)
    assert [(t["subject"], t["state"], t["occurrences"]) for t in listed] == [("scr", "open", 1)]
    tid = str(listed[0]["id"])

    wrong = kawal("defects", "analyse", tid, "--as", "pic_quality", "--root-cause", "x", "--recommendation", "y")
    assert wrong.exit_code == 2
    assert wrong.output.strip().splitlines() == [
        f"kawal: refused: Sari Dewi (pic_quality) may not analyse ticket #{tid} (scr); "
        "only its PIC Budi Santoso (pic_performance) may"
    ]

    steps = [
        (
            "analyse",
            tid,
            "--as",
            "pic_performance",
            "--root-cause",
            "Agen shift siang kurang",
            "--coordinated-with",
            "TL voice",
            "--recommendation",
            "Tambah 6 agen",
        ),
        (
            "decide",
            tid,
            "--as",
            "om",
            "--action",
            "Tambah 6 agen shift siang|tl_voice|2099-01-31",
            "--preventive",
            "Review forecast mingguan|pic_wfm|2099-02-28",
            "--on",
            "2026-10-15",  # October replayed: the plan was decided then (the event keeps when it was typed)
        ),
        ("verify", tid, "--as", "pic_performance", "--done-on", "2026-10-17", "--note", "6 agen masuk"),
    ]
    for args in steps:
        result = kawal("defects", *args)
        assert result.exit_code == 0, result.output
    assert "sekarang pemantauan" in result.output  # the site's language by default (#18)

    refused = kawal("defects", "close", tid, "--as", "om")
    assert refused.exit_code == 2 and "on target for 0 of the 3" in refused.output
    store_days(engine, [scr_day(date(2026, 10, d), 97.0, "met") for d in (17, 18, 19)])
    closed = kawal("defects", "close", tid, "--as", "om", "--note", "efektif")
    assert closed.exit_code == 0, closed.output
    assert f"tiket #{tid} sekarang ditutup" in closed.output

    shown = kawal("defects", "show", tid).output
    for text in ("Agen shift siang kurang", "[kuratif]", "tl_voice", "ditutup", "pemantauan sejak 2026-10-17"):
        assert text in shown
    # --lang en (or KAWAL_LANG=en): the same ticket in English, states and kinds by their label, never the id
    english = kawal("defects", "show", tid, "--lang", "en").output
    for text in (f"Ticket #{tid} · KPI defect · Success Call Ratio", "[curative]", "recovery plan decided → monitoring",
                 "monitored since 2026-10-17", "  history:"):  # fmt: skip
        assert text in english, english
    for text in ("plan_decided", "kpi_defect", "kejadian", "riwayat"):
        assert text not in english, text
    listed_en = CliRunner(env={"KAWAL_LANG": "en"}).invoke(main, ["defects", "list", "--all"]).output
    assert "kind" in listed_en.splitlines()[0] and "closed" in listed_en and "Success Call Ratio" in listed_en
    subjects = [m["Subject"] for m in sink.messages()]
    assert any("menunggu keputusan recovery plan" in s for s in subjects)
    assert any("Recovery plan tiket" in s for s in subjects)
    assert any(f"Tiket #{tid} (Success Call Ratio) ditutup" in s for s in subjects)
    assert json.loads(kawal("defects", "list", "--format", "json").output) == []


def test_bad_plan_and_dates_are_one_line(cli_env) -> None:  # type: ignore[no-untyped-def]
    result = kawal("defects", "decide", "1", "--as", "om", "--action", "tanpa pemilik")
    assert result.exit_code == 2
    assert "expected 'description|owner|YYYY-MM-DD'" in result.output and "Traceback" not in result.output
    result = kawal("defects", "show", "999")
    assert result.exit_code == 2 and "ticket #999 does not exist" in result.output
