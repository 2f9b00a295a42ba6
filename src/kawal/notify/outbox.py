"""The outbox: exactly-once notifications.

A message is *enqueued* in the same transaction as the change it reports, under a unique
``dedup_key`` (e.g. ``defect-opened:12``): a retried task or a re-run day finds the key and adds
nothing. *Delivery* is separate: each pending message is claimed, sent through Airflow's SMTP
connection and marked sent; a failed send stays pending (attempts and error recorded) and is
retried by the next delivery, so nothing is lost. The Message-ID is fixed at enqueue time, so in the
one unavoidable window — the server accepted the mail but the process died before recording it —
the resend carries the same Message-ID and mail clients show it once.
"""

from __future__ import annotations

import logging
import mimetypes
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from pathlib import Path

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from kawal.errors import KawalError
from kawal.redaction import scrub
from kawal.register import Register
from kawal.store.db import session_scope
from kawal.store.models import Notification

log = logging.getLogger(__name__)

#: A claim older than this is considered abandoned (the sender died) and the message is retried.
STALE_CLAIM = timedelta(minutes=10)


@dataclass(frozen=True)
class Mail:
    subject: str
    greeting: str
    intro: str
    facts: list[tuple[str, str]]
    expected: str
    how_to_act: list[str]
    recent: list[tuple[str, str, str]] | None = None
    link: str | None = None
    #: one line on top, coloured by ``tone`` (breach, at_risk, met, info); the subject when empty (#18)
    headline: str | None = None
    tone: str = "info"
    #: the words on the button to ``link`` (e.g. "Buka tiket #4")
    link_label: str | None = None
    #: the heading of ``recent``: days for a daily KPI, months for a monthly one
    recent_title: str = "7 hari terakhir"
    #: the language of the mail's own headings (the site's, Indonesian; the report mail follows --lang)
    lang: str = "id"


def _check_header(text: str, what: str) -> str:
    # Header injection: a name or subject with a line break could add headers (Bcc: …) to the mail.
    # Not only CR/LF: Python's email package also refuses VT, FF, FS…RS, NEL, U+2028/2029 (they end
    # a line for str.splitlines), so such text, once queued, could never be built and would stay
    # pending for ever. Refuse every control character and line/paragraph separator up front.
    import unicodedata

    bad = next((c for c in text if unicodedata.category(c) in ("Cc", "Zl", "Zp")), None)
    if bad is not None:
        raise KawalError(
            f"refused to build a mail: {what} contains a line break or control character "
            f"U+{ord(bad):04X} ({text[:40]!r})"
        )
    # An RFC 2047 encoded word ("=?utf-8?q?a=0ABcc:_x?=") is decoded by Python 3.11 < 3.11.10 when
    # the header is refolded and its newline written raw (CVE-2024-6923): no name or subject needs one.
    if "=?" in text:
        raise KawalError(f"refused to build a mail: {what} contains '=?' (encoded-word syntax) ({text[:40]!r})")
    return text


def subject_line(text: str) -> str:
    """The subject as it is queued and sent: one line, runs of white space folded to one space.

    A receiver unfolds and strips a header's white space anyway (a subject of " " arrives as ""), so
    what was queued must already be what arrives: the outbox row, the mail and the record agree. A
    subject with nothing left is refused — a notification people must act on needs a subject.
    """
    folded = " ".join(_check_header(text, "the subject").split())
    if not folded:
        raise KawalError("refused to build a mail: the subject is empty or only white space")
    return folded


def _verify_headers(msg: EmailMessage) -> None:
    """The bytes as sent, parsed back, carry exactly the headers set: a generator bug cannot add one."""
    from email import message_from_bytes, policy

    sent = message_from_bytes(msg.as_bytes(), policy=policy.default)
    if sorted(sent.keys()) != sorted(msg.keys()) or any(
        str(sent[h]) != str(msg[h]) for h in ("To", "Cc", "From") if msg[h] is not None
    ):
        raise KawalError(f"refused to send {msg['X-Kawal-Key']}: its headers do not survive serialization intact")


#: A plain ASCII addr-spec (RFC 5322 dot-atom local part @ a dotted domain): anything else — empty,
#: non-ASCII (needs SMTPUTF8, so it could never be sent), quoted, with a comma or a second "@" — is
#: refused when queued instead of being retried for ever or reaching someone else.
_ADDRESS = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+"
)


def _check_address(address: str, whose: str) -> str:
    _check_header(address, f"the address of {whose}")
    if not _ADDRESS.fullmatch(address):
        raise KawalError(
            f"refused to build a mail: the address of {whose} is not a plain mail address ({address[:40]!r})"
        )
    return address


def _check_sender(sender: str) -> str:
    """The configured From (procedure.yaml): one plain address, optionally with a display name."""
    from email.utils import parseaddr

    what = "the sender (procedure.yaml notifications.from_email)"
    _check_header(sender, what)
    name, address = parseaddr(sender)
    try:
        EmailMessage()["From"] = sender  # the email package's own parser must accept it as one mailbox
    except Exception:
        address = ""
    if not _ADDRESS.fullmatch(address) or formataddr((name, address)).count("@") != sender.count("@"):
        raise KawalError(f"refused to build a mail: {what} is not 'Name <address>' or an address ({sender[:40]!r})")
    return sender


def addresses(register: Register, person_ids: list[str]) -> list[str]:
    out = []
    for pid in dict.fromkeys(person_ids):  # unique, in order
        person = register.people.person(pid)
        if person is None:
            raise KawalError(f"no person {pid!r} in kpi_rules/people.yaml to send a notification to")
        out.append(formataddr((_check_header(person.name, "a name"), _check_address(person.email, pid))))
    return out


def render(mail: Mail) -> tuple[str, str]:
    """(plain text, HTML) of a notification; the HTML is autoescaped (names and ticket text are user input)."""
    from kawal.notify.catalogue import CHROME, check_lang
    from kawal.rendering import environment

    env = environment(("kawal.notify", "templates"), strict=False, keep_trailing_newline=True)
    words = CHROME[check_lang(mail.lang)]  # one catalogue for every mail's headings (#18)
    return (
        env.get_template("notification.txt.j2").render(mail=mail, W=words),
        env.get_template("notification.html.j2").render(mail=mail, W=words),
    )


def enqueue(
    session: Session,
    register: Register,
    *,
    key: str,
    kind: str,
    ticket_id: int | None,
    to: list[str],
    cc: list[str],
    mail: Mail,
    attachment: Path | None = None,
    attachment_sha256: str | None = None,
    more_attachments: list[tuple[Path, str]] | None = None,
) -> bool:
    """Queue a notification once per ``key``; returns False (and writes nothing) if already queued.

    ``attachment`` is the first file (the report's PDF); ``more_attachments`` are further ``(path, sha256)``
    (the month's XLSX, #18), attached in that order. Every file is checked against its SHA-256 when sent."""
    if session.scalars(select(Notification.id).where(Notification.dedup_key == key)).first() is not None:
        return False
    _check_sender(register.procedure.notifications.from_email)
    to_addrs = addresses(register, to)
    cc_addrs = [a for a in addresses(register, cc) if a not in to_addrs]
    # the final guard (kawal.redaction, issue #17): a problem, a note or people's text quoted into the
    # body carries no e-mail address, URL password or identifier-long number out of the process (the
    # subject is built of Kawal's own words only, and is sent exactly as queued)
    text, html = (scrub(part) for part in render(mail))
    session.add(
        Notification(
            dedup_key=key,
            kind=kind,
            ticket_id=ticket_id,
            to_addrs=", ".join(to_addrs),
            cc_addrs=", ".join(cc_addrs),
            subject=subject_line(mail.subject),  # Kawal's own words: KPI names, ticket numbers, the day
            body_text=text,
            body_html=html,
            message_id=make_msgid(idstring="kawal", domain="kawal.local"),
            created_at=datetime.now(UTC),
            state="pending",
            attempts=0,
            attachment_path=None if attachment is None else str(attachment),
            attachment_sha256=attachment_sha256,
            more_attachments=[{"path": str(path), "sha256": sha} for path, sha in more_attachments]
            if more_attachments
            else None,
        )
    )
    session.flush()
    return True


def build_message(n: Notification, from_email: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = from_email
    msg["To"] = n.to_addrs
    if n.cc_addrs:
        msg["Cc"] = n.cc_addrs
    msg["Subject"] = n.subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = n.message_id
    msg["X-Kawal-Key"] = n.dedup_key
    msg.set_content(n.body_text)
    msg.add_alternative(n.body_html, subtype="html")
    files = [(n.attachment_path, n.attachment_sha256)] if n.attachment_path else []
    files += [(a["path"], a.get("sha256")) for a in n.more_attachments or []]
    for name, sha256 in files:
        _attach(msg, Path(name), sha256)
    _verify_headers(msg)
    return msg


def _attach(msg: EmailMessage, path: Path, sha256: str | None) -> None:
    """Attach a file as it was queued: a file changed since (its SHA-256 differs) is never sent."""
    import hashlib

    data = path.read_bytes()
    if sha256 and hashlib.sha256(data).hexdigest() != sha256:
        raise KawalError(f"{path}: changed since it was queued for sending (SHA-256 differs); not sent")
    mime = _MIME.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    maintype, subtype = mime.split("/", 1)
    msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=path.name)


#: types of the files Kawal attaches, independent of the machine's /etc/mime.types (a slim image has none)
_MIME = {
    ".pdf": "application/pdf",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _smtp_send(conn_id: str, messages: list[EmailMessage]) -> list[Exception | None]:
    """Send through Airflow's SMTP hook (one connection for the batch); an error per message or None."""
    from airflow.providers.smtp.hooks.smtp import SmtpHook

    results: list[Exception | None] = []
    try:
        with SmtpHook(smtp_conn_id=conn_id) as hook:
            # SmtpHook.send_email_smtp cannot build multipart/alternative (text + HTML) with a known
            # Message-ID, so the connected client sends our own EmailMessage.
            client = hook._smtp_client
            for msg in messages:
                try:
                    refused = client.send_message(msg)
                    # a partly refused mail was delivered to the others: sent, with the refusals on record
                    results.append(None)
                    if refused:
                        log.warning("%s: recipients refused by the server: %s", msg["X-Kawal-Key"], sorted(refused))
                except Exception as exc:  # one refused message must not stop the others
                    results.append(exc)
    except Exception as exc:  # no connection / server down: every message stays pending
        return [exc] * len(messages) if not results else results + [exc] * (len(messages) - len(results))
    return results


def _require_connection(conn_id: str) -> None:
    from airflow.sdk import BaseHook

    try:
        BaseHook.get_connection(conn_id)
    except Exception:
        raise KawalError(
            f"no Airflow connection {conn_id!r} to send mail through: define it (e.g. env "
            f"AIRFLOW_CONN_{conn_id.upper()}='smtp://user:password@host:587'); notifications stay in the outbox"
        ) from None


@dataclass(frozen=True)
class DeliveryReport:
    sent: int
    failed: int  # transient: still pending, retried by the next delivery
    errors: list[str]
    refused: list[str] = field(default_factory=list)  # permanent: state 'failed', never sent


def mail_data_engineering(
    engine: Engine, register: Register, *, key: str, kind: str, mail: Mail, hold: bool = False
) -> bool:
    """Queue one mail (once per ``key``) to data engineering and deliver it now; recorded ``held``,
    never sent, when ``hold`` (a backfilled day). The failed-run and late-run alerts (#19)."""
    with session_scope(engine) as session:
        to = list(register.people.data_engineering)
        queued = enqueue(session, register, key=key, kind=kind, ticket_id=None, to=to, cc=[], mail=mail)
        if queued and hold:
            session.execute(update(Notification).where(Notification.dedup_key == key).values(state="held"))
    if queued and not hold:
        deliver_pending(engine, register)
    return queued


def deliver_pending(engine: Engine, register: Register, *, conn_id: str | None = None) -> DeliveryReport:
    """Send every pending notification once; failures stay pending for the next delivery."""
    settings = register.procedure.notifications
    conn_id = conn_id or settings.smtp_conn_id
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        candidates = session.scalars(
            select(Notification.id)
            .where(
                (Notification.state == "pending")
                | ((Notification.state == "sending") & (Notification.claimed_at < now - STALE_CLAIM))
            )
            .order_by(Notification.id)
        ).all()
    if not candidates:  # nothing to send (e.g. a backfilled day, its mails held): no connection needed
        return DeliveryReport(sent=0, failed=0, errors=[])
    _require_connection(conn_id)
    claimed: list[int] = []
    for nid in candidates:  # claim one by one: a concurrent delivery never sends the same row
        with session_scope(engine) as session:
            result = session.execute(
                update(Notification)
                .where(Notification.id == nid, Notification.state != "sent")
                .where((Notification.state == "pending") | (Notification.claimed_at < now - STALE_CLAIM))
                .values(state="sending", claimed_at=now)
            )
            if result.rowcount == 1:
                claimed.append(nid)
    if not claimed:
        return DeliveryReport(0, 0, [], [])
    with session_scope(engine) as session:
        rows = [session.get(Notification, nid) for nid in claimed]
        built: list[EmailMessage | Exception] = []
        for n in rows:
            assert n is not None
            try:
                built.append(build_message(n, settings.from_email))
            except Exception as exc:  # e.g. an attachment that changed: this one fails, the others go
                built.append(exc)
    ready = [m for m in built if isinstance(m, EmailMessage)]
    sent_results = iter(_smtp_send(conn_id, ready) if ready else [])
    results = [m if isinstance(m, Exception) else next(sent_results) for m in built]
    errors: list[str] = []
    permanent: list[str] = []
    with session_scope(engine) as session:
        for nid, error in zip(claimed, results, strict=True):
            n = session.get(Notification, nid)
            assert n is not None
            n.attempts += 1
            n.claimed_at = None
            if error is None:
                n.state, n.sent_at, n.last_error = "sent", datetime.now(UTC), None
            elif isinstance(error, KawalError):  # cannot ever be built (e.g. its PDF changed): retrying won't help
                n.state, n.last_error = "failed", str(error)[:500]
                permanent.append(f"notification {nid} ({n.dedup_key}): {n.last_error}")
                log.error("notification %s will not be sent: %s", n.dedup_key, n.last_error)
            else:
                n.state, n.last_error = "pending", f"{type(error).__name__}: {error}"[:500]
                errors.append(f"notification {nid} ({n.dedup_key}): {n.last_error}")
    sent = sum(e is None for e in results)
    log.info(
        "notifications: %d sent, %d failed (will be retried), %d refused for good", sent, len(errors), len(permanent)
    )
    return DeliveryReport(sent, len(errors), errors, permanent)
