"""Judging a KPI value against its target as in force (register revision) for its period.

- ``met``: on the good side of the warning threshold (or of the target when there is none);
- ``at_risk``: between the target and the warning threshold (still meets the target);
- ``breach``: on the wrong side of the target — the KPI *defect* of §5.3.1;
- ``not_evaluable``: no value (no data / nothing to divide by) or no target in force.
"""

from __future__ import annotations

from enum import StrEnum

from kawal.register import Direction, Kpi, Target


class Status(StrEnum):
    met = "met"
    at_risk = "at_risk"
    breach = "breach"
    not_evaluable = "not_evaluable"

    @property
    def label_id(self) -> str:
        return {"met": "tercapai", "at_risk": "waspada", "breach": "tidak tercapai",
                "not_evaluable": "tidak dapat dinilai"}[self.value]  # fmt: skip


def evaluate(kpi: Kpi, target: Target | None, value: float | None) -> Status:
    if value is None or target is None:
        return Status.not_evaluable
    better = (lambda a, b: a >= b) if kpi.direction is Direction.higher_is_better else (lambda a, b: a <= b)
    if not better(value, target.value):
        return Status.breach
    if target.warning is not None and not better(value, target.warning):
        return Status.at_risk
    return Status.met
