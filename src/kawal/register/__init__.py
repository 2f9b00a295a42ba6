"""The KPI register (§4.1, §5.1.1): which KPIs are guarded, how each is computed, and its target."""

from kawal.register.model import Kpi, Register, load_register

__all__ = ["Kpi", "Register", "load_register"]
