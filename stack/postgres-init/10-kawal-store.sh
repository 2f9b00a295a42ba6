#!/bin/bash
# Runs once, when the compose stack's PostgreSQL volume is first initialised
# (/docker-entrypoint-initdb.d): Kawal's store gets its own role and database, apart from Airflow's
# metadata DB, because Airflow 3 forbids task code from using the metadata DB and a store restore
# must never touch Airflow's tables (docs/operations.md "Backup and restore").
set -euo pipefail
: "${KAWAL_DB_PASSWORD:?set KAWAL_DB_PASSWORD in .env}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v kawal_password="$KAWAL_DB_PASSWORD" <<'SQL'
CREATE ROLE kawal LOGIN PASSWORD :'kawal_password';
CREATE DATABASE kawal OWNER kawal;
REVOKE ALL ON DATABASE kawal FROM PUBLIC;
SQL
