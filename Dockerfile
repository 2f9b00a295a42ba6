# FIRST DRAFT: the official Airflow image plus Kawal's locked dependencies and WeasyPrint's libraries.
FROM apache/airflow:3.3.2-python3.11
USER root
RUN apt-get update && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu \
    && rm -rf /var/lib/apt/lists/*
USER airflow
COPY requirements.lock pyproject.toml README.md /opt/kawal/
COPY src /opt/kawal/src
RUN pip install --no-cache-dir -r /opt/kawal/requirements.lock && pip install --no-cache-dir --no-deps /opt/kawal
