"""``make up``: Airflow (``airflow standalone``: api-server, scheduler, dag-processor, triggerer) with
Kawal's plugin on the demo's data, so a person can walk a ticket through its lifecycle in the browser.

- Airflow's home, metadata DB and Kawal's store are the demo's (``$KAWAL_HOME``, after ``make demo``).
- Every person of ``kpi_rules/people.yaml`` gets an Airflow login (their ``airflow_user`` or id, role
  ``user``) besides ``admin``. SimpleAuthManager generates their passwords once into
  ``$AIRFLOW_HOME/simple_auth_manager_passwords.json.generated``; we print where, never the passwords.
- Mail from the board goes through Airflow's SMTP connection to the demo's local SMTP sink
  (``$KAWAL_HOME/mail/*.eml``), as in ``make demo``.
- DAGs stay paused (the demo ran them with ``dag.test()``): ``up`` shows data, it does not make more.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import click


@click.command()
@click.option("--port", default=8080, show_default=True, help="port of Airflow's api-server (the UI)")
def up(port: int) -> None:
    """Start Airflow with the KPI board on the demo's data (Ctrl-C stops it)."""
    from kawal.airflow_env import embedded_airflow_env
    from kawal.notify.mailsink import MailSink
    from kawal.register import load_register
    from kawal.settings import kawal_home

    home = kawal_home()
    if not (home / "kawal.db").exists() and not os.environ.get("KAWAL_DB_URL"):
        raise click.ClickException(f"no demo data in {home}: run `make demo` first")
    register = load_register()
    logins = [p.login for p in register.people.people]
    env = {**os.environ, **embedded_airflow_env(home)}
    sink = MailSink(home / "mail").start()
    env.update(
        {
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": ",".join(["admin:admin", *(f"{u}:user" for u in logins)]),
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            "AIRFLOW_CONN_SMTP_DEFAULT": sink.connection_uri,
        }
    )
    passwords = Path(env["AIRFLOW_HOME"]) / "simple_auth_manager_passwords.json.generated"
    click.echo(f"Kawal KPI board: http://127.0.0.1:{port}/kawal/  (in Airflow's menu: 'Kawal KPI')")
    click.echo(f"Airflow logins: admin, {', '.join(logins)}; passwords in {passwords} (generated once)")
    click.echo(f"Mail from the board: {sink.folder}/*.eml · Ctrl-C stops Airflow")
    bin_dir = Path(sys.executable).parent  # standalone starts its components as `airflow …` from PATH
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    # its own session: when it ends, whatever it started (scheduler, triggerer …) is ended with it
    proc = subprocess.Popen(  # noqa: S603 - fixed command, our own interpreter's airflow
        [str(bin_dir / "airflow"), "standalone"],
        env=env,
        start_new_session=True,
        # started from a background shell SIGINT is ignored, and standalone stops cleanly only on SIGINT
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )

    def stop(_signum: int, _frame: object) -> None:
        # standalone stops its components cleanly on SIGINT only (a TERM would orphan them)
        proc.send_signal(signal.SIGINT)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        returncode = proc.wait()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        sink.stop()
    sys.exit(returncode if returncode > 0 else 0)


if __name__ == "__main__":
    up()
