"""The KPI board and defect workflow in the Airflow UI (a FastAPI plugin app)."""
