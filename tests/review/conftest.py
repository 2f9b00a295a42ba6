from tests.records.demo_month import demo_home  # noqa: F401  (the shared demo-month fixture)
