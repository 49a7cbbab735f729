"""Progress: one status line on stderr while a long step runs, on a terminal only.

Stage: the CLI's (only the CLI owns a :class:`Progress` and writes with it;
other modules take a plain ``Callable[[str], None]`` and never print).
Imports only the standard library. Off a terminal it writes nothing, so
pipes, files and CI logs stay clean.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

__all__ = ["Progress"]

_MIN_INTERVAL = 0.1  # seconds between redraws of the same step
_CLEAR = "\r\x1b[K"


class Progress:
    """A status line such as ``seqcheck: loading schema.sql (42%)``.

    :param stream: where to draw; ``None`` (or a stream that is not a
        terminal, unless `force`) draws nothing.
    """

    def __init__(
        self, stream: TextIO | None, *, prefix: str = "seqcheck", force: bool = False
    ) -> None:
        self.stream = stream if stream is not None and (force or _tty(stream)) else None
        self.prefix = prefix
        self.width = _columns(self.stream) - 1
        self.shown = False
        self.last = 0.0

    @classmethod
    def for_stderr(cls, *, enabled: bool = True) -> Progress:
        """Return a reporter on ``sys.stderr`` if `enabled` and it is a terminal."""
        return cls(sys.stderr if enabled else None)

    @property
    def active(self) -> bool:
        """Tell whether anything is drawn at all."""
        return self.stream is not None

    def update(self, text: str) -> None:
        """Show `text` as the status line (at most every 0.1 s)."""
        if self.stream is None:
            return
        now = time.monotonic()
        if self.shown and now - self.last < _MIN_INTERVAL:
            return
        self.last = now
        line = f"{self.prefix}: {text}"
        if len(line) > self.width:
            line = line[: self.width - 1] + "…"
        self._write(_CLEAR + line)
        self.shown = True

    def clear(self) -> None:
        """Remove the status line, so that output and errors start clean."""
        if self.stream is not None and self.shown:
            self._write(_CLEAR)
            self.shown = False

    @contextmanager
    def step(self, text: str) -> Iterator[None]:
        """Show `text` while the ``with`` block runs, then clear it."""
        self.shown = False  # a new step always draws at once
        self.update(text)
        try:
            yield
        finally:
            self.clear()

    def _write(self, text: str) -> None:
        assert self.stream is not None
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            self.stream = None


def _columns(stream: TextIO | None) -> int:
    try:
        columns = os.get_terminal_size(stream.fileno()).columns if stream else 80
    except (OSError, ValueError, AttributeError):
        return 80
    return columns or 80  # a terminal of unknown size says 0


def _tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
