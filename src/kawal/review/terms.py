"""The review's vocabulary and who may act: action kinds (§4.7), labels, document numbers, people.

Shared by the agenda, the minutes and the actions' progress; imports none of them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from kawal.errors import KawalError
from kawal.register import Register
from kawal.review.catalogue import MINUTES

#: §4.7 names two kinds of effort: "preventif/mitigasi" and "kuratif/solutif". The words people type.
ACTION_KINDS = {
    "preventive": "preventive",
    "mitigating": "preventive",
    "preventif": "preventive",
    "mitigasi": "preventive",
    "curative": "curative",
    "corrective": "curative",
    "kuratif": "curative",
    "korektif": "curative",
}
# the site's words for kinds and statuses (what the monthly report prints): the minutes catalogue's
_SITE_WORDS = MINUTES["id"]
ACTION_KIND_LABEL = {k: _SITE_WORDS[f"kind.{k}"] for k in ("preventive", "curative")}
ITEM_KIND_LABEL = {
    k: _SITE_WORDS[f"item.{k}"]
    for k in ("repeat_defect", "defect", "data_incident", "overdue_action", "kpi_at_risk", "other")
}
STATUS_LABEL = {k: _SITE_WORDS[f"status.{k}"] for k in ("done", "open", "overdue")}


class ReviewError(KawalError):
    """A review step refused: one line saying what is wrong and what to do instead."""


def document_number(first: date, sequence: int) -> str:
    return f"KWL/RR/{first:%Y/%m}" + (f"-A{sequence}" if sequence else "")


def now_utc() -> datetime:
    return datetime.now(UTC)


def month_text(first: date) -> str:
    return first.strftime("%Y-%m")


def person_name(register: Register, person_id: str, what: str = "--as") -> str:
    if register.people.person(person_id) is None:
        raise ReviewError(f"{what} {person_id!r} is not among the people in kpi_rules/people.yaml")
    return person_id


def require_accountable(register: Register, person_id: str, step: str) -> None:
    person_name(register, person_id)
    if person_id != register.people.accountable:
        chair = register.people.describe(register.people.accountable, "id")
        raise ReviewError(f"refused: only the Accountable ({chair}) may {step} the review minutes (§4.7)")


def kpi_name(register: Register, kpi_id: str) -> str:
    return register.kpi(kpi_id).name_id if register.has_kpi(kpi_id) else kpi_id
