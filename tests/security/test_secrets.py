"""Secrets (issue #11): the SMTP password, the store's database password and the PII hashing key
never appear in task logs, notifications, the store or reports.

A real daily DAG run (a planted miss and a missing export: defect and data-incident mails) and the
monthly report run go through an SMTP server that *requires* the password (so it is really used),
a PostgreSQL store reached with a password in its URL, and KAWAL_PII_KEY set. Then every place a
secret could leak is read back and grepped: what the tasks printed and logged, Airflow's task log
files, every mail as received (headers, bodies, attachment), every row of every table of the store,
the archived report context and the PDF's text — plus the store's error messages when it is down.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest

from kawal.demo.sources import plan_month, write_demo_month
from kawal.notify.mailsink import MailSink
from kawal.periods import daily_run_logical_date
from kawal.settings import site_tz
from tests.reliability.conftest import dag_from_repo, table_rows

pytestmark = [pytest.mark.security, pytest.mark.airflow, pytest.mark.postgres]

SMTP_PASSWORD = "smtp-Pw-7f3a9c1e5b"  # test values: none of them is anybody's secret
DB_PASSWORD = "db-Pw-4d8e2b6a0c"
PII_KEY = "pii-Key-9b1f7e3c5a2d4e6f"
SECRETS = {"SMTP password": SMTP_PASSWORD, "database password": DB_PASSWORD, "PII hashing key": PII_KEY}


class AuthMailSink(MailSink):
    """The project's SMTP sink, but refusing mail unless the client logs in with SMTP_PASSWORD."""

    logins: list[bool]

    def start(self) -> AuthMailSink:
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult

        self.logins = []

        def authenticator(server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
            ok = auth_data.password == SMTP_PASSWORD.encode()
            self.logins.append(ok)
            return AuthResult(success=ok)

        self._controller = Controller(
            self, hostname="127.0.0.1", port=self.port, authenticator=authenticator,
            auth_required=True, auth_require_tls=False,
        )  # fmt: skip
        self._controller.start()
        return self


def _pdf_text(path: Path) -> str:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(path)
    try:
        return "\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    finally:
        doc.close()


def _mail_text(path: Path) -> str:
    """A mail as its reader sees it: headers, every text part decoded (base64!), the PDF's text."""
    from email import message_from_bytes, policy

    msg = message_from_bytes(path.read_bytes(), policy=policy.default)
    parts = [str(msg.items())]
    for part in msg.walk():
        if part.get_content_maintype() == "text":
            parts.append(part.get_content())
        elif part.get_content_type() == "application/pdf":
            attachment = path.with_suffix(".pdf")
            attachment.write_bytes(part.get_content())
            parts.append(_pdf_text(attachment))
    return "\n".join(parts)


def test_no_secret_in_logs_mails_store_or_reports(
    airflow_db, postgres_url: str, landing: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd, caplog
) -> None:  # type: ignore[no-untyped-def]
    from kawal.ingest.delivery import day_file

    url = postgres_url.replace("postgres@", f"postgres:{DB_PASSWORD}@", 1)  # trust auth accepts it
    home = tmp_path / "home"
    sink = AuthMailSink(tmp_path / "mail").start()
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", f"smtp://kawal:{SMTP_PASSWORD}@127.0.0.1:{sink.port}"
                                                    "?disable_ssl=true&disable_tls=true")  # fmt: skip
    monkeypatch.setenv("KAWAL_DB_URL", url)
    monkeypatch.setenv("KAWAL_PII_KEY", PII_KEY)
    monkeypatch.setenv("KAWAL_LANDING_DIR", str(landing))
    monkeypatch.setenv("KAWAL_HOME", str(home))
    month = datetime(2026, 3, 1).date()
    write_demo_month(month, landing, seed=12, calls_per_day=300)
    day = next(d for d, kind in plan_month(month, 12).interaction_bad_days.items() if kind == "short_staffed")
    day_file(landing, "seats_headcount", day).unlink()  # a data incident: its error text is mailed and stored
    try:
        daily = dag_from_repo("kawal_daily_kpis").test(logical_date=daily_run_logical_date(day))
        monthly = dag_from_repo("kawal_monthly_report").test(logical_date=datetime(2026, 4, 2, 7, 0, tzinfo=site_tz()))
    finally:
        sink.stop()
    # the store down, with the password in its URL: the error people and logs see
    from sqlalchemy.exc import OperationalError

    from kawal.errors import StoreConfigError
    from kawal.store import engine_for

    errors = []
    for broken, raised in (
        (f"postgresql+psycopg://postgres:{DB_PASSWORD}@127.0.0.1:1/nowhere", OperationalError),
        (f"postgresql+nodriver://postgres:{DB_PASSWORD}@127.0.0.1/x", StoreConfigError),
    ):
        with pytest.raises(raised) as caught:
            engine_for(broken)
        errors.append(str(caught.value))

    assert str(daily.state) == "failed" and str(monthly.state) == "success"  # failed: the missing export only
    assert sink.logins and all(sink.logins)  # the SMTP password was really used …
    mails = sorted((tmp_path / "mail").glob("*.eml"))
    assert any(b"Laporan Capaian KPI" in m.read_bytes() for m in mails) and len(mails) >= 3  # … for every mail
    out, err = capfd.readouterr()
    logs_dir = Path(os.environ["AIRFLOW_HOME"]) / "logs"
    places = {
        "task output (terminal)": out + err,
        "log records": caplog.text,
        "mails as received (raw)": "\n".join(m.read_text(errors="replace") for m in mails),
        "mails as read (decoded parts)": "\n".join(_mail_text(m) for m in mails),
        "store (every row of every table)": repr(table_rows(url)),
        "report archive (JSON context)": "\n".join(p.read_text() for p in home.rglob("*.json")),
        "report PDFs (text)": "\n".join(_pdf_text(p) for p in home.rglob("*.pdf")),
        "store error messages": "\n".join(errors),
    }
    assert all(places.values()), [k for k, v in places.items() if not v]  # every place was really read
    # dag.test() logs to the terminal (above); task log files exist when a worker runs the task
    places["Airflow task log files"] = "\n".join(
        p.read_text(errors="replace") for p in logs_dir.rglob("*") if p.is_file()
    )
    leaks = [(what, where) for where, text in places.items() for what, secret in SECRETS.items() if secret in text]
    assert leaks == []
    print("secrets grep:", {where: len(text) for where, text in places.items()})
