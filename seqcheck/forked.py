"""Forked: a pure computation in a child process, beside this one's own work.

Stage: a helper of :mod:`seqcheck.apply`; imports only the standard library.
A thread cannot run CPU-bound Python while this process runs some too (the
GIL); a forked child can, on another core, and it sees this process's
objects as they were at the fork, without copying or pickling them. Only its
result comes back, pickled, through a pipe. The child never touches what it
inherits besides its inputs (an open connection stays the parent's: the child
leaves with ``os._exit``, which closes nothing the parent uses and flushes no
buffered output twice).

Where ``os.fork`` is missing (Windows) or unsafe (macOS, whose system
libraries may abort a child that forked a threaded process), the computation
runs in a thread instead: the same result, without the second core.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sys
import threading
import warnings
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import TracebackType

__all__ = ["ChildFailed", "Forked"]

_T = TypeVar("_T")


class ChildFailed(RuntimeError):
    """The computation raised (its type and message), or the child died."""


class Forked(Generic[_T]):
    """*compute* running in a child process from now on; :meth:`result` waits.

    Use it as a context manager: leaving the block ends a child whose result
    was never asked for, so none is left behind.
    """

    def __init__(self, compute: Callable[[], _T]) -> None:
        self._pid = 0
        self._fd = -1
        self._thread: threading.Thread | None = None
        self._outcome: tuple[bool, object] | None = None
        if not _can_fork():
            self._thread = threading.Thread(
                target=self._run_here, args=(compute,), daemon=True
            )
            self._thread.start()
            return
        read, write = os.pipe()
        with warnings.catch_warnings():  # 3.12+: "multi-threaded, use of fork()"
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:  # pragma: no cover - the child: coverage never sees it
            os.close(read)
            _child(compute, write)
        os.close(write)
        self._pid, self._fd = pid, read

    def result(self) -> _T:
        """Return what *compute* returned; wait for it if need be.

        :raises ChildFailed: *compute* raised, or the child died first.
        """
        if self._outcome is None:
            self._outcome = self._collect()
        ok, value = self._outcome
        if not ok:
            raise ChildFailed(str(value))
        return value  # type: ignore[return-value]

    def close(self) -> None:
        """End the child unless it has reported; never leave one behind."""
        if self._fd >= 0:
            os.close(self._fd)  # a child still writing gets EPIPE and leaves
            self._fd = -1
        if self._pid:
            with contextlib.suppress(ProcessLookupError):  # already gone
                os.kill(self._pid, signal.SIGKILL)
            self._reap()

    def __enter__(self) -> Forked[_T]:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def _collect(self) -> tuple[bool, object]:
        if self._thread is not None:
            self._thread.join()
            assert self._outcome is not None
            return self._outcome
        chunks: list[bytes] = []
        while chunk := os.read(self._fd, 1 << 20):
            chunks.append(chunk)
        os.close(self._fd)
        self._fd = -1
        status = self._reap()
        try:
            outcome: tuple[bool, object] = pickle.loads(b"".join(chunks))
        except Exception:
            return False, f"the child process ended ({_status(status)})"
        return outcome

    def _reap(self) -> int:
        _, status = os.waitpid(self._pid, 0)
        self._pid = 0
        return status

    def _run_here(self, compute: Callable[[], _T]) -> None:
        try:
            self._outcome = (True, compute())
        except Exception as exc:
            self._outcome = (False, _described(exc))


def _can_fork() -> bool:
    return hasattr(os, "fork") and sys.platform != "darwin"


def _child(compute: Callable[[], object], write: int) -> None:  # pragma: no cover
    """Run *compute*, write its pickled outcome to *write*, leave."""
    try:
        try:
            data = pickle.dumps((True, compute()), pickle.HIGHEST_PROTOCOL)
        except BaseException as exc:  # Ctrl-C included: say so
            data = pickle.dumps((False, _described(exc)))
        with os.fdopen(write, "wb") as out:
            out.write(data)
    finally:
        os._exit(0)


def _described(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _status(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"signal {os.WTERMSIG(status)}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"
