"""A person's command in its own process for the race scenarios (issue #17), run as
``python -m tests.reliability.race_worker GATE NAME [--at-start] -- KAWAL ARGS…``.

It runs ``kawal KAWAL ARGS…`` (the real CLI: one line and exit 2 on a refusal) with the store and
register from the environment. The race is made certain, not left to timing: the workflow's state
check (``check_allowed`` for a ticket, ``current_draft`` for minutes) is wrapped so that, once it has
read the state, the process writes ``GATE/NAME.ready`` and waits until every racer of the gate is
ready (``GATE/expected`` holds their number). Both commands have then read the same state before
either writes anything: exactly the window in which an unguarded read-modify-write loses an update.
Whatever guards the write must happen after that point.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path


def _gate(gate: Path, name: str):  # type: ignore[no-untyped-def]
    expected = int((gate / "expected").read_text())
    done = False

    def wait() -> None:
        nonlocal done
        if done:
            return
        done = True
        (gate / f"{name}.ready").write_text("ready")
        deadline = time.monotonic() + 60
        while len(list(gate.glob("*.ready"))) < expected and time.monotonic() < deadline:
            time.sleep(0.005)

    return wait


def race(
    tmp_path: Path,
    label: str,
    commands: dict[str, list[str]],
    *,
    at_start: bool = False,
    env: dict[str, str] | None = None,
) -> dict[str, tuple[int, list[str]]]:
    """Run each command (``kawal`` arguments) in its own process, all past the state check together (or,
    ``at_start``, all started together); per racer its exit status and non-empty output lines."""
    import os
    import subprocess

    from tests.conftest import REPO

    gate = tmp_path / f"gate-{label}"
    gate.mkdir()
    (gate / "expected").write_text(str(len(commands)))
    flags = ["--at-start"] if at_start else []
    procs = {
        name: subprocess.Popen(
            [sys.executable, "-m", "tests.reliability.race_worker", str(gate), name, *flags, "--", *args],
            cwd=REPO,
            env=dict(os.environ) if env is None else env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for name, args in commands.items()
    }
    out = {}
    for name, proc in procs.items():
        text = proc.communicate(timeout=600)[0].decode()
        out[name] = (proc.returncode, [line for line in text.splitlines() if line.strip()])
    return out


def main(argv: list[str]) -> None:
    gate, name = Path(argv[0]), argv[1]
    args = argv[argv.index("--") + 1 :]
    wait = _gate(gate, name)
    if "--at-start" in argv[: argv.index("--")]:
        wait()  # the whole command races (e.g. two `kawal report send`), not one step of it

    import kawal.defects.workflow as workflow
    import kawal.review.minutes as minutes

    real_check, real_draft = workflow.check_allowed, minutes.current_draft

    def check_then_wait(*a, **k):  # type: ignore[no-untyped-def]
        to_state = real_check(*a, **k)
        wait()
        return to_state

    def draft_then_wait(*a, **k):  # type: ignore[no-untyped-def]
        draft = real_draft(*a, **k)
        wait()
        return draft

    workflow.check_allowed = check_then_wait
    minutes.current_draft = draft_then_wait

    from kawal.cli import main as kawal

    kawal.main(args=args, prog_name="kawal")


if __name__ == "__main__":
    main(sys.argv[1:])
