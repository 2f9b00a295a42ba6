"""A local SMTP server that keeps every message it receives as an ``.eml`` file.

It is a real SMTP server (aiosmtpd): the demo sends its notifications through Airflow's SMTP
connection to it, so people can open the mails in ``var/mail/``; the tests start one to check
recipients, subjects and exactly-once delivery. Not for production (no TLS, no auth).
"""

from __future__ import annotations

import itertools
import socket
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class MailSink:
    def __init__(self, folder: Path, port: int | None = None) -> None:
        self.folder = folder
        self.port = port or free_port()
        self._controller = None
        self._counter = itertools.count(len(list(folder.glob("*.eml"))) + 1 if folder.exists() else 1)
        self._lock = threading.Lock()

    # aiosmtpd handler hook
    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        with self._lock:
            n = next(self._counter)
            self.folder.mkdir(parents=True, exist_ok=True)
            (self.folder / f"{n:04d}.eml").write_bytes(envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"

    def start(self) -> MailSink:
        import logging

        from aiosmtpd.controller import Controller

        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command at INFO

        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def connection_uri(self) -> str:
        """Airflow connection URI for this sink (plain SMTP: no SSL, no STARTTLS)."""
        return f"smtp://127.0.0.1:{self.port}?disable_ssl=true&disable_tls=true"

    def messages(self) -> list[EmailMessage]:
        return [
            message_from_bytes(p.read_bytes(), policy=policy.default)  # type: ignore[misc]
            for p in sorted(self.folder.glob("*.eml"))
        ]

    def __enter__(self) -> MailSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
