"""Task bodies of the DAGs: each is one idempotent step over one period, callable without Airflow."""
