# Kawal — the words people use. `make demo` and `make test` start from nothing (a fresh clone).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
UV_VERSION := 0.13.9
MONTH ?= 2026-10

# Every generated file (Airflow home, SQLite files, landing data, PDFs, mail) lives under var/.
export KAWAL_HOME := $(CURDIR)/var
export KAWAL_RULES_DIR := $(CURDIR)/kpi_rules
export KAWAL_MAPPINGS_DIR := $(CURDIR)/mappings
export GX_ANALYTICS_ENABLED := false

.PHONY: install demo test lint fmt lock clean help

help:
	@echo "make demo   - generate a demo month ($(MONTH)) and run the daily DAG for every day under Airflow"
	@echo "make test   - install if needed, lint, run the whole test suite"
	@echo "make lint | fmt | lock | clean"

# The venv is rebuilt when the lock or the project metadata change. uv installs exactly the lock
# (no Airflow constraint file from the internet: those hosts are unreachable here).
$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet "uv==$(UV_VERSION)"
	$(UV) pip sync --quiet --python $(PY) requirements.lock
	$(UV) pip install --quiet --python $(PY) --no-deps -e .
	$(UV) pip check --python $(PY)
	touch $@

install: $(VENV)/.installed

demo: install
	$(VENV)/bin/kawal demo --month $(MONTH)

test: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Re-resolve the lock after changing pyproject.toml's dependencies.
lock: install
	$(UV) pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

clean:
	rm -rf var .pytest_cache .ruff_cache
