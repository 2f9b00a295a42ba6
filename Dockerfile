# Kawal's Airflow image: the official *slim* Airflow 3.3.2 image (core Airflow only, Python 3.11, as
# the lock) plus Kawal's runtime lock (exactly the providers Kawal uses: smtp, standard, celery; no
# test, lint or demo tool), WeasyPrint's system libraries and the project's code and configuration.
# Built by `docker compose build` (docker-compose.yml); deploy steps in docs/operations.md.
FROM apache/airflow:slim-3.3.2-python3.11

USER root
# WeasyPrint 70 renders through Pango/HarfBuzz and needs real fonts (STACK-NOTES "WeasyPrint 70");
# curl is for the compose health checks.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core curl \
    && apt-get clean \
    && rm -rf /var/lib/apt/lists/*

USER airflow
WORKDIR /opt/kawal
# The runtime lock (requirements.lock: no dev or demo extras), then Kawal without dependencies, then
# `pip check`: stack/install-runtime.sh, the same script tests/stack/test_runtime_lock.py runs in a
# clean virtualenv on every `make test` (no Docker engine on the build machines). The lock pins
# apache-airflow 3.3.2 itself, so this cannot up- or downgrade the image's Airflow.
COPY --chown=airflow:root requirements.lock pyproject.toml README.md /opt/kawal/
COPY --chown=airflow:root stack/install-runtime.sh /opt/kawal/stack/install-runtime.sh
COPY --chown=airflow:root src /opt/kawal/src
RUN PIP_NO_CACHE_DIR=1 UV_NO_CACHE=1 bash /opt/kawal/stack/install-runtime.sh python /opt/kawal

# What the DAGs read at run time: rules, mappings, GX suites; the DAG files in Airflow's folder. The
# report's templates, CSS and fonts are package data and the board is loaded through the
# `airflow.plugins` entry point (issue #19): neither needs a folder here. Baked in, so every container
# of one image runs the same code.
COPY --chown=airflow:root kpi_rules /opt/kawal/kpi_rules
COPY --chown=airflow:root mappings /opt/kawal/mappings
COPY --chown=airflow:root great_expectations /opt/kawal/great_expectations
COPY --chown=airflow:root dags /opt/airflow/dags

# Kawal's data folder and the folder of the people's first passwords (airflow-init) exist in the
# image, owned by airflow and writable by group root (compose runs as AIRFLOW_UID:0), so the named
# volumes mounted there start writable without a root init step.
RUN mkdir -p /opt/airflow/var/landing /opt/airflow/var/reports /opt/airflow/auth \
    && chmod -R g+rwX /opt/airflow/var /opt/airflow/auth

ENV KAWAL_HOME=/opt/airflow/var \
    KAWAL_RULES_DIR=/opt/kawal/kpi_rules \
    KAWAL_MAPPINGS_DIR=/opt/kawal/mappings \
    KAWAL_GX_DIR=/opt/kawal/great_expectations \
    GX_ANALYTICS_ENABLED=false
WORKDIR /opt/airflow
