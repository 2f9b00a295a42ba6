"""Defects out: tickets for missed KPIs and data incidents, their lifecycle (§5.3), escalation and
the notifications that tell the right person exactly once."""
