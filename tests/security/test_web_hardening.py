"""Issue #17 findings 10 and 11 (web part), against a real ``airflow api-server`` with Kawal's plugin
(the ``board`` fixture of tests/web, SQLite and PostgreSQL): month parameters outside any month the
board can show and ticket ids beyond the database's integer are one-line 400/404 pages, never an
HTTP 500; static files, 404s and every other answer carry the pages' security headers; a form posted
with ``Origin: null`` (a sandboxed frame, a ``data:`` page) is refused like any foreign origin.

Signed in as Airflow does for an API client: a JWT from ``POST /auth/token`` sent as a Bearer token.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

import pytest

from kawal.store import engine_for, session_scope
from kawal.store.models import DefectEvent, DefectTicket
from tests.web.conftest import PASSWORDS, board, board_store  # noqa: F401 - the fixtures, shared

pytestmark = [pytest.mark.security, pytest.mark.airflow]

#: what every page of the board sends (kawal.web.app.SECURITY_HEADERS)
REQUIRED = {"content-security-policy": "script-src 'none'", "x-content-type-options": "nosniff"}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def _call(
    url: str, token: str | None = None, data: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], str]:
    request = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    for name, value in {**({"Authorization": f"Bearer {token}"} if token else {}), **(headers or {})}.items():
        request.add_header(name, value)
    try:
        with urllib.request.build_opener(_NoRedirect).open(request, timeout=30) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read().decode("utf-8", "replace")


def _token(base: str, username: str) -> str:
    body = json.dumps({"username": username, "password": PASSWORDS[username]}).encode()
    status, _headers, text = _call(f"{base}/auth/token", data=body, headers={"Content-Type": "application/json"})
    assert status in (200, 201), (status, text)
    return json.loads(text)["access_token"]


def _assert_secured(headers: dict[str, str], what: str) -> None:
    for name, expected in REQUIRED.items():
        assert expected in headers.get(name, ""), (what, name, headers)


def _message(html: str) -> str:
    found = re.search(r'<p data-testid="message">(.*?)</p>', html, re.S)
    assert found, html[:2000]
    return found.group(1)


@pytest.mark.parametrize(
    ("path", "status", "says"),
    [
        ("/kawal/?month=0001-01", 404, "0001-01"),
        ("/kawal/?month=9999-12", 404, "9999-12"),
        ("/kawal/review?month=0001-01", 404, "0001-01"),
        ("/kawal/review?month=9999-12", 404, "9999-12"),
        ("/kawal/kpi/scr?month=0001-01", 404, "0001-01"),
        ("/kawal/kpi/scr?month=9999-12", 404, "9999-12"),
        ("/kawal/?month=2026-13", 400, "2026-13"),
        ("/kawal/defects/9223372036854775808", 404, "#9223372036854775808"),
        ("/kawal/defects/2147483648", 404, "#2147483648"),  # one past PostgreSQL's INTEGER
        ("/kawal/defects/99999999999999999999999999", 404, "#9999999999"),
        ("/kawal/defects/abc", 404, "/kawal/defects/abc"),
    ],
)
def test_out_of_range_months_and_ids_are_one_line_not_a_500(board, path: str, status: int, says: str) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    # arrange
    token = _token(board.base, "guest")

    # act
    got, headers, html = _call(board.base + path, token)

    # assert: the asked status, one localized line (Indonesian by default), the page's headers
    assert got == status, (path, got, html[:3000])
    assert "Traceback" not in html and "Internal Server Error" not in html
    line = _message(html)
    assert says in line and "\n" not in line.strip(), line
    assert ("Tidak ditemukan" if status == 404 else "Isian tidak valid") in html
    _assert_secured(headers, path)


def test_an_out_of_range_month_is_said_in_english_on_the_english_board(board) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    got, _headers, html = _call(f"{board.base}/kawal/?month=9999-12&lang=en", _token(board.base, "guest"))
    assert got == 404 and "Not found" in html and "outside the board" in _message(html)


def test_the_first_and_last_month_of_the_board_show_without_links_beyond(board) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    token = _token(board.base, "guest")
    first, _h, html = _call(f"{board.base}/kawal/?month=2026-01", token)  # site.yaml history_starts
    assert first == 200 and "?month=2025-12" not in html and "?month=2026-02" in html
    last, _h, html = _call(f"{board.base}/kawal/?month=2026-12", token)  # KAWAL_NOW's month (tests/conftest.py)
    assert last == 200 and "?month=2027-01" not in html and "?month=2026-11" in html


def test_a_post_to_an_id_beyond_the_integer_range_is_404(board) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    token = _token(board.base, "pic_performance")
    status, headers, html = _call(
        f"{board.base}/kawal/defects/9223372036854775808/analyse", token, data=b"root_cause=x&recommendation=y"
    )
    assert status == 404 and "Traceback" not in html, (status, html[:2000])
    _assert_secured(headers, "POST beyond range")


@pytest.mark.parametrize(
    "path",
    ["/kawal/static/kawal.css", "/kawal/static/no-such-file.css", "/kawal/no-such-page", "/kawal/defects/1/x/y"],
)
def test_static_files_and_404s_carry_the_security_headers(board, path: str) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    status, headers, body = _call(board.base + path, _token(board.base, "guest"))
    assert status == (200 if path.endswith("kawal.css") else 404), (path, status)
    _assert_secured(headers, path)
    assert "Traceback" not in body


@pytest.mark.parametrize("origin", ["null", "https://attacker.example", "http://127.0.0.1:1"])
def test_a_form_posted_from_a_null_or_foreign_origin_is_refused(board, origin: str) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    # arrange: the PIC's page gives a CSRF nonce (cookie) and the token bound to it
    ticket_id = board.tickets["scr"]
    token = _token(board.base, "pic_performance")
    status, headers, html = _call(f"{board.base}/kawal/defects/{ticket_id}", token)
    assert status == 200, html[:2000]
    nonce = re.search(r"kawal_csrf=([^;]+)", headers["set-cookie"]).group(1)
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)
    form = f"csrf_token={csrf}&root_cause=Hostile+origin&recommendation=none".encode()
    with session_scope(engine_for(board.store_url)) as s:
        events_before = s.query(DefectEvent).filter_by(ticket_id=ticket_id).count()

    # act
    status, headers, html = _call(
        f"{board.base}/kawal/defects/{ticket_id}/analyse",
        token,
        data=form,
        headers={"Cookie": f"kawal_csrf={nonce}", "Origin": origin},
    )

    # assert: refused, nothing recorded
    assert status == 403, (origin, status, html[:2000])
    assert "Formulir kedaluwarsa" in html
    _assert_secured(headers, "refused POST")
    with session_scope(engine_for(board.store_url)) as s:
        assert s.get(DefectTicket, ticket_id).state == "open"
        assert s.query(DefectEvent).filter_by(ticket_id=ticket_id).count() == events_before


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        (None, True),  # no Origin header (a non-browser client): the CSRF token still decides
        ("http://kawal.example:8080", True),
        ("HTTP://Kawal.Example:8080", True),  # scheme and host are case-insensitive
        ("https://kawal.example:8080", True),  # TLS ended at a proxy that kept the Host header
        ("null", False),
        ("http://kawal.example", False),  # another port is another origin
        ("http://kawal.example:8080.attacker.example", False),
        ("http://kawal.example:8080/kawal", False),  # an Origin never has a path
        ("ftp://kawal.example:8080", False),
        ("", False),
    ],
)
def test_the_origin_rule(origin: str | None, allowed: bool) -> None:
    from starlette.requests import Request

    from kawal.web import auth

    headers = [(b"host", b"kawal.example:8080")] + ([(b"origin", origin.encode())] if origin is not None else [])
    request = Request({"type": "http", "method": "POST", "path": "/", "headers": headers, "query_string": b""})
    assert auth.origin_ok(request) is allowed
