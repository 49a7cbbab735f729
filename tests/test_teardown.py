"""seqcheck.teardown: what ``keep`` holds, and only in the ``seqcheck`` program.

Each case runs in a fresh interpreter: :func:`keep_until_exit` switches a
process for good.
"""

from __future__ import annotations

import subprocess
import sys

from tests.cli_run import cli_env

_PROBE = """
import gc, sys, weakref
from seqcheck import teardown
class Big: pass
def alive(switch):
    if switch:
        teardown.keep_until_exit()
    held = Big()
    ref = weakref.ref(held)
    teardown.keep(held, None)
    del held
    gc.collect()
    return ref() is not None
print(alive(False), alive(True), alive(False))
"""


def test_keep_holds_only_after_keep_until_exit() -> None:
    """Nothing is held until the switch; from then on, everything is."""
    out = subprocess.run(
        [sys.executable, "-c", _PROBE],
        env=cli_env(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.split() == ["False", "True", "True"]


def _program(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the ``seqcheck`` program (``run``) with *args*."""
    return subprocess.run(
        [sys.executable, "-c", "from seqcheck.cli import run; run()", *args],
        env=cli_env(),
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_program_leaves_with_its_exit_code_and_output() -> None:
    """``seqcheck`` (``run``) flushes its output and exits with the command's code."""
    proc = _program("--version")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("seqcheck ")
    assert _program("nonsense").returncode == 2
