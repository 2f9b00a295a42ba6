"""``make up``: Airflow (``airflow standalone``: api-server, scheduler, dag-processor, triggerer) with
Kawal's plugin on the demo's data, so a person can walk a ticket through its lifecycle in the browser.

- Airflow's home, metadata DB and Kawal's store are the demo's (``$KAWAL_HOME``, after ``make demo``).
- Every person of ``kpi_rules/people.yaml`` gets an Airflow login (their ``airflow_user`` or id, role
  ``user``) besides ``admin``. Their passwords live in
  ``$AIRFLOW_HOME/simple_auth_manager_passwords.json.generated`` (mode 0600). ``up`` writes a password
  for every login missing from it *before* Airflow starts: SimpleAuthManager prints each password it
  generates itself, and ``airflow standalone`` copies that into the log (issue #17). The log says where
  the file is, never a password; passwords already in the file (one changed by hand) are kept.
- Mail from the board goes through Airflow's SMTP connection to the demo's local SMTP sink
  (``$KAWAL_HOME/mail/*.eml``), as in ``make demo``.
- DAGs stay paused (the demo ran them with ``dag.test()``): ``up`` shows data, it does not make more.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path

import click

#: SimpleAuthManager's own alphabet for generated passwords (no 0/O, 1/l/I look-alikes)
_ALPHABET = "abcdefghkmnpqrstuvwxyzABCDEFGHKMNPQRSTUVWXYZ23456789"


def ensure_passwords(path: Path, logins: list[str]) -> list[str]:
    """Give every login missing from SimpleAuthManager's password file a password, silently; keep the
    others. The file is written whole (temp file, then rename) and readable by its owner only.
    Returns the logins added (names only: what the log may say)."""
    passwords: dict[str, str] = {}
    if path.is_file():
        try:
            passwords = json.loads(path.read_text(encoding="utf-8") or "{}")
        except ValueError:
            raise click.ClickException(f"{path}: not a JSON object of login → password; fix or remove it") from None
        if not isinstance(passwords, dict):
            raise click.ClickException(f"{path}: not a JSON object of login → password; fix or remove it")
    added = [login for login in logins if not passwords.get(login)]
    for login in added:
        passwords[login] = "".join(secrets.choice(_ALPHABET) for _ in range(16))
    path.parent.mkdir(parents=True, exist_ok=True)
    if added or not path.is_file():
        temporary = path.with_name(f".{path.name}.tmp")
        temporary.unlink(missing_ok=True)
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            out.write(json.dumps(passwords) + "\n")
        os.replace(temporary, path)
    path.chmod(0o600)
    return added


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
    env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"] = str(passwords)
    added = ensure_passwords(passwords, ["admin", *logins])
    click.echo(f"Kawal KPI board: http://127.0.0.1:{port}/kawal/  (in Airflow's menu: 'Kawal KPI')")
    new = f"; new password(s) for {', '.join(added)}" if added else ""
    click.echo(f"Airflow logins: admin, {', '.join(logins)}; passwords in {passwords} (readable by you only{new})")
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
