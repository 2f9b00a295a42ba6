"""Each Celery worker's own name as the task instances' ``hostname`` (process-level stack only).

Airflow records ``socket.getfqdn()`` on every task instance; two workers on one machine would
record the same name and nobody could tell which worker ran what. The stack gives each worker
``AIRFLOW__CORE__HOSTNAME_CALLABLE=kawal_stack_identity.worker_name`` and its own
``KAWAL_STACK_WORKER_NAME``. In the compose stack every worker is its own container with its own
hostname, so this module is not used there.
"""

from __future__ import annotations

import os
import socket


def worker_name() -> str:
    return os.environ.get("KAWAL_STACK_WORKER_NAME") or socket.getfqdn()
