"""Run the real ``seqcheck`` command in a subprocess, as a user or a CI job does.

- :data:`CLI`: the command line's start, ``python -m seqcheck.cli``.
- :func:`cli_env`: its environment: no DSN or step summary from the caller's
  environment, this checkout first on ``PYTHONPATH``.
- :func:`seqcheck`: run it to the end and return a :class:`Result`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CLI", "ROOT", "Result", "cli_env", "seqcheck"]

ROOT = Path(__file__).resolve().parent.parent
CLI = (sys.executable, "-m", "seqcheck.cli")


@dataclass(frozen=True, slots=True)
class Result:
    """A finished run: exit code, stdout and stderr as text, and its duration."""

    code: int
    out: str
    err: str
    seconds: float


def cli_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """Return the caller's environment without ``PG*``, DSN or step summary, plus *env*.

    This checkout comes first on ``PYTHONPATH``, so the command runs this code.
    """
    base = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    for name in ("DATABASE_URL", "GITHUB_STEP_SUMMARY"):
        base.pop(name, None)
    base["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT), base.get("PYTHONPATH", "")) if p
    )
    base.update(env or {})
    return base


def seqcheck(
    *args: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    stdin: bytes | None = None,
) -> Result:
    """Run ``python -m seqcheck.cli`` with *args* in *cwd* (default: the checkout).

    :param env: added to :func:`cli_env`'s environment.
    :param stdin: the command's input; none (``/dev/null``) by default.
    """
    began = time.monotonic()
    done = subprocess.run(
        [*CLI, *args],
        capture_output=True,
        env=cli_env(env),
        cwd=cwd or ROOT,
        input=stdin,
        stdin=subprocess.DEVNULL if stdin is None else None,
        timeout=120,
        check=False,
    )
    return Result(
        done.returncode,
        done.stdout.decode("utf-8"),
        done.stderr.decode("utf-8"),
        time.monotonic() - began,
    )
