"""Kawal's own store (never Airflow's metadata DB): SQLAlchemy 2 models and Alembic migrations."""

from kawal.store.db import engine_for, migrate, session_scope
from kawal.store.models import IngestionBatch, KpiValue

__all__ = ["IngestionBatch", "KpiValue", "engine_for", "migrate", "session_scope"]
