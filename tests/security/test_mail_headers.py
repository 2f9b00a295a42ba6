"""Mail header injection (issue #11): names, subjects, addresses and the sender cannot add headers
or recipients to a notification.

Property-based (hypothesis): any text in a person's name, a subject, an address or the configured
sender either is refused with one clear :class:`KawalError` when the message is queued, or yields a
message whose bytes — serialized as smtplib sends them and parsed back — carry exactly the headers
Kawal set and exactly the intended recipients. A message that could be queued but never built
would stay pending forever and fail the daily DAG every day: that is a failure here too.
"""

from __future__ import annotations

import email.utils
import unicodedata
from dataclasses import replace
from email import message_from_bytes, policy

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from kawal.errors import KawalError
from kawal.notify.outbox import Mail, build_message, enqueue
from kawal.register import load_register
from kawal.register.model import People, Person
from kawal.store.models import Notification
from tests.conftest import REPO
from tests.properties import budget

pytestmark = pytest.mark.security

EXAMPLES = 1000  # per test under CI (the same examples every run); make fuzz draws 10,000 fresh ones
REGISTER = load_register(REPO / "kpi_rules")
HEADERS = {"From", "To", "Subject", "Date", "Message-ID", "X-Kawal-Key", "MIME-Version", "Content-Type"}
EVIL = "evil@attacker.example"

#: Everything str.splitlines() and mail software treat as a line end, and other controls.
BREAKS = ["\r\n", "\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029", "\x00", "\t"]
injected = st.builds(
    lambda a, br, hdr, b: f"{a}{br}{hdr}{b}",
    st.text(max_size=12),
    st.sampled_from(BREAKS),
    st.sampled_from([f"Bcc: {EVIL}", f"To: {EVIL}", f" {EVIL}", "Content-Type: text/html", f"\r\nBcc: {EVIL}"]),
    st.text(max_size=12),
)
hostile_text = st.one_of(
    injected,
    st.text(max_size=40),
    st.text(st.characters(codec="utf-8"), min_size=1, max_size=40),
    st.sampled_from(['"Budi" <evil@attacker.example>', "a, evil@attacker.example", "=?utf-8?q?=0ABcc:_x?=", ";"]),
)


def _recipients(msg) -> list[str]:  # type: ignore[no-untyped-def]
    """Envelope recipients as smtplib.send_message derives them (To, Cc, Bcc)."""
    fields = [v for h in ("To", "Cc", "Bcc", "Resent-To") for v in msg.get_all(h, [])]
    return sorted(addr for _name, addr in email.utils.getaddresses([str(f) for f in fields]) if addr)


def _as_sent(msg) -> object:  # type: ignore[no-untyped-def]
    """The bytes smtplib puts on the wire (its generator and policy), parsed back by a receiver."""
    return message_from_bytes(msg.as_bytes(policy=msg.policy.clone(linesep="\r\n")), policy=policy.default)


class _Outbox:
    """Stands in for the store's session: header injection is about the message, not where it waits."""

    def __init__(self) -> None:
        self.queued: list[Notification] = []

    def scalars(self, _query):  # type: ignore[no-untyped-def]
        return self  # "already queued?" → first() → no

    def first(self) -> None:
        return None

    def add(self, n: Notification) -> None:
        self.queued.append(n)

    def flush(self) -> None:
        pass


def _queue_and_build(register, subject: str, to: list[str]):  # type: ignore[no-untyped-def]
    """Queue one mail and build it as delivery would; None when refused with a KawalError."""
    outbox = _Outbox()
    try:
        enqueue(
            outbox,  # type: ignore[arg-type]
            register,
            key="injection-probe",
            kind="test",
            ticket_id=None,
            to=to,
            cc=[],
            mail=Mail(subject, "Yth.", "isi", [], "-", []),
        )
        (n,) = outbox.queued
        return build_message(n, register.procedure.notifications.from_email)
    except KawalError:
        return None


def _with_person(name: str, address: str):  # type: ignore[no-untyped-def]
    # model_construct skips people.yaml's own validation: the outbox must hold on its own
    person = Person.model_construct(id="probe", name=name, email=address, role="uji")
    people = People.model_construct(**{**dict(REGISTER.people), "people": [*REGISTER.people.people, person]})
    return replace(REGISTER, people=people)


def _assert_exactly_what_kawal_set(msg, to: list[str], subject: str) -> None:  # type: ignore[no-untyped-def]
    received = _as_sent(msg)
    keys = list(received.keys())
    assert sorted(keys) == sorted(HEADERS), keys  # no header added, none repeated
    assert _recipients(received) == sorted(to)
    assert str(received["From"]) == str(msg["From"])  # the sender as configured, nothing more
    if "=?" not in subject:  # literal encoded-word syntax is decoded by the receiver: shown otherwise, still one header
        assert received["Subject"] == " ".join(subject.split())  # white space folded, as queued


@budget(EXAMPLES)
@given(subject=hostile_text)
@example(subject=" ")  # found by a CI run: a blank subject arrived as "" — now refused when queued
@example(subject="target  \u2265 95  ")  # runs of white space are folded when queued, not by the receiver
def test_subject_cannot_add_headers(subject: str) -> None:
    msg = _queue_and_build(REGISTER, subject, ["om"])
    if msg is not None:
        _assert_exactly_what_kawal_set(msg, ["rina.wulandari@kawal-demo.example"], subject)
        assert msg["Subject"] == " ".join(subject.split())
    else:
        assert (
            not " ".join(subject.split())
            or any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in subject)
            or "=?" in subject
        ), "refused a subject that is printable, non-blank and has no encoded word"


@pytest.mark.parametrize("blank", ["", " ", "   ", "\u3000", "\xa0 "])
def test_a_blank_subject_is_refused_when_queued(blank: str) -> None:
    with pytest.raises(KawalError, match="subject is empty"):
        _queue_and_build_raising(REGISTER, blank, ["om"])


def _queue_and_build_raising(register, subject: str, to: list[str]):  # type: ignore[no-untyped-def]
    enqueue(
        _Outbox(),  # type: ignore[arg-type]
        register,
        key="blank-probe",
        kind="test",
        ticket_id=None,
        to=to,
        cc=[],
        mail=Mail(subject, "Yth.", "isi", [], "-", []),
    )


@budget(EXAMPLES)
@given(name=hostile_text, address=st.one_of(hostile_text, st.just("budi.santoso@kawal-demo.example")))
def test_name_and_address_cannot_add_headers_or_recipients(name: str, address: str) -> None:
    msg = _queue_and_build(_with_person(name, address), "[Kawal] uji", ["probe"])
    if msg is not None:
        _assert_exactly_what_kawal_set(msg, [address], "[Kawal] uji")


@budget(EXAMPLES)
@given(sender=hostile_text)
def test_configured_sender_cannot_add_headers(sender: str) -> None:
    notifications = REGISTER.procedure.notifications.model_copy(update={"from_email": sender})
    register = replace(REGISTER, procedure=REGISTER.procedure.model_copy(update={"notifications": notifications}))
    msg = _queue_and_build(register, "[Kawal] uji", ["om"])
    if msg is not None:
        _assert_exactly_what_kawal_set(msg, ["rina.wulandari@kawal-demo.example"], "[Kawal] uji")


@pytest.mark.parametrize("line_end", BREAKS[:-1])  # a tab is folding whitespace, not a line end
@pytest.mark.parametrize("field", ["name", "email"])
def test_people_yaml_refuses_line_breaks_in_names_and_addresses(line_end: str, field: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The first line of defence: `kawal rules check` names the person and the field."""
    import shutil

    import yaml

    from kawal.register.check import check_register

    rules = tmp_path / "kpi_rules"
    shutil.copytree(REPO / "kpi_rules", rules)
    people = yaml.safe_load((rules / "people.yaml").read_text(encoding="utf-8"))
    people["people"][0][field] += f"{line_end}Bcc: {EVIL}"
    (rules / "people.yaml").write_text(yaml.safe_dump(people, allow_unicode=True), encoding="utf-8")

    register, problems = check_register(rules)

    if register is not None:  # YAML itself folds some line ends (NEL) into a space: nothing left to inject
        value = getattr(register.people.person("om"), field)
        assert not any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in value), repr(value)
        return
    # named by the entry: "person 'om' field name" (Kawal's check) or "people field people.0.name" (the schema)
    named = (f"person 'om' field {field}", f"people.0.{field}")
    assert any(p.file.endswith("people.yaml") and any(n in p.where for n in named) for p in problems), problems
