"""The review's vocabulary and who may act: action kinds (§4.7), labels, document numbers, people.

Shared by the agenda, the minutes and the actions' progress; imports none of them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from kawal.errors import KawalError
from kawal.register import Register

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
ACTION_KIND_LABEL = {"preventive": "preventif/mitigasi", "curative": "kuratif/korektif"}

ITEM_KIND_LABEL = {
    "repeat_defect": "Defect berulang",
    "defect": "Defect KPI",
    "data_incident": "Insiden data",
    "overdue_action": "Tindakan lewat tenggat",
    "kpi_at_risk": "KPI berisiko",
    "other": "Lain-lain",
}

STATUS_LABEL = {"done": "selesai", "open": "berjalan", "overdue": "lewat tenggat"}


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
