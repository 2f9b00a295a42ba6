"""What the board's pages show and who may act, without a browser: on SQLite and PostgreSQL.
Expected figures are computed here from the seed's raw counts, not read back from Kawal."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from starlette.requests import Request

from kawal.register import load_register
from kawal.store import engine_for, session_scope
from kawal.store.models import DefectTicket
from kawal.web import auth, views
from tests.web.seed import CSI, SCR, seed_store

REPO = Path(__file__).resolve().parents[2]
REGISTER = load_register(REPO / "kpi_rules")
OCTOBER = date(2026, 10, 1)


def _pct(series: list[tuple[int, int]], decimal: str) -> str:
    return f"{100 * sum(n for n, _ in series) / sum(d for _, d in series):.1f}".replace(".", decimal)


def test_board_month_values_status_and_days_breached(store_url: str) -> None:
    seed_store(store_url, REGISTER)
    engine = engine_for(store_url)
    data = views.board(engine, REGISTER, OCTOBER, "id", "id_ID")
    rows = {r["kpi"].id: r for c in data["categories"] for r in c["rows"]}
    assert len(rows) == len(REGISTER.kpis)  # every KPI of the register has its row, with data or not
    assert rows["scr"]["actual"] == _pct(SCR, ",") and rows["csi"]["actual"] == _pct(CSI, ",")
    assert (rows["scr"]["status"], rows["csi"]["status"]) == ("met", "met")
    assert rows["scr"]["days_breached"] == sum(100 * n / d < 95 for n, d in SCR) == 2
    assert rows["csi"]["days_breached"] == sum(100 * n / d < 90 for n, d in CSI) == 1
    assert rows["scr"]["target"] == "≥ 95,0"
    assert rows["aht"]["actual"] == "—" and rows["aht"]["status"] == "not_evaluable"
    assert rows["scr"]["trend"]["path"].count("L") == len(SCR) - 1  # one segment per following day
    assert data["categories"][0]["category"].value == "performance"
    english = views.board(engine, REGISTER, OCTOBER, "en", "en_GB")
    assert {r["kpi"].id: r for c in english["categories"] for r in c["rows"]}["scr"]["actual"] == _pct(SCR, ".")


def test_default_month_falls_back_to_the_latest_with_data_but_an_asked_month_does_not(store_url: str) -> None:
    seed_store(store_url, REGISTER)
    engine = engine_for(store_url)
    november = date(2026, 11, 1)
    assert views.choose_month(engine, november, explicit=False) == views.MonthChoice(OCTOBER, november, True)
    assert views.choose_month(engine, november, explicit=True) == views.MonthChoice(november, november, False)
    assert views.choose_month(engine, OCTOBER, explicit=False) == views.MonthChoice(OCTOBER, OCTOBER, False)


def test_only_the_lifecycle_roles_get_forms(store_url: str) -> None:
    ids = seed_store(store_url, REGISTER)
    with session_scope(engine_for(store_url)) as s:
        scr, csi = s.get(DefectTicket, ids["scr"]), s.get(DefectTicket, ids["csi"])
        assert views.allowed_actions(REGISTER, scr, "pic_performance") == ["analyse"]  # open: its PIC
        assert views.allowed_actions(REGISTER, scr, "om") == []
        assert views.allowed_actions(REGISTER, scr, "pic_quality") == []  # not his KPI
        assert views.allowed_actions(REGISTER, scr, None) == []  # an unmapped Airflow user reads
        assert views.allowed_actions(REGISTER, csi, "om") == ["decide"]  # analysed: the Accountable
        assert views.allowed_actions(REGISTER, csi, "pic_quality") == []
        assert "Rina Wulandari" in views.who_may_act(REGISTER, csi, {**_W, "who_accountable": "A ({name})"})


_W = {"who_pic": "PIC ({name})", "who_accountable": "Accountable ({name})", "who_data_engineering": "DE"}


def test_sparkline_breaks_at_missing_days() -> None:
    line = views.sparkline([1.0, 2.0, None, 3.0, 4.0], target=2.5)
    assert line["path"].count("M") == 2 and line["path"].count("L") == 2
    assert 0 < line["target_y"] < line["height"]
    assert views.sparkline([None, 5.0], None)["path"] == ""


def test_airflow_logins_map_to_people() -> None:
    people = REGISTER.people.model_copy(deep=True)
    register = type(REGISTER)(people, REGISTER.kpis, REGISTER.revisions, REGISTER.procedure)
    assert auth.person_for(register, "om").id == "om"  # no airflow_user: the id is the login
    assert auth.person_for(register, "admin") is None
    people.people[1].airflow_user = "budi.santoso"  # pic_performance logs in as budi.santoso
    assert auth.person_for(register, "budi.santoso").id == "pic_performance"
    assert auth.person_for(register, "pic_performance") is None  # the id no longer acts as him
    people.people[2].airflow_user = "budi.santoso"  # two people claim one login: nobody, read only
    assert auth.person_for(register, "budi.santoso") is None


def _request(cookies: dict[str, str], origin: str | None = None) -> Request:
    headers = [(b"host", b"kawal.example:8080")]
    if cookies:
        headers.append((b"cookie", "; ".join(f"{k}={v}" for k, v in cookies.items()).encode()))
    if origin:
        headers.append((b"origin", origin.encode()))
    return Request({"type": "http", "method": "POST", "path": "/", "headers": headers, "query_string": b""})


@pytest.mark.security  # issue #11: forms are CSRF-safe
def test_csrf_token_is_bound_to_the_airflow_user_and_the_browser(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__API_AUTH__JWT_SECRET", "unit-test-secret")
    nonce, new = auth.csrf_nonce(_request({}))
    assert new and len(nonce) == 43
    assert auth.csrf_nonce(_request({auth.CSRF_COOKIE: nonce})) == (nonce, False)
    token = auth.csrf_token("om", nonce)
    assert auth.csrf_ok(_request({auth.CSRF_COOKIE: nonce}), "om", token)
    assert not auth.csrf_ok(_request({auth.CSRF_COOKIE: nonce}), "pic_quality", token)  # another user's token
    assert not auth.csrf_ok(_request({auth.CSRF_COOKIE: "x" * 43}), "om", token)  # another browser's nonce
    assert not auth.csrf_ok(_request({}), "om", token)
    assert not auth.csrf_ok(_request({auth.CSRF_COOKIE: nonce}, origin="https://evil.example"), "om", token)
    assert auth.csrf_ok(_request({auth.CSRF_COOKIE: nonce}, origin="http://kawal.example:8080"), "om", token)


def test_my_work_overdue_and_escalated(store_url: str) -> None:
    """#18 (docs/kpi-board.md "My work"): mine = the PIC's tickets, open actions one owns, plans waiting for
    the Accountable; overdue = an analysis or action past its due date (before today, site time);
    escalated = the daily run told the Accountable. The seed's SCR analysis was due 2026-10-13."""
    ids = seed_store(store_url, REGISTER)
    engine, today = engine_for(store_url), date(2026, 12, 1)

    def listed(view: str, person: str | None) -> list[int]:
        return [r["t"].id for r in views.tickets(engine, REGISTER, False, "id", view=view, person=person, today=today)]

    assert listed("mine", "pic_performance") == [ids["scr"]]
    assert listed("mine", "pic_quality") == [ids["csi"]]  # analysed: his KPI's ticket is still his
    assert listed("mine", "om") == [ids["csi"]]  # the plan waits for the Accountable's decision
    assert listed("mine", None) == []  # an Airflow user who is nobody has no work
    assert listed("overdue", None) == [ids["scr"]] and listed("escalated", None) == [ids["scr"]]
    (row,) = [r for r in views.tickets(engine, REGISTER, False, "id", today=today) if r["t"].id == ids["scr"]]
    assert row["due"]["what"] == "analysis" and row["due"]["date"] == date(2026, 10, 13) and row["due"]["overdue"]
    # working days from 13 October to 1 December 2026, Indonesian holidays excluded (kawal.defects.calendar)
    from kawal.defects.calendar import is_working_day

    expected = sum(
        is_working_day(date.fromordinal(d)) for d in range(date(2026, 10, 14).toordinal(), today.toordinal() + 1)
    )
    assert row["due"]["working_days"] == expected
    # on its due day it is not late yet (the escalation's rule: due < today)
    (same_day,) = [
        r for r in views.tickets(engine, REGISTER, False, "id", today=date(2026, 10, 13)) if r["t"].id == ids["scr"]
    ]
    assert not same_day["due"]["overdue"] and same_day["due"]["today"]


def test_the_defect_list_views_in_the_app(board_client) -> None:  # type: ignore[no-untyped-def]
    pic = board_client.as_user("pic_performance")
    html = pic.get("/defects?view=mine").text
    assert (
        f'data-ticket="{board_client.tickets["scr"]}"' in html
        and f'data-ticket="{board_client.tickets["csi"]}"' not in html
    )
    assert "⚠&nbsp;LEWAT TENGGAT" in html and 'aria-current="page">tugas saya' in html
    assert pic.get("/defects?view=nonsense").status_code == 200  # an unknown view is the plain list
    guest = board_client.as_user("guest").get("/defects?view=mine").text
    assert "tidak ada tugas atas nama Anda" in guest


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_board_downloads_the_months_kpi_table_as_xlsx(board_client, lang: str) -> None:  # type: ignore[no-untyped-def]
    """#18: the month's KPI table from the board, the workbook the report mail carries; SCR's sums are the
    seed's ten days added up here, not read from the code."""
    import io

    from openpyxl import load_workbook

    client = board_client.as_user("om")
    board = client.get(f"/?month=2026-10&lang={lang}")
    assert f'href="/workbook?month=2026-10&amp;lang={lang}"' in board.text
    answer = client.get(f"/workbook?month=2026-10&lang={lang}")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert f'filename="tabel-kpi-2026-10-{lang}.xlsx"' in answer.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(answer.content)).worksheets[0]
    header = [cell.value for cell in sheet[1]]
    rows = {row[1]: dict(zip(header, row, strict=False)) for row in sheet.iter_rows(min_row=2, values_only=True)}
    scr = list(rows["scr"].values())
    assert sum(n for n, _ in SCR) in scr and sum(d for _, d in SCR) in scr  # numerator and denominator as numbers
    assert ("Numerator" in header) == (lang == "en")

    assert client.get("/workbook?month=2031-01").status_code == 404  # outside the board's months: no file
    assert client.get("/workbook?month=2026-13").status_code == 400
