"""What the CLI prints: reports, one-line errors, warnings, notes; exit codes.

Stage: the CLI. The only place (with its package) that writes to the terminal.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING

from seqcheck.errors import SeqcheckError
from seqcheck.options import Format, Shared

if TYPE_CHECKING:
    pass

log = logging.getLogger("seqcheck.cli")


PROG = "seqcheck"


EXIT_CLEAN, EXIT_DRIFT, EXIT_ERROR = 0, 1, 2


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


#: Where a scan of one of several databases keeps its warnings and notes,
#: ``(level, text)``, to print them named after its database (else ``None``).
_HELD: ContextVar[list[tuple[str, str]] | None] = ContextVar("held", default=None)


def _colour(shared: Shared) -> bool:
    """Tell whether the table format may colour its output (a terminal)."""
    return (
        shared.output_format is Format.TABLE
        and shared.output is None
        and sys.stdout.isatty()
        and not os.environ.get("NO_COLOR")
    )


def _append_step_summary(text: str) -> None:
    """Append *text* to the file named by ``$GITHUB_STEP_SUMMARY``, if set."""
    name = os.environ.get("GITHUB_STEP_SUMMARY")
    if not name:
        return
    try:
        with Path(name).open("ab") as file:
            file.write(text.encode("utf-8", "surrogateescape"))
    except OSError as exc:
        _warning(f"cannot append to $GITHUB_STEP_SUMMARY {name}: {exc.strerror}")


def _write(text: str, output: Path | None) -> None:
    data = text.encode("utf-8", "surrogateescape")
    if output is not None:
        try:
            output.write_bytes(data)
        except OSError as exc:
            raise SeqcheckError(
                f"cannot write {output}: {exc.strerror or exc}"
            ) from None
        return
    try:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (``| head``): stay quiet, as cat does.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def _one_line(text: str) -> str:
    return _CONTROL.sub(lambda m: repr(m[0])[1:-1], text)


def _error(what: str, hint: str | None = None) -> None:
    line = f"{PROG}: error: {_one_line(what)}"
    if hint:
        line += f" ({_one_line(hint)})"
    print(line, file=sys.stderr)


def _warning(what: str) -> None:
    _say("warning", what)


def _note(what: str) -> None:
    _say("note", what)


def _say(level: str, what: str) -> None:
    """Print a warning or note, or hold it while scanning one of several."""
    held = _HELD.get()
    if held is not None:
        held.append((level, what))
        return
    print(f"{PROG}: {level}: {_one_line(what)}", file=sys.stderr)
