"""Kawal: the contact center's KPI management procedure (pengawalan KPI) as importable code.

DAG files in ``dags/`` only wire the functions of this package together; everything that can be
tested without Airflow (KPI maths, ingestion checks, the store) lives here.
"""


def __getattr__(name: str) -> str:
    # one version, pyproject.toml's, read only when asked: DAG files import this package every 30 s
    if name != "__version__":
        raise AttributeError(name)
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("kawal")
    except PackageNotFoundError:  # a source tree that was never installed
        return "0+unknown"
