"""Kawal: the contact center's KPI management procedure (pengawalan KPI) as importable code.

DAG files in ``dags/`` only wire the functions of this package together; everything that can be
tested without Airflow (KPI maths, ingestion checks, the store) lives here.
"""

__version__ = "0.1.0"
