#!/usr/bin/env bash
# Kawal's runtime install, the one set of commands for the image and for this machine (issue #19):
# the runtime lock (no dev or demo extras), Kawal itself without dependencies, then a check that the
# set holds together (uv's resolver and pip's). The Dockerfile runs it on the slim Airflow image;
# tests/stack/test_runtime_lock.py runs it in a clean virtualenv and runs the daily DAG from it.
#
#   stack/install-runtime.sh PYTHON [PROJECT_DIR]
set -euo pipefail
PY=${1:?usage: stack/install-runtime.sh PYTHON [PROJECT_DIR]}
SRC=${2:-.}
UV_VERSION=0.13.9  # the Makefile's

"$PY" -m pip install --quiet --disable-pip-version-check "uv==${UV_VERSION}"
"$PY" -m uv pip install --quiet --python "$PY" -r "$SRC/requirements.lock"
"$PY" -m uv pip install --quiet --python "$PY" --no-deps "$SRC"
"$PY" -m uv pip uninstall --quiet --python "$PY" uv  # an installer, not part of the runtime
"$PY" -m pip check --disable-pip-version-check
