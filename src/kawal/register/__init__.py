"""The KPI register (§4.1, §5.1.1): which KPIs are guarded, how each is computed, its targets and
revisions, and who is Accountable, Responsible and Consulted."""

from kawal.register.check import Problem, check_register, load_register
from kawal.register.model import Category, Direction, Kpi, Period, Register, Scope, Target, Unit

__all__ = [
    "Category",
    "Direction",
    "Kpi",
    "Period",
    "Problem",
    "Register",
    "Scope",
    "Target",
    "Unit",
    "check_register",
    "load_register",
]
